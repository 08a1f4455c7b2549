-- test/stress/harness.lua: the differential stress harness. It proves that
-- pipe()'s C forwarding (src/tls/forward.c) gives what the Lua pipe gives:
-- the same randomized traffic goes through two server processes at once,
-- test/stress/server.lua in its "c" path (pipes forwarded in C) and in its
-- "lua" path (the same pipes kept in Lua by a 'data' listener), and
-- everything observable is compared. Used by spec/stress_spec.lua (a small
-- budget, in the suite and under ASan) and test/stress.lua (long runs).
--
-- A plan, drawn from a seed: the route (self: a TLS echo piped into itself;
-- proxy: a TLS front piped both ways to a TLS echo; term: a TLS front piped
-- both ways to a TCP echo; relay: a plain TCP front piped both ways, over
-- TCP, to the TLS echo, the client's TLS passing through it untouched (TCP
-- -> TCP, src/uv/forward.c): every forwarding route; first: the term front
-- before a TCP "speaker" that sends the plan's stream itself and half-closes
-- first, while the client may still be sending, and checks what it reads;
-- Node and luatls only: Python's asyncio TLS and s_client cannot go on
-- sending after the peer's close_notify), the peer (Node's tls,
-- Python's ssl, openssl s_client, luatls), the total (0 bytes up to the
-- caller's maximum), write sizes (1 byte up to WMAX, WMAX up to 4 MiB), how
-- the client ends ('end-early': half-close once it has written everything,
-- then read the rest of the echo; 'end-after': close once all came back;
-- 'reset': abort after RESETAT bytes came back), reads paused at random
-- (PAUSE per mille of reads, for up to PAUSEMS ms) and, for Node and luatls,
-- writes that ignore write()'s return value. The clients
-- (test/stress/client.{js,py,lua}) take it as arguments
--   PORT CA SEED TOTAL WMAX CLOSE RESETAT PAUSE PAUSEMS IGNORE
-- generate their bytes and write sizes from SEED with the same generator, and
-- print "result sent=N got=N intact=true|false end=HOW" (intact: what came
-- back is, byte for byte, the start of what was sent), or "stall ..." and exit
-- 3 when no byte moved for 5 s (the progress watchdog: the harness then asks
-- the server for a dump of its connections, queues included).
--
-- Checked for every plan, on both paths: the echo is intact and whole (for
-- 'reset': intact, and the end is the reset); the server's front connection
-- read and wrote exactly the total at 'close' and had no error; its
-- transport's write queue never went past QUEUE_BOUND (counted in C, not
-- sampled); on relay, where the front's counts are ciphertext, that its two
-- legs passed on exactly what they read, both ways (read by the front =
-- written by the leg behind it, and back); the C path forwarded in C and
-- the Lua path did not; the server's
-- descriptors come back to where they were; and the two paths' results are
-- the same.
local helper = require("spec.helper")
local certs = require("spec.certs")

local M = {}

local q = helper.quote
local MiB = 1024 * 1024

M.QUEUE_BOUND = MiB -- the mark (16 KiB) plus a read's records, with room
M.PEERS = { "node", "python", "s_client", "luatls" }
M.ROUTES = { "self", "proxy", "term", "first", "relay" }
local ECHO_ROUTES = { "self", "proxy", "term", "relay" }

-- the routes a peer can take
function M.routes(peer)
  return (peer == "node" or peer == "luatls") and M.ROUTES or ECHO_ROUTES
end

local root = helper.root

-- ---- the servers --------------------------------------------------------------

local function fds(pid)
  local p = io.popen("ls /proc/" .. pid .. "/fd 2>/dev/null | wc -l")
  local n = tonumber(p:read("a"))
  p:close()
  return n
end

local function startServer(path, planFile)
  local proc = helper.spawn(string.format("exec %s %s %s %s %s", q(helper.luatls),
    q(root .. "/test/stress/server.lua"), path, q(certs.certs()), q(planFile)))
  local ready
  helper.wait(function()
    ready = helper.output(proc):match("ready ([^\n]*)\n")
    return ready or helper.done(proc)
  end, 20000, "the " .. path .. " stress server")
  assert(ready, "the " .. path .. " stress server did not start:\n" .. helper.output(proc))
  local srv = { path = path, proc = proc, ports = {}, seen = 0, planFile = planFile }
  for k, v in ready:gmatch("(%w+)=(%d+)") do srv.ports[k] = tonumber(v) end
  srv.pid = srv.ports.pid
  srv.baseFds = fds(srv.pid)
  return srv
