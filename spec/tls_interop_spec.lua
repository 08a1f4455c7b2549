-- spec/tls_interop_spec.lua: luatls's tls module against real peers on
-- loopback — `openssl s_client` / `s_server`, Node's tls module, curl and
-- Python's ssl module. Every peer runs in the background under `timeout 20`
-- while the test runs the event loop; a peer whose binary is missing makes
-- its tests pending.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")

local q = helper.quote

local needs = helper.needs

local function pem(name) return certs.read(name) end
local function path(name) return certs.path(name) end

-- ---- peers ----------------------------------------------------------------------

-- run a peer in the background, bounded in time
local function spawn(cmd, input)
  return helper.spawn("timeout 20 " .. cmd, input)
end

local function finish(proc)
  return helper.finish(proc, 25000)
end

local waitFor = helper.waitFor

local function sClient(port, args, input)
  return spawn(string.format(
    "openssl s_client -connect 127.0.0.1:%d -CAfile %s -servername localhost -verify_return_error -ign_eof %s",
    port, q(path("ca-cert.pem")), args or ""), input)
end

-- openssl s_server on a free port, answering each line reversed (-rev),
-- one connection (-naccept 1); returns proc, port once it accepts
local function sServer(args, cert, key, chain)
  local port = helper.freePort()
  local proc = spawn(string.format(
    "openssl s_server -accept 127.0.0.1:%d -cert %s -key %s %s -naccept 1 -rev %s",
    port, q(path(cert or "server-cert.pem")), q(path(key or "server-key.pem")),
    chain ~= false and "-cert_chain " .. q(path(chain or "intermediate-cert.pem")) or "",
    args or ""))
  waitFor(proc, "ACCEPT")
  return proc, port
end

