-- Node v20.11.1 test/parallel/test-tls-client-abort2.js, ported
-- (doc/node-tests.md): a client of port 0 fails with 'error', and never connects.
local common = require("spec.node.common")
local tls = require("luatls.tls")

describe("test-tls-client-abort2", function()
  it("runs as in Node", common.run(function()
    local conn
    conn = tls.connect(0, common.mustNotCall())
    conn:on("error", common.mustCall(function()
      conn:destroy()
    end))
  end))
end)
