-- A TLS router that does not terminate TLS: it reads the first bytes a
-- client sends, finds the server name (and the ALPN protocols) in its
-- ClientHello, connects to the backend chosen for them, replays the bytes
-- it read and then forwards both ways. The TLS session is between the
-- client and the backend; the router never holds a key.
--
-- Two ways to write it, the same routes:
--   tls.createRouter (the default): luatls's router, everything per
--     connection in C (src/tls/router.c); Lua only sets it up.
--   --pipes: what a Node script would do: a net.Server, tls.parseClientHello
--     on the bytes read so far, net.connect, and two pipe()s, which forward
--     in C once the bytes are replayed (src/uv/forward.c). Every connection
--     costs a few thousand Lua instructions (bench/RESULTS.md, section 9).
-- spec/tls_router_spec.lua runs the same random traffic through both.
--   build/luatls examples/sni-router.lua PORT ROUTE... [--pipes] [--quiet]
-- ROUTE is NAME=HOST:PORT, NAME/ALPN=HOST:PORT (that name asking for that
-- protocol), or *=HOST:PORT (every other name, and clients that send none).
-- For example:
--   build/luatls examples/sni-router.lua 8443 localhost=127.0.0.1:9001 \
--     wrong.example.org=127.0.0.1:9002 '*=127.0.0.1:9001'
--   openssl s_client -connect 127.0.0.1:8443 -servername wrong.example.org
-- Loaded as a chunk (loadfile(path)(PORT, ROUTE...)), it returns the server.
local net = require("net")
local tls = require("tls")

-- ---- the routes -----------------------------------------------------------------

local args = { ... }
if #args == 0 then args = arg or {} end
local port, routes, quiet, pipes = tonumber(args[1]), {}, false, false
for i = 2, #args do
  local key, host, p = args[i]:match("^([^=]+)=([^:]+):(%d+)$")
  if args[i] == "--quiet" then
    quiet = true
  elseif args[i] == "--pipes" then
    pipes = true
  elseif key then
    routes[key:lower()] = { host = host, port = tonumber(p) }
  else
    error("bad route " .. args[i] .. " (NAME[/ALPN]=HOST:PORT)")
  end
end
assert(port, "usage: sni-router.lua PORT NAME[/ALPN]=HOST:PORT... [--pipes] [--quiet]")

local function log(...)
  if not quiet then print(...) end
end

-- ---- tls.createRouter ------------------------------------------------------------

if not pipes then
  local list = {}
  for key, r in pairs(routes) do list[key] = { host = r.host, port = r.port } end
  local router = tls.createRouter({ routes = list })
  router:listen(port, function() log("sni-router listening on " .. port) end)
  return router
end

-- ---- the same with pipes ---------------------------------------------------------

-- the backend for a ClientHello: its name with one of its protocols, its
-- name, then the default
local function pick(hello)
  local name = (hello.servername or ""):lower()
  for _, proto in ipairs(hello.alpnProtocols) do
    local r = routes[name .. "/" .. proto:lower()]
    if r then return r end
  end
  return routes[name] or routes["*"]
end

-- the largest ClientHello tls.parseClientHello takes, in records of 16 KiB
local MAX_HELLO = 131396 + 5 * 9

local server = net.createServer(function(client)
  local read = ""
  client:on("error", function(err) log("client: " .. tostring(err.code or err)) end)
  client:setTimeout(10000, function() client:destroy() end) -- a hello takes no longer
  local function onData(chunk)
    read = read .. chunk
    local hello, why = tls.parseClientHello(read) -- nil, "incomplete" until whole
    if not hello and why == "incomplete" and #read < MAX_HELLO then return end
    client:removeListener("data", onData)
    client:pause()
    client:setTimeout(0)
    local route = hello and pick(hello)
    if not route then
      log(string.format("refused %s: %s", client.remoteAddress,
        hello and "no route for " .. (hello.servername or "no name") or tostring(why)))
      return client:destroy()
    end
    log(string.format("%s -> %s:%d", hello.servername or "(no name)", route.host, route.port))
    local backend
    backend = net.connect(route.port, route.host, function()
      backend:write(read) -- the bytes read so far, then everything else
      read = nil
      client:pipe(backend)
      backend:pipe(client)
    end)
    backend:on("error", function(err)
      log("backend: " .. tostring(err.code or err))
      client:destroy()
    end)
    client:on("close", function() backend:destroy() end)
    backend:on("close", function() client:destroy() end)
  end
  client:on("data", onData)
end)

server:listen(port, function() log("sni-router listening on " .. port) end)
return server
