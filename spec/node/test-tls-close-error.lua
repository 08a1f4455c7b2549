-- Node v20.11.1 test/parallel/test-tls-close-error.js, ported
-- (doc/node-tests.md): a client that fails verification gets 'error', then 'close' with hadError.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-close-error", function()
  it("runs as in Node", common.run(function()
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }, function() end):listen(0, common.mustCall(function()
      local c = tls.connect(server:address().port, common.mustNotCall())
      c:on("error", common.mustCall())
      c:on("close", common.mustCall(function(err)
        assert.ok(err)
        server:close()
      end))
    end))
  end))
end)
