-- Node v20.11.1 test/parallel/test-tls-env-extra-ca-no-crypto.js, ported
-- (doc/node-tests.md): a child given an extra CA file (LUATLS_EXTRA_CA_CERTS,
-- Node's NODE_EXTRA_CA_CERTS) that uses no TLS at all exits normally.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

describe("test-tls-env-extra-ca-no-crypto", function()
  it("runs as in Node", common.run(function()
    local script = common.childScript("-- exit\n")
    local ca = common.fixtures.path("keys", "ca1-cert.pem")
    common.spawnPeer("env LUATLS_EXTRA_CA_CERTS=" .. helper.quote(ca) .. " " .. helper.luatls .. " "
      .. helper.quote(script) .. " child", common.mustCall(function(status, output)
        assert.strictEqual(status, 0, output)
      end))
  end))
end)
