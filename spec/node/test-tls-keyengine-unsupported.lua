-- Node v20.11.1 test/parallel/test-tls-keyengine-unsupported.js, ported
-- (doc/node-tests.md): an OpenSSL without engines refuses privateKeyEngine.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-keyengine-unsupported", function()
  it("runs as luatls documents it", common.run(function()
    -- Node fakes an OpenSSL without engine support through internalBinding
    -- and expects ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED, "Custom engines not
    -- supported by this OpenSSL". luatls (OpenSSL 3, providers) is that case
    -- for real, and says so with ERR_FEATURE_UNAVAILABLE_ON_PLATFORM (README).
    assert.throws(function()
      tls.createSecureContext({
        privateKeyEngine = "engine",
        privateKeyIdentifier = "key",
      })
    end, { code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", name = "TypeError", messagePattern = "privateKeyEngine" })
  end))
end)
