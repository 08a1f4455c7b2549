-- The seed's TLS echo server, with client certificate authentication.
--   bash examples/make-certs.sh
--   build/luatls examples/tls-echo-server.lua [port]
local tls = require("tls")
local fs = require("fs")

local certs = (arg[0]:match("^(.*)/") or ".") .. "/certs/"

local options = {
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-cert.pem"),

  -- This is necessary only if using the client certificate authentication.
  requestCert = true,

  -- This is necessary only if the client uses the self-signed certificate.
  ca = { fs.readFileSync(certs .. "client-cert.pem") },
}

local server = tls.createServer(options, function(socket)
  console.log("server connected", socket.authorized and "authorized" or "unauthorized")
  socket:write("welcome!\n")
  socket:setEncoding("utf8")
  socket:pipe(socket)
end)
server:on("tlsClientError", function(err) console.error("client error:", err.message) end)
server:listen(tonumber(arg[1]) or 8000, function()
  console.log("server bound")
end)
