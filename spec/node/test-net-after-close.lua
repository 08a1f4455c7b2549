-- Node v20.11.1 test/parallel/test-net-after-close.js, ported
-- (doc/node-tests.md).
-- A closed socket has no handle, and its methods and properties still work.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-after-close", function()
  it("a closed socket's methods do not raise", common.run(function()
    local server = net.createServer(common.mustCall(function(s)
      s:done()
    end))

    server:listen(0, common.mustCall(function()
      local c = net.createConnection(server:address().port)
      c:on("close", common.mustCall(function()
        assert.strictEqual(c._handle, nil)
        -- none of these raises on a closed socket
        c:setNoDelay()
        c:setKeepAlive()
        local _ = c.bufferSize
        c:pause()
        c:resume()
        c:address()
        _ = c.remoteAddress
        _ = c.remotePort
        server:close()
      end))
    end))
  end))
end)
