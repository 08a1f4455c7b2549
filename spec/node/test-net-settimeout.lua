-- Node v20.11.1 test/parallel/test-net-settimeout.js, ported
-- (doc/node-tests.md).
-- setTimeout(0) removes the timeout and its callback; setTimeout returns
-- the socket.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local EventEmitter = require("luatls.events")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-net-settimeout", function()
  it("setTimeout(0) cancels", common.run(function()
    local T = 100

    local server
    server = net.createServer(common.mustCall(function(c)
      c:write("hello")
    end))

    server:listen(0, function()
      local socket = net.createConnection(server:address().port, "localhost")

      local s = socket:setTimeout(T, common.mustNotCall())
      assert.ok(EventEmitter.instanceOf(s, net.Socket))

      socket:on("data", common.mustCall(function()
        timers.setTimeout(function()
          socket:destroy()
          server:close()
        end, T * 2)
      end))

      socket:setTimeout(0)
    end)
  end))
end)
