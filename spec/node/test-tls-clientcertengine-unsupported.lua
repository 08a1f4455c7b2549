-- Node v20.11.1 test/parallel/test-tls-clientcertengine-unsupported.js, ported
-- (doc/node-tests.md): clientCertEngine without engine support in OpenSSL is refused.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-clientcertengine-unsupported", function()
  it("runs as luatls documents it", common.run(function()
    -- Node fakes an OpenSSL without engines (through internalBinding, left
    -- out) and expects ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED, "Custom
    -- engines not supported by this OpenSSL". luatls never has engines
    -- (README: "OpenSSL 3 replaces engines with providers: privateKeyEngine
    -- and clientCertEngine raise ERR_FEATURE_UNAVAILABLE_ON_PLATFORM saying
    -- so").
    assert.throws(function()
      tls.createSecureContext({ clientCertEngine = "Cannonmouth" })
    end, { code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", name = "TypeError",
      messagePattern = "OpenSSL 3 replaces engines with providers" })
  end))
end)
