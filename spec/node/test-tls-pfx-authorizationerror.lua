-- Node v20.11.1 test/parallel/test-tls-pfx-authorizationerror.js, ported (doc/node-tests.md).
-- Both ends with a PFX; the client's certificate as the server sees it, and
-- getCertificate() called repeatedly.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-pfx-authorizationerror", function()
  it("runs as in Node", common.run(function()
    local pfx = fixtures.readKey("agent1.pfx")

    local server
    server = tls.createServer({
      pfx = pfx,
      passphrase = "sample",
      requestCert = true,
      rejectUnauthorized = false,
    }, common.mustCall(function(c)
      assert.strictEqual(c:getPeerCertificate().serialNumber, "147D36C1C2F74206DE9FAB5F2226D78ADB00A426")
      assert.strictEqual(c.authorizationError, nil)
      c:done()
    end)):listen(0, function()
      tls.connect({
        port = server:address().port,
        pfx = pfx,
        passphrase = "sample",
        rejectUnauthorized = false,
      }, function(client)
        for _ = 1, 10 do
          -- repeatedly: getCertificate() must not lose the certificate
          assert.strictEqual(client:getCertificate().serialNumber, "147D36C1C2F74206DE9FAB5F2226D78ADB00A426")
        end
        client:done()
        server:close()
      end)
    end)
  end))
end)
