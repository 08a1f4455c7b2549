-- Node v20.11.1 test/parallel/test-tls-ip-servername-deprecation.js, ported
-- (doc/node-tests.md): an IP address as servername emits the DEP0123 DeprecationWarning.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-ip-servername-deprecation", function()
  it("runs as in Node", common.run(function()
    common.expectWarning("DeprecationWarning",
      "Setting the TLS ServerName to an IP address is not permitted by " ..
      "RFC 6066. This will be ignored in a future version.", "DEP0123")
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.createServer(options, function(s)
      s:done("hello")
    end)
    server:listen(0, function()
      local client
      client = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        servername = "127.0.0.1",
      }, function()
        client:done()
      end)
      -- nobody reads the client's "hello", so it never sees 'end' and stays
      -- open, idle, when the loop ends (Node's process exits past it)
      common.onExit(function() client:destroy() end)
    end)
    server:on("connection", common.mustCall(function()
      server:close()
    end))
  end))
end)
