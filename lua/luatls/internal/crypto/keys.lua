-- luatls.internal.crypto.keys: Node's KeyObject, createPrivateKey,
-- createPublicKey, createSecretKey and generateKeyPair(Sync) over
-- src/crypto/pkey.c (the key stays in C: an EVP_PKEY, or a secret's bytes
-- in C memory). The face is lua/luatls/crypto.lua. JWK export and import
-- ({ format = "jwk" }) are internal/crypto/jwk.lua's (over
-- src/crypto/jwk.c).
--
-- The seam for the other crypto internals (sign, Diffie-Hellman,
-- certificates): keys.handle(keyObject) gives the C key, and
-- keys.prepare(key, kind, name) takes what Node's sign/verify take (a
-- KeyObject, a PEM string, or { key=, format=, type=, passphrase= }) and
-- gives the C key; keys.wrap(handle) makes a KeyObject of a C key.
--
-- Differs from Node: publicExponent in asymmetricKeyDetails is a Lua
-- integer (Node: a bigint); DER and PEM are strings; an encrypted key
-- without its passphrase raises ERR_MISSING_PASSPHRASE as Node documents
-- (Node 20 on OpenSSL 3 gives OpenSSL's error instead: nodejs/node#48881).
local core = require("luatls.loop").core
local errors = require("luatls.errors")
local jwk = require("luatls.internal.crypto.jwk")
local class = require("luatls.events").class
local util = require("luatls.internal.crypto.util")

local M = {}

-- KeyObject -> its C key; weak, so a collected KeyObject frees its key
local handles = setmetatable({}, { __mode = "k" })

local function invalidValue(name, value, reason, level)
  local shown = type(value) == "string" and string.format("'%s'", value) or tostring(value)
  errors.throw("ERR_INVALID_ARG_VALUE",
    string.format("The %s '%s' %s. Received %s", name:find("%.") and "property" or "argument",
      name, reason or "is invalid", shown),
    { name = "TypeError" }, level + 1)
end
M.invalidValue = invalidValue

local function incompatible(message, level)
  errors.throw("ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS", message, nil, level + 1)
end

local KeyObject = class(nil, "KeyObject")
M.KeyObject = KeyObject

-- KeyObject.new(handle): made only by the functions below (Node's
-- constructor is not public either)
function KeyObject:init(handle)
  if type(handle) ~= "userdata" then
    errors.throw("ERR_INVALID_ARG_TYPE", "KeyObject is made by createPrivateKey, createPublicKey, "
      .. "createSecretKey or generateKeyPair", { name = "TypeError" }, 3)
  end
  handles[self] = handle
  self.type = handle:kind()
  local t, details = handle:info()
  if self.type == "secret" then
    self.symmetricKeySize = details
  else
    self.asymmetricKeyType = t
    self.asymmetricKeyDetails = details
  end
end

function M.wrap(handle) return KeyObject.new(handle) end

-- handle(v) -> the C key of the KeyObject v, or nil
function M.handle(v) return handles[v] end

function M.isKeyObject(v) return handles[v] ~= nil end

-- equals(other) -> whether other is a KeyObject holding the same key
function KeyObject:equals(other)
  if not M.isKeyObject(other) then
    errors.invalidArgType("otherKeyObject", "an instance of KeyObject", other)
  end
  return handles[self]:equals(handles[other])
end

local STRUCTURES = {
  public = { pkcs1 = "rsa", spki = true },
  private = { pkcs1 = "rsa", pkcs8 = true, sec1 = "ec" },
}

-- exportArgs(kind, keyType, options, prefix, level) -> format, type,
-- cipher, passphrase checked as Node's parseKeyEncoding
local function encoding(kind, keyType, options, prefix, level)
  level = level + 1
  if type(options) ~= "table" then
    if prefix ~= "" then invalidValue(prefix, options, nil, level) end
    errors.invalidArgType("options", "of type table", options, level)
  end
  local p = prefix ~= "" and prefix .. "." or "options."
  local format = options.format
  if format ~= "pem" and format ~= "der" and format ~= "jwk" then
    invalidValue(p .. "format", format, nil, level)
  end
  if format == "jwk" then return format end
  local structure = options.type
  local allowed = STRUCTURES[kind][structure]
  if not allowed then invalidValue(p .. "type", structure, nil, level) end
  if allowed ~= true and allowed ~= keyType then
    incompatible(string.format("The selected key encoding %s can only be used for %s keys.",
      structure, allowed == "rsa" and "RSA" or "EC"), level)
  end
  local cipher, passphrase = options.cipher, options.passphrase
  if kind == "private" and cipher ~= nil then
    if type(cipher) ~= "string" then invalidValue(p .. "cipher", cipher, nil, level) end
    if format == "der" and structure ~= "pkcs8" then
      incompatible(string.format("The selected key encoding %s does not support encryption.", structure), level)
    end
    if type(passphrase) ~= "string" then invalidValue(p .. "passphrase", passphrase, nil, level) end
  elseif kind == "private" and passphrase ~= nil then
    invalidValue(p .. "cipher", cipher, nil, level)
  end
  return format, structure, cipher, passphrase
end

-- export([options]) -> the key: a secret key's bytes ({format="buffer"},
-- the default) or a JWK table ({format="jwk"}); an asymmetric key as PEM
-- or DER ({type=, format=, cipher=, passphrase=}) or a JWK table
function KeyObject:export(options)
  local h = handles[self]
  if self.type == "secret" then
    util.checkOptions(options, 2)
    local format = options and options.format or "buffer"
    if format == "buffer" then return h:export() end
    if format == "jwk" then return M.toJWK(self) end
    invalidValue("options.format", format, nil, 2)
  end
  local format, structure, cipher, passphrase = encoding(self.type, self.asymmetricKeyType, options, "", 2)
  if format == "jwk" then return M.toJWK(self) end
  return h:export(format, structure, cipher, passphrase)
