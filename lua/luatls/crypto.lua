-- luatls.crypto: Node's crypto module, its first parts: randomness, message
-- digests, HMACs and key derivation over OpenSSL 3 (keys and state stay in
-- C objects), symmetric ciphers, keys, signatures and key agreement.
--
--   local crypto = require("crypto")
--   crypto.createHash("sha256"):update("abc"):digest("hex")
--   crypto.hash("sha1", "abc")                       -- hex by default
--   crypto.createHmac("sha256", key):update(msg):digest("base64")
--   crypto.randomBytes(48)                           -- e.g. ticketKeys
--   crypto.randomInt(1, 7), crypto.randomUUID()
--   crypto.scrypt(password, salt, 64, function(err, key) end)
--
-- Buffers are Lua strings; encodings are buffer.lua's ("hex", "base64",
-- "base64url", "latin1"/"binary", "utf8", ...).
--
-- What exists:
--   randomBytes(size[, cb]), randomInt([min, ]max[, cb]), randomUUID()
--       (internal/crypto/random.lua)
--   createHash(alg[, options]) -> Hash: update(data[, enc]), digest([enc]),
--       copy([options]); options.outputLength for shake128/shake256
--   createHmac(alg, key[, options]) -> Hmac: update(data[, enc]),
--       digest([enc])
--   hash(alg, data[, enc]), getHashes()      (internal/crypto/hash.lua)
--   timingSafeEqual(a, b)                    (internal/crypto/util.lua)
--   pbkdf2(password, salt, iterations, keylen, digest, cb), pbkdf2Sync(...),
--   scrypt(password, salt, keylen[, options], cb), scryptSync(...),
--   hkdf(digest, ikm, salt, info, keylen, cb), hkdfSync(...): the derived
--       key is a string; the callback forms run on the thread pool
--       (internal/crypto/kdf.lua)
--
--   createCipheriv(alg, key, iv[, options]) -> Cipher, createDecipheriv(...)
--       -> Decipher: update(data[, inEnc][, outEnc]), final([outEnc]),
--       setAAD(buf[, {plaintextLength=}]), setAutoPadding([bool]),
--       getAuthTag() (Cipher, after final), setAuthTag(tag) (Decipher);
--       aes-*-gcm/ccm/cbc/ctr, chacha20-poly1305, ...; getCiphers()
--       (internal/crypto/cipher.lua)
--
--   createPrivateKey(key), createPublicKey(key), createSecretKey(key[, enc])
--       -> KeyObject: type, asymmetricKeyType, asymmetricKeyDetails,
--       symmetricKeySize, export(options), equals(other); JWK both ways:
--       export({ format = "jwk" }) -> { kty =, ... } (RSA, EC on P-256,
--       secp256k1, P-384, P-521, OKP, oct), createPrivateKey/
--       createPublicKey({ key = jwk, format = "jwk" }) (internal/crypto/
--       jwk.lua);
--       generateKeyPair(type, options, cb), generateKeyPairSync(type,
--       options) -> { publicKey =, privateKey = } for rsa, rsa-pss, ec,
--       ed25519, ed448, x25519, x448 (internal/crypto/keys.lua)
--
--   sign(alg, data, key[, cb]), verify(alg, data, key, signature[, cb]),
--       createSign(alg) -> Sign: update(data[, enc]), sign(key[, enc]);
--       createVerify(alg) -> Verify: update(data[, enc]), verify(key,
--       signature[, enc]); RSA PKCS#1 v1.5 and PSS (key.padding,
--       key.saltLength), rsa-pss, ECDSA (key.dsaEncoding "der" or
--       "ieee-p1363"), DSA, Ed25519, Ed448 (internal/crypto/sign.lua)
--   diffieHellman({ privateKey =, publicKey = }[, cb]) (ec, x25519, x448),
--       createECDH(curve) -> ECDH: generateKeys, computeSecret,
--       getPublicKey, getPrivateKey, setPrivateKey, setPublicKey;
--       ECDH.convertKey(...), getCurves() (internal/crypto/dh.lua)
--   constants: RSA_* paddings and salt lengths, POINT_CONVERSION_*, SSL_OP_*
--
--   X509Certificate.new(pem_or_der) -> X509Certificate: subject, issuer,
--       subjectAltName, infoAccess, validFrom, validTo, validFromDate,
--       validToDate, fingerprint(256|512), serialNumber, ca, keyUsage,
--       publicKey, raw, issuerCertificate; checkHost, checkEmail, checkIP,
--       checkIssued, checkPrivateKey, verify, toString, toJSON,
--       toLegacyObject (internal/crypto/x509.lua); TLSSocket's
--       getX509Certificate() and getPeerX509Certificate() give them too
--
-- luatls's own, not Node's (Node cannot make certificates):
--   createCertificate(options), createCSR(options), createCRL(options) ->
--       PEM: certificates (self-signed, or issued by a CA's certificate and
--       key, or from a CSR) with SANs, basicConstraints, key usages, AIA,
--       CDP, SKI/AKI; certificate requests; revocation lists
--       (internal/crypto/mkcert.lua; tls.createSelfSigned builds on them)
--
-- Not here yet (absent, not stubs): createDiffieHellman,
-- getDiffieHellman, publicEncrypt and the other RSA encryptions,
-- webcrypto.
local cipher = require("luatls.internal.crypto.cipher")
local dh = require("luatls.internal.crypto.dh")
local hash = require("luatls.internal.crypto.hash")
local kdf = require("luatls.internal.crypto.kdf")
local mkcert = require("luatls.internal.crypto.mkcert")
local keys = require("luatls.internal.crypto.keys")
local random = require("luatls.internal.crypto.random")
local sign = require("luatls.internal.crypto.sign")
local util = require("luatls.internal.crypto.util")
local x509 = require("luatls.internal.crypto.x509")

