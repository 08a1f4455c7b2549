-- Node v20.11.1 test/parallel/test-tls-securepair-fiftharg.js, ported
-- (doc/node-tests.md): createSecurePair's fifth argument (options) gives the server's SNICallback.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-securepair-fiftharg", function()
  it("runs as in Node", common.run(function()
    local sslcontext = tls.createSecureContext({
      cert = fixtures.readKey("rsa_cert.crt"),
      key = fixtures.readKey("rsa_private.pem"),
    })

    local pair = tls.createSecurePair(sslcontext, true, false, false, {
      SNICallback = common.mustCall(function(servername, cb) -- luacheck: no unused args
        assert.strictEqual(servername, "www.google.com")
      end),
    })

    -- Node's fixture (a browser's ClientHello for www.google.com) is not in
    -- the copy of Node's tests this port worked from: this one is openssl
    -- s_client's, with -servername www.google.com
    local sslHello = fixtures.readSync("google_ssl_hello.bin")

    pair.encrypted:write(sslHello)
    -- the SNICallback never answers: the pair waits, keeping nothing alive;
    -- Node's process exits with it, here it is closed at the end
    common.onExit(function() pair:destroy() end)
  end))
end)
