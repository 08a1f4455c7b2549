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

local create, resume, yield, running, status =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.running, coroutine.status
local pack, unpack, select = table.pack, table.unpack, select

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

-- the end of a task's coroutine: results or error, then the waiters
local function finish(t, r)
  if r == nil then -- failed already (see step)
    r = { false }
  elseif r[1] then
    t.status = "done"
    t.results = pack(select(2, unpack(r, 1, r.n)))
  else
    t.status = "failed"
    t.error = r[2]
    -- (the task's function is the coroutine's tail call: its last line says so)
    t.traceback = (debug.traceback(t.co, describe(r[2]), 0):gsub("\n%s*%(%.%.%.tail calls%.%.%.%)$", ""))
  end
  coroutine.close(t.co)
  local waiters = t.waiters
  t.waiters = nil
  if waiters and #waiters > 0 then
    t.handled = true
    for i = 1, #waiters do waiters[i](t) end
  elseif not r[1] and not t.handled and not (t.cancelled and t.error == t.cancelled) then
    tick.nextTick(report, t)
  end
end

-- step(t, ok, ...): resume t with the outcome of its wait (the first resume:
-- its arguments)
local function step(t, ...)
  t.status = "running"
  local r = pack(resume(t.co, ...))
  if status(t.co) == "dead" then
    return finish(t, r)
  end
  if r[2] ~= WAIT then
    -- the task's function called coroutine.yield() itself: nobody would
    -- resume it. The task fails there (the traceback shows the yield), and
    -- its to-be-closed variables are closed.
    local err = errors.new("ERR_ASYNC_YIELD",
      "coroutine.yield() inside a task: a task waits with async's calls (async.sleep, async.await, ...)")
    local tb = debug.traceback(t.co, tostring(err), 0)
    local ok, cerr = coroutine.close(t.co)
    t.status = "failed"
    t.error = ok and err or cerr
    t.traceback = tb
    return finish(t, nil)
  end
  t.status = "waiting"
end

local function body(fn, ...)
  return fn(...)
end

-- run(fn, ...) -> task: start fn(...) as a task; it runs until its first wait
function M.run(fn, ...)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    errors.invalidArgType("fn", "of type function", fn, 2)
  end
  local t = setmetatable({ status = "running" }, Task)
  t.co = create(body)
  tasks[t.co] = t
  step(t, fn, ...)
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

-- interrupt(t, err): end t's wait with err raised in it; when t is not
-- waiting now (it is running, or resuming another task), its next wait raises
-- err at once. false when t is over.
function M.interrupt(t, err)
  if t.status == "done" or t.status == "failed" then return false end
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
