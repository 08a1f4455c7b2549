-- Node v20.11.1 test/parallel/test-tls-no-cert-required.js, ported
-- (doc/node-tests.md): a server without a certificate can be made and can listen; options of the wrong type raise.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-no-cert-required", function()
  it("runs as in Node", common.run(function()
    local function close(server) server:close() end
    local function listenAndClose(server)
      server:listen(0, common.mustCall(function() close(server) end))
    end

    listenAndClose(tls.createServer({ ciphers = "AECDH-NULL-SHA" }))
    listenAndClose(tls.createServer(assert.fail))
    listenAndClose(tls.createServer({}))

    assert.throws(function() tls.createServer("this is not valid") end, {
      code = "ERR_INVALID_ARG_TYPE",
      name = "TypeError",
      message = 'The "options" argument must be of type object. ' ..
                "Received type string ('this is not valid')",
    })

    listenAndClose(tls.createServer())
  end))
end)
