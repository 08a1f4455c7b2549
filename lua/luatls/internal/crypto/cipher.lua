-- luatls.internal.crypto.cipher: Node's Cipher and Decipher classes
-- (createCipheriv, createDecipheriv) and getCiphers over
-- src/crypto/cipher.c (the context and the key stay in C). The face is
-- lua/luatls/crypto.lua.
--
-- Errors as Node's: an unknown algorithm raises ERR_CRYPTO_UNKNOWN_CIPHER,
-- a wrong key length ERR_CRYPTO_INVALID_KEYLEN (a RangeError), a wrong IV
-- ERR_CRYPTO_INVALID_IV, a wrong or missing authTagLength
-- ERR_CRYPTO_INVALID_AUTH_TAG; a failed authentication makes final() raise
-- "Unsupported state or unable to authenticate data", a bad padding
-- ERR_OSSL_BAD_DECRYPT; anything after final() ERR_CRYPTO_INVALID_STATE.
--
-- Differs from Node: not a stream (no write/pipe); the key is a string or a
-- secret KeyObject, the iv a string; update() after final() has the code
-- ERR_CRYPTO_INVALID_STATE (Node's error has the message only), as has an
-- update the cipher refuses (a CCM message longer than announced); an
-- output encoding holds back partial base64 groups across update() calls
-- as Node's StringDecoder, but not partial utf8/utf16le characters.
local core = require("luatls.loop").core
local class = require("luatls.events").class
local keys = require("luatls.internal.crypto.keys")
local util = require("luatls.internal.crypto.util")

local toBytes, encode, outputEncoding = util.toBytes, util.encode, util.outputEncoding

local M = {}

-- options.authTagLength: nil or a number (the C side checks its value)
local function authTagLength(options, level)
  util.checkOptions(options, level + 1)
  local n = options and options.authTagLength
  if n ~= nil then n = util.checkInteger(n, "options.authTagLength", 0, 0x7FFFFFFF, level + 1) end
  return n
end

local function init(self, decrypt, algorithm, key, iv, options)
  util.checkType(algorithm, "cipher", "string", 5)
  key = keys.secret(key, "key", 5)
  if iv ~= nil then iv = toBytes(iv, "iv", nil, 5) end
  self._handle = core.cipher_new(algorithm, key, iv, decrypt, authTagLength(options, 5))
  self._carry = ""
end

-- out(self, bytes, enc, last) -> bytes in enc; base64 keeps whole groups
-- of 3 bytes until the last call, as Node's StringDecoder
local function out(self, bytes, enc, last)
  enc = outputEncoding(enc)
  if enc == nil then return bytes end
  local e = enc:lower()
  if e == "base64" or e == "base64url" then
    bytes = self._carry .. bytes
    local keep = last and 0 or #bytes % 3
    self._carry = bytes:sub(#bytes - keep + 1)
    bytes = bytes:sub(1, #bytes - keep)
  end
  return encode(bytes, enc)
end

-- update(data[, inputEncoding][, outputEncoding]) -> the output so far
local function update(self, data, inputEncoding, outputEnc)
  return out(self, self._handle:update(toBytes(data, "data", inputEncoding, 2)), outputEnc, false)
end

-- final([outputEncoding]) -> the rest of the output
local function final(self, outputEnc)
  return out(self, self._handle:final(), outputEnc, true)
end

-- setAAD(buffer[, options]) -> self; options.plaintextLength for CCM
local function setAAD(self, aad, options)
  aad = toBytes(aad, "buffer", nil, 2)
  util.checkOptions(options, 2)
  local plen = options and options.plaintextLength
  if plen ~= nil then plen = util.checkInteger(plen, "options.plaintextLength", 0, 0x7FFFFFFF, 2) end
  self._handle:set_aad(aad, plen)
  return self
end

-- setAutoPadding([autoPadding]) -> self (true when not given)
local function setAutoPadding(self, autoPadding)
  self._handle:set_padding(autoPadding == nil or autoPadding ~= false)
  return self
end

local Cipher = class(nil, "Cipher")
M.Cipher = Cipher

function Cipher:init(algorithm, key, iv, options) init(self, false, algorithm, key, iv, options) end

Cipher.update, Cipher.final, Cipher.setAAD, Cipher.setAutoPadding = update, final, setAAD, setAutoPadding

-- getAuthTag() -> the tag of an AEAD cipher, after final()
function Cipher:getAuthTag() return self._handle:get_tag() end

local Decipher = class(nil, "Decipher")
M.Decipher = Decipher

function Decipher:init(algorithm, key, iv, options) init(self, true, algorithm, key, iv, options) end

Decipher.update, Decipher.final, Decipher.setAAD, Decipher.setAutoPadding = update, final, setAAD, setAutoPadding

-- setAuthTag(tag) -> self: the tag an AEAD decipher checks, before final()
function Decipher:setAuthTag(tag)
  self._handle:set_tag(toBytes(tag, "buffer", nil, 2))
  return self
end

function M.createCipheriv(algorithm, key, iv, options) return Cipher.new(algorithm, key, iv, options) end

function M.createDecipheriv(algorithm, key, iv, options) return Decipher.new(algorithm, key, iv, options) end

-- getCiphers() -> the sorted, lower-case names createCipheriv takes
local names
function M.getCiphers()
  if not names then
    local seen = {}
    names = {}
    for _, n in ipairs(core.cipher_names()) do
      n = n:lower()
      if not seen[n] then
        seen[n] = true
        names[#names + 1] = n
      end
    end
    table.sort(names)
  end
  return table.move(names, 1, #names, 1, {})
end

return M
