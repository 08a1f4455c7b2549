-- luatls.internal.streams.state: what Readable and Writable share when they
-- make their states (defaults, highWaterMark, options) and a few small
-- helpers (nop, the errors every stream raises). Used by the stream classes
-- under internal/streams/; not a public module.
local errors = require("luatls.errors")

local M = {}

function M.nop() end

function M.destroyedError(method)
  return errors.new("ERR_STREAM_DESTROYED",
    string.format("Cannot call %s after a stream was destroyed", method))
end

function M.notImplemented(method)
  return errors.new("ERR_METHOD_NOT_IMPLEMENTED",
    string.format("The %s method is not implemented", method))
end

function M.getHighWaterMark(options, isDuplex, duplexKey, objectMode)
  local hwm, name = options.highWaterMark, "options.highWaterMark"
  if hwm == nil and isDuplex then hwm, name = options[duplexKey], "options." .. duplexKey end
  if hwm == nil then return objectMode and 16 or 16 * 1024 end
  if type(hwm) ~= "number" or hwm < 0 or hwm ~= math.floor(hwm) or hwm == math.huge then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE",
      string.format("The property '%s' is invalid. Received %s", name, tostring(hwm))), 4)
  end
  return math.tointeger(hwm)
end

function M.setOptionMethods(self, options, names)
  for _, name in ipairs(names) do
    if type(options[name]) == "function" then self["_" .. name] = options[name] end
  end
end

function M.checkOptions(options)
  if options ~= nil and type(options) ~= "table" then
    errors.invalidArgType("options", "of type table", options, 3)
  end
  return options or {}
end

-- What a fresh ReadableState or WritableState holds. A state keeps only
-- what differs (its metatable supplies the rest), which keeps an idle stream
-- small; a few fields that go back to their default often are stored only
-- when they change, or go back to nil. Both sides start with these (errored
-- starts nil):
function M.stateDefaults(t)
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
function M.stateMeta(metas, defaults, options, objectMode, decodeStrings)
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

return M
