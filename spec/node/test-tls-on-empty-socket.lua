-- Node v20.11.1 test/parallel/test-tls-on-empty-socket.js, ported (doc/node-tests.md).
-- tls.connect on a net.Socket that connects only afterwards.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-on-empty-socket", function()
  it("runs as in Node", common.run(function()
    local out = ""
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }, function(c)
      c:done("hello")
    end):listen(0, function()
      local socket = net.Socket.new()
      tls.connect({
        socket = socket,
        rejectUnauthorized = false,
      }, function(s)
        s:on("data", function(chunk)
          out = out .. chunk
        end)
        s:on("end", function()
          s:destroy()
          server:close()
        end)
      end)
      socket:connect(server:address().port)
    end)

    common.onExit(function()
      assert.strictEqual(out, "hello")
    end)
  end))
end)
