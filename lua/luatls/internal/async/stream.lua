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
-- A reader's state lives in the upvalues of its functions, not in a table:
-- receive("*l") runs once per line, and an upvalue costs less than a field.
--
-- Only the streams' public API is used: on/removeListener, pause/resume,
-- write, and the readable*/writable*/destroyed properties.
local errors = require("luatls.errors")
local task = require("luatls.internal.async.task")

local M = {}

local find, sub, byte, concat = string.find, string.sub, string.byte, table.concat
local running = coroutine.running
local wait, park, wake, need, tasks = task.wait, task.park, task.wake, task.need, task.tasks

local readers = setmetatable({}, { __mode = "k" })

local function eofError()
  return errors.new("EOF", "The stream ended")
end

local function closedError()
  return errors.new("ERR_STREAM_PREMATURE_CLOSE", "Premature close")
end

local function notBytes(p, level)
  errors.throw("ERR_INVALID_ARG_TYPE",
    "stream:receive() reads bytes: this stream gave a " .. type(p) .. " (object mode)", nil, level + 1)
end

-- newReader(stream) -> the reader's functions:
--   line(t, prefix, level), all(t, prefix, level), bytes(t, n, prefix,
--   level): receive's three patterns for the running task t (level: where
--   an error points, counted from the reader's function)
--   chunk(t, level) -> the next chunk (the rest of one a receive left); nil
--   at the end; nil, err when the stream failed
local function newReader(stream)
  local parts, head, tail, off, size = {}, 1, 0, 0, 0
  local scanned = 0     -- bytes already searched for "\n" without finding one
  local objects = false -- an object mode chunk was queued
  local ended, err, waiter, paused = false, nil, nil, false
  local hwm = tonumber(stream.readableHighWaterMark) or 16384
  if hwm < 1 then hwm = 1 end

  local function poke()
    local w = waiter
    if w then
      waiter = nil
      wake(w, true)
    end
  end
  local function queue(chunk)
    tail = tail + 1
    parts[tail] = chunk
    if type(chunk) == "string" then
      size = size + #chunk
    else
      size = size + 1 -- an object mode chunk counts one
      objects = true
    end
  end
  -- the chunks come one of two ways: straight from the stream's handle
  -- (direct: a socket nothing else reads, see Readable:_takeChunks), or as
  -- 'data' events
  local direct = false
  local resumeDirect -- (restarts the socket's reads)
  local function onData(chunk)
    queue(chunk)
    if size >= hwm and not paused then
      paused = true
      stream:pause()
    end
    local w = waiter -- (poke, inline: once per chunk)
    if w then
      waiter = nil
      wake(w, true)
    end
  end
  -- -> false: full, the socket stops reading (the waiting task runs first:
  -- when it took enough, it has unpaused, and reading goes on)
  local function sink(chunk)
    queue(chunk)
    if size >= hwm then paused = true end
    local w = waiter
    if w then
      waiter = nil
      wake(w, true)
    end
    return not paused
  end
  local function detach() -- something else reads the stream now
    direct, resumeDirect, paused = false, nil, false
    stream:on("data", onData)
  end
  local took
  took, resumeDirect = stream:_takeChunks(sink, detach)
  if took then
    direct = true
  else
    stream:on("data", onData)
  end
  stream:on("end", function()
    ended = true
    poke()
  end)
  stream:on("error", function(e)
    if err == nil then err = e end
    poke()
  end)
  stream:on("close", function()
    if not ended and err == nil then err = closedError() end
    poke()
  end)
  if stream.readableEnded then
    ended = true
  elseif stream.destroyed then
    err = stream.errored or closedError()
  end

  local function unpark() waiter = nil end

  -- more(t, level): the running task t waits for the next thing to happen
  local function more(t, level)
    if waiter then
      errors.throw("ERR_ASYNC_BUSY", "another task is already waiting on this stream", nil, level + 1)
    end
    if paused then
      paused = false
      if direct then resumeDirect() else stream:resume() end
    end
    waiter = t
    park(t, unpark)
  end

  -- after a take: let the stream flow again when the reader has room
  local function refill()
    if paused and size < hwm then
      paused = false
      if direct then resumeDirect() else stream:resume() end
    end
  end

  -- take(n, level): the next n bytes (n <= size), as one string
  local function take(n, level)
    scanned = 0
    if n == 0 then return "" end
    local p = parts[head]
    if type(p) ~= "string" then notBytes(p, level + 1) end
    local avail = #p - off
    if n <= avail then
      local s = (off == 0 and n == #p) and p or sub(p, off + 1, off + n)
      if n == avail then
        parts[head] = nil
        head = head + 1
        off = 0
      else
        off = off + n
      end
      size = size - n
      return s
    end
    local out, k, left = {}, 0, n
    while left > 0 do
      p = parts[head]
      if type(p) ~= "string" then notBytes(p, level + 1) end
      avail = #p - off
      k = k + 1
      if left >= avail then
        out[k] = off == 0 and p or sub(p, off + 1)
        parts[head] = nil
        head = head + 1
        off = 0
        left = left - avail
      else
        out[k] = sub(p, off + 1, off + left)
        off = off + left
        left = 0
      end
    end
    size = size - n
    return concat(out)
  end

  -- lineLength(level): bytes up to and including the first "\n", or nil;
  -- what was searched is remembered, so a long line is searched once
  local function lineLength(level)
    local count = 0
    for i = head, tail do
      local p = parts[i]
      if type(p) ~= "string" then notBytes(p, level + 1) end
      local s = i == head and off or 0
      local len = #p - s
      if count + len > scanned then
        local from = s + 1
        if scanned > count then from = from + (scanned - count) end
        local at = find(p, "\n", from, true)
        if at then return count + (at - s) end
      end
      count = count + len
    end
    scanned = count
    return nil
  end

  -- the end of a receive that cannot be satisfied: nil, err, what there was
  local function short(prefix, level)
    local partial = take(size, level + 1)
    if prefix then partial = prefix .. partial end
    return nil, err or eofError(), partial
  end

  local R = {}

  function R.line(t, prefix, level)
    while true do
      if head > tail and err == nil and not ended then more(t, level + 1) end
      -- the common case: the line is all in the first chunk
      if head <= tail and scanned == 0 and not objects then
        local p = parts[head]
        local at = find(p, "\n", off + 1, true)
        if at then
          local stop = at - 1
          if stop > off and byte(p, stop) == 13 then stop = stop - 1 end -- "\r"
          local line = sub(p, off + 1, stop)
          size = size - (at - off)
          if at == #p then
            parts[head] = nil
            head = head + 1
            off = 0
          else
            off = at
          end
          if paused and size < hwm then
            paused = false
            if direct then resumeDirect() else stream:resume() end
          end
          if prefix then line = prefix .. line end
          return line
        end
      end
      local n = head <= tail and lineLength(level + 1) -- a line across chunks
      if n then
        local line = take(n, level + 1)
        refill()
        local stop = n - 1
        if stop > 0 and byte(line, stop) == 13 then stop = stop - 1 end -- "\r"
        line = sub(line, 1, stop)
        if prefix then line = prefix .. line end
        return line
      end
      if err ~= nil or ended then return short(prefix, level + 1) end
      more(t, level + 1)
    end
  end

  function R.all(t, prefix, level)
    while not ended and err == nil do
      more(t, level + 1)
    end
    if err ~= nil then return short(prefix, level + 1) end
    local data = take(size, level + 1)
    if prefix then data = prefix .. data end
    return data
  end

  function R.bytes(t, n, prefix, level)
    while size < n and err == nil and not ended do
      more(t, level + 1)
    end
    if size < n then return short(prefix, level + 1) end
    local data = take(n, level + 1)
    refill()
    if prefix then data = prefix .. data end
    return data
  end

  function R.chunk(t, level)
    while true do
      if head <= tail then
        local p = parts[head]
        local chunk
        if type(p) == "string" then
          chunk = take(#p - off, level + 1)
        else
          parts[head] = nil
          head = head + 1
          size = size - 1
          chunk = p
        end
        refill()
        return chunk
      end
      if err ~= nil then return nil, err end
      if ended then return nil end
      more(t, level + 1)
    end
  end

  readers[stream] = R
  return R
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

-- receive(stream, pattern, prefix) -> data | nil, err, partial (called by
-- Readable:receive: errors point at its caller, level 3 from here)
function M.receive(stream, pattern, prefix)
  local t = tasks[running()] or need("stream:receive()", 3)
  if prefix ~= nil and type(prefix) ~= "string" then
    errors.invalidArgType("prefix", "of type string", prefix, 3)
  end
  local r = readers[stream] or newReader(stream)
  if pattern == nil or pattern == "*l" then return r.line(t, prefix, 3) end
  local what = checkPattern(pattern)
  if what == "l" then return r.line(t, prefix, 3) end
  if what == "a" then return r.all(t, prefix, 3) end
  return r.bytes(t, what, prefix, 3)
end

-- send(stream, data, destroyed, ended, errored) -> true | nil, err: write,
-- then wait while the stream is over its highWaterMark. destroyed, ended and
-- errored are the writable side's state (Writable:send reads them: the
-- stream's getters cost more than the rest of a send).
function M.send(stream, data, destroyed, ended, errored)
  if not tasks[running()] then need("stream:send()", 3) end
  if destroyed then
    return nil, errored or errors.new("ERR_STREAM_DESTROYED",
      "Cannot call write after a stream was destroyed")
  end
  if ended then
    return nil, errors.new("ERR_STREAM_WRITE_AFTER_END", "write after end")
  end
  if stream:write(data) then return true end
  local failure
  wait("stream:send()", function(done)
    local function onDrain() done(true) end
    local function onError(e)
      failure = e
      done(true)
    end
    local function onClose()
      failure = failure or stream.errored or errors.new("ERR_STREAM_DESTROYED",
        "The stream was destroyed before the data was written")
      done(true)
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
  need("stream:iterator()", 3)
  if options ~= nil and type(options) ~= "table" then
    errors.invalidArgType("options", "of type table", options, 3)
  end
  local destroyOnReturn = not (options and options.destroyOnReturn == false)
  local r = readers[stream] or newReader(stream)
  local finished = false
  local function nextChunk()
    -- (the task that runs the loop now, which may not be the one that made it)
    local chunk, e = r.chunk(tasks[running()] or need("stream:iterator()", 2), 2)
    if chunk == nil then
      finished = true
      if e ~= nil then error(e, 0) end
    end
    return chunk
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
