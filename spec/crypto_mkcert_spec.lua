-- crypto.createCertificate, createCSR, createCRL and tls.createSelfSigned
-- (luatls's own API), checked by the `openssl` command: `x509 -text` shows
-- every field asked for; `verify` accepts chains made by RSA, EC and
-- Ed25519 CAs (with an intermediate) and, with -crl_check, rejects what the
-- CRL revokes; `crl -text` lists serials and reasons; `req -verify` reads a
-- CSR and a certificate made from it carries its subject and SANs;
-- `s_client` and Node connect to a server on tls.createSelfSigned. Bad
-- options raise clear errors.
local helper = require("spec.helper")
local crypto = require("luatls.crypto")
local tls = require("luatls.tls")
local fs = require("luatls.fs")

local quote = helper.quote

local function assertCode(code, pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error " .. code)
  assert.equal(code, type(err) == "table" and err.code or err, tostring(err))
  if pattern then assert.matches(pattern, err.message) end
  return err
end

local function ec() return crypto.generateKeyPairSync("ec", { namedCurve = "P-256" }) end
local rsaPair -- one RSA key for the whole file (RSA generation is slow)
local function rsa()
  rsaPair = rsaPair or crypto.generateKeyPairSync("rsa", { modulusLength = 2048 })
  return rsaPair
end

-- openssl(args, files) -> output, status: `openssl args` in a directory
-- holding files (name -> contents)
local dir
local function openssl(args, files)
  for name, data in pairs(files or {}) do fs.writeFileSync(dir .. "/" .. name, data) end
  return helper.sh("cd " .. quote(dir) .. " && openssl " .. args)
end

local function text(pem)
  local out, status = openssl("x509 -text -noout -in c.pem", { ["c.pem"] = pem })
  assert.equal(0, status, out)
  return out
end

-- a CA (root, or under `issuer`) and its key, for key type kind
local function makeCA(pair, cn, issuer, issuerKey, pathLength)
  return crypto.createCertificate({
    subject = { O = "luatls spec", CN = cn }, publicKey = pair.publicKey,
    signingKey = issuerKey or pair.privateKey, issuer = issuer, ca = true, pathLength = pathLength,
  })
end

describe("crypto.createCertificate (luatls's own)", function()
  helper.leakcheck()
  setup(function() dir = fs.mkdtempSync("/tmp/luatls-mkcert-") end)
  teardown(function() fs.rmSync(dir, { recursive = true, force = true }) end)

  it("shows openssl every field asked for", function()
    if not helper.needs("openssl") then return end
    local caPair, leaf = ec(), rsa()
    local ca = makeCA(caPair, "Spec Root", nil, nil, 1)
    local pem = crypto.createCertificate({
      subject = { CN = "localhost", O = "luatls", OU = { "Test", "Servers" }, C = "US", ST = "California",
                  L = "San Francisco", emailAddress = "a@example.com" },
      subjectAltName = { "DNS:localhost", "DNS:*.example.com", "IP:127.0.0.1", "IP:::1",
                         "email:a@example.com", "URI:spiffe://example.com/x" },
      publicKey = leaf.publicKey, signingKey = caPair.privateKey, issuer = ca,
      serialNumber = "0a1b2c3d4e5f", notBefore = "2024-01-02T03:04:05Z", notAfter = 2051222400,
      keyUsage = { "digitalSignature", "keyEncipherment" },
      extKeyUsage = { "serverAuth", "clientAuth", "codeSigning", "emailProtection", "OCSPSigning", "1.2.3.4.5" },
      ocspURL = "http://ocsp.example.com/", caIssuersURL = "http://ca.example.com/ca.crt",
      crlURL = "http://crl.example.com/ca.crl", digest = "sha384",
    })
    local out = text(pem)
    assert.matches("Subject: C = US, ST = California, L = San Francisco, O = luatls, OU = Test, OU = Servers, "
      .. "CN = localhost, emailAddress = a@example.com\n", out, 1, true)
    assert.matches("Issuer: O = luatls spec, CN = Spec Root", out, 1, true)
    assert.matches("Serial Number: 11111822610015 (0xa1b2c3d4e5f)", out, 1, true)
    assert.matches("Not Before: Jan  2 03:04:05 2024 GMT", out, 1, true)
    assert.matches("Not After : Jan  1 00:00:00 2035 GMT", out, 1, true)
    assert.matches("Signature Algorithm: ecdsa-with-SHA384", out, 1, true)
    assert.matches("rsaEncryption", out, 1, true)
    assert.matches("X509v3 Basic Constraints: critical\n *CA:FALSE", out)
    assert.matches("X509v3 Key Usage: critical\n *Digital Signature, Key Encipherment\n", out)
    assert.matches("TLS Web Server Authentication, TLS Web Client Authentication, Code Signing, "
      .. "E-mail Protection, OCSP Signing, 1.2.3.4.5", out, 1, true)
    assert.matches("DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, "
      .. "email:a@example.com, URI:spiffe://example.com/x", out, 1, true)
    assert.matches("OCSP %- URI:http://ocsp%.example%.com/\n *CA Issuers %- URI:http://ca%.example%.com/ca%.crt", out)
    assert.matches("X509v3 CRL Distribution Points: *\n *Full Name:\n *URI:http://crl%.example%.com/ca%.crl", out)
    -- the key identifiers: SKI of the CA = AKI of the leaf
    local caSki = text(ca):match("Subject Key Identifier: *\n *([%x:]+)")
    assert.is_truthy(caSki)
    assert.matches("Authority Key Identifier: *\n *" .. caSki:gsub("%p", "%%%0"), out)
    assert.matches("Subject Key Identifier: *\n *[%x:]+", out)
    local caText = text(ca)
    assert.matches("CA:TRUE, pathlen:1", caText, 1, true)
    assert.matches("Certificate Sign, CRL Sign", caText, 1, true) -- the default for a CA
    assert.is_nil(caText:find("Authority Key Identifier", 1, true)) -- self-signed: none
    -- the subject as a string, in the order written
    out = text(crypto.createCertificate({ subject = "C=US, O=luatls\\, Inc., CN=string.example",
      signingKey = caPair.privateKey, days = 1 }))
    assert.matches("Subject: C = US, O = \"luatls, Inc.\", CN = string.example", out, 1, true)
    assert.matches("Serial Number:\n *[4-7]%x:", out) -- 16 random bytes, positive
  end)

  for _, kind in ipairs({ "rsa", "ec", "ed25519" }) do
    it("makes chains openssl verify accepts: " .. kind .. " root, intermediate, leaf", function()
      if not helper.needs("openssl") then return end
      local rootPair = kind == "rsa" and rsa() or kind == "ec" and ec() or crypto.generateKeyPairSync("ed25519")
      local midPair, leafPair = ec(), ec()
      local root = makeCA(rootPair, "Root " .. kind)
      local mid = makeCA(midPair, "Intermediate", root, rootPair.privateKey, 0)
      local leaf = crypto.createCertificate({
        subject = { CN = "leaf.example" }, subjectAltName = { "DNS:leaf.example" },
        publicKey = leafPair.publicKey, signingKey = midPair.privateKey, issuer = mid,
        keyUsage = { "digitalSignature" }, extKeyUsage = { "serverAuth" },
      })
      local direct = crypto.createCertificate({ -- signed by the root, its key given as PEM
        subject = { CN = "direct.example" }, publicKey = leafPair.publicKey:export({ type = "spki", format = "pem" }),
        signingKey = rootPair.privateKey:export({ type = "pkcs8", format = "pem" }), issuer = root,
      })
      local out, status = openssl("verify -x509_strict -purpose sslserver -CAfile ca.pem -untrusted mid.pem leaf.pem",
        { ["ca.pem"] = root, ["mid.pem"] = mid, ["leaf.pem"] = leaf })
      assert.equal(0, status, out)
      assert.matches("leaf.pem: OK", out, 1, true)
      out, status = openssl("verify -CAfile ca.pem direct.pem", { ["direct.pem"] = direct })
      assert.equal(0, status, out)
      if kind == "ed25519" then assert.matches("ED25519", text(root), 1, true) end
      -- without the intermediate, no chain
      out, status = openssl("verify -CAfile ca.pem leaf.pem")
      assert.are_not.equal(0, status, out)
    end)
  end

  it("takes the issuer as DER or as { raw = DER } (an X509Certificate)", function()
    if not helper.needs("openssl") then return end
    local caPair, leafPair = ec(), ec()
    local ca = makeCA(caPair, "DER CA")
    openssl("x509 -in ca.pem -outform DER -out ca.der", { ["ca.pem"] = ca })
    local derCA = fs.readFileSync(dir .. "/ca.der")
    for _, issuer in ipairs({ derCA, { raw = derCA } }) do
      local leaf = crypto.createCertificate({ subject = { CN = "x" }, publicKey = leafPair.publicKey,
        signingKey = caPair.privateKey, issuer = issuer })
      local out, status = openssl("verify -CAfile ca.pem leaf.pem", { ["leaf.pem"] = leaf })
      assert.equal(0, status, out)
    end
  end)

  it("makes CRLs openssl reads, and verify -crl_check rejects the revoked leaf", function()
    if not helper.needs("openssl") then return end
    local caPair, leafPair = ec(), ec()
    local ca = makeCA(caPair, "CRL CA")
    local function leaf(serial)
      return crypto.createCertificate({ subject = { CN = "leaf" }, publicKey = leafPair.publicKey,
        signingKey = caPair.privateKey, issuer = ca, serialNumber = serial })
    end
    local crl = crypto.createCRL({
      issuer = ca, signingKey = { key = caPair.privateKey:export({ type = "pkcs8", format = "pem",
        cipher = "aes-128-cbc", passphrase = "pw" }), passphrase = "pw" },
      crlNumber = 7, lastUpdate = "2025-01-01", nextUpdate = "2035-01-01",
      revoked = { { serialNumber = "1001", reason = "keyCompromise", date = "2025-01-01T10:00:00Z" },
                  { serialNumber = "0x2002", reason = "superseded" }, { serialNumber = 0x3003 } },
    })
    local out, status = openssl("crl -text -noout -in crl.pem", { ["crl.pem"] = crl })
    assert.equal(0, status, out)
    assert.matches("Issuer: O = luatls spec, CN = CRL CA", out, 1, true)
    assert.matches("Last Update: Jan  1 00:00:00 2025 GMT", out, 1, true)
    assert.matches("Next Update: Jan  1 00:00:00 2035 GMT", out, 1, true)
    assert.matches("X509v3 CRL Number: *\n *7", out)
    assert.matches("Serial Number: 1001\n *Revocation Date: Jan  1 10:00:00 2025 GMT\n.-Key Compromise", out)
    assert.matches("Serial Number: 2002\n.-Superseded", out)
    assert.matches("Serial Number: 3003", out, 1, true)
    out, status = openssl("verify -crl_check -CAfile ca.pem -CRLfile crl.pem revoked.pem",
      { ["ca.pem"] = ca, ["revoked.pem"] = leaf("1001") })
    assert.are_not.equal(0, status, out)
    assert.matches("certificate revoked", out, 1, true)
    out, status = openssl("verify -crl_check -CAfile ca.pem -CRLfile crl.pem good.pem", { ["good.pem"] = leaf("4004") })
    assert.equal(0, status, out)
  end)

  it("makes CSRs openssl verifies, and certificates from them with their subject and SANs", function()
    if not helper.needs("openssl") then return end
    local caPair, reqPair = ec(), rsa()
    local ca = makeCA(caPair, "CSR CA")
    local csr = crypto.createCSR({ subject = { CN = "req.example", O = "Requester" },
      subjectAltName = { "DNS:req.example", "IP:10.0.0.1" }, key = reqPair.privateKey, digest = "sha512" })
    local out, status = openssl("req -verify -text -noout -in req.pem", { ["req.pem"] = csr })
    assert.equal(0, status, out)
    assert.matches("verify OK", out, 1, true)
    assert.matches("Subject: O = Requester, CN = req.example", out, 1, true)
    assert.matches("DNS:req.example, IP Address:10.0.0.1", out, 1, true)
    assert.matches("sha512WithRSAEncryption", out, 1, true)
    local cert = crypto.createCertificate({ csr = csr, signingKey = caPair.privateKey, issuer = ca,
      extKeyUsage = { "serverAuth" } })
    out = text(cert)
    assert.matches("Subject: O = Requester, CN = req.example", out, 1, true)
    assert.matches("DNS:req.example, IP Address:10.0.0.1", out, 1, true)
    assert.matches("rsaEncryption", out, 1, true) -- the CSR's key
    out, status = openssl("verify -CAfile ca.pem c.pem", { ["ca.pem"] = ca })
    assert.equal(0, status, out)
    -- the options override what the CSR asks for
    out = text(crypto.createCertificate({ csr = csr, signingKey = caPair.privateKey, issuer = ca,
      subject = { CN = "other" }, subjectAltName = { "DNS:other" } }))
    assert.matches("Subject: CN = other\n", out, 1, true)
    assert.matches("DNS:other\n", out, 1, true)
    -- a CSR that is tampered with is refused
    openssl("req -in req.pem -outform DER -out req.der")
    local der = fs.readFileSync(dir .. "/req.der")
    local i = #der - 40
    local bad = der:sub(1, i - 1) .. string.char(der:byte(i) ~ 1) .. der:sub(i + 1)
    assertCode("ERR_INVALID_ARG_VALUE", "options.csr", crypto.createCertificate,
      { csr = bad, signingKey = caPair.privateKey, issuer = ca })
  end)

  it("signs with Ed25519 (no digest) and RSA-PSS keys", function()
    if not helper.needs("openssl") then return end
    local ed = crypto.generateKeyPairSync("ed25519")
    local out = text(crypto.createCertificate({ subject = { CN = "ed" }, signingKey = ed.privateKey,
      digest = "sha256" }))
    assert.matches("Signature Algorithm: ED25519", out, 1, true)
    local pss = crypto.generateKeyPairSync("rsa-pss", { modulusLength = 2048 })
    out = text(crypto.createCertificate({ subject = { CN = "pss" }, signingKey = pss.privateKey }))
    assert.matches("rsassaPss", out, 1, true)
  end)

  it("raises clear errors for bad options", function()
    local caPair, other = ec(), ec()
    local ca = makeCA(caPair, "Errors CA")
    local base = function(extra)
      local o = { subject = { CN = "x" }, signingKey = caPair.privateKey }
      for k, v in pairs(extra) do o[k] = v end
      return o
    end
    local create = crypto.createCertificate
    assertCode("ERR_INVALID_ARG_TYPE", '"options"', create, nil)
    assertCode("ERR_INVALID_ARG_TYPE", "options.signingKey", create, { subject = { CN = "x" } })
    assertCode("ERR_INVALID_ARG_TYPE", "options.signingKey", create, base({ signingKey = 42 }))
    assertCode("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", nil, create, base({ signingKey = caPair.publicKey }))
    assertCode("ERR_INVALID_ARG_TYPE", "options.subject", create, base({ subject = 5 }))
    assertCode("ERR_INVALID_ARG_TYPE", "options.subject", create, { signingKey = caPair.privateKey })
    assertCode("ERR_INVALID_ARG_VALUE", "options.subject", create, base({ subject = {} }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.subject", create, base({ subject = { NOPE = "x" } }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.subject", create, base({ subject = "CN" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.subjectAltName", create, base({ subjectAltName = { "a.example" } }))
    assertCode("ERR_INVALID_ARG_VALUE", "IP:999%.1%.1%.1", create, base({ subjectAltName = { "IP:999.1.1.1" } }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.subjectAltName", create,
      base({ subjectAltName = { "DNS:a, DNS:b" } }))
    assertCode("ERR_INVALID_ARG_TYPE", "options.subjectAltName", create, base({ subjectAltName = 1 }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.serialNumber", create, base({ serialNumber = "xyz" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.serialNumber", create, base({ serialNumber = "00" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.serialNumber", create, base({ serialNumber = ("1"):rep(41) }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.notBefore", create, base({ notBefore = "2024-13-01" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.notBefore", create, base({ notBefore = "2023-02-29" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.notBefore", create, base({ notBefore = "yesterday" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.notAfter", create,
      base({ notBefore = "2024-01-02", notAfter = "2024-01-01" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.days", create, base({ days = -1 }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.days", create, base({ days = 1, notAfter = "2030-01-01" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.pathLength", create, base({ pathLength = 1 }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.pathLength", create, base({ ca = true, pathLength = -1 }))
    assertCode("ERR_INVALID_ARG_TYPE", "options.ca", create, base({ ca = "yes" }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.keyUsage", create, base({ keyUsage = { "signEverything" } }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.extKeyUsage", create, base({ extKeyUsage = { "webAuth" } }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.ocspURL", create, base({ ocspURL = "http://a b/" }))
    assertCode("ERR_CRYPTO_INVALID_DIGEST", nil, create, base({ digest = "nope" }))
    assertCode("ERR_INVALID_ARG_TYPE", "options.issuer", create, base({ issuer = 1 }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.issuer", create, base({ issuer = "not a certificate" }))
    -- a signing key that is not the issuer's; a "self-signed" one that is not the certificate's
    assertCode("ERR_INVALID_ARG_VALUE", "does not match the issuer", create,
      base({ signingKey = other.privateKey, issuer = ca }))
    assertCode("ERR_INVALID_ARG_VALUE", "options.issuer", create, base({ publicKey = other.publicKey }))
    -- CSR and CRL
    assertCode("ERR_INVALID_ARG_TYPE", "options.key", crypto.createCSR, { subject = { CN = "x" } })
    assertCode("ERR_INVALID_ARG_VALUE", "options.subject", crypto.createCSR, { subject = "", key = other.privateKey })
    assertCode("ERR_INVALID_ARG_VALUE", "options.csr", create,
      { csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
        signingKey = caPair.privateKey, issuer = ca })
    assertCode("ERR_INVALID_ARG_TYPE", "options.issuer", crypto.createCRL, { signingKey = caPair.privateKey })
    assertCode("ERR_INVALID_ARG_VALUE", "does not match the issuer", crypto.createCRL,
      { issuer = ca, signingKey = other.privateKey })
    assertCode("ERR_INVALID_ARG_VALUE", "reason", crypto.createCRL,
      { issuer = ca, signingKey = caPair.privateKey, revoked = { { serialNumber = "01", reason = "boredom" } } })
    assertCode("ERR_INVALID_ARG_TYPE", "serialNumber", crypto.createCRL,
      { issuer = ca, signingKey = caPair.privateKey, revoked = { {} } })
    -- and it still works afterwards
    assert.matches("^%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-", create(base({})))
  end)
end)

describe("tls.createSelfSigned (luatls's own)", function()
  helper.leakcheck()
  setup(function() dir = fs.mkdtempSync("/tmp/luatls-mkcert-") end)
  teardown(function() fs.rmSync(dir, { recursive = true, force = true }) end)

  -- a server on the pair answering "hello NAME\n"; -> server, port
  local function serve(pair)
    local server = tls.createServer(pair, function(socket)
      socket:done("hello " .. tostring(socket.servername) .. "\n")
    end)
    return server, helper.listen(server)
  end

  it("defaults: EC P-256, CN and SANs localhost, 127.0.0.1, ::1; a luatls client verifies it", function()
    local pair = tls.createSelfSigned()
    assert.equal("ec", crypto.createPrivateKey(pair.key).asymmetricKeyType)
    local server, port = serve(pair)
    local got, peer
    local client = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = pair.cert },
      function(c) peer = c:getPeerCertificate() end)
    client:setEncoding("utf8")
    client:on("data", function(d) got = d end)
    helper.wait(function() return got end)
    assert.equal("hello localhost\n", got)
    assert.is_true(client.authorized)
    assert.equal("localhost", peer.subject.CN)
    assert.equal("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", peer.subjectaltname)
    client:destroy()
    helper.closeServer(server, true)
  end)

  it("openssl s_client on loopback sees the names and verifies the chain", function()
    if not helper.needs("openssl") then return end
    local pair = tls.createSelfSigned({ "localhost", "127.0.0.1" }, { keyType = "rsa", days = 2 })
    fs.writeFileSync(dir .. "/self.pem", pair.cert)
    local server, port = serve(pair)
    local out, status = helper.finish(helper.spawn(string.format(
      "timeout %d openssl s_client -connect 127.0.0.1:%d -servername localhost -CAfile %s "
      .. "-verify_return_error -verify_hostname localhost -verify_ip 127.0.0.1 -ign_eof",
      30 * helper.SLOW, port, quote(dir .. "/self.pem")), ""))
    assert.equal(0, status, out)
    assert.matches("subject=CN = localhost", out, 1, true)
    assert.matches("Verify return code: 0 (ok)", out, 1, true)
    assert.matches("hello localhost", out, 1, true)
    local shown = openssl("x509 -text -noout -in self.pem")
    assert.matches("DNS:localhost, IP Address:127.0.0.1\n", shown, 1, true)
    assert.matches("Public-Key: (2048 bit)", shown, 1, true)
    assert.matches("TLS Web Server Authentication, TLS Web Client Authentication", shown, 1, true)
    assert.is_nil(shown:find("Key Usage: critical", 1, true))
    helper.closeServer(server, true)
  end)

  it("Node connecting with ca = the certificate verifies it", function()
    if not helper.needs("node") then return end
    local pair = tls.createSelfSigned({ "node.test", "127.0.0.1" })
    fs.writeFileSync(dir .. "/node.pem", pair.cert)
    local server, port = serve(pair)
    local script = [[
const tls = require('tls');
const s = tls.connect({ port: +process.argv[1], host: '127.0.0.1', servername: 'node.test',
  ca: require('fs').readFileSync(process.argv[2]) }, () => {
  console.log('authorized', s.authorized, s.getPeerCertificate().subjectaltname);
});
s.setEncoding('utf8');
s.on('data', (d) => process.stdout.write(d));
s.on('error', (e) => { console.log('error', e.code); process.exitCode = 1; });
]]
    local out, status = helper.finish(helper.spawn(string.format("timeout %d node -e %s %d %s",
      30 * helper.SLOW, quote(script), port, quote(dir .. "/node.pem"))))
    assert.equal(0, status, out)
    assert.matches("authorized true DNS:node.test, IP Address:127.0.0.1", out, 1, true)
    assert.matches("hello node.test", out, 1, true)
    helper.closeServer(server, true)
  end)

  it("takes one host as a string, IPv6 in brackets, ed25519 keys; refuses bad ones", function()
    local pair = tls.createSelfSigned("[::1]", { keyType = "ed25519" })
    local x = require("luatls.loop").core.x509_parse(pair.cert)
    assert.equal("IP Address:0:0:0:0:0:0:0:1", x.subjectaltname)
    assert.equal("::1", x.subject.CN)
    assert.equal("ed25519", crypto.createPrivateKey(pair.key).asymmetricKeyType)
    assertCode("ERR_INVALID_ARG_VALUE", "keyType", tls.createSelfSigned, nil, { keyType = "dsa" })
    assertCode("ERR_INVALID_ARG_TYPE", "hosts", tls.createSelfSigned, {})
    assertCode("ERR_INVALID_ARG_TYPE", "hosts%[2%]", tls.createSelfSigned, { "a", 5 })
  end)
end)
