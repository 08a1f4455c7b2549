-- Node v20.11.1 test/parallel/test-tls-legacy-deprecated.js, ported
-- (doc/node-tests.md): tls.createSecurePair() emits the DEP0064 DeprecationWarning.
local common = require("spec.node.common")
local tls = require("luatls.tls")

describe("test-tls-legacy-deprecated", function()
  it("runs as in Node", common.run(function()
    common.expectWarning("DeprecationWarning",
      "tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead.", "DEP0064")
    local pair = tls.createSecurePair()
    -- (its ends are still open, idle, when the loop ends: Node's process
    -- exits past them)
    common.onExit(function() pair:destroy() end)
  end))
end)
