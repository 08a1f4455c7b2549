-- Node v20.11.1 test/parallel/test-tls-fast-writing.js, ported
-- (doc/node-tests.md): a client that writes until write() returns false
-- gets 'drain' while the server reads.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")

describe("test-tls-fast-writing", function()
  it("runs as in Node", common.run(function()
    local options = {
      key = fixtures.readKey("rsa_private.pem"),
      cert = fixtures.readKey("rsa_cert.crt"),
      ca = { fixtures.readKey("rsa_ca.crt") },
    }
    local server
    local gotChunk = false
    local gotDrain = false
    local exited = false
    local conns = {}

    -- Node's process.exit(0): the test is over; here everything is closed
    local function exit()
      if exited then return end
      exited = true
      for _, c in ipairs(conns) do c:destroy() end
      server:close()
    end

    local function onconnection(conn)
      conns[#conns + 1] = conn
      conn:on("data", function(c)
        if not gotChunk then
          gotChunk = true
          print("ok - got chunk")
        end
        -- basic checks (Buffer.isBuffer: a string here)
        assert(#c > 0)
        assert(type(c) == "string")
        if gotDrain then exit() end
      end)
    end
    server = tls.createServer(options, onconnection)

    server:listen(0, function()
      local chunk = string.rep("x", 1024)
      local opt = { port = server:address().port, rejectUnauthorized = false }
      local conn
      local function write()
        -- write() must return false at some point
        while not exited and conn:write(chunk) ~= false do end
      end
      local function ondrain()
        if not gotDrain then
          gotDrain = true
          print("ok - got drain")
        end
        if gotChunk then return exit() end
        write()
      end
      conn = tls.connect(opt, function()
        conns[#conns + 1] = conn
        conn:on("drain", ondrain)
        write()
      end)
    end)
    common.onExit(function()
      assert(exited, "Node's test ends by process.exit(0)")
    end)
  end))
end)
