-- luatls.internal.tls.hooks: the handshake hooks of a TLSSocket, which the
-- C connection calls (see CONN_EVENTS in socket.lua) and which may answer
-- later: clientHelloCallback (luatls's own: _onClientHello), SNICallback
-- and addContext() (_onHello), ALPNCallback (_onALPN),
-- the server's 'newSession', 'resumeSession' and 'OCSPRequest' listeners;
-- and pskCallback (_onPSK), which answers at once.
-- install(TLSSocket) adds the methods.
local errors = require("luatls.errors")
local secureContext = require("luatls.internal.tls.secure_context")

local SecureContext = secureContext.SecureContext

local M = {}

-- the methods install() adds to TLSSocket
local Hooks = {}

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

-- A hook's answer that is a context: a SecureContext or createSecureContext
-- options -> the SecureContext, or nil, the error that ends the handshake
-- (a context without a certificate is ERR_TLS_INVALID_CONTEXT; `what`
-- names the context in its message).
local function answerContext(ctx, what)
  if getmetatable(ctx) ~= SecureContext then
    local ok, made = pcall(secureContext.createSecureContext, ctx, true)
    if not ok then return nil, made end
    ctx = made
  end
  if not ctx.context:has_cert() then
    return nil, errors.new("ERR_TLS_INVALID_CONTEXT", what .. " has no certificate")
  end
  return ctx
end

-- The ClientHello arrived: which context serves this server name? The
-- SNICallback may answer later (a timer, a file read, a round trip); the
-- handshake waits in C meanwhile.
function Hooks:_onHello(servername, sni)
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
    local made, bad = answerContext(ctx, "The SNI context for " .. tostring(servername))
    if not made and getmetatable(ctx) ~= SecureContext and type(bad) == "table" and
        bad.code == "ERR_TLS_INVALID_CONTEXT" then
      -- as Node: an answer that is no SecureContext (options without a certificate, `{}`)
      bad = errors.new("ERR_TLS_INVALID_CONTEXT", "Invalid SNI context", { name = "TypeError" })
    elseif not made and type(bad) == "table" and bad.code == "ERR_TLS_INVALID_CONTEXT" then
      -- as Node: a SecureContext without a certificate fails as OpenSSL
      -- fails on it (SSL_use_certificate)
      bad = errors.new("ERR_SSL_PASSED_A_NULL_PARAMETER",
        bad.message .. ": error:0A0C0102:SSL routines::passed a null parameter",
        { library = "SSL routines", reason = "passed a null parameter" })
    end
    if not made then return w:hello_done(nil, bad) end
    w:hello_done(made.context)
  end)
  -- as Node: the callback is only asked about a name the client sent
  if not sni or servername == nil then return cb(nil, nil) end
  local res = runHook(self, cb, answered, sni, servername, cb)
  if res ~= nil and not answered() then
    -- the oldest seeds' form: SNICallback(servername) returns the context
    cb(nil, res)
  end
end

-- clientHelloCallback(socket, hello, cb) (luatls's own): the ClientHello as
-- a table (src/tls/hello.c), before the session store and SNI. cb() goes
-- on, cb(nil, context) switches to that context (a SecureContext or its
-- options, as SNICallback's), cb(err) ends the handshake (handshake_failure;
-- 'tlsClientError' with err). cb may come later: the handshake waits in C.
function Hooks:_onClientHello(hello, fn)
  local w = self._handle
  local cb, answered = hookCallback(self, function(err, ctx)
    if err then return w:client_hello_done(nil, err) end
    if ctx == nil then return w:client_hello_done(nil) end
    local made, bad = answerContext(ctx, "The clientHelloCallback's context")
    if not made then return w:client_hello_done(nil, bad) end
    w:client_hello_done(made.context)
  end)
  runHook(self, cb, answered, fn, self, hello, cb)
end

-- ALPNCallback({ servername=, protocols= }) -> the protocol, or nil to refuse
function Hooks:_onALPN(info, callback)
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
function Hooks:_onNewSession(id, data)
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
function Hooks:_onResumeSession(id)
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
function Hooks:_onOCSPRequest(cert, issuer)
  local w = self._handle
  local cb, answered = hookCallback(self, function(err, response)
    if err then return w:ocsp_done(nil, err) end
    w:ocsp_done(type(response) == "string" and response or nil)
  end)
  runHook(self, cb, answered, self.server.emit, self.server, "OCSPRequest", cert, issuer, cb)
end

-- ---- pre-shared keys (TLS-PSK) ----------------------------------------------------

-- Node's ERR_INVALID_ARG_VALUE for a key or identity too long for OpenSSL
-- (the key's bytes are not shown)
local function tooLong(name, what, max, value)
  local shown = name == "identity" and string.format("'%s'", value) or string.format("a string of %d bytes", #value)
  error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
    "The argument '%s' %s exceeds %d bytes. Received %s", name, what, max, shown)), 0)
end

local function checkKey(psk, max)
  if type(psk) ~= "string" then errors.invalidArgType("psk", "a string (a Buffer)", psk, 3) end
  if #psk > max then tooLong("psk", "Pre-shared key", max, psk) end
  return psk
end

-- the server's pskCallback(socket, identity) -> the key (a string, or
-- Node's { psk = key }), or nil/false for an identity it does not know
local function serverKey(self, identity, maxPsk)
  local ret = self._pskCallback(self, identity)
  if ret == nil or ret == false then return nil end
  if type(ret) == "table" then return checkKey(ret.psk, maxPsk) end
  if type(ret) ~= "string" then errors.invalidArgType("ret", "a string (a Buffer) or a table", ret, 2) end
  return checkKey(ret, maxPsk)
end

-- the client's pskCallback(hint) -> { psk = key, identity = string }, or
-- nil/false for none (the handshake fails); hint is nil in TLS 1.3
local function clientKey(self, hint, maxPsk, maxIdentity)
  local ret = self._pskCallback(hint)
  if ret == nil or ret == false then return nil end
  if type(ret) ~= "table" then errors.invalidArgType("ret", "of type table", ret, 2) end
  local psk = checkKey(ret.psk, maxPsk)
  local identity = ret.identity
  if type(identity) ~= "string" then errors.invalidArgType("identity", "of type string", identity, 2) end
  if #identity > maxIdentity then tooLong("identity", "PSK identity", maxIdentity, identity) end
  return psk, identity
end

-- The C connection asks for a key (src/tls/psk.c): the server with the
-- client's identity, the client with the server's hint. The answer goes
-- back at once (OpenSSL's PSK callbacks cannot wait, as in Node); a bad
-- return value or a raise ends the handshake with its error.
function Hooks:_onPSK(a, maxPsk, maxIdentity)
  local w = self._handle
  local ok, psk, identity = pcall(self._isServer and serverKey or clientKey, self, a, maxPsk, maxIdentity)
  if not ok then
    return w:psk_result(nil, nil, type(psk) == "table" and psk or errors.new(nil, tostring(psk)))
  end
  w:psk_result(psk, identity)
end

-- install(TLSSocket): add the methods above to the class.
function M.install(cls)
  for name, fn in pairs(Hooks) do cls[name] = fn end
end

return M
