-- The rockspec builds and installs into a tree, and a plain lua5.4 can then
-- require the modules and run the loop.
local helper = require("spec.helper")

local function have(cmd)
  local _, status = helper.sh("command -v " .. cmd)
  return status == 0
end

describe("the rock", function()
  it("installs with luarocks make and runs from plain lua5.4", function()
    if not (have("luarocks") and have("lua5.4")) then
      pending("luarocks or lua5.4 is not installed")
      return
    end
    local tree = helper.sh("mktemp -d /tmp/luatls-rock-XXXXXX"):gsub("%s+$", "")
    finally(function() os.execute("rm -rf '" .. tree .. "'") end)
    local out, status = helper.sh(string.format(
      "cd '%s' && timeout 300 luarocks --lua-version 5.4 --tree '%s' make rocks/luatls-scm-1.rockspec",
      helper.root, tree))
    assert.equal(0, status, out)

    local script = tree .. "/check.lua"
    local f = assert(io.open(script, "w"))
    f:write([[
local luatls = require("luatls")
local net = require("luatls.net")
local timers = require("luatls.timers")
local events = require("luatls.events")
assert(type(events.new) == "function")
local server = net.createServer(function(s) s:pipe(s) end)
local got = {}
server:listen(0, "127.0.0.1", function()
  local c
  c = net.connect(server:address().port, "127.0.0.1", function() c:done("from plain lua") end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("end", function() server:close() end)
end)
local ticked = false
timers.setTimeout(function() ticked = true end, 5)
luatls.run()
assert(ticked, "the timer did not fire")
io.write(table.concat(got), "\n")
-- sequential code: luatls.run(fn) runs fn as a task, then the loop
local async = require("luatls.async")
local answer
luatls.run(function()
  local s2 = net.createServer(async.wrap(function(s)
    s:send(s:receive("*l"):upper() .. "\n")
    s:done()
  end))
  s2:listen(0, "127.0.0.1")
  async.once(s2, "listening")
  local c = net.connect(s2:address().port, "127.0.0.1")
  async.once(c, "connect")
  c:send("from a task\n")
  answer = c:receive("*l")
  c:destroy()
  s2:close()
end)
io.write(answer, "\n")
]])
    f:close()
    local env = string.format(
      "LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;;' LUA_CPATH='%s/lib/lua/5.4/?.so;;'",
      tree, tree, tree)
    out, status = helper.sh(string.format("%s timeout 30 lua5.4 '%s'", env, script))
    assert.equal(0, status, out)
    assert.equal("from plain lua\nFROM A TASK\n", out)

    -- the interpreter installed with the rock runs too
    out, status = helper.sh(string.format("%s timeout 30 '%s/bin/luatls' -e 'print(require(\"net\").isIP(\"::1\"))'",
      env, tree))
    assert.equal(0, status, out)
    assert.equal("6\n", out)
  end)
end)
