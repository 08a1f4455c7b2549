-- Node v20.11.1 test/parallel/test-tls-connect-abort-controller.js, ported
-- (doc/node-tests.md): tls.connect()/TLSSocket with an AbortSignal, aborted before, at once or a turn later.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local async = require("luatls.async")
local events = require("luatls.events")

describe("test-tls-connect-abort-controller", function()
  it("runs as in Node", common.run(function()
    common.knownFailure("luatls has no AbortController/AbortSignal, no `signal` option for tls.connect/TLSSocket " ..
      "and no events.getEventListeners; no issue yet")
    local AbortController = _G.AbortController
    local getEventListeners = events.getEventListeners
    local serverOptions = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server = tls.createServer(serverOptions)
    server:listen(0, common.mustCall(async.wrap(function()
      local port = server:address().port
      local host = "localhost"
      local function connectOptions(signal)
        return { port = port, host = host, signal = signal, rejectUnauthorized = false }
      end

      -- Node's `await once(socket, 'close')` rejects with the AbortError
      local function assertAbort(socket, testName)
        local ok, err = pcall(async.once, socket, "close")
        if ok then assert.fail("close " .. testName .. " should have thrown") end
        assert.strictEqual(err.name, "AbortError")
      end

      local function postAbort()
        local ac = AbortController.new()
        local signal = ac.signal
        local socket = tls.connect(connectOptions(signal))
        assert.strictEqual(#getEventListeners(signal, "abort"), 1)
        ac:abort()
        assertAbort(socket, "postAbort")
      end

      local function preAbort()
        local ac = AbortController.new()
        local signal = ac.signal
        ac:abort()
        local socket = tls.connect(connectOptions(signal))
        assert.strictEqual(#getEventListeners(signal, "abort"), 0)
        assertAbort(socket, "preAbort")
      end

      local function tickAbort()
        local ac = AbortController.new()
        local signal = ac.signal
        local socket = tls.connect(connectOptions(signal))
        setImmediate(function() ac:abort() end)
        assert.strictEqual(#getEventListeners(signal, "abort"), 1)
        assertAbort(socket, "tickAbort")
      end

      local function testConstructor()
        local ac = AbortController.new()
        local signal = ac.signal
        ac:abort()
        local socket = tls.TLSSocket.new(nil, connectOptions(signal))
        assert.strictEqual(#getEventListeners(signal, "abort"), 0)
        assertAbort(socket, "testConstructor")
      end

      local function testConstructorPost()
        local ac = AbortController.new()
        local signal = ac.signal
        local socket = tls.TLSSocket.new(nil, connectOptions(signal))
        assert.strictEqual(#getEventListeners(signal, "abort"), 1)
        ac:abort()
        assertAbort(socket, "testConstructorPost")
      end

      local function testConstructorPostTick()
        local ac = AbortController.new()
        local signal = ac.signal
        local socket = tls.TLSSocket.new(nil, connectOptions(signal))
        setImmediate(function() ac:abort() end)
        assert.strictEqual(#getEventListeners(signal, "abort"), 1)
        assertAbort(socket, "testConstructorPostTick")
      end

      postAbort()
      preAbort()
      tickAbort()
      testConstructor()
      testConstructorPost()
      testConstructorPostTick()
      server:close(common.mustCall())
    end)))
  end))
end)
