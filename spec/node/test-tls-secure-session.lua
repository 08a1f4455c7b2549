-- Node v20.11.1 test/parallel/test-tls-secure-session.js, ported
-- (doc/node-tests.md): a TLS 1.2 client's 'session' comes after 'secureConnect'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-secure-session", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
      -- TLS 1.2: TLS 1.3 sends its ticket after the handshake anyway
      secureProtocol = "TLSv1_2_method",
    }

    local server
    server = tls.createServer(options, common.mustCall(function(socket)
      socket:done()
    end)):listen(0, common.mustCall(function()
      local connected = false
      local session = nil

      local client
      client = tls.connect({
        rejectUnauthorized = false,
        port = server:address().port,
      }, common.mustCall(function()
        assert.ok(not connected)
        assert.ok(not session)
        connected = true
      end))

      client:on("session", common.mustCall(function(newSession)
        assert.ok(connected)
        assert.ok(not session)
        session = newSession
        client:done()
        server:close()
      end))
    end))
  end))
end)