end

-- toJWK(keyObject) -> a JWK table (internal/crypto/jwk.lua)
function M.toJWK(key) return jwk.export(handles[key]) end

-- parse(key, kind, level) -> a C key from what createPrivateKey /
-- createPublicKey take: PEM (a string), or { key=, format=, type=,
-- passphrase=, encoding= }
local function parse(key, kind, level)
  level = level + 1
  if type(key) == "string" then return core.key_parse(key, kind, "pem") end
  if type(key) ~= "table" or M.isKeyObject(key) then
    errors.invalidArgType("key", "of type string (a Buffer) or table", key, level)
  end
  local format = key.format == nil and "pem" or key.format
  if format == "jwk" then return M.fromJWK(key.key, kind, level) end
  if format ~= "pem" and format ~= "der" then invalidValue("options.format", format, nil, level) end
  local data = util.toBytes(key.key, "key.key", key.encoding, level)
  if format == "der" then
    local structure = key.type
    if not STRUCTURES[kind][structure] and not (kind == "public" and STRUCTURES.private[structure]) then
      invalidValue("options.type", structure, nil, level)
    end
  end
  local passphrase = key.passphrase
  if passphrase ~= nil and type(passphrase) ~= "string" then
    invalidValue("options.passphrase", passphrase, nil, level)
  end
  if passphrase ~= nil then passphrase = util.toBytes(passphrase, "key.passphrase", key.encoding, level) end
  return core.key_parse(data, kind, format, passphrase, format == "der" and key.type or nil)
end

-- fromJWK(jwk, kind, level) -> a C key from a JWK table
-- (internal/crypto/jwk.lua)
function M.fromJWK(t, kind, level) return jwk.import(t, kind, level + 1) end

-- createPrivateKey(key) -> KeyObject (type "private")
function M.createPrivateKey(key) return KeyObject.new(parse(key, "private", 2)) end

-- createPublicKey(key) -> KeyObject (type "public"): from a public key, a
-- certificate, a private key (PEM, DER or a private KeyObject)
function M.createPublicKey(key)
  local h = handles[key]
  if h == nil and type(key) == "table" then h = handles[key.key] end
  if h ~= nil then
    if h:kind() ~= "private" then
      errors.throw("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
        string.format("Invalid key object type %s, expected private.", h:kind()), { name = "TypeError" }, 2)
    end
    return KeyObject.new(h:public())
  end
  return KeyObject.new(parse(key, "public", 2))
end

-- createSecretKey(key[, encoding]) -> KeyObject (type "secret")
function M.createSecretKey(key, inputEncoding)
  return KeyObject.new(core.key_secret(util.toBytes(key, "key", inputEncoding, 2)))
end

