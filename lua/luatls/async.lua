-- luatls.async: sequential code on luatls's event loop, in tasks.
--
-- A task is a coroutine the event loop resumes: inside one, a waiting call
-- (async.sleep, async.await, async.once, task:wait, a stream's receive/send,
-- ...) parks the task and lets the loop run; the task goes on when what it
-- waits for happens. The objects are the same as with callbacks: a socket's
-- receive/send/iterator are methods of every stream.
--
--   local async = require("async")      -- luatls.async from plain Lua
--   tls.createServer(opts, async.wrap(function(socket)
--     for line in function() return socket:receive("*l") end do
--       socket:send(line .. "\n")
--     end
--   end)):listen(8000)
--
-- Node's idioms, translated: `await p` is a waiting call inside a task;
-- `await once(e, name)` is async.once(e, name); `for await (x of on(e, name))`
-- is `for x in async.on(e, name) do`; `for await (chunk of stream)` is
-- `for chunk in stream:iterator() do`. The interpreter runs a script's main
-- chunk as a task, so a script may wait at its top level.
--
-- Outside a task, every waiting call raises ERR_ASYNC_NO_TASK. Inside one,
-- pcall works across waits. An error nobody waits for goes where an error
-- escaping a callback goes (process 'uncaughtException', else the run ends
-- with the traceback of the line that raised it).
local task = require("luatls.internal.async.task")
local waits = require("luatls.internal.async.waits")

local M = {}

M.Task = task.Task

-- run(fn, ...) -> task: start fn(...) as a task (synchronously, until its
-- first wait). task.status: "running", "waiting", "done" or "failed";
-- task:wait() -> its results (or raises its error); task:cancel().
M.run = task.run

-- wrap(fn) -> a function that starts fn(...) as a task each time it is called
-- (and returns the task): a callback for servers, events, timers
function M.wrap(fn)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    require("luatls.errors").invalidArgType("fn", "of type function", fn, 2)
  end
  return function(...) return task.run(fn, ...) end
end

-- current() -> the task running now, or nil
M.current = task.current

-- all({t1, t2, ...}) -> { table.pack(results of t1), ... }; raises the first
-- error one of them raises
M.all = task.all

M.sleep = waits.sleep
M.await = waits.await
M.timeout = waits.timeout
M.once = waits.once
M.on = waits.on

return M
