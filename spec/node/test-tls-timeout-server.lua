-- Node v20.11.1 test/parallel/test-tls-timeout-server.js, ported
-- (doc/node-tests.md): a client that never starts its handshake gets the
-- server's 'tlsClientError' after handshakeTimeout.
local common = require("spec.node.common")
local fixtures = common.fixtures
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-timeout-server", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
      handshakeTimeout = 50,
    }
    local server = tls.createServer(options, common.mustNotCall())
    server:on("tlsClientError", common.mustCall(function(_err, conn)
      conn:destroy()
      server:close()
    end))
    server:listen(0, common.mustCall(function()
      net.connect({ host = "127.0.0.1", port = server:address().port })
    end))
  end))
end)
