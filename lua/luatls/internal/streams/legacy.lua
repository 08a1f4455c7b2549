-- luatls.internal.streams.legacy: Stream, the EventEmitter every stream
-- class (Readable, Writable, Duplex, ...) extends (Node's legacy Stream).
local EventEmitter = require("luatls.events")

return EventEmitter:extend("Stream")
