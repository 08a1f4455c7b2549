-- Node v20.11.1 test/parallel/test-tls-getcertificate-x509.js, ported
-- (doc/node-tests.md): getX509Certificate() and getPeerX509Certificate()
-- give X509Certificate objects, the peer's with its issuer.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local crypto = require("luatls.crypto")
local EventEmitter = require("luatls.events")

describe("test-tls-getcertificate-x509", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent6-key.pem"),
      cert = fixtures.readKey("agent6-cert.pem"),
    }
    local accepted = {}
    local server = tls.createServer(options, function(cleartext)
      accepted[#accepted + 1] = cleartext
      cleartext:done("World")
    end)
    common.onExit(function() for _, s in ipairs(accepted) do s:destroy() end end)

    server:once("secureConnection", common.mustCall(function(socket)
      local cert = socket:getX509Certificate()
      assert(EventEmitter.instanceOf(cert, crypto.X509Certificate))
      assert.strictEqual(cert.serialNumber, "5B75D77EDC7FB5B7FA9F1424DA4C64FB815DCBDE")
    end))

    server:listen(0, common.mustCall(function()
      local socket
      socket = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        local peerCert = socket:getPeerX509Certificate()
        assert(EventEmitter.instanceOf(peerCert.issuerCertificate, crypto.X509Certificate))
        assert.strictEqual(peerCert.issuerCertificate.issuerCertificate, nil)
        assert.strictEqual(peerCert.issuerCertificate.serialNumber, "147D36C1C2F74206DE9FAB5F2226D78ADB00A425")
        server:close()
      end))
      socket:done("Hello")
      -- "Hello" and "World" wait unread, so neither end sees 'end': Node's
      -- process exits with both open and idle; closed here for the harness
      common.onExit(function() socket:destroy() end)
    end))
  end))
end)
