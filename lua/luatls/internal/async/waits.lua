-- luatls.internal.async.waits: the waiting calls of the async module that
-- are not about streams: sleep, await (a Node-style callback), timeout, and
-- Node's events.once / events.on.
local errors = require("luatls.errors")
local timers = require("luatls.timers")
local task = require("luatls.internal.async.task")

local M = {}

local wait = task.wait
local pack, unpack = table.pack, table.unpack

local function checkMs(name, ms, level)
  if type(ms) ~= "number" then
    errors.invalidArgType(name, "of type number", ms, level + 1)
  end
  if ms ~= ms or ms < 0 then
    errors.outOfRange(name, ">= 0", ms, level + 1)
  end
end

local function checkEmitter(emitter, level)
  if type(emitter) ~= "table" or type(emitter.on) ~= "function"
      or type(emitter.removeListener) ~= "function" then
    errors.invalidArgType("emitter", "an EventEmitter", emitter, level + 1)
  end
end

-- sleep(ms): wait ms milliseconds (a timer, ref'd as setTimeout's)
function M.sleep(ms)
  task.need("async.sleep()", 2)
  checkMs("ms", ms, 2)
  return wait("async.sleep()", function(wake)
    local t = timers.setTimeout(wake, ms, true)
    return function() timers.clearTimeout(t) end
  end)
end

-- await(fn, ...) -> the callback's values: calls fn(..., cb) with a Node-style
-- callback cb(err, ...) and waits for it; a non-nil err is raised
function M.await(fn, ...)
  task.need("async.await()", 2)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    errors.invalidArgType("fn", "of type function", fn, 2)
  end
  local args = pack(...)
  return wait("async.await()", function(wake)
    args.n = args.n + 1
    args[args.n] = function(err, ...)
      if err ~= nil and err ~= false then
        wake(false, err)
      else
        wake(true, ...)
      end
    end
    fn(unpack(args, 1, args.n))
  end)
end

-- timeout(ms, fn, ...) -> fn's results: runs fn(...) in the current task;
-- when ms pass first, the wait in progress is abandoned and an error with
-- code ETIMEDOUT is raised in it (fn may catch it). The timer goes when fn
-- ends, however it ends.
function M.timeout(ms, fn, ...)
  local t = task.need("async.timeout()", 2)
  checkMs("ms", ms, 2)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    errors.invalidArgType("fn", "of type function", fn, 2)
  end
  local err = errors.new("ETIMEDOUT", string.format("async.timeout: %g ms passed", ms),
    { errno = -110, syscall = "async.timeout" })
  local timer = timers.setTimeout(function() task.interrupt(t, err) end, ms)
  local guard <close> = setmetatable({}, { -- luacheck: ignore 211
    __close = function()
      timers.clearTimeout(timer)
      task.clearInterrupt(t, err)
    end,
  })
  return fn(...)
end

-- once(emitter, name) -> the event's arguments; an 'error' event first is
-- raised (Node's events.once)
function M.once(emitter, name)
  task.need("async.once()", 2)
  checkEmitter(emitter, 2)
  return wait("async.once()", function(wake)
    local function on(...) wake(true, ...) end
    local function onError(e) wake(false, e) end
    emitter:on(name, on)
    if name ~= "error" then emitter:on("error", onError) end
    return function()
      emitter:removeListener(name, on)
      if name ~= "error" then emitter:removeListener("error", onError) end
    end
  end)
end

-- on(emitter, name) -> iterator, for a generic for: each event's arguments,
-- in order, waiting between events (Node's events.on). Ends when the emitter
-- emits 'close'; an 'error' event is raised. Events that come while the loop
-- body runs are queued. Leaving the loop (break, error) removes the listeners.
function M.on(emitter, name)
  checkEmitter(emitter, 2)
  local queue, head, tail = {}, 1, 0
  local failure, closed, waker
  local function poke()
    local w = waker
    if w then
      waker = nil
      w(true)
    end
  end
  local function onEvent(...)
    tail = tail + 1
    queue[tail] = pack(...)
    poke()
  end
  local function onError(e)
    if failure == nil then failure = e end
    poke()
  end
  local function onClose()
    closed = true
    poke()
  end
  emitter:on(name, onEvent)
  if name ~= "error" then emitter:on("error", onError) end
  if name ~= "close" then emitter:on("close", onClose) end
  local function stop()
    emitter:removeListener(name, onEvent)
    if name ~= "error" then emitter:removeListener("error", onError) end
    if name ~= "close" then emitter:removeListener("close", onClose) end
  end
  local function iterate()
    while true do
      if head <= tail then
        local ev = queue[head]
        queue[head] = nil
        head = head + 1
        return unpack(ev, 1, ev.n)
      end
      if failure ~= nil then
        local e = failure
        failure = nil
        stop()
        error(e, 0)
      end
      if closed then
        stop()
        return nil
      end
      task.need("async.on()'s loop", 2)
      wait("async.on()", function(wake)
        waker = wake
        return function() if waker == wake then waker = nil end end
      end)
    end
  end
  return iterate, nil, nil, setmetatable({}, { __close = stop })
end

return M
