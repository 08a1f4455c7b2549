-- Node v20.11.1 test/parallel/test-tls-socket-constructor-alpn-options-parsing.js,
-- ported (doc/node-tests.md): new TLSSocket takes ALPNProtocols as a list
-- (without a socket too) and a server-side one negotiates it.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-socket-constructor-alpn-options-parsing", function()
  it("runs as in Node", common.run(function()
    tls.TLSSocket.new(nil, { ALPNProtocols = { "http/1.1" } })

    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")
    local server
    server = net.createServer(common.mustCall(function(s)
      local tlsSocket = tls.TLSSocket.new(s, {
        isServer = true,
        server = server,
        key = key,
        cert = cert,
        ALPNProtocols = { "http/1.1" },
      })
      tlsSocket:on("secure", common.mustCall(function()
        assert.strictEqual(tlsSocket.alpnProtocol, "http/1.1")
        tlsSocket:done()
        server:close()
      end))
    end))

    server:listen(0, common.mustCall(function()
      local alpnOpts = {
        port = server:address().port,
        rejectUnauthorized = false,
        ALPNProtocols = { "h2", "http/1.1" },
      }
      tls.connect(alpnOpts, common.mustCall(function(self)
        self:done()
      end))
    end))
  end))
end)
