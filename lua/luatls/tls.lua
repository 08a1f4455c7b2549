-- luatls.tls: Node's tls module.
--
--   local tls = require("tls")
--   local server = tls.createServer({ key = k, cert = c }, function(socket)
--     socket:write("welcome!\n")
--     socket:pipe(socket)
--   end)
--   server:listen(8000)
--   tls.connect(8000, { ca = { c } }, function(client) ... client.authorized ... end)
--
-- A TLSSocket is a net.Socket whose handle is a TLS connection from the C
-- core (src/tls_conn.c): the ciphertext never reaches Lua; the socket reads
-- and writes cleartext exactly as a TCP socket does.
--
-- TLSSocket.new(socket[, options]) (also callable as tls.TLSSocket(socket,
-- options)) wraps a connected or connecting net.Socket.
local loop = require("luatls.loop")
local net = require("luatls.net")
local errors = require("luatls.errors")
local timers = require("luatls.timers")
local EventEmitter = require("luatls.events")
local identity = require("luatls.identity")
local core = loop.core

local defineProperty = EventEmitter.defineProperty

local M = {}

-- ---- module constants ---------------------------------------------------------

-- Node's default list without its CBC suites (the *-SHA256/-SHA384 ones and
-- what HIGH brings in with SHA-1/SHA-2 MACs): only AEAD suites are offered,
-- so a scanner has no CBC padding oracle (LUCKY13) to report. A script that
-- needs CBC for an old peer names it in `ciphers` or --tls-cipher-list.
M.DEFAULT_CIPHERS = table.concat({
  "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384",
  "DHE-RSA-AES128-GCM-SHA256", "HIGH", "!aNULL", "!eNULL", "!EXPORT", "!DES", "!RC4",
  "!MD5", "!PSK", "!SRP", "!CAMELLIA", "!SHA1", "!SHA256", "!SHA384",
}, ":")
M.DEFAULT_ECDH_CURVE = "auto"
M.DEFAULT_MIN_VERSION = "TLSv1.2"
M.DEFAULT_MAX_VERSION = "TLSv1.3"
M.CLIENT_RENEG_LIMIT = 3
M.CLIENT_RENEG_WINDOW = 600
M.SLAB_BUFFER_SIZE = 10 * 1024 * 1024 -- from the oldest seed; kept for scripts
M.constants = core.ssl_constants

M.checkServerIdentity = identity.checkServerIdentity

-- ---- createSecureContext ----------------------------------------------------------

local VERSIONS = { ["TLSv1"] = true, ["TLSv1.1"] = true, ["TLSv1.2"] = true, ["TLSv1.3"] = true }

-- secureProtocol method names -> { min, max }
local METHODS = {
  TLS_method = {}, SSLv23_method = {},
  TLSv1_method = { "TLSv1", "TLSv1" },
  TLSv1_1_method = { "TLSv1.1", "TLSv1.1" },
  TLSv1_2_method = { "TLSv1.2", "TLSv1.2" },
}
for name, range in pairs({ TLS = {}, SSLv23 = {}, TLSv1 = METHODS.TLSv1_method,
  TLSv1_1 = METHODS.TLSv1_1_method, TLSv1_2 = METHODS.TLSv1_2_method }) do
  METHODS[name .. "_server_method"] = range
  METHODS[name .. "_client_method"] = range
end

local function list(v)
  if v == nil then return {} end
  if type(v) == "table" and getmetatable(v) == nil then return v end
  return { v }
end

local function checkType(name, v, want)
  if v ~= nil and type(v) ~= want then
    errors.invalidArgType("options." .. name, "of type " .. want, v, 4)
  end
end

local function pem(name, v)
  if type(v) ~= "string" then
    errors.invalidArgType("options." .. name, "a string or a list of strings", v, 5)
  end
  return v
end

local SecureContext = {}
SecureContext.__index = SecureContext
SecureContext.__name = "SecureContext"
M.SecureContext = SecureContext

local function defaultSessionIdContext()
  local process = require("luatls.process")
  local hex = require("luatls.buffer").toHex
  return hex(core.digest("sha1", table.concat(process.argv, " "))):sub(1, 32)
end