end

-- start() -> the two servers, one per path
function M.start()
  local planFile = os.tmpname() -- the plan the "first" route's speaker sends
  return { c = startServer("c", planFile), lua = startServer("lua", planFile) }
end

-- the server's output since the last call
local function newOutput(srv)
  local out = helper.output(srv.proc)
  local fresh = out:sub(srv.seen + 1)
  return fresh, out
end

local function sanitizerReport(text)
  return text:match("ERROR: %a+Sanitizer[^\n]*") or text:match("runtime error:[^\n]*")
end

-- stop(servers) -> nil, or what a sanitizer said in a server's output
function M.stop(servers)
  local report
  for _, srv in pairs(servers) do
    os.execute("kill -TERM " .. srv.pid .. " 2>/dev/null")
    helper.wait(function() return helper.done(srv.proc) end, 10000, "the stress server's exit")
    local out = helper.output(srv.proc)
    report = report or sanitizerReport(out)
    helper.kill(srv.proc)
    os.remove(srv.planFile)
  end
  return report
end

-- ---- plans --------------------------------------------------------------------

-- the harness's own generator (plans), apart from the clients' (bytes)
local function generator(seed)
  local x = seed & 0x7fffffff
  return function(n)
    x = (x * 1103515245 + 12345) & 0x7fffffff
    return (x >> 8) % n
  end
end

