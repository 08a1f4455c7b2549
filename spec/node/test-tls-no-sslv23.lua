-- Node v20.11.1 test/parallel/test-tls-no-sslv23.js, ported (doc/node-tests.md).
-- secureProtocol: unknown names and SSLv2/SSLv3 methods raise, the rest are accepted.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")

describe("test-tls-no-sslv23", function()
  it("checks secureProtocol", common.run(function()
    assert.throws(function()
      tls.createSecureContext({ secureProtocol = "blargh" })
    end, {
      code = "ERR_TLS_INVALID_PROTOCOL_METHOD",
      message = "Unknown method: blargh",
    })

    local errMessageSSLv2 = "SSLv2 methods disabled"
    for _, m in ipairs({ "SSLv2_method", "SSLv2_client_method", "SSLv2_server_method" }) do
      assert.throws(function()
        tls.createSecureContext({ secureProtocol = m })
      end, errMessageSSLv2)
    end

    local errMessageSSLv3 = "SSLv3 methods disabled"
    for _, m in ipairs({ "SSLv3_method", "SSLv3_client_method", "SSLv3_server_method" }) do
      assert.throws(function()
        tls.createSecureContext({ secureProtocol = m })
      end, errMessageSSLv3)
    end

    -- SSLv23_method and the TLSv1* methods are accepted
    for _, m in ipairs({
      "SSLv23_method", "SSLv23_client_method", "SSLv23_server_method",
      "TLSv1_method", "TLSv1_client_method", "TLSv1_server_method",
      "TLSv1_1_method", "TLSv1_1_client_method", "TLSv1_1_server_method",
      "TLSv1_2_method", "TLSv1_2_client_method", "TLSv1_2_server_method",
    }) do
      tls.createSecureContext({ secureProtocol = m })
    end
  end))
end)
