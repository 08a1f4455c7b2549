-- Node v20.11.1 test/parallel/test-tls-streamwrap-buffersize.js, ported
-- (doc/node-tests.md): a tls.connect() client over a Duplex counts its
-- unsent writes in bufferSize (nil once closed).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local net = require("luatls.net")
local tls = require("luatls.tls")

describe("test-tls-streamwrap-buffersize", function()
  it("runs as in Node", common.run(function()
    common.knownFailure("a TLS write that went out at once completes at once, so bufferSize stays 0 (Node " ..
      "counts the writes until the Duplex took them); and the Duplex's 'close' destroys the client before it " ..
      "read the server's close_notify and EOF through the socket pair, so no 'end'; no issue yet")
    local iter = 10

    -- Node's createDuplex(port) resolves a promise; here a callback
    local function createDuplex(port, resolve)
      local pair = common.makeDuplexPair()
      local clientSide, serverSide = pair.clientSide, pair.serverSide
      local socket
      socket = net.connect({ port = port }, common.mustCall(function()
        clientSide:pipe(socket)
        socket:pipe(clientSide)
        clientSide:on("close", common.mustCall(function() socket:destroy() end))
        socket:on("close", common.mustCall(function() clientSide:destroy() end))
        resolve(serverSide)
      end))
    end

    local server
    server = tls.createServer({
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }, common.mustCall(function(socket)
      local str = ""
      socket:setEncoding("utf-8")
      socket:on("data", function(chunk) str = str .. chunk end)
      socket:on("end", common.mustCall(function()
        assert.strictEqual(str, string.rep("a", iter - 1))
        server:close()
      end))
    end))

    server:listen(0, common.mustCall(function()
      local port = server:address().port
      createDuplex(port, function(socket)
        local client
        client = tls.connect({ socket = socket, rejectUnauthorized = false }, common.mustCall(function()
          assert.strictEqual(client.bufferSize, 0)
          for i = 1, iter - 1 do
            client:write("a")
            assert.strictEqual(client.bufferSize, i)
          end
          client:on("end", common.mustCall())
          client:on("close", common.mustCall(function()
            assert.strictEqual(client.bufferSize, nil)
          end))
          client:done()
        end))
      end)
    end))
  end))
end)
