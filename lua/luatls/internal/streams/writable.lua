-- luatls.internal.streams.writable: Writable (Node's lib/internal/streams/
-- writable.js): its state, write/cork/uncork, the write buffer, end()
-- (spelled done), _final and 'finish', and its properties.
--
-- What a subclass may ask (besides the implementer's _write, _writev,
-- _final and _destroy): _bufferEmpty(), whether a write would go straight
-- to _write now.
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local nextTick = require("luatls.tick").nextTick
local Stream = require("luatls.internal.streams.legacy")
local stateLib = require("luatls.internal.streams.state")
local encodings = require("luatls.internal.streams.encoding")
local destroyImpl = require("luatls.internal.streams.destroy")

local nop, destroyedError, notImplemented = stateLib.nop, stateLib.destroyedError, stateLib.notImplemented
local checkOptions, setOptionMethods = stateLib.checkOptions, stateLib.setOptionMethods
local stateDefaults, stateMeta, getHighWaterMark = stateLib.stateDefaults, stateLib.stateMeta,
  stateLib.getHighWaterMark
local normalizeEncoding, unknownEncoding, toBytes = encodings.normalizeEncoding, encodings.unknownEncoding,
  encodings.toBytes
local destroy, errorOrDestroy = destroyImpl.destroy, destroyImpl.errorOrDestroy
local defineProperty = EventEmitter.defineProperty

local Writable = Stream:extend("Writable")

-- Back to no buffered write (the defaults in WRITABLE_DEFAULTS).
local function resetBuffer(state)
  state.buffered, state.bufferedIndex, state.bufferedLen = nil, nil, nil
  state.allBuffers, state.allNoop = nil, nil
end

local function pendingBuffered(state)
  return state.bufferedLen - state.bufferedIndex + 1
end

local onwrite -- defined below

-- What a fresh WritableState holds (see READABLE_DEFAULTS in readable.lua).
local WRITABLE_DEFAULTS = stateDefaults {
  objectMode = false,
  highWaterMark = 16 * 1024,
  decodeStrings = true,
  defaultEncoding = "utf8",
  length = 0,          -- bytes (objects) written but not yet acknowledged
  -- buffered = nil:   writes waiting while one is in progress (or corked), a
  -- list of { chunk =, encoding =, callback = }, made when the first waits
  bufferedIndex = 1,   -- first entry not yet written
  bufferedLen = 0,     -- last entry
  allBuffers = true,
  allNoop = true,
  -- onFinished = nil: end() callbacks waiting for 'finish' (a list)
  writing = false,     -- a _write is in progress
  corked = 0,
  sync = true,         -- inside _write: its callback must not run user code inline
  bufferProcessing = false,
  -- writecb = nil, afterWriteTickInfo = nil
  writelen = 0,
  pendingcb = 0,
  needDrain = false,
  ending = false,      -- end() was called
  ended = false,
  finished = false,    -- 'finish' was emitted
  finalCalled = false,
  prefinished = false,
  constructed = true,
}
local writableMetas = { [0] = { __index = WRITABLE_DEFAULTS } }

local function newWritableState(options, stream, isDuplex)
  local objectMode = options.objectMode == true or (isDuplex and options.writableObjectMode == true)
  local defaultEncoding = options.defaultEncoding or "utf8"
  if normalizeEncoding(defaultEncoding) == nil then unknownEncoding(defaultEncoding) end
  local state = setmetatable({
    onwrite = function(er) onwrite(stream, er) end,
  }, stateMeta(writableMetas, WRITABLE_DEFAULTS, options, objectMode, options.decodeStrings))
  local hwm = getHighWaterMark(options, isDuplex, "writableHighWaterMark", objectMode)
  if hwm ~= state.highWaterMark then state.highWaterMark = hwm end
  if defaultEncoding ~= "utf8" then state.defaultEncoding = defaultEncoding end
  return state
end

function Writable:init(options)
  options = checkOptions(options)
  Stream.init(self)
  self._writableState = newWritableState(options, self, false)
  setOptionMethods(self, options, { "write", "writev", "final", "destroy" })
end

function Writable:_write(chunk, encoding, cb)
  if self._writev then
    self:_writev({ { chunk = chunk, encoding = encoding } }, cb)
  else
    error(notImplemented("_write()"), 0)
  end
end

function Writable._destroy(_, err, cb)
  cb(err)
end

local function needFinish(state)
  return state.ending and not state.destroyed and state.constructed and state.length == 0 and
    not state.errored and pendingBuffered(state) == 0 and not state.finished and
    not state.writing and not state.errorEmitted and not state.closeEmitted
end

