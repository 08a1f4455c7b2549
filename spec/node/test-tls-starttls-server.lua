-- Node v20.11.1 test/parallel/test-tls-starttls-server.js, ported
-- (doc/node-tests.md): a server TLSSocket over a net.Server's socket, with
-- an SNICallback that answers (nil, nil) and a client asking for OCSP.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-starttls-server", function()
  it("runs as in Node", common.run(function()
    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")
    local server
    server = net.createServer(common.mustCall(function(s)
      local tlsSocket = tls.TLSSocket.new(s, {
        isServer = true,
        server = server,
        secureContext = tls.createSecureContext({ key = key, cert = cert }),
        SNICallback = common.mustCall(function(hostname, callback)
          assert.strictEqual(hostname, "test.test")
          callback(nil, nil)
        end),
      })
      tlsSocket:on("secure", common.mustCall(function()
        tlsSocket:done()
        server:close()
      end))
    end)):listen(0, function()
      local opts = {
        servername = "test.test",
        port = server:address().port,
        rejectUnauthorized = false,
        requestOCSP = true,
      }
      tls.connect(opts, function(self)
        self:done()
      end)
    end)
  end))
end)
