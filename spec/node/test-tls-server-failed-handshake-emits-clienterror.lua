-- Node v20.11.1 test/parallel/test-tls-server-failed-handshake-emits-clienterror.js, ported
-- (doc/node-tests.md): bytes that are no TLS make 'tlsClientError' with OpenSSL's wrong version number.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-server-failed-handshake-emits-clienterror", function()
  it("runs as in Node", common.run(function()
    local bonkers = string.rep("\42", 1024)

    local server
    server = tls.createServer({}):listen(0, function()
      local c
      c = net.connect({ port = server:address().port }, function()
        c:write(bonkers)
      end)
    end):on("tlsClientError", common.mustCall(function(e)
      assert.ok(type(e) == "table" and e.message ~= nil, "Instance of Error should be passed to error handler")
      assert.ok(e.message:find("SSL routines:[^:]*:wrong version number") ~= nil, "Expecting SSL unknown protocol")
      server:close()
    end))
  end))
end)
