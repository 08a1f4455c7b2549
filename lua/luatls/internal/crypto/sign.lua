-- luatls.internal.crypto.sign: Node's sign, verify, createSign (Sign) and
-- createVerify (Verify) over src/crypto/sign.c. The face is
-- lua/luatls/crypto.lua.
--
-- The key is what Node takes (keys.prepare): a KeyObject, PEM, or a table
-- { key=, format=, type=, passphrase=, encoding= } that may also carry
-- padding= (crypto.constants.RSA_PKCS1_PADDING, the default, or
-- RSA_PKCS1_PSS_PADDING, the default for an rsa-pss key), saltLength=
-- (PSS; RSA_PSS_SALTLEN_DIGEST, _MAX_SIGN, _AUTO) and dsaEncoding= ("der",
-- the default, or "ieee-p1363": r||s of fixed width, for EC and DSA keys).
--
-- Differs from Node: Sign and Verify are not writable streams (no
-- write/end/pipe); a signature may be given as any string (Lua strings
-- are Node's Buffers); errors given to a callback carry OpenSSL's code
-- (Node 20 gives them none); a key that cannot be read (an encrypted PEM
-- without its passphrase) raises what createPrivateKey raises
-- (ERR_MISSING_PASSPHRASE).
local core = require("luatls.loop").core
local buffer = require("luatls.buffer")
local errors = require("luatls.errors")
local class = require("luatls.events").class
local keys = require("luatls.internal.crypto.keys")
local util = require("luatls.internal.crypto.util")

local M = {}

local function keyRequired(level)
  errors.throw("ERR_CRYPTO_SIGN_KEY_REQUIRED", "No key provided to sign", nil, level + 1)
end

-- an int32 option of a key table (Node's getIntOption), or nil
local function intOption(options, name, level)
  local v = options[name]
  if v == nil then return nil end
  local i = math.tointeger(v)
  if i == nil or i < -0x80000000 or i > 0x7FFFFFFF then
    keys.invalidValue("options." .. name, v, nil, level + 1)
  end
  return i
end

-- key -> padding, saltLength, p1363 (a boolean) from a key table's
-- options; none for a KeyObject or PEM
local function keyOptions(key, level)
  level = level + 1
  if type(key) ~= "table" or keys.isKeyObject(key) then return nil, nil, false end
  local padding = intOption(key, "padding", level)
  local salt = intOption(key, "saltLength", level)
  local enc = key.dsaEncoding
  if enc ~= nil and enc ~= "der" and enc ~= "ieee-p1363" then
    keys.invalidValue("options.dsaEncoding", enc, nil, level)
  end
  return padding, salt, enc == "ieee-p1363"
end

-- the key to sign with and its options, checked in Node's order
local function privateKey(key, level)
  level = level + 1
  if not key then keyRequired(level) end
  local padding, salt, p1363 = keyOptions(key, level)
  return keys.prepare(key, "private", level), padding, salt, p1363
end

-- the key to verify with (a private key also does)
local function publicHandle(key, level)
  level = level + 1
  local h = keys.handle(key) or (type(key) == "table" and keys.handle(key.key))
  if h and h:kind() == "secret" then
    errors.throw("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
      "Invalid key object type secret, expected private or public.", { name = "TypeError" }, level)
  end
  return keys.prepare(key, "public", level)
end

local function checkAlgorithm(algorithm, level)
  if algorithm ~= nil then util.checkType(algorithm, "algorithm", "string", level + 1) end
end

-- sign(algorithm, data, key[, callback]) -> the signature of data (or
-- callback(err, signature), made on the thread pool). algorithm nil: the
-- key's default digest (Ed25519 and Ed448 take none)
function M.sign(algorithm, data, key, callback)
  checkAlgorithm(algorithm, 2)
  util.checkCallback(callback, 2)
  util.toBytes(data, "data", nil, 2)
  local h, padding, salt, p1363 = privateKey(key, 2)
  return core.sign_oneshot(h, algorithm, data, padding, salt, p1363, callback)
end

-- verify(algorithm, data, key, signature[, callback]) -> whether signature
-- is data's, signed by key's private half (or callback(err, result)); a
-- wrong or malformed signature gives false
function M.verify(algorithm, data, key, signature, callback)
  checkAlgorithm(algorithm, 2)
  util.checkCallback(callback, 2)
  util.toBytes(data, "data", nil, 2)
  local padding, salt, p1363 = keyOptions(key, 2)
  util.toBytes(signature, "signature", nil, 2)
  local h = publicHandle(key, 2)
  return core.verify_oneshot(h, algorithm, data, signature, padding, salt, p1363, callback)
end

-- the C signer of createSign/createVerify; Node's message for an unknown
-- digest names none here
local function newSigner(algorithm, level)
  level = level + 1
  util.checkType(algorithm, "algorithm", "string", level)
  local ok, h = pcall(core.signer_new, algorithm)
  if not ok then
    if type(h) == "table" and h.code == "ERR_CRYPTO_INVALID_DIGEST" then h.message = "Invalid digest" end
    error(h, level)
  end
  return h
end

-- update(data[, inputEncoding]) -> self, shared by Sign and Verify
local function update(self, data, inputEncoding)
  self._handle:update(util.toBytes(data, "data", inputEncoding, 2))
  return self
end

-- Sign: createSign(algorithm)
local Sign = class(nil, "Sign")
M.Sign = Sign

function Sign:init(algorithm) self._handle = newSigner(algorithm, 4) end

Sign.update = update

-- sign(privateKey[, outputEncoding]) -> the signature of what was given to
-- update (raw bytes, or in outputEncoding); once
function Sign:sign(key, outputEncoding)
  local h, padding, salt, p1363 = privateKey(key, 2)
  local sig = self._handle:sign(h, padding, salt, p1363)
  if outputEncoding == nil or outputEncoding == "buffer" then return sig end
  return buffer.toString(sig, outputEncoding)
end

function M.createSign(algorithm) return Sign.new(algorithm) end

-- Verify: createVerify(algorithm)
local Verify = class(nil, "Verify")
M.Verify = Verify

function Verify:init(algorithm) self._handle = newSigner(algorithm, 4) end

Verify.update = update

-- verify(publicKey, signature[, signatureEncoding]) -> whether signature
-- (bytes, or a string in signatureEncoding) signs what was given to
-- update; once
function Verify:verify(key, signature, signatureEncoding)
  local h = publicHandle(key, 2)
  local padding, salt, p1363 = keyOptions(key, 2)
  signature = util.toBytes(signature, "signature", signatureEncoding, 2)
  return self._handle:verify(h, signature, padding, salt, p1363)
end

function M.createVerify(algorithm) return Verify.new(algorithm) end

return M
