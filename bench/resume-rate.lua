-- Full vs resumed TLS handshakes per second, one connection at a time, and
-- the server's CPU per handshake (utime + stime from /proc/PID/stat).
--   build/luatls bench/resume-rate.lua [handshakes] [rounds]
-- Kinds: full handshakes (TLS 1.3 and 1.2), resumed by ticket (TLS 1.3 and
-- 1.2), resumed through a newSession/resumeSession store (TLS 1.2 session
-- IDs, TLS 1.3 stateful tickets). The client is this process; the server a
-- child luatls process. Medians over the rounds, kinds alternating.
local tls = require("tls")
local fs = require("fs")

local here = arg[0]:match("^(.*)/") or "."
local root = here .. "/.."
local certs = root .. "/build/test-certs/"

if arg[1] == "--server" then
  local store = arg[2] == "store"
  local server = tls.createServer({
    key = fs.readFileSync(certs .. "server-key.pem"), cert = fs.readFileSync(certs .. "server-chain.pem"),
  }, function(s) s:destroy() end)
  if store then
    local sessions = {}
    server:on("newSession", function(id, data, cb) sessions[id] = data; cb() end)
    server:on("resumeSession", function(id, cb) cb(nil, sessions[id]) end)
  end
  server:on("clientError", function() end)
  server:on("tlsClientError", function() end)
  server:listen(tonumber(arg[3]), "127.0.0.1", function() io.write("listening\n"); io.flush() end)
  return
end

assert(os.execute("bash " .. root .. "/scripts/make-certs " .. root .. "/build/test-certs"))
local N = tonumber(arg[1]) or 500
local ROUNDS = tonumber(arg[2]) or 3
local ca = fs.readFileSync(certs .. "ca-cert.pem")

local function cpu(pid)
  local f = assert(io.open("/proc/" .. pid .. "/stat"))
  local s = f:read("a")
  f:close()
  local fields = {}
  for x in s:gsub("^.-%) ", ""):gmatch("%S+") do fields[#fields + 1] = x end
  return (tonumber(fields[12]) + tonumber(fields[13])) / 100
end

local kinds = {
  { name = "full TLS 1.3", max = "TLSv1.3", resume = false, server = "plain" },
  { name = "full TLS 1.2", max = "TLSv1.2", resume = false, server = "plain" },
  { name = "ticket TLS 1.3", max = "TLSv1.3", resume = true, server = "plain" },
  { name = "ticket TLS 1.2", max = "TLSv1.2", resume = true, server = "plain" },
  { name = "store TLS 1.3", max = "TLSv1.3", resume = true, server = "store" },
  { name = "store TLS 1.2", max = "TLSv1.2", resume = true, server = "store" },
}
local results = {}

local function runKind(kind, round, done)
  local port = 30000 + (process.pid * 3 + round * 11) % 20000
  local p = io.popen(string.format("%s %s --server %s %d & echo $!", process.argv[1], arg[0], kind.server, port))
  local pid = tonumber(p:read("l"))
  assert(p:read("l") == "listening")
  local session, reused, i = nil, 0, 0
  local c0, t0
  local function one()
    i = i + 1
    if i == 2 then c0, t0 = cpu(pid), process.hrtime.bigint() end -- the first one makes the session
    if i > N + 1 then
      local c1, t1 = cpu(pid), process.hrtime.bigint()
      os.execute("kill " .. pid)
      p:close()
      return done(N / ((t1 - t0) / 1e9), (c1 - c0) / N * 1e6, reused)
    end
    local s
    s = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = ca, maxVersion = kind.max,
      session = kind.resume and session or nil }, function()
      if s:isSessionReused() then reused = reused + 1 end
      if kind.max == "TLSv1.2" and not session then session = s:getSession() end
    end)
    s:on("session", function(sess) session = session or sess end)
    s:on("data", function() end)
    s:on("error", function(e) error(e) end)
    s:on("close", function() setImmediate(one) end)
  end
  one()
end

local queue = {}
for r = 1, ROUNDS do for _, k in ipairs(kinds) do queue[#queue + 1] = { k, r } end end
local function median(t) table.sort(t); return t[(#t + 1) // 2] end
local function nextRun(j)
  local job = queue[j]
  if not job then
    io.write(string.format("%d handshakes per run, one at a time, median of %d rounds\n", N, ROUNDS))
    io.write(string.format("%-16s %14s %16s %10s\n", "kind", "handshakes/s", "server CPU/hs", "resumed"))
    for _, k in ipairs(kinds) do
      local r = results[k.name]
      io.write(string.format("%-16s %14.0f %13.0f us %9d%%\n", k.name, median(r.rate), median(r.cpu),
        math.floor(median(r.reused) / N * 100 + 0.5)))
    end
    return
  end
  runKind(job[1], job[2], function(rate, us, reused)
    local r = results[job[1].name] or { rate = {}, cpu = {}, reused = {} }
    results[job[1].name] = r
    table.insert(r.rate, rate)
    table.insert(r.cpu, us)
    table.insert(r.reused, reused)
    setImmediate(nextRun, j + 1)
  end)
end
nextRun(1)
