-- Node v20.11.1 test/parallel/test-tls-cert-chains-concat.js, ported
-- (doc/node-tests.md): a server cert option holding the leaf and its
-- intermediate; the client sees the whole chain up to the root.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, connect, keys = tc.assert, tc.connect, tc.keys

describe("test-tls-cert-chains-concat", function()
  it("runs as in Node", common.run(function()
    connect({
      client = {
        checkServerIdentity = function() end,
        ca = keys.agent6.ca,
      },
      server = {
        cert = keys.agent6.cert,
        key = keys.agent6.key,
      },
    }, common.mustSucceed(function(pair, cleanup)
      local peer = pair.client.conn:getPeerCertificate()
      assert.strictEqual(peer.subject.emailAddress, "adam.lippai@tresorit.com")
      assert.strictEqual(peer.subject.CN, "Ádám Lippai")
      assert.strictEqual(peer.issuer.CN, "ca3")
      -- (Node's /.../i: compared in upper case)
      assert.match(peer.serialNumber:upper(), "5B75D77EDC7FB5B7FA9F1424DA4C64FB815DCBDE")

      local next = pair.client.conn:getPeerCertificate(true).issuerCertificate
      local root = next.issuerCertificate
      next.issuerCertificate = nil
      assert.strictEqual(next.subject.CN, "ca3")
      assert.strictEqual(next.issuer.CN, "ca1")
      assert.match(next.serialNumber:upper(), "147D36C1C2F74206DE9FAB5F2226D78ADB00A425")

      assert.strictEqual(root.subject.CN, "ca1")
      assert.strictEqual(root.issuer.CN, "ca1")
      assert.match(root.serialNumber:upper(), "4AB16C8DFD6A7D0D2DFCABDF9C4B0E92C6AD0229")

      -- no client certificate: an empty table
      assert.deepStrictEqual(pair.server.conn:getPeerCertificate(), {})
      assert.deepStrictEqual(pair.server.conn:getPeerCertificate(true), {})

      return cleanup()
    end))
  end))
end)
