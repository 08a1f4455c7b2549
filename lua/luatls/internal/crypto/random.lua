-- luatls.internal.crypto.random: Node's randomBytes, randomInt and
-- randomUUID over OpenSSL's CSPRNG (src/crypto/random.c). The face is
-- lua/luatls/crypto.lua.
--
-- A callback is called from the tick queue (nextTick), never from inside
-- the call; bad arguments raise at once with Node's codes.
--
-- Differs from Node: the bytes of the callback form are made before the
-- call returns, not on the thread pool; randomBytes takes an integer size
-- only (Node truncates 1.5 to 1).
local core = require("luatls.loop").core
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local util = require("luatls.internal.crypto.util")

local M = {}

local MAX_SIZE = 0x7FFFFFFF -- Node's largest Buffer here: 2^31-1
local RAND_MAX = 0xFFFFFFFFFFFF -- randomInt's range: 48 bits
local MAX_SAFE = (1 << 53) - 1

-- randomBytes(size[, callback]) -> size random bytes; with a callback,
-- callback(nil, bytes) instead
function M.randomBytes(size, callback)
  if type(size) ~= "number" then errors.invalidArgType("size", "of type number", size) end
  local n = math.tointeger(size)
  if not n or n < 0 or n > MAX_SIZE then
    errors.outOfRange("size", ">= 0 && <= " .. MAX_SIZE, size)
  end
  util.checkCallback(callback)
  local bytes = core.random_bytes(n)
  if callback then return tick.nextTick(callback, nil, bytes) end
  return bytes
end

-- random 48-bit values, 6 bytes each, taken from a pool (as Node does)
local POOL = 6 * 256
local pool, pos = "", POOL + 1

local function random48()
  if pos > #pool then
    pool, pos = core.random_bytes(POOL), 1
  end
  local x = string.unpack(">I6", pool, pos)
  pos = pos + 6
  return x
end

local function safeInteger(v, name)
  local i = type(v) == "number" and math.tointeger(v)
  if not i or i > MAX_SAFE or i < -MAX_SAFE then
    errors.invalidArgType(name, "a safe integer", v, 4)
  end
  return i
end

-- randomInt([min, ]max[, callback]) -> an integer min <= n < max (min 0 by
-- default), uniform: values past the largest multiple of the range are
-- drawn again. max - min must be < 2^48.
function M.randomInt(min, max, callback)
  local minNotSpecified = max == nil or type(max) == "function"
  if minNotSpecified then
    callback, max, min = max, min, 0
  end
  util.checkCallback(callback)
  min, max = safeInteger(min, "min"), safeInteger(max, "max")
  if max <= min then
    errors.outOfRange("max", string.format('greater than the value of "min" (%d)', min), max)
  end
  local range = max - min
  if range > RAND_MAX then
    errors.outOfRange(minNotSpecified and "max" or "max - min", "<= " .. RAND_MAX, range)
  end
  local limit = RAND_MAX - RAND_MAX % range
  local x = random48()
  while x >= limit do x = random48() end
  local n = min + x % range
  if callback then return tick.nextTick(callback, nil, n) end
  return n
end

-- randomUUID([options]) -> a version 4 UUID (RFC 4122), lower-case:
-- "xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx", V one of 8, 9, a, b.
-- options.disableEntropyCache is accepted (there is no cache to skip).
function M.randomUUID(options)
  util.checkOptions(options)
  local d = options and options.disableEntropyCache
  if d ~= nil and type(d) ~= "boolean" then
    errors.invalidArgType("options.disableEntropyCache", "of type boolean", d)
  end
  local b = { string.byte(core.random_bytes(16), 1, 16) }
  b[7] = b[7] & 0x0F | 0x40
  b[9] = b[9] & 0x3F | 0x80
  return string.format("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
    table.unpack(b))
end

return M
