-- Node v20.11.1 test/parallel/test-tls-honorcipherorder.js, ported
-- (doc/node-tests.md): which TLS 1.2 cipher is chosen with and without honorCipherOrder.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local mustCall = common.mustCall

local SSL_Method = "TLSv1_2_method"
local localhost = "127.0.0.1"

local function test(honorCipherOrder, clientCipher, expectedCipher, defaultCiphers)
  local soptions = {
    secureProtocol = SSL_Method,
    key = fixtures.readKey("agent2-key.pem"),
    cert = fixtures.readKey("agent2-cert.pem"),
    ciphers = "AES256-SHA256:AES128-GCM-SHA256:AES128-SHA256:" ..
              "ECDHE-RSA-AES128-GCM-SHA256",
    honorCipherOrder = honorCipherOrder,
  }
  local server
  server = tls.createServer(soptions, mustCall(function(clearTextStream)
    clearTextStream:done()
  end))
  server:listen(0, localhost, mustCall(function()
    local coptions = {
      rejectUnauthorized = false,
      secureProtocol = SSL_Method,
    }
    if clientCipher then coptions.ciphers = clientCipher end
    local port = server:address().port
    local savedDefaults = tls.DEFAULT_CIPHERS
    tls.DEFAULT_CIPHERS = defaultCiphers or savedDefaults
    local client
    client = tls.connect(port, localhost, coptions, mustCall(function()
      local cipher = client:getCipher()
      client:done()
      server:close()
      local msg = string.format("honorCipherOrder=%s, clientCipher=%s, expect=%s, got=%s",
        tostring(honorCipherOrder), tostring(clientCipher), expectedCipher, cipher.name)
      assert.strictEqual(cipher.name, expectedCipher, msg)
    end))
    tls.DEFAULT_CIPHERS = savedDefaults
  end))
end

describe("test-tls-honorcipherorder", function()
  it("runs as in Node", common.run(function()
    test(false, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", "AES128-GCM-SHA256")
    test(true, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", "AES256-SHA256")
    test(nil, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", "AES256-SHA256")
    test(true, "AES128-SHA256:AES128-GCM-SHA256", "AES128-GCM-SHA256")
    test(nil, "AES128-SHA256:AES128-GCM-SHA256", "AES128-GCM-SHA256")
    test(true, "AES128-SHA256", "AES128-SHA256")
    test(nil, "AES128-SHA256", "AES128-SHA256")
    -- luatls's default list has no CBC suites (README: "tls.DEFAULT_CIPHERS
    -- is Node's list without its CBC suites"): a default client offers no
    -- AES256-SHA256, so the server's next choice wins (Node: AES256-SHA256)
    test(true, tls.DEFAULT_CIPHERS, "AES128-GCM-SHA256")
    test(true, nil, "AES128-GCM-SHA256")
    test(nil, nil, "AES128-GCM-SHA256")
    test(true, nil, "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256")
  end))
end)
