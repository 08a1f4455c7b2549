-- Node v20.11.1 test/parallel/test-tls-connect-memleak.js, ported
-- (doc/node-tests.md): tls.connect()'s callback, once called, no longer keeps what it captured alive.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-connect-memleak", function()
  it("runs as in Node", common.run(function()
    local server = tls.createServer({
      cert = fixtures.readKey("rsa_cert.crt"),
      key = fixtures.readKey("rsa_private.pem"),
    }):listen(0)

    local collected = false
    -- Node's onGC(obj, listener): here a __gc metamethod
    local function onGC(_, listener)
      return setmetatable({}, { __gc = function() listener.ongc() end })
    end
    local gcListener = { ongc = function() collected = true end }

    local function done(sock)
      collectgarbage("collect") -- global.gc()
      setImmediate(function()
        assert.strictEqual(collected, true)
        sock:done()
        server:close()
      end)
    end

    do
      local gcObject = onGC(nil, gcListener)
      local sock
      sock = tls.connect(
        server:address().port,
        { rejectUnauthorized = false },
        common.mustCall(function()
          assert.strictEqual(gcObject, gcObject) -- keeps it captured
          assert.strictEqual(collected, false)
          setImmediate(done, sock)
        end))
    end
  end))
end)
