-- Node v20.11.1 test/parallel/test-tls-no-sslv3.js, ported (doc/node-tests.md).
-- An SSLv3 client (openssl s_client -ssl3) is refused with "version too low".
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-no-sslv3", function()
  it("refuses SSLv3", common.run(function()
    local cert = fixtures.readKey("rsa_cert.crt")
    local key = fixtures.readKey("rsa_private.pem")
    local server = tls.createServer({ cert = cert, key = key }, common.mustNotCall())
    local errors = {}
    local stderr = ""

    server:listen(0, "127.0.0.1", function()
      local address = server:address().address .. ":" .. server:address().port
      local cmd = common.opensslCli .. " s_client -ssl3 -connect " .. address
      common.spawnPeer(cmd, common.mustCall(function(exitCode, out)
        stderr = stderr .. out
        assert.strictEqual(exitCode, 1)
        server:close()
      end))
    end)

    server:on("tlsClientError", function(err) errors[#errors + 1] = err end)

    common.onExit(function()
      if stderr:find("[Uu]nknown option:? %-ssl3") then
        io.stderr:write("skipped: `openssl s_client -ssl3` not supported.\n")
      else
        assert.strictEqual(#errors, 1)
        assert(errors[1].message:find(":version too low"))
      end
    end)
  end))
end)
