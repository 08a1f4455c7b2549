-- Node v20.11.1 test/parallel/test-tls-handshake-nohang.js, ported
-- (doc/node-tests.md): unused SecurePairs (client and server) do not keep the process alive.
local common = require("spec.node.common")
local tls = require("luatls.tls")

describe("test-tls-handshake-nohang", function()
  it("runs as in Node", common.run(function()
    local a = tls.createSecurePair(nil, false, false, false)
    local b = tls.createSecurePair(nil, true, false, false)
    -- the loop ended with the pairs unused (the check); their ends are
    -- still open, idle, where Node's process exits past them
    common.onExit(function()
      a:destroy()
      b:destroy()
    end)
  end))
end)
