-- spec/node/common.lua: what Node's test/common gives its test files, for
-- the ports of Node's own tests in spec/node/ (doc/node-tests.md).
--
--   local common = require("spec.node.common")
--   local assert = require("spec.node.assert")
--   describe("test-tls-foo", function()
--     it("runs as in Node", common.run(function()
--       ... the Node test's body: servers, clients, common.mustCall ...
--     end))
--   end)
--
-- common.run(fn) runs fn, then the event loop until nothing keeps it alive
-- (as a Node process runs until it can exit), then the common.onExit
-- functions (Node's process.on('exit')), then checks every mustCall's count.
-- An error raised in a callback, or an 'error' event nobody listens to,
-- fails the test as it would end the Node process.
local core = require("luatls.core")
local tick = require("luatls.tick")
local loop = require("luatls.loop")
local helper = require("spec.helper")

local M = {}

M.SLOW = helper.SLOW
M.opensslCli = "openssl"
M.localhostIPv4 = "127.0.0.1"
M.hasCrypto = true
M.hasIPv6 = true
M.isWindows = false

local calls = {} -- every mustCall of the running test
local exits = {} -- common.onExit functions of the running test

-- Node's common.platformTimeout: slower runs (valgrind) get longer.
function M.platformTimeout(ms) return ms * M.SLOW end

local function where(level)
  local info = debug.getinfo(level + 1, "Sl")
  return info and (info.short_src .. ":" .. (info.currentline or 0)) or "?"
end

local function noop() end

-- mustCall([fn][, n]): fn must be called exactly n (default 1) times before
-- the test ends.
function M.mustCall(fn, n)
  if type(fn) == "number" then fn, n = nil, fn end
  local rec = { exact = n or 1, actual = 0, at = where(2), name = "mustCall" }
  calls[#calls + 1] = rec
  fn = fn or noop
  return function(...)
    rec.actual = rec.actual + 1
    return fn(...)
  end
end

-- mustCallAtLeast([fn][, n]): at least n (default 1) times.
function M.mustCallAtLeast(fn, n)
  if type(fn) == "number" then fn, n = nil, fn end
  local rec = { minimum = n or 1, actual = 0, at = where(2), name = "mustCallAtLeast" }
  calls[#calls + 1] = rec
  fn = fn or noop
  return function(...)
    rec.actual = rec.actual + 1
    return fn(...)
  end
end

-- mustSucceed([fn][, n]): a Node-style callback (err, ...) whose err must
-- be nil, called n times.
function M.mustSucceed(fn, n)
  return M.mustCall(function(err, ...)
    if err ~= nil then error("mustSucceed got an error: " .. tostring(err), 2) end
    if fn then return fn(...) end
  end, n)
end

-- mustNotCall([msg]): raises when called.
function M.mustNotCall(msg)
  local at = where(2)
  return function(...)
    local args = {}
    for i = 1, select("#", ...) do args[i] = tostring((select(i, ...))) end
    error(string.format("%s (mustNotCall at %s, called with %s)", msg or "function should not have been called",
      at, table.concat(args, ", ")), 2)
  end
end

-- onExit(fn): fn runs when the loop has nothing left (process.on('exit')).
function M.onExit(fn) exits[#exits + 1] = fn end

-- skip(msg): the Node test skips itself here; the ported test is pending.
function M.skip(msg)
  error({ skip = msg }, 0)
end

-- knownFailure(why): the test is ported but fails today (doc/node-tests.md
-- lists why and the issue it takes); it is reported pending with the reason.
function M.knownFailure(why)
  error({ knownFailure = why }, 0)
end

-- fixtures: Node's test/fixtures, the part spec/node/fixtures holds.
M.fixturesDir = helper.root .. "/spec/node/fixtures"
local fixtures = {}
M.fixtures = fixtures
function fixtures.path(...)
  return table.concat({ M.fixturesDir, ... }, "/")
end
function fixtures.readSync(...)
  local p = type(...) == "table" and fixtures.path(table.unpack(...)) or fixtures.path(...)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
function fixtures.readKey(name)
  return fixtures.readSync("keys", name)
end

-- tmpdir: a fresh directory per test (common/tmpdir's refresh()).
M.tmpdir = {}
function M.tmpdir.refresh()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. helper.quote(dir)))
  M.tmpdir.path = dir
  return dir
end
function M.tmpdir.resolve(name)
  return M.tmpdir.path .. "/" .. name
end

-- PIPE: a Unix socket path, new for each test.
function M.pipe()
  return M.tmpdir.refresh() .. "/node-test.sock"
end

-- runLoop([timeout_ms]): run the loop until it is not alive (only unref'd
-- handles left, no requests, no ticks), as a Node process would exit.
local function runLoop(timeout)
  timeout = (timeout or helper.DEFAULT_TIMEOUT) * M.SLOW
  local timedOut = false
  local guard = core.timer_new()
  guard:unref()
  guard:start(timeout, 0, function() timedOut = true end)
  local gc
  if helper.AGGRESSIVE_GC then
    gc = core.timer_new()
    gc:unref()
    gc:start(5, 5, helper.gcStep)
  end
  local ok, err = pcall(function()
    while true do
      tick.run()
      if timedOut then
        local open = {}
        for _, h in ipairs(core.walk()) do
          if h.active and h.ref ~= false then open[#open + 1] = h.type end
        end
        error(string.format("timed out after %d ms: the loop is still alive (%s)", timeout,
          table.concat(open, ", ")), 0)
      end
      if not core.run("once") then
        tick.run()
        if not core.alive() then break end
      end
    end
  end)
  guard:close()
  if gc then gc:close() end
  core.run("nowait")
  if not ok then
    if type(err) == "string" and not err:find("^timed out") then
      err = loop.lastTraceback() or err
    end
    error(err, 0)
  end
end
M.runLoop = runLoop

local function closeAll()
  for _ = 1, 3 do helper.drain() end
  for _, h in ipairs(core.walk()) do
    if h.handle then pcall(h.handle.close, h.handle) end
  end
  for _ = 1, 3 do helper.drain() end
end

local function checkCalls()
  local bad = {}
  for _, rec in ipairs(calls) do
    if rec.exact and rec.actual ~= rec.exact then
      bad[#bad + 1] = string.format("%s at %s: expected %d call(s), got %d", rec.name, rec.at, rec.exact, rec.actual)
    elseif rec.minimum and rec.actual < rec.minimum then
      bad[#bad + 1] = string.format("%s at %s: expected at least %d call(s), got %d", rec.name, rec.at, rec.minimum,
        rec.actual)
    end
  end
  if #bad > 0 then error(table.concat(bad, "\n"), 0) end
end

-- the spec file's environment (busted's describe, it, pending: its pending
-- is the one that marks the running test only while a test runs)
local function specEnv()
  for level = 2, 20 do
    local info = debug.getinfo(level, "f")
    if not info then break end
    for i = 1, math.huge do
      local name, value = debug.getupvalue(info.func, i)
      if name == nil then break end
      if name == "_ENV" and type(value) == "table" and value.pending then return value end
    end
  end
  return nil
end

-- run(fn[, timeout_ms]) -> a test function for busted's it().
function M.run(fn, timeout)
  local env = specEnv() -- found from the spec file's describe()
  return function()
    calls, exits = {}, {}
    local ok, err = pcall(function()
      fn()
      runLoop(timeout)
      for _, f in ipairs(exits) do f() end
      checkCalls()
    end)
    calls, exits = {}, {}
    if not ok then
      closeAll()
      if type(err) == "table" and (err.skip or err.knownFailure) then
        if env then return env.pending(err.skip or ("known failure: " .. err.knownFailure)) end
        return
      end
      error(err, 0)
    end
    local open = helper.openHandles()
    if #open > 0 then
      local names = {}
      for _, h in ipairs(open) do names[#names + 1] = h.type end
      closeAll()
      error("the test left " .. #open .. " handle(s) open: " .. table.concat(names, ", "), 0)
    end
  end
end

-- invalidArgTypeHelper(value): the end of Node's ERR_INVALID_ARG_TYPE
-- message for a value, as luatls's errors module words it: " Received "
-- and the value's description (errors.received), with Node's leading space.
function M.invalidArgTypeHelper(value)
  return " Received " .. require("luatls.errors").received(value)
end

-- expectsError(expected[, n]): Node's common.expectsError: a callback that
-- must be called n (default 1) times with an error matching expected (the
-- fields assert.checkError compares: code, name, message, ...).
function M.expectsError(expected, n)
  return M.mustCall(function(err)
    require("spec.node.assert").checkError(err, expected, 2)
  end, n)
end

-- spawnPeer(cmd, [input,] onExit) -> proc: Node's child_process.spawn of a
-- harness peer (openssl s_client, ...) under `timeout 20` (it may be called
-- from a callback, where helper.peer cannot register its cleanup: a failed
-- test leaves it to its timeout); onExit(code, output) runs in the loop when it
-- has exited (output: its stdout and stderr together). A polling timer keeps
-- the loop alive meanwhile, as the child process does in Node.
function M.spawnPeer(cmd, input, onExit)
  if onExit == nil then input, onExit = nil, input end
  local proc = helper.spawn("timeout 20 " .. cmd, input)
  local timer
  timer = require("luatls.timers").setInterval(function()
    if not helper.done(proc) then return end
    timer:close()
    proc.finished = true
    local output, f = helper.output(proc), io.open(proc.status, "rb")
    local code = tonumber(f:read("a"))
    f:close()
    os.execute("rm -rf " .. helper.quote(proc.dir))
    onExit(code, output)
  end, 20)
  return proc
end


-- expectWarning(name, message[, code]): the test must emit this warning
-- (luatls.events.emitWarning), checked when the loop has ended; another
-- warning of that name fails the test. A deprecation code counts as not yet
-- emitted (a Node test is a process of its own).
function M.expectWarning(name, message, code)
  local events, errors = require("luatls.events"), require("luatls.errors")
  if code and errors.deprecationsEmitted then errors.deprecationsEmitted[code] = nil end
  local saved, seen = events.emitWarning, false
  events.emitWarning = function(w)
    if w.name ~= name then return saved(w) end
    if w.message ~= message or (code and w.code ~= code) then
      error(string.format("unexpected %s: %s (%s)", name, tostring(w.message), tostring(w.code)), 2)
    end
    seen = true
  end
  M.onExit(function()
    events.emitWarning = saved
    if not seen then error(string.format("expected %s %q (%s)", name, message, tostring(code)), 0) end
  end)
end


-- makeDuplexPair() -> { clientSide =, serverSide = }: Node's
-- common/duplexpair: two Duplex streams, what one writes the other reads
-- (a write completes when the other side has read it); end() ends the
-- other side's reading.
function M.makeDuplexPair()
  local Duplex = require("luatls.stream").Duplex
  local function side()
    local d
    d = Duplex.new({
      read = function(self)
        local cb = self._pairCallback
        if cb then
          self._pairCallback = nil
          cb()
        end
      end,
      write = function(self, chunk, _, cb)
        local other = self._pairOther
        assert(other._pairCallback == nil, "duplexpair: a write is pending already")
        if #chunk == 0 then
          require("luatls.tick").nextTick(cb)
        else
          other:push(chunk)
          other._pairCallback = cb
        end
      end,
      final = function(self, cb)
        self._pairOther:on("end", cb)
        self._pairOther:push(nil)
      end,
    })
    return d
  end
  local clientSide, serverSide = side(), side()
  clientSide._pairOther, serverSide._pairOther = serverSide, clientSide
  return { clientSide = clientSide, serverSide = serverSide }
end


-- childScript(source) -> path: a Lua script file (in a fresh tmpdir) for a
-- child luatls, as Node's fork(__filename, ...): source runs after a line
-- that lets it require the repository's modules (spec.node.common, ...).
-- Run it with spawnPeer(helper.luatls .. " " .. path, ...); inside it,
-- common.run(fn)() runs a test body as a process would (an error or a
-- missed mustCall exits non-zero).
function M.childScript(source)
  local path = M.tmpdir.refresh() .. "/child.lua"
  local f = assert(io.open(path, "wb"))
  f:write("package.path = ", string.format("%q", helper.root .. "/?.lua;"), " .. package.path\n", source)
  f:close()
  return path
end

return M
