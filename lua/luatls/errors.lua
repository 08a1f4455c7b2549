-- luatls.errors: Node-style error objects.
--
-- An error object is a table { name=, message=, code=, ... } with a shared
-- metatable (registered by the C core as "luatls.Error", so errors made in C
-- and in Lua look and print the same). tostring(err) gives Node's form:
--   "Error: connect ECONNREFUSED 127.0.0.1:1"
--   "Error [ERR_STREAM_WRITE_AFTER_END]: write after end"
local M = {}

local ok, core = pcall(require, "luatls.core")
local Error = ok and core.Error or { __name = "luatls.Error" }
Error.__index = Error

function Error.__tostring(e)
  local name = rawget(e, "name") or "Error"
  local code = rawget(e, "code")
  if type(code) == "string" and code:sub(1, 4) == "ERR_" then
    return string.format("%s [%s]: %s", name, code, tostring(rawget(e, "message")))
  end
  return string.format("%s: %s", name, tostring(rawget(e, "message")))
end

M.Error = Error

-- new(code, message[, fields]) -> error object. `code` may be nil.
-- fields may carry name ("TypeError", "RangeError"), errno, syscall, ...
function M.new(code, message, fields)
  local e = { name = "Error", code = code, message = message }
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

function M.invalidArgType(name, expected, value, level)
  error(M.TypeError("ERR_INVALID_ARG_TYPE",
    string.format('The "%s" argument must be %s. Received %s', name, expected,
      value == nil and "nil" or type(value) .. " (" .. tostring(value) .. ")")), (level or 2) + 1)
end

function M.outOfRange(name, range, value, level)
  error(M.RangeError("ERR_OUT_OF_RANGE",
    string.format('The value of "%s" is out of range. It must be %s. Received %s',
      name, range, tostring(value))), (level or 2) + 1)
end

return M
