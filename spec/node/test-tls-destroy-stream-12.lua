-- Node v20.11.1 test/parallel/test-tls-destroy-stream-12.js, ported
-- (doc/node-tests.md): sets tls.DEFAULT_MAX_VERSION to TLS 1.2, then runs
-- test-tls-destroy-stream, which sets it back to TLS 1.3 itself first: in
-- Node too the connections are TLS 1.3.
local common = require("spec.node.common")
local tls = require("luatls.tls")

describe("test-tls-destroy-stream-12", function()
  -- Node's require('./test-tls-destroy-stream.js'): its body, without its describe()
  local path = require("spec.helper").root .. "/spec/node/test-tls-destroy-stream.lua"
  local env = setmetatable({ describe = function() end }, { __index = _ENV })
  local body = assert(loadfile(path, "t", env))().body
  it("runs as in Node", common.run(function()
    local saved = tls.DEFAULT_MAX_VERSION
    tls.DEFAULT_MAX_VERSION = "TLSv1.2"
    body("TLSv1.3")()
    -- (after the body's own, which puts back the TLS 1.2 it found)
    common.onExit(function() tls.DEFAULT_MAX_VERSION = saved end)
  end))
end)
