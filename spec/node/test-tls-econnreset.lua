-- Node v20.11.1 test/parallel/test-tls-econnreset.js, ported
-- (doc/node-tests.md): a TCP client that closes before any TLS is a
-- 'tlsClientError' "socket hang up" (ECONNRESET) on the server.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-econnreset", function()
  it("runs as in Node", common.run(function()
    local clientError = nil
    local server
    server = tls.createServer({
      cert = fixtures.readKey("agent1-cert.pem"),
      key = fixtures.readKey("agent1-key.pem"),
    }, common.mustNotCall()):on("tlsClientError", function(err, conn)
      assert(not clientError and conn)
      clientError = err
      server:close()
    end):listen(0, function()
      net.connect(server:address().port, function(socket)
        -- closed once connected: the server sees ECONNRESET
        socket:destroy()
      end):on("error", common.mustNotCall())
    end)

    common.onExit(function()
      assert(clientError)
      assert.match(clientError.message, "socket hang up")
      assert.match(clientError.code, "ECONNRESET")
    end)
  end))
end)
