-- Node v20.11.1 test/parallel/test-tls-junk-closes-server.js, ported
-- (doc/node-tests.md): plain text sent to a TLS server ends the connection.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-junk-closes-server", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }
    local server = tls.createServer(options, common.mustNotCall())
    server:listen(0, common.mustCall(function()
      local c = net.createConnection(server:address().port)
      c:on("connect", common.mustCall(function()
        c:write("blah\nblah\nblah\n")
      end))
      c:on("end", common.mustCall(function()
        server:close()
      end))
    end))
  end))
end)