-- prepare(key, kind, level) -> the C key of what sign/verify/diffieHellman
-- take: a KeyObject (a private one also where a public one is asked for),
-- or what createPrivateKey/createPublicKey take
function M.prepare(key, kind, level)
  level = (level or 2) + 1
  local h = handles[key]
  if h == nil and type(key) == "table" then h = handles[key.key] end
  if h ~= nil then
    local k = h:kind()
    if k == "secret" or (kind == "private" and k ~= "private") then
      errors.throw("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
        string.format("Invalid key object type %s, expected %s.", k, kind), { name = "TypeError" }, level)
    end
    return h
  end
  return parse(key, kind, level)
end

-- secret(key, name, level) -> what createHmac, createCipheriv and hkdf
-- give C as a key: the C key of a secret KeyObject, or the bytes of a
-- string (another KeyObject raises ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE)
function M.secret(key, name, level)
  level = (level or 2) + 1
  local h = handles[key]
  if h == nil then return util.toBytes(key, name, nil, level) end
  local k = h:kind()
  if k ~= "secret" then
    errors.throw("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
      string.format("Invalid key object type %s, expected secret.", k), { name = "TypeError" }, level)
  end
  return h
end

-- ---- generation ----------------------------------------------------------

local TYPES = { rsa = true, ["rsa-pss"] = true, ec = true, ed25519 = true, ed448 = true, x25519 = true, x448 = true }

local function generateArgs(keyType, options, level)
  level = level + 1
  util.checkType(keyType, "type", "string", level)
  if not TYPES[keyType] then
    invalidValue("type", keyType, "must be a supported key type", level)
  end
  if options ~= nil and type(options) ~= "table" then
    errors.invalidArgType("options", "of type table", options, level)
  end
  options = options or {}
  local bits, exponent, curve, hash, mgf1, salt
  if keyType == "rsa" or keyType == "rsa-pss" then
    bits = util.checkInteger(options.modulusLength, "options.modulusLength", 0, 0xFFFFFFFF, level)
    if options.publicExponent ~= nil then
      exponent = util.checkInteger(options.publicExponent, "options.publicExponent", 0, 0xFFFFFFFF, level)
    end
    if keyType == "rsa-pss" then
      hash, mgf1 = options.hashAlgorithm, options.mgf1HashAlgorithm
      if hash ~= nil then util.checkType(hash, "options.hashAlgorithm", "string", level) end
      if mgf1 ~= nil then util.checkType(mgf1, "options.mgf1HashAlgorithm", "string", level) end
      if options.saltLength ~= nil then
        salt = util.checkInteger(options.saltLength, "options.saltLength", 0, 0x7FFFFFFF, level)
      end
    end
  elseif keyType == "ec" then
    curve = options.namedCurve
    util.checkType(curve, "options.namedCurve", "string", level)
  end
  local pubEnc, privEnc = options.publicKeyEncoding, options.privateKeyEncoding
  if pubEnc ~= nil then encoding("public", keyType, pubEnc, "options.publicKeyEncoding", level) end
  if privEnc ~= nil then encoding("private", keyType, privEnc, "options.privateKeyEncoding", level) end
  return bits, exponent, curve, hash, mgf1, salt, pubEnc, privEnc
end

-- the pair as generateKeyPair gives it: KeyObjects, or each encoded as its
-- encoding option asks
local function deliver(pub, priv, pubEnc, privEnc)
  local p, k = KeyObject.new(pub), KeyObject.new(priv)
  return pubEnc and p:export(pubEnc) or p, privEnc and k:export(privEnc) or k
end

-- generateKeyPairSync(type, options) -> { publicKey =, privateKey = }
function M.generateKeyPairSync(keyType, options)
  local bits, exponent, curve, hash, mgf1, salt, pubEnc, privEnc = generateArgs(keyType, options, 2)
  local pub, priv = core.key_generate(keyType, bits, exponent, curve, hash, mgf1, salt)
  local p, k = deliver(pub, priv, pubEnc, privEnc)
  return { publicKey = p, privateKey = k }
end

-- generateKeyPair(type, options, callback): callback(err, publicKey,
-- privateKey) once generated on the thread pool
function M.generateKeyPair(keyType, options, callback)
  if type(options) == "function" and callback == nil then options, callback = nil, options end
  local bits, exponent, curve, hash, mgf1, salt, pubEnc, privEnc = generateArgs(keyType, options, 2)
  util.checkType(callback, "callback", "function", 2)
  core.key_generate(keyType, bits, exponent, curve, hash, mgf1, salt, function(err, pub, priv)
    if err then return callback(err) end
    local ok, p, k = pcall(deliver, pub, priv, pubEnc, privEnc)
    if not ok then return callback(p) end
    callback(nil, p, k)
  end)
end

return M
