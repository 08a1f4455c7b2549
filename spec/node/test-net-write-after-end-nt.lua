-- Node v20.11.1 test/parallel/test-net-write-after-end-nt.js, ported
-- (doc/node-tests.md).
-- A write after the peer's FIN (no allowHalfOpen) returns false and fails
-- with EPIPE; the 'error' comes in a later tick.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-write-after-end-nt", function()
  it("write after 'end'", common.run(function()
    local expectsError, mustCall = common.expectsError, common.mustCall

    local server
    server = net.createServer(mustCall(function(socket)
      socket:done()
    end)):listen(function()
      net.connect(server:address().port, function(client)
        local hasError = false
        client:on("error", mustCall(function()
          hasError = true
          server:close()
        end))
        client:on("end", mustCall(function()
          local ret = client:write("hello", expectsError({
            code = "EPIPE",
            message = "This socket has been ended by the other party",
            name = "Error",
          }))

          assert.strictEqual(ret, false)
          assert(not hasError, "The error should be emitted in the next tick.")
        end))
        client:done()
      end)
    end)
  end))
end)
