-- luatls.url: Node's url module: the WHATWG URL and URLSearchParams
-- classes, and the legacy url.parse/format/resolve.
--
--   local url = require("url")
--   local u = url.URL.new("/docs?q=tls", "https://example.org")  -- or URL(...)
--   u.href, u.origin, u.protocol, u.username, u.password, u.host,
--   u.hostname, u.port, u.pathname, u.search, u.searchParams, u.hash
--   u.port = 8443; u.searchParams:append("page", 2); tostring(u)
--   url.URL.canParse(input[, base]), url.URL.parse(input[, base])
--   url.URLSearchParams.new("a=1&b=2")         (internal/url/searchparams.lua)
--   url.domainToASCII("español.com"), url.domainToUnicode("xn--...")
--   url.fileURLToPath(urlOrString), url.pathToFileURL(path)
--   url.urlToHttpOptions(u) -> { protocol, hostname, hash, search,
--     pathname, path, href, port (a number), auth } for http.request
--   url.format(URL[, { auth, fragment, search, unicode }])
--   url.parse(s[, parseQueryString[, slashesDenoteHost]]) -> Url,
--   url.format(urlObject | string), url.resolve(from, to),
--   url.resolveObject(from, to)                (internal/url/legacy.lua)
--
-- The parser is the WHATWG URL Standard's state machine, in the edition
-- Node 20 implements (paths keep "^", which the Standard has encoded since
-- 2024): internal/url/whatwg.lua, hosts in internal/url/host.lua. Invalid
-- input raises a TypeError with code ERR_INVALID_URL, message "Invalid
-- URL" and `input` (and `base`), as Node. Node's null is nil (a Url's
-- absent fields, searchParams:get of a missing name); assigning nil to a
-- URL property assigns "".
--
-- Where Node 20 leaves the Standard, luatls follows the Standard (and
-- spec/url_spec.lua asserts each place, against Node):
--   - a reference other than a fragment against a base with an opaque
--     path is invalid (Node 20 resolves "x#f" against "sc:o" to "sc:o/x#f");
--   - ".." emptying a non-special path leaves an empty segment:
--     "sc://h/.." is "sc://h/" (Node 20: "sc://h");
--   - only a two-letter segment ("c:") is a drive letter that ".." keeps:
--     "file:///a:b/.." is "file:///" (Node 20: "file:///a:b/");
--   - the base's empty query stays: "#f" against "http://h/p?" is
--     "http://h/p?#f" (Node 20: "http://h/p#f");
--   - url.port = "h:81" leaves the port (Node 20 removes it);
--   - URLSearchParams: a bad escape next to non-ASCII text becomes one
--     U+FFFD, the text stays (Node 20 garbles the text too).
--
-- Limits (each documented where it lives):
--   - Non-ASCII host names go through internal/url/idna.lua: Punycode and
--     a part of UTS #46 (ASCII, Latin, Greek, Cyrillic, CJK, kana, Hangul,
--     emoji, full-width forms). Host names in other scripts, with
--     combining marks or right-to-left letters raise ERR_INVALID_URL
--     (domainToASCII gives ""), where Node may accept them.
--   - Strings are UTF-8; invalid sequences are read as U+FFFD.
--   - fileURLToPath and pathToFileURL are POSIX's (no `windows` option);
--     fileURLToPath decodes to bytes (a Lua path may be any bytes) and
--     raises URIError only for a % without two hex digits.
--   - Key order: a table has none, so URLSearchParams.new(map) and
--     url.format({ query = map }) take the keys sorted.
--   - No URL.createObjectURL (there is no Blob).
local errors = require("luatls.errors")
local legacy = require("luatls.internal.url.legacy")
local percent = require("luatls.internal.url.percent")
local searchparams = require("luatls.internal.url.searchparams")
local whatwg = require("luatls.internal.url.whatwg")
local idna = require("luatls.internal.url.idna")

local M = {}

M.URL = whatwg.URL
M.URLSearchParams = searchparams.URLSearchParams
M.Url = legacy.Url
M.parse = legacy.parse
M.resolve = legacy.resolve
M.resolveObject = legacy.resolveObject

local function jsTruthy(v) return v ~= nil and v ~= false and v ~= 0 and v ~= "" end

