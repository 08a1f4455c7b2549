-- spec/helper.lua: running the event loop from a busted test.
--
--   local helper = require("spec.helper")
--   helper.leakcheck()              -- in a file's top level: every test in it
--                                   -- fails if it leaves a handle open
--   helper.wait(function() return done end, 5000, "the echo")
--   helper.drain()                  -- ticks + one turn of the loop
--
-- Errors raised inside callbacks while the loop runs come out of wait() and
-- fail the test that was waiting.
local core = require("luatls.core")
local loop = require("luatls.loop")
local tick = require("luatls.tick")

local M = {}

-- Loaded before busted's insulation, so this is the one runtime.
M.DEFAULT_TIMEOUT = tonumber(os.getenv("LUATLS_SPEC_TIMEOUT")) or 20000
-- LUATLS_SPEC_SLOW=N: this run is up to N times slower than a plain one
-- (scripts/test --valgrind sets it): explicit wait() timeouts, and the time
-- bounds and pacing of the specs that measure or depend on time, are
-- multiplied by it. What the specs check is unchanged.
M.SLOW = tonumber(os.getenv("LUATLS_SPEC_SLOW")) or 1
-- LUATLS_SPEC_GC=1: a full garbage collection every few milliseconds while
-- a test waits, to flush out use-after-free in __gc and close paths (the
-- sanitizer run of scripts/test sets it).
M.AGGRESSIVE_GC = os.getenv("LUATLS_SPEC_GC") == "1"

-- gcStep(): under AGGRESSIVE_GC, a full collection, unless the last one
-- ended less than ten times its own length ago (at least 5 ms): a large
-- heap under the sanitizers takes longer to collect than a loop turn, and
-- collecting at every turn would leave the test no time to run.
local nextCollect = 0
function M.gcStep()
  local now = core.hrtime()
  if now < nextCollect then return end
  collectgarbage()
  local done = core.hrtime()
  nextCollect = done + math.max(5000000, 10 * (done - now))
end

function M.drain()
  tick.run()
  core.run("nowait")
end

-- wait(cond[, timeout_ms][, what]): run the loop until cond() is true.
-- A timeout fails the test with "timed out after N ms waiting for <what>".
function M.wait(cond, timeout, what)
  timeout = timeout and timeout * M.SLOW or M.DEFAULT_TIMEOUT
  tick.run()
  if cond() then return end
  local deadline = core.hrtime() + timeout * 1000000
  -- a ticking timer so that run("once") returns even when nothing else moves
  local guard = core.timer_new()
  guard:start(5, 5, M.AGGRESSIVE_GC and M.gcStep or function() end)
  local ok, err = pcall(function()
    while not cond() do
      if core.hrtime() > deadline then
        error(string.format("timed out after %d ms waiting for %s", timeout,
          what or "the condition"), 0)
      end
      core.run("once")
    end
  end)
  guard:close()
  core.run("nowait")
  if not ok then
    if type(err) == "string" and not err:find("^timed out") then
      local tb = loop.lastTraceback()
      if tb then err = tb end
    end
    error(err, 2)
  end
end

