-- luatls.https: Node's https module: the http server on a tls.Server.
--
--   local https = require("https")
--   https.createServer({ key = key, cert = cert }, function(req, res)
--     res:writeHead(200)
--     res:done("hello world\n")
--   end):listen(8443)
--
--   https.get("https://example.org/", function(res) ... end)
--   local res = https.fetch("https://example.org/")   -- luatls's own, in a task
--
-- An https.Server is a tls.Server (SNI, ALPN, sessions, client
-- certificates: all of tls.createServer's options) whose secure
-- connections are served as http.Server's are (internal/http/server.lua).
-- The client is http's (internal/http/client.lua) over an https.Agent
-- (internal/http/agent.lua): tls.connect with every TLS option of the
-- request (ca, cert, key, servername, rejectUnauthorized, on by default,
-- ...), and TLS sessions resumed across the connections of one agent.
local errors = require("luatls.errors")
local tls = require("luatls.tls")
local httpServer = require("luatls.internal.http.server")
local client = require("luatls.internal.http.client")
local agent = require("luatls.internal.http.agent")

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

-- https.Agent: http.Agent's options, tls.connect's options for every
-- connection, maxCachedSessions (100)
M.Agent = agent.HttpsAgent
M.globalAgent = agent.httpsGlobalAgent

-- request(url | options[, options][, cb]), get(...): http's, over TLS;
-- fetch(url[, options]) -> res: http.fetch over TLS (luatls's own, not
-- Node's; inside a task)
client.addFaceFunctions(M, "https")

return M
