-- luatls.crypto's keys (KeyObject, createPrivateKey, createPublicKey,
-- createSecretKey, generateKeyPair(Sync); src/crypto/pkey.c and jwk.c)
-- against Node's crypto as the reference, one `node` run per batch: keys
-- made by luatls, exported in every encoding Node allows (PEM and DER as
-- PKCS#1, SPKI, PKCS#8 and SEC1, encrypted, JWK), are read by Node with the
-- same type and details and give the same SPKI, PKCS#8 and JWK; keys made
-- by Node, in every form, are read by luatls likewise; JWK both ways, field
-- by field, with Node's errors for bad JWKs; the callback form of
-- generateKeyPair runs on the thread pool while the loop serves TLS;
-- certificates, KeyObjects and encodings as inputs; bad input raises Node's
-- codes and classes and the process lives.
local helper = require("spec.helper")
local crypto = require("luatls.crypto")
local buffer = require("luatls.buffer")
local tls = require("luatls.tls")
local certs = require("spec.certs")

local toHex = buffer.toHex
local b64, unb64 = buffer.toBase64, buffer.fromBase64

local PASS = "top secret"

local assertCode = helper.raisesWith

local nodeRun = helper.nodeLines

local function split(line)
  local f = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = field end
  return f
end

-- a table as "k=v;k=v" with the keys sorted (JWKs and key details, the
-- same text on both sides)
local function canon(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. tostring(t[k]) end
  return table.concat(keys, ";")
end

local function uncanon(s)
  local t = {}
  for k, v in s:gmatch("([^;=]+)=([^;]*)") do t[k] = v end
  return t
end

-- what both sides say of a key: type, asymmetricKeyType, details, SPKI
-- DER (hex), JWK (or "ERR code"), PKCS#8 DER of a private key (hex)
local function describeKey(k)
  local pub = k.type == "private" and crypto.createPublicKey(k) or k
  local ok, jwk = pcall(k.export, k, { format = "jwk" })
  jwk = ok and canon(jwk) or "ERR " .. tostring(jwk.code)
  return table.concat({ k.type, k.asymmetricKeyType, canon(k.asymmetricKeyDetails),
    toHex(pub:export({ type = "spki", format = "der" })), jwk,
    k.type == "private" and toHex(k:export({ type = "pkcs8", format = "der" })) or "-" }, "\t")
end

local NODE_PRELUDE = [[
const c = require('crypto');
const canon = (o) => Object.keys(o).sort().map((k) => k + '=' + String(o[k])).join(';');
const pairOf = (f, val) => [f.slice(0, f.indexOf('=')), val(f.slice(f.indexOf('=') + 1))];
const uncanon = (s) => Object.fromEntries(s.split(';').map((f) => pairOf(f, (v) => v)));
const unb = (s) => Buffer.from(s, 'base64');
const describe = (k) => {
  const pub = k.type === 'private' ? c.createPublicKey(k) : k;
  let jwk;
  try { jwk = canon(k.export({ format: 'jwk' })); } catch (e) { jwk = 'ERR ' + e.code; }
  return [k.type, k.asymmetricKeyType, canon(k.asymmetricKeyDetails),
    pub.export({ type: 'spki', format: 'der' }).toString('hex'), jwk,
    k.type === 'private' ? k.export({ type: 'pkcs8', format: 'der' }).toString('hex') : '-'].join('\t');
};
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const out = [];
]]

-- the key types of both batches: { name, type, options }
local TYPES = {
  { "rsa", "rsa", { modulusLength = 1024 } },
  { "rsa e=3", "rsa", { modulusLength = 1024, publicExponent = 3 } },
  { "rsa-pss", "rsa-pss", { modulusLength = 1024 } },
  { "rsa-pss params", "rsa-pss",
    { modulusLength = 1024, hashAlgorithm = "sha256", mgf1HashAlgorithm = "sha512", saltLength = 16 } },
  { "P-256", "ec", { namedCurve = "P-256" } },
  { "P-384", "ec", { namedCurve = "P-384" } },
  { "P-521", "ec", { namedCurve = "P-521" } },
  { "secp256k1", "ec", { namedCurve = "secp256k1" } },
  { "brainpoolP256r1", "ec", { namedCurve = "brainpoolP256r1" } },
  { "ed25519", "ed25519" },
  { "ed448", "ed448" },
  { "x25519", "x25519" },
  { "x448", "x448" },
}

-- the encodings of a key of asymmetricKeyType t: { kind, format, type,
-- cipher } (cipher: encrypted with PASS)
local function encodings(t)
  local e = {
    { "private", "pem", "pkcs8" }, { "private", "der", "pkcs8" },
    { "private", "pem", "pkcs8", "aes-256-cbc" }, { "private", "der", "pkcs8", "aes-128-cbc" },
    { "public", "pem", "spki" }, { "public", "der", "spki" },
    { "private", "jwk" }, { "public", "jwk" },
  }
  if t == "rsa" then
    for _, x in ipairs({ { "private", "pem", "pkcs1" }, { "private", "der", "pkcs1" },
      { "private", "pem", "pkcs1", "aes-256-cbc" }, { "public", "pem", "pkcs1" }, { "public", "der", "pkcs1" } }) do
      e[#e + 1] = x
    end
  elseif t == "ec" then
    for _, x in ipairs({ { "private", "pem", "sec1" }, { "private", "der", "sec1" },
      { "private", "pem", "sec1", "des-ede3-cbc" } }) do
      e[#e + 1] = x
    end
  end
  return e
end

describe("crypto keys", function()
  helper.leakcheck()

  it("keys made by luatls, in every encoding Node allows, are read by Node alike", function()
    if not helper.needs("node") then return end
    local lines, expect, what = {}, {}, {}
    for _, spec in ipairs(TYPES) do
      local kp = crypto.generateKeyPairSync(spec[2], spec[3])
      local priv, pub = kp.privateKey, kp.publicKey
      assert.equal(spec[2], priv.asymmetricKeyType)
      for _, enc in ipairs(encodings(spec[2])) do
        local kind, format, structure, cipher = enc[1], enc[2], enc[3], enc[4]
        local key = kind == "private" and priv or pub
        local data
        if format == "jwk" then
          local ok, jwk = pcall(key.export, key, { format = "jwk" })
          data = ok and canon(jwk) or nil
        else
          data = key:export({ format = format, type = structure, cipher = cipher, passphrase = cipher and PASS })
          assert.equal(format == "pem", data:sub(1, 5) == "-----", spec[1])
          if cipher and format == "pem" then assert.truthy(data:find("ENCRYPTED"), spec[1]) end
        end
        if data then
          lines[#lines + 1] = table.concat({ #lines + 1, kind, format, structure or "-",
            cipher and b64(PASS) or "-", b64(data) }, "\t")
          expect[#lines], what[#lines] = describeKey(key), table.concat(enc, " ", 1, #enc) .. " of " .. spec[1]
        end
      end
    end
    local answers = nodeRun(NODE_PRELUDE .. [[
for (const line of lines) {
  const [id, kind, format, type, pass, data] = line.split('\t');
  const o = { format };
  if (format === 'jwk') o.key = uncanon(unb(data).toString());
  else if (format === 'pem') o.key = unb(data).toString();
  else { o.key = unb(data); o.type = type; }
  if (pass !== '-') o.passphrase = unb(pass);
  try { out.push(describe(kind === 'private' ? c.createPrivateKey(o) : c.createPublicKey(o))); }
  catch (e) { out.push('ERR ' + e.code + ' ' + e.message); }
}
process.stdout.write(out.join('\n') + '\n');
]], lines)
    assert.equal(#lines, #answers)
    for i = 1, #lines do
      local want, got = split(expect[i]), split(answers[i])
      for j, name in ipairs({ "type", "asymmetricKeyType", "details", "SPKI", "JWK", "PKCS#8" }) do
        assert.equal(want[j], got[j], name .. " of " .. what[i])
      end
    end
  end)

  it("keys made by Node, in every form, are read by luatls alike", function()
    if not helper.needs("node") then return end
    local lines = {}
    for i, spec in ipairs(TYPES) do
      local opts = {}
      for k, v in pairs(spec[3] or {}) do
        opts[#opts + 1] = string.format("%s: %s", k, math.type(v) and v or "'" .. v .. "'")
      end
      lines[i] = table.concat({ i, spec[2], "{" .. table.concat(opts, ", ") .. "}" }, "\t")
      for _, enc in ipairs(encodings(spec[2])) do
        lines[i] = lines[i] .. "\t" .. table.concat(enc, ",")
      end
    end
    lines[#lines + 1] = table.concat({ #lines + 1, "dsa", "{modulusLength: 1024, divisorLength: 160}",
      "private,pem,pkcs8", "private,der,pkcs8", "public,pem,spki", "public,der,spki",
      "private,pem,pkcs8,aes-192-cbc" }, "\t")
    -- each key: "id describe" then "id kind format type cipher data" per form
    local answers = nodeRun(NODE_PRELUDE .. [[
for (const line of lines) {
  const [id, type, opts, ...forms] = line.split('\t');
  const { privateKey, publicKey } = c.generateKeyPairSync(type, eval('(' + opts + ')'));
  out.push([id, 'key', describe(privateKey), describe(publicKey)].join('\t'));
  for (const form of forms) {
    const [kind, format, type, cipher] = form.split(',');
    const k = kind === 'private' ? privateKey : publicKey;
    let data;
    if (format === 'jwk') { try { data = canon(k.export({ format })); } catch (e) { continue; } }
    else data = k.export({ format, type, cipher, passphrase: cipher ? 'top secret' : undefined });
    out.push([id, 'form', kind, format, type || '-', cipher || '-', Buffer.from(data).toString('base64')].join('\t'));
  }
}
process.stdout.write(out.join('\n') + '\n');
]], lines)
    local described, forms = {}, 0
    for _, line in ipairs(answers) do
      local f = split(line)
      local id = f[1]
      if f[2] == "key" then
        described[id] = { private = table.concat(f, "\t", 3, 8), public = table.concat(f, "\t", 9, 14) }
      else
        local kind, format, structure, cipher, data = f[3], f[4], f[5], f[6], unb64(f[7])
        local what = table.concat({ kind, format, structure, cipher }, " ") .. " of key " .. id
        local o = { format = format, key = data }
        if format == "jwk" then o.key = uncanon(data) end
        if format == "der" then o.type = structure end
        if cipher ~= "-" then o.passphrase = PASS end
        local k = (kind == "private" and crypto.createPrivateKey or crypto.createPublicKey)(o)
        local want, got = split(described[id][kind]), split(describeKey(k))
        for j, name in ipairs({ "type", "asymmetricKeyType", "details", "SPKI", "JWK", "PKCS#8" }) do
          assert.equal(want[j], got[j], name .. " of " .. what)
        end
        if format == "pem" and cipher == "-" then
          -- a PEM string alone, and a private key's public half
          k = (kind == "private" and crypto.createPrivateKey or crypto.createPublicKey)(data)
          assert.equal(described[id][kind], describeKey(k), what)
          if kind == "private" then
            assert.equal(described[id].public, describeKey(crypto.createPublicKey(data)), what)
            assert.equal(described[id].public, describeKey(crypto.createPublicKey({ key = data })), what)
          end
        end
        forms = forms + 1
      end
    end
    assert.is_true(forms > 100, "forms read: " .. forms)
  end)

  it("JWK import takes what Node takes and refuses what Node refuses, with Node's errors", function()
    if not helper.needs("node") then return end
    local function jwkOf(t, o) return crypto.generateKeyPairSync(t, o).privateKey:export({ format = "jwk" }) end
    local base = {
      rsa = jwkOf("rsa", { modulusLength = 1024 }), rsa2 = jwkOf("rsa", { modulusLength = 1024 }),
      ec = jwkOf("ec", { namedCurve = "P-256" }), ec2 = jwkOf("ec", { namedCurve = "P-256" }),
      ed = jwkOf("ed25519"), ed2 = jwkOf("ed25519"), x448 = jwkOf("x448"),
    }
    local NONE = {}
    -- { label, base, changes (NONE: removed; a table { from = base, field }:
    -- that base's field) }
    local cases = {
      { "RSA", "rsa", {} },
      { "RSA public fields only", "rsa", { d = NONE, p = NONE, q = NONE, dp = NONE, dq = NONE, qi = NONE } },
      { "RSA without n", "rsa", { n = NONE } },
      { "RSA n a number", "rsa", { n = 5 } },
      { "RSA without p", "rsa", { p = NONE } },
      { "RSA d a number", "rsa", { d = 5 } },
      { "RSA without qi", "rsa", { qi = NONE } },
      { "RSA d of another key", "rsa", { d = { "rsa2", "d" } } },
      { "RSA standard base64 and padding", "rsa", { e = "AQAB==", n = { "rsa", "n", "std" } } },
      { "RSA with whitespace and junk", "rsa", { e = "AQ AB\n", n = { "rsa", "n", "junk" } } },
      { "RSA with alg, use, ext", "rsa", { alg = "RS256", use = "sig", key_ops = "x" } },
      { "RSA empty n and e", "rsa", { n = "", e = "" } },
      { "RSA junk n", "rsa", { n = "!!!" } },
      { "EC", "ec", {} },
      { "EC public", "ec", { d = NONE } },
      { "EC without crv", "ec", { crv = NONE } },
      { "EC crv a number", "ec", { crv = 5 } },
      { "EC crv P-999", "ec", { crv = "P-999" } },
      { "EC crv brainpool", "ec", { crv = "brainpoolP256r1" } },
      { "EC crv lower case", "ec", { crv = "p-256" } },
      { "EC without y", "ec", { y = NONE } },
      { "EC x and y swapped", "ec", { x = { "ec", "y" }, y = { "ec", "x" } } },
      { "EC short x", "ec", { x = "AQAB" } },
      { "EC x with leading zeros", "ec", { x = { "ec", "x", "zeros" } } },
      { "EC crv P-384 for a P-256 point", "ec", { crv = "P-384" } },
      { "EC d of another key", "ec", { d = { "ec2", "d" } } },
      { "EC short d", "ec", { d = "AQAB" } },
      { "OKP", "ed", {} },
      { "OKP public", "ed", { d = NONE } },
      { "OKP without crv", "ed", { crv = NONE } },
      { "OKP crv Ed999", "ed", { crv = "Ed999" } },
      { "OKP without x", "ed", { x = NONE } },
      { "OKP x a number", "ed", { x = 5 } },
      { "OKP short d", "ed", { d = "AQAB" } },
      { "OKP short x", "ed", { x = "AQAB" } },
      { "OKP x of another key", "ed", { x = { "ed2", "x" } } },
      { "OKP Ed448 for Ed25519 values", "ed", { crv = "Ed448" } },
      { "OKP X448", "x448", {} },
      { "kty oct", "ed", { kty = "oct", k = "YWJj" } },
      { "kty lower case", "rsa", { kty = "rsa" } },
      { "kty missing", "rsa", { kty = NONE } },
      { "kty a number", "rsa", { kty = 5 } },
    }
    local function value(v)
      if type(v) ~= "table" then return v end
      local s = base[v[1]][v[2]]
      if v[3] == "std" then return b64(buffer.fromBase64url(s)) end
      if v[3] == "junk" then return s:sub(1, 10) .. " !\n*" .. s:sub(11) end
      if v[3] == "zeros" then return "AAAA" .. s end
      return s
    end
    local lines, jwks = {}, {}
    for i, c in ipairs(cases) do
      local jwk = {}
      for k, v in pairs(base[c[2]]) do jwk[k] = v end
      for k, v in pairs(c[3]) do
        if v == NONE then jwk[k] = nil else jwk[k] = value(v) end
      end
      jwks[i] = jwk
      local fields = {}
      for k, v in pairs(jwk) do
        fields[#fields + 1] = k .. "=" .. (type(v) == "number" and "n" or "s") .. b64(tostring(v))
      end
      lines[i] = i .. "\tJ" .. table.concat(fields, ";")
    end
    -- the key.key values that are no JWK
    local notTables = { "abc", 5, true }
    for _, v in ipairs(notTables) do
      lines[#lines + 1] = #lines + 1 .. "\tV" .. (type(v) == "string" and "s" or type(v) == "number" and "n" or "b")
        .. b64(tostring(v))
    end
    local answers = nodeRun(NODE_PRELUDE .. [[
for (const line of lines) {
  const [id, spec] = line.split('\t');
  const val = (t) => t[0] === 'n' ? Number(unb(t.slice(1)).toString())
    : t[0] === 'b' ? true : unb(t.slice(1)).toString();
  let jwk;
  if (spec[0] === 'J') jwk = Object.fromEntries(spec.slice(1).split(';').filter(Boolean).map((f) => pairOf(f, val)));
  else jwk = val(spec.slice(1));
  const r = [];
  for (const f of [c.createPrivateKey, c.createPublicKey]) {
    try { const k = f({ key: jwk, format: 'jwk' }); r.push(describe(k).split('\t').slice(0, 4).join(' ')); }
    catch (e) { r.push('ERR ' + e.name + ' ' + e.code + ' ' + e.message); }
  }
  out.push(r.join('\t'));
}
process.stdout.write(out.join('\n') + '\n');
]], lines)
    assert.equal(#lines, #answers)
    local function mine(jwk)
      local r = {}
      for i, f in ipairs({ crypto.createPrivateKey, crypto.createPublicKey }) do
        local ok, k = pcall(f, { key = jwk, format = "jwk" })
        if ok then
          r[i] = table.concat({ k.type, k.asymmetricKeyType, canon(k.asymmetricKeyDetails),
            toHex((k.type == "private" and crypto.createPublicKey(k) or k):export({ type = "spki", format = "der" })) },
            " ")
        else
          r[i] = table.concat({ "ERR", tostring(k.name), tostring(k.code), tostring(k.message) }, " ")
        end
      end
      return table.concat(r, "\t")
    end
    for i = 1, #cases do assert.equal(answers[i], mine(jwks[i]), cases[i][1]) end
    for i, v in ipairs(notTables) do assert.equal(answers[#cases + i], mine(v), "key.key " .. tostring(v)) end
  end)

  it("JWKs without Node: RFC 8037's Ed25519 key, oct, and a round trip of each type", function()
    -- RFC 8037, A.1 and A.2
    local d, x = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    local priv = crypto.createPrivateKey({ key = { kty = "OKP", crv = "Ed25519", d = d, x = x }, format = "jwk" })
    assert.equal("private", priv.type)
    assert.equal("ed25519", priv.asymmetricKeyType)
    assert.same({ kty = "OKP", crv = "Ed25519", d = d, x = x }, priv:export({ format = "jwk" }))
    local pub = crypto.createPublicKey(priv)
    assert.same({ kty = "OKP", crv = "Ed25519", x = x }, pub:export({ format = "jwk" }))
    local okpPublic = { kty = "OKP", crv = "Ed25519", x = x }
    assert.is_true(pub:equals(crypto.createPublicKey({ key = okpPublic, format = "jwk" })))
    -- a private JWK makes a public key too (d is ignored)
    assert.is_true(pub:equals(crypto.createPublicKey({ key = { kty = "OKP", crv = "Ed25519", d = d, x = x },
      format = "jwk" })))
    -- oct: base64url without padding, every length's tail
    for _, case in ipairs({ { "", "" }, { "a", "YQ" }, { "ab", "YWI" }, { "abc", "YWJj" }, { "\xfb\xff", "-_8" } }) do
      assert.same({ kty = "oct", k = case[2] }, crypto.createSecretKey(case[1]):export({ format = "jwk" }))
    end
    -- round trips: the same key back, the public half from either JWK
    for _, spec in ipairs(TYPES) do
      local kp = crypto.generateKeyPairSync(spec[2], spec[3])
      local ok, jwk = pcall(kp.privateKey.export, kp.privateKey, { format = "jwk" })
      if spec[2] == "rsa-pss" then
        assert.equal("ERR_CRYPTO_JWK_UNSUPPORTED_KEY_TYPE", jwk.code)
        assert.equal("Unsupported JWK Key Type.", jwk.message)
      elseif spec[1] == "brainpoolP256r1" then
        assert.equal("ERR_CRYPTO_JWK_UNSUPPORTED_CURVE", jwk.code)
        assert.equal("Unsupported JWK EC curve: brainpoolP256r1.", jwk.message)
      else
        assert.is_true(ok, spec[1])
        for _, v in pairs(jwk) do assert.is_nil(v:find("[=+/]"), spec[1]) end
        assert.is_true(kp.privateKey:equals(crypto.createPrivateKey({ key = jwk, format = "jwk" })), spec[1])
        assert.is_true(kp.publicKey:equals(crypto.createPublicKey({ key = jwk, format = "jwk" })), spec[1])
        local pubJwk = kp.publicKey:export({ format = "jwk" })
        assert.is_nil(pubJwk.d, spec[1])
        assert.is_true(kp.publicKey:equals(crypto.createPublicKey({ key = pubJwk, format = "jwk" })), spec[1])
      end
    end
  end)

  it("generateKeyPair calls back later with (nil, public, private), or strings with encodings", function()
    local got = {}
    crypto.generateKeyPair("ec", { namedCurve = "P-256" }, function(...) got.ec = table.pack(...) end)
    crypto.generateKeyPair("ed25519", function(...) got.ed = table.pack(...) end)
    crypto.generateKeyPair("rsa", {
      modulusLength = 1024,
      publicKeyEncoding = { type = "spki", format = "pem" },
      privateKeyEncoding = { type = "pkcs8", format = "pem", cipher = "aes-256-cbc", passphrase = PASS },
    }, function(...) got.rsa = table.pack(...) end)
    crypto.generateKeyPair("x25519", { publicKeyEncoding = { type = "spki", format = "der" },
      privateKeyEncoding = { format = "jwk" } }, function(...) got.x = table.pack(...) end)
    crypto.generateKeyPair("rsa", { modulusLength = 8 }, function(...) got.small = table.pack(...) end)
    assert.same({}, got, "no callback runs before the call returns")
    helper.wait(function() return got.ec and got.ed and got.rsa and got.x and got.small end, 60000, "the callbacks")
    for _, name in ipairs({ "ec", "ed" }) do
      local r = got[name]
      assert.equal(3, r.n)
      assert.is_nil(r[1])
      assert.equal("public", r[2].type)
      assert.equal("private", r[3].type)
      assert.is_true(r[2]:equals(crypto.createPublicKey(r[3])))
    end
    local r = got.rsa
    assert.is_nil(r[1])
    assert.equal("string", type(r[2]))
    assert.truthy(r[2]:find("^%-%-%-%-%-BEGIN PUBLIC KEY%-%-%-%-%-"))
    assert.truthy(r[3]:find("^%-%-%-%-%-BEGIN ENCRYPTED PRIVATE KEY%-%-%-%-%-"))
    local priv = crypto.createPrivateKey({ key = r[3], passphrase = PASS })
    assert.is_true(crypto.createPublicKey(r[2]):equals(crypto.createPublicKey(priv)))
    r = got.x
    assert.is_nil(r[1])
    assert.equal("OKP", r[3].kty)
    assert.equal("X25519", r[3].crv)
    assert.equal(r[2], crypto.createPublicKey({ key = r[3], format = "jwk" }):export({ type = "spki", format = "der" }))
    -- a failure comes through the callback, as an error object
    r = got.small
    assert.equal(1, r.n)
    assert.equal("Error", r[1].name)
    assert.truthy(tostring(r[1].message):find("key size too small"), tostring(r[1]))
  end)

  it("a TLS echo keeps answering while a 4096-bit RSA key is generated", function()
    local server = tls.createServer(certs.serverOptions(), function(s) s:pipe(s) end)
    local port = helper.listen(server)
    local done, counter, tripsWhenDone = false, {}, nil
    crypto.generateKeyPair("rsa", { modulusLength = 4096 }, function(err, pub, priv)
      assert.is_nil(err)
      assert.equal(4096, pub.asymmetricKeyDetails.modulusLength)
      assert.equal("private", priv.type)
      done, tripsWhenDone = true, counter.trips
    end)
    assert.is_false(done, "the call returned before the key was made")
    -- round trips until the key is made: a blocked loop serves none while
    -- it is made (a 4096-bit key takes far longer than one round trip on
    -- loopback, however busy the machine)
    helper.tlsEchoWhile(certs.connectOptions(port), function() return not done end, counter, 10000)
    helper.wait(function() return done end, 120000, "the key pair")
    assert.is_true(tripsWhenDone >= 1, "no TLS round trip finished while the key was made")
    helper.closeServer(server, true)
  end)

  it("takes certificates, KeyObjects and encodings as Node does; equals compares kind and key", function()
    local certPem = certs.read("server-cert.pem")
    local keyPem = certs.read("server-key.pem")
    local fromCert = crypto.createPublicKey(certPem)
    assert.equal("public", fromCert.type)
    local priv = crypto.createPrivateKey(keyPem)
    assert.is_true(fromCert:equals(crypto.createPublicKey(priv)))
    assert.is_true(fromCert:equals(crypto.createPublicKey({ key = priv })))
    assert.is_true(fromCert:equals(crypto.createPublicKey(keyPem)))
    assert.is_true(fromCert:equals(crypto.createPublicKey({ key = certPem, format = "pem" })))
    -- not a certificate in DER (its base64 between the PEM lines), as in Node
    local der = unb64(certPem:match("%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-(.-)%-%-%-%-%-END"):gsub("%s", ""))
    assertCode("ERR_OSSL_ASN1_WRONG_TAG", "Error", crypto.createPublicKey, { key = der, format = "der", type = "spki" })
    -- a key given in an encoding
    local spki = fromCert:export({ type = "spki", format = "der" })
    assert.is_true(fromCert:equals(crypto.createPublicKey({ key = toHex(spki), format = "der", type = "spki",
      encoding = "hex" })))
    assert.is_true(fromCert:equals(crypto.createPublicKey({ key = b64(keyPem), encoding = "base64" })))
    -- secret keys: bytes, or a string in an encoding
    local s = crypto.createSecretKey("616263", "hex")
    assert.equal("secret", s.type)
    assert.equal(3, s.symmetricKeySize)
    assert.is_nil(s.asymmetricKeyType)
    assert.equal("abc", s:export())
    assert.equal("abc", s:export({ format = "buffer" }))
    assert.is_true(s:equals(crypto.createSecretKey("abc")))
    assert.is_true(s:equals(crypto.createSecretKey("YWJj", "base64")))
    assert.is_false(s:equals(crypto.createSecretKey("abd")))
    assert.is_false(s:equals(crypto.createSecretKey("abcd")))
    assert.equal(0, crypto.createSecretKey("").symmetricKeySize)
    -- equals across kinds and keys
    local pub = crypto.createPublicKey(priv)
    assert.is_false(pub:equals(priv))
    assert.is_false(priv:equals(pub))
    assert.is_false(s:equals(pub))
    assert.is_false(pub:equals(s))
    assert.is_true(priv:equals(priv))
    assert.is_true(priv:equals(crypto.createPrivateKey({ key = priv:export({ type = "pkcs1", format = "der" }),
      format = "der", type = "pkcs1" })))
    local other = crypto.generateKeyPairSync("ed25519")
    assert.is_false(other.publicKey:equals(pub))
    assert.is_false(other.publicKey:equals(crypto.generateKeyPairSync("ed25519").publicKey))
    assert.is_false(other.privateKey:equals(crypto.generateKeyPairSync("x25519").privateKey))
    -- the class: made only by the functions
    assert.is_true(crypto.KeyObject ~= nil)
    assertCode("ERR_INVALID_ARG_TYPE", "TypeError", crypto.KeyObject.new)
    assertCode("ERR_INVALID_ARG_TYPE", "TypeError", crypto.KeyObject.new, "handle")
    -- details of each type
    local kp = crypto.generateKeyPairSync("rsa", { modulusLength = 1024, publicExponent = 3 })
    assert.same({ modulusLength = 1024, publicExponent = 3 }, kp.privateKey.asymmetricKeyDetails)
    assert.same({ namedCurve = "secp384r1" },
      crypto.generateKeyPairSync("ec", { namedCurve = "secp384r1" }).publicKey.asymmetricKeyDetails)
    assert.same({}, other.publicKey.asymmetricKeyDetails)
  end)

  it("bad input raises Node's codes and classes, and the process lives", function()
    if not helper.needs("node") then return end
    local g = crypto.generateKeyPairSync
    local K = {
      rsa = g("rsa", { modulusLength = 1024 }), ec = g("ec", { namedCurve = "P-256" }),
      pss = g("rsa-pss", { modulusLength = 1024 }), ed = g("ed25519"),
      brain = g("ec", { namedCurve = "brainpoolP256r1" }), secret = crypto.createSecretKey("abc"),
    }
    local rp = K.rsa.privateKey
    K.pem = rp:export({ type = "pkcs8", format = "pem" })
    K.der = rp:export({ type = "pkcs8", format = "der" })
    K.spki = K.rsa.publicKey:export({ type = "spki", format = "der" })
    K.pubPem = K.rsa.publicKey:export({ type = "spki", format = "pem" })
    K.enc = rp:export({ type = "pkcs8", format = "pem", cipher = "aes-256-cbc", passphrase = "pw" })
    K.enc1 = rp:export({ type = "pkcs1", format = "pem", cipher = "aes-256-cbc", passphrase = "pw" })
    K.encDer = rp:export({ type = "pkcs8", format = "der", cipher = "aes-256-cbc", passphrase = "pw" })
    K.encSec1 = K.ec.privateKey:export({ type = "sec1", format = "pem", cipher = "aes-128-cbc", passphrase = "pw" })
    K.p1 = rp:export({ type = "pkcs1", format = "der" })
    K.pub1 = K.rsa.publicKey:export({ type = "pkcs1", format = "der" })
    K.s1 = K.ec.privateKey:export({ type = "sec1", format = "der" })
    local corrupt = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    local cpk, cpub, csk = crypto.createPrivateKey, crypto.createPublicKey, crypto.createSecretKey
    local function ex(k, o) return function() return k:export(o) end end
    local function der(f, data, structure, passphrase)
      return f({ key = data, format = "der", type = structure, passphrase = passphrase })
    end
    -- { Lua call, the same call in JavaScript }
    local cases = {
      { function() cpk(5) end, "c.createPrivateKey(5)" },
      { function() cpk() end, "c.createPrivateKey()" },
      { function() cpk(true) end, "c.createPrivateKey(true)" },
      { function() cpk({ key = 5 }) end, "c.createPrivateKey({ key: 5 })" },
      { function() cpk({ key = K.pem, format = "xyz" }) end, "c.createPrivateKey({ key: K.pem, format: 'xyz' })" },
      { function() cpk({ key = K.der, format = "der" }) end, "c.createPrivateKey({ key: K.der, format: 'der' })" },
      { function() cpk({ key = K.der, format = "der", type = "spki" }) end,
        "c.createPrivateKey({ key: K.der, format: 'der', type: 'spki' })" },
      { function() cpk({ key = K.der, format = "der", type = "nope" }) end,
        "c.createPrivateKey({ key: K.der, format: 'der', type: 'nope' })" },
      { function() cpk(rp) end, "c.createPrivateKey(K.rsa.privateKey)" },
      { function() cpk(K.secret) end, "c.createPrivateKey(K.secret)" },
      { function() cpk("garbage") end, "c.createPrivateKey('garbage')" },
      { function() cpk(corrupt) end, "c.createPrivateKey(corrupt)" },
      { function() cpk(K.pubPem) end, "c.createPrivateKey(K.pubPem)" },
      { function() cpk({ key = K.der:sub(1, 50), format = "der", type = "pkcs8" }) end,
        "c.createPrivateKey({ key: K.der.subarray(0, 50), format: 'der', type: 'pkcs8' })" },
      { function() cpk({ key = K.spki, format = "der", type = "pkcs8" }) end,
        "c.createPrivateKey({ key: K.spki, format: 'der', type: 'pkcs8' })" },
      { function() cpk({ key = K.enc, passphrase = "nope" }) end,
        "c.createPrivateKey({ key: K.enc, passphrase: 'nope' })" },
      { function() cpk({ key = K.enc1, passphrase = "nope" }) end,
        "c.createPrivateKey({ key: K.enc1, passphrase: 'nope' })" },
      { function() cpk({ key = K.encDer, format = "der", type = "pkcs8", passphrase = "nope" }) end,
        "c.createPrivateKey({ key: K.encDer, format: 'der', type: 'pkcs8', passphrase: 'nope' })" },
      { function() cpk({ key = K.encSec1, passphrase = "nope" }) end,
        "c.createPrivateKey({ key: K.encSec1, passphrase: 'nope' })" },
      -- DER read as the structure named
      { function() der(cpk, K.p1:sub(1, 50), "pkcs1") end, "der(c.createPrivateKey, K.p1.subarray(0, 50), 'pkcs1')" },
      { function() der(cpub, K.pub1:sub(1, 50), "pkcs1") end,
        "der(c.createPublicKey, K.pub1.subarray(0, 50), 'pkcs1')" },
      { function() der(cpub, K.p1, "pkcs1") end, "der(c.createPublicKey, K.p1, 'pkcs1')" },
      { function() der(cpk, K.s1:sub(1, 50), "sec1") end, "der(c.createPrivateKey, K.s1.subarray(0, 50), 'sec1')" },
      { function() der(cpk, K.der, "sec1") end, "der(c.createPrivateKey, K.der, 'sec1')" },
      { function() der(cpk, K.der, "pkcs1") end, "der(c.createPrivateKey, K.der, 'pkcs1')" },
      { function() der(cpk, K.p1, "pkcs8") end, "der(c.createPrivateKey, K.p1, 'pkcs8')" },
      { function() der(cpk, K.s1, "pkcs1") end, "der(c.createPrivateKey, K.s1, 'pkcs1')" },
      { function() der(cpub, K.spki, "pkcs1") end, "der(c.createPublicKey, K.spki, 'pkcs1')" },
      { function() der(cpub, K.pub1, "spki") end, "der(c.createPublicKey, K.pub1, 'spki')" },
      { function() der(cpub, K.der, "spki") end, "der(c.createPublicKey, K.der, 'spki')" },
      { function() der(cpub, K.der, "pkcs8") end, "der(c.createPublicKey, K.der, 'pkcs8')" },
      { function() der(cpub, K.s1, "sec1") end, "der(c.createPublicKey, K.s1, 'sec1')" },
      { function() der(cpk, "garbage", "pkcs8") end, "der(c.createPrivateKey, Buffer.from('garbage'), 'pkcs8')" },
      { function() der(cpk, K.encDer:sub(1, 60), "pkcs8", "pw") end,
        "der(c.createPrivateKey, K.encDer.subarray(0, 60), 'pkcs8', 'pw')" },
      { function() cpk(K.pem:sub(1, 200) .. "\n-----END PRIVATE KEY-----\n") end,
        "c.createPrivateKey(K.pem.slice(0, 200) + '\\n-----END PRIVATE KEY-----\\n')" },
      { function() cpk({ key = K.pem, type = "sec1" }) end, "c.createPrivateKey({ key: K.pem, type: 'sec1' })" },
      { function() cpk({ key = K.pem, passphrase = 5 }) end, "c.createPrivateKey({ key: K.pem, passphrase: 5 })" },
      { function() cpub(5) end, "c.createPublicKey(5)" },
      { function() cpub() end, "c.createPublicKey()" },
      { function() cpub(K.secret) end, "c.createPublicKey(K.secret)" },
      { function() cpub(K.rsa.publicKey) end, "c.createPublicKey(K.rsa.publicKey)" },
      { function() cpub({ key = K.secret }) end, "c.createPublicKey({ key: K.secret })" },
      { function() cpub("garbage") end, "c.createPublicKey('garbage')" },
      { function() cpub(corrupt) end, "c.createPublicKey(corrupt)" },
      { function() cpub({ key = K.der, format = "der", type = "sec1" }) end,
        "c.createPublicKey({ key: K.der, format: 'der', type: 'sec1' })" },
      { function() cpub({ key = K.spki:sub(1, 40), format = "der", type = "spki" }) end,
        "c.createPublicKey({ key: K.spki.subarray(0, 40), format: 'der', type: 'spki' })" },
      { function() cpub({ key = K.enc, passphrase = "nope" }) end,
        "c.createPublicKey({ key: K.enc, passphrase: 'nope' })" },
      { function() csk(5) end, "c.createSecretKey(5)" },
      { function() csk({}) end, "c.createSecretKey({})" },
      { function() csk() end, "c.createSecretKey()" },
      { ex(rp), "K.rsa.privateKey.export()" },
      { ex(rp, 5), "K.rsa.privateKey.export(5)" },
      { ex(rp, { type = "pkcs8" }), "K.rsa.privateKey.export({ type: 'pkcs8' })" },
      { ex(rp, { format = "pem" }), "K.rsa.privateKey.export({ format: 'pem' })" },
      { ex(rp, { format = "pem", type = "nope" }), "K.rsa.privateKey.export({ format: 'pem', type: 'nope' })" },
      { ex(rp, { format = "pem", type = "spki" }), "K.rsa.privateKey.export({ format: 'pem', type: 'spki' })" },
      { ex(rp, { format = "pem", type = "sec1" }), "K.rsa.privateKey.export({ format: 'pem', type: 'sec1' })" },
      { ex(K.ec.privateKey, { format = "der", type = "pkcs1" }),
        "K.ec.privateKey.export({ format: 'der', type: 'pkcs1' })" },
      { ex(K.ed.privateKey, { format = "der", type = "sec1" }),
        "K.ed.privateKey.export({ format: 'der', type: 'sec1' })" },
      { ex(K.ed.privateKey, { format = "der", type = "pkcs1" }),
        "K.ed.privateKey.export({ format: 'der', type: 'pkcs1' })" },
      { ex(K.pss.privateKey, { format = "der", type = "pkcs1" }),
        "K.pss.privateKey.export({ format: 'der', type: 'pkcs1' })" },
      { ex(K.rsa.publicKey, { format = "pem", type = "pkcs8" }),
        "K.rsa.publicKey.export({ format: 'pem', type: 'pkcs8' })" },
      { ex(K.ec.publicKey, { format = "pem", type = "sec1" }),
        "K.ec.publicKey.export({ format: 'pem', type: 'sec1' })" },
      { ex(rp, { format = "der", type = "pkcs1", cipher = "aes-256-cbc", passphrase = "x" }),
        "K.rsa.privateKey.export({ format: 'der', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'x' })" },
      { ex(K.ec.privateKey, { format = "der", type = "sec1", cipher = "aes-256-cbc", passphrase = "x" }),
        "K.ec.privateKey.export({ format: 'der', type: 'sec1', cipher: 'aes-256-cbc', passphrase: 'x' })" },
      { ex(rp, { format = "pem", type = "pkcs8", cipher = "aes-256-cbc" }),
        "K.rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc' })" },
      { ex(rp, { format = "pem", type = "pkcs8", passphrase = "x" }),
        "K.rsa.privateKey.export({ format: 'pem', type: 'pkcs8', passphrase: 'x' })" },
      { ex(rp, { format = "pem", type = "pkcs8", cipher = "nope", passphrase = "x" }),
        "K.rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'nope', passphrase: 'x' })" },
      { ex(rp, { format = "pem", type = "pkcs8", cipher = 5, passphrase = "x" }),
        "K.rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 5, passphrase: 'x' })" },
      { ex(K.secret, { format = "pem" }), "K.secret.export({ format: 'pem' })" },
      { ex(K.secret, 5), "K.secret.export(5)" },
      { ex(K.pss.privateKey, { format = "jwk" }), "K.pss.privateKey.export({ format: 'jwk' })" },
      { ex(K.pss.publicKey, { format = "jwk" }), "K.pss.publicKey.export({ format: 'jwk' })" },
      { ex(K.brain.privateKey, { format = "jwk" }), "K.brain.privateKey.export({ format: 'jwk' })" },
      { ex(K.brain.publicKey, { format = "jwk" }), "K.brain.publicKey.export({ format: 'jwk' })" },
      { function() K.secret:equals("x") end, "K.secret.equals('x')" },
      { function() rp:equals() end, "K.rsa.privateKey.equals()" },
      { function() g(5) end, "c.generateKeyPairSync(5)" },
      { function() g() end, "c.generateKeyPairSync()" },
      { function() g("foo", {}) end, "c.generateKeyPairSync('foo', {})" },
      { function() g("RSA", { modulusLength = 1024 }) end, "c.generateKeyPairSync('RSA', { modulusLength: 1024 })" },
      { function() g("rsa", {}) end, "c.generateKeyPairSync('rsa', {})" },
      { function() g("rsa") end, "c.generateKeyPairSync('rsa')" },
      { function() g("rsa", 5) end, "c.generateKeyPairSync('rsa', 5)" },
      { function() g("rsa", { modulusLength = 1024.5 }) end,
        "c.generateKeyPairSync('rsa', { modulusLength: 1024.5 })" },
      { function() g("rsa", { modulusLength = -1 }) end, "c.generateKeyPairSync('rsa', { modulusLength: -1 })" },
      { function() g("rsa", { modulusLength = "1024" }) end,
        "c.generateKeyPairSync('rsa', { modulusLength: '1024' })" },
      { function() g("rsa", { modulusLength = 1024, publicExponent = "3" }) end,
        "c.generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: '3' })" },
      { function() g("ec", {}) end, "c.generateKeyPairSync('ec', {})" },
      { function() g("ec", { namedCurve = 5 }) end, "c.generateKeyPairSync('ec', { namedCurve: 5 })" },
      { function() g("ec", { namedCurve = "nope" }) end, "c.generateKeyPairSync('ec', { namedCurve: 'nope' })" },
      { function() g("rsa-pss", { modulusLength = 1024, hashAlgorithm = "nope" }) end,
        "c.generateKeyPairSync('rsa-pss', { modulusLength: 1024, hashAlgorithm: 'nope' })" },
      { function() g("rsa-pss", { modulusLength = 1024, mgf1HashAlgorithm = 5 }) end,
        "c.generateKeyPairSync('rsa-pss', { modulusLength: 1024, mgf1HashAlgorithm: 5 })" },
      { function() g("rsa-pss", { modulusLength = 1024, saltLength = -1 }) end,
        "c.generateKeyPairSync('rsa-pss', { modulusLength: 1024, saltLength: -1 })" },
      { function() g("ed25519", 5) end, "c.generateKeyPairSync('ed25519', 5)" },
      { function() g("rsa", { modulusLength = 1024, publicKeyEncoding = { type = "pkcs8", format = "pem" } }) end,
        "c.generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'pkcs8', format: 'pem' } })" },
      { function() g("rsa", { modulusLength = 1024, publicKeyEncoding = 5 }) end,
        "c.generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: 5 })" },
      { function() g("ec", { namedCurve = "P-256", privateKeyEncoding = { type = "pkcs1", format = "pem" } }) end,
        "c.generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs1', format: 'pem' } })" },
      { function() g("ed25519", { privateKeyEncoding = { type = "pkcs8", format = "pem", cipher = "nope",
        passphrase = "x" } }) end, "c.generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', "
        .. "format: 'pem', cipher: 'nope', passphrase: 'x' } })" },
      { function() crypto.generateKeyPair("ed25519", {}) end, "c.generateKeyPair('ed25519', {})" },
      { function() crypto.generateKeyPair("ed25519", {}, 5) end, "c.generateKeyPair('ed25519', {}, 5)" },
      { function() crypto.generateKeyPair("rsa", {}, function() end) end,
        "c.generateKeyPair('rsa', {}, () => {})" },
    }
    local js = {}
    for i, c in ipairs(cases) do js[i] = "() => " .. c[2] end
    local answers = nodeRun([[
const c = require('crypto');
const g = c.generateKeyPairSync;
const K = {
  rsa: g('rsa', { modulusLength: 1024 }), ec: g('ec', { namedCurve: 'P-256' }),
  pss: g('rsa-pss', { modulusLength: 1024 }), ed: g('ed25519'),
  brain: g('ec', { namedCurve: 'brainpoolP256r1' }), secret: c.createSecretKey(Buffer.from('abc')),
};
const rp = K.rsa.privateKey;
K.pem = rp.export({ type: 'pkcs8', format: 'pem' });
K.der = rp.export({ type: 'pkcs8', format: 'der' });
K.spki = K.rsa.publicKey.export({ type: 'spki', format: 'der' });
K.pubPem = K.rsa.publicKey.export({ type: 'spki', format: 'pem' });
K.enc = rp.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' });
K.enc1 = rp.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' });
K.encDer = rp.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'pw' });
K.encSec1 = K.ec.privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' });
K.p1 = rp.export({ type: 'pkcs1', format: 'der' });
K.pub1 = K.rsa.publicKey.export({ type: 'pkcs1', format: 'der' });
K.s1 = K.ec.privateKey.export({ type: 'sec1', format: 'der' });
const corrupt = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
const der = (f, key, type, passphrase) => f({ key, format: 'der', type, passphrase });
const cases = []] .. table.concat(js, ",\n") .. [[];
for (const f of cases) {
  try { f(); console.log('OK'); } catch (e) { console.log(e.name + ' ' + e.code + '\t' + e.message); }
}
]], {})
    assert.equal(#cases, #answers)
    local differ = {}
    for i, c in ipairs(cases) do
      local ok, err = pcall(c[1])
      local got = ok and "OK" or tostring(err.name) .. " " .. tostring(err.code)
      local want, message = answers[i]:match("^([^\t]*)\t?(.*)$")
      -- Node gives OpenSSL's key-generation errors no code; luatls its
      -- ERR_OSSL_ one
      if want == "Error undefined" and not ok then
        want = "Error " .. tostring(tostring(err.code):match("^ERR_OSSL_.*"))
      end
      if want ~= got then
        differ[#differ + 1] = string.format("%s: luatls %s (%s), Node %s (%s)", c[2], got, tostring(err), want, message)
      end
    end
    assert.equal("", table.concat(differ, "\n"))
    -- an encrypted key without its passphrase: ERR_MISSING_PASSPHRASE, as
    -- Node documents (Node 20 on OpenSSL 3 gives OpenSSL's "interrupted or
    -- cancelled": nodejs/node#48881)
    for _, key in ipairs({ K.enc, K.enc1, K.encSec1, { key = K.encDer, format = "der", type = "pkcs8" } }) do
      for _, f in ipairs({ cpk, cpub }) do
        local e = assertCode("ERR_MISSING_PASSPHRASE", "TypeError", f, key)
        assert.equal("Passphrase required for encrypted key", e.message)
      end
    end
    -- and the process lives: the same keys still work
    assert.is_true(rp:equals(crypto.createPrivateKey({ key = K.enc, passphrase = "pw" })))
    assert.is_true(rp:equals(crypto.createPrivateKey({ key = K.enc1, passphrase = "pw" })))
    assert.is_true(rp:equals(crypto.createPrivateKey({ key = K.encDer, format = "der", type = "pkcs8",
      passphrase = "pw" })))
    assert.is_true(K.ec.privateKey:equals(crypto.createPrivateKey({ key = K.encSec1, passphrase = "pw" })))
    assert.equal("ec", g("ec", { namedCurve = "P-256" }).privateKey.asymmetricKeyType)
  end)
end)
