-- Node v20.11.1 test/parallel/test-tls-ocsp-callback.js, ported (doc/node-tests.md).
-- 'OCSPRequest' on the server and 'OCSPResponse' on the client, with and
-- without a stapled response, with PEM and PFX credentials.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")

local SSL_OP_NO_TICKET = require("luatls.crypto").constants.SSL_OP_NO_TICKET

describe("test-tls-ocsp-callback", function()
  it("runs as in Node", common.run(function()
    local pfx = fixtures.readKey("agent1.pfx")
    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")
    local ca = fixtures.readKey("ca1-cert.pem")

    local function test(testOptions, cb)
      local options = { key = key, cert = cert, ca = { ca } }
      local requestCount = testOptions.response and 0 or 1

      if not testOptions.ocsp then
        assert.strictEqual(testOptions.response, nil)
      end

      if testOptions.pfx then
        options.key = nil
        options.cert = nil
        options.pfx = testOptions.pfx
        options.passphrase = testOptions.passphrase
      end

      local server = tls.createServer(options, common.mustCall(function(cleartext)
        cleartext:on("error", function(er)
          -- ECONNRESET is timing-dependent here; anything else fails
          if er.code ~= "ECONNRESET" then error(er) end
        end)
        cleartext:done()
      end, requestCount))

      if not testOptions.ocsp then
        server:on("OCSPRequest", common.mustNotCall())
      else
        server:on("OCSPRequest", common.mustCall(function(cert_, issuer, callback)
          assert.ok(type(cert_) == "string")
          assert.ok(type(issuer) == "string")
          -- answer a little later: the callback may be asynchronous
          return timers.setTimeout(callback, 100, nil, testOptions.response or nil)
        end))
      end

      server:listen(0, function()
        local client = tls.connect({
          port = server:address().port,
          requestOCSP = testOptions.ocsp,
          secureOptions = testOptions.ocsp and 0 or SSL_OP_NO_TICKET,
          rejectUnauthorized = false,
        }, common.mustCall(requestCount))

        client:on("OCSPResponse", common.mustCall(function(resp)
          if testOptions.response then
            assert.strictEqual(tostring(resp), testOptions.response)
            client:destroy()
          else
            assert.strictEqual(resp, nil)
          end
        end, testOptions.ocsp == false and 0 or 1))

        client:on("close", common.mustCall(function()
          server:close(cb)
        end))
      end)
    end

    test({ ocsp = true, response = false })
    test({ ocsp = true, response = "hello world" })
    test({ ocsp = false })
    test({ ocsp = true, response = "hello pfx", pfx = pfx, passphrase = "sample" })
  end))
end)
