-- luatls.internal.http.client: the HTTP/1.1 client (Node 20's
-- lib/_http_client.js): ClientRequest, an OutgoingMessage
-- (internal/http/outgoing.lua) whose head is "METHOD path HTTP/1.1", the
-- request/get forms the http and https faces share, and fetch (luatls's
-- own: a whole response inside a task).
--
-- A request gets its socket from its agent (internal/http/agent.lua), or
-- from options.createConnection / net.createConnection without one. Once
-- it has one, a response parser (src/http/parser.c, one per request) reads
-- the socket's 'data': a 1xx head is an 'information' event (and
-- 'continue' for 100), the final head a 'response' with an
-- IncomingMessage (internal/http/incoming.lua) the body is pushed into
-- (the socket pauses while its reader is full); a 101 or the answer to a
-- CONNECT hands the socket over ('upgrade', 'connect'). When the response
-- ended and the request finished, a kept-alive socket goes back to the
-- agent ('free'); else it closes. A socket that ends or closes before a
-- response is a "socket hang up" (ECONNRESET), as Node's.
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local buffer = require("luatls.buffer")
local net = require("luatls.net")
local stream = require("luatls.stream")
local core = require("luatls.loop").core
local common = require("luatls.internal.http.common")
local IncomingMessage = require("luatls.internal.http.incoming")
local OutgoingMessage = require("luatls.internal.http.outgoing")
local agents = require("luatls.internal.http.agent")

local nextTick = tick.nextTick

local M = {}

local ClientRequest = OutgoingMessage:extend("ClientRequest")
M.ClientRequest = ClientRequest

local function connReset(message)
  return errors.new("ECONNRESET", message)
end

local copy = agents.copy

