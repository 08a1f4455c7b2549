-- Node v20.11.1 test/parallel/test-tls-invalid-pfx.js, ported
-- (doc/node-tests.md): a PFX without a key fails with "Unable to load private key from PFX data".
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, connect, keys = tc.assert, tc.connect, tc.keys

describe("test-tls-invalid-pfx", function()
  it("runs as in Node", common.run(function()
    local invalidPfx = common.fixtures.readKey("cert-without-key.pfx")
    connect({
      client = {
        pfx = invalidPfx,
        passphrase = "test",
        rejectUnauthorized = false,
      },
      server = keys.agent1,
    }, common.mustCall(function(e, _, cleanup)
      assert.strictEqual(e.message, "Unable to load private key from PFX data")
      cleanup()
    end))
  end))
end)
