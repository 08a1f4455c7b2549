-- Node v20.11.1 test/parallel/test-net-end-close.js, ported
-- (doc/node-tests.md).
-- A socket over a handle that reads only an EOF: 'end', then 'close'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-net-end-close", function()
  it("'end' then 'close'", common.run(function()
    -- Node's fake handle reports UV_EOF through internal bindings; a
    -- luatls handle reports the end of stream as read callback (nil)
    local s = net.Socket.new({
      handle = {
        read_start = function(_, onread)
          timers.setImmediate(function() onread(nil) end)
          return true
        end,
        read_stop = function() end,
        close = function(_, cb) timers.setImmediate(cb) end,
      },
      writable = false,
    })
    assert.strictEqual(s, s:resume())

    local events = {}

    s:on("end", function()
      events[#events + 1] = "end"
    end)
    s:on("close", function()
      events[#events + 1] = "close"
    end)

    common.onExit(function()
      assert.deepStrictEqual(events, { "end", "close" })
    end)
  end))
end)
