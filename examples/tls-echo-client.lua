-- The seed's TLS echo client: what you type goes to the server and back.
--   bash examples/make-certs.sh
--   build/luatls examples/tls-echo-client.lua [port]
local tls = require("tls")
local fs = require("fs")

local certs = (arg[0]:match("^(.*)/") or ".") .. "/certs/"

local options = {
  -- Necessary only if using the client certificate authentication
  key = fs.readFileSync(certs .. "client-key.pem"),
  cert = fs.readFileSync(certs .. "client-cert.pem"),

  -- Necessary only if the server uses the self-signed certificate
  ca = { fs.readFileSync(certs .. "server-cert.pem") },
}

local socket = tls.connect(tonumber(arg[1]) or 8000, options, function(socket)
  console.log("client connected", socket.authorized and "authorized" or "unauthorized")
  process.stdin:pipe(socket)
  process.stdin:resume()
end)
socket:setEncoding("utf8")
socket:on("data", function(data)
  console.log(data)
end)
socket:on("end", function()
  console.log("server ended the connection")
end)
