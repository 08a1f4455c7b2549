-- Node v20.11.1 test/parallel/test-tls-connect-hwm-option.js, ported
-- (doc/node-tests.md): tls.connect()'s highWaterMark is the socket's readableHighWaterMark.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local function pem(n) return fixtures.readKey(n .. ".pem") end

describe("test-tls-connect-hwm-option", function()
  it("runs as in Node", common.run(function()
    local clients = 0
    local server
    server = tls.createServer({
      key = pem("agent1-key"),
      cert = pem("agent1-cert"),
    }, common.mustCall(function()
      clients = clients - 1
      if clients == 0 then server:close() end
    end, 3))

    server:listen(0, common.mustCall(function()
      clients = clients + 1
      local highBob
      highBob = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        highWaterMark = 128000,
      }, common.mustCall(function()
        assert.strictEqual(highBob.readableHighWaterMark, 128000)
        highBob:done()
      end))

      clients = clients + 1
      local defaultHighBob
      defaultHighBob = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        highWaterMark = nil,
      }, common.mustCall(function()
        assert.strictEqual(defaultHighBob.readableHighWaterMark, 16 * 1024)
        defaultHighBob:done()
      end))

      clients = clients + 1
      local zeroHighBob
      zeroHighBob = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
        highWaterMark = 0,
      }, common.mustCall(function()
        assert.strictEqual(zeroHighBob.readableHighWaterMark, 0)
        zeroHighBob:done()
      end))
    end))
  end))
end)
