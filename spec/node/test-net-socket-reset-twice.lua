-- Node v20.11.1 test/parallel/test-net-socket-reset-twice.js, ported
-- (doc/node-tests.md).
-- resetAndDestroy() from the 'error' listener of a refused connection:
-- one 'error', one 'close'.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-socket-reset-twice", function()
  it("resetAndDestroy() in 'error'", common.run(function()
    local server = net.createServer()
    server:listen(0)
    local port = server:address().port
    local conn = net.createConnection(port)

    conn:on("error", common.mustCall(function()
      conn:resetAndDestroy()
    end))

    conn:on("close", common.mustCall())
    server:close()
  end))
end)
