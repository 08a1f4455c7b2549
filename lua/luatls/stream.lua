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
--
-- The machinery is under internal/streams/ (as Node's lib/internal/streams/):
-- legacy.lua (Stream), state.lua, encoding.lua, buffer_list.lua,
-- destroy.lua, readable.lua, pipe.lua, from.lua, writable.lua, duplex.lua,
-- transform.lua, finished.lua, pipeline.lua.
local transform = require("luatls.internal.streams.transform")

local M = {}

M.Stream = require("luatls.internal.streams.legacy")
M.Readable = require("luatls.internal.streams.readable").Readable
M.Writable = require("luatls.internal.streams.writable").Writable
M.Duplex = require("luatls.internal.streams.duplex")
M.Transform = transform.Transform
M.PassThrough = transform.PassThrough
M.finished = require("luatls.internal.streams.finished")
M.pipeline = require("luatls.internal.streams.pipeline")

return M
