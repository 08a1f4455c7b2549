-- Node v20.11.1 test/parallel/test-tls-secure-context-usage-order.js, ported
-- (doc/node-tests.md): the context added last by addContext for a name is the one used.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local function loadPEM(n) return fixtures.readKey(n .. ".pem") end

describe("test-tls-secure-context-usage-order", function()
  it("runs as in Node", common.run(function()
    local serverOptions = {
      key = loadPEM("agent2-key"),
      cert = loadPEM("agent2-cert"),
      requestCert = true,
      rejectUnauthorized = false,
    }
    local badSecureContext = {
      key = loadPEM("agent1-key"),
      cert = loadPEM("agent1-cert"),
      ca = { loadPEM("ca2-cert") },
    }
    local goodSecureContext = {
      key = loadPEM("agent1-key"),
      cert = loadPEM("agent1-cert"),
      ca = { loadPEM("ca1-cert") },
    }

    local server = tls.createServer(serverOptions, function(c)
      -- 'a': only the bad context exists; 'b': the good one was added after it
      if c.servername == "a.example.com" then
        assert.strictEqual(c.authorized, false)
      end
      if c.servername == "b.example.com" then
        assert.strictEqual(c.authorized, true)
      end
    end)

    server:addContext("*.example.com", badSecureContext)

    server:listen(0, function()
      local options = {
        port = server:address().port,
        key = loadPEM("agent1-key"),
        cert = loadPEM("agent1-cert"),
        ca = { loadPEM("ca1-cert") },
        servername = "a.example.com",
        rejectUnauthorized = false,
      }

      local client
      client = tls.connect(options, function()
        client:done()
      end)

      client:on("close", common.mustCall(function()
        server:addContext("*.example.com", goodSecureContext)
        options.servername = "b.example.com"
        local other
        other = tls.connect(options, function()
          other:done()
        end)
        other:on("close", common.mustCall(function()
          -- again: the list of contexts is not reversed by each lookup
          local onemore
          onemore = tls.connect(options, function()
            onemore:done()
          end)
          onemore:on("close", common.mustCall(function()
            server:close()
          end))
        end))
      end))
    end)
  end))
end)
