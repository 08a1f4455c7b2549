-- Node v20.11.1 test/parallel/test-tls-net-socket-keepalive-12.js, ported
-- (doc/node-tests.md): test-tls-net-socket-keepalive with tls.DEFAULT_MAX_VERSION = "TLSv1.2".
local common = require("spec.node.common")
local tls = require("luatls.tls")

describe("test-tls-net-socket-keepalive-12", function()
  it("runs as in Node", common.run(function()
    local saved = tls.DEFAULT_MAX_VERSION
    tls.DEFAULT_MAX_VERSION = "TLSv1.2"
    -- (a Node test is a process of its own: put the default back at the end)
    common.onExit(function() tls.DEFAULT_MAX_VERSION = saved end)
    local ok, err = pcall(function() dofile("spec/node/test-tls-net-socket-keepalive.lua").body() end)
    if not ok then
      tls.DEFAULT_MAX_VERSION = saved
      error(err, 0)
    end
  end))
end)
