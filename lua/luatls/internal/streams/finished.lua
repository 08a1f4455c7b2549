-- luatls.internal.streams.finished: stream.finished(stream[, options],
-- callback) (Node's lib/internal/streams/end-of-stream.js).
local errors = require("luatls.errors")
local nextTick = require("luatls.tick").nextTick
local stateLib = require("luatls.internal.streams.state")

local nop, checkOptions = stateLib.nop, stateLib.checkOptions

local function isReadableStream(s)
  local r = s._readableState
  return r ~= nil and r.readable ~= false
end

local function isWritableStream(s)
  local w = s._writableState
  return w ~= nil and w.writable ~= false
end

local function readableFinished(s, strict)
  if not isReadableStream(s) then return nil end
  local r = s._readableState
  if r.errored then return false end
  return r.endEmitted or (not strict and r.ended and r.length == 0)
end

local function writableFinished(s, strict)
  if not isWritableStream(s) then return nil end
  local w = s._writableState
  if w.errored then return false end
  return w.finished or (not strict and w.ended and w.length == 0)
end

-- stream.readable / stream.writable, or nil when s has no such side.
local function readableNow(s)
  if not isReadableStream(s) then return nil end
  return s.readable
end

local function writableNow(s)
  if not isWritableStream(s) then return nil end
  return s.writable
end


local function prematureClose()
  return errors.new("ERR_STREAM_PREMATURE_CLOSE", "Premature close")
end

local function checkArgs(stream, options, callback)
  if type(options) == "function" then options, callback = nil, options end
  options = checkOptions(options)
  if type(callback) ~= "function" then errors.invalidArgType("callback", "of type function", callback, 3) end
  if type(stream) ~= "table" or (stream._readableState == nil and stream._writableState == nil) then
    errors.invalidArgType("stream", "a stream", stream, 3)
  end
  return options, callback
end

-- What finished() watches on one stream: which sides (readable, writable),
-- what is done already, and whether a 'close' is still to come.
local function watchState(stream, options)
  local r, w = stream._readableState, stream._writableState
  local readable = options.readable
  if readable == nil then readable = isReadableStream(stream) end
  local writable = options.writable
  if writable == nil then writable = isWritableStream(stream) end
  local state = w or r
  return {
    r = r, w = w, readable = readable, writable = writable,
    willEmitClose = state.autoDestroy and state.emitClose and not state.closed and
      isReadableStream(stream) == readable and isWritableStream(stream) == writable,
    isWritableDone = writableFinished(stream, false),
    isReadableDone = readableFinished(stream, false),
  }
end

-- The listeners finished() adds: onend, onfinish, onerror, onclose, and
-- onclosed (for a stream that is over already); each ends in eos.done.
local function listeners(stream, eos)
  local r, w, readable, writable = eos.r, eos.w, eos.readable, eos.writable
  local function onfinish()
    eos.isWritableDone = true
    if stream.destroyed then eos.willEmitClose = false end
    if eos.willEmitClose and (not stream.readable or readable) then return end
    if not readable or eos.isReadableDone then eos.done() end
  end

  local function onend()
    eos.isReadableDone = true
    if stream.destroyed then eos.willEmitClose = false end
    if eos.willEmitClose and (not stream.writable or writable) then return end
    if not writable or eos.isWritableDone then eos.done() end
  end

  local function onerror(err) eos.done(err) end

  local function erroredWith()
    return (w and w.errored) or (r and r.errored)
  end

  local function onclose()
    local err = erroredWith()
    if err then return eos.done(err) end
    if readable and not eos.isReadableDone and isReadableStream(stream) and not readableFinished(stream, false) then
      return eos.done(prematureClose())
    end
    if writable and not eos.isWritableDone and not writableFinished(stream, false) then
      return eos.done(prematureClose())
    end
    eos.done()
  end

  local function onclosed() eos.done(erroredWith() or nil) end

  return onend, onfinish, onerror, onclose, onclosed
end

-- A stream that is over already (closed, errored, or its watched sides
-- done) gets its callback on the next tick.
local function checkOver(stream, eos, onclose, onclosed)
  local r, w, readable, writable = eos.r, eos.w, eos.readable, eos.writable
  if (w and w.closed) or (r and r.closed) then
    nextTick(onclose)
  elseif (w and w.errorEmitted) or (r and r.errorEmitted) then
    if not eos.willEmitClose then nextTick(onclosed) end
  elseif not readable and (not eos.willEmitClose or readableNow(stream)) and
      (eos.isWritableDone or writableNow(stream) == false) then
    nextTick(onclosed)
  elseif not writable and (not eos.willEmitClose or writableNow(stream)) and
      (eos.isReadableDone or readableNow(stream) == false) then
    nextTick(onclosed)
  end
end

-- finished(stream[, options], callback) -> cleanup function. callback(err)
-- runs once, when the stream has ended and finished (per options.readable /
-- options.writable), errored, or closed early (ERR_STREAM_PREMATURE_CLOSE).
-- Its listeners stay attached after the callback (as in Node), so a late
-- 'error' is not unhandled; call the returned function to remove them.
local function finished(stream, options, callback)
  options, callback = checkArgs(stream, options, callback)
  local eos = watchState(stream, options)
  local called = false
  eos.done = function(err)
    if called then return end
    called = true
    callback(err)
  end

  local onend, onfinish, onerror, onclose, onclosed = listeners(stream, eos)
  stream:on("end", onend)
  stream:on("finish", onfinish)
  if options.error ~= false then stream:on("error", onerror) end
  stream:on("close", onclose)
  checkOver(stream, eos, onclose, onclosed)

  return function()
    eos.done = nop
    stream:removeListener("end", onend)
    stream:removeListener("finish", onfinish)
    stream:removeListener("error", onerror)
    stream:removeListener("close", onclose)
  end
end

return finished
