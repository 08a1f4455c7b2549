-- luatls.crypto (randomness, digests, HMACs) against Node's crypto as the
-- reference: seeded random inputs through every hash of a list, in hex,
-- base64, base64url and latin1, compared with one `node` run over the whole
-- batch; then the rules a script relies on (finalized hashes, copies, Node's
-- error codes, the ranges of randomBytes and randomInt, UUIDs).
local helper = require("spec.helper")
local crypto = require("luatls.crypto")
local buffer = require("luatls.buffer")

local toHex, fromHex = buffer.toHex, buffer.fromHex

local HASHES = { "md5", "sha1", "sha256", "sha384", "sha512", "sha3-256", "blake2b512", "sha512-256" }
local ENCODINGS = { "hex", "base64", "base64url", "latin1" }

-- the error f(...) raises (it must raise)
local function raised(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local function assertCode(code, f, ...)
  local err = raised(f, ...)
  assert.equal(code, type(err) == "table" and err.code or err, tostring(err))
  return err
end

-- Node's answers for the lines of `input`, one line of output per line
local NODE_SCRIPT = [[
const c = require('crypto');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const out = [];
const enc = (s, e) => e === 'latin1' ? Buffer.from(s, 'utf8').toString('hex') : s;
for (const line of lines) {
  const [kind, alg, dataHex, keyHex] = line.split(' ');
  const data = Buffer.from(dataHex === '-' ? '' : dataHex, 'hex');
  const res = [];
  for (const e of ['hex', 'base64', 'base64url', 'latin1']) {
    if (kind === 'hash') res.push(enc(c.createHash(alg).update(data).digest(e), e));
    else res.push(enc(c.createHmac(alg, Buffer.from(keyHex === '-' ? '' : keyHex, 'hex')).update(data).digest(e), e));
  }
  out.push(res.join(' '));
}
process.stdout.write(out.join('\n') + '\n');
]]

-- one node run for all the cases: { kind, alg, data, key } -> list of
-- { hex, base64, base64url, latin1-as-utf8-hex }
local function nodeAnswers(cases)
  local lines = {}
  for i, c in ipairs(cases) do
    local d, k = toHex(c.data), c.key and toHex(c.key) or "-"
    lines[i] = table.concat({ c.kind, c.alg, d == "" and "-" or d, k == "" and "-" or k }, " ")
  end
  local proc = helper.spawn("node -e " .. helper.quote(NODE_SCRIPT), table.concat(lines, "\n") .. "\n")
  local out, status = helper.finish(proc, 30000)
  assert.equal(0, status, out)
  local answers = {}
  for line in out:gmatch("[^\n]+") do
    local t = {}
    for w in line:gmatch("%S+") do t[#t + 1] = w end
    answers[#answers + 1] = t
  end
  assert.equal(#cases, #answers, out)
  return answers
end

local randomString = helper.randomString

-- a digest in `e` as nodeAnswers shows it
local function shown(s, e)
  return e == "latin1" and toHex(s) or s
end

describe("crypto", function()
  helper.leakcheck()

  describe("against node", function()
    it("createHash, crypto.hash and createHmac give Node's digests for seeded random inputs", function()
      if not helper.needs("node") then return end
      local seed = tonumber(os.getenv("LUATLS_SPEC_SEED")) or os.time()
      math.randomseed(seed)
      local cases = {}
      local lengths = { 0, 1, 55, 56, 63, 64, 127, 128, 129, 1000, 5000 }
      for _, alg in ipairs(HASHES) do
        for _, n in ipairs(lengths) do
          cases[#cases + 1] = { kind = "hash", alg = alg, data = randomString(n) }
        end
        -- keys shorter than, as long as and longer than the block
        for _, k in ipairs({ 0, 1, 16, 64, 128, 129, 300 }) do
          cases[#cases + 1] = { kind = "hmac", alg = alg, data = randomString(math.random(0, 300)),
            key = randomString(k) }
        end
      end
      local answers = nodeAnswers(cases)
      local why = "seed " .. seed .. " (LUATLS_SPEC_SEED=" .. seed .. " repeats it): "
      for i, c in ipairs(cases) do
        local what = why .. c.kind .. " " .. c.alg .. " of " .. #c.data .. " bytes"
        for j, e in ipairs(ENCODINGS) do
          local want = answers[i][j]
          if c.kind == "hash" then
            assert.equal(want, shown(crypto.createHash(c.alg):update(c.data):digest(e), e), what .. " " .. e)
            assert.equal(want, shown(crypto.hash(c.alg, c.data, e), e), what .. " crypto.hash " .. e)
            -- the same bytes given as hex
            assert.equal(want, shown(crypto.createHash(c.alg):update(toHex(c.data), "hex"):digest(e), e), what)
          else
            assert.equal(want, shown(crypto.createHmac(c.alg, c.key):update(c.data):digest(e), e), what .. " " .. e)
          end
        end
        if c.kind == "hash" then
          assert.equal(answers[i][1], crypto.hash(c.alg, c.data), what .. ": crypto.hash's default is hex")
          assert.equal(fromHex(answers[i][1]), crypto.createHash(c.alg):update(c.data):digest(), what .. " raw")
        end
      end
    end)

    it("every name getHashes() lists hashes as Node's createHash does", function()
      if not helper.needs("node") then return end
      local cases = {}
      for _, alg in ipairs(crypto.getHashes()) do
        cases[#cases + 1] = { kind = "hash", alg = alg, data = "abc" }
      end
      local answers = nodeAnswers(cases)
      for i, c in ipairs(cases) do
        assert.equal(answers[i][1], crypto.hash(c.alg, "abc"), c.alg)
      end
    end)
  end)

  describe("hashes", function()
    it("update in pieces gives what one update gives", function()
      math.randomseed(42)
      local data = randomString(10000)
      for _, alg in ipairs(HASHES) do
        local h = crypto.createHash(alg)
        local hm = crypto.createHmac(alg, "key")
        local i = 1
        while i <= #data do
          local j = math.min(#data, i + math.random(0, 700))
          assert.equal(h, h:update(data:sub(i, j)))
          assert.equal(hm, hm:update(data:sub(i, j)))
          i = j + 1
        end
        assert.equal(crypto.hash(alg, data), h:digest("hex"), alg)
        assert.equal(crypto.createHmac(alg, "key"):update(data):digest("hex"), hm:digest("hex"), alg)
      end
    end)

    it("copy() gives an independent hash in the same state", function()
      local h = crypto.createHash("sha256"):update("ab")
      local c = h:copy()
      c:update("c")
      h:update("x")
      assert.equal(crypto.hash("sha256", "abc"), c:digest("hex"))
      assert.equal(crypto.hash("sha256", "abx"), h:digest("hex"))
      assertCode("ERR_CRYPTO_HASH_FINALIZED", h.copy, h)
      -- a copy of a shake takes its own output length
      local s = crypto.createHash("shake256"):update("abc")
      assert.equal(10, #s:copy({ outputLength = 10 }):digest())
      assert.equal(32, #s:digest())
    end)

    it("digest twice, or update after digest, raises ERR_CRYPTO_HASH_FINALIZED", function()
      local h = crypto.createHash("sha1")
      h:digest()
      local err = assertCode("ERR_CRYPTO_HASH_FINALIZED", h.digest, h)
      assert.equal("Digest already called", err.message)
      assertCode("ERR_CRYPTO_HASH_FINALIZED", h.update, h, "x")
      -- an Hmac's second digest is empty, as in Node; update still raises
      local m = crypto.createHmac("sha1", "k")
      m:digest()
      assert.equal("", m:digest("hex"))
      assertCode("ERR_CRYPTO_HASH_FINALIZED", m.update, m, "x")
    end)

    it("an unknown algorithm raises ERR_CRYPTO_INVALID_DIGEST", function()
      for _, f in ipairs({
        function() return crypto.createHash("nope") end,
        function() return crypto.createHmac("nope", "k") end,
        function() return crypto.hash("nope", "x") end,
      }) do
        local err = assertCode("ERR_CRYPTO_INVALID_DIGEST", f)
        assert.equal("Invalid digest: nope", err.message)
        assert.equal("TypeError", err.name)
      end
    end)

    it("wrong argument types raise ERR_INVALID_ARG_TYPE", function()
      local h = crypto.createHash("sha256")
      for _, f in ipairs({
        function() return crypto.createHash(1) end,
        function() return crypto.createHash(nil) end,
        function() return crypto.createHash("sha256", 5) end,
        function() return crypto.createHash("shake128", { outputLength = "5" }) end,
        function() return h:update(1) end,
        function() return h:update({}) end,
        function() return crypto.createHmac("sha256", 1) end,
        function() return crypto.createHmac("sha256", nil) end,
        function() return crypto.createHmac({}, "k") end,
        function() return crypto.hash("sha256", 1) end,
        function() return crypto.hash("sha256", "x", 1) end,
        function() return crypto.timingSafeEqual("a", 1) end,
        function() return crypto.timingSafeEqual(nil, "a") end,
        function() return crypto.randomBytes("1") end,
        function() return crypto.randomBytes(1, 5) end,
        function() return crypto.randomInt("1") end,
        function() return crypto.randomInt(1.5) end,
        function() return crypto.randomInt(0, 2 ^ 53) end,
        function() return crypto.randomUUID(5) end,
      }) do
        assertCode("ERR_INVALID_ARG_TYPE", f)
      end
      assertCode("ERR_INVALID_ARG_VALUE", crypto.hash, "sha256", "x", "nope")
      assert.equal(crypto.hash("sha256", "x", "hex"), h:update("x"):digest("hex")) -- h still usable
    end)

    it("shake takes an output length; another digest only its own", function()
      assert.equal("46b9dd2b0b", crypto.createHash("shake256", { outputLength = 5 }):digest("hex"))
      assert.equal("7f9c2ba4e88f827d616045507605853e", crypto.createHash("shake128"):digest("hex"))
      assert.equal(32, #crypto.createHash("sha256", { outputLength = 32 }):digest())
      assertCode("ERR_OSSL_EVP_NOT_XOF_OR_INVALID_LENGTH", crypto.createHash, "sha256", { outputLength = 5 })
      assertCode("ERR_OUT_OF_RANGE", crypto.createHash, "shake128", { outputLength = -1 })
    end)

    it("an empty HMAC key works", function()
      assert.equal("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
        crypto.createHmac("sha256", ""):digest("hex"))
    end)

    it("getHashes() is sorted, lower-case, and has the usual digests", function()
      local names = crypto.getHashes()
      local seen = {}
      for i, n in ipairs(names) do
        assert.equal(n:lower(), n)
        if i > 1 then assert.is_true(names[i - 1] < n, n) end
        seen[n] = true
      end
      for _, n in ipairs(HASHES) do assert.is_true(seen[n], n) end
      for _, n in ipairs({ "sha224", "sha3-512", "shake128", "shake256", "blake2s256", "sha512-224" }) do
        assert.is_true(seen[n], n)
      end
    end)

    it("timingSafeEqual: true, false, and ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", function()
      assert.is_true(crypto.timingSafeEqual("", ""))
      assert.is_true(crypto.timingSafeEqual("abc\0d", "abc\0d"))
      assert.is_false(crypto.timingSafeEqual("abc\0d", "abc\0e"))
      assert.is_false(crypto.timingSafeEqual("xbc", "abc"))
      local err = assertCode("ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", crypto.timingSafeEqual, "ab", "abc")
      assert.equal("Input buffers must have the same byte length", err.message)
      assert.equal("RangeError", err.name)
    end)

    it("leaves Node's functions it does not have absent, not stubbed", function()
      for _, name in ipairs({ "createDiffieHellman", "getDiffieHellman" }) do
        assert.is_nil(crypto[name], name)
      end
    end)
  end)

  describe("randomness", function()
    it("randomBytes gives the bytes asked for: 0, 1, 32, 1 MiB", function()
      for _, n in ipairs({ 0, 1, 32, 1 << 20 }) do
        local b = crypto.randomBytes(n)
        assert.equal("string", type(b))
        assert.equal(n, #b)
      end
      assert.are_not.equal(crypto.randomBytes(32), crypto.randomBytes(32))
      assert.equal(16, #crypto.randomBytes(16.0))
    end)

    it("randomBytes(n, cb) calls back later with the bytes", function()
      local got, calls = nil, 0
      assert.is_nil(crypto.randomBytes(32, function(err, b)
        assert.is_nil(err)
        got, calls = b, calls + 1
      end))
      assert.equal(0, calls) -- not from inside the call
      helper.wait(function() return got ~= nil end, 5000, "randomBytes' callback")
      assert.equal(32, #got)
      assert.equal(1, calls)
    end)

    it("randomBytes(-1), randomBytes(2^31) and others raise ERR_OUT_OF_RANGE; the process goes on", function()
      for _, n in ipairs({ -1, 2 ^ 31, 1 << 31, 0 / 0, math.huge, 1.5 }) do
        local err = assertCode("ERR_OUT_OF_RANGE", crypto.randomBytes, n)
        assert.equal("RangeError", err.name)
      end
      assert.equal(8, #crypto.randomBytes(8))
      -- in a process of its own: it prints the code and exits 0
      local out, status = helper.sh(string.format("timeout 30 %s -e %s", helper.quote(helper.luatls),
        helper.quote([[local c = require("crypto")
          for _, n in ipairs({ -1, 2^31 }) do print((select(2, pcall(c.randomBytes, n))).code) end
          print(#c.randomBytes(4))]])))
      assert.equal(0, status, out)
      assert.equal("ERR_OUT_OF_RANGE\nERR_OUT_OF_RANGE\n4\n", out)
    end)

    it("randomInt stays in its bounds and raises Node's range errors", function()
      for _ = 1, 200 do
        local n = crypto.randomInt(10)
        assert.is_true(math.type(n) == "integer" and n >= 0 and n < 10, n)
        n = crypto.randomInt(-5, 5)
        assert.is_true(n >= -5 and n < 5, n)
        assert.equal(7, crypto.randomInt(7, 8))
      end
      local big = (1 << 48) - 1
      local n = crypto.randomInt(big)
      assert.is_true(n >= 0 and n < big)
      local lo = -((1 << 53) - 1)
      n = crypto.randomInt(lo, lo + 3)
      assert.is_true(n >= lo and n < lo + 3)
      assert.equal(3, crypto.randomInt(3.0, 4.0))
      local err = assertCode("ERR_OUT_OF_RANGE", crypto.randomInt, 5, 5)
      assert.matches('greater than the value of "min" %(5%)', err.message)
      assertCode("ERR_OUT_OF_RANGE", crypto.randomInt, 5, 2)
      assertCode("ERR_OUT_OF_RANGE", crypto.randomInt, 0)
      err = assertCode("ERR_OUT_OF_RANGE", crypto.randomInt, 1 << 48)
      assert.matches('"max" is out of range', err.message)
      err = assertCode("ERR_OUT_OF_RANGE", crypto.randomInt, -1, big)
      assert.matches('"max %- min" is out of range', err.message)
    end)

    it("randomInt(3) draws every value in 300 draws, and calls back with a callback", function()
      local seen = {}
      for _ = 1, 300 do
        local n = crypto.randomInt(3)
        seen[n] = (seen[n] or 0) + 1
      end
      for v = 0, 2 do assert.is_true((seen[v] or 0) > 30, "value " .. v .. " drawn " .. tostring(seen[v])) end
      local got
      crypto.randomInt(10, 12, function(err, v)
        assert.is_nil(err)
        got = v
      end)
      assert.is_nil(got)
      helper.wait(function() return got ~= nil end, 5000, "randomInt's callback")
      assert.is_true(got == 10 or got == 11)
    end)

    it("randomUUID gives version 4 UUIDs with RFC 4122's variant, all different", function()
      local seen = {}
      for _ = 1, 1000 do
        local u = crypto.randomUUID()
        assert.matches("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$", u)
        assert.equal(u:lower(), u)
        assert.is_nil(seen[u], u)
        seen[u] = true
      end
      assert.equal(36, #crypto.randomUUID({ disableEntropyCache = true }))
    end)
  end)

  -- answers given by Node 20 for the same calls
  describe("secret KeyObjects", function()
    local secret = crypto.createSecretKey("0123456789abcdef")
    local public = crypto.generateKeyPairSync("ed25519").publicKey
    local iv = string.rep("\0", 12)

    it("key HMACs, ciphers and HKDF as their bytes do", function()
      assert.equal("68f4d9c04881bab754f229e82dee00ccf8d9f6a7cf98125ac5e8254d6cd3cc3f",
        crypto.createHmac("sha256", secret):update("x"):digest("hex"))
      assert.equal("3a", crypto.createCipheriv("aes-128-gcm", secret, iv):update("x", "utf8", "hex"))
      assert.equal("d51fc098cb6d06b4", toHex(crypto.hkdfSync("sha256", secret, "salt", "info", 8)))
    end)

    it("refuse another kind of KeyObject as Node does, and PBKDF2 and scrypt refuse every KeyObject", function()
      assertCode("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", crypto.createHmac, "sha256", public)
      assertCode("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", crypto.createCipheriv, "aes-128-gcm", public, iv)
      assertCode("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", crypto.hkdfSync, "sha256", public, "salt", "info", 8)
      assertCode("ERR_INVALID_ARG_TYPE", crypto.pbkdf2Sync, secret, "salt", 1, 8, "sha256")
      assertCode("ERR_INVALID_ARG_TYPE", crypto.scryptSync, secret, "salt", 8)
      assert.equal("Invalid key object type public, expected secret.",
        raised(crypto.createHmac, "sha256", public).message)
    end)
  end)
end)
