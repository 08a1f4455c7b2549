-- test/stress.lua: the differential stress harness (test/stress/harness.lua)
-- for as long as you like: plans drawn from consecutive seeds, each run
-- through pipe()'s C forwarding and through the Lua pipe at once, and compared.
--
--   build/luatls test/stress.lua [--seconds S] [--start SEED] [--max-total BYTES]
--   build/luatls test/stress.lua --seed N [--max-total BYTES]   one plan again
--   ... --total BYTES: every plan moves exactly that (e.g. 1073741824);
--   --peer P, --route R: only that peer, that route (a spec's plan:
--   --seed N --peer P --route R --max-total 16777216)
--
-- Defaults: 300 s, a start seed from the clock (printed), totals up to 1 GiB.
-- Prints a line per plan, the failures with their seed and plan, then
-- "N plans, N MiB moved, N failed"; exits 1 when any failed. With
-- build-asan/luatls the servers run under the sanitizers too, and a report
-- in their output fails the run.
local harness = require("test.stress.harness")
local core = require("luatls.core")

local o = { seconds = 300, maxTotal = 1024 * 1024 * 1024 }
local i = 1
while arg[i] do
  local a, v = arg[i], arg[i + 1]
  if a == "--seconds" then o.seconds = assert(tonumber(v), "--seconds N")
  elseif a == "--start" then o.start = assert(tonumber(v), "--start SEED")
  elseif a == "--seed" then o.seed = assert(tonumber(v), "--seed N")
  elseif a == "--max-total" then o.maxTotal = assert(tonumber(v), "--max-total BYTES")
  elseif a == "--total" then o.total = assert(tonumber(v), "--total BYTES")
  elseif a == "--peer" then o.peer = v
  elseif a == "--route" then o.route = v
  else error("unknown argument " .. a .. " (see the header of test/stress.lua)") end
  i = i + 2
end

local seed = o.seed or o.start or (os.time() % 1000000) * 1000
print(string.format("stress: %s seed %d, totals up to %d bytes", o.seed and "plan of" or "from", seed, o.maxTotal))
local servers = harness.start()
local deadline = core.hrtime() + o.seconds * 1e9
local plans, moved, failed = 0, 0, 0
repeat
  local p = harness.plan(seed, { maxTotal = o.maxTotal, total = o.total, peer = o.peer, route = o.route })
  if harness.available(p.peer) then
    local t0 = core.hrtime()
    local figures, fails = harness.run(servers, p, 600000)
    plans, moved = plans + 1, moved + figures.bytes
    print(string.format("%s  %s (%.1f s)", #fails == 0 and "ok  " or "FAIL", harness.describe(p),
      (core.hrtime() - t0) / 1e9))
    for _, f in ipairs(fails) do print("  " .. f) end
    if #fails > 0 then failed = failed + 1 end
    io.stdout:flush()
  end
  seed = seed + 1
until o.seed or core.hrtime() > deadline
local report = harness.stop(servers)
if report then
  print("a sanitizer reported in a stress server: " .. report)
  failed = failed + 1
end
print(string.format("%d plans, %.1f MiB moved, %d failed", plans, moved / 1048576, failed))
os.exit(failed == 0 and 0 or 1)
