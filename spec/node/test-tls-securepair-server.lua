-- Node v20.11.1 test/parallel/test-tls-securepair-server.js, ported
-- (doc/node-tests.md): a SecurePair piped to a net.Socket serves openssl s_client.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local helper = require("spec.helper")
local tls = require("luatls.tls")
local net = require("luatls.net")
local timers = require("luatls.timers")

describe("test-tls-securepair-server", function()
  it("runs as in Node", common.run(function()
    if not helper.have(common.opensslCli) then common.skip("missing openssl-cli") end

    local key = fixtures.readKey("rsa_private.pem")
    local cert = fixtures.readKey("rsa_cert.crt")

    -- Node prints these on stderr; kept here, unprinted
    local logged = {}
    local function log(a) logged[#logged + 1] = a end

    local server = net.createServer(common.mustCall(function(socket)
      log("connection fd=" .. tostring(socket.fd))
      local sslcontext = tls.createSecureContext({ key = key, cert = cert })
      sslcontext.context:setCiphers("RC4-SHA:AES128-SHA:AES256-SHA")

      local pair = tls.createSecurePair(sslcontext, true)

      assert.ok(pair.encrypted.writable)
      assert.ok(pair.cleartext.writable)

      pair.encrypted:pipe(socket)
      socket:pipe(pair.encrypted)

      log("i set it secure")

      pair:on("secure", function()
        log("connected+secure!")
        pair.cleartext:write("hello\r\n")
        log(pair.cleartext:getPeerCertificate())
        log(pair.cleartext:getCipher())
      end)

      pair.cleartext:on("data", function(data)
        log("read bytes " .. #data)
        pair.cleartext:write(data)
      end)

      socket:on("end", function() log("socket end") end)

      pair.cleartext:on("error", function(err)
        log("got error: ")
        log(err)
        socket:destroy()
      end)

      pair.encrypted:on("error", function(err)
        log("encrypted error: ")
        log(err)
        socket:destroy()
      end)

      socket:on("error", function(err)
        log("socket error: ")
        log(err)
        socket:destroy()
      end)

      socket:on("close", function() log("socket closed") end)

      pair:on("error", function(err)
        log("secure error: ")
        log(err)
        socket:destroy()
      end)
    end))

    local gotHello = false
    local sentWorld = false
    local gotWorld = false

    server:listen(0, common.mustCall(function()
      -- Node spawns s_client and writes to its stdin as its stdout comes:
      -- here its stdin is a FIFO this side writes, its stdout a file read
      -- as it grows
      local dir = common.tmpdir.refresh()
      local fifo = dir .. "/stdin"
      assert.ok(os.execute("mkfifo " .. helper.quote(fifo)))
      local client = helper.peer(common.opensslCli .. " s_client -connect 127.0.0.1:" .. server:address().port
        .. " <" .. helper.quote(fifo))
      local stdin = io.open(fifo, "wb") -- (waits for s_client's shell to open it)
      assert.ok(stdin)
      stdin:setvbuf("no")

      local poll
      poll = timers.setInterval(function()
        local out = helper.output(client)
        if not gotHello and out:find("hello") then
          gotHello = true
          stdin:write("world\r\n")
          sentWorld = true
        end
        if not gotWorld and out:find("world") then
          gotWorld = true
          stdin:close()
        end
        if helper.done(client) then
          timers.clearInterval(poll)
          if not gotWorld then stdin:close() end
          local _, code = helper.finishPeer(client)
          assert.strictEqual(code, 0)
          server:close()
        end
      end, 20)
    end))

    common.onExit(function()
      assert.ok(gotHello)
      assert.ok(sentWorld)
      assert.ok(gotWorld)
    end)
  end))
end)
