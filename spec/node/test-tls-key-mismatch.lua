-- Node v20.11.1 test/parallel/test-tls-key-mismatch.js, ported
-- (doc/node-tests.md): a key that is not the certificate's fails with OpenSSL's "key values mismatch".
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-key-mismatch", function()
  it("runs as in Node", common.run(function()
    -- Node (OpenSSL 3): /^Error: error:05800074:x509 certificate routines::key values mismatch$/
    local errorMessagePattern = "^Error: error:05800074:x509 certificate routines::key values mismatch$"
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }
    local err = assert.throws(function()
      tls.createSecureContext(options)
    end, {})
    assert.match(tostring(err), errorMessagePattern)
  end))
end)
