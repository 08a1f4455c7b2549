-- luatls.process: Node's process object.
--
-- An EventEmitter with argv, env, pid, exit, exitCode, nextTick, hrtime,
-- signals ('SIGINT' & co. through libuv), 'exit', 'beforeExit' and
-- 'uncaughtException', and stdin/stdout/stderr as streams.
--
-- process.argv follows Node's order in a Lua list: argv[1] is the
-- interpreter, argv[2] the script, argv[3..] its arguments.
local loop = require("luatls.loop")
local EventEmitter = require("luatls.events")
local tick = require("luatls.tick")
local errors = require("luatls.errors")
local core = loop.core

local Process = EventEmitter:extend("process")
local process = Process.new()

process.title = "luatls"
process.argv = { core.exepath() or "luatls" }
process.execArgv = {}
process.pid = core.getpid()
process.ppid = core.getppid()
process.platform = (core.uname() or "linux"):lower()
process.arch = select(3, core.uname()) == "x86_64" and "x64" or (select(3, core.uname()) or "")
process.versions = core.versions()
process.version = "v" .. process.versions.luatls
process.exitCode = nil
process.nextTick = tick.nextTick

-- env: reads and writes go to the real environment, as in Node
process.env = setmetatable({}, {
  __index = function(_, k)
    if type(k) ~= "string" then return nil end
    return os.getenv(k)
  end,
  __newindex = function(_, k, v)
    core.setenv(tostring(k), v ~= nil and tostring(v) or nil)
  end,
  __pairs = function()
    return next, core.environ(), nil
  end,
})

function process.cwd() return assert(core.cwd()) end

function process.chdir(dir)
  local ok, err = core.chdir(dir)
  if not ok then error(err, 2) end
end

function process.kill(pid, signal)
  local ok, err = core.kill(pid, signal or "SIGTERM")
  if not ok then error(err, 2) end
  return true
end

function process.memoryUsage()
  return { rss = core.rss() }
end

local start = core.hrtime()
function process.uptime() return (core.hrtime() - start) / 1e9 end

-- hrtime([previous]) -> { seconds, nanoseconds }; hrtime.bigint() -> ns as
-- a Lua integer (64-bit, so no BigInt is needed)
process.hrtime = setmetatable({
  bigint = function() return core.hrtime() end,
}, {
  __call = function(_, prev)
    local t = core.hrtime()
    if prev ~= nil then
      if type(prev) ~= "table" then errors.invalidArgType("time", "a table", prev, 2) end
      t = t - (prev[1] * 1000000000 + prev[2])
    end
    return { t // 1000000000, t % 1000000000 }
  end,
})

-- exit([code]): 'exit' listeners run, then the process ends at once.
local exiting = false
function process.exit(code)
  if code ~= nil then process.exitCode = code end
  code = math.tointeger(tonumber(process.exitCode)) or 0
  if not exiting then
    exiting = true
    process.exitCode = code
    process:emit("exit", code)
  end
  io.stdout:flush()
  io.stderr:flush()
  os.exit(math.tointeger(tonumber(process.exitCode)) or code, false)
end

-- Called by the interpreter once the loop is done (not from process.exit).
function process._emitExit(code)
  if exiting then return process.exitCode end
  exiting = true
  process.exitCode = code
  process:emit("exit", code)
  return math.tointeger(tonumber(process.exitCode)) or code
end

-- ---- signals: a libuv signal handle per signal with listeners -------------

local signalHandles = {}
local signums = core.signals

process:on("newListener", function(name)
  if type(name) == "string" and signums[name] and not signalHandles[name] then
    local h = core.signal_new()
    h:set_internal()
    h:unref() -- as in Node, a signal listener does not keep the process alive
    local ok, err = h:start(name, function(sig) process:emit(sig, sig) end)
    if not ok then -- SIGKILL, SIGSTOP: as Node, refuse the listener
      h:close()
      error(err, 4)
    end
    signalHandles[name] = h
  end
end)

process:on("removeListener", function(name)
  local h = signalHandles[name]
  if h and process:listenerCount(name) == 0 then
    signalHandles[name] = nil
    h:close()
  end
end)

-- ---- stdio -------------------------------------------------------------------

-- stdout and stderr write synchronously, as Node does for files, TTYs and
-- pipes on Linux, and share the C stdio buffers with print and console.
local errnoCodes = { [5] = "EIO", [9] = "EBADF", [11] = "EAGAIN", [28] = "ENOSPC", [32] = "EPIPE" }

local function stdWritable(file, fd)
  local stream = require("luatls.stream")
  local w = stream.Writable.new({
    write = function(_, chunk, _, cb)
      local ok, _, errno = file:write(chunk)
      if ok then ok, _, errno = file:flush() end
      if ok then return cb() end
      -- a reader that went away (EPIPE), a full disk: an 'error' on the
      -- stream, as in Node (SIGPIPE is ignored, so the write fails instead)
      local code = errnoCodes[errno] or "EIO"
      cb(errors.new(code, "write " .. code, { errno = -(errno or 5), syscall = "write" }))
    end,
  })
  w.fd = fd
  w.isTTY = core.guess_handle(fd) == "tty"
  return w
end

local function stdinStream()
  local kind = core.guess_handle(0)
  local net = require("luatls.net")
  local handle
  if kind == "tty" then
    handle = core.tty_new(0)
  elseif kind == "pipe" then
    handle = core.pipe_new(false)
    handle:open(0)
  elseif kind == "tcp" then
    handle = core.tcp_new()
    handle:open(0)
  end
  if handle then
    local s = net.Socket.new({ handle = handle, readable = true, writable = false })
    s.fd = 0
    s.isTTY = kind == "tty"
    return s
  end
  -- a file (or nothing): read it in chunks, one per loop turn
  local stream = require("luatls.stream")
  local timers = require("luatls.timers")
  local r = stream.Readable.new({
    read = function(self)
      timers.setImmediate(function()
        local chunk = io.stdin:read(65536)
        self:push(chunk)
      end)
    end,
  })
  r.fd = 0
  r.isTTY = false
  return r
end

local lazy = {
  stdout = function() return stdWritable(io.stdout, 1) end,
  stderr = function() return stdWritable(io.stderr, 2) end,
  stdin = stdinStream,
}

-- process.stdin/stdout/stderr are made when first used
for name, make in pairs(lazy) do
  local made
  EventEmitter.defineProperty(Process, name, function()
    made = made or make()
    return made
  end)
end

return process
