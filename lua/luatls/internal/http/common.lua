-- luatls.internal.http.common: what the http server, client and messages
-- share: the method list and status texts, Node's header name and value
-- checks (with Node's errors), the Date header's text (made once a second).
local errors = require("luatls.errors")

local M = {}

-- http.METHODS: the methods the parser knows (Node 20's list), sorted
M.METHODS = {
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK",
  "M-SEARCH", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS",
  "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "REBIND", "REPORT", "SEARCH",
  "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
}

-- http.STATUS_CODES: code -> reason phrase (Node's table)
M.STATUS_CODES = {
  [100] = "Continue", [101] = "Switching Protocols", [102] = "Processing", [103] = "Early Hints",
  [200] = "OK", [201] = "Created", [202] = "Accepted", [203] = "Non-Authoritative Information",
  [204] = "No Content", [205] = "Reset Content", [206] = "Partial Content", [207] = "Multi-Status",
  [208] = "Already Reported", [226] = "IM Used",
  [300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found", [303] = "See Other",
  [304] = "Not Modified", [305] = "Use Proxy", [307] = "Temporary Redirect", [308] = "Permanent Redirect",
  [400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required", [403] = "Forbidden",
  [404] = "Not Found", [405] = "Method Not Allowed", [406] = "Not Acceptable",
  [407] = "Proxy Authentication Required", [408] = "Request Timeout", [409] = "Conflict", [410] = "Gone",
  [411] = "Length Required", [412] = "Precondition Failed", [413] = "Payload Too Large",
  [414] = "URI Too Long", [415] = "Unsupported Media Type", [416] = "Range Not Satisfiable",
  [417] = "Expectation Failed", [418] = "I'm a Teapot", [421] = "Misdirected Request",
  [422] = "Unprocessable Entity", [423] = "Locked", [424] = "Failed Dependency", [425] = "Too Early",
  [426] = "Upgrade Required", [428] = "Precondition Required", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large", [451] = "Unavailable For Legal Reasons",
  [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
  [503] = "Service Unavailable", [504] = "Gateway Timeout", [505] = "HTTP Version Not Supported",
  [506] = "Variant Also Negotiates", [507] = "Insufficient Storage", [508] = "Loop Detected",
  [509] = "Bandwidth Limit Exceeded", [510] = "Not Extended", [511] = "Network Authentication Required",
}

-- a token (RFC 9110): header names, methods
function M.isToken(s)
  return type(s) == "string" and s ~= "" and not s:find("[^%w!#$%%&'*+%-.^_`|~]")
end

-- a character a header value may not hold (Node's checkInvalidHeaderChar)
function M.hasInvalidChar(s)
  return s:find("[^\t\32-\126\128-\255]") ~= nil
end

-- validateHeaderName(name[, label]): ERR_INVALID_HTTP_TOKEN unless a token
function M.validateHeaderName(name, label, level)
  if not M.isToken(name) then
    errors.throw("ERR_INVALID_HTTP_TOKEN", string.format('%s must be a valid HTTP token ["%s"]',
      label or "Header name", tostring(name)), { name = "TypeError" }, (level or 2) + 1)
  end
end

-- a value as it goes on the wire: a string, a number, or a list of them
-- (ERR_HTTP_INVALID_HEADER_VALUE for nil, ERR_INVALID_CHAR for a control
-- character: Node's validateHeaderValue)
local function checkValue(name, v, level)
  local t = type(v)
  if t == "number" then return end
  if t ~= "string" then
    errors.throw("ERR_HTTP_INVALID_HEADER_VALUE", string.format('Invalid value "%s" for header "%s"',
      tostring(v), name), { name = "TypeError" }, level + 1)
  end
  if M.hasInvalidChar(v) then
    errors.throw("ERR_INVALID_CHAR", string.format('Invalid character in header content ["%s"]', name),
      { name = "TypeError" }, level + 1)
  end
end

function M.validateHeaderValue(name, value, level)
  level = (level or 2) + 1
  if value == nil then
    errors.throw("ERR_HTTP_INVALID_HEADER_VALUE", string.format('Invalid value "undefined" for header "%s"',
      name), { name = "TypeError" }, level)
  end
  if type(value) == "table" then
    for _, v in ipairs(value) do checkValue(name, v, level) end
  else
    checkValue(name, value, level)
  end
end

-- a number goes out as an integer when it is one (Node's String(n))
function M.valueText(v)
  if math.type(v) == "float" and v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then
    return string.format("%d", v)
  end
  return tostring(v)
end

-- markFailed(socket), hasFailed(socket): Node's socket._hadError as http
-- uses it, one 'error' per failure: http notes the errors it reported for
-- a socket in a table of its own (the socket's 'close' is not told: in
-- Node its hadError comes from destroy's error alone); the socket's own
-- errors show in its public `errored`
local failed = setmetatable({}, { __mode = "k" })
function M.markFailed(socket)
  failed[socket] = true
end

function M.hasFailed(socket)
  return failed[socket] == true or socket.errored ~= nil
end

-- the Date header's text, made at most once a second
local dateText, dateSecond
function M.utcDate()
  local now = os.time()
  if now ~= dateSecond then
    dateSecond, dateText = now, os.date("!%a, %d %b %Y %H:%M:%S GMT", now)
  end
  return dateText
end

-- does a header's value list a token (case-insensitive), as Node's
-- /(?:^|\W)chunked(?:$|\W)/i
function M.hasToken(value, token)
  if type(value) ~= "string" then return false end
  local lower = value:lower()
  local init = 1
  while true do
    local s, e = lower:find(token, init, true)
    if not s then return false end
    local before, after = lower:sub(s - 1, s - 1), lower:sub(e + 1, e + 1)
    if (before == "" or before:find("[^%w_]")) and (after == "" or after:find("[^%w_]")) then return true end
    init = s + 1
  end
end

return M
