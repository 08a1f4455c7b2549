local helper = require("spec.helper")
local net = require("luatls.net")
local fs = require("luatls.fs")
local core = require("luatls.core")

-- An echo server on 127.0.0.1; returns server, port.
local function echoServer(opts)
  local server = net.createServer(opts, function(s) s:pipe(s) end)
  local port
  server:listen(0, "127.0.0.1", function() port = server:address().port end)
  helper.wait(function() return port end, nil, "listening")
  return server, port
end

local closeServer = helper.closeServer

-- connect, send data, end, collect the echo
local function roundTrip(connectArgs, data)
  local got, ended, closed = {}, false, false
  local c
  c = net.connect(connectArgs, function() c:write(data); c:done() end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("end", function() ended = true end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end, nil, "the round trip")
  assert.is_true(ended)
  return table.concat(got)
end

describe("net", function()
  helper.leakcheck()

  describe("TCP echo", function()
    it("echoes over 127.0.0.1 and reports addresses and byte counts", function()
      local server, port = echoServer()
      local serverSide
      server:on("connection", function(s) serverSide = s end)
      local c, got, closed = nil, {}, false
      local info = {}
      c = net.connect(port, "127.0.0.1", function()
        info.remoteAddress, info.remotePort, info.remoteFamily = c.remoteAddress, c.remotePort, c.remoteFamily
        info.local_ = c:address()
        c:write("hello ")
        c:done("world")
      end)
      c:on("data", function(d) got[#got + 1] = d end)
      c:on("close", function(hadError) closed = true; info.hadError = hadError end)
      helper.wait(function() return closed end)
      assert.equal("hello world", table.concat(got))
      assert.equal("127.0.0.1", info.remoteAddress)
      assert.equal(port, info.remotePort)
      assert.equal("IPv4", info.remoteFamily)
      assert.equal("127.0.0.1", info.local_.address)
      assert.is_number(info.local_.port)
      assert.is_false(info.hadError)
      assert.equal(11, c.bytesRead)
      assert.equal(11, c.bytesWritten)
      assert.equal("127.0.0.1", serverSide.remoteAddress)
      assert.equal(11, serverSide.bytesRead)
      closeServer(server)
    end)

    it("connects by host name (localhost) and over IPv6 (::1)", function()
      local server = net.createServer(function(s) s:pipe(s) end)
      local port
      server:listen(0, "::1", function() port = server:address().port end)
      helper.wait(function() return port end)
      assert.equal("IPv6", server:address().family)
      assert.equal("ping", roundTrip({ port = port, host = "::1" }, "ping"))
      closeServer(server)
      -- localhost: whichever of ::1 / 127.0.0.1 the resolver gives first,
      -- the client falls back to the other one
      local s2, p2 = echoServer()
      assert.equal("pong", roundTrip({ port = p2, host = "localhost" }, "pong"))
      closeServer(s2)
    end)

    it("listens on all addresses by default", function()
      local server = net.createServer(function(s) s:pipe(s) end)
      local port
      server:listen(0, function() port = server:address().port end)
      helper.wait(function() return port end)
      assert.equal("x", roundTrip({ port = port, host = "127.0.0.1" }, "x"))
      closeServer(server)
    end)

    it("accepts listen({port=, host=}) and listen(port, host, backlog, cb)", function()
      local s1 = net.createServer()
      local ok1, ok2 = false, false
      s1:listen({ port = 0, host = "127.0.0.1" }, function() ok1 = true end)
      local s2 = net.createServer()
      s2:listen(0, "127.0.0.1", 10, function() ok2 = true end)
      helper.wait(function() return ok1 and ok2 end)
      assert.is_true(s1.listening)
      closeServer(s1)
      closeServer(s2)
      assert.is_false(s1.listening)
    end)
  end)

  it("echoes over a Unix domain socket", function()
    local dir = fs.mkdtempSync("/tmp/luatls-spec-")
    local path = dir .. "/echo.sock"
    local server = net.createServer(function(s) s:pipe(s) end)
    local listening = false
    server:listen(path, function() listening = true end)
    helper.wait(function() return listening end)
    assert.equal(path, server:address())
    assert.equal("over a pipe", roundTrip(path, "over a pipe"))
    assert.equal("again", roundTrip({ path = path }, "again"))
    closeServer(server)
    fs.rmSync(dir, { recursive = true, force = true })
  end)

  describe("server", function()
    it("emits 'close' only after the last connection has ended", function()
      local server, port = echoServer()
      local events = {}
      local c
      c = net.connect(port, "127.0.0.1")
      local connected = false
      server:on("connection", function(s)
        connected = true
        s:on("end", function() events[#events + 1] = "connection end" end)
      end)
      helper.wait(function() return connected end)
      server:close(function() events[#events + 1] = "server close" end)
      helper.sleep(30)
      assert.same({}, events)
      c:resume()
      c:done()
      helper.wait(function() return #events == 2 end)
      assert.equal("server close", events[#events])
    end)

    it("getConnections counts open connections; maxConnections turns extra ones away", function()
      local server, port = echoServer()
      server.maxConnections = 1
      local count
      local a = net.connect(port, "127.0.0.1")
      local accepted = 0
      server:on("connection", function() accepted = accepted + 1 end)
      helper.wait(function() return accepted == 1 end)
      server:getConnections(function(err, n) assert.is_nil(err); count = n end)
      helper.wait(function() return count end)
      assert.equal(1, count)
      assert.equal(1, server.connections)
      local bClosed = false
      local b = net.connect(port, "127.0.0.1")
      b:on("close", function() bClosed = true end)
      b:resume()
      helper.wait(function() return bClosed end, nil, "the refused connection to close")
      assert.equal(1, accepted)
      a:destroy()
      closeServer(server)
    end)

    it("close(cb) on a server that is not listening gives ERR_SERVER_NOT_RUNNING", function()
      local server = net.createServer()
      local got
      server:close(function(err) got = err end)
      helper.wait(function() return got end)
      assert.equal("ERR_SERVER_NOT_RUNNING", got.code)
    end)
  end)

  describe("bad input", function()
    it("ECONNREFUSED: connecting to a closed port", function()
      local port = helper.freePort()
      local err, closed
      local order = {}
      local c = net.connect(port, "127.0.0.1")
      c:on("error", function(e) err = e; order[#order + 1] = "error" end)
      c:on("close", function(hadError) closed = hadError; order[#order + 1] = "close" end)
      helper.wait(function() return closed ~= nil end)
      assert.same({ "error", "close" }, order) -- as Node
      assert.equal("ECONNREFUSED", err.code)
      assert.equal("connect", err.syscall)
      assert.equal("connect ECONNREFUSED 127.0.0.1:" .. port, err.message)
      assert.is_true(closed)
      -- and the process still serves
      local server, p = echoServer()
      assert.equal("still here", roundTrip({ port = p, host = "127.0.0.1" }, "still here"))
      closeServer(server)
    end)

    it("EADDRINUSE: listening on a port in use", function()
      local server, port = echoServer()
      local other = net.createServer()
      local err
      other:on("error", function(e) err = e end)
      other:listen(port, "127.0.0.1")
      helper.wait(function() return err end)
      assert.equal("EADDRINUSE", err.code)
      assert.equal("listen", err.syscall)
      assert.equal(port, err.port)
      assert.matches("^listen EADDRINUSE: address already in use 127%.0%.0%.1:" .. port .. "$", err.message)
      assert.is_false(other.listening)
      assert.equal("ok", roundTrip({ port = port, host = "127.0.0.1" }, "ok"))
      closeServer(server)
    end)

    it("ENOTFOUND: an unknown host", function()
      local err, closed
      local c = net.connect(80, "no-such-host.invalid")
      c:on("error", function(e) err = e end)
      c:on("close", function() closed = true end)
      helper.wait(function() return closed end, 30000, "the lookup to fail")
      assert.equal("ENOTFOUND", err.code)
      assert.equal("getaddrinfo", err.syscall)
      assert.equal("no-such-host.invalid", err.hostname)
      assert.equal("getaddrinfo ENOTFOUND no-such-host.invalid", err.message)
    end)

    it("raises ERR_SOCKET_BAD_PORT for a port out of range or not a number", function()
      for _, bad in ipairs({ 65536, -1, 1.5, "abc1", true }) do
        local ok, err = pcall(net.connect, { port = bad, host = "127.0.0.1" })
        assert.is_false(ok, "connect port " .. tostring(bad))
        assert.equal("ERR_SOCKET_BAD_PORT", err.code)
        assert.equal("RangeError", err.name)
        local server = net.createServer()
        ok, err = pcall(server.listen, server, { port = bad })
        assert.is_false(ok, "listen port " .. tostring(bad))
        assert.equal("ERR_SOCKET_BAD_PORT", err.code)
      end
      local ok, err = pcall(net.connect, 70000, "127.0.0.1")
      assert.is_false(ok)
      assert.matches("Port should be >= 0 and < 65536. Received type number %(70000%)", err.message)
      helper.drain()
    end)

    it("write after end: 'error' with ERR_STREAM_WRITE_AFTER_END, and the server goes on", function()
      local server, port = echoServer()
      local err, cbErr, closed
      local c
      c = net.connect(port, "127.0.0.1", function()
        c:done("bye")
        c:write("too late", function(e) cbErr = e end)
      end)
      c:on("error", function(e) err = e end)
      c:on("close", function() closed = true end)
      c:resume()
      helper.wait(function() return closed end)
      assert.equal("ERR_STREAM_WRITE_AFTER_END", err.code)
      assert.equal("ERR_STREAM_WRITE_AFTER_END", cbErr.code)
      assert.equal("next", roundTrip({ port = port, host = "127.0.0.1" }, "next"))
      closeServer(server)
    end)

    it("an unhandled socket 'error' raises from the loop", function()
      local port = helper.freePort()
      net.connect(port, "127.0.0.1")
      local ok, err = pcall(helper.wait, function() return false end, 5000)
      assert.is_false(ok)
      assert.equal("ECONNREFUSED", type(err) == "table" and err.code or err)
      helper.drain()
    end)
  end)

  describe("half-open and timeouts", function()
    it("allowHalfOpen=false (default) ends our side when the peer ends", function()
      local server = net.createServer(function(s)
        s:on("data", function() end)
      end)
      local port
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end)
      local ended, closed = false, false
      local c
      c = net.connect(port, "127.0.0.1", function() c:done() end)
      c:on("end", function() ended = true end)
      c:on("close", function() closed = true end)
      c:resume()
      helper.wait(function() return closed end)
      assert.is_true(ended)
      closeServer(server)
    end)

    it("allowHalfOpen=true lets the server write after the client ended", function()
      local server = net.createServer({ allowHalfOpen = true }, function(s)
        local got = {}
        s:on("data", function(d) got[#got + 1] = d end)
        s:on("end", function()
          -- the client is done writing; we can still answer
          s:done("you said: " .. table.concat(got))
        end)
      end)
      local port
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end)
      local reply = roundTrip({ port = port, host = "127.0.0.1" }, "half")
      assert.equal("you said: half", reply)
      closeServer(server)
    end)

    it("setTimeout emits 'timeout' after inactivity, without closing", function()
      local server, port = echoServer()
      local timedOut, c = false, nil
      local t0 = core.hrtime()
      local elapsed
      c = net.connect(port, "127.0.0.1", function()
        c:setTimeout(50, function() timedOut = true; elapsed = (core.hrtime() - t0) / 1e6 end)
      end)
      helper.wait(function() return timedOut end)
      assert.is_true(elapsed >= 45)
      assert.is_false(c.destroyed)
      c:destroy()
      closeServer(server)
    end)
  end)

  it("destroy() inside a 'data' handler stops the socket cleanly", function()
    local server, port = echoServer()
    local closed, datas = false, 0
    local c
    c = net.connect(port, "127.0.0.1", function() c:write("abc") end)
    c:on("data", function() datas = datas + 1; c:destroy() end)
    c:on("close", function() closed = true end)
    helper.wait(function() return closed end)
    assert.equal(1, datas)
    assert.is_true(c.destroyed)
    closeServer(server)
  end)

  it("pause() stops 'data' until resume()", function()
    local server, port = echoServer()
    local got, c = {}, nil
    c = net.connect(port, "127.0.0.1", function() c:write("one") end)
    c:on("data", function(d) got[#got + 1] = d; c:pause() end)
    helper.wait(function() return #got == 1 end)
    c:write("two")
    helper.sleep(50)
    assert.equal(1, #got)
    c:resume()
    helper.wait(function() return #got == 2 end)
    assert.same({ "one", "two" }, got)
    c:destroy()
    closeServer(server)
  end)

  it("net.isIP", function()
    assert.equal(4, net.isIP("127.0.0.1"))
    assert.equal(6, net.isIP("::1"))
    assert.equal(0, net.isIP("localhost"))
    assert.equal(0, net.isIP(nil))
    assert.is_true(net.isIPv4("10.0.0.1"))
    assert.is_true(net.isIPv6("fe80::1"))
  end)
end)
