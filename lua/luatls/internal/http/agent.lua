-- luatls.internal.http.agent: http.Agent and https.Agent (Node 20's
-- lib/_http_agent.js and the Agent of lib/https.js): the pool of
-- connections a ClientRequest (internal/http/client.lua) gets its socket
-- from. Connections are grouped by name (getName: host, port, local
-- address, family; for https also the TLS options that make a connection
-- different); per name `sockets` (in use), `freeSockets` (kept alive,
-- unref'd, waiting for the next request) and `requests` (waiting for a
-- socket: maxSockets, maxTotalSockets). A request's socket comes back
-- through its 'free' event (client.lua emits it once the response ended
-- and the request finished); 'agentRemove' takes a socket out of the pool
-- for good (an upgrade, a CONNECT tunnel).
--
-- https.Agent connects with tls.connect (every tls.connect option, the
-- servername from the Host header unless it is an IP) and keeps the last
-- TLS session of each name (maxCachedSessions of them): the next
-- connection of that name offers it (`session`), so it resumes; a
-- connection that closes with an error evicts it.
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local net = require("luatls.net")

local M = {}

local Agent = EventEmitter:extend("Agent")
M.Agent = Agent

-- (Node's Infinity: a socket per request)
Agent.defaultMaxSockets = math.huge

-- the server's Keep-Alive timeout hint, less this, bounds how long a free
-- socket is kept (so it is not reused just as the server closes it)
local KEEP_ALIVE_TIMEOUT_BUFFER = 1000

-- copy(t) -> a shallow copy (of nil: {})
local function copy(t)
  local out = {}
  if t then
    for k, v in pairs(t) do out[k] = v end
  end
  return out
end
M.copy = copy

-- { ...options, ...agentOptions } with Node's path rule: the agent's
-- options.path is null (the request's path is no socket path), a
-- socketPath is
local function merged(options, agentOptions)
  local o = copy(options)
  for k, v in pairs(agentOptions) do o[k] = v end
  o.path = o.socketPath
  return o
end

-- the servername a TLS connection asks for: the Host header's host name
-- (else options.host), none for an IP address
local function calculateServerName(options, req)
  local servername = options.host
  local hostHeader = req and req:getHeader("host")
  if hostHeader then
    if type(hostHeader) ~= "string" then
      errors.invalidArgType("options.headers.host", "of type string", hostHeader, 5)
    end
    if hostHeader:sub(1, 1) == "[" then
      local close = hostHeader:find("]", 1, true)
      servername = close and hostHeader:sub(2, close - 1) or hostHeader
    else
      servername = hostHeader:match("^[^:]*")
    end
  end
  if type(servername) == "string" and net.isIP(servername) ~= 0 then servername = nil end
  return servername
end

local function normalizeServerName(options, req)
  if options.servername == nil then options.servername = calculateServerName(options, req) end
end

-- an error on a free socket: it leaves the pool (Node's freeSocketErrorListener)
local freeErrorListeners = setmetatable({}, { __mode = "k" })
local function freeSocketErrorListener(socket)
  local fn = freeErrorListeners[socket]
  if not fn then
    fn = function()
      socket:destroy()
      socket:emit("agentRemove")
    end
    freeErrorListeners[socket] = fn
  end
  return fn
end

local function indexOf(list, v)
  for i = 1, #list do
    if list[i] == v then return i end
  end
end

-- Agent.new([options]): keepAlive (false), keepAliveMsecs (1000),
-- maxSockets (no limit), maxTotalSockets (no limit), maxFreeSockets (256),
-- scheduling ('lifo' or 'fifo'), timeout (of a socket, in use or free);
-- the other options go to each connection (createConnection)
function Agent:init(options)
  EventEmitter.init(self)
  if options ~= nil and type(options) ~= "table" then errors.invalidArgType("options", "of type object", options, 4) end
  self.defaultPort = 80
  self.protocol = "http:"
  self.options = copy(options)
  if self.options.noDelay == nil then self.options.noDelay = true end
  self.options.path = nil
  self.requests, self.sockets, self.freeSockets = {}, {}, {}
  local o = self.options
  self.keepAliveMsecs = o.keepAliveMsecs or 1000
  self.keepAlive = o.keepAlive or false
  self.maxSockets = o.maxSockets or Agent.defaultMaxSockets
  self.maxFreeSockets = o.maxFreeSockets or 256
  self.scheduling = o.scheduling or "lifo"
  self.maxTotalSockets = o.maxTotalSockets
  self.totalSocketCount = 0
  if self.scheduling ~= "fifo" and self.scheduling ~= "lifo" then
    errors.invalidArgValue("scheduling", "'" .. tostring(self.scheduling) .. "'", "must be one of: 'fifo', 'lifo'", 4)
  end
  if self.maxTotalSockets ~= nil then
    local v = self.maxTotalSockets
    if type(v) ~= "number" then errors.invalidArgType("maxTotalSockets", "of type number", v, 4) end
    if v ~= v or v < 1 then errors.outOfRange("maxTotalSockets", ">= 1", v, 4) end
  else
    self.maxTotalSockets = math.huge
  end
  self:on("free", function(socket, opts) self:_onFree(socket, opts) end)
  -- 'keylog' listeners: the sockets' key log lines come through the agent
  self._onNewListener = function(name)
    if name == "keylog" then self:_enableKeylog() end
  end
  self:on("newListener", self._onNewListener)
end

function Agent:_enableKeylog()
  self:removeListener("newListener", self._onNewListener)
  self._onKeylog = function(socket)
    return function(line) self:emit("keylog", line, socket) end
  end
  for _, list in pairs(self.sockets) do
    for _, s in ipairs(list) do s:on("keylog", self._onKeylog(s)) end
  end
end

-- a socket came back ('free'): to the next request waiting for one of its
-- name, else to the free list when it may be kept alive, else destroyed
function Agent:_onFree(socket, options)
  local name = self:getName(options)
  if not socket.writable then
    socket:destroy()
    return
  end
  local requests = self.requests[name]
  if requests and #requests > 0 then
    local req = table.remove(requests, 1)
    if #requests == 0 then self.requests[name] = nil end
    req._agentRequestOptions = nil
    M.setRequestSocket(self, req, socket)
    return
  end
  local req = socket._httpMessage
  if not req or not req.shouldKeepAlive or not self.keepAlive then
    socket:destroy()
    return
  end
  local freeSockets = self.freeSockets[name] or {}
  local freeLen = #freeSockets
  local count = freeLen + (self.sockets[name] and #self.sockets[name] or 0)
  if self.totalSocketCount > self.maxTotalSockets or count > self.maxSockets or
    freeLen >= self.maxFreeSockets or not self:keepSocketAlive(socket) then
    socket:destroy()
    return
  end
  self.freeSockets[name] = freeSockets
  socket._httpMessage = nil
  self:removeSocket(socket, options)
  socket:once("error", freeSocketErrorListener(socket))
  freeSockets[#freeSockets + 1] = socket
end

-- createConnection(options[, cb]) -> a socket (net.createConnection; an
-- override may instead call cb(err, socket) later). The agent's noDelay
-- (default true) and keepAlive apply once the socket is connected.
function Agent:createConnection(options)
  return M.socketOptions(net.createConnection(options), options)
end

-- socketOptions(socket, options) -> socket: options.noDelay and
-- options.keepAlive (with keepAliveInitialDelay), set once it is connected
function M.socketOptions(socket, options)
  if not options.noDelay and not options.keepAlive then return socket end
  local function apply()
    if options.noDelay then socket:setNoDelay(true) end
    if options.keepAlive then socket:setKeepAlive(true, options.keepAliveInitialDelay) end
  end
  if socket.connecting then socket:once("connect", apply) else apply() end
  return socket
end

-- getName([options]) -> "host:port:localAddress[:family]" (the pool's key)
function Agent:getName(options)
  options = options or {}
  local name = (options.host or "localhost") .. ":"
  if options.port then name = name .. tostring(options.port) end
  name = name .. ":"
  if options.localAddress then name = name .. options.localAddress end
  if options.family == 4 or options.family == 6 then name = name .. ":" .. options.family end
  if options.socketPath then name = name .. ":" .. options.socketPath end
  return name
end

-- setRequestSocket(agent, req, socket): req gets socket (and its own
-- timeout, when it differs from the agent's)
function M.setRequestSocket(agent, req, socket)
  req:onSocket(socket)
  local agentTimeout = agent.options.timeout or 0
  if req.timeout == nil or req.timeout == agentTimeout then return end
  socket:setTimeout(req.timeout)
end
local setRequestSocket = M.setRequestSocket

-- addRequest(req, options): a free socket of that name, a new one (below
-- maxSockets and maxTotalSockets), or a place in the queue
function Agent:addRequest(req, options, port, localAddress)
  if type(options) == "string" then
    options = { host = options, port = port, localAddress = localAddress }
  end
  options = merged(options, self.options)
  normalizeServerName(options, req)
  local name = self:getName(options)
  if not self.sockets[name] then self.sockets[name] = {} end
  local freeSockets = self.freeSockets[name]
  local socket
  if freeSockets then
    while #freeSockets > 0 and freeSockets[1].destroyed do table.remove(freeSockets, 1) end
    socket = self.scheduling == "fifo" and table.remove(freeSockets, 1) or table.remove(freeSockets)
    if #freeSockets == 0 then self.freeSockets[name] = nil end
  end
  local freeLen = freeSockets and #freeSockets or 0
  local sockLen = freeLen + #self.sockets[name]
  if socket then
    self:reuseSocket(socket, req)
    setRequestSocket(self, req, socket)
    local list = self.sockets[name]
    list[#list + 1] = socket
  elseif sockLen < self.maxSockets and self.totalSocketCount < self.maxTotalSockets then
    self:createSocket(req, options, function(err, s)
      if err then req:onSocket(s, err) else setRequestSocket(self, req, s) end
    end)
  else
    local queue = self.requests[name]
    if not queue then
      queue = {}
      self.requests[name] = queue
    end
    -- (to make a socket for it when one of another name closes)
    req._agentRequestOptions = options
    queue[#queue + 1] = req
  end
end

-- the listeners the agent keeps on each of its sockets
local function installListeners(agent, s, options)
  local onFree, onClose, onTimeout, onRemove
  onFree = function() agent:emit("free", s, options) end
  onClose = function()
    -- the only place a socket leaves the agent (every error ends in 'close')
    agent.totalSocketCount = agent.totalSocketCount - 1
    agent:removeSocket(s, options)
  end
  onTimeout = function()
    -- a free socket that timed out goes
    for _, list in pairs(agent.freeSockets) do
      if indexOf(list, s) then return s:destroy() end
    end
  end
  onRemove = function()
    -- taken out of the pool for good (an upgrade, a CONNECT tunnel)
    agent.totalSocketCount = agent.totalSocketCount - 1
    agent:removeSocket(s, options)
    s:removeListener("close", onClose)
    s:removeListener("free", onFree)
    s:removeListener("timeout", onTimeout)
    s:removeListener("agentRemove", onRemove)
  end
  s:on("free", onFree)
  s:on("close", onClose)
  s:on("timeout", onTimeout)
  s:on("agentRemove", onRemove)
  if agent._onKeylog then s:on("keylog", agent._onKeylog(s)) end
end

-- createSocket(req, options, cb): a new connection, cb(err, socket)
function Agent:createSocket(req, options, cb)
  options = merged(options, self.options)
  normalizeServerName(options, req)
  local name = self:getName(options)
  options._agentKey = name
  options.encoding = nil
  local called = false
  local function oncreate(err, s)
    if called then return end
    called = true
    if err then return cb(err) end
    local list = self.sockets[name]
    if not list then
      list = {}
      self.sockets[name] = list
    end
    list[#list + 1] = s
    self.totalSocketCount = self.totalSocketCount + 1
    installListeners(self, s, options)
    cb(nil, s)
  end
  if self.keepAlive then
    options.keepAlive = true
    options.keepAliveInitialDelay = self.keepAliveMsecs
  end
  local newSocket = self:createConnection(options, oncreate)
  if newSocket then oncreate(nil, newSocket) end
end

-- removeSocket(socket, options): out of `sockets` (and `freeSockets` once
-- it is no longer writable); a request waiting for a socket gets a new one
function Agent:removeSocket(s, options)
  local name = self:getName(options)
  local sets = { self.sockets }
  if not s.writable then sets[2] = self.freeSockets end
  for _, set in ipairs(sets) do
    local list = set[name]
    if list then
      local i = indexOf(list, s)
      if i then
        table.remove(list, i)
        if #list == 0 then set[name] = nil end
      end
    end
  end
  local req
  local queue = self.requests[name]
  if queue and #queue > 0 then
    req = queue[1]
  else
    -- a request of another name, when that name has no socket in use
    -- (next() order: not first-in-first-out across names, as Node's)
    local other, list = next(self.requests)
    if other ~= nil and not (self.sockets[other] and #self.sockets[other] > 0) then
      req = list[1]
      options = req._agentRequestOptions
    end
  end
  if req and options then
    req._agentRequestOptions = nil
    self:createSocket(req, options, function(err, socket)
      if err then req:onSocket(socket, err) else socket:emit("free") end
    end)
  end
end

-- keepSocketAlive(socket) -> whether the free socket may be kept: TCP
-- keep-alive on, unref'd, the agent's timeout (shortened to the server's
-- Keep-Alive hint less a second)
function Agent:keepSocketAlive(socket)
  socket:setKeepAlive(true, self.keepAliveMsecs)
  socket:unref()
  local agentTimeout = self.options.timeout or 0
  local canKeep = true
  local req = socket._httpMessage
  local res = req and req.res
  local hint = res and res.headers["keep-alive"]
  if type(hint) == "string" then
    local seconds = hint:match("^timeout=(%d+)")
    if seconds then
      local ms = tonumber(seconds) * 1000 - KEEP_ALIVE_TIMEOUT_BUFFER
      if ms <= 0 then
        canKeep = false
      elseif ms < agentTimeout then
        -- (as Node: an agent without a timeout keeps its free sockets
        -- until the server closes them)
        agentTimeout = ms
      end
    end
  end
  if socket.timeout ~= agentTimeout then socket:setTimeout(agentTimeout) end
  return canKeep
end

-- reuseSocket(socket, req): a free socket goes back to work
function Agent:reuseSocket(socket, req)
  socket:removeListener("error", freeSocketErrorListener(socket))
  req.reusedSocket = true
  socket:ref()
end

-- destroy(): every socket, free or in use
function Agent:destroy()
  for _, set in ipairs({ self.freeSockets, self.sockets }) do
    local all = {}
    for _, list in pairs(set) do
      for _, s in ipairs(list) do all[#all + 1] = s end
    end
    for _, s in ipairs(all) do s:destroy() end
  end
end

-- ---- https.Agent ------------------------------------------------------------

local HttpsAgent = Agent:extend("Agent")
M.HttpsAgent = HttpsAgent

-- https.Agent.new([options]): http.Agent's options, maxCachedSessions
-- (100; 0 turns the cache off) and tls.connect's options for every
-- connection
function HttpsAgent:init(options)
  Agent.init(self, options)
  self.defaultPort = 443
  self.protocol = "https:"
  self.maxCachedSessions = self.options.maxCachedSessions
  if self.maxCachedSessions == nil then self.maxCachedSessions = 100 end
  self._sessionCache = { map = {}, list = {} }
end

-- createConnection(options) | (port[, host][, options]) -> a TLSSocket,
-- offering the session cached for its name and caching the new ones
function HttpsAgent:createConnection(port, host, options)
  if type(port) == "table" then
    options = port
  elseif type(host) == "table" then
    options = copy(host)
  elseif type(options) ~= "table" then
    options = {}
  else
    options = copy(options)
  end
  if type(port) == "number" then options.port = port end
  if type(host) == "string" then options.host = host end
  local key = options._agentKey
  if key then
    local session = self:_getSession(key)
    if session and options.session == nil then
      options = copy(options)
      options.session = session
    end
  end
  local socket = require("luatls.tls").connect(options)
  if key then
    socket:on("session", function(session) self:_cacheSession(key, session) end)
    socket:once("close", function(hadError)
      if hadError then self:_evictSession(key) end
    end)
  end
  return M.socketOptions(socket, options)
end

-- getName(options): http.Agent's, then every TLS option that makes a
-- connection of its own (Node 20's list and order)
local TLS_NAME_OPTIONS = {
  "ca", "cert", "clientCertEngine", "ciphers", "key", "pfx", "rejectUnauthorized", "servername",
  "minVersion", "maxVersion", "secureProtocol", "crl", "honorCipherOrder", "ecdhCurve", "dhparam",
  "secureOptions", "sessionIdContext", "sigalgs", "privateKeyIdentifier", "privateKeyEngine",
}
-- (booleans and numbers count even when false or 0)
local SET_WHEN_DEFINED = { rejectUnauthorized = true, honorCipherOrder = true, secureOptions = true }

-- a value as JavaScript's `name += value` writes it: lists joined by ","
local function nameText(v)
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = nameText(x) end
    return table.concat(parts, ",")
  end
  return tostring(v)
end

function HttpsAgent:getName(options)
  options = options or {}
  local parts = { Agent.getName(self, options) }
  for _, key in ipairs(TLS_NAME_OPTIONS) do
    local v = options[key]
    local text = ""
    if key == "servername" then
      if v and v ~= "" and v ~= options.host then text = v end
    elseif key == "sigalgs" then
      if v and v ~= "" then text = '"' .. tostring(v) .. '"' end
    elseif SET_WHEN_DEFINED[key] then
      if v ~= nil then text = nameText(v) end
    elseif v and v ~= "" and v ~= 0 then
      text = nameText(v)
    end
    parts[#parts + 1] = text
  end
  return table.concat(parts, ":")
end

function HttpsAgent:_getSession(key)
  return self._sessionCache.map[key]
end

function HttpsAgent:_cacheSession(key, session)
  local cache = self._sessionCache
  if self.maxCachedSessions == 0 then return end
  if cache.map[key] then
    cache.map[key] = session
    return
  end
  if #cache.list >= self.maxCachedSessions then
    local oldKey = table.remove(cache.list, 1)
    cache.map[oldKey] = nil
  end
  cache.list[#cache.list + 1] = key
  cache.map[key] = session
end

function HttpsAgent:_evictSession(key)
  local cache = self._sessionCache
  local i = indexOf(cache.list, key)
  if not i then return end
  table.remove(cache.list, i)
  cache.map[key] = nil
end

-- the global agents (Node 20's: keep-alive, 5 s idle timeout)
M.globalAgent = Agent.new({ keepAlive = true, scheduling = "lifo", timeout = 5000 })
M.httpsGlobalAgent = HttpsAgent.new({ keepAlive = true, scheduling = "lifo", timeout = 5000 })

return M
