-- luatls.internal.async.task: tasks, the coroutines the event loop resumes.
--
-- A task is a coroutine that runs until it waits. A wait is one call of
-- wait(what, setup): setup(wake) arms whatever will end the wait (a listener,
-- a timer, a callback) and returns a function that disarms it; wake(true, ...)
-- ends the wait with values, wake(false, err) raises err inside the task. The
-- task is resumed directly from the callback that woke it (no extra turn of
-- the loop), and the wait's disarm function always runs first, so nothing a
-- wait armed outlives it: not on wake, not on cancel, not on a timeout.
--
-- A wait is interrupted (task:cancel(), async.timeout) by disarming it and
-- resuming the task with an error, which the waiting call raises.
--
-- A task that fails with nobody waiting for it is reported at the next tick
-- (so `local t = async.run(f); t:wait()` still catches an error f raised
-- before its first wait), where an error escaping a callback goes: process
-- 'uncaughtException', or the end of the run with the traceback of the line
-- that raised it.
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local core = require("luatls.loop").core

local M = {}

local create, resume, yield, running = coroutine.create, coroutine.resume, coroutine.yield, coroutine.running
local pack, unpack = table.pack, table.unpack

-- the task of each coroutine (a coroutine a task creates itself is no task)
local tasks = setmetatable({}, { __mode = "k" })
-- what a task's coroutine yields when it waits
local WAIT = setmetatable({}, { __tostring = function() return "async wait" end })

local Task = {}
Task.__index = Task
Task.__name = "Task"
M.Task = Task

function Task:__tostring()
  return string.format("Task (%s)", self.status)
end

-- the task of each running coroutine, for the hot paths that look it up
-- themselves (tasks[coroutine.running()]); read only
M.tasks = tasks

-- current() -> the running task, or nil (the main thread, a plain coroutine)
function M.current()
  return tasks[running()]
end

local function notInTask(what)
  return errors.new("ERR_ASYNC_NO_TASK",
    what .. " must be called inside a task: see async.run")
end

-- need(what[, level]) -> the running task; outside one, raises the error
-- every waiting call raises there
function M.need(what, level)
  local t = tasks[running()]
  if t then return t end
  error(notInTask(what), (level or 2) + 1)
end

local function describe(err)
  if type(err) == "string" then return err end
  local ok, s = pcall(tostring, err)
  return ok and s or "(error object)"
end

-- report(t): t failed and nobody waits for it: its error goes where an error
-- escaping a callback goes (core.uncaught: 'uncaughtException' listeners,
-- else the loop stops and run() raises it, with t's own traceback). Once.
local function report(t)
  if t.handled then return end
  t.handled = true
  core.uncaught(t.error, t.traceback)
end
M.report = report

-- what a task's coroutine returns when its function has returned (its
-- results are then in t.results)
local DONE = setmetatable({}, { __tostring = function() return "async done" end })

-- finish(t, ok, err): the end of a task's coroutine (ok: its function
-- returned; false: it raised err; nil: it failed already, see after), then
-- the waiters
local function finish(t, ok, err)
  if ok then
    t.status = "done"
  elseif ok == false then
    t.status = "failed"
    t.error = err
    t.traceback = t.traceback or debug.traceback(t.co, describe(err), 0) -- (see traced)
  end
  coroutine.close(t.co)
  local waiters = t.waiters
  t.waiters = nil
  if waiters and #waiters > 0 then
    t.handled = true
    for i = 1, #waiters do waiters[i](t) end
  elseif not ok and not t.handled and not (t.cancelled and t.error == t.cancelled) then
    tick.nextTick(report, t)
  end
end

