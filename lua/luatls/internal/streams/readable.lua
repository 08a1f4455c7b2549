-- luatls.internal.streams.readable: Readable (Node's lib/internal/streams/
-- readable.js): its state, push/read/flow, pause/resume, 'data' and
-- 'readable' listeners, setEncoding, and its properties. pipe() and
-- unpipe() are in pipe.lua, Readable.from in from.lua.
--
-- Hooks a subclass may override (besides the implementer's _read and
-- _destroy): _pipeSettled(dest), _pipeStopped(dest) (see pipe.lua).
-- A source that keeps pushing by itself (a socket whose handle is
-- read-started) says so with _setSelfPushing(true), so that the stream
-- machinery knows _read has nothing to start.
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local nextTick = require("luatls.tick").nextTick
local Stream = require("luatls.internal.streams.legacy")
local stateLib = require("luatls.internal.streams.state")
local encodings = require("luatls.internal.streams.encoding")
local bufferList = require("luatls.internal.streams.buffer_list")
local destroyImpl = require("luatls.internal.streams.destroy")
local pipe = require("luatls.internal.streams.pipe")
local from = require("luatls.internal.streams.from")

local notImplemented, checkOptions = stateLib.notImplemented, stateLib.checkOptions
local setOptionMethods, stateDefaults, stateMeta = stateLib.setOptionMethods, stateLib.stateDefaults,
  stateLib.stateMeta
local getHighWaterMark = stateLib.getHighWaterMark
local normalizeEncoding, unknownEncoding = encodings.normalizeEncoding, encodings.unknownEncoding
local toBytes, fromBytes, newDecoder = encodings.toBytes, encodings.fromBytes, encodings.newDecoder
local bufferOf, listPush, listUnshift = bufferList.bufferOf, bufferList.push, bufferList.unshift
local listShift, listConsume = bufferList.shift, bufferList.consume
local destroy, errorOrDestroy = destroyImpl.destroy, destroyImpl.errorOrDestroy
local defineProperty = EventEmitter.defineProperty

local Readable = Stream:extend("Readable")

