-- Node v20.11.1 test/parallel/test-tls-wrap-econnreset-socket.js, ported
-- (doc/node-tests.md): over a socket given to tls.connect(), the
-- ECONNRESET during the handshake carries no address fields.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-wrap-econnreset-socket", function()
  it("runs as in Node", common.run(function()
    local server
    -- the ClientHello stays unread in the server's socket, so it has no
    -- 'end' and stays open: Node's process exits with it (inactive after
    -- EOF), the port closes it at exit
    local conns = {}
    common.onExit(function() for _, c in ipairs(conns) do c:destroy() end end)
    server = net.createServer(function(c)
      conns[#conns + 1] = c
      c:done()
    end):listen(common.mustCall(function()
      local port = server:address().port
      local socket = net.Socket.new()
      local errored = false
      tls.connect({ socket = socket })
        :once("error", common.mustCall(function(e)
          assert.strictEqual(e.code, "ECONNRESET")
          assert.strictEqual(e.path, nil)
          assert.strictEqual(e.host, nil)
          assert.strictEqual(e.port, nil)
          assert.strictEqual(e.localAddress, nil)
          errored = true
          server:close()
        end))
        :on("close", common.mustCall(function()
          assert.strictEqual(errored, true)
        end))
      socket:connect(port)
    end))
  end))
end)
