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

local function assertCode(code, name, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error " .. code)
  assert.equal(code, type(err) == "table" and err.code or err, tostring(err))
  assert.equal(name, err.name, tostring(err))
  return err
end

-- one `node -e script` over the lines; its answer lines
local function nodeRun(script, lines)
  local proc = helper.spawn("node -e " .. helper.quote(script), table.concat(lines, "\n") .. "\n")
  local out, status = helper.finish(proc, 120000)
  assert.equal(0, status, out)
  local answers = {}
  for line in out:gmatch("[^\n]+") do answers[#answers + 1] = line end
  return answers
end

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
end)
