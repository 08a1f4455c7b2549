-- luatls.internal.crypto.mkcert: certificates in a line. luatls's own API,
-- not Node's (Node has no way to make a certificate): createCertificate,
-- createCSR and createCRL check their options here and src/crypto/mkcert.c
-- builds and signs with OpenSSL. Each returns PEM.
--
--   createCertificate({
--     subject = { CN = "localhost", O = "Example", OU = { "A", "B" } },
--                           -- or "C=US, O=Example, CN=localhost" (that order)
--     subjectAltName = { "DNS:localhost", "IP:127.0.0.1", "IP:::1",
--                        "email:a@example.com", "URI:spiffe://example/x" },
--     publicKey = ...,      -- KeyObject or PEM; default: the CSR's, else the
--                           -- signing key's (self-signed)
--     signingKey = ...,     -- KeyObject, PEM or { key =, passphrase = }
--     issuer = caPem,       -- PEM, DER or { raw = DER } (an X509Certificate);
--                           -- absent: self-signed (issuer name = subject)
--     serialNumber = "01ab",            -- hex; default 16 random bytes
--     notBefore = os.time(),            -- or "2020-01-01[THH:MM[:SS]][Z|+HH:MM]"
--     notAfter = ..., days = 365,       -- notAfter, or notBefore + days
--     ca = true, pathLength = 0,        -- basicConstraints (always, critical)
--     keyUsage = { "digitalSignature", "keyEncipherment" },   -- critical;
--                           -- default for ca: keyCertSign, cRLSign
--     extKeyUsage = { "serverAuth", "clientAuth", "1.2.3.4" },
--     ocspURL = "http://ocsp.example/", caIssuersURL = ..., crlURL = ...,
--     digest = "sha256",    -- Ed25519/Ed448 keys sign with none (ignored)
--     csr = csrPem,         -- sign a request: its subject, key, SANs
--   })
--   createCSR({ subject =, subjectAltName =, key = privateKey, digest = })
--   createCRL({ issuer =, signingKey =, revoked = { { serialNumber =,
--     date =, reason = "keyCompromise" } }, lastUpdate =, nextUpdate =,
--     days = 30, crlNumber =, digest = })
--
-- The subject's fields in a table go in a fixed order (DC, C, ST, L,
-- street, O, OU, title, ..., CN, emailAddress, then others sorted); in a
-- string they stay as written (in certificate order, as `openssl x509
-- -subject` prints them). subjectKeyIdentifier is always added,
-- authorityKeyIdentifier when there is an issuer. Times are seconds since
-- 1970 (os.time()) or ISO 8601 strings, UTC unless they carry an offset.
local buffer = require("luatls.buffer")
local core = require("luatls.loop").core
local errors = require("luatls.errors")
local keys = require("luatls.internal.crypto.keys")
local random = require("luatls.internal.crypto.random")

local M = {}

local function shown(v)
  if type(v) == "string" then return "'" .. v .. "'" end
  return tostring(v)
end

-- ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE naming options.<name>
local function typeError(name, expected, value, level)
  errors.throw("ERR_INVALID_ARG_TYPE", string.format('The "options.%s" property must be %s. Received %s',
    name, expected, value == nil and "nil" or type(value) .. " (" .. tostring(value) .. ")"),
    { name = "TypeError" }, level + 1)
end

local function valueError(name, value, reason, level)
  errors.throw("ERR_INVALID_ARG_VALUE", string.format("The property 'options.%s' %s. Received %s",
    name, reason or "is invalid", shown(value)), { name = "TypeError" }, level + 1)
end

-- a string, or a list of strings -> a list
local function stringList(v, name, level)
  if type(v) == "string" then return { v } end
  if type(v) ~= "table" then typeError(name, "a string or a list of strings", v, level + 1) end
  local out = {}
  for i, s in ipairs(v) do
    if type(s) ~= "string" then typeError(name .. "[" .. i .. "]", "of type string", s, level + 1) end
    out[i] = s
  end
  return out
end

-- IA5String values: printable ASCII, no spaces
local function ia5(s, name, level)
  if s == "" or s:find("[^\33-\126]") then valueError(name, s, nil, level + 1) end
  return s
end

-- ---- subject -----------------------------------------------------------------

local ORDER = { "DC", "C", "ST", "L", "street", "postalCode", "O", "OU", "title", "SN", "GN", "initials",
                "pseudonym", "generationQualifier", "serialNumber", "CN", "UID", "emailAddress" }
local RANK = {}
for i, k in ipairs(ORDER) do RANK[k] = i end

