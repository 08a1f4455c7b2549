-- luatls.crypto's signatures (sign, verify, createSign, createVerify) and
-- key agreement (diffieHellman, createECDH, ECDH.convertKey, getCurves)
-- against Node's crypto as the reference: one `node` run per batch
-- verifies luatls's signatures and signs the same messages with the same
-- keys (exchanged as PEM), luatls verifies Node's, and the deterministic
-- schemes (RSA PKCS#1 v1.5, Ed25519, Ed448) give Node's bytes; ECDH and
-- diffieHellman give Node's secrets for the same keys; streamed updates
-- equal one-shot; the callback forms run on the thread pool; bad input
-- raises Node's codes and classes; a wrong signature verifies as false.
local helper = require("spec.helper")
local crypto = require("luatls.crypto")
local buffer = require("luatls.buffer")

local toHex, fromHex = buffer.toHex, buffer.fromHex
local randomString = helper.randomString
local C = crypto.constants

local assertCode = helper.raisesWith

local function hexOr(s)
  local h = toHex(s or "")
  return h == "" and "-" or h
end

local nodeRun = helper.nodeLines

-- the key pairs of the batch, made once
local pairsCache
local function keyPairs()
  if pairsCache then return pairsCache end
  local g = crypto.generateKeyPairSync
  pairsCache = {
    rsa = g("rsa", { modulusLength = 2048 }),
    pss = g("rsa-pss", { modulusLength = 2048, hashAlgorithm = "sha256", mgf1HashAlgorithm = "sha256",
      saltLength = 32 }),
    pssFree = g("rsa-pss", { modulusLength = 2048 }),
    p256 = g("ec", { namedCurve = "P-256" }),
    p384 = g("ec", { namedCurve = "P-384" }),
    p521 = g("ec", { namedCurve = "P-521" }),
    k256 = g("ec", { namedCurve = "secp256k1" }),
    ed25519 = g("ed25519"),
    ed448 = g("ed448"),
    x25519 = g("x25519"),
    x448 = g("x448"),
  }
  return pairsCache
end

local function pem(pair)
  return pair.privateKey:export({ type = "pkcs8", format = "pem" }),
    pair.publicKey:export({ type = "spki", format = "pem" })
end

-- ---- signatures against Node ------------------------------------------------

-- Node verifies each case line "alg priv pub padding salt dsaEncoding data
-- oursig" (PEM and bytes in hex, "-" for none) and signs data with the
-- same key and options: it answers "ok|bad nodesig" or "ERR code".
local SIGN_SCRIPT = [[
const c = require('crypto');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const b = (h) => Buffer.from(h === '-' ? '' : h, 'hex');
const keys = new Map();
const key = (h, f) => { if (!keys.has(h)) keys.set(h, f(b(h).toString())); return keys.get(h); };
const out = lines.map((line) => {
  const [alg, priv, pub, pad, salt, enc, data, sig] = line.split(' ');
  const o = {};
  if (pad !== '-') o.padding = +pad;
  if (salt !== '-') o.saltLength = +salt;
  if (enc !== '-') o.dsaEncoding = enc;
  const a = alg === '-' ? null : alg;
  try {
    const ok = c.verify(a, b(data), { ...o, key: key(pub, c.createPublicKey) }, b(sig));
    const mine = c.sign(a, b(data), { ...o, key: key(priv, c.createPrivateKey) });
    return (ok ? 'ok ' : 'bad ') + mine.toString('hex');
  } catch (err) {
    return 'ERR ' + (err.code || err.message);
  }
});
process.stdout.write(out.join('\n') + '\n');
]]

-- the cases: key pair name, algorithm, options; det: the same bytes as
-- Node's (deterministic); stream: createSign/createVerify take it too
local function signCases()
  local list = {
    { "rsa", "sha1", {}, det = true }, { "rsa", "sha256", {}, det = true },
    { "rsa", "sha512", {}, det = true }, { "rsa", nil, {}, det = true },
    { "rsa", "RSA-SHA384", {}, det = true },
    { "rsa", "sha256", { padding = C.RSA_PKCS1_PADDING }, det = true },
    { "rsa", "sha256", { padding = C.RSA_PKCS1_PSS_PADDING } },
    { "rsa", "sha256", { padding = C.RSA_PKCS1_PSS_PADDING, saltLength = C.RSA_PSS_SALTLEN_DIGEST } },
    { "rsa", "sha256", { padding = C.RSA_PKCS1_PSS_PADDING, saltLength = C.RSA_PSS_SALTLEN_MAX_SIGN } },
    { "rsa", "sha256", { padding = C.RSA_PKCS1_PSS_PADDING, saltLength = 0 }, det = true },
    { "rsa", "sha512", { padding = C.RSA_PKCS1_PSS_PADDING, saltLength = 17 } },
    { "rsa", "sha1", { padding = C.RSA_PKCS1_PSS_PADDING, saltLength = 20 } },
    { "pss", "sha256", {} }, { "pss", "sha256", { saltLength = 40 } }, { "pss", nil, {} },
    { "pssFree", "sha384", {} }, { "pssFree", "sha256", { saltLength = 0 }, det = true },
    { "p256", "sha256", {} }, { "p256", "sha256", { dsaEncoding = "ieee-p1363" } },
    { "p256", nil, { dsaEncoding = "der" } },
    { "p384", "sha384", {} }, { "p384", "sha384", { dsaEncoding = "ieee-p1363" } },
    { "p521", "sha512", {} }, { "p521", "sha512", { dsaEncoding = "ieee-p1363" } },
    { "k256", "sha256", {} }, { "k256", "sha3-256", { dsaEncoding = "ieee-p1363" } },
    { "ed25519", nil, {}, det = true }, { "ed448", nil, {}, det = true },
    { "ed25519", nil, { dsaEncoding = "ieee-p1363" }, det = true },
  }
  local kp, cases = keyPairs(), {}
  for _, l in ipairs(list) do
    for _, n in ipairs({ 0, 1, 100, 5000 }) do
      cases[#cases + 1] = { pair = kp[l[1]], name = l[1], alg = l[2], opts = l[3], det = l.det,
        stream = l[2] ~= nil and not l[1]:match("^ed"), data = randomString(n) }
    end
  end
  return cases
end

local function withKey(opts, key)
  local t = { key = key }
  for k, v in pairs(opts) do t[k] = v end
  return t
end

-- createSign over data in random pieces
local function streamSign(c)
  local s = crypto.createSign(c.alg)
  local i = 1
  s:update("")
  while i <= #c.data do
    local n = math.random(1, 700)
    assert.equal(s, s:update(c.data:sub(i, i + n - 1)))
    i = i + n
  end
  return s:sign(withKey(c.opts, c.pair.privateKey))
end

local function streamVerify(c, sig, key)
  local v = crypto.createVerify(c.alg)
  local half = #c.data // 2
  v:update(c.data:sub(1, half)):update(toHex(c.data:sub(half + 1)), "hex")
  return v:verify(withKey(c.opts, key or c.pair.publicKey), sig)
end

describe("crypto signatures", function()
  helper.leakcheck()

  it("Node verifies luatls's signatures and luatls Node's; deterministic ones are Node's bytes", function()
    if not helper.needs("node") then return end
    local seed = tonumber(os.getenv("LUATLS_SPEC_SEED")) or os.time()
    math.randomseed(seed)
    local cases = signCases()
    local lines = {}
    for i, c in ipairs(cases) do
      local priv, pub = pem(c.pair)
      c.sig = crypto.sign(c.alg, c.data, withKey(c.opts, c.pair.privateKey))
      lines[i] = table.concat({ c.alg or "-", toHex(priv), toHex(pub), c.opts.padding or "-",
        c.opts.saltLength or "-", c.opts.dsaEncoding or "-", hexOr(c.data), hexOr(c.sig) }, " ")
    end
    local answers = nodeRun(SIGN_SCRIPT, lines)
    assert.equal(#cases, #answers)
    local why = "seed " .. seed .. " (LUATLS_SPEC_SEED=" .. seed .. " repeats it): "
    for i, c in ipairs(cases) do
      local what = why .. c.name .. " " .. tostring(c.alg) .. " padding " .. tostring(c.opts.padding)
        .. " salt " .. tostring(c.opts.saltLength) .. " " .. tostring(c.opts.dsaEncoding)
        .. " length " .. #c.data
      local ok, theirs = answers[i]:match("^(%S+) (%x+)$")
      assert.equal("ok", ok, what .. ": " .. answers[i])
      theirs = fromHex(theirs)
      assert.is_true(crypto.verify(c.alg, c.data, withKey(c.opts, c.pair.publicKey), theirs), what)
      -- a private key verifies too, as in Node
      assert.is_true(crypto.verify(c.alg, c.data, withKey(c.opts, c.pair.privateKey), theirs), what)
      if c.det then assert.equal(toHex(theirs), toHex(c.sig), what) end
      if c.opts.dsaEncoding == "ieee-p1363" and c.name:match("^p") then
        local width = ({ p256 = 32, p384 = 48, p521 = 66 })[c.name]
        assert.equal(2 * width, #c.sig, what)
      end
      if c.stream then
        local s = streamSign(c)
        if c.det then assert.equal(toHex(c.sig), toHex(s), what .. " streamed") end
        assert.is_true(streamVerify(c, theirs), what .. " streamed")
        assert.is_true(streamVerify(c, s), what .. " streamed")
      end
    end
  end)

  it("keys as PEM, encrypted PEM with a passphrase, DER and KeyObject give the same signature", function()
    local kp = keyPairs().rsa
    local privPem = kp.privateKey:export({ type = "pkcs8", format = "pem" })
    local enc = kp.privateKey:export({ type = "pkcs8", format = "pem", cipher = "aes-128-cbc", passphrase = "pw" })
    local der = kp.privateKey:export({ type = "pkcs1", format = "der" })
    local pubDer = kp.publicKey:export({ type = "spki", format = "der" })
    local want = crypto.sign("sha256", "msg", kp.privateKey)
    assert.equal(want, crypto.sign("sha256", "msg", privPem))
    assert.equal(want, crypto.sign("sha256", "msg", { key = enc, passphrase = "pw" }))
    assert.equal(want, crypto.sign("sha256", "msg", { key = der, format = "der", type = "pkcs1" }))
    assert.equal(want, crypto.sign("sha256", "msg", { key = kp.privateKey, padding = C.RSA_PKCS1_PADDING }))
    assert.is_true(crypto.verify("sha256", "msg", { key = pubDer, format = "der", type = "spki" }, want))
    assert.is_true(crypto.verify("sha256", "msg", privPem, want))
    assert.is_true(crypto.createVerify("sha256"):update("msg"):verify(kp.publicKey, toHex(want), "hex"))
    assert.equal(toHex(want), crypto.createSign("sha256"):update("msg"):sign(privPem, "hex"))
    assert.equal(buffer.toBase64(want), crypto.createSign("SHA256"):update("bXNn", "base64"):sign(kp.privateKey,
      "base64"))
    assertCode("ERR_MISSING_PASSPHRASE", "TypeError", crypto.sign, "sha256", "msg", enc)
  end)

  it("a wrong, tampered, truncated or malformed signature verifies as false", function()
    local kp = keyPairs()
    local cases = {
      { kp.rsa, "sha256", {} }, { kp.rsa, "sha256", { padding = C.RSA_PKCS1_PSS_PADDING } },
      { kp.p256, "sha256", {} }, { kp.p256, "sha256", { dsaEncoding = "ieee-p1363" } },
      { kp.ed25519, nil, {} }, { kp.ed448, nil, {} }, { kp.pss, "sha256", {} },
    }
    for _, c in ipairs(cases) do
      local pair, alg, opts = c[1], c[2], c[3]
      local pub = withKey(opts, pair.publicKey)
      local sig = crypto.sign(alg, "message", withKey(opts, pair.privateKey))
      assert.is_true(crypto.verify(alg, "message", pub, sig))
      assert.is_false(crypto.verify(alg, "messagE", pub, sig))
      local i = math.random(#sig)
      local flipped = sig:sub(1, i - 1) .. string.char(sig:byte(i) ~ 0x01) .. sig:sub(i + 1)
      assert.is_false(crypto.verify(alg, "message", pub, flipped))
      assert.is_false(crypto.verify(alg, "message", pub, sig:sub(1, -2)))
      assert.is_false(crypto.verify(alg, "message", pub, sig .. "\0"))
      assert.is_false(crypto.verify(alg, "message", pub, ""))
      assert.is_false(crypto.verify(alg, "message", pub, "garbage"))
      if alg then
        assert.is_false(crypto.createVerify(alg):update("messagE"):verify(pub, sig))
      end
    end
    -- the other key of the same type
    local other = crypto.generateKeyPairSync("ec", { namedCurve = "P-256" })
    local sig = crypto.sign("sha256", "m", kp.p256.privateKey)
    assert.is_false(crypto.verify("sha256", "m", other.publicKey, sig))
    -- a PSS signature is no PKCS#1 v1.5 one, and the salt length counts
    local pss = crypto.sign("sha256", "m", { key = kp.rsa.privateKey, padding = C.RSA_PKCS1_PSS_PADDING,
      saltLength = 20 })
    assert.is_false(crypto.verify("sha256", "m", kp.rsa.publicKey, pss))
    assert.is_true(crypto.verify("sha256", "m", { key = kp.rsa.publicKey, padding = C.RSA_PKCS1_PSS_PADDING,
      saltLength = C.RSA_PSS_SALTLEN_AUTO }, pss))
    assert.is_false(crypto.verify("sha256", "m", { key = kp.rsa.publicKey, padding = C.RSA_PKCS1_PSS_PADDING,
      saltLength = C.RSA_PSS_SALTLEN_DIGEST }, pss))
    -- createVerify refuses an r||s of the wrong width, as Node
    local err = assertCode("ERR_CRYPTO_OPERATION_FAILED", "Error", function()
      return crypto.createVerify("sha256"):update("m"):verify({ key = kp.p256.publicKey,
        dsaEncoding = "ieee-p1363" }, "xx")
    end)
    assert.equal("Malformed signature", err.message)
  end)

  it("the callback forms run on the thread pool and call back later", function()
    local kp = keyPairs()
    local got = {}
    assert.is_nil(crypto.sign("sha256", "abc", kp.rsa.privateKey, function(err, sig)
      got.signErr, got.sig = err, sig
    end))
    assert.is_nil(crypto.sign(nil, "abc", kp.ed25519.privateKey, function(err, sig)
      got.edErr, got.ed = err, sig
    end))
    crypto.sign("sha256", "abc", kp.x25519.privateKey, function(err, sig)
      got.xErr, got.x = err, sig
    end)
    assert.is_nil(got.sig) -- not from inside the call
    helper.wait(function() return got.sig and got.ed and got.xErr end, 10000, "sign's callbacks")
    assert.is_nil(got.signErr)
    assert.is_nil(got.edErr)
    assert.equal(crypto.sign("sha256", "abc", kp.rsa.privateKey), got.sig)
    assert.equal(crypto.sign(nil, "abc", kp.ed25519.privateKey), got.ed)
    assert.equal("ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE", got.xErr.code)
    assert.is_nil(got.x)
    local results = {}
    crypto.verify("sha256", "abc", kp.rsa.publicKey, got.sig, function(err, ok) results[1] = { err, ok } end)
    crypto.verify("sha256", "abd", kp.rsa.publicKey, got.sig, function(err, ok) results[2] = { err, ok } end)
    crypto.verify(nil, "abc", kp.ed25519.publicKey, got.ed, function(err, ok) results[3] = { err, ok } end)
    crypto.verify("sha256", "abc", kp.p256.publicKey, "junk", function(err, ok) results[4] = { err, ok } end)
    helper.wait(function() return #results == 4 and results[1] and results[2] and results[3] end, 10000,
      "verify's callbacks")
    assert.same({ nil, true }, results[1])
    assert.same({ nil, false }, results[2])
    assert.same({ nil, true }, results[3])
    assert.same({ nil, false }, results[4])
    -- argument errors are raised at once, not given to the callback
    assertCode("ERR_CRYPTO_INVALID_DIGEST", "TypeError", crypto.sign, "nope", "a", kp.rsa.privateKey, print)
    assertCode("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", crypto.sign, "sha256", "a", kp.rsa.publicKey,
      print)
    assertCode("ERR_INVALID_ARG_TYPE", "TypeError", crypto.sign, "sha256", "a", kp.rsa.privateKey, 5)
  end)

  it("bad input raises Node's codes and classes", function()
    local kp = keyPairs()
    local rsa, ec, ed, x = kp.rsa, kp.p256, kp.ed25519, kp.x25519
    local PSS = C.RSA_PKCS1_PSS_PADDING
    local secret = crypto.createSecretKey("0123456789abcdef")
    local cases = {
      { "ERR_CRYPTO_INVALID_DIGEST", "TypeError", crypto.sign, "nope", "a", rsa.privateKey },
      { "ERR_CRYPTO_INVALID_DIGEST", "TypeError", crypto.verify, "nope", "a", rsa.publicKey, "xx" },
      { "ERR_CRYPTO_INVALID_DIGEST", "TypeError", crypto.createSign, "nope" },
      { "ERR_CRYPTO_INVALID_DIGEST", "TypeError", crypto.createVerify, "nope" },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.createSign, 5 },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.createSign },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.sign, 5, "a", rsa.privateKey },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.sign, "sha256", 5, rsa.privateKey },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.sign, "sha256", "a", 5 },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.verify, "sha256", "a", rsa.publicKey, 5 },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.verify, "sha256", "a", rsa.publicKey, nil },
      { "ERR_CRYPTO_SIGN_KEY_REQUIRED", "Error", crypto.sign, "sha256", "a", nil },
      { "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", crypto.sign, "sha256", "a", rsa.publicKey },
      { "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", crypto.sign, "sha256", "a", secret },
      { "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", crypto.verify, "sha256", "a", secret, "xx" },
      { "ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE", "Error", crypto.sign, "sha256", "a", x.privateKey },
      { "ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE", "Error", crypto.sign, nil, "a", x.privateKey },
      { "ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE", "Error", crypto.verify, "sha256", "a",
        x.publicKey, "xx" },
      { "ERR_OSSL_INVALID_DIGEST", "Error", crypto.sign, "sha256", "a", ed.privateKey },
      { "ERR_OSSL_INVALID_DIGEST", "Error", crypto.verify, "sha256", "a", ed.publicKey, "xx" },
      { "ERR_INVALID_ARG_VALUE", "TypeError", crypto.sign, "sha256", "a", { key = ec.privateKey,
        dsaEncoding = "foo" } },
      { "ERR_INVALID_ARG_VALUE", "TypeError", crypto.sign, "sha256", "a", { key = rsa.privateKey,
        dsaEncoding = 5 } },
      { "ERR_INVALID_ARG_VALUE", "TypeError", crypto.sign, "sha256", "a", { key = rsa.privateKey, padding = "x" } },
      { "ERR_INVALID_ARG_VALUE", "TypeError", crypto.sign, "sha256", "a", { key = rsa.privateKey, padding = 1.5 } },
      { "ERR_INVALID_ARG_VALUE", "TypeError", crypto.sign, "sha256", "a", { key = rsa.privateKey, padding = PSS,
        saltLength = "x" } },
      { "ERR_OSSL_ILLEGAL_OR_UNSUPPORTED_PADDING_MODE", "Error", crypto.sign, "sha256", "a",
        { key = rsa.privateKey, padding = 99 } },
      { "ERR_OSSL_ILLEGAL_OR_UNSUPPORTED_PADDING_MODE", "Error", crypto.verify, "sha256", "a",
        { key = rsa.publicKey, padding = 99 }, "xx" },
      { "ERR_OSSL_INVALID_PADDING_MODE", "Error", crypto.sign, "sha256", "a", { key = rsa.privateKey,
        padding = C.RSA_NO_PADDING } },
      { "ERR_OSSL_ILLEGAL_OR_UNSUPPORTED_PADDING_MODE", "Error", crypto.sign, "sha256", "a",
        { key = kp.pss.privateKey, padding = C.RSA_PKCS1_PADDING } },
      { "ERR_OSSL_DIGEST_NOT_ALLOWED", "Error", crypto.sign, "sha1", "a", kp.pss.privateKey },
      { "ERR_OSSL_PSS_SALTLEN_TOO_SMALL", "Error", crypto.sign, "sha256", "a", { key = kp.pss.privateKey,
        saltLength = 8 } },
      { "ERR_OSSL_RSA_DATA_TOO_LARGE_FOR_KEY_SIZE", "Error", crypto.sign, "sha256", "a",
        { key = rsa.privateKey, padding = PSS, saltLength = 1000 } },
      { "ERR_OSSL_DIGEST_NOT_ALLOWED", "Error", crypto.sign, "shake256", "a", rsa.privateKey },
      { "ERR_OSSL_UNSUPPORTED", "Error", crypto.sign, "sha256", "a", "garbage" },
    }
    for i, c in ipairs(cases) do
      local ok, err = pcall(assertCode, table.unpack(c, 1, c.n or #c))
      assert(ok, "case " .. i .. ": " .. tostring(err))
    end
    -- Node's messages
    local err = assertCode("ERR_CRYPTO_INVALID_DIGEST", "TypeError", crypto.sign, "nope", "a", rsa.privateKey)
    assert.equal("Invalid digest: nope", err.message)
    err = assertCode("ERR_CRYPTO_INVALID_DIGEST", "TypeError", crypto.createSign, "nope")
    assert.equal("Invalid digest", err.message)
    err = assertCode("ERR_INVALID_ARG_VALUE", "TypeError", crypto.sign, "sha256", "a",
      { key = ec.privateKey, dsaEncoding = "foo" })
    assert.equal("The property 'options.dsaEncoding' is invalid. Received 'foo'", err.message)
    err = assertCode("ERR_OSSL_ILLEGAL_OR_UNSUPPORTED_PADDING_MODE", "Error", crypto.sign, "sha256", "a",
      { key = rsa.privateKey, padding = 99 })
    assert.equal("error:1C8000A5:Provider routines::illegal or unsupported padding mode", err.message)
    err = assertCode("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", crypto.verify, "sha256", "a", secret, "x")
    assert.equal("Invalid key object type secret, expected private or public.", err.message)
    -- options that are not RSA's are ignored for other keys, as in Node
    assert.is_string(crypto.sign("sha256", "a", { key = ec.privateKey, padding = PSS }))
    assert.equal(64, #crypto.sign(nil, "a", { key = ed.privateKey, dsaEncoding = "ieee-p1363" }))
  end)

  it("Sign and Verify are used once; Ed25519/Ed448 refuse them as Node does", function()
    local kp = keyPairs()
    local s = crypto.createSign("sha256"):update("a")
    assertCode("ERR_CRYPTO_UNSUPPORTED_OPERATION", "Error", s.sign, s, kp.ed25519.privateKey)
    assertCode("ERR_CRYPTO_UNSUPPORTED_OPERATION", "Error", s.sign, s, kp.ed448.privateKey)
    -- a refused key or option leaves it usable
    assertCode("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", s.sign, s, kp.rsa.publicKey)
    assertCode("ERR_INVALID_ARG_VALUE", "TypeError", s.sign, s, { key = kp.rsa.privateKey, dsaEncoding = "x" })
    assertCode("ERR_CRYPTO_SIGN_KEY_REQUIRED", "Error", s.sign, s)
    assertCode("ERR_UNKNOWN_ENCODING", "TypeError", crypto.createSign("sha256").sign,
      crypto.createSign("sha256"), kp.rsa.privateKey, "nope")
    local sig = s:sign(kp.rsa.privateKey)
    assert.equal(crypto.sign("sha256", "a", kp.rsa.privateKey), sig)
    assertCode("ERR_CRYPTO_INVALID_STATE", "Error", s.sign, s, kp.rsa.privateKey)
    assertCode("ERR_CRYPTO_INVALID_STATE", "Error", s.update, s, "b")
    -- a key OpenSSL refuses uses it up, as in Node
    local s2 = crypto.createSign("sha256"):update("a")
    assertCode("ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE", "Error", s2.sign, s2, kp.x25519.privateKey)
    assertCode("ERR_CRYPTO_INVALID_STATE", "Error", s2.sign, s2, kp.rsa.privateKey)
    local v = crypto.createVerify("sha256"):update("a")
    assertCode("ERR_CRYPTO_UNSUPPORTED_OPERATION", "Error", v.verify, v, kp.ed25519.publicKey, "xx")
    assert.is_true(v:verify(kp.rsa.publicKey, sig))
    assertCode("ERR_CRYPTO_INVALID_STATE", "Error", v.verify, v, kp.rsa.publicKey, sig)
    assertCode("ERR_CRYPTO_INVALID_STATE", "Error", v.update, v, "b")
    assertCode("ERR_INVALID_ARG_TYPE", "TypeError", crypto.createSign("sha256").update, crypto.createSign("sha256"), 5)
    assert.is_true(crypto.createSign("sha256").sign ~= nil and crypto.Sign ~= nil and crypto.Verify ~= nil)
  end)

  it("crypto.constants has Node's values", function()
    assert.same({ 1, 3, 4, 6, -1, -2, -2, 2, 4, 6 }, { C.RSA_PKCS1_PADDING, C.RSA_NO_PADDING,
      C.RSA_PKCS1_OAEP_PADDING, C.RSA_PKCS1_PSS_PADDING, C.RSA_PSS_SALTLEN_DIGEST, C.RSA_PSS_SALTLEN_MAX_SIGN,
      C.RSA_PSS_SALTLEN_AUTO, C.POINT_CONVERSION_COMPRESSED, C.POINT_CONVERSION_UNCOMPRESSED,
      C.POINT_CONVERSION_HYBRID })
  end)
end)

-- ---- key agreement against Node -----------------------------------------------

-- Node answers each line:
--   ecdh curve privA pubB     -> "secret pubA pubAcompressed pubAhybrid convertedB"
--   dh privPem pubPem         -> "secret"
--   curves                    -> the curve names, space-separated
local DH_SCRIPT = [[
const c = require('crypto');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const b = (h) => Buffer.from(h, 'hex');
const out = lines.map((line) => {
  const f = line.split(' ');
  try {
    if (f[0] === 'curves') return c.getCurves().join(' ');
    if (f[0] === 'dh') {
      return c.diffieHellman({ privateKey: c.createPrivateKey(b(f[1]).toString()),
        publicKey: c.createPublicKey(b(f[2]).toString()) }).toString('hex');
    }
    const e = c.createECDH(f[1]);
    e.setPrivateKey(b(f[2]));
    return [e.computeSecret(b(f[3])).toString('hex'), e.getPublicKey('hex'), e.getPublicKey('hex', 'compressed'),
      e.getPublicKey('hex', 'hybrid'), c.ECDH.convertKey(b(f[3]), f[1], null, 'hex', 'compressed')].join(' ');
  } catch (err) {
    return 'ERR ' + (err.code || err.message);
  }
});
process.stdout.write(out.join('\n') + '\n');
]]

local ECDH_CURVES = { "prime256v1", "secp384r1", "secp521r1", "secp256k1", "brainpoolP256r1", "secp224r1",
  "prime192v1" }

describe("crypto key agreement", function()
  helper.leakcheck()

  it("ECDH, diffieHellman and getCurves give Node's answers for the same keys", function()
    if not helper.needs("node") then return end
    local lines, cases = {}, {}
    for _, curve in ipairs(ECDH_CURVES) do
      for _ = 1, 3 do
        local a, b = crypto.createECDH(curve), crypto.createECDH(curve)
        a:generateKeys()
        b:generateKeys("hex", "compressed")
        cases[#cases + 1] = { kind = "ecdh", curve = curve, a = a, b = b }
        lines[#lines + 1] = table.concat({ "ecdh", curve, toHex(a:getPrivateKey()), toHex(b:getPublicKey()) }, " ")
      end
    end
    -- a short private key (leading zero bytes) is the same scalar
    local short = crypto.createECDH("prime256v1"):setPrivateKey("\1")
    local other = crypto.createECDH("prime256v1")
    other:generateKeys()
    cases[#cases + 1] = { kind = "ecdh", curve = "prime256v1", a = short, b = other }
    lines[#lines + 1] = table.concat({ "ecdh", "prime256v1", "01", toHex(other:getPublicKey()) }, " ")
    for _, spec in ipairs({ { "ec", { namedCurve = "P-256" } }, { "ec", { namedCurve = "P-384" } },
      { "ec", { namedCurve = "secp256k1" } }, { "x25519" }, { "x448" } }) do
      local a, b = crypto.generateKeyPairSync(spec[1], spec[2]), crypto.generateKeyPairSync(spec[1], spec[2])
      cases[#cases + 1] = { kind = "dh", a = a, b = b }
      lines[#lines + 1] = table.concat({ "dh", toHex((pem(a))), toHex(select(2, pem(b))) }, " ")
    end
    cases[#cases + 1] = { kind = "curves" }
    lines[#lines + 1] = "curves"
    local answers = nodeRun(DH_SCRIPT, lines)
    assert.equal(#cases, #answers)
    for i, c in ipairs(cases) do
      local what = c.kind .. " " .. tostring(c.curve) .. ": " .. answers[i]
      if c.kind == "ecdh" then
        local secret, pub, comp, hyb, conv = answers[i]:match("^(%x+) (%x+) (%x+) (%x+) (%x+)$")
        assert.is_truthy(secret, what)
        local mine = c.a:computeSecret(c.b:getPublicKey())
        assert.equal(secret, toHex(mine), what)
        assert.equal(secret, c.a:computeSecret(c.b:getPublicKey("hex", "compressed"), "hex", "hex"), what)
        assert.equal(secret, toHex(c.b:computeSecret(c.a:getPublicKey(nil, "hybrid"))), what)
        assert.equal(pub, c.a:getPublicKey("hex"), what)
        assert.equal(comp, c.a:getPublicKey("hex", "compressed"), what)
        assert.equal(hyb, c.a:getPublicKey("hex", "hybrid"), what)
        assert.equal(conv, crypto.ECDH.convertKey(c.b:getPublicKey(), c.curve, nil, "hex", "compressed"), what)
        assert.equal(c.b:getPublicKey(), crypto.ECDH.convertKey(conv, c.curve, "hex"), what)
        assert.equal(c.b:getPublicKey("base64", "hybrid"),
          crypto.ECDH.convertKey(conv, c.curve, "hex", "base64", "hybrid"), what)
      elseif c.kind == "dh" then
        assert.equal(answers[i], toHex(crypto.diffieHellman({ privateKey = c.a.privateKey,
          publicKey = c.b.publicKey })), what)
        assert.equal(answers[i], toHex(crypto.diffieHellman({ privateKey = c.b.privateKey,
          publicKey = c.a.publicKey })), what)
        -- a private key stands for its public half
        assert.equal(answers[i], toHex(crypto.diffieHellman({ privateKey = c.b.privateKey,
          publicKey = c.a.privateKey })), what)
      else
        local theirs, ours, mineSet = {}, crypto.getCurves(), {}
        for name in answers[i]:gmatch("%S+") do theirs[#theirs + 1] = name end
        for _, name in ipairs(ours) do mineSet[name] = true end
        local sorted = table.move(ours, 1, #ours, 1, {})
        table.sort(sorted)
        assert.same(sorted, ours)
        -- Node's list less the curves this OpenSSL lacks (none when Node
        -- uses the same OpenSSL): each of those is refused here
        local expected = {}
        for _, name in ipairs(theirs) do
          if mineSet[name] then
            expected[#expected + 1] = name
          else
            assertCode("ERR_CRYPTO_INVALID_CURVE", "TypeError", crypto.createECDH, name)
          end
        end
        assert.same(expected, ours)
        for _, name in ipairs(ours) do
          local e = crypto.createECDH(name)
          assert.is_string(e:generateKeys(), name)
        end
      end
    end
  end)

  it("the secret of ECDH equals diffieHellman's and both sides agree", function()
    for _, curve in ipairs(ECDH_CURVES) do
      local a, b = crypto.createECDH(curve), crypto.createECDH(curve)
      assert.equal(a, a:setPrivateKey(toHex(b:generateKeys() and b:getPrivateKey()), "hex"))
      a:generateKeys()
      assert.equal(a:computeSecret(b:getPublicKey()), b:computeSecret(a:getPublicKey()))
      assert.equal(b:getPrivateKey("base64"), buffer.toBase64(b:getPrivateKey()))
    end
    local x, y = crypto.generateKeyPairSync("x25519"), crypto.generateKeyPairSync("x25519")
    local got
    assert.is_nil(crypto.diffieHellman({ privateKey = x.privateKey, publicKey = y.publicKey }, function(err, s)
      got = { err, s }
    end))
    helper.wait(function() return got ~= nil end, 10000, "diffieHellman's callback")
    assert.is_nil(got[1])
    assert.equal(crypto.diffieHellman({ privateKey = y.privateKey, publicKey = x.publicKey }), got[2])
    local p256, p384 = crypto.generateKeyPairSync("ec", { namedCurve = "P-256" }),
      crypto.generateKeyPairSync("ec", { namedCurve = "P-384" })
    got = nil
    crypto.diffieHellman({ privateKey = p256.privateKey, publicKey = p384.publicKey }, function(err, s)
      got = { err, s }
    end)
    helper.wait(function() return got ~= nil end, 10000, "diffieHellman's callback")
    assert.equal("ERR_OSSL_MISMATCHING_DOMAIN_PARAMETERS", got[1].code)
  end)

  it("bad input raises Node's codes and classes", function()
    local ec = crypto.generateKeyPairSync("ec", { namedCurve = "P-256" })
    local ec384 = crypto.generateKeyPairSync("ec", { namedCurve = "P-384" })
    local x = crypto.generateKeyPairSync("x25519")
    local x4 = crypto.generateKeyPairSync("x448")
    local ed = crypto.generateKeyPairSync("ed25519")
    local secret = crypto.createSecretKey("0123456789abcdef")
    local DH = crypto.diffieHellman
    local pemKey = ec.privateKey:export({ type = "pkcs8", format = "pem" })
    local e = crypto.createECDH("prime256v1")
    local p384 = crypto.createECDH("secp384r1")
    p384:generateKeys()
    local cases = {
      { "ERR_INVALID_ARG_TYPE", "TypeError", DH },
      { "ERR_INVALID_ARG_TYPE", "TypeError", DH, "x" },
      { "ERR_INVALID_ARG_VALUE", "TypeError", DH, { publicKey = ec.publicKey } },
      { "ERR_INVALID_ARG_VALUE", "TypeError", DH, { privateKey = ec.privateKey } },
      { "ERR_INVALID_ARG_VALUE", "TypeError", DH, { privateKey = pemKey, publicKey = ec.publicKey } },
      { "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", DH, { privateKey = ec.publicKey,
        publicKey = ec.publicKey } },
      { "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", DH, { privateKey = secret, publicKey = ec.publicKey } },
      { "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", "TypeError", DH, { privateKey = ec.privateKey, publicKey = secret } },
      { "ERR_CRYPTO_INCOMPATIBLE_KEY", "Error", DH, { privateKey = ec.privateKey, publicKey = x.publicKey } },
      { "ERR_CRYPTO_INCOMPATIBLE_KEY", "Error", DH, { privateKey = x.privateKey, publicKey = x4.publicKey } },
      { "ERR_CRYPTO_INCOMPATIBLE_KEY", "Error", DH, { privateKey = ed.privateKey, publicKey = ed.publicKey } },
      { "ERR_OSSL_MISMATCHING_DOMAIN_PARAMETERS", "Error", DH, { privateKey = ec.privateKey,
        publicKey = ec384.publicKey } },
      { "ERR_INVALID_ARG_TYPE", "TypeError", DH, { privateKey = ec.privateKey, publicKey = ec.publicKey }, 5 },
      { "ERR_CRYPTO_INVALID_CURVE", "TypeError", crypto.createECDH, "nope" },
      { "ERR_CRYPTO_INVALID_CURVE", "TypeError", crypto.createECDH, "P-256" },
      { "ERR_CRYPTO_INVALID_CURVE", "TypeError", crypto.createECDH, "x25519" },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.createECDH, 5 },
      { "ERR_CRYPTO_OPERATION_FAILED", "Error", e.getPublicKey, e },
      { "ERR_CRYPTO_OPERATION_FAILED", "Error", e.getPrivateKey, e },
      { "ERR_CRYPTO_INVALID_KEYPAIR", "RangeError", e.computeSecret, e, p384:getPublicKey() },
      { "ERR_CRYPTO_INVALID_KEYTYPE", "RangeError", e.setPrivateKey, e, string.rep("\0", 32) },
      { "ERR_CRYPTO_INVALID_KEYTYPE", "RangeError", e.setPrivateKey, e, "" },
      { "ERR_CRYPTO_INVALID_KEYTYPE", "RangeError", e.setPrivateKey, e,
        "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", "hex" },
      { "ERR_CRYPTO_INVALID_KEYTYPE", "RangeError", e.setPrivateKey, e, string.rep("\255", 40) },
      { "ERR_INVALID_ARG_TYPE", "TypeError", e.setPrivateKey, e, 5 },
      { "ERR_CRYPTO_OPERATION_FAILED", "Error", e.setPublicKey, e, "\0\17" },
      { "ERR_CRYPTO_ECDH_INVALID_FORMAT", "TypeError", e.generateKeys, e, "hex", "foo" },
      { "ERR_CRYPTO_ECDH_INVALID_FORMAT", "TypeError", e.getPublicKey, e, "hex", 5 },
      { "ERR_UNKNOWN_ENCODING", "TypeError", e.getPublicKey, e, "nope" },
      { "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY", "Error", e.computeSecret, e, "\0\17" },
      { "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY", "Error", e.computeSecret, e, "" },
      { "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY", "Error", e.computeSecret, e, p384:getPublicKey() },
      { "ERR_CRYPTO_OPERATION_FAILED", "Error", e.computeSecret, e, "\0" }, -- the point at infinity
      { "ERR_INVALID_ARG_TYPE", "TypeError", e.computeSecret, e, 5 },
      { "ERR_UNKNOWN_ENCODING", "TypeError", e.computeSecret, e, "abc", "nope" },
      { "ERR_CRYPTO_OPERATION_FAILED", "Error", crypto.ECDH.convertKey, "\0\17", "prime256v1" },
      { "ERR_CRYPTO_INVALID_CURVE", "TypeError", crypto.ECDH.convertKey, p384:getPublicKey(), "nope" },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.ECDH.convertKey, p384:getPublicKey(), 5 },
      { "ERR_INVALID_ARG_TYPE", "TypeError", crypto.ECDH.convertKey, 5, "secp384r1" },
      { "ERR_CRYPTO_ECDH_INVALID_FORMAT", "TypeError", crypto.ECDH.convertKey, p384:getPublicKey(), "secp384r1",
        nil, nil, "foo", n = 8 },
    }
    for i, c in ipairs(cases) do
      if i == 30 then e:generateKeys() end -- the pair is valid from here on
      local ok, err = pcall(assertCode, table.unpack(c, 1, c.n or #c))
      assert(ok, "case " .. i .. ": " .. tostring(err))
    end
    local err = assertCode("ERR_CRYPTO_INCOMPATIBLE_KEY", "Error", DH, { privateKey = ec.privateKey,
      publicKey = x.publicKey })
    assert.equal("Incompatible key types for Diffie-Hellman: ec and x25519", err.message)
    err = assertCode("ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY", "Error", e.computeSecret, e, "\0\17")
    assert.equal("Public key is not valid for specified curve", err.message)
    assert.equal("", crypto.ECDH.convertKey("", "prime256v1"))
    assert.equal("\0", crypto.ECDH.convertKey("\0", "prime256v1"))
    -- setPublicKey to another point breaks the pair, as in Node
    local f = crypto.createECDH("prime256v1")
    f:generateKeys()
    f:setPublicKey(e:getPublicKey())
    assertCode("ERR_CRYPTO_INVALID_KEYPAIR", "RangeError", f.computeSecret, f, e:getPublicKey())
    -- the private key of a short scalar is given without leading zeros
    assert.equal("01", crypto.createECDH("prime256v1"):setPrivateKey("\0\0\1"):getPrivateKey("hex"))
  end)
end)