-- after(t, ok, first): what resume(t.co, ...) gave. The coroutine only
-- yields WAIT or returns DONE, so two values say all (no table, no
-- varargs on the path of every wait).
local function after(t, ok, first)
  if ok then
    if first == WAIT then -- it waits again: the path of every message
      t.status = "waiting"
      return
    end
    if first == DONE then return finish(t, true) end
    -- the task's function called coroutine.yield() itself: nobody would
    -- resume it. The task fails there (the traceback shows the yield), and
    -- its to-be-closed variables are closed.
    local err = errors.new("ERR_ASYNC_YIELD",
      "coroutine.yield() inside a task: a task waits with async's calls (async.sleep, async.await, ...)")
    local tb = debug.traceback(t.co, tostring(err), 0)
    local closed, cerr = coroutine.close(t.co)
    t.status = "failed"
    t.error = closed and err or cerr
    t.traceback = tb
    return finish(t, nil)
  end
  return finish(t, false, first)
end

-- step(t, ...): resume t with the outcome of its wait (the first resume:
-- its arguments)
local function step(t, ...)
  t.status = "running"
  return after(t, resume(t.co, ...))
end

-- The task's function runs under xpcall: its frame is called from C, so a
-- traceback names the interpreter's main chunk "main chunk", and the
-- traceback is taken where the error was raised.
local function traced(err)
  local t = tasks[running()]
  if t and t.traceback == nil then
    t.traceback = (debug.traceback(describe(err), 2):gsub("\n%s*%[C%]: in function 'xpcall'.*$", ""))
  end
  return err
end

local function keep(t, ok, ...)
  if ok then
    t.results = pack(...)
    return DONE
  end
  error((...), 0)
end

local function body(t, fn, ...)
  return keep(t, xpcall(fn, traced, ...))
end

-- run(fn, ...) -> task: start fn(...) as a task; it runs until its first wait
function M.run(fn, ...)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    errors.invalidArgType("fn", "of type function", fn, 2)
  end
  local t = setmetatable({ status = "running" }, Task)
  t.co = create(body)
  tasks[t.co] = t
  step(t, t, fn, ...)
  return t
end

-- the outcome of a wait, as the waiting call returns or raises it
local function outcome(ok, ...)
  if ok then return ... end
  error((...), 0)
end

-- wait(what, setup) -> values: the one way a task waits (see the top)
function M.wait(what, setup)
  local t = tasks[running()]
  if not t then error(notInTask(what), 3) end
  local pending = t.interrupt
  if pending then
    t.interrupt = nil
    error(pending, 0)
  end
  local w = { task = t }
  local early
  local disarm
  local function wake(...)
    if w.over then return end
    w.over = true
    if not w.parked then
      early = pack(...) -- woken while still arming: no yield needed
      return
    end
    t.current_wait = nil
    if disarm then disarm() end
    return step(t, ...)
  end
  disarm = setup(wake)
  if early then
    if disarm then disarm() end
    return outcome(unpack(early, 1, early.n))
  end
  w.parked = true
  w.disarm = function() w.over = true; if disarm then disarm() end end
  t.current_wait = w
  return outcome(yield(WAIT))
end

-- The lean wait, for waits that happen once per message (a stream's
-- receive): no closure, no table. The caller first puts the running task
-- where a callback will find it, then parks; the callback calls wake(t, ok,
-- v). When the wait is interrupted instead (cancel, timeout), disarm(t)
-- takes the task back out of that place.

