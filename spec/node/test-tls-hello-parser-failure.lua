-- Node v20.11.1 test/parallel/test-tls-hello-parser-failure.js, ported
-- (doc/node-tests.md): 1 MiB of junk instead of a ClientHello ends the
-- connection (luatls: with a FIN, not a reset; README's fatal alert line).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-tls-hello-parser-failure", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
    }
    local bonkers = string.rep("\42", 1024 * 1024)
    local server
    server = tls.createServer(options, function() end)
    server:listen(0, common.mustCall(function()
      local client
      client = net.connect(server:address().port, common.mustCall(function()
        client:write(bonkers)
      end))
      local writeAgain = timers.setImmediate(function()
        client:write(bonkers)
      end)
      -- luatls: the server answers the junk with a FIN and reads (and drops)
      -- what still comes, so the client ends cleanly; Node's server resets
      -- the connection, and the client gets 'error' and 'close' with hadError.
      client:once("error", common.mustNotCall())
      client:on("end", common.mustCall(function()
        timers.clearImmediate(writeAgain)
        server:close()
      end))
      client:on("close", common.mustCall(function(hadError)
        assert.strictEqual(hadError, false)
      end))
    end))
  end))
end)
