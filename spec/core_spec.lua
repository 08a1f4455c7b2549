-- luatls.core: the handle record, the loop's guards and error objects.
local helper = require("spec.helper")
local core = require("luatls.core")
local errors = require("luatls.errors")

describe("luatls.core", function()
  helper.leakcheck()

  it("close() may be called twice, and the close callback runs once", function()
    local t = core.timer_new()
    local n = 0
    t:close(function() n = n + 1 end)
    t:close(function() n = n + 100 end)
    helper.drain()
    helper.drain()
    assert.equal(1, n)
    assert.is_true(t:is_closing())
    local ok, err = pcall(t.start, t, 1, 0, function() end)
    assert.is_false(ok)
    assert.matches("handle is closed", err)
  end)

  it("a to-be-closed handle closes at the end of its scope", function()
    local h
    do
      local t <close> = core.timer_new()
      h = t
      t:start(100000, 0, function() end)
    end
    assert.is_true(h:is_closing())
    helper.drain()
  end)

  it("walk() lists open handles with their type and state", function()
    local t = core.timer_new()
    t:start(100000, 0, function() end)
    local found
    for _, w in ipairs(core.walk()) do
      if w.handle == t then found = w end
    end
    assert.equal("timer", found.type)
    assert.is_true(found.active)
    t:close()
  end)

  it("refuses to run the loop from inside a callback", function()
    local t = core.timer_new()
    local err
    t:start(1, 0, function()
      local ok, e = pcall(core.run)
      err = not ok and e
    end)
    helper.wait(function() return err ~= nil end)
    assert.matches("already running", err)
    t:close()
  end)

  it("drops a handle that is only garbage once it is closed", function()
    local weak = setmetatable({}, { __mode = "v" })
    do
      local t = core.timer_new()
      weak[1] = t
      t:close()
    end
    helper.drain()
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)

  it("keeps an open handle alive without a Lua reference to it", function()
    local fired = false
    do
      core.timer_new():start(5, 0, function() fired = true end)
    end
    collectgarbage()
    collectgarbage()
    helper.wait(function() return fired end)
    for _, w in ipairs(core.walk()) do if w.handle then w.handle:close() end end
  end)

  it("makes error objects that print like Node's", function()
    local _, err = core.fs_readfile("/no/such/file")
    assert.equal("ENOENT", err.code)
    assert.is_true(errors.is(err))
    assert.equal("Error: ENOENT: no such file or directory, open '/no/such/file'", tostring(err))
    local e = errors.new("ERR_X", "went wrong")
    assert.equal("Error [ERR_X]: went wrong", tostring(e))
    assert.equal("TypeError [ERR_Y]: bad", tostring(errors.TypeError("ERR_Y", "bad")))
  end)

  it("checks argument types of core functions", function()
    assert.has_error(function() core.timer_new():start("x", 0, function() end) end)
    assert.has_error(function() core.tcp_new().write(1, "x") end)
    helper.drain()
    for _, w in ipairs(core.walk()) do if w.handle then w.handle:close() end end
  end)

  it("luatls.run(): 'beforeExit' errors go to 'uncaughtException' like any callback's", function()
    local luatls = require("luatls")
    local process = require("luatls.process")
    local caught, n = nil, 0
    local function onBefore()
      n = n + 1
      if n == 1 then error("raised in beforeExit") end
    end
    local function onUncaught(err) caught = err end
    process:on("beforeExit", onBefore)
    process:on("uncaughtException", onUncaught)
    local ok, err = pcall(luatls.run)
    process:removeListener("uncaughtException", onUncaught)
    assert.is_true(ok, tostring(err))
    assert.matches("raised in beforeExit", tostring(caught))
    -- without a listener it is raised from run()
    n = 0
    ok, err = pcall(luatls.run)
    process:removeListener("beforeExit", onBefore)
    assert.is_false(ok)
    assert.matches("raised in beforeExit", tostring(err))
    assert.matches("stack traceback", require("luatls.loop").lastTraceback())
  end)

  it("hashes with OpenSSL digests", function()
    local hex = require("luatls.buffer").toHex
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      hex(core.digest("sha256", "abc")))
    local h = core.hash_new("sha256")
    h:update("a"):update("bc")
    assert.equal(core.digest("sha256", "abc"), h:digest())
    local ok, err = pcall(core.hash_new, "nope")
    assert.is_false(ok)
    assert.equal("ERR_CRYPTO_INVALID_DIGEST", err.code)
    assert.equal("Invalid digest: nope", err.message)
  end)
end)
