-- luatls.errors: Node-style error objects.
--
-- An error object is a table { name=, message=, code=, ... } with a shared
-- metatable (registered by the C core as "luatls.Error", so errors made in C
-- and in Lua look and print the same; err.stack is Node's stack, made when
-- first read). tostring(err) gives Node's form:
--   "Error: connect ECONNREFUSED 127.0.0.1:1"
--   "Error [ERR_STREAM_WRITE_AFTER_END]: write after end"
local M = {}

local ok, core = pcall(require, "luatls.core")
local Error = ok and core.Error or { __name = "luatls.Error" }
-- error -> the Lua traceback taken when it was made (weak keys; src/errors.c
-- fills it for the errors C raises)
local tracebacks = ok and core.error_tracebacks or setmetatable({}, { __mode = "k" })

-- err.stack: Node's form, made on first access and kept:
--   "TypeError [ERR_INVALID_ARG_TYPE]: The ...\n    at connect (app.lua:12)\n    at ..."
-- from the Lua traceback taken when the error was made (`tracebacks`: by
-- new() below, and by src/errors.c for the errors C raises); frames inside
-- this file are left out. An error C made for an event (ECONNRESET, a
-- failed handshake) has no Lua caller: its stack is the first line and
-- "    at <luatls event loop>".
local function frame(line)
  local where, what = line:match("^%s*(.-): in (.*)$")
  if not where or where:find("luatls/errors%.lua") then return nil end
  -- (a module function's name without its module's path)
  local name = what:match("'(.-)'")
  name = name and name:match("([^.]+)$") or (what == "main chunk" and "main chunk") or
    what:match("^function <(.*)>$") and "<anonymous>" or "?"
  return string.format("    at %s (%s)", name, where)
end

