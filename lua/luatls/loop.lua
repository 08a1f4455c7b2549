-- luatls.loop: connects the C core's event loop to the Lua runtime.
--
-- Every luatls module that makes handles requires this first. It gives the
-- core the nextTick queue to drain after each callback and the handler for
-- errors that escape a callback (process 'uncaughtException').
local core = require("luatls.core")
local tick = require("luatls.tick")

local M = { core = core }

core.set_tick(tick.run)

-- An error escaped a callback. When process has 'uncaughtException'
-- listeners they get it and the loop goes on; otherwise the loop stops and
-- core.run() raises the error again.
core.set_uncaught(function(err)
  local process = package.loaded["luatls.process"]
  if process and process:listenerCount("uncaughtException") > 0 then
    process:emit("uncaughtException", err, "uncaughtException")
    return true
  end
  return false
end)

-- run([mode]) -> alive: run the loop ("default": until no work is left).
-- Raises the first error no 'uncaughtException' listener took; its traceback
-- is then in M.lastTraceback().
function M.run(mode)
  return core.run(mode)
end

function M.lastTraceback() return core.last_traceback() end

-- Drain ticks and run one turn of the loop without waiting.
function M.drain()
  tick.run()
  return core.run("nowait")
end

return M
