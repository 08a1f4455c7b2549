-- Node v20.11.1 test/parallel/test-tls-connect-hints-option.js, ported
-- (doc/node-tests.md): tls.connect() hands options.hints to options.lookup.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")
local dns = require("luatls.dns")

describe("test-tls-connect-hints-option", function()
  it("runs as in Node", common.run(function()
    -- a value no combination of the flags makes
    local hints = 512

    assert.notStrictEqual(hints, dns.ADDRCONFIG)
    assert.notStrictEqual(hints, dns.V4MAPPED)
    assert.notStrictEqual(hints, dns.ALL)
    assert.notStrictEqual(hints, dns.ADDRCONFIG | dns.V4MAPPED)
    assert.notStrictEqual(hints, dns.ADDRCONFIG | dns.ALL)
    assert.notStrictEqual(hints, dns.V4MAPPED | dns.ALL)
    assert.notStrictEqual(hints, dns.ADDRCONFIG | dns.V4MAPPED | dns.ALL)

    tls.connect({
      port = 42,
      lookup = common.mustCall(function(host, options)
        assert.strictEqual(host, "localhost")
        -- Node's { family: undefined, hints, all: true }
        assert.deepStrictEqual(options, { family = nil, hints = hints, all = true })
      end),
      hints = hints,
    })
  end))
end)
