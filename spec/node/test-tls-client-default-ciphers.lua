-- Node v20.11.1 test/parallel/test-tls-client-default-ciphers.js, ported
-- (doc/node-tests.md): tls.connect() makes its context with tls.createSecureContext and tls.DEFAULT_CIPHERS.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-client-default-ciphers", function()
  it("runs as in Node", common.run(function()
    local Done = {}
    local ciphers = ""
    local saved = tls.createSecureContext
    tls.createSecureContext = function(options)
      ciphers = options.ciphers
      error(setmetatable({}, Done), 0)
    end
    local ok, err = pcall(tls.connect)
    tls.createSecureContext = saved
    assert.ok(not ok, "Missing expected exception.")
    assert.ok(getmetatable(err) == Done, "the error is not a Done: " .. tostring(err))
    assert.strictEqual(ciphers, tls.DEFAULT_CIPHERS)
  end))
end)
