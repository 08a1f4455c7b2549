local helper = require("spec.helper")
local async = require("luatls.async")
local events = require("luatls.events")
local timers = require("luatls.timers")
local core = require("luatls.core")

local go = helper.task

local function newEmitter()
  return events.EventEmitter and events.EventEmitter.new() or events.new()
end

describe("async: tasks", function()
  helper.leakcheck()

  it("run() starts the task at once, until its first wait, with its arguments", function()
    local seen = {}
    local t = async.run(function(a, b)
      seen[#seen + 1] = a .. b
      async.sleep(1)
      seen[#seen + 1] = "after"
      return "r1", nil, "r3"
    end, "x", "y")
    assert.same({ "xy" }, seen)
    assert.equal("waiting", t.status)
    helper.wait(function() return t.status == "done" end)
    assert.same({ "xy", "after" }, seen)
    assert.same({ n = 3, "r1", nil, "r3" }, t.results)
  end)

  it("a task that never waits is done when run() returns", function()
    local t = async.run(function() return 1 end)
    assert.equal("done", t.status)
    assert.equal("running", (function()
      local s
      async.run(function() s = async.current().status end)
      return s
    end)())
  end)

  it("wrap() makes a function that starts a task per call", function()
    local got = {}
    local f = async.wrap(function(x) async.sleep(1); got[#got + 1] = x end)
    local t1, t2 = f(1), f(2)
    assert.equal("waiting", t1.status)
    helper.wait(function() return t1.status == "done" and t2.status == "done" end)
    table.sort(got)
    assert.same({ 1, 2 }, got)
  end)

  it("task:wait() returns the results or raises the error of another task", function()
    local r = table.pack(go(function()
      local a = async.run(function() async.sleep(1) return 1, 2 end)
      local b = async.run(function() async.sleep(5) error({ code = "EBOOM" }) end)
      local x, y = a:wait()
      local ok, e = pcall(b.wait, b)
      return x, y, ok, e.code, a:wait()
    end))
    assert.same({ n = 6, 1, 2, false, "EBOOM", 1, 2 }, r)
  end)

  it("an error before the first wait is still caught by a later task:wait()", function()
    local code = go(function()
      local t = async.run(function() error({ code = "EARLY" }) end)
      assert.equal("failed", t.status)
      local ok, e = pcall(t.wait, t)
      assert.is_false(ok)
      return e.code
    end)
    assert.equal("EARLY", code)
  end)

  it("a task cannot wait for itself", function()
    local code = go(function()
      local me = async.current()
      local ok, e = pcall(me.wait, me)
      assert.is_false(ok)
      return e.code
    end)
    assert.equal("ERR_ASYNC_SELF_WAIT", code)
  end)

  it("cancel() raises ERR_ASYNC_CANCELLED at the wait, and what it waited on goes", function()
    local caught, after
    local t = async.run(function()
      local ok, e = pcall(async.sleep, 60000)
      caught = e
      after = ok
      async.sleep(1)
      return "went on"
    end)
    assert.is_true(t:cancel())
    assert.is_false(after)
    assert.equal("ERR_ASYNC_CANCELLED", caught.code)
    helper.wait(function() return t.status == "done" end)
    assert.equal("went on", t.results[1])
    assert.is_false(t:cancel()) -- over
  end)

  it("an uncaught cancellation fails the task but is not an uncaught error", function()
    local t = async.run(function() async.sleep(60000) end)
    t:cancel()
    assert.equal("failed", t.status)
    assert.equal("ERR_ASYNC_CANCELLED", t.error.code)
    helper.drain()
    helper.drain()
  end)

  it("a task cancelling itself stops at once", function()
    local reached = false
    local t = async.run(function()
      async.current():cancel()
      reached = true
    end)
    assert.is_false(reached)
    assert.equal("failed", t.status)
    assert.equal("ERR_ASYNC_CANCELLED", t.error.code)
  end)

  it("all() returns every task's results in order", function()
    local r = go(function()
      return async.all({
        async.run(function() async.sleep(5) return "a" end),
        async.run(function() return "b", "c" end),
        async.run(function() async.sleep(1) return end),
      })
    end)
    assert.same({ { n = 1, "a" }, { n = 2, "b", "c" }, { n = 0 } }, r)
  end)

  it("all() raises the first error, and the others' errors are handled too", function()
    local code = go(function()
      local ok, e = pcall(async.all, {
        async.run(function() async.sleep(50) error({ code = "SECOND" }) end),
        async.run(function() async.sleep(1) error({ code = "FIRST" }) end),
      })
      assert.is_false(ok)
      async.sleep(80) -- the second fails meanwhile: not an uncaught error
      return e.code
    end)
    assert.equal("FIRST", code)
  end)

  it("pcall works across waits, nested", function()
    local r = table.pack(go(function()
      local ok1, e1 = pcall(function()
        local ok2, e2 = pcall(function()
          async.sleep(1)
          error("inner", 0)
        end)
        assert.is_false(ok2)
        async.sleep(1)
        error(e2 .. "+outer", 0)
      end)
      return ok1, e1
    end))
    assert.same({ n = 2, false, "inner+outer" }, r)
  end)

  it("a task that calls coroutine.yield() itself fails with ERR_ASYNC_YIELD there", function()
    local closed = false
    local t = async.run(function()
      local guard <close> = setmetatable({}, { __close = function() closed = true end }) -- luacheck: ignore 211
      coroutine.yield()
      error("not reached")
    end)
    assert.equal("failed", t.status)
    assert.equal("ERR_ASYNC_YIELD", t.error.code)
    assert.is_true(closed)
    assert.matches("async_spec.lua:%d+:", t.traceback)
    local ok, e = pcall(go, function() return t:wait() end)
    assert.is_false(ok)
    assert.matches("ERR_ASYNC_YIELD", tostring(e))
  end)

  it("outside a task every waiting call raises ERR_ASYNC_NO_TASK with a clear message", function()
    local calls = {
      { "async.sleep()", function() async.sleep(1) end },
      { "async.await()", function() async.await(function(cb) cb() end) end },
      { "async.once()", function() async.once(newEmitter(), "x") end },
      { "async.timeout()", function() async.timeout(1, function() end) end },
      { "async.all()", function() async.all({}) end },
      { "task:wait()", function() local t = async.run(function() end); t:wait() end },
    }
    -- a callback is outside any task, even when the loop was started from
    -- one (this spec's body runs in the interpreter's main task)
    local results
    timers.setImmediate(function()
      results = {}
      for i, c in ipairs(calls) do results[i] = table.pack(pcall(c[2])) end
    end)
    helper.wait(function() return results end)
    for i, c in ipairs(calls) do
      local ok, e = results[i][1], results[i][2]
      assert.is_false(ok, c[1])
      assert.equal("ERR_ASYNC_NO_TASK", e.code, c[1])
      assert.equal(c[1] .. " must be called inside a task: see async.run", e.message)
    end
    -- so does a waiting call in a plain coroutine made inside a task
    local code = go(function()
      local co = coroutine.wrap(function() return pcall(async.sleep, 1) end)
      local ok, e = co()
      assert.is_false(ok)
      return e.code
    end)
    assert.equal("ERR_ASYNC_NO_TASK", code)
  end)

  it("a task waiting on nothing ref'd does not keep the loop alive", function()
    local t = async.run(function() async.once(newEmitter(), "never") end)
    assert.equal("waiting", t.status)
    helper.drain()
    assert.is_false(core.alive())
    t:cancel()
  end)
end)

describe("async: waits", function()
  helper.leakcheck()

  it("sleep() waits at least ms and checks its argument", function()
    local elapsed = go(function()
      local t0 = core.hrtime()
      async.sleep(30)
      return (core.hrtime() - t0) / 1e6
    end)
    assert.is_true(elapsed >= 25, "slept " .. elapsed .. " ms")
    local e1, e2 = go(function()
      local _, a = pcall(async.sleep, "x")
      local _, b = pcall(async.sleep, -1)
      return a, b
    end)
    assert.equal("ERR_INVALID_ARG_TYPE", e1.code)
    assert.equal("ERR_OUT_OF_RANGE", e2.code)
  end)

  it("await() returns a callback's values and raises its error", function()
    local fs = require("luatls.fs")
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("hello")
    f:close()
    local data, code, sync = go(function()
      local d = async.await(fs.readFile, path)
      local ok, e = pcall(async.await, fs.readFile, path .. ".none")
      assert.is_false(ok)
      local a, b = async.await(function(x, cb) cb(nil, x, x + 1) end, 41) -- at once
      return d, e.code, a + b
    end)
    os.remove(path)
    assert.equal("hello", data)
    assert.equal("ENOENT", code)
    assert.equal(83, sync)
  end)

  it("timeout() raises ETIMEDOUT at the wait in progress and leaves nothing behind", function()
    local code, outer, value = go(function()
      local ok, e = pcall(async.timeout, 20, function() async.sleep(60000) end)
      assert.is_false(ok)
      -- nested: the inner deadline passes first, the outer one never fires
      local v = async.timeout(5000, function()
        local ok2, e2 = pcall(async.timeout, 10, function() async.sleep(60000) end)
        assert.is_false(ok2)
        assert.equal("ETIMEDOUT", e2.code)
        return "inner done"
      end)
      local r = async.timeout(5000, function(x) async.sleep(1) return x * 2 end, 21)
      return e.code, v, r
    end)
    assert.equal("ETIMEDOUT", code)
    assert.equal("inner done", outer)
    assert.equal(42, value)
    -- leakcheck: no timer left
  end)

  it("timeout() does not fire into a task whose function returned in time", function()
    local t = async.run(function()
      async.timeout(10, function() end)
      async.sleep(40) -- past the first deadline: not interrupted
      return "ok"
    end)
    helper.wait(function() return t.status ~= "waiting" end)
    assert.equal("done", t.status)
  end)

  it("once() returns the event's arguments; 'error' first is raised; listeners go", function()
    local e = newEmitter()
    local t = async.run(function()
      local a, b = async.once(e, "ready")
      local ok, err = pcall(async.once, e, "other")
      return a, b, ok, err
    end)
    assert.equal(2, e:listenerCount("ready") + e:listenerCount("error"))
    e:emit("ready", 1, 2)
    e:emit("error", "bad")
    helper.wait(function() return t.status == "done" end)
    assert.same({ n = 4, 1, 2, false, "bad" }, t.results)
    assert.equal(0, e:listenerCount("ready") + e:listenerCount("error") + e:listenerCount("other"))
  end)

  it("on() iterates events in order, queues them while the body waits, ends at 'close'", function()
    local e = newEmitter()
    local got = {}
    local t = async.run(function()
      for a, b in async.on(e, "item") do
        got[#got + 1] = a .. (b or "")
        async.sleep(1)
      end
      return "ended"
    end)
    e:emit("item", "a", "1")
    e:emit("item", "b")
    e:emit("item", "c")
    timers.setTimeout(function() e:emit("close") end, 10)
    helper.wait(function() return t.status == "done" end)
    assert.same({ "a1", "b", "c" }, got)
    assert.equal(0, e:listenerCount("item") + e:listenerCount("error") + e:listenerCount("close"))
  end)

  it("on() raises an 'error' event, and break removes the listeners", function()
    local e = newEmitter()
    local t = async.run(function()
      local n = 0
      for _ in async.on(e, "x") do
        n = n + 1
        if n == 2 then break end
      end
      assert.equal(0, e:listenerCount("x"))
      local ok, err = pcall(function() for _ in async.on(e, "y") do end end)
      return ok, err
    end)
    e:emit("x")
    e:emit("x")
    e:emit("x")
    helper.drain()
    e:emit("error", "broken")
    helper.wait(function() return t.status == "done" end)
    assert.same({ n = 2, false, "broken" }, t.results)
    assert.equal(0, e:listenerCount("y") + e:listenerCount("error"))
  end)
end)