-- createSecureContext([options]) -> SecureContext. Raises an error object
-- saying what is wrong with bad credentials or settings.
function M.createSecureContext(options, isServer)
  options = options or {}
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options) end
  errors.checkOptions(options, "tls.createSecureContext")
  for _, k in ipairs({ "ciphers", "ecdhCurve", "secureProtocol", "minVersion", "maxVersion",
                       "sessionIdContext", "sigalgs", "passphrase" }) do
    if k ~= "ecdhCurve" or options[k] ~= false then checkType(k, options[k], "string") end
  end
  checkType("secureOptions", options.secureOptions, "number")
  checkType("sessionTimeout", options.sessionTimeout, "number")

  local ctx = core.secure_context_new()

  -- protocol range
  local minV, maxV = options.minVersion, options.maxVersion
  for which, v in pairs({ minimum = minV, maximum = maxV }) do
    if v ~= nil and not VERSIONS[v] then
      error(errors.TypeError("ERR_TLS_INVALID_PROTOCOL_VERSION",
        string.format("%s is not a valid %s TLS protocol version", v, which)), 2)
    end
  end
  if options.secureProtocol then
    if minV or maxV then
      error(errors.TypeError("ERR_TLS_PROTOCOL_VERSION_CONFLICT",
        string.format("TLS protocol version %s conflicts with secureProtocol %s",
          minV or maxV, options.secureProtocol)), 2)
    end
    local range = METHODS[options.secureProtocol]
    if not range then
      if options.secureProtocol:match("^SSLv[23]") then
        error(errors.new("ERR_TLS_INVALID_PROTOCOL_METHOD",
          options.secureProtocol:match("^(SSLv%d)") .. " methods disabled"), 2)
      end
      error(errors.TypeError("ERR_TLS_INVALID_PROTOCOL_METHOD",
        "Unknown method: " .. options.secureProtocol), 2)
    end
    minV, maxV = range[1], range[2]
  end
  ctx:set_protocol_range(minV or M.DEFAULT_MIN_VERSION, maxV or M.DEFAULT_MAX_VERSION)

  -- trust: the given CAs, else the system store
  if options.ca ~= nil then
    for _, ca in ipairs(list(options.ca)) do ctx:add_ca(pem("ca", ca)) end
  else
    ctx:use_system_ca()
  end

  -- our certificates and keys
  for _, cert in ipairs(list(options.cert)) do ctx:add_cert(pem("cert", cert)) end
  local keys = list(options.key)
  for _, key in ipairs(keys) do
    if type(key) == "table" then
      ctx:add_key(pem("key.pem", key.pem), key.passphrase or options.passphrase)
    else
      ctx:add_key(pem("key", key), options.passphrase)
    end
  end
  if #keys > 0 and options.cert ~= nil then ctx:check_key() end
  for _, pfx in ipairs(list(options.pfx)) do
    if type(pfx) == "table" then
      ctx:load_pfx(pem("pfx.buf", pfx.buf), pfx.passphrase or options.passphrase)
    else
      ctx:load_pfx(pem("pfx", pfx), options.passphrase)
    end
  end
  for _, crl in ipairs(list(options.crl)) do ctx:add_crl(pem("crl", crl)) end

  -- ciphers: TLS 1.3 suites (TLS_*) and the TLS 1.2 cipher list apart
  local ciphers = options.ciphers or M.DEFAULT_CIPHERS
  local suites, rest = {}, {}
  for c in ciphers:gmatch("[^:]+") do
    if c:match("^TLS_") then suites[#suites + 1] = c else rest[#rest + 1] = c end
  end
  if #suites == 0 and #rest == 0 then
    error(errors.new("ERR_SSL_NO_CIPHER_MATCH", "no cipher match"), 2)
  end
  ctx:set_ciphers(#rest > 0 and table.concat(rest, ":") or nil,
    #suites > 0 and table.concat(suites, ":") or nil)
  if #rest == 0 then ctx:set_protocol_range("TLSv1.3", nil) end

  local curve = options.ecdhCurve
  if curve == nil then curve = M.DEFAULT_ECDH_CURVE end
  if curve == false then
    ctx:set_groups("ffdhe2048:ffdhe3072:ffdhe4096")
  elseif curve ~= "auto" then
    ctx:set_groups(curve)
  end
  if options.dhparam ~= nil then ctx:set_dhparam(pem("dhparam", options.dhparam)) end
  if options.sigalgs then ctx:set_sigalgs(options.sigalgs) end

  local honor = options.honorCipherOrder
  if honor == nil then honor = isServer == true end
  if honor then ctx:set_options(core.ssl_constants.SSL_OP_CIPHER_SERVER_PREFERENCE) end
  if options.secureOptions then ctx:set_options(math.tointeger(options.secureOptions)) end
  -- Node's default is 300 s (OpenSSL's would be 7200)
  local timeout = options.sessionTimeout or 300
  if timeout < 0 then errors.outOfRange("options.sessionTimeout", ">= 0", timeout, 3) end
  ctx:set_timeout(math.floor(timeout))
  if options.sessionIdContext or isServer then
    ctx:set_session_id_context(options.sessionIdContext or defaultSessionIdContext())
  end

  return setmetatable({ context = ctx }, SecureContext)
end

local function contextOf(options, isServer)
  local sc = options.secureContext
  if sc ~= nil then
    if getmetatable(sc) ~= SecureContext then
      errors.invalidArgType("options.secureContext", "a SecureContext", sc, 3)
    end
    return sc
  end
  return M.createSecureContext(options, isServer)
end

function M.getCiphers()
  local out, seen = {}, {}
  local ctx = core.secure_context_new()
  ctx:set_ciphers("ALL", nil)
  for _, name in ipairs(ctx:ciphers()) do
    local n = name:lower()
    if not seen[n] then seen[n] = true; out[#out + 1] = n end
  end
  table.sort(out)
  return out
end

-- ---- ALPN / NPN protocol lists ------------------------------------------------------

-- A list of protocol names, or Node's wire format ("\2h2\8http/1.1"), as
-- the wire format.
local function toWire(name, protocols)
  if protocols == nil then return nil end
  if type(protocols) == "string" then
    local i = 1
    while i <= #protocols do
      local n = protocols:byte(i)
      if n == 0 or i + n > #protocols then
        error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
          "The property 'options.%s' is not a valid wire-format protocol list", name)), 4)
      end
      i = i + n + 1
    end
    return protocols
  end
  if type(protocols) ~= "table" then
    errors.invalidArgType("options." .. name, "a list of strings or a string", protocols, 4)
  end
  local out = {}
  for i, p in ipairs(protocols) do
    if type(p) ~= "string" or #p == 0 or #p > 255 then
      error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
        "The property 'options.%s[%d]' must be a string of 1 to 255 bytes. Received %s",
        name, i, tostring(p))), 4)
    end
    out[#out + 1] = string.char(#p) .. p
  end
  return table.concat(out)
end
M._toWire = toWire

-- server:addContext() patterns: "example.com", "*.example.com" (one label),
-- "*" (every name); case-insensitive
local function hostMatches(pattern, name)
  pattern, name = pattern:lower(), name:lower():gsub("%.$", "")
  if pattern == "*" or pattern == name then return true end
  local rest = pattern:match("^%*(%..+)$")
  if rest and #name > #rest and name:sub(-#rest) == rest then
    local label = name:sub(1, #name - #rest)
    return label ~= "" and not label:find(".", 1, true)
  end
  return false
end
M._hostMatches = hostMatches

-- ---- TLSSocket --------------------------------------------------------------------

local TLSSocket = net.Socket:extend("TLSSocket")
M.TLSSocket = TLSSocket
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

-- TLSSocket.new(socket[, options]): socket is a net.Socket (connected or
-- connecting) or nil (then connect() it). options: isServer, server,
-- secureContext (or createSecureContext options), requestCert,
-- rejectUnauthorized, servername, session, checkServerIdentity, minDHSize.
-- The socket keeps options as self._tls and never changes what the table
-- holds for a server socket, so a server's sockets may share one.
function TLSSocket:init(socket, options)
  if type(socket) == "table" and options == nil and not EventEmitter.instanceOf(socket, net.Socket) then
    socket, options = nil, socket
  end
  options = options or {}
  errors.checkOptions(options, "tls.TLSSocket")
  -- highWaterMark: the socket's stream, both sides (a server's options give
  -- it to every socket it accepts, as net.createServer's do in Node 20)
  net.Socket.init(self, { allowHalfOpen = options.allowHalfOpen, server = options.server,
    highWaterMark = options.highWaterMark })
  self._tls = options
  if options.ALPNProtocols ~= nil and options.ALPNCallback ~= nil then
    error(errors.TypeError("ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS",
      "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive"), 3)
  end
  if options.SNICallback ~= nil and type(options.SNICallback) ~= "function" then
    errors.invalidArgType("options.SNICallback", "of type function", options.SNICallback, 3)
  end
  options._alpnWire = options._alpnWire or toWire("ALPNProtocols", options.ALPNProtocols)
  options._npnWire = options._npnWire or toWire("NPNProtocols", options.NPNProtocols)
  if options.isServer == true then self._isServer = true end
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
    if not EventEmitter.instanceOf(socket, net.Socket) then
      errors.invalidArgType("socket", "a net.Socket", socket, 3)
    end
    local function take()
      local h, peerAddr = socket:_detachHandle()
      self._peer = peerAddr
      self:_wrap(h)
    end
    if not socket.pending then
      take()
    else
      self.connecting = true
      socket:once("connect", function()
        self.connecting = false
        take()
        self:emit("connect")
      end)
      socket:once("error", function(err) self:destroy(err) end)
    end
    self:once("close", function() if not socket.destroyed then socket:destroy() end end)
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

-- What a TLS connection (src/tls_conn.c) tells its socket: one table for
-- every socket, each handler called with the socket first (set_owner), so a
-- connection costs no closure per event. Hooks a socket does not use are
-- never called: the connection asks only for what _wrap turned on.
local CONN_EVENTS = {
  handshake = function(self) self:_onHandshake() end,
  error = function(self, err) self:_onTlsError(err) end,
  renegotiation = function(self) self:_onPeerRenegotiation() end,
  renegotiated = function(self) self:_onRenegotiated() end,
  hello = function(self, servername) self:_onHello(servername, self._sniCallback) end,
  alpn = function(self, info) self:_onALPN(info, self._alpnCallback) end,
  ocsp = function(self, cert, issuer) self:_onOCSPRequest(cert, issuer) end,
  newsession = function(self, id, data) self:_onNewSession(id, data) end,
  resume = function(self, id) self:_onResumeSession(id) end,
  ocspresponse = function(self, response) self:emit("OCSPResponse", response) end,
  keylog = function(self, line)
    self:emit("keylog", line)
    if self.server then self.server:emit("keylog", line, self) end
  end,
  session = function(self, data) self:emit("session", data) end,
}

-- Put the TLS pump on a connected transport handle and start the handshake.
function TLSSocket:_wrap(transport)
  local context = self._context or self._tls.secureContext
  local w = core.tls_wrap(transport, context.context, self._isServer)
  self._handle = w
  w:set_owner(self, CONN_EVENTS)
  local o = self._tls
  if self._isServer then
    w:set_verify(self._requestCert == true, self._rejectUnauthorized)
    local server = self.server
    local sni = o.SNICallback or (server and server._SNICallback)
    if sni or (server and #server._contexts > 0) then
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
    local name = o.servername
    if name and name ~= "" and net.isIP(name) == 0 then w:set_servername(name) end
    if o.session then w:set_session(o.session) end
    if o._alpnWire then w:set_alpn(o._alpnWire) end
    if o._npnWire then w:set_npn(o._npnWire) end
    if o.requestOCSP then
      -- 'OCSPResponse'(response | nil) comes before 'secureConnect'
      w:request_ocsp()
    end
  end
  if self:listenerCount("keylog") > 0 or (self.server and self.server:listenerCount("keylog") > 0) then
    self:_enableKeylog()
  end
  if not self._isServer and self:listenerCount("session") > 0 then self:_enableSessionEvent() end
  w:start()
  self:_readOnConnect(self._tls.pauseOnCreate) -- as net.Socket: read from the start
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
TLSSocket.addListener = TLSSocket.on

-- The callback a handshake hook (SNICallback, resumeSession, OCSPRequest)
-- hands to the script: answered once (a second answer ends the connection
-- with ERR_MULTIPLE_CALLBACK), ignored after the client has gone; errors
-- become error objects. done(err, value) gets the answer.
local function hookCallback(self, done)
  local called = false
  local cb = function(err, value)
    if self.destroyed or not self._handle then return end -- the client left
    if called then
      return self:_onTlsError(errors.new("ERR_MULTIPLE_CALLBACK", "Callback called multiple times"))
    end
    called = true
    if err ~= nil and type(err) ~= "table" then err = errors.new(nil, tostring(err)) end
    done(err, value)
  end
  return cb, function() return called end
end

-- Run a script's hook, fn(...), protected: a raise before it answered is
-- its answer (cb(err)); a raise after it ends the connection all the same.
-- Returns what fn returned when it did not raise.
local function runHook(self, cb, answered, fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then return res end
  if type(res) ~= "table" then res = errors.new(nil, tostring(res)) end
  if answered() then self:_onTlsError(res) else cb(res) end
end

-- The ClientHello arrived: which context serves this server name? The
-- SNICallback may answer later (a timer, a file read, a round trip); the
-- handshake waits in C meanwhile.
function TLSSocket:_onHello(servername, sni)
  self.servername = servername
  local w = self._handle
  local cb, answered = hookCallback(self, function(err, ctx)
    if err then return w:hello_done(nil, err) end
    if ctx == nil then
      -- no answer: the addContext() entries (the latest match), else the
      -- server's own context
      local entries = self.server and self.server._contexts or {}
      for i = #entries, 1, -1 do
        if servername and hostMatches(entries[i][1], servername) then ctx = entries[i][2]; break end
      end
      if ctx == nil then return w:hello_done(nil) end
    end
    if getmetatable(ctx) ~= SecureContext then
      local ok, made = pcall(M.createSecureContext, ctx, true)
      if not ok then return w:hello_done(nil, made) end
      ctx = made
    end
    if not ctx.context:has_cert() then
      return w:hello_done(nil, errors.new("ERR_TLS_INVALID_CONTEXT",
        "The SNI context for " .. tostring(servername) .. " has no certificate"))
    end
    w:hello_done(ctx.context)
  end)
  -- as Node: the callback is only asked about a name the client sent
  if not sni or servername == nil then return cb(nil, nil) end
  local res = runHook(self, cb, answered, sni, servername, cb)
  if res ~= nil and not answered() then
    -- the oldest seeds' form: SNICallback(servername) returns the context
    cb(nil, res)
  end
end

-- ALPNCallback({ servername=, protocols= }) -> the protocol, or nil to refuse
function TLSSocket:_onALPN(info, callback)
  local w = self._handle
  local ok, res = pcall(callback, info)
  if not ok then
    return w:alpn_result(nil, type(res) == "table" and res or errors.new(nil, tostring(res)))
  end
  if res == nil then return w:alpn_result(nil) end
  for _, p in ipairs(info.protocols) do
    if p == res then return w:alpn_result(res) end
  end
  w:alpn_result(nil, errors.TypeError("ERR_TLS_ALPN_CALLBACK_INVALID_RESULT",
    "ALPN callback returned a value (" .. tostring(res) ..
    ") that did not match any of the client's offered protocols (" .. table.concat(info.protocols, ", ") .. ")"))
end

-- 'newSession'(sessionId, sessionData, cb): the connection's data waits
-- until cb() (and so does 'secureConnection').
function TLSSocket:_onNewSession(id, data)
  local w = self._handle
  local server = self.server
  self._newSessionPending = true
  local called = false
  local function cb()
    if called or self.destroyed or not self._handle then return end
    called = true
    self._newSessionPending = false
    w:new_session_done()
    if self._securePending then
      self._securePending = false
      self:_onHandshake()
    end
  end
  if not server or server:listenerCount("newSession") == 0 then return cb() end
  runHook(self, cb, function() return true end, server.emit, server, "newSession", id, data, cb)
  if self.destroyed then return end
  -- the oldest seeds' form, newSession(sessionId, sessionData), has no cb:
  -- when no listener takes one, go on by itself
  for _, fn in ipairs(server:listeners("newSession")) do
    local info = type(fn) == "function" and debug.getinfo(fn, "u")
    if not info or info.isvararg or info.nparams >= 3 then return end
  end
  cb()
end

-- 'resumeSession'(sessionId, cb): cb(nil, sessionData) resumes, cb(nil,
-- nil) means a full handshake, cb(err) ends the connection; cb may come
-- later (the handshake waits in C).
function TLSSocket:_onResumeSession(id)
  local w = self._handle
  local server = self.server
  local cb, answered = hookCallback(self, function(err, data)
    if err then return w:resume_done(nil, err) end
    w:resume_done(type(data) == "string" and data or nil)
  end)
  if not server or server:listenerCount("resumeSession") == 0 then return cb(nil, nil) end
  runHook(self, cb, answered, server.emit, server, "resumeSession", id, cb)
end

-- 'OCSPRequest'(certificate, issuer, cb): DER strings (issuer nil when
-- neither the chain nor the CAs hold it). cb(nil, response) staples it,
-- cb(nil, nil) staples nothing, cb(err) ends the connection. cb may come
-- later: the handshake waits in C.
function TLSSocket:_onOCSPRequest(cert, issuer)
  local w = self._handle
  local cb, answered = hookCallback(self, function(err, response)
    if err then return w:ocsp_done(nil, err) end
    w:ocsp_done(type(response) == "string" and response or nil)
  end)
  runHook(self, cb, answered, self.server.emit, self.server, "OCSPRequest", cert, issuer, cb)
end

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
  if self._isServer then
    self.servername = w:get_servername()
    if self._requestCert then
      local verr = w:verify_error()
      if verr then
        self.authorized = false
        self.authorizationError = verr.code
        if self._rejectUnauthorized then
          return self:_onTlsError(verr)
        end
      else
        self.authorized = true
      end
    end
    self:emit("secure")
    if self.server then self.server:emit("secureConnection", self) end
  else
    local verr = w:verify_error()
    if not verr then
      local check = self._tls.checkServerIdentity or identity.checkServerIdentity
      local host = self._tls.servername or self._tls.host or "localhost"
      local ok, res = pcall(check, host, self:getPeerCertificate())
      if not ok then
        -- an override that raises: its error ends the connection
        verr = type(res) == "table" and res or errors.new("ERR_TLS_CHECK_SERVER_IDENTITY", tostring(res))
      else
        verr = res
      end
    end
    if verr then
      self.authorized = false
      self.authorizationError = verr.code or verr.message
      if self._rejectUnauthorized then
        return self:destroy(verr)
      end
    else
      self.authorized = true
    end
    -- minDHSize (default 1024): refuse a server's weak DH parameters
    local minDH = self._tls.minDHSize or 1024
    local eki = w:get_ephemeral_key_info()
    if eki and eki.type == "DH" and eki.size and eki.size < minDH then
      return self:destroy(errors.new("ERR_TLS_DH_PARAM_SIZE",
        "DH parameter size " .. eki.size .. " is less than " .. minDH))
    end
    self:emit("secure")
    self:emit("secureConnect")
  end
  self:emit("_tlsReady")
end

function TLSSocket:_onTlsError(err)
  if self.destroyed then return end -- reported already, or closing anyway
  if self._isServer and self.server and not self._reported then
    self._reported = true
    local server = self.server
    if server then
      server:emit("tlsClientError", err, self)
      if server:listenerCount("clientError") > 0 then server:emit("clientError", err, self) end
    end
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
    self:once("_tlsReady", function() self:_writeGeneric(data, bytes, cb) end)
    return
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
  local window, times = M.CLIENT_RENEG_WINDOW, self._renegTimes or {}
  self._renegTimes = times
  while times[1] and now - times[1] > window do table.remove(times, 1) end
  times[#times + 1] = now
  if #times > M.CLIENT_RENEG_LIMIT then
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
  if cb then cb(nil) end
  self:emit("secure")
end

-- ---- what the connection knows ------------------------------------------------

local function call(self, method, ...)
  local w = self._handle
  if not w or w:is_closing() then return nil end
  return w[method](w, ...)
end

function TLSSocket:getPeerCertificate(detailed)
  return call(self, "get_peer_certificate", detailed) or {}
end
function TLSSocket:getCertificate() return call(self, "get_certificate") or {} end
function TLSSocket:getCipher() return call(self, "get_cipher") end
function TLSSocket:getProtocol() return call(self, "get_protocol") end
function TLSSocket:getSession() return call(self, "get_session") end
function TLSSocket:getTLSTicket() return call(self, "get_tls_ticket") end
function TLSSocket:isSessionReused() return call(self, "is_session_reused") == true end
function TLSSocket:getFinished() return call(self, "get_finished") end
function TLSSocket:getPeerFinished() return call(self, "get_peer_finished") end
function TLSSocket:getEphemeralKeyInfo()
  if self._isServer then return nil end
  return call(self, "get_ephemeral_key_info") or {}
end

function TLSSocket:exportKeyingMaterial(length, label, context)
  if type(length) ~= "number" then errors.invalidArgType("length", "of type number", length) end
  if type(label) ~= "string" then errors.invalidArgType("label", "of type string", label) end
  local w = self._handle
  if not w then
    error(errors.new("ERR_TLS_INVALID_STATE", "TLS socket connection must be securely established"), 2)
  end
  return w:export_keying_material(length, label, context)
end

function TLSSocket:setMaxSendFragment(size)
  if type(size) ~= "number" then errors.invalidArgType("size", "of type number", size) end
  return call(self, "set_max_send_fragment", math.tointeger(size) or 0) == true
end

function TLSSocket:setServername(name)
  if type(name) ~= "string" then errors.invalidArgType("name", "of type string", name) end
  if self._isServer then
    error(errors.new("ERR_TLS_SNI_FROM_SERVER", "Cannot issue SNI from a TLS server-side socket"), 2)
  end
  self._tls.servername = name
  if self._handle then self._handle:set_servername(name) end
end

-- ---- Server -------------------------------------------------------------------------

local Server = net.Server:extend("Server")
M.Server = Server

-- tls.createServer([options][, secureConnectionListener])
function Server:init(options, listener)
  if type(options) == "function" then options, listener = nil, options end
  options = options or {}
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options) end
  errors.checkOptions(options, "tls.createServer")
  net.Server.init(self, { allowHalfOpen = options.allowHalfOpen, pauseOnConnect = options.pauseOnConnect,
    highWaterMark = options.highWaterMark })
  if listener ~= nil then
    if type(listener) ~= "function" then errors.invalidArgType("listener", "of type function", listener) end
    self:on("secureConnection", listener)
  end
  local ht = options.handshakeTimeout
  if ht ~= nil and (type(ht) ~= "number" or ht < 0) then
    errors.invalidArgType("options.handshakeTimeout", "a non-negative number", ht)
  end
  self._handshakeTimeout = ht or 120000
  self._options = options
  if options.SNICallback ~= nil and type(options.SNICallback) ~= "function" then
    errors.invalidArgType("options.SNICallback", "of type function", options.SNICallback)
  end
  if options.ALPNCallback ~= nil and type(options.ALPNCallback) ~= "function" then
    errors.invalidArgType("options.ALPNCallback", "of type function", options.ALPNCallback)
  end
  if options.ALPNProtocols ~= nil and options.ALPNCallback ~= nil then
    error(errors.TypeError("ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS",
      "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive"), 2)
  end
  self._SNICallback = options.SNICallback
  self._ALPNCallback = options.ALPNCallback
  self._alpnWire = toWire("ALPNProtocols", options.ALPNProtocols)
  self._npnWire = toWire("NPNProtocols", options.NPNProtocols)
  self._contexts = {}
  self._secureContext = contextOf(options, true)
  if options.ticketKeys ~= nil then
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
    }
    self._socketOptions = o
  end
  return o
end

function Server:_makeSocket(handle)
  local socket = TLSSocket.new(nil, socketOptions(self))
  socket:_wrap(handle) -- a connection the server accepted
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

-- addContext(hostname, context): the context for clients that ask for
-- hostname by SNI ("*.example.com" matches one label, "*" every name).
-- Later additions win. Used when there is no SNICallback, and (unlike Node)
-- when an SNICallback answers cb(nil, nil).
function Server:addContext(hostname, context)
  if type(hostname) ~= "string" then errors.invalidArgType("hostname", "of type string", hostname) end
  if type(context) ~= "table" then errors.invalidArgType("context", "a SecureContext or options", context) end
  if getmetatable(context) ~= SecureContext then context = M.createSecureContext(context, true) end
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

local function checkKeys(keys, level)
  if type(keys) ~= "string" then errors.invalidArgType("keys", "a 48-byte string", keys, level + 1) end
  if #keys ~= 48 then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE",
      "The argument 'keys' must be exactly 48 bytes. Received " .. #keys), level + 1)
  end
end

-- getTicketKeys() -> the 48 bytes that encrypt session tickets now
function Server:getTicketKeys()
  return (self._secureContext.context:get_ticket_keys())
end

-- setTicketKeys(keys): for tickets from now on (servers sharing keys resume
-- each other's sessions)
function Server:setTicketKeys(keys)
  checkKeys(keys, 2)
  self._secureContext.context:set_ticket_keys(keys)
end

function Server:_rotateTicketKeys()
  local ctx = self._secureContext.context
  ctx:set_ticket_keys(core.random_bytes(48), (ctx:get_ticket_keys()))
end

-- ---- connect -------------------------------------------------------------------------

-- connect(options[, cb]) | connect(port[, host][, options][, cb]) |
-- connect(path[, options][, cb])
local function normalizeArgs(...)
  local args, cb = net._splitCallback(...)
  local a, b, c = args[1], args[2], args[3]
  local options = {}
  local function merge(t)
    if type(t) == "table" then for k, v in pairs(t) do options[k] = v end end
  end
  if type(a) == "table" then
    merge(a)
  elseif type(a) == "string" and not a:match("^%s*%d+%s*$") then
    options.path = a
    merge(b)
  else
    options.port = a
    if type(b) == "string" then
      options.host = b
      merge(c)
    else
      merge(b)
    end
  end
  return options, cb
end

-- fn(socket) runs on 'secureConnect'. Node passes no argument; in Lua
-- `local socket = tls.connect(..., function() socket.authorized end)` cannot
-- see its own local, so the socket comes as the first argument.
function M.connect(...)
  local options, cb = normalizeArgs(...)
  errors.checkOptions(options, "tls.connect")
  if options.minDHSize ~= nil and (type(options.minDHSize) ~= "number" or options.minDHSize <= 0) then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE",
      "The property 'options.minDHSize' must be a positive number. Received " .. tostring(options.minDHSize)), 2)
  end
  options.host = options.host or "localhost"
  if options.servername == nil and net.isIP(options.host) == 0 and not options.path then
    options.servername = options.host
  end
  if options.rejectUnauthorized == nil then options.rejectUnauthorized = true end
  options.isServer = false
  local socket = TLSSocket.new(options.socket, options)
  if cb then socket:_onceWithTarget("secureConnect", cb) end
  if not options.socket then
    socket:connect({
      port = options.port, host = options.host, path = options.path,
      family = options.family, lookup = options.lookup,
      localAddress = options.localAddress, localPort = options.localPort,
    })
  end
  if options.timeout then socket:setTimeout(options.timeout) end
  return socket
end

function M.createServer(options, listener)
  return Server.new(options, listener)
end

-- ---- the deprecated SecurePair API (from the seeds) -----------------------------------

-- CryptoStream: the encrypted side of a SecurePair, a stream of TLS records;
-- bytesWritten counts them, TLS overhead included. CleartextStream is the
-- old name of the cleartext side, a TLSSocket.
local CryptoStream = net.Socket:extend("CryptoStream")
M.CryptoStream = CryptoStream
M.CleartextStream = TLSSocket

local SecurePair = EventEmitter:extend("SecurePair")
M.SecurePair = SecurePair

-- createSecurePair([context][, isServer][, requestCert][,
-- rejectUnauthorized][, options]) -> a SecurePair with `cleartext` (a
-- TLSSocket) and `encrypted` (a CryptoStream), and the 'secure' event.
-- The seed's wiring works: pair.encrypted:pipe(socket); socket:pipe(pair.encrypted).
-- The two sides are the ends of a kernel socket pair, so the TLS records
-- still never enter Lua between them.
function M.createSecurePair(context, isServer, requestCert, rejectUnauthorized, options)
  options = options or {}
  if context ~= nil and getmetatable(context) ~= SecureContext then
    errors.invalidArgType("context", "a SecureContext", context)
  end
  local clearEnd, cryptEnd = core.socketpair()
  local pair = SecurePair.new()
  pair.server = options.server
  pair.encrypted = CryptoStream.new({ handle = cryptEnd })
  local o = {}
  for k, v in pairs(options) do o[k] = v end
  o.isServer = isServer == true
  o.requestCert = requestCert == true
  o.rejectUnauthorized = rejectUnauthorized == true
  o.secureContext = context or M.createSecureContext(options, isServer)
  o.server = nil
  pair.cleartext = TLSSocket.new(net.Socket.new({ handle = clearEnd }), o)
  pair.ssl = pair.cleartext._handle
  pair.cleartext:on("secure", function() pair:emit("secure") end)
  pair.cleartext:on("error", function(err)
    if pair:listenerCount("error") > 0 then pair:emit("error", err) end
    if pair.server then pair.server:emit("clientError", err, pair) end
  end)
  -- when one side ends, so does the other
  pair.cleartext:on("close", function() pair.encrypted:destroy() end)
  pair.encrypted:on("close", function() pair.cleartext:destroy() end)
  pair.encrypted:on("error", function(err) pair.cleartext:destroy(err) end)
  return pair
end

function SecurePair:destroy()
  self.cleartext:destroy()
  self.encrypted:destroy()
end

-- tls.rootCertificates: the system's trusted CAs as PEM strings (read when
-- first used). Node ships Mozilla's list; luatls trusts what the system does.
local function rootCertificates()
  local file = core.default_cert_file()
  local f = io.open(file, "r")
  local out = {}
  if f then
    local all = f:read("a")
    f:close()
    for pemText in all:gmatch("%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-.-%-%-%-%-%-END CERTIFICATE%-%-%-%-%-") do
      out[#out + 1] = pemText .. "\n"
    end
  end
  return out
end

setmetatable(M, {
  __index = function(t, k)
    if k == "rootCertificates" then
      local v = rootCertificates()
      rawset(t, k, v)
      return v
    end
  end,
})

-- tls.TLSSocket(socket, options) works as TLSSocket.new(socket, options)
getmetatable(TLSSocket).__call = function(_, socket, options)
  return TLSSocket.new(socket, options)
end

defineProperty(TLSSocket, "secureConnecting", function(self) return not self._secure end)

return M
