-- Where a luatls server's Lua time goes: Lua VM instructions per echo
-- message or per accepted connection, by function (a sampling count hook).
--   build/luatls bench/lua-cost.lua echo|handshake [seconds=3]
-- Needs build-bench/loadgen (see bench/README.md). The server pipes each
-- socket into itself, as bench/servers/luatls.lua does; loadgen runs 50
-- connections (echo, 16 bytes) or 50 handshakes in flight. A second of
-- warm-up is not counted. Deterministic enough to compare two versions of
-- lua/ (the figures move by a few per cent between runs; wall-clock CPU on
-- a shared 2-core machine moves by tens).
local tls = require("tls")
local fs = require("fs")

local mode, seconds = arg[1], tonumber(arg[2]) or 3
if mode ~= "echo" and mode ~= "handshake" then
  io.stderr:write("usage: luatls bench/lua-cost.lua echo|handshake [seconds]\n")
  os.exit(2)
end
local root = (arg[0]:match("^(.*)/bench/") or ".")
local certs = root .. "/build/test-certs/"
assert(os.execute("bash " .. root .. "/scripts/make-certs " .. certs .. " >/dev/null"))
local loadgen = root .. "/build-bench/loadgen"
if not io.open(loadgen) then io.stderr:write("build " .. loadgen .. " first\n"); os.exit(2) end

local counting, ops, samples, byFunction = false, 0, 0, {}
local EVERY = 97 -- VM instructions between samples (a prime: no aliasing with loops)

local server = tls.createServer({
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-chain.pem"),
}, function(socket)
  socket:pipe(socket)
  socket:on("error", function() end)
  if counting and mode == "handshake" then ops = ops + 1 end
  if mode == "echo" then
    socket:on("data", function() if counting then ops = ops + 1 end end)
  end
end)

server:listen(0, "127.0.0.1", function()
  local port = server:address().port
  local load = mode == "echo"
    and string.format("echo --conns 50 --size 16 --seconds %d --warmup 1", seconds + 2)
    or string.format("handshake --inflight 50 --count 1000000 --seconds %d", seconds + 2)
  io.popen(string.format("%s %s --port %d --ca %s >/dev/null 2>&1 &", loadgen, load, port,
    certs .. "ca-cert.pem")):close()
  setTimeout(function()
    counting = true
    debug.sethook(function()
      samples = samples + 1
      local info = debug.getinfo(2, "S")
      local key = info.short_src:match("[^/]*$") .. ":" .. info.linedefined
      byFunction[key] = (byFunction[key] or 0) + 1
    end, "", EVERY)
    setTimeout(function()
      debug.sethook()
      counting = false
      local unit = mode == "echo" and "message" or "connection"
      print(string.format("%d %ss; ~%.0f Lua VM instructions per %s", ops, unit,
        samples * EVERY / math.max(ops, 1), unit))
      local rows = {}
      for k, v in pairs(byFunction) do rows[#rows + 1] = { k, v } end
      table.sort(rows, function(a, b) return a[2] > b[2] end)
      for i = 1, math.min(25, #rows) do
        print(string.format("%8.1f  %s", rows[i][2] * EVERY / math.max(ops, 1), rows[i][1]))
      end
      server:close()
      os.exit(0)
    end, seconds * 1000)
  end, 1500)
end)
