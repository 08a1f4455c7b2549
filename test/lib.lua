-- test/lib.lua: the reliability scenarios, shared by the slow scripts in test/
-- (churn.lua, load.lua, exhaust.lua, slow.lua: full figures) and by
-- spec/reliability_spec.lua (reduced figures). Each scenario runs a TLS server
-- as a process of its own (test/server.lua), drives it from this process, and
-- returns a table of figures; it raises when the server stops answering or a
-- wait runs past its bound. The callers check the figures.
--
-- Runs inside the luatls interpreter from the repository's root (it needs
-- spec.helper, spec.certs, and luatls.*). Traffic goes to 127.0.0.1 only.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")
local core = require("luatls.core")
local timers = require("luatls.timers")

local M = {}

local q = helper.quote
local MiB = 1024 * 1024

-- ---- the server process and what it uses ---------------------------------------

-- descriptors open in process pid (ls /proc/PID/fd | wc -l)
function M.fds(pid)
  local p = io.popen("ls /proc/" .. pid .. "/fd 2>/dev/null | wc -l")
  local n = tonumber(p:read("a"))
  p:close()
  return n
end

-- resident set size of process pid, in bytes (VmRSS)
function M.rss(pid)
  local f = io.open("/proc/" .. pid .. "/status")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local kb = s:match("VmRSS:%s*(%d+)")
  return kb and tonumber(kb) * 1024
end

function M.mib(bytes) return string.format("%.1f MiB", bytes / MiB) end

-- Is the process still there (and not a zombie)?
function M.alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local s = f:read("a")
  f:close()
  return not s:match("^%d+ %b() Z")
end

