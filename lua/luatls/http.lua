-- luatls.http: Node's http module, HTTP/1.1 over luatls's sockets.
--
--   local http = require("http")
--   http.createServer(function(req, res)
--     res:writeHead(200, { ["Content-Type"] = "text/plain" })
--     res:done("hello\n")          -- Node's res.end(...): res:done(...)
--   end):listen(8000)
--
-- Requests are parsed in C by Debian's http-parser (src/http/parser.c):
-- a request's head reaches Lua as one table, its body as a Readable. The
-- machinery is under internal/http/: common.lua (methods, status texts,
-- header checks), incoming.lua (IncomingMessage), outgoing.lua
-- (OutgoingMessage), server.lua (ServerResponse, Server and what
-- https.Server shares).
local common = require("luatls.internal.http.common")
local server = require("luatls.internal.http.server")

local M = {}

M.METHODS = common.METHODS
M.STATUS_CODES = common.STATUS_CODES
-- the default of the maxHeaderSize option (and Node's --max-http-header-size)
M.maxHeaderSize = 16384

M.IncomingMessage = require("luatls.internal.http.incoming")
M.OutgoingMessage = require("luatls.internal.http.outgoing")
M.ServerResponse = server.ServerResponse
M.Server = server.Server

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
