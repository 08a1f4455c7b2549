-- luatls.internal.url.whatwg: the WHATWG URL Standard's basic URL parser
-- (its state machine, state overrides for the setters), the URL
-- serializer and Node's URL class over them. The face is
-- lua/luatls/url.lua; hosts are internal/url/host.lua's, searchParams
-- internal/url/searchparams.lua's.
--
--   local u = URL.new("https://user:pw@example.com:8443/a/../b?q=1#top")
--   u.href, u.origin, u.protocol, u.username, u.password, u.host,
--   u.hostname, u.port, u.pathname, u.search, u.searchParams, u.hash
--   u.pathname = "/c"          -- setters as Node's (the Standard's)
--   u:toString(), u:toJSON(), tostring(u)
--   URL.canParse(input[, base]), URL.parse(input[, base]) -> URL or nil
--
--   whatwg.parse(input[, base]) -> a URL record or nil (base: a record)
--   whatwg.serialize(record[, excludeFragment]) -> href
--   whatwg.recordOf(url) -> the record behind a URL (for url.lua)
--
-- A record: scheme, username, password, host (nil or the serialized
-- host), port (nil or an integer), path (a list of segments, or a string:
-- an opaque path), query and fragment (nil or strings).
--
-- As Node (and the Standard): properties are getters and setters;
-- assigning an invalid value to one is ignored, but an invalid href raises
-- ERR_INVALID_URL. Differs: assigning nil to a property assigns "" (Node's
-- undefined would become the text "undefined"). Strings that are not
-- UTF-8 are read with each invalid sequence as U+FFFD.
local errors = require("luatls.errors")
local events = require("luatls.events")
local formatNumber = require("luatls.util").formatNumber
local hostParser = require("luatls.internal.url.host")
local percent = require("luatls.internal.url.percent")
local searchparams = require("luatls.internal.url.searchparams")

local byte, sub, find, concat = string.byte, string.sub, string.find, table.concat
local encode, SETS = percent.encode, percent.SETS

local M = {}

-- special schemes and their default ports (file has none)
local SPECIAL = { ftp = 21, file = false, http = 80, https = 443, ws = 80, wss = 443 }
M.SPECIAL = SPECIAL

local function isSpecial(scheme) return SPECIAL[scheme] ~= nil end

-- states
local SCHEME_START, SCHEME, NO_SCHEME, SPECIAL_RELATIVE_OR_AUTHORITY = 1, 2, 3, 4
local PATH_OR_AUTHORITY, RELATIVE, RELATIVE_SLASH, SPECIAL_AUTHORITY_SLASHES = 5, 6, 7, 8
local SPECIAL_AUTHORITY_IGNORE_SLASHES, AUTHORITY, HOST, HOSTNAME, PORT = 9, 10, 11, 12, 13
local FILE, FILE_SLASH, FILE_HOST, PATH_START, PATH, OPAQUE_PATH = 14, 15, 16, 17, 18, 19
local QUERY, FRAGMENT = 20, 21

local B_SLASH, B_BACKSLASH, B_QUESTION, B_HASH, B_COLON, B_AT = 47, 92, 63, 35, 58, 64
local B_LBRACKET, B_RBRACKET = 91, 93

local function isAlpha(c) return c ~= nil and ((c >= 65 and c <= 90) or (c >= 97 and c <= 122)) end
local function isDigit(c) return c ~= nil and c >= 48 and c <= 57 end

local function newRecord()
  return { scheme = "", username = "", password = "", host = nil, port = nil, path = {},
    query = nil, fragment = nil }
end

local function copyPath(path)
  if type(path) == "string" then return path end
  local t = {}
  for i = 1, #path do t[i] = path[i] end
  return t
end

local function copyRecord(r)
  return { scheme = r.scheme, username = r.username, password = r.password, host = r.host, port = r.port,
    path = copyPath(r.path), query = r.query, fragment = r.fragment }
end
M.copyRecord = copyRecord

local function includesCredentials(r) return r.username ~= "" or r.password ~= "" end

-- Windows drive letters ("C:", "c|") and the file-URL quirks built on them
local function isDriveLetter(s)
  return #s == 2 and isAlpha(byte(s, 1)) and (byte(s, 2) == B_COLON or byte(s, 2) == 124)
end
local function isNormalizedDriveLetter(s)
  return #s == 2 and isAlpha(byte(s, 1)) and byte(s, 2) == B_COLON
