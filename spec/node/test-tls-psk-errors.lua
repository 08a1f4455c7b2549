-- Node v20.11.1 test/parallel/test-tls-psk-errors.js, ported (doc/node-tests.md).
-- A pskIdentityHint OpenSSL refuses (too long) is a 'tlsClientError' on the
-- server; the client's connection is reset.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")
local errors = require("luatls.errors")

describe("test-tls-psk-errors", function()
  it("a too long pskIdentityHint", common.run(function()
    local server
    server = tls.createServer({
      ciphers = "PSK+HIGH",
      pskCallback = function() end,
      pskIdentityHint = string.rep("a", 512), -- too long
    })
    server:on("tlsClientError", function(err)
      assert.ok(errors.is(err))
      assert.strictEqual(err.code, "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED")
      server:close()
    end)
    server:listen(0, function()
      local client = tls.connect({
        port = server:address().port,
        ciphers = "PSK+HIGH",
        checkServerIdentity = function() end,
        pskCallback = function() end,
      }, function() end)
      client:on("error", common.expectsError({ code = "ECONNRESET" }))
    end)
  end))
end)
