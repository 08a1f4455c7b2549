-- Node v20.11.1 test/parallel/test-net-pingpong.js, ported
-- (doc/node-tests.md).
-- 1000 PING/PONG round trips over a Unix socket, TCP on the default
-- address and on ::1, each ending half-open.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

local function pingPongTest(port, host)
  local N = 1000
  local count = 0
  local sentPongs = 0
  local sent_final_ping = false

  local server

  local function onSocket(socket)
    assert.strictEqual(socket.server, server)
    assert.strictEqual(server, server:getConnections(common.mustSucceed(function(connections)
      assert.strictEqual(connections, 1)
    end)))

    socket:setNoDelay()
    socket.timeout = 0

    socket:setEncoding("utf8")
    socket:on("data", common.mustCall(function(data)
      -- a PONG goes out only for a PING: never more than one message
      -- waits to be written
      assert.ok(socket.bufferSize >= 0 and socket.bufferSize <= 4)

      assert.strictEqual(socket.writable, true)
      assert.strictEqual(socket.readable, true)
      assert.ok(count <= N)
      assert.strictEqual(data, "PING")

      socket:write("PONG", common.mustCall(function()
        sentPongs = sentPongs + 1
      end))
    end, N + 1))

    socket:on("end", common.mustCall(function()
      assert.strictEqual(socket.allowHalfOpen, true)
      assert.strictEqual(socket.writable, true) -- since allowHalfOpen
      assert.strictEqual(socket.readable, false)
      socket:done()
    end))

    socket:on("error", common.mustNotCall())

    socket:on("close", common.mustCall(function()
      assert.strictEqual(socket.writable, false)
      assert.strictEqual(socket.readable, false)
      socket.server:close()
    end))
  end

  server = net.createServer({ allowHalfOpen = true }, common.mustCall(onSocket))

  server:listen(port, host, common.mustCall(function()
    local a = server:address()
    if type(a) == "table" and a.port then port = a.port end

    local client = net.createConnection(port, host)

    client:setEncoding("ascii")
    client:on("connect", common.mustCall(function()
      assert.strictEqual(client.readable, true)
      assert.strictEqual(client.writable, true)
      client:write("PING")
    end))

    client:on("data", common.mustCall(function(data)
      assert.strictEqual(data, "PONG")
      count = count + 1

      if sent_final_ping then
        assert.strictEqual(client.writable, false)
        assert.strictEqual(client.readable, true)
        return
      end
      assert.strictEqual(client.writable, true)
      assert.strictEqual(client.readable, true)

      if count < N then
        client:write("PING")
      else
        sent_final_ping = true
        client:write("PING")
        client:done()
      end
    end, N + 1))

    client:on("close", common.mustCall(function()
      assert.strictEqual(count, N + 1)
      assert.strictEqual(sentPongs, N + 1)
      assert.strictEqual(sent_final_ping, true)
    end))

    client:on("error", common.mustNotCall())
  end))
end

describe("test-net-pingpong", function()
  it("ping-pong on a Unix socket, port 0 and ::1 at once", common.run(function()
    -- all run at once, each on its own address
    common.tmpdir.refresh()
    pingPongTest(common.pipe())
    pingPongTest(0)
    if common.hasIPv6 then pingPongTest(0, "::1") else pingPongTest(0, "127.0.0.1") end
  end))
end)
