-- test/server.lua: the TLS server the reliability scripts (test/*.lua) and
-- spec/reliability_spec.lua run as a process of its own, so that its
-- descriptors (/proc/PID/fd) and memory (VmRSS) can be measured from outside.
--
--   build/luatls test/server.lua CERTDIR [option=value ...]
--
-- options:
--   handshakeTimeout=MS   the server's handshakeTimeout (default 120000)
--   flood=BYTES           instead of echoing, pipe a Readable that makes BYTES
--                         on demand (64 KiB chunks) into each secure socket,
--                         then end it
--   port=N                the TLS port (default 0: any free one)
--   hooks=1               every handshake hook on, each answering later (from
--                         a timer): SNICallback (the server's own context),
--                         resumeSession / newSession (an in-memory store of at
--                         most 1000 sessions), OCSPRequest (nothing stapled)
--
-- It prints one line when it listens:
--   READY port=<tls port> ctl=<control port> pid=<pid>
-- and answers on the control port (plain TCP, 127.0.0.1, one command a line):
--   stats   -> one line of key=value: accepted, secure, closed, open (sockets
--              not closed yet), errors (tlsClientError count), err.<CODE>
--              (per code), sockerr (socket 'error' events), produced (flood
--              bytes made), uncaught
--   gc      -> a full collection, then "ok"
--   quit    -> "bye", then the process exits 0
-- Anything that reaches 'uncaughtException' is counted and printed (the
-- process goes on).
local tls = require("luatls.tls")
local net = require("luatls.net")
local stream = require("luatls.stream")
local fs = require("luatls.fs")

local dir = assert(arg[1], "usage: server.lua CERTDIR [option=value ...]")
local opt = {}
for i = 2, #arg do
  local k, v = arg[i]:match("^([%w_]+)=(.*)$")
  if k then opt[k] = v end
end

local stats = { accepted = 0, secure = 0, closed = 0, errors = 0, sockerr = 0, produced = 0, uncaught = 0 }
local codes = {}

process:on("uncaughtException", function(err)
  stats.uncaught = stats.uncaught + 1
  io.stderr:write("uncaught: " .. tostring(err) .. "\n")
end)

local CHUNK = string.rep("0123456789abcdef", 4096) -- 64 KiB
local flood = tonumber(opt.flood)

local hooks = opt.hooks == "1"
local server = tls.createServer({
  key = fs.readFileSync(dir .. "/server-key.pem"),
  cert = fs.readFileSync(dir .. "/server-chain.pem"),
  handshakeTimeout = tonumber(opt.handshakeTimeout),
  -- the server's own context, answered later, as a certificate lookup would
  SNICallback = hooks and function(_, cb) setTimeout(function() cb(nil, nil) end, 1) end or nil,
}, function(s)
  stats.secure = stats.secure + 1
  if flood then
    local left = flood
    local src = stream.Readable.new({
      read = function(self)
        if left <= 0 then return self:push(nil) end
        local n = math.min(left, #CHUNK)
        left = left - n
        stats.produced = stats.produced + n
        self:push(n == #CHUNK and CHUNK or CHUNK:sub(1, n))
      end,
    })
    s:on("close", function() src:destroy() end)
    src:pipe(s)
    s:resume()
  else
    s:pipe(s)
  end
end)

if hooks then
  -- answers that come later, as a real store would
  local sessions, order = {}, {}
  server:on("newSession", function(id, data, cb)
    if not sessions[id] then
      order[#order + 1] = id
      if #order > 1000 then sessions[table.remove(order, 1)] = nil end
    end
    sessions[id] = data
    setImmediate(cb)
  end)
  server:on("resumeSession", function(id, cb) setTimeout(function() cb(nil, sessions[id]) end, 1) end)
  server:on("OCSPRequest", function(_, _, cb) setImmediate(function() cb(nil, nil) end) end)
end

server:on("connection", function(s)
  stats.accepted = stats.accepted + 1
  s:on("error", function() stats.sockerr = stats.sockerr + 1 end)
  s:on("close", function() stats.closed = stats.closed + 1 end)
end)
server:on("tlsClientError", function(err)
  stats.errors = stats.errors + 1
  local code = type(err) == "table" and err.code or "?"
  codes[code] = (codes[code] or 0) + 1
end)
server:on("error", function(err) io.stderr:write("server error: " .. tostring(err) .. "\n") end)

local function statsLine()
  local out = {}
  for k, v in pairs(stats) do out[#out + 1] = k .. "=" .. v end
  out[#out + 1] = "open=" .. (stats.accepted - stats.closed)
  for k, v in pairs(codes) do out[#out + 1] = "err." .. k .. "=" .. v end
  table.sort(out)
  return table.concat(out, " ")
end

local sockets, ctl = {}, nil
local function quit()
  server:close()
  ctl:close()
  for s in pairs(server._sockets) do s:destroy() end
  for c in pairs(sockets) do c:done() end
end

ctl = net.createServer(function(c)
  sockets[c] = true
  c:on("close", function() sockets[c] = nil end)
  local buf = ""
  c:on("error", function() end)
  c:on("data", function(d)
    buf = buf .. d
    while true do
      local line, rest = buf:match("^([^\n]*)\n(.*)$")
      if not line then break end
      buf = rest
      if line == "stats" then
        c:write(statsLine() .. "\n")
      elseif line == "gc" then
        collectgarbage("collect")
        collectgarbage("collect")
        c:write("ok\n")
      elseif line == "quit" then
        -- end gracefully: the loop runs out of work and the process exits 0
        c:write("bye\n")
        quit()
      else
        c:write("unknown command\n")
      end
    end
  end)
end)

local listening = 0
local function ready()
  listening = listening + 1
  if listening < 2 then return end
  io.stdout:write(string.format("READY port=%d ctl=%d pid=%d\n",
    server:address().port, ctl:address().port, process.pid))
  io.stdout:flush()
end
server:listen(tonumber(opt.port) or 0, "127.0.0.1", ready)
ctl:listen(0, "127.0.0.1", ready)
