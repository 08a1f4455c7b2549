-- Node v20.11.1 test/parallel/test-tls-connect-stream-writes.js, ported
-- (doc/node-tests.md): a TLS client over a stream.Duplex wrapping a TCP
-- socket; 50 writes arrive whole at the server.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")
local stream = require("luatls.stream")

describe("test-tls-connect-stream-writes", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
      ca = { fixtures.readKey("rsa_ca.crt") },
      ciphers = "AES256-GCM-SHA384",
    }
    local content = "hello world"
    local recv_bufs = {}
    local send_data = ""
    local server
    server = tls.createServer(options, function(s)
      s:on("data", function(c)
        recv_bufs[#recv_bufs + 1] = c
      end)
    end)
    server:listen(0, function()
      local raw = net.connect(server:address().port)

      local pending = false
      local p
      raw:on("readable", function()
        if pending then p:_read() end
      end)

      p = stream.Duplex.new({
        read = function(self)
          pending = false
          local chunk = raw:read()
          if chunk then
            self:push(chunk)
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
      }, function()
        for _ = 1, 50 do
          socket:write(content)
          send_data = send_data .. content
        end
        socket:done()
        server:close()
      end)
    end)

    common.onExit(function()
      local recv_data = table.concat(recv_bufs)
      assert.strictEqual(send_data, recv_data)
    end)
  end))
end)
