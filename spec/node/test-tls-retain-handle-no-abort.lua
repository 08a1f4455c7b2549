-- Node v20.11.1 test/parallel/test-tls-retain-handle-no-abort.js, ported
-- (doc/node-tests.md): inspecting a TLSSocket's connection after it closed does not crash.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local util = require("luatls.util")

describe("test-tls-retain-handle-no-abort", function()
  it("runs as in Node", common.run(function()
    local sent = "hello world"
    local serverOptions = {
      isServer = true,
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    -- Node keeps c.ssl (its internal TLSWrap); luatls's counterpart is the
    -- socket's connection handle, taken once connected
    local ssl = nil
    common.onExit(function()
      assert.ok(ssl ~= nil)
      util.inspect(ssl)
    end)

    local server
    server = tls.createServer(serverOptions, function(s)
      s:on("data", function() end)
      s:on("end", function()
        server:close()
        s:destroy()
      end)
    end):listen(0, function()
      local c = tls.TLSSocket.new()
      c:connect(server:address().port, function()
        ssl = c:_connection()
        c:done(sent)
      end)
    end)
  end))
end)
