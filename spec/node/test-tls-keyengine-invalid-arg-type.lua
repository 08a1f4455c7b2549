-- Node v20.11.1 test/parallel/test-tls-keyengine-invalid-arg-type.js, ported
-- (doc/node-tests.md): privateKeyEngine/privateKeyIdentifier of the wrong type are refused.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-keyengine-invalid-arg-type", function()
  it("runs as luatls documents it", common.run(function()
    -- Node: ERR_INVALID_ARG_TYPE, message / Received type number \(0\)$/, for
    -- both. luatls refuses privateKeyEngine itself, whatever its value
    -- (README: "privateKeyEngine and clientCertEngine raise
    -- ERR_FEATURE_UNAVAILABLE_ON_PLATFORM"), before looking at the types.
    assert.throws(function()
      tls.createSecureContext({ privateKeyEngine = 0, privateKeyIdentifier = "key" })
    end, { code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", name = "TypeError" })
    assert.throws(function()
      tls.createSecureContext({ privateKeyEngine = "engine", privateKeyIdentifier = 0 })
    end, { code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", name = "TypeError" })
    -- what Node checks, without the engine: the identifier's type
    assert.throws(function()
      tls.createSecureContext({ privateKeyIdentifier = 0 })
    end, { code = "ERR_INVALID_ARG_TYPE", messagePattern = " Received type number %(0%)$" })
  end))
end)
