-- Node v20.11.1 test/parallel/test-tls-interleave.js, ported
-- (doc/node-tests.md): three server writes arrive in order while the client writes too.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-interleave", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
      ca = { fixtures.readKey("rsa_ca.crt") },
    }
    local writes = {
      "some server data",
      "and a separate packet",
      "and one more",
    }
    local receivedWrites = 0
    local server
    server = tls.createServer(options, function(c)
      c:resume()
      for _, str in ipairs(writes) do c:write(str) end
    end)
    server:listen(0, common.mustCall(function()
      local connectOpts = { rejectUnauthorized = false }
      local c
      c = tls.connect(server:address().port, connectOpts, function()
        c:write("some client data")
        c:on("readable", function()
          local data = c:read()
          if data == nil then return end
          data = tostring(data)
          while #data ~= 0 do
            local w = writes[receivedWrites + 1]
            assert.ok(data:sub(1, #w) == w)
            data = data:sub(#w + 1)
            receivedWrites = receivedWrites + 1
            if receivedWrites == #writes then
              c:done()
              server:close()
            end
          end
        end)
      end)
    end))
    common.onExit(function()
      assert.strictEqual(receivedWrites, #writes)
    end)
  end))
end)
