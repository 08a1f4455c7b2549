-- Node v20.11.1 test/parallel/test-tls-net-socket-keepalive.js, ported
-- (doc/node-tests.md): tls.connect over a net.Socket (allowHalfOpen) that
-- connects afterwards: data, 'end' and 'close' on both sides.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

local M = {}

-- the test's body; test-tls-net-socket-keepalive-12 runs it with TLS 1.2
function M.body()
  local key = fixtures.readKey("agent1-key.pem")
  local cert = fixtures.readKey("agent1-cert.pem")
  local ca = fixtures.readKey("ca1-cert.pem")
  local options = {
    key = key,
    cert = cert,
    ca = { ca },
  }
  local server
  server = tls.createServer(options, common.mustCall(function(conn)
    conn:write("hello", common.mustCall())
    conn:on("data", common.mustCall())
    conn:on("end", common.mustCall())
    conn:on("data", common.mustCall())
    conn:on("close", common.mustCall())
    conn:done()
  end))
  server:listen(0, common.mustCall(function()
    local netSocket = net.Socket.new({
      allowHalfOpen = true,
    })
    local socket = tls.connect({
      socket = netSocket,
      rejectUnauthorized = false,
    })
    local addr = server:address()
    -- (Node: connecting the net.Socket after tls.connect() makes tls wrap it
    -- in a StreamWrap)
    netSocket:connect({
      port = addr.port,
      address = addr.address,
    })
    socket:on("secureConnect", common.mustCall())
    socket:on("end", common.mustCall())
    socket:on("data", common.mustCall())
    socket:on("close", common.mustCall(function()
      server:close()
    end))
    socket:write("hello")
    socket:done()
  end))
end

if describe then
  describe("test-tls-net-socket-keepalive", function()
    it("runs as in Node", common.run(M.body))
  end)
end

return M
