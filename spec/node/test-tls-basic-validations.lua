-- Node v20.11.1 test/parallel/test-tls-basic-validations.js, ported
-- (doc/node-tests.md): option types and values checked by createSecureContext, createServer,
-- createSecurePair and convertALPNProtocols.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-basic-validations", function()
  it("runs as in Node", common.run(function()
    assert.throws(function() tls.createSecureContext({ ciphers = 1 }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      message = 'The "options.ciphers" property must be of type string. Received type number (1)',
    })

    assert.throws(function() tls.createServer({ ciphers = 1 }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      message = 'The "options.ciphers" property must be of type string. Received type number (1)',
    })

    assert.throws(function() tls.createSecureContext({ key = "dummykey", passphrase = 1 }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      messagePattern = 'The "options%.passphrase" property must be of type string',
    })

    assert.throws(function() tls.createServer({ key = "dummykey", passphrase = 1 }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      messagePattern = 'The "options%.passphrase" property must be of type string',
    })

    assert.throws(function() tls.createServer({ ecdhCurve = 1 }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      messagePattern = 'The "options%.ecdhCurve" property must be of type string',
    })

    assert.throws(function() tls.createServer({ handshakeTimeout = "abcd" }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      message = 'The "options.handshakeTimeout" property must be of type number.' ..
        " Received type string ('abcd')",
    })

    assert.throws(function() tls.createServer({ sessionTimeout = "abcd" }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      messagePattern = 'The "options%.sessionTimeout" property must be of type number',
    })

    -- (Node: ticketKeys must be a Buffer; in Lua a Buffer is a string)
    assert.throws(function() tls.createServer({ ticketKeys = 1 }) end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      messagePattern = 'The "options%.ticketKeys" property must be',
    })

    assert.throws(function() tls.createServer({ ticketKeys = "" }) end, {
      code = "ERR_INVALID_ARG_VALUE",
      messagePattern = "The property 'options%.ticketKeys' must be exactly 48 bytes",
    })

    assert.throws(function() tls.createSecurePair({}) end, {
      message = "context must be a SecureContext",
      code = "ERR_TLS_INVALID_CONTEXT",
      name = "TypeError",
    })

    do
      -- deliberate (README: "a string is taken as wire format already
      -- (Node's Buffer)"; options.lua: "Unlike Node ... a string that is no
      -- wire-format list, raises"): Node copies the bytes "abcd" as they are
      local buffer = "abcd"
      local out = {}
      assert.throws(function() tls.convertALPNProtocols(buffer, out) end, {
        code = "ERR_INVALID_ARG_VALUE",
        name = "TypeError",
      })
      assert(out.ALPNProtocols == nil)
      -- a wire-format string is taken as it is (Lua strings cannot change
      -- in place: a copy and the input are the same value)
      buffer = "\3abc"
      tls.convertALPNProtocols(buffer, out)
      assert(buffer == "\3abc")
      assert(out.ALPNProtocols == "\3abc")
    end

    -- (Node's loop over the ArrayBufferView kinds of the input: JS typed
    -- arrays, no Lua counterpart)

    do
      local protocols = { string.rep("a", 500) }
      local out = {}
      assert.throws(function() tls.convertALPNProtocols(protocols, out) end, {
        code = "ERR_OUT_OF_RANGE",
        message = "The byte length of the protocol at index 0 exceeds the " ..
          "maximum length. It must be <= 255. Received 500",
      })
    end

    assert.throws(function() tls.createSecureContext({ minVersion = "fhqwhgads" }) end, {
      code = "ERR_TLS_INVALID_PROTOCOL_VERSION",
      name = "TypeError",
    })

    assert.throws(function() tls.createSecureContext({ maxVersion = "fhqwhgads" }) end, {
      code = "ERR_TLS_INVALID_PROTOCOL_VERSION",
      name = "TypeError",
    })
  end))
end)
