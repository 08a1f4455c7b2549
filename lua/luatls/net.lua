-- luatls.net: Node's net module — TCP and Unix-socket servers and clients.
--
--   local net = require("net")
--   local server = net.createServer(function(socket) socket:pipe(socket) end)
--   server:listen(8124, function() console.log("bound") end)
--   net.connect(8124, "127.0.0.1", function(client) client:write("hi") end)
--
-- A Socket is a Duplex stream over a handle. The handle is a libuv stream
-- from luatls.core, or anything with the same methods (read_start,
-- read_stop, write, shutdown, close, getsockname, getpeername): the TLS layer
-- puts its C pump in that place, so a TLSSocket is a Socket.
local loop = require("luatls.loop")
local stream = require("luatls.stream")
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local timers = require("luatls.timers")
local dns = require("luatls.dns")
local core = loop.core

local nextTick = tick.nextTick
local defineProperty = EventEmitter.defineProperty

local M = {}

-- ---- addresses and arguments --------------------------------------------------

function M.isIP(s)
  if type(s) ~= "string" then return 0 end
  return core.ip_family(s)
end
function M.isIPv4(s) return M.isIP(s) == 4 end
function M.isIPv6(s) return M.isIP(s) == 6 end

-- Node's validatePort: a number or numeric string in 0..65535, else
-- RangeError ERR_SOCKET_BAD_PORT.
local function validatePort(port, name, level)
  local n = port
  if type(port) == "string" and port:match("^%s*%d+%s*$") then n = tonumber(port) end
  if type(n) ~= "number" or n ~= n or n < 0 or n > 65535 or math.floor(n) ~= n then
    local shown = type(port) == "string" and string.format("type string ('%s')", port)
      or port == nil and "nil" or string.format("type %s (%s)", type(port), tostring(port))
    error(errors.RangeError("ERR_SOCKET_BAD_PORT", string.format(
      "%s should be >= 0 and < 65536. Received %s.", name or "Port", shown)), (level or 2) + 1)
  end
  return math.tointeger(n)
end
M._validatePort = validatePort

local function uvMessage(err)
  local _, text = core.strerror(err.errno or 0)
  return text
end

-- Node's form for listen/bind errors: "listen EADDRINUSE: address already in
-- use 127.0.0.1:8000"
local function listenError(err, syscall, address, port)
  if err.errno then
    err.message = string.format("%s %s: %s %s", syscall, err.code, uvMessage(err),
      port and (address .. ":" .. port) or address)
  end
  err.syscall = syscall
  err.address = address
  err.port = port
  return err
end

-- Resolve host and call cb(err, list): options.lookup when given (not for an
-- IP literal, as Node), else dns.lookup (which answers an IP literal itself).
-- An empty answer (host "") is ENOTFOUND.
local function lookup(host, family, lookupFn, cb)
  if lookupFn and core.ip_family(host) == 0 then
    return lookupFn(host, { family = family, all = true }, function(err, address, fam2)
      if err then return cb(err) end
      if type(address) == "table" then return cb(nil, address) end
      cb(nil, { { address = address, family = fam2 or core.ip_family(address) } })
    end)
  end
  dns.lookup(host, { family = family, all = true }, function(err, addrs)
    if not err and #addrs == 0 then
      err = errors.new("ENOTFOUND", "getaddrinfo ENOTFOUND " .. host, {
        errno = core.UV_EAI_NONAME, syscall = "getaddrinfo", hostname = host })
    end
    cb(err, addrs)
  end)
end
M._lookup = lookup

-- ---- Socket ---------------------------------------------------------------------

local Socket = stream.Duplex:extend("Socket")
M.Socket = Socket
-- Fields every socket starts with, kept on the class until one changes (an
-- idle connection stays small). _handle and _peer start nil.
Socket.connecting = false
Socket.bytesRead = 0
Socket._bytesWritten = 0
Socket._wantRead = false
Socket._hadError = false
Socket.allowHalfOpen = false

