-- spec/crypto_cache_spec.lua: the fast paths of the digests and HMACs are
-- the slow paths' equals. Two of them are caches in C (src/crypto/hash.c:
-- each digest name is fetched once, each HMAC starts as a copy of a context
-- set up for its digest), one is Lua's (createHash, createHmac, update and
-- digest skip the argument conversion when the arguments are plain
-- strings). The same randomized operations run twice: once on the fast
-- paths, once with the caches off (core.crypto_cache(false): every use
-- fetches anew) and every argument given the long way (Hash.new, Hmac.new
-- with options, an explicit "buffer" encoding); every result and every
-- error code must be the same.
local crypto = require("crypto")
local core = require("luatls.loop").core
local buffer = require("luatls.buffer")

-- names: what getHashes() lists, spellings OpenSSL also takes, and names
-- that are no digest at all
local function names()
  local list = crypto.getHashes()
  for _, n in ipairs({ "SHA256", "RSA-SHA256", "SHA2-256", "sha512-256", "Sha1", "MD5", "nope", "",
    "sha256WithRSAEncryption", "shake256" }) do
    list[#list + 1] = n
  end
  return list
end

local ENCODINGS = { false, "hex", "base64", "base64url", "latin1", "buffer" }

-- plan(seed) -> a list of operations, each a table of plain values
local function plan(seed, count)
  math.randomseed(seed)
  local algs = names()
  local ops = {}
  for i = 1, count do
    local chunks = {}
    for c = 1, math.random(0, 4) do
      local len = math.random(0, 3) == 0 and math.random(0, 5000) or math.random(0, 64)
      local bytes = {}
      for b = 1, len do bytes[b] = string.char(math.random(0, 255)) end
      chunks[c] = { data = table.concat(bytes), hex = math.random(0, 3) == 0 }
    end
    ops[i] = {
      kind = ({ "hash", "hmac", "oneshot", "pbkdf2", "hkdf" })[math.random(1, 5)],
      alg = algs[math.random(1, #algs)],
      key = string.rep(string.char(math.random(0, 255)), math.random(0, 200)),
      chunks = chunks,
      out = ENCODINGS[math.random(1, #ENCODINGS)] or nil,
      xof = math.random(0, 4) == 0 and math.random(0, 100) or nil,
    }
  end
  return ops
end

-- run(op, slow) -> "ok <result>" or "error <code>"
local function run(op, slow)
  local ok, res = pcall(function()
    if op.kind == "oneshot" then
      local data = {}
      for i, c in ipairs(op.chunks) do data[i] = c.data end
      return crypto.hash(op.alg, table.concat(data), op.out or "buffer")
    elseif op.kind == "pbkdf2" then
      return crypto.pbkdf2Sync(op.key, "salt", 2, 20, op.alg)
    elseif op.kind == "hkdf" then
      return crypto.hkdfSync(op.alg, op.key, "salt", "info", 20)
    end
    local h
    if op.kind == "hash" then
      local options = op.xof and { outputLength = op.xof } or nil
      h = slow and crypto.Hash.new(op.alg, options) or crypto.createHash(op.alg, options)
    else
      h = slow and crypto.Hmac.new(op.alg, op.key, {}) or crypto.createHmac(op.alg, op.key)
    end
    for _, c in ipairs(op.chunks) do
      if c.hex then
        h:update(buffer.toString(c.data, "hex"), "hex")
      elseif slow then
        h:update(c.data, "buffer")
      else
        h:update(c.data)
      end
    end
    local out = op.out
    if out == nil and slow then out = "buffer" end
    return h:digest(out)
  end)
  if ok then return "ok " .. res end
  return "error " .. tostring(type(res) == "table" and res.code or res)
end

describe("crypto's fast paths", function()
  after_each(function() core.crypto_cache(true) end)

  it("give what the slow paths give, for randomized digests, HMACs and derivations", function()
    local seed = os.time()
    local ops = plan(seed, 600)
    local fast = {}
    for i, op in ipairs(ops) do fast[i] = run(op, false) end
    core.crypto_cache(false)
    local errors, oks = 0, 0
    for i, op in ipairs(ops) do
      local slow = run(op, true)
      assert.equal(slow, fast[i], string.format("seed %d, operation %d (%s %q)", seed, i, op.kind, op.alg))
      if slow:sub(1, 5) == "error" then errors = errors + 1 else oks = oks + 1 end
    end
    -- the plan reaches both outcomes
    assert.is_true(errors > 10, "errors " .. errors)
    assert.is_true(oks > 300, "results " .. oks)
  end)

  it("keep answering the same after the caches are turned off and on again", function()
    local a = crypto.createHmac("sha384", "k"):update("x"):digest("hex")
    core.crypto_cache(false)
    local b = crypto.createHmac("sha384", "k"):update("x"):digest("hex")
    local c = crypto.createHash("RSA-SHA256"):update("x"):digest("hex")
    core.crypto_cache(true)
    assert.equal(a, b)
    assert.equal(c, crypto.createHash("sha256"):update("x"):digest("hex"))
    assert.equal(a, crypto.createHmac("sha384", "k"):update("x"):digest("hex"))
  end)
end)
