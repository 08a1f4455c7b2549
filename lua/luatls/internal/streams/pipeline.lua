-- luatls.internal.streams.pipeline: stream.pipeline(...) (Node's
-- lib/internal/streams/pipeline.js).
local errors = require("luatls.errors")
local nextTick = require("luatls.tick").nextTick
local destroyedError = require("luatls.internal.streams.state").destroyedError
local finished = require("luatls.internal.streams.finished")

-- pipeline(stream1, stream2, ..., callback) -> the last stream. Pipes each
-- stream into the next; on an error anywhere destroys them all; calls
-- callback(err) (on the next tick) once every stream is done. The streams
-- may also be given as one array: pipeline({ a, b, c }, callback).
local function pipeline(...)
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
    finished(s, { readable = i < count, writable = i > 1 }, function(err)
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

return pipeline