-- Socket.new([options]): options.allowHalfOpen (default false), and, for the
-- runtime's own use, options.handle (an open handle to wrap) and
-- options.server.
function Socket:init(options)
  options = options or {}
  errors.checkOptions(options, "net.Socket")
  stream.Duplex.init(self, {
    allowHalfOpen = options.allowHalfOpen == true,
    emitClose = false, -- 'close' comes when the handle has closed, with hadError
    autoDestroy = true,
    readable = options.readable,
    writable = options.writable,
    highWaterMark = options.highWaterMark,
    decodeStrings = false,
  })
  self.server = options.server
  if options.fd ~= nil then
    local fd = options.fd
    local kind = core.guess_handle(fd)
    local h = kind == "tcp" and core.tcp_new() or core.pipe_new(false)
    local ok, err = h:open(fd)
    if not ok then h:close(); error(err, 2) end
    options.handle = h
  end
  if options.handle then
    self:_attach(options.handle)
    -- as Node: read from the start (up to highWaterMark), so that the end
    -- of the peer's stream is seen even by a socket nobody reads
    if not options.pauseOnCreate and self.readable then self:read(0) end
  end
end

function Socket:__tostring() return "Socket" end

-- An 'error' on a connection a server accepted, with nobody listening,
-- must not end the process (a peer that resets the connection is not the
-- server's fault): the server gets it as 'clientError', or it is reported
-- on stderr. The connection is closed either way.
local duplexEmit = stream.Duplex.emit
function Socket:emit(name, ...)
  if name == "error" and self.server and self:listenerCount("error") == 0 then
    self.server:_socketError((...), self)
    return false
  end
  return duplexEmit(self, name, ...)
end

-- Take a connected handle: from now on reads and writes go to it.
function Socket:_attach(handle)
  self._handle = handle
  if self._timeoutMs then self:_armTimeout() end
end

-- Whether the handle is read-started is told to the stream machinery
-- (_setSelfPushing), so that it knows _read has nothing to start.
local function stopReading(self)
  self:_setSelfPushing(false)
  if self._handle then self._handle:read_stop() end
end

local function onread(self, data, err)
  if data then
    self.bytesRead = self.bytesRead + #data
    if rawget(self, "_timeout") then self:_activity() end
    if not self:push(data) then stopReading(self) end
  elseif err then
    self:destroy(err)
  else
    -- end of stream from the peer; read(0) lets 'end' come at once when
    -- nothing is buffered, even if nobody reads
    stopReading(self)
    self:push(nil)
    self:read(0)
  end
end

function Socket:_startReading()
  local h = self._handle
  if not h or self.destroyed or self:_isSelfPushing() then return end
  self:_setSelfPushing(true)
  local ok, err = h:read_start(function(data, e) onread(self, data, e) end)
  if not ok then
    self:_setSelfPushing(false)
    self:destroy(err)
  end
end

function Socket:_read()
  if self.connecting or not self._handle then
    self._wantRead = true
  else
    self:_startReading()
  end
end

-- The handle calls back only for a write it had to queue, and in order. So
-- one callback per socket serves them all, with what each queued write
-- needs (its stream callback, its size) in a FIFO that exists only while
-- writes are queued: a write that went out at once costs no allocation.
local function writeDone(self, err)
  local q = self._writeQueue -- { first =, last =, cb, bytes, cb, bytes, ... }
  local i = q.first
  local cb, bytes = q[i], q[i + 1]
  q[i], q[i + 1] = nil, nil
  if i + 1 == q.last then self._writeQueue = nil else q.first = i + 2 end
  if err then
    self._hadError = true
    return cb(err)
  end
  self._bytesWritten = self._bytesWritten + bytes
  cb()
end

local function writeCallback(self)
  local done = function(err) writeDone(self, err) end
  self._writeDone = done
  return done
end

-- data: a string or a list of strings (one writev)
function Socket:_writeGeneric(data, bytes, cb)
  local from = rawget(self, "_forwardFrom") -- a write of its own keeps its place
  if from then from:_stopForward() end
  if rawget(self, "connecting") then -- (false on the class)
    self:once("connect", function() self:_writeGeneric(data, bytes, cb) end)
    return
  end
  local h = self._handle
  if not h then
    return cb(errors.new("ERR_SOCKET_CLOSED", "Socket is closed"))
  end
  if rawget(self, "_timeout") then self:_activity() end
  local queued, err = h:write(data, self._writeDone or writeCallback(self))
  if not queued then
    self._hadError = true
    return cb(err)
  end
  if queued == 0 then
    -- written at once: the stream defers what follows from a synchronous cb
    self._bytesWritten = self._bytesWritten + bytes
    cb()
  else
    local q = self._writeQueue
    if q == nil then
      q = { first = 1, last = 0 }
      self._writeQueue = q
    end
    local i = q.last + 1
    q[i], q[i + 1] = cb, bytes
    q.last = i + 1
  end
end

function Socket:_write(chunk, _, cb)
  self:_writeGeneric(chunk, #chunk, cb)
end

function Socket:_writev(chunks, cb)
  local list, bytes = {}, 0
  for i, c in ipairs(chunks) do
    local s = type(c) == "table" and c.chunk or c
    list[i] = s
    bytes = bytes + #s
  end
  if #list > 64 then
    -- the core takes up to 64 buffers in one write
    list = { table.concat(list) }
  end
  self:_writeGeneric(list, bytes, cb)
end

function Socket:_final(cb)
  self:_stopForwarding()
  if self.connecting then
    self:once("connect", function() self:_final(cb) end)
    return
  end
  local h = self._handle
  if not h then return cb() end
  local ok, err = h:shutdown(function(e)
    -- a peer that already went away is no reason to fail end()
    if e and e.code ~= "ENOTCONN" then return cb(e) end
    cb()
  end)
  if not ok then
    if err.code == "ENOTCONN" then return cb() end
    cb(err)
  end
end

local function peer(self)
  if self._peer == nil and self._handle and self._handle.getpeername then
    local p = self._handle:getpeername()
    if type(p) == "table" then self._peer = p end
  end
  return self._peer
end

function Socket:_destroy(err, cb)
  self:_stopForwarding()
  self.connecting = false
  peer(self) -- remoteAddress & co. stay readable after the close
  if self._timeout then
    self._timeout:close()
    self._timeout = nil
  end
  local h = self._handle
  if err then self._hadError = true end
  if self.server then self.server:_connectionClosed(self) end
  -- cb(err) queues 'error'; 'close' comes after it, as in Node
  cb(err)
  if h then
    self._handle = nil
    self:_setSelfPushing(false)
    h:close(function()
      self:emit("close", self._hadError)
    end)
  else
    nextTick(function() self:emit("close", self._hadError) end)
  end
end

-- ---- connect -----------------------------------------------------------------------

-- The arguments of a call whose last one may be a callback: (packed
-- arguments without it, the callback or nil).
local function splitCallback(...)
  local args = table.pack(...)
  local cb
  if type(args[args.n]) == "function" then
    cb = args[args.n]
    args[args.n] = nil
    args.n = args.n - 1
  end
  return args, cb
end
M._splitCallback = splitCallback

local function normalizeConnectArgs(a, b, c)
  -- (options[, cb]) | (path[, cb]) | (port[, host][, cb])
  if type(a) == "table" then
    return a, type(b) == "function" and b or nil
  end
  if type(a) == "string" and not a:match("^%s*%d+%s*$") then
    return { path = a }, type(b) == "function" and b or nil
  end
  if type(b) == "function" then return { port = a }, b end
  return { port = a, host = b }, type(c) == "function" and c or nil
end
M._normalizeConnectArgs = normalizeConnectArgs

-- The handle is there (connected, or put under TLS): start reading if a
-- reader waits, else read from the start (up to highWaterMark) unless
-- pauseOnCreate. TLSSocket calls it once its TLS pump is on the handle.
function Socket:_readOnConnect(pauseOnCreate)
  if self._wantRead or self.readableFlowing then
    self._wantRead = false
    self:_startReading()
  elseif not self:isPaused() and self.readable and not pauseOnCreate then
    self:read(0)
  end
end

-- The transport connected: take the handle, emit 'connect' and 'ready', and
-- start reading if a reader waits. TLSSocket overrides this to put the TLS
-- pump between the handle and the stream.
function Socket:_onConnected(handle, addr)
  self._handle = handle
  self.connecting = false
  self._peer = addr
  self:emit("connect")
  self:emit("ready")
  self:_readOnConnect()
end

-- Give up the connected handle (a TLSSocket adopts it to put TLS on it):
-- -> the handle, the peer's address (or nil). The socket no longer reads.
function Socket:_detachHandle()
  local h = self._handle
  self._handle = nil
  self:_setSelfPushing(false)
  return h, self._peer
end

local function connectTCP(self, handle, addrs, i, port, lastErr)
  local a = addrs[i]
  if not a then
    handle:close()
    return self:destroy(lastErr)
  end
  local ok, err = handle:connect(a.address, port, function(e)
    if self.destroyed then return end
    if e then
      -- try the next address (e.g. ::1 refused, 127.0.0.1 listening)
      e.address, e.port = a.address, port
      if addrs[i + 1] then
        handle:close()
        local h2 = core.tcp_new()
        self._connectingHandle = h2
        return connectTCP(self, h2, addrs, i + 1, port, e)
      end
      self._connectingHandle = nil
      handle:close()
      return self:destroy(e)
    end
    self._connectingHandle = nil
    self:_onConnected(handle, { address = a.address, port = port, family = a.family == 6 and "IPv6" or "IPv4" })
  end)
  if not ok then
    err.address, err.port = a.address, port
    self._connectingHandle = nil
    handle:close()
    nextTick(function() self:destroy(err) end)
  end
end

-- connect(options[, cb]) | connect(path[, cb]) | connect(port[, host][, cb])
-- cb(socket) runs on 'connect': Node passes no argument, the socket comes
-- first here so that `local s = net.connect(port, function(s) ... end)`
-- reaches it (a local is not in scope in its own initializer).
function Socket:connect(...)
  local options, cb = normalizeConnectArgs(...)
  if self.destroyed then
    error(errors.new("ERR_SOCKET_CLOSED", "Socket is closed"), 2)
  end
  if cb then self:_onceWithTarget("connect", cb) end
  self.connecting = true
  if self._timeoutMs then self:_armTimeout() end
  if options.path then
    if type(options.path) ~= "string" then
      errors.invalidArgType("options.path", "of type string", options.path)
    end
    local h = core.pipe_new(false)
    self._connectingHandle = h
    h:connect(options.path, function(e)
      self._connectingHandle = nil
      if self.destroyed then h:close(); return end
      if e then
        h:close()
        return self:destroy(e)
      end
      self:_onConnected(h, nil)
    end)
    return self
  end
  local port = validatePort(options.port, "Port", 2)
  local host = options.host or "localhost"
  if type(host) ~= "string" then
    errors.invalidArgType("options.host", "of type string", host)
  end
  local family = options.family
  if family ~= nil and family ~= 0 and family ~= 4 and family ~= 6 then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE",
      "The property 'options.family' must be one of: 0, 4, 6. Received " .. tostring(family)), 2)
  end
  lookup(host, family, options.lookup, function(err, addrs)
    if self.destroyed then return end
    if err then
      err.hostname = err.hostname or host
      self:emit("lookup", err, nil, nil, host)
      return self:destroy(err)
    end
    if #addrs == 0 then
      local e = errors.new("ENOTFOUND", "getaddrinfo ENOTFOUND " .. host, { syscall = "getaddrinfo", hostname = host })
      return self:destroy(e)
    end
    self:emit("lookup", nil, addrs[1].address, addrs[1].family, host)
    local h = core.tcp_new()
    self._connectingHandle = h
    if options.localAddress or options.localPort then
      local ok, e = h:bind(options.localAddress or (addrs[1].family == 6 and "::" or "0.0.0.0"), options.localPort or 0)
      if not ok then
        h:close()
        self._connectingHandle = nil
        return self:destroy(listenError(e, "bind", options.localAddress, options.localPort))
      end
    end
    connectTCP(self, h, addrs, 1, port)
  end)
  return self
