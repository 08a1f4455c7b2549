-- Node v20.11.1 test/parallel/test-net-can-reset-timeout.js, ported
-- (doc/node-tests.md).
-- A write from the 'timeout' listener re-arms the timeout; both sides end.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-can-reset-timeout", function()
  it("'timeout' once, then the ends", common.run(function()
    local server
    server = net.createServer(common.mustCall(function(stream)
      stream:setTimeout(100)

      stream:resume()

      stream:once("timeout", common.mustCall(function()
        -- a write resets the timeout
        stream:write("WHAT.")
      end))

      stream:on("end", common.mustCall(function()
        stream:done()
      end))
    end))

    server:listen(0, common.mustCall(function()
      local c = net.createConnection(server:address().port)

      c:on("data", function()
        c:done()
      end)

      c:on("end", function()
        server:close()
      end)
    end))
  end))
end)
