-- luatls.tick: the process.nextTick queue.
--
-- nextTick(fn, ...) queues fn to run before any other callback: the C core
-- drains this queue after every callback it makes into Lua (and the
-- interpreter drains it after the main chunk). Ticks queued while draining run
-- in the same drain, in order.
--
-- For objects that build their state only when a script first uses them
-- (the http server's requests: internal/http/incoming.lua), two seams keep
-- their ticks where the eager object's would have been:
--   reserve() -> slot: a place at the queue's end for a tick decided later
--       (the drain skips it while it is empty)
--   fill(slot, fn, ...) -> true: the tick now sits there; false: its time
--       has passed (the drain went beyond it), the caller runs it itself
--   passed(slot) -> whether the drain went beyond that place
--   onlyReserved() -> whether the queue holds nothing but empty places
--   capture(f, ...) -> list: f(...) run with the ticks it queues kept in a
--       list instead; runCaptured(list) runs such a list in order, and the
--       ticks those queue after them (the same order a drain gives)
local M = {}

-- The queue: parallel arrays, so that a tick with up to three arguments
-- (all the stream machinery uses) allocates nothing; more go in a packed
-- table. packed[i] is the argument count, or that table.
local fns, a1, a2, a3, packed = {}, {}, {}, {}, {}
local head, tail = 1, 0
local pending = false
-- drains so far: a slot names its drain and its index in it
local drain = 0
-- while capture()/runCaptured() run: the list ticks go to
local capturing = nil
local core_ok, core = pcall(require, "luatls.core")
local request = core_ok and core.request_tick or function() end
local select, pack, unpack = select, table.pack, table.unpack

-- the tick fn(...) at index i
local function put(i, fn, ...)
  fns[i] = fn
  local n = select("#", ...)
  if n <= 3 then
    a1[i], a2[i], a3[i] = ...
    packed[i] = n
  else
    packed[i] = pack(...)
  end
end

function M.nextTick(fn, ...)
  if type(fn) ~= "function" then
    require("luatls.errors").invalidArgType("callback", "of type function", fn)
  end
  if capturing then
    capturing[#capturing + 1] = pack(fn, ...)
    return
  end
  local i = tail + 1
  tail = i
  put(i, fn, ...)
  if not pending then
    pending = true
    request()
  end
end

-- Run every queued tick. An error in a tick propagates to the caller (the C
-- core then treats it as an uncaught exception); the ticks after it stay
-- queued, and the core is asked to drain again so they still run.
function M.run()
  pending = false
  while head <= tail do
    local i = head
    local fn, x, y, z, p = fns[i], a1[i], a2[i], a3[i], packed[i]
    fns[i], a1[i], a2[i], a3[i], packed[i] = nil, nil, nil, nil, nil
    head = i + 1
    if head <= tail and not pending then
      pending = true
      request()
    end
    if not fn then -- (a reserved place still empty)
      goto continue
    elseif p == 0 then
      fn()
    elseif p == 1 then
      fn(x)
    elseif p == 2 then
      fn(x, y)
    elseif p == 3 then
      fn(x, y, z)
    else
      fn(unpack(p, 1, p.n))
    end
    ::continue::
  end
  head, tail = 1, 0
  drain = drain + 1
end

-- A slot is one integer: the drain's number times 2^32 plus the index.
local SLOT = 1 << 32

function M.reserve()
  local i = tail + 1
  tail = i
  fns[i], packed[i] = false, 0
  if not pending then
    pending = true
    request()
  end
  return drain * SLOT + i
end

function M.passed(slot)
  return slot // SLOT ~= drain or slot % SLOT < head
end

function M.fill(slot, fn, ...)
  if M.passed(slot) then return false end
  put(slot % SLOT, fn, ...)
  return true
end

function M.capture(f, ...)
  local saved, list = capturing, {}
  capturing = list
  local ok, err = pcall(f, ...)
  capturing = saved
  if not ok then error(err, 0) end
  return list
end

function M.runCaptured(list)
  local saved = capturing
  capturing = list
  local i = 1
  while list[i] do
    local t = list[i]
    local ok, err = pcall(t[1], unpack(t, 2, t.n))
    if not ok then
      capturing = saved
      error(err, 0)
    end
    i = i + 1
  end
  capturing = saved
end

function M.pending() return head <= tail end

-- onlyReserved(): nothing is queued but empty reserved places (no tick
-- would run before the queue is empty)
function M.onlyReserved()
  for i = head, tail do
    if fns[i] then return false end
  end
  return true
end

return M
