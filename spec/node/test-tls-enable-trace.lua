-- Node v20.11.1 test/parallel/test-tls-enable-trace.js, ported
-- (doc/node-tests.md): enableTrace on a server and enableTrace() on a
-- client (in a child luatls) trace the records on stderr.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

local CHILD = [[
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local keys = tc.keys
common.run(function()
  tc.connect({
    client = {
      checkServerIdentity = function() end,
      ca = keys.agent1.cert .. "\n" .. keys.agent6.ca,
    },
    server = {
      cert = keys.agent6.cert,
      key = keys.agent6.key,
      enableTrace = true,
    },
  }, common.mustCall(function(_, pair, cleanup)
    pair.client.conn:enableTrace()
    return cleanup()
  end))
end)()
]]

describe("test-tls-enable-trace", function()
  it("runs as in Node", common.run(function()
    local script = common.childScript(CHILD)
    local errFile = common.tmpdir.resolve("stderr")
    -- Node's 'exit' (the code) and 'close' (the output) are one callback here
    common.spawnPeer(helper.luatls .. " " .. helper.quote(script) .. " 2>" .. helper.quote(errFile),
      common.mustCall(function(code, stdout)
        local f = _G.assert(io.open(errFile, "rb"))
        local stderr = f:read("a")
        f:close()
        io.stdout:write(stdout) -- Node pipes the child's output through
        assert.match(stderr, "Received Record")
        assert.match(stderr, "ClientHello")
        assert.strictEqual(code, 0, stderr)
      end))
  end))
end)
