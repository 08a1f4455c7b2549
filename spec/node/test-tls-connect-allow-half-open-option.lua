-- Node v20.11.1 test/parallel/test-tls-connect-allow-half-open-option.js, ported
-- (doc/node-tests.md): allowHalfOpen for tls.connect(): off by default; on, the client writes after 'end'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")

describe("test-tls-connect-allow-half-open-option", function()
  it("runs as in Node", common.run(function()
    do
      local socket = tls.connect({ port = 42, lookup = function() end })
      assert.strictEqual(socket.allowHalfOpen, false)
    end

    do
      local socket = tls.connect({ port = 42, allowHalfOpen = false, lookup = function() end })
      assert.strictEqual(socket.allowHalfOpen, false)
    end

    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }, common.mustCall(function(socket)
      server:close()

      local message = ""
      socket:setEncoding("utf8")
      socket:on("data", function(chunk)
        message = message .. chunk
        if message == "Hello" then
          socket:done(message)
          message = ""
        end
      end)
      socket:on("end", common.mustCall(function()
        assert.strictEqual(message, "Bye")
      end))
    end))

    server:listen(0, common.mustCall(function()
      local socket
      socket = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        allowHalfOpen = true,
      }, common.mustCall(function()
        local message = ""
        socket:on("data", function(chunk)
          message = message .. chunk
        end)
        socket:on("end", common.mustCall(function()
          assert.strictEqual(message, "Hello")
          timers.setTimeout(function()
            assert.ok(socket.writable)
            assert.ok(socket:write("Bye"))
            socket:done()
          end, 50)
        end))
        socket:write("Hello")
      end))
      socket:setEncoding("utf8")
    end))
  end))
end)
