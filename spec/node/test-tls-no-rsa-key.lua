-- Node v20.11.1 test/parallel/test-tls-no-rsa-key.js, ported (doc/node-tests.md).
-- A server with only an EC key and certificate serves a client.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-no-rsa-key", function()
  it("serves with an EC key", common.run(function()
    local options = {
      key = fixtures.readKey("/ec-key.pem"),
      cert = fixtures.readKey("ec-cert.pem"),
    }
    local server
    server = tls.createServer(options, function(conn)
      conn:done("ok")
    end):listen(0, common.mustCall(function()
      tls.connect(server:address().port, { rejectUnauthorized = false }, common.mustCall(function(c)
        c:on("end", common.mustCall(function()
          c:done()
          server:close()
        end))
        c:on("data", function(data)
          assert.strictEqual(tostring(data), "ok")
        end)
        local cert = c:getPeerCertificate()
        assert.strictEqual(cert.subject.C, "US")
      end))
    end))
  end))
end)
