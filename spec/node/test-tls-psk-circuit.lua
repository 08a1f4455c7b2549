-- Node v20.11.1 test/parallel/test-tls-psk-circuit.js, ported (doc/node-tests.md).
-- TLS-PSK round trips over TLS 1.2 and 1.3; an unknown identity and a wrong
-- key fail the handshake with the alert's code.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")
local crypto = require("luatls.crypto")
local buffer = require("luatls.buffer")
local instanceOf = require("luatls.events").instanceOf

local CIPHERS = "PSK+HIGH:TLS_AES_128_GCM_SHA256"
local USERS = {
  UserA = crypto.randomBytes(128), -- Node: Buffer.allocUnsafe(128)
  UserB = buffer.fromHex("82072606b502b0f4025e90eb75fe137d"),
}
local TEST_DATA = "x"

local serverOptions = {
  ciphers = CIPHERS,
  pskCallback = function(socket, id)
    assert.ok(instanceOf(socket, tls.TLSSocket))
    assert.ok(type(id) == "string")
    return USERS[id]
  end,
}

local function test(secret, opts, err)
  local cb = not err and common.mustCall(function(c) c:pipe(c) end) or common.mustNotCall()
  local server = tls.createServer(serverOptions, cb)
  server:listen(0, common.mustCall(function()
    local options = {
      port = server:address().port,
      ciphers = CIPHERS,
      checkServerIdentity = function() end,
      pskCallback = common.mustCall(function() return secret end),
    }
    for k, v in pairs(opts or {}) do options[k] = v end

    if not err then
      local client
      client = tls.connect(options, common.mustCall(function()
        client:done(TEST_DATA)
        client:on("data", common.mustCall(function(data)
          assert.strictEqual(tostring(data), TEST_DATA)
        end))
        client:on("close", common.mustCall(function() server:close() end))
      end))
    else
      local client = tls.connect(options, common.mustNotCall())
      client:on("error", common.mustCall(function(e)
        assert.strictEqual(e.code, err)
        server:close()
      end))
    end
  end))
end

describe("test-tls-psk-circuit", function()
  it("runs as in Node", common.run(function()
    test({ psk = USERS.UserA, identity = "UserA" })
    test({ psk = USERS.UserA, identity = "UserA" }, { maxVersion = "TLSv1.2" })
    test({ psk = USERS.UserA, identity = "UserA" }, { minVersion = "TLSv1.3" })
    test({ psk = USERS.UserB, identity = "UserB" })
    test({ psk = USERS.UserB, identity = "UserB" }, { minVersion = "TLSv1.3" })
    -- an unknown identity fails the handshake
    test({ psk = USERS.UserB, identity = "UserC" }, {}, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
    -- a known identity with the wrong key too
    test({ psk = USERS.UserA, identity = "UserB" }, {}, "ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER")
    test({ psk = USERS.UserB, identity = "UserB" })
  end))
end)
