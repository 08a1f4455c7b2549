-- Node v20.11.1 test/parallel/test-tls-wrap-econnreset.js, ported
-- (doc/node-tests.md): a server that ends the TCP connection during the
-- handshake: the client's ECONNRESET carries host and port.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-wrap-econnreset", function()
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
      local errored = false
      tls.connect(port, common.localhostIPv4)
        :once("error", common.mustCall(function(e)
          assert.strictEqual(e.code, "ECONNRESET")
          assert.strictEqual(e.path, nil)
          assert.strictEqual(e.host, common.localhostIPv4)
          assert.strictEqual(e.port, port)
          assert.strictEqual(e.localAddress, nil)
          server:close()
          errored = true
        end))
        :on("close", common.mustCall(function()
          assert.strictEqual(errored, true)
        end))
    end))
  end))
end)
