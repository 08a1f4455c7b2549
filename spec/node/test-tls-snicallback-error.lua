-- Node v20.11.1 test/parallel/test-tls-snicallback-error.js, ported
-- (doc/node-tests.md): an SNICallback that is not a function is refused by
-- tls.createServer() and by a server-side TLSSocket.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-snicallback-error", function()
  it("runs as in Node", common.run(function()
    for _, SNICallback in ipairs({ "fhqwhgads", 42, {}, {} }) do
      assert.throws(function()
        tls.createServer({ SNICallback = SNICallback })
      end, { code = "ERR_INVALID_ARG_TYPE", name = "TypeError" })

      assert.throws(function()
        tls.TLSSocket.new(net.Socket.new(), { isServer = true, SNICallback = SNICallback })
      end, { code = "ERR_INVALID_ARG_TYPE", name = "TypeError" })
    end
  end))
end)