-- split s at unescaped `sep` characters (a class such as "[,\n]"); "\," keeps one
local function splitEscaped(s, sep)
  local parts, cur, i = {}, {}, 1
  while i <= #s do
    local c = s:sub(i, i)
    if c == "\\" and i < #s then
      cur[#cur + 1] = s:sub(i + 1, i + 1)
      i = i + 2
    else
      if c:find(sep) then
        parts[#parts + 1] = table.concat(cur)
        cur = {}
      else
        cur[#cur + 1] = c
      end
      i = i + 1
    end
  end
  parts[#parts + 1] = table.concat(cur)
  return parts
end

-- subject (table or string) -> flat list { field, value, ... }
local function subjectList(subject, name, level)
  level = level + 1
  local flat = {}
  if type(subject) == "string" then
    local parts = subject:sub(1, 1) == "/" and splitEscaped(subject:sub(2), "/") or splitEscaped(subject, "[,\n]")
    for _, part in ipairs(parts) do
      local k, v = part:match("^%s*([%w%.]+)%s*=%s*(.-)%s*$")
      if not k then valueError(name, subject, "is not a list of NAME=value", level) end
      flat[#flat + 1], flat[#flat + 2] = k, v
    end
  elseif type(subject) == "table" then
    local names = {}
    for k in pairs(subject) do
      if type(k) ~= "string" then valueError(name, subject, "has a key that is not a field name", level) end
      names[#names + 1] = k
    end
    table.sort(names, function(a, b)
      local ra, rb = RANK[a] or #ORDER + 1, RANK[b] or #ORDER + 1
      if ra ~= rb then return ra < rb end
      return a < b
    end)
    for _, k in ipairs(names) do
      for _, v in ipairs(stringList(subject[k], name .. "." .. k, level)) do
        flat[#flat + 1], flat[#flat + 2] = k, v
      end
    end
  else
    typeError(name, "of type table or string", subject, level)
  end
  if #flat == 0 then valueError(name, subject, "is empty", level) end
  return flat
end

-- ---- subjectAltName ------------------------------------------------------------

local SAN_TYPES = { dns = "DNS", ip = "IP", ["ip address"] = "IP", email = "email", uri = "URI" }

local function sanList(v, level)
  level = level + 1
  local flat = {}
  for _, entry in ipairs(stringList(v, "subjectAltName", level)) do
    local t, value = entry:match("^%s*([%a ]-)%s*:(.*)$")
    local kind = t and SAN_TYPES[t:lower()]
    if not kind then
      valueError("subjectAltName", entry, "must be DNS:, IP:, email: or URI: entries", level)
    end
    value = value:match("^%s*(.-)%s*$")
    if kind == "DNS" and not value:find("^[%w%-%._%*]+$") then
      valueError("subjectAltName", entry, nil, level)
    elseif kind ~= "IP" then
      ia5(value, "subjectAltName", level)
    end
    flat[#flat + 1], flat[#flat + 2] = kind, value
  end
  return flat
end

-- ---- keys, certificates ---------------------------------------------------------

local function key(v, name, kind, level)
  if type(v) ~= "string" and type(v) ~= "table" then
    typeError(name, "a KeyObject, a PEM string or { key =, passphrase = }", v, level + 1)
  end
  return keys.prepare(v, kind, level + 1)
end

-- an issuer certificate: PEM or DER, or an object with `raw` (DER)
local function certificate(v, name, level)
  if type(v) == "table" and type(v.raw) == "string" then return v.raw end
  if type(v) ~= "string" then typeError(name, "a PEM or DER string or an X509Certificate", v, level + 1) end
  return v
end

-- ---- numbers, times ----------------------------------------------------------------

-- serial(v, name) -> hex digits: a hex string ("0x" and ":" allowed) or a
-- positive integer; at most 20 bytes, not zero
local function serialHex(v, name, level)
  local hex
  if math.type(v) == "integer" and v > 0 then
    hex = string.format("%x", v)
  elseif type(v) == "string" then
    hex = v:gsub("^0[xX]", ""):gsub(":", "")
    if not hex:find("^%x+$") then valueError(name, v, "must be hexadecimal digits", level + 1) end
  else
    typeError(name, "a hex string or a positive integer", v, level + 1)
  end
  local digits = hex:gsub("^0+", "")
  if digits == "" or #digits > 40 then valueError(name, v, "must be positive and at most 20 bytes", level + 1) end
  return hex
end

local function randomSerial()
  local bytes = random.randomBytes(16)
  -- positive (top bit clear) and always 16 bytes long (the next bit set)
  local first = (bytes:byte(1) & 0x7f) | 0x40
  return string.format("%02x", first) .. buffer.toHex(bytes:sub(2))
end

-- days since 1970-01-01 of a civil date (proleptic Gregorian)
local function daysFromCivil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- a time: seconds since 1970, or "YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|(+|-)HH[:]MM]"
local function toTime(v, name, level)
  level = level + 1
  if type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then valueError(name, v, "must be a finite number", level) end
    return math.floor(v)
  end
  if type(v) ~= "string" then typeError(name, "a number (os.time()) or a date string", v, level) end
  local y, mo, d, rest = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then valueError(name, v, "must be a date YYYY-MM-DD[THH:MM:SS][Z]", level) end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  local h, mi, s, offset = 0, 0, 0, 0
  if rest ~= "" then
    local hh, mm, tail = rest:match("^[T ](%d%d):(%d%d)(.*)$")
    if not hh then valueError(name, v, "must be a date YYYY-MM-DD[THH:MM:SS][Z]", level) end
    h, mi = tonumber(hh), tonumber(mm)
    local ss, tail2 = tail:match("^:(%d%d)(.*)$")
    if ss then s, tail = tonumber(ss), tail2:gsub("^%.%d+", "") end
    if tail ~= "" and tail ~= "Z" then
      local sign, oh, om = tail:match("^([+-])(%d%d):?(%d%d)$")
      if not sign then valueError(name, v, "has an unknown time zone", level) end
      offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "+" and 1 or -1)
    end
  end
  local t = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
  local back = os.date("!*t", daysFromCivil(y, mo, d) * 86400)
  if mo < 1 or mo > 12 or back.day ~= d or h > 23 or mi > 59 or s > 60 then
    valueError(name, v, "is not a valid date", level)
  end
  return t
end

local function positive(v, name, level)
  if type(v) ~= "number" or v ~= v or v <= 0 or v == math.huge then
    if type(v) ~= "number" then typeError(name, "of type number", v, level + 1) end
    valueError(name, v, "must be a positive number", level + 1)
  end
  return v
end

-- ---- extensions ---------------------------------------------------------------

local KEY_USAGE = {
  digitalSignature = 0, nonRepudiation = 1, contentCommitment = 1, keyEncipherment = 2,
  dataEncipherment = 3, keyAgreement = 4, keyCertSign = 5, cRLSign = 6, encipherOnly = 7, decipherOnly = 8,
}
local EXT_KEY_USAGE = { serverAuth = true, clientAuth = true, codeSigning = true, emailProtection = true,
                        timeStamping = true, OCSPSigning = true }

local function keyUsage(v, level)
  local bits = {}
  for _, name in ipairs(stringList(v, "keyUsage", level + 1)) do
    local bit = KEY_USAGE[name]
    if not bit then valueError("keyUsage", name, "is not a key usage", level + 1) end
    bits[#bits + 1] = bit
  end
  return bits
end

local function extKeyUsage(v, level)
  local list = stringList(v, "extKeyUsage", level + 1)
  for _, name in ipairs(list) do
    if not EXT_KEY_USAGE[name] and not name:find("^%d+%.%d+[%.%d]*$") then
      valueError("extKeyUsage", name, "is not an extended key usage (a name or an OID)", level + 1)
    end
  end
  return list
end

local function urls(v, name, level)
  if v == nil then return nil end
  local list = stringList(v, name, level + 1)
  for _, u in ipairs(list) do ia5(u, name, level + 1) end
  return list
end

local function checkOptions(options, level)
  if type(options) ~= "table" then
    errors.invalidArgType("options", "of type table", options, level + 1)
  end
end

local function digest(v, level)
  if v ~= nil and type(v) ~= "string" then typeError("digest", "of type string", v, level + 1) end
  return v
end

-- ---- the calls ----------------------------------------------------------------------

-- createCertificate(options) -> PEM certificate
function M.createCertificate(o)
  checkOptions(o, 2)
  local t = { digest = digest(o.digest, 2) }
  if o.signingKey == nil then typeError("signingKey", "a private key", nil, 2) end
  t.key = key(o.signingKey, "signingKey", "private", 2)
  if o.csr ~= nil then
    if type(o.csr) ~= "string" then typeError("csr", "a PEM or DER string", o.csr, 2) end
    t.csr = o.csr
  end
  if o.subject ~= nil then
    t.subject = subjectList(o.subject, "subject", 2)
  elseif not t.csr then
    typeError("subject", "of type table or string", nil, 2)
  end
  if o.subjectAltName ~= nil then t.san = sanList(o.subjectAltName, 2) end
  if o.publicKey ~= nil then t.pubkey = key(o.publicKey, "publicKey", "public", 2) end
  if o.issuer ~= nil then t.issuer = certificate(o.issuer, "issuer", 2) end
  t.serial = o.serialNumber == nil and randomSerial() or serialHex(o.serialNumber, "serialNumber", 2)

  t.notBefore = o.notBefore == nil and os.time() or toTime(o.notBefore, "notBefore", 2)
  if o.notAfter ~= nil then
    if o.days ~= nil then valueError("days", o.days, "cannot be given with notAfter", 2) end
    t.notAfter = toTime(o.notAfter, "notAfter", 2)
  else
    t.notAfter = t.notBefore + math.floor(positive(o.days == nil and 365 or o.days, "days", 2) * 86400)
  end
  if t.notAfter < t.notBefore then valueError("notAfter", o.notAfter, "is before notBefore", 2) end

  if o.ca ~= nil and type(o.ca) ~= "boolean" then typeError("ca", "of type boolean", o.ca, 2) end
  t.ca = o.ca == true
  if o.pathLength ~= nil then
    if not t.ca then valueError("pathLength", o.pathLength, "needs ca = true", 2) end
    if math.type(o.pathLength) ~= "integer" or o.pathLength < 0 then
      valueError("pathLength", o.pathLength, "must be an integer >= 0", 2)
    end
    t.pathlen = o.pathLength
  end
  if o.keyUsage ~= nil then
    t.keyUsage = keyUsage(o.keyUsage, 2)
  elseif t.ca then
    t.keyUsage = { KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign }
  end
  if o.extKeyUsage ~= nil then t.extKeyUsage = extKeyUsage(o.extKeyUsage, 2) end
  t.ocsp = urls(o.ocspURL, "ocspURL", 2)
  t.caIssuers = urls(o.caIssuersURL, "caIssuersURL", 2)
  t.crl = urls(o.crlURL, "crlURL", 2)
  return core.mkcert_cert(t)
end

-- createCSR(options) -> PEM certificate request
function M.createCSR(o)
  checkOptions(o, 2)
  local t = { digest = digest(o.digest, 2), subject = subjectList(o.subject, "subject", 2) }
  if o.key == nil then typeError("key", "a private key", nil, 2) end
  t.key = key(o.key, "key", "private", 2)
  if o.subjectAltName ~= nil then t.san = sanList(o.subjectAltName, 2) end
  return core.mkcert_csr(t)
end

local REASONS = {
  unspecified = 0, keyCompromise = 1, cACompromise = 2, affiliationChanged = 3, superseded = 4,
  cessationOfOperation = 5, certificateHold = 6, removeFromCRL = 8, privilegeWithdrawn = 9, aACompromise = 10,
}

-- createCRL(options) -> PEM CRL
function M.createCRL(o)
  checkOptions(o, 2)
  local t = { digest = digest(o.digest, 2) }
  if o.issuer == nil then typeError("issuer", "a PEM or DER string or an X509Certificate", nil, 2) end
  t.issuer = certificate(o.issuer, "issuer", 2)
  if o.signingKey == nil then typeError("signingKey", "a private key", nil, 2) end
  t.key = key(o.signingKey, "signingKey", "private", 2)
  t.lastUpdate = o.lastUpdate == nil and os.time() or toTime(o.lastUpdate, "lastUpdate", 2)
  if o.nextUpdate ~= nil then
    t.nextUpdate = toTime(o.nextUpdate, "nextUpdate", 2)
  else
    t.nextUpdate = t.lastUpdate + math.floor(positive(o.days == nil and 30 or o.days, "days", 2) * 86400)
  end
  if o.crlNumber ~= nil then t.crlNumber = serialHex(o.crlNumber, "crlNumber", 2) end
  local revoked = o.revoked or {}
  if type(revoked) ~= "table" then typeError("revoked", "a list of tables", revoked, 2) end
  t.revoked = {}
  for i, r in ipairs(revoked) do
    local name = "revoked[" .. i .. "]"
    if type(r) ~= "table" then typeError(name, "of type table", r, 2) end
    local reason = r.reason
    if reason ~= nil then
      reason = REASONS[reason]
      if not reason then valueError(name .. ".reason", r.reason, "is not a CRL reason", 2) end
    end
    t.revoked[i] = {
      serial = serialHex(r.serialNumber, name .. ".serialNumber", 2),
      date = r.date == nil and t.lastUpdate or toTime(r.date, name .. ".date", 2),
      reason = reason,
    }
  end
  return core.mkcert_crl(t)
end

return M
