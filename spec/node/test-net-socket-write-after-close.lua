-- Node v20.11.1 test/parallel/test-net-socket-write-after-close.js, ported
-- (doc/node-tests.md).
-- A write on a socket whose handle was closed under it: 'write EBADF'; with
-- the handle gone too: ERR_SOCKET_CLOSED.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-socket-write-after-close", function()
  it("the handle closed: write EBADF", common.run(function()
    local server = net.createServer()

    server:listen(common.mustCall(function()
      local port = server:address().port
      net.connect({ port = port }, common.mustCall(function(client)
        client:on("error", common.mustCall(function(err)
          server:close()
          -- Node: err.constructor === Error
          assert.strictEqual(err.name, "Error")
          assert.strictEqual(err.message, "write EBADF")
        end))
        client._handle:close()
        client:write("foo")
      end))
    end))
  end))

  it("the handle closed and gone: ERR_SOCKET_CLOSED", common.run(function()
    local server = net.createServer()

    server:listen(common.mustCall(function()
      local port = server:address().port
      net.connect({ port = port }, common.mustCall(function(client)
        client:on("error", common.expectsError({
          code = "ERR_SOCKET_CLOSED",
          message = "Socket is closed",
          name = "Error",
        }))

        server:close()

        client._handle:close()
        client._handle = nil
        client:write("foo")
      end))
    end))
  end))
end)
