-- luatls.internal.crypto.kdf: Node's key derivation, pbkdf2, scrypt and
-- hkdf with their Sync forms, over src/crypto/kdf.c (OpenSSL's EVP_KDF).
-- The face is lua/luatls/crypto.lua.
--
-- The arguments are checked here with Node's codes and messages
-- (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE); an unknown digest
-- (ERR_CRYPTO_INVALID_DIGEST), scrypt parameters OpenSSL refuses
-- (ERR_CRYPTO_INVALID_SCRYPT_PARAMS) and an HKDF length over 255 digests
-- (ERR_CRYPTO_INVALID_KEYLEN) raise from C, at once also for the callback
-- forms. A callback form derives on libuv's thread pool and calls
-- callback(err, derivedKey) from the loop.
--
-- Differs from Node: the derived key is a string (Node gives a Buffer, and
-- an ArrayBuffer for hkdf); scrypt's options must be a table or nil (Node
-- ignores a non-object). hkdf's key may be a secret KeyObject, as Node's
-- (where Node aborts on another KeyObject, luatls raises
-- ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE).
local core = require("luatls.loop").core
local errors = require("luatls.errors")
local keys = require("luatls.internal.crypto.keys")
local util = require("luatls.internal.crypto.util")

local toBytes, checkInteger = util.toBytes, util.checkInteger

local M = {}

local INT32_MAX = 0x7FFFFFFF
local UINT32_MAX = 0xFFFFFFFF
local MAX_SAFE = (1 << 53) - 1
local HKDF_MAX_LENGTH = 1 << 32 -- Node's kMaxLength here

local function checkDigest(digest, level)
  util.checkType(digest, "digest", "string", level + 1)
end

local function requireCallback(callback, level)
  util.checkType(callback, "callback", "function", level + 1)
end

-- pbkdf2: Node's check(): digest, password, salt, iterations, keylen
local function pbkdf2Args(password, salt, iterations, keylen, digest, level)
  level = level + 1
  checkDigest(digest, level)
  toBytes(password, "password", nil, level)
  toBytes(salt, "salt", nil, level)
  iterations = checkInteger(iterations, "iterations", 1, INT32_MAX, level)
  keylen = checkInteger(keylen, "keylen", 0, INT32_MAX, level)
  return iterations, keylen
end

-- pbkdf2Sync(password, salt, iterations, keylen, digest) -> keylen bytes
-- (PBKDF2 with HMAC over digest)
function M.pbkdf2Sync(password, salt, iterations, keylen, digest)
  iterations, keylen = pbkdf2Args(password, salt, iterations, keylen, digest, 2)
  return core.pbkdf2(password, salt, iterations, keylen, digest)
end

-- pbkdf2(password, salt, iterations, keylen, digest, callback):
-- callback(err, derivedKey) once derived on the thread pool
function M.pbkdf2(password, salt, iterations, keylen, digest, callback)
  if type(digest) == "function" then digest, callback = nil, digest end
  iterations, keylen = pbkdf2Args(password, salt, iterations, keylen, digest, 2)
  requireCallback(callback, 2)
  core.pbkdf2(password, salt, iterations, keylen, digest, callback)
end

-- scrypt's defaults, Node's
local DEFAULTS = { N = 16384, r = 8, p = 1, maxmem = 32 << 20 }

-- an scrypt parameter under its two names (N or cost, ...): nil when absent
local function option(options, name, alias, level)
  local v, w = options[name], options[alias]
  if v ~= nil and w ~= nil then
    errors.throw("ERR_INCOMPATIBLE_OPTION_PAIR",
      string.format('Option "%s" cannot be used in combination with option "%s"', name, alias),
      { name = "TypeError" }, level + 1)
  end
  if v ~= nil then return checkInteger(v, name, 0, UINT32_MAX, level + 1) end
  if w ~= nil then return checkInteger(w, alias, 0, UINT32_MAX, level + 1) end
  return nil
end

-- scrypt: Node's check(): password, salt, keylen, options -> the parameters
local function scryptArgs(password, salt, keylen, options, level)
  level = level + 1
  toBytes(password, "password", nil, level)
  toBytes(salt, "salt", nil, level)
  keylen = checkInteger(keylen, "keylen", 0, INT32_MAX, level)
  util.checkOptions(options, level)
  local N, r, p, maxmem = DEFAULTS.N, DEFAULTS.r, DEFAULTS.p, DEFAULTS.maxmem
  if options then
    N = option(options, "N", "cost", level) or N
    r = option(options, "r", "blockSize", level) or r
    p = option(options, "p", "parallelization", level) or p
    if options.maxmem ~= nil then maxmem = checkInteger(options.maxmem, "maxmem", 0, MAX_SAFE, level) end
    if N == 0 then N = DEFAULTS.N end
    if r == 0 then r = DEFAULTS.r end
    if p == 0 then p = DEFAULTS.p end
    if maxmem == 0 then maxmem = DEFAULTS.maxmem end
  end
  return keylen, N, r, p, maxmem
end

-- scryptSync(password, salt, keylen[, options]) -> keylen bytes; options:
-- N (cost, a power of 2 > 1), r (blockSize), p (parallelization), maxmem
-- (bytes, 32 MiB by default; 128 * N * r must stay below it)
function M.scryptSync(password, salt, keylen, options)
  return core.scrypt(password, salt, scryptArgs(password, salt, keylen, options, 2))
end

-- scrypt(password, salt, keylen[, options], callback): callback(err,
-- derivedKey) once derived on the thread pool
function M.scrypt(password, salt, keylen, options, callback)
  if callback == nil then options, callback = nil, options end
  local n, N, r, p, maxmem = scryptArgs(password, salt, keylen, options, 2)
  requireCallback(callback, 2)
  core.scrypt(password, salt, n, N, r, p, maxmem, callback)
end

-- hkdf: Node's validateParameters()
local function hkdfArgs(digest, ikm, salt, info, keylen, level)
  level = level + 1
  checkDigest(digest, level)
  ikm = keys.secret(ikm, "ikm", level)
  toBytes(salt, "salt", nil, level)
  toBytes(info, "info", nil, level)
  keylen = checkInteger(keylen, "length", 0, HKDF_MAX_LENGTH, level)
  if #info > 1024 then
    errors.outOfRange("info", "must not contain more than 1024 bytes", #info, level)
  end
  return keylen, ikm
end

-- hkdfSync(digest, ikm, salt, info, keylen) -> keylen bytes (HKDF, RFC 5869;
-- keylen at most 255 digests)
function M.hkdfSync(digest, ikm, salt, info, keylen)
  keylen, ikm = hkdfArgs(digest, ikm, salt, info, keylen, 2)
  return core.hkdf(digest, ikm, salt, info, keylen)
end

-- hkdf(digest, ikm, salt, info, keylen, callback): callback(err,
-- derivedKey) once derived on the thread pool
function M.hkdf(digest, ikm, salt, info, keylen, callback)
  keylen, ikm = hkdfArgs(digest, ikm, salt, info, keylen, 2)
  requireCallback(callback, 2)
  core.hkdf(digest, ikm, salt, info, keylen, callback)
end

return M
