-- Node v20.11.1 test/parallel/test-net-end-destroyed.js, ported
-- (doc/node-tests.md).
-- A client that ended gets 'end' from the peer before it is destroyed.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-end-destroyed", function()
  it("not destroyed at 'end'", common.run(function()
    local server = net.createServer()

    server:on("connection", common.mustCall())

    server:listen(common.mustCall(function()
      local socket = net.createConnection({
        port = server:address().port,
      })

      socket:on("connect", common.mustCall(function()
        socket:on("end", common.mustCall(function()
          assert.strictEqual(socket.destroyed, false)
          server:close()
        end))

        socket:done()
      end))
    end))
  end))
end)
