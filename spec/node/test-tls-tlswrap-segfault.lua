-- Node v20.11.1 test/parallel/test-tls-tlswrap-segfault.js, ported
-- (doc/node-tests.md): reading client.ssl.fd on every turn of the loop
-- until the connection is gone does not crash; ssl is nil after 'close'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")

describe("test-tls-tlswrap-segfault", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    local function putImmediate(client)
      timers.setImmediate(function()
        if client.ssl then
          local fd = client.ssl.fd
          assert.ok(not not fd)
          putImmediate(client)
        else
          server:close()
        end
      end)
    end
    server = tls.createServer(options, function(s)
      s:done("hello")
    end):listen(0, function()
      local opts = { port = server:address().port, rejectUnauthorized = false }
      local client
      client = tls.connect(opts, function()
        putImmediate(client)
      end)
      client:resume()
    end)
  end))
end)
