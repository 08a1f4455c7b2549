-- Node v20.11.1 test/parallel/test-net-error-twice.js, ported
-- (doc/node-tests.md).
-- A big write to a peer that went away: one 'error', not two.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local net = require("luatls.net")

describe("test-net-error-twice", function()
  it("one 'error' for a write to a destroyed peer", common.run(function()
    local buf = string.rep("b", 10 * 1024 * 1024)

    local errs = {}
    local clientSocket, serverSocket
    local server

    local function ready()
      if clientSocket and serverSocket then
        clientSocket:destroy()
        serverSocket:write(buf)
      end
    end

    server = net.createServer(function(conn)
      conn:on("error", function(err)
        errs[#errs + 1] = err
        if #errs > 1 and errs[1] == errs[2] then
          assert.fail("Should not emit the same error twice")
        end
      end)
      conn:on("close", function()
        server:unref()
      end)
      serverSocket = conn
      ready()
    end):listen(0, function()
      local client = net.connect({ port = server:address().port })

      client:on("connect", function()
        clientSocket = client
        ready()
      end)
    end)

    common.onExit(function()
      assert.strictEqual(#errs, 1)
      -- Node's process exits with the unref'd server listening
      server:close()
    end)
  end))
end)
