-- One port, two protocols chosen by ALPN: clients that speak "echo/1" get
-- their bytes back; "time/1" clients get the time; HTTP/1.1 clients (curl)
-- get a small page. The server's order of preference decides.
--   bash scripts/make-certs build/test-certs
--   build/luatls examples/alpn-server.lua [port]
--   openssl s_client -connect 127.0.0.1:8444 -alpn echo/1
--   curl --cacert build/test-certs/ca-cert.pem https://localhost:8444/
local tls = require("tls")
local fs = require("fs")

local certs = (arg[0]:match("^(.*)/") or ".") .. "/../build/test-certs/"

local handlers = {
  ["echo/1"] = function(socket) socket:pipe(socket) end,
  ["time/1"] = function(socket) socket:done(os.date("!%Y-%m-%dT%H:%M:%SZ") .. "\n") end,
  ["http/1.1"] = function(socket)
    socket:once("data", function()
      local body = "served over " .. socket:getProtocol() .. " by ALPN\n"
      socket:done("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " .. #body ..
        "\r\nConnection: close\r\n\r\n" .. body)
    end)
  end,
}

local server = tls.createServer({
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-chain.pem"),
  ALPNProtocols = { "echo/1", "time/1", "http/1.1" },
}, function(socket)
  local handler = handlers[socket.alpnProtocol]
  if handler then
    handler(socket)
  else
    socket:done("say which protocol you speak (ALPN: echo/1, time/1 or http/1.1)\n")
  end
end)

server:on("tlsClientError", function(err) console.error("client error:", err.message) end)
server:listen(tonumber(arg[1]) or 8444, function()
  console.log("ALPN server on port " .. server:address().port)
end)
