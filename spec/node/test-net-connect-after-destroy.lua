-- Node v20.11.1 test/parallel/test-net-connect-after-destroy.js, ported
-- (doc/node-tests.md).
-- A connection destroyed while its lookup is under way does not raise.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-connect-after-destroy", function()
  it("destroy() during the lookup", common.run(function()
    -- Node connects to google.com:80; loopback only here ("localhost" still
    -- goes through the lookup that the destroy interrupts)
    local c = net.createConnection(80, "localhost")
    c:destroy()
  end))
end)
