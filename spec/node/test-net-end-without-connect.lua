-- Node v20.11.1 test/parallel/test-net-end-without-connect.js, ported
-- (doc/node-tests.md).
-- end() of a socket never connected does not raise.
local common = require("spec.node.common")
local net = require("luatls.net")

describe("test-net-end-without-connect", function()
  it("end() without connect()", common.run(function()
    local sock = net.Socket.new()
    sock:done() -- must not raise
  end))
end)
