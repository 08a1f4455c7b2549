-- Node v20.11.1 test/parallel/test-tls-socket-failed-handshake-emits-error.js,
-- ported (doc/node-tests.md): a server TLSSocket fed garbage emits 'error'
-- with OpenSSL's "wrong version number".
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")
local tls = require("luatls.tls")
local timers = require("luatls.timers")

describe("test-tls-socket-failed-handshake-emits-error", function()
  it("runs as in Node", common.run(function()
    local bonkers = string.rep(string.char(42), 1024)
    local server
    server = net.createServer(function(c)
      timers.setTimeout(function()
        local s = tls.TLSSocket.new(c, { isServer = true, server = server })
        s:on("error", common.mustCall(function(e)
          assert.ok(require("luatls.errors").is(e), "Instance of Error should be passed to error handler")
          assert.ok(e.message:find("SSL routines:[^:]*:wrong version number"), "Expecting SSL unknown protocol")
        end))
        s:on("close", function()
          server:close()
          s:destroy()
        end)
      end, common.platformTimeout(200))
    end)
    server:listen(0, function()
      local c
      c = net.connect({ port = server:address().port }, function()
        c:write(bonkers)
      end)
    end)
  end))
end)
