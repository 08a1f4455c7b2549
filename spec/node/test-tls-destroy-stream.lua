-- Node v20.11.1 test/parallel/test-tls-destroy-stream.js, ported
-- (doc/node-tests.md): a TLS server over one end of a Duplex pair (handed
-- over with emit('connection')) that writes and destroys at once; the ends
-- close each other in turn. test-tls-destroy-stream-12.lua runs it in TLS 1.2.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")
local tick = require("luatls.tick")

local M = {}

-- the test, with tls.DEFAULT_MAX_VERSION set to maxVersion while it runs
function M.body(maxVersion)
  return function()
    local saved = tls.DEFAULT_MAX_VERSION
    tls.DEFAULT_MAX_VERSION = maxVersion
    common.onExit(function() tls.DEFAULT_MAX_VERSION = saved end)

    local CONTENT = "Hello World"
    local tlsServer = tls.createServer({
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
      ca = { fixtures.readKey("rsa_ca.crt") },
    }, function(socket)
      socket:on("close", common.mustCall())
      socket:write(CONTENT)
      socket:destroy()
      socket:on("error", function(err)
        -- whether the write finished before destroy() is not defined
        if err.code == "ERR_STREAM_DESTROYED" then return end
        assert.ifError(err)
      end)
    end)

    local server
    server = net.createServer(function(conn)
      conn:on("error", common.mustNotCall())
      -- the first bytes decide what to do with the connection
      conn:once("data", common.mustCall(function(chunk)
        local pair = common.makeDuplexPair()
        local clientSide, serverSide = pair.clientSide, pair.serverSide
        serverSide:on("close", common.mustCall(function()
          conn:destroy()
        end))
        clientSide:pipe(conn)
        conn:pipe(clientSide)

        conn:on("close", common.mustCall(function()
          clientSide:destroy()
        end))
        clientSide:on("close", common.mustCall(function()
          conn:destroy()
        end))

        tick.nextTick(function()
          conn:unshift(chunk)
        end)

        tlsServer:emit("connection", serverSide)
      end))
    end)

    server:listen(0, function()
      local port = server:address().port
      local conn
      conn = tls.connect({ port = port, rejectUnauthorized = false }, function()
        -- the server's write may or may not have gone out before its
        -- destroy(); what arrives must be right
        conn:on("data", function(data)
          assert.strictEqual(data, CONTENT)
        end)
        conn:on("error", common.mustNotCall())
        conn:on("close", common.mustCall(function() server:close() end))
      end)
    end)
  end
end

describe("test-tls-destroy-stream", function()
  it("runs as in Node", common.run(M.body("TLSv1.3")))
end)

return M
