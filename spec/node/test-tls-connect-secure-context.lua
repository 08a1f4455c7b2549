-- Node v20.11.1 test/parallel/test-tls-connect-secure-context.js, ported
-- (doc/node-tests.md): a client's secureContext option, also one made with
-- every optional field nil.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, keys, tls = tc.assert, tc.keys, tc.tls

describe("test-tls-connect-secure-context", function()
  it("runs as in Node", common.run(function()
    tc.connect({
      client = {
        servername = "agent1",
        secureContext = tls.createSecureContext({
          ca = keys.agent1.ca,
        }),
      },
      server = {
        cert = keys.agent1.cert,
        key = keys.agent1.key,
      },
    }, function(err, _, cleanup)
      assert.ifError(err)
      return cleanup()
    end)

    -- Node passes null for each of these; nil is Lua's null
    tc.connect({
      client = {
        servername = "agent1",
        secureContext = tls.createSecureContext({
          ca = keys.agent1.ca,
          ciphers = nil,
          clientCertEngine = nil,
          crl = nil,
          dhparam = nil,
          passphrase = nil,
          pfx = nil,
          privateKeyIdentifier = nil,
          privateKeyEngine = nil,
          sessionIdContext = nil,
          sessionTimeout = nil,
          sigalgs = nil,
          ticketKeys = nil,
        }),
      },
      server = {
        cert = keys.agent1.cert,
        key = keys.agent1.key,
      },
    }, function(err, _, cleanup)
      assert.ifError(err)
      return cleanup()
    end)
  end))
end)