local function finish(stream, state)
  state.pendingcb = state.pendingcb - 1
  state.finished = true
  local callbacks = state.onFinished
  state.onFinished = nil
  if callbacks then
    for _, cb in ipairs(callbacks) do cb() end
  end
  stream:emit("finish")
  if state.autoDestroy then
    local r = stream._readableState
    if not r or (r.autoDestroy and (r.endEmitted or r.readable == false)) then stream:destroy() end
  end
end

local function callFinal(stream, state)
  local called = false
  local function onFinal(err)
    if called then
      errorOrDestroy(stream, err or errors.new("ERR_MULTIPLE_CALLBACK", "Callback called multiple times"))
      return
    end
    called = true
    state.pendingcb = state.pendingcb - 1
    if err then
      local callbacks = state.onFinished
      state.onFinished = nil
      if callbacks then
        for _, cb in ipairs(callbacks) do cb(err) end
      end
      errorOrDestroy(stream, err, state.sync)
    elseif needFinish(state) then
      state.prefinished = true
      stream:emit("prefinish")
      state.pendingcb = state.pendingcb + 1
      nextTick(finish, stream, state)
    end
  end
  state.sync = true
  state.pendingcb = state.pendingcb + 1
  local ok, err = pcall(stream._final, stream, onFinal)
  if not ok then
    if called then error(err, 0) end
    onFinal(err)
  end
  state.sync = false
end

local function prefinish(stream, state)
  if not state.prefinished and not state.finalCalled then
    if type(stream._final) == "function" and not state.destroyed then
      state.finalCalled = true
      callFinal(stream, state)
    else
      state.prefinished = true
      stream:emit("prefinish")
    end
  end
end

local function finishMaybe(stream, state, sync)
  if needFinish(state) then
    prefinish(stream, state)
    if state.pendingcb == 0 then
      if sync then
        state.pendingcb = state.pendingcb + 1
        nextTick(function()
          if needFinish(state) then finish(stream, state) else state.pendingcb = state.pendingcb - 1 end
        end)
      elseif needFinish(state) then
        state.pendingcb = state.pendingcb + 1
        finish(stream, state)
      end
    end
  end
end

