-- luatls.internal.streams.duplex: Duplex, a Readable that is also a Writable
-- (Node's lib/internal/streams/duplex.js).
local EventEmitter = require("luatls.events")
local Stream = require("luatls.internal.streams.legacy")
local stateLib = require("luatls.internal.streams.state")
local readable = require("luatls.internal.streams.readable")
local writable = require("luatls.internal.streams.writable")

local Readable, newReadableState = readable.Readable, readable.newState
local Writable, newWritableState = writable.Writable, writable.newState
local checkOptions, setOptionMethods = stateLib.checkOptions, stateLib.setOptionMethods
local defineProperty = EventEmitter.defineProperty

local Duplex = Readable:extend("Duplex")

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

-- A Duplex also is a Writable (EventEmitter.instanceOf(duplex, Writable)),
-- with Writable's methods and properties where Readable has none.
EventEmitter.mixin(Duplex, Writable)
Duplex.destroy = Writable.destroy
defineProperty(Duplex, "destroyed", function(self)
  local r, w = self._readableState, self._writableState
  return r ~= nil and w ~= nil and r.destroyed and w.destroyed
end, function(self, value)
  if self._readableState then self._readableState.destroyed = value end
  if self._writableState then self._writableState.destroyed = value end
end)

return Duplex
