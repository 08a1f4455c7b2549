-- Node v20.11.1 test/parallel/test-tls-inception.js, ported
-- (doc/node-tests.md): TLS inside TLS: a client's TLS connection runs over
-- another TLS socket, through a proxy server that pipes to the real one.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

describe("test-tls-inception", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
    }
    local body = string.rep("A", 40000)
    local a, b
    -- a: the proxy, piping each TLS connection to b over plain TCP
    a = tls.createServer(options, function(socket)
      local myOptions = {
        host = "127.0.0.1",
        port = b:address().port,
        rejectUnauthorized = false,
      }
      local dest = net.connect(myOptions)
      dest:pipe(socket)
      socket:pipe(dest)
      dest:on("end", function()
        socket:destroy()
      end)
    end)
    -- b: the real server
    b = tls.createServer(options, function(socket)
      socket:done(body)
    end)
    a:listen(0, function()
      b:listen(0, function()
        local myOptions = {
          host = "127.0.0.1",
          port = a:address().port,
          rejectUnauthorized = false,
        }
        local socket = tls.connect(myOptions)
        local ssl = tls.connect({
          socket = socket,
          rejectUnauthorized = false,
        })
        ssl:setEncoding("utf8")
        local buf = ""
        ssl:on("data", function(data)
          buf = buf .. data
        end)
        ssl:on("end", common.mustCall(function()
          assert.strictEqual(buf, body)
          ssl:done()
          a:close()
          b:close()
        end))
      end)
    end)
  end))
end)
