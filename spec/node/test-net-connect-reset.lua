-- Node v20.11.1 test/parallel/test-net-connect-reset.js, ported
-- (doc/node-tests.md).
-- resetAndDestroy() on a socket with no handle: 'error' ERR_SOCKET_CLOSED.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-connect-reset", function()
  it("resetAndDestroy() of a new socket", common.run(function()
    local socket = net.Socket.new()
    socket:resetAndDestroy()
    socket:on("error", common.mustCall(common.expectsError({
      code = "ERR_SOCKET_CLOSED",
      name = "Error",
    })))
  end))
end)
