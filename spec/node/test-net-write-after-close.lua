-- Node v20.11.1 test/parallel/test-net-write-after-close.js, ported
-- (doc/node-tests.md).
-- A server's write to a client that has closed fails in its callback, not
-- with 'error'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-write-after-close", function()
  it("write's callback gets the error", common.run(function()
    local serverSocket

    local server = net.createServer(common.mustCall(function(socket)
      serverSocket = socket

      socket:resume()

      socket:on("error", common.mustNotCall())
    end))

    server:listen(0, function()
      net.connect(server:address().port, function(client)
        -- without allowHalfOpen, end() closes both sides; 'end' comes with
        -- the peer's FIN
        client:on("end", common.mustCall(function()
          serverSocket:write("test", common.mustCall(function(err)
            assert(err)
            server:close()
          end))
        end))
        client:done()
      end)
    end)
  end))
end)
