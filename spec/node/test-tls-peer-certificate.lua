-- Node v20.11.1 test/parallel/test-tls-peer-certificate.js, ported (doc/node-tests.md).
-- getPeerCertificate(true): the whole chain and every field, for an RSA and an EC server.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local crypto = require("luatls.crypto")
local assert, connect, keys = tc.assert, tc.connect, tc.keys

local function sha256(s)
  return crypto.createHash("sha256"):update(s)
end

describe("test-tls-peer-certificate", function()
  it("an RSA server", common.run(function()
    connect({
      client = { rejectUnauthorized = false },
      server = keys.agent1,
    }, function(err, pair, cleanup)
      assert.ifError(err)
      local socket = pair.client.conn
      local localCert = socket:getCertificate()
      assert.deepStrictEqual(localCert, {})
      local peerCert = socket:getPeerCertificate()
      assert.ok(not peerCert.issuerCertificate)

      peerCert = socket:getPeerCertificate(true)

      assert.ok(peerCert.issuerCertificate)
      assert.strictEqual(peerCert.ca, false)
      assert.strictEqual(peerCert.issuerCertificate.ca, true)
      assert.strictEqual(peerCert.subject.emailAddress, "ry@tinyclouds.org")
      assert.strictEqual(peerCert.serialNumber, "147D36C1C2F74206DE9FAB5F2226D78ADB00A426")
      assert.strictEqual(peerCert.exponent, "0x10001")
      assert.strictEqual(peerCert.bits, 2048)
      -- modulus is hex: two characters a byte
      assert.strictEqual(#peerCert.modulus / 2 * 8, peerCert.bits)
      assert.strictEqual(peerCert.fingerprint, "8B:89:16:C4:99:87:D2:13:1A:64:94:36:38:A5:32:01:F0:95:3B:53")
      assert.strictEqual(peerCert.fingerprint256,
        "2C:62:59:16:91:89:AB:90:6A:3E:98:88:A6:D3:C5:58:58:6C:AE:FF:9C:33:" ..
        "22:7C:B6:77:D3:34:E7:53:4B:05")
      assert.strictEqual(peerCert.fingerprint512,
        "0B:6F:D0:4D:6B:22:53:99:66:62:51:2D:2C:96:F2:58:3F:95:1C:CC:4C:44:" ..
        "9D:B5:59:AA:AD:A8:F6:2A:24:8A:BB:06:A5:26:42:52:30:A3:37:61:30:A9:" ..
        "5A:42:63:E0:21:2F:D6:70:63:07:96:6F:27:A7:78:12:08:02:7A:8B")

      -- the public key's SHA-256
      assert.strictEqual(sha256(peerCert.pubkey):digest("hex"),
        "490f8da0889339df5164d500b406de0af3249c174c2b60152528940fa116e9cc")
      -- and its HPKP (RFC 7469) pin-sha256
      assert.strictEqual(sha256(peerCert.pubkey):digest("base64"), "SQ+NoIiTOd9RZNUAtAbeCvMknBdMK2AVJSiUD6EW6cw=")

      assert.deepStrictEqual(peerCert.infoAccess["OCSP - URI"], { "http://ocsp.nodejs.org/" })

      local issuer = peerCert.issuerCertificate
      assert.strictEqual(issuer.issuerCertificate, issuer)
      assert.strictEqual(issuer.serialNumber, "4AB16C8DFD6A7D0D2DFCABDF9C4B0E92C6AD0229")

      return cleanup()
    end)
  end))

  it("an EC server", common.run(function()
    connect({
      client = { rejectUnauthorized = false },
      server = keys.ec,
    }, function(err, pair, cleanup)
      assert.ifError(err)
      local socket = pair.client.conn
      local peerCert = socket:getPeerCertificate(true)
      assert.ok(peerCert.issuerCertificate)

      peerCert = socket:getPeerCertificate(true)

      assert.ok(peerCert.issuerCertificate)
      assert.strictEqual(peerCert.subject.emailAddress, "ry@tinyclouds.org")
      assert.strictEqual(peerCert.serialNumber, "32E8197681DA33185867B52885F678BFDBA51727")
      assert.strictEqual(peerCert.exponent, nil)
      assert.strictEqual(peerCert.pubKey, nil)
      assert.strictEqual(peerCert.modulus, nil)
      assert.strictEqual(peerCert.fingerprint, "31:EB:2C:7B:AA:39:E8:E8:F5:43:62:05:CD:64:B3:66:1E:EA:44:A3")
      assert.strictEqual(peerCert.fingerprint256,
        "B9:27:E4:8F:C0:F5:E3:FD:A6:E5:96:11:DB:69:B8:80:94:8B:0F:6A:4C:D6:80:4F:" ..
        "87:31:3C:A3:77:6C:4C:0A")
      assert.strictEqual(peerCert.fingerprint512,
        "45:E3:ED:6E:22:1C:3C:DD:D7:E1:65:A9:30:6E:79:0C:9F:98:B8:BC:24:BB:BA:32:" ..
        "54:4D:70:4E:78:4F:1B:97:3C:A7:F5:DB:06:F1:36:E9:53:4C:0A:D2:86:83:79:8A:" ..
        "72:2B:81:55:5D:6F:BC:A6:5B:61:85:26:6B:9D:3E:E8")

      assert.strictEqual(sha256(peerCert.pubkey):digest("hex"),
        "ec68fc7d5e32cd4e1da5a7b59c0a2229be6f82fcc9bf8c8691a2262aacb14f53")
      assert.strictEqual(peerCert.asn1Curve, "prime256v1")
      assert.strictEqual(peerCert.nistCurve, "P-256")
      assert.strictEqual(peerCert.bits, 256)

      assert.strictEqual(peerCert.infoAccess, nil)

      local issuer = peerCert.issuerCertificate
      assert.strictEqual(issuer.issuerCertificate, issuer)
      assert.strictEqual(issuer.serialNumber, "32E8197681DA33185867B52885F678BFDBA51727")

      return cleanup()
    end)
  end))
end)
