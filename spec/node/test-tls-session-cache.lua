-- Node v20.11.1 test/parallel/test-tls-session-cache.js, ported
-- (doc/node-tests.md): a server's session store (newSession/resumeSession) serves openssl s_client
-- -reconnect over TLS 1.0: without tickets, with tickets (deliberately still through the store, as
-- without), and answering an invalid session.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local helper = require("spec.helper")
local tls = require("luatls.tls")
local timers = require("luatls.timers")

local function doTest(testOptions, callback)
  local key = fixtures.readKey("rsa_private.pem")
  local cert = fixtures.readKey("rsa_cert.crt")
  local options = {
    key = key,
    cert = cert,
    ca = { cert },
    requestCert = true,
    rejectUnauthorized = false,
    secureProtocol = "TLS_method",
    ciphers = "RSA@SECLEVEL=0",
  }
  local requestCount = 0
  local resumeCount = 0
  local newSessionCount = 0
  local session

  local server = tls.createServer(options, function(cleartext)
    cleartext:on("error", function(er)
      -- ECONNRESET may come or not (timing); anything else fails the test
      if er.code ~= "ECONNRESET" then error(er) end
    end)
    requestCount = requestCount + 1
    cleartext:done("")
  end)
  server:on("newSession", function(id, data, cb)
    newSessionCount = newSessionCount + 1
    -- an asynchronous store
    timers.setImmediate(function()
      assert.ok(not session)
      session = { id = id, data = data }
      cb()
    end)
  end)
  server:on("resumeSession", function(id, resumeCallback) -- (Node's name: callback)
    resumeCount = resumeCount + 1
    assert.ok(session)
    assert.strictEqual(session.id, id) -- (Node compares their hex)

    local data = session.data

    -- an invalid session must not crash the server
    if testOptions.invalidSession then
      data = "INVALID SESSION"
      session = nil
    end

    timers.setImmediate(function()
      resumeCallback(nil, data)
    end)
  end)

  server:listen(0, function()
    local args = {
      "s_client",
      "-tls1",
      "-cipher", "DEFAULT", -- (OpenSSL 3.0: Node adds :@SECLEVEL=0 from 3.1)
      "-connect", "localhost:" .. server:address().port,
      "-servername", "ohgod",
      "-key", fixtures.path("keys/rsa_private.pem"),
      "-cert", fixtures.path("keys/rsa_cert.crt"),
      "-reconnect",
    }
    if not testOptions.tickets then args[#args + 1] = "-no_ticket" end

    local function spawnClient()
      local cmd = common.opensslCli
      for _, a in ipairs(args) do cmd = cmd .. " " .. helper.quote(a) end
      -- Node's stdin is its own (the test runner's): here an empty one
      common.spawnPeer(cmd, common.mustCall(function(code, output)
        if code ~= 0 then
          assert.fail(string.format("code: %s, output: %s", tostring(code), output))
        end
        assert.strictEqual(code, 0)
        server:close(common.mustCall(function()
          timers.setImmediate(callback)
        end))
      end))
    end

    spawnClient()
  end)

  common.onExit(function()
    -- each run connects 6 times: a first request and 5 reconnections
    assert.strictEqual(requestCount, 6)
    if testOptions.tickets then
      -- Node: no session cache callbacks (OpenSSL resumes by ticket). luatls
      -- deliberately differs (README): a server with 'newSession' /
      -- 'resumeSession' listeners sends no stateless tickets (TLS 1.3's are
      -- stateful, TLS 1.2 and older resume by session ID), so its store
      -- serves s_client's reconnections as without tickets
      assert.ok(session)
      assert.strictEqual(resumeCount, 5)
      assert.strictEqual(newSessionCount, 1)
    elseif testOptions.invalidSession then
      -- resumeSession asked each time, every connection a new session
      assert.strictEqual(resumeCount, 5)
      assert.strictEqual(newSessionCount, 6)
    else
      -- resumeSession asked each time, one new session only
      assert.ok(session)
      assert.strictEqual(resumeCount, 5)
      assert.strictEqual(newSessionCount, 1)
    end
  end)
end

describe("test-tls-session-cache", function()
  it("runs as luatls documents (the store is used with tickets too)", common.run(function()
    if not helper.have(common.opensslCli) then common.skip("node compiled without OpenSSL CLI.") end
    doTest({ tickets = false }, function()
      doTest({ tickets = true }, function()
        doTest({ tickets = false, invalidSession = true }, function() end)
      end)
    end)
  end, 60000))
end)
