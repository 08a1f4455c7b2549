-- Node v20.11.1 test/parallel/test-tls-zero-clear-in.js, ported
-- (doc/node-tests.md): end('') right after tls.connect() (a write of zero
-- bytes) is no error.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")

describe("test-tls-zero-clear-in", function()
  it("runs as in Node", common.run(function()
    local cert = fixtures.readKey("rsa_cert.crt")
    local key = fixtures.readKey("rsa_private.pem")
    local server
    server = tls.createServer({ cert = cert, key = key }, function(c)
      timers.setTimeout(function()
        c:done()
        server:close()
      end, 20)
    end):listen(0, common.mustCall(function()
      local conn
      conn = tls.connect({ cert = cert, key = key, rejectUnauthorized = false, port = server:address().port },
        function()
          timers.setTimeout(function() conn:destroy() end, 20)
        end)
      -- SSL_write() of zero bytes: its return value is no error
      conn:done("")
      conn:on("error", common.mustNotCall())
    end))
  end))
end)
