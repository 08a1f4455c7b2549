-- Node v20.11.1 test/parallel/test-net-connect-options-allowhalfopen.js,
-- ported (doc/node-tests.md).
-- allowHalfOpen given to connect()/createConnection()/Socket in its six
-- forms: after the server's FIN the client is still writable, not readable.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-net-connect-options-allowhalfopen", function()
  it("a half-open client writes after the server's FIN", common.run(function()
    local clientReceivedFIN = 0
    local serverConnections = 0
    local clientSentFIN = 0
    local serverReceivedFIN = 0
    local host = common.localhostIPv4
    local CLIENT_VARIANTS = 6
    local server

    local function serverOnConnection(socket)
      serverConnections = serverConnections + 1
      socket:resume()
      socket:on("data", common.mustCall(function(data)
        socket.clientId = tostring(data)
      end))
      -- 'end' on each socket must not come twice
      socket:on("end", common.mustCall(function()
        serverReceivedFIN = serverReceivedFIN + 1
        if serverReceivedFIN < CLIENT_VARIANTS then return end
        timers.setTimeout(function()
          server:close()
        end, 50)
      end, 1))
      socket:done()
    end

    -- the connect listener of client `index`; preset: the client when the
    -- listener is added with on('connect') (Node's `this`), else the
    -- connect callback's argument
    local function clientOnConnect(index, preset)
      return common.mustCall(function(s)
        local client = preset or s
        client:resume()
        client:on("end", common.mustCall(function()
          timers.setTimeout(function()
            -- with allowHalfOpen the client is still writable after the
            -- server's FIN, but not readable
            assert(not client.readable)
            assert(client.writable)
            assert(client:write(tostring(index)))
            client:done()
            clientSentFIN = clientSentFIN + 1
          end, 50)
        end))
        client:on("close", common.mustCall(function()
          clientReceivedFIN = clientReceivedFIN + 1
        end))
      end)
    end

    -- (Node logs the counters here)
    local function serverOnClose() end

    local function serverOnListen()
      local port = server:address().port
      local opts = { allowHalfOpen = true, host = host, port = port }
      -- the six forms (CLIENT_VARIANTS)
      net.connect(opts, clientOnConnect(1))
      local c2 = net.connect(opts)
      c2:on("connect", clientOnConnect(2, c2))
      net.createConnection(opts, clientOnConnect(3))
      local c4 = net.createConnection(opts)
      c4:on("connect", clientOnConnect(4, c4))
      net.Socket.new(opts):connect(opts, clientOnConnect(5))
      local c6 = net.Socket.new(opts):connect(opts)
      c6:on("connect", clientOnConnect(6, c6))
    end

    server = net.createServer({ allowHalfOpen = true })
      :on("connection", common.mustCall(serverOnConnection, CLIENT_VARIANTS))
      :on("close", common.mustCall(serverOnClose))
      :listen(0, host, common.mustCall(serverOnListen))

  end))
end)
