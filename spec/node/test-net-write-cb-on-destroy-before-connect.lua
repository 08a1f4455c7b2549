-- Node v20.11.1 test/parallel/test-net-write-cb-on-destroy-before-connect.js,
-- ported (doc/node-tests.md).
-- A write waiting for the connection fails with
-- ERR_SOCKET_CLOSED_BEFORE_CONNECTION when the socket is destroyed first.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-write-cb-on-destroy-before-connect", function()
  it("write, then destroy() while connecting", common.run(function()
    local server = net.createServer()
    server:listen(0, common.mustCall(function()
      local socket = net.Socket.new()

      socket:on("connect", common.mustNotCall())

      socket:connect({
        port = server:address().port,
      })

      assert(socket.connecting)

      socket:write("foo", common.expectsError({
        code = "ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
        name = "Error",
      }))

      socket:destroy()
      server:close()
    end))
  end))
end)
