-- test/load.lua: N concurrent TLS 1.3 echo clients against test/server.lua in
-- its own process, ROUNDS times. See test/README.md.
--
--   bash -c 'ulimit -n 8192; build/luatls test/load.lua [N] [ROUNDS]'   (default 2000, 3)
package.path = "./?.lua;" .. package.path
local lib = require("test.lib")
local core = require("luatls.core")

local n = tonumber(arg[1]) or 2000
local rounds = tonumber(arg[2]) or 3
local MiB = 1024 * 1024
local check = lib.checks()
local sanitized = core.versions().sanitized

local limit = lib.nofile()
if limit and limit < n + 200 then
  io.stderr:write(string.format("ulimit -n is %d: %d clients need more. Run it as\n"
    .. "  bash -c 'ulimit -n 8192; build/luatls test/load.lua %d %d'\n", limit, n, n, rounds))
  os.exit(2)
end

print(string.format("== load: %d concurrent TLS 1.3 echo clients (1 KiB each), %d rounds", n, rounds))
local t0 = core.hrtime()
local r = lib.load(n, { rounds = rounds, heap = true, log = function(s) print("  " .. s) end })
print(string.format("  baseline: %d fds, RSS %s%s", r.base.fds, lib.mib(r.base.rss),
  r.base.heap and string.format(", malloc in use %d bytes", r.base.heap.inUse) or ""))
for i, rr in ipairs(r.rounds) do
  print(string.format("  round %d: %d ok, %d failed (%s), protocols %s; all echoed in %.1f s; peak %d fds, "
    .. "RSS %s; after close %d fds, RSS %s%s", i, rr.ok, rr.failed, lib.show(rr.errors), lib.show(rr.protocols),
    rr.connectSeconds, rr.peak.fds, lib.mib(rr.peak.rss), rr.fdsSettled, lib.mib(rr.after.rss),
    rr.after.heap and string.format(", malloc in use %d bytes, RSS after malloc_trim %s", rr.after.heap.inUse,
      lib.mib(rr.after.heap.trimmedRss)) or ""))
  check.ok(rr.ok == n and rr.failed == 0, string.format("round %d: all %d clients got their echo (%d)", i, n, rr.ok))
  check.ok(rr.protocols["TLSv1.3"] == n, string.format("round %d: all TLS 1.3", i))
  check.ok(rr.peak.open == n, string.format("round %d: %d open at once on the server (%d)", i, n, rr.peak.open))
  check.ok(rr.fdsSettled == r.base.fds, string.format("round %d: descriptors back to baseline (%d, baseline %d)",
    i, rr.fdsSettled, r.base.fds))
  check.ok(rr.stats.errors == 0, string.format("round %d: no tlsClientError", i))
  if rr.after.heap and r.base.heap and not sanitized then
    check.ok(rr.after.heap.inUse - r.base.heap.inUse < 2 * MiB, string.format(
      "round %d: memory in use back near baseline (+%d bytes)", i, rr.after.heap.inUse - r.base.heap.inUse))
    check.ok(rr.after.heap.trimmedRss - r.base.rss < 8 * MiB, string.format(
      "round %d: RSS back near baseline once malloc gives back what is free (+%s)", i,
      lib.mib(rr.after.heap.trimmedRss - r.base.rss)))
  end
end
if rounds >= 2 and not sanitized then
  local last, first = r.rounds[rounds].peak.rss, r.rounds[1].peak.rss
  check.ok(last - first < 16 * MiB, string.format("peak RSS flat from round 1 to round %d (%s -> %s)", rounds,
    lib.mib(first), lib.mib(last)))
end
check.ok(r.echo == "still serving", "a round trip after the load")
check.ok(lib.cleanOutput(r), "the server exited 0 without a sanitizer report")
print(string.format("  whole run %.1f s", (core.hrtime() - t0) / 1e9))
check.done()