-- park(t, disarm) -> the value wake(t, true, v) gave, or raises the error of
-- wake(t, false, err). t is the running task (need()'s answer).
function M.park(t, disarm)
  local pending = t.interrupt
  if pending then
    t.interrupt = nil
    disarm(t)
    error(pending, 0)
  end
  t.parked = disarm
  local ok, v = yield(WAIT)
  if ok then return v end
  error(v, 0)
end

-- wake(t, ok, v): end t's park (nothing when t is not parked)
function M.wake(t, ok, v)
  if not t.parked then return end
  t.parked = nil
  t.status = "running"
  local rok, first = resume(t.co, ok, v)
  if rok and first == WAIT then -- (after's first case, inline)
    t.status = "waiting"
    return
  end
  return after(t, rok, first)
end

-- interrupt(t, err): end t's wait with err raised in it; when t is not
-- waiting now (it is running, or resuming another task), its next wait raises
-- err at once. false when t is over.
function M.interrupt(t, err)
  if t.status == "done" or t.status == "failed" then return false end
  local parked = t.parked
  if parked then
    t.parked = nil
    parked(t)
    step(t, false, err)
    return true
  end
  local w = t.current_wait
  if not w then
    t.interrupt = err
    return true
  end
  t.current_wait = nil
  w.disarm()
  step(t, false, err)
  return true
end

-- clearInterrupt(t, err): forget err if it is still pending (async.timeout
-- when its function returned before a wait could take it)
function M.clearInterrupt(t, err)
  if t.interrupt == err then t.interrupt = nil end
end

-- task:wait() -> the task's results, or raises its error (inside a task)
function Task:wait()
  if getmetatable(self) ~= Task then
    errors.invalidArgType("task", "a Task", self, 2)
  end
  local me = M.need("task:wait()")
  if self.status == "done" then
    return unpack(self.results, 1, self.results.n)
  elseif self.status == "failed" then
    self.handled = true
    error(self.error, 0)
  elseif self == me then
    errors.throw("ERR_ASYNC_SELF_WAIT", "a task cannot wait for itself", nil, 2)
  end
  local target = self
  return M.wait("task:wait()", function(wake)
    local function done(t)
      if t.status == "done" then
        wake(true, unpack(t.results, 1, t.results.n))
      else
        wake(false, t.error)
      end
    end
    target.waiters = target.waiters or {}
    local list = target.waiters
    list[#list + 1] = done
    return function()
      for i = #list, 1, -1 do
        if list[i] == done then table.remove(list, i) break end
      end
    end
  end)
end

-- task:cancel() -> true when the task was still going: raises an error with
-- code ERR_ASYNC_CANCELLED inside it, at its current wait
function Task:cancel()
  local err = errors.new("ERR_ASYNC_CANCELLED", "The task was cancelled")
  -- whoever cancels expects the failure: it is not an uncaught error
  self.cancelled = err
  if self.status ~= "done" and self.status ~= "failed" and tasks[running()] == self then
    error(err, 2) -- a task cancelling itself stops here
  end
  return M.interrupt(self, err)
end

-- all(list) -> { results of list[1], results of list[2], ... } (each a
-- table.pack), raising the first error any of them raises
function M.all(list)
  if type(list) ~= "table" then
    errors.invalidArgType("tasks", "a list of tasks", list, 2)
  end
  for i = 1, #list do
    if getmetatable(list[i]) ~= Task then
      errors.invalidArgType("tasks[" .. i .. "]", "a Task", list[i], 2)
    end
  end
  local me = M.need("async.all()")
  -- as Promise.all: an error of any of them is handled here, even one that
  -- comes after the first
  for i = 1, #list do list[i].handled = true end
  local out = {}
  local function collect()
    for i = 1, #list do
      local t = list[i]
      if t.status == "failed" then
        t.handled = true
        return false, t.error
      end
    end
    for i = 1, #list do
      if list[i].status ~= "done" then return nil end
      out[i] = list[i].results
    end
    return true
  end
  local ok, err = collect()
  if ok == false then error(err, 0) end
  if ok then return out end
  for i = 1, #list do
    if list[i] == me then
      errors.throw("ERR_ASYNC_SELF_WAIT", "a task cannot wait for itself", nil, 2)
    end
  end
  return M.wait("async.all()", function(wake)
    local function check()
      local k, e = collect()
      if k then wake(true, out) elseif k == false then wake(false, e) end
    end
    for i = 1, #list do
      local t = list[i]
      t.waiters = t.waiters or {}
      t.waiters[#t.waiters + 1] = check
    end
    return function()
      for i = 1, #list do
        local ws = list[i].waiters
        if ws then
          for j = #ws, 1, -1 do
            if ws[j] == check then table.remove(ws, j) break end
          end
        end
      end
    end
  end)
end

return M
