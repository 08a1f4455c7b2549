-- Node v20.11.1 test/parallel/test-tls-client-reject.js, ported
-- (doc/node-tests.md): rejectUnauthorized (true, nil, false) and ca against a self-signed server.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-client-reject", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
    }
    local server
    local rejectUnauthorized, rejectUnauthorizedUndefined, authorized

    local function unauthorized()
      local socket
      socket = tls.connect({
        port = server:address().port,
        servername = "localhost",
        rejectUnauthorized = false,
      }, common.mustCall(function()
        local _data
        assert.ok(not socket.authorized)
        socket:on("data", common.mustCall(function(data)
          assert.strictEqual(tostring(data), "ok")
          _data = data
        end))
        socket:on("end", common.mustCall(function()
          assert.ok(_data, "data failed to echo!")
        end))
        socket:on("end", function() rejectUnauthorized() end)
      end))
      socket:once("session", common.mustCall())
      socket:on("error", common.mustNotCall())
      socket:done("ok")
    end

    function rejectUnauthorized()
      local socket = tls.connect(server:address().port, {
        servername = "localhost",
      }, common.mustNotCall())
      socket:on("data", common.mustNotCall())
      socket:on("error", common.mustCall(function()
        rejectUnauthorizedUndefined()
      end))
      socket:done("ng")
    end

    -- Node's rejectUnauthorized: undefined is an absent field in Lua
    function rejectUnauthorizedUndefined()
      local socket = tls.connect(server:address().port, {
        servername = "localhost",
        rejectUnauthorized = nil,
      }, common.mustNotCall())
      socket:on("data", common.mustNotCall())
      socket:on("error", common.mustCall(function()
        authorized()
      end))
      socket:done("ng")
    end

    function authorized()
      local socket
      socket = tls.connect(server:address().port, {
        ca = { fixtures.readKey("rsa_cert.crt") },
        servername = "localhost",
      }, common.mustCall(function()
        assert.ok(socket.authorized)
        socket:on("data", common.mustCall(function(data)
          assert.strictEqual(tostring(data), "ok")
        end))
        socket:on("end", function() server:close() end)
      end))
      socket:on("error", common.mustNotCall())
      socket:done("ok")
    end

    server = tls.createServer(options, function(socket)
      socket:pipe(socket)
      -- the pipe ends it already: this is end() after end()
      socket:on("end", function() socket:done() end)
    end):listen(0, common.mustCall(function()
      unauthorized()
    end))
  end))
end)
