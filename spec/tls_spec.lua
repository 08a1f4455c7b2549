-- tls: secure contexts, the server and client API, and bad input. The peers
-- here are luatls itself and raw TCP; spec/tls_interop_spec.lua talks to
-- openssl, Node, curl and Python.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")
local core = require("luatls.core")

local read = certs.read

local function serverOptions(extra)
  local o = { key = read("server-key.pem"), cert = read("server-chain.pem") }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function clientOptions(port, extra)
  local o = { port = port, host = "127.0.0.1", servername = "localhost", ca = read("ca-cert.pem") }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- A TLS echo server; returns server, port, and a table of what it saw.
local function echoServer(extra)
  local seen = { clientErrors = {}, secure = 0 }
  local server = tls.createServer(serverOptions(extra), function(s)
    seen.secure = seen.secure + 1
    seen.last = s
    seen.info = {
      servername = s.servername, protocol = s:getProtocol(), authorized = s.authorized,
      cert = s:getCertificate(), peer = s:getPeerCertificate(), eph = s:getEphemeralKeyInfo(),
    }
    s:on("error", function(e) seen.socketError = e end)
    s:pipe(s)
  end)
  server:on("tlsClientError", function(err, socket)
    seen.clientErrors[#seen.clientErrors + 1] = err
    seen.clientErrorSocket = socket
  end)
  local port
  server:listen(0, "127.0.0.1", function() port = server:address().port end)
  helper.wait(function() return port end, nil, "listening")
  return server, port, seen
end

local function closeServer(server) helper.closeServer(server, true) end

-- connect, send, end, and collect the echo
local function roundTrip(port, data, extra)
  local got, closed, err = {}, false, nil
  local c
  c = tls.connect(clientOptions(port, extra), function() c:done(data) end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function(e) err = e end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end, nil, "the TLS round trip")
  return table.concat(got), err, c
end

-- A raw TCP client sending `bytes` (then closing when `close` is true).
local function rawClient(port, bytes, close)
  local got, closed = {}, false
  local c
  c = net.connect(port, "127.0.0.1", function()
    if bytes and #bytes > 0 then c:write(bytes) end
    if close then c:done() end
  end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function() end)
  c:on("close", function() closed = true end)
  return c, function() return closed end, got
end

-- A real ClientHello, as tls.connect sends it.
local function captureClientHello()
  local hello
  local catcher = net.createServer(function(s)
    s:on("data", function(d) hello = hello or d; s:destroy() end)
  end)
  local port
  catcher:listen(0, "127.0.0.1", function() port = catcher:address().port end)
  helper.wait(function() return port end)
  local c = tls.connect(clientOptions(port))
  c:on("error", function() end)
  helper.wait(function() return hello and c.destroyed end, nil, "a ClientHello")
  catcher:close()
  helper.drain()
  return hello
end

describe("tls", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  describe("createSecureContext", function()
    it("loads keys, chains, CAs and pfx, RSA and ECDSA side by side", function()
      assert.is_userdata(tls.createSecureContext(serverOptions()).context)
      tls.createSecureContext({
        key = { read("server-key.pem"), read("server-ec-key.pem") },
        cert = { read("server-chain.pem"), read("server-ec-chain.pem") },
        ca = read("ca-bundle.pem"),
      })
      tls.createSecureContext({ key = { { pem = read("server-key-enc.pem"), passphrase = "secret" } },
        cert = read("server-cert.pem") })
      tls.createSecureContext({ key = read("server-key-enc.pem"), passphrase = "secret",
        cert = read("server-cert.pem") })
      tls.createSecureContext({ pfx = read("server.pfx"), passphrase = "secret" })
      tls.createSecureContext({ pfx = { { buf = read("server.pfx"), passphrase = "secret" } } })
      tls.createSecureContext({ pfx = read("server-nopass.pfx") })
      tls.createSecureContext({ dhparam = read("dhparam-2048.pem"), ecdhCurve = "P-256:X25519",
        ciphers = "ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256",
        secureProtocol = "TLSv1_2_method", secureOptions = tls.constants.SSL_OP_NO_TICKET,
        sessionIdContext = "abc", sigalgs = "RSA-PSS+SHA256:ECDSA+SHA256", honorCipherOrder = true })
    end)

    local function raises(options, code, pattern)
      local ok, err = pcall(tls.createSecureContext, options)
      assert.is_false(ok, "no error for " .. (code or pattern))
      assert.is_table(err, tostring(err))
      if code then assert.equal(code, err.code, tostring(err)) end
      if pattern then assert.matches(pattern, err.message) end
      return err
    end

    it("says what is wrong with bad credentials", function()
      raises({ key = read("server-key-enc.pem"), passphrase = "wrong", cert = read("server-cert.pem") },
        "ERR_TLS_KEY_PASSPHRASE", "wrong passphrase")
      raises({ key = read("server-key-enc.pem"), cert = read("server-cert.pem") },
        "ERR_TLS_KEY_PASSPHRASE", "no passphrase was given")
      raises({ key = read("server-ec-key.pem"), cert = read("server-cert.pem") },
        "ERR_TLS_KEY_MISMATCH", "does not match the certificate")
      -- (OpenSSL's error as it is, as in Node)
      raises({ key = read("wronghost-key.pem"), cert = read("server-cert.pem") },
        "ERR_OSSL_X509_KEY_VALUES_MISMATCH", "^error:05800074:x509 certificate routines::key values mismatch$")
      raises({ cert = "not a certificate" }, "ERR_TLS_INVALID_CERT", "not a PEM certificate")
      raises({ key = "garbage", cert = read("server-cert.pem") }, "ERR_TLS_INVALID_KEY", "not a PEM private key")
      raises({ ca = "garbage" }, "ERR_TLS_INVALID_CA")
      raises({ pfx = read("server.pfx"), passphrase = "wrong" }, "ERR_TLS_PFX_PASSPHRASE")
      raises({ pfx = "garbage" }, "ERR_TLS_INVALID_PFX")
      raises({ ciphers = "NOT-A-CIPHER" }, "ERR_SSL_NO_CIPHER_MATCH", "no cipher match")
      -- as Node: "" is the default list; a list naming nothing is invalid
      raises({ ciphers = ":" }, "ERR_INVALID_ARG_VALUE", "^The property 'options.ciphers' is invalid")
      raises({ ecdhCurve = "nope-curve" }, "ERR_CRYPTO_OPERATION_FAILED", "Failed to set ECDH curve")
      raises({ dhparam = read("dhparam-512.pem") }, "ERR_TLS_DH_PARAM_SIZE", "less than 1024 bits")
      raises({ secureProtocol = "SSLv3_method" }, "ERR_TLS_INVALID_PROTOCOL_METHOD", "SSLv3 methods disabled")
      raises({ secureProtocol = "Nope_method" }, "ERR_TLS_INVALID_PROTOCOL_METHOD", "Unknown method")
      raises({ minVersion = "TLSv9" }, "ERR_TLS_INVALID_PROTOCOL_VERSION")
      raises({ minVersion = "TLSv1.2", secureProtocol = "TLSv1_2_method" }, "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
      raises({ ciphers = 5 }, "ERR_INVALID_ARG_TYPE")
      raises({ key = 5 }, "ERR_INVALID_ARG_TYPE")
    end)

    it("sessionTimeout sets how long sessions stay resumable", function()
      local sc = tls.createSecureContext({ sessionTimeout = 42 })
      assert.equal(42, sc.context:get_timeout())
      assert.equal(300, tls.createSecureContext({}).context:get_timeout())
      local ok, err = pcall(tls.createSecureContext, { sessionTimeout = "long" })
      assert.is_false(ok)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      ok, err = pcall(tls.createSecureContext, { sessionTimeout = -1 })
      assert.is_false(ok)
      assert.equal("ERR_OUT_OF_RANGE", err.code)
      -- a server option too
      local server = tls.createServer(serverOptions({ sessionTimeout = 7 }))
      assert.equal(7, server._secureContext.context:get_timeout())
    end)

    it("module constants and getCiphers", function()
      assert.equal("auto", tls.DEFAULT_ECDH_CURVE)
      assert.equal("TLSv1.2", tls.DEFAULT_MIN_VERSION)
      assert.equal("TLSv1.3", tls.DEFAULT_MAX_VERSION)
      assert.equal(3, tls.CLIENT_RENEG_LIMIT)
      assert.equal(600, tls.CLIENT_RENEG_WINDOW)
      assert.is_number(tls.SLAB_BUFFER_SIZE)
      local ciphers = tls.getCiphers()
      local set = {}
      for _, c in ipairs(ciphers) do set[c] = true; assert.equal(c:lower(), c) end
      assert.is_true(set["aes128-gcm-sha256"])
      assert.is_true(set["tls_aes_256_gcm_sha384"])
      assert.is_true(#tls.rootCertificates > 0)
      assert.matches("^%-%-%-%-%-BEGIN CERTIFICATE", tls.rootCertificates[1])
      assert.is_number(tls.constants.SSL_OP_NO_TLSv1)
    end)
  end)

  describe("server and client", function()
    it("echoes over TLS 1.3 with the connection's details on both sides", function()
      local server, port, seen = echoServer()
      local info = {}
      local c
      c = tls.connect(clientOptions(port), function()
        info.authorized = c.authorized
        info.protocol = c:getProtocol()
        info.cipher = c:getCipher()
        info.peer = c:getPeerCertificate()
        info.chain = c:getPeerCertificate(true)
        info.own = c:getCertificate()
        info.finished = c:getFinished()
        info.peerFinished = c:getPeerFinished()
        info.ekm = c:exportKeyingMaterial(32, "EXPERIMENTAL-luatls", "ctx")
        info.eph = c:getEphemeralKeyInfo()
        info.remote = c.remoteAddress
        c:write("hello ")
        c:done("tls")
      end)
      local got = {}
      c:on("data", function(d) got[#got + 1] = d end)
      local closed = false
      c:on("close", function() closed = true end)
      helper.wait(function() return closed end)
      assert.equal("hello tls", table.concat(got))
      assert.is_true(info.authorized)
      assert.equal("TLSv1.3", info.protocol)
      assert.matches("^TLS_", info.cipher.name)
      assert.equal("TLSv1.3", info.cipher.version)
      assert.equal("localhost", info.peer.subject.CN)
      assert.is_table(info.chain.issuerCertificate)
      assert.same({}, info.own)
      assert.is_string(info.finished)
      assert.is_string(info.peerFinished)
      assert.equal(32, #info.ekm)
      assert.equal("ECDH", info.eph.type)
      assert.equal("127.0.0.1", info.remote)
      local s = seen.info
      assert.equal("localhost", s.servername)
      assert.is_true(seen.last.encrypted)
      assert.equal("TLSv1.3", s.protocol)
      assert.equal("localhost", s.cert.subject.CN)
      assert.same({}, s.peer)
      assert.is_nil(s.eph)
      assert.equal(1, seen.secure)
      closeServer(server)
    end)

    it("exports the same keying material on both ends, and keylog lines", function()
      local serverSide, clientEkm, keylog = nil, nil, {}
      local server = tls.createServer(serverOptions(), function(s)
        serverSide = s:exportKeyingMaterial(16, "label")
        s:resume()
      end)
      server:on("keylog", function(line) keylog[#keylog + 1] = line end)
      local port
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end)
      local c
      c = tls.connect(clientOptions(port), function() clientEkm = c:exportKeyingMaterial(16, "label"); c:done() end)
      local clientLines = {}
      c:on("keylog", function(line) clientLines[#clientLines + 1] = line end)
      c:resume()
      helper.wait(function() return clientEkm and serverSide and c.destroyed end)
      assert.equal(serverSide, clientEkm)
      assert.is_true(#keylog >= 4)
      assert.matches("^[A-Z_]+ %x+ %x+\n$", keylog[1])
      assert.is_true(#clientLines >= 4)
      closeServer(server)
    end)

    it("negotiates TLS 1.2 when told, with TLS 1.2 names", function()
      local server, port = echoServer({ maxVersion = "TLSv1.2" })
      local proto, cipher
      local c
      c = tls.connect(clientOptions(port), function()
        proto, cipher = c:getProtocol(), c:getCipher()
        c:done()
      end)
      c:resume()
      helper.wait(function() return c.destroyed end)
      assert.equal("TLSv1.2", proto)
      assert.equal("TLSv1.2", cipher.version)
      assert.matches("ECDHE", cipher.name)
      closeServer(server)
    end)

    it("wraps an existing net.Socket, connected or not yet", function()
      local server, port = echoServer()
      -- not yet connected
      local raw = net.connect(port, "127.0.0.1")
      local got, done1 = {}, false
      local c1
      c1 = tls.connect({ socket = raw, servername = "localhost", ca = read("ca-cert.pem") }, function()
        c1:done("via socket")
      end)
      c1:on("data", function(d) got[#got + 1] = d end)
      c1:on("close", function() done1 = true end)
      helper.wait(function() return done1 end)
      assert.equal("via socket", table.concat(got))
      -- already connected, through tls.TLSSocket(socket, options)
      local raw2
      local connected = false
      raw2 = net.connect(port, "127.0.0.1", function() connected = true end)
      helper.wait(function() return connected end)
      local s = tls.TLSSocket(raw2, { servername = "localhost",
        secureContext = tls.createSecureContext({ ca = read("ca-cert.pem") }) })
      local secure, got2, done2 = false, {}, false
      s:on("secure", function() secure = true; s:done("wrapped") end)
      s:on("data", function(d) got2[#got2 + 1] = d end)
      s:on("close", function() done2 = true end)
      helper.wait(function() return done2 end)
      assert.is_true(secure)
      assert.equal("wrapped", table.concat(got2))
      assert.is_true(raw2.destroyed)
      closeServer(server)
    end)

    it("connects over a Unix socket with tls.connect(path, options)", function()
      local dir = require("luatls.fs").mkdtempSync("/tmp/luatls-tls-")
      local path = dir .. "/tls.sock"
      local server = tls.createServer(serverOptions(), function(s) s:pipe(s) end)
      local listening = false
      server:listen(path, function() listening = true end)
      helper.wait(function() return listening end)
      local got, closed, c = {}, false, nil
      c = tls.connect(path, { servername = "localhost", ca = read("ca-cert.pem") }, function()
        c:done("over a pipe")
      end)
      c:on("data", function(d) got[#got + 1] = d end)
      c:on("close", function() closed = true end)
      helper.wait(function() return closed end)
      assert.equal("over a pipe", table.concat(got))
      closeServer(server)
      require("luatls.fs").rmSync(dir, { recursive = true })
    end)

    it("resolves the host with options.lookup when given", function()
      local server, port = echoServer()
      local asked
      local got, err = roundTrip(port, "looked up", { host = "my-test-host", servername = "localhost",
        lookup = function(host, _, cb) asked = host; cb(nil, "127.0.0.1", 4) end })
      assert.is_nil(err)
      assert.equal("my-test-host", asked)
      assert.equal("looked up", got)
      closeServer(server)
    end)

    it("servername = \"\" sends no name and checks the certificate against the host, as Node", function()
      local server, port = echoServer()
      local name = false
      server:on("secureConnection", function(s) name = s.servername end)
      local got, err = roundTrip(port, "no name", { host = "localhost", servername = "" })
      assert.is_nil(err)
      assert.equal("no name", got)
      assert.is_nil(name) -- (the server saw no SNI)
      closeServer(server)
    end)

    it("carries 4 MiB both ways with backpressure and an intact digest", function()
      local server, port = echoServer()
      local total = 4 * 1024 * 1024
      local chunk = string.rep("0123456789abcdef", 4096)
      local sentHash, gotHash = core.hash_new("sha256"), core.hash_new("sha256")
      local sent, received = 0, 0
      local c
      local function pump()
        while sent < total do
          local piece = string.pack(">I8", sent) .. chunk:sub(9)
          sent = sent + #piece
          sentHash:update(piece)
          if not c:write(piece) then return c:once("drain", pump) end
        end
        c:done()
      end
      c = tls.connect(clientOptions(port), pump)
      c:on("data", function(d) received = received + #d; gotHash:update(d) end)
      local ended = false
      c:on("end", function() ended = true end)
      helper.wait(function() return ended end, 60000)
      assert.equal(total, received)
      assert.equal(sentHash:digest(), gotHash:digest())
      closeServer(server)
    end)

    it("setMaxSendFragment accepts 512..16384 only", function()
      local server, port = echoServer()
      local results
      local c
      c = tls.connect(clientOptions(port), function()
        results = { c:setMaxSendFragment(511), c:setMaxSendFragment(512),
          c:setMaxSendFragment(16384), c:setMaxSendFragment(16385) }
        c:done()
      end)
      c:resume()
      helper.wait(function() return c.destroyed end)
      assert.same({ false, true, true, false }, results)
      closeServer(server)
    end)

    it("server.setSecureContext changes the certificate for new connections", function()
      local server, port = echoServer()
      local first
      local c
      c = tls.connect(clientOptions(port), function() first = c:getPeerCertificate().subject.CN; c:done() end)
      c:resume()
      helper.wait(function() return c.destroyed end)
      server:setSecureContext({ key = read("wildcard-key.pem"), cert = read("wildcard-cert.pem") })
      local second, authErr
      local c2
      c2 = tls.connect(clientOptions(port, { rejectUnauthorized = false }), function()
        second = c2:getPeerCertificate().subjectaltname
        authErr = c2.authorizationError
        c2:done()
      end)
      c2:resume()
      helper.wait(function() return c2.destroyed end)
      assert.equal("localhost", first)
      assert.matches("example%.com", second)
      assert.equal("ERR_TLS_CERT_ALTNAME_INVALID", authErr)
      closeServer(server)
    end)
  end)

  describe("bad input: the server says why, and serves the next client", function()
    local function expectClientError(bytes, close, check)
      local server, port, seen = echoServer({ handshakeTimeout = 2000 })
      local _, isClosed = rawClient(port, bytes, close)
      helper.wait(function() return #seen.clientErrors > 0 and isClosed() end, nil, "tlsClientError")
      local err = seen.clientErrors[1]
      check(err)
      assert.equal(0, seen.secure)
      assert.is_true(seen.clientErrorSocket.destroyed)
      local echoed, cerr = roundTrip(port, "still serving")
      assert.is_nil(cerr)
      assert.equal("still serving", echoed)
      closeServer(server)
      return err
    end

    it("plain HTTP on the TLS port", function()
      expectClientError("GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, function(err)
        assert.matches("^ERR_SSL_", err.code)
        assert.matches("http request", err.message)
      end)
    end)

    it("random bytes", function()
      local bytes = {}
      for i = 1, 512 do bytes[i] = string.char((i * 131 + 7) % 256) end
      expectClientError(table.concat(bytes), false, function(err)
        assert.matches("^ERR_SSL_", err.code)
      end)
    end)

    it("a truncated ClientHello, then the client goes away", function()
      local hello = captureClientHello()
      assert.equal(22, hello:byte(1)) -- a handshake record
      expectClientError(hello:sub(1, 60), true, function(err)
        assert.equal("ECONNRESET", err.code)
        assert.equal("socket hang up", err.message) -- Node's words on a server
      end)
    end)

    it("a client that closes before saying anything", function()
      expectClientError("", true, function(err)
        assert.equal("ECONNRESET", err.code)
      end)
    end)

    it("an oversized record", function()
      -- a handshake record header announcing 65535 bytes (> 2^14 + 2048)
      expectClientError("\22\3\1\255\255" .. string.rep("A", 600), false, function(err)
        assert.matches("^ERR_SSL_", err.code)
      end)
    end)

    it("a client that never speaks is cut at handshakeTimeout, socket closed", function()
      local server, port, seen = echoServer({ handshakeTimeout = 150 * helper.SLOW })
      local t0 = core.hrtime()
      local _, isClosed = rawClient(port, nil, false)
      helper.wait(function() return #seen.clientErrors > 0 and isClosed() end, 5000, "the handshake timeout")
      local ms = (core.hrtime() - t0) / 1e6
      assert.equal("ERR_TLS_HANDSHAKE_TIMEOUT", seen.clientErrors[1].code)
      assert.equal("TLS handshake timeout", seen.clientErrors[1].message)
      assert.is_true(ms >= 140 * helper.SLOW, "cut after " .. ms .. " ms")
      assert.equal("ok", (roundTrip(port, "ok")))
      closeServer(server)
    end)

    it("also emits the old 'clientError' name when someone listens", function()
      local server, port, seen = echoServer()
      local old
      server:on("clientError", function(err) old = err end)
      local _, isClosed = rawClient(port, "nonsense that is not TLS at all", false)
      helper.wait(function() return old and isClosed() end)
      assert.equal(seen.clientErrors[1], old)
      closeServer(server)
    end)

    it("an error raised inside 'secureConnection' surfaces, and the server goes on", function()
      local n = 0
      local server = tls.createServer(serverOptions(), function(s)
        n = n + 1
        if n == 1 then error("boom in secureConnection") end
        s:pipe(s)
      end)
      local port
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end)
      local c = tls.connect(clientOptions(port))
      c:on("error", function() end)
      local ok, err = pcall(helper.wait, function() return false end, 5000)
      assert.is_false(ok)
      assert.matches("boom in secureConnection", tostring(err))
      c:destroy()
      assert.equal("next", (roundTrip(port, "next")))
      closeServer(server)
    end)

    it("checkServerIdentity: a returned error or a raised one ends the connection", function()
      local server, port = echoServer()
      local mine = require("luatls.errors").new("ERR_MINE", "refused by the script")
      local _, err = roundTrip(port, "x", { checkServerIdentity = function() return mine end })
      assert.equal(mine, err)
      local _, err2 = roundTrip(port, "x", { checkServerIdentity = function() error("raised in check") end })
      assert.matches("raised in check", err2.message)
      local got, err3 = roundTrip(port, "fine", { checkServerIdentity = function(host, cert)
        assert.equal("localhost", host)
        assert.equal("localhost", cert.subject.CN)
      end })
      assert.is_nil(err3)
      assert.equal("fine", got)
      closeServer(server)
    end)

    it("write after end gives ERR_STREAM_WRITE_AFTER_END", function()
      local server, port = echoServer()
      local err, closed
      local c
      c = tls.connect(clientOptions(port), function()
        c:done("bye")
        c:write("late")
      end)
      c:on("error", function(e) err = e end)
      c:on("close", function() closed = true end)
      c:resume()
      helper.wait(function() return closed end)
      assert.equal("ERR_STREAM_WRITE_AFTER_END", err.code)
      assert.equal("again", (roundTrip(port, "again")))
      closeServer(server)
    end)

    it("destroying a socket inside its own 'data' handler", function()
      local destroyedInData = false
      local server = tls.createServer(serverOptions(), function(s)
        s:on("data", function() s:destroy(); destroyedInData = true end)
      end)
      local port
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end)
      local c
      c = tls.connect(clientOptions(port), function() c:write("first"); c:write("second") end)
      local closed = false
      c:on("error", function() end)
      c:on("close", function() closed = true end)
      c:resume()
      helper.wait(function() return closed and destroyedInData end)
      closeServer(server)
    end)

    it("requestCert + rejectUnauthorized: a client without a certificate never reaches 'secureConnection'", function()
      local server, port, seen = echoServer({ requestCert = true, rejectUnauthorized = true, ca = read("ca-cert.pem") })
      local _, err = roundTrip(port, "no cert")
      assert.is_table(err)
      helper.wait(function() return #seen.clientErrors > 0 end)
      assert.equal(0, seen.secure)
      local got, err2 = roundTrip(port, "with cert", { key = read("client-key.pem"), cert = read("client-cert.pem") })
      assert.is_nil(err2)
      assert.equal("with cert", got)
      assert.is_true(seen.info.authorized)
      assert.equal("client", seen.info.peer.subject.CN)
      closeServer(server)
    end)

    it("crl: a client refuses a revoked server certificate (CERT_REVOKED)", function()
      local server, port = echoServer({ key = read("revoked-key.pem"), cert = read("revoked-cert.pem") })
      local got, err = roundTrip(port, "no crl, fine")
      assert.is_nil(err)
      assert.equal("no crl, fine", got)
      local _, err2 = roundTrip(port, "x", { crl = read("ca-crl.pem") })
      assert.equal("CERT_REVOKED", err2 and err2.code)
      closeServer(server)
      -- as in Node, every certificate of the chain needs its CRL then: the
      -- intermediate has none
      local s2, p2 = echoServer()
      local _, err3 = roundTrip(p2, "x", { crl = { read("ca-crl.pem") }, ca = read("ca-bundle.pem") })
      assert.equal("UNABLE_TO_GET_CRL", err3 and err3.code)
      closeServer(s2)
    end)

    it("rejects a server's weak DH parameters (minDHSize)", function()
      local server, port = echoServer({ dhparam = read("dhparam-2048.pem"), maxVersion = "TLSv1.2",
        ciphers = "DHE-RSA-AES128-GCM-SHA256" })
      local _, err = roundTrip(port, "x", { minDHSize = 4096 })
      assert.equal("ERR_TLS_DH_PARAM_SIZE", err and err.code)
      local got, err2 = roundTrip(port, "dh ok", { minDHSize = 2048 })
      assert.is_nil(err2)
      assert.equal("dh ok", got)
      assert.has_error(function() tls.connect({ port = port, minDHSize = 0 }) end)
      closeServer(server)
    end)
  end)
end)