-- the host name a "ws:" URL would get (Node's way: the hostname setter),
-- or nil
local function hostOf(domain, level)
  if domain == nil then
    errors.throw("ERR_MISSING_ARGS", 'The "domain" argument must be specified', { name = "TypeError" }, level + 1)
  end
  domain = whatwg.text(domain)
  if domain == "" then return nil end
  local r = whatwg.parse("ws://x")
  if whatwg.setHostname(r, domain) == nil then return nil end
  return r.host
end

function M.domainToASCII(domain)
  return hostOf(domain, 2) or ""
end

function M.domainToUnicode(domain)
  local host = hostOf(domain, 2)
  return host and idna.toUnicode(host) or ""
end

-- format(URL[, options]) / format(urlObject) / format(string)
function M.format(urlObject, options)
  if type(urlObject) == "string" then
    return legacy.parse(urlObject):format()
  end
  if type(urlObject) ~= "table" then
    errors.invalidArgType("urlObject", "one of type object or string", urlObject)
  end
  local r = whatwg.recordOf(urlObject)
  if r == nil then return legacy.format(urlObject) end
  local fragment, unicode, search, auth = true, false, true, true
  if options ~= nil then
    if type(options) ~= "table" then errors.invalidArgType("options", "of type object", options) end
    if options.fragment ~= nil then fragment = jsTruthy(options.fragment) end
    if options.unicode ~= nil then unicode = jsTruthy(options.unicode) end
    if options.search ~= nil then search = jsTruthy(options.search) end
    if options.auth ~= nil then auth = jsTruthy(options.auth) end
  end
  r = whatwg.copyRecord(r)
  if not fragment then r.fragment = nil end
  if not search then r.query = nil end
  if not auth then r.username, r.password = "", "" end
  if unicode and r.host then r.host = idna.toUnicode(r.host) or r.host end
  return whatwg.serialize(r)
end

---------------------------------------------------------------------------
-- file: URLs (POSIX)

-- path.resolve: absolute, normalized, without a trailing slash
local function resolve(path)
  if path:sub(1, 1) ~= "/" then
    path = require("luatls.process").cwd() .. "/" .. path
  end
  local parts = {}
  for seg in path:gmatch("[^/]+") do
    if seg == ".." then
      parts[#parts] = nil
    elseif seg ~= "." then
      parts[#parts + 1] = seg
    end
  end
  return "/" .. table.concat(parts, "/")
end

-- what pathToFileURL escapes before the URL parser sees the path (which
-- escapes the rest)
local PATH_ESCAPED = {}
for c in ("%\\\n\r\t \"#<>?[]^`{|}~\127"):gmatch(".") do PATH_ESCAPED[c:byte()] = true end

function M.pathToFileURL(path)
  if type(path) ~= "string" then errors.invalidArgType("path", "of type string", path) end
  local resolved = resolve(path)
  if path:sub(-1) == "/" and resolved:sub(-1) ~= "/" then resolved = resolved .. "/" end
  local r = whatwg.parse("file://" .. percent.encode(resolved, PATH_ESCAPED))
  return whatwg.fromRecord(r)
end

function M.fileURLToPath(u)
  if type(u) == "string" then
    u = M.URL.new(u)
  elseif not whatwg.isURL(u) then
    errors.invalidArgType("path", "of type string or an instance of URL", u)
  end
  local r = whatwg.recordOf(u)
  if r.scheme ~= "file" then
    errors.throw("ERR_INVALID_URL_SCHEME", "The URL must be of scheme file", { name = "TypeError" })
  end
  if r.host ~= "" then
    errors.throw("ERR_INVALID_FILE_URL_HOST",
      string.format('File URL host must be "localhost" or empty on %s', require("luatls.process").platform),
      { name = "TypeError" })
  end
  local pathname = u.pathname
  if pathname:find("%%2[fF]") then
    errors.throw("ERR_INVALID_FILE_URL_PATH", "File URL path must not include encoded / characters",
      { name = "TypeError" })
  end
  for at in pathname:gmatch("()%%") do
    if not pathname:sub(at + 1, at + 2):match("^%x%x$") then
      error(errors.new(nil, "URI malformed", { name = "URIError" }), 2)
    end
  end
  return percent.decode(pathname)
end

-- urlToHttpOptions(url): the options http.request takes, from a URL (or
-- any table with a URL's fields); the URL's own fields are copied too, as
-- Node copies an extended URL's
function M.urlToHttpOptions(u)
  local options = {}
  for k, v in pairs(u) do options[k] = v end
  local hostname, pathname, search = u.hostname, u.pathname, u.search
  options.protocol = u.protocol
  if type(hostname) == "string" and hostname:sub(1, 1) == "[" then hostname = hostname:sub(2, -2) end
  options.hostname = hostname
  options.hash = u.hash
  options.search = search
  options.pathname = pathname
  options.path = (jsTruthy(pathname) and pathname or "") .. (jsTruthy(search) and search or "")
  options.href = u.href
  local port = u.port
  if port ~= nil and port ~= "" then options.port = tonumber(port) end
  local username, password = u.username, u.password
  if jsTruthy(username) or jsTruthy(password) then
    options.auth = percent.decodeURIComponent(username or "", 2) .. ":" .. percent.decodeURIComponent(password or "", 2)
  end
  return options
end

return M
