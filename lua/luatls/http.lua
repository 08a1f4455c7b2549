-- luatls.http: Node's http module, HTTP/1.1 over luatls's sockets.
--
--   local http = require("http")
--   http.createServer(function(req, res)
--     res:writeHead(200, { ["Content-Type"] = "text/plain" })
--     res:done("hello\n")          -- Node's res.end(...): res:done(...)
--   end):listen(8000)
--
--   http.get("http://127.0.0.1:8000/", function(res)
--     res:setEncoding("utf8")
--     res:on("data", function(chunk) io.write(chunk) end)
--   end)
--
--   -- luatls's own (not Node's): inside a task, a whole response
--   local res = http.fetch("http://127.0.0.1:8000/")  -- res.status, res.headers, res.body
--
-- Messages are parsed in C by Debian's http-parser (src/http/parser.c): a
-- head reaches Lua as one table, a body as a Readable. The machinery is
-- under internal/http/: common.lua (methods, status texts, header checks),
-- incoming.lua (IncomingMessage), outgoing.lua (OutgoingMessage),
-- server.lua (ServerResponse, Server and what https.Server shares),
-- client.lua (ClientRequest, request/get/fetch), agent.lua (Agent and the
-- global agents).
local common = require("luatls.internal.http.common")
local server = require("luatls.internal.http.server")
local client = require("luatls.internal.http.client")
local agent = require("luatls.internal.http.agent")

local M = {}

M.METHODS = common.METHODS
M.STATUS_CODES = common.STATUS_CODES
-- the default of the maxHeaderSize option (and Node's --max-http-header-size)
M.maxHeaderSize = 16384

M.IncomingMessage = require("luatls.internal.http.incoming")
M.OutgoingMessage = require("luatls.internal.http.outgoing")
M.ServerResponse = server.ServerResponse
M.Server = server.Server

M.ClientRequest = client.ClientRequest
M.Agent = agent.Agent
-- the agent http.request uses when options.agent is nil (Node 20's:
-- keepAlive, 5 s timeout); a script may replace it
M.globalAgent = agent.globalAgent

-- request(url | options[, options][, cb]) -> ClientRequest: url a string
-- or a URL (luatls.url); cb listens for 'response'. Send the body with
-- req:write(...) and finish with req:done() (Node's req.end()).
-- get(...): request(...) with GET, ended at once.
-- fetch(url[, options]) -> res (luatls's own, not Node's; inside a task,
-- luatls.async): the request (request's options, and options.body: a
-- string to send), then the whole response read: res.status
-- (= res.statusCode), res.statusMessage, res.headers, res.body (a
-- string). Raises the error object when the request or the response
-- fails; options.timeout (ms without activity) fails it with ETIMEDOUT.
client.addFaceFunctions(M, "http")

-- createServer([options][, requestListener])
function M.createServer(options, listener)
  return server.Server.new(options, listener)
end

-- validateHeaderName(name[, label]), validateHeaderValue(name, value):
-- Node's checks, raising ERR_INVALID_HTTP_TOKEN, ERR_HTTP_INVALID_HEADER_VALUE,
-- ERR_INVALID_CHAR
function M.validateHeaderName(name, label)
  common.validateHeaderName(name, label, 2)
end

function M.validateHeaderValue(name, value)
  common.validateHeaderValue(name, value, 2)
end

return M
