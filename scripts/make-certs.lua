-- make-certs.lua [-v] DIR: the test certificates, made by luatls itself
-- (crypto.createCertificate, createCRL; never downloaded). Run by the
-- luatls interpreter: scripts/make-certs (the entry point the specs, CI and
-- tools call) finds it and runs this. Does nothing when DIR/.complete holds
-- this script's VERSION (a set made by an older version is made again);
-- otherwise builds into a temporary sibling of DIR and renames it into
-- place, so concurrent runs are safe. Prints nothing on success unless -v.
--
--   ca-cert.pem ca-key.pem                 root CA (RSA 2048, self-signed)
--   intermediate-cert.pem intermediate-key.pem
--                                          intermediate CA, signed by the root
--   ca-bundle.pem                          root + intermediate
--   server-key.pem server-cert.pem         RSA 2048 leaf signed by the
--                                          intermediate: CN=localhost, SANs
--                                          DNS:localhost IP:127.0.0.1 IP:::1,
--                                          OU twice, OCSP + caIssuers URIs
--   server-chain.pem                       leaf + intermediate
--   server-cert.der                        the leaf in DER
--   server-ec-key.pem server-ec-cert.pem server-ec-chain.pem
--                                          the same with ECDSA P-256
--   server-key-enc.pem                     server-key.pem, passphrase "secret"
--   server.pfx                             leaf + key + intermediate, "secret"
--   server-nopass.pfx                      the same without a passphrase
--   client-key.pem client-cert.pem         CN=client, clientAuth, by the root
--   expired-key.pem expired-cert.pem       localhost, by the root, valid only
--                                          in January 2020
--   wronghost-key.pem wronghost-cert.pem   CN/SAN wrong.example.org, by the root
--   wildcard-key.pem wildcard-cert.pem     CN/SAN *.example.com, by the root
--   selfsigned-key.pem selfsigned-cert.pem self-signed, CN=localhost, SANs
--                                          DNS:localhost IP:127.0.0.1 IP:::1
--   revoked-key.pem revoked-cert.pem       localhost, by the root, revoked
--   ca-crl.pem                             the root's CRL (revokes revoked-cert)
--   dhparam-2048.pem                       DH parameters (RFC 7919 ffdhe2048)
--   dhparam-512.pem                        DH parameters too small to accept
--                                          (a fixed 512-bit group)
--
-- Only the two PKCS#12 files are made by the `openssl` command (luatls has
-- no PKCS#12 API).
local buffer = require("buffer")
local crypto = require("crypto")
local fs = require("fs")

local VERSION = "3" -- bump when the set of files or their properties change

local args = { ... }
local verbose = false
if args[1] == "-v" then
  verbose = true
  table.remove(args, 1)
end
if #args ~= 1 then
  io.stderr:write("usage: make-certs [-v] DIR\n")
  os.exit(2)
end

local function say(...)
  if verbose then print("make-certs: " .. table.concat({ ... })) end
end

-- the file's contents, or "" when it cannot be read
local function readFile(path)
  local ok, data = pcall(fs.readFileSync, path)
  return ok and data or ""
end

local function complete(dir) return readFile(dir .. "/.complete"):match("^%s*(.-)%s*$") == VERSION end

local dir = args[1]:gsub("/+$", "")
if dir:sub(1, 1) ~= "/" then dir = process.cwd() .. "/" .. dir:gsub("^%./", "") end
if complete(dir) then os.exit(0) end

local parent = dir:match("^(.*)/[^/]+$")
if parent ~= "" then fs.mkdirSync(parent, { recursive = true }) end
local function randomName(prefix) return prefix .. buffer.toHex(crypto.randomBytes(6)) end
local tmp = randomName(dir .. ".tmp.")
fs.mkdirSync(tmp, { mode = 493 }) -- 0755, as the directory it becomes

local function fail(message)
  io.stderr:write("make-certs: failed: " .. tostring(message) .. "\n")
  fs.rmSync(tmp, { recursive = true, force = true })
  os.exit(1)
end

local function write(name, data, private)
  fs.writeFileSync(tmp .. "/" .. name, data, { mode = private and 384 or 420 }) -- 0600 / 0644
