-- luatls.redis: a small Redis client (RESP2) over luatls's own net module.
--
-- A contribution, not one of Node's modules: it is not in luatls.modules
-- (see luatls.contrib in init.lua), has no short name for require, and is
-- written only against the public net/events API. It serves the
-- session-store example (examples/session-store-redis.lua).
--
--   local redis = require("luatls.redis")
--   local client = redis.createClient({ host = "127.0.0.1", port = 6379 })
--   client:on("error", function(err) console.error("redis:", err.message) end)
--   client:setex("greeting", 60, "hello\0world", function(err, reply)  -- "OK"
--     client:get("greeting", function(err2, value)                      -- the bytes
--       client:quit()
--     end)
--   end)
--
-- createClient([options]): options.host (default "127.0.0.1"), options.port
-- (default 6379), or options.path (a Unix socket). The client connects at
-- once; commands issued meanwhile are queued and sent when it is up.
--
-- client:command(args[, cb]): args is a list of strings and numbers, the
-- command's name first ({ "SET", key, value, "EX", 60 }); keys and values are
-- binary-safe Lua strings. cb(err, reply) is called later, never from inside
-- command(). The reply is
--   a status ("OK", "PONG")        -> the string
--   a bulk string                  -> the string (any bytes)
--   a null bulk or null array      -> nil
--   an integer                     -> a Lua integer
--   an array                       -> a list with n = its length (elements may
--                                     be nil, or error objects for errors
--                                     inside it, e.g. from EXEC)
--   an error ("-ERR ...")          -> err: an error object with code
--                                     "ERR_REDIS", message = Redis's message,
--                                     prefix = its first word ("ERR",
--                                     "WRONGTYPE", ...), command = the
--                                     command's name
-- Commands are pipelined: any number may be in flight, the replies are
-- matched to them in order, and the commands issued in one tick go out in one
-- write. A command without cb whose reply is an error emits 'error'.
--
-- Shorthands: get(key, cb), set(key, value, cb), setex(key, seconds, value,
-- cb), del(key | { keys }, cb), ping(cb), quit([cb]) (QUIT, then the server
-- closes the connection; later commands fail with ERR_REDIS_CLOSED).
-- destroy() closes the connection at once; ref() / unref() as for a socket.
--
-- Events: 'connect' and then 'ready' (queued commands are on their way);
-- 'error'(err) when the connection fails (the pending callbacks get err
-- first; as for any emitter, an 'error' nobody listens to is raised); 'end'
-- when the server ended the connection; 'close'(hadError), last, once.
-- There is no reconnection: a closed client stays closed (make another).
-- Fields: client.connected, client.ready, client.closed.
--
-- redis.Parser is the incremental reply parser: Parser.new(); p:feed(bytes)
-- -> a list of the complete replies so far (with n; error replies are error
-- objects), or nil, err for bytes that are not RESP. Input may be split at
-- any byte, and one chunk may hold many replies. redis.encode(args) -> the
-- command as RESP bytes.
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local net = require("luatls.net")
local tick = require("luatls.tick")

local nextTick = tick.nextTick
local byte, find, sub, concat = string.byte, string.find, string.sub, table.concat
local tointeger = math.tointeger

local M = {}

-- ---- encoding -------------------------------------------------------------------

local function argString(v, i)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then
    if tointeger(v) then return string.format("%d", v) end
    if v ~= v or v == math.huge or v == -math.huge then
      errors.invalidArgType("args[" .. i .. "]", "a finite number", v, 4)
    end
    return string.format("%.17g", v)
  end
  errors.invalidArgType("args[" .. i .. "]", "a string or a number", v, 4)
end

-- encode(args) -> the RESP bytes of one command
function M.encode(args)
  if type(args) ~= "table" then errors.invalidArgType("args", "a list of strings", args, 2) end
  local n = args.n or #args
  if n == 0 then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE", "The argument 'args' must name a command"), 2)
  end
  local parts = { "*" .. n .. "\r\n" }
  for i = 1, n do
    local s = argString(args[i], i)
    parts[i + 1] = "$" .. #s .. "\r\n" .. s .. "\r\n"
  end
  return concat(parts)
end

-- ---- parsing ----------------------------------------------------------------------

local INCOMPLETE, PROTOCOL = {}, {}

local function replyError(line)
  return errors.new("ERR_REDIS", line, { prefix = line:match("^(%S+)") or "ERR" })
end

