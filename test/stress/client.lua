-- test/stress/client.lua: the stress harness's luatls client, run by the
-- luatls interpreter as a process of its own (see test/stress/harness.lua for
-- the plan's fields and the result line).
--   luatls client.lua PORT CA SEED TOTAL WMAX CLOSE RESETAT PAUSE PAUSEMS IGNORE
local tls = require("tls")
local fs = require("fs")
local core = require("luatls.core")

local port, ca = tonumber(arg[1]), arg[2]
local seed, total, wmax = tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5])
local close, resetAt = arg[6], tonumber(arg[7])
local pause, pauseMs, ignore = tonumber(arg[8]), tonumber(arg[9]), arg[10] == "1"

-- the plan's generator and byte stream (the same in every client)
package.path = arg[0]:gsub("[^/]*$", "") .. "../../?.lua;" .. package.path
local g = require("test.stress.stream").new(seed, total)
local rand, piece = g.rand, g.piece

local bits = 0
while (1 << bits) < wmax do bits = bits + 1 end
local function writeSize() return 1 + rand(1 << rand(bits + 1)) end

-- the clock: the loop's cached time would stand still through a long run of
-- writes that ignore backpressure
local function now() return core.hrtime() // 1000000 end

local intact = true -- every byte that came back is the stream's, in order
local sent, got, moved, finished, ended, sawEnd = 0, 0, now(), false, false, false
local watchdog

local function result(how)
  if finished then return end
  finished = true
  print(string.format("result sent=%d got=%d intact=%s end=%s", sent, got, tostring(intact), how))
  io.stdout:flush()
  clearInterval(watchdog)
end

-- allowHalfOpen: the server may end its side first (route "first") while this
-- client still sends; the client ends its own side as the plan says
local s
local function maybeEnd() -- 'end-after': once all went and all came back
  if close == "end-after" and got >= total and sent >= total and not ended then
    ended = true
    s["end"](s)
  end
end
s = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = fs.readFileSync(ca),
  allowHalfOpen = true }, function()
  local function more()
    while sent < total do
      local n = math.min(writeSize(), total - sent)
      local ok = s:write(piece(sent, n))
      sent = sent + n
      moved = now()
      if not ok and not ignore then return s:once("drain", more) end
    end
    if close == "end-early" then s["end"](s) end
    maybeEnd()
  end
  more()
end)
s:on("data", function(d)
  if d ~= piece(got, #d) then intact = false end
  got = got + #d
  moved = now()
  if close == "reset" and got >= resetAt then
    result("reset")
    s:resetAndDestroy()
    return
  end
  maybeEnd()
  if pause > 0 and rand(1000) < pause and not s:isPaused() then
    s:pause()
    setTimeout(function() s:resume() end, 1 + rand(pauseMs))
  end
end)
s:on("end", function() sawEnd = true end)
s:on("close", function() result(sawEnd and "end" or "close") end)
s:on("error", function(e) if not finished then result("error:" .. tostring(e.code or e.message)) end end)
-- no byte moved for 5 s while this process was free to move them (a tick
-- that comes late means it was busy, e.g. in one long write: that is no stall)
local lastTick = now()
watchdog = setInterval(function()
  local t = now()
  if t - lastTick > 1000 then moved = t end
  lastTick = t
  if t - moved > 5000 then
    print(string.format("stall sent=%d got=%d writableLength=%d paused=%s", sent, got, s.writableLength,
      tostring(s:isPaused())))
    io.stdout:flush()
    process.exit(3)
  end
end, 500)
