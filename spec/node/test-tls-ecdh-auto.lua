-- Node v20.11.1 test/parallel/test-tls-ecdh-auto.js, ported
-- (doc/node-tests.md): ecdhCurve "auto" with an ECDHE-only TLS 1.2 suite;
-- openssl s_client reads the server's reply.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-ecdh-auto", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
      ciphers = "-ALL:ECDHE-RSA-AES128-SHA256",
      ecdhCurve = "auto",
      maxVersion = "TLSv1.2",
    }
    local reply = "I AM THE WALRUS"
    local server
    server = tls.createServer(options, function(conn)
      conn:done(reply)
    end):listen(0, common.mustCall(function()
      -- Node's execFile leaves s_client's stdin open: -ign_eof does the same
      local cmd = string.format("%s s_client -ign_eof -cipher %s -connect 127.0.0.1:%d", common.opensslCli,
        options.ciphers, server:address().port)
      common.spawnPeer(cmd, common.mustCall(function(code, stdout)
        assert.strictEqual(code, 0, stdout)
        assert(stdout:find(reply, 1, true))
        server:close()
      end))
    end))
  end))
end)
