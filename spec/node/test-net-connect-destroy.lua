-- Node v20.11.1 test/parallel/test-net-connect-destroy.js, ported
-- (doc/node-tests.md).
-- A socket never connected still emits 'close' when destroyed.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-connect-destroy", function()
  it("'close' after destroy() of a new socket", common.run(function()
    local socket = net.Socket.new()
    socket:on("close", common.mustCall())
    socket:destroy()
  end))
end)
