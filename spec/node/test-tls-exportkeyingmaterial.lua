-- Node v20.11.1 test/parallel/test-tls-exportkeyingmaterial.js, ported
-- (doc/node-tests.md): exportKeyingMaterial() before the handshake, its
-- results and its argument checks. Left out: a JS string as context is a
-- TypeError in Node (only Buffers), but a Lua string is luatls's Buffer.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-exportkeyingmaterial", function()
  it("runs as in Node", common.run(function()
    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")

    local server
    server = net.createServer(common.mustCall(function(s)
      local tlsSocket = tls.TLSSocket.new(s, {
        isServer = true,
        server = server,
        secureContext = tls.createSecureContext({ key = key, cert = cert }),
      })

      assert.throws(function()
        tlsSocket:exportKeyingMaterial(128, "label")
      end, {
        name = "Error",
        message = "TLS socket connection must be securely established",
        code = "ERR_TLS_INVALID_STATE",
      })

      tlsSocket:on("secure", common.mustCall(function()
        local label = "client finished"

        local validKeyingMaterial = tlsSocket:exportKeyingMaterial(128, label)
        assert.strictEqual(#validKeyingMaterial, 128)

        local validKeyingMaterialWithContext = tlsSocket:exportKeyingMaterial(128, label, "\0\1\2\3")
        assert.strictEqual(#validKeyingMaterialWithContext, 128)

        -- a context gives another key than none
        assert.notStrictEqual(validKeyingMaterial, validKeyingMaterialWithContext)

        local validKeyingMaterialWithEmptyContext = tlsSocket:exportKeyingMaterial(128, label, "")
        assert.strictEqual(#validKeyingMaterialWithEmptyContext, 128)

        assert.throws(function()
          tlsSocket:exportKeyingMaterial(128, label, 1234)
        end, {
          name = "TypeError",
          code = "ERR_INVALID_ARG_TYPE",
        })

        assert.throws(function()
          tlsSocket:exportKeyingMaterial(10, nil)
        end, {
          name = "TypeError",
          code = "ERR_INVALID_ARG_TYPE",
        })

        assert.throws(function()
          tlsSocket:exportKeyingMaterial("length", 1234)
        end, {
          name = "TypeError",
          code = "ERR_INVALID_ARG_TYPE",
        })

        assert.throws(function()
          tlsSocket:exportKeyingMaterial(-3, "a")
        end, {
          name = "RangeError",
          code = "ERR_OUT_OF_RANGE",
        })

        assert.throws(function()
          tlsSocket:exportKeyingMaterial(0, "a")
        end, {
          name = "RangeError",
          code = "ERR_OUT_OF_RANGE",
        })

        tlsSocket:done()
        server:close()
      end))
    end)):listen(0, function()
      local opts = {
        port = server:address().port,
        rejectUnauthorized = false,
      }
      tls.connect(opts, common.mustCall(function(c) c:done() end))
    end)
  end))
end)
