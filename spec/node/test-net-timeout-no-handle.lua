-- Node v20.11.1 test/parallel/test-net-timeout-no-handle.js, ported
-- (doc/node-tests.md).
-- A socket never connected still emits 'timeout'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-net-timeout-no-handle", function()
  it("'timeout' without a handle", common.run(function()
    local socket = net.Socket.new()
    socket:setTimeout(common.platformTimeout(50))

    socket:on("timeout", common.mustCall(function()
      assert.strictEqual(socket._handle, nil)
    end))

    socket:on("connect", common.mustNotCall())

    timers.setTimeout(function() end, common.platformTimeout(200))
  end))
end)
