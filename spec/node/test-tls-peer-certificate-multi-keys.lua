-- Node v20.11.1 test/parallel/test-tls-peer-certificate-multi-keys.js, ported (doc/node-tests.md).
-- A subject field given twice (OU) is a list, in getCertificate() and getPeerCertificate().
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-peer-certificate-multi-keys", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
    }

    local server
    local sockets = {}
    server = tls.createServer(options, function(cleartext)
      sockets[#sockets + 1] = cleartext
      cleartext:done("World")
    end)

    server:once("secureConnection", common.mustCall(function(socket)
      local cert = socket:getCertificate()
      -- the server's own certificate is the client's peer certificate
      assert.deepStrictEqual(cert.subject.OU, { "Test TLS Certificate", "Engineering" })
    end))

    server:listen(0, common.mustCall(function()
      local socket
      socket = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        local peerCert = socket:getPeerCertificate()
        assert.deepStrictEqual(peerCert.subject.OU, { "Test TLS Certificate", "Engineering" })
        server:close()
      end))
      sockets[#sockets + 1] = socket
      socket:done("Hello")
    end))

    -- Both ends keep "World" unread, so neither emits 'end' nor closes:
    -- Node's process exits with them open (nothing reads, nothing keeps the
    -- loop alive), as the loop ends here. Close them then.
    common.onExit(function()
      for _, s in ipairs(sockets) do s:destroy() end
    end)
  end))
end)
