-- Node v20.11.1 test/parallel/test-tls-cipher-list.js, ported
-- (doc/node-tests.md): --tls-cipher-list sets crypto.constants.defaultCipherList and tls.DEFAULT_CIPHERS.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")
local defaultCoreList = require("luatls.crypto").constants.defaultCoreCipherList

-- Node's `node [args] -pe expression`: a child luatls printing the value
local function doCheck(args, expression, check)
  local out, status = helper.sh(helper.quote(helper.luatls) .. " " .. table.concat(args, " ") ..
    " -e " .. helper.quote("local tls, crypto = require('tls'), require('crypto'); print(" .. expression .. ")"))
  assert.strictEqual(status, 0, out)
  assert.strictEqual((out:gsub("^%s+", ""):gsub("%s+$", "")), check)
end

describe("test-tls-cipher-list", function()
  it("runs as in Node", common.run(function()
    assert.strictEqual(type(defaultCoreList), "string")
    doCheck({}, "crypto.constants.defaultCipherList", defaultCoreList)
    doCheck({}, "tls.DEFAULT_CIPHERS", defaultCoreList)

    doCheck({ "--tls-cipher-list=ABC" }, "crypto.constants.defaultCipherList", "ABC")
    doCheck({ "--tls-cipher-list=ABC" }, "tls.DEFAULT_CIPHERS", "ABC")
  end))
end)
