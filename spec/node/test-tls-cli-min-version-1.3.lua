-- Node v20.11.1 test/parallel/test-tls-cli-min-version-1.3.js, ported
-- (doc/node-tests.md): with --tls-min-v1.3 the default TLS version range is TLSv1.3..TLSv1.3, and
-- test-tls-min-max-version's cases hold under it.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

-- Node runs this file with "// Flags: --tls-min-v1.3": here a child luatls gets them
local FLAGS = "--tls-min-v1.3"

local function luatls(args)
  return helper.sh("cd " .. helper.quote(helper.root) .. " && " .. helper.quote(helper.luatls) .. " " .. FLAGS
    .. " " .. args)
end

describe("test-tls-cli-min-version-1.3", function()
  it("runs as in Node", common.run(function()
    local out, status = luatls("-e " .. helper.quote("local tls = require('tls'); "
      .. "print(tls.DEFAULT_MAX_VERSION); print(tls.DEFAULT_MIN_VERSION)"))
    assert.strictEqual(status, 0, out)
    local max, min = out:match("^(%S+)\n(%S+)\n$")
    assert.strictEqual(max, "TLSv1.3")
    assert.strictEqual(min, "TLSv1.3")

    -- require('./test-tls-min-max-version.js'): its port, under the flags
    out, status = luatls("spec/run.lua spec/node/test-tls-min-max-version.lua")
    assert.strictEqual(status, 0, out)
    assert.match(out, "\n[1-9]%d* passed, 0 failed, 0 skipped")
  end))
end)
