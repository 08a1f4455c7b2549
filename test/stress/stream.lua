-- test/stress/stream.lua: the stress harness's generator in Lua (client.js
-- and client.py hold the same one): a 31-bit LCG from the plan's seed gives
-- the write sizes and the bytes. The byte stream is a 64 KiB block drawn
-- first, rotated by 257 bytes more for each 64 KiB of the stream (16 MiB
-- before it repeats), so a lost, doubled or swapped piece changes it.
--
--   local g = require("test.stress.stream").new(seed, total)
--   g.piece(p, n)      -- the stream's bytes [p, p + n)
--   g.rand(n)          -- the generator's next number in [0, n)
local M = {}

function M.new(seed, total)
  local x = seed & 0x7fffffff
  local function rand(n)
    x = (x * 1103515245 + 12345) & 0x7fffffff
    return x % n
  end
  local bytes = {}
  for i = 1, 65536 do
    x = (x * 1103515245 + 12345) & 0x7fffffff
    bytes[i] = string.char((x >> 16) & 255)
  end
  local block = table.concat(bytes)
  local plen = math.min(total, 256 * 65536)
  local parts = {}
  for k = 0, (plen + 65535) // 65536 - 1 do
    local r = (k * 257) % 65536
    parts[#parts + 1] = block:sub(r + 1) .. block:sub(1, r)
  end
  local period = table.concat(parts):sub(1, plen)

  local function piece(p, n)
    local out = {}
    while n > 0 do
      local o = p % #period
      local m = math.min(n, #period - o)
      out[#out + 1] = period:sub(o + 1, o + m)
      p, n = p + m, n - m
    end
    return table.concat(out)
  end
  return { piece = piece, rand = rand }
end

return M
