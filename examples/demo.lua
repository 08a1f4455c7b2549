-- The README's demo: a TLS echo server and a TLS client in one script.
--   build/luatls examples/demo.lua
-- It makes its certificates first (examples/make-certs.sh) when they are
-- missing.
local tls = require("tls")
local fs = require("fs")

local here = arg[0]:match("^(.*)/") or "."
local certs = here .. "/certs/"
if not fs.existsSync(certs .. ".complete") then
  assert(os.execute("bash " .. here .. "/make-certs.sh"), "making the certificates failed")
end

local server = tls.createServer({
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-cert.pem"),
}, function(socket)
  console.log(string.format("server: secure connection from %s (%s, %s)",
    socket.remoteAddress, socket:getProtocol(), socket:getCipher().name))
  socket:write("welcome!\n")
  socket:pipe(socket)
end)

server:listen(0, "127.0.0.1", function()
  local port = server:address().port
  console.log("server: listening on 127.0.0.1:" .. port)

  local client = tls.connect(port, {
    ca = { fs.readFileSync(certs .. "server-cert.pem") }, -- trust the self-signed server
  }, function(client)
    console.log("client: connected,", client.authorized and "authorized" or "unauthorized",
      "by", client:getPeerCertificate().subject.CN)
    client:write("hello from luatls\n")
    client:done()
  end)
  client:setEncoding("utf8")
  client:on("data", function(data) io.write("client: got ", data) end)
  client:on("end", function()
    console.log("client: server ended the connection")
    server:close(function() console.log("server: closed; bye") end)
  end)
end)
