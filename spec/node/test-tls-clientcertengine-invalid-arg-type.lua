-- Node v20.11.1 test/parallel/test-tls-clientcertengine-invalid-arg-type.js, ported
-- (doc/node-tests.md): clientCertEngine of the wrong type is refused.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-clientcertengine-invalid-arg-type", function()
  it("runs as luatls documents it", common.run(function()
    -- Node: ERR_INVALID_ARG_TYPE, message / Received type number \(0\)/.
    -- luatls refuses clientCertEngine itself, whatever its value (README:
    -- "privateKeyEngine and clientCertEngine raise
    -- ERR_FEATURE_UNAVAILABLE_ON_PLATFORM"), before looking at its type.
    assert.throws(function()
      tls.createSecureContext({ clientCertEngine = 0 })
    end, { code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", name = "TypeError",
      messagePattern = "option 'clientCertEngine' is unavailable" })
  end))
end)
