-- Node v20.11.1 test/parallel/test-tls-friendly-error-message.js, ported
-- (doc/node-tests.md): a client that cannot verify the server's
-- certificate gets UNABLE_TO_VERIFY_LEAF_SIGNATURE with OpenSSL's words.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-friendly-error-message", function()
  it("runs as in Node", common.run(function()
    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")
    local server
    server = tls.createServer({ key = key, cert = cert }):on("connection", common.mustCall(function()
      -- one TCP connection: stop listening; the client destroys it once it
      -- has refused the certificate
      server:close()
    end)):listen(0, common.mustCall(function()
      local options = { port = server:address().port, rejectUnauthorized = true }
      tls.connect(options):on("error", common.mustCall(function(err)
        assert.strictEqual(err.code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE")
        assert.strictEqual(err.message, "unable to verify the first certificate")
      end))
    end))
  end))
end)
