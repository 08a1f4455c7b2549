-- Node v20.11.1 test/parallel/test-tls-pause.js, ported (doc/node-tests.md).
-- A paused client writes until write() returns false, resumes, and gets the
-- echo of all of it.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local process = require("luatls.process")

describe("test-tls-pause", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
    }

    local bufSize = 1024 * 1024
    local chunk = string.rep("\0", bufSize)
    local sent = 0
    local received = 0

    local server
    server = tls.Server(options, common.mustCall(function(socket)
      socket:pipe(socket)
      socket:on("data", function() end) -- (Node logs each chunk here)
    end))

    server:listen(0, common.mustCall(function()
      local resumed = false
      local client
      client = tls.connect({
        port = server:address().port,
        rejectUnauthorized = false,
      }, common.mustCall(function()
        client:pause()
        local function send()
          local ret = client:write(chunk)
          if ret ~= false then
            sent = sent + bufSize
            assert.ok(sent < 100 * 1024 * 1024) -- at most 100 MB
            return process.nextTick(send)
          end
          sent = sent + bufSize
          resumed = true
          client:resume()
        end
        send()
      end))
      client:on("data", function(data)
        assert.ok(resumed)
        received = received + #data
        if received >= sent then
          client:done()
          server:close()
        end
      end)
    end))

    common.onExit(function()
      assert.strictEqual(sent, received)
    end)
  end))
end)
