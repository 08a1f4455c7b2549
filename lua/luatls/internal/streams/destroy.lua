-- luatls.internal.streams.destroy: what Readable and Writable share to end
-- a stream: destroy() (_destroy, then the deferred 'error' and 'close') and
-- errorOrDestroy (an error found while streaming).
local nextTick = require("luatls.tick").nextTick

local M = {}

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
function M.destroy(self, err, cb)
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
function M.errorOrDestroy(stream, err, sync)
  local r, w = stream._readableState, stream._writableState
  if (w and w.destroyed) or (r and r.destroyed) then return end
  if (r and r.autoDestroy) or (w and w.autoDestroy) then
    stream:destroy(err)
  elseif err then
    recordError(err, w, r)
    if sync then nextTick(emitErrorNT, stream, err) else emitErrorNT(stream, err) end
  end
end

return M
