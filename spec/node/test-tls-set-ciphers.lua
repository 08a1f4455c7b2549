-- Node v20.11.1 test/parallel/test-tls-set-ciphers.js, ported
-- (doc/node-tests.md): the client's and server's ciphers option (TLS 1.2 lists, TLS 1.3 suites,
-- both, invalid values) and the cipher each end negotiates, or the errors each end gets. Four cases
-- assert luatls's default list without CBC suites (README) instead of Node's AES256-SHA.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, connect, keys = tc.assert, tc.connect, tc.keys

local U = nil

-- Node's maxVersion for a side: options.maxVersion, else TLS 1.2 for a list
-- with no TLS 1.3 suite in it, else TLS 1.3
local function max_tls_ver(ciphers, options)
  if type(options) == "table" and options.maxVersion ~= nil then return options.maxVersion end
  if type(ciphers) == "string" and #ciphers > 0 and not ciphers:find("TLS_", 1, true) then
    return "TLSv1.2"
  end
  return "TLSv1.3"
end

local function test(cciphers, sciphers, cipher, cerr, serr, options)
  assert.ok(cipher or cerr or serr, "test missing any expectations")
  connect({
    client = {
      checkServerIdentity = function() end,
      ca = keys.agent1.cert .. "\n" .. keys.agent6.ca,
      ciphers = cciphers,
      maxVersion = max_tls_ver(cciphers, options),
    },
    server = {
      cert = keys.agent6.cert,
      key = keys.agent6.key,
      ciphers = sciphers,
      maxVersion = max_tls_ver(sciphers, options),
    },
  }, common.mustCall(function(err, pair, cleanup)
    if not cipher then
      if cerr then
        assert.ok(pair.client.err)
        assert.strictEqual(pair.client.err.code, cerr)
      end
      if serr then
        assert.ok(pair.server.err)
        assert.strictEqual(pair.server.err.code, serr)
      end
      return cleanup()
    end

    local reply = "So long and thanks for all the fish."

    assert.ifError(err)
    assert.ifError(pair.server.err)
    assert.ifError(pair.client.err)
    assert.ok(pair.server.conn)
    assert.ok(pair.client.conn)
    assert.strictEqual(pair.client.conn:getCipher().name, cipher)
    assert.strictEqual(pair.server.conn:getCipher().name, cipher)

    pair.server.conn:write(reply)

    pair.client.conn:on("data", common.mustCall(function(data)
      assert.strictEqual(data, reply)
      return cleanup()
    end))
  end))
end

local function show(v) return v == nil and "U" or string.format("%q", tostring(v)) end

-- one it() per test() call of Node's
-- luatls deliberately differs (README): "tls.DEFAULT_CIPHERS is Node's list
-- without its CBC suites": a side that keeps the default has no AES256-SHA,
-- so where Node negotiates it the handshake fails, with the errors Node
-- gives for no shared cipher
local NO_CBC = { U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER" }

local cases = {
  { U, "AES256-SHA", "AES256-SHA", deliberate = NO_CBC },
  { "AES256-SHA", U, "AES256-SHA", deliberate = NO_CBC },

  { U, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384" },
  { "TLS_AES_256_GCM_SHA384", U, "TLS_AES_256_GCM_SHA384" },
  { "TLS_AES_256_GCM_SHA384:!TLS_CHACHA20_POLY1305_SHA256", U, "TLS_AES_256_GCM_SHA384" },

  { "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER" },

  { "AES128-SHA", "AES256-SHA", U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER" },
  { "AES128-SHA:TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256:AES256-SHA",
    U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER" },

  { "AES256-SHA:TLS_AES_256_GCM_SHA384", U, "TLS_AES_256_GCM_SHA384" },
  { U, "AES256-SHA:TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384" },

  { "AES256-SHA", U, "TLS_AES_256_GCM_SHA384", U, U, { maxVersion = "TLSv1.3" } },
  { U, "AES256-SHA", "TLS_AES_256_GCM_SHA384", U, U, { maxVersion = "TLSv1.3" } },

  { "TLS_AES_128_CCM_8_SHA256", U, U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER" },

  { "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256" },

  { 9, "AES256-SHA", U, "ERR_INVALID_ARG_TYPE", U },
  { "AES256-SHA", 9, U, U, "ERR_INVALID_ARG_TYPE" },
  { ":", "AES256-SHA", U, "ERR_INVALID_ARG_VALUE", U },
  { "AES256-SHA", ":", U, U, "ERR_INVALID_ARG_VALUE" },

  { "TLS_AES_256_GCM_SHA384", "", "TLS_AES_256_GCM_SHA384" },
  { "", "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384" },

  -- Node's null is nil as undefined is: the same as the first two
  { U, "AES256-SHA", "AES256-SHA", deliberate = NO_CBC },
  { "AES256-SHA", U, "AES256-SHA", deliberate = NO_CBC },
}

describe("test-tls-set-ciphers", function()
  for i, c in ipairs(cases) do
    local name = string.format("%d: test(%s, %s, %s, %s, %s%s)", i, show(c[1]), show(c[2]), show(c[3]), show(c[4]),
      show(c[5]), c[6] and ", { maxVersion = " .. c[6].maxVersion .. " }" or "")
    if c.deliberate then
      local d = c.deliberate
      it(name .. ": no shared cipher, as luatls documents (no CBC suite by default)", common.run(function()
        test(c[1], c[2], d[1], d[2], d[3], c[6])
      end))
    else
      it(name, common.run(function()
        test(c[1], c[2], c[3], c[4], c[5], c[6])
      end))
    end
  end
end)
