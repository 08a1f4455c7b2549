-- Node v20.11.1 test/parallel/test-tls-client-abort.js, ported
-- (doc/node-tests.md): a client destroyed at once never calls its secureConnect callback.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-client-abort", function()
  it("runs as in Node", common.run(function()
    local cert = fixtures.readKey("rsa_cert.crt")
    local key = fixtures.readKey("rsa_private.pem")

    local conn = tls.connect({ cert = cert, key = key, port = 0 }, common.mustNotCall())
    conn:on("error", function() end)
    conn:destroy()
  end))
end)
