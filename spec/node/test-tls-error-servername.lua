-- Node v20.11.1 test/parallel/test-tls-error-servername.js, ported
-- (doc/node-tests.md): setServername()'s argument check, and its refusal
-- on a server-side socket.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-error-servername", function()
  it("runs as in Node", common.run(function()
    local pair = common.makeDuplexPair()
    local clientSide, serverSide = pair.clientSide, pair.serverSide
    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")
    local ca = fixtures.readKey("ca1-cert.pem")

    local client = tls.connect({
      socket = clientSide,
      ca = ca,
      host = "agent1", -- the certificate's name
    })

    -- Node's undefined and null are both nil
    for _, value in ipairs({ { nil }, { 1 }, { true }, { {} } }) do
      assert.throws(function()
        client:setServername(value[1])
      end, {
        code = "ERR_INVALID_ARG_TYPE",
        message = "The \"name\" argument must be of type string." .. common.invalidArgTypeHelper(value[1]),
      })
    end

    local server = tls.TLSSocket.new(serverSide, {
      isServer = true,
      key = key,
      cert = cert,
      ca = ca,
    })

    assert.throws(function()
      server:setServername("localhost")
    end, {
      code = "ERR_TLS_SNI_FROM_SERVER",
      message = "Cannot issue SNI from a TLS server-side socket",
    })
    -- Node's process exits with both sockets open (over JS streams, they
    -- hold no handle); luatls's hold unref'd ones, closed for the harness
    common.onExit(function()
      client:destroy()
      server:destroy()
    end)
  end))
end)
