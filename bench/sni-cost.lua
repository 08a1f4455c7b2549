-- What a waiting SNICallback costs per handshake: server CPU time (utime +
-- stime from /proc/PID/stat) per full TLS 1.3 handshake, for a server
--   none       without SNICallback
--   sync       whose SNICallback answers at once (cb inside the call)
--   immediate  whose SNICallback answers from setImmediate (the handshake
--              pauses in C and resumes: the retry path)
--   timer      whose SNICallback answers after a 1 ms timer
-- The client runs in this process, the server in a child luatls process.
--   build/luatls bench/sni-cost.lua [handshakes] [in-flight] [rounds]
local tls = require("tls")
local fs = require("fs")

local here = arg[0]:match("^(.*)/") or "."
local root = here .. "/.."
local certs = root .. "/build/test-certs/"

if arg[1] == "--server" then
  local mode, port = arg[2], tonumber(arg[3])
  local ctx = tls.createSecureContext({
    key = fs.readFileSync(certs .. "server-key.pem"), cert = fs.readFileSync(certs .. "server-chain.pem") })
  local sni
  if mode == "sync" then
    sni = function(_, cb) cb(nil, ctx) end
  elseif mode == "immediate" then
    sni = function(_, cb) setImmediate(cb, nil, ctx) end
  elseif mode == "timer" then
    sni = function(_, cb) setTimeout(cb, 1, nil, ctx) end
  end
  local server = tls.createServer({ secureContext = ctx, SNICallback = sni }, function(s) s:destroy() end)
  server:on("tlsClientError", function() end)
  server:listen(port, "127.0.0.1", function() io.write("listening\n"); io.flush() end)
  return
end

assert(os.execute("bash " .. root .. "/scripts/make-certs " .. root .. "/build/test-certs"))
local N = tonumber(arg[1]) or 1000
local INFLIGHT = tonumber(arg[2]) or 20
local ROUNDS = tonumber(arg[3]) or 3
local ca = fs.readFileSync(certs .. "ca-cert.pem")
local TICKS = 100 -- USER_HZ on Linux

local function cpu(pid)
  local f = assert(io.open("/proc/" .. pid .. "/stat"))
  local s = f:read("a")
  f:close()
  local fields = {}
  for x in s:gsub("^.-%) ", ""):gmatch("%S+") do fields[#fields + 1] = x end
  return (tonumber(fields[12]) + tonumber(fields[13])) / TICKS -- utime, stime
end

local modes = { "none", "sync", "immediate", "timer" }
local results = {}
local function median(t) table.sort(t); return t[(#t + 1) // 2] end

local function runOne(mode, round, done)
  local port = 30000 + (process.pid + round * 7) % 20000
  local p = io.popen(string.format("%s %s --server %s %d & echo $!", process.argv[1], arg[0], mode, port))
  local pid = tonumber(p:read("l"))
  assert(p:read("l") == "listening")
  local started, finished, failed = 0, 0, 0
  local c0, t0 = cpu(pid), process.hrtime.bigint()
  local function one()
    if started >= N then return end
    started = started + 1
    local s
    s = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = ca }, function() s:destroy() end)
    s:on("error", function() failed = failed + 1 end)
    s:on("close", function()
      finished = finished + 1
      if finished == N then
        local c1, t1 = cpu(pid), process.hrtime.bigint()
        os.execute("kill " .. pid)
        p:close()
        done((c1 - c0) / N * 1e6, N / ((t1 - t0) / 1e9), failed)
      else
        one()
      end
    end)
  end
  for _ = 1, INFLIGHT do one() end
end

local queue = {}
for round = 1, ROUNDS do
  for _, mode in ipairs(modes) do queue[#queue + 1] = { mode, round } end
end
local function nextRun(i)
  local job = queue[i]
  if not job then
    io.write(string.format("%d handshakes per run, %d in flight, median of %d rounds (alternating modes)\n",
      N, INFLIGHT, ROUNDS))
    io.write(string.format("%-10s %14s %14s\n", "mode", "server CPU/hs", "handshakes/s"))
    local base = median(results.none.cpu)
    for _, mode in ipairs(modes) do
      local c = median(results[mode].cpu)
      io.write(string.format("%-10s %11.0f us %14.0f   (%+.0f us vs none)\n",
        mode, c, median(results[mode].rate), c - base))
    end
    return
  end
  runOne(job[1], job[2], function(us, rate, failed)
    assert(failed == 0, failed .. " handshakes failed")
    results[job[1]] = results[job[1]] or { cpu = {}, rate = {} }
    table.insert(results[job[1]].cpu, us)
    table.insert(results[job[1]].rate, rate)
    setImmediate(nextRun, i + 1)
  end)
end
nextRun(1)
