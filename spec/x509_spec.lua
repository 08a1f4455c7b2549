-- src/tls/x509.c: certificates as Node's getPeerCertificate() tables, checked
-- field by field against what the `openssl x509` command says about the same
-- files, and (when node is installed) against Node's own X509Certificate.
local helper = require("spec.helper")
local certs = require("spec.certs")
local core = require("luatls.core")
local errors = require("luatls.errors")
local buffer = require("luatls.buffer")

local CERTS = {
  "ca-cert.pem", "intermediate-cert.pem", "server-cert.pem", "server-ec-cert.pem",
  "client-cert.pem", "expired-cert.pem", "wronghost-cert.pem", "wildcard-cert.pem",
  "selfsigned-cert.pem",
}
local ODD = helper.root .. "/spec/fixtures/odd-cert.pem"

local function readfile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- the DER inside the first PEM block of a file
local function pemBody(pem, label)
  local b64 = pem:match("%-%-%-%-%-BEGIN " .. label .. "%-%-%-%-%-(.-)%-%-%-%-%-END")
  return buffer.fromBase64((b64:gsub("%s", "")))
end

-- What `openssl x509` prints about a certificate, as a table of sections.
local function openssl(path)
  local q = quote(path)
  local cmd = table.concat({
    "echo @@names; openssl x509 -in " .. q .. " -noout -subject -issuer"
      .. " -nameopt sep_multiline,sname,utf8,-esc_msb",
    "echo @@main; openssl x509 -in " .. q .. " -noout -serial -dates",
    "echo @@sha1; openssl x509 -in " .. q .. " -noout -fingerprint -sha1",
    "echo @@sha256; openssl x509 -in " .. q .. " -noout -fingerprint -sha256",
    "echo @@sha512; openssl x509 -in " .. q .. " -noout -fingerprint -sha512",
    "echo @@san; openssl x509 -in " .. q .. " -noout -ext subjectAltName",
    "echo @@modulus; openssl x509 -in " .. q .. " -noout -modulus",
    "echo @@pubkey; openssl x509 -in " .. q .. " -noout -pubkey",
    "echo @@text; openssl x509 -in " .. q .. " -noout -text",
  }, "; ")
  local out = helper.sh("{ " .. cmd .. "; }") .. "\n@@end\n"
  local sections = {}
  local pos = 1
  while true do
    local _, e, name = out:find("@@(%w+)\n", pos)
    if not e or name == "end" then break end
    local nxt = out:find("\n@@%w+\n", e)
    sections[name] = out:sub(e + 1, nxt)
    pos = nxt + 1
  end
  return sections
end

