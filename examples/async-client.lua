-- A TLS client written sequentially, in a task (the interpreter runs the
-- main chunk as one): connect, send an HTTP request, read the status line and
-- the headers line by line, print the server certificate's subject.
--   bash examples/make-certs.sh
--   build/luatls examples/async-client.lua [port] [host]
-- (against any HTTPS server: build/luatls examples/async-client.lua 443 example.org
--  verifies with the system's CAs; the default trusts examples/certs' server)
local async = require("async")
local tls = require("tls")
local fs = require("fs")

local port = tonumber(arg[1]) or 8000
local host = arg[2] or "localhost"
local certs = (arg[0]:match("^(.*)/") or ".") .. "/certs/"

local options = { host = host, port = port, servername = host }
if host == "localhost" then
  options.ca = { fs.readFileSync(certs .. "server-cert.pem") }
end

local socket = tls.connect(options)
-- Node: await once(socket, 'secureConnect'); an 'error' first is raised
async.timeout(10000, async.once, socket, "secureConnect")
print("connected: " .. socket:getProtocol() .. ", authorized: " .. tostring(socket.authorized))
local cert = socket:getPeerCertificate()
print("server certificate subject: CN=" .. tostring(cert.subject and cert.subject.CN))

assert(socket:send("GET / HTTP/1.1\r\nHost: " .. host .. "\r\nConnection: close\r\n\r\n"))

-- the status line, then headers up to the empty line, each with a deadline
local status, err = async.timeout(10000, socket.receive, socket, "*l")
if not status then
  print("no answer: " .. tostring(err))
  socket:destroy()
  return
end
print("status: " .. status)
while true do
  local line = async.timeout(10000, socket.receive, socket, "*l")
  if not line or line == "" then break end
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then print("header " .. name:lower() .. ": " .. value) end
end
socket:destroy()
