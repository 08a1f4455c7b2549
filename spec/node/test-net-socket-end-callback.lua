-- Node v20.11.1 test/parallel/test-net-socket-end-callback.js, ported
-- (doc/node-tests.md).
-- end(cb), end(data, cb), end(data, encoding, cb) all call cb.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-socket-end-callback", function()
  it("end()'s callback in its three forms", common.run(function()
    local server = net.createServer(function(socket)
      socket:resume()
    end):unref()

    server:listen(common.mustCall(function()
      local function connect(...)
        local args = table.pack(...)
        net.createConnection(server:address().port, function(socket)
          socket:done(table.unpack(args, 1, args.n))
        end)
      end

      local cb = common.mustCall(3)

      connect(cb)
      connect("foo", cb)
      connect("foo", "utf8", cb)
    end))
    -- Node's process exits with the unref'd server listening
    common.onExit(function() server:close() end)
  end))
end)