-- "subject=\n    C=US\n    OU=a\n    OU=b\n..." -> { C = "US", OU = { "a", "b" } }
local function names(text, which)
  local block = text:match(which .. "=\n(.-)\n%a+=") or text:match(which .. "=\n(.*)$")
  local t = {}
  for key, value in block:gmatch("%s+([^=\n]+)=([^\n]*)") do
    local old = t[key]
    if old == nil then
      t[key] = value
    elseif type(old) == "table" then
      old[#old + 1] = value
    else
      t[key] = { old, value }
    end
  end
  return t
end

local EKU = {
  ["TLS Web Server Authentication"] = "1.3.6.1.5.5.7.3.1",
  ["TLS Web Client Authentication"] = "1.3.6.1.5.5.7.3.2",
}

-- The fields of a certificate as `openssl x509` gives them, in Node's form.
local function expected(path)
  local s = openssl(path)
  local e = {
    subject = names(s.names, "subject"),
    issuer = names(s.names, "issuer"),
    serialNumber = s.main:match("serial=(%x+)"),
    valid_from = s.main:match("notBefore=([^\n]+)"),
    valid_to = s.main:match("notAfter=([^\n]+)"),
    fingerprint = s.sha1:match("Fingerprint=([%x:]+)"),
    fingerprint256 = s.sha256:match("Fingerprint=([%x:]+)"),
    fingerprint512 = s.sha512:match("Fingerprint=([%x:]+)"),
    subjectaltname = s.san:match("Subject Alternative Name:%s*\n%s+([^\n]+)"),
    modulus = s.modulus:match("Modulus=(%x+)"),
    spki = pemBody(s.pubkey, "PUBLIC KEY"),
    bits = tonumber(s.text:match("Public%-Key: %((%d+) bit%)")),
    asn1Curve = s.text:match("ASN1 OID: (%S+)"),
    nistCurve = s.text:match("NIST CURVE: (%S+)"),
    ca = s.text:match("CA:TRUE") ~= nil,
  }
  local exponent = s.text:match("Exponent: %d+ %((0x%x+)%)")
  e.exponent = exponent
  local eku = s.text:match("X509v3 Extended Key Usage:[^\n]*\n%s+([^\n]+)")
  if eku then
    e.ext_key_usage = {}
    for usage in (eku .. ", "):gmatch("(.-), ") do
      e.ext_key_usage[#e.ext_key_usage + 1] = EKU[usage] or usage
    end
  end
  local aia = s.text:match("Authority Information Access:[^\n]*\n(.-)\n%s+X509v3")
    or s.text:match("Authority Information Access:[^\n]*\n(.-)\n%s+Signature")
  if aia then
    e.infoAccess = {}
    for method, uri in aia:gmatch("%s+([^\n]-) %- URI:([^\n]+)") do
      local key = method .. " - URI"
      e.infoAccess[key] = e.infoAccess[key] or {}
      table.insert(e.infoAccess[key], uri)
    end
  end
  return e
end

describe("x509", function()
  local dir

  setup(function() dir = certs.certs() end)

  describe("x509_parse agrees with `openssl x509` on", function()
    for _, name in ipairs(CERTS) do
      it(name, function()
        local path = dir .. "/" .. name
        local pem = readfile(path)
        local c = assert(core.x509_parse(pem))
        local e = expected(path)
        for _, field in ipairs({ "subject", "issuer", "serialNumber", "valid_from", "valid_to",
          "fingerprint", "fingerprint256", "fingerprint512", "subjectaltname", "bits",
          "asn1Curve", "nistCurve", "ca", "exponent", "modulus", "ext_key_usage",
          "infoAccess" }) do
          assert.same(e[field], c[field], field)
        end
        -- raw is the DER in the file; pubkey the SubjectPublicKeyInfo (RSA)
        -- or the point at its end (EC), as in Node
        assert.equal(pemBody(pem, "CERTIFICATE"), c.raw)
        if c.modulus then
          assert.equal(e.spki, c.pubkey)
        else
          assert.equal(65, #c.pubkey)
          assert.equal(e.spki:sub(-65), c.pubkey)
          assert.equal("\4", c.pubkey:sub(1, 1))
        end
        assert.equal(buffer.toHex(core.digest("sha1", c.raw)):upper(), c.fingerprint:gsub(":", ""))
      end)
    end
  end)

  it("makes the fields Node makes, of the types Node gives them", function()
    local c = assert(core.x509_parse(certs.read("server-cert.pem")))
    assert.same({ C = "US", ST = "California", L = "San Francisco", O = "luatls",
      OU = { "Test", "Servers" }, CN = "localhost" }, c.subject)
    assert.equal("luatls Test Intermediate CA", c.issuer.CN)
    assert.equal("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", c.subjectaltname)
    assert.same({ ["OCSP - URI"] = { "http://ocsp.example.com/" },
      ["CA Issuers - URI"] = { "http://ca.example.com/intermediate.crt" } }, c.infoAccess)
    assert.equal(2048, c.bits)
    assert.equal("0x10001", c.exponent)
    assert.matches("^[0-9A-F]+$", c.modulus)
    assert.equal(512, #c.modulus)
    local function hexColons(n) return "^" .. ("[0-9A-F][0-9A-F]:"):rep(n - 1) .. "[0-9A-F][0-9A-F]$" end
    assert.matches(hexColons(20), c.fingerprint)
    assert.matches(hexColons(32), c.fingerprint256)
    assert.matches(hexColons(64), c.fingerprint512)
    assert.matches("^%u%l%l [ %d]%d %d%d:%d%d:%d%d %d%d%d%d GMT$", c.valid_from)
    assert.same({ "1.3.6.1.5.5.7.3.1" }, c.ext_key_usage)
    assert.matches("^[0-9A-F]+$", c.serialNumber)
    assert.is_false(c.ca)
    assert.is_nil(c.issuerCertificate)

    local ec = assert(core.x509_parse(certs.read("server-ec-cert.pem")))
    assert.equal(256, ec.bits)
    assert.equal("prime256v1", ec.asn1Curve)
    assert.equal("P-256", ec.nistCurve)
    assert.is_nil(ec.modulus)
    assert.is_nil(ec.exponent)

    local ca = assert(core.x509_parse(certs.read("ca-cert.pem")))
    assert.is_true(ca.ca)
    assert.is_nil(ca.subjectaltname)
    assert.is_nil(ca.infoAccess)
    assert.is_nil(ca.ext_key_usage)
    assert.same({ "1.3.6.1.5.5.7.3.2" }, core.x509_parse(certs.read("client-cert.pem")).ext_key_usage)
    assert.equal("email:client@example.com, URI:spiffe://example.com/client",
      core.x509_parse(certs.read("client-cert.pem")).subjectaltname)
    local expired = core.x509_parse(certs.read("expired-cert.pem"))
    assert.equal("Jan  1 00:00:00 2020 GMT", expired.valid_from)
    assert.equal("Feb  1 00:00:00 2020 GMT", expired.valid_to)
  end)

  it("escapes alt names and decodes names as Node does (spec/fixtures/odd-cert.pem)", function()
    -- what Node 20 says about this certificate
    local c = assert(core.x509_parse(readfile(ODD)))
    assert.same({ C = "DE", O = 'luatls "odd", Inc.', CN = { "Jörg", "odd.example.com" },
      ["1.2.3.4.5"] = "private" }, c.subject)
    assert.same(c.subject, c.issuer)
    assert.equal('DNS:odd.example.com, DNS:"evil.com\\u002c DNS:good.com", '
      .. 'URI:"http://example.com/a\\u002cb", email:"o\'brien@example.com", '
      .. "IP Address:10.0.0.1, IP Address:FE80:0:0:0:0:0:0:1, Registered ID:1.2.3.4, "
      .. "othername:UPN:user@example.com, othername:<unsupported>, "
      .. 'DirName:"CN=dir name\\u002cO=Dir\\\\\\u002c Org"', c.subjectaltname)
    assert.same({ ["CA Issuers - URI"] = { "http://ca.example.com/a,b.crt" },
      ["OCSP - URI"] = { "http://ocsp.example.com/", "http://ocsp2.example.com/" } }, c.infoAccess)
    assert.same({ "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.99999.1" }, c.ext_key_usage)
    assert.equal("FF", c.serialNumber)
    assert.equal(384, c.bits)
    assert.equal("secp384r1", c.asn1Curve)
    assert.equal("P-384", c.nistCurve)
    assert.equal(97, #c.pubkey)
    assert.matches(" 2126 GMT$", c.valid_to)
  end)

  it("reads DER as well as PEM", function()
    local der = certs.read("server-cert.der")
    local a = assert(core.x509_parse(der))
    local b = assert(core.x509_parse(certs.read("server-cert.pem")))
    assert.equal(der, a.raw)
    assert.same(b, a)
  end)

  it("finds the certificate among other PEM blocks and text", function()
    local pem = "some text\n" .. certs.read("server-key.pem") .. certs.read("server-cert.pem") .. "more\n"
    assert.equal("localhost", assert(core.x509_parse(pem)).subject.CN)
    -- "TRUSTED CERTIFICATE" blocks too, as Node's X509Certificate reads them
    local trusted = helper.sh("openssl x509 -trustout -in " .. quote(dir .. "/server-cert.pem"))
    assert.matches("BEGIN TRUSTED CERTIFICATE", trusted)
    local c = assert(core.x509_parse(trusted))
    assert.equal(pemBody(pem, "CERTIFICATE"), c.raw)
  end)

  describe("the chain form (getPeerCertificate(true))", function()
    local function parse(files, detailed)
      local pem = {}
      for i, f in ipairs(files) do pem[i] = certs.read(f) end
      return assert(core.x509_parse(table.concat(pem), detailed))
    end

    it("links each certificate to its issuer, and the root to itself", function()
      local c = parse({ "server-cert.pem", "intermediate-cert.pem", "ca-cert.pem" }, true)
      local inter = c.issuerCertificate
      assert.equal("luatls Test Intermediate CA", inter.subject.CN)
      local root = inter.issuerCertificate
      assert.equal("luatls Test Root CA", root.subject.CN)
      assert.equal(root, root.issuerCertificate) -- the same table: a cycle, as in Node
      assert.is_true(rawequal(root, root.issuerCertificate))
      -- the linked tables are complete certificates
      assert.same(core.x509_parse(certs.read("intermediate-cert.pem")).fingerprint256,
        inter.fingerprint256)
      assert.is_true(root.ca)
      assert.equal(root.raw, pemBody(certs.read("ca-cert.pem"), "CERTIFICATE"))
    end)

    it("finds issuers in any order, and skips the leaf when the chain repeats it", function()
      local c = parse({ "server-cert.pem", "ca-cert.pem", "server-cert.pem", "wronghost-cert.pem",
        "intermediate-cert.pem" }, true)
      assert.equal("luatls Test Intermediate CA", c.issuerCertificate.subject.CN)
      assert.equal("luatls Test Root CA", c.issuerCertificate.issuerCertificate.subject.CN)
      local root = c.issuerCertificate.issuerCertificate
      assert.equal(root, root.issuerCertificate)
    end)

    it("stops where the issuer is missing (no self link)", function()
      local c = parse({ "server-chain.pem" }, true)
      assert.equal("luatls Test Intermediate CA", c.issuerCertificate.subject.CN)
      assert.is_nil(c.issuerCertificate.issuerCertificate)
      c = parse({ "server-cert.pem", "wronghost-cert.pem" }, true)
      assert.is_nil(c.issuerCertificate)
      c = parse({ "server-cert.pem" }, true)
      assert.is_nil(c.issuerCertificate)
    end)

    it("makes a self-signed leaf its own issuer", function()
      local c = parse({ "selfsigned-cert.pem" }, true)
      assert.is_true(rawequal(c, c.issuerCertificate))
      c = parse({ "ca-cert.pem" }, true)
      assert.is_true(rawequal(c, c.issuerCertificate))
    end)

    it("gives only the first certificate without `detailed`", function()
      local c = parse({ "server-cert.pem", "intermediate-cert.pem", "ca-cert.pem" })
      assert.equal("localhost", c.subject.CN)
      assert.is_nil(c.issuerCertificate)
      c = parse({ "selfsigned-cert.pem" })
      assert.is_nil(c.issuerCertificate)
    end)
  end)

  describe("errors", function()
    local function fails(data, code, message)
      local c, err = core.x509_parse(data)
      assert.is_nil(c)
      assert.is_true(errors.is(err))
      assert.matches("^" .. code, err.code)
      assert.matches(message, err.message, 1, true)
      return err
    end

    it("for input that is neither PEM nor DER", function()
      local err = fails("garbage", "ERR_OSSL_ASN1_TOO_LONG", "not a certificate: neither PEM nor DER")
      assert.equal("asn1 encoding routines", err.library)
      assert.equal("too long", err.reason)
      fails("", "ERR_OSSL_ASN1_TOO_SMALL", "not a certificate")
      fails(string.rep("\0", 100), "ERR_OSSL_ASN1_", "not a certificate")
    end)

    it("for DER that is cut short or not a certificate", function()
      local der = certs.read("server-cert.der")
      fails(der:sub(1, 500), "ERR_OSSL_ASN1_", "not a certificate")
      fails(pemBody(certs.read("server-key.pem"), "PRIVATE KEY"), "ERR_OSSL_ASN1_", "not a certificate")
    end)

    it("for PEM without a certificate", function()
      fails(certs.read("server-key.pem"), "ERR_OSSL_PEM_NO_START_LINE", "no certificate in the PEM data")
      fails(certs.read("dhparam-2048.pem"), "ERR_OSSL_PEM_NO_START_LINE", "no certificate")
    end)

    it("for a broken PEM certificate, even after a good one", function()
      local bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
      fails(bad, "ERR_OSSL_ASN1_WRONG_TAG", "invalid PEM certificate")
      local pem = certs.read("server-cert.pem")
      local cut = pem:sub(1, 200) .. "\n-----END CERTIFICATE-----\n"
      fails(cut, "ERR_OSSL_", "invalid PEM certificate")
      fails(pem .. bad, "ERR_OSSL_ASN1_WRONG_TAG", "invalid PEM certificate")
      -- the error queue is left clean for the next caller
      assert.equal("localhost", assert(core.x509_parse(pem)).subject.CN)
    end)

    it("raises for a non-string argument", function()
      assert.has_error(function() core.x509_parse(nil) end)
      assert.has_error(function() core.x509_parse({}) end)
    end)
  end)

  describe("verification codes", function()
    it("are Node's names and OpenSSL 3.0's messages", function()
      local cases = {
        [2] = { "UNABLE_TO_GET_ISSUER_CERT", "unable to get issuer certificate" },
        [9] = { "CERT_NOT_YET_VALID", "certificate is not yet valid" },
        [10] = { "CERT_HAS_EXPIRED", "certificate has expired" },
        [18] = { "DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate" },
        [19] = { "SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain" },
        [20] = { "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "unable to get local issuer certificate" },
        [21] = { "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate" },
        [22] = { "CERT_CHAIN_TOO_LONG", "certificate chain too long" },
        [23] = { "CERT_REVOKED", "certificate revoked" },
        [25] = { "PATH_LENGTH_EXCEEDED", "path length constraint exceeded" },
        [26] = { "INVALID_PURPOSE", "unsuitable certificate purpose" },
        [27] = { "CERT_UNTRUSTED", "certificate not trusted" },
        [28] = { "CERT_REJECTED", "certificate rejected" },
        [62] = { "HOSTNAME_MISMATCH", "hostname mismatch" },
        [79] = { "INVALID_CA", "invalid CA certificate" },
      }
      for n, want in pairs(cases) do
        assert.same(want, { core.x509_verify_code(n) }, "code " .. n)
      end
      assert.same({ nil, "ok" }, { core.x509_verify_code(0) })
      assert.equal("UNSPECIFIED", (core.x509_verify_code(100000)))
      -- every value OpenSSL 3.0 defines has a name
      for n = 1, 94 do
        assert.matches("^[A-Z0-9_]+$", (core.x509_verify_code(n)))
      end
    end)

    it("name what `openssl verify` reports for the test certificates", function()
      local function verify(args, file)
        local out = helper.sh("openssl verify " .. args .. " " .. quote(dir .. "/" .. file))
        local n, message = out:match("error (%d+) at %d+ depth lookup: ([^\n]+)")
        return tonumber(n), message
      end
      local ca = "-CAfile " .. quote(dir .. "/ca-cert.pem")
      for _, case in ipairs({
        { ca, "expired-cert.pem", "CERT_HAS_EXPIRED" },
        { "", "selfsigned-cert.pem", "DEPTH_ZERO_SELF_SIGNED_CERT" },
        { ca, "server-cert.pem", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" },
        { ca .. " -purpose sslserver", "client-cert.pem", "INVALID_PURPOSE" },
      }) do
        local n, message = verify(case[1], case[2])
        assert.is_number(n, case[2])
        local code, msg = core.x509_verify_code(n)
        assert.equal(case[3], code)
        assert.equal(message, msg)
      end
    end)
  end)

  it("agrees with Node's X509Certificate#toLegacyObject (when node is installed)", function()
    local _, status = helper.sh("command -v node")
    if status ~= 0 then
      pending("node is not installed")
      return
    end
    -- node writes a Lua table of its answers
    local script = helper.NODE_TO_LUA .. [[
      const { X509Certificate } = require('crypto');
      const fs = require('fs');
      const out = [];
      for (const f of process.argv.slice(1))
        out.push(lua(new X509Certificate(fs.readFileSync(f)).toLegacyObject()));
      process.stdout.write('return {' + out.join(',') + '}');]]
    local files = {}
    for i, name in ipairs(CERTS) do files[i] = dir .. "/" .. name end
    files[#files + 1] = ODD
    local quoted = {}
    for i, f in ipairs(files) do quoted[i] = quote(f) end
    local out, st = helper.sh("node -e " .. quote(script) .. " " .. table.concat(quoted, " "))
    assert.equal(0, st, out)
    local node = assert(load(out, "=node", "t", {}))()
    assert.equal(#files, #node)
    for i, f in ipairs(files) do
      assert.same(node[i], assert(core.x509_parse(readfile(f))), f)
    end
  end)

  it("frees what it makes (run under ASan/valgrind)", function()
    local chain = certs.read("server-chain.pem") .. certs.read("ca-cert.pem")
    local odd = readfile(ODD)
    for _ = 1, 50 do
      assert(core.x509_parse(chain, true))
      assert(core.x509_parse(odd, true))
      assert(not core.x509_parse("garbage"))
      assert(not core.x509_parse(chain .. "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
    end
    collectgarbage()
    collectgarbage()
  end)
end)
