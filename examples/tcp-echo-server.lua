-- A TCP echo server: every byte a client sends comes back to it.
--   build/luatls examples/tcp-echo-server.lua [port] [host]
local net = require("net")

local port = tonumber(arg[1]) or 8124
local host = arg[2] or "127.0.0.1"

local server = net.createServer(function(socket)
  console.log("client connected", socket.remoteAddress, socket.remotePort)
  socket:on("end", function() console.log("client disconnected") end)
  socket:on("error", function(err) console.error("socket error:", err) end)
  socket:pipe(socket) -- with backpressure: a slow reader pauses the echo
end)

server:on("error", function(err)
  console.error("server error:", err)
  process.exit(1)
end)

server:listen(port, host, function()
  local a = server:address()
  console.log(string.format("echo server listening on %s:%d", a.address, a.port))
end)

process:on("SIGTERM", function() server:close() end)
process:on("SIGINT", function() server:close() end)
