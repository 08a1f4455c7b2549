-- Node v20.11.1 test/parallel/test-tls-add-context.js, ported
-- (doc/node-tests.md): addContext() with options or a SecureContext picks the CA that authorizes the client.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local function loadPEM(n) return fixtures.readKey(n .. ".pem") end

local function merge(base, extra)
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

describe("test-tls-add-context", function()
  it("runs as in Node", common.run(function()
    local serverOptions = {
      key = loadPEM("agent2-key"),
      cert = loadPEM("agent2-cert"),
      ca = { loadPEM("ca2-cert") },
      requestCert = true,
      rejectUnauthorized = false,
    }

    local connections = 0
    local server
    server = tls.createServer(serverOptions, function(c)
      connections = connections + 1
      if connections == 3 then server:close() end
      if c.servername == "unknowncontext" then
        assert.strictEqual(c.authorized, false)
        return
      end
      assert.strictEqual(c.authorized, true)
    end)

    local secureContext = {
      key = loadPEM("agent1-key"),
      cert = loadPEM("agent1-cert"),
      ca = { loadPEM("ca1-cert") },
    }
    server:addContext("context1", secureContext)
    server:addContext("context2", tls.createSecureContext(secureContext))

    local clientOptionsBase = {
      key = loadPEM("agent1-key"),
      cert = loadPEM("agent1-cert"),
      ca = { loadPEM("ca1-cert") },
      rejectUnauthorized = false,
    }

    server:listen(0, common.mustCall(function()
      tls.connect(merge(clientOptionsBase, {
        port = server:address().port,
        servername = "context1",
      }), common.mustCall(function(client1)
        client1:done()
      end))

      tls.connect(merge(clientOptionsBase, {
        port = server:address().port,
        servername = "context2",
      }), common.mustCall(function(client2)
        client2:done()
      end))

      tls.connect(merge(clientOptionsBase, {
        port = server:address().port,
        servername = "unknowncontext",
      }), common.mustCall(function(client3)
        client3:done()
      end))
    end))
  end))
end)
