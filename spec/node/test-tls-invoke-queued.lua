-- Node v20.11.1 test/parallel/test-tls-invoke-queued.js, ported
-- (doc/node-tests.md): write callbacks run in order, also for a write queued from a write callback.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-invoke-queued", function()
  it("runs as in Node", common.run(function()
    local received = ""
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }, common.mustCall(function(c)
      c:write("hello ", nil, common.mustCall(function()
        c:write("world!", nil, common.mustCall(function()
          c:destroy()
        end))
        -- written with the next _write(), its callback still runs
        c:write(" gosh", nil, common.mustCall())
      end))
      server:close()
    end))
    server:listen(0, common.mustCall(function()
      local c
      c = tls.connect(server:address().port, {
        rejectUnauthorized = false,
      }, common.mustCall(function()
        c:on("data", function(chunk)
          received = received .. chunk
        end)
        c:on("end", common.mustCall(function()
          assert.strictEqual(received, "hello world! gosh")
        end))
      end))
    end))
  end))
end)
