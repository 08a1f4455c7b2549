-- luatls.internal.tls.server: tls.Server, a net.Server whose connections
-- are TLSSockets (handshake timeout, addContext, setSecureContext, session
-- ticket keys and their rotation). Its 'connection' event gets the plain
-- socket before TLS when someone listens to it, as Node's. Beyond Node's
-- options it takes clientHelloCallback(socket, hello, cb) (hooks.lua:
-- _onClientHello).
local net = require("luatls.net")
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local timers = require("luatls.timers")
local core = require("luatls.loop").core
local secureContext = require("luatls.internal.tls.secure_context")
local tlsOptions = require("luatls.internal.tls.options")
local TLSSocket = require("luatls.internal.tls.socket")
local Stream = require("luatls.internal.streams.legacy")

local SecureContext, contextOf = secureContext.SecureContext, secureContext.contextOf
local toWire = tlsOptions.toWire

local Server = net.Server:extend("Server")

local onConnection -- (below) the server's own 'connection' listener

-- ticket keys: a 48-byte string (name: "keys", or "options.ticketKeys")
local function checkKeys(keys, level, name)
  name = name or "keys"
  if type(keys) ~= "string" then errors.invalidArgType(name, "a 48-byte string", keys, level + 1) end
  if #keys ~= 48 then errors.invalidArgValue(name, #keys, "must be exactly 48 bytes", level + 1) end
end

