-- Node v20.11.1 test/parallel/test-tls-ticket-invalid-arg.js, ported
-- (doc/node-tests.md): setTicketKeys() refuses what is no buffer
-- (ERR_INVALID_ARG_TYPE) and a buffer that is not 48 bytes long.
-- Node's Uint8Array, Buffer and DataView are one-byte (two-byte) strings
-- here, and so is its '' (a Lua string is the buffer: it goes to the second
-- list); its BigInt and Symbol have no Lua kind (left out).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-ticket-invalid-arg", function()
  it("runs as in Node", common.run(function()
    local server = tls.Server.new()
    -- null/undefined (nil), 0, 1, {}, [], true, false, () => {}
    local args = { n = 8, nil, 0, 1, {}, {}, true, false, function() end }
    for i = 1, args.n do
      local arg = args[i]
      assert.throws(function() server:setTicketKeys(arg) end, { code = "ERR_INVALID_ARG_TYPE" })
    end

    for _, arg in ipairs({ "\0", "\1", "\0\0", "" }) do
      assert.throws(function()
        server:setTicketKeys(arg)
      end, { messagePattern = "Session ticket keys must be a 48%-byte buffer" })
    end
  end))
end)
