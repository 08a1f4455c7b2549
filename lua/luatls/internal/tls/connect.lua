-- luatls.internal.tls.connect: tls.connect(...).
local net = require("luatls.net")
local errors = require("luatls.errors")
local splitCallback = require("luatls.internal.args").splitCallback
local TLSSocket = require("luatls.internal.tls.socket")
local settings = require("luatls.internal.tls.settings") -- the public tls module

-- connect(options[, cb]) | connect(port[, host][, options][, cb]) |
-- connect(path[, options][, cb])
local function normalizeArgs(...)
  local args, cb = splitCallback(...)
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
local function connect(...)
  local options, cb = normalizeArgs(...)
  errors.checkOptions(options, "tls.connect")
  -- minDHSize: Node's assertions, their code and messages (NaN is not > 0)
  local minDH = options.minDHSize
  if minDH ~= nil and (type(minDH) ~= "number" or minDH ~= minDH or minDH <= 0) then
    error(errors.new("ERR_ASSERTION", "options.minDHSize is not a " .. (type(minDH) == "number" and "positive " or "")
      .. "number: " .. tostring(minDH), { name = "AssertionError" }), 2)
  end
  -- what an ECONNRESET before the handshake finished carries (Node's
  -- kConnectOptions: the caller's, before defaults)
  local given = { path = options.path, host = options.host, port = options.port,
    localAddress = options.localAddress }
  options.host = options.host or "localhost"
  if options.servername == nil and net.isIP(options.host) == 0 and not options.path then
    options.servername = options.host
  end
  if type(options.servername) == "string" and net.isIP(options.servername) ~= 0 then
    errors.deprecate("DEP0123", "Setting the TLS ServerName to an IP address is not permitted by RFC 6066. "
      .. "This will be ignored in a future version.")
  end
  if options.rejectUnauthorized == nil then options.rejectUnauthorized = true end
  options.isServer = false
  -- as Node: the context comes from tls.createSecureContext (looked up at
  -- each call, so a script may replace it), tls.DEFAULT_CIPHERS by default
  if options.secureContext == nil then
    if options.ciphers == nil then options.ciphers = settings.DEFAULT_CIPHERS end
    options.secureContext = settings.createSecureContext(options)
  end
  local socket = TLSSocket.new(options.socket, options)
  socket._fromConnect = true -- the server's identity is checked, 'secureConnect' (socket.lua)
  socket._connectOptions = given
  if cb then socket:_onceWithTarget("secureConnect", cb) end
  if not options.socket then
    socket:connect({
      port = options.port, host = options.host, path = options.path,
      family = options.family, lookup = options.lookup, hints = options.hints,
      localAddress = options.localAddress, localPort = options.localPort,
    })
  end
  if options.timeout then socket:setTimeout(options.timeout) end
  return socket
end

return connect
