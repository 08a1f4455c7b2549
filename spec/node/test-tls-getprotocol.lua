-- Node v20.11.1 test/parallel/test-tls-getprotocol.js, ported
-- (doc/node-tests.md): getProtocol() names TLSv1, TLSv1.1 and TLSv1.2, and is nil after 'close'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-getprotocol", function()
  it("runs as in Node", common.run(function()
    -- OpenSSL 3.1+ needs security level 0 for TLS 1.0 and 1.1
    local clientConfigs = {
      { secureProtocol = "TLSv1_method", version = "TLSv1", ciphers = "DEFAULT:@SECLEVEL=0" },
      { secureProtocol = "TLSv1_1_method", version = "TLSv1.1", ciphers = "DEFAULT:@SECLEVEL=0" },
      { secureProtocol = "TLSv1_2_method", version = "TLSv1.2" },
    }
    local serverConfig = {
      secureProtocol = "TLS_method",
      ciphers = "RSA@SECLEVEL=0",
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }
    local server
    server = tls.createServer(serverConfig, common.mustCall(#clientConfigs))
    server:listen(0, common.localhostIPv4, function()
      local connected = 0
      for _, v in ipairs(clientConfigs) do
        tls.connect({
          host = common.localhostIPv4,
          port = server:address().port,
          ciphers = v.ciphers,
          rejectUnauthorized = false,
          secureProtocol = v.secureProtocol,
        }, common.mustCall(function(this)
          assert.strictEqual(this:getProtocol(), v.version)
          this:on("end", common.mustCall())
          this:on("close", common.mustCall(function()
            assert.strictEqual(this:getProtocol(), nil)
          end))
          this:done()
          connected = connected + 1
          if connected == #clientConfigs then server:close() end
        end))
      end
    end)
  end))
end)
