-- Node v20.11.1 test/parallel/test-tls-close-event-after-write.js, ported
-- (doc/node-tests.md): the server's socket closes after it ended with 1 MiB the client read whole.
local common = require("spec.node.common")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-close-event-after-write", function()
  it("runs as in Node", common.run(function()
    local cconn, sconn = nil, nil
    local read_len = 0
    local buffer_size = 1024 * 1024

    local function test()
      if cconn and sconn then
        cconn:resume()
        sconn:resume()
        sconn:done(string.rep("\0", buffer_size))
      end
    end

    local server
    server = tls.createServer({
      key = fixtures.readKey("agent1-key.pem"),
      cert = fixtures.readKey("agent1-cert.pem"),
    }, function(c)
      c:on("close", common.mustCall(function() server:close() end))
      sconn = c
      test()
    end):listen(0, common.mustCall(function()
      tls.connect(server:address().port, {
        rejectUnauthorized = false,
      }, common.mustCall(function(self)
        cconn = self
        cconn:on("data", function(d)
          read_len = read_len + #d
          if read_len == buffer_size then cconn:done() end
        end)
        test()
      end))
    end))
  end))
end)
