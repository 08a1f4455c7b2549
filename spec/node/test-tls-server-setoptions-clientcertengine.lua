-- Node v20.11.1 test/parallel/test-tls-server-setoptions-clientcertengine.js, ported
-- (doc/node-tests.md): server:setOptions() is deprecated (DEP0122); clientCertEngine is refused, as luatls
-- refuses the engine options (README, "Where luatls deliberately differs").
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-server-setoptions-clientcertengine", function()
  it("runs as luatls documents", common.run(function()
    local server = tls.createServer()
    assert.strictEqual(server.clientCertEngine, nil)
    common.expectWarning("DeprecationWarning", "Server.prototype.setOptions() is deprecated", "DEP0122")
    -- Node keeps 'Cannonmouth' in server.clientCertEngine; luatls raises
    assert.throws(function() server:setOptions({ clientCertEngine = "Cannonmouth" }) end, {
      code = "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", name = "TypeError",
      messagePattern = "server:setOptions option 'clientCertEngine'",
    })
    assert.strictEqual(server.clientCertEngine, nil)
  end))
end)
