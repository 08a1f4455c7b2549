-- Node v20.11.1 test/parallel/test-net-connect-immediate-finish.js, ported
-- (doc/node-tests.md).
-- end() before the lookup failed: the lookup's error comes as it was made,
-- without port or host added.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local errors = require("luatls.errors")
local net = require("luatls.net")

-- Node's test/common/dns.js and test/common/internet.js, the parts used
local INVALID_HOST = "something.invalid"
local mockedErrorCode = "ENOTFOUND"
local mockedSysCall = "getaddrinfo"
local function errorLookupMock(code, syscall)
  code, syscall = code or mockedErrorCode, syscall or mockedSysCall
  return function(hostname, _, cb)
    cb(errors.new(code, syscall .. " " .. code .. " " .. hostname,
      { errno = code, syscall = syscall, hostname = hostname }))
  end
end

describe("test-net-connect-immediate-finish", function()
  it("end() before a failed lookup", common.run(function()
    local client = net.connect({
      host = INVALID_HOST,
      port = 80, -- any: the name is invalid
      lookup = common.mustCall(errorLookupMock()),
    }, common.mustNotCall())

    client:once("error", common.mustCall(function(err)
      assert.ok(err.port == nil)
      assert.ok(err.host == nil)
      assert.throws(function() error(err) end, {
        code = mockedErrorCode,
        errno = mockedErrorCode,
        syscall = mockedSysCall,
        hostname = INVALID_HOST,
        message = "getaddrinfo ENOTFOUND something.invalid",
      })
    end))

    client:done()
  end))
end)