-- parseOne(buf, pos) -> value, next position | INCOMPLETE, the end index the
-- buffer needs (0: unknown) | PROTOCOL, message
local function parseOne(buf, pos)
  local t = byte(buf, pos)
  if not t then return INCOMPLETE, pos end
  local eol = find(buf, "\r\n", pos + 1, true)
  if not eol then return INCOMPLETE, 0 end
  local line = sub(buf, pos + 1, eol - 1)
  local after = eol + 2
  if t == 43 then -- +status
    return line, after
  elseif t == 45 then -- -error
    return replyError(line), after
  elseif t == 58 then -- :integer
    local n = tointeger(tonumber(line))
    if not n or not line:match("^%-?%d+$") then return PROTOCOL, "bad integer reply: " .. line end
    return n, after
  elseif t == 36 then -- $bulk
    local len = line:match("^%-?%d+$") and tointeger(tonumber(line))
    if not len or len < -1 then return PROTOCOL, "bad bulk length: " .. line end
    if len == -1 then return nil, after end
    local stop = after + len -- where its CRLF starts
    if #buf < stop + 1 then return INCOMPLETE, stop + 1 end
    if byte(buf, stop) ~= 13 or byte(buf, stop + 1) ~= 10 then
      return PROTOCOL, "bulk string not followed by CRLF"
    end
    return sub(buf, after, stop - 1), stop + 2
  elseif t == 42 then -- *array
    local n = line:match("^%-?%d+$") and tointeger(tonumber(line))
    if not n or n < -1 then return PROTOCOL, "bad array length: " .. line end
    if n == -1 then return nil, after end
    local list = { n = n }
    local p = after
    for i = 1, n do
      local v, nextPos = parseOne(buf, p)
      if v == INCOMPLETE or v == PROTOCOL then return v, nextPos end
      list[i] = v
      p = nextPos
    end
    return list, p
  end
  return PROTOCOL, string.format("unexpected reply type byte 0x%02x", t)
end

local Parser = {}
Parser.__index = Parser
Parser.__name = "RedisParser"
M.Parser = Parser

function Parser.new()
  return setmetatable({ _buf = "", _pos = 1, _chunks = {}, _pending = 0, _need = 0 }, Parser)
end

-- feed(bytes) -> list of complete replies (list.n of them) | nil, err
function Parser:feed(chunk)
  local out = { n = 0 }
  if self._failed then return nil, self._failed end
  if chunk ~= nil and #chunk > 0 then
    local chunks = self._chunks
    chunks[#chunks + 1] = chunk
    self._pending = self._pending + #chunk
  end
  local have = #self._buf - self._pos + 1 + self._pending
  if self._pending == 0 or have < self._need then return out end
  -- a reply waiting for its last bytes is put together once, not per chunk
  local chunks = self._chunks
  if self._pos <= #self._buf then table.insert(chunks, 1, sub(self._buf, self._pos)) end
  local buf = concat(chunks)
  self._chunks, self._pending = {}, 0
  local pos, len = 1, #buf
  while pos <= len do
    local v, nextPos = parseOne(buf, pos)
    if v == INCOMPLETE then
      self._need = nextPos == 0 and (len - pos + 2) or (nextPos - pos + 1)
      break
    elseif v == PROTOCOL then
      self._failed = errors.new("ERR_REDIS_PROTOCOL", "Redis protocol error: " .. nextPos)
      return nil, self._failed
    end
    out.n = out.n + 1
    out[out.n] = v
    pos = nextPos
  end
  if pos > len then
    self._buf, self._pos, self._need = "", 1, 0
  else
    self._buf, self._pos = buf, pos
  end
  return out
end

-- bytes received and not yet part of a complete reply
function Parser:buffered()
  return #self._buf - self._pos + 1 + self._pending
end

-- ---- the client ---------------------------------------------------------------------

local Client = EventEmitter:extend("RedisClient")
M.Client = Client

local function closedError()
  return errors.new("ERR_REDIS_CLOSED", "The connection to Redis is closed")
end

function Client:init(options)
  EventEmitter.init(self)
  options = options or {}
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options, 4) end
  self.connected = false
  self.ready = false
  self.closed = false
  self._quitting = false
  self._offline = {}                       -- commands issued before the connection
  self._inflight = { head = 1, tail = 0 }  -- sent, waiting for their replies
  self._replies = { head = 1, tail = 0 }   -- parsed, not yet delivered
  self._out = {}
  self._parser = Parser.new()
  local connectOptions = options.path and { path = options.path }
    or { host = options.host or "127.0.0.1", port = options.port or 6379 }
  local socket = net.connect(connectOptions)
  self._socket = socket
  socket:setNoDelay(true)
  socket:on("connect", function() self:_onConnect() end)
  socket:on("data", function(data) self:_onData(data) end)
  socket:on("end", function() self:emit("end") end)
  socket:on("error", function(err) self:_onError(err) end)
  socket:on("close", function(hadError) self:_onClose(hadError) end)
end

function Client:__tostring() return "RedisClient" end

local function push(q, v)
  q.tail = q.tail + 1
  q[q.tail] = v
