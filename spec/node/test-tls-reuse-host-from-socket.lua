-- Node v20.11.1 test/parallel/test-tls-reuse-host-from-socket.js, ported
-- (doc/node-tests.md): tls.connect over a connected net.Socket, with no host given.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-reuse-host-from-socket", function()
  it("runs as in Node", common.run(function()
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }):listen(0, common.mustCall(function()
      local socket
      socket = net.connect(server:address().port, common.mustCall(function()
        local opts = { socket = socket, rejectUnauthorized = false }
        local secureSocket
        secureSocket = tls.connect(opts, common.mustCall(function()
          secureSocket:destroy()
          server:close()
        end))
      end))
    end))
  end))
end)
