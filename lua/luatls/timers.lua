-- luatls.timers: setTimeout, setInterval and setImmediate, as in Node.
--
-- A Timeout owns one libuv timer while it is scheduled and lets it go when it
-- has fired or was cleared, so a script that is done leaves no handle behind.
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

local Timeout = {}
Timeout.__index = Timeout
Timeout.__name = "Timeout"
M.Timeout = Timeout

local function fire(t)
  if not t._repeat then t:_release() end
  local args = t._args
  if args then t._onTimeout(table.unpack(args, 1, args.n))
  else t._onTimeout() end
end

function Timeout:_arm()
  if not self._handle then
    self._handle = core.timer_new()
    if not self._ref then self._handle:unref() end
  end
  local ms = self._idleTimeout
  self._handle:start(ms, self._repeat and ms or 0, function() fire(self) end)
  self._destroyed = false
end

function Timeout:_release()
  local h = self._handle
  if h then
    self._handle = nil
    h:close()
  end
  self._destroyed = true
end

local function newTimeout(fn, ms, rep, ...)
  checkCallback(fn)
  local t = setmetatable({
    _onTimeout = fn,
    _idleTimeout = delay(ms),
    _repeat = rep,
    _ref = true,
    _args = select("#", ...) > 0 and table.pack(...) or nil,
  }, Timeout)
  t:_arm()
  return t
end

-- refresh(): start the timer again from now, with the same delay (also after
-- it fired; not after it was cleared).
function Timeout:refresh()
  if not self._cleared then self:_arm() end
  return self
end

function Timeout:ref()
  self._ref = true
  if self._handle then self._handle:ref() end
  return self
end

function Timeout:unref()
  self._ref = false
  if self._handle then self._handle:unref() end
  return self
end

function Timeout:hasRef() return self._ref end

function Timeout:close()
  self._cleared = true
  self:_release()
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
