-- luatls.internal.crypto.dh: key agreement: Node's diffieHellman (two
-- KeyObjects: ec, x25519, x448, dh), ECDH (createECDH, ECDH.convertKey)
-- and getCurves over src/crypto/dh.c. The face is lua/luatls/crypto.lua.
--
-- Points are given and returned in Node's forms: "uncompressed" (04||x||y,
-- the default), "compressed" (02/03||x), "hybrid" (06/07||x||y); keys and
-- secrets as raw bytes or in an encoding (buffer.lua's).
--
-- Differs from Node: diffieHellman takes the callback of Node 23 (the
-- secret derived on the thread pool; Node 20 ignores it);
-- createDiffieHellman and getDiffieHellman (finite-field groups) are not
-- here.
local core = require("luatls.loop").core
local buffer = require("luatls.buffer")
local errors = require("luatls.errors")
local class = require("luatls.events").class
local keys = require("luatls.internal.crypto.keys")
local util = require("luatls.internal.crypto.util")

local M = {}

local DH_TYPES = { ec = true, x25519 = true, x448 = true, dh = true }

-- diffieHellman({ privateKey =, publicKey = }[, callback]) -> the secret
-- the two keys share (or callback(err, secret) from the thread pool)
function M.diffieHellman(options, callback)
  util.checkType(options, "options", "table", 2)
  util.checkCallback(callback, 2)
  local priv, pub = options.privateKey, options.publicKey
  if not keys.isKeyObject(priv) then keys.invalidValue("options.privateKey", priv, nil, 2) end
  if not keys.isKeyObject(pub) then keys.invalidValue("options.publicKey", pub, nil, 2) end
  if priv.type ~= "private" then
    errors.throw("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
      string.format("Invalid key object type %s, expected private.", priv.type), { name = "TypeError" })
  end
  if pub.type == "secret" then
    errors.throw("ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
      "Invalid key object type secret, expected private or public.", { name = "TypeError" })
  end
  local a, b = priv.asymmetricKeyType, pub.asymmetricKeyType
  if a ~= b or not DH_TYPES[a] then
    errors.throw("ERR_CRYPTO_INCOMPATIBLE_KEY",
      string.format("Incompatible key types for Diffie-Hellman: %s and %s", tostring(a), tostring(b)))
  end
  return core.dh_derive(keys.handle(priv), keys.handle(pub), callback)
end

-- Node's POINT_CONVERSION_* for a format name (nil: uncompressed)
local FORMATS = { compressed = 2, uncompressed = 4, hybrid = 6 }

local function pointForm(format, level)
  if format == nil or format == false or format == "" then return FORMATS.uncompressed end
  local f = FORMATS[format]
  if not f then
    errors.throw("ERR_CRYPTO_ECDH_INVALID_FORMAT", "Invalid ECDH format: " .. tostring(format),
      { name = "TypeError" }, level + 1)
  end
  return f
end

-- bytes in an output encoding (nil or "buffer": as they are; an unknown
-- one raises ERR_UNKNOWN_ENCODING, as Node's)
local function encode(bytes, enc)
  if enc == nil or enc == "buffer" then return bytes end
  return buffer.toString(bytes, enc)
end

-- ECDH: createECDH(curve); curve is OpenSSL's short name (getCurves())
local ECDH = class(nil, "ECDH")
M.ECDH = ECDH

function ECDH:init(curve)
  util.checkType(curve, "curve", "string", 4)
  self._handle = core.ecdh_new(curve)
end

-- generateKeys([encoding[, format]]) -> the new public key
function ECDH:generateKeys(enc, format)
  self._handle:generate()
  return self:getPublicKey(enc, format)
end

-- getPublicKey([encoding[, format]]) -> the public point
function ECDH:getPublicKey(enc, format)
  local form = pointForm(format, 2)
  return encode(self._handle:public(form), enc)
end

-- getPrivateKey([encoding]) -> the private scalar (big-endian, no leading
-- zero bytes, as Node)
function ECDH:getPrivateKey(enc)
  return encode(self._handle:private(), enc)
end

-- setPrivateKey(key[, encoding]) -> self; the public key follows
function ECDH:setPrivateKey(key, enc)
  self._handle:set_private(util.toBytes(key, "key", enc, 2))
  return self
end

-- setPublicKey(key[, encoding]) -> self (deprecated in Node: the public
-- key follows from the private one)
function ECDH:setPublicKey(key, enc)
  self._handle:set_public(util.toBytes(key, "key", enc, 2))
  return self
end

-- computeSecret(otherPublicKey[, inputEncoding][, outputEncoding]) -> the
-- shared secret (ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY for a point not on
-- the curve)
function ECDH:computeSecret(key, inEnc, outEnc)
  return encode(self._handle:compute(util.toBytes(key, "key", inEnc, 2)), outEnc)
end

-- ECDH.convertKey(key, curve[, inputEncoding[, outputEncoding[, format]]])
-- -> the point key of curve in another form
function ECDH.convertKey(key, curve, inEnc, outEnc, format)
  util.checkType(curve, "curve", "string", 2)
  key = util.toBytes(key, "key", inEnc, 2)
  return encode(core.ecdh_convert(key, curve, pointForm(format, 2)), outEnc)
end

function M.createECDH(curve) return ECDH.new(curve) end

-- getCurves() -> the sorted names createECDH takes
local curves
function M.getCurves()
  if not curves then
    curves = core.ec_curves()
    table.sort(curves)
  end
  return table.move(curves, 1, #curves, 1, {})
end

return M
