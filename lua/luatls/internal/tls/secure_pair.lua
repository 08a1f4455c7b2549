-- luatls.internal.tls.secure_pair: the deprecated SecurePair API (from the
-- seeds): tls.createSecurePair, SecurePair and CryptoStream.
local net = require("luatls.net")
local errors = require("luatls.errors")
local EventEmitter = require("luatls.events")
local core = require("luatls.loop").core
local secureContext = require("luatls.internal.tls.secure_context")
local TLSSocket = require("luatls.internal.tls.socket")

local SecureContext = secureContext.SecureContext

local M = {}

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
  errors.deprecate("DEP0064", "tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead.")
  options = options or {}
  if context ~= nil and getmetatable(context) ~= SecureContext then
    error(errors.TypeError("ERR_TLS_INVALID_CONTEXT", "context must be a SecureContext"), 2)
  end
  local clearEnd, cryptEnd = core.socketpair()
  -- as Node's (streams in JS), the pair itself keeps nothing alive: what
  -- its ends are piped to does
  clearEnd:unref()
  cryptEnd:unref()
  local pair = SecurePair.new()
  pair.server = options.server
  pair.encrypted = CryptoStream.new({ handle = cryptEnd })
  local o = {}
  for k, v in pairs(options) do o[k] = v end
  o.isServer = isServer == true
  o.requestCert = requestCert == true
  o.rejectUnauthorized = rejectUnauthorized == true
  o.secureContext = context or secureContext.createSecureContext(options, isServer)
  o.server = nil
  pair.cleartext = TLSSocket.new(net.Socket.new({ handle = clearEnd }), o)
  -- the seeds' client pair checks the server as tls.connect() does
  -- (authorized, 'error' when refused): socket.lua's clientSecure
  pair.cleartext._fromConnect = true
  pair.ssl = pair.cleartext:_connection()
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

return M
