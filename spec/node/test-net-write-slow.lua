-- Node v20.11.1 test/parallel/test-net-write-slow.js, ported
-- (doc/node-tests.md).
-- 2 MB written at once to a client that reads slowly (pause/resume): all
-- of it arrives, every write's callback runs.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-net-write-slow", function()
  it("a slow reader gets everything", common.run(function()
    local SIZE = 2E5
    local N = 10
    local flushed = 0
    local received = 0
    local buf = string.rep("a", SIZE)

    local server
    server = net.createServer(function(socket)
      socket:setNoDelay()
      socket:setTimeout(9999)
      socket:on("timeout", function()
        assert.fail(string.format("flushed: %d, received: %d/%d", flushed, received, SIZE * N))
      end)

      for _ = 1, N do
        socket:write(buf, function()
          flushed = flushed + 1
          if flushed == N then
            socket:setTimeout(0)
          end
        end)
      end
      socket:done()
    end):listen(0, common.mustCall(function()
      local conn = net.connect(server:address().port)
      conn:on("data", function(data)
        received = received + #data
        conn:pause()
        timers.setTimeout(function()
          conn:resume()
        end, 20)
      end)
      conn:on("end", common.mustCall(function()
        server:close()
        assert.strictEqual(received, SIZE * N)
      end))
    end))
  end))
end)
