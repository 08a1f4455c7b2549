-- 64 MiB through a piped echo server running in its own luatls process: the
-- digest of what came back equals the digest of what was sent, and the echo
-- process's memory stays bounded while the client stalls its reads (so the
-- server's pipe() really waits for 'drain' instead of buffering).
local helper = require("spec.helper")
local net = require("luatls.net")
local core = require("luatls.core")
local timers = require("luatls.timers")

local TOTAL = 64 * 1024 * 1024
local CHUNK = 64 * 1024

local function status(pid)
  local f = io.open("/proc/" .. pid .. "/status")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return {
    rss = tonumber(s:match("VmRSS:%s*(%d+)")) * 1024,
    hwm = tonumber(s:match("VmHWM:%s*(%d+)")) * 1024,
  }
end

describe("net bulk transfer", function()
  helper.leakcheck()

  it("echoes 64 MiB intact with the echo process's memory bounded", function()
    local port = helper.freePort()
    local log = os.tmpname()
    local p = io.popen(string.format("%s %s/examples/tcp-echo-server.lua %d 127.0.0.1 >%s 2>&1 & echo $!",
      helper.luatls, helper.root, port, log))
    local pid = tonumber(p:read("a"))
    p:close()
    finally(function()
      os.execute("kill " .. pid .. " 2>/dev/null")
      os.remove(log)
    end)

    -- wait until the server listens
    local connected, c = false, nil
    local deadline = core.hrtime() + 10e9
    while not connected do
      local failed = false
      c = net.connect(port, "127.0.0.1", function() connected = true end)
      c:on("error", function() failed = true end)
      helper.wait(function() return connected or failed end)
      if failed then
        assert.is_true(core.hrtime() < deadline, "the echo server did not start")
        helper.sleep(50)
      end
    end
    helper.sleep(100)
    local base = status(pid)

    local chunk = {}
    for i = 1, CHUNK do chunk[i] = string.char((i * 7919 + 13) % 256) end
    chunk = table.concat(chunk)
    local sentHash, gotHash = core.hash_new("sha256"), core.hash_new("sha256")
    local sent, received = 0, 0
    local stalls, nextStall = 0, 16 * 1024 * 1024
    local stallTimer
    local peakDuringStall = 0

    local function pump()
      while sent < TOTAL do
        local piece = string.pack(">I8", sent) .. chunk:sub(9)
        sentHash:update(piece)
        sent = sent + #piece
        if not c:write(piece) then
          return c:once("drain", pump)
        end
      end
      c:done()
    end

    c:on("data", function(d)
      received = received + #d
      gotHash:update(d)
      if received >= nextStall then
        -- stop reading for a while: the server's writes back up, its pipe
        -- must pause its reads instead of buffering our data
        nextStall = nextStall + 16 * 1024 * 1024
        stalls = stalls + 1
        c:pause()
        stallTimer = timers.setTimeout(function()
          local st = status(pid)
          if st then peakDuringStall = math.max(peakDuringStall, st.rss) end
          c:resume()
        end, 300)
      end
    end)
    local ended = false
    c:on("end", function() ended = true end)
    pump()
    helper.wait(function() return ended end, 120000, "the 64 MiB echo")
    if stallTimer then stallTimer:close() end

    assert.equal(TOTAL, sent)
    assert.equal(TOTAL, received)
    assert.equal(sentHash:digest(), gotHash:digest())
    assert.is_true(stalls >= 3)
    local after = status(pid)
    local growth = math.max(after.hwm, peakDuringStall) - base.rss
    -- without backpressure the server would hold most of what we sent
    -- during a stall (tens of MiB); with it, kernel buffers and one read
    -- buffer's worth. (Under ASan freed memory sits in quarantine, so the
    -- figure says nothing there.)
    if not core.versions().sanitized then
      assert.is_true(growth < 24 * 1024 * 1024,
        string.format("echo server grew by %.1f MiB", growth / 1048576))
    end
    c:destroy()
    helper.drain()
  end)
end)
