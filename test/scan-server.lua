-- test/scan-server.lua: a luatls TLS server with the default options, for
-- test/testssl.sh. It answers whatever a client sends with one small HTTP
-- response (testssl's BREACH check wants HTTP) and closes.
--   build/luatls test/scan-server.lua CERTDIR PORT
local tls = require("tls")
local fs = require("fs")
local dir, port = arg[1], tonumber(arg[2])
local server = tls.createServer({
  key = fs.readFileSync(dir .. "/server-key.pem"),
  cert = fs.readFileSync(dir .. "/server-chain.pem"),
}, function(s)
  s:on("data", function()
    s:done("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
  end)
  s:on("error", function() end)
end)
server:on("tlsClientError", function() end) -- scanners make many bad handshakes
server:listen(port, "127.0.0.1", function() io.write("listening\n"); io.flush() end)
