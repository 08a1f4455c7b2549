-- luatls.https: Node's https module: the http server on a tls.Server.
--
--   local https = require("https")
--   https.createServer({ key = key, cert = cert }, function(req, res)
--     res:writeHead(200)
--     res:done("hello world\n")
--   end):listen(8443)
--
-- An https.Server is a tls.Server (SNI, ALPN, sessions, client
-- certificates: all of tls.createServer's options) whose secure
-- connections are served as http.Server's are (internal/http/server.lua).
local errors = require("luatls.errors")
local tls = require("luatls.tls")
local httpServer = require("luatls.internal.http.server")

local M = {}

local Server = tls.Server:extend("Server")
M.Server = Server

-- https.createServer([options][, requestListener]): ALPN offers http/1.1
-- unless options.ALPNProtocols says otherwise
function Server:init(options, requestListener)
  if type(options) == "function" then options, requestListener = nil, options end
  if options ~= nil and type(options) ~= "table" then errors.invalidArgType("options", "of type object", options) end
  local tlsOptions = {}
  for k, v in pairs(options or {}) do tlsOptions[k] = v end
  if tlsOptions.ALPNProtocols == nil and tlsOptions.ALPNCallback == nil then
    tlsOptions.ALPNProtocols = { "http/1.1" }
  end
  tls.Server.init(self, tlsOptions)
  httpServer.setup(self, options, requestListener)
  self:on("secureConnection", function(socket) httpServer.connectionListener(self, socket) end)
end

httpServer.addMethods(Server, tls.Server)

function M.createServer(options, listener)
  return Server.new(options, listener)
end

return M
