-- The luatls server of bench/http: Node's https hello server.
--   build/luatls bench/servers/http-luatls.lua PORT CERTDIR [http]
-- EC key (CERTDIR/server-ec-key.pem + server-ec-chain.pem); "http" for
-- plain HTTP. Listens on 127.0.0.1:PORT, then prints "listening PORT".
-- bench/servers/http-node.js is the same server for Node and Bun: keep
-- them alike.
local https = require("https")
local http = require("http")
local fs = require("fs")

local port, dir, plain = tonumber(arg[1]), arg[2], arg[3] == "http"
local function hello(_, res)
  res:writeHead(200, { ["Content-Type"] = "text/plain" })
  res:done("hello world\n")
end
local server = plain and http.createServer(hello) or https.createServer({
  key = fs.readFileSync(dir .. "/server-ec-key.pem"),
  cert = fs.readFileSync(dir .. "/server-ec-chain.pem"),
}, hello)
server:listen(port, "127.0.0.1", function() print("listening " .. port) end)
