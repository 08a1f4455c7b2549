-- Node v20.11.1 test/parallel/test-tls-wrap-timeout.js, ported
-- (doc/node-tests.md): a net.Socket with the longest timeout, put under TLS
-- by tls.connect({ socket }): setTimeout returns the socket and the timeout
-- never fires while the connection lives and ends.
-- Left out: Node's checks of its internal timer (socket[kTimeout]
-- ._idleTimeout, ._idleStart from internal/timers), refreshed by the
-- traffic and removed at the close.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local net = require("luatls.net")
local tls = require("luatls.tls")
local timers = require("luatls.timers")
local EventEmitter = require("luatls.events")

local TIMEOUT_MAX = 2 ^ 31 - 1 -- internal/timers' TIMEOUT_MAX

describe("test-tls-wrap-timeout", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.createServer(options, common.mustCall(function(c)
      timers.setImmediate(function()
        c:write("hello", function()
          timers.setImmediate(function()
            c:destroy()
            server:close()
          end)
        end)
      end)
    end))

    local socket
    server:listen(0, function()
      socket = net.connect(server:address().port, function()
        local s = socket:setTimeout(TIMEOUT_MAX, function()
          error("timeout")
        end)
        assert.ok(EventEmitter.instanceOf(s, net.Socket))
        local tsocket = tls.connect({ socket = socket, rejectUnauthorized = false })
        tsocket:resume()
      end)
    end)
  end))
end)
