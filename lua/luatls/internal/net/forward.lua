-- luatls.internal.net.forward: pipe() whose bytes stay in C, for
-- net.Socket (install(Socket) adds the methods).
--
-- src:pipe(dest) between two sockets (TLS or TCP, or Unix sockets) also
-- hands the bytes to C (src/tls/forward.c when one end is a TLS socket,
-- src/uv/forward.c between two plain stream handles) when nothing
-- in Lua would see them on the way: no other 'data' or 'readable' listener,
-- no decoder, nothing buffered on either side (a write of dest's own already
-- handed to its handle keeps its place there). The stream machinery decides
-- that (internal/streams/pipe.lua) and asks the socket's _pipeSettled(dest).
-- The Lua pipe stays set up and takes over at the first thing that would see
-- them: a 'data' or 'readable' listener, pause(), setEncoding(), unpipe()
-- (_pipeStopped), a write to dest of its own, end() or destroy().
-- bytesRead (src) and bytesWritten (dest) catch up with what C forwarded
-- when it stops; a socket's timeout counts forwarded bytes as activity (see
-- _armTimeout in socket.lua).
local loop = require("luatls.loop")
local stream = require("luatls.stream")
local EventEmitter = require("luatls.events")
local core = loop.core

local M = {}

local Socket -- (set by install)
-- the methods install() adds to net.Socket
local Forward = {}

-- Which handle forwards from h into dh, and whether through its
-- forward_from: a TLS connection (it has forward_from) forwards into a TLS
-- connection or a stream handle; a stream handle into a TLS connection
-- (that one's forward_from) or into another stream handle (its forward).
local function route(h, dh)
  if h.forward_from then return h, false end
  if dh.forward_from then return dh, true end
  if h.forward and dh.forward then return h, false end
  return nil
end

-- Readable's hook: the pipe to dest is settled (the stream machinery asks
-- only when nothing in Lua would see its bytes); hand them to C when both
-- ends are native sockets that can forward. True when C forwards now.
function Forward:_pipeSettled(dest)
  -- (only a socket's _handle is a handle: another stream may have a field
  -- of that name)
  if not EventEmitter.instanceOf(dest, Socket) then return false end
  local h, dh = self._handle, rawget(dest, "_handle")
  if not h or not dh or self.destroyed or dest.destroyed
      or rawget(self, "_forwardTo") or rawget(dest, "_forwardFrom") then
    return false
  end
  local by, into = route(h, dh)
  if not by then return false end
  local ok
  if into then ok = by:forward_from(h) else ok = by:forward(dh) end
  if not ok then return false end
  self._forwardTo, self._forwardBy, self._forwardInto = dest, by, into
  dest._forwardFrom = self
  return true
end

function Forward:_stopForward()
  local dest = rawget(self, "_forwardTo")
  if not dest then return end
  local by, into = self._forwardBy, self._forwardInto
  self._forwardTo, self._forwardBy, self._forwardInto = nil, nil, nil
  dest._forwardFrom = nil
  local n
  if into then
    by:forward_from()
    n = by:forwarded_from()
  else
    by:forward()
    n = by:forwarded()
  end
  self.bytesRead = self.bytesRead + n
  dest._bytesWritten = dest._bytesWritten + n
end

-- Readable's hook: the pipe to dest is taken down
function Forward:_pipeStopped(dest)
  if rawget(self, "_forwardTo") == dest then self:_stopForward() end
end

-- this socket stops taking part in forwarding, on both ends
function Forward:_stopForwarding()
  if rawget(self, "_forwardTo") then self:_stopForward() end
  local from = rawget(self, "_forwardFrom")
  if from then from:_stopForward() end
end

-- Something else would see the bytes now: both ways that keep them from
-- Lua's stream machinery end (C forwarding, and a task's reader taking the
-- chunks straight from the handle: see Socket:_takeChunks).
local function othersRead(self)
  if rawget(self, "_forwardTo") then self:_stopForward() end
  if rawget(self, "_chunkDetach") then self:_dropChunks(true) end
end

local Readable = stream.Readable
local ReadableOn, ReadablePrepend = Readable.on, Readable.prependListener
function Forward:on(name, fn)
  if name == "data" or name == "readable" then othersRead(self) end
  return ReadableOn(self, name, fn)
end
Forward.addListener = Forward.on

function Forward:prependListener(name, fn)
  if name == "data" or name == "readable" then othersRead(self) end
  return ReadablePrepend(self, name, fn)
end

function Forward:pause()
  othersRead(self)
  return Readable.pause(self)
end

function Forward:setEncoding(enc)
  othersRead(self)
  return Readable.setEncoding(self, enc)
end

function Forward:unshift(chunk, encoding)
  othersRead(self)
  return Readable.unshift(self, chunk, encoding)
end

-- when bytes last went through C for this socket (its TLS connection's
-- clock, or its forwarding partner's)
local function forwardActivity(sock)
  local h = rawget(sock, "_handle")
  return h and h.forward_activity and h:forward_activity()
end

-- How long the socket has been quiet by what Lua did not see (bytes a pipe
-- forwarded in C), or nil: the latest of its own handle's clock and its
-- forwarding partners' (a stream handle's clock counts only what it read).
function Forward:_quietFor()
  local at = forwardActivity(self)
  for _, key in ipairs({ "_forwardTo", "_forwardFrom" }) do
    local partner = rawget(self, key)
    local t = partner and forwardActivity(partner)
    if t and (not at or t > at) then at = t end
  end
  return at and core.now() - at or nil
end

-- install(Socket): add the methods above to the class.
function M.install(cls)
  Socket = cls
  for name, fn in pairs(Forward) do cls[name] = fn end
end

return M
