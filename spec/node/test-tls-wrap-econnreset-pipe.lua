-- Node v20.11.1 test/parallel/test-tls-wrap-econnreset-pipe.js, ported
-- (doc/node-tests.md): over a Unix socket, the client's ECONNRESET during
-- the handshake carries the path. (Node runs the body in a forked child, to
-- have a fresh tmpdir: here common.pipe() gives one.)
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-wrap-econnreset-pipe", function()
  it("runs as in Node", common.run(function()
    local PIPE = common.pipe()
    local server
    -- the ClientHello stays unread in the server's socket, so it has no
    -- 'end' and stays open: Node's process exits with it (inactive after
    -- EOF), the port closes it at exit
    local conns = {}
    common.onExit(function() for _, c in ipairs(conns) do c:destroy() end end)
    server = net.createServer(function(c)
      conns[#conns + 1] = c
      c:done()
    end):listen(PIPE, common.mustCall(function()
      local errored = false
      tls.connect({ path = PIPE })
        :once("error", common.mustCall(function(e)
          assert.strictEqual(e.code, "ECONNRESET")
          assert.strictEqual(e.path, PIPE)
          assert.strictEqual(e.port, nil)
          assert.strictEqual(e.host, nil)
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
