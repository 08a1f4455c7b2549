-- Node v20.11.1 test/parallel/test-tls-finished.js, ported
-- (doc/node-tests.md): getFinished()/getPeerFinished() are nil before the
-- handshake, and each end's Finished is the other's peer Finished.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-finished", function()
  it("runs as in Node", common.run(function()
    local msg = {}
    local function pem(n) return fixtures.readKey(n .. ".pem") end
    local server
    server = tls.createServer({
      key = pem("agent1-key"),
      cert = pem("agent1-cert"),
    }, common.mustCall(function(alice)
      msg.server = {
        alice = alice:getFinished(),
        bob = alice:getPeerFinished(),
      }
      server:close()
    end))

    server:listen(0, common.mustCall(function()
      local bob
      bob = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        msg.client = {
          alice = bob:getPeerFinished(),
          bob = bob:getFinished(),
        }
        bob:done()
      end))

      msg.before = {
        alice = bob:getPeerFinished(),
        bob = bob:getFinished(),
      }
    end))

    common.onExit(function()
      assert.strictEqual(nil, msg.before.alice)
      assert.strictEqual(nil, msg.before.bob)

      -- Buffer.isBuffer: a string here
      assert(type(msg.server.alice) == "string")
      assert(type(msg.server.bob) == "string")
      assert(type(msg.client.alice) == "string")
      assert(type(msg.client.bob) == "string")

      assert(#msg.server.alice > 0)
      assert(#msg.server.bob > 0)
      assert(#msg.client.alice > 0)
      assert(#msg.client.bob > 0)

      assert(msg.server.alice == msg.client.alice)
      assert(msg.server.bob == msg.client.bob)
    end)
  end))
end)