-- sleep(ms): run the loop for ms milliseconds (from now: the loop's clock
-- is brought up to date first, or a busy machine's stale clock shortens it).
function M.sleep(ms)
  local done = false
  local t = core.timer_new()
  core.update_time()
  t:start(ms, 0, function() done = true end)
  M.wait(function() return done end, ms + M.DEFAULT_TIMEOUT)
  t:close()
  core.run("nowait")
end

-- Let pending closes finish, then list the handles still open.
function M.openHandles()
  for _ = 1, 5 do M.drain() end
  return core.walk()
end

-- Close whatever is left (so the next test starts clean) and fail listing it.
function M.assertNoLeaks()
  local open = M.openHandles()
  if #open == 0 then return end
  local names = {}
  for _, h in ipairs(open) do
    names[#names + 1] = string.format("%s%s", h.type, h.active and " (active)" or "")
    if h.handle then h.handle:close() end
  end
  for _ = 1, 5 do M.drain() end
  error("the test left " .. #open .. " handle(s) open: " .. table.concat(names, ", "), 2)
end

-- busted gives each spec file its own environment (after_each, pending,
-- ...): find it from the calling functions' _ENV.
local function specEnv(name)
  for level = 3, 12 do
    local info = debug.getinfo(level, "f")
    if not info then break end
    for i = 1, math.huge do
      local upname, value = debug.getupvalue(info.func, i)
      if upname == nil then break end
      if upname == "_ENV" and type(value) == "table" and value[name] then return value end
    end
  end
  return _G
end

-- Inside a describe block: check every test in it for leaks.
function M.leakcheck()
  specEnv("after_each").after_each(function() M.assertNoLeaks() end)
end

-- needs("node", "curl") at the top of a test: marks it pending, and returns
-- false, when one of the programs is not installed.
function M.needs(...)
  for _, cmd in ipairs({ ... }) do
    if not M.have(cmd) then
      specEnv("pending").pending(cmd .. " is not installed")
      return false
    end
  end
  return true
end

-- task(fn, ...) -> fn's results: run fn as a task (luatls.async) and the
-- loop until it ends; its error fails the test, with the task's traceback.
function M.task(fn, ...)
  local t = require("luatls.async").run(fn, ...)
  t.handled = true -- its error is raised here, not reported as uncaught
  M.wait(function() return t.status == "done" or t.status == "failed" end, nil, "the task")
  if t.status == "failed" then
    error(t.traceback or t.error, 0)
  end
  return table.unpack(t.results, 1, t.results.n)
end

-- randomString(n) -> n bytes from math.random (seeded by the spec, so a
-- failing case can be repeated)
function M.randomString(n)
  local t = {}
  for i = 1, n do t[i] = string.char(math.random(0, 255)) end
  return table.concat(t)
end

-- listen(server) -> port: listen on a free loopback port and wait for it.
-- M.httpBody(shape, data[, trailer]) -> a request's header line and body
-- bytes for data: shape "length" (Content-Length) or "chunked" (chunks of
-- random sizes up to 9000 bytes, then the last chunk, the trailer line if
-- given, and the empty line)
function M.httpBody(shape, data, trailer)
  if shape == "length" then return "Content-Length: " .. #data, data end
  local pieces, at = {}, 1
  while at <= #data do
    local piece = data:sub(at, at + math.random(1, 9000) - 1)
    pieces[#pieces + 1] = string.format("%x\r\n%s\r\n", #piece, piece)
    at = at + #piece
  end
  return "Transfer-Encoding: chunked", table.concat(pieces) .. "0\r\n" .. (trailer or "") .. "\r\n"
end

function M.listen(server)
  local port
  server:listen(0, "127.0.0.1", function() port = server:address().port end)
  M.wait(function() return port end)
  return port
end

-- closeServer(server[, destroyConnections]): close it and wait for its
-- 'close' (which waits for its connections; with destroyConnections they
-- are destroyed first).
function M.closeServer(server, destroyConnections)
  local closed = false
  if destroyConnections then
    for s in pairs(server._sockets) do s:destroy() end
  end
  server:close(function() closed = true end)
  M.wait(function() return closed end, nil, "the server's 'close'")
end

-- A free TCP port on 127.0.0.1 (bound and released; fine for loopback tests).
function M.freePort()
  local t = core.tcp_new()
  assert(t:bind("127.0.0.1", 0))
  local port = t:getsockname().port
  t:close()
  M.drain()
  return port
end

-- The luatls interpreter running these specs.
M.luatls = (function()
  local exe = core.exepath()
  return exe
end)()

M.root = (function()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/helper%.lua$")
  if dir and dir ~= "" then return dir end
  return "."
end)()

-- run(cmd): a shell command's output and exit status (for interop peers).
function M.sh(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"::status=$?\"")
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("::status=(%d+)%s*$"))
  return out:gsub("::status=%d+%s*$", ""), status
end

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.quote = quote

-- spawn(cmd[, input]) -> proc: run a shell command in the background while
-- the test runs the loop (a peer such as openssl s_client). stdin is the
-- string `input` (or nothing); stdout and stderr are collected.
-- finish(proc[, timeout]) -> output, exit status (runs the loop meanwhile).
-- kill(proc) ends it.
function M.spawn(cmd, input)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir)))
  local inp = dir .. "/in"
  local f = assert(io.open(inp, "wb"))
  f:write(input or "")
  f:close()
  local proc = { dir = dir, out = dir .. "/out", status = dir .. "/status", cmd = cmd }
  local script = string.format("(%s) <%s >%s 2>&1; echo $? >%s.tmp; mv %s.tmp %s",
    cmd, quote(inp), quote(proc.out), quote(proc.status), quote(proc.status), quote(proc.status))
  local p = io.popen("setsid sh -c " .. quote(script) .. " >/dev/null 2>&1 & echo $!")
  proc.pid = tonumber(p:read("a"))
  p:close()
  return proc
