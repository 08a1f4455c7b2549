-- Node v20.11.1 test/parallel/test-net-connect-reset-after-destroy.js,
-- ported (doc/node-tests.md).
-- resetAndDestroy() of a connected socket: the server reads ECONNRESET, a
-- write afterwards fails with ERR_STREAM_DESTROYED.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-connect-reset-after-destroy", function()
  it("resetAndDestroy():destroy() on 'connect'", common.run(function()
    local server = net.createServer()
    server:listen(0, common.mustCall(function()
      local port = server:address().port
      local conn = net.createConnection(port)
      server:on("connection", function(socket)
        socket:on("error", common.expectsError({
          code = "ECONNRESET",
          message = "read ECONNRESET",
          name = "Error",
        }))
      end)

      conn:on("connect", common.mustCall(function()
        assert.strictEqual(conn, conn:resetAndDestroy():destroy())
        conn:on("error", common.mustNotCall())

        conn:write("fzfzfzfzfz", common.expectsError({
          code = "ERR_STREAM_DESTROYED",
          message = "Cannot call write after a stream was destroyed",
          name = "Error",
        }))
        server:close()
      end))
    end))
  end))
end)
