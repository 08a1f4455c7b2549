-- Node v20.11.1 test/parallel/test-tls-disable-renegotiation.js, ported
-- (doc/node-tests.md): renegotiate()'s argument checks; a renegotiation
-- works until the server calls disableRenegotiation(), then the next one is
-- ERR_TLS_RENEGOTIATION_DISABLED on the server. Left out: the check of
-- Node's internal socket._handle.handshakes at 'secure'.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-disable-renegotiation", function()
  it("runs as in Node", common.run(function()
    local saved = tls.DEFAULT_MAX_VERSION
    tls.DEFAULT_MAX_VERSION = "TLSv1.2"
    common.onExit(function() tls.DEFAULT_MAX_VERSION = saved end)

    local options = {
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }
    local server
    server = tls.Server(options, common.mustCall(function(socket)
      socket:on("error", common.mustCall(function(err)
        common.expectsError({
          name = "Error",
          code = "ERR_TLS_RENEGOTIATION_DISABLED",
          message = "TLS session renegotiation disabled for this socket",
        })(err)
        socket:destroy()
        server:close()
      end))
      -- renegotiation works until disableRenegotiation(), after the first data
      socket:on("data", common.mustCall(function(chunk)
        socket:write(chunk)
        socket:disableRenegotiation()
      end))
      socket:on("secure", common.mustCall())
    end))

    server:listen(0, common.mustCall(function()
      local port = server:address().port
      local clientOptions = {
        rejectUnauthorized = false,
        port = port,
      }
      local client
      client = tls.connect(clientOptions, common.mustCall(function()
        assert.throws(function() client:renegotiate() end, {
          code = "ERR_INVALID_ARG_TYPE",
          name = "TypeError",
        })
        assert.throws(function() client:renegotiate(common.mustNotCall()) end, {
          code = "ERR_INVALID_ARG_TYPE",
          name = "TypeError",
        })
        assert.throws(function() client:renegotiate({}, false) end, {
          code = "ERR_INVALID_ARG_TYPE",
          name = "TypeError",
        })
        -- Node's renegotiate({}, null): null is nil in Lua, and a nil
        -- callback is allowed; false stands for it above

        -- the first renegotiation is allowed
        local ok
        ok = client:renegotiate(clientOptions, common.mustSucceed(function()
          -- the data makes the server disable renegotiation
          client:write("data", common.mustCall(function()
            -- this one fails on the server, which drops the connection
            ok = client:renegotiate(clientOptions, common.mustNotCall())
            assert.strictEqual(ok, true)
          end))
        end))
        assert.strictEqual(ok, true)
        client:on("secureConnect", common.mustCall())
        client:on("secure", common.mustCall())
        -- the server's end does not end the client: the echo waits unread in
        -- its buffer, so no 'end' (Node's process exits with the socket
        -- open and idle); the harness wants every handle closed
        common.onExit(function() client:destroy() end)
      end))
    end))
  end))
end)
