-- luatls.tick: the process.nextTick queue.
--
-- nextTick(fn, ...) queues fn to run before any other callback: the C core
-- drains this queue after every callback it makes into Lua (and the
-- interpreter drains it after the main chunk). Ticks queued while draining run
-- in the same drain, in order.
local M = {}

local fns, args = {}, {}
local head, tail = 1, 0
local pending = false
local core_ok, core = pcall(require, "luatls.core")
local request = core_ok and core.request_tick or function() end

function M.nextTick(fn, ...)
  if type(fn) ~= "function" then
    require("luatls.errors").invalidArgType("callback", "of type function", fn)
  end
  tail = tail + 1
  fns[tail] = fn
  local n = select("#", ...)
  if n > 0 then args[tail] = table.pack(...) end
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
    local fn, a = fns[i], args[i]
    fns[i], args[i] = nil, nil
    head = i + 1
    if head <= tail and not pending then
      pending = true
      request()
    end
    if a then fn(table.unpack(a, 1, a.n)) else fn() end
  end
  head, tail = 1, 0
end

function M.pending() return head <= tail end

return M
