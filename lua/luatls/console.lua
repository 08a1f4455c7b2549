-- luatls.console: Node's console, writing through replaceable sinks.
--
--   console.log("%s has %d items", name, n)   -- stdout
--   console.error(err)                        -- stderr
--
-- The module is itself a console: its functions are called with "." and
-- write to console._stdout / console._stderr (objects with :write(s)), which
-- may be replaced at any time (process.stdout hooks in there). Other consoles:
--   local c = console.Console.new(writable[, errWritable])
-- Arguments are rendered as util.format does: strings as they are, other
-- values through util.inspect (3.0 prints as 3, nil as nil).
local util = require("luatls.util")
local errors = require("luatls.errors")

local format, inspect = util.format, util.inspect
local fmt, concat = string.format, table.concat

-- A monotonic clock in milliseconds: the C core's hrtime when it exists,
-- else os.clock().
local function defaultClock()
  local ok, core = pcall(require, "luatls.core")
  local hrtime = ok and type(core) == "table" and core.hrtime
  if type(hrtime) == "function" then
    local okc, a = pcall(hrtime)
    if okc and (type(a) == "number" or type(a) == "table") then
      return function()
        local x, y = hrtime()
        if type(x) == "table" then x, y = x[1], x[2] end
        if y then return x * 1e3 + y / 1e6 end
        return x / 1e6 -- a single number: nanoseconds
      end
    end
  end
  return function() return os.clock() * 1e3 end
end

local function stdWriter(file)
  return {
    write = function(_, s)
      file:write(s)
      file:flush()
      return true
    end,
  }
end

local function isWritable(w)
  if type(w) ~= "table" and type(w) ~= "userdata" then return false end
  local ok, write = pcall(function() return w.write end)
  return ok and type(write) == "function"
end

local Console = {}

-- Build a console whose functions close over the table `c` itself, so that
-- c._stdout / c._stderr are looked up at every call.
local function build(c, stdout, stderr)
  c._stdout = stdout
  c._stderr = stderr or stdout
  c._groupIndent = ""
  c._times = {}
  c._counts = {}
  c._clock = defaultClock()

  local function emit(stream, s)
    local indent = c._groupIndent
    if indent ~= "" then
      s = indent .. s:gsub("\n", "\n" .. indent)
    end
    local w = stream == "err" and c._stderr or c._stdout
    w:write(s .. "\n")
  end
  c._emit = emit

  function c.log(...) emit("out", format(...)) end
  c.info = c.log
  c.debug = c.log
  function c.error(...) emit("err", format(...)) end
  c.warn = c.error

  -- trace(...): "Trace: message" and a traceback, to stderr.
  function c.trace(...)
    local msg = select("#", ...) > 0 and format(...) or ""
    local header = msg ~= "" and ("Trace: " .. msg) or "Trace"
    emit("err", debug.traceback(header, 2))
  end

  -- dir(obj[, opts]): util.inspect(obj, opts), strings quoted too.
  function c.dir(obj, opts)
    emit("out", inspect(obj, opts))
  end

  -- assert(value, ...): prints "Assertion failed[: message]" to stderr when
  -- value is falsy; never raises.
  function c.assert(value, ...)
    if value then return end
    if select("#", ...) == 0 then
      emit("err", "Assertion failed")
    elseif type((...)) == "string" then
      local first = ...
      emit("err", format("Assertion failed: " .. first, select(2, ...)))
    else
      emit("err", format("Assertion failed:", ...))
    end
  end

  local function labelOf(label)
    if label == nil then return "default" end
    return tostring(label)
  end

  local function elapsed(label)
    local ms = c._clock() - c._times[label]
    if ms >= 1000 then return fmt("%s: %.3fs", label, ms / 1000) end
    return fmt("%s: %.3fms", label, ms)
  end

  function c.time(label)
    label = labelOf(label)
    if c._times[label] then
      emit("err", fmt("Warning: Label '%s' already exists for console.time()", label))
      return
    end
    c._times[label] = c._clock()
  end

  function c.timeLog(label, ...)
    label = labelOf(label)
    if not c._times[label] then
      emit("err", fmt("Warning: No such label '%s' for console.timeLog()", label))
      return
    end
    if select("#", ...) > 0 then
      local parts = { elapsed(label) }
      for i = 1, select("#", ...) do
        local v = select(i, ...)
        parts[#parts + 1] = type(v) == "string" and v or inspect(v)
      end
      emit("out", concat(parts, " "))
    else
      emit("out", elapsed(label))
    end
  end

  function c.timeEnd(label)
    label = labelOf(label)
    if not c._times[label] then
      emit("err", fmt("Warning: No such label '%s' for console.timeEnd()", label))
      return
    end
    emit("out", elapsed(label))
    c._times[label] = nil
  end

  function c.count(label)
    label = labelOf(label)
    local n = (c._counts[label] or 0) + 1
    c._counts[label] = n
    emit("out", fmt("%s: %d", label, n))
  end

  function c.countReset(label)
    label = labelOf(label)
    if not c._counts[label] then
      emit("err", fmt("Warning: Count for '%s' does not exist", label))
      return
    end
    c._counts[label] = nil
  end

  function c.group(...)
    if select("#", ...) > 0 then c.log(...) end
    c._groupIndent = c._groupIndent .. "  "
  end
  c.groupCollapsed = c.group

  function c.groupEnd()
    c._groupIndent = c._groupIndent:sub(3)
  end

  return c
end

-- Console.new(stdout[, stderr]) or Console.new({ stdout = w, stderr = w2 }):
-- a console writing to the given writables (anything with :write(s)).
function Console.new(stdout, stderr)
  if type(stdout) == "table" and not isWritable(stdout) and stdout.stdout ~= nil then
    stdout, stderr = stdout.stdout, stdout.stderr
  end
  if not isWritable(stdout) then
    errors.throw("ERR_CONSOLE_WRITABLE_STREAM",
      "Console expects a writable stream instance for stdout", { name = "TypeError" })
  end
  if stderr ~= nil and not isWritable(stderr) then
    errors.throw("ERR_CONSOLE_WRITABLE_STREAM",
      "Console expects a writable stream instance for stderr", { name = "TypeError" })
  end
  return build({ Console = Console }, stdout, stderr)
end

local M = build({}, stdWriter(io.stdout), stdWriter(io.stderr))
M.Console = Console
return M
