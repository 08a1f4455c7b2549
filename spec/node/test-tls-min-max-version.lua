-- Node v20.11.1 test/parallel/test-tls-min-max-version.js, ported
-- (doc/node-tests.md): minVersion, maxVersion and secureProtocol on both
-- sides: the protocol agreed on, or each side's error code.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, connect, keys, tls = tc.assert, tc.connect, tc.keys, tc.tls

local opensslVersion = require("luatls.process").versions.openssl or ""
local major, minor = opensslVersion:match("OpenSSL (%d+)%.(%d+)")
local hasOpenSSL3 = tonumber(major or 0) >= 3
local hasOpenSSL31 = hasOpenSSL3 and (tonumber(major) > 3 or tonumber(minor) >= 1)

local DEFAULT_MIN_VERSION = tls.DEFAULT_MIN_VERSION
local DEFAULT_MAX_VERSION = tls.DEFAULT_MAX_VERSION

-- Node v20's tls.DEFAULT_CIPHERS, CBC suites included
local NODE_DEFAULT_CIPHERS = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:" ..
  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:" ..
  "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA256:" ..
  "ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:" ..
  "!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA"
local OLD_METHODS = { TLSv1_method = true, TLSv1_1_method = true }
-- true: run the cases that depend on the default cipher list with Node's
local withNodeCiphers = false

