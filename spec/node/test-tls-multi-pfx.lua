-- Node v20.11.1 test/parallel/test-tls-multi-pfx.js, ported
-- (doc/node-tests.md): a list of two PFX (RSA with a passphrase, ECDSA) serves both kinds of client.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-multi-pfx", function()
  it("runs as in Node", common.run(function()
    local options = {
      pfx = {
        {
          buf = fixtures.readKey("agent1.pfx"),
          passphrase = "sample",
        },
        fixtures.readKey("ec.pfx"),
      },
    }
    local ciphers = {}
    local server
    server = tls.createServer(options, function(conn)
      conn:done("ok")
    end)
    server:listen(0, function()
      local ecdsa
      ecdsa = tls.connect(server:address().port, {
        ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384",
        maxVersion = "TLSv1.2",
        rejectUnauthorized = false,
      }, common.mustCall(function()
        ciphers[#ciphers + 1] = ecdsa:getCipher()
        local rsa
        rsa = tls.connect(server:address().port, {
          ciphers = "ECDHE-RSA-AES256-GCM-SHA384",
          maxVersion = "TLSv1.2",
          rejectUnauthorized = false,
        }, common.mustCall(function()
          ciphers[#ciphers + 1] = rsa:getCipher()
          ecdsa:done()
          rsa:done()
          server:close()
          -- nobody reads the "ok" the clients got: they stay open, idle, when
          -- the loop ends (Node's process exits past them)
          common.onExit(function()
            ecdsa:destroy()
            rsa:destroy()
          end)
        end))
      end))
    end)
    common.onExit(function()
      assert.deepStrictEqual(ciphers, { {
        name = "ECDHE-ECDSA-AES256-GCM-SHA384",
        standardName = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        version = "TLSv1.2",
      }, {
        name = "ECDHE-RSA-AES256-GCM-SHA384",
        standardName = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        version = "TLSv1.2",
      } })
    end)
  end))
end)
