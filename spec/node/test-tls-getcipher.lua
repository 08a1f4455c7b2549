-- Node v20.11.1 test/parallel/test-tls-getcipher.js, ported
-- (doc/node-tests.md): getCipher()'s name, standardName and version for
-- two TLS 1.2 suites and a TLS 1.3 one. luatls's tls.DEFAULT_CIPHERS has no
-- CBC suite (README: "Where luatls deliberately differs"): the server names
-- AES128-SHA256 in its ciphers, and a second case checks the default refuses it.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

-- Node v20.11.1's tls.DEFAULT_CIPHERS
local NODE_DEFAULT_CIPHERS = table.concat({
  "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256",
  "DHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA256",
  "DHE-RSA-AES256-SHA256", "HIGH", "!aNULL", "!eNULL", "!EXPORT", "!DES", "!RC4", "!MD5", "!PSK", "!SRP",
  "!CAMELLIA",
}, ":")

describe("test-tls-getcipher", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
      honorCipherOrder = true,
      -- Node's default list, with the CBC suite the first client asks for
      -- (luatls's default has none)
      ciphers = NODE_DEFAULT_CIPHERS,
    }
    local clients = 0
    local server
    server = tls.createServer(options, common.mustCall(function()
      clients = clients - 1
      if clients == 0 then server:close() end
    end, 2))

    server:listen(0, "127.0.0.1", common.mustCall(function()
      clients = clients + 1
      tls.connect({
        host = "127.0.0.1",
        port = server:address().port,
        ciphers = "AES128-SHA256",
        rejectUnauthorized = false,
        maxVersion = "TLSv1.2",
      }, common.mustCall(function(socket)
        local cipher = socket:getCipher()
        assert.strictEqual(cipher.name, "AES128-SHA256")
        assert.strictEqual(cipher.standardName, "TLS_RSA_WITH_AES_128_CBC_SHA256")
        assert.strictEqual(cipher.version, "TLSv1.2")
        socket:done()
      end))

      clients = clients + 1
      tls.connect({
        host = "127.0.0.1",
        port = server:address().port,
        ciphers = "ECDHE-RSA-AES128-GCM-SHA256",
        rejectUnauthorized = false,
        maxVersion = "TLSv1.2",
      }, common.mustCall(function(socket)
        local cipher = socket:getCipher()
        assert.strictEqual(cipher.name, "ECDHE-RSA-AES128-GCM-SHA256")
        assert.strictEqual(cipher.standardName, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        assert.strictEqual(cipher.version, "TLSv1.2")
        socket:done()
      end))
    end))

    local server2
    server2 = tls.createServer({
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
      ciphers = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_8_SHA256",
      maxVersion = "TLSv1.3",
    }, common.mustCall(function()
      server2:close()
    end)):listen(0, common.mustCall(function()
      local client
      client = tls.connect({
        port = server2:address().port,
        ciphers = "TLS_AES_128_CCM_8_SHA256",
        maxVersion = "TLSv1.3",
        rejectUnauthorized = false,
      }, common.mustCall(function()
        local cipher = client:getCipher()
        assert.strictEqual(cipher.name, "TLS_AES_128_CCM_8_SHA256")
        assert.strictEqual(cipher.standardName, cipher.name)
        assert.strictEqual(cipher.version, "TLSv1.3")
        client:done()
      end))
    end))
  end))

  it("a server with the default ciphers refuses a client that offers only a CBC suite", common.run(function()
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }, common.mustNotCall()):on("tlsClientError", common.mustCall(function(err)
      assert.match(err.code, "^ERR_SSL_")
      server:close()
    end)):listen(0, "127.0.0.1", common.mustCall(function()
      tls.connect({
        host = "127.0.0.1",
        port = server:address().port,
        ciphers = "AES128-SHA256",
        rejectUnauthorized = false,
        maxVersion = "TLSv1.2",
      }, common.mustNotCall()):on("error", common.mustCall(function(err)
        assert.strictEqual(err.code, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
      end))
    end))
  end))
end)