end

local function shift(q)
  local h = q.head
  if h > q.tail then return nil end
  local v = q[h]
  q[h] = nil
  q.head = h + 1
  return v
end

function Client:_onConnect()
  self.connected = true
  local queued = self._offline
  self._offline = {}
  for _, entry in ipairs(queued) do self:_write(entry) end
  self:emit("connect")
  if self.connected then
    self.ready = true
    self:emit("ready")
  end
end

function Client:_write(entry)
  push(self._inflight, entry)
  local out = self._out
  out[#out + 1] = entry.payload
  entry.payload = nil
  if #out == 1 then
    -- the commands of this tick go out in one write
    nextTick(function()
      local all = concat(self._out)
      self._out = {}
      if self._socket and not self._socket.destroyed and all ~= "" then self._socket:write(all) end
    end)
  end
end

function Client:_onData(data)
  local list, err = self._parser:feed(data)
  if not list then
    self._socket:destroy(err)
    return
  end
  local replies = self._replies
  for i = 1, list.n do push(replies, { list[i] }) end
  self:_deliver()
end

-- Give the parsed replies to their callbacks, in order. A callback that
-- raises does not lose the replies after it: they go on in the next tick.
function Client:_deliver()
  local replies = self._replies
  while replies.head <= replies.tail do
    local reply = shift(replies)[1]
    local entry = shift(self._inflight)
    if not entry then
      self._socket:destroy(errors.new("ERR_REDIS_PROTOCOL", "Redis protocol error: a reply nobody asked for"))
      return
    end
    local isError = errors.is(reply) and reply.code == "ERR_REDIS"
    if isError then reply.command = entry.name end
    if entry.cb then
      if replies.head <= replies.tail and not self._deliverQueued then
        -- in case the callback raises
        self._deliverQueued = true
        nextTick(function()
          self._deliverQueued = false
          self:_deliver()
        end)
      end
      if isError then entry.cb(reply) else entry.cb(nil, reply) end
    elseif isError then
      self:emit("error", reply)
    end
  end
end

-- fail every command still waiting
function Client:_failAll(err)
  local entries = self._offline
  self._offline = {}
  for _, e in ipairs(entries) do
    if e.cb then e.cb(err) end
  end
  local entry = shift(self._inflight)
  while entry do
    if entry.cb then entry.cb(err) end
    entry = shift(self._inflight)
  end
  self._out = {}
end

function Client:_onError(err)
  self._hadError = true
  self:_failAll(err)
  self:emit("error", err)
end

function Client:_onClose(hadError)
  self.connected = false
  self.ready = false
  self._quitting = true
  -- one tick later: a socket that failed to connect may report 'close'
  -- before its 'error', and the callbacks should get the error
  nextTick(function()
    self.closed = true
    self:_failAll(self._closeError or closedError())
    self:emit("close", hadError == true or self._hadError == true)
  end)
end

-- command(args[, cb])
function Client:command(args, cb)
  if cb ~= nil and type(cb) ~= "function" then errors.invalidArgType("callback", "of type function", cb) end
  local payload = M.encode(args)
  local entry = { payload = payload, cb = cb, name = string.upper(tostring(args[1])) }
  if self._quitting then
    if cb then nextTick(cb, closedError()) end
    return false
  end
  if self.connected then
    self:_write(entry)
  else
    self._offline[#self._offline + 1] = entry
  end
  return true
end

function Client:get(key, cb) return self:command({ "GET", key }, cb) end
function Client:set(key, value, cb) return self:command({ "SET", key, value }, cb) end
function Client:setex(key, seconds, value, cb) return self:command({ "SETEX", key, seconds, value }, cb) end
function Client:ping(cb) return self:command({ "PING" }, cb) end

function Client:del(keys, cb)
  local args = { "DEL" }
  if type(keys) == "table" then
    for i, k in ipairs(keys) do args[i + 1] = k end
  else
    args[2] = keys
  end
  return self:command(args, cb)
end

-- quit([cb]): QUIT after the commands before it; the server then closes the
-- connection. cb(err, "OK").
function Client:quit(cb)
  local ok = self:command({ "QUIT" }, cb)
  self._quitting = true
  return ok
end

-- destroy([err]): close now; waiting callbacks get ERR_REDIS_CLOSED (or err)
function Client:destroy(err)
  self._quitting = true
  if err and not self.closed then
    self._hadError = true
    self._closeError = err -- for the callbacks, at the close
  end
  if self._socket then self._socket:destroy() end
  return self
end

function Client:ref()
  self._socket:ref()
  return self
end

function Client:unref()
  self._socket:unref()
  return self
end

-- createClient([options]) -> Client
function M.createClient(options)
  return Client.new(options)
end

return M
