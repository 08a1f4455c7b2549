-- The luatls server of the benchmark (bench/run starts one per figure).
--   luatls bench/servers/luatls.lua PORT MODE KEY CERTDIR [store]
-- MODE  echo: each connection is piped into itself; discard: read and drop.
-- KEY   rsa: CERTDIR/server-key.pem + server-chain.pem (RSA-2048 leaf and the
--       intermediate); ec: server-ec-key.pem + server-ec-chain.pem (P-256).
-- store an in-memory session store (the 'newSession'/'resumeSession'
--       listeners), which TLS 1.2 resumption by session ID needs.
-- Listens on 127.0.0.1:PORT and then prints "listening PORT" on stdout.
-- bench/servers/node.js is the same server written for Node: keep them alike.
local tls = require("tls")
local fs = require("fs")

local port, mode, key, dir, store = tonumber(arg[1]), arg[2], arg[3], arg[4], arg[5]
if not port or (mode ~= "echo" and mode ~= "discard") or (key ~= "rsa" and key ~= "ec")
    or not dir or (store ~= nil and store ~= "store") then
  io.stderr:write("usage: luatls bench/servers/luatls.lua PORT echo|discard rsa|ec CERTDIR [store]\n")
  os.exit(2)
end

local prefix = dir .. (key == "ec" and "/server-ec-" or "/server-")
local server = tls.createServer({
  key = fs.readFileSync(prefix .. "key.pem"),
  cert = fs.readFileSync(prefix .. "chain.pem"),
}, function(socket)
  if mode == "discard" then
    socket:on("data", function() end)
  else
    socket:pipe(socket)
  end
  socket:on("error", function() end) -- resets after close_notify are normal here
end)

if store then
  local sessions = {}
  server:on("newSession", function(id, data, cb)
    sessions[id] = data
    cb()
  end)
  server:on("resumeSession", function(id, cb) cb(nil, sessions[id]) end)
end

-- a few lines are enough to see what went wrong; thousands would only cost CPU
local reported = 0
server:on("tlsClientError", function(err)
  reported = reported + 1
  if reported <= 10 then io.stderr:write("tlsClientError: ", tostring(err.message), "\n") end
end)

server:listen(port, "127.0.0.1", function()
  io.stdout:write("listening ", port, "\n")
  io.stdout:flush()
end)
