-- spec/net_forward_spec.lua: socket:pipe(dest) between two plain TCP sockets
-- keeps the bytes in C (src/uv/forward.c) while nothing in Lua would see
-- them on the way, and falls back to the Lua pipe as soon as something
-- would: a 'data' listener, pause(), unpipe(), a write of its own, end().
-- The counters (bytesRead, bytesWritten), the end of the stream and errors
-- are what the Lua pipe gives. The randomized comparison of both paths is
-- the stress harness's route "relay" (spec/stress_spec.lua,
-- test/stress/harness.lua).
local helper = require("spec.helper")
local net = require("luatls.net")

local listen = helper.listen
local pipeLegs = require("spec.forward_fallbacks").legs

describe("pipe() between two TCP sockets, forwarded in C", function()
  helper.leakcheck()

  -- a TCP relay on a port: each connection goes on to the TCP server on
  -- upPort, piped both ways once that leg is up; legs[i] = { front, back }
  local function relay(upPort, options)
    local list = {}
    local front = net.createServer(options or {}, function(f)
      local b = pipeLegs(f, function(cb) return net.connect(upPort, "127.0.0.1", cb) end, list)
      b:on("close", function() f:destroy() end)
    end)
    return front, listen(front), list
  end

  it("relays 32 MiB both ways in C byte-exact, with counters that add up and the queue bounded", function()
    local TOTAL = 32 * 1024 * 1024
    local echoSock
    local echo = net.createServer(function(s)
      echoSock = s
      s:pipe(s)
    end)
    local front, port, legs = relay(listen(echo))
    local records, frontClosed = {}, false
    front:on("connection", function(f)
      f:on("close", function()
        frontClosed = true
        records.front = { read = f.bytesRead, written = f.bytesWritten }
      end)
    end)
    local c = net.connect(port, "127.0.0.1")
    local chunk = helper.randomString(65536)
    local got, sent, same, inC, peak = 0, 0, true, {}, 0
    c:on("data", function(d)
      local off = got % 65536
      local want = (chunk .. chunk):sub(off + 1, off + #d)
      if #d <= 65536 and d ~= want then same = false end
      got = got + #d
      local l = legs[1]
      if l and l[1]._handle and l[2]._handle then
        inC.front = inC.front or l[1]._handle:forwarding()
        inC.back = inC.back or l[2]._handle:forwarding()
        peak = math.max(peak, l[1]._handle:write_queue_size(), l[2]._handle:write_queue_size())
      end
      if got == TOTAL then c["end"](c) end
    end)
    -- writes of 64 KiB with backpressure, and pauses of the client's reads
    local function more()
      while sent < TOTAL do
        sent = sent + 65536
        if not c:write(chunk) then return c:once("drain", more) end
      end
    end
    c:on("connect", more)
    local pauses = 0
    c:on("data", function()
      if pauses < 3 and got > (pauses + 1) * 4 * 1024 * 1024 then
        pauses = pauses + 1
        c:pause()
        require("luatls.timers").setTimeout(function() c:resume() end, 50)
      end
    end)
    local clientClosed = false
    c:on("close", function() clientClosed = true end)
    helper.wait(function() return frontClosed and clientClosed end, 60000, "the relay's end")
    assert.equal(TOTAL, got)
    assert.is_true(same, "the echo is not what was sent")
    assert.same({ front = true, back = true }, inC)
    assert.is_true(peak < 1024 * 1024, "a queue peaked at " .. peak)
    assert.same({ read = TOTAL, written = TOTAL }, records.front)
    assert.equal(TOTAL, echoSock.bytesRead)
    helper.closeServer(front, true)
    helper.closeServer(echo, true)
  end)

  require("spec.forward_fallbacks").fallbacks({
    env = _ENV,
    server = function(onConnection) return net.createServer(onConnection) end,
    connect = function(port) return net.connect(port, "127.0.0.1") end,
    ready = function(client) return not client.connecting end,
    more = function(ctx)
      it("at the client's end(): 'end', the echo's own end and 'close' come as through Lua", function()
        local s = ctx.accepted[1]
        local events = {}
        for _, name in ipairs({ "end", "finish", "close" }) do
          s:on(name, function() events[#events + 1] = name end)
        end
        local ended = false
        ctx.client:on("end", function() ended = true end)
        ctx.echoes("last words")
        ctx.client["end"](ctx.client)
        helper.wait(function() return ended and events[#events] == "close" end)
        assert.same({ "end", "finish", "close" }, events)
        assert.equal("last words", table.concat(ctx.got))
        assert.equal(10, s.bytesRead)
        assert.equal(10, s.bytesWritten)
      end)
    end,
  })

  it("a destination that goes away at once: the relay's legs close, and the relay goes on serving",
    function()
      local sink = net.createServer(function(s) s:destroy() end)
      local sinkPort = listen(sink)
      local front, port, legs = relay(sinkPort)
      local c = net.connect(port, "127.0.0.1")
      local closed = false
      c:on("error", function() end)
      c:on("close", function() closed = true end)
      c:on("connect", function() c:write(string.rep("x", 1024 * 1024)) end)
      helper.wait(function() return closed end, 20000, "the client's close")
      assert.equal(1, #legs)
      -- the front still relays a new connection
      local up = net.createServer(function(s) s:pipe(s) end)
      local front2, port2 = relay(listen(up))
      local c2, back = net.connect(port2, "127.0.0.1"), {}
      c2:on("data", function(d) back[#back + 1] = d end)
      c2:on("connect", function() c2:write("still here") end)
      helper.wait(function() return table.concat(back) == "still here" end)
      local closed2 = false
      c2:on("close", function() closed2 = true end)
      c2:destroy()
      helper.wait(function() return closed2 end)
      for _, srv in ipairs({ front, front2, sink, up }) do helper.closeServer(srv, true) end
    end)
end)
