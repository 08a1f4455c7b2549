-- test/stress/server.lua: the server side of the differential stress harness
-- (test/stress/harness.lua). One process, one path:
--
--   luatls test/stress/server.lua c   CERTDIR PLANFILE   pipe() forwards in C
--   luatls test/stress/server.lua lua CERTDIR PLANFILE   the same pipes, with a
--                                   'data' listener that keeps them in Lua
--
-- It serves three routes, each an echo seen from the client:
--   self   a TLS server whose sockets pipe into themselves (TLS -> same TLS)
--   proxy  a TLS front whose connections go on to a TLS echo in this process,
--          piped both ways (TLS -> other TLS, twice)
--   term   a TLS front whose connections go on to a plain TCP echo in this
--          process, piped both ways (TLS -> TCP and TCP -> TLS)
--   relay  a plain TCP front whose connections go on, over TCP, to the TLS
--          echo, piped both ways (TCP -> TCP twice: the client's TLS passes
--          through untouched, as through examples/sni-router.lua)
-- and one that is not an echo:
--   first  the term front, but behind it a "speaker" that sends the plan's
--          own byte stream (test/stress/stream.lua; seed and total read from
--          PLANFILE, which the harness writes before each plan), ends its
--          side as soon as that is written, while the client may still be
--          sending, and checks what it reads against the same stream: the
--          server half-closes first, through both forwarding legs
-- and prints, one line each:
--   ready self=PORT proxy=PORT term=PORT first=PORT relay=PORT pid=PID
--   close route=R read=N written=N peak=N inC=0|1 err=CODE|-   (per front connection)
--   speaker read=N intact=true|false end=end|close             (per speaker connection)
-- On SIGUSR1 it prints a dump of every open front connection (its transport
-- queue, whether it reads and forwards) between "dump {" and "dump }"; the
-- harness asks for one when a client stops making progress.
--
-- No timer runs in this process: a wake-up that only a timer's Lua call would
-- have given (as a test's polling loop does) cannot hide a lost one here.
local tls = require("tls")
local net = require("net")
local fs = require("fs")

local path, dir, planFile = arg[1], arg[2], arg[3]
assert((path == "c" or path == "lua") and planFile, "usage: server.lua c|lua CERTDIR PLANFILE")
package.path = arg[0]:gsub("[^/]*$", "") .. "../../?.lua;" .. package.path
local stream = require("test.stress.stream")
local viaLua = path == "lua"

-- allowHalfOpen: a client's end() goes through to the echo behind a front,
-- whose echo is still on its way back (without it, as in Node, the front
-- would end its own side at once and refuse the rest of the echo)
local options = {
  key = fs.readFileSync(dir .. "/server-key.pem"),
  cert = fs.readFileSync(dir .. "/server-chain.pem"),
  allowHalfOpen = true,
}
local ca = fs.readFileSync(dir .. "/ca-cert.pem")

local function noop() end

-- the two ends as this path wants them: a 'data' listener keeps a pipe in Lua
local function pipe(src, dest)
  if viaLua then src:on("data", noop) end
  src:pipe(dest)
end

local open = {} -- front socket -> { route = , inC = }

-- a front connection: its close record, with its transport queue's peak
-- (write_queue_peak() counts in C, so nothing samples it from a timer)
local function front(route, s, record)
  record.route = route
  open[s] = record
  local h = s._handle
  s:on("error", function(err) record.err = err.code or tostring(err) end)
  s:on("close", function()
    open[s] = nil
    -- forward_activity(): when bytes last went through C from or into it
    local inC = h.forward_activity and h:forward_activity() ~= nil
    local back = record.back and string.format(" back=%d/%d", record.back.bytesRead, record.back.bytesWritten) or ""
    print(string.format("close route=%s read=%d written=%d peak=%d inC=%d err=%s%s", route, s.bytesRead,
      s.bytesWritten, h:write_queue_peak(), inC and 1 or 0, record.err or "-", back))
    io.stdout:flush()
  end)
end

-- self: TLS -> the same TLS
local selfServer = tls.createServer(options, function(s)
  local record = {}
  front("self", s, record)
  pipe(s, s)
end)

-- the echoes behind the fronts
local tlsEcho = tls.createServer(options, function(s)
  s:on("error", noop)
  s:on("close", function() if os.getenv("STRESS_DEBUG") then print("echo", s.bytesRead, s.bytesWritten) end end)
  pipe(s, s)
end)
local tcpEcho = net.createServer({ allowHalfOpen = true }, function(s)
  s:on("error", noop)
  pipe(s, s)
end)

local backPorts = {}

-- a front's connection and its leg to the echo behind it, piped both ways
-- once the leg is up (the client may have written by then: those bytes wait
-- in the front's buffer)
local function proxyTo(route, connect)
  return function(f)
    local record = {}
    front(route, f, record)
    f:pause()
    local b
    b = connect(function()
      record.back = b
      pipe(f, b)
      pipe(b, f)
    end)
    b:on("error", function(err) record.backErr = err.code end)
    -- a leg that ends is ended on the other by pipe(), after what is still
    -- queued there; one that fails takes the other down at once
    b:on("close", function() if record.backErr then f:destroy() end end)
    f:on("close", function() b:destroy() end)
  end
end

-- (the legs too are allowHalfOpen: the speaker's end must not end the leg's
-- own side, which still carries the client's bytes)
local proxyServer = tls.createServer(options, proxyTo("proxy", function(cb)
  return tls.connect({ port = backPorts.tls, host = "127.0.0.1", servername = "localhost", ca = ca,
    allowHalfOpen = true }, cb)
end))
local function tcpLeg(port)
  return function(cb)
    return net.connect({ port = backPorts[port], host = "127.0.0.1", allowHalfOpen = true }, cb)
  end
end
local termServer = tls.createServer(options, proxyTo("term", tcpLeg("tcp")))
local firstServer = tls.createServer(options, proxyTo("first", tcpLeg("speaker")))
local relayServer = net.createServer({ allowHalfOpen = true }, proxyTo("relay", tcpLeg("tls")))

-- the speaker behind "first": the plan's stream out (64 KiB writes, with
-- backpressure), then end; what comes in is checked against the same stream
local speaker = net.createServer({ allowHalfOpen = true }, function(u)
  local f = assert(io.open(planFile))
  local seed, total = f:read("n", "n")
  f:close()
  local g = stream.new(seed, total)
  local got, intact, ended, sent = 0, true, false, 0
  u:on("data", function(d)
    if d ~= g.piece(got, #d) then intact = false end
    got = got + #d
  end)
  u:on("end", function() ended = true end)
  u:on("error", noop)
  u:on("close", function()
    print(string.format("speaker read=%d intact=%s end=%s", got, tostring(intact), ended and "end" or "close"))
    io.stdout:flush()
  end)
  local function more()
    while sent < total do
      local n = math.min(65536, total - sent)
      local ok = u:write(g.piece(sent, n))
      sent = sent + n
      if not ok then return u:once("drain", more) end
    end
    u["end"](u)
  end
  more()
end)

for _, srv in ipairs({ selfServer, proxyServer, termServer, firstServer, tlsEcho }) do
  srv:on("tlsClientError", noop)
end

process:on("SIGUSR1", function()
  print("dump {")
  for s, record in pairs(open) do
    local h = s._handle
    local line = { "route=" .. record.route, "read=" .. s.bytesRead, "written=" .. s.bytesWritten }
    if h then
      line[#line + 1] = "queue=" .. h:write_queue_size()
      if h.forwarding_from then
        line[#line + 1] = "forwarding=" .. tostring(h:forwarding()) .. "/" .. tostring(h:forwarding_from())
      elseif h.forwarding then
        local b = record.back and rawget(record.back, "_handle")
        line[#line + 1] = "forwarding=" .. tostring(h:forwarding()) .. "/" .. tostring(b and b:forwarding())
      end
    end
    line[#line + 1] = "paused=" .. tostring(s:isPaused())
    line[#line + 1] = "buffered=" .. tostring(s.readableLength) .. "/" .. tostring(s.writableLength)
    print("  " .. table.concat(line, " "))
  end
  print("dump }")
  io.stdout:flush()
end)

local pending = 8
local ports = {}
local function listening()
  pending = pending - 1
  if pending > 0 then return end
  print(string.format("ready self=%d proxy=%d term=%d first=%d relay=%d pid=%d", ports.self, ports.proxy,
    ports.term, ports.first, ports.relay, process.pid))
  io.stdout:flush()
end
local function listen(srv, name, into)
  srv:listen(0, "127.0.0.1", function()
    into[name] = srv:address().port
    listening()
  end)
end
listen(selfServer, "self", ports)
listen(proxyServer, "proxy", ports)
listen(termServer, "term", ports)
listen(firstServer, "first", ports)
listen(relayServer, "relay", ports)
listen(speaker, "speaker", backPorts)
listen(tlsEcho, "tls", backPorts)
listen(tcpEcho, "tcp", backPorts)
-- the harness ends this process with SIGTERM (or closes its stdin)
process:on("SIGTERM", function()
  for _, srv in ipairs({ selfServer, proxyServer, termServer, firstServer, relayServer, tlsEcho, tcpEcho, speaker }) do
    srv:close()
  end
  for s in pairs(open) do s:destroy() end
  process.exit(0)
end)
