-- crypto.X509Certificate against Node's as the reference, in one `node`
-- run per batch over the test certificates (spec/certs.lua) and
-- spec/fixtures/odd-cert.pem (names that need escaping): every property,
-- checkHost/checkIP/checkEmail over a table of names (wildcards, subject
-- modes), checkIssued/verify/checkPrivateKey over matching and
-- non-matching pairs, bad inputs with Node's codes and classes; the
-- `openssl x509` command for a few; and TLSSocket's getX509Certificate()
-- and getPeerX509Certificate() over loopback.
local helper = require("spec.helper")
local certs = require("spec.certs")
local crypto = require("luatls.crypto")
local tls = require("luatls.tls")
local buffer = require("luatls.buffer")

local X509Certificate = crypto.X509Certificate
local ODD = helper.root .. "/spec/fixtures/odd-cert.pem"
if ODD:sub(1, 1) ~= "/" then ODD = require("luatls.core").cwd() .. "/" .. ODD:gsub("^%./", "") end

-- the certificates compared with Node (server-chain.pem: its first one)
local FILES = {
  "server-cert.pem", "server-cert.der", "server-chain.pem", "server-ec-cert.pem", "ca-cert.pem",
  "intermediate-cert.pem", "client-cert.pem", "expired-cert.pem", "wildcard-cert.pem",
  "wronghost-cert.pem", "selfsigned-cert.pem", "revoked-cert.pem",
}

local function path(name) return name:sub(1, 1) == "/" and name or certs.path(name) end

