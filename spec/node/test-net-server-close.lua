-- Node v20.11.1 test/parallel/test-net-server-close.js, ported
-- (doc/node-tests.md).
-- server:close() returns the server; its 'close' comes once the
-- connections it had are destroyed.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-server-close", function()
  it("close() with two connections open", common.run(function()
    local sockets = {}
    local server

    server = net.createServer(function(c)
      c:on("close", common.mustCall())

      sockets[#sockets + 1] = c

      if #sockets == 2 then
        assert.strictEqual(server:close(), server)
        for _, s in ipairs(sockets) do s:destroy() end
      end
    end)

    server:on("close", common.mustCall())

    assert.strictEqual(server, server:listen(0, function()
      net.createConnection(server:address().port)
      net.createConnection(server:address().port)
    end))
  end))
end)
