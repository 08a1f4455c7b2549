-- spec/stress_spec.lua: the differential stress harness (test/stress/) with a
-- budget the suite can afford: every route with every peer that can take it
-- (the server half-closing first: Node and luatls; "relay": TCP -> TCP
-- forwarding, src/uv/forward.c, under the client's TLS), plans drawn from
-- fixed seeds (LUATLS_STRESS_SEED=N draws them from N instead), plus Node's
-- large echo in 1 MiB writes that once deadlocked the C forwarding. The same
-- traffic goes through pipe()'s C forwarding and through the Lua pipe, and
-- both must give the whole echo, exact counters, a bounded queue, no
-- descriptor left open, and the same results. A failure names the seed and
-- the plan, so `build/luatls test/stress.lua --seed N --peer P --route R
-- --max-total 16777216` runs it again.
-- Under the sanitizers (LUATLS_SPEC_GC=1, as scripts/test sets for ASan) the
-- sizes are a quarter.
local helper = require("spec.helper")
local harness = require("test.stress.harness")

local MiB = 1024 * 1024
local scale = os.getenv("LUATLS_SPEC_GC") == "1" and 4 or 1
local base = tonumber(os.getenv("LUATLS_STRESS_SEED")) or 1

describe("pipe() forwarded in C against the Lua pipe, under randomized traffic", function()
  local servers
  local moved, plans = 0, 0

  setup(function() servers = harness.start() end)

  teardown(function()
    local report = harness.stop(servers)
    assert.is_nil(report, "a sanitizer reported in a stress server: " .. tostring(report))
    print(string.format("\nstress: %d plans, %.1f MiB moved", plans, moved / MiB))
  end)

  local function run(p)
    if not harness.available(p.peer) then
      pending(p.peer .. " is not installed")
      return
    end
    local figures, fails = harness.run(servers, p, 120000 * helper.SLOW)
    moved, plans = moved + figures.bytes, plans + 1
    assert.same({}, fails)
  end

  local seed = base
  for _, peer in ipairs(harness.PEERS) do
    for _, route in ipairs(harness.routes(peer)) do
      local s = seed
      seed = seed + 1
      it(string.format("%s through %s (seed %d)", peer, route, s), function()
        run(harness.plan(s, { peer = peer, route = route, maxTotal = 16 * MiB // scale }))
      end)
    end
  end

  it("Node's 256 MiB echo in 1 MiB writes, read as it comes (the forwarding deadlock)", function()
    local p = harness.plan(base, { peer = "node", route = "self", total = 256 * MiB // scale })
    p.wmax, p.close, p.pause, p.ignore, p.resetAt = MiB, "end-after", 0, 0, 0
    run(p)
  end)

  it("a large echo through the TCP terminator, half-closed early, with stalled reads", function()
    local p = harness.plan(base + 100, { peer = "luatls", route = "term", total = 48 * MiB // scale })
    p.wmax, p.close, p.pause, p.pauseMs, p.resetAt = 256 * 1024, "end-early", 30, 200, 0
    run(p)
  end)
end)
