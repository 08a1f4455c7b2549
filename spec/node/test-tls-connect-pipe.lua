-- Node v20.11.1 test/parallel/test-tls-connect-pipe.js, ported
-- (doc/node-tests.md): a TLS server on a Unix socket, a client connects by path.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-connect-pipe", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    common.tmpdir.refresh()
    local PIPE = common.pipe()
    local server
    server = tls.Server(options, common.mustCall(function()
      server:close()
    end))
    server:listen(PIPE, common.mustCall(function()
      local clientOptions = { rejectUnauthorized = false }
      local client
      client = tls.connect(PIPE, clientOptions, common.mustCall(function()
        client:done()
      end))
    end))
  end))
end)
