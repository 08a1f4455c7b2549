-- Node v20.11.1 test/parallel/test-tls-dhe.js, ported (doc/node-tests.md):
-- the dhparam option (none, "auto", 1024 and 2048 bits, too small, invalid)
-- and the cipher openssl s_client gets.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local crypto = require("luatls.crypto")
local EventEmitter = require("luatls.events")

-- the body, shared by the two cases below; with1024: also the 1024-bit
-- parameters, and the one SecurityWarning they bring
local function body(with1024)
  return function()
    local key = fixtures.readKey("agent2-key.pem")
    local cert = fixtures.readKey("agent2-cert.pem")
    local dheCipher = "DHE-RSA-AES128-SHA256"
    local ecdheCipher = "ECDHE-RSA-AES128-SHA256"
    local ciphers = dheCipher .. ":" .. ecdheCipher

    -- common.expectWarning: this one warning, once (with the 1024-bit
    -- parameters, the only ones between 1024 and 2048 bits)
    local warnings = {}
    local emitWarning = EventEmitter.emitWarning
    EventEmitter.emitWarning = function(w) warnings[#warnings + 1] = w end
    common.onExit(function()
      EventEmitter.emitWarning = emitWarning
      assert.strictEqual(#warnings, with1024 and 1 or 0)
      if with1024 then
        assert.strictEqual(warnings[1].name, "SecurityWarning")
        assert.strictEqual(warnings[1].message, "DH parameter is less than 2048 bits")
      end
    end)

    local function loadDHParam(n)
      return fixtures.readKey("dh" .. n .. ".pem")
    end

    -- test(...) then next() once the server has closed (Node awaits its 'close')
    local function test(dhparam, keylen, expectedCipher, nextFn)
      local options = {
        key = key,
        cert = cert,
        ciphers = ciphers,
        dhparam = dhparam,
        maxVersion = "TLSv1.2",
      }
      local server = tls.createServer(options, function(conn) conn:done() end)
      server:listen(0, "127.0.0.1", common.mustCall(function()
        -- Node's execFile leaves s_client's stdin open: -ign_eof does the same
        local cmd = string.format("%s s_client -ign_eof -connect 127.0.0.1:%d -cipher '%s:@SECLEVEL=1'",
          common.opensslCli, server:address().port, ciphers)
        common.spawnPeer(cmd, common.mustCall(function(code, stdout)
          assert.strictEqual(code, 0, stdout) -- mustSucceed
          assert(keylen == nil or stdout:find("Server Temp Key: DH, " .. keylen .. " bits", 1, true), stdout)
          assert(stdout:find("Cipher    : " .. expectedCipher, 1, true), stdout)
          server:close()
        end))
      end))
      server:once("close", nextFn)
    end

    local function testCustomParam(keylen, expectedCipher, nextFn)
      local dhparam = loadDHParam(keylen)
      if keylen == "error" then keylen = nil end
      return test(dhparam, keylen, expectedCipher, nextFn)
    end

    local done = common.mustCall()
    -- DHE is off by default, ECDHE on (Node tries undefined and null: both nil here)
    test(nil, nil, ecdheCipher, function()
      test(nil, nil, ecdheCipher, function()
        -- "auto": OpenSSL picks DH parameters as strong as the certificate's key
        local modulusLength = crypto.X509Certificate.new(cert).publicKey.asymmetricKeyDetails.modulusLength
        test("auto", modulusLength, dheCipher, function()
          assert.throws(function()
            testCustomParam(512)
          end, { messagePattern = "DH parameter is less than 1024 bits" })
          -- custom parameters work (but are discouraged)
          local function rest()
            testCustomParam(2048, dheCipher, function()
              -- invalid parameters are dropped; ECDHE stays on
              testCustomParam("error", ecdheCipher, done)
            end)
          end
          if with1024 then testCustomParam(1024, dheCipher, rest) else rest() end
        end)
      end)
    end)
  end
end

describe("test-tls-dhe", function()
  it("runs as in Node, but for the 1024-bit parameters", common.run(body(false)))
  it("1024-bit DH parameters", common.run(function()
    common.knownFailure("the system's OpenSSL (Debian) defaults to security level 2, which refuses 1024-bit DH "
      .. "parameters; Node's bundled OpenSSL 3.0 is at level 1; no issue yet")
    body(true)()
  end))
end)