local READABLE_DEFAULTS = stateDefaults {
  objectMode = false,
  highWaterMark = 16 * 1024,
  -- buffer = nil:     the chunks buffered (a list), made when one is
  length = 0,          -- bytes buffered (objects in objectMode)
  -- flowing = nil:    no consumer yet; true: flowing; false: paused
  -- paused = nil:     true once pause() was called, false after resume()
  ended = false,       -- push(nil) was called
  endEmitted = false,
  endScheduled = false, -- endReadableNT is queued (once: a second would find 'end' emitted)
  reading = false,     -- a _read is in progress
  selfPushing = false, -- pushes come by themselves (a socket's read-started handle)
  constructed = true,
  sync = true,         -- inside _read: 'readable' must wait for the next tick
  needReadable = false,
  emittedReadable = false,
  readableListening = false,
  resumeScheduled = false,
  readingMore = false,
  dataEmitted = false,
  -- awaitDrainWriters = nil: the dest (or, when multiAwaitDrain, a set of
  -- dests) we wait on
  multiAwaitDrain = false,
  defaultEncoding = "utf8",
  -- decoder = nil, encoding = nil: set by setEncoding
}
local readableMetas = { [0] = { __index = READABLE_DEFAULTS } }

local function newReadableState(options, isDuplex)
  local objectMode = options.objectMode == true or (isDuplex and options.readableObjectMode == true)
  local state = setmetatable({ pipes = {} }, stateMeta(readableMetas, READABLE_DEFAULTS, options, objectMode))
  local hwm = getHighWaterMark(options, isDuplex, "readableHighWaterMark", objectMode)
  if hwm ~= state.highWaterMark then state.highWaterMark = hwm end
  if options.defaultEncoding then state.defaultEncoding = options.defaultEncoding end
  if options.encoding ~= nil then
    state.decoder = newDecoder(options.encoding)
    state.encoding = state.decoder.encoding
  end
  return state
end

function Readable:init(options)
  options = checkOptions(options)
  Stream.init(self)
  self._readableState = newReadableState(options, false)
  setOptionMethods(self, options, { "read", "destroy" })
end

-- _read(size): implementers push data here.
function Readable._read()
  error(notImplemented("_read()"), 0)
end

-- _destroy(err, callback): implementers release resources, then callback(err).
function Readable._destroy(_, err, cb)
  cb(err)
end

function Readable:destroy(err, cb)
  return destroy(self, err, cb)
end

-- _setSelfPushing(on): whether pushes come by themselves now (a socket's
-- handle is read-started), so that _read has nothing to start.
function Readable:_setSelfPushing(on)
  self._readableState.selfPushing = on
end

function Readable:_isSelfPushing()
  return self._readableState.selfPushing
end

-- _unread(): nothing reads this stream and nothing is buffered (no 'data'
-- or 'readable' listener, no pipe, no decoder, not ended): the condition
-- under which a subclass may hand its chunks to one consumer directly.
function Readable:_unread()
  local state = self._readableState
  return state.length == 0 and not state.decoder and #state.pipes == 0 and not state.ended and
    not state.destroyed and self:listenerCount("data") == 0 and self:listenerCount("readable") == 0
end

-- _takeChunks(sink, detach) -> false: a consumer (a task's reader) asks for
-- the chunks directly, bypassing push and 'data'. A subclass whose chunks
-- come from a handle may say yes (net.Socket does): then sink(chunk) gets
-- each chunk (false: the consumer is full, stop reading until resume() is
-- called), and detach() is called when another consumer appears (a 'data'
-- or 'readable' listener, pause, setEncoding, unshift), after which the
-- chunks go the usual way again. -> true, resume
function Readable:_takeChunks()
  return false
end

-- the pipe hooks a subclass may override (see pipe.lua)
Readable._pipeSettled = pipe.pipeSettled
Readable._pipeStopped = pipe.pipeStopped

-- In flowing mode, read (and so emit 'data') while there is data.
local function flow(stream)
  local state = stream._readableState
  while state.flowing and stream:read() ~= nil do end
end

local function emitReadableNT(stream)
  local state = stream._readableState
  if not state.destroyed and not state.errored and (state.length > 0 or state.ended) then
    stream:emit("readable")
    state.emittedReadable = false
  end
  state.needReadable = not state.flowing and not state.ended and state.length <= state.highWaterMark
  flow(stream)
end

local function emitReadable(stream)
  local state = stream._readableState
  state.needReadable = false
  if not state.emittedReadable then
    state.emittedReadable = true
    nextTick(emitReadableNT, stream)
  end
end

-- Read ahead until the buffer reaches highWaterMark (called deferred).
local function maybeReadMoreNT(stream, state)
  while not state.reading and not state.ended and
      (state.length < state.highWaterMark or (state.flowing and state.length == 0)) do
    local len = state.length
    stream:read(0)
    if len == state.length then break end -- _read gave nothing (yet)
  end
  state.readingMore = false
end

local function maybeReadMore(stream, state)
  if state.selfPushing and state.flowing and state.length == 0 and
      not state.ended and not state.destroyed and not state.errored then
    -- A source that keeps pushing by itself, with nothing buffered: all the
    -- deferred read(0) would do is mark it reading again (its _read has
    -- nothing to start). Do that now instead of on the next tick.
    state.reading = true
    state.needReadable = true
    return
  end
  if not state.readingMore and state.constructed then
    state.readingMore = true
    nextTick(maybeReadMoreNT, stream, state)
  end
end

local function clearAwaitDrain(state)
  if state.multiAwaitDrain then state.awaitDrainWriters = {} else state.awaitDrainWriters = nil end
end

local function addChunk(stream, state, chunk, addToFront)
  if state.flowing and state.length == 0 and not state.sync and stream:listenerCount("data") > 0 then
    -- Nothing is waiting in the buffer: hand the chunk straight to 'data'.
    clearAwaitDrain(state)
    state.dataEmitted = true
    stream:emit("data", chunk)
  else
    state.length = state.length + (state.objectMode and 1 or #chunk)
    if addToFront then listUnshift(bufferOf(state), chunk) else listPush(bufferOf(state), chunk) end
    if state.needReadable then emitReadable(stream) end
  end
  maybeReadMore(stream, state)
end

local function endReadableNT(state, stream)
  state.endScheduled = false
  if not state.errored and not state.closeEmitted and not state.endEmitted and state.length == 0 then
    state.endEmitted = true
    stream:emit("end")
    if stream.writable and stream.allowHalfOpen == false then
      nextTick(function()
        if stream.writable and not stream.writableEnded and not stream.destroyed then stream:done() end
      end)
    elseif state.autoDestroy then
      local w = stream._writableState
      if not w or (w.autoDestroy and (w.finished or w.writable == false)) then stream:destroy() end
    end
  end
end

local function endReadable(stream)
  local state = stream._readableState
  if not state.endEmitted then
    state.ended = true
    if not state.endScheduled then
      state.endScheduled = true
      nextTick(endReadableNT, state, stream)
    end
  end
end

local function onEofChunk(stream, state)
  if state.ended then return end
  if state.decoder then
    local tail = state.decoder:finish()
    if tail ~= "" then
      listPush(bufferOf(state), tail)
      state.length = state.length + (state.objectMode and 1 or #tail)
    end
  end
  state.ended = true
  if state.sync then
    emitReadable(stream)
  else
    state.needReadable = false
    state.emittedReadable = true
    emitReadableNT(stream)
  end
end

-- push()/unshift()'s chunk as the buffer holds it: false for a chunk of the
-- wrong type (reported), else true, the chunk in bytes (or already in
-- state.encoding: then alreadyText is true).
local function toChunk(stream, state, chunk, encoding)
  if not state.objectMode and chunk ~= nil then
    if type(chunk) ~= "string" then
      errorOrDestroy(stream, errors.TypeError("ERR_INVALID_ARG_TYPE",
        'The "chunk" argument must be of type string. Received ' .. type(chunk)))
      return false
    end
  end
  local alreadyText = false -- chunk is already in state.encoding
  if type(chunk) == "string" and encoding ~= nil then
    local enc = normalizeEncoding(encoding)
    if enc == nil then unknownEncoding(encoding) end
    if state.encoding and enc == state.encoding then
      alreadyText = true
    elseif enc ~= "buffer" then
      chunk = toBytes(chunk, enc)
    end
  end
  return true, chunk, alreadyText
end

-- unshift() of a chunk that is not empty; false: push/unshift returns false
local function unshiftChunk(stream, state, chunk, alreadyText)
  if state.endEmitted then
    errorOrDestroy(stream, errors.new("ERR_STREAM_UNSHIFT_AFTER_END_EVENT",
      "stream.unshift() after end event"))
  elseif state.destroyed or state.errored then
    return false
  else
    if state.decoder and not alreadyText and type(chunk) == "string" then
      chunk = fromBytes(chunk, state.encoding)
    end
    addChunk(stream, state, chunk, true)
  end
end

-- push() of a chunk that is not empty; false: push returns false
local function pushChunk(stream, state, chunk, alreadyText)
  if state.ended then
    errorOrDestroy(stream, errors.new("ERR_STREAM_PUSH_AFTER_EOF", "stream.push() after EOF"))
  elseif state.destroyed or state.errored then
    return false
  else
    state.reading = false
    if state.decoder and not alreadyText and type(chunk) == "string" then
      chunk = state.decoder:write(chunk)
      if state.objectMode or #chunk > 0 then
        addChunk(stream, state, chunk, false)
      else
        maybeReadMore(stream, state)
      end
    else
      addChunk(stream, state, chunk, false)
    end
  end
end

local function readableAddChunk(stream, chunk, encoding, addToFront)
  local state = stream._readableState
  if encoding == nil and not addToFront and type(chunk) == "string" and #chunk > 0 and
      not (state.objectMode or state.decoder or state.ended or state.destroyed or state.errored) then
    -- the common case (bytes from a handle), as the general path below does it
    state.reading = false
    addChunk(stream, state, chunk, false)
    return state.length < state.highWaterMark or state.length == 0
  end
  local ok, alreadyText
  ok, chunk, alreadyText = toChunk(stream, state, chunk, encoding)
  if not ok then return false end

  if chunk == nil then
    state.reading = false
    onEofChunk(stream, state)
  elseif state.objectMode or #chunk > 0 then
    if addToFront then
      if unshiftChunk(stream, state, chunk, alreadyText) == false then return false end
    elseif pushChunk(stream, state, chunk, alreadyText) == false then
      return false
    end
  elseif not addToFront then
    state.reading = false
    maybeReadMore(stream, state)
  end
  -- false tells the implementer to stop pushing until _read is called again
  return not state.ended and (state.length < state.highWaterMark or state.length == 0)
end

-- push(chunk[, encoding]) -> false once the buffer holds highWaterMark or more.
-- push(nil) ends the stream.
function Readable:push(chunk, encoding)
  return readableAddChunk(self, chunk, encoding, false)
end

function Readable:unshift(chunk, encoding)
  return readableAddChunk(self, chunk, encoding, true)
end

local MAX_HWM = 0x40000000
local function computeNewHighWaterMark(n)
  if n > MAX_HWM then errors.outOfRange("size", "<= 1GiB", n, 4) end
  local hwm = 1
  while hwm < n do hwm = hwm * 2 end
  return hwm
end

-- How many bytes (or objects) read(n) gives; n == nil means "what is there".
local function howMuchToRead(n, state)
  if (n ~= nil and n <= 0) or (state.length == 0 and state.ended) then return 0 end
  if state.objectMode then return 1 end
  if n == nil then
    if state.flowing and state.length > 0 then return #state.buffer[state.buffer.first] end
    return state.length
  end
  if n <= state.length then return n end
  return state.ended and state.length or 0
end

local function fromList(n, state)
  if state.length == 0 then return nil end
  local list = state.buffer
  if state.objectMode then return listShift(list) end
  if n >= state.length then
    local all = table.concat(list, "", list.first, list.last)
    state.buffer = nil
    return all
  end
  return listConsume(list, n, state.encoding == "utf8")
end

-- read([n]) -> a chunk, or nil when not enough is buffered. Emits 'data' for
-- what it returns.
function Readable:read(n)
  local state = self._readableState
  if n ~= nil then
    n = tonumber(n)
    if n ~= nil then
      if n ~= n then n = nil else n = math.floor(n) end
    end
  end
  local nOrig = n
  if n ~= nil and n > state.highWaterMark then
    state.highWaterMark = computeNewHighWaterMark(n)
  end
  if n ~= 0 and state.emittedReadable then state.emittedReadable = false end

  -- read(0) is a request to fill the buffer (or to say 'readable'/'end').
  if n == 0 and state.needReadable and
      ((state.highWaterMark ~= 0 and state.length >= state.highWaterMark) or
        (state.highWaterMark == 0 and state.length > 0) or state.ended) then
    if state.length == 0 and state.ended then endReadable(self) else emitReadable(self) end
    return nil
  end

  n = howMuchToRead(n, state)
  if n == 0 and state.ended then
    if state.length == 0 then endReadable(self) end
    return nil
  end

  -- Call _read when the buffer is below highWaterMark after this read.
  local doRead = state.needReadable or state.length == 0 or state.length - n < state.highWaterMark
  local canRead = not (state.ended or state.reading or state.destroyed or state.errored or not state.constructed)
  if canRead and doRead then
    state.reading = true
    state.sync = true
    if state.length == 0 then state.needReadable = true end
    local ok, err = pcall(self._read, self, state.highWaterMark)
    if not ok then errorOrDestroy(self, err) end
    state.sync = false
    -- a synchronous push may have changed what we can return
    if not state.reading then n = howMuchToRead(nOrig, state) end
  end

  local ret
  if n > 0 then ret = fromList(n, state) end
  if ret == nil then
    state.needReadable = state.length <= state.highWaterMark
    n = 0
  else
    state.length = state.length - (state.objectMode and 1 or #ret)
    clearAwaitDrain(state)
  end

  if state.length == 0 then
    if not state.ended then state.needReadable = true end
    if nOrig ~= n and state.ended then endReadable(self) end
  end

  if ret ~= nil and not state.errorEmitted and not state.closeEmitted then
    state.dataEmitted = true
    self:emit("data", ret)
  end
  return ret
end

local function readZero(stream) stream:read(0) end

local function resumeNT(stream, state)
  if not state.reading then stream:read(0) end
  state.resumeScheduled = nil -- (false, the default)
  stream:emit("resume")
  flow(stream)
  if state.flowing and not state.reading then stream:read(0) end
end

-- resume(): switch to flowing mode ('data' events), from the next tick.
function Readable:resume()
  local state = self._readableState
  if not state.flowing then
    -- with a 'readable' listener, 'readable' keeps control of reading
    state.flowing = not state.readableListening
    if not state.resumeScheduled then
      state.resumeScheduled = true
      nextTick(resumeNT, self, state)
    end
  end
  state.paused = false
  return self
end

function Readable:pause()
  local state = self._readableState
  if state.flowing ~= false then
    state.flowing = false
    self:emit("pause")
  end
  state.paused = true
  return self
end

function Readable:isPaused()
  local state = self._readableState
  return state.paused == true or state.flowing == false
end

local function updateReadableListening(self)
  local state = self._readableState
  state.readableListening = self:listenerCount("readable") > 0
  if state.resumeScheduled and state.paused == false then
    state.flowing = true
  elseif self:listenerCount("data") > 0 then
    self:resume()
  elseif not state.readableListening then
    state.flowing = nil
  end
end

-- Adding a 'data' listener starts the flow (unless pause() was called);
-- adding a 'readable' listener switches to paused mode driven by 'readable'.
function Readable:on(ev, fn)
  local res = Stream.on(self, ev, fn)
  local state = self._readableState
  if ev == "data" then
    local listening = self:listenerCount("readable") > 0
    if listening ~= state.readableListening then state.readableListening = listening end
    if state.flowing ~= false then self:resume() end
  elseif ev == "readable" then
    if not state.endEmitted and not state.readableListening then
      state.readableListening = true
      state.needReadable = true
      state.flowing = false
      state.emittedReadable = false
      if state.length > 0 then
        emitReadable(self)
      elseif not state.reading then
        nextTick(readZero, self)
      end
    end
  end
  return res
end
Readable.addListener = Readable.on

function Readable:removeListener(ev, fn)
  local res = Stream.removeListener(self, ev, fn)
  if ev == "readable" then nextTick(updateReadableListening, self) end
  return res
end
Readable.off = Readable.removeListener

function Readable:removeAllListeners(ev)
  local res = Stream.removeAllListeners(self, ev)
  if ev == "readable" or ev == nil then nextTick(updateReadableListening, self) end
  return res
end

-- Sequential reading inside a task (luatls.async; the machinery is in
-- internal/async/stream.lua, loaded at the first call), with LuaSocket's
-- names so that Node's read() keeps its meaning:
--   receive(pattern[, prefix]) -> data | nil, err, partial: "*l" (a line
--     without its "\n" or "\r\n"; the default), "*a" (everything to the
--     end) or n (exactly n bytes); err has code "EOF" at a clean end
--   iterator([options]) -> for chunk in stream:iterator() do ... end
--     (Node's readable.iterator(): leaving early destroys the stream unless
--     options.destroyOnReturn is false)
-- (Not tail calls: an error names the caller's line.)
local asyncStream -- luatls.internal.async.stream, loaded at the first call
function Readable:receive(pattern, prefix)
  asyncStream = asyncStream or require("luatls.internal.async.stream")
  local data, err, partial = asyncStream.receive(self, pattern, prefix)
  return data, err, partial
end

function Readable:iterator(options)
  asyncStream = asyncStream or require("luatls.internal.async.stream")
  local f, s, c, closer = asyncStream.iterator(self, options)
  return f, s, c, closer
end

-- setEncoding(enc): 'data' gives text in `enc` ("utf8", "hex", "base64",
-- "latin1", "ascii"); a UTF-8 character split across chunks is kept whole.
function Readable:setEncoding(enc)
  local decoder = newDecoder(enc)
  local state = self._readableState
  state.decoder = decoder
  state.encoding = decoder.encoding
  -- convert what is already buffered
  local list, parts = state.buffer, {}
  if list then
    for i = list.first, list.last do
      local chunk = list[i]
      parts[#parts + 1] = type(chunk) == "string" and decoder:write(chunk) or chunk
    end
  end
  state.buffer = nil
  if state.objectMode then
    for _, chunk in ipairs(parts) do listPush(bufferOf(state), chunk) end
  else
    local content = table.concat(parts)
    if content ~= "" then listPush(bufferOf(state), content) end
    state.length = #content
  end
  return self
end

Readable.pipe = pipe.pipe
Readable.unpipe = pipe.unpipe

-- Readable.from(iterable[, options]): see from.lua.
function Readable.from(iterable, options)
  return from(Readable, iterable, options)
end

defineProperty(Readable, "readable", function(self)
  local r = self._readableState
  return r ~= nil and r.readable ~= false and not r.destroyed and not r.errorEmitted and not r.endEmitted
end, function(self, value)
  if self._readableState then self._readableState.readable = not not value end
end)
defineProperty(Readable, "readableFlowing", function(self)
  return self._readableState.flowing
end, function(self, value)
  self._readableState.flowing = value
end)
defineProperty(Readable, "readableLength", function(self) return self._readableState.length end)
defineProperty(Readable, "readableHighWaterMark", function(self) return self._readableState.highWaterMark end)
defineProperty(Readable, "readableObjectMode", function(self) return self._readableState.objectMode end)
defineProperty(Readable, "readableEncoding", function(self) return self._readableState.encoding end)
defineProperty(Readable, "readableEnded", function(self) return self._readableState.endEmitted end)
defineProperty(Readable, "readableDidRead", function(self) return self._readableState.dataEmitted end)
defineProperty(Readable, "readableAborted", function(self)
  local r = self._readableState
  return r.readable ~= false and (r.destroyed or r.errored ~= nil) and not r.endEmitted
end)
defineProperty(Readable, "destroyed", function(self)
  return self._readableState ~= nil and self._readableState.destroyed
end, function(self, value)
  if self._readableState then self._readableState.destroyed = value end
end)
defineProperty(Readable, "errored", function(self) return self._readableState.errored end)
defineProperty(Readable, "closed", function(self) return self._readableState.closed end)


return { Readable = Readable, newState = newReadableState }
