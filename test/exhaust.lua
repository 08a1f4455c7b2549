-- test/exhaust.lua: descriptor exhaustion. test/server.lua runs under
-- `ulimit -n LIMIT`; N TLS clients connect at once (more than it can accept).
-- See test/README.md.
--
--   build/luatls test/exhaust.lua [LIMIT] [N]     (default 64, 300)
package.path = "./?.lua;" .. package.path
local lib = require("test.lib")

local limit = tonumber(arg[1]) or 64
local n = tonumber(arg[2]) or 300
local check = lib.checks()

print(string.format("== descriptor exhaustion: server under ulimit -n %d, %d clients at once", limit, n))
local r = lib.exhaust(limit, n, { log = function(s) print("  " .. s) end })
print(string.format("  baseline %d fds; at the peak %d fds, %d accepted, %d secure, uncaught %d",
  r.base.fds, r.peak.fds, r.peak.stats.accepted, r.peak.stats.secure, r.peak.stats.uncaught))
print(string.format("  clients: %d echoed, %d turned away (%s) in %.2f s", r.ok, r.failed,
  lib.show(r.errors), r.seconds))
print(string.format("  five freed: %q at %d fds; all closed: %d fds; round trips after: %s",
  r.partialEcho, r.partialFds, r.fdsSettled, table.concat(r.echoes, ", ")))
check.ok(r.aliveDuring, "the server process lives through the exhaustion")
check.ok(r.failed > 0, "the limit was reached (some clients turned away)")
check.ok(r.ok > 0, "clients were served while at the limit")
check.ok(r.peak.stats.uncaught == 0, "no uncaught error in the server")
check.ok(r.partialEcho == "five free", "served again with five descriptors freed, the rest still taken")
check.ok(r.fdsSettled == r.base.fds, "descriptors back to baseline")
check.ok(r.echoes[1] == "served again 1" and r.echoes[3] == "served again 3", "served again once all closed")
check.ok(lib.cleanOutput(r), "the server exited 0 without a sanitizer report")
check.done()
