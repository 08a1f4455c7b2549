-- luatls.internal.http.server: the HTTP/1.1 server (Node's
-- lib/_http_server.js): ServerResponse, http.Server (a net.Server) and
-- setup(), what https.Server (a tls.Server) shares with it.
--
-- Each connection has one parser (src/http/parser.c) fed the socket's
-- bytes (straight from its handle while nothing else reads the socket,
-- else its 'data': Connection:hook): a request's head comes to Lua as one
-- table, its body is pushed into the IncomingMessage (the socket pauses
-- while the reader is full); a request without a body is a lazy one, a
-- Readable only if a script uses it so (incoming.lua; quiet() below says
-- when one nobody used may skip its dump). Pipelined requests get their responses in
-- order: a response waits in the connection's queue until the one before
-- it finished. Timeouts: the socket's (server.timeout), keep-alive between
-- requests (keepAliveTimeout + keepAliveTimeoutBuffer, swept by a timer per
-- server: markIdle), and headersTimeout / requestTimeout, checked every
-- connectionsCheckingInterval over the connections with a request under way.
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local core = require("luatls.loop").core
local net = require("luatls.net")
local common = require("luatls.internal.http.common")
local IncomingMessage = require("luatls.internal.http.incoming")
local OutgoingMessage = require("luatls.internal.http.outgoing")

local nextTick = tick.nextTick
local STATUS_CODES = common.STATUS_CODES
-- code -> the status line with its standard message, made once
local STATUS_LINES = {}

local M = {}

-- ---- ServerResponse ------------------------------------------------------

local ServerResponse = OutgoingMessage:extend("ServerResponse")
M.ServerResponse = ServerResponse

function ServerResponse:init(req, options)
  OutgoingMessage.init(self, options)
  self.req = req
  if req.method == "HEAD" then self._hasBody = false end
  self.sendDate = true
  self.statusCode = 200
  self.statusMessage = nil
  self._sent100 = false
  self._expect_continue = false
  if req.httpVersionMajor < 1 or (req.httpVersionMajor == 1 and req.httpVersionMinor == 0) then
    -- an HTTP/1.0 client: no chunked framing unless it asked for it
    self.useChunkedEncodingByDefault = common.hasToken(req.headers.te, "chunked")
    self.shouldKeepAlive = false
  end
end

local function onServerResponseClose(socket)
  local res = socket._httpMessage
  if res then
    socket._httpMessage = nil
    res:emit("close")
  end
end

-- _attach(socket): the response goes out on socket now (the server's
-- connection emits its 'close' when the socket closes)
function ServerResponse:_attach(socket)
  rawset(socket, "_httpMessage", self)
  self.socket = socket
  self:emit("socket", socket)
  self:_flush()
end

-- assignSocket(socket): the same for a socket of the script's own, whose
-- 'close' is then the response's
function ServerResponse:assignSocket(socket)
  if socket._httpMessage then
    error(errors.new("ERR_HTTP_SOCKET_ASSIGNED", "ServerResponse has an already assigned socket"), 2)
  end
  self._closeListener = function() onServerResponseClose(socket) end
  socket:on("close", self._closeListener)
  self:_attach(socket)
end

function ServerResponse:detachSocket(socket)
  local listener = rawget(self, "_closeListener")
  if listener then socket:removeListener("close", listener) end
  socket._httpMessage = nil
  self.socket = nil
end

function ServerResponse:writeContinue(cb)
  self:_writeRaw("HTTP/1.1 100 Continue\r\n\r\n", cb)
  self._sent100 = true
end

function ServerResponse:writeProcessing(cb)
  self:_writeRaw("HTTP/1.1 102 Processing\r\n\r\n", cb)
end

