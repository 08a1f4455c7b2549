-- Node v20.11.1 test/parallel/test-tls-delayed-attach-error.js, ported
-- (doc/node-tests.md): a TLSSocket put on a TCP socket 200 ms after it got
-- 1 KiB of garbage reports the TLS error ('_tlsError') and closes.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-tls-delayed-attach-error", function()
  it("runs as in Node", common.run(function()
    local bonkers = string.rep("\42", 1024)
    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = net.createServer(common.mustCall(function(c)
      timers.setTimeout(common.mustCall(function()
        local s = tls.TLSSocket.new(c, {
          isServer = true,
          secureContext = tls.createSecureContext(options),
        })
        s:on("_tlsError", common.mustCall())
        s:on("close", function()
          server:close()
          s:destroy()
        end)
      end), 200)
    end)):listen(0, function()
      local c
      c = net.connect({ port = server:address().port }, function()
        c:write(bonkers)
      end)
    end)
  end))
end)
