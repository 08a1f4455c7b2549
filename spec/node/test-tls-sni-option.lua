-- Node v20.11.1 test/parallel/test-tls-sni-option.js, ported
-- (doc/node-tests.md): an asynchronous SNICallback's contexts (or none, or an invalid one), and
-- what the client and the server each see.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")

local function loadPEM(n) return fixtures.readKey(n .. ".pem") end

local SNIContexts = {
  ["a.example.com"] = {
    key = loadPEM("agent1-key"),
    cert = loadPEM("agent1-cert"),
    ca = { loadPEM("ca2-cert") },
  },
  ["b.example.com"] = {
    key = loadPEM("agent3-key"),
    cert = loadPEM("agent3-cert"),
  },
  ["c.another.com"] = {
    emptyRegression = true,
  },
}

local serverOptions = {
  key = loadPEM("agent2-key"),
  cert = loadPEM("agent2-cert"),
  requestCert = true,
  rejectUnauthorized = false,
  SNICallback = function(servername, callback)
    local context = SNIContexts[servername]
    -- answered later, to test an asynchronous callback
    timers.setTimeout(function()
      if context then
        if context.emptyRegression then
          callback(nil, {})
        else
          callback(nil, tls.createSecureContext(context))
        end
      else
        callback(nil, nil)
      end
    end, 100)
  end,
}

local function test(options, clientResult, serverResult, clientError, serverError)
  local server = tls.createServer(serverOptions, function(c)
    assert.deepStrictEqual(serverResult, { sni = c.servername, authorized = c.authorized })
  end)

  if serverResult then
    assert.ok(not serverError)
    server:on("tlsClientError", common.mustNotCall())
  else
    assert.ok(serverError)
    server:on("tlsClientError", common.mustCall(function(err)
      assert.strictEqual(err.message, serverError)
    end))
  end

  server:listen(0, function()
    options.port = server:address().port
    local client
    client = tls.connect(options, function()
      local result = client.authorizationError ~= nil and
        (client.authorizationError == "ERR_TLS_CERT_ALTNAME_INVALID")
      assert.strictEqual(result, clientResult)
      client:done()
    end)

    client:on("close", common.mustCall(function() server:close() end))

    if clientError then
      client:on("error", common.mustCall(function(err)
        assert.strictEqual(err.message, clientError)
      end))
    else
      client:on("error", common.mustNotCall())
    end
  end)
end

-- ca2-cert.pem (agent3's and agent4's issuer) has a 1024-bit RSA key
local SECLEVEL = "ca2-cert.pem has a 1024-bit RSA key: the system OpenSSL's default security level 2 refuses it "
  .. "(CA_KEY_TOO_SMALL), Node's bundled OpenSSL has level 1; no issue yet"

describe("test-tls-sni-option", function()
  it("a.example.com, agent1's certificate: the SNI context's, the client unauthorized there", common.run(function()
    test({
      port = nil,
      key = loadPEM("agent1-key"),
      cert = loadPEM("agent1-cert"),
      ca = { loadPEM("ca1-cert") },
      servername = "a.example.com",
      rejectUnauthorized = false,
    }, true, { sni = "a.example.com", authorized = false }, nil, nil)
  end))

  it("a.example.com, agent4's certificate: authorized by the SNI context's ca2", common.run(function()
    common.knownFailure(SECLEVEL)
    test({
      port = nil,
      key = loadPEM("agent4-key"),
      cert = loadPEM("agent4-cert"),
      ca = { loadPEM("ca1-cert") },
      servername = "a.example.com",
      rejectUnauthorized = false,
    }, true, { sni = "a.example.com", authorized = true }, nil, nil)
  end))

  it("b.example.com: agent3's certificate, checked against ca2 by the client", common.run(function()
    common.knownFailure(SECLEVEL)
    test({
      port = nil,
      key = loadPEM("agent2-key"),
      cert = loadPEM("agent2-cert"),
      ca = { loadPEM("ca2-cert") },
      servername = "b.example.com",
      rejectUnauthorized = false,
    }, true, { sni = "b.example.com", authorized = false }, nil, nil)
  end))

  it("c.wrong.com: no SNI context, the server's own", common.run(function()
    test({
      port = nil,
      key = loadPEM("agent3-key"),
      cert = loadPEM("agent3-cert"),
      ca = { loadPEM("ca1-cert") },
      servername = "c.wrong.com",
      rejectUnauthorized = false,
    }, false, { sni = "c.wrong.com", authorized = false }, nil, nil)
  end))

  it("c.another.com: an SNICallback answering {} is an invalid SNI context", common.run(function()
    common.knownFailure("a failed SNICallback ends the handshake with a handshake_failure alert, so the client's "
      .. "error is the alert; Node's server drops the connection, the client gets \"Client network socket "
      .. "disconnected before secure TLS connection was established\"; no issue yet")
    test({
      port = nil,
      key = loadPEM("agent3-key"),
      cert = loadPEM("agent3-cert"),
      ca = { loadPEM("ca1-cert") },
      servername = "c.another.com",
      rejectUnauthorized = false,
    }, false, nil, "Client network socket disconnected before secure TLS connection was established",
      "Invalid SNI context")
  end))
end)
