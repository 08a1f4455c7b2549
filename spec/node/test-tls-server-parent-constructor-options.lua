-- Node v20.11.1 test/parallel/test-tls-server-parent-constructor-options.js, ported
-- (doc/node-tests.md): allowHalfOpen and pauseOnConnect reach the tls.Server and its sockets.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local options = {
  key = fixtures.readKey("agent1-key.pem"),
  cert = fixtures.readKey("agent1-cert.pem"),
}

describe("test-tls-server-parent-constructor-options", function()
  it("defaults: no half-open, not paused", common.run(function()
    local server = tls.createServer(options, common.mustCall(function(socket)
      assert.strictEqual(socket.allowHalfOpen, false)
      assert.strictEqual(socket:isPaused(), false)
    end))

    assert.strictEqual(server.allowHalfOpen, false)
    assert.strictEqual(server.pauseOnConnect, false)

    server:listen(0, common.mustCall(function()
      local socket
      socket = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        socket:done()
      end))
      socket:on("close", function()
        server:close()
      end)
    end))
  end))

  it("allowHalfOpen and pauseOnConnect given", common.run(function()
    local o = { allowHalfOpen = true, pauseOnConnect = true }
    for k, v in pairs(options) do o[k] = v end
    local server = tls.createServer(o, common.mustCall(function(socket)
      assert.strictEqual(socket.allowHalfOpen, true)
      assert.strictEqual(socket:isPaused(), true)
      socket:on("end", function() socket:done() end)
    end))

    assert.strictEqual(server.allowHalfOpen, true)
    assert.strictEqual(server.pauseOnConnect, true)

    server:listen(0, common.mustCall(function()
      local socket
      socket = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        socket:done()
      end))
      socket:on("close", function()
        server:close()
      end)
    end))
  end))
end)
