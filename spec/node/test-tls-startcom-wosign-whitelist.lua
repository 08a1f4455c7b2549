-- Node v20.11.1 test/parallel/test-tls-startcom-wosign-whitelist.js, ported
-- (doc/node-tests.md): certificates from a fake StartCom root, issued before
-- and after the 2016 cut-off: each either connects or fails CERT_REVOKED.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

local function loadPEM(n) return fixtures.readKey(n .. ".pem") end

describe("test-tls-startcom-wosign-whitelist", function()
  it("runs as in Node", common.run(function()
    local finished = 0
    local testCases = {
      { -- agent8: notBefore Oct 20 23:59:59 2016 GMT, passes the check
        serverOpts = { key = loadPEM("agent8-key"), cert = loadPEM("agent8-cert") },
        clientOpts = { ca = loadPEM("fake-startcom-root-cert"), port = nil, rejectUnauthorized = true },
        errorCode = "CERT_REVOKED",
      },
      { -- agent9: notBefore Oct 21 00:00:01 2016 GMT, fails the check
        serverOpts = { key = loadPEM("agent9-key"), cert = loadPEM("agent9-cert") },
        clientOpts = { ca = loadPEM("fake-startcom-root-cert"), port = nil, rejectUnauthorized = true },
        errorCode = "CERT_REVOKED",
      },
    }

    local runTest
    local function runNextTest(server, tindex)
      server:close(function()
        finished = finished + 1
        runTest(tindex + 1)
      end)
    end

    function runTest(tindex)
      local tcase = testCases[tindex]
      if not tcase then return end
      local server
      server = tls.createServer(tcase.serverOpts, function(s)
        s:resume()
      end):listen(0, function()
        tcase.clientOpts.port = server:address().port
        local client = tls.connect(tcase.clientOpts)
        client:on("error", function(e)
          assert.strictEqual(e.code, tcase.errorCode)
          runNextTest(server, tindex)
        end)
        client:on("secureConnect", function()
          -- agent8 passes the check: the connection is made
          assert.strictEqual(tcase.errorCode, "CERT_REVOKED")
          client:done()
          runNextTest(server, tindex)
        end)
      end)
    end

    runTest(1)
    common.onExit(function()
      assert.strictEqual(finished, #testCases)
    end)
  end))
end)
