-- Node v20.11.1 test/parallel/test-tls-env-extra-ca.js, ported
-- (doc/node-tests.md): a child whose extra CA file (LUATLS_EXTRA_CA_CERTS,
-- Node's NODE_EXTRA_CA_CERTS) holds the server's CA connects with the
-- default CA store.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local CHILD = [[
local common = require("spec.node.common")
local tls = require("luatls.tls")
common.run(function()
  local copts = {
    port = tonumber(os.getenv("PORT")),
    checkServerIdentity = common.mustCall(),
  }
  local client
  client = tls.connect(copts, common.mustCall(function()
    client:done("hi")
  end))
  -- the server's "bye" waits unread, so the client sees no 'end' and stays
  -- open and idle (Node's process exits so); the harness wants it closed
  common.onExit(function() client:destroy() end)
end)()
]]

describe("test-tls-env-extra-ca", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.createServer(options, common.mustCall(function(s)
      s:done("bye")
      server:close()
      -- as the child's client: "hi" waits unread, no 'end'; closed at exit
      common.onExit(function() s:destroy() end)
    end)):listen(0, common.mustCall(function()
      local script = common.childScript(CHILD)
      common.spawnPeer(string.format("env CHILD=yes PORT=%d LUATLS_EXTRA_CA_CERTS=%s %s %s",
        server:address().port, helper.quote(fixtures.path("keys", "ca1-cert.pem")), helper.luatls,
        helper.quote(script)), common.mustCall(function(status, output)
          -- the client connected
          assert.strictEqual(status, 0, output)
        end))
    end))
  end))
end)
