-- spec/forward_fallbacks.lua: the fallbacks from C forwarding to the Lua
-- pipe that every forwarding route shares, for spec/tls_forward_spec.lua
-- (TLS) and spec/net_forward_spec.lua (TCP). An echo server pipes each
-- socket into itself; the bytes stay in C until something in Lua would see
-- them, then the Lua pipe carries on with nothing lost and the counters
-- whole.
--
--   require("spec.forward_fallbacks").fallbacks({
--     server = function(onConnection) return server end,
--     connect = function(port) return client end,
--     ready = function(client) return true once it can write end,
--     more = function(ctx) extra it()s, ctx: port, accepted, client, got,
--                          echoes(text) end,   -- optional
--     env = _ENV,       -- the spec file's (describe, it, assert, ...)
--   })
local helper = require("spec.helper")

local M = {}

-- legs(f, connect, legs): the front socket f's leg to its upstream
-- (connect(cb) makes it), piped both ways once connected; { f, b } joins
-- legs then. Either side's close takes the other down.
function M.legs(f, connect, legs)
  f:pause()
  local b
  b = connect(function()
    legs[#legs + 1] = { f, b }
    f:pipe(b)
    b:pipe(f)
  end)
  f:on("error", function() end)
  b:on("error", function() end)
  f:on("close", function() b:destroy() end)
  return b
end

function M.fallbacks(o)
  local describe, it, before_each, after_each = o.env.describe, o.env.it, o.env.before_each, o.env.after_each
  local assert = o.env.assert
  describe("falls back to the Lua pipe", function()
    local ctx = {}

    before_each(function()
      ctx.accepted, ctx.got = {}, {}
      ctx.server = o.server(function(s)
        s:pipe(s)
        ctx.accepted[#ctx.accepted + 1] = s
      end)
      ctx.port = helper.listen(ctx.server)
      ctx.client = o.connect(ctx.port)
      ctx.client:on("data", function(d) ctx.got[#ctx.got + 1] = d end)
      helper.wait(function() return #ctx.accepted == 1 and o.ready(ctx.client) end)
    end)

    after_each(function()
      ctx.client:destroy()
      helper.closeServer(ctx.server, true)
    end)

    function ctx.echoes(text)
      local before = #ctx.got
      ctx.client:write(text)
      helper.wait(function() return table.concat(ctx.got, "", before + 1):find(text, 1, true) end)
    end

    it("when a 'data' listener comes: it sees the bytes, and the echo goes on", function()
      local s = ctx.accepted[1]
      assert.is_true(s._handle:forwarding())
      ctx.echoes("one")
      local seen = {}
      s:on("data", function(d) seen[#seen + 1] = d end)
      assert.is_false(s._handle:forwarding())
      ctx.echoes("two")
      assert.equal("two", table.concat(seen))
      assert.equal(6, s.bytesRead)
      assert.equal(6, s.bytesWritten)
    end)

    it("at unpipe(): nothing is echoed any more", function()
      local s = ctx.accepted[1]
      ctx.echoes("one")
      s:unpipe(s)
      assert.is_false(s._handle:forwarding())
      ctx.client:write("two")
      helper.sleep(200)
      assert.equal("one", table.concat(ctx.got))
      assert.equal(3, s.bytesWritten)
    end)

    it("at pause(), and resume() lets the bytes through again", function()
      local s = ctx.accepted[1]
      s:pause()
      assert.is_false(s._handle:forwarding())
      ctx.client:write("held")
      helper.sleep(150)
      assert.equal("", table.concat(ctx.got))
      s:resume()
      helper.wait(function() return table.concat(ctx.got) == "held" end)
    end)

    it("at a write of its own, which keeps its place in the stream", function()
      local s = ctx.accepted[1]
      ctx.echoes("one")
      s:write("[own]")
      assert.is_false(s._handle:forwarding())
      ctx.echoes("two")
      assert.equal("one[own]two", table.concat(ctx.got))
    end)

    it("not at setTimeout(): forwarded bytes keep 'timeout' away, which comes once they stop", function()
      local s = ctx.accepted[1]
      local timedOutAt
      local t0 = require("luatls.core").hrtime()
      local gap = 100 * helper.SLOW
      s:setTimeout(4 * gap, function() timedOutAt = (require("luatls.core").hrtime() - t0) / 1e6 end)
      -- echoes one gap apart for 10 gaps: never 4 gaps quiet
      for i = 1, 10 do
        ctx.echoes("ping" .. i)
        helper.sleep(gap)
      end
      assert.is_true(s._handle:forwarding())
      assert.is_nil(timedOutAt)
      helper.wait(function() return timedOutAt end)
      assert.is_true(timedOutAt >= 10 * gap, "timed out at " .. tostring(timedOutAt) .. " ms")
    end)

    if o.more then o.more(ctx) end
  end)
end

return M
