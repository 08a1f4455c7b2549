-- luatls: Node's tls, net and friends for Lua 5.4, on libuv and OpenSSL.
--
-- From a plain lua5.4:
--   local luatls = require("luatls")
--   local net = require("luatls.net")      -- or luatls.net
--   ... make servers and clients ...
--   luatls.run()                           -- until no work is left
--   luatls.run(function() ... end)         -- the same, with fn as a task
--                                          -- first (it may wait: async)
--
-- luatls.globals() installs what the luatls interpreter gives every script:
-- console, process, setTimeout & co., and the short module names ("net",
-- "tls", "events", ...) for require.
local loop = require("luatls.loop")

local M = {}

M.version = require("luatls.core").versions().luatls

-- The modules, loaded when first used: luatls.net, luatls.events, ...
M.modules = {
  "tls", "net", "events", "fs", "timers", "buffer", "stream", "util",
  "process", "console", "dns", "errors", "async", "crypto", "http", "https", "url",
}
-- Contributions that are not Node modules, kept apart: no short name, not
-- loaded through this table; require("luatls.redis").
M.contrib = { "redis" }

local known = {}
for _, name in ipairs(M.modules) do known[name] = true end

setmetatable(M, {
  __index = function(t, k)
    if known[k] then
      local mod = require("luatls." .. k)
      rawset(t, k, mod)
      return mod
    end
  end,
})

-- run([fn, ...]): start fn(...) as a task (luatls.async: it runs until it
-- first waits) when given, then run the event loop until no handle or timer
-- is left, then emit process 'beforeExit' (its listeners may add work: then
-- the loop goes on). An error that escaped a callback, a task nobody waits
-- for or a 'beforeExit' listener, and that no 'uncaughtException' listener
-- took, is raised here; luatls.loop's lastTraceback() has its traceback (for
-- a task, that of the line that raised it). fn failing before its first
-- wait is raised before the loop runs.
function M.run(fn, ...)
  local process = require("luatls.process")
  local core = loop.core
  if fn ~= nil then
    local task = require("luatls.internal.async.task")
    local t = task.run(fn, ...)
    if t.status == "failed" then task.report(t) end
  end
  while true do
    loop.run("default")
    core.invoke(process.emit, process, "beforeExit", math.tointeger(tonumber(process.exitCode)) or 0)
    if not core.alive() and not require("luatls.tick").pending() then
      break
    end
  end
end

-- globals(): install the interpreter's globals and short module names.
function M.globals()
  local timers = require("luatls.timers")
  _G.console = require("luatls.console")
  _G.process = require("luatls.process")
  for _, k in ipairs({ "setTimeout", "clearTimeout", "setInterval",
                       "clearInterval", "setImmediate", "clearImmediate" }) do
    _G[k] = timers[k]
  end
  for _, name in ipairs(M.modules) do
    if package.preload[name] == nil and package.loaded[name] == nil then
      package.preload[name] = function() return require("luatls." .. name) end
    end
  end
  return M
end

return M
