-- Node v20.11.1 test/parallel/test-net-socket-close-after-end.js, ported
-- (doc/node-tests.md).
-- A socket read late (after the peer's FIN) still emits 'end' before
-- 'close'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-net-socket-close-after-end", function()
  it("'end' before 'close'", common.run(function()
    local server = net.createServer()
    local client

    server:on("connection", function(socket)
      local endEmitted = false

      socket:once("readable", function()
        timers.setTimeout(function()
          socket:read()
        end, common.platformTimeout(100))
      end)
      socket:on("end", function()
        endEmitted = true
      end)
      socket:on("close", function()
        assert(endEmitted)
        server:close()
      end)
      socket:done("foo")
    end)

    server:listen(common.mustCall(function()
      client = net.createConnection(server:address().port, function(socket)
        socket:done("foo")
      end)
    end))
    -- nobody reads the client: it holds "foo" and the FIN, its handle no
    -- longer keeps the loop alive and Node's process exits with it open;
    -- the harness wants no handle left over
    common.onExit(function() client:destroy() end)
  end))
end)