local function test(cmin, cmax, cprot, smin, smax, sprot, proto, cerr, serr)
  assert.ok(proto or cerr or serr, "test missing any expectations")
  local ciphers
  if hasOpenSSL3 and (proto == "TLSv1" or proto == "TLSv1.1" or
      proto == "TLSv1_1_method" or proto == "TLSv1_method" or
      sprot == "TLSv1_1_method" or sprot == "TLSv1_method") then
    if serr ~= "ERR_SSL_UNSUPPORTED_PROTOCOL" then ciphers = "ALL@SECLEVEL=0" end
  end
  if hasOpenSSL31 and cerr == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" then
    ciphers = "DEFAULT@SECLEVEL=0"
  end
  -- luatls: tls.DEFAULT_CIPHERS is Node's list without its CBC suites
  -- (README), so a side held to TLS 1.0/1.1 with the default list has no
  -- suite at all: it fails before the version is looked at
  -- (ERR_SSL_NO_PROTOCOLS_AVAILABLE: the server of --tls-min-v1.3, with
  -- test-tls-cli-min-version-1.3)
  if ciphers == nil and cerr == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" and
      (serr == "ERR_SSL_UNSUPPORTED_PROTOCOL" or serr == "ERR_SSL_NO_PROTOCOLS_AVAILABLE") and
      (OLD_METHODS[cprot] or OLD_METHODS[sprot]) then
    if withNodeCiphers then
      ciphers = NODE_DEFAULT_CIPHERS
    elseif OLD_METHODS[cprot] then
      cerr = "ERR_SSL_NO_CIPHERS_AVAILABLE"
      if serr == "ERR_SSL_UNSUPPORTED_PROTOCOL" then serr = "ERR_SSL_UNEXPECTED_MESSAGE" end
    else
      cerr, serr = "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_CIPHERS_AVAILABLE"
    end
  elseif withNodeCiphers then
    return
  end
  -- where the case is, for the messages
  local where = "line " .. debug.getinfo(2, "l").currentline
  local function u(v) return v == nil and "U" or v end
  local what = table.concat({ "test:", u(cmin), u(cmax), u(cprot), u(smin), u(smax), u(sprot), u(ciphers),
    "expect", u(proto), u(cerr), u(serr), "at", where }, " ")
  connect({
    client = {
      checkServerIdentity = function() end,
      ca = keys.agent1.cert .. "\n" .. keys.agent6.ca,
      minVersion = cmin,
      maxVersion = cmax,
      secureProtocol = cprot,
      ciphers = ciphers,
    },
    server = {
      cert = keys.agent6.cert,
      key = keys.agent6.key,
      minVersion = smin,
      maxVersion = smax,
      secureProtocol = sprot,
      ciphers = ciphers,
    },
  }, common.mustCall(function(err, pair, cleanup)
    if not proto then
      local cgot = pair.client.err and pair.client.err.code
      local sgot = pair.server.err and pair.server.err.code
      if cerr then
        assert.ok(pair.client.err, what .. ": no client error")
        -- (aliases: the code depends on OpenSSL's version)
        if cerr == "ERR_SSL_UNSUPPORTED_PROTOCOL" and cgot == "ERR_SSL_VERSION_TOO_LOW" then
          cerr = "ERR_SSL_VERSION_TOO_LOW"
        end
        assert.strictEqual(cgot, cerr, what .. ": client " .. tostring(cgot))
      end
      if serr then
        assert.ok(pair.server.err, what .. ": no server error")
        assert.strictEqual(sgot, serr, what .. ": server " .. tostring(sgot))
      end
      return cleanup()
    end
    assert.ok(err == nil, what .. ": " .. tostring(err))
    assert.ok(pair.server.err == nil, what .. ": " .. tostring(pair.server.err))
    assert.ok(pair.client.err == nil, what .. ": " .. tostring(pair.client.err))
    assert.ok(pair.server.conn, what)
    assert.ok(pair.client.conn, what)
    assert.strictEqual(pair.client.conn:getProtocol(), proto, what)
    assert.strictEqual(pair.server.conn:getProtocol(), proto, what)
    return cleanup()
  end))
end

local function cases()
    local U = nil

    -- Default protocol is the max version.
    test(U, U, U, U, U, U, DEFAULT_MAX_VERSION)

    -- Insecure or invalid protocols cannot be enabled.
    test(U, U, U, U, U, "SSLv2_method",
         U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, U, U, U, "SSLv3_method",
         U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, "SSLv2_method", U, U, U,
         U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, "SSLv3_method", U, U, U,
         U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, "hokey-pokey", U, U, U,
         U, "ERR_TLS_INVALID_PROTOCOL_METHOD")
    test(U, U, U, U, U, "hokey-pokey",
         U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")

    -- Regression test: this should not crash because node should not pass the error
    -- message (including unsanitized user input) to a printf-like function.
    test(U, U, U, U, U, "%s_method",
         U, U, "ERR_TLS_INVALID_PROTOCOL_METHOD")

    -- Cannot use secureProtocol and min/max versions simultaneously.
    test(U, U, U, U, "TLSv1.2", "TLS1_2_method",
         U, U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
    test(U, U, U, "TLSv1.2", U, "TLS1_2_method",
         U, U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
    test(U, "TLSv1.2", "TLS1_2_method", U, U, U,
         U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
    test("TLSv1.2", U, "TLS1_2_method", U, U, U,
         U, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")

    -- TLS_method means "any supported protocol".
    test(U, U, "TLSv1_2_method", U, U, "TLS_method", "TLSv1.2")
    test(U, U, "TLSv1_1_method", U, U, "TLS_method", "TLSv1.1")
    test(U, U, "TLSv1_method", U, U, "TLS_method", "TLSv1")
    test(U, U, "TLS_method", U, U, "TLSv1_2_method", "TLSv1.2")
    test(U, U, "TLS_method", U, U, "TLSv1_1_method", "TLSv1.1")
    test(U, U, "TLS_method", U, U, "TLSv1_method", "TLSv1")

    -- OpenSSL 1.1.1 and 3.0 use a different error code and alert (sent to the
    -- client) when no protocols are enabled on the server.
    local NO_PROTOCOLS_AVAILABLE_SERVER = "ERR_SSL_NO_PROTOCOLS_AVAILABLE" -- (OpenSSL 3)
    local NO_PROTOCOLS_AVAILABLE_SERVER_ALERT = "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" -- (OpenSSL 3)

    -- SSLv23 also means "any supported protocol" greater than the default
    -- minimum (which is configurable via command line).
    if DEFAULT_MIN_VERSION == "TLSv1.3" then
      test(U, U, "TLSv1_2_method", U, U, "SSLv23_method",
           U, NO_PROTOCOLS_AVAILABLE_SERVER_ALERT, NO_PROTOCOLS_AVAILABLE_SERVER)
    else
      test(U, U, "TLSv1_2_method", U, U, "SSLv23_method", "TLSv1.2")
    end

    if DEFAULT_MIN_VERSION == "TLSv1.3" then
      test(U, U, "TLSv1_1_method", U, U, "SSLv23_method",
           U, NO_PROTOCOLS_AVAILABLE_SERVER_ALERT, NO_PROTOCOLS_AVAILABLE_SERVER)
      test(U, U, "TLSv1_method", U, U, "SSLv23_method",
           U, NO_PROTOCOLS_AVAILABLE_SERVER_ALERT, NO_PROTOCOLS_AVAILABLE_SERVER)
      test(U, U, "SSLv23_method", U, U, "TLSv1_1_method",
           U, "ERR_SSL_NO_PROTOCOLS_AVAILABLE", "ERR_SSL_UNEXPECTED_MESSAGE")
      test(U, U, "SSLv23_method", U, U, "TLSv1_method",
           U, "ERR_SSL_NO_PROTOCOLS_AVAILABLE", "ERR_SSL_UNEXPECTED_MESSAGE")
    end

    if DEFAULT_MIN_VERSION == "TLSv1.2" then
      test(U, U, "TLSv1_1_method", U, U, "SSLv23_method",
           U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
           "ERR_SSL_UNSUPPORTED_PROTOCOL")
      test(U, U, "TLSv1_method", U, U, "SSLv23_method",
           U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
           "ERR_SSL_UNSUPPORTED_PROTOCOL")
      test(U, U, "SSLv23_method", U, U, "TLSv1_1_method",
           U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
      test(U, U, "SSLv23_method", U, U, "TLSv1_method",
           U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
    end

    if DEFAULT_MIN_VERSION == "TLSv1.1" then
      test(U, U, "TLSv1_1_method", U, U, "SSLv23_method", "TLSv1.1")
      test(U, U, "TLSv1_method", U, U, "SSLv23_method",
           U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
           "ERR_SSL_UNSUPPORTED_PROTOCOL")
      test(U, U, "SSLv23_method", U, U, "TLSv1_1_method", "TLSv1.1")
      test(U, U, "SSLv23_method", U, U, "TLSv1_method",
           U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
    end

    if DEFAULT_MIN_VERSION == "TLSv1" then
      test(U, U, "TLSv1_1_method", U, U, "SSLv23_method", "TLSv1.1")
      test(U, U, "TLSv1_method", U, U, "SSLv23_method", "TLSv1")
      test(U, U, "SSLv23_method", U, U, "TLSv1_1_method", "TLSv1.1")
      test(U, U, "SSLv23_method", U, U, "TLSv1_method", "TLSv1")
    end

    -- TLSv1 thru TLSv1.2 are only supported with explicit configuration with API or
    -- CLI (--tls-v1.0 and --tls-v1.1).
    test(U, U, "TLSv1_2_method", U, U, "TLSv1_2_method", "TLSv1.2")
    test(U, U, "TLSv1_1_method", U, U, "TLSv1_1_method", "TLSv1.1")
    test(U, U, "TLSv1_method", U, U, "TLSv1_method", "TLSv1")

    -- The default default.
    if DEFAULT_MIN_VERSION == "TLSv1.2" then
      test(U, U, "TLSv1_1_method", U, U, U,
           U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
           "ERR_SSL_UNSUPPORTED_PROTOCOL")
      test(U, U, "TLSv1_method", U, U, U,
           U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
           "ERR_SSL_UNSUPPORTED_PROTOCOL")

      if DEFAULT_MAX_VERSION == "TLSv1.2" then
        test(U, U, U, U, U, "TLSv1_1_method",
             U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
        test(U, U, U, U, U, "TLSv1_method",
             U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
      else
        -- TLS1.3 client hellos are are not understood by TLS1.1 or below.
        test(U, U, U, U, U, "TLSv1_1_method",
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
             "ERR_SSL_UNSUPPORTED_PROTOCOL")
        test(U, U, U, U, U, "TLSv1_method",
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
             "ERR_SSL_UNSUPPORTED_PROTOCOL")
      end
    end

    -- The default with --tls-v1.1.
    if DEFAULT_MIN_VERSION == "TLSv1.1" then
      test(U, U, "TLSv1_1_method", U, U, U, "TLSv1.1")
      test(U, U, "TLSv1_method", U, U, U,
           U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
           "ERR_SSL_UNSUPPORTED_PROTOCOL")
      test(U, U, U, U, U, "TLSv1_1_method", "TLSv1.1")

      if DEFAULT_MAX_VERSION == "TLSv1.2" then
        test(U, U, U, U, U, "TLSv1_method",
             U, "ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_WRONG_VERSION_NUMBER")
      else
        -- TLS1.3 client hellos are are not understood by TLS1.1 or below.
        test(U, U, U, U, U, "TLSv1_method",
             U, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
             "ERR_SSL_UNSUPPORTED_PROTOCOL")
      end
    end

    -- The default with --tls-v1.0.
    if DEFAULT_MIN_VERSION == "TLSv1" then
      test(U, U, "TLSv1_1_method", U, U, U, "TLSv1.1")
      test(U, U, "TLSv1_method", U, U, U, "TLSv1")
      test(U, U, U, U, U, "TLSv1_1_method", "TLSv1.1")
      test(U, U, U, U, U, "TLSv1_method", "TLSv1")
    end

    -- TLS min/max are respected when set with no secureProtocol.
    test("TLSv1", "TLSv1.2", U, U, U, "TLSv1_method", "TLSv1")
    test("TLSv1", "TLSv1.2", U, U, U, "TLSv1_1_method", "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, U, U, "TLSv1_2_method", "TLSv1.2")
    test("TLSv1", "TLSv1.2", U, U, U, "TLS_method", "TLSv1.2")

    test(U, U, "TLSv1_method", "TLSv1", "TLSv1.2", U, "TLSv1")
    test(U, U, "TLSv1_1_method", "TLSv1", "TLSv1.2", U, "TLSv1.1")
    test(U, U, "TLSv1_2_method", "TLSv1", "TLSv1.2", U, "TLSv1.2")

    test("TLSv1", "TLSv1.1", U, "TLSv1", "TLSv1.3", U, "TLSv1.1")
    test("TLSv1", "TLSv1.1", U, "TLSv1", "TLSv1.2", U, "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, "TLSv1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1.3", U, "TLSv1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1", U, "TLSv1", "TLSv1.1", U, "TLSv1")
    test("TLSv1", "TLSv1.2", U, "TLSv1", "TLSv1", U, "TLSv1")
    test("TLSv1", "TLSv1.3", U, "TLSv1", "TLSv1", U, "TLSv1")
    test("TLSv1.1", "TLSv1.1", U, "TLSv1", "TLSv1.2", U, "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, "TLSv1.1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1.2", U, "TLSv1", "TLSv1.3", U, "TLSv1.2")

    -- v-any client can connect to v-specific server
    test("TLSv1", "TLSv1.3", U, "TLSv1.3", "TLSv1.3", U, "TLSv1.3")
    test("TLSv1", "TLSv1.3", U, "TLSv1.2", "TLSv1.3", U, "TLSv1.3")
    test("TLSv1", "TLSv1.3", U, "TLSv1.2", "TLSv1.2", U, "TLSv1.2")
    test("TLSv1", "TLSv1.3", U, "TLSv1.1", "TLSv1.1", U, "TLSv1.1")
    test("TLSv1", "TLSv1.3", U, "TLSv1", "TLSv1", U, "TLSv1")

    -- v-specific client can connect to v-any server
    test("TLSv1.3", "TLSv1.3", U, "TLSv1", "TLSv1.3", U, "TLSv1.3")
    test("TLSv1.2", "TLSv1.2", U, "TLSv1", "TLSv1.3", U, "TLSv1.2")
    test("TLSv1.1", "TLSv1.1", U, "TLSv1", "TLSv1.3", U, "TLSv1.1")
    test("TLSv1", "TLSv1", U, "TLSv1", "TLSv1.3", U, "TLSv1")
end

describe("test-tls-min-max-version", function()
  it("runs as in Node", common.run(function()
    withNodeCiphers = false
    cases()
  end))

  -- (not in Node's file) the cases the default cipher list changes, with
  -- Node's list: Node's codes
  it("with Node's default ciphers, CBC suites included", common.run(function()
    withNodeCiphers = true
    cases()
  end))
end)
