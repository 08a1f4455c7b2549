-- luatls.internal.net.socket: net.Socket, a Duplex stream over a handle
-- (reading, writing, end and destroy, connect, timeouts, addresses; the
-- onread option's callback instead of 'data'). The
-- pipe forwarding in C is in forward.lua, which adds its methods here.
--
-- What a subclass (TLSSocket) may use besides the stream hooks:
--   _onConnected(handle, addr)  the transport connected (override it)
--   _readOnConnect(pauseOnCreate)  start reading once the handle is there
--   _detachHandle() -> handle, peer  give the connected handle away
--   _writeGeneric(data, bytes, cb)  where _write and _writev go (override it)
local loop = require("luatls.loop")
local Duplex = require("luatls.stream").Duplex
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local timers = require("luatls.timers")
local address = require("luatls.internal.net.address")
local core = loop.core

local nextTick = tick.nextTick
local defineProperty = EventEmitter.defineProperty
local validatePort, listenError, lookup = address.validatePort, address.listenError, address.lookup
local normalizeConnectArgs = address.normalizeConnectArgs

local Socket = Duplex:extend("Socket")
-- Fields every socket starts with, kept on the class until one changes (an
-- idle connection stays small). _handle and _peer start nil.
Socket.connecting = false
Socket.bytesRead = 0
Socket._bytesWritten = 0
Socket._wantRead = false
Socket._hadError = false
Socket.allowHalfOpen = false

-- options.onread = { buffer = size, callback = fn }: the socket's reads go
-- to fn(nread, buf), in pieces of at most `size` bytes, instead of 'data'
-- events and the Readable buffer. In Lua a chunk cannot be filled in place:
-- buffer is a size (a positive integer, or a string whose length is the
-- size, or a function returning either, called once), buf a string of
-- nread bytes. fn returning false pauses the socket (what is left of the
-- chunk waits) until resume(). The end of the stream still gives 'end'.
-- Unlike Node, which ignores a malformed onread, one raises.
local function checkOnread(o, level)
  level = level + 1
  if type(o) ~= "table" then errors.invalidArgType("options.onread", "of type table", o, level) end
  if type(o.callback) ~= "function" then
    errors.invalidArgType("options.onread.callback", "of type function", o.callback, level)
  end
  local size = o.buffer
  if type(size) == "function" then size = size() end
  if type(size) == "string" then size = #size end
  if math.type(size) ~= "integer" or size <= 0 then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE", "The property 'options.onread.buffer' must be a positive "
      .. "integer, a non-empty string or a function returning one. Received " .. tostring(o.buffer)), level)
  end
  return { size = size, callback = o.callback }
end

-- Socket.new([options]): options.allowHalfOpen (default false), onread
-- (above), highWaterMark, and, for the runtime's own use, options.handle
-- (an open handle to wrap) and options.server.
function Socket:init(options)
  options = options or {}
  errors.checkOptions(options, "net.Socket")
  Duplex.init(self, {
    allowHalfOpen = options.allowHalfOpen == true,
    emitClose = false, -- 'close' comes when the handle has closed, with hadError
    autoDestroy = true,
    readable = options.readable,
    writable = options.writable,
    highWaterMark = options.highWaterMark,
    decodeStrings = false,
  })
  self.server = options.server
  if options.onread ~= nil then self._onread = checkOnread(options.onread, 3) end
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
local duplexEmit = Duplex.emit
function Socket:emit(name, ...)
  if name == "error" and self.server and self:listenerCount("error") == 0 then
    self.server:_socketError((...), self)
    return false
  end
  return duplexEmit(self, name, ...)
end

-- Node's writeAfterFIN: without allowHalfOpen, a write after the peer's FIN
-- ('end' emitted) and our own end() fails with EPIPE (to its callback, in a
-- later tick) and destroys the socket, instead of "write after end".
local duplexWrite = Duplex.write
function Socket:write(chunk, encoding, cb)
  if not self._readableState.endEmitted or self.allowHalfOpen or not self.writableEnded then
    return duplexWrite(self, chunk, encoding, cb)
  end
  if type(encoding) == "function" then cb = encoding end
  local er = errors.new("EPIPE", "This socket has been ended by the other party")
  if type(cb) == "function" then nextTick(cb, er) end
  self:destroy(er)
  return false