end

-- ---- socket options and addresses --------------------------------------------

function Socket:setNoDelay(noDelay)
  if noDelay == nil then noDelay = true end
  local h = self._handle
  if h and h.nodelay then h:nodelay(noDelay and true or false) end
  return self
end

function Socket:setKeepAlive(enable, initialDelay)
  local h = self._handle
  if h and h.keepalive then
    h:keepalive(enable and true or false, math.floor((initialDelay or 0) / 1000))
  end
  return self
end

function Socket:_activity()
  local t = self._timeout
  if not t then return end
  if rawget(self, "_timeoutPartial") then self:_armTimeout() else t:refresh() end
end

-- ---- forwarding: pipe() whose bytes stay in C ---------------------------------
--
-- src:pipe(dest), where one of the two is a TLS socket and the other a TLS
-- or TCP socket, also hands the bytes to C (src/tls_forward.c) when nothing
-- in Lua would see them on the way: no other 'data' or 'readable' listener,
-- no decoder, nothing buffered on either side (a write of dest's own already
-- handed to its handle keeps its place there). The Lua pipe stays set up and
-- takes over at the first thing that would see them: a 'data' or 'readable'
-- listener, pause(), setEncoding(), unpipe(), a write to dest of its own,
-- end() or destroy(). bytesRead (src) and bytesWritten (dest) catch up with
-- what C forwarded when it stops; a socket's timeout counts forwarded bytes
-- as activity (see _armTimeout).

