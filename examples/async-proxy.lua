-- A TLS-terminating proxy, written sequentially: for each TLS client, a plain
-- TCP connection to the backend, and one task per direction copying chunks
-- with backpressure (send waits while the other side is slow).
--   bash examples/make-certs.sh
--   build/luatls examples/async-proxy.lua [listen_port] [backend_port] [backend_host]
local async = require("async")
local tls = require("tls")
local net = require("net")
local fs = require("fs")

local port = tonumber(arg[1]) or 8443
local backendPort = tonumber(arg[2]) or 8000
local backendHost = arg[3] or "127.0.0.1"
local certs = (arg[0]:match("^(.*)/") or ".") .. "/certs/"

-- copy(from, to): until from ends, then end to (the half-close goes through)
local function copy(from, to)
  for chunk in from:iterator({ destroyOnReturn = false }) do
    if not to:send(chunk) then return end
  end
  to:done() -- end()
end

local function proxy(client)
  local backend = net.connect(backendPort, backendHost)
  local ok, err = pcall(async.once, backend, "connect")
  if not ok then
    print("backend: " .. tostring(err))
    client:destroy()
    return
  end
  local up = async.run(copy, client, backend)
  local down = async.run(copy, backend, client)
  local done, failure = pcall(async.all, { up, down })
  if not done then print("proxy: " .. tostring(failure)) end
  client:destroy()
  backend:destroy()
end

local server = tls.createServer({
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-cert.pem"),
  allowHalfOpen = true,
}, async.wrap(proxy))
server:listen(port, "127.0.0.1", function()
  print(string.format("proxy on 127.0.0.1:%d -> %s:%d", port, backendHost, backendPort))
end)
