-- Node v20.11.1 test/parallel/test-tls-connect-address-family.js, ported
-- (doc/node-tests.md): tls.connect() honours family = 6 for localhost.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local dns = require("luatls.dns")

describe("test-tls-connect-address-family", function()
  it("runs as in Node", common.run(function()
    if not common.hasIPv6 then common.skip("no IPv6 support") end

    local function runTest()
      local server
      server = tls.createServer({
        cert = fixtures.readKey("agent1-cert.pem"),
        key = fixtures.readKey("agent1-key.pem"),
      })
      server:on("connection", common.mustCall(function()
        server:close()
      end)):listen(0, "::1", common.mustCall(function()
        local options = {
          host = "localhost",
          port = server:address().port,
          family = 6,
          rejectUnauthorized = false,
        }
        -- ECONNREFUSED if the family is not honoured
        local client
        client = tls.connect(options):once("secureConnect", common.mustCall(function()
          assert.strictEqual(client.remoteAddress, "::1")
          client:destroy()
        end))
      end))
    end

    dns.lookup("localhost", { family = 6, all = true }, common.mustCall(function(err, addresses)
      if err then
        if err.code == "ENOTFOUND" or err.code == "EAI_AGAIN" then
          common.skip("localhost does not resolve to ::1")
        end
        error(err)
      end
      local found = false
      for _, val in ipairs(addresses) do
        if val.address == "::1" then found = true end
      end
      if found then
        runTest()
      else
        common.skip("localhost does not resolve to ::1")
      end
    end))
  end))
end)