-- Readable's hook: the pipe to dest is settled (the stream machinery asks
-- only when nothing in Lua would see its bytes); hand them to C when both
-- ends are native sockets that can forward. True when C forwards now.
function Socket:_pipeSettled(dest)
  -- (only a socket's _handle is a handle: another stream may have a field
  -- of that name)
  if not EventEmitter.instanceOf(dest, Socket) then return false end
  local h, dh = self._handle, rawget(dest, "_handle")
  if not h or not dh or self.destroyed or dest.destroyed or not (h.forward or dh.forward_from)
      or rawget(self, "_forwardTo") or rawget(dest, "_forwardFrom") then
    return false
  end
  -- a TLS connection forwards into a TLS connection or a stream handle; a
  -- stream handle only into a TLS connection
  local ok
  if h.forward then ok = h:forward(dh) else ok = dh:forward_from(h) end
  if not ok then return false end
  self._forwardTo = dest
  dest._forwardFrom = self
  return true
end

function Socket:_stopForward()
  local dest = rawget(self, "_forwardTo")
  if not dest then return end
  self._forwardTo = nil
  dest._forwardFrom = nil
  local h, dh = self._handle, rawget(dest, "_handle")
  local n = 0
  if h and h.forward then
    h:forward()
    n = h:forwarded()
  elseif dh and dh.forward_from then
    dh:forward_from()
    n = dh:forwarded_from()
  end
  self.bytesRead = self.bytesRead + n
  dest._bytesWritten = dest._bytesWritten + n
