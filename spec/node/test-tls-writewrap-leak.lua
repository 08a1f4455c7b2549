-- Node v20.11.1 test/parallel/test-tls-writewrap-leak.js, ported
-- (doc/node-tests.md): a write waiting for the handshake when the connection
-- fails gets its callback, with ECANCELED.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-writewrap-leak", function()
  it("runs as in Node", common.run(function()
    local server
    server = net.createServer(common.mustCall(function(c)
      c:destroy()
    end)):listen(0, common.mustCall(function()
      local c = tls.connect({ port = server:address().port })
      -- (Node's listener calls its internal c._undestroy(), without which
      -- its write callback would get nil instead of the ECANCELED; left out:
      -- luatls gives the callback the ECANCELED itself)
      c:on("error", function() end)
      c:write("hello", common.mustCall(function(err)
        assert.strictEqual(err.code, "ECANCELED")
        server:close()
      end))
    end))
  end))
end)
