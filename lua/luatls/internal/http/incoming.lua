-- luatls.internal.http.incoming: IncomingMessage, a request as the server
-- sees it or a response as the client sees it (Node's
-- lib/_http_incoming.js): the head the parser (src/http/parser.c) made in
-- one table, and the body as a Readable the connection pushes into. When
-- the reader is slow the connection's socket pauses (flow control); _read
-- resumes it.
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local Readable = require("luatls.stream").Readable

local defineProperty = EventEmitter.defineProperty

local IncomingMessage = Readable:extend("IncomingMessage")

-- IncomingMessage.new(socket): fields as Node's; the connection fills the
-- head (setHead) and pushes the body.
function IncomingMessage:init(socket)
  Readable.init(self, socket and socket.readableHighWaterMark and
    { highWaterMark = socket.readableHighWaterMark } or nil)
  self.socket = socket
  self.aborted = false
  self.upgrade = false
  self.complete = false
  self.httpVersionMajor, self.httpVersionMinor, self.httpVersion = nil, nil, nil
  self.headers, self.rawHeaders = {}, {}
  self.trailers, self.rawTrailers = {}, {}
  self.url = ""
  self._consuming = false
  self._dumped = false
  self._resumeSource = false
end

-- the parser's head table (method/url or statusCode/statusMessage, the
-- version, rawHeaders, headers)
function IncomingMessage:_setHead(head)
  -- (rawset: these fields have no setter, and were not there before)
  rawset(self, "httpVersionMajor", head.versionMajor)
  rawset(self, "httpVersionMinor", head.versionMinor)
  rawset(self, "httpVersion", head.httpVersion)
  self.rawHeaders, self.headers = head.rawHeaders, head.headers
  if head.method then
    rawset(self, "method", head.method)
    self.url = head.url
  else
    rawset(self, "statusCode", head.statusCode)
    rawset(self, "statusMessage", head.statusMessage)
  end
  self.upgrade = head.upgrade == true
end

function IncomingMessage:_setTrailers(trailers)
  if trailers then self.rawTrailers, self.trailers = trailers.raw, trailers.headers end
end

-- _bodyPush(chunk) -> false when the reader is full (the source pauses)
function IncomingMessage:_bodyPush(chunk)
  if self._dumped and self.readableEnded then return true end
  return self:push(chunk)
end

-- _bodyEnd(): the body is complete
function IncomingMessage:_bodyEnd()
  self:push(nil)
end

-- _dumpUnread(): the response is done: a body nobody reads is discarded
-- (Node's _dump: it flows to its end, then the stream closes)
function IncomingMessage:_dumpUnread()
  if not self._consuming and not self.readableEnded then self:_dump() end
end

-- _ended(): the whole body was read (readableEnded)
function IncomingMessage:_ended()
  return self.readableEnded
end

defineProperty(IncomingMessage, "connection", function(self) return self.socket end)

-- headersDistinct / trailersDistinct: every header's values as a list
local function distinct(raw)
  local out = {}
  for i = 1, #raw, 2 do
    local name = raw[i]:lower()
    local list = out[name]
    if not list then
      list = {}
      out[name] = list
    end
    list[#list + 1] = raw[i + 1]
  end
  return out
end
defineProperty(IncomingMessage, "headersDistinct", function(self) return distinct(self.rawHeaders) end)
defineProperty(IncomingMessage, "trailersDistinct", function(self) return distinct(self.rawTrailers) end)

function IncomingMessage:setTimeout(ms, cb)
  if cb then self:on("timeout", cb) end
  if self.socket then self.socket:setTimeout(ms) end
  return self
end

-- reading asks the connection for more (its socket was paused when the
-- body filled this stream's buffer)
function IncomingMessage:_read()
  if not self._consuming then self._consuming = true end
  local resume = rawget(self, "_resumeSource")
  if resume then resume() end
end

-- discard the body nobody reads (after the response finished, or for a
-- client response without a 'response' listener)
function IncomingMessage:_dump()
  if self._dumped then return end
  self._dumped = true
  self:removeAllListeners("data")
  self:resume()
end

function IncomingMessage:_destroy(err, cb)
  if not self.readableEnded or not self.complete then
    self.aborted = true
    self:emit("aborted")
  end
  local socket = self.socket
  local function done(e)
    -- an 'error' only for who listens (Node's onError)
    tick.nextTick(function()
      if self:listenerCount("error") == 0 then cb() else cb(e) end
    end)
  end
  if socket and not socket.destroyed and self.aborted then
    socket:destroy(err)
  end
  done(err)
end

-- connResetException("aborted"): the error a request gets when its
-- connection closes before it is complete
function IncomingMessage.aborted(message)
  return errors.new("ECONNRESET", message or "aborted")
end

return IncomingMessage
