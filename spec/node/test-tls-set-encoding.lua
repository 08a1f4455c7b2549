-- Node v20.11.1 test/parallel/test-tls-set-encoding.js, ported
-- (doc/node-tests.md): setEncoding("ascii") on a TLS client decodes each byte as 7-bit ASCII.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-set-encoding", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }

    local messageUtf8 = "x\u{221A}ab c"

    -- its UTF-8 bytes with the top bit cleared, as Node's 'ascii' decodes them
    local messageAscii = "xb\b\u{001a}ab c"

    local server
    server = tls.Server(options, common.mustCall(function(socket)
      socket:done(messageUtf8)
    end))

    server:listen(0, function()
      local client = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      })

      local buffer = ""

      client:setEncoding("ascii")

      client:on("data", function(d)
        assert.ok(type(d) == "string")
        buffer = buffer .. d
      end)

      client:on("secureConnect", common.mustCall())

      client:on("close", common.mustCall(function()
        -- readyState is deprecated; reading it must still work
        assert.strictEqual(client.readyState, "closed")

        -- the ASCII decoding differs from the UTF-8 string ...
        assert.notStrictEqual(messageUtf8, buffer)

        -- ... and is the ASCII one
        assert.strictEqual(messageAscii, buffer)

        server:close()
      end))
    end)
  end))
end)
