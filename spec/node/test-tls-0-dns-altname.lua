-- Node v20.11.1 test/parallel/test-tls-0-dns-altname.js, ported
-- (doc/node-tests.md): a '\0' inside a subjectAltName is shown escaped (CVE-2009-2408).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-0-dns-altname", function()
  it("escapes the NUL of a DNS name in subjectaltname", common.run(function()
    local server
    server = tls.createServer({
      key = fixtures.readSync({ "0-dns", "0-dns-key.pem" }),
      cert = fixtures.readSync({ "0-dns", "0-dns-cert.pem" }),
    }, common.mustCall(function(c)
      c:once("data", common.mustCall(function()
        c:destroy()
        server:close()
      end))
    end)):listen(0, common.mustCall(function()
      tls.connect(server:address().port, {
        rejectUnauthorized = false,
      }, common.mustCall(function(c)
        local cert = c:getPeerCertificate()
        assert.strictEqual(cert.subjectaltname,
          'DNS:"good.example.org\\u0000.evil.example.com", ' ..
          "DNS:just-another.example.com, " ..
          "IP Address:8.8.8.8, " ..
          "IP Address:8.8.4.4, " ..
          "DNS:last.example.com")
        c:write("ok")
      end))
    end))
  end))
end)
