-- luatls.internal.tls.self_signed: tls.createSelfSigned, luatls's own (not
-- Node's): a key and a self-signed certificate for the given host names,
-- ready for tls.createServer, made with crypto.createCertificate.
--
--   local server = tls.createServer(tls.createSelfSigned(), onConnection)
--   local pair = tls.createSelfSigned({ "localhost", "127.0.0.1" },
--                                     { keyType = "rsa", days = 30 })
--   -- pair.key, pair.cert: PEM strings; a client trusts it with ca = pair.cert
--
-- hosts (a string or a list; default localhost, 127.0.0.1, ::1): each an
-- IP address (an IP SAN) or a DNS name (a DNS SAN); the subject is
-- CN = the first host. options: keyType "ec" (P-256, the default; namedCurve
-- for another curve), "rsa" (modulusLength, default 2048) or "ed25519";
-- days (default 365), notBefore, notAfter, subject, digest as in
-- crypto.createCertificate. The certificate is no CA and has no keyUsage
-- (so OpenSSL counts it as its own issuer); extKeyUsage serverAuth and
-- clientAuth.
local core = require("luatls.loop").core
local errors = require("luatls.errors")

local DEFAULT_HOSTS = { "localhost", "127.0.0.1", "::1" }

return function(hosts, options)
  if options == nil and type(hosts) == "table" and hosts[1] == nil and next(hosts) ~= nil then
    hosts, options = nil, hosts -- createSelfSigned({ keyType = "rsa" })
  end
  if type(hosts) == "string" then hosts = { hosts } end
  hosts = hosts or DEFAULT_HOSTS
  if type(hosts) ~= "table" or hosts[1] == nil then
    errors.invalidArgType("hosts", "a string or a non-empty list of strings", hosts)
  end
  if options ~= nil and type(options) ~= "table" then errors.invalidArgType("options", "of type table", options) end
  options = options or {}
  local san, names = {}, {}
  for i, host in ipairs(hosts) do
    if type(host) ~= "string" or host == "" then
      errors.invalidArgType("hosts[" .. i .. "]", "a non-empty string", host)
    end
    host = host:match("^%[(.*)%]$") or host
    names[i] = host
    san[i] = (core.ip_family(host) ~= 0 and "IP:" or "DNS:") .. host
  end

  local crypto = require("luatls.crypto")
  local keyType = options.keyType or "ec"
  local pair
  if keyType == "ec" then
    pair = crypto.generateKeyPairSync("ec", { namedCurve = options.namedCurve or "P-256" })
  elseif keyType == "rsa" then
    pair = crypto.generateKeyPairSync("rsa", { modulusLength = options.modulusLength or 2048 })
  elseif keyType == "ed25519" then
    pair = crypto.generateKeyPairSync("ed25519")
  else
    errors.throw("ERR_INVALID_ARG_VALUE", string.format(
      "The property 'options.keyType' must be 'ec', 'rsa' or 'ed25519'. Received %s", tostring(keyType)),
      { name = "TypeError" }, 2)
  end
  local cert = crypto.createCertificate({
    subject = options.subject or { CN = names[1] },
    subjectAltName = san,
    signingKey = pair.privateKey,
    days = options.days, notBefore = options.notBefore, notAfter = options.notAfter, digest = options.digest,
    keyUsage = {},
    extKeyUsage = { "serverAuth", "clientAuth" },
  })
  return { key = pair.privateKey:export({ type = "pkcs8", format = "pem" }), cert = cert }
end
