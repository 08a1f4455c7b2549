-- Node v20.11.1 test/parallel/test-tls-addca.js, ported
-- (doc/node-tests.md): a CA added to one SecureContext does not leak into another.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, connect, keys, tls = tc.assert, tc.connect, tc.keys, tc.tls

describe("test-tls-addca", function()
  it("runs as in Node", common.run(function()
    local contextWithoutCert = tls.createSecureContext({})
    local contextWithCert = tls.createSecureContext({})
    contextWithCert.context:addCACert(keys.agent1.ca)

    local serverOptions = {
      key = keys.agent1.key,
      cert = keys.agent1.cert,
    }

    local clientOptions = {
      ca = { keys.agent1.ca },
      servername = "agent1",
      rejectUnauthorized = true,
    }

    -- without the CA the client cannot verify the server
    clientOptions.secureContext = contextWithoutCert

    connect({
      client = clientOptions,
      server = serverOptions,
    }, common.mustCall(function(err, _pair, cleanup)
      assert(err)
      assert.strictEqual(err.message, "unable to verify the first certificate")
      cleanup()

      -- with it, it can
      clientOptions.secureContext = contextWithCert
      connect({
        client = clientOptions,
        server = serverOptions,
      }, common.mustSucceed(function(_pair2, cleanup2)
        cleanup2()
      end))
    end))
  end))
end)
