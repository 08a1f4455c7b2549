-- luatls.internal.streams.pipe: readable:pipe(dest) and readable:unpipe().
--
-- Two hooks let a source move the bytes of a pipe elsewhere (net.Socket
-- hands them to C, see internal/net/forward.lua):
--   src:_pipeSettled(dest) -> true when the bytes now go another way. Asked
--     when the pipe is set up, after each of its first few chunks while
--     nothing is buffered, and after dest's 'drain' with nothing buffered.
--     Readable's answers false.
--   src:_pipeStopped(dest): the pipe to dest is being taken down.
local nextTick = require("luatls.tick").nextTick
local errorOrDestroy = require("luatls.internal.streams.destroy").errorOrDestroy

local M = {}

-- Readable's _pipeSettled and _pipeStopped: the bytes stay in Lua.
function M.pipeSettled() return false end
function M.pipeStopped() end
local defaultSettled = M.pipeSettled

-- Whether nothing in Lua would see a chunk on its way from src to dest now:
-- src flows into this one pipe alone (no other 'data' or 'readable'
-- listener, no decoder, nothing buffered, not ended), and dest would hand a
-- write straight on (not corked, not ending, nothing buffered).
local function unobserved(src, state, dest)
  if not state.flowing or state.decoder or state.length > 0 or state.ended or #state.pipes ~= 1
      or src:listenerCount("data") ~= 1 or src:listenerCount("readable") > 0 then
    return false
  end
  local ws = dest._writableState
  return ws ~= nil and not ws.ending and dest:_bufferEmpty()
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
      -- dest has taken everything: the bytes may go another way from here
      if src._pipeSettled ~= defaultSettled and unobserved(src, state, dest) then src:_pipeSettled(dest) end
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
  src:_pipeStopped(dest)
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
function M.pipe(self, dest, options)
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
  -- (a pipe that could not settle at first, because bytes were buffered,
  -- tries again a few times once they are through, and after each 'drain')
  local forwardTries = src._pipeSettled ~= defaultSettled and 4 or 0
  p.ondata = function(chunk) -- (on the path of every chunk: no method call)
    local ok = dest:write(chunk)
    if forwardTries > 0 and state.length == 0 then
      forwardTries = forwardTries - 1
      if unobserved(src, state, dest) and src:_pipeSettled(dest) then
        forwardTries = 0
        return -- the other way waits for dest's queue itself
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
  -- between two native sockets the bytes may stay in C (net.Socket's
  -- _pipeSettled, internal/net/forward.lua)
  if src._pipeSettled ~= defaultSettled and unobserved(src, state, dest) then src:_pipeSettled(dest) end
  return dest
end

-- unpipe([dest]): stop piping to dest (or to every destination).
function M.unpipe(self, dest)
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

return M
