-- A line protocol over TLS, one task per connection, written sequentially:
-- each command is a line, each answer a line; a client that stays silent for
-- 30 s (or the time given) is told so and dropped.
--   bash examples/make-certs.sh
--   build/luatls examples/async-line-server.lua [port] [idle_ms]
--   openssl s_client -quiet -connect 127.0.0.1:8000   (then type: TIME, ECHO x, QUIT)
local async = require("async")
local tls = require("tls")
local fs = require("fs")

local port = tonumber(arg[1]) or 8000
local idle = tonumber(arg[2]) or 30000
local certs = (arg[0]:match("^(.*)/") or ".") .. "/certs/"

local commands = {
  TIME = function() return os.date("!%Y-%m-%dT%H:%M:%SZ") end,
  ECHO = function(rest) return rest end,
  UPPER = function(rest) return rest:upper() end,
  SLOW = function(rest) -- an answer that takes time: the task waits, others go on
    async.sleep(tonumber(rest) or 100)
    return "done"
  end,
}

local function serve(socket)
  local peer = socket.remoteAddress .. ":" .. socket.remotePort
  print("connection from " .. peer)
  socket:send("READY\n")
  while true do
    local ok, line, err = pcall(async.timeout, idle, socket.receive, socket, "*l")
    if not ok then -- the deadline passed: line is the ETIMEDOUT error
      socket:send("BYE idle\n")
      break
    end
    if not line then
      if err.code ~= "EOF" then print(peer .. ": " .. tostring(err)) end
      break
    end
    local cmd, rest = line:match("^(%S+)%s?(.*)$")
    cmd = cmd and cmd:upper()
    if cmd == "QUIT" then
      socket:send("BYE\n")
      break
    end
    local handler = commands[cmd]
    local answer = handler and ("OK " .. handler(rest)) or ("ERR unknown command " .. tostring(cmd))
    if not socket:send(answer .. "\n") then break end
  end
  socket:done() -- end(): what was sent reaches the peer first
  print("closed " .. peer)
end

local server = tls.createServer({
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-cert.pem"),
}, async.wrap(serve))
server:listen(port, "127.0.0.1", function()
  print("line server on 127.0.0.1:" .. port)
end)