end

-- ---- the fixed DH parameters ------------------------------------------------------

local FFDHE2048 = [[
-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
]]

-- made once by `openssl dhparam 512`: only its size matters (too small)
local DH512 = [[
-----BEGIN DH PARAMETERS-----
MEYCQQCjp097Vh7e7tTQ3i97rfF0yMV1X0gbKspiS9QfW8B8Blw9g1hceW8aRA/u
44Sjt2op4Rt69e5Mz3Yy5b+SSgbfAgEC
-----END DH PARAMETERS-----
]]

-- ---- the certificates ---------------------------------------------------------------

local LOCALHOST = { "DNS:localhost", "IP:127.0.0.1", "IP:::1" }
local SERVER_USAGE = { "digitalSignature", "keyEncipherment" }

local function der(pem)
  return buffer.from(pem:match("%-%-%-%-%-BEGIN [^-]+%-%-%-%-%-(.-)%-%-%-%-%-END"):gsub("%s", ""), "base64")
end

-- run(log, command): a shell command, quietly; on failure its output
local function run(log, command)
  local path = tmp .. "/." .. log .. ".log"
  local ok = os.execute(command .. " >" .. path .. " 2>&1")
  if not ok then fail(command .. "\n" .. readFile(path)) end
  os.remove(path)
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function make(k)
  local pem = {}
  for name, pair in pairs(k) do pem[name] = pair.privateKey:export({ type = "pkcs8", format = "pem" }) end
  local now = os.time()

  say("CAs")
  local ca = crypto.createCertificate({
    subject = { C = "US", ST = "California", L = "San Francisco", O = "luatls", OU = "Test CA",
                CN = "luatls Test Root CA" },
    signingKey = k.ca.privateKey, ca = true, notBefore = now, days = 7300,
  })
  local intermediate = crypto.createCertificate({
    subject = { C = "US", ST = "California", O = "luatls", OU = "Test CA", CN = "luatls Test Intermediate CA" },
    publicKey = k.intermediate.publicKey, signingKey = k.ca.privateKey, issuer = ca,
    ca = true, pathLength = 0, notBefore = now, days = 7000,
  })

  -- leaf(name, issuerName, subject, options): a leaf signed by ca or intermediate
  local issuers = { ca = ca, intermediate = intermediate }
  local function leaf(name, by, subject, o)
    o.subject, o.publicKey = subject, k[name].publicKey
    o.signingKey, o.issuer = k[by].privateKey, issuers[by]
    if o.notAfter == nil then o.notBefore, o.days = now, o.days or 3650 end
    o.keyUsage = o.keyUsage or SERVER_USAGE
    o.extKeyUsage = o.extKeyUsage or { "serverAuth" }
    o.subjectAltName = o.subjectAltName or LOCALHOST
    return crypto.createCertificate(o)
  end

  say("leaves")
  local server = leaf("server", "intermediate",
    { C = "US", ST = "California", L = "San Francisco", O = "luatls", OU = { "Test", "Servers" }, CN = "localhost" },
    { ocspURL = "http://ocsp.example.com/", caIssuersURL = "http://ca.example.com/intermediate.crt" })
  local serverEC = leaf("server-ec", "intermediate", { C = "US", O = "luatls", OU = "Test", CN = "localhost" },
    { keyUsage = { "digitalSignature" }, ocspURL = "http://ocsp.example.com/" })
  local client = leaf("client", "ca",
    { C = "US", O = "luatls", OU = "Clients", CN = "client", emailAddress = "client@example.com" },
    { keyUsage = { "digitalSignature" }, extKeyUsage = { "clientAuth" },
      subjectAltName = { "email:client@example.com", "URI:spiffe://example.com/client" } })
  local wronghost = leaf("wronghost", "ca", { O = "luatls", CN = "wrong.example.org" },
    { subjectAltName = { "DNS:wrong.example.org" } })
  local wildcard = leaf("wildcard", "ca", { O = "luatls", CN = "*.example.com" },
    { subjectAltName = { "DNS:*.example.com" } })
  -- no keyUsage, so that the certificate counts as its own issuer
  local selfsigned = crypto.createCertificate({
    subject = { O = "luatls", CN = "localhost" }, signingKey = k.selfsigned.privateKey,
    notBefore = now, days = 3650, extKeyUsage = { "serverAuth" }, subjectAltName = LOCALHOST,
  })
  say("expired, revoked, and the root's CRL")
  local expired = leaf("expired", "ca", { O = "luatls", CN = "localhost" },
    { notBefore = "2020-01-01T00:00:00Z", notAfter = "2020-02-01T00:00:00Z" })
  local revokedSerial = "7" .. buffer.toHex(crypto.randomBytes(8)):sub(2) -- positive, 8 bytes
  local revoked = leaf("revoked", "ca", { O = "luatls", OU = "Revoked", CN = "localhost" },
    { serialNumber = revokedSerial })
  local crl = crypto.createCRL({
    issuer = ca, signingKey = k.ca.privateKey, lastUpdate = now, days = 3650,
    revoked = { { serialNumber = revokedSerial, date = now } },
  })

  for name, key in pairs(pem) do write(name .. "-key.pem", key, true) end
  write("ca-cert.pem", ca)
  write("intermediate-cert.pem", intermediate)
  write("ca-bundle.pem", ca .. intermediate)
  write("server-cert.pem", server)
  write("server-chain.pem", server .. intermediate)
  write("server-cert.der", der(server))
  write("server-ec-cert.pem", serverEC)
  write("server-ec-chain.pem", serverEC .. intermediate)
  write("client-cert.pem", client)
  write("wronghost-cert.pem", wronghost)
  write("wildcard-cert.pem", wildcard)
  write("selfsigned-cert.pem", selfsigned)
  write("expired-cert.pem", expired)
  write("revoked-cert.pem", revoked)
  write("ca-crl.pem", crl)
  write("dhparam-2048.pem", FFDHE2048)
  write("dhparam-512.pem", DH512)

  say("protected key and PKCS#12")
  write("server-key-enc.pem", k.server.privateKey:export({ type = "pkcs8", format = "pem",
    cipher = "aes-256-cbc", passphrase = "secret" }), true)
  local function pkcs12(out, extra)
    run(out, "cd " .. quote(tmp) .. " && umask 077 && openssl pkcs12 -export -in server-cert.pem -inkey server-key.pem"
      .. " -certfile intermediate-cert.pem -name localhost " .. extra .. " -out " .. out)
  end
  pkcs12("server.pfx", "-passout pass:secret")
  pkcs12("server-nopass.pfx", "-keypbe NONE -certpbe NONE -nomac -passout pass:")

  write(".complete", VERSION .. "\n")

  -- into place: rename(2) onto a missing or empty DIR; if another run got
  -- there first, keep its copy; a DIR left incomplete by something else is
  -- moved aside
  if not os.rename(tmp, dir) then
    if not complete(dir) then
      local old = randomName(dir .. ".old.")
      os.rename(dir, old)
      os.rename(tmp, dir)
      fs.rmSync(old, { recursive = true, force = true })
    end
    fs.rmSync(tmp, { recursive = true, force = true })
  end
  if not complete(dir) then
    io.stderr:write("make-certs: could not create " .. dir .. "\n")
    os.exit(1)
  end
  say("made ", dir)
end

-- the keys in parallel on the thread pool: this is most of the time
say("keys")
local NAMES = { "ca", "intermediate", "server", "client", "expired", "wronghost", "wildcard", "selfsigned", "revoked" }
local keys, left = {}, #NAMES + 1
local function got(name)
  return function(err, publicKey, privateKey)
    if err then fail(err) end
    keys[name] = { publicKey = publicKey, privateKey = privateKey }
    left = left - 1
    if left == 0 then
      local ok, e = xpcall(make, debug.traceback, keys)
      if not ok then fail(e) end
    end
  end
end
for _, name in ipairs(NAMES) do crypto.generateKeyPair("rsa", { modulusLength = 2048 }, got(name)) end
crypto.generateKeyPair("ec", { namedCurve = "P-256" }, got("server-ec"))
