-- Node v20.11.1 test/parallel/test-tls-handshake-error.js, ported
-- (doc/node-tests.md): tls.connect() with an unknown cipher raises "no cipher match".
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-handshake-error", function()
  it("runs as in Node", common.run(function()
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
      rejectUnauthorized = true,
    }, function() end)
    server:listen(0, common.mustCall(function()
      local err = assert.throws(function()
        tls.connect({
          port = server:address().port,
          ciphers = "no-such-cipher",
        }, common.mustNotCall())
      end, {})
      -- Node: /no cipher match/i
      assert.match(tostring(err.message or err):lower(), "no cipher match")
      server:close()
    end))
  end))
end)
