-- Node v20.11.1 test/parallel/test-net-socket-end-before-connect.js, ported
-- (doc/node-tests.md).
-- end() while connecting: the socket connects, ends and closes.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-socket-end-before-connect", function()
  it("end() before 'connect'", common.run(function()
    local server = net.createServer()

    server:listen(common.mustCall(function()
      local socket = net.createConnection(server:address().port)
      socket:on("close", common.mustCall(function() server:close() end))
      socket:done()
    end))
  end))
end)
