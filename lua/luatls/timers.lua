-- luatls.timers: setTimeout, setInterval and setImmediate, as in Node.
--
-- Timeouts of one duration share a list and a libuv timer (see Timeout
-- below); those timers are the runtime's own (walk() leaves them out), and a
-- script that is done leaves no handle behind.
-- Immediates run from a check handle, after the loop's I/O, in the order they
-- were queued; those queued while the queue runs wait for the next turn.
local loop = require("luatls.loop")
local errors = require("luatls.errors")
local core = loop.core

local M = {}

local TIMEOUT_MAX = 2147483647

local function checkCallback(fn)
  if type(fn) ~= "function" then
    errors.invalidArgType("callback", "of type function", fn, 3)
  end
end

local function delay(ms)
  ms = tonumber(ms)
  if ms == nil or ms ~= ms or ms < 1 or ms > TIMEOUT_MAX then return 1 end
  return math.floor(ms)
end

-- ---- Timeout ---------------------------------------------------------------
--
-- As in Node, timeouts of the same duration share one list and one libuv
-- timer: they expire in the order they were started, so the list is kept in
-- that order and its timer waits for the head. Starting, clearing and
-- refreshing a timeout (a socket's idle timer moves at every read) are a few
-- table writes; a handshake timer per connection costs no handle of its own.
-- A list's timer keeps the loop alive while one of its timeouts is ref'd.

local Timeout = {}
Timeout.__index = Timeout
Timeout.__name = "Timeout"
M.Timeout = Timeout

local lists = {} -- duration (ms) -> { ms=, head=, tail=, refs=, handle=, cb= }
local spare = {} -- stopped timer handles of lists that emptied, for reuse
local SPARE_MAX = 8

local onList

local function newList(ms)
  local list = { ms = ms, refs = 0 }
  local h = table.remove(spare)
  if not h then
    h = core.timer_new()
    h:set_internal()
  end
  h:unref()
  list.handle = h
  list.cb = function() onList(list) end
  lists[ms] = list
  return list
end

local function releaseList(list)
  lists[list.ms] = nil
  local h = list.handle
  list.handle = nil
  h:stop()
  if #spare < SPARE_MAX then spare[#spare + 1] = h else h:close() end
end

-- append t to its duration's list, started at `now`
local function link(t, now)
  local ms = t._idleTimeout
  local list = lists[ms] or newList(ms)
  t._idleStart = now
  t._list = list
  local tail = list.tail
  t._idlePrev, t._idleNext = tail, nil
  if tail then
    tail._idleNext = t
  else
    list.head = t
    list.handle:start(ms, 0, list.cb)
  end
  list.tail = t
  if t._ref then
    list.refs = list.refs + 1
    if list.refs == 1 then list.handle:ref() end
  end
end

-- take t out of its list; an emptied list lets its timer go unless `keep`
local function unlink(t, keep)
  local list = t._list
  if not list then return end
  local p, n = t._idlePrev, t._idleNext
  if p then p._idleNext = n else list.head = n end
  if n then n._idlePrev = p else list.tail = p end
  t._idlePrev, t._idleNext, t._list = nil, nil, nil
  if t._ref then
    list.refs = list.refs - 1
    if list.refs == 0 then list.handle:unref() end
  end
  if not keep and not list.head then releaseList(list) end
end

-- the list's timer: run what has expired, in order; wait for the rest
function onList(list)
  local now, ms = core.now(), list.ms
  while list.head do
    local t = list.head
    local due = t._idleStart + ms
    if due > now then
      list.handle:start(due - now, 0, list.cb)
      return
    end
    if t._repeat then
      unlink(t, true)
      link(t, now)
    else
      unlink(t)
      t._destroyed = true
    end
    -- armed for what follows before the callback runs, so that an error it
    -- throws does not strand the rest of the list
    local nxt = list.head
    if nxt and nxt ~= t then
      local wait = nxt._idleStart + ms - now
      list.handle:start(wait > 0 and wait or 0, 0, list.cb)
    end
    local args = t._args
    if args then t._onTimeout(table.unpack(args, 1, args.n))
    else t._onTimeout() end
  end
end

local function newTimeout(fn, ms, rep, ...)
  checkCallback(fn)
  local t = setmetatable({
    _onTimeout = fn,
    _idleTimeout = delay(ms),
    _repeat = rep,
    _ref = true,
    _destroyed = false,
    _args = select("#", ...) > 0 and table.pack(...) or nil,
  }, Timeout)
  link(t, core.update_time())
  return t
end

-- refresh(): start the timer again from now, with the same delay (also after
-- it fired; not after it was cleared).
function Timeout:refresh()
  if self._cleared then return self end
  local list, now = self._list, core.update_time()
  if list and list.tail == self then
    self._idleStart = now -- already last: only its start moves
  else
    unlink(self, true)
    if list and not list.head then releaseList(list) end
    link(self, now)
    self._destroyed = false
  end
  return self
end

function Timeout:ref()
  if not self._ref then
    self._ref = true
    local list = self._list
    if list then
      list.refs = list.refs + 1
      if list.refs == 1 then list.handle:ref() end
    end
  end
  return self
end

function Timeout:unref()
  if self._ref then
    self._ref = false
    local list = self._list
    if list then
      list.refs = list.refs - 1
      if list.refs == 0 then list.handle:unref() end
    end
  end
  return self
end

function Timeout:hasRef() return self._ref end

function Timeout:close()
  self._cleared = true
  self._destroyed = true
  unlink(self)
  return self
end

-- ---- the API -----------------------------------------------------------------

function M.setTimeout(fn, ms, ...) return newTimeout(fn, ms, false, ...) end
function M.setInterval(fn, ms, ...) return newTimeout(fn, ms, true, ...) end

function M.clearTimeout(t)
  if getmetatable(t) == Timeout then t:close() end
end
M.clearInterval = M.clearTimeout

-- ---- Immediate ---------------------------------------------------------------

local Immediate = {}
Immediate.__index = Immediate
Immediate.__name = "Immediate"
M.Immediate = Immediate

local queue = {}      -- waiting for the next check phase
local batch, bi = nil, 0 -- the queue being run
local refCount = 0    -- immediates that keep the loop alive
local check, idle

local function pending() return #queue > 0 or batch ~= nil end

local runImmediates

local function update()
  if pending() then
    if not check then
      check, idle = core.check_new(), core.idle_new()
      check:set_internal()
      idle:set_internal()
      check:start(function() runImmediates() end)
    end
    -- the idle handle keeps poll from blocking while immediates wait
    idle:start(function() end)
    if refCount > 0 then check:ref(); idle:ref() else check:unref(); idle:unref() end
  elseif check then
    idle:stop()
    check:stop()
    check:close()
    idle:close()
    check, idle = nil, nil
  end
end

function runImmediates()
  if not batch then
    if #queue == 0 then return update() end
    batch, bi = queue, 0
    queue = {}
  end
  -- an error escaping a callback leaves `batch` set: the rest of it runs on
  -- the next turn
  while bi < #batch do
    bi = bi + 1
    local im = batch[bi]
    batch[bi] = false
    if im and not im._cleared then
      im._cleared = true
      if im._ref then refCount = refCount - 1 end
      local a = im._args
      if a then im._onImmediate(table.unpack(a, 1, a.n)) else im._onImmediate() end
    end
  end
  batch = nil
  update()
end

function M.setImmediate(fn, ...)
  checkCallback(fn)
  local im = setmetatable({
    _onImmediate = fn,
    _ref = true,
    _args = select("#", ...) > 0 and table.pack(...) or nil,
  }, Immediate)
  queue[#queue + 1] = im
  refCount = refCount + 1
  update()
  return im
end

function M.clearImmediate(im)
  if getmetatable(im) ~= Immediate or im._cleared then return end
  im._cleared = true
  if im._ref then refCount = refCount - 1 end
  update()
end

function Immediate:ref()
  if not self._ref and not self._cleared then
    self._ref = true
    refCount = refCount + 1
    update()
  end
  return self
end

function Immediate:unref()
  if self._ref and not self._cleared then
    self._ref = false
    refCount = refCount - 1
    update()
  end
  return self
end

function Immediate:hasRef() return self._ref end

return M
