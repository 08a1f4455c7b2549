-- Node v20.11.1 test/parallel/test-tls-multi-key.js, ported
-- (doc/node-tests.md): a server with an RSA and an ECDSA key (lists, or a
-- key/cert pair and a pfx) serves each client the certificate its suite needs.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local function test(options)
  local rsaCN = options.rsaCN or "agent1"
  local eccCN = options.eccCN or "agent2"
  local clientTrustRoots = options.client.ca
  options.rsaCN = nil
  options.eccCN = nil
  options.client = nil
  local server
  local ecdsa
  local function connectWithRsa()
    local rsa
    rsa = tls.connect(server:address().port, {
      ciphers = "ECDHE-RSA-AES256-GCM-SHA384",
      rejectUnauthorized = true,
      ca = clientTrustRoots,
      checkServerIdentity = function(_, c) assert.strictEqual(c.subject.CN, rsaCN) end,
      maxVersion = "TLSv1.2",
    }, common.mustCall(function()
      assert.deepStrictEqual(rsa:getCipher(), {
        name = "ECDHE-RSA-AES256-GCM-SHA384",
        standardName = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        version = "TLSv1.2",
      })
      assert.strictEqual(rsa:getPeerCertificate().subject.CN, rsaCN)
      assert.ok(rsa:getPeerCertificate().exponent, "cert for an RSA key")
      rsa:done()
      server:close()
      -- nobody reads the "ok" the clients got, so they never see 'end' and
      -- stay open, idle, when the loop ends (Node's process exits past them)
      common.onExit(function()
        rsa:destroy()
        ecdsa:destroy()
      end)
    end))
  end
  local function connectWithEcdsa()
    ecdsa = tls.connect(server:address().port, {
      ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384",
      rejectUnauthorized = true,
      ca = clientTrustRoots,
      checkServerIdentity = function(_, c) assert.strictEqual(c.subject.CN, eccCN) end,
      maxVersion = "TLSv1.2",
    }, common.mustCall(function()
      assert.deepStrictEqual(ecdsa:getCipher(), {
        name = "ECDHE-ECDSA-AES256-GCM-SHA384",
        standardName = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        version = "TLSv1.2",
      })
      assert.strictEqual(ecdsa:getPeerCertificate().subject.CN, eccCN)
      assert.strictEqual(ecdsa:getPeerCertificate().asn1Curve, "prime256v1")
      ecdsa:done()
      connectWithRsa()
    end))
  end
  server = tls.createServer(options, function(conn)
    conn:done("ok")
  end)
  server:listen(0, common.mustCall(connectWithEcdsa))
end

describe("test-tls-multi-key", function()
  it("runs as in Node: the first three servers", common.run(function()
    test({
      key = {
        fixtures.readKey("ec10-key.pem"),
        fixtures.readKey("agent1-key.pem"),
      },
      cert = {
        fixtures.readKey("agent1-cert.pem"),
        fixtures.readKey("ec10-cert.pem"),
      },
      eccCN = "agent10.example.com",
      client = { ca = {
        fixtures.readKey("ca5-cert.pem"),
        fixtures.readKey("ca1-cert.pem"),
      } },
    })
    test({
      key = {
        fixtures.readKey("ec10-key.pem"),
        fixtures.readKey("agent1-key.pem"),
      },
      cert = {
        fixtures.readKey("agent1-cert.pem"),
        fixtures.readKey("ec10-cert.pem"),
      },
      eccCN = "agent10.example.com",
      client = { ca = {
        fixtures.readKey("ca5-cert.pem"),
        fixtures.readKey("ca1-cert.pem"),
      } },
    })
    test({
      key = {
        fixtures.readKey("ec-key.pem"),
      },
      cert = {
        fixtures.readKey("ec-cert.pem"),
      },
      pfx = fixtures.readKey("agent1.pfx"),
      passphrase = "sample",
      client = { ca = {
        fixtures.readKey("ec-cert.pem"),
        fixtures.readKey("ca1-cert.pem"),
      } },
    })
  end))

  it("runs as in Node: the three servers with agent10 (ca2)", common.run(function()
    common.knownFailure("ca2's key is 1024-bit RSA: the system's OpenSSL (default security level 2) refuses "
      .. "it, \"CA certificate key too weak\"; Node's own OpenSSL is at level 1; no issue yet")
    test({
      key = {
        fixtures.readKey("ec10-key.pem"),
        fixtures.readKey("agent10-key.pem"),
      },
      cert = {
        fixtures.readKey("agent10-cert.pem"),
        fixtures.readKey("ec10-cert.pem"),
      },
      rsaCN = "agent10.example.com",
      eccCN = "agent10.example.com",
      client = { ca = {
        fixtures.readKey("ca2-cert.pem"),
        fixtures.readKey("ca5-cert.pem"),
      } },
    })
    test({
      key = {
        fixtures.readKey("agent10-key.pem"),
      },
      cert = {
        fixtures.readKey("agent10-cert.pem"),
      },
      pfx = fixtures.readKey("ec10.pfx"),
      passphrase = "sample",
      rsaCN = "agent10.example.com",
      eccCN = "agent10.example.com",
      client = { ca = {
        fixtures.readKey("ca2-cert.pem"),
        fixtures.readKey("ca5-cert.pem"),
      } },
    })
    test({
      key = {
        fixtures.readKey("ec10-key.pem"),
      },
      cert = {
        fixtures.readKey("ec10-cert.pem"),
      },
      pfx = fixtures.readKey("agent10.pfx"),
      passphrase = "sample",
      rsaCN = "agent10.example.com",
      eccCN = "agent10.example.com",
      client = { ca = {
        fixtures.readKey("ca2-cert.pem"),
        fixtures.readKey("ca5-cert.pem"),
      } },
    })
  end))
end)
