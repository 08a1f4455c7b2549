-- Node v20.11.1 test/parallel/test-tls-socket-destroy.js, ported
-- (doc/node-tests.md): destroying a server TLSSocket from its first 'data'
-- while the client still sends a megabyte does not crash.
local common = require("spec.node.common")
local fixtures = common.fixtures
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-socket-destroy", function()
  it("runs as in Node", common.run(function()
    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")
    local secureContext = tls.createSecureContext({ key = key, cert = cert })

    local server
    server = net.createServer(common.mustCall(function(conn)
      local options = { isServer = true, secureContext = secureContext, server = server }
      local socket = tls.TLSSocket.new(conn, options)
      socket:once("data", common.mustCall(function()
        -- (Node calls the internal socket._destroySSL() here first)
        socket:destroy()
        server:close()
      end))
    end))

    server:listen(0, function()
      local options = { port = server:address().port, rejectUnauthorized = false }
      tls.connect(options, function(self)
        self:write(string.rep("*", 1 << 20)) -- more than fits in a frame
        -- the server closes the connection on us
        self:on("error", function() self:destroy() end)
      end)
    end)
  end))
end)
