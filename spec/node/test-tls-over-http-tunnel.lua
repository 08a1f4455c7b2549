-- Node v20.11.1 test/parallel/test-tls-over-http-tunnel.js, ported (doc/node-tests.md).
-- An https request through an HTTP CONNECT tunnel gets the server's answer whole.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures

describe("test-tls-over-http-tunnel", function()
  it("runs as in Node", common.run(function()
    local https = require("luatls.https")
    local http = require("luatls.http")
    local net = require("luatls.net")
    local tick = require("luatls.tick")

    local gotRequest = false
    local key = fixtures.readKey("agent1-key.pem")
    local cert = fixtures.readKey("agent1-cert.pem")
    local options = { key = key, cert = cert }

    local server = https.createServer(options, common.mustCall(function(_, res)
      res:writeHead(200, { ["content-type"] = "text/plain" })
      res:done("hello world\n")
    end))

    local proxy
    proxy = net.createServer(function(clientSocket)
      local serverSocket = nil

      clientSocket:on("data", function(chunk)
        if not serverSocket then
          -- the CONNECT request
          assert.strictEqual(tostring(chunk),
            "CONNECT localhost:" .. server:address().port .. " " ..
            "HTTP/1.1\r\n" ..
            "Proxy-Connections: keep-alive\r\n" ..
            "Host: localhost:" .. proxy:address().port .. "\r\n" ..
            "Connection: keep-alive\r\n\r\n")

          -- the tunnel
          serverSocket = net.connect(server:address().port, common.mustCall(function()
            clientSocket:write("HTTP/1.1 200 OK\r\nProxy-Connections: keep" ..
              "-alive\r\nConnections: keep-alive\r\nVia: " ..
              "localhost:" .. proxy:address().port .. "\r\n\r\n")
          end))

          serverSocket:on("data", function(c)
            clientSocket:write(c)
          end)

          serverSocket:on("end", common.mustCall(function()
            clientSocket:destroy()
          end))
        else
          serverSocket:write(chunk)
        end
      end)

      clientSocket:on("end", function()
        serverSocket:destroy()
      end)
    end)

    server:listen(0)

    proxy:listen(0, common.mustCall(function()
      local onConnect

      local function onResponse(res)
        res.upgrade = true
      end

      local function onUpgrade(res, socket, head)
        tick.nextTick(function()
          onConnect(res, socket, head)
        end)
      end

      function onConnect(res, socket)
        assert.strictEqual(res.statusCode, 200)

        -- detach the socket
        socket:removeAllListeners("data")
        socket:removeAllListeners("close")
        socket:removeAllListeners("error")
        socket:removeAllListeners("drain")
        socket:removeAllListeners("end")
        socket.ondata = nil
        socket.onend = nil
        socket.ondrain = nil

        https.get({
          path = "/foo",
          key = key,
          cert = cert,
          socket = socket, -- the tunnel's socket
          agent = false,
          rejectUnauthorized = false,
        }, function(res2)
          assert.strictEqual(res2.statusCode, 200)

          res2:on("data", common.mustCall(function(chunk)
            assert.strictEqual(tostring(chunk), "hello world\n")
            gotRequest = true
          end))

          res2:on("end", common.mustCall(function()
            proxy:close()
            server:close()
          end))
        end):on("error", function(er)
          -- ECONNRESET is timing-dependent here; anything else fails
          if er.code ~= "ECONNRESET" then error(er) end
        end):done()
      end

      local req = http.request({
        port = proxy:address().port,
        method = "CONNECT",
        path = "localhost:" .. server:address().port,
        headers = { ["Proxy-Connections"] = "keep-alive" },
      })
      req.useChunkedEncodingByDefault = false
      req:on("response", onResponse)
      req:on("upgrade", onUpgrade)
      req:on("connect", onConnect)
      req:done()
    end))

    common.onExit(function()
      assert.ok(gotRequest)
    end)
  end))
end)
