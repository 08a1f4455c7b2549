-- Node v20.11.1 test/parallel/test-tls-connect-simple.js, ported
-- (doc/node-tests.md): two clients, the server closes after the second.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-connect-simple", function()
  it("runs as in Node", common.run(function()
    local serverConnected = 0
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.Server(options, common.mustCall(function()
      serverConnected = serverConnected + 1
      if serverConnected == 2 then
        server:close(common.mustCall())
        server:on("close", common.mustCall())
      end
    end, 2))

    server:listen(0, function()
      local client1options = { port = server:address().port, rejectUnauthorized = false }
      local client1
      client1 = tls.connect(client1options, common.mustCall(function()
        client1:done()
      end))
      local client2options = { port = server:address().port, rejectUnauthorized = false }
      local client2 = tls.connect(client2options)
      client2:on("secureConnect", common.mustCall(function()
        client2:done()
      end))
    end)
  end))
end)
