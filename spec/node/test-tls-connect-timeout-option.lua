-- Node v20.11.1 test/parallel/test-tls-connect-timeout-option.js, ported
-- (doc/node-tests.md): tls.connect's timeout option sets socket.timeout at once.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-connect-timeout-option", function()
  it("runs as in Node", common.run(function()
    local socket = tls.connect({
      port = 42,
      lookup = function() end,
      timeout = 1000,
    })
    assert.strictEqual(socket.timeout, 1000)
  end))
end)
