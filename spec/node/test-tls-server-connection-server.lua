-- Node v20.11.1 test/parallel/test-tls-server-connection-server.js, ported
-- (doc/node-tests.md): the plain socket of a tls.Server's 'connection' has the server as socket.server.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-server-connection-server", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.createServer(options, function(s)
      s:done("hello")
    end):listen(0, function()
      local opts = {
        port = server:address().port,
        rejectUnauthorized = false,
      }
      server:on("connection", common.mustCall(function(socket)
        assert.strictEqual(socket.server, server)
        server:close()
      end))
      local client
      client = tls.connect(opts, function()
        client:done()
      end)
      -- the client never reads the 'hello', so it never sees 'end' and stays
      -- open (inactive); Node's process exits so (checked), here it is closed at exit
      common.onExit(function() client:destroy() end)
    end)
  end))
end)
