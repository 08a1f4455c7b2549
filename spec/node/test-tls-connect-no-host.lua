-- Node v20.11.1 test/parallel/test-tls-connect-no-host.js, ported
-- (doc/node-tests.md): without host, tls.connect() checks the server's identity against localhost.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-connect-no-host", function()
  it("runs as in Node", common.run(function()
    local cert = fixtures.readKey("rsa_cert.crt")
    local key = fixtures.readKey("rsa_private.pem")

    local server
    server = tls.createServer({
      key = key,
      cert = cert,
    }):listen(0, common.mustCall(function()
      local socket
      socket = tls.connect({
        port = server:address().port,
        ca = cert,
        -- no host: 'localhost' by default, also for checkServerIdentity
      }, common.mustCall(function()
        assert.ok(socket.authorized)
        socket:destroy()
        server:close()
      end))
    end))
  end))
end)
