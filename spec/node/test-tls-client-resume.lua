-- Node v20.11.1 test/parallel/test-tls-client-resume.js, ported
-- (doc/node-tests.md): a client resumes with the session its 'session' event gave.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

-- Buffer.compare for sessions (Lua strings): 0 when equal
local function compare(a, b)
  if a == b then return 0 end
  return a < b and -1 or 1
end

describe("test-tls-client-resume", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
    }
    local server
    server = tls.Server(options, common.mustCall(function(socket)
      socket:done("Goodbye")
    end, 2))

    server:listen(0, common.mustCall(function()
      local sessionx = nil -- right after connect: invalid for TLS 1.3
      local session1 = nil -- from the 'session' event: always valid
      local sessions = 0
      local tls13
      local client1

      local function reconnect()
        assert.ok(sessionx)
        assert.ok(session1)
        if tls13 then
          -- TLS 1.3: the session right after the handshake cannot resume;
          -- the one of the 'session' event can
          assert.notStrictEqual(compare(sessionx, session1), 0)
        else
          -- TLS 1.2: the same
          assert.strictEqual(compare(sessionx, session1), 0)
        end
        local opts = {
          port = server:address().port,
          rejectUnauthorized = false,
          session = session1,
        }
        local client2
        client2 = tls.connect(opts, common.mustCall(function()
          assert.strictEqual(client2:isSessionReused(), true)
        end))
        client2:on("close", common.mustCall(function()
          server:close()
        end))
        client2:resume()
      end

      client1 = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        tls13 = client1:getProtocol() == "TLSv1.3"
        assert.strictEqual(client1:isSessionReused(), false)
        sessionx = client1:getSession()
        assert.ok(sessionx)
        if session1 then reconnect() end
      end))
      client1:on("data", common.mustCall())
      client1:once("session", common.mustCall(function(session)
        session1 = session
        assert.ok(session1)
        if sessionx then reconnect() end
      end))
      client1:on("session", function()
        sessions = sessions + 1
      end)
      client1:on("close", function()
        assert.strictEqual(sessions, tls13 and 2 or 1)
      end)
      client1:resume()
    end))
  end))
end)