local M = {}

M.randomBytes = random.randomBytes
M.randomInt = random.randomInt
M.randomUUID = random.randomUUID

M.Hash = hash.Hash
M.createHash = hash.createHash
M.Hmac = hash.Hmac
M.createHmac = hash.createHmac
M.hash = hash.hash
M.getHashes = hash.getHashes

M.timingSafeEqual = util.timingSafeEqual

M.pbkdf2 = kdf.pbkdf2
M.pbkdf2Sync = kdf.pbkdf2Sync
M.scrypt = kdf.scrypt
M.scryptSync = kdf.scryptSync
M.hkdf = kdf.hkdf
M.hkdfSync = kdf.hkdfSync

M.Cipher = cipher.Cipher
M.Decipher = cipher.Decipher
M.createCipheriv = cipher.createCipheriv
M.createDecipheriv = cipher.createDecipheriv
M.getCiphers = cipher.getCiphers

M.KeyObject = keys.KeyObject
M.createPrivateKey = keys.createPrivateKey
M.createPublicKey = keys.createPublicKey
M.createSecretKey = keys.createSecretKey
M.generateKeyPair = keys.generateKeyPair
M.generateKeyPairSync = keys.generateKeyPairSync

M.Sign = sign.Sign
M.Verify = sign.Verify
M.createSign = sign.createSign
M.createVerify = sign.createVerify
M.sign = sign.sign
M.verify = sign.verify

M.diffieHellman = dh.diffieHellman
M.ECDH = dh.ECDH
M.createECDH = dh.createECDH
M.getCurves = dh.getCurves

-- Node's crypto.constants (OpenSSL's values) for the options above
M.constants = {
  RSA_PKCS1_PADDING = 1,
  RSA_NO_PADDING = 3,
  RSA_PKCS1_OAEP_PADDING = 4,
  RSA_X931_PADDING = 5,
  RSA_PKCS1_PSS_PADDING = 6,
  RSA_PSS_SALTLEN_DIGEST = -1,
  RSA_PSS_SALTLEN_MAX_SIGN = -2,
  RSA_PSS_SALTLEN_AUTO = -2,
  POINT_CONVERSION_COMPRESSED = 2,
  POINT_CONVERSION_UNCOMPRESSED = 4,
  POINT_CONVERSION_HYBRID = 6,
}
-- and the SSL_OP_* option bits (for secureOptions), as Node's has them
for k, v in pairs(require("luatls.core").ssl_constants) do M.constants[k] = v end
-- the built-in cipher list, and the one at startup (--tls-cipher-list's)
local tlsSettings = require("luatls.internal.tls.settings")
M.constants.defaultCoreCipherList = tlsSettings._coreCipherList
M.constants.defaultCipherList = tlsSettings._cipherList

-- luatls's own
M.createCertificate = mkcert.createCertificate
M.createCSR = mkcert.createCSR
M.createCRL = mkcert.createCRL

M.X509Certificate = x509.X509Certificate

return M
