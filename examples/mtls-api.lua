-- An HTTPS API that knows its users by their client certificates (mutual
-- TLS). A CA made in memory (crypto.createCertificate, luatls's own) issues
-- the server's certificate and one client certificate per user; the server
-- trusts only that CA and maps a client certificate's fingerprint to a user.
--   build/luatls examples/mtls-api.lua [port [dir]]
-- With dir, the CA and the users' keys and certificates are written there:
--   curl --cacert dir/ca.pem --cert dir/alice.pem --key dir/alice-key.pem \
--        https://localhost:8443/whoami
-- GET /whoami answers who you are; GET /notes your notes; no certificate,
-- or one the CA did not issue, gets no TLS connection at all; a valid
-- certificate of someone unknown gets 403.
local https = require("https")
local crypto = require("crypto")
local fs = require("fs")

local function newKey() return crypto.generateKeyPairSync("ec", { namedCurve = "P-256" }) end
local function pem(key) return key:export({ type = "pkcs8", format = "pem" }) end

local ca = newKey()
local caCert = crypto.createCertificate({
  subject = { O = "luatls example", CN = "API clients CA" }, signingKey = ca.privateKey,
  ca = true, pathLength = 0, days = 1,
})

-- issue(cn, usage, sans) -> key PEM, certificate PEM
local function issue(cn, usage, sans)
  local key = newKey()
  return pem(key.privateKey), crypto.createCertificate({
    subject = { CN = cn }, subjectAltName = sans, publicKey = key.publicKey,
    signingKey = ca.privateKey, issuer = caCert, days = 1,
    keyUsage = { "digitalSignature" }, extKeyUsage = { usage },
  })
end

local serverKey, serverCert = issue("localhost", "serverAuth", { "DNS:localhost", "IP:127.0.0.1" })

-- the users: a certificate each; the server knows them by fingerprint
local users = {} -- fingerprint256 -> { name =, notes = }
local dir = arg[2]
if dir then fs.writeFileSync(dir .. "/ca.pem", caCert) end
for _, name in ipairs({ "alice", "bob", "mallory" }) do
  local key, cert = issue(name, "clientAuth")
  if name ~= "mallory" then -- (a certificate from the right CA, but no account)
    users[crypto.X509Certificate.new(cert).fingerprint256] = { name = name, notes = { name .. "'s first note" } }
  end
  if dir then
    fs.writeFileSync(dir .. "/" .. name .. ".pem", cert)
    fs.writeFileSync(dir .. "/" .. name .. "-key.pem", key)
  end
end

local function json(res, status, body)
  res:writeHead(status, { ["Content-Type"] = "application/json" })
  res:done(body .. "\n")
end

local server = https.createServer({
  key = serverKey, cert = serverCert,
  ca = caCert, requestCert = true, rejectUnauthorized = true,
}, function(req, res)
  local peer = req.socket:getPeerCertificate()
  local user = users[peer.fingerprint256]
  if not user then
    return json(res, 403, string.format('{"error":"no account for %s"}', peer.subject.CN))
  end
  console.log(string.format("%s %s %s", user.name, req.method, req.url))
  if req.method == "GET" and req.url == "/whoami" then
    json(res, 200, string.format('{"user":"%s","cn":"%s"}', user.name, peer.subject.CN))
  elseif req.method == "GET" and req.url == "/notes" then
    json(res, 200, '["' .. table.concat(user.notes, '","') .. '"]')
  else
    json(res, 404, '{"error":"not found"}')
  end
end)
server:on("tlsClientError", function(err) console.log("refused a client: " .. err.code) end)
server:listen(tonumber(arg[1]) or 8443, function()
  console.log("listening on https://localhost:" .. server:address().port .. "/")
end)
