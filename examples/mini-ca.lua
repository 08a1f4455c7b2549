-- A certificate authority in memory, and a TLS server that has a certificate
-- for any name a client asks for: its SNICallback has the CA issue a leaf
-- on the fly (kept for the next client). A client that trusts only that CA
-- connects under several names and shows what it verified. Uses luatls's
-- own crypto.createCertificate (Node has no such API). Runs by itself:
--   build/luatls examples/mini-ca.lua [name ...]
local crypto = require("crypto")
local tls = require("tls")

local function newKey() return crypto.generateKeyPairSync("ec", { namedCurve = "P-256" }) end
local function pem(key) return key:export({ type = "pkcs8", format = "pem" }) end

-- the CA: a key and a self-signed certificate, never written anywhere
local ca = newKey()
local caCert = crypto.createCertificate({
  subject = { O = "luatls example", CN = "Mini CA" }, signingKey = ca.privateKey,
  ca = true, pathLength = 0, days = 1,
})

-- issue(name) -> { key =, cert = } (PEM): a new key and a leaf for name
local function issue(name)
  local leaf = newKey()
  console.log("ca: issuing a certificate for " .. name)
  return { key = pem(leaf.privateKey), cert = crypto.createCertificate({
    subject = { CN = name }, subjectAltName = { "DNS:" .. name },
    publicKey = leaf.publicKey, signingKey = ca.privateKey, issuer = caCert, days = 1,
    keyUsage = { "digitalSignature" }, extKeyUsage = { "serverAuth" },
  }) }
end

local contexts = {} -- name -> its secure context, made once
local options = issue("localhost") -- the default, for clients that send no name
options.SNICallback = function(servername, cb)
  contexts[servername] = contexts[servername] or tls.createSecureContext(issue(servername))
  cb(nil, contexts[servername])
end
local server = tls.createServer(options, function(socket)
  socket:done("hello " .. tostring(socket.servername) .. "\n")
end)

local names = #arg > 0 and { table.unpack(arg) } or { "alpha.example", "beta.example", "alpha.example" }

server:listen(0, "127.0.0.1", function()
  local port = server:address().port
  local function connect(i)
    if i > #names then return server:close(function() console.log("done") end) end
    local client = tls.connect({ port = port, host = "127.0.0.1", servername = names[i], ca = caCert },
      function(client)
        local peer = client:getPeerCertificate()
        console.log(string.format("client: %s: authorized %s, subject CN=%s, SANs %s, issuer CN=%s",
          names[i], tostring(client.authorized), peer.subject.CN, peer.subjectaltname, peer.issuer.CN))
      end)
    client:setEncoding("utf8")
    client:on("data", function(data) io.write("client: got ", data) end)
    client:on("end", function() connect(i + 1) end)
    client:on("error", function(err)
      console.error("client: " .. tostring(err))
      process.exitCode = 1
      server:close()
    end)
  end
  connect(1)
end)
