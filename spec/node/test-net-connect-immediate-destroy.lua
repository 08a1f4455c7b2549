-- Node v20.11.1 test/parallel/test-net-connect-immediate-destroy.js, ported
-- (doc/node-tests.md).
-- A connection destroyed at once: no 'connect', no 'error'.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-connect-immediate-destroy", function()
  it("destroy() right after connect()", common.run(function()
    local server = net.createServer()
    server:listen(0)
    local port = server:address().port
    local socket = net.connect(port, common.localhostIPv4, common.mustNotCall())
    socket:on("error", common.mustNotCall())
    server:close()
    socket:destroy()
  end))
end)
