-- luatls.internal.streams.transform: Transform and PassThrough (Node's
-- lib/internal/streams/transform.js and passthrough.js).
local stateLib = require("luatls.internal.streams.state")
local Duplex = require("luatls.internal.streams.duplex")

local checkOptions, setOptionMethods = stateLib.checkOptions, stateLib.setOptionMethods
local notImplemented = stateLib.notImplemented

local M = {}

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

return M