-- writeEarlyHints(hints[, cb]): a 103 with hints.link (a string or a list)
-- and the other hints as headers
function ServerResponse:writeEarlyHints(hints, cb)
  if type(hints) ~= "table" then errors.invalidArgType("hints", "of type object", hints) end
  local link = hints.link
  if link == nil then return end
  local lines = { "HTTP/1.1 103 Early Hints\r\n" }
  local links = type(link) == "table" and link or { link }
  for _, l in ipairs(links) do
    common.validateHeaderValue("link", l, 2)
  end
  lines[#lines + 1] = "Link: " .. table.concat(links, ", ") .. "\r\n"
  for name, value in pairs(hints) do
    if name ~= "link" then
      common.validateHeaderName(name, nil, 2)
      common.validateHeaderValue(name, value, 2)
      lines[#lines + 1] = name .. ": " .. common.valueText(value) .. "\r\n"
    end
  end
  lines[#lines + 1] = "\r\n"
  self:_writeRaw(table.concat(lines), cb)
end

-- writeHead(statusCode[, statusMessage][, headers]) -> self
function ServerResponse:writeHead(statusCode, reason, headers)
  if self._header then error(errors.new("ERR_HTTP_HEADERS_SENT",
    "Cannot write headers after they are sent to the client"), 2) end
  if type(reason) == "table" then reason, headers = nil, reason end
  local code = tonumber(statusCode)
  if code == nil or code ~= math.floor(code) or code < 100 or code > 999 then
    errors.throw("ERR_HTTP_INVALID_STATUS_CODE", "Invalid status code: " .. tostring(statusCode),
      { name = "RangeError" }, 2)
  end
  code = math.tointeger(code)
  self.statusCode = code
  if reason ~= nil then
    self.statusMessage = tostring(reason)
  elseif not self.statusMessage then
    self.statusMessage = STATUS_CODES[code] or "unknown"
  end
  if common.hasInvalidChar(self.statusMessage) or self.statusMessage:find("[\r\n]") then
    errors.throw("ERR_INVALID_CHAR", 'Invalid character in statusMessage', { name = "TypeError" }, 2)
  end
  local merged
  if headers ~= nil then
    if type(headers) ~= "table" then errors.invalidArgType("headers", "of type object", headers) end
    if self._headers then
      -- setHeader's headers and writeHead's together (writeHead's win)
      if headers[1] ~= nil then
        for i = 1, #headers - 1, 2 do self:appendHeader(headers[i], headers[i + 1]) end
      else
        for name, value in pairs(headers) do self:setHeader(name, value) end
      end
    else
      merged = headers
    end
  end
  if code == 204 or code == 304 or (code >= 100 and code <= 199) then self._hasBody = false end
  if self._expect_continue and not self._sent100 then self.shouldKeepAlive = false end
  local message, line = self.statusMessage, nil
  if message == STATUS_CODES[code] then line = STATUS_LINES[code] end
  if not line then
    line = string.format("HTTP/1.1 %d %s\r\n", code, message)
    if message == STATUS_CODES[code] then STATUS_LINES[code] = line end
  end
  self:_storeHeader(line, merged)
  return self
end
ServerResponse.writeHeader = ServerResponse.writeHead

function ServerResponse:_implicitHeader()
  self:writeHead(self.statusCode)
end

-- ---- the connection ------------------------------------------------------

local requestTimeoutError = function()
  return errors.new("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout")
end

local RESPONSES = {
  HPE_HEADER_OVERFLOW = "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n",
  HPE_CHUNK_EXTENSIONS_OVERFLOW = "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n",
  ERR_HTTP_REQUEST_TIMEOUT = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
}
local BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"

-- an error on the connection (a parse error, a timeout, the socket's own):
-- 'clientError' if someone listens, else a 400 (431, 408) when no response
-- has started, and the socket destroyed
local function socketOnError(conn, err)
  local socket = conn.socket
  if conn.errored then return end
  conn.errored = true
  if socket:listenerCount("error") == 0 then socket:on("error", function() end) end
  local server = conn.server
  if server:listenerCount("clientError") > 0 then
    server:emit("clientError", err, socket)
    return
  end
  local res = socket._httpMessage
  if socket.writable and (not res or not res._headerSent) then
    socket:write(RESPONSES[err.code] or BAD_REQUEST)
  end
  socket:destroy(err)
end
M.socketOnError = socketOnError

local function abortIncoming(conn)
  local incoming = conn.incoming
  conn.incoming = {}
  for _, req in ipairs(incoming) do
    if not req.complete or not req:_ended() then req:destroy(IncomingMessage.aborted()) end
  end
end

local function isIdle(conn)
  return #conn.incoming == 0 and conn.socket._httpMessage == nil and #conn.outgoing == 0
end

local resOnFinish
local function finishHook(res) resOnFinish(rawget(res, "_conn"), res.req, res) end

-- the parser's events: each called with the connection first
local EVENTS = {}

function EVENTS.headers(conn, head)
  local server, socket = conn.server, conn.socket
  conn.headersStart = nil -- the head is complete
  local req
  if head.shouldKeepAlive and not head.upgrade and not head.chunked and (head.contentLength or 0) == 0 and
    server._IncomingMessage == IncomingMessage and IncomingMessage.lazyRequests then
    -- no body: a lazy request (incoming.lua), a Readable only if used so
    -- (not the connection's last: its response is never quiet, and a lazy
    -- request made real costs more than an eager one)
    req = IncomingMessage.lazy(socket, head, conn.resumeSource)
  else
    req = server._IncomingMessage.new(socket)
    req:_setHead(head)
    req._resumeSource = conn.resumeSource
  end
  conn.current = req
  conn.incoming[#conn.incoming + 1] = req

  if req.upgrade then
    -- CONNECT always; an Upgrade only when someone listens for it (else
    -- it is served as a plain request)
    req.upgrade = req.method == "CONNECT" or server:listenerCount("upgrade") > 0
    if req.upgrade then
      conn.upgrading = req
      return true
    end
  end

  conn.requestsCount = conn.requestsCount + 1
  local res = server._ServerResponse.new(req, conn.responseOptions)
  res.shouldKeepAlive = res.shouldKeepAlive and head.shouldKeepAlive
  res._keepAliveTimeout = server.keepAliveTimeout or 0
  res._maxRequestsPerSocket = server.maxRequestsPerSocket
  local max = server.maxRequestsPerSocket or 0
  if max > 0 and conn.requestsCount >= max then res.maxRequestsOnConnectionReached = true end

  rawset(res, "_conn", conn)
  res._finishHook = finishHook
  if rawget(socket, "_httpMessage") then
    conn.outgoing[#conn.outgoing + 1] = res
    -- too many responses waiting: stop reading until they went out
    if #conn.outgoing > 16 then conn:pause() end
  else
    res:_attach(socket)
  end

  if max > 0 and conn.requestsCount > max then
    res:writeHead(503)
    res:done()
    server:emit("dropRequest", req, socket)
    return false
  end

  if server.requireHostHeader and req.httpVersionMajor == 1 and req.httpVersionMinor == 1 and
    req.headers.host == nil then
    res:writeHead(400, { "Connection", "close" })
    res:done()
    return false
  end

  local expect = req.headers.expect
  if expect ~= nil and req.httpVersionMajor == 1 and req.httpVersionMinor == 1 then
    if common.hasToken(expect, "100-continue") then
      res._expect_continue = true
      if server:listenerCount("checkContinue") > 0 then
        server:emit("checkContinue", req, res)
      else
        res:writeContinue()
        server:emit("request", req, res)
      end
    elseif server:listenerCount("checkExpectation") > 0 then
      server:emit("checkExpectation", req, res)
    else
      res:writeHead(417)
      res:done()
    end
  else
    server:emit("request", req, res)
  end
  return false
end

function EVENTS.body(conn, chunk)
  local req = conn.current
  if not req then return end
  if not req:_bodyPush(chunk) then conn:pause() end
end

function EVENTS.complete(conn, trailers)
  local req = conn.current
  conn.current = nil
  conn.requestStart = nil
  if not req then return end
  if IncomingMessage.lazyComplete(req) then return end
  req:_setTrailers(trailers)
  req.complete = true
  req:_bodyEnd()
  -- the socket paused for a reader that was full reads on now: the next
  -- request comes after this one (as Node's parserOnMessageComplete; the
  -- reader's _read, which resumed it, is never called on an ended stream)
  if #conn.outgoing <= 16 then conn:resume() end
end

local function emitClose(res) res:emit("close") end

-- quiet(conn, res): whether, once resOnFinish is done, no script code can
-- run before the queue of ticks is empty: then a lazy request nobody used
-- may skip its dump and the response its 'close' tick (they would have
-- run unseen). Nothing queued but
-- reserved places, no listener of the response's 'finish' (yet to be
-- emitted) or 'close' (its tick), no response waiting for the socket, the
-- socket not about to end or be destroyed and no 'drain' to come.
local function quiet(conn, res)
  return #conn.outgoing == 0 and not res._last and not conn.server._httpClosing and
    res:listenerCount("finish") == 0 and res:listenerCount("close") == 0 and
    not conn.socket.writableNeedDrain and tick.onlyReserved()
end

-- before the response's 'finish' listeners (as Node's own listener, the
-- first): the next response, or the connection idle or ended
resOnFinish = function(conn, req, res)
  local socket = conn.socket
  for i, r in ipairs(conn.incoming) do
    if r == req then
      table.remove(conn.incoming, i)
      break
    end
  end
  -- a body nobody read is discarded, so the connection can go on (a lazy
  -- request nobody used is settled instead, when nobody can see it)
  local settled = IncomingMessage.isLazy(req) and quiet(conn, res) and IncomingMessage.lazySettle(req)
  if not settled then req:_dumpUnread() end
  res:detachSocket(socket)
  -- (quiet: the response's 'close' has no listener, and none can come
  -- before its tick would run)
  if not settled then nextTick(emitClose, res) end
  if res._last then
    socket:destroySoon()
  elseif #conn.outgoing == 0 then
    if not conn.current then M.markIdle(conn) end
  else
    local nextRes = table.remove(conn.outgoing, 1)
    nextRes:assignSocket(socket)
    if #conn.outgoing <= 16 and not conn.current then conn:resume() end
  end
end

local function onParseError(conn, err, data)
  err.rawPacket = data
  socketOnError(conn, err)
end

-- the bytes after an upgrade's or a CONNECT's head go with the event
local function upgrade(conn, req, head)
  local server, socket = conn.server, conn.socket
  conn.detached = true
  conn:unhook()
  -- nothing reads the socket until the event's listener does (its bytes
  -- wait in the socket's buffer)
  socket.readableFlowing = nil
  server._httpConnections[conn] = nil
  for i, r in ipairs(conn.incoming) do
    if r == req then table.remove(conn.incoming, i) break end
  end
  local eventName = req.method == "CONNECT" and "connect" or "upgrade"
  if eventName == "upgrade" or server:listenerCount(eventName) > 0 then
    socket:setTimeout(0)
    server:emit(eventName, req, socket, head)
  else
    socket:destroy()
  end
end

local function onData(conn, data)
  local parser = conn.parser
  if conn.idleSince then
    conn.idleSince = false -- (bytes came: not idle any more)
    -- server.timeout again, as Node's resetSocketTimeout
    if conn.timeoutOff then
      conn.timeoutOff = false
      conn.socket:setTimeout(conn.server.timeout)
    end
  end
  if conn.headersStart == nil and conn.current == nil then
    conn.headersStart = core.hrtime()
    conn.requestStart = conn.headersStart
  end
  while true do
    local n, err = parser:execute(data)
    if n == nil then return onParseError(conn, err, data) end
    local req = conn.upgrading
    if req then
      conn.upgrading = nil
      return upgrade(conn, req, data:sub(n + 1))
    end
    if n >= #data or conn.errored or conn.socket.destroyed then return end
    if not parser:upgraded() then return end
    -- the parser stops after an Upgrade's head; nobody took it, so the
    -- bytes after it are the next request
    parser:reset("request", conn)
    data = data:sub(n + 1)
  end
end

local function onEnd(conn)
  local socket = conn.socket
  local ok, err = conn.parser:finish()
  if ok == nil and err then return onParseError(conn, err, "") end
  abortIncoming(conn)
  if socket.writable then socket:done() end
end

local function onClose(conn)
  conn:unhook()
  conn.server._httpConnections[conn] = nil
  abortIncoming(conn)
  local socket = conn.socket
  local current = rawget(socket, "_httpMessage")
  if current and rawget(current, "_conn") == conn then
    socket._httpMessage = nil
    current:emit("close")
  end
  for _, res in ipairs(conn.outgoing) do res:emit("close") end
  conn.outgoing = {}
end

local function onTimeout(conn)
  local socket = conn.socket
  local req = conn.current
  local reqTimeout = req and not req.complete and req:emit("timeout", socket)
  local res = socket._httpMessage
  local resTimeout = res and res:emit("timeout", socket)
  local serverTimeout = conn.server:emit("timeout", socket)
  if not reqTimeout and not resTimeout and not serverTimeout then socket:destroy() end
end

local Connection = {}
Connection.__index = Connection

-- pause(), resume(): flow control of the socket's reads (the body's
-- reader is full, or too many responses wait)
function Connection:pause()
  if self.paused then return end
  self.paused = true
  -- (taking the chunks: the sink's false stops the reads)
  if not self.resumeChunks then self.socket:pause() end
end

function Connection:resume()
  if not self.paused then return end
  self.paused = false
  if self.resumeChunks then self.resumeChunks() else self.socket:resume() end
end

-- the socket's bytes come to onData: taken straight from the handle while
-- nothing else reads the socket (Readable's _takeChunks seam: no push, no
-- 'data'), else through 'data' (also once something else starts reading)
function Connection:hook()
  local socket = self.socket
  local ok, resume = socket:_takeChunks(function(chunk)
    self.onData(chunk)
    return not self.paused
  end, function()
    self.resumeChunks = nil
    socket:on("data", self.onData)
    if self.paused then socket:pause() end
  end)
  if ok then
    self.resumeChunks = resume
  else
    socket:on("data", self.onData)
  end
end

function Connection:unhook()
  local socket = self.socket
  if self.resumeChunks then
    self.resumeChunks = nil
    socket:_dropChunks(false)
  end
  socket:removeListener("data", self.onData)
  socket:removeListener("end", self.onEnd)
  socket:removeListener("timeout", self.onTimeout)
  socket:removeListener("drain", self.onDrain)
end

-- connectionListener(server, socket): serve HTTP on a connected socket
function M.connectionListener(server, socket)
  local conn = setmetatable({
    server = server, socket = socket, incoming = {}, outgoing = {}, requestsCount = 0,
    paused = false, idleSince = false, timeoutOff = false, errored = false,
  }, Connection)
  conn.parser = core.http_parser("request", EVENTS, conn, {
    maxHeaderSize = server.maxHeaderSize,
    -- (Node's default: 2000 names and values, so 1000 headers)
    maxHeadersCount = server.maxHeadersCount or 1000,
  })
  conn.onData = function(data) onData(conn, data) end
  conn.resumeSource = function() conn:resume() end
  conn.onEnd = function() onEnd(conn) end
  conn.onTimeout = function() onTimeout(conn) end
  conn.onDrain = function() OutgoingMessage.socketOnDrain(socket) end
  conn.responseOptions = { highWaterMark = socket.writableHighWaterMark,
    rejectNonStandardBodyWrites = server.rejectNonStandardBodyWrites }
  server._httpConnections[conn] = true
  if server.timeout and server.timeout > 0 then socket:setTimeout(server.timeout) end
  if server.noDelay ~= false and socket.setNoDelay then socket:setNoDelay(true) end
  if server.keepAlive and socket.setKeepAlive then socket:setKeepAlive(true, server.keepAliveInitialDelay) end
  conn:hook()
  socket:on("end", conn.onEnd)
  socket:on("timeout", conn.onTimeout)
  socket:on("drain", conn.onDrain)
  socket:on("error", function(err) if not conn.detached then socketOnError(conn, err) end end)
  socket:on("close", function() if not conn.detached then onClose(conn) end end)
  conn.headersStart = core.hrtime()
  conn.requestStart = conn.headersStart
end

-- keep-alive: a connection whose last response is done and that has no
-- request under way times out keepAliveTimeout + keepAliveTimeoutBuffer
-- after it went idle (Node 20.20's socket timeout; Keep-Alive: timeout=
-- advertises keepAliveTimeout alone, so clients stop first). One
-- timer per server sweeps the idle ones every eighth of the timeout (at
-- least 10 ms), where Node arms and disarms a socket timer around every
-- request; an expired one gets the socket's 'timeout', as its own timer
-- would give it. The timer runs only while some connection is idle.
local function idleLimit(server)
  local ka = server.keepAliveTimeout or 0
  if ka <= 0 then return 0 end
  return ka + (server.keepAliveTimeoutBuffer or 0)
end

local function sweepIdle(server)
  local ka = idleLimit(server)
  local now, left = core.hrtime(), false
  for conn in pairs(server._httpConnections) do
    local since = conn.idleSince
    if since then
      if ka <= 0 or now - since >= ka * 1e6 then
        conn.idleSince = false
        if ka > 0 then conn.socket:emit("timeout") end
      else
        left = true
      end
    end
  end
  if not left and server._idleTimer then
    server._idleTimer:stop()
    server._idleEvery = false
  end
end

function M.markIdle(conn)
  local server = conn.server
  if conn.socket.destroyed then return end
  -- a server closing keeps no idle connection (as its close() closed
  -- those idle then)
  if server._httpClosing then return conn.socket:destroy() end
  local ka = idleLimit(server)
  if ka <= 0 then return end
  conn.idleSince = core.hrtime()
  -- while idle, keepAliveTimeout stands in for server.timeout (Node sets
  -- the socket's timeout to it)
  if (server.timeout or 0) > 0 then
    conn.socket:setTimeout(0)
    conn.timeoutOff = true
  end
  local every = math.max(10, ka // 8)
  if server._idleEvery == every then return end
  local timer = server._idleTimer
  if not timer then
    timer = core.timer_new()
    timer:unref()
    server._idleTimer = timer
  end
  server._idleEvery = every
  timer:start(every, every, server._sweepIdle)
end

-- every connectionsCheckingInterval: requests whose head (headersTimeout)
-- or whole (requestTimeout) is late get a 408
local function checkConnections(server)
  local now = core.hrtime()
  local headersTimeout = (server.headersTimeout or 0) * 1e6
  local requestTimeout = (server.requestTimeout or 0) * 1e6
  for conn in pairs(server._httpConnections) do
    local late = (headersTimeout > 0 and conn.headersStart and now - conn.headersStart > headersTimeout) or
      (requestTimeout > 0 and conn.requestStart and now - conn.requestStart > requestTimeout)
    if late and not conn.errored then
      conn.headersStart, conn.requestStart = nil, nil
      socketOnError(conn, requestTimeoutError())
    end
  end
end

-- ---- the server's options and methods (http.Server and https.Server) -----

local function checkTimeoutOption(options, name, default)
  local v = options[name]
  if v == nil then return default end
  errors.checkInteger(v, "options." .. name, 0, nil, 4)
  return v
end

local function setOption(options, name, check)
  local v = options[name]
  if v ~= nil then check(v) end
  return v
end

-- setup(server, options, requestListener): what http.Server and
-- https.Server share (Node's storeHTTPOptions and the constructor's rest)
function M.setup(server, options, requestListener)
  options = options or {}
  if options.insecureHTTPParser then
    error(errors.unavailable("http option 'insecureHTTPParser'", { option = "insecureHTTPParser" }), 3)
  end
  server._IncomingMessage = options.IncomingMessage or IncomingMessage
  server._ServerResponse = options.ServerResponse or ServerResponse
  server.maxHeaderSize = setOption(options, "maxHeaderSize", function(v)
    errors.checkInteger(v, "maxHeaderSize", 0, nil, 5)
  end)
  server.requestTimeout = checkTimeoutOption(options, "requestTimeout", 300000)
  server.headersTimeout = checkTimeoutOption(options, "headersTimeout", 60000)
  if server.requestTimeout > 0 and server.headersTimeout > 0 and server.headersTimeout > server.requestTimeout then
    errors.throw("ERR_OUT_OF_RANGE", 'The value of "headersTimeout" is out of range. It must be <= "requestTimeout". '
      .. "Received " .. server.headersTimeout, { name = "RangeError" }, 3)
  end
  server.connectionsCheckingInterval = checkTimeoutOption(options, "connectionsCheckingInterval", 30000)
  server.joinDuplicateHeaders = options.joinDuplicateHeaders
  server.rejectNonStandardBodyWrites = options.rejectNonStandardBodyWrites == true
  server.requireHostHeader = options.requireHostHeader ~= false
  server.noDelay = options.noDelay ~= false
  server.keepAlive = options.keepAlive == true
  server.keepAliveInitialDelay = options.keepAliveInitialDelay or 0
  server.timeout = 0
  server.keepAliveTimeout = options.keepAliveTimeout or 5000
  server.keepAliveTimeoutBuffer = checkTimeoutOption(options, "keepAliveTimeoutBuffer", 1000)
  server.maxHeadersCount = nil
  server.maxRequestsPerSocket = 0
  server.httpAllowHalfOpen = false
  server._httpConnections = {}
  if requestListener ~= nil then
    if type(requestListener) ~= "function" then
      errors.invalidArgType("requestListener", "of type function", requestListener, 3)
    end
    server:on("request", requestListener)
  end
  server._httpClosing = false
  server:on("listening", function()
    server._httpClosing = false
    if server.connectionsCheckingInterval > 0 and not server._checkTimer then
      local timer = core.timer_new()
      timer:unref()
      local ms = server.connectionsCheckingInterval
      timer:start(ms, ms, function() checkConnections(server) end)
      server._checkTimer = timer
    end
  end)
  server._sweepIdle = function() sweepIdle(server) end
  server._idleEvery = false
  server:on("close", function()
    if server._checkTimer then
      server._checkTimer:close()
      server._checkTimer = nil
    end
    if server._idleTimer then
      server._idleTimer:close()
      server._idleTimer = nil
      server._idleEvery = false
    end
  end)
end

-- addMethods(Class, Parent): the methods http.Server and https.Server
-- both have, on Class (Parent: the class whose close() stops listening)
function M.addMethods(Class, Parent)
  -- setTimeout([ms][, cb]): server.timeout for the connections to come
  function Class:setTimeout(ms, cb)
    if type(ms) == "function" then ms, cb = nil, ms end
    self.timeout = ms or 0
    if cb then self:on("timeout", cb) end
    return self
  end

  function Class:closeAllConnections()
    for conn in pairs(self._httpConnections) do conn.socket:destroy() end
  end

  function Class:closeIdleConnections()
    for conn in pairs(self._httpConnections) do
      if isIdle(conn) then conn.socket:destroy() end
    end
  end

  -- close([cb]): stop listening and close the idle connections (Node 19+)
  function Class:close(cb)
    self._httpClosing = true
    self:closeIdleConnections()
    if self._checkTimer then
      self._checkTimer:close()
      self._checkTimer = nil
    end
    return Parent.close(self, cb)
  end
end

-- ---- http.Server ---------------------------------------------------------

local Server = net.Server:extend("Server")
M.Server = Server

-- http.createServer([options][, requestListener])
function Server:init(options, requestListener)
  if type(options) == "function" then options, requestListener = nil, options end
  if options ~= nil and type(options) ~= "table" then errors.invalidArgType("options", "of type object", options) end
  options = options or {}
  net.Server.init(self, { allowHalfOpen = true, highWaterMark = options.highWaterMark })
  M.setup(self, options, requestListener)
  self:on("connection", function(socket) M.connectionListener(self, socket) end)
end

M.addMethods(Server, net.Server)

return M
