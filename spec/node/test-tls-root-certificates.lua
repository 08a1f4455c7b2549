-- Node v20.11.1 test/parallel/test-tls-root-certificates.js, ported
-- (doc/node-tests.md): tls.rootCertificates is a read-only list of distinct PEM certificates.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-root-certificates", function()
  it("runs as in Node", common.run(function()
    local roots = tls.rootCertificates
    assert.ok(type(roots) == "table")
    assert.ok(#roots > 0)

    assert.strictEqual(tls.rootCertificates, tls.rootCertificates)

    assert.throws(function() tls.rootCertificates[1] = 0 end, { name = "TypeError" })
    -- Array.prototype.sort on a frozen array: table.sort assigns, so it raises
    assert.throws(function() table.sort(tls.rootCertificates) end, { name = "TypeError" })

    assert.throws(function() tls.rootCertificates = 0 end, { name = "TypeError" })

    local set, size = {}, 0
    for _, s in ipairs(tls.rootCertificates) do
      if not set[s] then set[s] = true; size = size + 1 end
    end
    assert.strictEqual(#tls.rootCertificates, size)

    for _, s in ipairs(tls.rootCertificates) do
      assert.ok(s:sub(1, #"-----BEGIN CERTIFICATE-----\n") == "-----BEGIN CERTIFICATE-----\n")
    end
    for _, s in ipairs(tls.rootCertificates) do
      assert.ok(s:sub(-#"\n-----END CERTIFICATE-----") == "\n-----END CERTIFICATE-----")
    end
  end))
end)
