-- Node v20.11.1 test/parallel/test-net-connect-paused-connection.js, ported
-- (doc/node-tests.md).
-- A paused client connection does not keep the loop alive.
local common = require("spec.node.common")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-net-connect-paused-connection", function()
  it("the loop ends with a paused connection open", common.run(function()
    local conns = {}
    local server, timer
    server = net.createServer(function(conn)
      conns[#conns + 1] = conn
      conn:unref()
    end):listen(0, common.mustCall(function()
      conns[#conns + 1] = net.connect(server:address().port, "localhost"):pause()

      timer = timers.setTimeout(common.mustNotCall("expected to exit"), 1000):unref()
    end))
    server:unref()
    -- Node's process exits with these open; the harness wants no handle
    -- left over (nor a timer firing in a later test)
    common.onExit(function()
      timers.clearTimeout(timer)
      for _, c in ipairs(conns) do c:destroy() end
      server:close()
    end)
  end))
end)