end

local function readAll(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function M.done(proc) return readAll(proc.status) ~= nil end

function M.output(proc) return readAll(proc.out) or "" end

function M.finish(proc, timeout)
  M.wait(function() return M.done(proc) end, timeout or 30000, "the command: " .. proc.cmd)
  local out, status = M.output(proc), tonumber(readAll(proc.status))
  os.execute("rm -rf " .. quote(proc.dir))
  return out, status
end

-- The command runs in a session of its own (setsid), whose ID is proc.pid:
-- every process of it goes, also those `timeout` moved into a process
-- group of their own.
function M.kill(proc)
  if not M.done(proc) then os.execute("pkill -TERM -s " .. proc.pid .. " 2>/dev/null") end
  M.wait(function()
    return M.done(proc) or not os.execute("pgrep -s " .. proc.pid .. " >/dev/null 2>&1")
  end, 5000, "the killed command")
  local out = M.output(proc)
  os.execute("rm -rf " .. quote(proc.dir))
  return out
end

-- waitFor(proc, marker): run the loop until a background peer (spawn)
-- prints marker (s_server's ACCEPT, a node server's "listening"); fails with
-- its output if it exits first
function M.waitFor(proc, marker)
  M.wait(function()
    return M.output(proc):find(marker, 1, true) or M.done(proc)
  end, 20000, "the peer to print " .. marker)
  local out = M.output(proc)
  if not out:find(marker, 1, true) then
    M.finish(proc, 1000)
    error("the peer exited before printing " .. marker .. ":\n" .. out, 2)
  end
end

-- fields(out) -> { key = value }: the "key=value" lines a peer printed (the
-- first of each key)
function M.fields(out)
  local t = {}
  for k, v in out:gmatch("([%w_%.%-/]+)=([^\n]*)") do
    if t[k] == nil then t[k] = v end
  end
  return t
end

-- onCleanup(fn): inside a test, run fn when the test ends, passed or
-- failed (busted keeps one finally() per test: this one runs the list,
-- the latest first)
local cleanups = {}
function M.onCleanup(fn)
  if #cleanups == 0 then
    specEnv("finally").finally(function()
      local list = cleanups
      cleanups = {}
      for i = #list, 1, -1 do
        local ok, err = pcall(list[i])
        if not ok then io.stderr:write("cleanup: ", tostring(err), "\n") end
      end
    end)
  end
  cleanups[#cleanups + 1] = fn
end

-- peer(cmd[, input]) -> proc: spawn() a peer under `timeout 20`, killed
-- when the test ends (a failing assertion must not leave it running);
-- finishPeer(proc) -> its output and exit status.
function M.peer(cmd, input)
  local proc = M.spawn("timeout 20 " .. cmd, input)
  M.onCleanup(function()
    if not proc.finished then M.kill(proc) end
  end)
  return proc
end

function M.finishPeer(proc)
  proc.finished = true
  return M.finish(proc, 25000)
end

-- waitForOutput(proc, pattern) -> the pattern's capture (or match) once
-- the background process printed it; fails with its output if it exits
-- first
function M.waitForOutput(proc, pattern)
  M.wait(function() return M.output(proc):match(pattern) or M.done(proc) end, 20000,
    "the process to print " .. pattern)
  local got = M.output(proc):match(pattern)
  if not got then
    error("the process exited before printing " .. pattern .. ":\n" .. M.finishPeer(proc), 2)
  end
  return got
end

-- have(cmd): is the program installed? (asked once per program)
local installed = {}
function M.have(cmd)
  if installed[cmd] == nil then
    local _, status = M.sh("command -v " .. cmd .. " >/dev/null")
    installed[cmd] = status == 0
  end
  return installed[cmd]
end

-- tlsEchoWhile(options, busy[, counter][, max]): TLS round trips to
-- an echo server (options for tls.connect: its port), one after the other,
-- while busy() is true (at most max, default 1000). Each sends "ping i",
-- half-closes and must get it back whole; counter.trips counts those done,
-- so an asynchronous callback can note how many finished before it. For
-- specs that prove the loop keeps serving while work runs on the thread
-- pool. Returns the number of round trips.
function M.tlsEchoWhile(options, busy, counter, max)
  local tls = require("luatls.tls")
  counter = counter or {}
  counter.trips = counter.trips or 0
  local i = 0
  while busy() and i < (max or 1000) do
    i = i + 1
    local data, got, closed = "ping " .. i, {}, false
    local c
    c = tls.connect(options, function() c:done(data) end)
    c:on("data", function(d) got[#got + 1] = d end)
    c:on("error", function(e) error(e) end)
    c:on("close", function() closed = true end)
    M.wait(function() return closed end, 10000, "TLS round trip " .. i)
    assert(data == table.concat(got), "the echo of round trip " .. i .. " differs")
    counter.trips = counter.trips + 1
  end
  return i
end

-- NODE_TO_LUA: JavaScript for a `node -e` script that answers in Lua:
-- lua(v) writes a JS value (null, booleans, numbers, strings as UTF-8,
-- Buffers, arrays, objects) as a Lua literal; str(buf) a Buffer as a Lua
-- string literal.
M.NODE_TO_LUA = [[
function str(buf) {
  let s = '"';
  for (const b of buf) s += (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c)
    ? String.fromCharCode(b) : '\\' + String(b).padStart(3, '0');
  return s + '"';
}
function lua(v) {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return str(Buffer.from(v, 'utf8'));
  if (Buffer.isBuffer(v)) return str(v);
  if (Array.isArray(v)) return '{' + v.map(lua).join(',') + '}';
  return '{' + Object.keys(v).map((k) => '[' + lua(k) + ']=' + lua(v[k])).join(',') + '}';
}
]]

-- nodeLines(script, lines) -> the lines `node -e script` writes, given the
-- lines on its standard input (one run for a whole batch of cases)
function M.nodeLines(script, lines)
  local proc = M.spawn("node -e " .. quote(script), table.concat(lines, "\n") .. "\n")
  local out, status = M.finish(proc, 120000)
  assert(status == 0, "node failed: " .. tostring(out))
  local answers = {}
  for line in out:gmatch("[^\n]+") do answers[#answers + 1] = line end
  return answers
end

-- count(s, pattern) -> how many times the Lua pattern matches in s
function M.count(s, pattern)
  local n = 0
  for _ in s:gmatch(pattern) do n = n + 1 end
  return n
end

-- raisesWith(code, name, f, ...) -> the error f(...) raises, which must
-- have the code and the class (name: "TypeError", "Error", ...)
function M.raisesWith(code, name, f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error " .. code)
  local got = type(err) == "table" and err.code or err
  assert(got == code, string.format("expected %s, got %s", code, tostring(err)))
  assert(err.name == name, string.format("expected a %s, got %s", name, tostring(err)))
  return err
end

return M