end

-- Readable's hook: the pipe to dest is taken down
function Socket:_pipeStopped(dest)
  if rawget(self, "_forwardTo") == dest then self:_stopForward() end
end

-- this socket stops taking part in forwarding, on both ends
function Socket:_stopForwarding()
  if rawget(self, "_forwardTo") then self:_stopForward() end
  local from = rawget(self, "_forwardFrom")
  if from then from:_stopForward() end
end

local ReadableOn, ReadablePrepend = stream.Readable.on, stream.Readable.prependListener
function Socket:on(name, fn)
  if (name == "data" or name == "readable") and rawget(self, "_forwardTo") then self:_stopForward() end
  return ReadableOn(self, name, fn)
end
Socket.addListener = Socket.on

function Socket:prependListener(name, fn)
  if (name == "data" or name == "readable") and rawget(self, "_forwardTo") then self:_stopForward() end
  return ReadablePrepend(self, name, fn)
end

function Socket:pause()
  if rawget(self, "_forwardTo") then self:_stopForward() end
  return stream.Readable.pause(self)
end

function Socket:setEncoding(enc)
  if rawget(self, "_forwardTo") then self:_stopForward() end
  return stream.Readable.setEncoding(self, enc)
end

-- when bytes last went through C for this socket (its TLS connection's
-- clock, or its forwarding partner's)
local function forwardActivity(sock)
  local h = rawget(sock, "_handle")
  return h and h.forward_activity and h:forward_activity()
end

-- How long the socket has been quiet by what Lua did not see (bytes a pipe
-- forwarded in C), or nil.
function Socket:_quietFor()
  local at = forwardActivity(self)
  if not at then
    local partner = rawget(self, "_forwardTo") or rawget(self, "_forwardFrom")
    at = partner and forwardActivity(partner)
  end
  return at and core.now() - at or nil
end

-- 'timeout' once the socket has been quiet for _timeoutMs; delay: what is
-- left of it when bytes moved without Lua in the meantime.
function Socket:_armTimeout(delay)
  if self._timeout then self._timeout:close() end
  self._timeoutPartial = delay ~= nil or nil
  self._timeout = timers.setTimeout(function()
    self._timeout = nil
    local ms, quiet = self._timeoutMs, self:_quietFor()
    if ms and quiet and quiet < ms then return self:_armTimeout(ms - quiet) end
    self:emit("timeout")
  end, delay or self._timeoutMs)
  self._timeout:unref()
end

-- setTimeout(ms[, cb]): 'timeout' after ms of inactivity (0 turns it off).
-- The socket is not closed: that is up to the 'timeout' listener.
function Socket:setTimeout(ms, cb)
  if type(ms) ~= "number" or ms < 0 or ms ~= ms then
    errors.invalidArgType("msecs", "of type number", ms)
  end
  if cb ~= nil then
    if type(cb) ~= "function" then errors.invalidArgType("callback", "of type function", cb) end
    if ms == 0 then self:removeListener("timeout", cb) else self:once("timeout", cb) end
  end
  if ms == 0 then
    self._timeoutMs = nil
    if self._timeout then self._timeout:close(); self._timeout = nil end
  else
    self._timeoutMs = ms
    if not self.destroyed then self:_armTimeout() end
  end
  return self
end

function Socket:address()
  local h = self._handle
  if not h then return {} end
  local a = h:getsockname()
  return a or {}
end

defineProperty(Socket, "remoteAddress", function(self) local p = peer(self); return p and p.address end)
defineProperty(Socket, "remotePort", function(self) local p = peer(self); return p and p.port end)
defineProperty(Socket, "remoteFamily", function(self) local p = peer(self); return p and p.family end)
defineProperty(Socket, "localAddress", function(self) return self:address().address end)
defineProperty(Socket, "localPort", function(self) return self:address().port end)
defineProperty(Socket, "localFamily", function(self) return self:address().family end)
defineProperty(Socket, "bytesWritten", function(self) return self._bytesWritten end)
defineProperty(Socket, "pending", function(self) return self._handle == nil or self.connecting end)
defineProperty(Socket, "readyState", function(self)
  if self.connecting then return "opening" end
  local r, w = self.readable, self.writable
  if r and w then return "open" end
  if r then return "readOnly" end
  if w then return "writeOnly" end
  return "closed"
end)
defineProperty(Socket, "bufferSize", function(self)
  return self.writableLength + (self._handle and self._handle:write_queue_size() or 0)
end)

function Socket:ref()
  local h = self._handle or self._connectingHandle
  if h then h:ref() end
  return self
end

function Socket:unref()
  local h = self._handle or self._connectingHandle
  if h then h:unref() end
  return self
end

-- resetAndDestroy(): close at once (a TCP RST where the platform allows)
function Socket:resetAndDestroy()
  return self:destroy()
end

-- ---- Server ------------------------------------------------------------------------

local Server = EventEmitter:extend("Server")
M.Server = Server

-- Server.new([options][, connectionListener]); options.allowHalfOpen,
-- options.pauseOnConnect.
function Server:init(options, listener)
  EventEmitter.init(self)
  if type(options) == "function" then options, listener = nil, options end
  options = options or {}
  if listener ~= nil then
    if type(listener) ~= "function" then errors.invalidArgType("connectionListener", "of type function", listener) end
    self:on("connection", listener)
  end
  self.allowHalfOpen = options.allowHalfOpen == true
  self.pauseOnConnect = options.pauseOnConnect == true
  self._highWaterMark = options.highWaterMark -- for the sockets it accepts, as Node 20
  self.maxConnections = nil
  self._connections = 0
  self._sockets = {}
  self._handle = nil
  self._unref = false
end

function Server:__tostring() return "Server" end

defineProperty(Server, "listening", function(self) return self._handle ~= nil end)
-- deprecated in Node, kept from the older seeds
defineProperty(Server, "connections", function(self) return self._connections end)

-- How a connected socket is made from an accepted handle; tls.Server
-- overrides this.
function Server:_makeSocket(handle)
  return Socket.new({ handle = handle, server = self, allowHalfOpen = self.allowHalfOpen,
    pauseOnCreate = self.pauseOnConnect, highWaterMark = self._highWaterMark })
end

function Server:_onConnection(err)
  if err then
    -- accept failures (EMFILE, ...) must not stop the server
    if self:listenerCount("error") > 0 and err.code ~= "EMFILE" and err.code ~= "ENFILE" then
      self:emit("error", err)
    end
    return
  end
  local h = self._handle
  if not h then return end
  local client = self._pipe and core.pipe_new(false) or core.tcp_new()
  local ok = h:accept(client)
  if not ok then client:close(); return end
  if self.maxConnections and self._connections >= self.maxConnections then
    client:close()
    self:emit("drop", {})
    return
  end
  local socket = self:_makeSocket(client)
  peer(socket) -- known now; a closed socket cannot tell it later
  self._connections = self._connections + 1
  self._sockets[socket] = true
  if self.pauseOnConnect then socket:pause() end
  self:emit("connection", socket)
end

function Server:_socketError(err, socket)
  if self:listenerCount("clientError") > 0 then
    self:emit("clientError", err, socket)
  else
    io.stderr:write(string.format("luatls: connection from %s:%s closed: %s\n",
      tostring(socket.remoteAddress), tostring(socket.remotePort), tostring(err)))
  end
end

function Server:_connectionClosed(socket)
  if self._sockets[socket] then
    self._sockets[socket] = nil
    self._connections = self._connections - 1
    self:_emitCloseIfDrained()
  end
end

function Server:_emitCloseIfDrained()
  if self._handle or self._connections > 0 or not self._closing then return end
  self._closing = false
  nextTick(function() self:emit("close") end)
end

local function listenOn(self, handle, backlog, address, port)
  local ok, err = handle:listen(backlog or 511, function(e) self:_onConnection(e) end)
  if not ok then
    handle:close()
    return listenError(err, "listen", address, port)
  end
  self._handle = handle
  if self._unref then handle:unref() end
  nextTick(function() self:emit("listening") end)
end

local function listenTCP(self, address, port, backlog, ipv6Only)
  local family = core.ip_family(address)
  local h = core.tcp_new(family)
  if not h then return errors.new("EAFNOSUPPORT", "socket EAFNOSUPPORT") end
  local ok, err = h:bind(address, port, ipv6Only)
  if not ok then
    h:close()
    return listenError(err, "listen", address, port)
  end
  self._pipe = false
  return listenOn(self, h, backlog, address, port)
end

local function listenError_(self, err)
  nextTick(function() self:emit("error", err) end)
end

-- listen(port[, host][, backlog][, cb]) | listen(path[, backlog][, cb]) |
-- listen({ port=, host=, path=, backlog=, ipv6Only= }[, cb])
function Server:listen(...)
  local args, cb = splitCallback(...)
  local a = args[1]
  local options
  if type(a) == "table" then
    options = a
  elseif type(a) == "string" and not a:match("^%s*%d+%s*$") then
    options = { path = a, backlog = args[2] }
  elseif a == nil and args.n == 0 then
    options = { port = 0 }
  else
    if type(args[2]) == "number" then
      options = { port = a, backlog = args[2] }
    else
      options = { port = a, host = args[2], backlog = args[3] }
    end
  end
  if self._handle then
    error(errors.new("ERR_SERVER_ALREADY_LISTEN", "Listen method has been called more than once without closing."), 2)
  end
  if options.backlog ~= nil and type(options.backlog) ~= "number" then
    errors.invalidArgType("backlog", "of type number", options.backlog)
  end
  if options.path == nil and options.port == nil and options.host == nil then
    if type(a) == "table" then
      error(errors.TypeError("ERR_INVALID_ARG_VALUE",
        "The argument 'options' must have the property \"port\" or \"path\"."), 2)
    end
  end
  if cb then self:once("listening", cb) end

  if options.path then
    if type(options.path) ~= "string" then
      errors.invalidArgType("options.path", "of type string", options.path)
    end
    local h = core.pipe_new(false)
    local ok, err = h:bind(options.path)
    if not ok then
      h:close()
      listenError_(self, listenError(err, "listen", options.path))
      return self
    end
    self._pipe = true
    local e = listenOn(self, h, options.backlog, options.path)
    if e then listenError_(self, e) end
    return self
  end

  local port = validatePort(options.port or 0, "options.port", 2)
  local host = options.host
  if host ~= nil and type(host) ~= "string" then
    errors.invalidArgType("options.host", "of type string", host)
  end
  if host == nil then
    -- as Node: the IPv6 any address, which also takes IPv4, else IPv4's
    local e = listenTCP(self, "::", port, options.backlog, options.ipv6Only)
    if e and (e.code == "EAFNOSUPPORT" or e.code == "EADDRNOTAVAIL") then
      e = listenTCP(self, "0.0.0.0", port, options.backlog)
    end
    if e then listenError_(self, e) end
    return self
  end
  self._listenPending = true
  lookup(host, 0, nil, function(err, addrs)
    self._listenPending = false
    if err then return self:emit("error", err) end
    local e = listenTCP(self, addrs[1].address, port, options.backlog, options.ipv6Only)
    if e then self:emit("error", e) end
  end)
  return self
end

function Server:address()
  local h = self._handle
  if not h then return nil end
  local a = h:getsockname()
  return a
end

-- close([cb]): stop accepting; 'close' once every connection has ended.
-- cb(err) gets ERR_SERVER_NOT_RUNNING when the server was not listening.
function Server:close(cb)
  if cb ~= nil then
    if type(cb) ~= "function" then errors.invalidArgType("callback", "of type function", cb) end
    if not self._handle then
      self:once("close", function()
        cb(errors.new("ERR_SERVER_NOT_RUNNING", "Server is not running."))
      end)
    else
      self:once("close", function() cb() end)
    end
  end
  local h = self._handle
  self._handle = nil
  self._closing = true
  if h then
    h:close(function() self:_emitCloseIfDrained() end)
  else
    self:_emitCloseIfDrained()
  end
  return self
end

function Server:getConnections(cb)
  nextTick(cb, nil, self._connections)
  return self
end

function Server:ref()
  self._unref = false
  if self._handle then self._handle:ref() end
  return self
end

function Server:unref()
  self._unref = true
  if self._handle then self._handle:unref() end
  return self
end

-- ---- module functions -----------------------------------------------------------

function M.createServer(options, listener)
  return Server.new(options, listener)
end

-- connect(options[, cb]) | connect(path[, cb]) | connect(port[, host][, cb]);
-- cb(socket) on 'connect'. call: the name an unsupported option's error gives.
local function connect(call, ...)
  local options, cb = normalizeConnectArgs(...)
  errors.checkOptions(options, call, 3)
  local socket = Socket.new(options)
  if options.timeout then socket:setTimeout(options.timeout) end
  return socket:connect(options, cb)
end
function M.connect(...) return connect("net.connect", ...) end
function M.createConnection(...) return connect("net.createConnection", ...) end

return M
