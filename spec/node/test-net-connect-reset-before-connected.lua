-- Node v20.11.1 test/parallel/test-net-connect-reset-before-connected.js,
-- ported (doc/node-tests.md).
-- resetAndDestroy() then destroy() while connecting: no 'connect', no
-- 'error'.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-connect-reset-before-connected", function()
  it("resetAndDestroy() while connecting", common.run(function()
    local server = net.createServer()
    server:listen(0)
    local port = server:address().port
    local socket = net.connect(port, common.localhostIPv4, common.mustNotCall())
    socket:on("error", common.mustNotCall())
    server:close()
    socket:resetAndDestroy()
    socket:destroy()
  end))
end)
