local ok, helper = pcall(require, "spec.helper")
local function drain() if ok and helper.drain then helper.drain() else require("luatls.tick").run() end end

local stream = require("luatls.stream")
local EventEmitter = require("luatls.events")
local nextTick = require("luatls.tick").nextTick

local Readable, Writable, Duplex = stream.Readable, stream.Writable, stream.Duplex
local Transform, PassThrough = stream.Transform, stream.PassThrough

-- A Readable that gives the chunks of `list` (pushing while push() says yes),
-- then ends.
local function source(list, options)
  local i = 0
  options = options or {}
  options.read = function(self)
    repeat
      i = i + 1
      local chunk = list[i]
      local more = self:push(chunk)
    until chunk == nil or not more
  end
  return Readable.new(options)
end

-- A Writable that collects what is written; each write completes on the next
-- tick (so it is "slow": the buffer fills up).
local function sink(options)
  options = options or {}
  local got = {}
  options.write = options.write or function(_, chunk, _, cb)
    got[#got + 1] = chunk
    nextTick(cb)
  end
  local w = Writable.new(options)
  return w, got
end

local function recorder(emitter, names, log)
  log = log or {}
  for _, name in ipairs(names) do
    emitter:on(name, function(arg) log[#log + 1] = arg ~= nil and (name .. ":" .. tostring(arg)) or name end)
  end
  return log
end

describe("stream.Readable", function()
  it("is an EventEmitter", function()
    local r = Readable.new()
    assert.is_true(EventEmitter.instanceOf(r, EventEmitter))
    assert.is_true(EventEmitter.instanceOf(r, Readable))
  end)

  it("push returns false once the buffer reaches highWaterMark", function()
    local r = Readable.new({ read = function() end, highWaterMark = 4 })
    assert.are.equal(4, r.readableHighWaterMark)
    assert.is_true(r:push("ab"))
    assert.is_false(r:push("cd"))
    assert.are.equal(4, r.readableLength)
  end)

  it("defaults highWaterMark to 16384 bytes, or 16 objects in objectMode", function()
    assert.are.equal(16384, Readable.new().readableHighWaterMark)
    local r = Readable.new({ objectMode = true, read = function() end })
    assert.are.equal(16, r.readableHighWaterMark)
    for _ = 1, 15 do assert.is_true(r:push({})) end
    assert.is_false(r:push({}))
  end)

  it("rejects a bad highWaterMark at once", function()
    local ok2, err = pcall(Readable.new, { highWaterMark = -1 })
    assert.is_false(ok2)
    assert.are.equal("ERR_INVALID_ARG_VALUE", err.code)
  end)

  it("stays paused without a 'data' listener, and 'end' waits for the data to be read", function()
    local r = Readable.new({ read = function() end })
    local log = recorder(r, { "end", "close" })
    r:push("abc")
    r:push(nil)
    drain()
    assert.is_nil(r.readableFlowing)
    assert.is_false(r:isPaused())
    assert.are.same({}, log)
    assert.is_false(r.readableEnded)
    assert.are.equal(3, r.readableLength)
  end)

  it("does not emit 'end' while paused, even with a 'data' listener", function()
    local r = Readable.new({ read = function() end })
    r:pause()
    local log = recorder(r, { "data", "end" })
    r:push("abc")
    r:push(nil)
    drain()
    assert.are.same({}, log)
    assert.is_true(r:isPaused())
    r:resume()
    drain()
    assert.are.same({ "data:abc", "end" }, log)
  end)

  it("flows when a 'data' listener is added; 'end' once, deferred, after the data", function()
    local r = source({ "a", "b", "c" })
    local log = recorder(r, { "data", "end", "close" })
    assert.are.same({}, log) -- nothing happens inline
    drain()
    assert.are.same({ "data:a", "data:b", "data:c", "end", "close" }, log)
    assert.is_true(r.readableEnded)
    assert.is_true(r.readableFlowing)
    assert.is_true(r.destroyed) -- autoDestroy
    assert.is_false(r.readable)
  end)

  it("pause() stops 'data' and resume() continues", function()
    local r = Readable.new({ read = function() end })
    local got = {}
    r:on("data", function(c)
      got[#got + 1] = c
      if c == "1" then r:pause() end
    end)
    r:push("1"); r:push("2"); r:push("3")
    drain()
    assert.are.same({ "1" }, got)
    assert.is_true(r:isPaused())
    assert.is_false(r.readableFlowing)
    r:resume()
    drain()
    assert.are.same({ "1", "2", "3" }, got)
  end)

  it("emits 'pause' and 'resume'", function()
    local r = Readable.new({ read = function() end })
    local log = recorder(r, { "pause", "resume" })
    r:resume()
    drain()
    r:pause()
    assert.are.same({ "resume", "pause" }, log)
  end)

  it("read(n) in paused mode with 'readable'", function()
    local r = Readable.new({ read = function() end })
    local reads = {}
    local ended = false
    r:on("readable", function()
      while true do
        local chunk = r:read(5)
        if chunk == nil then break end
        reads[#reads + 1] = chunk
      end
    end)
    r:on("end", function() ended = true end)
    r:push("hello world")
    drain()
    assert.are.same({ "hello", " worl" }, reads)
    r:push(nil)
    drain()
    assert.are.same({ "hello", " worl", "d" }, reads) -- at the end read(n) gives what is left
    assert.is_true(ended)
  end)

  it("read() returns everything buffered, and 'data' is emitted for it", function()
    local r = Readable.new({ read = function() end })
    r:push("ab"); r:push("cd")
    r:pause()
    local seen
    r:on("data", function(c) seen = c end) -- paused explicitly: does not start the flow
    assert.are.equal("abcd", r:read())
    assert.are.equal("abcd", seen)
    assert.is_nil(r:read())
  end)

  it("read() in flowing mode gives one buffered chunk at a time", function()
    local r = Readable.new({ read = function() end })
    r:push("ab"); r:push("cd")
    r:on("data", function() end) -- flowing from now on (the flow itself starts on the next tick)
    assert.are.equal("ab", r:read())
  end)

  it("unshift puts a chunk back in front", function()
    local r = Readable.new({ read = function() end })
    r:push("world")
    r:unshift("hello ")
    assert.are.equal("hello world", r:read())
  end)

  it("objectMode passes any value (even false) and counts objects", function()
    local r = Readable.new({ objectMode = true, read = function() end })
    local t = {}
    r:push(t); r:push(false); r:push(3)
    assert.are.equal(3, r.readableLength)
    local got = {}
    r:on("data", function(v) got[#got + 1] = v end)
    r:push(nil)
    drain()
    assert.are.same({ t, false, 3 }, got)
    assert.are.equal(t, got[1])
  end)

  it("Readable.from gives an array's values, then ends", function()
    local r = Readable.from({ "x", "y", "z" })
    local got, ended = {}, false
    r:on("data", function(v) got[#got + 1] = v end)
    r:on("end", function() ended = true end)
    drain()
    assert.are.same({ "x", "y", "z" }, got)
    assert.is_true(ended)
  end)

  describe("setEncoding", function()
    it("does not cut a UTF-8 character split across chunks", function()
      local r = Readable.new({ read = function() end })
      r:setEncoding("utf8")
      local got = {}
      r:on("data", function(c) got[#got + 1] = c end)
      r:push("a\xE2\x82")
      drain()
      r:push("\xAC b\xC3")
      drain()
      r:push("\xA9")
      r:push(nil)
      drain()
      assert.are.same({ "a", "\xE2\x82\xAC b", "\xC3\xA9" }, got)
      assert.are.equal("utf8", r.readableEncoding)
    end)

    it("turns an incomplete character at the end into U+FFFD", function()
      local r = Readable.new({ read = function() end, encoding = "utf8" })
      local got = {}
      r:on("data", function(c) got[#got + 1] = c end)
      r:push("ok\xE2\x82")
      r:push(nil)
      drain()
      assert.are.equal("ok\u{FFFD}", table.concat(got))
    end)

    it("read(n) does not cut a character either", function()
      local r = Readable.new({ read = function() end })
      r:setEncoding("utf8")
      r:push("\xC3\xA9\xC3\xA9")
      assert.are.equal("\xC3\xA9", r:read(1))
      assert.are.equal(2, r.readableLength)
    end)

    it("converts data already buffered", function()
      local r = Readable.new({ read = function() end })
      r:push("\1\255")
      r:setEncoding("hex")
      assert.are.equal("01ff", r:read())
    end)

    it("hex and base64 (base64 keeps 3-byte groups whole across chunks)", function()
      local r = Readable.new({ read = function() end, encoding = "base64" })
      local got = {}
      r:on("data", function(c) got[#got + 1] = c end)
      r:push("ab")
      drain()
      r:push("cd")
      r:push(nil)
      drain()
      assert.are.equal("YWJjZA==", table.concat(got))
      assert.are.same({ "YWJj", "ZA==" }, got)

      local h = Readable.new({ read = function() end })
      h:setEncoding("hex")
      h:push("\0\16\255")
      assert.are.equal("0010ff", h:read())
    end)

    it("rejects an unknown encoding", function()
      local r = Readable.new()
      local ok2, err = pcall(r.setEncoding, r, "klingon")
      assert.is_false(ok2)
      assert.are.equal("ERR_UNKNOWN_ENCODING", err.code)
    end)
  end)

  describe("errors", function()
    it("push after EOF is an error", function()
      local r = Readable.new({ read = function() end })
      local errs = {}
      r:on("error", function(e) errs[#errs + 1] = e end)
      r:push(nil)
      r:push("late")
      drain()
      assert.are.equal(1, #errs)
      assert.are.equal("ERR_STREAM_PUSH_AFTER_EOF", errs[1].code)
    end)

    it("a chunk that is not a string (not objectMode) is an error", function()
      local r = Readable.new({ read = function() end })
      local got
      r:on("error", function(e) got = e end)
      r:push(42)
      drain()
      assert.are.equal("ERR_INVALID_ARG_TYPE", got.code)
    end)

    it("an error raised in _read destroys the stream with it", function()
      local boom = require("luatls.errors").new("EBOOM", "boom")
      local r = Readable.new({ read = function() error(boom) end })
      local log = {}
      r:on("error", function(e) log[#log + 1] = e end)
      r:on("close", function() log[#log + 1] = "close" end)
      r:on("data", function() end)
      drain()
      assert.are.same({ boom, "close" }, log)
    end)

    it("without _read, 'error' has ERR_METHOD_NOT_IMPLEMENTED", function()
      local r = Readable.new()
      local got
      r:on("error", function(e) got = e end)
      r:read(0)
      drain()
      assert.are.equal("ERR_METHOD_NOT_IMPLEMENTED", got.code)
    end)

    it("an unhandled 'error' raises", function()
      local r = Readable.new({ read = function() end })
      r:destroy(require("luatls.errors").new("EBOOM", "boom"))
      local ok2, err = pcall(drain)
      assert.is_false(ok2)
      assert.are.equal("EBOOM", err.code)
      drain() -- let the 'close' that was queued after it run
    end)
  end)

  it("destroy() emits 'close' (not 'end'), later, and no 'data' after it", function()
    local r = Readable.new({ read = function() end })
    local log = recorder(r, { "end", "close", "error" })
    r:push("x")
    r:destroy()
    assert.is_true(r.destroyed)
    assert.are.same({}, log)
    drain()
    assert.are.same({ "close" }, log)
    assert.is_false(r:push("y"))
    recorder(r, { "data" }, log)
    drain()
    assert.are.same({ "close" }, log)
  end)
end)

describe("stream.Writable", function()
  it("serializes _write calls and keeps order", function()
    local inflight, maxInflight, got = 0, 0, {}
    local w = Writable.new({
      write = function(_, chunk, encoding, cb)
        assert.are.equal("buffer", encoding)
        inflight = inflight + 1
        maxInflight = math.max(maxInflight, inflight)
        got[#got + 1] = chunk
        nextTick(function() inflight = inflight - 1; cb() end)
      end,
    })
    for i = 1, 5 do w:write("c" .. i) end
    drain()
    assert.are.equal(1, maxInflight)
    assert.are.same({ "c1", "c2", "c3", "c4", "c5" }, got)
  end)

  it("write returns false at highWaterMark, then 'drain' once the buffer is empty", function()
    local w = sink({ highWaterMark = 5 })
    local drains = 0
    w:on("drain", function() drains = drains + 1 end)
    assert.is_true(w:write("ab"))
    assert.is_false(w:write("cde"))
    assert.is_true(w.writableNeedDrain)
    assert.are.equal(5, w.writableLength)
    assert.are.equal(5, w.writableHighWaterMark)
    assert.are.equal(0, drains)
    drain()
    assert.are.equal(1, drains)
    assert.are.equal(0, w.writableLength)
    assert.is_false(w.writableNeedDrain)
  end)

  it("calls write callbacks later, never inline, even for a synchronous _write", function()
    local w = Writable.new({ write = function(_, _, _, cb) cb() end })
    local called = false
    w:write("x", function(err) called = true; assert.is_nil(err) end)
    assert.is_false(called)
    drain()
    assert.is_true(called)
  end)

  it("uses _writev for what was buffered", function()
    local calls = {}
    local w = Writable.new({
      write = function(_, chunk, _, cb) calls[#calls + 1] = chunk; nextTick(cb) end,
      writev = function(_, chunks, cb)
        local parts = {}
        for i, c in ipairs(chunks) do parts[i] = c.chunk end
        calls[#calls + 1] = "v:" .. table.concat(parts, ",")
        nextTick(cb)
      end,
    })
    local cbs = 0
    for _, c in ipairs({ "a", "b", "c", "d" }) do w:write(c, function() cbs = cbs + 1 end) end
    drain()
    assert.are.same({ "a", "v:b,c,d" }, calls)
    assert.are.equal(4, cbs)
  end)

  it("cork/uncork batches writes", function()
    local calls = {}
    local w = Writable.new({
      writev = function(_, chunks, cb)
        calls[#calls + 1] = #chunks
        cb()
      end,
    })
    w:cork()
    w:write("a"); w:write("b"); w:write("c")
    assert.are.equal(1, w.writableCorked)
    drain()
    assert.are.same({}, calls)
    w:uncork()
    assert.are.same({ 3 }, calls)
  end)

  it("end(cb): _final, then the callback, then 'finish', then 'close'", function()
    local log = {}
    local w = Writable.new({
      write = function(_, chunk, _, cb) log[#log + 1] = "write:" .. chunk; nextTick(cb) end,
      final = function(_, cb) log[#log + 1] = "final"; nextTick(cb) end,
    })
    w:on("finish", function() log[#log + 1] = "finish" end)
    w:on("close", function() log[#log + 1] = "close" end)
    w:on("prefinish", function() log[#log + 1] = "prefinish" end)
    w:write("a")
    assert.are.equal(w, w:done("b", function(err) log[#log + 1] = "end-cb:" .. tostring(err) end))
    assert.is_true(w.writableEnded)
    assert.is_false(w.writableFinished)
    assert.is_false(w.writable)
    assert.are.same({ "write:a" }, log)
    drain()
    assert.are.same({ "write:a", "write:b", "final", "prefinish", "end-cb:nil", "finish", "close" }, log)
    assert.is_true(w.writableFinished)
    assert.is_true(w.destroyed)
  end)

  it("end is also reachable as w[\"end\"]", function()
    local w = sink()
    local finished = false
    w:on("finish", function() finished = true end)
    w["end"](w)
    drain()
    assert.is_true(finished)
  end)

  it("'finish' is deferred even with nothing written", function()
    local w = sink()
    local finished = false
    w:on("finish", function() finished = true end)
    w:done()
    assert.is_false(finished)
    drain()
    assert.is_true(finished)
  end)

  it("end(cb) after the stream finished calls back with ERR_STREAM_ALREADY_FINISHED", function()
    local w = sink({ autoDestroy = false })
    w:done()
    drain()
    local got
    w:done(function(err) got = err end)
    drain()
    assert.are.equal("ERR_STREAM_ALREADY_FINISHED", got.code)
  end)

  it("write after end: ERR_STREAM_WRITE_AFTER_END to the callback and as 'error', deferred", function()
    local w = sink()
    local log = {}
    w:on("error", function(e) log[#log + 1] = "error:" .. e.code end)
    w:on("close", function() log[#log + 1] = "close" end)
    w:done()
    local cbErr
    local ret = w:write("late", function(e) cbErr = e; log[#log + 1] = "cb" end)
    assert.is_false(ret)
    assert.are.same({}, log) -- nothing inline
    drain()
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", cbErr.code)
    assert.are.equal("write after end", cbErr.message)
    assert.are.equal("Error [ERR_STREAM_WRITE_AFTER_END]: write after end", tostring(cbErr))
    assert.are.same({ "cb", "error:ERR_STREAM_WRITE_AFTER_END", "close" }, log)
  end)

  it("write after end with no 'error' listener raises", function()
    local w = sink()
    w:done()
    w:write("late")
    local ok2, err = pcall(drain)
    assert.is_false(ok2)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", err.code)
    drain()
  end)

  it("destroy(err): _destroy, then 'error', then 'close', both deferred", function()
    local log = {}
    local boom = require("luatls.errors").new("EBOOM", "boom")
    local w = Writable.new({
      write = function(_, _, _, cb) cb() end,
      destroy = function(_, err, cb) log[#log + 1] = "_destroy:" .. err.code; cb(err) end,
    })
    w:on("error", function(e) log[#log + 1] = "error:" .. e.code end)
    w:on("close", function() log[#log + 1] = "close" end)
    w:destroy(boom)
    assert.is_true(w.destroyed)
    assert.are.equal(boom, w.errored)
    assert.are.same({ "_destroy:EBOOM" }, log)
    drain()
    assert.are.same({ "_destroy:EBOOM", "error:EBOOM", "close" }, log)
    w:destroy(boom) -- a second destroy does nothing
    drain()
    assert.are.equal(3, #log)
  end)

  it("destroy() without an error emits only 'close'; emitClose = false emits nothing", function()
    local w = sink()
    local log = recorder(w, { "error", "close" })
    w:destroy()
    drain()
    assert.are.same({ "close" }, log)
    local quiet = sink({ emitClose = false })
    local log2 = recorder(quiet, { "error", "close" })
    quiet:destroy()
    drain()
    assert.are.same({}, log2)
  end)

  it("buffered writes fail with ERR_STREAM_DESTROYED when destroyed", function()
    local pending
    local w = Writable.new({ write = function(_, _, _, cb) pending = cb end })
    local log = {}
    w:write("a", function(e) log[#log + 1] = "a:" .. tostring(e and e.code) end)
    w:write("b", function(e) log[#log + 1] = "b:" .. tostring(e and e.code) end)
    w:destroy()
    drain()
    assert.are.same({}, log) -- "a" is still being written
    pending() -- the write in progress completes after the destroy
    drain()
    assert.are.same({ "a:nil", "b:ERR_STREAM_DESTROYED" }, log)
    local got
    w:write("c", function(e) got = e end)
    w:on("error", function() end)
    drain()
    assert.are.equal("ERR_STREAM_DESTROYED", got.code)
  end)

  it("an error given to the _write callback destroys the stream", function()
    local boom = require("luatls.errors").new("EBOOM", "boom")
    local w = Writable.new({ write = function(_, _, _, cb) nextTick(cb, boom) end })
    local log = {}
    w:on("error", function(e) log[#log + 1] = "error:" .. e.code end)
    w:on("close", function() log[#log + 1] = "close" end)
    w:on("finish", function() log[#log + 1] = "finish" end)
    w:write("a", function(e) log[#log + 1] = "cb:" .. e.code end)
    w:done()
    drain()
    assert.are.same({ "cb:EBOOM", "error:EBOOM", "close" }, log)
    assert.is_true(w.destroyed)
  end)

  it("an error from _final is emitted and there is no 'finish'", function()
    local w = Writable.new({
      write = function(_, _, _, cb) cb() end,
      final = function(_, cb) cb(require("luatls.errors").new("EFINAL", "no")) end,
    })
    local log = recorder(w, { "finish", "close" })
    w:on("error", function(e) log[#log + 1] = "error:" .. e.code end)
    w:done()
    drain()
    assert.are.same({ "error:EFINAL", "close" }, log)
  end)

  it("raises at once for nil and for non-string chunks", function()
    local w = sink()
    local ok1, e1 = pcall(w.write, w, nil)
    assert.is_false(ok1)
    assert.are.equal("ERR_STREAM_NULL_VALUES", e1.code)
    local ok2, e2 = pcall(w.write, w, 42)
    assert.is_false(ok2)
    assert.are.equal("ERR_INVALID_ARG_TYPE", e2.code)
    local ok3, e3 = pcall(w.write, w, "x", "klingon")
    assert.is_false(ok3)
    assert.are.equal("ERR_UNKNOWN_ENCODING", e3.code)
  end)

  it("decodes strings written with an encoding; decodeStrings = false passes them through", function()
    local w, got = sink()
    w:write("6869", "hex")
    w:write("aGk=", "base64")
    drain()
    assert.are.same({ "hi", "hi" }, got)
    local seen = {}
    local raw = Writable.new({
      decodeStrings = false,
      write = function(_, chunk, encoding, cb) seen[#seen + 1] = chunk .. "/" .. encoding; cb() end,
    })
    raw:write("6869", "hex")
    raw:write("x")
    drain()
    assert.are.same({ "6869/hex", "x/utf8" }, seen)
  end)

  it("objectMode writes any value but nil", function()
    local got = {}
    local w = Writable.new({ objectMode = true, write = function(_, v, _, cb) got[#got + 1] = v; cb() end })
    w:write({ 1 }); w:write(false); w:write(7)
    drain()
    assert.are.same({ { 1 }, false, 7 }, got)
    assert.are.equal(16, w.writableHighWaterMark)
  end)
end)

describe("Readable:pipe", function()
  it("applies backpressure: pauses on write() == false, resumes on 'drain', keeps every byte in order", function()
    local chunks = {}
    for i = 1, 40 do chunks[i] = string.format("%03d:", i) .. string.rep(string.char(64 + i % 26), 95) end
    local r = source(chunks, { highWaterMark = 200 })
    local maxBuffered = 0
    local w, got = sink({
      highWaterMark = 300,
      write = nil,
    })
    -- a slow writable: each write completes after two ticks
    w._write = function(self, chunk, _, cb)
      got[#got + 1] = chunk
      maxBuffered = math.max(maxBuffered, self.writableLength)
      nextTick(nextTick, cb)
    end
    local pauses, resumes, drains = 0, 0, 0
    r:on("pause", function() pauses = pauses + 1 end)
    r:on("resume", function() resumes = resumes + 1 end)
    w:on("drain", function()
      drains = drains + 1
      assert.is_true(r:isPaused()) -- the source waited for this 'drain'
    end)
    local finished = false
    w:on("finish", function() finished = true end)
    assert.are.equal(w, r:pipe(w))
    drain()
    assert.is_true(finished)
    assert.are.equal(table.concat(chunks), table.concat(got))
    assert.is_true(drains > 0)
    assert.is_true(pauses > 0)
    assert.is_true(resumes > pauses - 1)
    assert.is_true(maxBuffered <= 300 + 100) -- never far past the writable's highWaterMark
  end)

  it("ends the destination unless { end = false }", function()
    local r = source({ "a" })
    local w, got = sink()
    local finished = false
    w:on("finish", function() finished = true end)
    r:pipe(w, { ["end"] = false })
    drain()
    assert.are.same({ "a" }, got)
    assert.is_false(finished)
    assert.is_false(w.writableEnded)
  end)

  it("emits 'pipe' and 'unpipe' on the destination; unpipe stops the flow", function()
    local r = Readable.new({ read = function() end })
    local w, got = sink()
    local log = {}
    w:on("pipe", function(src) log[#log + 1] = src == r and "pipe" or "?" end)
    w:on("unpipe", function(src) log[#log + 1] = src == r and "unpipe" or "?" end)
    r:pipe(w)
    r:push("one")
    drain()
    r:unpipe(w)
    r:push("two")
    drain()
    assert.are.same({ "pipe", "unpipe" }, log)
    assert.are.same({ "one" }, got)
    assert.is_true(r:isPaused())
    assert.are.equal(0, r:listenerCount("data"))
  end)

  it("pipes to several destinations, waiting for the slowest", function()
    local chunks = {}
    for i = 1, 20 do chunks[i] = string.rep(tostring(i % 10), 50) end
    local r = source(chunks, { highWaterMark = 64 })
    local fast, gotFast = sink({ highWaterMark = 1000 })
    local slow, gotSlow = sink({ highWaterMark = 60 })
    r:pipe(fast)
    r:pipe(slow)
    drain()
    assert.are.equal(table.concat(chunks), table.concat(gotFast))
    assert.are.equal(table.concat(chunks), table.concat(gotSlow))
  end)
end)

describe("stream.Duplex", function()
  it("has both sides and counts as a Writable", function()
    local written = {}
    local d = Duplex.new({
      read = function() end,
      write = function(_, chunk, _, cb) written[#written + 1] = chunk; cb() end,
    })
    assert.is_true(EventEmitter.instanceOf(d, Writable))
    assert.is_true(EventEmitter.instanceOf(d, Readable))
    local got = {}
    d:on("data", function(c) got[#got + 1] = c end)
    d:push("out")
    d:write("in")
    drain()
    assert.are.same({ "out" }, got)
    assert.are.same({ "in" }, written)
    assert.is_true(d.readable)
    assert.is_true(d.writable)
  end)

  it("allowHalfOpen (default true) keeps the writable side open after 'end'", function()
    local d = Duplex.new({ read = function() end, write = function(_, _, _, cb) cb() end })
    assert.is_true(d.allowHalfOpen)
    d:on("data", function() end)
    d:push(nil)
    drain()
    assert.is_true(d.readableEnded)
    assert.is_true(d.writable)
    assert.is_false(d.writableEnded)
    assert.is_false(d.destroyed)
    d:done()
    local closed = false
    d:on("close", function() closed = true end)
    drain()
    assert.is_true(closed) -- autoDestroy once both sides are done
  end)

  it("allowHalfOpen = false ends the writable side after the readable side ends", function()
    local log = {}
    local d = Duplex.new({
      allowHalfOpen = false,
      read = function() end,
      write = function(_, _, _, cb) cb() end,
      final = function(_, cb) log[#log + 1] = "final"; cb() end,
    })
    d:on("end", function() log[#log + 1] = "end" end)
    d:on("finish", function() log[#log + 1] = "finish" end)
    d:on("close", function() log[#log + 1] = "close" end)
    d:on("data", function() end)
    d:push(nil)
    drain()
    assert.are.same({ "end", "final", "finish", "close" }, log)
    assert.is_true(d.writableEnded)
    assert.is_true(d.destroyed)
  end)

  it("readableObjectMode / writableObjectMode set one side each", function()
    local d = Duplex.new({ readableObjectMode = true })
    assert.is_true(d.readableObjectMode)
    assert.is_false(d.writableObjectMode)
    assert.are.equal(16, d.readableHighWaterMark)
    assert.are.equal(16384, d.writableHighWaterMark)
  end)

  it("a subclass implements both sides", function()
    local Echo = Duplex:extend("Echo")
    function Echo:init(options) Duplex.init(self, options) end
    function Echo._read() end
    function Echo:_write(chunk, _, cb) self:push(chunk); cb() end
    function Echo:_final(cb) self:push(nil); cb() end
    local e = Echo.new()
    local got, closed = {}, false
    e:on("data", function(c) got[#got + 1] = c end)
    e:on("close", function() closed = true end)
    e:write("ping")
    e:done("pong")
    drain()
    assert.are.same({ "ping", "pong" }, got)
    assert.is_true(closed)
    assert.matches("^Echo: ", tostring(e))
  end)
end)

describe("stream.Transform", function()
  it("transforms and flushes", function()
    local t = Transform.new({
      transform = function(_, chunk, _, cb) cb(nil, chunk:upper()) end,
      flush = function(_, cb) cb(nil, "!") end,
    })
    local got, ended = {}, false
    t:on("data", function(c) got[#got + 1] = c end)
    t:on("end", function() ended = true end)
    t:write("ab")
    t:done("cd")
    drain()
    assert.are.same({ "AB", "CD", "!" }, got)
    assert.is_true(ended)
  end)

  it("a subclass may push several chunks per input", function()
    local Split = Transform:extend("Split")
    function Split:_transform(chunk, _, cb)
      for c in chunk:gmatch(".") do self:push(c) end
      cb()
    end
    local s = Split.new()
    local got = {}
    s:on("data", function(c) got[#got + 1] = c end)
    s:done("xyz")
    drain()
    assert.are.same({ "x", "y", "z" }, got)
  end)

  it("applies backpressure when nobody reads", function()
    local p = PassThrough.new({ highWaterMark = 10 })
    local results = {}
    for i = 1, 6 do results[i] = p:write("12345") end
    drain()
    assert.is_true(results[1])
    assert.is_false(results[6])
    assert.is_true(p.readableLength <= 15)
    local all = {}
    p:on("data", function(c) all[#all + 1] = c end)
    drain()
    assert.are.equal(string.rep("12345", 6), table.concat(all))
  end)

  it("an error from _transform destroys the stream", function()
    local t = Transform.new({ transform = function(_, _, _, cb) cb(require("luatls.errors").new("EX", "x")) end })
    local log = {}
    t:on("error", function(e) log[#log + 1] = e.code end)
    t:on("close", function() log[#log + 1] = "close" end)
    t:write("a")
    drain()
    assert.are.same({ "EX", "close" }, log)
  end)

  it("PassThrough passes bytes unchanged", function()
    local p = PassThrough.new()
    local got = {}
    p:on("data", function(c) got[#got + 1] = c end)
    p:write("\0\1\2")
    p:done()
    drain()
    assert.are.same({ "\0\1\2" }, got)
  end)
end)

describe("stream.finished", function()
  it("calls back once a writable has finished", function()
    local w = sink()
    local calls, got = 0, "unset"
    stream.finished(w, function(err) calls = calls + 1; got = err end)
    w:write("a")
    w:done()
    drain()
    assert.are.equal(1, calls)
    assert.is_nil(got)
  end)

  it("calls back once a readable has ended", function()
    local r = source({ "a" })
    local got = "unset"
    stream.finished(r, function(err) got = err end)
    r:resume()
    drain()
    assert.is_nil(got)
  end)

  it("reports ERR_STREAM_PREMATURE_CLOSE when destroyed before the end", function()
    local r = Readable.new({ read = function() end })
    local got
    stream.finished(r, function(err) got = err end)
    r:destroy()
    drain()
    assert.are.equal("ERR_STREAM_PREMATURE_CLOSE", got.code)
  end)

  it("reports the error", function()
    local w = sink()
    local got
    stream.finished(w, function(err) got = err end)
    w:destroy(require("luatls.errors").new("EBOOM", "boom"))
    drain()
    assert.are.equal("EBOOM", got.code)
  end)
end)

describe("stream.pipeline", function()
  it("pipes through and calls back when done", function()
    local r = source({ "ab", "cd" })
    local t = Transform.new({ transform = function(_, c, _, cb) cb(nil, c:upper()) end })
    local w, got = sink()
    local result = "unset"
    assert.are.equal(w, stream.pipeline(r, t, w, function(err) result = err end))
    drain()
    assert.is_nil(result)
    assert.are.same({ "AB", "CD" }, got)
  end)

  it("destroys every stream on an error and calls back with it", function()
    local r = Readable.new({ read = function() end })
    local t = Transform.new({
      transform = function(_, _, _, cb) cb(require("luatls.errors").new("EBAD", "bad")) end,
    })
    local w = sink()
    local result
    stream.pipeline({ r, t, w }, function(err) result = err end)
    r:push("x")
    drain()
    assert.are.equal("EBAD", result.code)
    assert.is_true(r.destroyed)
    assert.is_true(t.destroyed)
    assert.is_true(w.destroyed)
  end)

  it("needs a callback and two streams", function()
    assert.has_error(function() stream.pipeline(Readable.new(), sink()) end)
    assert.has_error(function() stream.pipeline(Readable.new(), function() end) end)
  end)
end)

-- The expected logs below were recorded by running the same scenarios,
-- written in JavaScript, under Node v20.20.2.
describe("event order matches Node v20", function()
  local errors = require("luatls.errors")
  local log
  local function fmt(x)
    if x == nil then return "nil" end
    if type(x) == "table" and x.code then return x.code end
    return tostring(x)
  end
  local function L(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = fmt(t[i]) end
    log[#log + 1] = table.concat(t, " ", 1, t.n)
  end
  local function on(s, events, prefix, noArg)
    for _, ev in ipairs(events) do
      s:on(ev, function(e)
        if noArg then L(prefix, ev) else L(prefix, ev, e) end
      end)
    end
  end
  before_each(function() log = {} end)

  it("writes, end(chunk, cb), _final, 'finish', 'close'", function()
    local w
    w = Writable.new({
      write = function(_, c, _, cb)
        L("_write", c)
        if c == "s" then cb() else nextTick(cb) end
      end,
      final = function(_, cb) L("_final"); nextTick(cb) end,
    })
    on(w, { "drain", "finish", "close", "prefinish", "error" }, "w", true)
    L("w1", w:write("s", function() L("cb s") end))
    L("w2", w:write("a", function() L("cb a") end))
    L("w3", w:write("s", function() L("cb s2") end))
    w:done("z", function(err) L("end cb", err) end)
    L("ended", w.writableEnded, w.writableFinished, w.writableLength)
    drain()
    assert.are.same({
      "_write s", "w1 true", "_write a", "w2 true", "w3 true", "ended true false 3",
      "cb s", "_write s", "_write z", "cb a", "cb s2", "_final", "w prefinish",
      "end cb nil", "w finish", "w close",
    }, log)
  end)

  it("destroy(err) with a write in progress and one buffered", function()
    local w
    w = Writable.new({
      write = function(self, c, _, cb) L("_write", c); self._cb = cb end,
      destroy = function(_, err, cb) L("_destroy", err); cb(err) end,
    })
    on(w, { "finish", "close", "error", "drain" }, "w")
    w:write("a", function(e) L("cb a", e) end)
    w:write("b", function(e) L("cb b", e) end)
    w:done(function(e) L("end cb", e) end)
    w:destroy(errors.new("EBOOM", "boom"))
    L("destroyed", w.destroyed)
    nextTick(function() L("complete a"); w._cb() end)
    drain()
    assert.are.same({
      "_write a", "_destroy EBOOM", "destroyed true", "w error EBOOM", "w close nil",
      "complete a", "cb a nil", "cb b EBOOM", "end cb EBOOM",
    }, log)
  end)

  it("a synchronous error from _write", function()
    local w = Writable.new({ write = function(_, c, _, cb) L("_write", c); cb(errors.new("EW", "w")) end })
    on(w, { "finish", "close", "error", "drain" }, "")
    L("ret", w:write("a", function(e) L("cb a", e) end))
    L("ret2", w:write("b", function(e) L("cb b", e) end))
    w:done(function(e) L("end cb", e) end)
    drain()
    assert.are.same({
      "_write a", "ret false", "ret2 false", "cb a EW", "cb b EW", "end cb EW", " error EW", " close nil",
    }, log)
  end)

  it("errors from _final and from _flush", function()
    local w = Writable.new({
      write = function(_, _, _, cb) cb() end,
      final = function(_, cb) cb(errors.new("EFIN", "f")) end,
    })
    on(w, { "finish", "close", "error", "prefinish" }, "b")
    w:done(function(e) L("b end cb", e) end)
    drain()
    local t = Transform.new({
      transform = function(_, c, _, cb) cb(nil, c) end,
      flush = function(_, cb) cb(errors.new("EFL", "f")) end,
    })
    on(t, { "finish", "close", "error", "end", "prefinish" }, "b t")
    t:resume()
    t:done("q", function(e) L("b t end cb", e) end)
    drain()
    assert.are.same({
      "b error EFIN", "b close nil", "b end cb EFIN", "b t error EFL", "b t close nil", "b t end cb EFL",
    }, log)
  end)

  it("an error from _writev goes to every batched callback", function()
    local w = Writable.new({
      write = function(_, c, _, cb) L("f write", c); nextTick(cb) end,
      writev = function(_, chunks, cb) L("f writev", #chunks); nextTick(cb, errors.new("EV", "v")) end,
    })
    on(w, { "close", "error" }, "f")
    for i = 1, 4 do w:write(tostring(i), function(e) L("f cb" .. i, e) end) end
    drain()
    assert.are.same({
      "f write 1", "f writev 3", "f cb1 nil", "f cb2 EV", "f cb3 EV", "f cb4 EV", "f error EV", "f close nil",
    }, log)
  end)

  it("backpressure through readable:pipe(passThrough):pipe(slowWritable)", function()
    local chunks = {}
    for i = 0, 7 do chunks[#chunks + 1] = "c" .. i .. ("-"):rep(6) end
    local k = 0
    local r = Readable.new({
      highWaterMark = 16,
      read = function(self) L("_read"); k = k + 1; self:push(chunks[k]) end,
    })
    local p = PassThrough.new({ highWaterMark = 10 })
    local w = Writable.new({
      highWaterMark = 10,
      write = function(_, c, _, cb) L("write", c); nextTick(function() nextTick(cb) end) end,
    })
    for _, ev in ipairs({ "pause", "resume", "end" }) do
      r:on(ev, function() L("r", ev) end)
      p:on(ev, function() L("p", ev) end)
    end
    p:on("drain", function() L("p drain") end)
    w:on("drain", function() L("w drain") end)
    w:on("finish", function() L("w finish") end)
    r:pipe(p):pipe(w)
    drain()
    local expected = {}
    for line in ([[_read|r resume|_read|write c0------|_read|p pause|_read|_read|_read|r pause|p resume|
      _read|write c1------|w drain|p resume|write c2------|p drain|p pause|r resume|_read|_read|r pause|
      write c3------|w drain|p resume|write c4------|p drain|p pause|r resume|write c5------|r end|
      w drain|p resume|write c6------|p pause|r pause|p end|write c7------|w finish]]):gmatch("%s*([^|]+)") do
      expected[#expected + 1] = line
    end
    assert.are.same(expected, log)
  end)
end)
