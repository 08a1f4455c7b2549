-- Node v20.11.1 test/parallel/test-tls-enable-keylog-cli.js, ported
-- (doc/node-tests.md): a child luatls run with --tls-keylog=file logs the
-- same TLS 1.2 secret once for each end.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

-- the child's part (Node's test(), run by fork(__filename, ['test']))
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
      -- how many keylog events there are depends on the protocol version
      maxVersion = "TLSv1.2",
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

describe("test-tls-enable-keylog-cli", function()
  it("runs as in Node", common.run(function()
    local script = common.childScript(CHILD)
    local file = common.tmpdir.resolve("keylog.log")
    common.spawnPeer(helper.luatls .. " --tls-keylog=" .. helper.quote(file) .. " " .. helper.quote(script),
      common.mustCall(function(code, output)
        assert.strictEqual(code, 0, output)
        local f = _G.assert(io.open(file, "rb"))
        local text = f:read("a"):gsub("^%s+", ""):gsub("%s+$", "")
        f:close()
        local log = {}
        for line in (text .. "\n"):gmatch("([^\n]*)\n") do log[#log + 1] = line end
        -- both ends log their secrets: two identical lines
        assert.strictEqual(#log, 2)
        assert.strictEqual(log[1], log[2])
      end))
  end))
end)
