-- bench/ops/crypto.lua: Node's crypto operations in luatls, timed by CPU
-- time (os.clock), for bench/crypto. The same operations, in the same
-- order and on the same inputs, are in crypto.js for Node.
--
--   luatls bench/ops/crypto.lua SECONDS [OP...]
--
-- Prints one line per operation: "OP OPS_PER_CPU_SECOND".
local crypto = require("crypto")

local seconds = tonumber(arg[1]) or 1
local KiB, MiB = 1024, 1024 * 1024
local d16, d32 = string.rep("a", 16), string.rep("b", 32)
local d16k, d1m = string.rep("c", 16 * KiB), string.rep("d", MiB)
local key16, iv12 = string.rep("k", 16), string.rep("i", 12)
local ed = crypto.generateKeyPairSync("ed25519").privateKey
local ec = crypto.generateKeyPairSync("ec", { namedCurve = "P-256" }).privateKey
local rsa = crypto.generateKeyPairSync("rsa", { modulusLength = 2048 }).privateKey

local function gcm(data)
  local c = crypto.createCipheriv("aes-128-gcm", key16, iv12)
  c:update(data)
  c:final()
  return c:getAuthTag()
end

local OPS = {
  { "sha256-16", function() return crypto.createHash("sha256"):update(d16):digest() end },
  { "sha256-1m", function() return crypto.createHash("sha256"):update(d1m):digest() end },
  { "hmac-sha256-16", function() return crypto.createHmac("sha256", key16):update(d16):digest() end },
  { "hmac-sha256-1m", function() return crypto.createHmac("sha256", key16):update(d1m):digest() end },
  { "aes-128-gcm-16k", function() return gcm(d16k) end },
  { "aes-128-gcm-1m", function() return gcm(d1m) end },
  { "ed25519-sign", function() return crypto.sign(nil, d32, ed) end },
  { "ecdsa-p256-sign", function() return crypto.sign("sha256", d32, ec) end },
  { "rsa-2048-sign", function() return crypto.sign("sha256", d32, rsa) end },
  { "randomBytes-32", function() return crypto.randomBytes(32) end },
}

local wanted = {}
for i = 2, #arg do wanted[arg[i]] = true end

for _, op in ipairs(OPS) do
  local name, fn = op[1], op[2]
  if next(wanted) == nil or wanted[name] then
    fn() -- warm
    local n, batch = 0, 1
    local t0 = os.clock()
    local t = t0
    while t - t0 < seconds do
      for _ = 1, batch do fn() end
      n = n + batch
      local now = os.clock()
      if now - t < 0.01 then batch = batch * 2 end -- clock reads stay rare
      t = now
    end
    print(string.format("%s %.1f", name, n / (t - t0)))
  end
end
