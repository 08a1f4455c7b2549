-- Node v20.11.1 test/parallel/test-net-connect-reset-until-connected.js,
-- ported (doc/node-tests.md).
-- resetAndDestroy() once both ends saw the connection: the server reads
-- ECONNRESET, the client closes.
local common = require("spec.node.common")
local net = require("luatls.net")

local function barrier(count, cb)
  return function()
    count = count - 1
    if count == 0 then cb() end
  end
end

describe("test-net-connect-reset-until-connected", function()
  it("resetAndDestroy() after 'connect' and 'connection'", common.run(function()
    local server = net.createServer()
    server:listen(0, common.mustCall(function()
      local port = server:address().port
      local conn = net.createConnection(port)
      local connok = barrier(2, function() conn:resetAndDestroy() end)
      conn:on("close", common.mustCall())
      server:on("connection", function(socket)
        connok()
        socket:on("error", common.expectsError({
          code = "ECONNRESET",
          message = "read ECONNRESET",
          name = "Error",
        }))
        server:close()
      end)
      conn:on("connect", connok)
    end))
  end))
end)
