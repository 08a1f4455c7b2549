-- test/churn.lua: N clients that reset the connection in the middle of the
-- ClientHello (TCP RST) and N that send the whole ClientHello and vanish,
-- against test/server.lua in its own process; then the same against a server
-- whose handshake hooks all answer later. See test/README.md.
--
--   build/luatls test/churn.lua [N]        (default 6000, the issue's figure)
package.path = "./?.lua;" .. package.path
local lib = require("test.lib")
local core = require("luatls.core")

local n = tonumber(arg[1]) or 6000
local MiB = 1024 * 1024
local check = lib.checks()
local sanitized = core.versions().sanitized

local function run(hooks)
  local label = hooks and "hooks on" or "no hooks"
  print(string.format("== churn, %s: %d resets + %d vanishing clients, in batches of 200", label, n, n))
  local t0 = core.hrtime()
  local r = lib.churn(n, { batch = 200, heap = true, hooks = hooks, log = function(s) print("  " .. s) end })
  local wall = (core.hrtime() - t0) / 1e9
  print(string.format("  reset:  %d tlsClientError (%s)", r.reset.errors, lib.show(r.reset.codes)))
  print(string.format("  vanish: %d tlsClientError (%s)", r.vanish.errors, lib.show(r.vanish.codes)))
  print(string.format("  server totals: %s", r.final and lib.show({ accepted = r.final.accepted,
    closed = r.final.closed, secure = r.final.secure, errors = r.final.errors, uncaught = r.final.uncaught })))
  print(string.format("  fds: baseline %d, after a third %d, after all %d", r.base.fds, r.third.fds, r.fdsSettled))
  print(string.format("  RSS: baseline %s, after a third %s, after all %s", lib.mib(r.base.rss),
    lib.mib(r.third.rss), lib.mib(r.after.rss)))
  if r.base.heap and r.third.heap and r.after.heap then
    print(string.format("  malloc in use (gdb malloc_stats): baseline %d, after a third %d, after all %d bytes",
      r.base.heap.inUse, r.third.heap.inUse, r.after.heap.inUse))
  end
  print(string.format("  churn %.1f s, whole run %.1f s", r.seconds, wall))
  check.ok(r.reset.errors == n, label .. ": one tlsClientError per reset client (" .. r.reset.errors .. ")")
  check.ok(r.vanish.errors == n, label .. ": one tlsClientError per vanishing client (" .. r.vanish.errors .. ")")
  check.ok(r.final.errors == 2 * n, label .. ": no other tlsClientError later (" .. r.final.errors .. ")")
  check.ok(r.final.accepted == r.final.closed, label .. ": every accepted socket closed")
  check.ok(r.fdsSettled == r.base.fds, label .. ": descriptors back to baseline")
  check.ok(r.echo == "still serving", label .. ": a real client round-trips after")
  if not sanitized then
    -- with a third of the churn done the allocator has what it needs; after
    -- that RSS must stay flat (malloc keeps, but reuses, what it freed)
    check.ok(r.after.rss - r.third.rss < 4 * MiB, string.format("%s: RSS flat from a third to the end (+%s)",
      label, lib.mib(r.after.rss - r.third.rss)))
    if r.after.heap and r.third.heap then
      check.ok(r.after.heap.inUse - r.third.heap.inUse < 256 * 1024, string.format(
        "%s: memory in use flat from a third to the end (%+d bytes)", label, r.after.heap.inUse - r.third.heap.inUse))
    end
  end
  check.ok(lib.cleanOutput(r), label .. ": the server exited 0 without a sanitizer report")
end

run(false)
run(true)
check.done()
