-- Node v20.11.1 test/parallel/test-tls-delayed-attach.js, ported
-- (doc/node-tests.md): a TLSSocket put on an accepted TCP socket 200 ms
-- later still gets the client's data and its end.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-tls-delayed-attach", function()
  it("runs as in Node", common.run(function()
    local sent = "hello world"
    local received = ""
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = net.createServer(common.mustCall(function(c)
      timers.setTimeout(function()
        local s = tls.TLSSocket.new(c, {
          isServer = true,
          secureContext = tls.createSecureContext(options),
        })
        s:on("data", function(chunk)
          received = received .. chunk
        end)
        s:on("end", common.mustCall(function()
          server:close()
          s:destroy()
        end))
      end, 200)
    end)):listen(0, common.mustCall(function()
      local c
      c = tls.connect(server:address().port, {
        rejectUnauthorized = false,
      }, function()
        c:done(sent)
      end)
    end))

    common.onExit(function()
      assert.strictEqual(received, sent)
    end)
  end))
end)
