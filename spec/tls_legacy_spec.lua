-- Renegotiation, the deprecated SecurePair/CryptoStream API, and the old
-- names from the oldest seeds.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")

local read = certs.read

local function serverOptions(extra)
  local o = { key = read("server-key.pem"), cert = read("server-chain.pem") }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local listen = helper.listen

local function closeServer(server) helper.closeServer(server, true) end

-- openssl s_client -tls1_2 fed `lines`, one per `gap` seconds ("R" asks for
-- a renegotiation)
local function s_client(port, lines, extra)
  local script = {}
  for _, l in ipairs(lines) do script[#script + 1] = string.format("echo %s; sleep %g", l, 0.25 * helper.SLOW) end
  return helper.spawn(string.format("(%s; sleep %g) | timeout %g openssl s_client -tls1_2 -connect 127.0.0.1:%d "
    .. "-servername localhost -CAfile %s %s", table.concat(script, "; "), 0.5 * helper.SLOW, 20 * helper.SLOW, port,
    certs.path("ca-cert.pem"), extra or ""))
end

describe("TLS legacy APIs", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  describe("renegotiation", function()
    local limit, window
    before_each(function() limit, window = tls.CLIENT_RENEG_LIMIT, tls.CLIENT_RENEG_WINDOW end)
    after_each(function() tls.CLIENT_RENEG_LIMIT, tls.CLIENT_RENEG_WINDOW = limit, window end)

    it("a client's renegotiations past CLIENT_RENEG_LIMIT: 'error' ERR_TLS_SESSION_ATTACK, socket closed", function()
      local err, closed
      local server = tls.createServer(serverOptions(), function(s)
        s:on("error", function(e) err = e end)
        s:on("close", function() closed = true end)
        s:pipe(s)
      end)
      local port = listen(server)
      local proc = s_client(port, { "hello", "R", "R", "R", "R", "R", "after" })
      helper.wait(function() return closed end, 20000, "the server to close the socket")
      local out = helper.finish(proc)
      assert.equal("ERR_TLS_SESSION_ATTACK", err and err.code)
      assert.equal("TLS session renegotiation attack detected", err.message)
      assert.matches("hello", out)
      assert.is_nil(out:find("\nafter"))
      assert.equal(4, select(2, out:gsub("RENEGOTIATING", "")) >= 4 and 4 or -1)
      closeServer(server)
    end)

    it("reads the limit when it counts (scripts may change it)", function()
      tls.CLIENT_RENEG_LIMIT = 1
      local err
      local server = tls.createServer(serverOptions(), function(s)
        s:on("error", function(e) err = e end)
        s:pipe(s)
      end)
      local port = listen(server)
      local proc = s_client(port, { "one", "R", "R", "two" })
      helper.wait(function() return err end, 20000)
      helper.finish(proc)
      assert.equal("ERR_TLS_SESSION_ATTACK", err.code, "the error: " .. tostring(err))
      -- within the limit the connection lives on
      tls.CLIENT_RENEG_LIMIT = 3
      err = nil
      local out = helper.finish(s_client(port, { "one", "R", "R", "two" }))
      assert.is_nil(err)
      assert.matches("two", out)
      closeServer(server)
    end)

    it("disableRenegotiation(): the first renegotiation is an error", function()
      local err
      local server = tls.createServer(serverOptions(), function(s)
        s:disableRenegotiation()
        s:on("error", function(e) err = e end)
        s:pipe(s)
      end)
      local port = listen(server)
      local proc = s_client(port, { "hi", "R", "after" })
      helper.wait(function() return err end, 20000)
      helper.finish(proc)
      assert.equal("ERR_TLS_RENEGOTIATION_DISABLED", err.code)
      closeServer(server)
    end)

    it("renegotiate({ requestCert = true }) asks a TLS 1.2 client for its certificate", function()
      local result
      local server = tls.createServer(serverOptions({ ca = read("ca-cert.pem") }), function(s)
        s:once("data", function()
          local started = s:renegotiate({ requestCert = true, rejectUnauthorized = true }, function(err)
            result = { err = err, authorized = s.authorized, cn = s:getPeerCertificate().subject.CN }
            s:write("renegotiated\n")
          end)
          assert(started)
        end)
        s:on("data", function() end)
      end)
      local port = listen(server)
      local proc = s_client(port, { "go", "x", "y", "z" },
        string.format("-cert %s -key %s", certs.path("client-cert.pem"), certs.path("client-key.pem")))
      helper.wait(function() return result end, 20000, "the renegotiation")
      local out = helper.finish(proc)
      assert.is_nil(result.err)
      assert.is_true(result.authorized)
      assert.equal("client", result.cn)
      assert.matches("renegotiated", out)
      closeServer(server)
    end)

    it("renegotiate() under TLS 1.3 returns false and calls back with an error", function()
      local server = tls.createServer(serverOptions(), function(s) s:resume() end)
      local port = listen(server)
      local ret, err
      local c
      c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost",
        ca = read("ca-cert.pem") }, function()
        ret = c:renegotiate({}, function(e) err = e; c:destroy() end)
      end)
      helper.wait(function() return err end)
      assert.is_false(ret)
      assert.matches("^ERR_SSL_", err.code)
      closeServer(server)
    end)
  end)

  describe("SecurePair", function()
    -- the seed's wiring: pair.encrypted:pipe(socket); socket:pipe(pair.encrypted)
    local function throughPair(port, message)
      local socket = net.connect(port, "127.0.0.1")
      local ctx = tls.createSecureContext({ ca = read("ca-bundle.pem") })
      local pair = tls.createSecurePair(ctx, false, false, false, { servername = "localhost" })
      pair.encrypted:pipe(socket)
      socket:pipe(pair.encrypted)
      local secure, got, closed = false, {}, false
      pair:on("secure", function()
        secure = true
        pair.cleartext:write(message)
      end)
      pair.cleartext:on("data", function(d)
        got[#got + 1] = d
        if table.concat(got):find(message, 1, true) then pair.cleartext:done() end
      end)
      pair.cleartext:on("error", function() end)
      pair.cleartext:on("close", function() closed = true; socket:destroy() end)
      helper.wait(function() return closed end, 20000, "the secure pair")
      helper.drain()
      return secure, table.concat(got), pair
    end

    it("talks through a TCP socket to a luatls server", function()
      local server = tls.createServer(serverOptions(), function(s) s:pipe(s) end)
      local port = listen(server)
      local secure, got, pair = throughPair(port, "through a pair\n")
      assert.is_true(secure)
      assert.equal("through a pair\n", got)
      assert.is_true(pair.cleartext.authorized)
      assert.is_true(pair.encrypted.bytesWritten > #"through a pair\n") -- TLS records
      assert.is_true(tls.CleartextStream == tls.TLSSocket)
      assert.is_true(require("luatls.events").instanceOf(pair.encrypted, tls.CryptoStream))
      closeServer(server)
    end)

    it("talks to openssl s_server and to Node's tls server", function()
      local port = helper.freePort()
      local srv = helper.spawn(string.format(
        "timeout 30 openssl s_server -accept %d -cert %s -key %s -cert_chain %s -rev",
        port, certs.path("server-cert.pem"), certs.path("server-key.pem"), certs.path("intermediate-cert.pem")))
      helper.wait(function() return helper.output(srv):find("ACCEPT") end, 10000)
      local socket = net.connect(port, "127.0.0.1")
      local pair = tls.createSecurePair(tls.createSecureContext({ ca = read("ca-cert.pem") }), false, false, false,
        { servername = "localhost" })
      pair.encrypted:pipe(socket)
      socket:pipe(pair.encrypted)
      local got = ""
      pair:on("secure", function() pair.cleartext:write("abc\n") end)
      pair.cleartext:on("data", function(d) got = got .. d end)
      pair.cleartext:on("error", function() end)
      helper.wait(function() return got:find("cba") end, 20000, "s_server's reversed line")
      pair:destroy()
      socket:destroy()
      helper.kill(srv)
      if not helper.have("node") then return pending("node is not installed") end
      local nport = helper.freePort()
      local node = helper.spawn("timeout 30 node -e " .. helper.quote(string.format([[
        const tls = require("tls"), fs = require("fs");
        tls.createServer({ key: fs.readFileSync(%q), cert: fs.readFileSync(%q) }, s => s.pipe(s))
          .listen(%d, "127.0.0.1", () => console.log("listening"));
      ]], certs.path("server-key.pem"), certs.path("server-chain.pem"), nport)))
      helper.wait(function() return helper.output(node):find("listening") end, 10000)
      local secure, echoed = throughPair(nport, "to node\n")
      helper.kill(node)
      assert.is_true(secure)
      assert.equal("to node\n", echoed)
    end)

    it("a server-side pair serves openssl s_client over a plain net server", function()
      local ctx = tls.createSecureContext(serverOptions())
      local server = net.createServer(function(socket)
        local pair = tls.createSecurePair(ctx, true)
        pair.encrypted:pipe(socket)
        socket:pipe(pair.encrypted)
        pair.cleartext:on("error", function() end)
        pair:on("secure", function() pair.cleartext:pipe(pair.cleartext) end)
        socket:on("close", function() pair:destroy() end)
      end)
      local port = listen(server)
      local out = helper.finish(helper.spawn(string.format(
        "(echo over a server pair; sleep %g) | timeout %g openssl s_client -connect 127.0.0.1:%d "
        .. "-servername localhost -CAfile %s", 0.5 * helper.SLOW, 20 * helper.SLOW, port, certs.path("ca-cert.pem"))))
      assert.matches("Verify return code: 0 %(ok%)", out)
      assert.matches("\nover a server pair", out)
      closeServer(server)
    end)
  end)

  describe("old names", function()
    it("SLAB_BUFFER_SIZE, 'clientError', server.connections, maxConnections on a TLS server", function()
      assert.is_number(tls.SLAB_BUFFER_SIZE)
      local server = tls.createServer(serverOptions(), function(s) s:pipe(s) end)
      server.maxConnections = 1
      local oldErr
      server:on("clientError", function(err) oldErr = err end)
      local port = listen(server)
      local first, got = nil, nil
      first = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = read("ca-cert.pem") },
        function() first:write("x") end)
      first:on("data", function(d) got = d end)
      helper.wait(function() return got end)
      assert.equal(1, server.connections)
      -- a second one is refused while the first is open
      local refused
      local second = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost",
        ca = read("ca-cert.pem") })
      second:on("error", function(e) refused = e end)
      helper.wait(function() return refused end)
      first:destroy()
      helper.wait(function() return server.connections == 0 end)
      -- and the old event name still carries handshake failures
      local raw = net.connect(port, "127.0.0.1", function() end)
      raw:write("GET / HTTP/1.0\r\n\r\n")
      raw:on("error", function() end)
      raw:resume()
      helper.wait(function() return oldErr end)
      raw:destroy()
      assert.matches("^ERR_SSL_", oldErr.code)
      closeServer(server)
    end)
  end)
end)
