-- Node v20.11.1 test/parallel/test-tls-destroy-whilst-write.js, ported
-- (doc/node-tests.md): a TLS client over a Duplex whose writes finish a
-- turn later, destroyed while its first write is pending.
local common = require("spec.node.common")
local tls = require("luatls.tls")
local stream = require("luatls.stream")
local timers = require("luatls.timers")

describe("test-tls-destroy-whilst-write", function()
  it("runs as in Node", common.run(function()
    local delay = stream.Duplex.new({
      read = function() end,
      write = function(_, _, _, cb)
        print("pending")
        timers.setImmediate(function()
          print("done")
          cb()
        end)
      end,
    })
    local secure = tls.connect({
      socket = delay,
    })
    timers.setImmediate(function()
      secure:destroy()
    end)
  end))
end)
