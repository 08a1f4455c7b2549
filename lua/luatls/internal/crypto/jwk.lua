-- luatls.internal.crypto.jwk: JSON Web Keys for KeyObject (keys.lua calls
-- it: export({format="jwk"}) and createPrivateKey/createPublicKey({key=,
-- format="jwk"})). The key material is read and written by
-- src/crypto/jwk.c; this file checks a JWK's fields first, in Node's order
-- and with Node's errors.
--
--   jwk.export(handle) -> { kty=, ... } (base64url strings, as Node's)
--   jwk.import(jwk, kind, level) -> a C key ("public" or "private")
--
-- As Node: createSecretKey takes bytes only, so an "oct" JWK is exported
-- but not imported (kty must be RSA, EC or OKP); a private key is made of
-- the private fields (an OKP's x, an EC key's pairing of d with x and y
-- are not checked), a public key of the public ones (d is ignored).
local core = require("luatls.loop").core
local errors = require("luatls.errors")

local M = {}

-- the fields each kty needs, in the order Node checks them; crv's values
local FIELDS = {
  RSA = { public = { "n", "e" }, private = { "d", "p", "q", "dp", "dq", "qi" } },
  EC = { crv = { "P-256", "secp256k1", "P-384", "P-521" }, public = { "x", "y" }, private = { "d" } },
  OKP = { crv = { "Ed25519", "Ed448", "X25519", "X448" }, public = { "x" }, private = { "d" } },
}

local received = errors.received

local function checkString(v, name, level)
  if type(v) ~= "string" then
    errors.throw("ERR_INVALID_ARG_TYPE",
      string.format('The "%s" property must be of type string. Received %s', name, received(v)),
      { name = "TypeError" }, level + 1)
  end
end

local function checkOneOf(v, name, list, level)
  for _, allowed in ipairs(list) do
    if v == allowed then return end
  end
  errors.throw("ERR_INVALID_ARG_VALUE",
    string.format("The property '%s' must be one of: '%s'. Received %s", name, table.concat(list, "', '"),
      type(v) == "string" and "'" .. v .. "'" or v == nil and "undefined" or tostring(v)),
    { name = "TypeError" }, level + 1)
end

function M.export(handle) return core.jwk_export(handle) end

function M.import(jwk, kind, level)
  level = level + 1
  if type(jwk) ~= "table" then
    errors.throw("ERR_INVALID_ARG_TYPE",
      string.format('The "key.key" property must be of type object. Received %s', received(jwk)),
      { name = "TypeError" }, level)
  end
  local kty = jwk.kty
  checkOneOf(kty, "key.kty", { "RSA", "EC", "OKP" }, level)
  local fields = FIELDS[kty]
  if fields.crv then
    checkString(jwk.crv, "key.crv", level)
    checkOneOf(jwk.crv, "key.crv", fields.crv, level)
  end
  for _, name in ipairs(fields.public) do checkString(jwk[name], "key." .. name, level) end
  if kind == "private" then
    for _, name in ipairs(fields.private) do checkString(jwk[name], "key." .. name, level) end
  end
  return core.jwk_import(jwk, kind)
end

return M
