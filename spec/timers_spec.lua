local helper = require("spec.helper")
local timers = require("luatls.timers")
local core = require("luatls.core")

describe("timers", function()
  helper.leakcheck()

  it("setTimeout runs once with its arguments, after the delay", function()
    local got, t0 = nil, core.hrtime()
    local elapsed
    timers.setTimeout(function(a, b) got = { a, b }; elapsed = (core.hrtime() - t0) / 1e6 end, 30, "x", 2)
    helper.wait(function() return got end)
    assert.same({ "x", 2 }, got)
    assert.is_true(elapsed >= 25, "fired after " .. elapsed .. " ms")
  end)

  it("clearTimeout stops a timer; clearing nil or twice is harmless", function()
    local fired = false
    local t = timers.setTimeout(function() fired = true end, 10)
    timers.clearTimeout(t)
    timers.clearTimeout(t)
    timers.clearTimeout(nil)
    helper.sleep(40)
    assert.is_false(fired)
  end)

  it("setInterval repeats until cleared", function()
    local n = 0
    local iv
    iv = timers.setInterval(function() n = n + 1; if n == 3 then timers.clearInterval(iv) end end, 5)
    helper.wait(function() return n == 3 end)
    helper.sleep(30)
    assert.equal(3, n)
  end)

  it("orders nextTick before setImmediate before a 0 ms timeout's later turns", function()
    local order = {}
    timers.setImmediate(function() order[#order + 1] = "immediate" end)
    process.nextTick(function() order[#order + 1] = "tick" end)
    helper.wait(function() return #order == 2 end)
    assert.same({ "tick", "immediate" }, order)
  end)

  it("runs immediates queued by an immediate on the next turn", function()
    local order = {}
    timers.setImmediate(function()
      order[#order + 1] = "a"
      timers.setImmediate(function() order[#order + 1] = "c" end)
    end)
    timers.setImmediate(function() order[#order + 1] = "b" end)
    helper.wait(function() return #order == 3 end)
    assert.same({ "a", "b", "c" }, order)
  end)

  it("clearImmediate cancels", function()
    local ran = false
    local im = timers.setImmediate(function() ran = true end)
    timers.clearImmediate(im)
    helper.sleep(10)
    assert.is_false(ran)
  end)

  it("an unref'd timer does not keep the loop alive; ref() brings it back", function()
    local t = timers.setTimeout(function() end, 100000)
    t:unref()
    assert.is_false(t:hasRef())
    assert.is_false(core.alive())
    t:ref()
    assert.is_true(core.alive())
    timers.clearTimeout(t)
  end)

  it("refresh() restarts the delay from now", function()
    -- measured from the refresh itself: on a busy machine the sleep before
    -- it may overshoot, and when the timer fired before the refresh could
    -- come, the round says nothing and runs again
    for _ = 1, 5 do
      local fired_at
      local t = timers.setTimeout(function() fired_at = core.hrtime() end, 200)
      helper.sleep(50)
      if fired_at == nil then
        local refreshed_at = core.hrtime()
        t:refresh()
        helper.wait(function() return fired_at end)
        local after = (fired_at - refreshed_at) / 1e6
        assert.is_true(after >= 198, "fired " .. after .. " ms after refresh()")
        return
      end
    end
    error("the timer fired before refresh() in 5 rounds: the machine is too slow for this test")
  end)

  it("counts a delay from when setTimeout was called, even after a busy callback", function()
    local elapsed
    timers.setTimeout(function()
      local t = core.hrtime()
      while core.hrtime() - t < 100e6 do end -- 100 ms of work
      local t1 = core.hrtime()
      timers.setTimeout(function() elapsed = (core.hrtime() - t1) / 1e6 end, 50)
    end, 1)
    helper.wait(function() return elapsed end)
    assert.is_true(elapsed >= 45, "fired after " .. elapsed .. " ms")
  end)

  it("raises ERR_INVALID_ARG_TYPE for a callback that is not a function", function()
    local ok, err = pcall(timers.setTimeout, "nope", 10)
    assert.is_false(ok)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
  end)

  it("an error in a timer callback surfaces from the loop, and the loop goes on", function()
    timers.setTimeout(function() error("boom in timer") end, 1)
    local ok, err = pcall(helper.wait, function() return false end, 2000)
    assert.is_false(ok)
    assert.matches("boom in timer", tostring(err))
    local later = false
    timers.setTimeout(function() later = true end, 1)
    helper.wait(function() return later end)
  end)

  it("timeouts of one duration fire in the order they were set; a cleared one is skipped, " ..
    "a refreshed one goes last", function()
    local order, t = {}, {}
    for i = 1, 5 do
      t[i] = timers.setTimeout(function() order[#order + 1] = i end, 30)
    end
    timers.clearTimeout(t[3])
    t[1]:refresh()
    helper.wait(function() return #order == 4 end)
    assert.same({ 2, 4, 5, 1 }, order)
    helper.sleep(40)
    assert.same({ 2, 4, 5, 1 }, order)
  end)

  it("an error in one of several timeouts that expire together does not strand the others", function()
    local later = false
    timers.setTimeout(function() error("boom first") end, 5)
    timers.setTimeout(function() later = true end, 5)
    local ok, err = pcall(helper.wait, function() return false end, 2000)
    assert.is_false(ok)
    assert.matches("boom first", tostring(err))
    helper.wait(function() return later end)
  end)

  it("timeouts of one duration share one libuv timer, which keeps the loop alive only while one is ref'd", function()
    local function timerHandles()
      local n = 0
      for _, w in ipairs(core.walk(true)) do if w.type == "timer" then n = n + 1 end end
      return n
    end
    local before = timerHandles()
    local ts = {}
    for i = 1, 200 do ts[i] = timers.setTimeout(function() end, 123456):unref() end
    assert.is_true(timerHandles() <= before + 1)
    assert.is_false(core.alive())
    ts[100]:ref()
    assert.is_true(core.alive())
    timers.clearTimeout(ts[100])
    assert.is_false(core.alive())
    for i = 1, 200 do timers.clearTimeout(ts[i]) end
    local n = 0
    for _, w in ipairs(core.walk(true)) do if w.type == "timer" and w.active then n = n + 1 end end
    assert.equal(0, n, "a timer is still running")
  end)

  it("a timeout and an interval of the same duration both keep their schedule", function()
    local ticks, once = 0, 0
    local iv = timers.setInterval(function() ticks = ticks + 1 end, 10)
    timers.setTimeout(function() once = once + 1 end, 10)
    helper.wait(function() return ticks >= 4 end)
    timers.clearInterval(iv)
    assert.equal(1, once)
  end)
  describe("the nextTick queue's seams for objects made late (tick.reserve, fill, capture)", function()
    local tick = require("luatls.tick")

    it("a reserved place runs what fill puts there, in its turn; an empty one is skipped", function()
      local order = {}
      tick.nextTick(function()
        local function note(x) order[#order + 1] = x end
        tick.nextTick(note, "a")
        local slot = tick.reserve()
        local empty = tick.reserve()
        tick.nextTick(note, "c")
        assert.is_false(tick.onlyReserved())
        assert.is_false(tick.passed(slot))
        assert.is_true(tick.fill(slot, note, "b"))
        tick.nextTick(function()
          assert.is_true(tick.passed(slot) and tick.passed(empty))
          assert.is_false(tick.fill(empty, note, "late"))
          assert.is_true(tick.onlyReserved())
          note("d")
        end)
      end)
      helper.wait(function() return #order == 4 end, 1000, "the ticks")
      helper.sleep(5)
      assert.same({ "a", "b", "c", "d" }, order)
    end)

    it("a place of an earlier drain has passed", function()
      local slot
      tick.nextTick(function() slot = tick.reserve() end)
      helper.wait(function() return slot end, 1000, "the tick")
      helper.sleep(5)
      assert.is_true(tick.passed(slot))
      assert.is_false(tick.fill(slot, function() error("ran") end))
    end)

    it("capture keeps the ticks f queues; runCaptured runs them in order with those they queue", function()
      local order = {}
      local function note(x) order[#order + 1] = x end
      local list = tick.capture(function(a)
        tick.nextTick(note, a)
        tick.nextTick(function()
          note("2")
          tick.nextTick(note, "4")
        end)
        tick.nextTick(note, "3", "ignored", "args", "beyond", "three")
      end, "1")
      assert.equal(3, #list)
      assert.same({}, order)
      tick.runCaptured(list)
      assert.same({ "1", "2", "3", "4" }, order)
      assert.is_false(tick.pending())
      -- an error in f: nothing stays captured
      assert.has_error(function() tick.capture(function() error("boom") end) end)
      local ran = false
      tick.nextTick(function() ran = true end)
      helper.wait(function() return ran end, 1000, "a tick after the failed capture")
    end)
  end)
end)
