-- luatls.tick: the process.nextTick queue.
--
-- nextTick(fn, ...) queues fn to run before any other callback: the C core
-- drains this queue after every callback it makes into Lua (and the
-- interpreter drains it after the main chunk). Ticks queued while draining run
-- in the same drain, in order.
local M = {}

-- The queue: parallel arrays, so that a tick with up to three arguments
-- (all the stream machinery uses) allocates nothing; more go in a packed
-- table. packed[i] is the argument count, or that table.
local fns, a1, a2, a3, packed = {}, {}, {}, {}, {}
local head, tail = 1, 0
local pending = false
local core_ok, core = pcall(require, "luatls.core")
local request = core_ok and core.request_tick or function() end
local select, pack, unpack = select, table.pack, table.unpack

function M.nextTick(fn, ...)
  if type(fn) ~= "function" then
    require("luatls.errors").invalidArgType("callback", "of type function", fn)
  end
  local i = tail + 1
  tail = i
  fns[i] = fn
  local n = select("#", ...)
  if n <= 3 then
    a1[i], a2[i], a3[i] = ...
    packed[i] = n
  else
    packed[i] = pack(...)
  end
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
    if p == 0 then
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
  end
  head, tail = 1, 0
end

function M.pending() return head <= tail end

return M