local function node(script, ...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = q(a) end
  return spawn("node -e " .. q(script) .. " " .. table.concat(args, " "))
end

local fields = helper.fields

-- ---- luatls servers -----------------------------------------------------------------

-- A TLS server on 127.0.0.1 (or `host`) that echoes what it reads and ends
-- the connection after the first newline. Returns server, port, state:
-- state.secure lists the server-side sockets that reached
-- 'secureConnection' (with what they knew then), state.clientErrors the
-- 'tlsClientError' errors.
local function echoServer(options, host, respond)
  local state = { secure = {}, clientErrors = {}, closed = 0 }
  local server = tls.createServer(options, function(s)
    local info = {
      socket = s,
      authorized = s.authorized,
      authorizationError = s.authorizationError,
      protocol = s:getProtocol(),
      cipher = s:getCipher(),
      peer = s:getPeerCertificate(),
      own = s:getCertificate(),
      remoteAddress = s.remoteAddress,
      remoteFamily = s.remoteFamily,
    }
    state.secure[#state.secure + 1] = info
    local buf = {}
    s:on("data", function(d)
      buf[#buf + 1] = d
      local all = table.concat(buf)
      if respond then
        local reply = respond(all)
        if reply then info.request = all; s:done(reply) end
      else
        s:write(d)
        if all:find("\n", 1, true) then info.request = all; s:done() end
      end
    end)
    s:on("error", function(e) info.err = e end)
    s:on("close", function() state.closed = state.closed + 1 end)
  end)
  server:on("tlsClientError", function(err, s)
    state.clientErrors[#state.clientErrors + 1] = { err = err, socket = s }
  end)
  local port
  server:listen(0, host or "127.0.0.1", function() port = server:address().port end)
  helper.wait(function() return port end, nil, "listening")
  return server, port, state
end

local closeServer = helper.closeServer

local function serverOptions(extra)
  local o = { key = pem("server-key.pem"), cert = pem("server-chain.pem") }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- ---- luatls clients -----------------------------------------------------------------

-- tls.connect(options), write `send` once secure, end after the first
-- newline that comes back; returns what happened once the socket closed.
local function client(options, send)
  local r = { got = {}, events = {} }
  local c
  c = tls.connect(options)
  c:on("secureConnect", function()
    r.events[#r.events + 1] = "secureConnect"
    r.authorized = c.authorized
    r.authorizationError = c.authorizationError
    r.protocol = c:getProtocol()
    r.cipher = c:getCipher()
    r.peer = c:getPeerCertificate()
    if send then c:write(send) else c:done() end
  end)
  c:on("data", function(d)
    r.got[#r.got + 1] = d
    if table.concat(r.got):find("\n", 1, true) then c:done() end
  end)
  c:on("error", function(e)
    r.events[#r.events + 1] = "error"
    r.err = e
  end)
  c:on("close", function() r.closed = true end)
  helper.wait(function() return r.closed end, 20000, "the luatls client to close")
  r.data = table.concat(r.got)
  return r
end

local function clientOptions(port, extra)
  local o = { port = port, host = "127.0.0.1", servername = "localhost", ca = { pem("ca-cert.pem") } }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- what s_client printed about the session
local function sessionOf(out)
  return {
    protocol = out:match("\n%s*Protocol%s*:%s*(%S+)"),
    cipher = out:match("\n%s*Cipher%s*:%s*(%S+)"),
    verify = out:match("Verify return code: ([^\n]*)"),
    -- the leaf's key ("a:PKEY: rsaEncryption, 2048 (bit); sigalg: ...")
    leafKey = out:match("\n%s*0 s:[^\n]*\n[^\n]*\n%s*a:PKEY: ([^;\n]*)"),
    peerSigType = out:match("Peer signature type: ([^\n]*)"),
  }
end

local function showOutput(out)
  if #out > 4000 then out = out:sub(1, 2000) .. "\n[...]\n" .. out:sub(-2000) end
  return "peer output:\n" .. out
end

describe("tls interop", function()
  helper.leakcheck()

  -- ---- 1. a luatls echo server and four clients ---------------------------------------
  describe("a luatls server", function()
    for _, variant in ipairs({
      { name = "TLS 1.3", args = "", protocol = "TLSv1.3" },
      { name = "TLS 1.2", args = "-tls1_2", protocol = "TLSv1.2" },
    }) do
      it("serves openssl s_client over " .. variant.name .. ": echo, verified chain, protocol, cipher", function()
        if not needs("openssl") then return end
        local server, port, state = echoServer(serverOptions())
        local out, status = finish(sClient(port, variant.args, "hello from s_client\n"))
        closeServer(server)
        assert.equal(0, status, showOutput(out))
        assert.matches("hello from s_client\n", out, 1, true)
        local sess = sessionOf(out)
        assert.equal("0 (ok)", sess.verify, showOutput(out))
        assert.equal(variant.protocol, sess.protocol, showOutput(out))
        -- the server socket agrees with the peer on what was negotiated
        assert.equal(1, #state.secure)
        local s = state.secure[1]
        assert.equal(variant.protocol, s.protocol)
        assert.is_table(s.cipher)
        assert.is_string(sess.cipher, showOutput(out))
        assert.equal(sess.cipher, s.cipher.name)
        assert.equal(variant.protocol, s.cipher.version)
        assert.equal("hello from s_client\n", s.request)
        assert.same({}, state.clientErrors)
      end)
    end

    it("serves Node's tls.connect: authorized, getProtocol, echo", function()
      if not needs("node") then return end
      local server, port, state = echoServer(serverOptions())
      local out, status = finish(node([[
        const tls = require('tls'), fs = require('fs');
        const [port, ca] = process.argv.slice(1);
        const s = tls.connect({ port: +port, host: '127.0.0.1', servername: 'localhost',
                                ca: fs.readFileSync(ca) }, () => {
          console.log('authorized=' + s.authorized);
          console.log('protocol=' + s.getProtocol());
          console.log('cipher=' + s.getCipher().name);
          console.log('standardName=' + s.getCipher().standardName);
          s.write('hello from node\n');
        });
        let got = '';
        s.setEncoding('utf8');
        s.on('data', (d) => { got += d; });
        s.on('end', () => { console.log('echo=' + JSON.stringify(got)); });
        s.on('error', (e) => { console.log('error=' + e.code); process.exitCode = 3; });
      ]], tostring(port), path("ca-cert.pem")))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      local f = fields(out)
      assert.equal("true", f.authorized, showOutput(out))
      assert.equal("TLSv1.3", f.protocol)
      assert.equal([["hello from node\n"]], f.echo)
      assert.is_string(f.cipher)
      assert.equal(state.secure[1].cipher.name, f.cipher)
      assert.equal(state.secure[1].cipher.standardName, f.standardName)
      assert.equal("TLSv1.3", state.secure[1].protocol)
    end)

    it("answers curl with HTTP/1.1 over TLS", function()
      if not needs("curl") then return end
      local body = "hello from a luatls https server\n"
      local server, port, state = echoServer(serverOptions(), nil, function(req)
        if not req:find("\r\n\r\n", 1, true) then return nil end
        return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " .. #body ..
          "\r\nConnection: close\r\n\r\n" .. body
      end)
      local out, status = finish(spawn(string.format(
        "curl -sS -v --max-time 15 --cacert %s --resolve localhost:%d:127.0.0.1 https://localhost:%d/",
        q(path("ca-cert.pem")), port, port)))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      assert.matches(body, out, 1, true)
      assert.matches("SSL connection using TLSv1.3", out, 1, true)
      assert.matches("SSL certificate verify ok", out, 1, true)
      assert.matches("^GET / HTTP/1%.1\r\n", state.secure[1].request)
      assert.equal("localhost", state.secure[1].socket.servername)
    end)

    it("serves Python's ssl module: verified, echo, version()", function()
      if not needs("python3") then return end
      local server, port = echoServer(serverOptions())
      local out, status = finish(spawn("python3 -c " .. q([[
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
with socket.create_connection(("127.0.0.1", port)) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        print("version=" + s.version())
        s.sendall(b"hello from python\n")
        got = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
        print("echo=" + repr(got))
]]) .. " " .. port .. " " .. q(path("ca-cert.pem"))))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      local f = fields(out)
      assert.equal("TLSv1.3", f.version)
      assert.equal([[b'hello from python\n']], f.echo)
    end)
  end)

  describe("bulk data", function()
    it("4 MiB from Node's tls.connect through a luatls echo server and back", function()
      if not needs("node") then return end
      local server, port = tls.createServer(serverOptions(), function(s) s:pipe(s) end), nil
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end, nil, "listening")
      local out, status = finish(node([[
        const tls = require('tls'), fs = require('fs'), crypto = require('crypto');
        const [port, ca] = process.argv.slice(1);
        const big = crypto.randomBytes(4 << 20);
        const s = tls.connect({ port: +port, host: '127.0.0.1', servername: 'localhost',
                                ca: fs.readFileSync(ca) }, () => s.end(big));
        const parts = [];
        s.on('data', (d) => parts.push(d));
        s.on('end', () => {
          const got = Buffer.concat(parts);
          console.log('length=' + got.length + ' same=' + got.equals(big));
        });
        s.on('error', (e) => { console.log('error=' + e.code); process.exitCode = 3; });
      ]], tostring(port), path("ca-cert.pem")))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      assert.matches("length=4194304 same=true", out, 1, true)
    end)

    it("4 MiB from a luatls client through Node's tls.createServer echo and back", function()
      if not needs("node") then return end
      local port = helper.freePort()
      local proc = node([[
        const tls = require('tls'), fs = require('fs');
        const [port, dir] = process.argv.slice(1);
        const srv = tls.createServer({ key: fs.readFileSync(dir + '/server-key.pem'),
                                      cert: fs.readFileSync(dir + '/server-chain.pem') }, (s) => {
          srv.close();
          s.pipe(s);
        });
        srv.listen(+port, '127.0.0.1', () => console.log('listening'));
      ]], tostring(port), certs.certs())
      waitFor(proc, "listening")
      local lines = {}
      for i = 1, (4 << 20) // 16 do lines[i] = string.format("%015d\n", i) end
      local big = table.concat(lines)
      local parts, closed, err = {}, false, nil
      local c
      c = tls.connect(clientOptions(port), function() c:done(big) end)
      c:on("data", function(d) parts[#parts + 1] = d end)
      c:on("error", function(e) err = e end)
      c:on("close", function() closed = true end)
      helper.wait(function() return closed end, 20000, "the echo")
      local out = finish(proc)
      assert.is_nil(err, err and tostring(err))
      local got = table.concat(parts)
      assert.equal(#big, #got, showOutput(out))
      assert.is_true(got == big, "the echo differs from what was sent")
    end)
  end)

  -- ---- 2. RSA and ECDSA side by side; 3. pfx -------------------------------------------
  describe("credentials", function()
    it("serves the ECDSA or the RSA certificate by the client's signature algorithms", function()
      if not needs("openssl") then return end
      local server, port, state = echoServer({
        cert = { pem("server-chain.pem"), pem("server-ec-chain.pem") },
        key = { pem("server-key.pem"), pem("server-ec-key.pem") },
      })
      local ec = finish(sClient(port, "-showcerts -sigalgs ECDSA+SHA256", "ecdsa-echo\n"))
      local rsa = finish(sClient(port, "-showcerts -sigalgs RSA-PSS+SHA256:RSA+SHA256", "rsa-echo\n"))
      local ec12 = finish(sClient(port, "-showcerts -tls1_2 -sigalgs ECDSA+SHA256", "ec12-echo\n"))
      closeServer(server)
      for _, out in ipairs({ ec, rsa, ec12 }) do
        assert.equal("0 (ok)", sessionOf(out).verify, showOutput(out))
      end
      assert.matches("ecdsa-echo\n", ec, 1, true)
      assert.matches("rsa-echo\n", rsa, 1, true)
      assert.matches("ec12-echo\n", ec12, 1, true)
      assert.matches("^id%-ecPublicKey, 256 %(bit%)", sessionOf(ec).leafKey, nil, showOutput(ec))
      assert.equal("ECDSA", sessionOf(ec).peerSigType)
      assert.matches("^rsaEncryption, 2048 %(bit%)", sessionOf(rsa).leafKey, nil, showOutput(rsa))
      assert.equal("RSA-PSS", sessionOf(rsa).peerSigType)
      assert.matches("^id%-ecPublicKey", sessionOf(ec12).leafKey, nil, showOutput(ec12))
      -- the server socket names the certificate it used
      assert.equal(3, #state.secure)
      assert.equal("prime256v1", state.secure[1].own.asn1Curve)
      assert.equal(2048, state.secure[2].own.bits)
      assert.is_string(state.secure[2].own.modulus)
      assert.equal("prime256v1", state.secure[3].own.asn1Curve)
    end)

    it("serves from a PKCS#12 file with a passphrase (pfx), chain included", function()
      if not needs("openssl") then return end
      local server, port, state = echoServer({ pfx = pem("server.pfx"), passphrase = "secret" })
      local out, status = finish(sClient(port, "", "from pfx\n"))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      assert.matches("from pfx\n", out, 1, true)
      -- the root alone verifies it: the intermediate came from the pfx
      assert.equal("0 (ok)", sessionOf(out).verify, showOutput(out))
      assert.equal("localhost", state.secure[1].own.subject.CN)
    end)
  end)

  -- ---- 4. a luatls client against openssl s_server and Node -----------------------------
  describe("a luatls client", function()
    for _, variant in ipairs({
      { name = "TLS 1.3", args = "", protocol = "TLSv1.3" },
      { name = "TLS 1.2", args = "-tls1_2", protocol = "TLSv1.2" },
    }) do
      it("talks to openssl s_server over " .. variant.name, function()
        if not needs("openssl") then return end
        local proc, port = sServer(variant.args)
        local r = client(clientOptions(port), "hello luatls\n")
        local out = finish(proc)
        assert.is_nil(r.err, r.err and tostring(r.err))
        assert.is_true(r.authorized, showOutput(out))
        assert.equal(variant.protocol, r.protocol)
        assert.equal(variant.protocol, r.cipher.version)
        assert.equal("localhost", r.peer.subject.CN)
        -- s_server -rev answers each line reversed: data went both ways
        assert.equal("sltaul olleh\n", r.data)
        assert.matches("Protocol version: " .. variant.protocol, out, 1, true)
        local suite = out:match("Ciphersuite: (%S+)")
        assert.is_string(suite, showOutput(out))
        assert.equal(suite, r.cipher.name)
      end)
    end

    for _, variant in ipairs({
      { name = "TLS 1.3", protocol = "TLSv1.3" },
      { name = "TLS 1.2", protocol = "TLSv1.2", maxVersion = "TLSv1.2" },
    }) do
      it("talks to Node's tls.createServer over " .. variant.name, function()
        if not needs("node") then return end
        local port = helper.freePort()
        local proc = node([[
          const tls = require('tls'), fs = require('fs');
          const [port, dir] = process.argv.slice(1);
          const srv = tls.createServer({ key: fs.readFileSync(dir + '/server-key.pem'),
                                        cert: fs.readFileSync(dir + '/server-chain.pem') }, (s) => {
            srv.close();
            console.log('serverProtocol=' + s.getProtocol());
            console.log('serverCipher=' + s.getCipher().name);
            console.log('serverStandardName=' + s.getCipher().standardName);
            s.pipe(s);
          });
          srv.listen(+port, '127.0.0.1', () => console.log('listening'));
        ]], tostring(port), certs.certs())
        waitFor(proc, "listening")
        local r = client(clientOptions(port, { maxVersion = variant.maxVersion }), "echo me, node\n")
        local out, status = finish(proc)
        assert.is_nil(r.err, r.err and tostring(r.err))
        assert.equal(0, status, showOutput(out))
        assert.is_true(r.authorized)
        assert.equal(variant.protocol, r.protocol)
        assert.equal(variant.protocol, fields(out).serverProtocol)
        assert.is_string(fields(out).serverCipher, showOutput(out))
        assert.equal(fields(out).serverCipher, r.cipher.name)
        assert.equal(fields(out).serverStandardName, r.cipher.standardName)
        assert.equal("localhost", r.peer.subject.CN)
        assert.equal("echo me, node\n", r.data)
      end)
    end
  end)

  -- ---- 5. client certificates ---------------------------------------------------------
  describe("client certificates", function()
    it("a luatls server with requestCert accepts s_client's certificate, refuses none, serves on", function()
      if not needs("openssl") then return end
      local server, port, state = echoServer(serverOptions({
        requestCert = true, rejectUnauthorized = true, ca = { pem("ca-cert.pem") },
      }))
      local clientArgs = "-cert " .. q(path("client-cert.pem")) .. " -key " .. q(path("client-key.pem"))

      local out, status = finish(sClient(port, clientArgs, "with a certificate\n"))
      assert.equal(0, status, showOutput(out))
      assert.matches("with a certificate\n", out, 1, true)
      assert.equal(1, #state.secure)
      assert.is_true(state.secure[1].authorized)
      assert.is_nil(state.secure[1].authorizationError)
      assert.equal("client", state.secure[1].peer.subject.CN)

      -- no certificate: the handshake fails on both sides
      out = finish(sClient(port, "", "no-cert-payload\n"))
      assert.matches("alert", out, 1, true)
      assert.not_matches("no-cert-payload\n", out, 1, true)
      helper.wait(function() return #state.clientErrors == 1 end, 5000, "'tlsClientError'")
      assert.equal(1, #state.secure, "no 'secureConnection' for the refused client")
      local err = state.clientErrors[1].err
      assert.equal("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", err.code, tostring(err))

      -- and the next client is served
      out = finish(sClient(port, clientArgs, "next one\n"))
      assert.matches("next one\n", out, 1, true)
      assert.equal(2, #state.secure)
      assert.is_true(state.secure[2].authorized)
      closeServer(server)
    end)

    it("a luatls server with requestCert refuses a certificate its CA did not sign", function()
      if not needs("openssl") then return end
      local server, port, state = echoServer(serverOptions({
        requestCert = true, rejectUnauthorized = true, ca = { pem("ca-cert.pem") },
      }))
      local out = finish(sClient(port, "-cert " .. q(path("selfsigned-cert.pem")) .. " -key "
        .. q(path("selfsigned-key.pem")), "stranger-payload\n"))
      assert.not_matches("stranger-payload\n", out, 1, true)
      helper.drain()
      assert.equal(0, #state.secure, "no 'secureConnection' for an unauthorized client")
      -- with rejectUnauthorized=false the same client is let in, unauthorized,
      -- with the verdict Node gives (INVALID_PURPOSE: a serverAuth-only
      -- self-signed certificate)
      closeServer(server)
      local lax, laxPort, laxState = echoServer(serverOptions({
        requestCert = true, rejectUnauthorized = false, ca = { pem("ca-cert.pem") },
      }))
      out = finish(sClient(laxPort, "-cert " .. q(path("selfsigned-cert.pem")) .. " -key "
        .. q(path("selfsigned-key.pem")), "stranger-payload\n"))
      closeServer(lax)
      assert.matches("stranger-payload\n", out, 1, true)
      assert.equal(1, #laxState.secure)
      assert.is_false(laxState.secure[1].authorized)
      assert.equal("INVALID_PURPOSE", laxState.secure[1].authorizationError)
      assert.equal("localhost", laxState.secure[1].peer.subject.CN)
    end)

    it("a luatls client presents key/cert to openssl s_server -Verify 1", function()
      if not needs("openssl") then return end
      local proc, port = sServer("-Verify 1 -CAfile " .. q(path("ca-cert.pem")))
      local r = client(clientOptions(port, {
        key = pem("client-key.pem"), cert = pem("client-cert.pem"),
      }), "client auth\n")
      local out = finish(proc)
      assert.is_nil(r.err, r.err and tostring(r.err))
      assert.is_true(r.authorized)
      assert.equal("htua tneilc\n", r.data)
      assert.matches("CN = client", out, 1, true)
      assert.not_matches("No peer certificate", out, 1, true)
      assert.not_matches("verify error", out, 1, true)
    end)

    it("a luatls client without a certificate is refused by s_server -Verify 1", function()
      if not needs("openssl") then return end
      local proc, port = sServer("-Verify 1 -CAfile " .. q(path("ca-cert.pem")))
      local r = client(clientOptions(port), "no cert\n")
      local out = finish(proc)
      assert.is_table(r.err, "an 'error' event")
      -- TLS 1.3: the client finishes first, then reads the server's alert (as in Node)
      assert.equal("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", r.err.code, tostring(r.err))
      assert.same({ "secureConnect", "error" }, r.events)
      assert.equal("", r.data)
      assert.matches("peer did not return a certificate", out, 1, true)
    end)
  end)

  -- ---- 6. verification failures, as Node reports them -----------------------------------
  describe("verification failures of a luatls client", function()
    local cases = {
      { name = "a self-signed certificate", cert = "selfsigned-cert.pem", key = "selfsigned-key.pem",
        code = "DEPTH_ZERO_SELF_SIGNED_CERT" },
      { name = "an expired certificate", cert = "expired-cert.pem", key = "expired-key.pem",
        code = "CERT_HAS_EXPIRED" },
      { name = "a certificate for another host", cert = "wronghost-cert.pem", key = "wronghost-key.pem",
        code = "ERR_TLS_CERT_ALTNAME_INVALID" },
      { name = "our test CA without the ca option", cert = "server-chain.pem", key = "server-key.pem",
        code = "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", noCa = true },
    }

    for _, case in ipairs(cases) do
      it(case.name .. " -> 'error' " .. case.code, function()
        local server, port = echoServer({ cert = pem(case.cert), key = pem(case.key) })
        local options = clientOptions(port)
        if case.noCa then options.ca = nil end -- the system store only
        local r = client(options, "x\n")
        closeServer(server)
        assert.is_table(r.err, "an 'error' event")
        assert.equal(case.code, r.err.code, tostring(r.err))
        assert.same({ "error" }, r.events)
        assert.equal("", r.data)
      end)
    end

    it("Node's tls.connect gives the same codes and messages for the same servers", function()
      if not needs("node") then return end
      local servers, ports = {}, {}
      for i, case in ipairs(cases) do
        servers[i], ports[i] = echoServer({ cert = pem(case.cert), key = pem(case.key) })
      end
      -- Node: each server with rejectUnauthorized true (code, message), then
      -- false (authorized, authorizationError)
      local proc = node([[
        const tls = require('tls'), fs = require('fs');
        const [ca, ...ports] = process.argv.slice(1);
        const attempt = (i, reject) => new Promise((resolve) => {
          const opts = { port: +ports[i], host: '127.0.0.1', servername: 'localhost',
                         rejectUnauthorized: reject };
          if (i < ports.length - 1) opts.ca = fs.readFileSync(ca); // the last one: no ca
          const s = tls.connect(opts, () => {
            resolve('authorized=' + s.authorized + ' authorizationError=' + s.authorizationError);
            s.destroy();
          });
          s.on('error', (e) => resolve('code=' + e.code + ' message=' + e.message));
        });
        (async () => {
          for (let i = 0; i < ports.length; i++) {
            console.log('strict' + (i + 1) + ': ' + await attempt(i, true));
            console.log('lax' + (i + 1) + ': ' + await attempt(i, false));
          }
        })();
      ]], path("ca-cert.pem"), table.unpack(ports))
      -- luatls, the same attempts meanwhile
      local ours = {}
      for i, case in ipairs(cases) do
        for _, reject in ipairs({ true, false }) do
          local options = clientOptions(ports[i], { rejectUnauthorized = reject })
          if case.noCa then options.ca = nil end
          local r = client(options)
          ours[(reject and "strict" or "lax") .. i] = r.err
            and ("code=" .. tostring(r.err.code) .. " message=" .. tostring(r.err.message))
            or ("authorized=" .. tostring(r.authorized) .. " authorizationError=" .. tostring(r.authorizationError))
        end
      end
      local out, status = finish(proc)
      for _, server in ipairs(servers) do closeServer(server) end
      assert.equal(0, status, showOutput(out))
      for i, case in ipairs(cases) do
        local strict = out:match("strict" .. i .. ": ([^\n]*)")
        local lax = out:match("lax" .. i .. ": ([^\n]*)")
        assert.equal("code=" .. case.code, strict and strict:match("^code=%S+"), case.name .. ": " .. showOutput(out))
        assert.equal("authorized=false authorizationError=" .. case.code, lax, case.name)
        assert.equal(strict, ours["strict" .. i], case.name)
        assert.equal(lax, ours["lax" .. i], case.name)
      end
    end)

    for _, case in ipairs({ cases[1], cases[3] }) do
      it("rejectUnauthorized=false: " .. case.name .. " connects, authorized false, authorizationError "
        .. case.code, function()
        local server, port = echoServer({ cert = pem(case.cert), key = pem(case.key) })
        local r = client(clientOptions(port, { rejectUnauthorized = false }), "still talking\n")
        closeServer(server)
        assert.is_nil(r.err, r.err and tostring(r.err))
        assert.same({ "secureConnect" }, r.events)
        assert.is_false(r.authorized)
        assert.equal(case.code, r.authorizationError)
        assert.equal("still talking\n", r.data)
      end)
    end

    it("openssl s_server with a self-signed certificate -> DEPTH_ZERO_SELF_SIGNED_CERT", function()
      if not needs("openssl") then return end
      local proc, port = sServer("", "selfsigned-cert.pem", "selfsigned-key.pem", false)
      local r = client(clientOptions(port), "x\n")
      finish(proc)
      assert.is_table(r.err, "an 'error' event")
      assert.equal("DEPTH_ZERO_SELF_SIGNED_CERT", r.err.code)
    end)
  end)

  -- ---- 7. protocol versions the other side refuses ---------------------------------------
  describe("protocol versions", function()
    it("a luatls client limited to TLS 1.2 against s_server -tls1_3 -> 'error' ERR_SSL_*", function()
      if not needs("openssl") then return end
      local proc, port = sServer("-tls1_3")
      local r = client(clientOptions(port, { maxVersion = "TLSv1.2" }), "x\n")
      local out = finish(proc)
      assert.is_table(r.err, "an 'error' event: " .. showOutput(out))
      assert.matches("^ERR_SSL_", r.err.code)
      -- what Node's client reports for the same refusal
      assert.equal("ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", r.err.code, tostring(r.err))
      assert.same({ "error" }, r.events)
    end)

    it("s_client -tls1_1 against a default luatls server: 'tlsClientError', then the next client is served",
      function()
        if not needs("openssl") then return end
        local server, port, state = echoServer(serverOptions())
        -- SECLEVEL=0 so that this OpenSSL sends a TLS 1.1 ClientHello at all
        local out = finish(sClient(port, "-tls1_1 -cipher DEFAULT@SECLEVEL=0", "old-protocol-payload\n"))
        assert.not_matches("old-protocol-payload\n", out, 1, true)
        helper.wait(function() return #state.clientErrors == 1 end, 5000, "'tlsClientError'")
        local err = state.clientErrors[1].err
        assert.matches("^ERR_SSL_", err.code)
        assert.equal("ERR_SSL_UNSUPPORTED_PROTOCOL", err.code, tostring(err)) -- as Node's server says
        assert.matches("alert", out, 1, true)
        assert.equal(0, #state.secure)
        out = finish(sClient(port, "", "next-client-payload\n"))
        assert.matches("next-client-payload\n", out, 1, true)
        assert.equal(1, #state.secure)
        closeServer(server)
      end)
  end)

  -- ---- 8. IPv6 ---------------------------------------------------------------------------
  describe("IPv6", function()
    it("a luatls server on ::1 serves s_client -connect [::1]:PORT", function()
      if not needs("openssl") then return end
      local server, port, state = echoServer(serverOptions(), "::1")
      local out, status = finish(spawn(string.format(
        "openssl s_client -connect '[::1]:%d' -CAfile %s -servername localhost -ign_eof",
        port, q(path("ca-cert.pem"))), "over ipv6\n"))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      assert.matches("over ipv6\n", out, 1, true)
      assert.equal("0 (ok)", sessionOf(out).verify)
      assert.equal("::1", state.secure[1].remoteAddress)
      assert.equal("IPv6", state.secure[1].remoteFamily)
    end)
  end)
end)
