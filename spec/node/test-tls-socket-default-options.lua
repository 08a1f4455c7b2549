-- Node v20.11.1 test/parallel/test-tls-socket-default-options.js, ported
-- (doc/node-tests.md): a client TLSSocket made with new and connect()ed
-- verifies with its own ca, or its secureContext's, and reports the result
-- through ssl:verifyError() (no 'secureConnect', no error).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tc = require("spec.node.fixtures.tls-connect")
local connect, keys, tls = tc.connect, tc.keys, tc.tls

describe("test-tls-socket-default-options", function()
  it("runs as in Node", common.run(function()
    local function test(client, callback)
      callback = common.mustCall(callback)
      connect({
        server = { key = keys.agent1.key, cert = keys.agent1.cert },
      }, function(err, pair, cleanup)
        assert.strictEqual(err.message, "unable to verify the first certificate")
        local recv = ""
        pair.server.server:once("secureConnection", common.mustCall(function(conn)
          conn:on("data", function(data) recv = recv .. data end)
          conn:on("end", common.mustCall(function()
            -- the server saw nothing wrong, though the client's check of
            -- its certificate failed
            assert.strictEqual(recv, "hello")
            cleanup()
          end))
        end))

        -- a TLSSocket made with new has no 'secureConnect' on the client
        -- side and no error when verification fails: the caller checks
        local s = tls.TLSSocket.new(nil, client)
        -- the echoed "hello" stays unread, so no 'end' and no close: Node's
        -- process exits with the (inactive) socket open; the port closes it
        common.onExit(function() s:destroy() end)
        s:connect(pair.server.server:address().port)
          :on("connect", common.mustCall(function()
            s:done("hello")
          end))
          :on("secure", common.mustCall(function()
            callback(s.ssl:verifyError())
          end))
      end)
    end

    test(nil, function(err)
      assert.strictEqual(err.message, "unable to verify the first certificate")
    end)
    test({}, function(err)
      assert.strictEqual(err.message, "unable to verify the first certificate")
    end)
    test({ secureContext = tls.createSecureContext({ ca = keys.agent1.ca }) }, function(err)
      assert.ifError(err)
    end)
    test({ ca = keys.agent1.ca }, function(err)
      assert.ifError(err)
    end)
    test({ secureContext = tls.createSecureContext(), ca = keys.agent1.ca }, function(err)
      assert.strictEqual(err.message, "unable to verify the first certificate")
    end)
  end))
end)
