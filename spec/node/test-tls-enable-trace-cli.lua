-- Node v20.11.1 test/parallel/test-tls-enable-trace-cli.js, ported
-- (doc/node-tests.md): a child luatls run with --trace-tls warns, and
-- traces its TLS records on stderr (stdout stays empty).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

local CHILD = [[
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, keys = tc.assert, tc.keys
common.run(function()
  tc.connect({
    client = {
      checkServerIdentity = function() end,
      ca = keys.agent1.cert .. "\n" .. keys.agent6.ca,
    },
    server = {
      cert = keys.agent6.cert,
      key = keys.agent6.key,
    },
  }, common.mustCall(function(_, pair, cleanup)
    if pair.server.err then io.stderr:write("server ", tostring(pair.server.err), "\n") end
    if pair.client.err then io.stderr:write("client ", tostring(pair.client.err), "\n") end
    assert.ifError(pair.server.err)
    assert.ifError(pair.client.err)
    return cleanup()
  end))
end)()
]]

describe("test-tls-enable-trace-cli", function()
  it("runs as in Node", common.run(function()
    -- (Node skips when its OpenSSL has no SSL_trace(); the system's has it)
    local script = common.childScript(CHILD)
    local errFile = common.tmpdir.resolve("stderr")
    common.spawnPeer(helper.luatls .. " --trace-tls " .. helper.quote(script) .. " 2>" .. helper.quote(errFile),
      common.mustCall(function(code, stdout)
        local f = _G.assert(io.open(errFile, "rb"))
        local stderr = f:read("a")
        f:close()
        assert.strictEqual(code, 0, stderr)
        assert.strictEqual((stdout:gsub("^%s+", ""):gsub("%s+$", "")), "")
        assert.match(stderr, "Warning: Enabling %-%-trace%-tls can expose sensitive")
        assert.match(stderr, "Sent Record")
      end))
  end))
end)
