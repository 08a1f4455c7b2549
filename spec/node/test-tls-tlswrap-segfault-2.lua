-- Node v20.11.1 test/parallel/test-tls-tlswrap-segfault-2.js, ported
-- (doc/node-tests.md): 'keylog' and 'session' listeners added to a socket
-- that failed to connect and closed are never called (and do not crash).
local common = require("spec.node.common")
local tls = require("luatls.tls")

describe("test-tls-tlswrap-segfault-2", function()
  it("runs as in Node", common.run(function()
    local tlsSocketKeyLog = tls.connect("cause-error")
    tlsSocketKeyLog:on("error", common.mustCall())
    tlsSocketKeyLog:on("close", common.mustCall(function()
      tlsSocketKeyLog:on("keylog", common.mustNotCall())
    end))

    local tlsSocketSession = tls.connect("cause-error-2")
    tlsSocketSession:on("error", common.mustCall())
    tlsSocketSession:on("close", common.mustCall(function()
      tlsSocketSession:on("session", common.mustNotCall())
    end))
  end))
end)
