-- luatls.internal.http.outgoing: OutgoingMessage, what ServerResponse and
-- ClientRequest share (Node's lib/_http_outgoing.js): the header store
-- (setHeader, getHeader, ...), the head built once (_storeHeader: the
-- Connection, Content-Length / Transfer-Encoding and Date decisions), the
-- body written straight to the socket (chunked framing when no length is
-- known), end() and 'finish' once the socket took the last byte. Writes
-- made before a socket is assigned wait in outputData.
--
-- A subclass provides _implicitHeader() (the head end() or write() makes
-- when the script made none).
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local Stream = require("luatls.stream").Stream
local common = require("luatls.internal.http.common")

local defineProperty = EventEmitter.defineProperty
local nextTick = tick.nextTick
local validateHeaderName, validateHeaderValue = common.validateHeaderName, common.validateHeaderValue
local valueText, hasToken = common.valueText, common.hasToken

local OutgoingMessage = Stream:extend("OutgoingMessage")

local HIGH_WATER_MARK = 16 * 1024

function OutgoingMessage:init(options)
  Stream.init(self)
  self.outputData = {}
  self.outputSize = 0
  self.writable = true
  self.destroyed = false
  self._last = false
  self.chunkedEncoding = false
  self.shouldKeepAlive = true
  self.maxRequestsOnConnectionReached = false
  self._defaultKeepAlive = true
  self.useChunkedEncodingByDefault = true
  self.sendDate = false
  self._removedConnection = false
  self._removedContLen = false
  self._removedTE = false
  self.strictContentLength = false
  self._contentLength = false
  self._hasBody = true
  self._trailer = ""
  self.finished = false
  self._headerSent = false
  self._header = false -- the head's text, once built
  self._headers = false -- lower-cased name -> { name, value }
  self._headerKeys = false -- the lower-cased names in the order they were set
  self._keepAliveTimeout = 0
  self._onPendingData = false
  self._needDrain = false
  self._written = false
  self._maxRequestsPerSocket = false
  self._finishHook = false -- called before 'finish' (the server's own listener)
  self._highWaterMark = options and options.highWaterMark or HIGH_WATER_MARK
  self._rejectNonStandardBodyWrites = options and options.rejectNonStandardBodyWrites == true
end

local function headersSentError(what)
  return errors.new("ERR_HTTP_HEADERS_SENT",
    string.format("Cannot %s headers after they are sent to the client", what))
end

-- ---- the header store ----------------------------------------------------
-- (the names keep the order they were first set in, as Node's: the head
-- lists them so)

local function storeEntry(msg, key, entry)
  local headers = msg._headers
  if not headers then
    headers = {}
    msg._headers, msg._headerKeys = headers, {}
  end
  if headers[key] == nil then
    local keys = msg._headerKeys
    keys[#keys + 1] = key
  end
  headers[key] = entry
end

function OutgoingMessage:setHeader(name, value)
  if self._header then error(headersSentError("set"), 2) end
  validateHeaderName(name, nil, 2)
  validateHeaderValue(name, value, 2)
  storeEntry(self, name:lower(), { name, value })
  return self
end

-- appendHeader(name, value): adds to a header's values
function OutgoingMessage:appendHeader(name, value)
  if self._header then error(headersSentError("append"), 2) end
  validateHeaderName(name, nil, 2)
  validateHeaderValue(name, value, 2)
  local key = name:lower()
  local entry = self._headers and self._headers[key]
  if not entry then
    storeEntry(self, key, { name, value })
    return self
  end
  local list = type(entry[2]) == "table" and entry[2] or { entry[2] }
  if type(value) == "table" then
    for _, v in ipairs(value) do list[#list + 1] = v end
  else
    list[#list + 1] = value
  end
  entry[2] = list
  return self
end

function OutgoingMessage:getHeader(name)
  if type(name) ~= "string" then errors.invalidArgType("name", "of type string", name) end
  local entry = self._headers and self._headers[name:lower()]
  return entry and entry[2]
end

function OutgoingMessage:getHeaders()
  local out = {}
  for key, entry in pairs(self._headers or {}) do out[key] = entry[2] end
  return out
end

function OutgoingMessage:getHeaderNames()
  local out = {}
  for i, key in ipairs(self._headerKeys or {}) do out[i] = key end
  return out
end

function OutgoingMessage:getRawHeaderNames()
  local out = {}
  for i, key in ipairs(self._headerKeys or {}) do out[i] = self._headers[key][1] end
  return out
end

function OutgoingMessage:hasHeader(name)
  if type(name) ~= "string" then errors.invalidArgType("name", "of type string", name) end
  return self._headers ~= nil and self._headers[name:lower()] ~= nil
end

function OutgoingMessage:removeHeader(name)
  if type(name) ~= "string" then errors.invalidArgType("name", "of type string", name) end
  if self._header then error(headersSentError("remove"), 2) end
  local key = name:lower()
  if key == "connection" then self._removedConnection = true
  elseif key == "content-length" then self._removedContLen = true
  elseif key == "transfer-encoding" then self._removedTE = true
  elseif key == "date" then self.sendDate = false
  end
  if self._headers and self._headers[key] ~= nil then
    self._headers[key] = nil
    local keys = self._headerKeys
    for i = 1, #keys do
      if keys[i] == key then
        table.remove(keys, i)
        break
      end
    end
  end
end

-- ---- the head ------------------------------------------------------------

-- headers: nil (the store), a map name -> value, or a flat list
-- { name, value, name, value, ... } (writeHead's array form)
local function eachHeader(headers, fn)
  if headers == nil then return end
  if headers[1] ~= nil then
    for i = 1, #headers - 1, 2 do fn(headers[i], headers[i + 1]) end
    return
  end
  for name, value in pairs(headers) do fn(name, value) end
end

-- _storeHeader(firstLine, headers): the head's text, with what Node adds:
-- Date, Connection (keep-alive with Keep-Alive's timeout, or close),
-- Content-Length or Transfer-Encoding: chunked
-- the head's special headers: what each one found tells _storeHeader
local SPECIAL = {
  connection = "connection", ["transfer-encoding"] = "te", ["content-length"] = "contLen", date = "date",
  expect = "expect", trailer = "trailer",
}

-- one header line (each value of a list its own line) into parts; the
-- special ones noted in state
local function addHeader(msg, parts, state, name, value, checked)
  if not checked then
    validateHeaderName(name, nil, 5)
    validateHeaderValue(name, value, 5)
  end
  local special = SPECIAL[name:lower()]
  local n = #parts
  if type(value) ~= "table" then
    value = valueText(value)
    parts[n + 1] = name .. ": " .. value .. "\r\n"
  else
    for i, v in ipairs(value) do parts[n + i] = name .. ": " .. valueText(v) .. "\r\n" end
    value = table.concat(value, ", ")
  end
  if special then
    state[special] = true
    if special == "connection" then
      if hasToken(value, "close") then msg._last = true else msg.shouldKeepAlive = true end
    elseif special == "te" then
      if hasToken(value, "chunked") then msg.chunkedEncoding = true end
    end
  end
end

function OutgoingMessage:_storeHeader(firstLine, headers)
  local parts = { firstLine }
  local state = { connection = false, contLen = false, te = false, date = false, expect = false,
    trailer = false }
  if headers == nil then
    local keys, store = self._headerKeys, self._headers
    if keys then
      for i = 1, #keys do
        local entry = store[keys[i]]
        addHeader(self, parts, state, entry[1], entry[2], true)
      end
    end
  elseif headers[1] ~= nil then
    for i = 1, #headers - 1, 2 do addHeader(self, parts, state, headers[i], headers[i + 1], false) end
  else
    for name, value in pairs(headers) do addHeader(self, parts, state, name, value, false) end
  end

  if self.sendDate and not state.date then parts[#parts + 1] = "Date: " .. common.utcDate() .. "\r\n" end

  if not state.connection then
    local sendKeepAlive = self.shouldKeepAlive and
      (state.contLen or self.useChunkedEncodingByDefault or self.agent ~= nil)
    if sendKeepAlive and self.maxRequestsOnConnectionReached then
      parts[#parts + 1] = "Connection: close\r\n"
    elseif sendKeepAlive then
      parts[#parts + 1] = "Connection: keep-alive\r\n"
      if self._keepAliveTimeout > 0 and self._defaultKeepAlive then
        local seconds = math.floor(self._keepAliveTimeout / 1000)
        local ka = "Keep-Alive: timeout=" .. seconds
        if self._maxRequestsPerSocket and self._maxRequestsPerSocket > 0 then
          ka = ka .. ", max=" .. self._maxRequestsPerSocket
        end
        parts[#parts + 1] = ka .. "\r\n"
      end
    else
      self._last = true
      parts[#parts + 1] = "Connection: close\r\n"
    end
  end

  if not state.contLen and not state.te then
    if not self._hasBody then
      self.chunkedEncoding = false
    elseif not self.useChunkedEncodingByDefault then
      self._last = true
    elseif not state.trailer and not self._removedContLen and self._contentLength then
      parts[#parts + 1] = "Content-Length: " .. self._contentLength .. "\r\n"
    elseif not self._removedTE then
      parts[#parts + 1] = "Transfer-Encoding: chunked\r\n"
      self.chunkedEncoding = true
    else
      self._last = true
    end
  end

  -- a Trailer header promises trailers: they need chunked framing
  if self.chunkedEncoding ~= true and state.trailer then
    error(errors.new("ERR_HTTP_TRAILER_INVALID", "Trailers are invalid with this transfer encoding"), 3)
  end

  parts[#parts + 1] = "\r\n"
  self._header = table.concat(parts)
  self._headerSent = false
  -- a request that expects 100-continue sends its head at once
  if state.expect then self:_send("") end
end

defineProperty(OutgoingMessage, "headersSent", function(self) return self._header and true or false end)
defineProperty(OutgoingMessage, "connection", function(self) return self.socket end)
defineProperty(OutgoingMessage, "writableEnded", function(self) return self.finished end)
defineProperty(OutgoingMessage, "writableFinished", function(self)
  return self.finished and self.outputSize == 0 and (not self.socket or self.socket.writableLength == 0)
end)
defineProperty(OutgoingMessage, "writableObjectMode", function() return false end)
defineProperty(OutgoingMessage, "writableLength", function(self)
  return self.outputSize + (self.socket and self.socket.writableLength or 0)
end)
defineProperty(OutgoingMessage, "writableHighWaterMark", function(self)
  return self.socket and self.socket.writableHighWaterMark or self._highWaterMark
end)
defineProperty(OutgoingMessage, "writableCorked", function(self)
  return self.socket and self.socket.writableCorked or 0
end)
defineProperty(OutgoingMessage, "writableNeedDrain", function(self)
  return not self.destroyed and not self.finished and self._needDrain == true
end)

-- ---- writing -------------------------------------------------------------

-- _writeRaw(data, cb) -> what the socket's write returned (false: wait
-- for 'drain'); before a socket is assigned the data waits in outputData
function OutgoingMessage:_writeRaw(data, cb)
  local socket = self.socket
  if socket and socket.destroyed then
    if cb then nextTick(cb, errors.new("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed")) end
    return false
  end
  if socket and socket._httpMessage == self and socket.writable then
    if #self.outputData > 0 then self:_flushOutput(socket) end
    return socket:write(data, cb)
  end
  self.outputData[#self.outputData + 1] = { data = data, cb = cb }
  self.outputSize = self.outputSize + #data
  if self._onPendingData then self._onPendingData(#data) end
  return self.outputSize < self._highWaterMark
end

-- _send(data[, cb]): the head goes out in front of the first bytes
function OutgoingMessage:_send(data, cb)
  if not self._headerSent and self._header then
    data = self._header .. data
    self._headerSent = true
  end
  return self:_writeRaw(data, cb)
end

-- _flushOutput(socket): what waited for the socket goes out
function OutgoingMessage:_flushOutput(socket)
  local queue = self.outputData
  if #queue == 0 then return true end
  self.outputData = {}
  local size = self.outputSize
  self.outputSize = 0
  if self._onPendingData then self._onPendingData(-size) end
  local ret = true
  socket:cork()
  for _, item in ipairs(queue) do ret = socket:write(item.data, item.cb) end
  socket:uncork()
  return ret
end

-- _flush(): after a socket was assigned: send what waited, then 'finish'
-- if end() was called before
function OutgoingMessage:_flush()
  local socket = self.socket
  if socket and socket.writable then
    local ret = self:_flushOutput(socket)
    if self.finished then
      self:_finish()
    elseif ret and self._needDrain then
      self._needDrain = false
      self:emit("drain")
    end
  end
end

function OutgoingMessage:_finish()
  self:emit("prefinish")
end

local function writeAfterEnd(msg, cb)
  local err = errors.new("ERR_STREAM_WRITE_AFTER_END", "write after end")
  nextTick(function()
    if msg.socket == nil or not msg.socket.destroyed then msg:emit("error", err) end
    if cb then cb(err) end
  end)
end

-- a chunk as bytes: nil and non-strings refused as Node refuses them, a
-- text encoding other than UTF-8/latin1 converted
local function prepareChunk(chunk, encoding)
  if chunk == nil then
    errors.throw("ERR_STREAM_NULL_VALUES", "May not write null values to stream", { name = "TypeError" }, 4)
  end
  if type(chunk) ~= "string" then
    errors.invalidArgType("chunk", "of type string or an instance of Buffer or Uint8Array", chunk, 4)
  end
  if encoding ~= nil and encoding ~= "utf8" and encoding ~= "utf-8" and encoding ~= "latin1" and
    encoding ~= "binary" and encoding ~= "ascii" and encoding ~= "buffer" then
    chunk = require("luatls.buffer").from(chunk, encoding)
  end
  return chunk
end

local function lengthMismatch(written, declared, level)
  errors.throw("ERR_HTTP_CONTENT_LENGTH_MISMATCH", string.format(
    "Response body's content-length of %d byte(s) does not match the content-length of %d byte(s) set in header",
    written, declared), nil, level + 1)
end

-- strictContentLength: the bytes written so far against Content-Length
local function countStrict(msg, len, final)
  if not msg.strictContentLength then return end
  local declared = tonumber(msg:getHeader("content-length") or "")
  if not declared then return end
  msg._written = (msg._written or 0) + len
  if msg._written > declared or (final and msg._written ~= declared) then
    lengthMismatch(msg._written, declared, 3)
  end
end

local function write_(msg, chunk, encoding, cb)
  if type(encoding) == "function" then cb, encoding = encoding, nil end
  if cb ~= nil and type(cb) ~= "function" then errors.invalidArgType("callback", "of type function", cb, 3) end
  if msg.destroyed then
    local err = errors.new("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed")
    if cb then nextTick(cb, err) end
    return false
  end
  if msg.finished then
    writeAfterEnd(msg, cb)
    return true
  end
  chunk = prepareChunk(chunk, encoding)
  if not msg._header then msg:_implicitHeader() end
  if not msg._hasBody then
    if msg._rejectNonStandardBodyWrites then
      errors.throw("ERR_HTTP_BODY_NOT_ALLOWED",
        "Adding content for this request method or response status is not allowed.", nil, 3)
    end
    if cb then nextTick(cb) end
    return true
  end
  local len = #chunk
  countStrict(msg, len, false)
  if len == 0 then
    -- an empty write still sends the head
    if not msg._headerSent then return msg:_send("", cb) end
    if cb then nextTick(cb) end
    return true
  end
  local ret
  if msg.chunkedEncoding then
    ret = msg:_send(string.format("%x\r\n", len) .. chunk .. "\r\n", cb)
  else
    ret = msg:_send(chunk, cb)
  end
  if not ret then msg._needDrain = true end
  return ret
end

-- write(chunk[, encoding][, cb]) -> false when the caller should wait for
-- 'drain'
function OutgoingMessage:write(chunk, encoding, cb)
  return write_(self, chunk, encoding, cb)
end

-- addTrailers(headers): trailers after a chunked body (a map or a flat list)
function OutgoingMessage:addTrailers(headers)
  local parts = {}
  eachHeader(headers, function(name, value)
    validateHeaderName(name, "Trailer name", 4)
    if type(value) ~= "string" and type(value) ~= "number" then
      errors.throw("ERR_HTTP_INVALID_HEADER_VALUE", string.format('Invalid value "%s" for header "%s"',
        tostring(value), name), { name = "TypeError" }, 4)
    end
    value = valueText(value)
    if common.hasInvalidChar(value) then
      errors.throw("ERR_INVALID_CHAR", string.format('Invalid character in trailer content ["%s"]', name),
        { name = "TypeError" }, 4)
    end
    parts[#parts + 1] = name .. ": " .. value .. "\r\n"
  end)
  self._trailer = self._trailer .. table.concat(parts)
end

local function onFinish(msg)
  if msg.socket and common.hasFailed(msg.socket) then return end
  local hook = msg._finishHook
  if hook then hook(msg) end
  msg:emit("finish")
end

-- end([chunk][, encoding][, cb]) (luatls: msg:done(...) or msg["end"](msg, ...)):
-- the head (when not sent yet), the last chunk and the chunked framing's
-- end go out in one write, whose completion is 'finish'
local function endMessage(self, chunk, encoding, cb)
  if type(chunk) == "function" then
    chunk, encoding, cb = nil, nil, chunk
  elseif type(encoding) == "function" then
    encoding, cb = nil, encoding
  end
  if self.finished then
    if cb then
      if not self.writableFinished then
        self:once("finish", cb)
      else
        nextTick(cb, errors.new("ERR_STREAM_ALREADY_FINISHED",
          "Cannot call end after a stream was finished"))
      end
    end
    return self
  end
  if self.destroyed then
    if cb then nextTick(cb, errors.new("ERR_STREAM_DESTROYED", "Cannot call end after a stream was destroyed")) end
    return self
  end
  if chunk ~= nil then
    chunk = prepareChunk(chunk, encoding)
    if not self._header then self._contentLength = #chunk end
  elseif not self._header then
    self._contentLength = 0
  end
  if not self._header then self:_implicitHeader() end
  if cb then self:once("finish", cb) end
  local data = ""
  if self._hasBody then
    countStrict(self, chunk and #chunk or 0, true)
    if chunk ~= nil and #chunk > 0 then
      data = self.chunkedEncoding and (string.format("%x\r\n", #chunk) .. chunk .. "\r\n") or chunk
    end
    if self.chunkedEncoding then data = data .. "0\r\n" .. self._trailer .. "\r\n" end
  elseif chunk ~= nil and #chunk > 0 and self._rejectNonStandardBodyWrites then
    errors.throw("ERR_HTTP_BODY_NOT_ALLOWED",
      "Adding content for this request method or response status is not allowed.", nil, 2)
  end
  local finish = function() onFinish(self) end
  if data ~= "" or not self._headerSent or self.outputSize > 0 then
    self:_send(data, finish)
  else
    nextTick(finish)
  end
  self.finished = true
  self.writable = false
  if #self.outputData == 0 and self.socket and self.socket._httpMessage == self then self:_finish() end
  return self
end
OutgoingMessage["end"] = endMessage
OutgoingMessage.done = endMessage

function OutgoingMessage:flushHeaders()
  if not self._header then self:_implicitHeader() end
  self:_send("")
end

function OutgoingMessage:cork()
  if self.socket then self.socket:cork() end
end

function OutgoingMessage:uncork()
  if self.socket then self.socket:uncork() end
end

-- setTimeout(ms[, cb]): on the socket, once there is one
function OutgoingMessage:setTimeout(ms, cb)
  if cb then self:on("timeout", cb) end
  if not self.socket then
    self:once("socket", function(socket) socket:setTimeout(ms) end)
  else
    self.socket:setTimeout(ms)
  end
  return self
end

function OutgoingMessage:destroy(err)
  if self.destroyed then return self end
  self.destroyed = true
  if self.socket then
    self.socket:destroy(err)
  else
    self:once("socket", function(socket) socket:destroy(err) end)
  end
  return self
end

-- socketOnDrain(socket): the socket's 'drain' is its message's, when a
-- write of that message returned false (the server's and the client's
-- connections listen with it)
function OutgoingMessage.socketOnDrain(socket)
  local msg = socket._httpMessage
  if msg and not msg.finished and msg._needDrain then
    msg._needDrain = false
    msg:emit("drain")
  end
end

function OutgoingMessage:_implicitHeader()
  error(errors.new("ERR_METHOD_NOT_IMPLEMENTED", "The _implicitHeader() method is not implemented"), 2)
end

OutgoingMessage.eachHeader = eachHeader

return OutgoingMessage