-- a URL object (luatls.url's URL) or not; the url module is loaded when a
-- request first needs it
local urlModule
local function url()
  urlModule = urlModule or require("luatls.url")
  return urlModule
end
local function isURL(v)
  return type(v) == "table" and package.loaded["luatls.url"] ~= nil and EventEmitter.instanceOf(v, url().URL)
end

-- getTimerDuration(v, name): a non-negative finite number of milliseconds
local function timerDuration(v, name, level)
  if type(v) ~= "number" then errors.invalidArgType(name, "of type number", v, level + 1) end
  if v ~= v or v < 0 or v == math.huge then
    errors.outOfRange(name, "a non-negative finite number", v, level + 1)
  end
  return v
end

local function validateBoolean(v, name, level)
  if v ~= nil and type(v) ~= "boolean" then errors.invalidArgType(name, "of type boolean", v, level + 1) end
end

-- a host option, checked; "" counts as not given (JavaScript's falsy)
local function validateHost(host, name, level)
  if host ~= nil and type(host) ~= "string" then
    errors.invalidArgType("options." .. name, "of type string or one of undefined or null", host, level + 1)
  end
  if host == "" then return nil end
  return host
end

-- Node's INVALID_PATH_REGEX, /[^\u0021-\u00ff]/: no control characters or
-- spaces, and (for a path that is UTF-8 text) no character above U+00FF
local function invalidPath(path)
  if path:find("[%z\1-\32]") then return true end
  if path:find("[\128-\255]") and utf8.len(path) then
    for _, c in utf8.codes(path) do
      if c > 0xFF then return true end
    end
  end
  return false
end

local NO_CHUNKED = { GET = true, HEAD = true, DELETE = true, OPTIONS = true, TRACE = true, CONNECT = true }

-- the headers with every duplicate joined (joinDuplicateHeaders): ", "
-- (cookie: "; "), set-cookie a list
local function joinAll(raw)
  local out = {}
  for i = 1, #raw - 1, 2 do
    local name, value = raw[i]:lower(), raw[i + 1]
    local have = out[name]
    if name == "set-cookie" then
      if have then have[#have + 1] = value else out[name] = { value } end
    elseif have == nil then
      out[name] = value
    else
      out[name] = have .. (name == "cookie" and "; " or ", ") .. value
    end
  end
  return out
end

-- ClientRequest.new(url | options[, options][, cb]): see the top; Node's
-- options and checks
function ClientRequest:init(input, options, cb)
  OutgoingMessage.init(self)
  local level = 4
  if type(input) == "string" then
    input = url().urlToHttpOptions(url().URL.new(input))
  elseif isURL(input) then
    input = url().urlToHttpOptions(input)
  else
    cb, options, input = options, input, nil
  end
  if type(options) == "function" then
    cb = options
    options = copy(input)
  else
    if options ~= nil and type(options) ~= "table" then options = nil end
    local merged = input or {}
    for k, v in pairs(options or {}) do merged[k] = v end
    options = merged
  end

  local agent = options.agent
  local defaultAgent = options._defaultAgent or agents.globalAgent
  if agent == false then
    agent = getmetatable(defaultAgent).new()
  elseif agent == nil then
    if type(options.createConnection) ~= "function" then agent = defaultAgent end
  elseif type(agent) ~= "table" or type(agent.addRequest) ~= "function" then
    errors.invalidArgType("options.agent", "one of Agent-like Object, undefined, or false", agent, level)
  end
  self.agent = agent

  local protocol = options.protocol or defaultAgent.protocol
  local expectedProtocol = defaultAgent.protocol
  if agent and agent.protocol then expectedProtocol = agent.protocol end
  if options.path ~= nil and options.path ~= "" then
    if invalidPath(tostring(options.path)) then
      errors.throw("ERR_UNESCAPED_CHARACTERS", "Request path contains unescaped characters",
        { name = "TypeError" }, level)
    end
  end
  if protocol ~= expectedProtocol then
    errors.throw("ERR_INVALID_PROTOCOL", string.format('Protocol "%s" not supported. Expected "%s"',
      tostring(protocol), tostring(expectedProtocol)), { name = "TypeError" }, level)
  end

  local defaultPort = options.defaultPort or (agent and agent.defaultPort)
  local connectOptions = copy(options)
  -- (0 and "" count as not given, as in JavaScript)
  local port = options.port
  if port == nil or port == 0 or port == "" then port = defaultPort or 80 end
  local host = validateHost(options.hostname, "hostname", level) or validateHost(options.host, "host", level)
    or "localhost"
  connectOptions.port, connectOptions.host = port, host
  local setHost = options.setHost == nil or (options.setHost and options.setHost ~= 0 and options.setHost ~= "")
  self.socketPath = options.socketPath
  if options.timeout ~= nil then self.timeout = timerDuration(options.timeout, "timeout", level) end
  if options.signal ~= nil then
    error(errors.unavailable("http option 'signal'", { option = "signal" }), level)
  end

  local method = options.method
  if method ~= nil and type(method) ~= "string" then
    errors.invalidArgType("options.method", "of type string", method, level)
  end
  if method and method ~= "" then
    if not common.isToken(method) then
      errors.throw("ERR_INVALID_HTTP_TOKEN", string.format('Method must be a valid HTTP token ["%s"]', method),
        { name = "TypeError" }, level)
    end
    method = method:upper()
  else
    method = "GET"
  end
  self.method = method

  if options.maxHeaderSize ~= nil then errors.checkInteger(options.maxHeaderSize, "maxHeaderSize", 0, nil, level) end
  self.maxHeaderSize = options.maxHeaderSize
  validateBoolean(options.insecureHTTPParser, "options.insecureHTTPParser", level)
  if options.insecureHTTPParser then
    error(errors.unavailable("http option 'insecureHTTPParser'", { option = "insecureHTTPParser" }), level)
  end
  self.insecureHTTPParser = options.insecureHTTPParser
  validateBoolean(options.joinDuplicateHeaders, "options.joinDuplicateHeaders", level)
  self.joinDuplicateHeaders = options.joinDuplicateHeaders

  local path = options.path
  if path == nil or path == "" then path = "/" end
  self.path = tostring(path)
  if cb ~= nil then self:once("response", cb) end
  self.useChunkedEncodingByDefault = not NO_CHUNKED[method]

  self._ended = false
  self.res = nil
  self.aborted = false
  self.timeoutCb = nil
  self.upgradeOrConnect = false
  self.parser = nil
  self.maxHeadersCount = nil
  self.reusedSocket = false
  self.host = host
  self.protocol = protocol

  if agent then
    -- keep-alive only when the agent may reuse the socket
    if not agent.keepAlive and agent.maxSockets == math.huge then
      self._last = true
      self.shouldKeepAlive = false
    else
      self._last = false
      self.shouldKeepAlive = true
    end
  end

  local headers = options.headers
  if headers ~= nil and type(headers) ~= "table" then headers = nil end
  if headers == nil or headers[1] == nil then
    if headers then
      -- (a map has no order: the names are set sorted, for a stable head)
      local names = {}
      for name in pairs(headers) do names[#names + 1] = name end
      table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
      for _, name in ipairs(names) do self:setHeader(name, headers[name]) end
    end
    if host and not self:getHeader("host") and setHost then
      local hostHeader = host
      -- an IPv6 address goes in brackets
      local colon = hostHeader:find(":", 1, true)
      if colon and hostHeader:find(":", colon + 1, true) and hostHeader:sub(1, 1) ~= "[" then
        hostHeader = "[" .. hostHeader .. "]"
      end
      if port and tonumber(port) ~= defaultPort then hostHeader = hostHeader .. ":" .. tostring(port) end
      self:setHeader("Host", hostHeader)
    end
    if options.auth and not self:getHeader("Authorization") then
      self:setHeader("Authorization", "Basic " .. buffer.toBase64(tostring(options.auth)))
    end
    if self:getHeader("expect") then
      self:_storeHeader(self.method .. " " .. self.path .. " HTTP/1.1\r\n", nil)
    end
  else
    self:_storeHeader(self.method .. " " .. self.path .. " HTTP/1.1\r\n", headers)
  end

  connectOptions.signal = nil
  if agent then
    agent:addRequest(self, connectOptions)
  else
    -- no agent: Connection: close
    self._last = true
    self.shouldKeepAlive = false
    connectOptions.path = connectOptions.socketPath
    if type(connectOptions.createConnection) == "function" then
      local called = false
      local function oncreate(err, socket)
        if called then return end
        called = true
        if err then
          nextTick(function() self:emit("error", err) end)
        else
          self:onSocket(socket)
        end
      end
      local ok, newSocket = pcall(connectOptions.createConnection, connectOptions, oncreate)
      if not ok then
        oncreate(newSocket)
      elseif newSocket then
        oncreate(nil, newSocket)
      end
    else
      self:onSocket(net.createConnection(connectOptions))
    end
  end
end

function ClientRequest:__tostring() return "ClientRequest" end

function ClientRequest:_implicitHeader()
  if self._header then
    error(errors.new("ERR_HTTP_HEADERS_SENT", "Cannot render headers after they are sent to the client"), 3)
  end
  self:_storeHeader(self.method .. " " .. self.path .. " HTTP/1.1\r\n", nil)
end

-- abort() (deprecated: destroy()): 'abort', then destroyed without an error
function ClientRequest:abort()
  if self.aborted then return end
  self.aborted = true
  nextTick(function() self:emit("abort") end)
  self:destroy()
end

-- destroy([err]): the socket is destroyed with err; a response being read
-- is dumped
function ClientRequest:destroy(err)
  if self.destroyed then return self end
  self.destroyed = true
  if self.res then self.res:_dump() end
  self._destroyError = err
  if self.socket then self.socket:destroy(err) end
  return self
end

-- ---- the socket's listeners ----------------------------------------------

local function statusIsInformational(status)
  return status >= 100 and status < 200 and status ~= 101
end

local function freeParser(conn)
  conn.parser = nil
  conn.req.parser = nil
end

local function emitFree(req)
  req._closed = true
  req:emit("close")
  if req.socket then req.socket:emit("free") end
end

-- the response ended and the request finished: the socket goes back to
-- the agent (after the 'end' listeners ran)
local function responseKeepAlive(conn)
  local req, socket = conn.req, conn.socket
  if req.timeoutCb then
    socket:setTimeout(0, req.timeoutCb)
    req.timeoutCb = nil
  end
  socket:removeListener("close", conn.onClose)
  socket:removeListener("error", conn.onError)
  socket:removeListener("data", conn.onData)
  socket:removeListener("end", conn.onEnd)
  nextTick(emitFree, req)
  req.destroyed = true
  -- (so that destroying the response does not destroy the freed socket)
  if req.res then req.res.socket = nil end
end

local function responseOnEnd(conn)
  local req, socket = conn.req, conn.socket
  if req.timeoutCb then socket:removeListener("timeout", req.timeoutCb) end
  socket:removeListener("timeout", conn.onResTimeout)
  req._ended = true
  if not req.shouldKeepAlive then
    if socket.writable then socket:destroySoon() end
  elseif req.writableFinished and not req.res.aborted then
    responseKeepAlive(conn)
  end
end

-- a response came before the request finished: keep-alive once it has
local function requestOnFinish(conn)
  local req = conn.req
  if req.shouldKeepAlive and req._ended then responseKeepAlive(conn) end
end

-- the parser's events, each called with the request's connection record
local EVENTS = {}

-- a message head: 1xx information, or the response (Node's
-- parserOnIncomingClient): true skips the body, 2 hands the socket over
function EVENTS.headers(conn, head)
  local req, socket = conn.req, conn.socket
  local res = IncomingMessage.new(socket)
  res:_setHead(head)
  if req.joinDuplicateHeaders then
    res.joinDuplicateHeaders = true
    res.headers = joinAll(res.rawHeaders)
  end
  conn.incoming = res
  if req.res then
    -- a second response to one request
    socket:destroy()
    return false
  end
  req.res = res
  if res.upgrade then return 2 end
  local method = req.method
  if method == "CONNECT" then
    res.upgrade = true
    return 2
  end
  local status = res.statusCode
  if statusIsInformational(status) then
    req.res = nil
    if status == 100 then req:emit("continue") end
    req:emit("information", {
      statusCode = status, statusMessage = res.statusMessage, httpVersion = res.httpVersion,
      httpVersionMajor = res.httpVersionMajor, httpVersionMinor = res.httpVersionMinor,
      headers = res.headers, rawHeaders = res.rawHeaders,
    })
    return true
  end
  if req.shouldKeepAlive and not head.shouldKeepAlive and not req.upgradeOrConnect then
    -- the server must answer keep-alive for the socket to be reused
    req.shouldKeepAlive = false
  end
  res.req = req
  res._resumeSource = function()
    if conn.paused then
      conn.paused = false
      socket:resume()
    end
  end
  res:on("end", function() responseOnEnd(conn) end)
  req:on("finish", function() requestOnFinish(conn) end)
  socket:on("timeout", conn.onResTimeout)
  -- a response nobody listens for is read and dropped, so the socket goes on
  if req.aborted or not req:emit("response", res) then res:_dump() end
  if method == "HEAD" then return true end
  if status == 304 then
    res.complete = true
    return true
  end
  return false
end

function EVENTS.body(conn, chunk)
  local res = conn.incoming
  if not res or res._dumped then return end
  if not res:push(chunk) and not conn.paused then
    conn.paused = true
    conn.socket:pause()
  end
end

function EVENTS.complete(conn, trailers)
  local res = conn.incoming
  if res then
    res.complete = true
    if not statusIsInformational(res.statusCode) then
      if trailers then
        res.rawTrailers = trailers.raw
        res.trailers = res.joinDuplicateHeaders and joinAll(trailers.raw) or trailers.headers
      end
      res:push(nil)
    end
  end
  -- the next message is read (a paused socket resumes)
  if conn.paused then
    conn.paused = false
    conn.socket:resume()
  end
end

local function socketOnData(conn, d)
  local req, socket, parser = conn.req, conn.socket, conn.parser
  if not parser then return end
  local n, err = parser:execute(d)
  if n == nil then
    err.rawPacket = d
    freeParser(conn)
    socket:removeListener("data", conn.onData)
    socket:removeListener("end", conn.onEnd)
    socket:destroy()
    common.markFailed(socket)
    req:emit("error", err)
    return
  end
  local res = conn.incoming
  if res and res.upgrade then
    -- a 101 or the answer to a CONNECT: the socket and the bytes after
    -- the head go to the 'upgrade' / 'connect' listener
    req.res = res
    socket:removeListener("data", conn.onData)
    socket:removeListener("end", conn.onEnd)
    socket:removeListener("drain", conn.onDrain)
    if req.timeoutCb then socket:removeListener("timeout", req.timeoutCb) end
    socket:removeListener("timeout", conn.onResTimeout)
    parser:finish()
    freeParser(conn)
    local bodyHead = d:sub(n + 1)
    local eventName = req.method == "CONNECT" and "connect" or "upgrade"
    if req:listenerCount(eventName) > 0 then
      req.upgradeOrConnect = true
      socket:emit("agentRemove")
      socket:removeListener("close", conn.onClose)
      socket:removeListener("error", conn.onError)
      socket._httpMessage = nil
      -- nothing reads the socket until the listener does
      socket.readableFlowing = nil
      if conn.paused then conn.paused = false end
      req:emit(eventName, res, socket, bodyHead)
      req.destroyed = true
      req._closed = true
      req:emit("close")
    else
      socket:destroy()
    end
  elseif res and res.complete and not statusIsInformational(res.statusCode) then
    socket:removeListener("data", conn.onData)
    socket:removeListener("end", conn.onEnd)
    socket:removeListener("drain", conn.onDrain)
    freeParser(conn)
  end
end

local function socketOnEnd(conn)
  local req, socket, parser = conn.req, conn.socket, conn.parser
  if not req.res and not common.hasFailed(socket) then
    -- the server closed before it answered
    common.markFailed(socket)
    req:emit("error", connReset("socket hang up"))
  end
  if parser then
    parser:finish()
    freeParser(conn)
  end
  socket:destroy()
end

local function socketCloseListener(conn)
  local req, socket, parser = conn.req, conn.socket, conn.parser
  local res = req.res
  req.destroyed = true
  if res then
    if not res.complete then res:destroy(connReset("aborted")) end
    req._closed = true
    req:emit("close")
    if not res.aborted and res.readable then res:push(nil) end
  else
    if not common.hasFailed(socket) then
      common.markFailed(socket)
      req:emit("error", connReset("socket hang up"))
    end
    req._closed = true
    req:emit("close")
  end
  -- what was never written is dropped
  req.outputData = {}
  req.outputSize = 0
  if parser then
    parser:finish()
    freeParser(conn)
  end
end

local function socketErrorListener(conn, err)
  local socket, parser = conn.socket, conn.parser
  local req = socket._httpMessage
  if req then
    common.markFailed(socket)
    req:emit("error", err)
  end
  if parser then
    parser:finish()
    freeParser(conn)
  end
  socket:removeListener("data", conn.onData)
  socket:removeListener("end", conn.onEnd)
  socket:destroy()
end

local function emitRequestTimeout(socket)
  local req = socket._httpMessage
  if req then req:emit("timeout") end
end

-- the socket's 'timeout' becomes the request's
local function listenSocketTimeout(req)
  if req.timeoutCb then return end
  local function arm(socket)
    local fn = function() emitRequestTimeout(socket) end
    req.timeoutCb = fn
    socket:once("timeout", fn)
  end
  if req.socket then
    arm(req.socket)
  else
    -- (a placeholder until the socket comes)
    req.timeoutCb = function() end
    req:once("socket", arm)
  end
end

-- tickOnSocket(req, socket): the request's parser and listeners on socket
local function tickOnSocket(req, socket)
  local conn = { req = req, socket = socket, paused = false }
  local maxHeaderSize = req.maxHeaderSize
  if maxHeaderSize == 0 then maxHeaderSize = nil end
  local maxHeadersCount = req.maxHeadersCount
  if type(maxHeadersCount) ~= "number" then maxHeadersCount = 1000 end
  conn.parser = core.http_parser("response", EVENTS, conn,
    { maxHeaderSize = maxHeaderSize, maxHeadersCount = maxHeadersCount })
  req.socket = socket
  req.parser = conn.parser
  req._conn = conn
  socket._httpMessage = req
  conn.onData = function(d) socketOnData(conn, d) end
  conn.onEnd = function() socketOnEnd(conn) end
  conn.onClose = function() socketCloseListener(conn) end
  conn.onError = function(err) socketErrorListener(conn, err) end
  conn.onDrain = function() OutgoingMessage.socketOnDrain(socket) end
  conn.onResTimeout = function()
    local r = socket._httpMessage
    if r and r.res then r.res:emit("timeout") end
  end
  socket:on("error", conn.onError)
  socket:on("data", conn.onData)
  socket:on("end", conn.onEnd)
  socket:on("close", conn.onClose)
  socket:on("drain", conn.onDrain)
  if req.timeout ~= nil or (req.agent and req.agent.options and req.agent.options.timeout) then
    listenSocketTimeout(req)
  end
  req:emit("socket", socket)
end

-- onSocket(socket[, err]): the agent (or createConnection) gives the
-- request its socket, or an error; from the next tick
function ClientRequest:onSocket(socket, err)
  nextTick(function()
    if self.destroyed or err then
      self.destroyed = true
      local function destroy(e)
        if not self.aborted and not e then e = connReset("socket hang up") end
        if e then self:emit("error", e) end
        self._closed = true
        self:emit("close")
      end
      if socket then
        if not err and self.agent and not socket.destroyed then
          socket:emit("free")
        else
          socket:destroy(err or self._destroyError)
          stream.finished(socket, function(er)
            if er and er.code == "ERR_STREAM_PREMATURE_CLOSE" then er = nil end
            destroy(er or err)
          end)
          return
        end
      end
      destroy(err or self._destroyError)
    else
      tickOnSocket(self, socket)
      self:_flush()
    end
  end)
end

-- a call on the socket once it is connected (setNoDelay, setKeepAlive)
function ClientRequest:_deferToConnect(method, ...)
  local args = table.pack(...)
  local function call()
    local socket = self.socket
    socket[method](socket, table.unpack(args, 1, args.n))
  end
  local function onSocket()
    if self.socket.connecting then self.socket:once("connect", call) else call() end
  end
  if not self.socket then self:once("socket", onSocket) else onSocket() end
end

local function setSocketTimeout(socket, ms)
  if socket.connecting then
    socket:once("connect", function() socket:setTimeout(ms) end)
  else
    socket:setTimeout(ms)
  end
end

-- setTimeout(ms[, cb]): 'timeout' after ms without activity on the socket
-- (it is not destroyed: that is the listener's to do)
function ClientRequest:setTimeout(ms, cb)
  if self._ended then return self end
  listenSocketTimeout(self)
  ms = timerDuration(ms, "msecs", 2)
  if cb then self:once("timeout", cb) end
  if self.socket then
    setSocketTimeout(self.socket, ms)
  else
    self:once("socket", function(socket) setSocketTimeout(socket, ms) end)
  end
  return self
end

function ClientRequest:clearTimeout(cb)
  return self:setTimeout(0, cb)
end

function ClientRequest:setNoDelay(noDelay)
  self:_deferToConnect("setNoDelay", noDelay)
end

function ClientRequest:setSocketKeepAlive(enable, initialDelay)
  self:_deferToConnect("setKeepAlive", enable, initialDelay)
end

-- ---- the faces' forms ----------------------------------------------------

-- request(defaultAgent, url | options[, options][, cb]) (https.request's
-- argument forms, for both faces)
function M.request(defaultAgent, input, options, cb)
  local opts
  if type(input) == "string" then
    opts = url().urlToHttpOptions(url().URL.new(input))
  elseif isURL(input) then
    opts = url().urlToHttpOptions(input)
  else
    opts = {}
    options, cb = input, options
  end
  if options ~= nil and type(options) ~= "function" then
    if type(options) == "table" then
      for k, v in pairs(options) do opts[k] = v end
    end
  else
    cb = options or cb
  end
  opts._defaultAgent = defaultAgent
  return ClientRequest.new(opts, cb)
end

function M.get(defaultAgent, input, options, cb)
  local req = M.request(defaultAgent, input, options, cb)
  req:done()
  return req
end

-- addFaceFunctions(face, name): face.request, face.get and face.fetch
-- (name: "http" or "https"), over face.globalAgent as it is at each call
-- (a script may replace it)
function M.addFaceFunctions(face, name)
  function face.request(input, options, cb) return M.request(face.globalAgent, input, options, cb) end
  function face.get(input, options, cb) return M.get(face.globalAgent, input, options, cb) end
  function face.fetch(input, options) return M.fetch(face.globalAgent, name .. ".fetch()", input, options) end
end

-- fetch(defaultAgent, name, url[, options]) -> res (luatls's own; inside
-- a task; name: "http.fetch()" or "https.fetch()" for the error outside
-- one): the request (options: request's, and body, a string to send),
-- then the whole response: res.status (= statusCode), res.headers,
-- res.body (a string). An error (the request's, the response's) is raised;
-- options.timeout destroys a request quiet for that long with ETIMEDOUT.
function M.fetch(defaultAgent, name, input, options)
  local async = require("luatls.async")
  if not async.current() then
    error(errors.new("ERR_ASYNC_NO_TASK", name .. " must be called inside a task: see async.run"), 3)
  end
  options = copy(options)
  local body = options.body
  options.body = nil
  if body ~= nil and type(body) ~= "string" then
    errors.invalidArgType("options.body", "of type string", body, 3)
  end
  local req = M.request(defaultAgent, input, options)
  local ok, res = pcall(async.await, function(cb)
    local settled = false
    local function finish(err, r)
      if settled then return end
      settled = true
      cb(err, r)
    end
    req:on("error", function(err) finish(err) end)
    req:on("timeout", function()
      req:destroy(errors.new("ETIMEDOUT", "fetch: no activity for " .. tostring(options.timeout) .. " ms",
        { syscall = "fetch" }))
    end)
    req:on("response", function(r)
      local parts = {}
      r:on("data", function(chunk) parts[#parts + 1] = chunk end)
      r:on("error", function(err) finish(err) end)
      r:on("aborted", function() finish(connReset("aborted")) end)
      r:on("end", function()
        r.status = r.statusCode
        r.body = table.concat(parts)
        finish(nil, r)
      end)
    end)
    req:done(body)
  end)
  if not ok then
    -- (an error, or the task cancelled: the request goes too)
    req:destroy()
    error(res, 0)
  end
  return res
end

return M
