-- luatls.crypto's symmetric ciphers (createCipheriv, createDecipheriv,
-- getCiphers) against Node's crypto as the reference: for each algorithm,
-- seeded random keys, IVs, AAD and plaintexts of several lengths encrypt
-- to Node's ciphertext and tag in one `node` run over the whole batch, and
-- Node decrypts luatls's output; update in pieces gives what one update
-- gives; a wrong tag, tampered data, a bad padding and bad arguments raise
-- Node's errors and the process lives.
local helper = require("spec.helper")
local crypto = require("luatls.crypto")
local buffer = require("luatls.buffer")

local toHex, fromHex = buffer.toHex, buffer.fromHex
local randomString = helper.randomString

local function assertCode(code, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error " .. tostring(code))
  assert.equal(code, type(err) == "table" and err.code or err, tostring(err))
  return err
end

local AUTH = "Unsupported state or unable to authenticate data"

-- algorithm -> key length, kind ("gcm", "ccm", "chacha", "block", "stream")
local ALGS = {
  { "aes-128-gcm", 16, "gcm" }, { "aes-192-gcm", 24, "gcm" }, { "aes-256-gcm", 32, "gcm" },
  { "aes-128-ccm", 16, "ccm" }, { "aes-192-ccm", 24, "ccm" }, { "aes-256-ccm", 32, "ccm" },
  { "aes-128-cbc", 16, "block" }, { "aes-192-cbc", 24, "block" }, { "aes-256-cbc", 32, "block" },
  { "aes-128-ctr", 16, "stream" }, { "aes-192-ctr", 24, "stream" }, { "aes-256-ctr", 32, "stream" },
  { "chacha20-poly1305", 32, "chacha" },
}
local LENGTHS = { 0, 1, 15, 16, 17, 1000, 70000 }

-- Node encrypts each case line "alg key iv aad pt taglen pad ours_ct ours_tag"
-- (hex, "-" for empty or none) and answers "ct tag ok" where ok says
-- whether it decrypted our ciphertext and tag to pt; a throw answers
-- "ERR code".
local NODE_SCRIPT = [[
const c = require('crypto');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const b = (h) => Buffer.from(h === '-' ? '' : h, 'hex');
const h = (x) => (x.length ? x.toString('hex') : '-');
const out = lines.map((line) => {
  const [alg, key, iv, aad, pt, tl, pad, oct, otag] = line.split(' ');
  const opts = tl === '-' ? undefined : { authTagLength: +tl };
  const ccm = alg.includes('ccm');
  const aead = /gcm|ccm|poly1305/.test(alg);
  try {
    const e = c.createCipheriv(alg, b(key), b(iv), opts);
    if (pad === '0') e.setAutoPadding(false);
    if (aead && (aad !== '-' || ccm)) e.setAAD(b(aad), { plaintextLength: b(pt).length });
    const ct = Buffer.concat([e.update(b(pt)), e.final()]);
    const tag = aead ? e.getAuthTag() : Buffer.alloc(0);
    const d = c.createDecipheriv(alg, b(key), b(iv), opts);
    if (pad === '0') d.setAutoPadding(false);
    if (aead) d.setAuthTag(b(otag));
    if (aead && (aad !== '-' || ccm)) d.setAAD(b(aad), { plaintextLength: b(oct).length });
    const back = Buffer.concat([d.update(b(oct)), d.final()]);
    return [h(ct), h(tag), back.equals(b(pt)) ? 'ok' : 'differs'].join(' ');
  } catch (err) {
    return 'ERR ' + (err.code || err.message);
  }
});
process.stdout.write(out.join('\n') + '\n');
]]

local function hexOr(s)
  local x = toHex(s or "")
  return x == "" and "-" or x
end

local function nodeAnswers(cases)
  local lines = {}
  for i, c in ipairs(cases) do
    lines[i] = table.concat({ c.alg, hexOr(c.key), hexOr(c.iv), hexOr(c.aad), hexOr(c.pt),
      c.taglen or "-", c.pad == false and "0" or "1", hexOr(c.ct), hexOr(c.tag) }, " ")
  end
  local proc = helper.spawn("node -e " .. helper.quote(NODE_SCRIPT), table.concat(lines, "\n") .. "\n")
  local out, status = helper.finish(proc, 60000)
  assert.equal(0, status, out)
  local answers = {}
  for line in out:gmatch("[^\n]+") do answers[#answers + 1] = line end
  assert.equal(#cases, #answers, out)
  return answers
end

local function options(c)
  return c.taglen and { authTagLength = c.taglen } or nil
end

local function setAAD(obj, c, n)
  if c.kind == "ccm" or (c.aead and c.aad ~= "") then obj:setAAD(c.aad, { plaintextLength = n }) end
end

-- encrypt case c in luatls, the plaintext in pieces of random sizes when
-- `pieces`: ciphertext, tag (or an error object)
local function encrypt(c, pieces)
  local ok, ct, tag = pcall(function()
    local e = crypto.createCipheriv(c.alg, c.key, c.iv, options(c))
    if c.pad == false then e:setAutoPadding(false) end
    setAAD(e, c, #c.pt)
    local parts, i = {}, 1
    if pieces then
      parts[1] = e:update("")
      while i <= #c.pt do
        local n = math.random(0, 40)
        parts[#parts + 1] = e:update(c.pt:sub(i, i + n - 1))
        i = i + n
      end
    else
      parts[1] = e:update(c.pt)
    end
    parts[#parts + 1] = e:final()
    return table.concat(parts), c.aead and e:getAuthTag() or ""
  end)
  if not ok then return nil, ct end
  return ct, tag
end

local function decrypt(c, ct, tag)
  local d = crypto.createDecipheriv(c.alg, c.key, c.iv, options(c))
  if c.pad == false then d:setAutoPadding(false) end
  if c.aead then d:setAuthTag(tag) end
  setAAD(d, c, #ct)
  return d:update(ct) .. d:final()
end

local function makeCases()
  local cases = {}
  for _, a in ipairs(ALGS) do
    local alg, keylen, kind = a[1], a[2], a[3]
    for _, n in ipairs(LENGTHS) do
      local c = { alg = alg, kind = kind, aead = kind == "gcm" or kind == "ccm" or kind == "chacha",
        key = randomString(keylen), pt = randomString(n), aad = "" }
      local ivlen = 16
      if kind == "gcm" then
        ivlen = ({ 1, 12, 12, 16, 64 })[math.random(5)]
        if math.random(3) == 1 then c.taglen = ({ 4, 8, 12, 13, 16 })[math.random(5)] end
      elseif kind == "ccm" then
        ivlen = math.random(7, 13)
        c.taglen = ({ 4, 6, 8, 10, 12, 14, 16 })[math.random(7)]
      elseif kind == "chacha" then
        ivlen = 12
        if math.random(2) == 1 then c.taglen = math.random(1, 16) end
      end
      c.iv = randomString(ivlen)
      if c.aead and math.random(3) > 1 then c.aad = randomString(math.random(1, 100)) end
      cases[#cases + 1] = c
      if kind == "block" then -- no padding: Node's error for a length that is no multiple of 16
        cases[#cases + 1] = { alg = alg, kind = kind, key = c.key, iv = c.iv, pt = c.pt, aad = "", pad = false }
      end
    end
  end
  return cases
end

describe("crypto ciphers", function()
  helper.leakcheck()

  it("encrypt to Node's ciphertexts and tags, and each side decrypts the other's", function()
    if not helper.needs("node") then return end
    local seed = tonumber(os.getenv("LUATLS_SPEC_SEED")) or os.time()
    math.randomseed(seed)
    local cases = makeCases()
    for _, c in ipairs(cases) do
      c.ct, c.tag = encrypt(c, false)
      if c.ct == nil then c.err, c.ct, c.tag = c.tag, nil, nil end
    end
    local answers = nodeAnswers(cases)
    local why = "seed " .. seed .. " (LUATLS_SPEC_SEED=" .. seed .. " repeats it): "
    for i, c in ipairs(cases) do
      local what = why .. c.alg .. " length " .. #c.pt .. " iv " .. #c.iv .. " aad " .. #c.aad
        .. " tag " .. tostring(c.taglen) .. (c.pad == false and " no padding" or "")
      local code = answers[i]:match("^ERR (.*)")
      if code then
        assert.is_truthy(c.err, what .. ": Node raised " .. code)
        assert.equal(code, c.err.code, what)
        assert.is_true((c.pad == false and #c.pt % 16 ~= 0) or (c.kind == "ccm" and #c.pt > 65535), what)
      else
        assert.is_nil(c.err, what .. ": " .. tostring(c.err))
        local ct, tag, ok = answers[i]:match("^(%S+) (%S+) (%S+)$")
        assert.equal(ct, hexOr(c.ct), what)
        assert.equal(tag, hexOr(c.tag), what)
        assert.equal("ok", ok, what .. ": Node decrypting ours")
        assert.equal(c.pt, decrypt(c, fromHex(ct == "-" and "" or ct), fromHex(tag == "-" and "" or tag)), what)
        if c.kind ~= "ccm" then -- CCM takes its message in one update, as Node's
          local ct2, tag2 = encrypt(c, true)
          assert.equal(c.ct, ct2, what .. " in pieces")
          assert.equal(c.tag, tag2, what .. " in pieces")
        end
      end
    end
  end)

  it("a wrong tag, tampered ciphertext or AAD fail final()", function()
    for _, a in ipairs(ALGS) do
      local alg, keylen, kind = a[1], a[2], a[3]
      if kind == "gcm" or kind == "ccm" or kind == "chacha" then
        local c = { alg = alg, kind = kind, aead = true, key = randomString(keylen), pt = randomString(100),
          aad = randomString(20), iv = randomString(12), taglen = kind == "ccm" and 16 or nil }
        local ct, tag = encrypt(c, false)
        assert.equal(c.pt, decrypt(c, ct, tag))
        local flip = function(s, i) return s:sub(1, i - 1) .. string.char(s:byte(i) ~ 1) .. s:sub(i + 1) end
        for _, bad in ipairs({ { ct, flip(tag, 1) }, { flip(ct, 50), tag } }) do
          local ok, err = pcall(decrypt, c, bad[1], bad[2])
          assert.is_false(ok, alg)
          assert.equal(AUTH, err.message, alg)
        end
        local good = c.aad
        c.aad = flip(good, 3)
        local ok, err = pcall(decrypt, c, ct, tag)
        assert.is_false(ok, alg)
        assert.equal(AUTH, err.message, alg)
        c.aad = good
        -- no tag at all
        local d = crypto.createDecipheriv(alg, c.key, c.iv, options(c))
        setAAD(d, c, #ct)
        d:update(ct)
        ok, err = pcall(d.final, d)
        assert.is_false(ok, alg)
        assert.equal(AUTH, err.message, alg)
      end
    end
  end)

  it("a bad padding raises ERR_OSSL_BAD_DECRYPT", function()
    local d = crypto.createDecipheriv("aes-128-cbc", string.rep("\0", 16), string.rep("\0", 16))
    assert.equal("", d:update(string.rep("\0", 16)))
    local e = assertCode("ERR_OSSL_BAD_DECRYPT", d.final, d)
    assert.is_truthy(e.message:find("bad decrypt", 1, true))
    d = crypto.createDecipheriv("aes-128-cbc", string.rep("\0", 16), string.rep("\0", 16))
    d:setAutoPadding(false)
    d:update("12345")
    assertCode("ERR_OSSL_WRONG_FINAL_BLOCK_LENGTH", d.final, d)
  end)

  it("encodings in and out, base64 across updates as Node's", function()
    local key, iv = string.rep("k", 16), string.rep("i", 16)
    local one = crypto.createCipheriv("aes-128-ctr", key, iv)
    local raw = one:update("hello world, hello world") .. one:final()
    local e = crypto.createCipheriv("aes-128-ctr", key, iv)
    local b64 = e:update("hello", "utf8", "base64") .. e:update(toHex(" world, hello world"), "hex", "base64")
      .. e:final("base64")
    assert.equal(buffer.toString(raw, "base64"), b64)
    local d = crypto.createDecipheriv("aes-128-ctr", key, iv)
    assert.equal("hello world, hello world", d:update(b64, "base64", "utf8") .. d:final("utf8"))
  end)

  it("bad input raises Node's codes and the process lives", function()
    local k16, iv16, iv12 = string.rep("k", 16), string.rep("i", 16), string.rep("i", 12)
    local C, D = crypto.createCipheriv, crypto.createDecipheriv
    local e = assertCode("ERR_CRYPTO_UNKNOWN_CIPHER", C, "nope-128", k16, iv16)
    assert.equal("Unknown cipher", e.message)
    e = assertCode("ERR_CRYPTO_INVALID_KEYLEN", C, "aes-128-cbc", string.rep("k", 15), iv16)
    assert.equal("RangeError", e.name)
    assert.equal("Invalid key length", e.message)
    assertCode("ERR_CRYPTO_INVALID_KEYLEN", D, "aes-256-gcm", k16, iv12)
    assertCode("ERR_CRYPTO_INVALID_KEYLEN", C, "chacha20-poly1305", "", iv12)
    e = assertCode("ERR_CRYPTO_INVALID_IV", C, "aes-128-cbc", k16, iv12)
    assert.equal("Invalid initialization vector", e.message)
    assertCode("ERR_CRYPTO_INVALID_IV", C, "aes-128-ctr", k16, nil)
    assertCode("ERR_CRYPTO_INVALID_IV", C, "aes-128-gcm", k16, "")
    assertCode("ERR_CRYPTO_INVALID_IV", C, "aes-128-ccm", k16, string.rep("i", 6), { authTagLength = 16 })
    assertCode("ERR_CRYPTO_INVALID_IV", C, "aes-128-ccm", k16, string.rep("i", 14), { authTagLength = 16 })
    assertCode("ERR_CRYPTO_INVALID_IV", C, "chacha20-poly1305", string.rep("k", 32), string.rep("i", 11))
    assert.is_truthy(C("aes-128-gcm", k16, "i")) -- GCM takes other IV lengths
    e = assertCode("ERR_CRYPTO_INVALID_AUTH_TAG", C, "aes-128-ccm", k16, iv12)
    assert.equal("authTagLength required for aes-128-ccm", e.message)
    e = assertCode("ERR_CRYPTO_INVALID_AUTH_TAG", C, "aes-128-gcm", k16, iv12, { authTagLength = 5 })
    assert.equal("Invalid authentication tag length: 5", e.message)
    assertCode("ERR_CRYPTO_INVALID_AUTH_TAG", C, "aes-128-ccm", k16, iv12, { authTagLength = 5 })
    assertCode("ERR_CRYPTO_INVALID_AUTH_TAG", C, "chacha20-poly1305", string.rep("k", 32), iv12,
      { authTagLength = 17 })
    assertCode("ERR_INVALID_ARG_TYPE", C, 1, k16, iv16)
    assertCode("ERR_INVALID_ARG_TYPE", C, "aes-128-cbc", {}, iv16)
    assertCode("ERR_INVALID_ARG_TYPE", C, "aes-128-cbc", k16, iv16, 5)
    -- states
    local c = C("aes-128-cbc", k16, iv16)
    c:final()
    e = assertCode("ERR_CRYPTO_INVALID_STATE", c.update, c, "a")
    assert.equal("Trying to add data in unsupported state", e.message)
    e = assertCode("ERR_CRYPTO_INVALID_STATE", c.final, c)
    assert.equal("Invalid state", e.message)
    e = assertCode("ERR_CRYPTO_INVALID_STATE", c.setAAD, c, "x")
    assert.equal("Invalid state for operation setAAD", e.message)
    assertCode("ERR_CRYPTO_INVALID_STATE", c.setAutoPadding, c, false)
    assertCode("ERR_CRYPTO_INVALID_STATE", c.getAuthTag, c)
    c = C("aes-128-ctr", k16, iv16)
    assertCode("ERR_CRYPTO_INVALID_STATE", c.setAAD, c, "x")
    c = C("aes-128-gcm", k16, iv12)
    e = assertCode("ERR_CRYPTO_INVALID_STATE", c.getAuthTag, c)
    assert.equal("Invalid state for operation getAuthTag", e.message)
    assert.is_nil(c.setAuthTag)
    local d = D("aes-128-gcm", k16, iv12)
    assert.is_nil(d.getAuthTag)
    e = assertCode("ERR_CRYPTO_INVALID_AUTH_TAG", d.setAuthTag, d, "abc")
    assert.equal("Invalid authentication tag length: 3", e.message)
    d:setAuthTag(string.rep("t", 16))
    assertCode("ERR_CRYPTO_INVALID_STATE", d.setAuthTag, d, string.rep("t", 16))
    d = D("aes-128-gcm", k16, iv12, { authTagLength = 8 })
    assertCode("ERR_CRYPTO_INVALID_AUTH_TAG", d.setAuthTag, d, string.rep("t", 16))
    d = D("aes-128-ccm", k16, iv12, { authTagLength = 16 })
    assertCode("ERR_CRYPTO_INVALID_AUTH_TAG", d.setAuthTag, d, string.rep("t", 12))
    c = C("aes-128-ccm", k16, iv12, { authTagLength = 16 })
    assertCode("ERR_MISSING_ARGS", c.setAAD, c, "aad")
    c:setAAD("aad", { plaintextLength = 3 })
    assertCode("ERR_CRYPTO_INVALID_STATE", c.update, c, "four")
    c = C("aes-128-ccm", k16, string.rep("i", 13), { authTagLength = 16 })
    e = assertCode("ERR_CRYPTO_INVALID_MESSAGELEN", c.setAAD, c, "aad", { plaintextLength = 65536 })
    assert.equal("RangeError", e.name)
    assertCode("ERR_CRYPTO_INVALID_MESSAGELEN", c.update, c, string.rep("x", 65536))
    c = C("aes-128-ccm", k16, iv12, { authTagLength = 16 })
    c:update("four")
    assertCode("ERR_CRYPTO_INVALID_STATE", c.update, c, "four") -- CCM takes one update
    -- collected mid-way without a leak or crash
    for _ = 1, 50 do
      C("aes-256-gcm", string.rep("k", 32), iv12):update(string.rep("x", 100))
      D("aes-128-ccm", k16, iv12, { authTagLength = 4 })
    end
    collectgarbage()
    assert.equal("ok", crypto.createHash("sha256") and "ok")
  end)

  it("getCiphers lists the names, sorted and in lower case", function()
    local names = crypto.getCiphers()
    local set = {}
    for i, n in ipairs(names) do
      assert.equal(n:lower(), n)
      if i > 1 then assert.is_true(names[i - 1] < n, n) end
      set[n] = true
    end
    for _, a in ipairs(ALGS) do assert.is_true(set[a[1]], a[1]) end
    names[1] = "changed"
    assert.are_not.equal("changed", crypto.getCiphers()[1])
  end)
end)
