-- luatls.stream: Node's streams (Readable, Writable, Duplex, Transform,
-- PassThrough, pipeline, finished), following Node v20's documented behaviour.
--
--   local stream = require("luatls.stream")
--   local r = stream.Readable.new({ read = function(self, n) self:push("hi"); self:push(nil) end })
--   r:on("data", function(chunk) print(chunk) end)
--
-- Chunks are Lua strings (binary safe; a string is Node's Buffer here). In
-- objectMode a chunk may be any value except nil (nil ends a Readable, as
-- null does in Node).
--
-- Implementing a stream. Either subclass (see luatls.events for classes):
--
--   local Upper = stream.Transform:extend("Upper")
--   function Upper:init(options) stream.Transform.init(self, options) end
--   function Upper:_transform(chunk, encoding, callback) callback(nil, chunk:upper()) end
--
-- or pass the methods in the options table; they are called as methods, so
-- they receive the stream first:
--
--   stream.Writable.new({ write = function(self, chunk, encoding, callback) ... end })
--
--   Readable:  _read(size)                     read
--   Writable:  _write(chunk, encoding, cb)     write
--              _writev(chunks, cb)             writev   chunks = { {chunk=, encoding=}, ... }
--              _final(cb)                      final
--   Transform: _transform(chunk, encoding, cb) transform   cb(err, chunkToPush)
--              _flush(cb)                      flush       cb(err, lastChunk)
--   all:       _destroy(err, cb)               destroy
--
-- `end` is a Lua keyword, so Node's writable.end(...) is spelled
-- `w:done(...)` (or `w["end"](w, ...)`; both are the same function).
--
-- Node's getters are properties here: r.readableLength, r.readableFlowing,
-- w.writableNeedDrain, s.destroyed, ... (plain reads, no call).
--
-- Callbacks and events that Node defers are deferred with luatls.tick's
-- nextTick; nothing a caller triggers runs inline when Node would not run it
-- inline.
local EventEmitter = require("luatls.events")
local errors = require("luatls.errors")
local nextTick = require("luatls.tick").nextTick

local M = {}

local function nop() end

local function destroyedError(method)
  return errors.new("ERR_STREAM_DESTROYED",
    string.format("Cannot call %s after a stream was destroyed", method))
end

local function notImplemented(method)
  return errors.new("ERR_METHOD_NOT_IMPLEMENTED",
    string.format("The %s method is not implemented", method))
end

---------------------------------------------------------------------------
-- Encodings. A string is bytes; an encoding only matters where Node turns
-- bytes into text (setEncoding) or text into bytes (write(s, "hex")).
---------------------------------------------------------------------------

local ENCODINGS = {
  utf8 = "utf8", ["utf-8"] = "utf8",
  hex = "hex",
  base64 = "base64", base64url = "base64url",
  latin1 = "latin1", binary = "latin1",
  ascii = "ascii",
  utf16le = "utf16le", ["utf-16le"] = "utf16le", ucs2 = "utf16le", ["ucs-2"] = "utf16le",
  buffer = "buffer",
}

local function normalizeEncoding(enc)
  if type(enc) ~= "string" then return nil end
  return ENCODINGS[enc:lower()]
end

local function unknownEncoding(enc)
  error(errors.TypeError("ERR_UNKNOWN_ENCODING", "Unknown encoding: " .. tostring(enc)), 3)
end

-- luatls.buffer, when present, does the conversions (it knows every
-- encoding Node does); otherwise the small fallbacks below handle hex and
-- base64 and leave other text as bytes.
local bufferModule
local function bufferFn(name)
  if bufferModule == nil then
    local ok, mod = pcall(require, "luatls.buffer")
    bufferModule = ok and type(mod) == "table" and mod or false
  end
  local fn = bufferModule and bufferModule[name]
  return type(fn) == "function" and fn or nil
end

local function toHexFallback(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Decodes pairs of hex digits up to the first pair that is not one.
local function fromHexFallback(s)
  local out = {}
  for i = 1, #s - 1, 2 do
    local pair = s:sub(i, i + 1)
    if not pair:match("^%x%x$") then break end
    out[#out + 1] = string.char(tonumber(pair, 16))
  end
  return table.concat(out)
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64DEC = {}
for i = 1, #B64 do B64DEC[B64:byte(i)] = i - 1 end
B64DEC[("-"):byte()] = 62 -- base64url is accepted when decoding, as in Node
B64DEC[("_"):byte()] = 63

local function toBase64Fallback(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local d1, d2, d3, d4 = (n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63
    out[#out + 1] = B64:sub(d1 + 1, d1 + 1) .. B64:sub(d2 + 1, d2 + 1) ..
      (b and B64:sub(d3 + 1, d3 + 1) or "=") .. (c and B64:sub(d4 + 1, d4 + 1) or "=")
  end
  return table.concat(out)
end

-- Skips characters outside the alphabet; stops at the first '='.
local function fromBase64Fallback(s)
  local out, acc, bits = {}, 0, 0
  for i = 1, #s do
    local byte = s:byte(i)
    local v = B64DEC[byte]
    if v then
      acc, bits = ((acc << 6) | v) & 0xFFFFFF, bits + 6
      if bits >= 8 then
        bits = bits - 8
        out[#out + 1] = string.char((acc >> bits) & 0xFF)
      end
    elseif byte == 61 then
      break
    end
  end
  return table.concat(out)
end

-- Text in encoding `enc` (normalized) -> bytes: Node's Buffer.from(s, enc).
local function toBytes(s, enc)
  if enc == "buffer" then return s end
  local from = bufferFn("from")
  if from then return from(s, enc) end
  if enc == "hex" then return fromHexFallback(s) end
  if enc == "base64" or enc == "base64url" then return fromBase64Fallback(s) end
  return s
end

-- Bytes -> text in encoding `enc` (normalized): Node's buf.toString(enc).
local function fromBytes(s, enc)
  local toString = bufferFn("toString")
  if toString then return toString(s, enc) end
  if enc == "hex" then return toHexFallback(s) end
  if enc == "base64" then return toBase64Fallback(s) end
  return s
end

-- Splits s into the part made of whole UTF-8 characters and an incomplete
-- character at its end (kept for the next chunk).
local function splitUtf8(s)
  local n = #s
  for k = 1, math.min(3, n) do
    local b = s:byte(n - k + 1)
    if b < 0x80 then return s, "" end
    if b >= 0xC0 then
      local need = b >= 0xF0 and 4 or b >= 0xE0 and 3 or 2
      if need > k then return s:sub(1, n - k), s:sub(n - k + 1) end
      return s, ""
    end
  end
  return s, ""
end

-- Node's StringDecoder: bytes in, text out, never cutting a character
-- (utf8, utf16le) or a 3-byte group (base64) across chunks.
local Decoder = {}
Decoder.__index = Decoder

local function newDecoder(enc)
  local encoding = enc == nil and "utf8" or normalizeEncoding(enc)
  if encoding == nil or encoding == "buffer" then unknownEncoding(enc) end
  return setmetatable({ encoding = encoding, rest = "" }, Decoder)
end

-- How many bytes at the end of s (already with the kept rest) to keep back.
local function incompleteTail(s, enc)
  if enc == "utf8" then
    local whole = splitUtf8(s)
    return #s - #whole
  elseif enc == "base64" or enc == "base64url" then
    return #s % 3
  elseif enc == "utf16le" then
    local odd = #s % 2
    local n = #s - odd
    if n >= 2 then
      local unit = s:byte(n - 1) | (s:byte(n) << 8)
      if unit >= 0xD800 and unit <= 0xDBFF then return odd + 2 end -- half a surrogate pair
    end
    return odd
  end
  return 0
end

function Decoder:write(bytes)
  local s = self.rest .. bytes
  local keep = incompleteTail(s, self.encoding)
  self.rest = s:sub(#s - keep + 1)
  return fromBytes(s:sub(1, #s - keep), self.encoding)
end

-- Node's decoder.end(): what is left over, as text.
function Decoder:finish()
  local rest = self.rest
  self.rest = ""
  if rest == "" then return "" end
  if self.encoding == "utf8" then return "\u{FFFD}" end -- an incomplete character
  return fromBytes(rest, self.encoding)
end

---------------------------------------------------------------------------
-- A queue of chunks (the readable buffer).
---------------------------------------------------------------------------

local function listNew() return { first = 1, last = 0 } end

-- A readable state's buffer, made when the first chunk is buffered (and
-- dropped when it is read empty).
local function bufferOf(state)
  local list = state.buffer
  if list == nil then
    list = listNew()
    state.buffer = list
  end
  return list
end

local function listPush(l, v)
  l.last = l.last + 1
  l[l.last] = v
end

local function listUnshift(l, v)
  if l.first > l.last then
    l.first, l.last = 1, 1
    l[1] = v
  elseif l.first > 1 then
    l.first = l.first - 1
    l[l.first] = v
  else
    table.insert(l, 1, v)
    l.last = l.last + 1
  end
end

local function listShift(l)
  local v = l[l.first]
  l[l.first] = nil
  l.first = l.first + 1
  if l.first > l.last then l.first, l.last = 1, 0 end
  return v
end

-- Takes n bytes off the front (extending to a whole UTF-8 character when
-- `wholeChars`, so a decoded string is never cut).
local function listConsume(l, n, wholeChars)
  local parts, got = {}, 0
  while got < n and l.first <= l.last do
    local s = l[l.first]
    local need = n - got
    if #s <= need then
      parts[#parts + 1] = listShift(l)
      got = got + #s
    else
      if wholeChars then
        while need < #s and s:byte(need + 1) & 0xC0 == 0x80 do need = need + 1 end
      end
      parts[#parts + 1] = s:sub(1, need)
      if need < #s then l[l.first] = s:sub(need + 1) else listShift(l) end
      got = got + need
    end
  end
  return table.concat(parts)
end

---------------------------------------------------------------------------
-- Stream, and what Readable and Writable share: destroy and error handling.
---------------------------------------------------------------------------

local Stream = EventEmitter:extend("Stream")
M.Stream = Stream

local function getHighWaterMark(options, isDuplex, duplexKey, objectMode)
  local hwm, name = options.highWaterMark, "options.highWaterMark"
  if hwm == nil and isDuplex then hwm, name = options[duplexKey], "options." .. duplexKey end
  if hwm == nil then return objectMode and 16 or 16 * 1024 end
  if type(hwm) ~= "number" or hwm < 0 or hwm ~= math.floor(hwm) or hwm == math.huge then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE",
      string.format("The property '%s' is invalid. Received %s", name, tostring(hwm))), 4)
  end
  return math.tointeger(hwm)
end

local function emitErrorNT(self, err)
  local r, w = self._readableState, self._writableState
  if (w and w.errorEmitted) or (r and r.errorEmitted) then return end
  if w then w.errorEmitted = true end
  if r then r.errorEmitted = true end
  self:emit("error", err)
end

local function emitCloseNT(self)
  local r, w = self._readableState, self._writableState
  if w then w.closeEmitted = true end
  if r then r.closeEmitted = true end
  if (w and w.emitClose) or (r and r.emitClose) then self:emit("close") end
end

local function emitErrorCloseNT(self, err)
  emitErrorNT(self, err)
  emitCloseNT(self)
end

local function recordError(err, w, r)
  if err then
    if w and not w.errored then w.errored = err end
    if r and not r.errored then r.errored = err end
  end
end

-- destroy([err][, cb]): _destroy(err, done), then (deferred) 'error' when
-- there is an error, then 'close'. A second destroy only calls cb.
local function destroy(self, err, cb)
  local r, w = self._readableState, self._writableState
  if (w and w.destroyed) or (r and r.destroyed) then
    if type(cb) == "function" then cb() end
    return self
  end
  if err == false then err = nil end
  recordError(err, w, r)
  if w then w.destroyed = true end
  if r then r.destroyed = true end

  local called = false
  local function onDestroy(e)
    if called then return end
    called = true
    if e == false then e = nil end
    recordError(e, w, r)
    if w then w.closed = true end
    if r then r.closed = true end
    if type(cb) == "function" then cb(e) end
    if e then nextTick(emitErrorCloseNT, self, e) else nextTick(emitCloseNT, self) end
  end
  local ok, e = pcall(self._destroy, self, err, onDestroy)
  if not ok then
    if called then error(e, 0) end -- raised after _destroy finished: not ours to hide
    onDestroy(e)
  end
  return self
end

-- An error found while streaming: destroy with it (autoDestroy), or just
-- record and emit it.
local function errorOrDestroy(stream, err, sync)
  local r, w = stream._readableState, stream._writableState
  if (w and w.destroyed) or (r and r.destroyed) then return end
  if (r and r.autoDestroy) or (w and w.autoDestroy) then
    stream:destroy(err)
  elseif err then
    recordError(err, w, r)
    if sync then nextTick(emitErrorNT, stream, err) else emitErrorNT(stream, err) end
  end
end

local function setOptionMethods(self, options, names)
  for _, name in ipairs(names) do
    if type(options[name]) == "function" then self["_" .. name] = options[name] end
  end
end

local function checkOptions(options)
  if options ~= nil and type(options) ~= "table" then
    errors.invalidArgType("options", "of type table", options, 3)
  end
  return options or {}
end

---------------------------------------------------------------------------
-- Readable
---------------------------------------------------------------------------

local Readable = Stream:extend("Readable")
M.Readable = Readable

-- What a fresh ReadableState or WritableState holds. A state keeps only
-- what differs (its metatable supplies the rest), which keeps an idle stream
-- small; a few fields that go back to their default often are stored only
-- when they change, or go back to nil. Both sides start with these (errored
-- starts nil):
local function stateDefaults(t)
  t.emitClose, t.autoDestroy = true, true
  t.destroyed, t.errorEmitted, t.closed, t.closeEmitted = false, false, false, false
  return t
end

-- The metatable of a new state: { __index = defaults }, or, when the
-- options change one of the defaults that are set once (objectMode and its
-- highWaterMark, emitClose, autoDestroy, a writable's decodeStrings), a copy
-- of the defaults with those changed, made once per combination: states
-- made with the same options share it (every net.Socket's, for one) and
-- hold none of these.
local function stateMeta(metas, defaults, options, objectMode, decodeStrings)
  local emitClose, autoDestroy = options.emitClose ~= false, options.autoDestroy ~= false
  local key = (objectMode and 1 or 0) | (emitClose and 0 or 2) | (autoDestroy and 0 or 4) |
    (decodeStrings == false and 8 or 0)
  local meta = metas[key]
  if meta == nil then
    local d = {}
    for k, v in pairs(defaults) do d[k] = v end
    if objectMode then d.objectMode, d.highWaterMark = true, 16 end
    d.emitClose, d.autoDestroy = emitClose, autoDestroy
    if decodeStrings == false then d.decodeStrings = false end
    meta = { __index = d }
    metas[key] = meta
  end
  return meta
end

local READABLE_DEFAULTS = stateDefaults {
  objectMode = false,
  highWaterMark = 16 * 1024,
  -- buffer = nil:     the chunks buffered (a list), made when one is
  length = 0,          -- bytes buffered (objects in objectMode)
  -- flowing = nil:    no consumer yet; true: flowing; false: paused
  -- paused = nil:     true once pause() was called, false after resume()
  ended = false,       -- push(nil) was called
  endEmitted = false,
  reading = false,     -- a _read is in progress
  handleReading = false, -- (net.Socket) its handle is read-started: pushes come by themselves
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
  if state.handleReading and state.flowing and state.length == 0 and
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
    nextTick(endReadableNT, state, stream)
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

local function readableAddChunk(stream, chunk, encoding, addToFront)
  local state = stream._readableState
  if encoding == nil and not addToFront and type(chunk) == "string" and #chunk > 0 and
      not (state.objectMode or state.decoder or state.ended or state.destroyed or state.errored) then
    -- the common case (bytes from a handle), as the general path below does it
    state.reading = false
    addChunk(stream, state, chunk, false)
    return state.length < state.highWaterMark or state.length == 0
  end
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

  if chunk == nil then
    state.reading = false
    onEofChunk(stream, state)
  elseif state.objectMode or #chunk > 0 then
    if addToFront then
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
    elseif state.ended then
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

local function pipeOnDrain(src, dest)
  return function()
    local state = src._readableState
    if state.awaitDrainWriters == dest then
      state.awaitDrainWriters = nil
    elseif state.multiAwaitDrain then
      state.awaitDrainWriters[dest] = nil
    end
    local waiting = state.awaitDrainWriters
    local nobodyWaiting = waiting == nil or (state.multiAwaitDrain and next(waiting) == nil)
    if nobodyWaiting and src:listenerCount("data") > 0 then
      src:resume()
      -- dest has taken everything: the bytes may go on in C from here
      if src._tryForward and state.length == 0 then src:_tryForward(dest) end
    end
  end
end

local function indexOf(list, v)
  for i = 1, #list do
    if list[i] == v then return i end
  end
  return nil
end

-- One src:pipe(dest). Node's pipe() makes a closure per handler; here the
-- handlers are methods shared by every pipe, and what is registered on the
-- two streams are small closures over this object (each has to be a function
-- of its own, so that cleanup can remove it). Node's once('end'),
-- once('close') and once('finish') are listeners that remove themselves
-- first thing, which is what a once wrapper would do.
local Pipe = {
  doEnd = true,        -- end dest when src ends (false: only unpipe)
  cleanedUp = false,
  -- ondrain = nil:    made at the first pause, then kept
}
Pipe.__index = Pipe

function Pipe:unpipe()
  self.src:unpipe(self.dest)
end

-- Removes every listener this pipe added.
function Pipe:cleanup()
  local src, dest = self.src, self.dest
  dest:removeListener("close", self.onclose)
  dest:removeListener("finish", self.onfinish)
  if self.ondrain then dest:removeListener("drain", self.ondrain) end
  dest:removeListener("error", self.onerror)
  dest:removeListener("unpipe", self.onunpipe)
  src:removeListener("end", self.onend)
  src:removeListener("data", self.ondata)
  if rawget(src, "_forwardTo") == dest then src:_stopForward() end
  self.cleanedUp = true
  -- if we were waiting for this dest, stop waiting: it is gone
  local w = dest._writableState
  if self.ondrain and src._readableState.awaitDrainWriters and (not w or w.needDrain) then self.ondrain() end
end

function Pipe:onUnpipe(readable, info)
  if readable == self.src and info and info.hasUnpiped == false then
    info.hasUnpiped = true
    self:cleanup()
  end
end

function Pipe:pause()
  local src, dest = self.src, self.dest
  if not self.cleanedUp then
    local state = src._readableState
    if #state.pipes == 1 and state.pipes[1] == dest then
      state.awaitDrainWriters = dest
      state.multiAwaitDrain = false
    elseif #state.pipes > 1 and indexOf(state.pipes, dest) then
      state.awaitDrainWriters[dest] = true
    end
    src:pause()
  end
  if not self.ondrain then
    self.ondrain = pipeOnDrain(src, dest)
    dest:on("drain", self.ondrain)
  end
end

-- src ended (once): end dest, or just unpipe
function Pipe:onEnd()
  self.src:removeListener("end", self.onend)
  if self.doEnd then
    local dest = self.dest
    local finish = dest.done or dest["end"]
    finish(dest)
  else
    self:unpipe()
  end
end

-- An error on dest unpipes; if nobody else handles it, it is not swallowed.
function Pipe:onError(er)
  local dest = self.dest
  self:unpipe()
  dest:removeListener("error", self.onerror)
  if dest:listenerCount("error") == 0 then
    local s = dest._writableState or dest._readableState
    if s and not s.errorEmitted then errorOrDestroy(dest, er) else dest:emit("error", er) end
  end
end

-- dest emitted 'close' or 'finish' (once, and the other one no more)
function Pipe:onDestDone(name)
  local dest, other = self.dest, name == "close" and "finish" or "close"
  dest:removeListener(name, self["on" .. name])
  dest:removeListener(other, self["on" .. other])
  self:unpipe()
end

-- pipe(dest[, { ["end"] = false }]) -> dest. Writes every chunk to dest,
-- pausing while dest:write() returns false until dest emits 'drain'; ends
-- dest when this stream ends (unless end = false).
function Readable:pipe(dest, options)
  local src, state = self, self._readableState

  if #state.pipes == 1 and not state.multiAwaitDrain then
    state.multiAwaitDrain = true
    local set = {}
    if state.awaitDrainWriters then set[state.awaitDrainWriters] = true end
    state.awaitDrainWriters = set
  end
  state.pipes[#state.pipes + 1] = dest

  local p = setmetatable({ src = src, dest = dest }, Pipe)
  -- as in Node, process.stdout and stderr (fd 1 and 2) are never ended
  local fd = rawget(dest, "fd")
  if (options and options["end"] == false) or fd == 1 or fd == 2 then p.doEnd = false end
  p.onend = function() p:onEnd() end
  p.onunpipe = function(readable, info) p:onUnpipe(readable, info) end
  -- (a pipe that could not go to C at first, because bytes were buffered,
  -- tries again a few times once they are through, and after each 'drain')
  local forwardTries = src._tryForward and 4 or 0
  p.ondata = function(chunk) -- (on the path of every chunk: no method call)
    local ok = dest:write(chunk)
    if forwardTries > 0 and state.length == 0 then
      forwardTries = forwardTries - 1
      if src:_tryForward(dest) then
        forwardTries = 0
        return -- C waits for dest's queue itself
      end
    end
    if ok == false then p:pause() end
  end
  p.onerror = function(er) p:onError(er) end
  p.onclose = function() p:onDestDone("close") end
  p.onfinish = function() p:onDestDone("finish") end

  if state.endEmitted then nextTick(p.onend) else src:on("end", p.onend) end
  dest:on("unpipe", p.onunpipe)
  src:on("data", p.ondata)
  dest:prependListener("error", p.onerror)
  dest:on("close", p.onclose)
  dest:on("finish", p.onfinish)
  dest:emit("pipe", src)

  if dest.writableNeedDrain == true then
    p:pause()
  elseif not state.flowing then
    src:resume()
  end
  -- between two native sockets the bytes may stay in C (tls.lua, forwarding)
  if src._tryForward then src:_tryForward(dest) end
  return dest
end

-- unpipe([dest]): stop piping to dest (or to every destination).
function Readable:unpipe(dest)
  local state = self._readableState
  if #state.pipes == 0 then return self end
  if dest == nil then
    local dests = state.pipes
    state.pipes = {}
    self:pause()
    for _, d in ipairs(dests) do d:emit("unpipe", self, { hasUnpiped = false }) end
    return self
  end
  local index = indexOf(state.pipes, dest)
  if index == nil then return self end
  table.remove(state.pipes, index)
  if #state.pipes == 0 then self:pause() end
  dest:emit("unpipe", self, { hasUnpiped = false })
  return self
end

-- Readable.from(iterable[, options]): a Readable (objectMode by default) that
-- gives a string as one chunk, an array's values in order, or the values an
-- iterator function returns until it returns nil.
function Readable.from(iterable, options)
  local nextValue
  if type(iterable) == "string" then
    local done = false
    nextValue = function()
      if done then return nil end
      done = true
      return iterable
    end
  elseif type(iterable) == "table" then
    local i = 0
    nextValue = function()
      i = i + 1
      return iterable[i]
    end
  elseif type(iterable) == "function" then
    nextValue = iterable
  else
    errors.invalidArgType("iterable", "a string, table or function", iterable)
  end
  local opts = { objectMode = true }
  for k, v in pairs(checkOptions(options)) do opts[k] = v end
  opts.read = function(self)
    while true do
      local ok, value = pcall(nextValue)
      if not ok then
        self:destroy(value)
        return
      end
      if value == nil then
        self:push(nil)
        return
      end
      if not self:push(value) then return end
    end
  end
  return Readable.new(opts)
end

local defineProperty = EventEmitter.defineProperty

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

---------------------------------------------------------------------------
-- Writable
---------------------------------------------------------------------------

local Writable = Stream:extend("Writable")
M.Writable = Writable

-- Back to no buffered write (the defaults in WRITABLE_DEFAULTS).
local function resetBuffer(state)
  state.buffered, state.bufferedIndex, state.bufferedLen = nil, nil, nil
  state.allBuffers, state.allNoop = nil, nil
end

local function pendingBuffered(state)
  return state.bufferedLen - state.bufferedIndex + 1
end

local onwrite -- defined below

-- What a fresh WritableState holds (see READABLE_DEFAULTS).
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

---------------------------------------------------------------------------
-- Duplex: a Readable that is also a Writable.
---------------------------------------------------------------------------

local Duplex = Readable:extend("Duplex")
M.Duplex = Duplex
Duplex.__implements = { Writable } -- EventEmitter.instanceOf(duplex, Writable) is true
Duplex.allowHalfOpen = true -- (on the class; an instance holds it only when it differs)

-- options as for Readable and Writable, plus allowHalfOpen (default true:
-- the writable side stays open after the readable side ends), readable =
-- false / writable = false (start with that side already ended),
-- readableObjectMode, writableObjectMode, readableHighWaterMark,
-- writableHighWaterMark.
function Duplex:init(options)
  options = checkOptions(options)
  Stream.init(self)
  self._readableState = newReadableState(options, true)
  self._writableState = newWritableState(options, self, true)
  setOptionMethods(self, options, { "read", "write", "writev", "final", "destroy" })
  local allowHalfOpen = options.allowHalfOpen ~= false
  if allowHalfOpen ~= self.allowHalfOpen then self.allowHalfOpen = allowHalfOpen end
  if options.readable == false then
    local r = self._readableState
    r.readable, r.ended, r.endEmitted = false, true, true
  end
  if options.writable == false then
    local w = self._writableState
    w.writable, w.ending, w.ended, w.finished = false, true, true, true
  end
end

for key, value in pairs(Writable) do
  if type(value) == "function" and Duplex[key] == nil and not key:match("^__") then
    Duplex[key] = value
  end
end
Duplex.destroy = Writable.destroy
for key, getter in pairs(rawget(Writable, "__getters")) do
  if rawget(rawget(Duplex, "__getters"), key) == nil then
    defineProperty(Duplex, key, getter, rawget(Writable, "__setters")[key])
  end
end
defineProperty(Duplex, "destroyed", function(self)
  local r, w = self._readableState, self._writableState
  return r ~= nil and w ~= nil and r.destroyed and w.destroyed
end, function(self, value)
  if self._readableState then self._readableState.destroyed = value end
  if self._writableState then self._writableState.destroyed = value end
end)

---------------------------------------------------------------------------
-- Transform and PassThrough
---------------------------------------------------------------------------

local Transform = Duplex:extend("Transform")
M.Transform = Transform

-- Push what _flush gives, then end the readable side.
local function transformFinal(self, cb)
  if type(self._flush) == "function" and not self.destroyed then
    self:_flush(function(er, data)
      if er then
        if cb then cb(er) else self:destroy(er) end
        return
      end
      if data ~= nil then self:push(data) end
      self:push(nil)
      if cb then cb() end
    end)
  else
    self:push(nil)
    if cb then cb() end
  end
end
Transform._final = transformFinal

function Transform:init(options)
  options = checkOptions(options)
  Duplex.init(self, options)
  -- pushes from _transform may go straight to 'data'
  self._readableState.sync = false
  self._transformCallback = nil
  setOptionMethods(self, options, { "transform", "flush" })
  -- a user-supplied final replaces ours; flush must still run
  self:on("prefinish", function()
    if self._final ~= transformFinal then transformFinal(self) end
  end)
end

function Transform._transform()
  error(notImplemented("_transform()"), 0)
end

function Transform:_write(chunk, encoding, callback)
  local r, w = self._readableState, self._writableState
  local length = r.length
  self:_transform(chunk, encoding, function(err, value)
    if err then
      callback(err)
      return
    end
    if value ~= nil then self:push(value) end
    if w.ended or length == r.length or r.length < r.highWaterMark then
      callback()
    else
      -- the readable side is full: take the next chunk when it is read
      self._transformCallback = callback
    end
  end)
end

function Transform:_read()
  local callback = self._transformCallback
  if callback then
    self._transformCallback = nil
    callback()
  end
end

local PassThrough = Transform:extend("PassThrough")
M.PassThrough = PassThrough

function PassThrough._transform(_, chunk, _, callback)
  callback(nil, chunk)
end

---------------------------------------------------------------------------
-- finished and pipeline
---------------------------------------------------------------------------

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

-- finished(stream[, options], callback) -> cleanup function. callback(err)
-- runs once, when the stream has ended and finished (per options.readable /
-- options.writable), errored, or closed early (ERR_STREAM_PREMATURE_CLOSE).
-- Its listeners stay attached after the callback (as in Node), so a late
-- 'error' is not unhandled; call the returned function to remove them.
function M.finished(stream, options, callback)
  if type(options) == "function" then options, callback = nil, options end
  options = checkOptions(options)
  if type(callback) ~= "function" then errors.invalidArgType("callback", "of type function", callback) end
  if type(stream) ~= "table" or (stream._readableState == nil and stream._writableState == nil) then
    errors.invalidArgType("stream", "a stream", stream)
  end

  local called = false
  local function done(err)
    if called then return end
    called = true
    callback(err)
  end

  local r, w = stream._readableState, stream._writableState
  local readable = options.readable
  if readable == nil then readable = isReadableStream(stream) end
  local writable = options.writable
  if writable == nil then writable = isWritableStream(stream) end

  local state = w or r
  local willEmitClose = state.autoDestroy and state.emitClose and not state.closed and
    isReadableStream(stream) == readable and isWritableStream(stream) == writable

  local isWritableDone = writableFinished(stream, false)
  local isReadableDone = readableFinished(stream, false)

  local function onfinish()
    isWritableDone = true
    if stream.destroyed then willEmitClose = false end
    if willEmitClose and (not stream.readable or readable) then return end
    if not readable or isReadableDone then done() end
  end

  local function onend()
    isReadableDone = true
    if stream.destroyed then willEmitClose = false end
    if willEmitClose and (not stream.writable or writable) then return end
    if not writable or isWritableDone then done() end
  end

  local function onerror(err) done(err) end

  local function erroredWith()
    return (w and w.errored) or (r and r.errored)
  end

  local function onclose()
    local err = erroredWith()
    if err then return done(err) end
    if readable and not isReadableDone and isReadableStream(stream) and not readableFinished(stream, false) then
      return done(errors.new("ERR_STREAM_PREMATURE_CLOSE", "Premature close"))
    end
    if writable and not isWritableDone and not writableFinished(stream, false) then
      return done(errors.new("ERR_STREAM_PREMATURE_CLOSE", "Premature close"))
    end
    done()
  end

  local function onclosed() done(erroredWith() or nil) end

  stream:on("end", onend)
  stream:on("finish", onfinish)
  if options.error ~= false then stream:on("error", onerror) end
  stream:on("close", onclose)

  if (w and w.closed) or (r and r.closed) then
    nextTick(onclose)
  elseif (w and w.errorEmitted) or (r and r.errorEmitted) then
    if not willEmitClose then nextTick(onclosed) end
  elseif not readable and (not willEmitClose or readableNow(stream)) and
      (isWritableDone or writableNow(stream) == false) then
    nextTick(onclosed)
  elseif not writable and (not willEmitClose or writableNow(stream)) and
      (isReadableDone or readableNow(stream) == false) then
    nextTick(onclosed)
  end

  return function()
    done = nop
    stream:removeListener("end", onend)
    stream:removeListener("finish", onfinish)
    stream:removeListener("error", onerror)
    stream:removeListener("close", onclose)
  end
end

-- pipeline(stream1, stream2, ..., callback) -> the last stream. Pipes each
-- stream into the next; on an error anywhere destroys them all; calls
-- callback(err) (on the next tick) once every stream is done. The streams
-- may also be given as one array: pipeline({ a, b, c }, callback).
function M.pipeline(...)
  local streams = table.pack(...)
  local callback = streams[streams.n]
  if type(callback) ~= "function" then
    errors.invalidArgType("callback", "of type function", callback)
  end
  streams[streams.n] = nil
  streams.n = streams.n - 1
  if streams.n == 1 and type(streams[1]) == "table" and streams[1]._readableState == nil and
      streams[1]._writableState == nil then
    streams = streams[1]
    streams.n = #streams
  end
  local count = streams.n
  if count < 2 then
    error(errors.TypeError("ERR_MISSING_ARGS", 'The "streams" argument must be specified'), 2)
  end

  local firstError, remaining = nil, count
  local destroys = {}

  local function finishOne(err, final)
    local replaceable = firstError == nil or
      (type(firstError) == "table" and firstError.code == "ERR_STREAM_PREMATURE_CLOSE")
    if err and replaceable then firstError = err end
    if firstError == nil and not final then return end
    while #destroys > 0 do table.remove(destroys, 1)(firstError) end
    if final then nextTick(callback, firstError) end
  end

  for i = 1, count do
    local s = streams[i]
    local settled = false
    M.finished(s, { readable = i < count, writable = i > 1 }, function(err)
      settled = not err
      remaining = remaining - 1
      finishOne(err, remaining == 0)
    end)
    destroys[#destroys + 1] = function(err)
      if settled then return end
      settled = true
      s:destroy(err or destroyedError("pipe"))
    end
  end

  for i = 1, count - 1 do streams[i]:pipe(streams[i + 1]) end
  return streams[count]
end

return M