end

-- _writeWhen(event, data, bytes, cb, failure): a write that waits (for the
-- connection, the handshake) is made again on event; when the socket closes
-- first, cb gets failure()'s error.
function Socket:_writeWhen(event, data, bytes, cb, failure)
  local onEvent
  local function onClose()
    self:removeListener(event, onEvent)
    cb(failure())
  end
  onEvent = function()
    self:removeListener("close", onClose)
    self:_writeGeneric(data, bytes, cb)
  end
  self:once(event, onEvent)
  self:once("close", onClose)
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
    self:_dropChunks(false)
    stopReading(self)
    self:push(nil)
    self:read(0)
  end
end

-- onread while a task's reader takes the chunks (see _takeChunks): a read
-- callback of its own, so that the usual one checks nothing more per chunk
local function onreadDirect(self, data, err)
  local sink = rawget(self, "_chunkSink")
  if data and sink then
    self.bytesRead = self.bytesRead + #data
    if rawget(self, "_timeout") then self:_activity() end
    -- (a sink that gave the chunks back while it ran has no say in the
    -- reading any more: the stream's flow decides, and it may be reading)
    if not sink(data) and rawget(self, "_chunkSink") == sink then stopReading(self) end
  else -- the end, an error, or the reader has given the chunks back
    onread(self, data, err)
  end
end

-- deliver data (from `from`) to the onread callback; false when it paused
-- the socket (the rest waits in _onreadRest)
local function deliverOnread(self, data, from)
  local o = self._onread
  local size, callback = o.size, o.callback
  local n = #data
  while from <= n do
    local piece = (from == 1 and n <= size) and data or data:sub(from, from + size - 1)
    from = from + #piece
    if callback(#piece, piece) == false then
      if from <= n then self._onreadRest = data:sub(from) end
      self._onreadPaused = true
      stopReading(self)
      return false
    end
    if self.destroyed then return false end
  end
  return true
end

-- onread with options.onread: no push, no 'data'
local function onreadUser(self, data, err)
  if data then
    self.bytesRead = self.bytesRead + #data
    if rawget(self, "_timeout") then self:_activity() end
    deliverOnread(self, data, 1)
  else
    onread(self, data, err)
  end
end

-- resume() also ends an onread callback's pause: first what was left of
-- its chunk, then reading again
function Socket:resume()
  if rawget(self, "_onreadPaused") then
    self._onreadPaused = nil
    local rest = rawget(self, "_onreadRest")
    self._onreadRest = nil
    if rest and not deliverOnread(self, rest, 1) then return self end
    self:_startReading()
  end
  return Duplex.resume(self)
end

function Socket:_startReading()
  local h = self._handle
  if not h or self.destroyed or self:_isSelfPushing() or rawget(self, "_onreadPaused") then return end
  self:_setSelfPushing(true)
  local ok, err
  if rawget(self, "_onread") then
    ok, err = h:read_start(function(data, e) onreadUser(self, data, e) end)
  elseif rawget(self, "_chunkSink") then
    ok, err = h:read_start(function(data, e) onreadDirect(self, data, e) end)
  else
    ok, err = h:read_start(function(data, e) onread(self, data, e) end)
  end
  if not ok then
    self:_setSelfPushing(false)
    self:destroy(err)
  end
end

-- Readable's _takeChunks, for a socket: while nothing else reads it, a
-- task's reader may take the chunks straight from the handle (onread hands
-- them to sink instead of push; no 'data' event, no Readable buffer). The
-- first thing that would see the bytes otherwise (a 'data' or 'readable'
-- listener, pause, setEncoding, unshift: see forward.lua, which overrides
-- them for C forwarding too) gives them back: detach() is called and the
-- chunks go the usual way again. spec/async_direct_spec.lua runs the same
-- traffic through both ways and compares what the reader gets.
function Socket:_takeChunks(sink, detach)
  if not self:_unread() or rawget(self, "_chunkSink") or rawget(self, "_forwardTo") then return false end
  self._chunkSink, self._chunkDetach = sink, detach
  if self._handle and not self.connecting then
    if self:_isSelfPushing() then stopReading(self) end -- (to change the read callback)
    self:_startReading()
  else
    self._wantRead = true
  end
  return true, function()
    if rawget(self, "_chunkSink") then self:_startReading() end
  end
end

-- _dropChunks(tell): the chunks go the usual way again; tell: say so to
-- the reader that had them (so that it listens to 'data')
function Socket:_dropChunks(tell)
  local detach = rawget(self, "_chunkDetach")
  if not detach then return end
  self._chunkSink, self._chunkDetach = nil, nil
  if tell then detach() end
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
    -- as Node: a socket closed before it connected fails the write
    return self:_writeWhen("connect", data, bytes, cb, function()
      return errors.new("ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "Socket closed before the connection was established")
    end)
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
  self:_dropChunks(false)
  self.connecting = false
  -- a connect under way is cancelled (its handle would stay open)
  local connectingHandle = rawget(self, "_connectingHandle")
  if connectingHandle then
    self._connectingHandle = nil
    connectingHandle:close()
  end
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
    if rawget(self, "_resetOnClose") and h.linger_reset then
      local ok, e = h:linger_reset()
      if not ok then self:emit("error", e) end
    end
    h:close(function()
      self:emit("close", self._hadError)
    end)
  elseif rawget(self, "_detached") then
    -- the handle went to a TLSSocket (Node's sockets share it): 'close'
    -- comes in the loop's close phase, after setImmediate callbacks, as
    -- that of a handle would
    local t = core.timer_new()
    t:close(function() self:emit("close", self._hadError) end)
  else
    nextTick(function() self:emit("close", self._hadError) end)
  end
end



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
  if h then self._detached = true end
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
  end, options.hints)
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
-- As Node: nothing (no check either) on a destroyed socket; ms a number
-- (ERR_INVALID_ARG_TYPE), non-negative and finite (ERR_OUT_OF_RANGE).
function Socket:setTimeout(ms, cb)
  if self.destroyed then return self end
  if type(ms) ~= "number" then
    errors.invalidArgType("msecs", "of type number", ms)
  end
  if ms < 0 or ms ~= ms or ms == math.huge then
    errors.outOfRange("msecs", "a non-negative finite number", ms)
  end
  if cb ~= nil then
    if type(cb) ~= "function" then errors.invalidArgType("callback", "of type function", cb) end
    if ms == 0 then self:removeListener("timeout", cb) else self:once("timeout", cb) end
  end
  self.timeout = ms -- Node's socket.timeout
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
  -- as Node: undefined without a handle (closed, or never connected)
  if not self._handle and not self.connecting then return nil end
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

-- resetAndDestroy(): close with a TCP RST instead of a FIN, as Node; a
-- socket still connecting does it once connected, one with no handle is
-- destroyed with ERR_SOCKET_CLOSED. A handle that cannot reset (a Unix
-- socket, a TLS pump) just closes.
function Socket:resetAndDestroy()
  if self._handle or self.connecting then
    if self.connecting then
      self:once("connect", function() self:_reset() end)
    else
      self:_reset()
    end
  else
    self:destroy(errors.new("ERR_SOCKET_CLOSED", "Socket is closed"))
  end
  return self
end

function Socket:_reset()
  self._resetOnClose = true
  return self:destroy()
end

-- destroySoon(): end the writable side, then destroy once what was written
-- is flushed (Node's socket.destroySoon)
function Socket:destroySoon()
  if self.writable then self:done() end
  if self.writableFinished then
    self:destroy()
  else
    self:once("finish", function() self:destroy() end)
  end
end

require("luatls.internal.net.forward").install(Socket)

return { Socket = Socket, peer = peer }