end
local function startsWithDriveLetter(input, p)
  if not isDriveLetter(sub(input, p, p + 1)) then return false end
  local third = byte(input, p + 2)
  return third == nil or third == B_SLASH or third == B_BACKSLASH or third == B_QUESTION or third == B_HASH
end

local function shorten(r)
  local path = r.path
  if r.scheme == "file" and #path == 1 and isNormalizedDriveLetter(path[1]) then return end
  path[#path] = nil
end

-- at a ? or a #: the query or the fragment starts, empty; the state it
-- goes on in (nil for any other byte)
local function queryOrFragment(url, c)
  if c == B_QUESTION then
    url.query = ""
    return QUERY
  elseif c == B_HASH then
    url.fragment = ""
    return FRAGMENT
  end
end

local SINGLE_DOT = { ["."] = true, ["%2e"] = true }
local DOUBLE_DOT = { [".."] = true, [".%2e"] = true, ["%2e."] = true, ["%2e%2e"] = true }

-- the bytes that end a path segment: special or not, with or without a
-- state override (the pathname setter keeps ? and #)
local SEGMENT_END = {
  [true] = { [false] = "[/\\?#]", [true] = "[/\\]" },
  [false] = { [false] = "[/?#]", [true] = "/" },
}

local function trimControls(s)
  local first = 1
  while true do
    local b = byte(s, first)
    if b == nil or b > 32 then break end
    first = first + 1
  end
  local last = #s
  while last >= first and byte(s, last) <= 32 do last = last - 1 end
  return sub(s, first, last)
end

-- Runs of bytes a state takes at once (the Standard takes them one by one,
-- to the same effect): a scheme's, a port's, and what runs up to the next
-- byte that matters in the authority, host and file host states.
local SCHEME_RUN, DIGITS_RUN = "^[%w+%-.]*", "^%d*"
local AUTHORITY_STOP = { [true] = "[@/?#\\]", [false] = "[@/?#]" }
local HOST_STOP = { [true] = "[:/?#\\%[%]]", [false] = "[:/?#%[%]]" }
local FILE_HOST_STOP = "[/\\?#]"

-- parse(input[, base][, url, override]) -> the record, or nil for failure.
-- With url and override (a state), it is the setters' parse: url is
-- changed in place.
--
-- The Standard's buffer is, in most states, a run of the input: `from` is
-- where it starts (nil: empty), so buffer = input:sub(from, p - 1). In the
-- path state it is `buf`, the segment's encoded pieces.
local function parse(input, base, url, override)
  if url == nil then
    url = newRecord()
    input = trimControls(input)
  end
  if find(input, "[\t\n\r]") then input = input:gsub("[\t\n\r]", "") end
  input = percent.utf8(input)

  local state = override or SCHEME_START
  local from
  local buf, bn = {}, 0
  local atSignSeen, insideBrackets, passwordTokenSeen = false, false, false
  local n, p = #input, 1
  local special = isSpecial(url.scheme)

  local function buffer() return from and sub(input, from, p - 1) or "" end

  while true do
    local c = byte(input, p)

    if state == PATH then
      local slash = c == B_SLASH or (special and c == B_BACKSLASH)
      if c == nil or slash or (not override and (c == B_QUESTION or c == B_HASH)) then
        local segment = concat(buf, "", 1, bn)
        local path = url.path
        local lower = #segment <= 6 and segment:lower()
        if lower and DOUBLE_DOT[lower] then
          shorten(url)
          if not slash then path[#path + 1] = "" end
        elseif lower and SINGLE_DOT[lower] then
          if not slash then path[#path + 1] = "" end
        else
          if url.scheme == "file" and #path == 0 and isDriveLetter(segment) then
            segment = sub(segment, 1, 1) .. ":"
          end
          path[#path + 1] = segment
        end
        bn = 0
        state = queryOrFragment(url, c) or state
      else
        local stop = (find(input, SEGMENT_END[special][override ~= nil], p) or n + 1) - 1
        bn = bn + 1; buf[bn] = encode(sub(input, p, stop), SETS.path)
        p = stop
      end

    elseif state == SCHEME_START then
      if isAlpha(c) then
        from = p
        state = SCHEME
      elseif not override then
        state = NO_SCHEME
        p = p - 1
      else
        return nil
      end

    elseif state == SCHEME then
      local _, stop = find(input, SCHEME_RUN, p)
      p = stop + 1
      c = byte(input, p)
      if c == B_COLON then
        local scheme = buffer():lower()
        if override then
          if isSpecial(url.scheme) ~= isSpecial(scheme) then return url end
          if (includesCredentials(url) or url.port ~= nil) and scheme == "file" then return url end
          if url.scheme == "file" and url.host == "" then return url end
        end
        url.scheme = scheme
        special = isSpecial(scheme)
        if override then
          if url.port ~= nil and url.port == SPECIAL[scheme] then url.port = nil end
          return url
        end
        from = nil
        if scheme == "file" then
          state = FILE
        elseif special and base and base.scheme == scheme then
          state = SPECIAL_RELATIVE_OR_AUTHORITY
        elseif special then
          state = SPECIAL_AUTHORITY_SLASHES
        elseif byte(input, p + 1) == B_SLASH then
          state = PATH_OR_AUTHORITY
          p = p + 1
        else
          url.path = ""
          state = OPAQUE_PATH
        end
      elseif not override then
        from = nil
        state = NO_SCHEME
        p = 0
      else
        return nil
      end

    elseif state == NO_SCHEME then
      local opaque = base and type(base.path) == "string"
      if base == nil or (opaque and c ~= B_HASH) then
        return nil
      elseif opaque then
        url.scheme, url.path, url.query, url.fragment = base.scheme, base.path, base.query, ""
        special = isSpecial(url.scheme)
        state = FRAGMENT
      elseif base.scheme ~= "file" then
        state = RELATIVE
        p = p - 1
      else
        state = FILE
        p = p - 1
      end

    elseif state == SPECIAL_RELATIVE_OR_AUTHORITY then
      if c == B_SLASH and byte(input, p + 1) == B_SLASH then
        state = SPECIAL_AUTHORITY_IGNORE_SLASHES
        p = p + 1
      else
        state = RELATIVE
        p = p - 1
      end

    elseif state == PATH_OR_AUTHORITY then
      if c == B_SLASH then
        state = AUTHORITY
      else
        state = PATH
        p = p - 1
      end

    elseif state == RELATIVE then
      url.scheme = base.scheme
      special = isSpecial(url.scheme)
      if c == B_SLASH or (special and c == B_BACKSLASH) then
        state = RELATIVE_SLASH
      else
        url.username, url.password, url.host, url.port = base.username, base.password, base.host, base.port
        url.path, url.query = copyPath(base.path), base.query
        local next = queryOrFragment(url, c)
        if next then
          state = next
        elseif c ~= nil then
          url.query = nil
          shorten(url)
          state = PATH
          p = p - 1
        end
      end

    elseif state == RELATIVE_SLASH then
      if special and (c == B_SLASH or c == B_BACKSLASH) then
        state = SPECIAL_AUTHORITY_IGNORE_SLASHES
      elseif c == B_SLASH then
        state = AUTHORITY
      else
        url.username, url.password, url.host, url.port = base.username, base.password, base.host, base.port
        state = PATH
        p = p - 1
      end

    elseif state == SPECIAL_AUTHORITY_SLASHES then
      state = SPECIAL_AUTHORITY_IGNORE_SLASHES
      if c == B_SLASH and byte(input, p + 1) == B_SLASH then
        p = p + 1
      else
        p = p - 1
      end

    elseif state == SPECIAL_AUTHORITY_IGNORE_SLASHES then
      if c ~= B_SLASH and c ~= B_BACKSLASH then
        state = AUTHORITY
        p = p - 1
      end

    elseif state == AUTHORITY then
      from = from or p
      if c == B_AT then
        local s = buffer()
        if atSignSeen then s = "%40" .. s end
        atSignSeen = true
        if not passwordTokenSeen then
          local colon = find(s, ":", 1, true)
          if colon then
            passwordTokenSeen = true
            url.username = url.username .. encode(sub(s, 1, colon - 1), SETS.userinfo)
            url.password = url.password .. encode(sub(s, colon + 1), SETS.userinfo)
          else
            url.username = url.username .. encode(s, SETS.userinfo)
          end
        else
          url.password = url.password .. encode(s, SETS.userinfo)
        end
        from = nil
      elseif c == nil or c == B_SLASH or c == B_QUESTION or c == B_HASH or (special and c == B_BACKSLASH) then
        if atSignSeen and from == p then return nil end
        p = from - 1 -- back to the start of the buffer: the host's
        from = nil
        state = HOST
      else
        p = (find(input, AUTHORITY_STOP[special], p + 1) or n + 1) - 1
      end

    elseif state == HOST or state == HOSTNAME then
      from = from or p
      if override and url.scheme == "file" then
        p = p - 1
        from = nil
        state = FILE_HOST
      elseif c == B_COLON and not insideBrackets then
        if from == p then return nil end
        if override == HOSTNAME then return nil end
        local host = hostParser.parse(buffer(), not special)
        if host == nil then return nil end
        url.host = host
        from = nil
        state = PORT
      elseif c == nil or c == B_SLASH or c == B_QUESTION or c == B_HASH or (special and c == B_BACKSLASH) then
        local s = buffer()
        p = p - 1
        if special and s == "" then
          return nil
        elseif override and s == "" and (includesCredentials(url) or url.port ~= nil) then
          return url
        end
        local host = hostParser.parse(s, not special)
        if host == nil then return nil end
        url.host = host
        from = nil
        state = PATH_START
        if override then return url end
      elseif c == B_LBRACKET then
        insideBrackets = true
      elseif c == B_RBRACKET then
        insideBrackets = false
      else
        p = (find(input, HOST_STOP[special], p + 1) or n + 1) - 1
      end

    elseif state == PORT then
      from = from or p
      if isDigit(c) then
        local _, stop = find(input, DIGITS_RUN, p)
        p = stop
      elseif c == nil or c == B_SLASH or c == B_QUESTION or c == B_HASH or (special and c == B_BACKSLASH)
          or override then
        if from < p then
          local port = tonumber(buffer())
          if port > 65535 then return nil end
          port = math.tointeger(port)
          url.port = port ~= SPECIAL[url.scheme] and port or nil
          from = nil
        end
        if override then return url end
        from = nil
        state = PATH_START
        p = p - 1
      else
        return nil
      end

    elseif state == FILE then
      url.scheme, url.host = "file", ""
      special = true
      if c == B_SLASH or c == B_BACKSLASH then
        state = FILE_SLASH
      elseif base and base.scheme == "file" then
        url.host, url.path, url.query = base.host, copyPath(base.path), base.query
        local next = queryOrFragment(url, c)
        if next then
          state = next
        elseif c ~= nil then
          url.query = nil
          if not startsWithDriveLetter(input, p) then shorten(url) else url.path = {} end
          state = PATH
          p = p - 1
        end
      else
        state = PATH
        p = p - 1
      end

    elseif state == FILE_SLASH then
      if c == B_SLASH or c == B_BACKSLASH then
        state = FILE_HOST
      else
        if base and base.scheme == "file" then
          url.host = base.host
          local first = type(base.path) == "table" and base.path[1]
          if not startsWithDriveLetter(input, p) and first and isNormalizedDriveLetter(first) then
            url.path[#url.path + 1] = first
          end
        end
        state = PATH
        p = p - 1
      end

    elseif state == FILE_HOST then
      from = from or p
      if c == nil or c == B_SLASH or c == B_BACKSLASH or c == B_QUESTION or c == B_HASH then
        local s = buffer()
        p = p - 1
        from = nil
        if not override and isDriveLetter(s) then
          -- the buffer is the path's first segment
          buf[1], bn = s, 1
          state = PATH
        elseif s == "" then
          url.host = ""
          if override then return url end
          state = PATH_START
        else
          local host = hostParser.parse(s, not special)
          if host == nil then return nil end
          if host == "localhost" then host = "" end
          url.host = host
          if override then return url end
          state = PATH_START
        end
      else
        p = (find(input, FILE_HOST_STOP, p + 1) or n + 1) - 1
      end

    elseif state == PATH_START then
      if special then
        state = PATH
        if c ~= B_SLASH and c ~= B_BACKSLASH then p = p - 1 end
      elseif not override and (c == B_QUESTION or c == B_HASH) then
        state = queryOrFragment(url, c)
      elseif c ~= nil then
        state = PATH
        if c ~= B_SLASH then p = p - 1 end
      elseif override and url.host == nil then
        url.path[#url.path + 1] = ""
      end

    elseif state == OPAQUE_PATH then
      if c == B_QUESTION or c == B_HASH then
        state = queryOrFragment(url, c)
      elseif c ~= nil then
        local stop = (find(input, "[?#]", p) or n + 1) - 1
        url.path = url.path .. encode(sub(input, p, stop), SETS.c0)
        p = stop
      end

    elseif state == QUERY then
      if not override and c == B_HASH then
        url.fragment = ""
        state = FRAGMENT
      elseif c ~= nil then
        local stop = override and n or (find(input, "#", p, true) or n + 1) - 1
        url.query = url.query .. encode(sub(input, p, stop), special and SETS.specialQuery or SETS.query)
        p = stop
      end

    elseif state == FRAGMENT then
      if c ~= nil then
        url.fragment = url.fragment .. encode(sub(input, p), SETS.fragment)
        p = n
      end
    end

    if p > n then break end
    p = p + 1
  end
  return url
end
M.parse = function(input, base) return parse(input, base) end
-- setHostname(record, value) -> the record, or nil where the hostname
-- setter's parse fails (domainToASCII's way, as Node's)
M.setHostname = function(r, v) return parse(v, nil, r, HOSTNAME) end

local function serializePath(r)
  local path = r.path
  if type(path) == "string" then return path end
  if #path == 0 then return "" end
  return "/" .. concat(path, "/")
end

local function serialize(r, excludeFragment)
  local out = { r.scheme, ":" }
  if r.host ~= nil then
    out[#out + 1] = "//"
    if includesCredentials(r) then
      out[#out + 1] = r.username
      if r.password ~= "" then out[#out + 1] = ":" .. r.password end
      out[#out + 1] = "@"
    end
    out[#out + 1] = r.host
    if r.port ~= nil then out[#out + 1] = ":" .. r.port end
  elseif type(r.path) == "table" and #r.path > 1 and r.path[1] == "" then
    out[#out + 1] = "/."
  end
  out[#out + 1] = serializePath(r)
  if r.query ~= nil then out[#out + 1] = "?" .. r.query end
  if not excludeFragment and r.fragment ~= nil then out[#out + 1] = "#" .. r.fragment end
  return concat(out)
end
M.serialize = serialize

local function origin(r)
  local scheme = r.scheme
  if scheme == "blob" then
    local inner = type(r.path) == "string" and parse(r.path)
    if inner and (inner.scheme == "http" or inner.scheme == "https") then return origin(inner) end
    return "null"
  end
  if SPECIAL[scheme] and scheme ~= "file" then
    return scheme .. "://" .. r.host .. (r.port and ":" .. r.port or "")
  end
  return "null"
end

-- an opaque path loses its trailing spaces once nothing follows it
local function stripTrailingSpaces(r)
  if type(r.path) ~= "string" or r.fragment ~= nil or r.query ~= nil then return end
  r.path = r.path:gsub(" +$", "")
end

---------------------------------------------------------------------------
-- The URL class

local URL = events.class(nil, "URL")
M.URL = URL

-- URL -> { r = record, params = URLSearchParams }; weak, and kept out of
-- the instance so its own fields are the user's (urlToHttpOptions copies
-- them, as Node copies an extended URL's)
local state = setmetatable({}, { __mode = "k" })

function M.recordOf(u)
  local s = state[u]
  return s and s.r
end

function M.isURL(v) return state[v] ~= nil end

-- Node's `${value}`: strings as they are, numbers as JavaScript prints
-- them, anything else through tostring (a URL gives its href)
local function text(v)
  if type(v) == "string" then return v end
  if type(v) == "number" then return formatNumber(v) end
  if v == nil then return "" end
  return tostring(v)
end
M.text = text

local function invalid(input, base, level)
  local fields = { name = "TypeError", input = input }
  if base ~= nil then fields.base = base end
  errors.throw("ERR_INVALID_URL", "Invalid URL", fields, level + 1)
end

-- parseWithBase(input, base) -> record or nil, the texts of input and base
local function parseWithBase(input, base)
  input = text(input)
  local baseRecord
  if base ~= nil then
    base = text(base)
    baseRecord = parse(base)
    if baseRecord == nil then return nil, input, base end
  end
  return parse(input, baseRecord), input, base
end

local function attach(self, r)
  state[self] = { r = r }
end

-- url.searchParams, made when first asked for: its changes set the query
local function paramsOf(self)
  local s = state[self]
  if s.params == nil then
    s.params = searchparams.attach(s.r.query, function(query)
      s.r.query = query
      if query == nil then stripTrailingSpaces(s.r) end
    end)
  end
  return s.params
end

-- URL.new(input[, base]); also URL(input[, base]), as Node's new URL
function URL:init(input, base)
  if input == nil then
    errors.throw("ERR_MISSING_ARGS", 'The "url" argument must be specified', { name = "TypeError" }, 3)
  end
  local r, inputText, baseText = parseWithBase(input, base)
  if r == nil then invalid(inputText, baseText, 3) end
  attach(self, r)
end

-- a URL made from a record already parsed (pathToFileURL and friends)
function M.fromRecord(r)
  local u = setmetatable({}, URL)
  attach(u, r)
  return u
end

function URL.canParse(input, base)
  if input == nil then
    errors.throw("ERR_MISSING_ARGS", 'The "url" argument must be specified', { name = "TypeError" })
  end
  return (parseWithBase(input, base)) ~= nil
end

-- URL.parse(input[, base]) -> a URL, or nil where new URL would raise
-- (Node 22's)
function URL.parse(input, base)
  if input == nil then
    errors.throw("ERR_MISSING_ARGS", 'The "url" argument must be specified', { name = "TypeError" })
  end
  local r = parseWithBase(input, base)
  return r and M.fromRecord(r) or nil
end

function URL:toString() return serialize(state[self].r) end
function URL:toJSON() return serialize(state[self].r) end
URL.__tostring = URL.toString

local function cannotHaveCredentialsOrPort(r)
  return r.host == nil or r.host == "" or r.scheme == "file"
end

local function property(name, get, set)
  events.defineProperty(URL, name, function(self) return get(state[self].r, self) end,
    set and function(self, v) set(state[self].r, text(v), self) end or nil)
end

property("href", function(r) return serialize(r) end, function(_, v, self)
  local r = parse(v)
  if r == nil then invalid(v, nil, 4) end
  local s = state[self]
  s.r = r
  if s.params then searchparams.replace(s.params, r.query) end
end)

property("origin", origin)

property("protocol", function(r) return r.scheme .. ":" end, function(r, v)
  parse(v .. ":", nil, r, SCHEME_START)
end)

property("username", function(r) return r.username end, function(r, v)
  if cannotHaveCredentialsOrPort(r) then return end
  r.username = encode(v, SETS.userinfo)
end)

property("password", function(r) return r.password end, function(r, v)
  if cannotHaveCredentialsOrPort(r) then return end
  r.password = encode(v, SETS.userinfo)
end)

property("host", function(r)
  if r.host == nil then return "" end
  if r.port == nil then return r.host end
  return r.host .. ":" .. r.port
end, function(r, v)
  if type(r.path) == "string" then return end
  parse(v, nil, r, HOST)
end)

property("hostname", function(r) return r.host or "" end, function(r, v)
  if type(r.path) == "string" then return end
  parse(v, nil, r, HOSTNAME)
end)

property("port", function(r) return r.port and tostring(r.port) or "" end, function(r, v)
  if cannotHaveCredentialsOrPort(r) then return end
  if v == "" then
    r.port = nil
  else
    parse(v, nil, r, PORT)
  end
end)

property("pathname", serializePath, function(r, v)
  if type(r.path) == "string" then return end
  r.path = {}
  parse(v, nil, r, PATH_START)
end)

-- search and hash: the part with its mark ("?", "#"), "" for none or empty
local function marked(field, mark)
  return function(r)
    local v = r[field]
    if v == nil or v == "" then return "" end
    return mark .. v
  end
end

-- setting search or hash: "" removes the part; else a leading mark goes
-- and the rest is parsed in `inState`. Returns what was parsed (nil: removed).
local function setMarked(r, field, mark, inState, v)
  if v == "" then
    r[field] = nil
    stripTrailingSpaces(r)
    return nil
  end
  if byte(v, 1) == mark then v = sub(v, 2) end
  r[field] = ""
  parse(v, nil, r, inState)
  return v
end

property("search", marked("query", "?"), function(r, v, self)
  local query = setMarked(r, "query", B_QUESTION, QUERY, v)
  local params = state[self].params -- (nil: not made yet)
  if params then searchparams.replace(params, query) end
end)

property("searchParams", function(_, self) return paramsOf(self) end)

property("hash", marked("fragment", "#"), function(r, v)
  setMarked(r, "fragment", B_HASH, FRAGMENT, v)
end)

return M
