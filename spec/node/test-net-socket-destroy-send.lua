-- Node v20.11.1 test/parallel/test-net-socket-destroy-send.js, ported
-- (doc/node-tests.md).
-- destroy() returns the socket (twice too); a write afterwards fails with
-- ERR_STREAM_DESTROYED, in its callback only.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-socket-destroy-send", function()
  it("write after destroy()", common.run(function()
    local server = net.createServer()
    server:listen(0, common.mustCall(function()
      local port = server:address().port
      local conn = net.createConnection(port)

      conn:on("connect", common.mustCall(function()
        -- destroy() returns the socket, also when it does nothing
        assert.strictEqual(conn, conn:destroy():destroy())
        conn:on("error", common.mustNotCall())

        conn:write("kaboom", common.expectsError({
          code = "ERR_STREAM_DESTROYED",
          message = "Cannot call write after a stream was destroyed",
          name = "Error",
        }))
        server:close()
      end))
    end))
  end))
end)
