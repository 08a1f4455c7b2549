-- luatls.internal.net.server: net.Server (listen on TCP or a Unix socket,
-- accept, count and close connections).
--
-- What a subclass (tls.Server) may override: _makeSocket(handle), how a
-- connected socket is made from an accepted handle; _onListen(handle), told
-- when the handle listens (tls.Router takes its connections in C; an error
-- it returns fails listen()); and use:
-- _replaceConnection(old, new), the socket a connection goes on as.
local loop = require("luatls.loop")
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local argsLib = require("luatls.internal.args")
local addressLib = require("luatls.internal.net.address")
local socketLib = require("luatls.internal.net.socket")
local core = loop.core

local nextTick = tick.nextTick
local defineProperty = EventEmitter.defineProperty
local splitCallback = argsLib.splitCallback
local validatePort, listenError, lookup = addressLib.validatePort, addressLib.listenError, addressLib.lookup
local Socket, peer = socketLib.Socket, socketLib.peer

local Server = EventEmitter:extend("Server")

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

function Server:_onListen() end

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

-- A connection this server counts goes on as another socket (a TLS server
-- puts a plain socket it accepted under TLS): that one is counted instead.
function Server:_replaceConnection(old, new)
  if self._sockets[old] then
    self._sockets[old] = nil
    self._sockets[new] = true
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
  local hookErr = self:_onListen(handle)
  if hookErr then
    handle:close()
    return hookErr
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

-- an error of listen(), emitted on the next tick
local function deferError(self, err)
  nextTick(function() self:emit("error", err) end)
end

-- listen()'s arguments as one options table, and the callback
local function listenArgs(...)
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
  return options, cb, type(a) == "table"
end

local function listenPipe(self, options)
  if type(options.path) ~= "string" then
    errors.invalidArgType("options.path", "of type string", options.path, 3)
  end
  local h = core.pipe_new(false)
  local ok, err = h:bind(options.path)
  if not ok then
    h:close()
    return deferError(self, listenError(err, "listen", options.path))
  end
  self._pipe = true
  local e = listenOn(self, h, options.backlog, options.path)
  if e then deferError(self, e) end
end

local function listenHost(self, options)
  local port = validatePort(options.port or 0, "options.port", 3)
  local host = options.host
  if host ~= nil and type(host) ~= "string" then
    errors.invalidArgType("options.host", "of type string", host, 3)
  end
  if host == nil then
    -- as Node: the IPv6 any address, which also takes IPv4, else IPv4's
    local e = listenTCP(self, "::", port, options.backlog, options.ipv6Only)
    if e and (e.code == "EAFNOSUPPORT" or e.code == "EADDRNOTAVAIL") then
      e = listenTCP(self, "0.0.0.0", port, options.backlog)
    end
    if e then deferError(self, e) end
    return
  end
  self._listenPending = true
  lookup(host, 0, nil, function(err, addrs)
    self._listenPending = false
    if err then return self:emit("error", err) end
    local e = listenTCP(self, addrs[1].address, port, options.backlog, options.ipv6Only)
    if e then self:emit("error", e) end
  end)
end

-- listen(port[, host][, backlog][, cb]) | listen(path[, backlog][, cb]) |
-- listen({ port=, host=, path=, backlog=, ipv6Only= }[, cb])
function Server:listen(...)
  local options, cb, given = listenArgs(...)
  if self._handle then
    error(errors.new("ERR_SERVER_ALREADY_LISTEN", "Listen method has been called more than once without closing."), 2)
  end
  if options.backlog ~= nil and type(options.backlog) ~= "number" then
    errors.invalidArgType("backlog", "of type number", options.backlog)
  end
  if options.path == nil and options.port == nil and options.host == nil and given then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE",
      "The argument 'options' must have the property \"port\" or \"path\"."), 2)
  end
  if cb then self:once("listening", cb) end
  if options.path then listenPipe(self, options) else listenHost(self, options) end
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

return Server
