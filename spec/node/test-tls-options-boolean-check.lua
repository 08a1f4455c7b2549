-- Node v20.11.1 test/parallel/test-tls-options-boolean-check.js, ported (doc/node-tests.md).
-- key, cert and ca: false is "not given", other non-string values raise
-- ERR_INVALID_ARG_TYPE naming the option. Node's ArrayBuffer and DataView
-- variants are left out (V8 typed arrays; a Buffer is a Lua string).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-options-boolean-check", function()
  it("runs as in Node", common.run(function()
    local keyBuff = fixtures.readKey("agent1-key.pem")
    local certBuff = fixtures.readKey("agent1-cert.pem")
    local keyBuff2 = fixtures.readKey("ec-key.pem")
    local certBuff2 = fixtures.readKey("ec-cert.pem")
    local caCert = fixtures.readKey("ca1-cert.pem")
    local caCert2 = fixtures.readKey("ca2-cert.pem")
    local keyStr = tostring(keyBuff)
    local certStr = tostring(certBuff)
    local keyStr2 = tostring(keyBuff2)
    local certStr2 = tostring(certBuff2)
    local caCertStr = tostring(caCert)
    local caCertStr2 = tostring(caCert2)

    -- createServer does not raise
    for _, c in ipairs({
      { keyBuff, certBuff },
      { false, certBuff },
      { keyBuff, false },
      { keyStr, certStr },
      { false, certStr },
      { keyStr, false },
      { false, false },
      { { keyBuff, keyBuff2 }, { certBuff, certBuff2 } },
      { { keyStr, keyStr2 }, { certStr, certStr2 } },
      { { keyStr, keyStr2 }, false },
      { false, { certStr, certStr2 } },
      { { { pem = keyBuff } }, false },
      { { { pem = keyBuff }, { pem = keyBuff } }, false },
    }) do
      tls.createServer({ key = c[1], cert = c[2] })
    end

    -- a bad key raises
    for _, c in ipairs({
      { true, certBuff },
      { true, certStr },
      { true, false },
      { true, false },
      { { pem = keyBuff }, false },
      { { keyBuff, true }, { certBuff, certBuff2 }, 1 },
      { { true, keyStr2 }, { certStr, certStr2 }, 0 },
      { { true, false }, { certBuff, certBuff2 }, 0 },
      { true, { certBuff, certBuff2 } },
    }) do
      local key, cert, index = c[1], c[2], c[3]
      local val = index == nil and key or key[index + 1]
      assert.throws(function()
        tls.createServer({ key = key, cert = cert })
      end, {
        code = "ERR_INVALID_ARG_TYPE",
        name = "TypeError",
        message = 'The "options.key" property must be of type string or an ' ..
          "instance of Buffer, TypedArray, or DataView." ..
          common.invalidArgTypeHelper(val),
      })
    end

    -- a bad cert raises
    for _, c in ipairs({
      { keyBuff, true },
      { keyStr, true },
      { true, true },
      { false, true },
      { false, { pem = keyBuff } },
      { false, 1 },
      { { keyBuff, keyBuff2 }, { true, certBuff2 }, 0 },
      { { keyStr, keyStr2 }, { certStr, true }, 1 },
      { { keyStr, keyStr2 }, { true, false }, 0 },
      { { keyStr, keyStr2 }, true },
    }) do
      local key, cert, index = c[1], c[2], c[3]
      local val = index == nil and cert or cert[index + 1]
      assert.throws(function()
        tls.createServer({ key = key, cert = cert })
      end, {
        code = "ERR_INVALID_ARG_TYPE",
        name = "TypeError",
        message = 'The "options.cert" property must be of type string or an ' ..
          "instance of Buffer, TypedArray, or DataView." ..
          common.invalidArgTypeHelper(val),
      })
    end

    -- ca is accepted
    for _, c in ipairs({
      { keyBuff, certBuff, caCert },
      { keyBuff, certBuff, { caCert, caCert2 } },
      { keyBuff, certBuff, caCertStr },
      { keyBuff, certBuff, { caCertStr, caCertStr2 } },
      { keyBuff, certBuff, false },
    }) do
      tls.createServer({ key = c[1], cert = c[2], ca = c[3] })
    end

    -- a bad ca raises
    for _, c in ipairs({
      { keyBuff, certBuff, true },
      -- (Node's `{}` case is left out: in Lua it is also the empty list,
      -- `[]`, which Node accepts as "no CA")
      { keyBuff, certBuff, 1 },
      { keyBuff, certBuff, true },
      { keyBuff, certBuff, { caCert, true }, 1 },
    }) do
      local key, cert, ca, index = c[1], c[2], c[3], c[4]
      local val = index == nil and ca or ca[index + 1]
      assert.throws(function()
        tls.createServer({ key = key, cert = cert, ca = ca })
      end, {
        code = "ERR_INVALID_ARG_TYPE",
        name = "TypeError",
        message = 'The "options.ca" property must be of type string or an instance' ..
          " of Buffer, TypedArray, or DataView." ..
          common.invalidArgTypeHelper(val),
      })
    end

    -- createSecureContext takes false-y values
    for _, c in ipairs({
      { n = 3, nil, nil, nil },
      { false, false, false },
      { "", "", "" },
      { 0, 0, 0 },
    }) do
      tls.createSecureContext({ key = c[1], cert = c[2], ca = c[3] })
    end
  end))
end)
