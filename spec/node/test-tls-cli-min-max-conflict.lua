-- Node v20.11.1 test/parallel/test-tls-cli-min-max-conflict.js, ported
-- (doc/node-tests.md): --tls-min-v1.3 with --tls-max-v1.2 is refused at startup ("not both").
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

describe("test-tls-cli-min-max-conflict", function()
  it("runs as in Node", common.run(function()
    -- Node: execFile(node, ['--tls-min-v1.3', '--tls-max-v1.2', '-p', 'process.version'])
    local out, status = helper.sh(helper.quote(helper.luatls) .. " --tls-min-v1.3 --tls-max-v1.2 -e "
      .. helper.quote("print(require('process').version)"))
    assert(status ~= 0)
    assert.match(out, "not both")
  end))
end)
