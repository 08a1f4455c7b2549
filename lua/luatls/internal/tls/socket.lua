-- luatls.internal.tls.socket: TLSSocket, a net.Socket whose handle is a TLS
-- connection from the C core (src/tls/conn.c): wrapping a transport, the
-- events the connection reports, the handshake's end (verification),
-- renegotiation, tracing, and what the connection knows (certificates,
-- cipher, shared signature algorithms, ...: nil once destroyed) or is told
-- before its handshake (setServername, setSession, setKeyCert).
-- The handshake hooks are in hooks.lua (also the PSK callback's answer).
local loop = require("luatls.loop")
local net = require("luatls.net")
local errors = require("luatls.errors")
local EventEmitter = require("luatls.events")
local identity = require("luatls.identity")
local settings = require("luatls.internal.tls.settings")
local secureContext = require("luatls.internal.tls.secure_context")
local tlsOptions = require("luatls.internal.tls.options")
local keylog = require("luatls.internal.tls.keylog")
local trace = require("luatls.internal.tls.trace")
local tick = require("luatls.tick")
local Stream = require("luatls.internal.streams.legacy")
local core = loop.core

local defineProperty = EventEmitter.defineProperty
local contextOf, toWire = secureContext.contextOf, tlsOptions.toWire

local TLSSocket = net.Socket:extend("TLSSocket")
-- Where every TLS socket starts (on the class until one changes, as
-- net.Socket's); servername and authorizationError start nil.
TLSSocket.encrypted = true
TLSSocket.authorized = false
TLSSocket.alpnProtocol = false
TLSSocket.npnProtocol = false
TLSSocket._isServer = false
TLSSocket._secure = false
TLSSocket._requestCert = false
TLSSocket._rejectUnauthorized = true
TLSSocket._keylogFile = false

-- TLS over any other Duplex (Node's JSStreamSocket): the TLS pump needs a
-- handle, so it gets one end of a socket pair, and Lua moves the other
-- end's bytes to and from the stream: what the stream reads goes into the
-- pair, what comes out is written to the stream (the TLS side's end is
-- the stream's end()). The stream's 'close' destroys the TLS socket, whose
-- 'close' destroys the stream; the stream's 'error' is the socket's.
-- Returns a net.Socket over the TLS end of the pair.
local function streamSocket(self, stream)
  local inner, outer = core.socketpair()
  local bridge = net.Socket.new({ handle = outer, allowHalfOpen = true })
  bridge:on("error", function() end) -- (what matters comes from the stream or the TLS side)
  -- In Node such a socket holds no handle: the process lives on while the
  -- streams have work, not for the socket. The pair's handles are unref'd
  -- (below); a timer keeps the loop alive while bytes move, until 100 ms
  -- after the last, so none are left in the pair when the loop ends.
  local busy
  local function moved()
    if busy then return busy:refresh() end
    busy = require("luatls.timers").setTimeout(function() busy = nil end, 100)
  end
  moved() -- (the handshake begins)
  stream:on("data", function(chunk)
    moved()
    if bridge.destroyed then return end
    if bridge:write(chunk) == false then
      stream:pause()
      bridge:once("drain", function() stream:resume() end)
    end
  end)
  local ended = false
  stream:once("end", function()
    ended = true
    if not bridge.destroyed then bridge:done() end
  end)
  stream:on("error", function(err) if not self.destroyed then self:destroy(err) end end)
  stream:once("close", function()
    if self.destroyed then return end
    -- after an end, what came before it is still in the pair: the TLS side
    -- reads it, and its end, before it closes (Node hands it over at once)
    if ended and not self._readableState.endEmitted then
      self:once("end", function()
        tick.nextTick(function() if not self.destroyed then self:destroy() end end)
      end)
      return
    end
    self:destroy()
  end)
  bridge:on("data", function(chunk)
    moved()
    if stream:write(chunk) == false then
      bridge:pause()
      stream:once("drain", function() bridge:resume() end)
    end
  end)
  -- the TLS side shut down its writing (a close is not an end: see below)
  bridge:on("end", function() if not self.destroyed and not stream.destroyed then stream:done() end end)
  self:once("close", function()
    if busy then busy:close(); busy = nil end
    bridge:destroy()
    if not stream.destroyed then stream:destroy() end
  end)
  bridge:unref()
  return net.Socket.new({ handle = inner }):unref()
end

-- TLSSocket.new(socket[, options]): socket is a net.Socket (connected or
-- connecting), any other Duplex (streamSocket above), or nil (then
-- connect() it). options: isServer, server,
-- secureContext (or createSecureContext options), requestCert,
-- rejectUnauthorized, servername, session, checkServerIdentity, minDHSize,
-- pskCallback, pskIdentityHint, enableTrace, clientHelloCallback
-- (luatls's own; a server's, as SNICallback).
-- The socket keeps options as self._tls and never changes what the table
-- holds for a server socket, so a server's sockets may share one.
function TLSSocket:init(socket, options)
  -- (TLSSocket.new(options); an EventEmitter is a socket, a wrong one)
  if type(socket) == "table" and options == nil and not EventEmitter.instanceOf(socket, EventEmitter) then
    socket, options = nil, socket
  end
  options = options or {}
  errors.checkOptions(options, "tls.TLSSocket")
  -- highWaterMark: the socket's stream, both sides (a server's options give
  -- it to every socket it accepts, as net.createServer's do in Node 20)
  -- allowHalfOpen: the given socket's, as Node (options.allowHalfOpen only without one)
  local halfOpen = options.allowHalfOpen
  if type(socket) == "table" then halfOpen = socket.allowHalfOpen == true end
  net.Socket.init(self, { allowHalfOpen = halfOpen, server = options.server,
    highWaterMark = options.highWaterMark, onread = options.onread })
  self._tls = options
  tlsOptions.checkCallbacks(options, 3)
  options._alpnWire = options._alpnWire or toWire("options.ALPNProtocols", options.ALPNProtocols)
  options._npnWire = options._npnWire or toWire("options.NPNProtocols", options.NPNProtocols)
  if options.isServer == true then self._isServer = true end
  -- enableTrace (checked above): given, or --trace-tls's
  local traced = options.enableTrace
  if traced == nil then traced = trace.byDefault() end
  if traced then self._traceOn = true end
  -- the SecureContext: options.secureContext (then read from self._tls), or
  -- one made from the options
  local context = contextOf(options, self._isServer)
  if context ~= options.secureContext then self._context = context end
  if options.requestCert then self._requestCert = options.requestCert end
  if options.rejectUnauthorized == false then self._rejectUnauthorized = false end
  -- as Node: true unless told otherwise (a server only uses it with
  -- requestCert)
  self._parent = socket

  if options._handle then
    -- a connected transport handle to put the TLS pump on
    self:_wrap(options._handle)
  elseif socket then
    -- (a TLSSocket's handle is its TLS connection, no transport to take:
    -- TLS inside TLS goes through the pair as well)
    if not EventEmitter.instanceOf(socket, net.Socket) or EventEmitter.instanceOf(socket, TLSSocket) then
      if not EventEmitter.instanceOf(socket, Stream) then
        errors.invalidArgType("socket", "a net.Socket or a Duplex", socket, 3)
      end
      socket = streamSocket(self, socket)
    end
    local function take()
      -- what the plain socket read already goes to the TLS connection
      -- first (Node's initRead)
      local early = {}
      while (socket.readableLength or 0) > 0 do
        local chunk = socket:read()
        if chunk == nil then break end
        early[#early + 1] = chunk
      end
      local h, peerAddr = socket:_detachHandle()
      self._peer = peerAddr
      self:_wrap(h, #early > 0 and table.concat(early) or nil)
    end
    if not socket.pending then
      take()
    else
      self.connecting = true
      socket:once("connect", function()
        self.connecting = false
        if self.destroyed then return end -- (destroyed while connecting: no handshake)
        take()
        self:emit("connect")
      end)
      socket:once("error", function(err) self:destroy(err) end)
    end
    -- one connection: either socket's end is the other's (as in Node,
    -- where they share the handle)
    self:once("close", function() if not socket.destroyed then socket:destroy() end end)
    socket:once("close", function() if not self.destroyed then self:destroy() end end)
  end
end

TLSSocket.__tostring = function() return "TLSSocket" end

-- net.Socket calls this when its own connect() succeeded
function TLSSocket:_onConnected(handle, addr)
  self._peer = addr
  self.connecting = false
  self:_wrap(handle)
  self:emit("connect")
  self:emit("ready")
end

-- What a TLS connection (src/tls/conn.c) tells its socket: one table for
-- every socket, each handler called with the socket first (set_owner), so a
-- connection costs no closure per event. Hooks a socket does not use are
-- never called: the connection asks only for what _wrap turned on.
local CONN_EVENTS = {
  handshake = function(self) self:_onHandshake() end,
  error = function(self, err)
    local given = rawget(self, "_connectOptions")
    if given and err.code == "ECONNRESET" and not self._secure then
      -- as Node's onConnectEnd: the connect() options the error is about
      err.path, err.host, err.port, err.localAddress = given.path, given.host, given.port, given.localAddress
    end
    self:_onTlsError(err)
  end,
  renegotiation = function(self) self:_onPeerRenegotiation() end,
  renegotiated = function(self) self:_onRenegotiated() end,
  hello = function(self, servername) self:_onHello(servername, self._sniCallback) end,
  clienthello = function(self, hello) self:_onClientHello(hello, self._clientHelloCallback) end,
  alpn = function(self, info) self:_onALPN(info, self._alpnCallback) end,
  ocsp = function(self, cert, issuer) self:_onOCSPRequest(cert, issuer) end,
  newsession = function(self, id, data) self:_onNewSession(id, data) end,
  resume = function(self, id) self:_onResumeSession(id) end,
  ocspresponse = function(self, response) self:emit("OCSPResponse", response) end,
  keylog = function(self, line)
    if self._keylogFile then keylog.append(line) end
    self:emit("keylog", line)
    if self.server then self.server:emit("keylog", line, self) end
  end,
  session = function(self, data)
    -- as Node: a client's session waits until the server was verified
    -- (a TLS 1.2 session comes within the handshake, before 'secureConnect')
    if not self._isServer and not self._verified then
      self._pendingSession = data
      return
    end
    self:emit("session", data)
  end,
  psk = function(self, a, maxPsk, maxIdentity) self:_onPSK(a, maxPsk, maxIdentity) end,
}

-- Put the TLS pump on a connected transport handle and start the handshake.
-- early: ciphertext the transport's socket had read already.
function TLSSocket:_wrap(transport, early)
  local context = self._context or self._tls.secureContext
  local w = core.tls_wrap(transport, context.context, self._isServer)
  self._handle = w
  w:set_owner(self, CONN_EVENTS)
  if early then w:receive(early) end
  local o = self._tls
  if self._isServer then
    w:set_verify(self._requestCert == true, self._rejectUnauthorized)
    local server = self.server
    -- luatls's own: the ClientHello as data, before the session store and SNI
    local inspect = o.clientHelloCallback or (server and server._clientHelloCallback)
    if inspect then
      w:set_client_hello_hook(true)
      self._clientHelloCallback = inspect
    end
    local sni = o.SNICallback or (server and server._SNICallback)
    if sni or (server and server._contexts and #server._contexts > 0) then
      w:set_hello_hook(true)
      self._sniCallback = sni
    end
    local alpnCallback = o.ALPNCallback or (server and server._ALPNCallback)
    if alpnCallback then
      w:set_alpn_callback(true)
      self._alpnCallback = alpnCallback
    else
      local alpn = o._alpnWire or (server and server._alpnWire)
      if alpn then w:set_alpn(alpn) end
    end
    local npn = o._npnWire or (server and server._npnWire)
    if npn then w:set_npn(npn) end
    if server and server:listenerCount("OCSPRequest") > 0 then
      w:set_ocsp_hook(true)
    end
    -- a session store: only for connections made while someone listens
    if server and (server:listenerCount("newSession") > 0 or server:listenerCount("resumeSession") > 0) then
      w:set_session_hook(true)
    end
  else
    local name = self._servername or o.servername
    if name and name ~= "" and net.isIP(name) == 0 then w:set_servername(name) end
    local session = self._session or o.session
    if session then w:set_session(session) end
    if o._alpnWire then w:set_alpn(o._alpnWire) end
    if o._npnWire then w:set_npn(o._npnWire) end
    if o.requestOCSP then
      -- 'OCSPResponse'(response | nil) comes before 'secureConnect'
      w:request_ocsp()
    end
  end
  if o.pskCallback then
    -- pre-shared keys (hooks.lua's _onPSK asks the callback); a hint
    -- OpenSSL refuses is Node's ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED, on
    -- the socket (the server's 'tlsClientError')
    self._pskCallback = o.pskCallback
    w:set_psk_callback(true)
    if self._isServer and o.pskIdentityHint then
      local ok, err = w:set_psk_identity_hint(o.pskIdentityHint)
      if not ok then tick.nextTick(function() self:_onTlsError(err) end) end
    end
  end
  if self._traceOn then w:enable_trace() end
  -- --tls-keylog, SSLKEYLOGFILE: every socket's lines go to the file
  self._keylogFile = keylog.active()
  if self._keylogFile or self:listenerCount("keylog") > 0
      or (self.server and self.server:listenerCount("keylog") > 0) then
    self:_enableKeylog()
  end
  if not self._isServer and self:listenerCount("session") > 0 then self:_enableSessionEvent() end
  w:start()
  -- as net.Socket: read from the start; a server's pauseOnConnect too, as
  -- Node's TLSSocket (its initRead): the socket stays paused, cleartext
  -- waits in its buffer (up to highWaterMark), and an end with nothing
  -- buffered is 'end'
  self:_readOnConnect(false)
end

-- enableTrace(): OpenSSL's trace of this connection's messages on stderr
-- from now on (from the start, on a socket whose handshake has not begun)
function TLSSocket:enableTrace()
  self._traceOn = true
  local w = self._handle
  if w and not w:is_closing() then w:enable_trace() end
end

function TLSSocket:_enableKeylog()
  local w = self._handle
  if not w or self._keylogOn then return end
  self._keylogOn = true
  w:set_keylog(true)
end

-- the client's 'session' event: new sessions (TLS 1.3 tickets arrive after
-- the handshake; there may be several)
function TLSSocket:_enableSessionEvent()
  local w = self._handle
  if not w or self._sessionOn or self._isServer then return end
  self._sessionOn = true
  w:set_session_event(true)
end

function TLSSocket:on(name, fn)
  local r = net.Socket.on(self, name, fn)
  if name == "keylog" then self:_enableKeylog()
  elseif name == "session" then self:_enableSessionEvent() end
  return r
end

require("luatls.internal.tls.hooks").install(TLSSocket)

-- The server side's end of the handshake: the client's certificate (with
-- requestCert), then 'secure' and the server's 'secureConnection'. False
-- when the connection was refused.
local function serverSecure(self, w)
  self.servername = w:get_servername()
  if self._requestCert then
    local verr = w:verify_error()
    if verr then
      self.authorized = false
      self.authorizationError = verr.code
      if self._rejectUnauthorized then
        self:_onTlsError(verr)
        return false
      end
    else
      self.authorized = true
    end
  end
  self:emit("secure")
  if self.server then self.server:emit("secureConnection", self) end
  return true
end

-- What is wrong with the server's certificate for the name we asked for:
-- the chain's verification error, else checkServerIdentity's; nil if
-- nothing.
local function serverIdentityError(self, w)
  local verr = w:verify_error()
  -- as Node: a resumed session is not checked again; nor is a TLS 1.3 PSK
  -- handshake (resumed from the pre-shared key, no certificate). A TLS 1.2
  -- PSK suite has none either: give a checkServerIdentity that accepts it.
  if not verr and w:is_session_reused() and not w:get_peer_certificate() then return nil end
  if not verr then
    local check = self._tls.checkServerIdentity or identity.checkServerIdentity
    -- (as Node's `servername || host || 'localhost'`: "" is no name)
    local host = self._servername
    if host == nil or host == "" then host = self._tls.servername end
    if host == nil or host == "" then host = self._tls.host end
    if host == nil or host == "" then host = "localhost" end
    local ok, res = pcall(check, host, self:getPeerCertificate())
    if not ok then
      -- an override that raises: its error ends the connection
      verr = type(res) == "table" and res or errors.new("ERR_TLS_CHECK_SERVER_IDENTITY", tostring(res))
    else
      verr = res
    end
  end
  return verr
end

-- The client side's end of the handshake: the server's identity, its DH
-- parameters, then 'secure' and 'secureConnect'. False when the connection
-- was refused.
-- verified: 'session' waits for this (as Node emits it after the server
-- is checked)
local function verified(self)
  self._verified = true
  local session = self._pendingSession
  if session then
    self._pendingSession = nil
    self:emit("session", session)
  end
  return true
end

local function clientSecure(self, w)
  if not rawget(self, "_fromConnect") then
    -- as Node: a client TLSSocket made with new only emits 'secure'; the
    -- checks and 'secureConnect' are tls.connect()'s (the caller checks
    -- ssl:verifyError())
    self:emit("secure")
    return verified(self)
  end
  local verr = serverIdentityError(self, w)
  if verr then
    self.authorized = false
    self.authorizationError = verr.code or verr.message
    if self._rejectUnauthorized then
      self:destroy(verr)
      return false
    end
  else
    self.authorized = true
  end
  -- minDHSize (default 1024): refuse a server's weak DH parameters
  local minDH = self._tls.minDHSize or 1024
  local eki = w:get_ephemeral_key_info()
  if eki and eki.type == "DH" and eki.size and eki.size < minDH then
    self:destroy(errors.new("ERR_TLS_DH_PARAM_SIZE",
      "DH parameter size " .. eki.size .. " is less than " .. minDH))
    return false
  end
  self:emit("secure")
  self:emit("secureConnect")
  return verified(self)
end

-- The handshake is done (once 'newSession' has answered, if it was asked).
function TLSSocket:_onHandshake()
  local w = self._handle
  if not w then return end
  if self._newSessionPending then
    self._securePending = true -- 'secure' waits for newSession's cb
    return
  end
  self._secure = true
  if self._handshakeTimer then
    self._handshakeTimer:close()
    self._handshakeTimer = nil
  end
  local alpn, npn = w:get_alpn(), w:get_npn()
  if alpn ~= false then self.alpnProtocol = alpn end -- (the class has false)
  if npn ~= false then self.npnProtocol = npn end
  local secure
  if self._isServer then secure = serverSecure(self, w) else secure = clientSecure(self, w) end
  if secure then self:emit("_tlsReady") end
end

function TLSSocket:_onTlsError(err)
  if self.destroyed then return end -- reported already, or closing anyway
  self:emit("_tlsError", err) -- Node's internal event, also seen by its tests
  if not self.server and not rawget(self, "_fromConnect") and self:listenerCount("error") == 0 then
    -- as Node: a TLSSocket made with new (no tls.connect, no server) has
    -- not "released control": its own 'error' listener takes the error
    return self:destroy()
  end
  if self._isServer and self.server and not self._reported then
    self._reported = true
    local server = self.server
    if server then
      server:emit("tlsClientError", err, self)
      if server:listenerCount("clientError") > 0 then server:emit("clientError", err, self) end
    end
    -- as Node, the socket's own 'error' listeners get a handshake's error too
    if not self._secure and self:listenerCount("error") > 0 then return self:destroy(err) end
    return self:destroy()
  end
  self:destroy(err)
end

function TLSSocket:_destroy(err, cb)
  if self._handshakeTimer then
    self._handshakeTimer:close()
    self._handshakeTimer = nil
  end
  return net.Socket._destroy(self, err, cb)
end

-- Writes and end() wait for the handshake.
function TLSSocket:_writeGeneric(data, bytes, cb)
  if not self._secure and not self.destroyed then
    -- as Node's TLSWrap: a write still waiting for the handshake is
    -- cancelled when the connection goes
    return self:_writeWhen("_tlsReady", data, bytes, cb,
      function() return errors.new("ECANCELED", "write ECANCELED", { errno = -125, syscall = "write" }) end)
  end
  return net.Socket._writeGeneric(self, data, bytes, cb)
end

function TLSSocket:_final(cb)
  -- (unless the peer has ended already: then nothing is coming to wait for)
  if not self._secure and not self.destroyed and self._handle and not self.readableEnded then
    self:once("_tlsReady", function() self:_final(cb) end)
    return
  end
  return net.Socket._final(self, cb)
end

-- ---- renegotiation (TLS 1.2) ----------------------------------------------------

-- The peer started a renegotiation. A server allows tls.CLIENT_RENEG_LIMIT
-- of them per tls.CLIENT_RENEG_WINDOW seconds (both read now, so scripts
-- may change them); past that the socket emits 'error'
-- (ERR_TLS_SESSION_ATTACK) and is closed (Node leaves it open).
function TLSSocket:_onPeerRenegotiation()
  if self._renegDisabled then
    return self:destroy(errors.new("ERR_TLS_RENEGOTIATION_DISABLED",
      "TLS session renegotiation disabled for this socket"))
  end
  if not self._isServer then return end
  local now = require("luatls.core").hrtime() / 1e9
  local window, times = settings.CLIENT_RENEG_WINDOW, self._renegTimes or {}
  self._renegTimes = times
  while times[1] and now - times[1] > window do table.remove(times, 1) end
  times[#times + 1] = now
  if #times > settings.CLIENT_RENEG_LIMIT then
    self:destroy(errors.new("ERR_TLS_SESSION_ATTACK", "TLS session renegotiation attack detected"))
  end
end

-- disableRenegotiation(): any renegotiation the peer starts is an error
function TLSSocket:disableRenegotiation()
  self._renegDisabled = true
end

-- renegotiate(options, cb): { rejectUnauthorized=, requestCert= }; cb(err)
-- once it is done. TLS 1.3 has none: returns false, cb gets the error.
function TLSSocket:renegotiate(options, cb)
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options) end
  if cb ~= nil and type(cb) ~= "function" then errors.invalidArgType("callback", "of type function", cb) end
  local w = self._handle
  local function fail(err)
    if cb then require("luatls.tick").nextTick(cb, err) end
    return false
  end
  if not w or self.destroyed then
    return fail(errors.new("ERR_SOCKET_CLOSED", "Socket is closed"))
  end
  if self._renegDisabled then
    return fail(errors.new("ERR_TLS_RENEGOTIATION_DISABLED", "TLS session renegotiation disabled for this socket"))
  end
  local request, reject = options.requestCert, options.rejectUnauthorized
  if request ~= nil then self._requestCert = request end
  if reject ~= nil then self._rejectUnauthorized = reject end
  local ok, err = w:renegotiate(request, reject == nil and self._rejectUnauthorized or reject)
  if not ok then return fail(err) end
  self._renegCb = cb
  return true
end

function TLSSocket:_onRenegotiated()
  local cb = self._renegCb
  self._renegCb = nil
  local w = self._handle
  if self._isServer and self._requestCert then
    local verr = w:verify_error()
    self.authorized = verr == nil
    self.authorizationError = verr and verr.code or nil
    if verr and self._rejectUnauthorized then
      if cb then cb(verr) end
      return self:destroy(verr)
    end
  end
  if not self._isServer and rawget(self, "_fromConnect") then
    -- as Node: each handshake of a tls.connect() socket ends as the first
    -- did ('secure', the server's identity, 'secureConnect')
    if clientSecure(self, w) and cb then cb(nil) end
    return
  end
  if cb then cb(nil) end
  self:emit("secure")
end

-- ---- what the connection knows ------------------------------------------------

-- the C connection under this socket (SecurePair's ssl), or nil
function TLSSocket:_connection()
  return self._handle
end

-- the connection while it is open, else nil (destroyed, closing, not yet
-- connected): then every getter below answers nil, as Node's answer null
local function live(self)
  local w = self._handle
  if w and not w:is_closing() then return w end
end

local function call(self, method, ...)
  local w = live(self)
  if not w then return nil end
  return w[method](w, ...)
end

-- getPeerCertificate([detailed]), getCertificate(): the certificate as a
-- table, {} when there is none, nil once the socket is destroyed
function TLSSocket:getPeerCertificate(detailed)
  if not live(self) then return nil end
  return call(self, "get_peer_certificate", detailed) or {}
end
function TLSSocket:getCertificate()
  if not live(self) then return nil end
  return call(self, "get_certificate") or {}
end
-- getX509Certificate(), getPeerX509Certificate() -> an X509Certificate
-- (the peer's linked to the issuers it sent), or nil
local function x509(self, peer)
  local h = call(self, "get_x509", peer)
  return h and require("luatls.crypto").X509Certificate.new(h) or nil
end
function TLSSocket:getX509Certificate() return x509(self, false) end
function TLSSocket:getPeerX509Certificate() return x509(self, true) end
function TLSSocket:getCipher() return call(self, "get_cipher") end
function TLSSocket:getProtocol() return call(self, "get_protocol") end
function TLSSocket:getSession() return call(self, "get_session") end
function TLSSocket:getTLSTicket() return call(self, "get_tls_ticket") end
-- isSessionReused() -> true | false; nil once destroyed (Node's null)
function TLSSocket:isSessionReused()
  if not live(self) then return nil end
  return call(self, "is_session_reused") == true
end
-- getSharedSigalgs() -> { "ECDSA+SHA256", "RSA-PSS+SHA256", ... } (Node's
-- names; {} before the handshake, nil once destroyed)
function TLSSocket:getSharedSigalgs() return call(self, "get_shared_sigalgs") end
function TLSSocket:getFinished() return call(self, "get_finished") end
function TLSSocket:getPeerFinished() return call(self, "get_peer_finished") end
function TLSSocket:getEphemeralKeyInfo()
  if self._isServer or not live(self) then return nil end
  return call(self, "get_ephemeral_key_info") or {}
end

function TLSSocket:exportKeyingMaterial(length, label, context)
  -- as Node's validateUint32(length, 'length', true)
  length = errors.checkInteger(length, "length", 1, 4294967295)
  if type(label) ~= "string" then errors.invalidArgType("label", "of type string", label) end
  if context ~= nil and type(context) ~= "string" then
    errors.invalidArgType("context", "a string (a Buffer)", context)
  end
  local w = self._handle
  if not w or not self._secure then
    error(errors.new("ERR_TLS_INVALID_STATE", "TLS socket connection must be securely established"), 2)
  end
  return w:export_keying_material(length, label, context)
end

function TLSSocket:setMaxSendFragment(size)
  -- Node's validateInt32
  size = errors.checkInteger(size, "size", -2147483648, 2147483647)
  return call(self, "set_max_send_fragment", size) == true
end

function TLSSocket:setServername(name)
  if type(name) ~= "string" then errors.invalidArgType("name", "of type string", name) end
  if self._isServer then
    error(errors.new("ERR_TLS_SNI_FROM_SERVER", "Cannot issue SNI from a TLS server-side socket"), 2)
  end
  -- (the socket's own name: a server's sockets share their options table)
  self._servername = name
  if self._handle then self._handle:set_servername(name) end
end

-- setSession(session): a session (the DER bytes 'session' or getSession()
-- gave) to resume in the handshake to come; isSessionReused() tells
-- whether the server took it. Bytes that are no session are ignored, as
-- Node ignores them.
function TLSSocket:setSession(session)
  if type(session) ~= "string" then
    error(errors.TypeError("ERR_INVALID_ARG_TYPE", "Session must be a buffer"), 2)
  end
  self._session = session
  if self._handle then self._handle:set_session(session) end
end

-- setKeyCert(context): a SecureContext, or createSecureContext's options
-- (at least key and cert): its certificate, chain and key are the ones this
-- socket shows from now on (in the handshake to come, e.g. from an
-- ALPNCallback or before a server socket's handshake)
function TLSSocket:setKeyCert(context)
  if type(context) ~= "table" then errors.invalidArgType("options", "of type table", context) end
  if getmetatable(context) ~= secureContext.SecureContext then
    context = secureContext.createSecureContext(context, self._isServer)
  end
  local w = self._handle
  if not w or w:is_closing() then
    error(errors.new("ERR_SOCKET_CLOSED", "Socket is closed"), 2)
  end
  w:set_key_cert(context.context)
end

defineProperty(TLSSocket, "secureConnecting", function(self) return not self._secure end)

-- ssl: Node's handle of the connection (undocumented, "for API
-- compatibility"), the part its tests use: ssl:verifyError() (the
-- certificate check's error, or nil) and ssl.fd; nil once destroyed.
defineProperty(TLSSocket, "ssl", function(self)
  local w = live(self)
  if not w then return nil end
  local ok, fd = pcall(w.fileno, w)
  return { fd = ok and fd or nil, verifyError = function() return w:verify_error() end }
end)

return TLSSocket
