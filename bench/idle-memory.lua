-- RSS per idle TLS connection in a luatls server.
--   build/luatls bench/idle-memory.lua [connections] [--tls12]
-- Starts a TLS echo server in a child luatls process, opens N TLS
-- connections to it from this process, lets them go idle, and prints the
-- server's RSS growth divided by N (from /proc/PID/status).
local tls = require("tls")
local fs = require("fs")

local N = tonumber(arg[1]) or 1000
local tls12 = arg[2] == "--tls12"
local here = arg[0]:match("^(.*)/") or "."
local root = here .. "/.."
local certs = root .. "/build/test-certs/"
assert(os.execute("bash " .. root .. "/scripts/make-certs " .. root .. "/build/test-certs"))

if arg[1] == "--server" then
  local server = tls.createServer({
    key = fs.readFileSync(certs .. "server-key.pem"),
    cert = fs.readFileSync(certs .. "server-chain.pem"),
  }, function(s) s:pipe(s) end)
  server:listen(tonumber(arg[2]), "127.0.0.1", function() io.write("listening\n"); io.flush() end)
  return
end

local function rss(pid)
  local f = assert(io.open("/proc/" .. pid .. "/status"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) * 1024
end

local port = 20000 + (process.pid % 20000)
local p = io.popen(string.format("%s %s --server %d & echo $!", process.argv[1], arg[0], port))
local pid = tonumber(p:read("l"))
local line = p:read("l")
assert(line == "listening", "the server did not start")

local sockets, ready = {}, 0
local base
local base0 = rss(pid)
local function open(i)
  if i > N then return end
  local s
  s = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost",
    ca = fs.readFileSync(certs .. "ca-cert.pem"), maxVersion = tls12 and "TLSv1.2" or nil }, function()
    ready = ready + 1
    s:write("x")
  end)
  s:on("data", function()
    if ready == N and not base then
      -- all connected and each has echoed once: let the server settle
      setTimeout(function()
        local after = rss(pid)
        io.write(string.format("%d idle TLS%s connections: server RSS %.1f MiB -> %.1f MiB, %.1f KiB per connection\n",
          N, tls12 and "1.2" or "1.3", base0 / 1048576, after / 1048576, (after - base0) / N / 1024))
        for _, x in ipairs(sockets) do x:destroy() end
        os.execute("kill " .. pid)
      end, 1000)
      base = true
    end
  end)
  s:on("error", function(e) print("error", e) end)
  sockets[#sockets + 1] = s
  setImmediate(open, i + 1)
end
open(1)
