-- Node v20.11.1 test/parallel/test-tls-cert-chains-in-ca.js, ported
-- (doc/node-tests.md): the server's intermediate given in its ca option is sent in the chain.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, connect, keys = tc.assert, tc.connect, tc.keys

-- Node's split(/(?=-----BEGIN CERTIFICATE-----)/): each PEM block
local function splitPEM(s)
  local out, i = {}, 1
  while true do
    local j = s:find("-----BEGIN CERTIFICATE-----", i + 1, true)
    out[#out + 1] = s:sub(i, (j or 0) - 1)
    if not j then break end
    i = j
  end
  return out
end

describe("test-tls-cert-chains-in-ca", function()
  it("runs as in Node", common.run(function()
    local agent6Chain = splitPEM(keys.agent6.cert)
    local agent6End = agent6Chain[1]
    local agent6Middle = agent6Chain[2]
    connect({
      client = {
        checkServerIdentity = function() end,
        ca = keys.agent6.ca,
      },
      server = {
        cert = agent6End,
        key = keys.agent6.key,
        ca = agent6Middle,
      },
    }, function(err, pair, cleanup)
      assert.ifError(err)

      local peer = pair.client.conn:getPeerCertificate()
      -- (Node's /.../i: compared in upper case)
      assert.match(peer.serialNumber:upper(), "5B75D77EDC7FB5B7FA9F1424DA4C64FB815DCBDE")

      local next = pair.client.conn:getPeerCertificate(true).issuerCertificate
      local root = next.issuerCertificate
      next.issuerCertificate = nil
      assert.match(next.serialNumber:upper(), "147D36C1C2F74206DE9FAB5F2226D78ADB00A425")

      assert.match(root.serialNumber:upper(), "4AB16C8DFD6A7D0D2DFCABDF9C4B0E92C6AD0229")

      return cleanup()
    end)
  end))
end)
