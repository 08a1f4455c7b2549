-- Node v20.11.1 test/parallel/test-tls-client-destroy-soon.js, ported
-- (doc/node-tests.md): end(big) then destroySoon() on the server still delivers every byte.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-client-destroy-soon", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }
    local big = string.rep("Y", 2 * 1024 * 1024)
    local server
    server = tls.createServer(options, common.mustCall(function(socket)
      socket:done(big)
      socket:destroySoon()
    end))
    server:listen(0, common.mustCall(function()
      local client
      client = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        local bytesRead = 0
        client:on("readable", function()
          local d = client:read()
          if d then bytesRead = bytesRead + #d end
        end)
        client:on("end", common.mustCall(function()
          server:close()
          assert.strictEqual(#big, bytesRead)
        end))
      end))
    end))
  end))
end)
