-- Node v20.11.1 test/parallel/test-tls-reduced-SECLEVEL-in-cipher.js, ported (doc/node-tests.md).
-- A too small key is refused, unless ciphers lowers OpenSSL's security level.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-reduced-SECLEVEL-in-cipher", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent11-key.pem"),
      cert = fixtures.readKey("agent11-cert.pem"),
      ciphers = "DEFAULT",
    }

    -- OpenSSL 3 refuses the key as too small
    assert.throws(function() tls.createServer(options, common.mustNotCall()) end,
      { messagePattern = "[Kk][Ee][Yy] [Tt][Oo][Oo] [Ss][Mm][Aa][Ll][Ll]" })

    -- @SECLEVEL=0 in ciphers allows it: ciphers are set before the
    -- certificate and key are loaded
    options.ciphers = "DEFAULT:@SECLEVEL=0"
    assert.ok(tls.createServer(options, common.mustNotCall()))
  end))
end)
