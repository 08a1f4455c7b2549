-- A TCP echo client: sends a line, prints what comes back, and ends.
--   build/luatls examples/tcp-echo-client.lua [port] [host] [message]
local net = require("net")

local port = tonumber(arg[1]) or 8124
local host = arg[2] or "127.0.0.1"
local message = arg[3] or "hello, echo"

local client = net.connect(port, host, function(client)
  console.log("connected to", client.remoteAddress .. ":" .. client.remotePort)
  client:write(message .. "\n")
end)
client:setEncoding("utf8")

local received = ""
client:on("data", function(data)
  received = received .. data
  if received:find("\n") then
    io.write("echoed: ", received)
    client:done() -- end(): we are done writing; the server ends too
  end
end)
client:on("end", function() console.log("server closed the connection") end)
client:on("error", function(err)
  console.error("error:", err)
  process.exitCode = 1
end)
