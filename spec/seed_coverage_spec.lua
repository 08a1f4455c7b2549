-- The seeds' APIs that no other spec exercised (doc/api-coverage.md lists
-- every seed heading and the spec covering it). The peers are luatls
-- servers and clients on 127.0.0.1, plus the `openssl` command for the
-- seed's own certificate recipe.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")
local fs = require("luatls.fs")
local core = require("luatls.core")

local read = certs.read

local function merge(o, extra)
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function serverOptions(extra)
  return merge({ key = read("server-key.pem"), cert = read("server-chain.pem") }, extra)
end

local function clientOptions(port, extra)
  return merge({ port = port, host = "127.0.0.1", servername = "localhost", ca = read("ca-cert.pem") }, extra)
end

local function listen(server, host)
  local port
  server:listen(0, host or "127.0.0.1", function() port = server:address().port end)
  helper.wait(function() return port end, nil, "listening")
  return port
end

local function closeServer(server) helper.closeServer(server, true) end

-- An echo server; seen.sockets lists its 'secureConnection' sockets.
local function echoServer(extra)
  local seen = { sockets = {}, clientErrors = {} }
  local server = tls.createServer(serverOptions(extra), function(s)
    seen.sockets[#seen.sockets + 1] = s
    s:on("error", function() end)
    s:pipe(s)
  end)
  server:on("tlsClientError", function(err) seen.clientErrors[#seen.clientErrors + 1] = err end)
  return server, listen(server), seen
end

-- Connect, run inspect(c) at 'secureConnect', end, wait for 'close'.
-- Returns what inspect returned (or nil) and the client's error.
local function probe(options, inspect)
  local result, err, closed = nil, nil, false
  local c
  c = tls.connect(options, function()
    result = inspect and inspect(c) or true
    c:done()
  end)
  c:on("error", function(e) err = e end)
  c:on("close", function() closed = true end)
  c:resume()
  helper.wait(function() return closed end, nil, "the client's 'close'")
  return result, err
end

local function cipherOf(c) return { protocol = c:getProtocol(), cipher = c:getCipher().name } end

describe("seed coverage", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  describe("the seeds' sections", function()
    it("TLS/SSL Concepts: the seed's openssl recipe (key, CSR, self-signed certificate, .pfx) serves", function()
      if not helper.have("openssl") then return pending("openssl is not installed") end
      local dir = fs.mkdtempSync("/tmp/luatls-seed-")
      local q = helper.quote
      local steps = {
        "openssl genrsa -out ryans-key.pem 2048",
        "openssl req -new -sha256 -key ryans-key.pem -out ryans-csr.pem -subj /CN=localhost",
        "openssl x509 -req -in ryans-csr.pem -signkey ryans-key.pem -out ryans-cert.pem",
        "openssl pkcs12 -export -in ryans-cert.pem -inkey ryans-key.pem -certfile " .. q(certs.path("ca-cert.pem"))
          .. " -out ryans.pfx -passout pass:secret",
      }
      for _, cmd in ipairs(steps) do
        local out, status = helper.sh("cd " .. q(dir) .. " && " .. cmd)
        assert.equal(0, status, cmd .. ":\n" .. out)
      end
      local key, cert = fs.readFileSync(dir .. "/ryans-key.pem"), fs.readFileSync(dir .. "/ryans-cert.pem")
      local pfx = fs.readFileSync(dir .. "/ryans.pfx")
      fs.rmSync(dir, { recursive = true })
      for _, options in ipairs({ { key = key, cert = cert }, { pfx = pfx, passphrase = "secret" } }) do
        local server = tls.createServer(options, function(s) s:pipe(s) end)
        local port = listen(server)
        -- the self-signed certificate is its own CA
        local info, err = probe(clientOptions(port, { ca = cert }), function(c)
          return { authorized = c.authorized, cn = c:getPeerCertificate().subject.CN }
        end)
        assert.is_nil(err)
        assert.same({ authorized = true, cn = "localhost" }, info)
        -- and a client trusting only the test CA refuses it
        local _, err2 = probe(clientOptions(port))
        assert.equal("DEPTH_ZERO_SELF_SIGNED_CERT", err2 and err2.code)
        closeServer(server)
      end
    end)

    it("Modifying the Default TLS Cipher suite: tls.DEFAULT_CIPHERS holds the seed's list without "
      .. "its CBC suites; new contexts read it, `ciphers` overrides it", function()
      -- the seed's default list, in its order (luatls puts TLS 1.3 suites
      -- first), less the CBC suites, which are also kept out of HIGH
      local seedList = { "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256",
        "HIGH", "!aNULL", "!eNULL", "!EXPORT", "!DES",
        "!RC4", "!MD5", "!PSK", "!SRP", "!CAMELLIA", "!SHA1", "!SHA256", "!SHA384" }
      local ours = {}
      for c in tls.DEFAULT_CIPHERS:gmatch("[^:]+") do
        if not c:match("^TLS_") then ours[#ours + 1] = c end
      end
      assert.same(seedList, ours)

      -- a TLS 1.2 client that only has a CBC suite is refused by default ...
      local cbc = { ciphers = "ECDHE-RSA-AES128-SHA256", maxVersion = "TLSv1.2" }
      local s0 = tls.createServer(serverOptions(), function(s) s:resume() end)
      local _, e0 = probe(clientOptions(listen(s0), cbc))
      assert.matches("^ERR_SSL_", e0 and e0.code or "no error")
      closeServer(s0)
      -- ... and served by a server that names it
      local s1 = tls.createServer(serverOptions({ ciphers = "ECDHE-RSA-AES128-SHA256" }), function(s) s:resume() end)
      assert.same({ protocol = "TLSv1.2", cipher = "ECDHE-RSA-AES128-SHA256" },
        (probe(clientOptions(listen(s1), cbc), cipherOf)))
      closeServer(s1)

      local default = tls.DEFAULT_CIPHERS
      tls.DEFAULT_CIPHERS = "ECDHE-RSA-AES256-GCM-SHA384"
      local ok, server = pcall(tls.createServer, serverOptions({ maxVersion = "TLSv1.2" }), function(s) s:resume() end)
      tls.DEFAULT_CIPHERS = default
      assert(ok, server)
      local port = listen(server)
      -- the client offers the default list; the server only knows one
      assert.same({ protocol = "TLSv1.2", cipher = "ECDHE-RSA-AES256-GCM-SHA384" },
        (probe(clientOptions(port), cipherOf)))
      -- a server made now has the default back: the client's `ciphers` choose
      local s2 = tls.createServer(serverOptions({ maxVersion = "TLSv1.2" }), function(s) s:resume() end)
      local p2 = listen(s2)
      assert.same({ protocol = "TLSv1.2", cipher = "ECDHE-RSA-CHACHA20-POLY1305" },
        (probe(clientOptions(p2, { ciphers = "ECDHE-RSA-CHACHA20-POLY1305" }), cipherOf)))
      -- no cipher in common
      local _, err = probe(clientOptions(port, { ciphers = "ECDHE-RSA-AES128-GCM-SHA256", maxVersion = "TLSv1.2" }))
      assert.matches("^ERR_SSL_", err and err.code or "no error")
      closeServer(server)
      closeServer(s2)
    end)

    it("Perfect Forward Secrecy: DHE with dhparam, ECDHE with ecdhCurve or tls.DEFAULT_ECDH_CURVE, "
      .. "as getEphemeralKeyInfo() tells", function()
      local function eph(c) return c:getEphemeralKeyInfo() end
      -- DHE: the dhparam's size
      local dhe = tls.createServer(serverOptions({ dhparam = read("dhparam-2048.pem"), maxVersion = "TLSv1.2",
        ciphers = "DHE-RSA-AES128-GCM-SHA256" }), function(s) s:resume() end)
      local info = probe(clientOptions(listen(dhe)), eph)
      assert.same({ type = "DH", size = 2048 }, info)
      closeServer(dhe)
      -- ECDHE: the curve the server allows
      local ecdhe = tls.createServer(serverOptions({ ecdhCurve = "P-521" }), function(s) s:resume() end)
      assert.same({ type = "ECDH", name = "secp521r1", size = 521 }, (probe(clientOptions(listen(ecdhe)), eph)))
      closeServer(ecdhe)
      -- tls.DEFAULT_ECDH_CURVE is read when a context is made
      assert.equal("auto", tls.DEFAULT_ECDH_CURVE)
      tls.DEFAULT_ECDH_CURVE = "P-384"
      local ok, byDefault = pcall(tls.createServer, serverOptions(), function(s) s:resume() end)
      tls.DEFAULT_ECDH_CURVE = "auto"
      assert(ok, byDefault)
      assert.same({ type = "ECDH", name = "secp384r1", size = 384 }, (probe(clientOptions(listen(byDefault)), eph)))
      closeServer(byDefault)
      -- RSA key exchange is not ephemeral: an empty table; a server socket: nil
      local serverSide
      local rsa = tls.createServer(serverOptions({ maxVersion = "TLSv1.2", ciphers = "AES128-GCM-SHA256" }),
        function(s) serverSide = { s:getEphemeralKeyInfo() }; s:resume() end)
      local rsaInfo = probe(clientOptions(listen(rsa), { ciphers = "AES128-GCM-SHA256" }), function(c)
        return { eph = c:getEphemeralKeyInfo(), cipher = c:getCipher().name }
      end)
      assert.same({ eph = {}, cipher = "AES128-GCM-SHA256" }, rsaInfo)
      helper.wait(function() return serverSide end)
      assert.same({ nil }, serverSide)
      closeServer(rsa)
    end)
  end)

  describe("createSecureContext options", function()
    it("honorCipherOrder: tls.createServer prefers its own order by default; false lets the client choose", function()
      local function pick(extra)
        local server = tls.createServer(serverOptions(merge({ maxVersion = "TLSv1.2",
          ciphers = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256" }, extra)), function(s) s:resume() end)
        local got = probe(clientOptions(listen(server),
          { ciphers = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384" }), cipherOf)
        closeServer(server)
        return got.cipher
      end
      assert.equal("ECDHE-RSA-AES256-GCM-SHA384", pick())
      assert.equal("ECDHE-RSA-AES256-GCM-SHA384", pick({ honorCipherOrder = true }))
      assert.equal("ECDHE-RSA-AES128-GCM-SHA256", pick({ honorCipherOrder = false }))
    end)

    it("secureProtocol and secureOptions limit the protocol a connection speaks", function()
      local server, port = echoServer({ secureProtocol = "TLSv1_2_method" })
      assert.equal("TLSv1.2", (probe(clientOptions(port), cipherOf)).protocol)
      -- a client that wants TLS 1.3 only cannot talk to it
      local _, err = probe(clientOptions(port, { minVersion = "TLSv1.3" }))
      assert.matches("^ERR_SSL_", err and err.code or "no error")
      closeServer(server)
      local s2, p2 = echoServer()
      assert.equal("TLSv1.3", (probe(clientOptions(p2), cipherOf)).protocol)
      assert.equal("TLSv1.2", (probe(clientOptions(p2, { secureOptions = tls.constants.SSL_OP_NO_TLSv1_3 }),
        cipherOf)).protocol)
      closeServer(s2)
    end)

    it("sessionIdContext: servers sharing ticket keys resume each other's sessions only with the same context",
      function()
      local keys = core.random_bytes(48)
      local function start(context)
        local s = tls.createServer(serverOptions({ ticketKeys = keys, sessionIdContext = context,
          maxVersion = "TLSv1.2" }), function(sock) sock:resume() end)
        return s, listen(s)
      end
      local a, pa = start("app-one")
      local b, pb = start("app-one")
      local c, pc = start("app-two")
      local sess = probe(clientOptions(pa), function(cl) return cl:getSession() end)
      assert.is_string(sess)
      local function reused(port)
        return probe(clientOptions(port, { session = sess }), function(cl) return { cl:isSessionReused() } end)[1]
      end
      assert.is_true(reused(pb))
      assert.is_false(reused(pc))
      closeServer(a)
      closeServer(b)
      closeServer(c)
    end)
  end)

  describe("tls.connect and tls.createServer forms", function()
    it("tls.connect(port, host, options, cb) and (port, options, cb); options' own port and host win", function()
      local server, port = echoServer()
      local ca = read("ca-cert.pem")
      local function run(...)
        local got, closed, err = {}, false, nil
        local c
        local args = table.pack(...)
        args[args.n + 1] = function() c:done("form") end
        c = tls.connect(table.unpack(args, 1, args.n + 1))
        c:on("data", function(d) got[#got + 1] = d end)
        c:on("error", function(e) err = e end)
        c:on("close", function() closed = true end)
        helper.wait(function() return closed end)
        return table.concat(got), err
      end
      assert.same({ "form" }, { run(port, "127.0.0.1", { ca = ca, servername = "localhost" }) })
      assert.same({ "form" }, { run(port, { host = "127.0.0.1", ca = ca, servername = "localhost" }) })
      -- the port in options wins over the port argument, the host too
      local unused = helper.freePort()
      assert.same({ "form" }, { run(unused, "127.0.0.2", { port = port, host = "127.0.0.1", ca = ca,
        servername = "localhost" }) })
      closeServer(server)
    end)

    it("tls.connect({ secureContext }): the given context; the other context options are ignored", function()
      local server, port = echoServer()
      local ctx = tls.createSecureContext({ ca = read("ca-cert.pem") })
      -- `ca` alone would not verify this server; the secureContext does
      local info, err = probe(clientOptions(port, { secureContext = ctx, ca = read("selfsigned-cert.pem") }),
        function(c) return { c.authorized } end)
      assert.is_nil(err)
      assert.same({ true }, info)
      local _, err2 = probe(clientOptions(port, { ca = read("selfsigned-cert.pem") }))
      assert.is_table(err2)
      local ok, bad = pcall(tls.connect, clientOptions(port, { secureContext = { context = true } }))
      assert.is_false(ok)
      assert.equal("ERR_INVALID_ARG_TYPE", bad.code)
      closeServer(server)
    end)

    it("tls.createServer(secureConnectionListener) without options, credentials given later", function()
      local secured = 0
      local server = tls.createServer(function(s) secured = secured + 1; s:pipe(s) end)
      local port = listen(server)
      -- no certificate yet: the handshake fails, the server goes on
      local failed
      server:once("tlsClientError", function(e) failed = e end)
      local _, err = probe(clientOptions(port))
      assert.is_table(err)
      helper.wait(function() return failed end)
      server:setSecureContext(serverOptions())
      local info = probe(clientOptions(port), function(c) return { c.authorized } end)
      assert.same({ true }, info)
      helper.wait(function() return secured == 1 end)
      closeServer(server)
    end)
  end)

  describe("tls.Server", function()
    it("listen(port, cb) takes every address; address(); close() refuses new clients, "
      .. "'close' waits for the last one", function()
      local sockets = {}
      local server = tls.createServer(serverOptions(), function(s) sockets[#sockets + 1] = s; s:pipe(s) end)
      local listening = false
      server:listen(0, function() listening = true end)
      helper.wait(function() return listening end)
      local addr = server:address()
      assert.is_number(addr.port)
      assert.is_true(addr.address == "::" or addr.address == "0.0.0.0", addr.address)
      assert.equal(addr.address == "::" and "IPv6" or "IPv4", addr.family)
      assert.is_true(server.listening)
      -- a client on 127.0.0.1 reaches it
      local got, first = {}, nil
      first = tls.connect(clientOptions(addr.port), function() first:write("one") end)
      first:on("data", function(d) got[#got + 1] = d end)
      first:on("error", function() end)
      helper.wait(function() return table.concat(got) == "one" end)
      local count
      server:getConnections(function(err, n) assert.is_nil(err); count = n end)
      helper.wait(function() return count end)
      assert.equal(1, count)
      -- close(): no new clients, the open one goes on, 'close' after it ends
      local closed = false
      server:close(function(err) assert.is_nil(err); closed = true end)
      assert.is_false(server.listening)
      local _, refused = probe(clientOptions(addr.port))
      assert.equal("ECONNREFUSED", refused and refused.code)
      first:write("two")
      helper.wait(function() return table.concat(got) == "onetwo" end)
      helper.sleep(50)
      assert.is_false(closed)
      first:done()
      helper.wait(function() return closed end, nil, "'close' after the last connection")
      assert.equal(0, server.connections)
    end)
  end)

  describe("tls.TLSSocket", function()
    it("address(), localAddress, localPort, remoteAddress, remotePort, remoteFamily on both ends", function()
      local serverSide
      local server = tls.createServer(serverOptions(), function(s)
        serverSide = { address = s:address(), localAddress = s.localAddress, localPort = s.localPort,
          remoteAddress = s.remoteAddress, remotePort = s.remotePort, remoteFamily = s.remoteFamily }
        s:resume()
      end)
      local port = listen(server)
      local client = probe(clientOptions(port), function(c)
        return { address = c:address(), localAddress = c.localAddress, localPort = c.localPort,
          remoteAddress = c.remoteAddress, remotePort = c.remotePort, remoteFamily = c.remoteFamily }
      end)
      helper.wait(function() return serverSide end)
      assert.same({ address = "127.0.0.1", family = "IPv4", port = client.localPort }, client.address)
      assert.equal("127.0.0.1", client.localAddress)
      assert.equal("127.0.0.1", client.remoteAddress)
      assert.equal(port, client.remotePort)
      assert.equal("IPv4", client.remoteFamily)
      assert.same({ address = "127.0.0.1", family = "IPv4", port = port }, serverSide.address)
      assert.equal("127.0.0.1", serverSide.localAddress)
      assert.equal(port, serverSide.localPort)
      assert.equal("127.0.0.1", serverSide.remoteAddress)
      assert.equal(client.localPort, serverSide.remotePort)
      assert.equal("IPv4", serverSide.remoteFamily)
      closeServer(server)
    end)

    it("connection metadata only while the connection is open: getProtocol() nil, 'unknown', the version, nil; "
      .. "getPeerCertificate() nil after close",
      function()
      local server, port = echoServer()
      local seen = {}
      local c = tls.connect(clientOptions(port))
      seen.before = { c:getProtocol() }
      c:on("connect", function() seen.connect = c:getProtocol() end)
      c:on("secureConnect", function()
        seen.secure = { c:getProtocol(), c:getCipher().version, c:getPeerCertificate().subject.CN }
        c:done()
      end)
      local closed = false
      c:on("close", function() closed = true end)
      c:resume()
      helper.wait(function() return closed end)
      assert.same({ nil }, seen.before)
      assert.equal("unknown", seen.connect)
      assert.same({ "TLSv1.3", "TLSv1.3", "localhost" }, seen.secure)
      assert.is_nil(c:getProtocol())
      assert.is_nil(c:getCipher())
      assert.is_nil(c:getPeerCertificate()) -- Node 22: null once destroyed
      assert.is_nil(c:getSession())
      closeServer(server)
    end)

    it("new tls.TLSSocket(socket, { isServer = true, ... }) serves a net.Server connection, "
      .. "SNICallback and ALPNProtocols included", function()
      local ctx = tls.createSecureContext(serverOptions(), true)
      local seen = {}
      local server = net.createServer(function(socket)
        local s = tls.TLSSocket(socket, { isServer = true, secureContext = ctx, ALPNProtocols = { "b", "a" },
          SNICallback = function(name, cb) seen.sni = name; cb(nil, ctx) end })
        seen.encrypted = s.encrypted
        s:on("secure", function()
          seen.secure = { alpn = s.alpnProtocol, servername = s.servername, protocol = s:getProtocol() }
          s:pipe(s)
        end)
        s:on("error", function(e) seen.err = e end)
      end)
      local port = listen(server)
      local got, closed = {}, false
      local c
      c = tls.connect(clientOptions(port, { ALPNProtocols = { "a", "b" } }), function()
        seen.client = { alpn = c.alpnProtocol, authorized = c.authorized }
        c:done("through a server TLSSocket")
      end)
      c:on("data", function(d) got[#got + 1] = d end)
      c:on("close", function() closed = true end)
      helper.wait(function() return closed end)
      assert.equal("through a server TLSSocket", table.concat(got))
      assert.is_true(seen.encrypted)
      assert.equal("localhost", seen.sni)
      assert.same({ alpn = "b", servername = "localhost", protocol = "TLSv1.3" }, seen.secure)
      assert.same({ alpn = "b", authorized = true }, seen.client)
      assert.is_nil(seen.err)
      closeServer(server)
    end)
  end)

  describe("SecurePair", function()
    -- the seed's wiring for a client pair over a net.Socket
    local function clientPair(port, ...)
      local socket = net.connect(port, "127.0.0.1")
      local pair = tls.createSecurePair(...)
      pair.encrypted:pipe(socket)
      socket:pipe(pair.encrypted)
      local state = {}
      pair:on("secure", function()
        state.secure = { authorized = pair.cleartext.authorized, error = pair.cleartext.authorizationError }
        pair.cleartext:done()
      end)
      pair:on("error", function(e) state.err = e end)
      pair.cleartext:on("error", function() end)
      pair.cleartext:resume()
      pair.cleartext:on("close", function() state.closed = true; socket:destroy() end)
      socket:on("error", function() end)
      helper.wait(function() return state.closed end, nil, "the pair's cleartext 'close'")
      helper.drain()
      return state
    end

    it("a client pair refusing the server emits 'error' with the verification code; "
      .. "with rejectUnauthorized false it is 'secure' and unauthorized", function()
      local server, port = echoServer()
      local refused = clientPair(port, tls.createSecureContext({ ca = read("selfsigned-cert.pem") }), false, false,
        true, { servername = "localhost" })
      assert.is_nil(refused.secure)
      assert.equal("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", refused.err and refused.err.code)
      -- no context: the default one (the system's CAs, which do not know the test CA)
      local allowed = clientPair(port, nil, false, false, false, { servername = "localhost" })
      assert.is_nil(allowed.err)
      assert.same({ authorized = false, error = "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" }, allowed.secure)
      closeServer(server)
    end)

    it("takes a SecureContext where the oldest seed took crypto.createCredentials()'s credentials", function()
      -- tls.createSecureContext(details) is the old createCredentials(details)
      local details = serverOptions()
      local ok, err = pcall(tls.createSecurePair, details, true)
      assert.is_false(ok)
      assert.equal("ERR_TLS_INVALID_CONTEXT", err.code) -- as Node's
      assert.matches("SecureContext", err.message)
      local pair = tls.createSecurePair(tls.createSecureContext(details), true)
      assert.is_true(pair.cleartext.encrypted)
      assert.is_true(require("luatls.events").instanceOf(pair.encrypted, tls.CryptoStream))
      pair:destroy()
    end)
  end)

  describe("the oldest seeds' forms", function()
    it("a server-side pair reports its handshake error on the pair and as the server's 'clientError'", function()
      local fakeServer = require("luatls.events").new()
      local serverErr
      fakeServer:on("clientError", function(e) serverErr = e end)
      local pair = tls.createSecurePair(tls.createSecureContext(serverOptions()), true, false, false,
        { server = fakeServer })
      local pairErr
      pair:on("error", function(e) pairErr = e end)
      pair.encrypted:write("GET / HTTP/1.0\r\n\r\n")
      pair.encrypted:resume()
      helper.wait(function() return pairErr and serverErr end, nil, "the pair's error")
      assert.equal("ERR_SSL_HTTP_REQUEST", pairErr.code)
      assert.equal(pairErr, serverErr)
      pair:destroy()
    end)

    it("'newSession'(sessionId, sessionData) without a callback does not hold the connection", function()
      local stored = 0
      local server = tls.createServer(serverOptions(), function(s) s:pipe(s) end)
      server:on("newSession", function(id, data) stored = stored + (#id > 0 and #data > 0 and 1 or 0) end)
      local port = listen(server)
      local echoed
      local c
      c = tls.connect(clientOptions(port, { maxVersion = "TLSv1.2" }), function() c:write("still flows") end)
      c:on("data", function(d) echoed = d; c:destroy() end)
      helper.wait(function() return echoed end, 5000, "the echo")
      assert.equal("still flows", echoed)
      assert.equal(1, stored)
      closeServer(server)
    end)

    it("a client leaving while newSession's cb is pending closes the server's socket at once", function()
      local server = tls.createServer(serverOptions(), function(s) s:pipe(s) end)
      local pending
      server:on("newSession", function(_, _, cb) pending = cb end) -- never answers
      local port = listen(server)
      local c = tls.connect(clientOptions(port, { maxVersion = "TLSv1.2" }))
      c:on("error", function() end)
      helper.wait(function() return pending and server.connections == 1 end)
      c:destroy()
      helper.wait(function() return server.connections == 0 end, 5000, "the server's socket to close")
      pending() -- late: does nothing
      closeServer(server)
    end)

    it("SNICallback(servername) returning the context (0.10) is used", function()
      local wild = tls.createSecureContext({ key = read("wildcard-key.pem"), cert = read("wildcard-cert.pem") })
      local server = tls.createServer(serverOptions({
        SNICallback = function(name) if name == "a.example.com" then return wild end end,
      }), function(s) s:done() end)
      local port = listen(server)
      local san = probe(clientOptions(port, { servername = "a.example.com", ca = read("ca-bundle.pem") }),
        function(c) return c:getPeerCertificate().subjectaltname end)
      assert.equal("DNS:*.example.com", san)
      closeServer(server)
    end)

    it("luatls --tls-cipher-list=LIST sets tls.DEFAULT_CIPHERS, as node's switch", function()
      local out, status = helper.sh(string.format("%s --tls-cipher-list=ECDHE-RSA-AES128-GCM-SHA256 -e %s",
        helper.luatls, helper.quote('print(require("tls").DEFAULT_CIPHERS)')))
      assert.equal(0, status, out)
      assert.equal("ECDHE-RSA-AES128-GCM-SHA256\n", out)
    end)
  end)
end)
