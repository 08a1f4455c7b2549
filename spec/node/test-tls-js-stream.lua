-- Node v20.11.1 test/parallel/test-tls-js-stream.js, ported
-- (doc/node-tests.md): tls.connect over a Duplex made in script (a
-- JSStreamSocket in Node) talks to a TLS server.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")
local stream = require("luatls.stream")

describe("test-tls-js-stream", function()
  it("runs as in Node", common.run(function()
    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }, common.mustCall(function(c)
      c:resume()
      c:done("ohai")
    end))
    server:listen(0, common.mustCall(function()
      local raw = net.connect(server:address().port)
      local pending = false
      local p
      raw:on("readable", function()
        if pending then p:_read() end
      end)
      raw:on("end", function()
        p:push(nil)
      end)
      p = stream.Duplex.new({
        read = function(this)
          pending = false
          local chunk = raw:read()
          if chunk then
            this:push(chunk)
          else
            pending = true
          end
        end,
        write = function(_, data, enc, cb)
          raw:write(data, enc, cb)
        end,
      })
      local socket
      socket = tls.connect({
        socket = p,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        socket:resume()
        socket:done("hello")
      end))
      socket:once("close", function()
        server:close()
      end)
    end))
  end))
end)
