-- Node v20.11.1 test/parallel/test-tls-cnnic-whitelist.js, ported
-- (doc/node-tests.md): a chain up to a root the client does not trust fails with UNABLE_TO_GET_ISSUER_CERT_LOCALLY.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local function loadPEM(n)
  return fixtures.readKey(n .. ".pem")
end

describe("test-tls-cnnic-whitelist", function()
  it("runs as in Node", common.run(function()
    common.knownFailure("the server's `ca` is ca3-key.pem, a PEM with no certificate: Node ignores it, luatls " ..
      "raises ERR_TLS_INVALID_CA (src/tls/context.c add_ca); no issue yet")
    local testCases = {
      -- agent6-cert.pem is issued by ca3, an intermediate of ca1: the server
      -- sends agent6 -> ca3 -> ca1, but the client does not trust ca1
      {
        serverOpts = {
          ca = loadPEM("ca3-key"),
          key = loadPEM("agent6-key"),
          cert = loadPEM("agent6-cert"),
        },
        clientOpts = {
          port = nil,
          rejectUnauthorized = true,
        },
        errorCode = "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      },
    }

    local function runTest(tindex)
      local tcase = testCases[tindex]
      if not tcase then return end
      local server
      server = tls.createServer(tcase.serverOpts, function(s)
        s:resume()
      end):listen(0, common.mustCall(function()
        tcase.clientOpts.port = server:address().port
        local client = tls.connect(tcase.clientOpts)
        client:on("error", common.mustCall(function(e)
          assert.strictEqual(e.code, tcase.errorCode)
          server:close(common.mustCall(function()
            runTest(tindex + 1)
          end))
        end))
      end))
    end

    runTest(1)
  end))
end)
