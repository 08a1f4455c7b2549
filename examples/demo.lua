-- The README's demo: an echo server and a client in one script.
-- (A TCP echo for now; it becomes a TLS echo when the tls module lands.)
--   build/luatls examples/demo.lua
local net = require("net")

local server = net.createServer(function(socket)
  console.log("server: client connected from", socket.remoteAddress)
  socket:write("welcome!\n")
  socket:pipe(socket)
end)

server:listen(0, "127.0.0.1", function()
  local port = server:address().port
  console.log("server: listening on 127.0.0.1:" .. port)

  local client
  client = net.connect(port, "127.0.0.1", function()
    console.log("client: connected")
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
