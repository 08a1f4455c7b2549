-- Node v20.11.1 test/parallel/test-tls-timeout-server-2.js, ported
-- (doc/node-tests.md): setTimeout() on a server's TLSSocket returns the
-- socket and fires on an idle connection.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local EventEmitter = require("luatls.events")

describe("test-tls-timeout-server-2", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.createServer(options, common.mustCall(function(cleartext)
      local s = cleartext:setTimeout(50, function()
        cleartext:destroy()
        server:close()
      end)
      assert.ok(EventEmitter.instanceOf(s, tls.TLSSocket))
    end))
    server:listen(0, common.mustCall(function()
      tls.connect({ host = "127.0.0.1", port = server:address().port, rejectUnauthorized = false })
    end))
  end))
end)
