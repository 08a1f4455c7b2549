-- Node v20.11.1 test/parallel/test-tls-keylog-tlsv13.js, ported
-- (doc/node-tests.md): a TLS 1.3 handshake gives 5 'keylog' lines on each side.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-keylog-tlsv13", function()
  it("runs as in Node", common.run(function()
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
      minVersion = "TLSv1.3",
      maxVersion = "TLSv1.3",
    })
    server:listen(function()
      local client = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      })
      -- (Node: a Buffer; here a string)
      server:on("keylog", common.mustCall(function(line, tlsSocket)
        assert.ok(type(line) == "string")
        assert.strictEqual(tlsSocket.encrypted, true)
      end, 5))
      client:on("keylog", common.mustCall(function(line)
        assert.ok(type(line) == "string")
      end, 5))
      client:once("secureConnect", function()
        server:close()
        client:done()
      end)
    end)
  end))
end)
