-- Node v20.11.1 test/parallel/test-tls-set-ciphers-error.js, ported
-- (doc/node-tests.md): a ciphers option that names no known cipher raises "no cipher match".
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

-- Node's /no[_ ]cipher[_ ]match/i on the error
local function noCipherMatch(err)
  local s = (type(err) == "table" and (tostring(err.message) .. " " .. tostring(err.code)) or tostring(err)):lower()
  return s:find("no[_ ]cipher[_ ]match") ~= nil
end

describe("test-tls-set-ciphers-error", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("agent2-key.pem"),
      cert = fixtures.readKey("agent2-cert.pem"),
      ciphers = "aes256-sha",
    }
    assert.throws(function() tls.createServer(options, common.mustNotCall()) end, noCipherMatch)
    options.ciphers = "FOOBARBAZ"
    assert.throws(function() tls.createServer(options, common.mustNotCall()) end, noCipherMatch)
    options.ciphers = "TLS_not_a_cipher"
    assert.throws(function() tls.createServer(options, common.mustNotCall()) end, noCipherMatch)
  end))
end)