-- Fail every buffered write and every end() callback (after destroy/error).
local function errorBuffer(state)
  if state.writing then return end
  for i = state.bufferedIndex, state.bufferedLen do
    local entry = state.buffered[i]
    state.length = state.length - (state.objectMode and 1 or #entry.chunk)
    entry.callback(state.errored or destroyedError("write"))
  end
  local callbacks = state.onFinished
  state.onFinished = nil
  if callbacks then
    for _, cb in ipairs(callbacks) do cb(state.errored or destroyedError("end")) end
  end
  resetBuffer(state)
end

local function afterWrite(stream, state, count, cb)
  local needDrain = not state.ending and not state.destroyed and state.length == 0 and state.needDrain
  if needDrain then
    state.needDrain = false
    stream:emit("drain")
  end
  for _ = 1, count do
    state.pendingcb = state.pendingcb - 1
    cb()
  end
  if state.destroyed then errorBuffer(state) end
  finishMaybe(stream, state)
end

local function afterWriteTick(info)
  local state, cb = info.state, info.cb
  state.afterWriteTickInfo = nil
  info.cb = nil
  state.afterWriteSpare = info -- the next batch reuses the table
  afterWrite(info.stream, state, info.count, cb)
end

local function onwriteError(stream, state, er, cb)
  state.pendingcb = state.pendingcb - 1
  cb(er)
  errorBuffer(state)
  errorOrDestroy(stream, er)
end

local function doWrite(stream, state, writev, len, chunk, encoding, cb)
  state.writelen = len
  state.writecb = cb
  state.writing = true
  state.sync = true
  if state.destroyed then
    state.onwrite(destroyedError("write"))
  elseif writev then
    stream:_writev(chunk, state.onwrite)
  else
    stream:_write(chunk, encoding, state.onwrite)
  end
  state.sync = false
end

-- Write out what was buffered while a _write was in progress (or corked):
-- all of it in one _writev when there is one, else one _write at a time.
local function clearBuffer(stream, state)
  if state.corked > 0 or state.bufferProcessing or state.destroyed or not state.constructed then return end
  local count = pendingBuffered(state)
  if count == 0 then return end
  local buffered, i = state.buffered, state.bufferedIndex
  state.bufferProcessing = true
  if count > 1 and stream._writev then
    state.pendingcb = state.pendingcb - (count - 1)
    local chunks = table.move(buffered, i, state.bufferedLen, 1, {})
    local callback = nop
    if not state.allNoop then
      callback = function(err)
        for _, entry in ipairs(chunks) do entry.callback(err) end
      end
    end
    doWrite(stream, state, true, state.length, chunks, "", callback)
    resetBuffer(state)
  else
    repeat
      local entry = buffered[i]
      buffered[i] = nil
      i = i + 1
      local len = state.objectMode and 1 or #entry.chunk
      doWrite(stream, state, false, len, entry.chunk, entry.encoding, entry.callback)
    until i > state.bufferedLen or state.writing
    if i > state.bufferedLen then resetBuffer(state) else state.bufferedIndex = i end
  end
  state.bufferProcessing = false
end

-- The callback given to _write/_writev.
function onwrite(stream, er)
  local state = stream._writableState
  local sync = state.sync
  local cb = state.writecb
  if type(cb) ~= "function" then
    errorOrDestroy(stream, errors.new("ERR_MULTIPLE_CALLBACK", "Callback called multiple times"))
    return
  end
  state.writing = false
  state.writecb = nil
  state.length = state.length - state.writelen
  state.writelen = 0
  if er then
    if not state.errored then state.errored = er end
    local r = stream._readableState
    if r and not r.errored then r.errored = er end
    if sync then nextTick(onwriteError, stream, state, er, cb) else onwriteError(stream, state, er, cb) end
  else
    if state.bufferedLen >= state.bufferedIndex then clearBuffer(stream, state) end -- (pendingBuffered > 0)
    if sync and cb == nop and not state.needDrain and not state.ending and
        not state.destroyed and state.afterWriteTickInfo == nil then
      -- no callback, no 'drain' due, not ending: nothing to defer
      state.pendingcb = state.pendingcb - 1
    elseif sync then
      -- callbacks of synchronous writes run on the next tick, batched
      local info = state.afterWriteTickInfo
      if info and info.cb == cb then
        info.count = info.count + 1
      else
        info = state.afterWriteSpare
        if info then
          state.afterWriteSpare = nil
          info.count, info.cb = 1, cb
        else
          info = { count = 1, cb = cb, stream = stream, state = state }
        end
        state.afterWriteTickInfo = info
        nextTick(afterWriteTick, info)
      end
    else
      afterWrite(stream, state, 1, cb)
    end
  end
end

local function writeOrBuffer(stream, state, chunk, encoding, callback)
  local len = state.objectMode and 1 or #chunk
  state.length = state.length + len
  local ret = state.length < state.highWaterMark
  if not ret then state.needDrain = true end
  if state.writing or state.corked > 0 or state.errored or not state.constructed then
    local buffered = state.buffered
    if buffered == nil then
      buffered = {}
      state.buffered = buffered
    end
    state.bufferedLen = state.bufferedLen + 1
    buffered[state.bufferedLen] = { chunk = chunk, encoding = encoding, callback = callback }
    if encoding ~= "buffer" then state.allBuffers = false end
    if callback ~= nop then state.allNoop = false end
  else
    state.writelen = len
    state.writecb = callback
    state.writing = true
    state.sync = true
    stream:_write(chunk, encoding, state.onwrite)
    state.sync = false
  end
  return ret and not state.errored and not state.destroyed
end

-- Returns true/false as write() does, or an error object (write after end,
-- write after destroy).
local function writeImpl(stream, chunk, encoding, cb)
  local state = stream._writableState
  if type(encoding) == "function" then
    cb, encoding = encoding, state.defaultEncoding
  else
    if encoding == nil then
      encoding = state.defaultEncoding
    elseif normalizeEncoding(encoding) == nil then
      unknownEncoding(encoding)
    end
    if type(cb) ~= "function" then cb = nop end
  end

  if chunk == nil then
    error(errors.TypeError("ERR_STREAM_NULL_VALUES", "May not write null values to stream"), 3)
  elseif not state.objectMode then
    if type(chunk) ~= "string" then
      errors.invalidArgType("chunk", "of type string", chunk, 3)
    end
    if state.decodeStrings then
      if encoding ~= "buffer" and encoding ~= "utf8" then -- (bytes already)
        chunk = toBytes(chunk, normalizeEncoding(encoding))
      end
      encoding = "buffer"
    end
  end

  local err
  if state.ending then
    err = errors.new("ERR_STREAM_WRITE_AFTER_END", "write after end")
  elseif state.destroyed then
    err = destroyedError("write")
  end
  if err then
    nextTick(cb, err)
    errorOrDestroy(stream, err, true)
    return err
  end
  state.pendingcb = state.pendingcb + 1
  return writeOrBuffer(stream, state, chunk, encoding, cb)
end

-- write(chunk[, encoding][, callback]) -> false once highWaterMark or more is
-- buffered ('drain' follows when it has been written out).
function Writable:write(chunk, encoding, cb)
  return writeImpl(self, chunk, encoding, cb) == true
end

-- send(data) -> true | nil, err: inside a task (luatls.async), write data
-- and wait while the stream is over its highWaterMark (LuaSocket's name;
-- see Readable:receive). Not a tail call: an error names the caller's line.
local asyncStream -- luatls.internal.async.stream, loaded at the first send
function Writable:send(data)
  asyncStream = asyncStream or require("luatls.internal.async.stream")
  local ws = self._writableState
  local ok, err = asyncStream.send(self, data, ws.destroyed, ws.ending, ws.errored)
  return ok, err
end

function Writable:cork()
  self._writableState.corked = self._writableState.corked + 1
end

function Writable:uncork()
  local state = self._writableState
  if state.corked > 0 then
    state.corked = state.corked - 1
    if not state.writing then clearBuffer(self, state) end
  end
end

function Writable:setDefaultEncoding(encoding)
  if normalizeEncoding(encoding) == nil then unknownEncoding(encoding) end
  self._writableState.defaultEncoding = encoding
  return self
end

-- _bufferEmpty(): a write now would go straight to _write (nothing is
-- buffered, and the stream is not corked)
function Writable:_bufferEmpty()
  local state = self._writableState
  return state.corked == 0 and state.bufferedLen < state.bufferedIndex
end

-- end([chunk][, encoding][, callback]) (spelled done): no more writes; then
-- _final, then 'finish' (callback runs just before 'finish', or with the
-- error if the stream fails first).
local function endWritable(self, chunk, encoding, cb)
  local state = self._writableState
  if type(chunk) == "function" then
    cb, chunk, encoding = chunk, nil, nil
  elseif type(encoding) == "function" then
    cb, encoding = encoding, nil
  end

  local err
  if chunk ~= nil then
    local ret = writeImpl(self, chunk, encoding)
    if type(ret) ~= "boolean" then err = ret end
  end

  if state.corked > 0 then
    state.corked = 1
    self:uncork()
  end

  if err then -- luacheck: ignore 542
    -- the write already reported it
  elseif not state.errored and not state.ending then
    state.ending = true
    finishMaybe(self, state, true)
    state.ended = true
  elseif state.finished then
    err = errors.new("ERR_STREAM_ALREADY_FINISHED", "Cannot call end after a stream was finished")
  elseif state.destroyed then
    err = destroyedError("end")
  end

  if type(cb) == "function" then
    if err then
      nextTick(cb, err)
    elseif state.errored then
      nextTick(cb, state.errored)
    elseif state.finished then
      nextTick(cb, nil)
    else
      local callbacks = state.onFinished
      if callbacks == nil then
        callbacks = {}
        state.onFinished = callbacks
      end
      callbacks[#callbacks + 1] = cb
    end
  end
  return self
end
Writable["end"] = endWritable
Writable.done = endWritable

function Writable:destroy(err, cb)
  local state = self._writableState
  if not state.destroyed and (pendingBuffered(state) > 0 or state.onFinished ~= nil) then
    nextTick(errorBuffer, state)
  end
  return destroy(self, err, cb)
end

defineProperty(Writable, "writable", function(self)
  local w = self._writableState
  return w ~= nil and w.writable ~= false and not w.destroyed and not w.errored and not w.ending and not w.ended
end, function(self, value)
  if self._writableState then self._writableState.writable = not not value end
end)
defineProperty(Writable, "writableLength", function(self) return self._writableState.length end)
defineProperty(Writable, "writableHighWaterMark", function(self) return self._writableState.highWaterMark end)
defineProperty(Writable, "writableObjectMode", function(self) return self._writableState.objectMode end)
defineProperty(Writable, "writableEnded", function(self) return self._writableState.ending end)
defineProperty(Writable, "writableFinished", function(self) return self._writableState.finished end)
defineProperty(Writable, "writableCorked", function(self) return self._writableState.corked end)
defineProperty(Writable, "writableNeedDrain", function(self)
  local w = self._writableState
  return not w.destroyed and not w.ending and w.needDrain
end)
defineProperty(Writable, "writableAborted", function(self)
  local w = self._writableState
  return w.writable ~= false and (w.destroyed or w.errored ~= nil) and not w.finished
end)
defineProperty(Writable, "destroyed", function(self)
  return self._writableState ~= nil and self._writableState.destroyed
end, function(self, value)
  if self._writableState then self._writableState.destroyed = value end
end)
defineProperty(Writable, "errored", function(self) return self._writableState.errored end)
defineProperty(Writable, "closed", function(self) return self._writableState.closed end)

return { Writable = Writable, newState = newWritableState }
