-- luatls.internal.url.legacy: Node's legacy url API: url.parse, the Url
-- object and its format/resolve/resolveObject, written to give what
-- Node 20's lib/url.js gives (its quirks too: they are what programs
-- written against url.parse expect). The face is lua/luatls/url.lua.
--
--   local u = legacy.parse("http://user:pw@Host:8080/p/a?x=1#h"[, parseQuery
--     [, slashesDenoteHost]])
--   u.protocol, u.slashes, u.auth, u.host, u.port, u.hostname, u.hash,
--   u.search, u.query, u.pathname, u.path, u.href (nil for Node's null)
--   u:format(), u:resolve(to), u:resolveObject(to)
--   legacy.format(obj) -> the href of any table with those fields
--
-- Differs from Node: with parseQuery, `query` is a table of strings (lists
-- for repeated keys); a query table given to format() is written with its
-- keys sorted. Host names go through internal/url/idna.lua, with its
-- limits.
local errors = require("luatls.errors")
local events = require("luatls.events")
local formatNumber = require("luatls.util").formatNumber
local idna = require("luatls.internal.url.idna")
local percent = require("luatls.internal.url.percent")
local querystring = require("luatls.internal.url.querystring")

local byte, sub, find = string.byte, string.sub, string.find

local M = {}

local Url = events.class(nil, "Url")
M.Url = Url

-- the fields of a Url, in Node's order
local FIELDS = { "protocol", "slashes", "auth", "host", "port", "hostname", "hash", "search", "query",
  "pathname", "path", "href" }
M.FIELDS = FIELDS

local SLASHED = {}
for _, p in ipairs({ "http", "https", "ftp", "gopher", "file", "ws", "wss" }) do
  SLASHED[p], SLASHED[p .. ":"] = true, true
end
local HOSTLESS = { javascript = true, ["javascript:"] = true }
local UNSAFE = HOSTLESS

-- JavaScript's truthiness of a field (nil, false, "" and 0 are false)
local function truthy(v) return v ~= nil and v ~= false and v ~= "" and v ~= 0 end

-- JavaScript's String(v) for the fields format() joins
local function str(v)
  if type(v) == "string" then return v end
  if type(v) == "number" then return formatNumber(v) end
  return tostring(v)
end

local function invalidURL(input, level)
  errors.throw("ERR_INVALID_URL", "Invalid URL", { name = "TypeError", input = input }, level + 1)
end

-- JavaScript's \s, as the bytes of UTF-8
local function hasJsSpace(s)
  return find(s, "[\t-\r ]") or find(s, "\194\160", 1, true) or find(s, "\225\154\128", 1, true)
    or find(s, "\226\128[\128-\138\168\169\175]") or find(s, "\226\129\159", 1, true)
    or find(s, "\227\128\128", 1, true) or find(s, "\239\187\191", 1, true)
end

-- the white space url.parse trims: bytes up to space, U+00A0 and U+FEFF
local function wsAt(s, i)
  local b = byte(s, i)
  if b == nil then return 0 end
  if b <= 32 then return 1 end
  if b == 0xC2 and byte(s, i + 1) == 0xA0 then return 2 end
  if b == 0xEF and byte(s, i + 1) == 0xBB and byte(s, i + 2) == 0xBF then return 3 end
  return 0
end

local function wsBefore(s, j)
  if j < 1 then return 0 end
  if byte(s, j) <= 32 then return 1 end
  if j >= 2 and byte(s, j) == 0xA0 and byte(s, j - 1) == 0xC2 then return 2 end
  if j >= 3 and sub(s, j - 2, j) == "\239\187\191" then return 3 end
  return 0
end

local function trim(s)
  local i = 1
  while true do
    local w = wsAt(s, i)
    if w == 0 then break end
    i = i + w
  end
  local j = #s
  while j >= i do
    local w = wsBefore(s, j)
    if w == 0 then break end
    j = j - w
  end
  return sub(s, i, j)
end

-- the characters url.parse escapes in what follows the host
local AUTO_ESCAPE = {
  ["\t"] = "%09", ["\n"] = "%0A", ["\r"] = "%0D", [" "] = "%20", ['"'] = "%22", ["'"] = "%27",
  ["<"] = "%3C", [">"] = "%3E", ["\\"] = "%5C", ["^"] = "%5E", ["`"] = "%60", ["{"] = "%7B",
  ["|"] = "%7C", ["}"] = "%7D",
}

-- bytes that end the host part: never in a host name (RFC 2396), or the
-- start of path, query or fragment
local NON_HOST = {}
for c in ("\t\n\r \"%';<>\\^`{|}"):gmatch(".") do NON_HOST[byte(c)] = true end
local HOST_END = { [35] = true, [47] = true, [63] = true }

local FORBIDDEN = "[\0\t\n\r #%%/:<>%?@%[\\%]%^|]"
local FORBIDDEN_IPV6 = "[\0\t\n\r #%%/<>%?@\\%^|]"

local function isIPv6Hostname(h)
  return byte(h, 1) == 91 and byte(h, #h) == 93
end

-- the length of s in UTF-16 code units (Node's limit of 255 counts them)
local function utf16Length(s)
  local ok, n = pcall(utf8.len, s)
  if not ok or not n then return #s end
  local extra = 0
  for _, c in utf8.codes(s) do
    if c >= 0x10000 then extra = extra + 1 end
  end
  return n + extra
end

local parseAuthority

local function parseQuery(s)
  return querystring.parse(s)
end

-- Url:parse(url, parseQueryString, slashesDenoteHost): fills self
function Url:parse(url, parseQueryString, slashesDenoteHost)
  if type(url) ~= "string" then errors.invalidArgType("url", "of type string", url, 3) end

  -- trim, and turn backslashes into slashes up to the first ? or #
  local rest = trim(url)
  local split = find(rest, "[?#]") or #rest + 1
  local head = sub(rest, 1, split - 1)
  local hasAt = find(head, "@", 1, true) ~= nil
  local hasHash = find(rest, "#", 1, true) ~= nil
  if find(head, "\\", 1, true) then rest = head:gsub("\\", "/") .. sub(rest, split) end

  if not slashesDenoteHost and not hasHash and not hasAt then
    -- a plain path, maybe with a query
    if byte(rest, 1) == 47 and sub(rest, 1, 3) ~= "///" and not hasJsSpace(rest) then
      self.path, self.href = rest, rest
      local q = find(rest, "?", 1, true)
      self.pathname = q and sub(rest, 1, q - 1) or rest
      if q then
        self.search = sub(rest, q)
        local query = sub(rest, q + 1)
        self.query = parseQueryString and parseQuery(query) or query
      elseif parseQueryString then
        self.search, self.query = nil, {}
      end
      return self
    end
  end

  local proto = rest:match("^[%w.+-]+:")
  local lowerProto
  if proto then
    lowerProto = proto:lower()
    self.protocol = lowerProto
    rest = sub(rest, #proto + 1)
  end

  local slashes
  if slashesDenoteHost or proto or find(rest, "^//[^@/]+@[^@/]+") then
    slashes = sub(rest, 1, 2) == "//"
    if slashes and not (proto and HOSTLESS[lowerProto]) then
      rest = sub(rest, 3)
      self.slashes = true
    end
  end

  if not HOSTLESS[lowerProto] and (slashes or (proto and not SLASHED[proto])) then
    rest = parseAuthority(self, rest, url)
  end

  if not UNSAFE[lowerProto] then
    rest = rest:gsub("[\t\n\r \"'<>\\^`{|}]", AUTO_ESCAPE)
  end

  local hashAt = find(rest, "#", 1, true)
  local questionAt = find(rest, "?", 1, true)
  if hashAt then
    self.hash = sub(rest, hashAt)
    if questionAt and questionAt > hashAt then questionAt = nil end
  end
  local tail = hashAt or #rest + 1
  if questionAt then
    self.search = sub(rest, questionAt, tail - 1)
    local query = sub(rest, questionAt + 1, tail - 1)
    self.query = parseQueryString and parseQuery(query) or query
  elseif parseQueryString then
    self.search, self.query = nil, {}
  end
  local first = questionAt or hashAt
  if first == nil then
    if rest ~= "" then self.pathname = rest end
  elseif first > 1 then
    self.pathname = sub(rest, 1, first - 1)
  end
  if SLASHED[lowerProto] and truthy(self.hostname) and not truthy(self.pathname) then
    self.pathname = "/"
  end
  if truthy(self.pathname) or truthy(self.search) then
    self.path = (self.pathname or "") .. (self.search or "")
  end
  self.href = self:format()
  return self
end

-- the authority: auth, host, port, hostname; returns what follows it
function parseAuthority(self, rest, url)
  -- find the end of the host (tabs and newlines in it are dropped) and the
  -- last @ before it
  local atSign, nonHost
  local i = 1
  while i <= #rest do
    local b = byte(rest, i)
    if b == 9 or b == 10 or b == 13 then
      rest = sub(rest, 1, i - 1) .. sub(rest, i + 1)
    else
      if NON_HOST[b] then
        nonHost = nonHost or i
      elseif HOST_END[b] then
        nonHost = nonHost or i
        break
      elseif b == 64 then
        atSign, nonHost = i, nil
      end
      i = i + 1
    end
  end
  local start = 1
  if atSign then
    self.auth = percent.decodeURIComponent(sub(rest, 1, atSign - 1), 3)
    start = atSign + 1
  end
  if nonHost then
    self.host = sub(rest, start, nonHost - 1)
    rest = sub(rest, nonHost)
  else
    self.host = sub(rest, start)
    rest = ""
  end

  -- the port
  local host = self.host
  local port = host:match(":(%d*)$")
  if port then
    if port ~= "" then self.port = port end
    host = sub(host, 1, #host - #port - 1)
  end
  if host ~= "" then self.hostname = host end
  local hostname = self.hostname or ""

  local ipv6 = isIPv6Hostname(hostname)
  if not ipv6 then
    -- a host name ends at the first / \ # ? or :; the rest goes to the path
    local cut = find(hostname, "[/\\#?:]")
    if cut then
      if byte(hostname, cut) == 58 then
        errors.deprecate("DEP0170", "The URL " .. url .. " is invalid. Future versions of Node.js will throw an error.")
      end
      rest = "/" .. sub(hostname, cut) .. rest
      hostname = sub(hostname, 1, cut - 1)
    end
  end

  if utf16Length(hostname) > 255 then
    hostname = ""
  else
    hostname = hostname:lower()
  end

  if hostname ~= "" then
    if ipv6 then
      if find(hostname, FORBIDDEN_IPV6) then invalidURL(url, 3) end
    else
      hostname = idna.toASCII(hostname:match("^[^\0]*")) or ""
      if hostname == "" or find(hostname, FORBIDDEN) then invalidURL(url, 3) end
    end
  end

  self.host = hostname .. (truthy(self.port) and ":" .. self.port or "")
  self.hostname = hostname
  if ipv6 then
    self.hostname = sub(hostname, 2, -2)
    if byte(rest, 1) ~= 47 then rest = "/" .. rest end
  end
  return rest
end

-- auth is written with all but A-Z a-z 0-9 - . _ ~ ! ' ( ) * : escaped
local AUTH_ESCAPED = {}
for b in pairs(querystring.ESCAPED) do AUTH_ESCAPED[b] = true end
AUTH_ESCAPED[58] = nil

-- format(obj): the href of a Url, or of any table with a Url's fields
local function format(self)
  local auth = truthy(self.auth) and percent.encode(str(self.auth), AUTH_ESCAPED) .. "@" or ""
  local protocol = truthy(self.protocol) and str(self.protocol) or ""
  local pathname = truthy(self.pathname) and str(self.pathname) or ""
  local hash = truthy(self.hash) and str(self.hash) or ""
  local host, query = "", ""

  if truthy(self.host) then
    host = auth .. str(self.host)
  elseif truthy(self.hostname) then
    local hostname = str(self.hostname)
    if find(hostname, ":", 1, true) and not isIPv6Hostname(hostname) then hostname = "[" .. hostname .. "]" end
    host = auth .. hostname
    if truthy(self.port) then host = host .. ":" .. str(self.port) end
  end

  if type(self.query) == "table" then query = querystring.stringify(self.query) end
  local search = truthy(self.search) and str(self.search) or (query ~= "" and "?" .. query) or ""

  if protocol ~= "" and sub(protocol, -1) ~= ":" then protocol = protocol .. ":" end
  pathname = pathname:gsub("[#?]", { ["#"] = "%23", ["?"] = "%3F" })

  if truthy(self.slashes) or SLASHED[protocol] then
    if truthy(self.slashes) or host ~= "" then
      if pathname ~= "" and byte(pathname, 1) ~= 47 then pathname = "/" .. pathname end
      host = "//" .. host
    elseif sub(protocol, 1, 4) == "file" then
      host = "//"
    end
  end

  search = search:gsub("#", "%%23")
  if hash ~= "" and byte(hash, 1) ~= 35 then hash = "#" .. hash end
  if search ~= "" and byte(search, 1) ~= 63 then search = "?" .. search end
  return protocol .. host .. pathname .. search .. hash
end
M.format = format
Url.format = format

-- parse(url[, parseQueryString][, slashesDenoteHost]) -> Url (a Url is
-- given back as it is)
function M.parse(url, parseQueryString, slashesDenoteHost)
  if events.instanceOf(url, Url) then return url end
  local u = Url.new()
  u:parse(url, parseQueryString, slashesDenoteHost)
  return u
end

function Url:init() end

local function copy(from, to, skip)
  for _, k in ipairs(FIELDS) do
    if k ~= skip then to[k] = from[k] end
  end
  for k, v in pairs(from) do
    if k ~= skip then to[k] = v end
  end
end

-- split(s, sep) as JavaScript's: "" gives { "" }
local function split(s, sep)
  local out, pos = {}, 1
  while true do
    local at = find(s, sep, pos, true)
    if not at then out[#out + 1] = sub(s, pos); return out end
    out[#out + 1] = sub(s, pos, at - 1)
    pos = at + #sep
  end
end

local function setPath(r)
  if r.pathname ~= nil or r.search ~= nil then
    r.path = (truthy(r.pathname) and r.pathname or "") .. (truthy(r.search) and r.search or "")
  end
end

-- the host and auth of a non-slashed URL sometimes sit together in host
local function splitAuthInHost(r)
  local host = r.host
  if truthy(host) and (find(host, "@", 2, true)) then
    local parts = split(host, "@")
    r.auth = parts[1]
    r.host, r.hostname = parts[2], parts[2]
  end
end

function Url:resolveObject(relative)
  if type(relative) == "string" then
    relative = M.parse(relative, false, true)
  end
  local result = Url.new()
  copy(self, result)
  result.hash = relative.hash

  if relative.href == "" then
    result.href = format(result)
    return result
  end

  -- //host/path: everything but the protocol from relative
  if truthy(relative.slashes) and not truthy(relative.protocol) then
    copy(relative, result, "protocol")
    if SLASHED[result.protocol] and truthy(result.hostname) and not truthy(result.pathname) then
      result.pathname, result.path = "/", "/"
    end
    result.href = format(result)
    return result
  end

  if truthy(relative.protocol) and relative.protocol ~= result.protocol then
    if not SLASHED[relative.protocol] then
      copy(relative, result)
      result.href = format(result)
      return result
    end
    result.protocol = relative.protocol
    if not truthy(relative.host) and not find(relative.protocol, "^file:?$") and not HOSTLESS[relative.protocol] then
      local relPath = split(relative.pathname or "", "/")
      repeat
        relative.host = table.remove(relPath, 1)
      until #relPath == 0 or truthy(relative.host)
      if not truthy(relative.host) then relative.host = "" end
      if not truthy(relative.hostname) then relative.hostname = "" end
      if relPath[1] ~= "" then table.insert(relPath, 1, "") end
      if #relPath < 2 then table.insert(relPath, 1, "") end
      result.pathname = table.concat(relPath, "/")
    else
      result.pathname = relative.pathname
    end
    result.search, result.query = relative.search, relative.query
    result.host = truthy(relative.host) and relative.host or ""
    result.auth = relative.auth
    result.hostname = truthy(relative.hostname) and relative.hostname or relative.host
    result.port = relative.port
    if truthy(result.pathname) or truthy(result.search) then
      result.path = (result.pathname or "") .. (result.search or "")
    end
    result.slashes = result.slashes or relative.slashes
    result.href = format(result)
    return result
  end

  local isSourceAbs = truthy(result.pathname) and byte(result.pathname, 1) == 47
  local isRelAbs = truthy(relative.host) or (truthy(relative.pathname) and byte(relative.pathname, 1) == 47)
  local mustEndAbs = isRelAbs or isSourceAbs or (truthy(result.host) and truthy(relative.pathname))
  local removeAllDots = mustEndAbs
  local srcPath = truthy(result.pathname) and split(result.pathname, "/") or {}
  local relPath = truthy(relative.pathname) and split(relative.pathname, "/") or {}
  local noLeadingSlashes = truthy(result.protocol) and not SLASHED[result.protocol]

  -- a URL without slashes: ../.. may climb into the host, which becomes
  -- the first path segment for now
  if noLeadingSlashes then
    result.hostname, result.port = "", nil
    if truthy(result.host) then
      if srcPath[1] == "" then srcPath[1] = result.host else table.insert(srcPath, 1, result.host) end
    end
    result.host = ""
    if truthy(relative.protocol) then
      relative.hostname, relative.port, result.auth = nil, nil, nil
      if truthy(relative.host) then
        if relPath[1] == "" then relPath[1] = relative.host else table.insert(relPath, 1, relative.host) end
      end
      relative.host = nil
    end
    mustEndAbs = mustEndAbs and (relPath[1] == "" or srcPath[1] == "")
  end

  if isRelAbs then
    if truthy(relative.host) or relative.host == "" then
      if result.host ~= relative.host then result.auth = nil end
      result.host, result.port = relative.host, relative.port
    end
    if truthy(relative.hostname) or relative.hostname == "" then
      if result.hostname ~= relative.hostname then result.auth = nil end
      result.hostname = relative.hostname
    end
    result.search, result.query = relative.search, relative.query
    srcPath = relPath
  elseif #relPath > 0 then
    srcPath[#srcPath] = nil
    for _, seg in ipairs(relPath) do srcPath[#srcPath + 1] = seg end
    result.search, result.query = relative.search, relative.query
  elseif relative.search ~= nil then
    -- only a new query
    if noLeadingSlashes then
      local h = table.remove(srcPath, 1)
      result.hostname, result.host = h, h
      splitAuthInHost(result)
    end
    result.search, result.query = relative.search, relative.query
    setPath(result)
    result.href = format(result)
    return result
  end

  if #srcPath == 0 then
    result.pathname = nil
    result.path = truthy(result.search) and "/" .. result.search or nil
    result.href = format(result)
    return result
  end

  -- a path ending in . or .. gets a trailing slash, one ending in
  -- anything else keeps what it had
  local last = srcPath[#srcPath]
  local hasTrailingSlash = ((truthy(result.host) or truthy(relative.host) or #srcPath > 1)
    and (last == "." or last == "..")) or last == ""

  local up = 0
  for i = #srcPath, 1, -1 do
    last = srcPath[i]
    if last == "." then
      table.remove(srcPath, i)
    elseif last == ".." then
      table.remove(srcPath, i)
      up = up + 1
    elseif up > 0 then
      table.remove(srcPath, i)
      up = up - 1
    end
  end

  if not truthy(mustEndAbs) and not truthy(removeAllDots) then
    for _ = 1, up do table.insert(srcPath, 1, "..") end
  end

  if truthy(mustEndAbs) and srcPath[1] ~= "" and (not truthy(srcPath[1]) or byte(srcPath[1], 1) ~= 47) then
    table.insert(srcPath, 1, "")
  end

  if hasTrailingSlash and sub(table.concat(srcPath, "/"), -1) ~= "/" then
    srcPath[#srcPath + 1] = ""
  end

  local isAbsolute = srcPath[1] == "" or (truthy(srcPath[1]) and byte(srcPath[1], 1) == 47)

  if noLeadingSlashes then
    local h = isAbsolute and "" or (#srcPath > 0 and table.remove(srcPath, 1) or "")
    result.hostname, result.host = h, h
    splitAuthInHost(result)
  end

  mustEndAbs = truthy(mustEndAbs) or (truthy(result.host) and #srcPath > 0)
  if mustEndAbs and not isAbsolute then table.insert(srcPath, 1, "") end

  if #srcPath == 0 then
    result.pathname, result.path = nil, nil
  else
    result.pathname = table.concat(srcPath, "/")
  end
  setPath(result)
  result.auth = truthy(relative.auth) and relative.auth or result.auth
  result.slashes = result.slashes or relative.slashes
  result.href = format(result)
  return result
end

function Url:resolve(relative)
  return format(self:resolveObject(M.parse(relative, false, true)))
end

function M.resolve(from, to)
  return M.parse(from, false, true):resolve(to)
end

function M.resolveObject(source, relative)
  if not truthy(source) then return relative end
  return M.parse(source, false, true):resolveObject(relative)
end

return M
