-- Node v20.11.1 test/parallel/test-tls-empty-sni-context.js, ported
-- (doc/node-tests.md): an SNICallback that answers a context without a
-- certificate fails the handshake on both ends.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-empty-sni-context", function()
  it("runs as in Node", common.run(function()
    local options = {
      SNICallback = function(_, callback)
        callback(nil, tls.createSecureContext())
      end,
    }
    local server
    server = tls.createServer(options, function()
      assert.fail("Should not be called")
    end):on("tlsClientError", common.mustCall(function(err)
      -- Node's /passed a null parameter/i
      assert.match(err.message:lower(), "passed a null parameter")
      server:close()
    end)):listen(0, common.mustCall(function()
      local c = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        servername = "any.name",
      }, common.mustNotCall())
      c:on("error", common.mustCall(function(err)
        assert.strictEqual(err.code, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
      end))
    end))
  end))
end)
