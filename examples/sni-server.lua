-- One TLS server, several host names: the certificate for each name is
-- loaded from files asynchronously inside SNICallback (the handshake waits
-- without blocking anyone else), and a wildcard comes from addContext.
--   bash scripts/make-certs build/test-certs
--   build/luatls examples/sni-server.lua [port]
-- Then, for example:
--   openssl s_client -connect 127.0.0.1:8443 -servername localhost
--   openssl s_client -connect 127.0.0.1:8443 -servername wrong.example.org
--   openssl s_client -connect 127.0.0.1:8443 -servername www.example.com
local tls = require("tls")
local fs = require("fs")

local certs = (arg[0]:match("^(.*)/") or ".") .. "/../build/test-certs/"

-- host name -> the files of its key and certificate chain
local hosts = {
  ["localhost"] = { "server-key.pem", "server-chain.pem" },
  ["wrong.example.org"] = { "wronghost-key.pem", "wronghost-cert.pem" },
}
local cache = {}

-- read both files without blocking, then make the context once
local function loadContext(name, cb)
  if cache[name] then return cb(nil, cache[name]) end
  local files = hosts[name]
  fs.readFile(certs .. files[1], function(err, key)
    if err then return cb(err) end
    fs.readFile(certs .. files[2], function(err2, cert)
      if err2 then return cb(err2) end
      cache[name] = tls.createSecureContext({ key = key, cert = cert })
      cb(nil, cache[name])
    end)
  end)
end

local server = tls.createServer({
  -- the default certificate, for clients that send no name
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-chain.pem"),
  SNICallback = function(servername, cb)
    if hosts[servername] then
      loadContext(servername, cb)
    else
      cb(nil, nil) -- not ours: addContext() entries, else the default
    end
  end,
}, function(socket)
  socket:done(string.format("hello %s, you asked for %s\n",
    socket.remoteAddress, socket.servername or "no name"))
end)

-- every name under example.com gets the wildcard certificate
server:addContext("*.example.com", {
  key = fs.readFileSync(certs .. "wildcard-key.pem"),
  cert = fs.readFileSync(certs .. "wildcard-cert.pem"),
})

server:on("tlsClientError", function(err) console.error("client error:", err.message) end)
server:listen(tonumber(arg[1]) or 8443, function()
  console.log("SNI server on port " .. server:address().port)
end)
