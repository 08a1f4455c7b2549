-- luatls.crypto's key derivation (pbkdf2, scrypt, hkdf) against Node's
-- crypto as the reference: seeded random passwords, salts and infos through
-- several digests, costs and lengths, compared with one `node` run over the
-- whole batch; the Sync and callback forms agree; bad input raises Node's
-- codes and the process lives; and the loop keeps serving TLS while an
-- scrypt runs on the thread pool.
local helper = require("spec.helper")
local crypto = require("luatls.crypto")
local buffer = require("luatls.buffer")
local tls = require("luatls.tls")
local certs = require("spec.certs")

local toHex = buffer.toHex

local function assertCode(code, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error " .. code)
  assert.equal(code, type(err) == "table" and err.code or err, tostring(err))
  return err
end

-- Node's answers, one hex line per case line:
--   pbkdf2 digest pass salt iterations keylen
--   scrypt - pass salt N r p keylen
--   hkdf digest ikm salt info keylen
-- (bytes in hex, "-" for empty)
local NODE_SCRIPT = [[
const c = require('crypto');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const b = (h) => Buffer.from(h === '-' ? '' : h, 'hex');
const out = lines.map((line) => {
  const f = line.split(' ');
  let k;
  if (f[0] === 'pbkdf2') k = c.pbkdf2Sync(b(f[2]), b(f[3]), +f[4], +f[5], f[1]);
  else if (f[0] === 'scrypt') k = c.scryptSync(b(f[2]), b(f[3]), +f[7], { N: +f[4], r: +f[5], p: +f[6] });
  else k = Buffer.from(c.hkdfSync(f[1], b(f[2]), b(f[3]), b(f[4]), +f[5]));
  return k.length ? k.toString('hex') : '-';
});
process.stdout.write(out.join('\n') + '\n');
]]

local function hexOr(s)
  local h = toHex(s)
  return h == "" and "-" or h
end

local function nodeAnswers(cases)
  local lines = {}
  for i, c in ipairs(cases) do
    if c.kind == "pbkdf2" then
      lines[i] = table.concat({ "pbkdf2", c.digest, hexOr(c.pass), hexOr(c.salt), c.iter, c.keylen }, " ")
    elseif c.kind == "scrypt" then
      lines[i] = table.concat({ "scrypt", "-", hexOr(c.pass), hexOr(c.salt), c.N, c.r, c.p, c.keylen }, " ")
    else
      lines[i] = table.concat({ "hkdf", c.digest, hexOr(c.pass), hexOr(c.salt), hexOr(c.info), c.keylen }, " ")
    end
  end
  local proc = helper.spawn("node -e " .. helper.quote(NODE_SCRIPT), table.concat(lines, "\n") .. "\n")
  local out, status = helper.finish(proc, 60000)
  assert.equal(0, status, out)
  local answers = {}
  for line in out:gmatch("[^\n]+") do answers[#answers + 1] = line == "-" and "" or line end
  assert.equal(#cases, #answers, out)
  return answers
end

local randomString = helper.randomString

-- the derived key of case c, by its Sync form
local function syncKey(c)
  if c.kind == "pbkdf2" then return crypto.pbkdf2Sync(c.pass, c.salt, c.iter, c.keylen, c.digest) end
  if c.kind == "scrypt" then
    return crypto.scryptSync(c.pass, c.salt, c.keylen, { N = c.N, r = c.r, p = c.p })
  end
  return crypto.hkdfSync(c.digest, c.pass, c.salt, c.info, c.keylen)
end

-- start the callback form of case c; done(err, key) later
local function asyncKey(c, done)
  if c.kind == "pbkdf2" then return crypto.pbkdf2(c.pass, c.salt, c.iter, c.keylen, c.digest, done) end
  if c.kind == "scrypt" then
    return crypto.scrypt(c.pass, c.salt, c.keylen, { cost = c.N, blockSize = c.r, parallelization = c.p }, done)
  end
  return crypto.hkdf(c.digest, c.pass, c.salt, c.info, c.keylen, done)
end

local function makeCases()
  local cases = {}
  for _, digest in ipairs({ "sha1", "sha256", "sha512" }) do
    for _, iter in ipairs({ 1, 2, 1000 }) do
      for _, keylen in ipairs({ 0, 1, 20, 32, 64, 100 }) do
        cases[#cases + 1] = { kind = "pbkdf2", digest = digest, iter = iter, keylen = keylen,
          pass = randomString(math.random(0, 80)), salt = randomString(math.random(0, 40)) }
      end
    end
  end
  for _, nrp in ipairs({ { 2, 1, 1 }, { 16, 1, 1 }, { 1024, 8, 1 }, { 16384, 8, 1 }, { 256, 4, 3 } }) do
    for _, keylen in ipairs({ 1, 32, 64, 200 }) do
      cases[#cases + 1] = { kind = "scrypt", N = nrp[1], r = nrp[2], p = nrp[3], keylen = keylen,
        pass = randomString(math.random(0, 40)), salt = randomString(math.random(0, 40)) }
    end
  end
  for _, digest in ipairs({ "sha256", "sha512" }) do
    for _, keylen in ipairs({ 0, 1, 16, 32, 42, 64, 65, 1000, digest == "sha256" and 255 * 32 or 255 * 64 }) do
      cases[#cases + 1] = { kind = "hkdf", digest = digest, keylen = keylen,
        pass = randomString(math.random(1, 80)), salt = randomString(math.random(0, 40)),
        info = randomString(math.random(0, 100)) }
    end
  end
  return cases
end

describe("crypto key derivation", function()
  helper.leakcheck()

  it("pbkdf2, scrypt and hkdf give Node's keys, in the Sync and the callback forms", function()
    if not helper.needs("node") then return end
    local seed = tonumber(os.getenv("LUATLS_SPEC_SEED")) or os.time()
    math.randomseed(seed)
    local cases = makeCases()
    local answers = nodeAnswers(cases)
    local why = "seed " .. seed .. " (LUATLS_SPEC_SEED=" .. seed .. " repeats it): "
    local got, pending = {}, #cases
    for i, c in ipairs(cases) do
      local what = why .. c.kind .. " " .. (c.digest or c.N) .. " keylen " .. c.keylen
      local key = syncKey(c)
      assert.equal(c.keylen, #key, what)
      assert.equal(answers[i], toHex(key), what)
      asyncKey(c, function(err, k)
        got[i] = { err = err, key = k }
        pending = pending - 1
      end)
    end
    helper.wait(function() return pending == 0 end, 30000, "the callbacks")
    for i, c in ipairs(cases) do
      local what = why .. "callback form of " .. c.kind .. " " .. (c.digest or c.N) .. " keylen " .. c.keylen
      assert.is_nil(got[i].err, what)
      assert.equal(answers[i], toHex(got[i].key), what)
    end
  end)

  it("the Sync and callback forms agree without Node, and the defaults are Node's", function()
    -- RFC 6070's first PBKDF2-HMAC-SHA1 vector and RFC 7914's scrypt vector
    assert.equal("0c60c80f961f0e71f3a9b524af6012062fe037a6",
      toHex(crypto.pbkdf2Sync("password", "salt", 1, 20, "sha1")))
    assert.equal("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
      .. "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
      toHex(crypto.scryptSync("password", "NaCl", 64, { N = 1024, r = 8, p = 16 })))
    -- RFC 5869's first HKDF-SHA256 vector
    assert.equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
      toHex(crypto.hkdfSync("sha256", string.rep("\x0b", 22), buffer.fromHex("000102030405060708090a0b0c"),
        buffer.fromHex("f0f1f2f3f4f5f6f7f8f9"), 42)))
    -- the defaults (N 16384, r 8, p 1) and zeros meaning them
    local d = crypto.scryptSync("a", "b", 16)
    assert.equal(d, crypto.scryptSync("a", "b", 16, { N = 16384, r = 8, p = 1, maxmem = 32 << 20 }))
    assert.equal(d, crypto.scryptSync("a", "b", 16, { N = 0, r = 0, p = 0, maxmem = 0 }))
    local res
    crypto.scrypt("a", "b", 16, function(err, key) res = { err, key } end)
    assert.is_nil(res, "the callback runs later, from the loop")
    helper.wait(function() return res end, 10000, "scrypt's callback")
    assert.is_nil(res[1])
    assert.equal(d, res[2])
  end)

  it("bad input raises Node's codes, the callback forms too, and the process lives", function()
    local cb = function() end
    -- f with cb added after the arguments given
    local function withCallback(f)
      return function(...)
        local a = table.pack(...)
        a[a.n + 1] = cb
        return f(table.unpack(a, 1, a.n + 1))
      end
    end
    -- pbkdf2
    for _, f in ipairs({ crypto.pbkdf2Sync, withCallback(crypto.pbkdf2) }) do
      local e = assertCode("ERR_OUT_OF_RANGE", f, "a", "b", 0, 32, "sha1")
      assert.equal("RangeError", e.name)
      assert.matches('The value of "iterations" is out of range. It must be >= 1 && <= 2147483647', e.message, 1, true)
      assertCode("ERR_OUT_OF_RANGE", f, "a", "b", 1, -1, "sha1")
      assertCode("ERR_OUT_OF_RANGE", f, "a", "b", 1, 2 ^ 31, "sha1")
      assertCode("ERR_OUT_OF_RANGE", f, "a", "b", 1.5, 2, "sha1")
      assertCode("ERR_INVALID_ARG_TYPE", f, "a", "b", "1", 2, "sha1")
      assertCode("ERR_INVALID_ARG_TYPE", f, 1, "b", 1, 2, "sha1")
      assertCode("ERR_INVALID_ARG_TYPE", f, "a", {}, 1, 2, "sha1")
      assertCode("ERR_INVALID_ARG_TYPE", f, "a", "b", 1, 2, nil)
      e = assertCode("ERR_CRYPTO_INVALID_DIGEST", f, "a", "b", 1, 2, "nope")
      assert.equal("TypeError", e.name)
      assert.equal("Invalid digest: nope", e.message)
    end
    assertCode("ERR_INVALID_ARG_TYPE", crypto.pbkdf2, "a", "b", 1, 2, "sha1")
    assertCode("ERR_INVALID_ARG_TYPE", crypto.pbkdf2, "a", "b", 1, 2, cb) -- the digest is missing
    -- scrypt
    for _, f in ipairs({ crypto.scryptSync, withCallback(crypto.scrypt) }) do
      local e = assertCode("ERR_CRYPTO_INVALID_SCRYPT_PARAMS", f, "a", "b", 64, { N = 3 })
      assert.equal("RangeError", e.name)
      assert.equal("Invalid scrypt params", e.message)
      assertCode("ERR_CRYPTO_INVALID_SCRYPT_PARAMS", f, "a", "b", 64, { N = 1 })
      e = assertCode("ERR_CRYPTO_INVALID_SCRYPT_PARAMS", f, "a", "b", 64, { N = 1 << 20 })
      assert.equal("Invalid scrypt params: error:030000AC:digital envelope routines::memory limit exceeded",
        e.message)
      assertCode("ERR_CRYPTO_INVALID_SCRYPT_PARAMS", f, "a", "b", 64, { N = 1024, maxmem = 1024 })
      assertCode("ERR_INCOMPATIBLE_OPTION_PAIR", f, "a", "b", 64, { N = 16, cost = 16 })
      assertCode("ERR_OUT_OF_RANGE", f, "a", "b", -1)
      assertCode("ERR_INVALID_ARG_TYPE", f, "a", "b", 4, { N = "x" })
      assertCode("ERR_OUT_OF_RANGE", f, "a", "b", 4, { maxmem = -1 })
      assertCode("ERR_OUT_OF_RANGE", f, "a", "b", 4, { r = 1 << 32 })
      assertCode("ERR_INVALID_ARG_TYPE", f, true, "b", 4)
      assertCode("ERR_INVALID_ARG_TYPE", f, "a", "b", 4, 5)
    end
    assertCode("ERR_INVALID_ARG_TYPE", crypto.scrypt, "a", "b", 4)
    assertCode("ERR_INVALID_ARG_TYPE", crypto.scrypt, "a", "b", 4, {})
    -- hkdf
    for _, f in ipairs({ crypto.hkdfSync, withCallback(crypto.hkdf) }) do
      local e = assertCode("ERR_CRYPTO_INVALID_KEYLEN", f, "sha256", "k", "", "", 255 * 32 + 1)
      assert.equal("RangeError", e.name)
      assert.equal("Invalid key length", e.message)
      assertCode("ERR_CRYPTO_INVALID_KEYLEN", f, "sha512", "k", "", "", 255 * 64 + 1)
      assertCode("ERR_CRYPTO_INVALID_DIGEST", f, "nope", "k", "", "", 3)
      assertCode("ERR_OUT_OF_RANGE", f, "sha256", "k", "", string.rep("x", 1025), 3)
      assertCode("ERR_OUT_OF_RANGE", f, "sha256", "k", "", "", -1)
      assertCode("ERR_OUT_OF_RANGE", f, "sha256", "k", "", "", 1.5)
      assertCode("ERR_INVALID_ARG_TYPE", f, "sha256", 1, "", "", 1)
      assertCode("ERR_INVALID_ARG_TYPE", f, "sha256", "k", 1, "", 1)
      assertCode("ERR_INVALID_ARG_TYPE", f, "sha256", "k", "", 1, 1)
      assertCode("ERR_INVALID_ARG_TYPE", f, 1, "k", "", "", 1)
    end
    assertCode("ERR_INVALID_ARG_TYPE", crypto.hkdf, "sha256", "k", "", "", 1)
    -- and the process still derives
    assert.equal(20, #crypto.pbkdf2Sync("a", "b", 1, 20, "sha1"))
  end)

  it("a TLS echo keeps answering while a large scrypt runs", function()
    local server = tls.createServer(certs.serverOptions(), function(s) s:pipe(s) end)
    local port = helper.listen(server)
    -- N = 2^17, r = 8: 128 MiB and most of a second (more under ASan)
    local scryptDone, counter, tripsWhenDone = false, {}, nil
    local t0 = os.clock()
    crypto.scrypt("password", "salt", 64, { N = 1 << 17, r = 8, p = 1, maxmem = 256 << 20 }, function(err, key)
      assert.is_nil(err)
      assert.equal(64, #key)
      scryptDone, tripsWhenDone = true, counter.trips
    end)
    assert.is_true(os.clock() - t0 < 0.1, "the call returned at once")
    -- round trips until the scrypt is done: the loop must have served at
    -- least one meanwhile (a blocked loop serves none; a busy machine only
    -- fewer), and the scrypt must not have waited for them to stop
    local i = helper.tlsEchoWhile(certs.connectOptions(port), function() return not scryptDone end, counter)
    helper.wait(function() return scryptDone end, 60000, "the scrypt's callback")
    assert.is_true(tripsWhenDone >= 1, "no TLS round trip finished while the scrypt ran")
    assert.is_true(i < 1000, "the scrypt's callback never came while the loop served")
    helper.closeServer(server, true)
  end)
end)
