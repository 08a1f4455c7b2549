-- Lua VM instructions per HTTP request of the http server (a count hook on
-- the main thread), the figure to compare two versions of lua/luatls/http
-- with on a noisy machine:
--   build-release/luatls bench/http-cost.lua PORT [http|https] &
--   wrk -t1 -c20 -d4 http://127.0.0.1:PORT/      (https:// for https)
-- It serves the hello of bench/servers/http-luatls.lua (EC key from
-- build/test-certs), counts from 1.5 s to 3.5 s after it starts, prints
-- "N requests, M VM instructions/request" on stderr and exits.
local https, http, fs = require("https"), require("http"), require("fs")

local port, plain = tonumber(arg[1]) or 8000, arg[2] == "http"
local served, counted = 0, 0
local function hello(_, res)
  served = served + 1
  res:writeHead(200, { ["Content-Type"] = "text/plain" })
  res:done("hello world\n")
end
local server = plain and http.createServer(hello) or https.createServer({
  key = fs.readFileSync("build/test-certs/server-ec-key.pem"),
  cert = fs.readFileSync("build/test-certs/server-ec-chain.pem"),
}, hello)
server:listen(port, "127.0.0.1")

local main = debug.getregistry()[1] -- (callbacks run on the main thread)
local start
setTimeout(function()
  start = served
  debug.sethook(main, function() counted = counted + 1 end, "", 1000)
end, 1500)
setTimeout(function()
  debug.sethook(main)
  local n = served - start
  io.stderr:write(string.format("%d requests, %.0f VM instructions/request\n", n, n > 0 and counted * 1000 / n or 0))
  os.exit(0)
end, 3500)