local function stackOf(e)
  local lines = { tostring(e) }
  local tb = tracebacks[e]
  if type(tb) == "string" then
    for line in tb:gmatch("[^\n]+") do
      local f = frame(line)
      if f then lines[#lines + 1] = f end
    end
  end
  if #lines == 1 then lines[2] = "    at <luatls event loop>" end
  return table.concat(lines, "\n")
end

Error.__index = function(e, k)
  if k == "stack" then
    local s = stackOf(e)
    rawset(e, "stack", s)
    return s
  end
  return Error[k]
end

function Error.__tostring(e)
  local name = rawget(e, "name") or "Error"
  local code = rawget(e, "code")
  -- (OpenSSL's errors, ERR_SSL_* and ERR_OSSL_*, are plain Errors in Node:
  -- "Error: error:0A00010B:SSL routines::wrong version number")
  if type(code) == "string" and code:sub(1, 4) == "ERR_" and code:sub(1, 8) ~= "ERR_SSL_"
    and code:sub(1, 9) ~= "ERR_OSSL_" then
    return string.format("%s [%s]: %s", name, code, tostring(rawget(e, "message")))
  end
  return string.format("%s: %s", name, tostring(rawget(e, "message")))
end

M.Error = Error

-- new(code, message[, fields]) -> error object. `code` may be nil.
-- fields may carry name ("TypeError", "RangeError"), errno, syscall, ...
function M.new(code, message, fields)
  local e = { name = "Error", code = code, message = message }
  tracebacks[e] = debug.traceback(nil, 2)
  if fields then
    for k, v in pairs(fields) do e[k] = v end
  end
  return setmetatable(e, Error)
end

-- Shorthands for Node's error classes.
function M.TypeError(code, message) return M.new(code, message, { name = "TypeError" }) end
function M.RangeError(code, message) return M.new(code, message, { name = "RangeError" }) end

-- is(v): true when v is an error object made by this module or by the C core.
function M.is(v) return getmetatable(v) == Error end

-- Raise an error object at once (misuse of an API: wrong type, bad value).
-- level is as for error(); the default blames the caller of the API function.
function M.throw(code, message, fields, level)
  error(M.new(code, message, fields), (level or 2) + 1)
end

-- received(value) -> Node's description of a value in an error message:
-- "type number (1)", "type string ('abc')" (cut after 25 characters, as
-- Node's), "undefined" for nil (Node's undefined and null are both nil),
-- "an instance of Object" for a table, "function" for a function.
function M.received(v)
  local t = type(v)
  if v == nil then return "undefined" end
  if t == "string" then
    if #v > 25 then v = v:sub(1, 25) .. "..." end
    return string.format("type string ('%s')", v)
  end
  if t == "table" then
    local mt = getmetatable(v)
    local name = type(mt) == "table" and rawget(mt, "__name")
    return "an instance of " .. (type(name) == "string" and name or "Object")
  end
  if t == "function" then return "function" end
  return string.format("type %s (%s)", t, tostring(v))
end

function M.invalidArgType(name, expected, value, level)
  error(M.TypeError("ERR_INVALID_ARG_TYPE",
    string.format('The "%s" %s must be %s. Received %s', name,
      name:find(".", 1, true) and "property" or "argument", expected, M.received(value))), (level or 2) + 1)
end

-- Node's ERR_INVALID_ARG_VALUE: "The argument 'x' <reason>. Received ...",
-- "The property 'x.y' ..." for a name with a dot, as Node words them
function M.invalidArgValue(name, value, reason, level)
  error(M.TypeError("ERR_INVALID_ARG_VALUE",
    string.format("The %s '%s' %s. Received %s", name:find(".", 1, true) and "property" or "argument",
      name, reason, tostring(value))), (level or 2) + 1)
end

-- a number as Node shows it: NaN, Infinity, -Infinity, 2 for 2.0
local function shownNumber(v)
  if type(v) ~= "number" then return tostring(v) end
  if v ~= v then return "NaN" end
  if v == math.huge then return "Infinity" end
  if v == -math.huge then return "-Infinity" end
  return tostring(math.tointeger(v) or v)
end

function M.outOfRange(name, range, value, level)
  error(M.RangeError("ERR_OUT_OF_RANGE",
    string.format('The value of "%s" is out of range. It must be %s. Received %s',
      name, range, shownNumber(value))), (level or 2) + 1)
end

-- checkInteger(v, name, min, max[, level]) -> v as an integer, checked as
-- Node's validateInteger/validateInt32/validateUint32: a number
-- (ERR_INVALID_ARG_TYPE), an integer and min <= v <= max (ERR_OUT_OF_RANGE);
-- min and max default to Node's safe-integer bounds
local MAX_SAFE_INTEGER = 9007199254740991
function M.checkInteger(v, name, min, max, level)
  level = (level or 2) + 1
  min, max = min or -MAX_SAFE_INTEGER, max or MAX_SAFE_INTEGER
  if type(v) ~= "number" then M.invalidArgType(name, "of type number", v, level) end
  local i = math.tointeger(v)
  if not i then M.outOfRange(name, "an integer", v, level) end
  if i < min or i > max then
    M.outOfRange(name, string.format(">= %d && <= %d", min, max), v, level)
  end
  return i
end

-- ---- options of Node's that luatls does not implement ----------------------------
--
-- Given one of these, a call raises at once (a TypeError with Node's code
-- ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, naming the option and the call),
-- instead of ignoring it and failing later with an unrelated error. Each
-- option lists the calls Node reads it in; elsewhere, and for names Node
-- does not know, options stay ignored, as in Node. When one is implemented,
-- remove it from here.
--
-- nil is always accepted; any other value (false too: neither engine
-- option takes it) raises.
local CONTEXT_CALLS = { -- the calls that take createSecureContext's options
  "tls.createSecureContext", "tls.createServer", "server:setSecureContext", "tls.connect", "tls.TLSSocket",
  "server:setOptions",
}
-- OpenSSL 3 replaces engines with providers: a key a provider holds is
-- loaded by URI (privateKeyIdentifier without privateKeyEngine)
local NO_ENGINES = "OpenSSL 3 replaces engines with providers: give privateKeyIdentifier a URI "
  .. "(file:/path/key.pem, or one the system's providers handle) without privateKeyEngine"
local UNSUPPORTED_OPTIONS = {
  privateKeyEngine = { calls = CONTEXT_CALLS, hint = NO_ENGINES },
  clientCertEngine = { calls = CONTEXT_CALLS, hint = NO_ENGINES },
}
M.UNSUPPORTED_OPTIONS = UNSUPPORTED_OPTIONS

-- call -> the list of the options it refuses (sorted, so which of several
-- is named does not change from run to run)
local refusedBy = {}
for name, o in pairs(UNSUPPORTED_OPTIONS) do
  for _, call in ipairs(o.calls) do
    refusedBy[call] = refusedBy[call] or {}
    table.insert(refusedBy[call], name)
  end
end
for _, names in pairs(refusedBy) do table.sort(names) end

-- unavailable(feature[, fields]) -> Node's ERR_FEATURE_UNAVAILABLE_ON_PLATFORM
function M.unavailable(feature, fields)
  local e = M.new("ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", string.format(
    "The feature %s is unavailable on the current platform, which is being used to run luatls", feature),
    fields)
  e.name = "TypeError"
  return e
end

-- checkOptions(options, call[, level]): raise when options (a table, or
-- anything else, which is left alone) holds an option `call` (a name in
-- UNSUPPORTED_OPTIONS' lists, such as "tls.connect") does not implement.
function M.checkOptions(options, call, level)
  if type(options) ~= "table" then return end
  for _, name in ipairs(refusedBy[call] or {}) do
    local v = options[name]
    if v ~= nil then
      local e = M.unavailable(string.format("%s option '%s'", call, name), { option = name })
      e.message = e.message .. " (luatls does not implement it" ..
        (UNSUPPORTED_OPTIONS[name].hint and ": " .. UNSUPPORTED_OPTIONS[name].hint or "") .. ")"
      error(e, (level or 2) + 1)
    end
  end
end


-- deprecate(code, message): a DeprecationWarning through events.emitWarning,
-- once per process for each code, as Node's util.deprecate
-- (deprecationsEmitted[code] is set once it went out).
M.deprecationsEmitted = {}
function M.deprecate(code, message)
  if M.deprecationsEmitted[code] then return end
  M.deprecationsEmitted[code] = true
  require("luatls.events").emitWarning(M.new(code, message, { name = "DeprecationWarning" }))
end

return M
