-- Node v20.11.1 test/parallel/test-tls-env-bad-extra-ca.js, ported
-- (doc/node-tests.md): a child whose extra CA file (LUATLS_EXTRA_CA_CERTS,
-- Node's NODE_EXTRA_CA_CERTS) does not exist warns and runs on.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

describe("test-tls-env-bad-extra-ca", function()
  it("runs as in Node", common.run(function()
    -- the child tries to load the extra certificates, and warns when it cannot
    local script = common.childScript([[require("luatls.tls").createServer({})]])
    local missing = common.fixturesDir .. "/no-such-file-exists-🐢"
    local errFile = common.tmpdir.resolve("stderr")
    common.spawnPeer("env LUATLS_EXTRA_CA_CERTS=" .. helper.quote(missing) .. " CHILD=yes " .. helper.luatls .. " "
      .. helper.quote(script) .. " 2>" .. helper.quote(errFile),
      -- Node's 'exit' (the status) and 'close' (stderr) are one callback here
      common.mustCall(function(status)
        local f = _G.assert(io.open(errFile, "rb"))
        local stderr = f:read("a")
        f:close()
        assert.strictEqual(status, 0, stderr)
        assert.match(stderr,
          "Warning: Ignoring extra certs from.*no%-such%-file%-exists%-🐢.* load failed:.*No such file or directory")
      end))
  end))
end)
