-- Node v20.11.1 test/parallel/test-tls-ticket-12.js, ported
-- (doc/node-tests.md): test-tls-ticket with tls.DEFAULT_MAX_VERSION set to
-- TLS 1.2.
local common = require("spec.node.common")
local tls = require("luatls.tls")

describe("test-tls-ticket-12", function()
  -- Node's require('./test-tls-ticket.js'): its body, without its describe()
  local path = require("spec.helper").root .. "/spec/node/test-tls-ticket.lua"
  local env = setmetatable({ describe = function() end }, { __index = _ENV })
  local body = assert(loadfile(path, "t", env))().body
  it("runs as in Node", common.run(function()
    local saved = tls.DEFAULT_MAX_VERSION
    tls.DEFAULT_MAX_VERSION = "TLSv1.2"
    common.onExit(function() tls.DEFAULT_MAX_VERSION = saved end)
    body()
  end))
end)