local function readfile(name)
  local f = assert(io.open(path(name), "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function load(name) return X509Certificate.new(readfile(name)) end

-- what Node's answers are written with: a JS value as a Lua literal
local NODE_PRELUDE = helper.NODE_TO_LUA .. [[
const { X509Certificate, createPrivateKey, createPublicKey } = require('crypto');
const fs = require('fs');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const cert = (f) => new X509Certificate(fs.readFileSync(f));
const key = (f) => createPrivateKey(fs.readFileSync(f));
]]

-- a Lua value as JSON (strings kept as UTF-8; nil as null)
local function json(v)
  local t = type(v)
  if v == nil then return "null" end
  if t == "boolean" or t == "number" then return tostring(v) end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  end
  local parts = {}
  if #v > 0 or next(v) == nil then
    for i = 1, #v do parts[i] = json(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for k, x in pairs(v) do parts[#parts + 1] = json(tostring(k)) .. ":" .. json(x) end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- node(body, input) -> the Lua value Node's script wrote (`return ...`)
local function node(body, input)
  local proc = helper.spawn("node -e " .. helper.quote(NODE_PRELUDE .. body), json(input))
  local out, status = helper.finish(proc, 60000)
  assert.equal(0, status, out)
  return assert(_G.load(out, "=node", "t", {}))()
end

local function assertCode(code, name, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error " .. tostring(code))
  assert.equal(code, type(err) == "table" and err.code or err, tostring(err))
  assert.equal(name, err.name, tostring(err))
  return err
end

describe("crypto.X509Certificate", function()
  helper.leakcheck()

  it("gives Node's properties for each test certificate", function()
    if not helper.needs("node") then return end
    local files = {}
    for i, f in ipairs(FILES) do files[i] = path(f) end
    files[#files + 1] = ODD
    local answers = node([[
      const out = input.map((f) => {
        const x = cert(f);
        return lua({
          subject: x.subject, issuer: x.issuer, subjectAltName: x.subjectAltName,
          infoAccess: x.infoAccess, validFrom: x.validFrom, validTo: x.validTo,
          validFromDate: Date.parse(x.validFrom) / 1000, validToDate: Date.parse(x.validTo) / 1000,
          fingerprint: x.fingerprint, fingerprint256: x.fingerprint256,
          fingerprint512: x.fingerprint512, serialNumber: x.serialNumber, ca: x.ca,
          keyUsage: x.keyUsage, raw: x.raw, issuerCertificate: x.issuerCertificate,
          spki: x.publicKey.export({ type: 'spki', format: 'der' }),
          keyType: x.publicKey.asymmetricKeyType, pem: x.toString(), json: x.toJSON(),
          legacy: x.toLegacyObject(),
        });
      });
      process.stdout.write('return {' + out.join(',') + '}');]], files)
    assert.equal(#files, #answers)
    local props = { "subject", "issuer", "subjectAltName", "infoAccess", "validFrom", "validTo",
      "validFromDate", "validToDate", "fingerprint", "fingerprint256", "fingerprint512", "serialNumber",
      "ca", "keyUsage", "raw", "issuerCertificate" }
    for i, f in ipairs(files) do
      local want, x = answers[i], load(f)
      for _, p in ipairs(props) do
        assert.same(want[p], x[p], f .. ": " .. p)
        assert.same(want[p], x[p], f .. ": " .. p .. " (again, cached)")
      end
      local pub = x.publicKey
      assert.equal("public", pub.type)
      assert.equal(want.keyType, pub.asymmetricKeyType)
      assert.equal(want.spki, pub:export({ type = "spki", format = "der" }), f)
      assert.equal(want.pem, x:toString(), f)
      assert.equal(want.json, x:toJSON(), f)
      assert.equal(want.pem, tostring(x), f)
      assert.same(want.legacy, x:toLegacyObject(), f)
      assert.is_number(x.validFromDate)
      assert.is_true(math.type(x.validToDate) == "integer")
    end
  end)

  it("reads PEM and DER alike, and is what getPeerCertificate()'s table says", function()
    local pem, der = load("server-cert.pem"), load("server-cert.der")
    assert.equal(readfile("server-cert.der"), pem.raw)
    assert.equal(pem:toString(), der:toString())
    assert.equal(pem:toString(), X509Certificate.new(pem:toString()):toString())
    assert.equal(pem.raw, X509Certificate.new(pem.raw).raw)
    assert.equal(readfile("server-cert.pem"), pem:toString())
    -- trailing bytes after the DER, other PEM blocks before the certificate
    assert.equal(pem.raw, X509Certificate.new(pem.raw .. "xx").raw)
    assert.equal(pem.raw, X509Certificate.new(readfile("server-key.pem") .. readfile("server-chain.pem")).raw)
    local legacy = pem:toLegacyObject()
    assert.equal("localhost", legacy.subject.CN)
    assert.equal(pem.fingerprint256, legacy.fingerprint256)
    assert.equal(pem.raw, legacy.raw)
    assert.is_true(crypto.X509Certificate == X509Certificate)
    assert.is_true(require("luatls.events").instanceOf(pem, X509Certificate))
    -- the dates are seconds since 1970 (UTC): expired-cert.pem ends in
    -- January 2020 (1577836800 .. 1580515200, Feb 1 00:00)
    local expired = load("expired-cert.pem")
    assert.is_true(expired.validToDate >= 1577836800 and expired.validToDate <= 1580515200, expired.validTo)
    assert.is_true(expired.validFromDate < expired.validToDate)
  end)

  it("agrees with `openssl x509` on names, serial, fingerprints and dates", function()
    if not helper.needs("openssl") then return end
    for _, f in ipairs({ "server-cert.pem", "ca-cert.pem", "client-cert.pem", ODD }) do
      local out, status = helper.sh("openssl x509 -in " .. helper.quote(path(f)) .. " -noout -subject -issuer "
        .. "-serial -fingerprint -sha256 -dates -nameopt sep_multiline,sname,esc_2253,esc_ctrl,utf8")
      assert.equal(0, status, out)
      local x = load(f)
      local subject = out:match("subject=\n(.-)\nissuer="):gsub("^    ", ""):gsub("\n    ", "\n")
      local issuer = out:match("issuer=\n(.-)\nserial="):gsub("^    ", ""):gsub("\n    ", "\n")
      assert.equal(subject, x.subject, f)
      assert.equal(issuer, x.issuer, f)
      assert.equal(out:match("serial=(%x+)"), x.serialNumber, f)
      assert.equal(out:match("sha256 Fingerprint=([%x:]+)"), x.fingerprint256, f)
      assert.equal(out:match("notBefore=([^\n]+)"), x.validFrom, f)
      assert.equal(out:match("notAfter=([^\n]+)"), x.validTo, f)
      local sha1 = helper.sh("openssl x509 -in " .. helper.quote(path(f)) .. " -noout -fingerprint -sha1")
      assert.equal(sha1:match("Fingerprint=([%x:]+)"), x.fingerprint, f)
    end
  end)

  -- { file, method, argument[, options] }
  local CHECKS = {}
  local function checks(file, method, args, options)
    for _, a in ipairs(args) do CHECKS[#CHECKS + 1] = { file, method, a, options } end
  end
  local HOSTS = { "localhost", "LOCALHOST", "localhost.", "other", "127.0.0.1", "", "a\0b", "client",
    "a.example.com", "A.Example.COM", "example.com", ".example.com", "a.b.example.com", "xa.example.com",
    "wrong.example.org", "odd.example.com", "evil.com", "good.com", "Jörg", "dir name", "*.example.com" }
  local HOST_OPTIONS = { false, { subject = "always" }, { subject = "never" }, { wildcards = false },
    { partialWildcards = false }, { multiLabelWildcards = true }, { singleLabelSubdomains = true } }
  local IPS = { "127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "::0001", "1.2.3.4", "10.0.0.1", "fe80::1", "FE80::1",
    "127.000.000.001", "bogus", "", "1.2.3.4.5", "::ffff:127.0.0.1" }
  local EMAILS = { "client@example.com", "CLIENT@example.com", "client@EXAMPLE.COM", "x@example.com",
    "o'brien@example.com", "", "a\0b", "example.com" }
  for _, f in ipairs({ "server-cert.pem", "wildcard-cert.pem", "client-cert.pem", "wronghost-cert.pem", ODD }) do
    for _, o in ipairs(HOST_OPTIONS) do checks(f, "checkHost", HOSTS, o or nil) end
    checks(f, "checkIP", IPS)
    for _, o in ipairs({ false, { subject = "always" }, { subject = "never" } }) do
      checks(f, "checkEmail", EMAILS, o or nil)
    end
  end

  it("checkHost, checkIP and checkEmail answer as Node's for a table of names", function()
    if not helper.needs("node") then return end
    local input = {}
    for i, c in ipairs(CHECKS) do input[i] = { path(c[1]), c[2], c[3], c[4] } end
    local answers = node([[
      const cache = {};
      const out = input.map(([f, method, arg, options]) => {
        const x = cache[f] || (cache[f] = cert(f));
        try {
          const v = x[method](arg, options === null ? undefined : options);
          // Node makes the matched name's bytes a string one byte a
          // character; luatls gives the bytes (UTF-8) as they are
          if (method === 'checkHost' && typeof v === 'string') return lua({ v: Buffer.from(v, 'latin1') });
          return lua({ v });
        } catch (err) {
          return lua({ err: err.code, name: err.name, message: err.message });
        }
      });
      process.stdout.write('return {' + out.join(',') + '}');]], input)
    assert.equal(#CHECKS, #answers)
    local loaded, matched = {}, 0
    for i, c in ipairs(CHECKS) do
      local x = loaded[c[1]] or load(c[1])
      loaded[c[1]] = x
      local ok, v = pcall(x[c[2]], x, c[3], c[4])
      local what = string.format("%s %s(%q, %s)", c[1], c[2], c[3], json(c[4]))
      local want = answers[i]
      if want.err then
        assert.is_false(ok, what)
        assert.same({ want.err, want.name, want.message }, { v.code, v.name, v.message }, what)
      else
        assert.is_true(ok, what .. ": " .. tostring(v))
        assert.equal(want.v, v, what)
        if v ~= nil then matched = matched + 1 end
      end
    end
    assert.is_true(matched > 50, "the table matches names too")
  end)

  it("checkIssued, verify and checkPrivateKey answer as Node's for matching and other pairs", function()
    if not helper.needs("node") then return end
    local names = { "server", "server-ec", "intermediate", "ca", "client", "selfsigned", "wildcard", "expired" }
    local input = {}
    for _, a in ipairs(names) do
      for _, b in ipairs(names) do
        input[#input + 1] = { certs.path(a .. "-cert.pem"), certs.path(b .. "-cert.pem"), certs.path(b .. "-key.pem") }
      end
    end
    local answers = node([[
      const out = input.map(([a, b, k]) => {
        const x = cert(a), y = cert(b), priv = key(k);
        return lua([x.checkIssued(y), x.verify(y.publicKey), x.checkPrivateKey(priv)]);
      });
      process.stdout.write('return {' + out.join(',') + '}');]], input)
    local counts = { 0, 0, 0 }
    for i, c in ipairs(input) do
      local x, y = load(c[1]), load(c[2])
      local priv = crypto.createPrivateKey(readfile(c[3]))
      local got = { x:checkIssued(y), x:verify(y.publicKey), x:checkPrivateKey(priv) }
      assert.same(answers[i], got, c[1] .. " / " .. c[2])
      for j = 1, 3 do
        if got[j] then counts[j] = counts[j] + 1 end
      end
    end
    for j = 1, 3 do assert.is_true(counts[j] >= 2, "some pairs match") end
    -- a private KeyObject from the certificate's own key, and its public half
    local server = load("server-cert.pem")
    local priv = crypto.createPrivateKey(readfile("server-key.pem"))
    assert.is_true(server:checkPrivateKey(priv))
    assert.is_true(load("intermediate-cert.pem"):verify(load("ca-cert.pem").publicKey))
    assert.is_true(server:verify(crypto.createPublicKey(readfile("intermediate-cert.pem"))))
  end)

  it("raises Node's errors for bad input, and the process lives", function()
    if not helper.needs("node") then return end
    local der = readfile("server-cert.der")
    local x = load("server-cert.pem")
    local priv = crypto.createPrivateKey(readfile("server-key.pem"))
    local pub = crypto.createPublicKey(priv)
    local new = X509Certificate.new
    -- { label, Lua call, the same in JS (x, priv, pub, der, D: the cert dir) }
    local CASES = {
      { "garbage", function() new("garbage") end, "new X509Certificate('garbage')" },
      { "empty", function() new("") end, "new X509Certificate('')" },
      { "truncated DER", function() new(der:sub(1, 100)) end, "new X509Certificate(der.subarray(0, 100))" },
      { "one byte of DER", function() new(der:sub(1, 1)) end, "new X509Certificate(der.subarray(0, 1))" },
      { "a key's PEM", function() new(readfile("server-key.pem")) end,
        "new X509Certificate(fs.readFileSync(D + '/server-key.pem'))" },
      { "a PEM certificate of bad DER",
        function() new("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") end,
        "new X509Certificate('-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n')" },
      { "a PEM certificate cut short", function() new(readfile("server-cert.pem"):sub(1, 200)) end,
        "new X509Certificate(fs.readFileSync(D + '/server-cert.pem').subarray(0, 200))" },
      { "a number", function() new(42) end, "new X509Certificate(42)" },
      { "a table", function() new({}) end, "new X509Certificate({})" },
      { "nothing", function() new() end, "new X509Certificate()" },
      { "a boolean", function() new(true) end, "new X509Certificate(true)" },
      { "checkHost(number)", function() x:checkHost(42) end, "x.checkHost(42)" },
      { "checkHost options", function() x:checkHost("localhost", 5) end, "x.checkHost('localhost', 5)" },
      { "checkHost subject", function() x:checkHost("localhost", { subject = "bogus" }) end,
        "x.checkHost('localhost', { subject: 'bogus' })" },
      { "checkHost subject type", function() x:checkHost("localhost", { subject = 5 }) end,
        "x.checkHost('localhost', { subject: 5 })" },
      { "checkHost wildcards", function() x:checkHost("localhost", { wildcards = "yes" }) end,
        "x.checkHost('localhost', { wildcards: 'yes' })" },
      { "checkHost multiLabelWildcards", function() x:checkHost("localhost", { multiLabelWildcards = 1 }) end,
        "x.checkHost('localhost', { multiLabelWildcards: 1 })" },
      { "checkEmail(number)", function() x:checkEmail(1) end, "x.checkEmail(1)" },
      { "checkEmail options", function() x:checkEmail("a@b", { partialWildcards = "no" }) end,
        "x.checkEmail('a@b', { partialWildcards: 'no' })" },
      { "checkIP(number)", function() x:checkIP(5) end, "x.checkIP(5)" },
      { "checkIP(bogus)", function() x:checkIP("bogus") end, "x.checkIP('bogus')" },
      { "checkIssued(string)", function() x:checkIssued("x") end, "x.checkIssued('x')" },
      { "checkIssued(table)", function() x:checkIssued({}) end, "x.checkIssued({})" },
      { "checkPrivateKey(public)", function() x:checkPrivateKey(pub) end, "x.checkPrivateKey(pub)" },
      { "checkPrivateKey(PEM)", function() x:checkPrivateKey(readfile("server-key.pem")) end,
        "x.checkPrivateKey(fs.readFileSync(D + '/server-key.pem', 'utf8'))" },
      { "verify(private)", function() x:verify(priv) end, "x.verify(priv)" },
      { "verify(string)", function() x:verify("abc") end, "x.verify('abc')" },
      { "verify(nothing)", function() x:verify() end, "x.verify()" },
    }
    local exprs = {}
    for i, c in ipairs(CASES) do exprs[i] = c[3] end
    local answers = node([[
      const D = ]] .. json(certs.certs()) .. [[;
      const der = fs.readFileSync(D + '/server-cert.der');
      const x = cert(D + '/server-cert.pem'), priv = key(D + '/server-key.pem');
      const pub = createPublicKey(priv);
      const out = input.map((e) => {
        try { eval(e); return lua({ ok: true }); }
        catch (err) { return lua({ code: err.code, name: err.name, message: err.message }); }
      });
      process.stdout.write('return {' + out.join(',') + '}');]], exprs)
    for i, c in ipairs(CASES) do
      local want = answers[i]
      assert.is_nil(want.ok, c[1] .. ": Node raises")
      local err = assertCode(want.code, want.name, c[2])
      if want.code:match("^ERR_OSSL") or want.message == "Invalid IP" then
        assert.equal(want.message, err.message, c[1])
      end
    end
    -- the process lives, the certificate still answers
    assert.equal("localhost", x:checkHost("localhost"))
    for _ = 1, 200 do
      pcall(new, der:sub(1, math.random(0, #der - 1)))
    end
    collectgarbage()
  end)

  it("gives no issuerCertificate outside a TLS connection, and publicKey is a new KeyObject each time", function()
    local x = load("server-chain.pem")
    assert.is_nil(x.issuerCertificate)
    local a, b = x.publicKey, x.publicKey
    assert.are_not.equal(a, b)
    assert.is_true(a:equals(b))
    assert.is_true(a:equals(crypto.createPublicKey(readfile("server-key.pem"))))
    assert.is_nil(load("ca-cert.pem").keyUsage)
    assert.is_nil(load("ca-cert.pem").subjectAltName)
    assert.is_nil(load("ca-cert.pem").infoAccess)
    assert.is_true(load("ca-cert.pem").ca)
  end)

  it("frees what it makes (run under ASan/valgrind)", function()
    local pem, der = readfile("server-chain.pem"), readfile("server-cert.der")
    for _ = 1, 100 do
      local x = X509Certificate.new(pem)
      local all = { x.subject, x.fingerprint512, x.keyUsage, x.publicKey, x:toLegacyObject(), x:toString(),
        x.validFromDate, x:checkHost("localhost"), x:checkIssued(X509Certificate.new(der)) }
      assert.equal(9, #all)
      pcall(X509Certificate.new, "garbage")
    end
    collectgarbage()
    collectgarbage()
  end)

  describe("on a TLS socket", function()
    local function serverDer(name) return load(name).raw end

    it("getX509Certificate/getPeerX509Certificate give each end what the other configured", function()
      local seen = {}
      local server = tls.createServer(certs.serverOptions({ requestCert = true, ca = certs.read("ca-cert.pem") }),
        function(s)
          seen.own = s:getX509Certificate()
          seen.peer = s:getPeerX509Certificate()
          s:done()
        end)
      local port = helper.listen(server)
      local info, closed = {}, false
      local c
      c = tls.connect(certs.connectOptions(port, { key = certs.read("client-key.pem"),
        cert = certs.read("client-cert.pem") }), function()
        info.authorized = c.authorized
        info.own = c:getX509Certificate()
        info.peer = c:getPeerX509Certificate()
      end)
      info.before = c:getPeerX509Certificate()
      c:on("data", function() end)
      c:on("close", function() closed = true end)
      helper.wait(function() return closed and seen.peer ~= nil end, nil, "the TLS round trip")
      assert.is_nil(c:getPeerX509Certificate(), "nil once closed")
      assert.is_nil(c:getX509Certificate(), "nil once closed")
      helper.closeServer(server, true)

      assert.is_nil(info.before)
      assert.is_true(info.authorized)
      local leaf, intermediate = serverDer("server-cert.pem"), serverDer("intermediate-cert.pem")
      local client = serverDer("client-cert.pem")
      assert.equal(leaf, seen.own.raw)
      assert.is_nil(seen.own.issuerCertificate)
      assert.equal(client, seen.peer.raw)
      assert.equal(client, info.own.raw)
      assert.is_nil(info.own.issuerCertificate)
      -- the client's peer: the leaf, then the intermediate the server sent
      -- (as Node links them; the root was not sent)
      assert.equal(leaf, info.peer.raw)
      assert.equal("localhost", info.peer:checkHost("localhost"))
      assert.equal(intermediate, info.peer.issuerCertificate.raw)
      assert.equal(info.peer.issuerCertificate, info.peer.issuerCertificate)
      assert.is_true(info.peer:checkIssued(info.peer.issuerCertificate))
      assert.is_nil(info.peer.issuerCertificate.issuerCertificate)
      assert.equal(buffer.toHex(leaf), buffer.toHex(info.peer:toLegacyObject().raw))
      -- the client sent its chain as OpenSSL builds it (with the root it
      -- trusts, as Node's client does): the server's peer links to it
      local issuer = seen.peer.issuerCertificate
      assert.equal(serverDer("ca-cert.pem"), issuer.raw)
      assert.is_nil(issuer.issuerCertificate, "a self-signed root ends the links")
    end)

    it("gives nil where there is no certificate", function()
      local seen = {}
      local server = tls.createServer(certs.serverOptions(), function(s)
        seen.peer = s:getPeerX509Certificate()
        seen.own = s:getX509Certificate()
        seen.done = true
        s:done()
      end)
      local port = helper.listen(server)
      local info, closed = {}, false
      local c
      c = tls.connect(certs.connectOptions(port), function()
        info.own = c:getX509Certificate()
        info.peer = c:getPeerX509Certificate()
      end)
      c:on("data", function() end)
      c:on("close", function() closed = true end)
      helper.wait(function() return closed and seen.done end, nil, "the TLS round trip")
      helper.closeServer(server, true)
      assert.is_nil(seen.peer)
      assert.equal(serverDer("server-cert.pem"), seen.own.raw)
      assert.is_nil(info.own)
      assert.equal(serverDer("server-cert.pem"), info.peer.raw)
    end)
  end)
end)
