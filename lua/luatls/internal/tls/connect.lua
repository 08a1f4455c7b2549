-- luatls.internal.tls.connect: tls.connect(...).
local net = require("luatls.net")
local errors = require("luatls.errors")
local splitCallback = require("luatls.internal.args").splitCallback
local TLSSocket = require("luatls.internal.tls.socket")

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

return connect
