-- Node v20.11.1 test/parallel/test-net-socket-timeout-unref.js, ported
-- (doc/node-tests.md).
-- A socket's timeout does not keep an unref'd socket (and the loop) alive.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-socket-timeout-unref", function()
  it("the loop ends before the timeouts", common.run(function()
    local accepted = {}
    local server = net.createServer(function(c)
      accepted[#accepted + 1] = c
      c:write("hello")
      c:unref()
    end)
    server:listen(0)
    server:unref()

    local connections = 0
    local sockets = {}
    local delays = { 8, 5, 3, 6, 2, 4 }

    for _, T in ipairs(delays) do
      local socket = net.createConnection(server:address().port, "localhost")
      socket:on("connect", common.mustCall(function()
        connections = connections + 1
        if connections == #delays then
          for _, s in ipairs(sockets) do
            s.socket:setTimeout(s.timeout, function()
              s.socket:destroy()
              error("socket timed out unexpectedly")
            end)

            s.socket:unref()
          end
        end
      end))

      sockets[#sockets + 1] = { socket = socket, timeout = T * 1000 }
    end

    -- Node's process exits with all of these open; the harness wants no
    -- handle left over
    common.onExit(function()
      for _, s in ipairs(sockets) do s.socket:destroy() end
      for _, c in ipairs(accepted) do c:destroy() end
      server:close()
    end)
  end))
end)
