-- luatls.internal.crypto.x509: Node's X509Certificate over
-- src/crypto/x509cert.c (the X509 stays in C; each property is printed by
-- src/tls/x509.c, as getPeerCertificate() prints it, on first access).
-- The face is lua/luatls/crypto.lua; TLSSocket:getX509Certificate() and
-- getPeerX509Certificate() (internal/tls/socket.lua) make them through
-- that face from the C side a connection gives (X509Certificate.new(handle)).
--
--   local cert = crypto.X509Certificate.new(pem_or_der)
--   cert.subject, cert.fingerprint256, cert:checkHost("example.com")
--
-- Differs from Node: validFromDate/validToDate are seconds since 1970
-- (os.time's UTC numbers), not Date objects; raw is a string; the class is
-- made with X509Certificate.new(data), as every luatls class.
local core = require("luatls.loop").core
local errors = require("luatls.errors")
local events = require("luatls.events")
local keys = require("luatls.internal.crypto.keys")

local M = {}

local X509Certificate = events.class(nil, "X509Certificate")
M.X509Certificate = X509Certificate

-- X509Certificate -> { h = C cert, [property name] = value or NONE }; weak,
-- so a collected certificate frees its X509
local state = setmetatable({}, { __mode = "k" })
local NONE = {}

local BUFFER = "of type string or an instance of Buffer, TypedArray, or DataView"

-- new(data): PEM or DER (the first certificate of a PEM bundle); also a
-- C cert from src/crypto/x509cert.c (what a TLS connection gives)
function X509Certificate:init(data)
  local h = type(data) == "userdata" and core.x509cert_handle(data) or nil
  if h == nil then
    if type(data) ~= "string" then errors.invalidArgType("buffer", BUFFER, data, 3) end
    h = core.x509cert_parse(data)
  end
  state[self] = { h = h }
end

function M.isX509Certificate(v) return state[v] ~= nil end

-- the C cert of an X509Certificate (otherCert's check), or an error
local function handleOf(v, name, level)
  local s = state[v]
  if s == nil then
    errors.invalidArgType(name, "an instance of X509Certificate", v, level + 1)
  end
  return s.h
end

-- a property printed in C, computed once (field: x509.c's name for it)
local function cached(name, field)
  events.defineProperty(X509Certificate, name, function(self)
    local s = state[self]
    local v = s[name]
    if v == nil then
      v = s.h:field(field)
      s[name] = v == nil and NONE or v
    elseif v == NONE then
      v = nil
    end
    return v
  end)
end

cached("subject", "subject")
cached("issuer", "issuer")
cached("subjectAltName", "subjectaltname")
cached("infoAccess", "infoAccess")
cached("validFrom", "valid_from")
cached("validTo", "valid_to")
cached("fingerprint", "fingerprint")
cached("fingerprint256", "fingerprint256")
cached("fingerprint512", "fingerprint512")
cached("serialNumber", "serialNumber")
cached("raw", "raw")

-- keyUsage: the extended key usage OIDs, as Node gives them (a new list)
events.defineProperty(X509Certificate, "keyUsage", function(self)
  return state[self].h:field("ext_key_usage")
end)

cached("ca", "ca")

events.defineProperty(X509Certificate, "validFromDate", function(self)
  return (state[self].h:dates())
end)

events.defineProperty(X509Certificate, "validToDate", function(self)
  local _, notAfter = state[self].h:dates()
  return notAfter
end)

-- publicKey: a new public KeyObject each time, as in Node
events.defineProperty(X509Certificate, "publicKey", function(self)
  return keys.wrap(state[self].h:public_key())
end)

-- issuerCertificate: the issuer a TLS peer sent with it, or nil
events.defineProperty(X509Certificate, "issuerCertificate", function(self)
  local s = state[self]
  local issuer = s.issuerCertificate
  if issuer == nil then
    local ih = s.h:issuer()
    issuer = ih and X509Certificate.new(ih) or NONE
    s.issuerCertificate = issuer
  end
  return issuer ~= NONE and issuer or nil
end)

local function checkString(v, name, level)
  if type(v) ~= "string" then errors.invalidArgType(name, "of type string", v, level + 1) end
end

local function checkBoolean(v, name, default, level)
  if v == nil then return default end
  if type(v) ~= "boolean" then
    errors.throw("ERR_INVALID_ARG_TYPE", string.format('The "%s" property must be of type boolean. Received %s',
      name, type(v) .. " (" .. tostring(v) .. ")"), { name = "TypeError" }, level + 1)
  end
  return v
end

local SUBJECT = { default = true, always = true, never = true }

-- options of checkHost and checkEmail: subject, then the four wildcard
-- flags, checked as Node checks them
local function flags(options, level)
  level = level + 1
  options = options == nil and {} or options
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options, level) end
  local subject = options.subject == nil and "default" or options.subject
  if type(subject) ~= "string" then
    errors.throw("ERR_INVALID_ARG_TYPE", string.format('The "options.subject" property must be of type string. '
      .. "Received %s", type(subject) .. " (" .. tostring(subject) .. ")"), { name = "TypeError" }, level)
  end
  local wildcards = checkBoolean(options.wildcards, "options.wildcards", true, level)
  local partial = checkBoolean(options.partialWildcards, "options.partialWildcards", true, level)
  local multi = checkBoolean(options.multiLabelWildcards, "options.multiLabelWildcards", false, level)
  local single = checkBoolean(options.singleLabelSubdomains, "options.singleLabelSubdomains", false, level)
  if not SUBJECT[subject] then keys.invalidValue("options.subject", subject, nil, level) end
  return subject, wildcards, partial, multi, single
end

-- checkHost(name[, options]) -> the name in the certificate that matched,
-- or nil
function X509Certificate:checkHost(name, options)
  checkString(name, "name", 2)
  return state[self].h:check_host(name, flags(options, 2))
end

-- checkEmail(email[, options]) -> email when the certificate names it
function X509Certificate:checkEmail(email, options)
  checkString(email, "email", 2)
  return state[self].h:check_email(email, (flags(options, 2)))
end

-- checkIP(ip) -> ip when the certificate names it
function X509Certificate:checkIP(ip)
  checkString(ip, "ip", 2)
  return state[self].h:check_ip(ip)
end

-- checkIssued(otherCert) -> whether otherCert issued this certificate
function X509Certificate:checkIssued(otherCert)
  return state[self].h:check_issued(handleOf(otherCert, "otherCert", 2))
end

-- the C key of a KeyObject of the given type (Node's pkey checks)
local function keyOf(pkey, kind, level)
  local h = keys.handle(pkey)
  if h == nil then errors.invalidArgType("pkey", "an instance of KeyObject", pkey, level + 1) end
  if pkey.type ~= kind then keys.invalidValue("pkey", pkey, nil, level + 1) end
  return h
end

-- checkPrivateKey(privateKey) -> whether it is the private half of the
-- certificate's public key
function X509Certificate:checkPrivateKey(pkey)
  return state[self].h:check_private_key(keyOf(pkey, "private", 2))
end

-- verify(publicKey) -> whether publicKey signed this certificate
function X509Certificate:verify(pkey)
  return state[self].h:verify(keyOf(pkey, "public", 2))
end

-- toString(), toJSON(): PEM
function X509Certificate:toString() return state[self].h:pem() end
X509Certificate.toJSON = X509Certificate.toString
X509Certificate.__tostring = X509Certificate.toString

-- toLegacyObject() -> the table getPeerCertificate() gives
function X509Certificate:toLegacyObject() return state[self].h:legacy() end

return M