-- tls.createServer([options][, secureConnectionListener])
function Server:init(options, listener)
  if type(options) == "function" then options, listener = nil, options end
  options = options or {}
  -- (Node's words: "of type object")
  if type(options) ~= "table" then errors.invalidArgType("options", "of type object", options) end
  errors.checkOptions(options, "tls.createServer")
  net.Server.init(self, { allowHalfOpen = options.allowHalfOpen, pauseOnConnect = options.pauseOnConnect,
    highWaterMark = options.highWaterMark })
  self:on("connection", function(socket) onConnection(self, socket) end)
  if listener ~= nil then
    if type(listener) ~= "function" then errors.invalidArgType("listener", "of type function", listener) end
    self:on("secureConnection", listener)
  end
  local ht = options.handshakeTimeout
  if ht ~= nil and type(ht) ~= "number" then
    errors.invalidArgType("options.handshakeTimeout", "of type number", ht)
  elseif ht ~= nil and ht < 0 then
    errors.outOfRange("options.handshakeTimeout", ">= 0", ht)
  end
  self._handshakeTimeout = ht or 120000
  self._options = options
  tlsOptions.checkCallbacks(options, 3)
  self._SNICallback = options.SNICallback
  self._clientHelloCallback = options.clientHelloCallback -- luatls's own
  self._ALPNCallback = options.ALPNCallback
  self._alpnWire = toWire("options.ALPNProtocols", options.ALPNProtocols)
  self._npnWire = toWire("options.NPNProtocols", options.NPNProtocols)
  self._contexts = {}
  self._secureContext = contextOf(options, true)
  if options.ticketKeys ~= nil then
    checkKeys(options.ticketKeys, 2, "options.ticketKeys")
    self:setTicketKeys(options.ticketKeys)
  end
  local rotation = options.ticketKeyRotation
  if rotation ~= nil then
    if type(rotation) ~= "number" or rotation <= 0 then
      errors.invalidArgType("options.ticketKeyRotation", "a positive number of seconds", rotation)
    end
    -- a new key every `rotation` seconds; tickets made with the previous
    -- key are still accepted (and renewed)
    self._rotation = timers.setInterval(function() self:_rotateTicketKeys() end, rotation * 1000)
    self._rotation:unref()
    self:on("close", function() if self._rotation then self._rotation:close(); self._rotation = nil end end)
  end
  self.requestCert = options.requestCert == true
  self.rejectUnauthorized = options.rejectUnauthorized ~= false
end

-- The options the server's sockets are made with: one table that they all
-- share (a socket does not change it), made again when a setting it holds
-- has changed since (setSecureContext, server.requestCert = ..., ...).
local function socketOptions(self)
  local o = self._socketOptions
  if o == nil or o.secureContext ~= self._secureContext or o.requestCert ~= self.requestCert or
      o.rejectUnauthorized ~= self.rejectUnauthorized or o.pauseOnCreate ~= self.pauseOnConnect or
      o.allowHalfOpen ~= self._options.allowHalfOpen or o.highWaterMark ~= self._options.highWaterMark then
    o = {
      isServer = true,
      server = self,
      pauseOnCreate = self.pauseOnConnect,
      secureContext = self._secureContext,
      requestCert = self.requestCert,
      rejectUnauthorized = self.rejectUnauthorized,
      allowHalfOpen = self._options.allowHalfOpen,
      highWaterMark = self._options.highWaterMark,
      pskCallback = self._options.pskCallback,
      pskIdentityHint = self._options.pskIdentityHint,
      enableTrace = self._options.enableTrace,
    }
    self._socketOptions = o
  end
  return o
end

-- A TLSSocket for a connection: over an accepted handle, or over a plain
-- connected net.Socket (then raw) given to 'connection'.
local function secureSocket(self, handle, raw)
  local socket = TLSSocket.new(raw, socketOptions(self))
  if handle then socket:_wrap(handle) end
  if self._handshakeTimeout > 0 then
    socket._handshakeTimer = timers.setTimeout(function()
      socket._handshakeTimer = nil
      if socket._secure or socket.destroyed then return end
      -- unlike Node, the socket is closed: a client that never finishes
      -- its handshake must not hold a descriptor
      socket:_onTlsError(errors.new("ERR_TLS_HANDSHAKE_TIMEOUT", "TLS handshake timeout"))
    end, self._handshakeTimeout)
    socket._handshakeTimer:unref()
  end
  return socket
end

-- An accepted connection: TLS from the start, unless someone listens to
-- 'connection' (beside the server's own listener, onConnection): then,
-- as in Node, 'connection' gets the plain socket and onConnection puts it
-- under TLS.
function Server:_makeSocket(handle)
  if self:listenerCount("connection") > 1 then return net.Server._makeSocket(self, handle) end
  return secureSocket(self, handle, nil)
end

-- The server's own 'connection' listener, the first: a plain net.Socket
-- (accepted here, or one a script hands over with
-- server:emit("connection", socket), as in Node; or any other Duplex)
-- goes under TLS; bytes the plain socket has read already come first.
function onConnection(self, socket)
  if EventEmitter.instanceOf(socket, TLSSocket) or not EventEmitter.instanceOf(socket, Stream) then return end
  if socket.destroyed then return end
  local secure = secureSocket(self, nil, socket)
  self:_replaceConnection(socket, secure)
end

-- addContext(hostname, context): the context for clients that ask for
-- hostname by SNI ("*.example.com" matches one label, "*" every name).
-- Later additions win. Used when there is no SNICallback, and (unlike Node)
-- when an SNICallback answers cb(nil, nil).
function Server:addContext(hostname, context)
  if type(hostname) ~= "string" then errors.invalidArgType("hostname", "of type string", hostname) end
  if type(context) ~= "table" then errors.invalidArgType("context", "a SecureContext or options", context) end
  if getmetatable(context) ~= SecureContext then context = secureContext.createSecureContext(context, true) end
  self._contexts[#self._contexts + 1] = { hostname, context }
end

-- setSecureContext(options): credentials for connections from now on (the
-- ticket keys stay, so sessions survive a certificate rotation)
function Server:setSecureContext(options)
  errors.checkOptions(options, "server:setSecureContext")
  local keys, previous = self._secureContext.context:get_ticket_keys()
  self._secureContext = contextOf(options, true)
  if not (options and options.ticketKeys) then
    self._secureContext.context:set_ticket_keys(keys, previous)
  end
end

-- setOptions(options): deprecated (DEP0122), as Node's: requestCert and
-- rejectUnauthorized for connections from now on, the other options kept
-- as fields of the server (the context is not made again)
local SET_OPTIONS = { "pfx", "key", "passphrase", "cert", "ca", "minVersion", "maxVersion", "secureProtocol", "crl",
                      "ciphers", "dhparam", "sessionTimeout", "ticketKeys" }
function Server:setOptions(options)
  errors.deprecate("DEP0122", "Server.prototype.setOptions() is deprecated")
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options) end
  errors.checkOptions(options, "server:setOptions")
  self.requestCert = options.requestCert == true
  self.rejectUnauthorized = options.rejectUnauthorized ~= false
  for _, k in ipairs(SET_OPTIONS) do
    if options[k] then self[k] = options[k] end
  end
  if options.ecdhCurve ~= nil then self.ecdhCurve = options.ecdhCurve end
  self.honorCipherOrder = options.honorCipherOrder == nil or not not options.honorCipherOrder
  if options.secureOptions and options.secureOptions ~= 0 then self.secureOptions = options.secureOptions end
  if options.ALPNProtocols then self._alpnWire = toWire("options.ALPNProtocols", options.ALPNProtocols) end
  if options.sessionIdContext then self.sessionIdContext = options.sessionIdContext end
  if options.pskCallback or options.pskIdentityHint then
    local o = {}
    for k, v in pairs(self._options) do o[k] = v end
    o.pskCallback = options.pskCallback or o.pskCallback
    o.pskIdentityHint = options.pskIdentityHint or o.pskIdentityHint
    self._options, self._socketOptions = o, nil
  end
end

-- getTicketKeys() -> the 48 bytes that encrypt session tickets now
function Server:getTicketKeys()
  return (self._secureContext.context:get_ticket_keys())
end

-- setTicketKeys(keys): for tickets from now on (servers sharing keys resume
-- each other's sessions)
function Server:setTicketKeys(keys)
  if type(keys) ~= "string" then errors.invalidArgType("keys", "a 48-byte string", keys, 2) end
  if #keys ~= 48 then
    -- as Node's assert()
    error(errors.new("ERR_ASSERTION", "Session ticket keys must be a 48-byte buffer", { name = "AssertionError" }), 2)
  end
  self._secureContext.context:set_ticket_keys(keys)
end

function Server:_rotateTicketKeys()
  local ctx = self._secureContext.context
  ctx:set_ticket_keys(core.random_bytes(48), (ctx:get_ticket_keys()))
end

return Server
