-- luatls.net: Node's net module — TCP and Unix-socket servers and clients.
--
--   local net = require("net")
--   local server = net.createServer(function(socket) socket:pipe(socket) end)
--   server:listen(8124, function() console.log("bound") end)
--   net.connect(8124, "127.0.0.1", function(client) client:write("hi") end)
--
-- A Socket is a Duplex stream over a handle. The handle is a libuv stream
-- from luatls.core, or anything with the same methods (read_start,
-- read_stop, write, shutdown, close, getsockname, getpeername): the TLS layer
-- puts its C pump in that place, so a TLSSocket is a Socket.
--
-- The machinery is under internal/net/: address.lua (ports, lookup,
-- argument forms), socket.lua (Socket), forward.lua (pipes whose bytes stay
-- in C), server.lua (Server).
local loop = require("luatls.loop")
local errors = require("luatls.errors")
local address = require("luatls.internal.net.address")
local Socket = require("luatls.internal.net.socket").Socket
local Server = require("luatls.internal.net.server")
local core = loop.core

local M = {}

function M.isIP(s)
  if type(s) ~= "string" then return 0 end
  return core.ip_family(s)
end
function M.isIPv4(s) return M.isIP(s) == 4 end
function M.isIPv6(s) return M.isIP(s) == 6 end

M.Socket = Socket
M.Server = Server

-- ---- module functions -----------------------------------------------------------

function M.createServer(options, listener)
  return Server.new(options, listener)
end

-- connect(options[, cb]) | connect(path[, cb]) | connect(port[, host][, cb]);
-- cb(socket) on 'connect'. call: the name an unsupported option's error gives.
local function connect(call, ...)
  local options, cb = address.normalizeConnectArgs(...)
  errors.checkOptions(options, call, 3)
  local socket = Socket.new(options)
  if options.timeout then socket:setTimeout(options.timeout) end
  return socket:connect(options, cb)
end
function M.connect(...) return connect("net.connect", ...) end
function M.createConnection(...) return connect("net.createConnection", ...) end

return M
