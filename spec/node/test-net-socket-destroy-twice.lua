-- Node v20.11.1 test/parallel/test-net-socket-destroy-twice.js, ported
-- (doc/node-tests.md).
-- destroy() from the 'error' listener: one 'close'.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-socket-destroy-twice", function()
  it("destroy() in 'error'", common.run(function()
    local server = net.createServer()
    server:listen(0)
    local port = server:address().port
    local conn = net.createConnection(port)

    conn:on("error", common.mustCall(function()
      conn:destroy()
    end))

    conn:on("close", common.mustCall())
    server:close()
  end))
end)