-- plan(seed[, o]) -> the plan seed draws. o: maxTotal (bytes, 32 MiB),
-- peer, route (drawn when not given), total (forced).
function M.plan(seed, o)
  o = o or {}
  local rand = generator(seed)
  local p = { seed = seed }
  p.peer = o.peer or M.PEERS[1 + rand(#M.PEERS)]
  local routes = M.routes(p.peer)
  p.route = o.route or routes[1 + rand(#routes)]
  local maxTotal = o.maxTotal or 32 * MiB
  if o.total then
    p.total = o.total
  elseif rand(20) == 0 then
    p.total = 0
  else -- log-uniform: as many small as large
    local bits = 0
    while (1 << bits) < maxTotal do bits = bits + 1 end
    p.total = math.min(maxTotal, rand(1 << rand(bits + 1)) + 1)
  end
  p.wmax = 1 << rand(23) -- 1 byte .. 4 MiB
  -- at most ~100k writes: a million one-byte writes measure the client's
  -- per-call cost, not the server
  if not o.total then p.total = math.min(p.total, p.wmax * 2048) end
  local closes = (p.peer == "node" or p.peer == "luatls") and { "end-early", "end-after", "reset" }
    or { "end-after", "reset" }
  p.close = closes[1 + rand(#closes)]
  if p.close == "reset" and p.total < 2 then p.close = "end-after" end
  p.resetAt = p.close == "reset" and 1 + rand(p.total - 1) or 0
  p.pause = rand(3) == 0 and 0 or rand(60)
  p.pauseMs = 1 + rand(200)
  p.ignore = (p.peer == "node" or p.peer == "luatls") and rand(2) or 0
  return p
end

function M.describe(p)
  return string.format("seed=%d peer=%s route=%s total=%d wmax=%d close=%s resetAt=%d pause=%d/%dms ignore=%d",
    p.seed, p.peer, p.route, p.total, p.wmax, p.close, p.resetAt, p.pause, p.pauseMs, p.ignore)
end

-- the peers this machine has
function M.available(peer)
  if peer == "node" then return helper.have("node") end
  if peer == "python" then return helper.have("python3") end
  if peer == "s_client" then return helper.have("python3") and helper.have("openssl") end
  return true
end

local function clientCommand(p, port)
  local args = string.format("%d %s %d %d %d %s %d %d %d %d", port, q(certs.path("ca-cert.pem")), p.seed,
    p.total, p.wmax, p.close, p.resetAt, p.pause, p.pauseMs, p.ignore)
  local dir = root .. "/test/stress/"
  if p.peer == "node" then return "exec node " .. q(dir .. "client.js") .. " " .. args end
  if p.peer == "python" then return "exec python3 " .. q(dir .. "client.py") .. " ssl " .. args end
  if p.peer == "s_client" then return "exec python3 " .. q(dir .. "client.py") .. " s_client " .. args end
  return "exec " .. q(helper.luatls) .. " " .. q(dir .. "client.lua") .. " " .. args
end

-- ---- running a plan -----------------------------------------------------------

local function dump(srv)
  os.execute("kill -USR1 " .. srv.pid .. " 2>/dev/null")
  local text
  pcall(helper.wait, function()
    text = newOutput(srv):match("dump {\n.-dump }")
    return text
  end, 3000, "the server's dump")
  return text or "(no dump)"
end

-- the plan's client against one server: its result, the server's record of
-- the front connection, and failures (a list)
local function finishOne(srv, p, proc, timeout)
  local fails = {}
  local ok, err = pcall(helper.wait, function() return helper.done(proc) end, timeout, "the client")
  local out = helper.output(proc)
  local status
  if ok then
    out, status = helper.finish(proc)
  else
    fails[#fails + 1] = tostring(err) .. "; server " .. dump(srv)
    helper.kill(proc)
  end
  local r = { out = out, status = status }
  r.sent, r.got, r.intact, r["end"] = out:match("result sent=(%d+) got=(%d+) intact=(%a+) end=(%S+)")
  if out:match("^stall") or out:match("\nstall") then
    fails[#fails + 1] = "no progress for 5 s: client " .. out:match("stall[^\n]*") .. "; server " .. dump(srv)
  elseif not r.sent then
    fails[#fails + 1] = "the client printed no result (status " .. tostring(status) .. "):\n" .. out
  end
  -- the server's record of the front connection (it may come a little
  -- later), and the speaker's on the route "first"
  local rec, spoke
  pcall(helper.wait, function()
    local fresh = newOutput(srv)
    rec = fresh:match("close (route=[^\n]*)\n")
    spoke = fresh:match("speaker ([^\n]*)\n")
    return rec and (spoke or p.route ~= "first")
  end, 10000, "the server's close record")
  local _, whole = newOutput(srv)
  srv.seen = #whole
  if rec then
    r.server = {}
    for k, v in rec:gmatch("(%w+)=(%S+)") do r.server[k] = v end
  else
    fails[#fails + 1] = "the server printed no close record for the connection"
  end
  if spoke then
    r.speaker = {}
    for k, v in spoke:gmatch("(%w+)=(%S+)") do r.speaker[k] = v end
  elseif p.route == "first" then
    fails[#fails + 1] = "the speaker printed no record for the connection"
  end
  return r, fails
end

local function checkOne(p, path, r, fails)
  local function fail(fmt, ...) fails[#fails + 1] = path .. ": " .. string.format(fmt, ...) end
  if not r.sent then return end
  if r.intact ~= "true" then fail("the echo is not what was sent (got %s bytes)", r.got) end
  if p.close == "reset" then
    if r["end"] ~= "reset" then fail("end=%s, expected the client's reset", r["end"]) end
  else
    if r["end"] ~= "end" then fail("end=%s, expected a clean end", r["end"]) end
    if tonumber(r.sent) ~= p.total or tonumber(r.got) ~= p.total then
      fail("sent %s and got back %s of %d bytes", r.sent, r.got, p.total)
    end
  end
  local s = r.server
  if not s then return end
  local relay = p.route == "relay" -- (the front's counts are ciphertext)
  if relay then
    local bread, bwritten = (s.back or ""):match("^(%d+)/(%d+)$")
    if not bread then
      fail("the server's record has no counts of the leg behind the front")
    elseif p.close ~= "reset" and (s.read ~= bwritten or s.written ~= bread) then
      fail("the relay lost bytes: the front read %s and wrote %s, the leg behind wrote %s and read %s", s.read,
        s.written, bwritten, bread)
    end
    if p.close ~= "reset" and s.err ~= "-" then fail("the server's socket had an error: %s", s.err) end
  elseif p.close ~= "reset" then
    if tonumber(s.read) ~= p.total or tonumber(s.written) ~= p.total then
      fail("the server's socket counted read=%s written=%s at 'close', expected %d", s.read, s.written, p.total)
    end
    if s.err ~= "-" then fail("the server's socket had an error: %s", s.err) end
  elseif p.route ~= "first" and not relay and tonumber(s.written) > tonumber(s.read) then -- (an echo)
    fail("the server's socket wrote more (%s) than it read (%s)", s.written, s.read)
  end
  if tonumber(s.peak) > M.QUEUE_BOUND then
    fail("the server's transport queue peaked at %s bytes (bound %d)", s.peak, M.QUEUE_BOUND)
  end
  local sp = r.speaker
  if sp then -- what the client sent, as the speaker read it behind the front
    if sp.intact ~= "true" then fail("the speaker read bytes the client did not send") end
    if p.close ~= "reset" and (tonumber(sp.read) ~= p.total or sp["end"] ~= "end") then
      fail("the speaker read %s of %d bytes, end=%s", sp.read, p.total, sp["end"])
    end
  end
  if path == "lua" and s.inC ~= "0" then fail("the Lua path forwarded in C") end
  if path == "c" and s.inC ~= "1" and p.total >= MiB then fail("the C path never forwarded in C") end
end

-- what must come out the same on both paths
local function observable(p, r)
  if not r.sent then return "no result" end
  local s = r.server or {}
  if p.close == "reset" then
    return string.format("intact=%s end=%s", r.intact, r["end"])
  end
  local sp = r.speaker or {}
  if p.route == "relay" then -- (ciphertext counts differ with the records' sizes)
    local bread, bwritten = (s.back or ""):match("^(%d+)/(%d+)$")
    return string.format("sent=%s got=%s intact=%s end=%s relayed=%s err=%s", r.sent, r.got, r.intact, r["end"],
      tostring(bread ~= nil and s.read == bwritten and s.written == bread), s.err)
  end
  return string.format("sent=%s got=%s intact=%s end=%s read=%s written=%s err=%s speaker=%s/%s/%s", r.sent,
    r.got, r.intact, r["end"], s.read, s.written, s.err, sp.read, sp.intact, sp["end"])
end

-- run(servers, plan[, timeout]) -> figures { bytes = }, failures (a list of
-- strings, each naming the seed and plan); both paths at once
function M.run(servers, p, timeout)
  timeout = timeout or 120000
  local f = assert(io.open(servers.c.planFile, "w"))
  f:write(string.format("%d %d\n", p.seed, p.total))
  f:close()
  local procs = {}
  for _, path in ipairs({ "c", "lua" }) do
    procs[path] = helper.spawn(clientCommand(p, servers[path].ports[p.route]))
  end
  local results, fails = {}, {}
  for _, path in ipairs({ "c", "lua" }) do
    local r, rfails = finishOne(servers[path], p, procs[path], timeout)
    for _, m in ipairs(rfails) do fails[#fails + 1] = path .. ": " .. m end
    checkOne(p, path, r, fails)
    results[path] = r
  end
  local oc, ol = observable(p, results.c), observable(p, results.lua)
  if oc ~= ol then fails[#fails + 1] = "the paths differ: c " .. oc .. " / lua " .. ol end
  -- the servers' descriptors back where they were (a connection's close may
  -- lag its record a little)
  for _, path in ipairs({ "c", "lua" }) do
    local srv = servers[path]
    local ok = pcall(helper.wait, function() return fds(srv.pid) == srv.baseFds end, 5000)
    if not ok then
      fails[#fails + 1] = string.format("%s: the server holds %s descriptors, %d before", path,
        tostring(fds(srv.pid)), srv.baseFds)
    end
  end
  for i, m in ipairs(fails) do fails[i] = M.describe(p) .. ": " .. m end
  local moved = 0
  for _, r in pairs(results) do moved = moved + (tonumber(r.sent) or 0) + (tonumber(r.got) or 0) end
  return { bytes = moved }, fails
end

return M
