-- Node v20.11.1 test/parallel/test-tls-socket-close.js, ported
-- (doc/node-tests.md): destroying the plain socket under a server's TLSSocket
-- destroys the TLSSocket too, with 'close' after setImmediate callbacks.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local net = require("luatls.net")
local tls = require("luatls.tls")
local timers = require("luatls.timers")

-- Node's test/common/countdown
local function Countdown(limit, cb)
  cb = common.mustCall(cb)
  return {
    dec = function()
      assert.ok(limit > 0, "Countdown expired")
      limit = limit - 1
      if limit == 0 then cb() end
      return limit
    end,
  }
end

describe("test-tls-socket-close", function()
  it("runs as in Node", common.run(function()
    local key = fixtures.readKey("agent2-key.pem")
    local cert = fixtures.readKey("agent2-cert.pem")
    local countdown
    local function dec() countdown.dec() end

    local serverTlsSocket
    local tlsServer = tls.createServer({ cert = cert, key = key }, function(socket)
      serverTlsSocket = socket
      socket:on("close", dec)
    end)

    local netSocket
    local netSocketCloseEmitted = false
    local netServer
    local function connectClient(server)
      local clientTlsSocket = tls.connect({
        host = "localhost",
        port = server:address().port,
        rejectUnauthorized = false,
      })
      -- Node arms the 10 ms timeout in the write's callback and expects the
      -- server's TLSSocket by then: on a slow run (ASan) the server's
      -- handshake can end later, so the timeout is armed once it has
      local armed = false
      local function whenServerSecure(fn)
        if serverTlsSocket then return fn() end
        tlsServer:once("secureConnection", function() timers.setImmediate(fn) end)
      end
      clientTlsSocket:write("foo", "utf8", common.mustCall(function()
        assert.ok(netSocket)
        whenServerSecure(function()
        assert.strictEqual(armed, false)
        armed = true
        netSocket:setTimeout(common.platformTimeout(10), common.mustCall(function()
          assert.ok(serverTlsSocket)
          netSocket:destroy()
          assert.strictEqual(netSocket.destroyed, true)
          timers.setImmediate(function()
            -- 'close' callbacks come after setImmediate() callbacks
            assert.strictEqual(netSocketCloseEmitted, false)
            assert.strictEqual(serverTlsSocket.destroyed, false)
            timers.setImmediate(function()
              assert.strictEqual(netSocketCloseEmitted, true)
            end)
          end)
        end))
        end)
      end))
      clientTlsSocket:on("close", dec)
    end

    netServer = net.createServer(function(socket)
      netSocket = socket
      tlsServer:emit("connection", socket)
      socket:on("close", function()
        netSocketCloseEmitted = true
        assert.strictEqual(serverTlsSocket.destroyed, true)
      end)
    end)
    netServer:listen(0, common.mustCall(function() connectClient(netServer) end))

    countdown = Countdown(2, function() netServer:close() end)
  end))
end)
