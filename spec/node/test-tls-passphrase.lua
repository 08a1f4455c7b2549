-- Node v20.11.1 test/parallel/test-tls-passphrase.js, ported (doc/node-tests.md).
-- Encrypted keys with passphrase (top level or per key), in every form key
-- takes; a missing or wrong passphrase raises "bad decrypt".
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-passphrase", function()
  it("runs as in Node", common.run(function()
    local passKey = fixtures.readKey("rsa_private_encrypted.pem")
    local rawKey = fixtures.readKey("rsa_private.pem")
    local cert = fixtures.readKey("rsa_cert.crt")

    assert(type(passKey) == "string")
    assert(type(cert) == "string")
    assert.strictEqual(type(tostring(passKey)), "string")
    assert.strictEqual(type(tostring(cert)), "string")

    local function onSecureConnect()
      return common.mustCall(function(self) self:done() end)
    end

    local server = tls.Server({
      key = passKey,
      passphrase = "password",
      cert = cert,
      ca = { cert },
      requestCert = true,
      rejectUnauthorized = true,
    })

    server:listen(0, common.mustCall(function()
      local port = server:address().port
      -- (a Buffer and its toString() are both a Lua string: the Buffer,
      -- Buffer[], string and String[] groups of Node's file are the same
      -- calls here; kept all the same)
      for _ = 1, 2 do
        -- Buffer / string
        tls.connect({ port = port, key = passKey, passphrase = "password", cert = cert,
          rejectUnauthorized = false }, onSecureConnect())
        tls.connect({ port = port, key = rawKey, cert = cert, rejectUnauthorized = false }, onSecureConnect())
        tls.connect({ port = port, key = rawKey, passphrase = "ignored", cert = cert,
          rejectUnauthorized = false }, onSecureConnect())
        -- Buffer[] / String[]
        tls.connect({ port = port, key = { passKey }, passphrase = "password", cert = { cert },
          rejectUnauthorized = false }, onSecureConnect())
        tls.connect({ port = port, key = { rawKey }, cert = { cert }, rejectUnauthorized = false },
          onSecureConnect())
        tls.connect({ port = port, key = { rawKey }, passphrase = "ignored", cert = { cert },
          rejectUnauthorized = false }, onSecureConnect())
      end

      -- Object[]
      tls.connect({ port = port, key = { { pem = passKey, passphrase = "password" } }, cert = cert,
        rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = passKey, passphrase = "password" } }, passphrase = "ignored",
        cert = cert, rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = passKey } }, passphrase = "password", cert = cert,
        rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = tostring(passKey), passphrase = "password" } }, cert = cert,
        rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = rawKey, passphrase = "ignored" } }, cert = cert,
        rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = tostring(rawKey), passphrase = "ignored" } }, cert = cert,
        rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = rawKey } }, passphrase = "ignored", cert = cert,
        rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = tostring(rawKey) } }, passphrase = "ignored", cert = cert,
        rejectUnauthorized = false }, onSecureConnect())
      tls.connect({ port = port, key = { { pem = rawKey } }, cert = cert, rejectUnauthorized = false },
        onSecureConnect())
      tls.connect({ port = port, key = { { pem = tostring(rawKey) } }, cert = cert, rejectUnauthorized = false },
        onSecureConnect())
    end)):unref()
    -- the process ends with the unref'd server listening; close it then
    common.onExit(function() server:close() end)

    local errMessageDecrypt = "bad decrypt"

    -- no passphrase
    assert.throws(function()
      tls.connect({ port = server:address().port, key = passKey, cert = cert, rejectUnauthorized = false })
    end, errMessageDecrypt)
    assert.throws(function()
      tls.connect({ port = server:address().port, key = { passKey }, cert = cert, rejectUnauthorized = false })
    end, errMessageDecrypt)
    assert.throws(function()
      tls.connect({ port = server:address().port, key = { { pem = passKey } }, cert = cert,
        rejectUnauthorized = false })
    end, errMessageDecrypt)

    -- a wrong passphrase
    assert.throws(function()
      tls.connect({ port = server:address().port, key = passKey, passphrase = "invalid", cert = cert,
        rejectUnauthorized = false })
    end, errMessageDecrypt)
    assert.throws(function()
      tls.connect({ port = server:address().port, key = { passKey }, passphrase = "invalid", cert = cert,
        rejectUnauthorized = false })
    end, errMessageDecrypt)
    assert.throws(function()
      tls.connect({ port = server:address().port, key = { { pem = passKey } }, passphrase = "invalid",
        cert = cert, rejectUnauthorized = false })
    end, errMessageDecrypt)
    assert.throws(function()
      tls.connect({ port = server:address().port, key = { { pem = passKey, passphrase = "invalid" } },
        passphrase = "password", -- valid but not used
        cert = cert, rejectUnauthorized = false })
    end, errMessageDecrypt)
  end))
end)
