-- Node v20.11.1 test/parallel/test-tls-onread-static-buffer.js, ported (doc/node-tests.md).
-- tls.connect's onread option: reads go to the callback in pieces of at most
-- the buffer's size, no 'data', and a pause (explicit, or by returning false).
-- luatls deliberately differs (README): a Lua string cannot be filled in
-- place, so `buffer` gives a size (a string's length, or a function called
-- once) and the callback gets each piece as a new string of nread bytes. The
-- Uint8Array variants of Node's file are left out (V8 typed arrays).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")

local options = {
  key = fixtures.readKey("agent2-key.pem"),
  cert = fixtures.readKey("agent2-cert.pem"),
}

local smallMessage = "hello world"
-- larger than the internal buffer, to see the pause
local largeMessage = string.rep("hello world", 64 * 1024 // 11 + 1):sub(1, 64 * 1024)

describe("test-tls-onread-static-buffer", function()
  it("typical usage", common.run(function()
    local server
    server = tls.createServer(options, common.mustCall(function(socket)
      server:close()
      socket:done(smallMessage)
    end)):listen(0, function()
      local received = 0
      local buffers = {}
      local sockBuf = string.rep("\0", 8)
      tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        onread = {
          buffer = sockBuf,
          callback = function(nread, buf)
            -- Node: buf is sockBuf; here a string of nread <= #sockBuf bytes
            assert.strictEqual(#buf, nread)
            assert.ok(nread <= #sockBuf)
            received = received + nread
            buffers[#buffers + 1] = buf:sub(1, nread)
          end,
        },
      }):on("data", common.mustNotCall()):on("end", common.mustCall(function()
        assert.strictEqual(received, #smallMessage)
        assert.deepStrictEqual(table.concat(buffers), smallMessage)
      end))
    end)
  end))

  it("a buffer function", common.run(function()
    local server
    server = tls.createServer(options, common.mustCall(function(socket)
      server:close()
      socket:done(smallMessage)
    end)):listen(0, function()
      local received = 0
      local incoming = {}
      local bufPool = { "\0\0", "\0\0", "\0\0" }
      local bufPoolIdx = -1
      local bufPoolUsage = 0
      tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        onread = {
          buffer = function()
            bufPoolUsage = bufPoolUsage + 1
            bufPoolIdx = (bufPoolIdx + 1) % #bufPool
            return bufPool[bufPoolIdx + 1]
          end,
          callback = function(nread, buf)
            assert.strictEqual(#buf, nread)
            assert.ok(nread <= #bufPool[bufPoolIdx + 1])
            received = received + nread
            incoming[#incoming + 1] = buf:sub(1, nread)
          end,
        },
      }):on("data", common.mustNotCall()):on("end", common.mustCall(function()
        assert.strictEqual(received, #smallMessage)
        assert.deepStrictEqual(table.concat(incoming), smallMessage)
        -- Node calls the function for every read (7 here); luatls once
        assert.strictEqual(bufPoolUsage, 1)
      end))
    end)
  end))

  it("an explicit pause", common.run(function()
    local server
    server = tls.createServer(options, common.mustCall(function(socket)
      server:close()
      socket:done(largeMessage)
    end)):listen(0, function()
      local received = 0
      local buffers = {}
      local sockBuf = string.rep("\0", 64)
      local pauseScheduled = false
      local client
      client = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        onread = {
          buffer = sockBuf,
          callback = function(nread, buf)
            assert.strictEqual(#buf, nread)
            assert.ok(nread <= #sockBuf)
            received = received + nread
            buffers[#buffers + 1] = buf:sub(1, nread)
            if not pauseScheduled then
              pauseScheduled = true
              client:pause()
              timers.setTimeout(function()
                client:resume()
              end, 100)
            end
          end,
        },
      }):on("data", common.mustNotCall()):on("end", common.mustCall(function()
        assert.strictEqual(received, #largeMessage)
        assert.deepStrictEqual(table.concat(buffers), largeMessage)
      end))
    end)
  end))

  it("an implicit pause", common.run(function()
    local server
    server = tls.createServer(options, common.mustCall(function(socket)
      server:close()
      socket:done(largeMessage)
    end)):listen(0, function()
      local received = 0
      local buffers = {}
      local sockBuf = string.rep("\0", 64)
      local pauseScheduled = false
      local client
      client = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        onread = {
          buffer = sockBuf,
          callback = function(nread, buf)
            assert.strictEqual(#buf, nread)
            assert.ok(nread <= #sockBuf)
            received = received + nread
            buffers[#buffers + 1] = buf:sub(1, nread)
            if not pauseScheduled then
              pauseScheduled = true
              timers.setTimeout(function()
                client:resume()
              end, 100)
              return false
            end
            return true
          end,
        },
      }):on("data", common.mustNotCall()):on("end", common.mustCall(function()
        assert.strictEqual(received, #largeMessage)
        assert.deepStrictEqual(table.concat(buffers), largeMessage)
      end))
    end)
  end))
end)
