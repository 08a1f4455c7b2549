-- Node v20.11.1 test/parallel/test-tls-ca-concat.js, ported
-- (doc/node-tests.md): a ca string of several concatenated PEM certificates trusts each of them.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local connect, keys = tc.connect, tc.keys

describe("test-tls-ca-concat", function()
  it("runs as in Node", common.run(function()
    connect({
      client = {
        checkServerIdentity = function() end,
        ca = keys.agent1.cert .. "\n" .. keys.agent6.ca,
      },
      server = {
        cert = keys.agent6.cert,
        key = keys.agent6.key,
      },
    }, common.mustSucceed(function(_pair, cleanup)
      return cleanup()
    end))
  end))
end)
