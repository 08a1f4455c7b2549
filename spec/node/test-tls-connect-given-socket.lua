-- Node v20.11.1 test/parallel/test-tls-connect-given-socket.js, ported
-- (doc/node-tests.md): tls.connect({ socket }) over a net.Socket connecting, connected, or destroyed early.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-connect-given-socket", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
    }

    local server
    server = tls.createServer(options, common.mustCall(function(socket)
      socket:done("Hello")
    end, 2)):listen(0, common.mustCall(function()
      local waiting = 2
      local function establish(socket, calls)
        local client
        client = tls.connect({
          rejectUnauthorized = false,
          socket = socket,
        }, common.mustCall(function()
          local data = ""
          client:on("data", common.mustCall(function(chunk)
            data = data .. tostring(chunk)
          end))
          client:on("end", common.mustCall(function()
            assert.strictEqual(data, "Hello")
            waiting = waiting - 1
            if waiting == 0 then server:close() end
          end))
        end, calls))
        assert.ok(client.readable)
        assert.ok(client.writable)
        return client
      end

      local port = server:address().port

      -- destroyed at once
      local immediateDeath = net.connect(port)
      establish(immediateDeath, 0):destroy()

      -- the TLS socket goes before its TCP socket connects
      local outlivingTLS
      local function nextFn()
        -- a TCP socket connected already
        local connected
        connected = net.connect(port, common.mustCall(function()
          establish(connected)
        end))

        -- one still connecting
        local connecting = net.connect(port)
        establish(connecting)
      end
      local outlivingTCP = net.connect(port, common.mustCall(function()
        outlivingTLS:destroy()
        nextFn()
      end))
      outlivingTLS = establish(outlivingTCP, 0)
    end))
  end))
end)
