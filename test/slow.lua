-- test/slow.lua: slow peers against test/server.lua in its own process: a
-- ClientHello trickled one byte every 500 ms (cut at handshakeTimeout), and a
-- client that stops reading while the server pipes 100 MiB to it. See
-- test/README.md.
--
--   build/luatls test/slow.lua [STALL_MS]     (default 5000)
package.path = "./?.lua;" .. package.path
local lib = require("test.lib")
local core = require("luatls.core")

local stallMs = tonumber(arg[1]) or 5000
local MiB = 1024 * 1024
local check = lib.checks()

print("== slow peers: a ClientHello trickled one byte / 500 ms, handshakeTimeout = 2000 ms")
local t = lib.trickle(2000, 500)
print(string.format("  sent %d of %d bytes; the server closed it after %.0f ms; server: %s", t.sentBytes,
  t.helloBytes, t.closedAfterMs or -1, lib.show(t.stats.codes)))
check.ok(t.closedAfterMs and t.closedAfterMs >= 1900 and t.closedAfterMs < 4000,
  string.format("cut at handshakeTimeout (%.0f ms)", t.closedAfterMs or -1))
check.ok(t.stats.errors == 1 and t.stats.codes.ERR_TLS_HANDSHAKE_TIMEOUT == 1,
  "one tlsClientError, ERR_TLS_HANDSHAKE_TIMEOUT")
check.ok(t.stats.open == 0, "the server's socket is closed")
check.ok(t.echo == "after the trickle", "a round trip after")
check.ok(lib.cleanOutput(t), "the server exited 0 without a sanitizer report")

print(string.format("== slow peers: the client reads nothing for %d ms while the server pipes 100 MiB", stallMs))
local s = lib.stalledReader(100 * MiB, stallMs, { log = function(x) print("  " .. x) end })
print(string.format("  client buffered %d bytes during the stall", s.stall.clientBuffered or -1))
check.ok(s.stall.produced < 48 * MiB,
  "the Readable made < 48 MiB while the client stalled (" .. lib.mib(s.stall.produced) .. ")")
if not core.versions().sanitized then
  check.ok(s.stall.peakRss - s.base.rss < 48 * MiB, "server RSS < 48 MiB over baseline during the stall (+"
    .. lib.mib(s.stall.peakRss - s.base.rss) .. ")")
end
check.ok(s.received == 100 * MiB, "then all 100 MiB arrived (" .. s.received .. " bytes)")
check.ok(s.clientError == nil, "no error on the client")
check.ok(lib.cleanOutput(s), "the server exited 0 without a sanitizer report")
check.done()
