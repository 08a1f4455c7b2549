-- Node v20.11.1 test/parallel/test-net-socket-timeout.js, ported
-- (doc/node-tests.md).
-- setTimeout()'s argument checks; it returns the socket, also once the
-- socket is destroyed.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-socket-timeout", function()
  it("argument checks, and setTimeout on a destroyed socket", common.run(function()
    local s = net.Socket.new()
    -- Node's undefined and null are both nil here
    local nonNumericDelays = {
      "100", true, false, "nil", "", {}, function() end, {},
    }
    local badRangeDelays = { -0.001, -1, -math.huge, math.huge, 0 / 0 }
    local validDelays = { 0, 0.001, 1, 1e6 }
    -- Node's null is nil, no callback in Lua, and there is no Symbol: a
    -- coroutine stands for a value of a type of its own
    local invalidCallbacks = {
      1, "100", true, false, {}, {}, coroutine.create(function() end),
    }

    for i = 1, #nonNumericDelays do
      local delay = nonNumericDelays[i]
      if delay == "nil" then delay = nil end
      assert.throws(function()
        s:setTimeout(delay, function() end)
      end, { code = "ERR_INVALID_ARG_TYPE" }, tostring(delay))
    end

    for i = 1, #badRangeDelays do
      assert.throws(function()
        s:setTimeout(badRangeDelays[i], function() end)
      end, { code = "ERR_OUT_OF_RANGE" }, tostring(badRangeDelays[i]))
    end

    for i = 1, #validDelays do
      s:setTimeout(validDelays[i], function() end)
    end

    for i = 1, #invalidCallbacks do
      for _, msec in ipairs({ 0, 1 }) do
        assert.throws(function() s:setTimeout(msec, invalidCallbacks[i]) end, {
          code = "ERR_INVALID_ARG_TYPE",
          name = "TypeError",
        })
      end
    end

    -- Node's process exits with s's unref'd timeout (1e6 ms) still armed;
    -- here the next specs run in the same process: turn it off
    common.onExit(function() s:setTimeout(0) end)

    local server = net.Server()
    server:listen(0, common.mustCall(function()
      local socket = net.createConnection(server:address().port)
      assert.strictEqual(socket:setTimeout(1, common.mustCall(function()
        socket:destroy()
        assert.strictEqual(socket:setTimeout(1, common.mustNotCall()), socket)
        server:close()
      end)), socket)
    end))
  end))
end)
