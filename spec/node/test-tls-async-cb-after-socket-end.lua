-- Node v20.11.1 test/parallel/test-tls-async-cb-after-socket-end.js, ported
-- (doc/node-tests.md): resumeSession's callback called after the client was destroyed does no harm.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")
local SSL_OP_NO_TICKET = require("luatls.crypto").constants.SSL_OP_NO_TICKET

describe("test-tls-async-cb-after-socket-end", function()
  it("runs as in Node", common.run(function()
    local options = {
      secureOptions = SSL_OP_NO_TICKET,
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
    }

    local server = tls.createServer(options, common.mustCall())

    local sessionCb = nil
    local client = nil

    local function next()
      if not client or not sessionCb then return end
      client:destroy()
      timers.setTimeout(common.mustCall(function()
        sessionCb()
        server:close()
      end), 100)
    end

    server:on("newSession", common.mustCall(function(_key, _session, done)
      done()
    end))

    server:on("resumeSession", common.mustCall(function(_id, cb)
      sessionCb = cb
      -- destroy the client, then call cb (next)
      next()
    end))

    server:listen(0, common.mustCall(function()
      -- TLS 1.2 without a session: the first ClientHello has no session ID
      -- (so no 'resumeSession' for it); the second has s1's
      local clientOpts = {
        maxVersion = "TLSv1.2",
        port = server:address().port,
        rejectUnauthorized = false,
        session = false,
      }

      local s1
      s1 = tls.connect(clientOpts, common.mustCall(function()
        clientOpts.session = s1:getSession()
        s1:destroy()
        local s2
        s2 = tls.connect(clientOpts, function()
          s2:destroy()
        end):on("connect", common.mustCall(function()
          client = s2
          next()
        end))
      end))
    end))
  end))
end)
