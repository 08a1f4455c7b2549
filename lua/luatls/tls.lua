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
-- core (src/tls/conn.c): the ciphertext never reaches Lua; the socket reads
-- and writes cleartext exactly as a TCP socket does.
--
-- TLSSocket.new(socket[, options]) (also callable as tls.TLSSocket(socket,
-- options)) wraps a connected or connecting net.Socket.
--
-- The machinery is under internal/tls/: settings.lua (the settable
-- defaults: this module's own table), secure_context.lua, ca_store.lua (the
-- default CA store: getCACertificates, setDefaultCACertificates), keylog.lua
-- (--tls-keylog, SSLKEYLOGFILE), options.lua,
-- socket.lua (TLSSocket), hooks.lua (its handshake hooks), server.lua,
-- connect.lua, secure_pair.lua (the deprecated SecurePair API),
-- client_hello.lua (parseClientHello), router.lua (createRouter).
--
-- luatls's own, not Node's: tls.createSelfSigned([hosts][, options]) ->
-- { key =, cert = } (PEM) for tls.createServer (internal/tls/self_signed.lua,
-- over crypto.createCertificate); tls.parseClientHello(bytes) -> the
-- ClientHello as a table (JA3, JA4, the field lists), nil, "incomplete", or
-- nil, err (internal/tls/client_hello.lua over src/tls/hello.c);
-- tls.createRouter(options) -> a Router (a net.Server) that routes TLS by
-- the ClientHello without terminating it, in C per connection
-- (internal/tls/router.lua over src/tls/router.c).
local errors = require("luatls.errors")
local identity = require("luatls.identity")
local secureContext = require("luatls.internal.tls.secure_context")
local caStore = require("luatls.internal.tls.ca_store")
local TLSSocket = require("luatls.internal.tls.socket")
local Server = require("luatls.internal.tls.server")
local securePair = require("luatls.internal.tls.secure_pair")

local M = require("luatls.internal.tls.settings")

M.checkServerIdentity = identity.checkServerIdentity

M.SecureContext = secureContext.SecureContext
M.createSecureContext = secureContext.createSecureContext
M.getCiphers = secureContext.getCiphers
M.getCACertificates = caStore.getCACertificates
M.setDefaultCACertificates = caStore.setDefaultCACertificates

M.TLSSocket = TLSSocket
M.Server = Server
M.connect = require("luatls.internal.tls.connect")
M.createSelfSigned = require("luatls.internal.tls.self_signed") -- luatls's own
M.parseClientHello = require("luatls.internal.tls.client_hello").parseClientHello -- luatls's own
M.createRouter = require("luatls.internal.tls.router").createRouter -- luatls's own
M.Router = require("luatls.internal.tls.router").Router

function M.createServer(options, listener)
  return Server.new(options, listener)
end

M.CryptoStream = securePair.CryptoStream
M.CleartextStream = securePair.CleartextStream
M.SecurePair = securePair.SecurePair
M.createSecurePair = securePair.createSecurePair

M.convertALPNProtocols = require("luatls.internal.tls.options").convertALPNProtocols

-- tls.rootCertificates: the system's trusted CAs as PEM strings
-- (getCACertificates("bundled"), each without its final newline, as Node's
-- strings), read on first use. Node ships Mozilla's
-- list; luatls trusts what the system does.
-- Read-only, as Node's frozen array: a proxy (# , [i], ipairs and pairs
-- work; rawlen and next see an empty table) that raises a TypeError on any
-- assignment; assigning tls.rootCertificates itself raises too.
local roots
local function rootCertificates()
  if roots then return roots end
  local list = caStore.getCACertificates("bundled")
  -- as Node's bundled strings: no newline after the END line
  for i, pem in ipairs(list) do list[i] = pem:gsub("\r?\n$", "") end
  roots = setmetatable({}, {
    __index = list,
    __len = function() return #list end,
    __pairs = function() return next, list, nil end,
    __newindex = function(_, k)
      error(errors.new(nil, list[k] ~= nil
        and string.format("Cannot assign to read only property '%s' of tls.rootCertificates", tostring(k))
        or string.format("Cannot add property %s, tls.rootCertificates is not extensible", tostring(k)),
        { name = "TypeError" }), 2)
    end,
    __metatable = false,
  })
  return roots
end

setmetatable(M, {
  __index = function(_, k)
    if k == "rootCertificates" then return rootCertificates() end
  end,
  __newindex = function(t, k, v)
    if k == "rootCertificates" then
      error(errors.new(nil, "Cannot set property rootCertificates of tls, which has only a getter",
        { name = "TypeError" }), 2)
    end
    rawset(t, k, v)
  end,
})

return M
