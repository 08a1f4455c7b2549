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

-- ---- lazy requests ---------------------------------------------------------
--
-- Most requests have no body and most handlers never use the request as a
-- stream, yet an eager request costs a Readable (its state, push(nil), and
-- after the response the dump: resume, end, destroy, close, a tick each).
-- For a request with no body the server makes a lazy one instead
-- (IncomingMessage.lazy): a table with the head's fields (method, url,
-- headers, rawHeaders, httpVersion*, socket, upgrade, complete) whose
-- metatable makes it a real IncomingMessage at the first use of anything
-- else (a method, a property, a new field, pairs, util.inspect): the
-- replay of what the eager request went through by then, with its ticks
-- where the eager ones were:
--   - its complete (lazyComplete) reserves the place push(nil)'s tick had
--     in the queue; made real later, that tick goes there (tick.fill), or
--     runs at once when the queue went past it (nobody saw the request
--     meanwhile, so nobody saw the difference);
--   - when its response finished and no script code can run before the
--     dump's ticks are done (the server's quiet(): no listener on the
--     response, no tick queued but reserved places, ...), the server
--     settles it (lazySettle) instead of dumping it: made real later, the
--     dump is replayed to its end at once, which leaves the state the
--     eager dump had left by then.
-- getmetatable gives the class, and instanceOf holds, as for any instance.
-- spec/http_lazy_spec.lua runs seeded traffic through lazy and eager
-- requests (IncomingMessage.lazyRequests = false) and compares all a
-- script sees.
IncomingMessage.lazyRequests = true

local HEAD, COMPLETE, SETTLED = 1, 2, 3
-- lazy request -> { stage, slot (of push(nil)'s tick), passed (settled
-- after that tick's time) }
local lazyState = setmetatable({}, { __mode = "k" })

local function runTicks(list)
  for _, t in ipairs(list) do t[1](table.unpack(t, 2, t.n)) end
end

local function materialize(req)
  local st = lazyState[req]
  lazyState[req] = nil
  local socket, resume, complete = rawget(req, "socket"), rawget(req, "_resumeSource"), rawget(req, "complete")
  local head = {
    versionMajor = rawget(req, "httpVersionMajor"), versionMinor = rawget(req, "httpVersionMinor"),
    httpVersion = rawget(req, "httpVersion"), rawHeaders = rawget(req, "rawHeaders"),
    headers = rawget(req, "headers"), method = rawget(req, "method"), url = rawget(req, "url"),
    upgrade = rawget(req, "upgrade"),
  }
  -- (a script's rawset fields would be lost: keep them)
  local extra
  for k, v in next, req do
    if head[k] == nil and k ~= "socket" and k ~= "_resumeSource" and k ~= "complete" and k ~= "httpVersionMajor"
      and k ~= "httpVersionMinor" then
      extra = extra or {}
      extra[k] = v
    end
  end
  for k in next, req do rawset(req, k, nil) end
  debug.setmetatable(req, nil)
  IncomingMessage.adopt(req, socket)
  req:_setHead(head)
  req._resumeSource = resume
  if extra then
    for k, v in pairs(extra) do req[k] = v end
  end
  if st.stage == HEAD then return end
  req.complete = complete
  local ticks = tick.capture(req._bodyEnd, req)
  if st.stage == SETTLED then
    if st.passed then
      tick.runCaptured(ticks)
      ticks = {}
    end
    for _, t in ipairs(tick.capture(req._dumpUnread, req)) do ticks[#ticks + 1] = t end
    tick.runCaptured(ticks)
  elseif #ticks > 0 and not tick.fill(st.slot, runTicks, ticks) then
    tick.runCaptured(ticks)
  end
end

local lazyMeta

-- IncomingMessage.lazy(socket, head, resumeSource) -> a lazy request for
-- the parser's head of a request without a body
function IncomingMessage.lazy(socket, head, resumeSource)
  if not lazyMeta then
    lazyMeta = {
      __metatable = IncomingMessage, __name = IncomingMessage.__name,
      __index = function(req, key)
        materialize(req)
        return req[key]
      end,
      __newindex = function(req, key, value)
        materialize(req)
        req[key] = value
      end,
      __pairs = function(req)
        materialize(req)
        return next, req, nil
      end,
      __materialize = materialize, -- (util.inspect's seam)
    }
    for k, v in pairs(IncomingMessage) do
      if type(k) == "string" and k:sub(1, 2) == "__" and lazyMeta[k] == nil and type(v) == "function" then
        lazyMeta[k] = v
      end
    end
  end
  local req = setmetatable({
    socket = socket, method = head.method, url = head.url, headers = head.headers,
    rawHeaders = head.rawHeaders, httpVersionMajor = head.versionMajor,
    httpVersionMinor = head.versionMinor, httpVersion = head.httpVersion, upgrade = false,
    complete = false, _resumeSource = resumeSource,
  }, lazyMeta)
  lazyState[req] = { stage = HEAD }
  return req
end

-- lazyComplete(req) -> false when req is not lazy (the caller completes it);
-- else its body is complete now
function IncomingMessage.lazyComplete(req)
  local st = lazyState[req]
  if not st then return false end
  rawset(req, "complete", true)
  st.stage = COMPLETE
  st.slot = tick.reserve()
  return true
end

-- lazySettle(req) -> true: req was a complete lazy request, now settled
-- (the caller made sure nobody can see it before the dump would be done)
function IncomingMessage.lazySettle(req)
  local st = lazyState[req]
  if not st or st.stage ~= COMPLETE then return false end
  st.stage = SETTLED
  st.passed = tick.passed(st.slot)
  return true
end

function IncomingMessage.isLazy(req)
  return lazyState[req] ~= nil
end

-- connResetException("aborted"): the error a request gets when its
-- connection closes before it is complete
function IncomingMessage.aborted(message)
  return errors.new("ECONNRESET", message or "aborted")
end

return IncomingMessage
