-- luatls.internal.async.stream: LuaSocket's receive/send and Node's
-- readable.iterator() on luatls's streams, for use inside a task.
--
-- The first receive() or iterator() on a stream gives it a reader: 'data',
-- 'end', 'error' and 'close' listeners (installed once, kept for the
-- stream's life) that queue the chunks and wake the task waiting on it. The
-- reader pauses the stream while it holds readableHighWaterMark bytes nobody
-- asked for, and resumes it when a receive needs more, so a slow task keeps
-- the peer's data in the kernel, not in memory. One task at a time may wait
-- on a stream's reader.
--
-- Only the streams' public API is used: on/removeListener, pause/resume,
-- write, and the readable*/writable*/destroyed properties.
local errors = require("luatls.errors")
local task = require("luatls.internal.async.task")

local M = {}

local find, sub, concat = string.find, string.sub, table.concat
local wait = task.wait

local readers = setmetatable({}, { __mode = "k" })

local function eofError()
  return errors.new("EOF", "The stream ended")
end

local function closedError()
  return errors.new("ERR_STREAM_PREMATURE_CLOSE", "Premature close")
end

local function poke(r)
  local w = r.waker
  if w then
    r.waker = nil
    w(true)
  end
end

local function newReader(stream)
  local r = {
    stream = stream, parts = {}, head = 1, tail = 0, off = 0, size = 0,
    scanned = 0, ended = false, err = nil, waker = nil, paused = false,
    hwm = tonumber(stream.readableHighWaterMark) or 16384,
  }
  if r.hwm < 1 then r.hwm = 1 end
  stream:on("data", function(chunk)
    local t = r.tail + 1
    r.tail = t
    r.parts[t] = chunk
    if type(chunk) == "string" then
      r.size = r.size + #chunk
    else
      r.size = r.size + 1 -- an object mode chunk counts one
    end
    if r.size >= r.hwm and not r.paused then
      r.paused = true
      stream:pause()
    end
    poke(r)
  end)
  stream:on("end", function()
    r.ended = true
    poke(r)
  end)
  stream:on("error", function(e)
    if r.err == nil then r.err = e end
    poke(r)
  end)
  stream:on("close", function()
    if not r.ended and r.err == nil then r.err = closedError() end
    poke(r)
  end)
  if stream.readableEnded then
    r.ended = true
  elseif stream.destroyed then
    r.err = stream.errored or closedError()
  end
  readers[stream] = r
  return r
end

local function reader(stream)
  return readers[stream] or newReader(stream)
end

-- more(r, what): wait for the next thing to happen on the reader
local function more(r, what)
  if r.waker then
    errors.throw("ERR_ASYNC_BUSY", "another task is already waiting on this stream", nil, 3)
  end
  if r.paused then
    r.paused = false
    r.stream:resume()
  end
  wait(what, function(wake)
    r.waker = wake
    return function()
      if r.waker == wake then r.waker = nil end
    end
  end)
end

-- after a take: let the stream flow again when the reader has room
local function refill(r)
  if r.paused and r.size < r.hwm then
    r.paused = false
    r.stream:resume()
  end
end

local function byteChunk(r)
  local p = r.parts[r.head]
  if type(p) ~= "string" then
    errors.throw("ERR_INVALID_ARG_TYPE",
      "stream:receive() reads bytes: this stream gave a " .. type(p) .. " (object mode)", nil, 4)
  end
  return p
end

-- take(r, n): the next n bytes (n <= r.size), as one string
local function take(r, n)
  r.scanned = 0
  if n == 0 then return "" end
  local parts = r.parts
  local p = byteChunk(r)
  local off = r.off
  local avail = #p - off
  if n <= avail then
    local s = (off == 0 and n == #p) and p or sub(p, off + 1, off + n)
    if n == avail then
      parts[r.head] = nil
      r.head = r.head + 1
      r.off = 0
    else
      r.off = off + n
    end
    r.size = r.size - n
    return s
  end
  local out, k, need = {}, 0, n
  while need > 0 do
    p = byteChunk(r)
    off = r.off
    avail = #p - off
    k = k + 1
    if need >= avail then
      out[k] = off == 0 and p or sub(p, off + 1)
      parts[r.head] = nil
      r.head = r.head + 1
      r.off = 0
      need = need - avail
    else
      out[k] = sub(p, off + 1, off + need)
      r.off = off + need
      need = 0
    end
  end
  r.size = r.size - n
  return concat(out)
end

-- lineLength(r): bytes up to and including the first "\n", or nil; what was
-- searched is remembered, so a long line is searched once
local function lineLength(r)
  local count, parts = 0, r.parts
  for i = r.head, r.tail do
    local p = parts[i]
    if type(p) ~= "string" then byteChunk(r) end
    local s = i == r.head and r.off or 0
    local len = #p - s
    if count + len > r.scanned then
      local from = s + 1
      if r.scanned > count then from = from + (r.scanned - count) end
      local at = find(p, "\n", from, true)
      if at then return count + (at - s) end
    end
    count = count + len
  end
  r.scanned = count
  return nil
end

local function checkPattern(pattern)
  if pattern == nil or pattern == "*l" or pattern == "l" then return "l" end
  if pattern == "*a" or pattern == "a" then return "a" end
  if math.type(pattern) == "integer" or (type(pattern) == "number" and pattern == math.floor(pattern)) then
    if pattern < 0 then
      errors.outOfRange("pattern", ">= 0", pattern, 4)
    end
    return math.tointeger(pattern)
  end
  errors.throw("ERR_INVALID_ARG_VALUE",
    "The argument 'pattern' must be \"*l\", \"*a\" or a number of bytes. Received " ..
    (type(pattern) == "string" and string.format("%q", pattern) or tostring(pattern)), nil, 4)
end

-- the end of a receive that cannot be satisfied: nil, err, what there was
local function short(r, prefix)
  local partial = take(r, r.size)
  if prefix then partial = prefix .. partial end
  return nil, r.err or eofError(), partial
end

-- receive(stream, pattern, prefix) -> data | nil, err, partial
function M.receive(stream, pattern, prefix)
  task.need("stream:receive()", 3)
  local what = checkPattern(pattern)
  if prefix ~= nil and type(prefix) ~= "string" then
    errors.invalidArgType("prefix", "of type string", prefix, 3)
  end
  local r = reader(stream)
  if what == "l" then
    while true do
      local n = lineLength(r)
      if n then
        local line = take(r, n)
        refill(r)
        local stop = n - 1
        if stop > 0 and sub(line, stop, stop) == "\r" then stop = stop - 1 end
        line = sub(line, 1, stop)
        if prefix then line = prefix .. line end
        return line
      end
      if r.err ~= nil or r.ended then return short(r, prefix) end
      more(r, "stream:receive()")
    end
  elseif what == "a" then
    while not r.ended and r.err == nil do
      more(r, "stream:receive()")
    end
    if r.err ~= nil then return short(r, prefix) end
    local all = take(r, r.size)
    if prefix then all = prefix .. all end
    return all
  else
    while r.size < what and r.err == nil and not r.ended do
      more(r, "stream:receive()")
    end
    if r.size < what then return short(r, prefix) end
    local data = take(r, what)
    refill(r)
    if prefix then data = prefix .. data end
    return data
  end
end

-- send(stream, data) -> true | nil, err: write, then wait while the stream
-- is over its highWaterMark
function M.send(stream, data)
  task.need("stream:send()", 3)
  if stream.destroyed then
    return nil, stream.errored or errors.new("ERR_STREAM_DESTROYED",
      "Cannot call write after a stream was destroyed")
  end
  if stream.writableEnded then
    return nil, errors.new("ERR_STREAM_WRITE_AFTER_END", "write after end")
  end
  if stream:write(data) then return true end
  local failure
  wait("stream:send()", function(wake)
    local function onDrain() wake(true) end
    local function onError(e)
      failure = e
      wake(true)
    end
    local function onClose()
      failure = failure or stream.errored or errors.new("ERR_STREAM_DESTROYED",
        "The stream was destroyed before the data was written")
      wake(true)
    end
    stream:on("drain", onDrain)
    stream:on("error", onError)
    stream:on("close", onClose)
    return function()
      stream:removeListener("drain", onDrain)
      stream:removeListener("error", onError)
      stream:removeListener("close", onClose)
    end
  end)
  if failure ~= nil then return nil, failure end
  return true
end

-- iterator(stream, options) -> iterator, for a generic for: the chunks as
-- they come (the rest of one a receive left), until the end; an error is
-- raised. Leaving the loop early destroys the stream, unless
-- options.destroyOnReturn is false (Node's readable.iterator()).
function M.iterator(stream, options)
  task.need("stream:iterator()", 3)
  if options ~= nil and type(options) ~= "table" then
    errors.invalidArgType("options", "of type table", options, 3)
  end
  local destroyOnReturn = not (options and options.destroyOnReturn == false)
  local r = reader(stream)
  local finished = false
  local function nextChunk()
    while true do
      if r.head <= r.tail then
        local p = r.parts[r.head]
        local chunk
        if type(p) == "string" then
          chunk = take(r, #p - r.off)
        else
          r.parts[r.head] = nil
          r.head = r.head + 1
          r.size = r.size - 1
          chunk = p
        end
        refill(r)
        return chunk
      end
      if r.err ~= nil then
        finished = true
        error(r.err, 0)
      end
      if r.ended then
        finished = true
        return nil
      end
      more(r, "stream:iterator()")
    end
  end
  local closer = setmetatable({}, {
    __close = function()
      if not finished and destroyOnReturn and not stream.destroyed then
        stream:destroy()
      end
    end,
  })
  return nextChunk, nil, nil, closer
end

return M
