-- Node v20.11.1 test/parallel/test-tls-use-after-free-regression.js, ported
-- (doc/node-tests.md): a TLS client that pipelines three HTTP requests to an
-- https server and destroys itself at the first answer does not crash it.
local common = require("spec.node.common")
local tls = require("luatls.tls")
local timers = require("luatls.timers")

local kMessage = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Keep-alive\r\n\r\n"

local key = [[
-----BEGIN EC PARAMETERS-----
BggqhkjOPQMBBw==
-----END EC PARAMETERS-----
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIDKfHHbiJMdu2STyHL11fWC7psMY19/gUNpsUpkwgGACoAoGCCqGSM49
AwEHoUQDQgAEItqm+pYj3Ca8bi5mBs+H8xSMxuW2JNn4I+kw3aREsetLk8pn3o81
PWBiTdSZrGBGQSy+UAlQvYeE6Z/QXQk8aw==
-----END EC PRIVATE KEY-----]]

local cert = [[
-----BEGIN CERTIFICATE-----
MIIBhjCCASsCFDJU1tCo88NYU//pE+DQKO9hUDsFMAoGCCqGSM49BAMCMEUxCzAJ
BgNVBAYTAkFVMRMwEQYDVQQIDApTb21lLVN0YXRlMSEwHwYDVQQKDBhJbnRlcm5l
dCBXaWRnaXRzIFB0eSBMdGQwHhcNMjAwOTIyMDg1NDU5WhcNNDgwMjA3MDg1NDU5
WjBFMQswCQYDVQQGEwJBVTETMBEGA1UECAwKU29tZS1TdGF0ZTEhMB8GA1UECgwY
SW50ZXJuZXQgV2lkZ2l0cyBQdHkgTHRkMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAEItqm+pYj3Ca8bi5mBs+H8xSMxuW2JNn4I+kw3aREsetLk8pn3o81PWBiTdSZ
rGBGQSy+UAlQvYeE6Z/QXQk8azAKBggqhkjOPQQDAgNJADBGAiEA7Bdn4F87KqIe
Y/ABy/XIXXpFUb2nyv3zV7POQi2lPcECIQC3UWLmfiedpiIKsf9YRIyO0uEood7+
glj2R1NNr1X68w==
-----END CERTIFICATE-----]]

describe("test-tls-use-after-free-regression", function()
  it("runs as in Node", common.run(function()
    local https = require("luatls.https")
    local server
    server = https.createServer({ key = key, cert = cert }, common.mustCall(function(_req, res)
      res:writeHead(200)
      res:done("boom goes the dynamite\n")
    end, 3))

    server:listen(0, common.mustCall(function()
      local socket
      socket = tls.connect(server:address().port, "localhost", { rejectUnauthorized = false },
        common.mustCall(function()
          socket:write(kMessage)
          socket:write(kMessage)
          socket:write(kMessage)
        end))
      socket:on("data", common.mustCall(function() socket:destroy() end))
      socket:on("close", function()
        timers.setImmediate(function() server:close() end)
      end)
    end))
  end))
end)
