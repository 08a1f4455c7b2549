-- luatls.internal.crypto.hash: Node's Hash and Hmac classes, crypto.hash
-- and getHashes over src/crypto/hash.c and src/crypto/hmac.c (the state,
-- and an HMAC's key, stay in C). The face is lua/luatls/crypto.lua.
--
-- Errors as Node's: an unknown algorithm raises ERR_CRYPTO_INVALID_DIGEST,
-- update() or a Hash's digest() after its digest ERR_CRYPTO_HASH_FINALIZED
-- (an Hmac's second digest() gives "" as in Node), a wrong argument type
-- ERR_INVALID_ARG_TYPE.
--
-- Differs from Node: a Hash or an Hmac is not a stream (no write/pipe).
local core = require("luatls.loop").core
local errors = require("luatls.errors")
local class = require("luatls.events").class
local keys = require("luatls.internal.crypto.keys")
local util = require("luatls.internal.crypto.util")

local toBytes, encode, outputEncoding = util.toBytes, util.encode, util.outputEncoding

local M = {}

local function checkAlgorithm(algorithm, level)
  util.checkType(algorithm, "algorithm", "string", level + 1)
end

-- options.outputLength: nil or an integer 0..2^32-1 (the output length of
-- an XOF such as shake256; another digest accepts only its own)
local function outputLength(options, level)
  util.checkOptions(options, level + 1)
  local n = options and options.outputLength
  if n == nil then return nil end
  if type(n) ~= "number" then
    errors.invalidArgType("options.outputLength", "of type number", n, level + 1)
  end
  local i = math.tointeger(n)
  if not i or i < 0 or i > 0xFFFFFFFF then
    errors.outOfRange("options.outputLength", "an integer >= 0 && <= 4294967295", n, level + 1)
  end
  return i
end

-- update(data[, inputEncoding]) and digest([outputEncoding]), shared by
-- Hash and Hmac: self._handle is the C object
local function update(self, data, inputEncoding)
  if inputEncoding ~= nil or type(data) ~= "string" then
    data = toBytes(data, "data", inputEncoding, 2) -- bytes as they are otherwise
  end
  self._handle:update(data)
  return self
end

local function digest(self, enc)
  if enc == nil then return self._handle:digest() end
  return encode(self._handle:digest(), outputEncoding(enc))
end

-- Hash: createHash(algorithm[, options]). Hash and Hmac have no
-- properties, so their instances find methods in the class table itself
-- (no __index call per method call): a small digest costs about as much in
-- Lua as in OpenSSL.
local Hash = class(nil, "Hash")
Hash.__index = Hash
M.Hash = Hash

-- copy() makes a Hash around a C hasher: Hash.new(COPY, hasher)
local COPY = {}

function Hash:init(algorithm, options)
  if algorithm == COPY then
    self._handle = options
    return
  end
  checkAlgorithm(algorithm, 4)
  self._handle = core.hash_new(algorithm, outputLength(options, 4))
end

Hash.update, Hash.digest = update, digest

-- copy([options]) -> a Hash in this one's state, independent of it
function Hash:copy(options)
  return Hash.new(COPY, self._handle:copy(outputLength(options, 2)))
end

function M.createHash(algorithm, options)
  checkAlgorithm(algorithm, 2)
  local n = options ~= nil and outputLength(options, 2) or nil
  return setmetatable({ _handle = core.hash_new(algorithm, n) }, Hash)
end

-- Hmac: createHmac(algorithm, key[, options]); options.encoding is the
-- key's, when it is text in an encoding
local Hmac = class(nil, "Hmac")
Hmac.__index = Hmac
M.Hmac = Hmac

function Hmac:init(algorithm, key, options)
  checkAlgorithm(algorithm, 4)
  util.checkOptions(options, 4)
  if keys.isKeyObject(key) then
    key = keys.secret(key, "key", 4)
  else
    key = toBytes(key, "key", options and options.encoding, 4)
  end
  self._handle = core.hmac_new(algorithm, key)
end

Hmac.update, Hmac.digest = update, digest

function M.createHmac(algorithm, key, options)
  if options ~= nil or type(key) ~= "string" or type(algorithm) ~= "string" then
    return Hmac.new(algorithm, key, options) -- checks and converts
  end
  return setmetatable({ _handle = core.hmac_new(algorithm, key) }, Hmac)
end

-- hash(algorithm, data[, outputEncoding]) -> the digest of data in one call
-- (Node 21.7+): "hex" by default, "buffer" for the raw bytes
function M.hash(algorithm, data, enc)
  checkAlgorithm(algorithm, 2)
  toBytes(data, "input", nil, 2)
  if enc == nil then enc = "hex" end
  if type(enc) ~= "string" then errors.invalidArgType("outputEncoding", "of type string", enc) end
  local out = outputEncoding(enc)
  if out == nil and enc:lower() ~= "buffer" then
    errors.throw("ERR_INVALID_ARG_VALUE",
      string.format("The argument 'outputEncoding' is invalid. Received %q", enc), { name = "TypeError" })
  end
  return encode(core.digest(algorithm, data), out)
end

-- getHashes() -> the sorted names createHash takes (Node's, in lower case)
function M.getHashes()
  return core.hash_names()
end

return M