-- heap(srv) -> { inUse = bytes malloc holds for the program, trimmedRss =
-- VmRSS after malloc_trim(0) } read through gdb (malloc_stats() prints to the
-- server's stderr), or nil when gdb cannot attach. RSS alone overstates what
-- a process keeps: glibc rarely hands freed memory back to the kernel.
function M.heap(srv)
  -- (ASan's allocator is not glibc's: nothing to read there)
  if core.versions().sanitized or not helper.have("gdb") then return nil end
  local before = #helper.output(srv.proc)
  local _, status = helper.sh("timeout 30 gdb -p " .. srv.pid ..
    " -batch -ex 'call (void)malloc_stats()' -ex 'call (int)malloc_trim(0)' >/dev/null 2>&1")
  if status ~= 0 then return nil end
  local text
  local ok = pcall(helper.wait, function()
    text = helper.output(srv.proc):sub(before + 1)
    return text:match("Total %(incl%. mmap%):%s*system bytes%s*=%s*%d+%s*in use bytes%s*=%s*%d+")
  end, 5000, "malloc_stats")
  if not ok then return nil end
  local inUse = text:match("Total %(incl%. mmap%):%s*system bytes%s*=%s*%d+%s*in use bytes%s*=%s*(%d+)")
  return { inUse = tonumber(inUse), trimmedRss = M.rss(srv.pid) }
end

local Server = {}
Server.__index = Server

-- The end of a scenario: stop the server (or kill it when the scenario
-- failed, and raise its error). res.output, res.exitStatus: what the server
-- printed and how it exited.
function M.finish(srv, ok, res)
  if not ok then
    srv:kill()
    error(res, 0)
  end
  res.output, res.exitStatus = srv:stop()
  return res
end

-- startServer({ handshakeTimeout=, flood=, ulimit= }) -> a running
-- test/server.lua. ulimit: `ulimit -n` for that process.
function M.startServer(o)
  o = o or {}
  local args = { q(helper.luatls), q(helper.root .. "/test/server.lua"), q(certs.certs()) }
  for _, k in ipairs({ "handshakeTimeout", "flood", "port", "hooks" }) do
    if o[k] then args[#args + 1] = k .. "=" .. tostring(o[k]) end
  end
  local cmd = "exec " .. table.concat(args, " ")
  if o.ulimit then cmd = "ulimit -n " .. o.ulimit .. " && " .. cmd end
  local self = setmetatable({ proc = helper.spawn(cmd), lines = {}, buf = "" }, Server)
  helper.wait(function()
    if helper.done(self.proc) then
      error("test/server.lua exited: " .. helper.output(self.proc), 0)
    end
    local port, ctl, pid = helper.output(self.proc):match("READY port=(%d+) ctl=(%d+) pid=(%d+)")
    if port then
      self.port, self.ctlPort, self.pid = tonumber(port), tonumber(ctl), tonumber(pid)
      return true
    end
  end, 15000, "test/server.lua to listen")
  -- one control connection, kept for the server's whole life (so it is part
  -- of the baseline of descriptors)
  local connected, failed = false, nil
  self.ctl = net.connect(self.ctlPort, "127.0.0.1", function() connected = true end)
  self.ctl:on("error", function(e) failed = e end)
  self.ctl:on("data", function(d)
    self.buf = self.buf .. d
    while true do
      local line, rest = self.buf:match("^([^\n]*)\n(.*)$")
      if not line then break end
      self.buf = rest
      self.lines[#self.lines + 1] = line
    end
  end)
  helper.wait(function() return connected or failed end, 5000, "the control connection")
  if failed then error("control connection: " .. tostring(failed), 0) end
  return self
end

-- command(line) -> the server's one-line answer
function Server:command(line, timeout)
  local n = #self.lines
  self.ctl:write(line .. "\n")
  helper.wait(function()
    if not M.alive(self.pid) then error("the server process died: " .. helper.output(self.proc), 0) end
    return #self.lines > n
  end, timeout or 10000, "the server's answer to " .. line)
  return table.remove(self.lines, n + 1)
end

-- stats() -> { accepted=, secure=, closed=, open=, errors=, sockerr=,
-- produced=, uncaught=, codes = { CODE = n } }
function Server:stats()
  local t = { codes = {} }
  self.lastStats = self:command("stats")
  for k, v in self.lastStats:gmatch("(%S+)=(%S+)") do
    local code = k:match("^err%.(.*)$")
    if code then t.codes[code] = tonumber(v) else t[k] = tonumber(v) end
  end
  return t
end

-- a full collection in the server, then its RSS and descriptors
function Server:measure()
  self:command("gc")
  return { rss = M.rss(self.pid), fds = M.fds(self.pid) }
end

-- wait until the server's stats satisfy cond(stats); returns them
function Server:waitStats(cond, timeout, what)
  local st
  local deadline = core.hrtime() + (timeout or 10000) * 1e6
  helper.wait(function()
    st = self:stats()
    if cond(st) then return true end
    if core.hrtime() > deadline then
      error(string.format("timed out after %d ms waiting for %s (server: %s)", timeout or 10000,
        what or "the server", self.lastStats or "?"), 0)
    end
    helper.sleep(20)
    return false
  end, (timeout or 10000) + 5000, what)
  return st
end

-- wait until the server holds no more than `fds` descriptors
function Server:waitFds(fds, timeout)
  local n
  local deadline = core.hrtime() + (timeout or 10000) * 1e6
  repeat
    n = M.fds(self.pid)
    if n <= fds then return n end
    helper.sleep(50)
  until core.hrtime() > deadline
  return n
end

function Server:stop()
  if self.stopped then return end
  self.stopped = true
  if M.alive(self.pid) then pcall(self.command, self, "quit", 3000) end
  self.ctl:destroy()
  helper.wait(function() return helper.done(self.proc) end, 5000, "the server to exit")
  return helper.finish(self.proc)
end

-- kill it whatever state it is in (for finally())
function Server:kill()
  if self.stopped then return end
  self.stopped = true
  if self.ctl then self.ctl:destroy() end
  return helper.kill(self.proc)
end

-- ---- clients ----------------------------------------------------------------------

function M.clientOptions(port, extra)
  local o = { port = port, host = "127.0.0.1", servername = "localhost", ca = certs.read("ca-cert.pem") }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- roundTrip(port, data) -> what came back, the client's error
function M.roundTrip(port, data, extra, timeout)
  local got, closed, err = {}, false, nil
  local c
  c = tls.connect(M.clientOptions(port, extra), function() c:done(data) end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function(e) err = e end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end, timeout or 10000, "a TLS round trip")
  return table.concat(got), err
end

-- A real ClientHello, as tls.connect sends it (the first flight).
function M.captureClientHello()
  local hello
  local catcher = net.createServer(function(s)
    local parts = {}
    s:on("data", function(d)
      parts[#parts + 1] = d
      local all = table.concat(parts)
      -- one handshake record: 5-byte header + its length
      if #all >= 5 and #all >= 5 + (all:byte(4) << 8 | all:byte(5)) then
        hello = hello or all:sub(1, 5 + (all:byte(4) << 8 | all:byte(5)))
        s:destroy()
      end
    end)
    s:on("error", function() end)
  end)
  local port
  catcher:listen(0, "127.0.0.1", function() port = catcher:address().port end)
  helper.wait(function() return port end, 5000, "the catcher")
  local c = tls.connect(M.clientOptions(port))
  c:on("error", function() end)
  helper.wait(function() return hello and c.destroyed end, 5000, "a ClientHello")
  local closed = false
  catcher:close(function() closed = true end)
  helper.wait(function() return closed end, 5000, "the catcher to close")
  return hello
end

-- The churn client (test/churn_client.c), built when missing or older than
-- its source. -> its path
function M.churnClient()
  local src = helper.root .. "/test/churn_client.c"
  local dir = helper.root .. "/build/reliability"
  local exe = dir .. "/churn_client"
  local out, status = helper.sh(string.format(
    "mkdir -p %s && { [ %s -nt %s ] || cc -O2 -Wall -o %s %s; }",
    q(dir), q(exe), q(src), q(exe), q(src)))
  if status ~= 0 then error("cannot build " .. src .. ":\n" .. out, 0) end
  return exe
end

-- ---- 1. churn ---------------------------------------------------------------------

-- churn(n[, batch]): n clients that reset mid-ClientHello (SO_LINGER 0) and n
-- that send the whole ClientHello and close, in alternating batches. After
-- each batch the server must have reported exactly that batch's
-- 'tlsClientError's. Figures: per-mode error counts and codes, descriptors and
-- RSS at the start, after a third and at the end, round trip after, time.
function M.churn(n, o)
  o = o or {}
  local batch = o.batch or 200
  local log = o.log or function() end
  local exe = M.churnClient()
  local helloFile = os.tmpname()
  local f = assert(io.open(helloFile, "wb"))
  local hello = M.captureClientHello()
  f:write(hello)
  f:close()
  local srv = M.startServer({ handshakeTimeout = 10000, hooks = o.hooks and 1 or nil })
  local ok, res = pcall(function()
    local r = { n = n, batch = batch, hooks = o.hooks, helloBytes = #hello, reset = { errors = 0, codes = {} },
      vanish = { errors = 0, codes = {} } }
    assert(M.roundTrip(srv.port, "warm up") == "warm up", "the warm-up round trip")
    local before = srv:stats()
    r.base = srv:measure()
    if o.heap then r.base.heap = M.heap(srv) end
    log(string.format("baseline: %d fds, RSS %s", r.base.fds, M.mib(r.base.rss)))
    local t0 = core.hrtime()
    local sent, expected = 0, before.errors
    local codes = before.codes
    local third = false
    while sent < n do
      local k = math.min(batch, n - sent)
      for _, mode in ipairs({ "reset", "vanish" }) do
        local out, status = helper.finish(helper.spawn(string.format("%s %d %s %s %d",
          q(exe), srv.port, q(helloFile), mode, k)), 60000)
        if status ~= 0 then error("churn_client " .. mode .. ": " .. out, 0) end
        expected = expected + k
        local st = srv:waitStats(function(s) return s.errors >= expected end, 20000,
          string.format("%d tlsClientError (%s batch)", expected, mode))
        local m = r[mode]
        m.errors = m.errors + (st.errors - (expected - k))
        -- which codes this batch added
        for code, v in pairs(st.codes) do
          local d = v - (codes[code] or 0)
          if d > 0 then m.codes[code] = (m.codes[code] or 0) + d end
        end
        codes = st.codes
        if st.errors ~= expected then
          error(string.format("%s batch: %d tlsClientError for %d clients", mode, st.errors - expected + k, k), 0)
        end
      end
      sent = sent + k
      if not third and sent * 3 >= n then
        third = true
        srv:waitStats(function(s) return s.open == 0 end, 20000, "every churned socket to close")
        r.third = srv:measure()
        if o.heap then r.third.heap = M.heap(srv) end
        r.third.sent = sent
        log(string.format("after %d+%d: %d fds, RSS %s", sent, sent, r.third.fds, M.mib(r.third.rss)))
      end
    end
    r.seconds = (core.hrtime() - t0) / 1e9
    local st = srv:waitStats(function(s) return s.open == 0 end, 20000, "every churned socket to close")
    r.stats = st
    r.fdsSettled = srv:waitFds(r.base.fds, 10000)
    r.after = srv:measure()
    if o.heap then r.after.heap = M.heap(srv) end
    log(string.format("after %d+%d in %.1f s: %d fds, RSS %s", n, n, r.seconds, r.after.fds, M.mib(r.after.rss)))
    r.echo = M.roundTrip(srv.port, "still serving")
    -- nothing more may come in late
    helper.sleep(200)
    r.final = srv:stats()
    return r
  end)
  os.remove(helloFile)
  return M.finish(srv, ok, res)
end

-- ---- 2. load ----------------------------------------------------------------------

-- load(n[, rounds]): n TLS 1.3 clients connected at once, each echoing a 1 KiB
-- message of its own; all held open until every one has its echo, then all
-- closed. Figures per round: successes, failures, the server's descriptors
-- and RSS at the start, at the peak (all n open) and after, and times.
function M.load(n, o)
  o = o or {}
  local rounds = o.rounds or 1
  local log = o.log or function() end
  local srv = M.startServer({})
  local ok, res = pcall(function()
    local r = { n = n, rounds = {} }
    assert(M.roundTrip(srv.port, "warm up") == "warm up", "the warm-up round trip")
    r.base = srv:measure()
    if o.heap then r.base.heap = M.heap(srv) end
    log(string.format("baseline: %d fds, RSS %s", r.base.fds, M.mib(r.base.rss)))
    for round = 1, rounds do
      local rr = { ok = 0, failed = 0, errors = {}, protocols = {} }
      local clients, echoed, closed = {}, 0, 0
      local t0 = core.hrtime()
      for i = 1, n do
        local msg = string.format("client %06d ", i):rep(74):sub(1, 1024)
        local c = tls.connect(M.clientOptions(srv.port, { minVersion = "TLSv1.3" }))
        local got, done = {}, false
        clients[i] = c
        c:on("secureConnect", function()
          rr.protocols[c:getProtocol()] = (rr.protocols[c:getProtocol()] or 0) + 1
          c:write(msg)
        end)
        c:on("data", function(d)
          got[#got + 1] = d
          if not done and #table.concat(got) >= #msg then
            done = true
            if table.concat(got) == msg then rr.ok = rr.ok + 1 else rr.failed = rr.failed + 1 end
            echoed = echoed + 1
          end
        end)
        c:on("error", function(e)
          local code = type(e) == "table" and e.code or tostring(e)
          rr.errors[code] = (rr.errors[code] or 0) + 1
          if not done then done = true; rr.failed = rr.failed + 1; echoed = echoed + 1 end
        end)
        c:on("close", function()
          closed = closed + 1
          if not done then done = true; rr.failed = rr.failed + 1; echoed = echoed + 1 end
        end)
      end
      helper.wait(function() return echoed >= n end, 120000, n .. " echoes")
      rr.connectSeconds = (core.hrtime() - t0) / 1e9
      local st = srv:stats()
      rr.peak = { fds = M.fds(srv.pid), rss = M.rss(srv.pid), open = st.open }
      log(string.format("round %d: %d ok, %d failed in %.1f s; peak %d fds (%d open), RSS %s", round,
        rr.ok, rr.failed, rr.connectSeconds, rr.peak.fds, st.open, M.mib(rr.peak.rss)))
      for _, c in ipairs(clients) do c:done() end
      helper.wait(function() return closed >= n end, 60000, "the clients to close")
      rr.stats = srv:waitStats(function(s) return s.open == 0 end, 30000, "the server's sockets to close")
      rr.fdsSettled = srv:waitFds(r.base.fds, 10000)
      rr.after = srv:measure()
      if o.heap then rr.after.heap = M.heap(srv) end
      rr.seconds = (core.hrtime() - t0) / 1e9
      log(string.format("round %d after close: %d fds, RSS %s (%.1f s)", round, rr.after.fds,
        M.mib(rr.after.rss), rr.seconds))
      r.rounds[round] = rr
    end
    r.echo = M.roundTrip(srv.port, "still serving")
    return r
  end)
  return M.finish(srv, ok, res)
end

-- ---- 3. descriptor exhaustion -------------------------------------------------

-- exhaust(limit, n): a server under `ulimit -n limit`; n TLS clients at once
-- (more than it can accept), each echoing; then all closed, and a round
-- trip. Figures: how many got their echo and how many failed (and why), the
-- server alive, its descriptors, the round trip after.
function M.exhaust(limit, n, o)
  o = o or {}
  local log = o.log or function() end
  local srv = M.startServer({ ulimit = limit, handshakeTimeout = 5000 })
  local ok, res = pcall(function()
    local r = { limit = limit, n = n, ok = 0, failed = 0, errors = {} }
    assert(M.roundTrip(srv.port, "warm up") == "warm up", "the warm-up round trip")
    r.base = srv:measure()
    local clients, settled, closed = {}, 0, 0
    local t0 = core.hrtime()
    for i = 1, n do
      local msg = "exhaust " .. i
      local c = tls.connect(M.clientOptions(srv.port))
      local got, done = "", false
      clients[i] = c
      c:on("secureConnect", function() c:write(msg) end)
      c:on("data", function(d)
        got = got .. d
        if not done and got == msg then done = true; r.ok = r.ok + 1; settled = settled + 1 end
      end)
      c:on("error", function(e)
        local code = type(e) == "table" and e.code or tostring(e)
        r.errors[code] = (r.errors[code] or 0) + 1
      end)
      c:on("close", function()
        closed = closed + 1
        if not done then done = true; r.failed = r.failed + 1; settled = settled + 1 end
      end)
    end
    -- every client either has its echo or was turned away
    helper.wait(function() return settled >= n end, 60000, "every client to be served or turned away")
    r.seconds = (core.hrtime() - t0) / 1e9
    r.peak = { fds = M.fds(srv.pid), stats = srv:stats() }
    r.aliveDuring = M.alive(srv.pid)
    log(string.format("%d clients under ulimit -n %d: %d echoed, %d turned away, server at %d fds",
      n, limit, r.ok, r.failed, r.peak.fds))
    -- five descriptors free up while the rest stay taken: a new client is
    -- served
    local freed = 0
    for _, c in ipairs(clients) do
      if freed < 5 and not c.destroyed then c:destroy(); freed = freed + 1 end
    end
    helper.wait(function() return closed >= r.failed + freed end, 10000, "five clients to close")
    -- (the server frees them once it has seen the clients go)
    srv:waitStats(function(s) return s.open <= r.peak.stats.open - freed end, 10000, "five server sockets to close")
    r.freedFds = srv:waitFds(r.peak.fds - freed, 10000)
    r.partialEcho, r.partialErr = M.roundTrip(srv.port, "five free", nil, 20000)
    r.partialFds = M.fds(srv.pid)
    log(string.format("with %d of %d descriptors freed: %q", freed, r.ok, r.partialEcho))
    for _, c in ipairs(clients) do c:destroy() end
    helper.wait(function() return closed >= n end, 30000, "the clients to close")
    r.stats = srv:waitStats(function(s) return s.open == 0 end, 30000, "the server's sockets to close")
    r.fdsSettled = srv:waitFds(r.base.fds, 10000)
    -- it serves again: a few round trips
    r.echoes = {}
    for i = 1, 3 do r.echoes[i] = M.roundTrip(srv.port, "served again " .. i) end
    r.after = srv:measure()
    log(string.format("after: %d fds (baseline %d), echoes: %s", r.after.fds, r.base.fds, table.concat(r.echoes, ", ")))
    return r
  end)
  return M.finish(srv, ok, res)
end

-- ---- 4. slow peers --------------------------------------------------------------

-- trickle(timeoutMs, everyMs): a client that sends a real ClientHello one
-- byte every everyMs to a server with handshakeTimeout = timeoutMs. Figures:
-- bytes sent, when the client saw the close, the server's error codes.
function M.trickle(timeoutMs, everyMs)
  local hello = M.captureClientHello()
  local srv = M.startServer({ handshakeTimeout = timeoutMs })
  local ok, res = pcall(function()
    local r = { sentBytes = 0, helloBytes = #hello }
    local closed, connected, t0 = false, false, nil
    local c, ticker
    c = net.connect(srv.port, "127.0.0.1", function()
      connected = true
      t0 = core.hrtime()
      local function one()
        if closed or r.sentBytes >= #hello then return end
        r.sentBytes = r.sentBytes + 1
        c:write(hello:sub(r.sentBytes, r.sentBytes))
      end
      one()
      ticker = timers.setInterval(one, everyMs)
    end)
    c:on("data", function(d) r.received = (r.received or "") .. d end)
    c:on("error", function(e) r.clientError = e end)
    c:on("end", function() r.ended = true end)
    c:on("close", function()
      closed = true
      r.closedAfterMs = t0 and (core.hrtime() - t0) / 1e6
      if ticker then ticker:close() end
    end)
    helper.wait(function() return closed end, timeoutMs + 10000, "the server to cut the trickling client")
    r.connected = connected
    r.stats = srv:waitStats(function(s) return s.errors >= 1 and s.open == 0 end, 5000, "the timeout's tlsClientError")
    r.echo = M.roundTrip(srv.port, "after the trickle")
    return r
  end)
  return M.finish(srv, ok, res)
end

-- stalledReader(total, stallMs): the server pipes a Readable making `total`
-- bytes into a TLS socket whose client reads nothing for stallMs; then the
-- client reads it all. Figures: the server's RSS before, during the stall
-- and after; bytes the Readable had made by then; what the client got.
function M.stalledReader(total, stallMs, o)
  o = o or {}
  local log = o.log or function() end
  local srv = M.startServer({ flood = total })
  local ok, res = pcall(function()
    local r = { total = total }
    r.base = srv:measure()
    local c = tls.connect(M.clientOptions(srv.port))
    local secure, received, ended, closed = false, 0, false, false
    local t0
    c:on("secureConnect", function() secure = true; t0 = core.hrtime() end)
    c:on("data", function(d) received = received + #d end)
    c:on("end", function() ended = true end)
    c:on("error", function(e) r.clientError = e end)
    c:on("close", function() closed = true end)
    c:pause()
    helper.wait(function() return secure end, 10000, "the flood's handshake")
    -- the client reads nothing; its socket buffers and the server's fill up
    local samples = {}
    local deadline = core.hrtime() + stallMs * 1e6
    while core.hrtime() < deadline do
      helper.sleep(250)
      samples[#samples + 1] = M.rss(srv.pid)
    end
    local st = srv:stats()
    r.stall = { rss = M.rss(srv.pid), peakRss = math.max(table.unpack(samples)), produced = st.produced,
      clientBuffered = c.readableLength }
    log(string.format("stalled %d ms: server RSS %s (baseline %s, peak %s), %s made by the Readable",
      stallMs, M.mib(r.stall.rss), M.mib(r.base.rss), M.mib(r.stall.peakRss), M.mib(st.produced)))
    t0 = core.hrtime()
    c:resume()
    helper.wait(function() return ended end, 120000, "the whole flood")
    r.received = received
    r.seconds = (core.hrtime() - t0) / 1e9
    c:destroy()
    helper.wait(function() return closed end, 5000, "the client to close")
    r.stats = srv:waitStats(function(s) return s.open == 0 end, 10000, "the server's socket to close")
    r.after = srv:measure()
    log(string.format("then read %s in %.2f s once the client read again; server after: RSS %s, %d fds",
      M.mib(received), r.seconds,
      M.mib(r.after.rss), r.after.fds))
    return r
  end)
  return M.finish(srv, ok, res)
end

-- ---- for the scripts ----------------------------------------------------------

-- checks(): a list of named checks; ok(cond, what) records one, done()
-- prints them and exits 1 when one failed.
function M.checks()
  local list, failed = {}, 0
  local t = {}
  function t.ok(cond, what)
    list[#list + 1] = (cond and "PASS " or "FAIL ") .. what
    if not cond then failed = failed + 1 end
    return cond
  end
  function t.done()
    print("")
    for _, line in ipairs(list) do print(line) end
    print(string.format("%d checks, %d failed", #list, failed))
    os.exit(failed == 0 and 0 or 1)
  end
  return t
end

-- "k=v k=v" of a table of counts
function M.show(t)
  local parts = {}
  for k, v in pairs(t or {}) do parts[#parts + 1] = tostring(k) .. "=" .. tostring(v) end
  table.sort(parts)
  return table.concat(parts, " ")
end

-- the soft limit on descriptors of this process
function M.nofile()
  local f = io.open("/proc/self/limits")
  local s = f and f:read("a") or ""
  if f then f:close() end
  return tonumber(s:match("Max open files%s+(%d+)"))
end

-- the server printed no sanitizer report and exited 0
function M.cleanOutput(r)
  return r.exitStatus == 0 and not r.output:find("Sanitizer", 1, true)
    and not r.output:find("runtime error", 1, true) and not r.output:find("uncaught", 1, true)
end

return M
