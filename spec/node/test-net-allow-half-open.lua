-- Node v20.11.1 test/parallel/test-net-allow-half-open.js, ported
-- (doc/node-tests.md).
-- Without allowHalfOpen, a client that gets the peer's FIN ends its side
-- properly (not destroyed at 'end' or 'finish'), then closes.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local tick = require("luatls.tick")

describe("test-net-allow-half-open", function()
  it("the client ends after the server's end, without being destroyed at once", common.run(function()
    local server
    server = net.createServer(common.mustCall(function(socket)
      socket:done(string.rep("\0", 1024))
    end)):listen(0, common.mustCall(function()
      local socket = net.connect(server:address().port)
      assert.strictEqual(socket.allowHalfOpen, false)
      socket:resume()
      socket:on("end", common.mustCall(function()
        tick.nextTick(function()
          -- not destroyed straight away without a proper shutdown
          assert(not socket.destroyed)
          server:close()
        end)
      end))
      socket:on("finish", common.mustCall(function()
        assert(not socket.destroyed)
      end))
      socket:on("close", common.mustCall())
    end))
  end))

  it("a client that ends itself too", common.run(function()
    local server, accepted
    server = net.createServer(common.mustCall(function(socket)
      accepted = socket
      socket:done(string.rep("\0", 1024))
    end)):listen(0, common.mustCall(function()
      local socket = net.connect(server:address().port)
      assert.strictEqual(socket.allowHalfOpen, false)
      socket:resume()
      socket:on("end", common.mustCall(function()
        assert(not socket.destroyed)
      end))
      socket:done("asd")
      socket:on("finish", common.mustCall(function()
        assert(not socket.destroyed)
      end))
      socket:on("close", common.mustCall(function()
        server:close()
      end))
    end))
    -- nobody reads the server's socket: it holds "asd" and the FIN, so it
    -- never ends, but its handle no longer keeps the loop alive, and Node's
    -- process exits with it open; the harness wants no handle left over
    common.onExit(function() accepted:destroy() end)
  end))
end)
