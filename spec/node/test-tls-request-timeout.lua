-- Node v20.11.1 test/parallel/test-tls-request-timeout.js, ported
-- (doc/node-tests.md): a server socket's setTimeout returns the TLSSocket and fires 'timeout'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local EventEmitter = require("luatls.events")

describe("test-tls-request-timeout", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.Server(options, common.mustCall(function(socket)
      local s = socket:setTimeout(100)
      assert.ok(EventEmitter.instanceOf(s, tls.TLSSocket))
      socket:on("timeout", common.mustCall(function()
        socket:done()
        server:close()
      end))
    end))

    server:listen(0, function()
      tls.connect({ port = server:address().port, rejectUnauthorized = false })
    end)
  end))
end)
