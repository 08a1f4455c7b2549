-- luatls.internal.crypto.util: what the crypto internals share: data
-- arguments (Lua strings, Node's Buffers) in an input encoding, digests out
-- in an output encoding, the checks with Node's messages, and
-- timingSafeEqual. Called by internal/crypto/hash.lua, random.lua and
-- kdf.lua.
local buffer = require("luatls.buffer")
local core = require("luatls.loop").core
local errors = require("luatls.errors")

local M = {}

-- toBytes(data, name, encoding[, level]) -> the bytes data stands for: a
-- string in `encoding` (nil, "buffer" or "utf8": the string itself).
function M.toBytes(data, name, encoding, level)
  if type(data) ~= "string" then
    errors.invalidArgType(name, "of type string (a Buffer)", data, (level or 2) + 1)
  end
  if encoding == nil or encoding == "buffer" or encoding == "utf8" then return data end
  return buffer.from(data, encoding)
end

-- outputEncoding(enc) -> enc, or nil for raw bytes: nil, "buffer" and, as
-- Node's digest(), an encoding it does not know
function M.outputEncoding(enc)
  if type(enc) == "string" and buffer.isEncoding(enc) then return enc end
  return nil
end

-- encode(bytes, enc) -> bytes in the encoding outputEncoding gave
function M.encode(bytes, enc)
  if enc == nil then return bytes end
  return buffer.toString(bytes, enc)
end

-- checkInteger(v, name, min, max[, level]): errors.checkInteger
M.checkInteger = errors.checkInteger

-- checkType(v, name, typ[, level]): v is of Lua type typ
-- (ERR_INVALID_ARG_TYPE: 'The "name" argument must be of type typ')
function M.checkType(v, name, typ, level)
  if type(v) ~= typ then
    errors.invalidArgType(name, "of type " .. typ, v, (level or 2) + 1)
  end
end

-- checkCallback(cb[, level]): nil or a function
function M.checkCallback(cb, level)
  if cb ~= nil and type(cb) ~= "function" then
    errors.invalidArgType("callback", "of type function", cb, (level or 2) + 1)
  end
end

-- checkOptions(options[, level]): nil or a table
function M.checkOptions(options, level)
  if options ~= nil and type(options) ~= "table" then
    errors.invalidArgType("options", "of type table", options, (level or 2) + 1)
  end
end

-- timingSafeEqual(a, b) -> whether a and b (strings of the same length)
-- are equal, in time that does not depend on their contents.
-- ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH (a RangeError) when the lengths
-- differ.
function M.timingSafeEqual(a, b)
  if type(a) ~= "string" then errors.invalidArgType("buf1", "of type string (a Buffer)", a) end
  if type(b) ~= "string" then errors.invalidArgType("buf2", "of type string (a Buffer)", b) end
  return core.timing_safe_equal(a, b)
end

return M
