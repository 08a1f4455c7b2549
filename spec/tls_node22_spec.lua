-- The TLSSocket, server and context API of current Node that luatls lacked
-- (issue 17): getSharedSigalgs, setServername, setSession, setKeyCert, the
-- getters after destroy, tls.convertALPNProtocols, a read-only
-- tls.rootCertificates, ... each against a real peer (Node's tls module,
-- openssl s_client / s_server) on loopback.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")

local read, path, q = certs.read, certs.path, helper.quote
local needs = helper.needs

local function spawn(cmd, input)
  return helper.spawn("timeout 20 " .. cmd, input)
end

local waitFor = helper.waitFor

local fields = helper.fields

-- A Node TLS server on a free port for `accepts` connections: `options` is
-- JavaScript for its createServer options (r(name) reads a certificate
-- file), `onSecure` JavaScript run with `s` the socket once secure (it
-- prints key=value lines). Returns proc, port once it listens.
local function nodeServer(options, onSecure, accepts)
  local port = helper.freePort()
  local script = string.format([[
const tls = require('tls'), fs = require('fs'), path = require('path');
const r = (n) => fs.readFileSync(path.join(%s, n));
let left = %d;
const srv = tls.createServer(%s, (s) => {
  %s
  s.on('error', () => {});
  if (--left === 0) srv.close();
});
srv.on('tlsClientError', (e) => console.log('clientError=' + e.code));
srv.listen(%d, '127.0.0.1', () => console.log('listening'));
]], string.format("%q", certs.certs()), accepts or 1, options, onSecure, port)
  local proc = spawn("node -e " .. q(script))
  waitFor(proc, "listening")
  return proc, port
end

-- openssl s_server with the server's certificate and its intermediate,
-- answering each line reversed, for `accepts` connections: proc, port
local function sServer(accepts)
  local port = helper.freePort()
  local proc = spawn(string.format("openssl s_server -accept 127.0.0.1:%d -cert %s -key %s -cert_chain %s "
    .. "-naccept %d -rev", port, q(path("server-cert.pem")), q(path("server-key.pem")),
    q(path("intermediate-cert.pem")), accepts))
  waitFor(proc, "ACCEPT")
  return proc, port
end

-- openssl s_client to 127.0.0.1:port, verifying localhost against the test
-- CA, sending input: -> its output (once it has ended)
local function sClient(port, input)
  return helper.finish(spawn(string.format(
    "openssl s_client -connect 127.0.0.1:%d -CAfile %s -servername localhost -verify_return_error -ign_eof",
    port, q(path("ca-cert.pem"))), input), 25000)
end

local function clientOptions(port, extra)
  local o = { port = port, host = "127.0.0.1", ca = read("ca-cert.pem") }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- connect, read until the server ends, and wait for 'close': -> the socket,
-- what it read, its error
local function exchange(options, before)
  local got, err, closed = {}, nil, false
  local c = tls.connect(options)
  if before then before(c) end
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function(e) err = e end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end, nil, "the client's close")
  return c, table.concat(got), err
end

describe("TLSSocket API of current Node", function()
  helper.leakcheck()

  it("getSharedSigalgs() names the shared signature algorithms as a Node server does for the same client", function()
    if not needs("node") then return end
    local shared
    local server = tls.createServer(certs.serverOptions(), function(s)
      shared = s:getSharedSigalgs()
      s:done("bye")
    end)
    local port = helper.listen(server)
    -- one node process: its own server's list for a client with the same
    -- options, then a client to ours
    local script = [[
const tls = require('tls'), fs = require('fs'), path = require('path');
const r = (n) => fs.readFileSync(path.join(process.argv[1], n));
const copts = { host: '127.0.0.1', ca: r('ca-cert.pem'), servername: 'localhost',
  sigalgs: 'ECDSA+SHA256:RSA-PSS+SHA256:ed25519:RSA+SHA384:RSA+SHA256' };
const srv = tls.createServer({ key: r('server-key.pem'), cert: r('server-chain.pem') }, (s) => {
  console.log('node=' + JSON.stringify(s.getSharedSigalgs()));
  s.end();
});
srv.listen(0, '127.0.0.1', () => {
  const c = tls.connect({ ...copts, port: srv.address().port }, () => {
    c.resume();
    c.on('close', () => {
      srv.close();
      const c2 = tls.connect({ ...copts, port: +process.argv[2] }, () => { c2.resume(); });
      c2.on('close', () => console.log('done=1'));
    });
  });
});
]]
    local proc = spawn("node -e " .. q(script) .. " " .. q(certs.certs()) .. " " .. port)
    local out, status = helper.finish(proc, 25000)
    assert.equal(0, status, out)
    helper.wait(function() return shared end)
    local want = fields(out).node
    assert.is_truthy(want, out)
    local list = {}
    for name in want:gmatch('"([^"]+)"') do list[#list + 1] = name end
    assert.same(list, shared)
    -- the five the client offered, in the server's order, named as Node
    -- names them
    assert.same({ "ECDSA+SHA256", "Ed25519+UNDEF", "RSA-PSS+SHA256", "RSA+SHA256", "RSA+SHA384" }, shared)
    helper.closeServer(server, true)
  end)

  it("setServername(name) before the handshake: the SNI sent and the name the identity check uses", function()
    if not needs("node") then return end
    local proc, port = nodeServer("{ key: r('server-key.pem'), cert: r('server-chain.pem') }",
      "console.log('servername=' + s.servername); s.end('hi');", 2)
    -- the certificate is for localhost: the name the client asks for is
    -- the one checked
    local c, got, err = exchange(clientOptions(port), function(c) c:setServername("localhost") end)
    assert.is_nil(err)
    assert.equal("hi", got)
    assert.is_true(c.authorized)
    c, got, err = exchange(clientOptions(port), function(s) s:setServername("other.example") end)
    assert.equal("", got)
    assert.equal("ERR_TLS_CERT_ALTNAME_INVALID", err and err.code, tostring(err))
    assert.is_false(c.authorized)
    local out = helper.finish(proc, 25000)
    assert.matches("servername=localhost\n", out, 1, true)
    -- Node's errors: a name that is no string; any name from a server
    local raw = net.Socket.new()
    local client = tls.TLSSocket(raw, {})
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", client.setServername, client, 5)
    local serverSide = tls.TLSSocket(net.Socket.new(), { isServer = true })
    helper.raisesWith("ERR_TLS_SNI_FROM_SERVER", "Error", serverSide.setServername, serverSide, "x")
    client:destroy()
    serverSide:destroy()
  end)

  it("setSession(session) before the handshake resumes the session a 'session' event gave", function()
    if not needs("node") then return end
    local proc, port = nodeServer("{ key: r('server-key.pem'), cert: r('server-chain.pem') }",
      "console.log('reused=' + s.isSessionReused()); s.end('hi');", 3)
    local session
    local _, got, err = exchange(clientOptions(port, { servername = "localhost" }), function(c)
      c:on("session", function(s) session = session or s end)
    end)
    assert.is_nil(err)
    assert.equal("hi", got)
    assert.is_string(session)
    local reused
    _, got, err = exchange(clientOptions(port, { servername = "localhost" }), function(c)
      c:on("secureConnect", function() reused = c:isSessionReused() end)
      c:setSession(session)
    end)
    assert.is_nil(err)
    assert.equal("hi", got)
    assert.is_true(reused)
    -- bytes that are no session are ignored (a full handshake), as Node's
    local third
    third, got, err = exchange(clientOptions(port, { servername = "localhost" }), function(c)
      c:setSession("not a session")
    end)
    assert.is_nil(err)
    assert.equal("hi", got)
    assert.is_true(third.authorized)
    local out = helper.finish(proc, 25000)
    local n = 0
    for _ in out:gmatch("reused=true") do n = n + 1 end
    assert.equal(1, n, out)
    local raw = net.Socket.new()
    local c = tls.TLSSocket(raw, {})
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", c.setSession, c, 42)
    c:destroy()
  end)

  it("setKeyCert(context) before a server socket's handshake: s_client sees and verifies that certificate", function()
    if not needs("openssl") then return end
    local wrong = tls.createSecureContext({ key = read("wronghost-key.pem"), cert = read("wronghost-cert.pem") })
    local right = tls.createSecureContext({ key = read("server-key.pem"), cert = read("server-chain.pem") })
    local n, secured, noCert = 0, 0, nil
    local server = net.createServer(function(raw)
      n = n + 1
      local s = tls.TLSSocket(raw, { isServer = true, secureContext = wrong })
      if n == 1 then
        -- a context with no certificate, a value that is no table
        noCert = pcall(s.setKeyCert, s, tls.createSecureContext({}))
        helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", s.setKeyCert, s, tls.createSecureContext({}))
        helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", s.setKeyCert, s, 5)
        s:setKeyCert(right)
      else
        s:setKeyCert({ key = read("server-key.pem"), cert = read("server-chain.pem") })
      end
      s:on("secure", function() secured = secured + 1; s:done("keycert " .. n .. "\n") end)
      s:on("error", function() end)
    end)
    local port = helper.listen(server)
    for i = 1, 2 do
      local out = helper.finish(spawn(string.format(
        "openssl s_client -connect 127.0.0.1:%d -CAfile %s -servername localhost -verify_hostname localhost "
        .. "-verify_return_error -ign_eof", port, q(path("ca-cert.pem"))), ""), 25000)
      assert.matches("Verify return code: 0 (ok)", out, 1, true)
      assert.matches("keycert " .. i, out, 1, true)
    end
    assert.equal(2, secured)
    assert.is_false(noCert)
    helper.closeServer(server, true)
  end)

  it("the getters answer nil once the socket is destroyed, as Node's answer null", function()
    if not needs("openssl") then return end
    local proc, port = sServer(1)
    local during, after
    local c
    c = tls.connect(clientOptions(port, { servername = "localhost" }), function()
      during = {
        peer = c:getPeerCertificate(), cert = c:getCertificate(), cipher = c:getCipher(),
        protocol = c:getProtocol(), reused = c:isSessionReused(), sigalgs = c:getSharedSigalgs(),
        eph = c:getEphemeralKeyInfo(), finished = c:getFinished(),
      }
      c:destroy()
    end)
    c:on("close", function()
      after = {
        peer = c:getPeerCertificate(), cert = c:getCertificate(), cipher = c:getCipher(),
        protocol = c:getProtocol(), session = c:getSession(), reused = c:isSessionReused(),
        finished = c:getFinished(), peerFinished = c:getPeerFinished(), eph = c:getEphemeralKeyInfo(),
        ticket = c:getTLSTicket(), sigalgs = c:getSharedSigalgs(), x509 = c:getX509Certificate(),
        peerX509 = c:getPeerX509Certificate(),
      }
    end)
    helper.wait(function() return after end)
    helper.kill(proc)
    assert.equal("localhost", during.peer.subject.CN)
    assert.same({}, during.cert) -- a client with no certificate: {}
    assert.is_table(during.cipher)
    assert.equal("TLSv1.3", during.protocol)
    assert.is_false(during.reused)
    assert.is_table(during.sigalgs)
    assert.is_table(during.eph)
    assert.is_string(during.finished)
    assert.same({}, after) -- every one nil
  end)
end)

describe("tls module functions of current Node", function()
  helper.leakcheck()

  it("convertALPNProtocols(protocols, out) gives Node's wire format and sets out.ALPNProtocols", function()
    if not needs("node") then return end
    local cases = { { "h2", "http/1.1" }, { "x" }, { ("p"):rep(255) } }
    local lines = {}
    for i, c in ipairs(cases) do lines[i] = table.concat(c, ",") end
    local answers = helper.nodeLines(helper.NODE_TO_LUA .. [[
const tls = require('tls');
require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const out = {};
  tls.convertALPNProtocols(l.split(','), out);
  console.log(lua(out.ALPNProtocols));
});
]], lines)
    for i, c in ipairs(cases) do
      local want = load("return " .. answers[i])()
      local out = {}
      assert.equal(want, tls.convertALPNProtocols(c, out))
      assert.equal(want, out.ALPNProtocols)
    end
    -- a string is wire format already (Node's Buffer); other values leave
    -- out alone
    local out = {}
    assert.equal("\2h2", tls.convertALPNProtocols("\2h2", out))
    assert.equal("\2h2", out.ALPNProtocols)
    local untouched = {}
    assert.is_nil(tls.convertALPNProtocols(5, untouched))
    assert.is_nil(next(untouched))
    assert.equal("\2h2", tls.convertALPNProtocols({ "h2" })) -- out is optional
    helper.raisesWith("ERR_OUT_OF_RANGE", "RangeError", tls.convertALPNProtocols, { ("p"):rep(256) }, {})
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.convertALPNProtocols, "\5h2", {})
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.convertALPNProtocols, { "h2" }, 5)
  end)

  it("rootCertificates: PEM strings, read-only as Node's frozen array, the same table each time", function()
    local roots = tls.rootCertificates
    assert.equal(roots, tls.rootCertificates)
    assert.is_true(#roots > 0)
    local n = 0
    for i, pem in ipairs(roots) do
      n = i
      assert.matches("^%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-\n", pem)
    end
    assert.equal(#roots, n)
    local counted = 0
    for _ in pairs(roots) do counted = counted + 1 end
    assert.equal(#roots, counted)
    local first = roots[1]
    local ok, err = pcall(function() roots[1] = "x" end)
    assert.is_false(ok)
    assert.equal("TypeError", err.name)
    assert.matches("read only property '1'", err.message, 1, true)
    ok, err = pcall(function() roots[#roots + 1] = "x" end)
    assert.is_false(ok)
    assert.matches("not extensible", err.message, 1, true)
    ok, err = pcall(function() tls.rootCertificates = {} end)
    assert.is_false(ok)
    assert.equal("TypeError", err.name)
    assert.equal(first, tls.rootCertificates[1])
    assert.is_false(getmetatable(roots))
    -- a root from the list is a certificate OpenSSL takes as a trust anchor
    local X509Certificate = require("luatls.crypto").X509Certificate
    assert.is_true(X509Certificate.new(first).ca)
  end)
end)

describe("options of current Node", function()
  helper.leakcheck()

  -- connect with onread (buffer 4096): the pieces, whether 'data' came,
  -- 'end'; the first callback pauses the socket, a timer resumes it
  local function readWithOnread(connect)
    local pieces, data, ended, closed = {}, false, false, false
    local s
    s = connect({
      buffer = 4096,
      callback = function(nread, buf)
        assert.equal(nread, #buf)
        pieces[#pieces + 1] = buf
        if #pieces == 1 then
          local t = require("luatls.timers").setTimeout(function() s:resume() end, 20)
          assert.is_truthy(t)
          return false
        end
      end,
    })
    s:on("data", function() data = true end)
    s:on("end", function() ended = true end)
    s:on("close", function() closed = true end)
    s:on("error", function(e) error(e) end)
    helper.wait(function() return closed end, nil, "the socket's close")
    return pieces, data, ended, s
  end

  it("onread on tls.connect: pieces of at most buffer bytes to the callback, no 'data', false pauses, 'end'", function()
    if not needs("node") then return end
    local proc, port = nodeServer("{ key: r('server-key.pem'), cert: r('server-chain.pem') }",
      "s.end(Buffer.alloc(100000, 'z'));", 1)
    local pieces, data, ended, s = readWithOnread(function(onread)
      return tls.connect(clientOptions(port, { servername = "localhost", onread = onread }))
    end)
    helper.finish(proc, 25000)
    assert.is_false(data)
    assert.is_true(ended)
    for _, p in ipairs(pieces) do assert.is_true(#p <= 4096 and #p > 0) end
    assert.equal(string.rep("z", 100000), table.concat(pieces))
    assert.equal(100000, s.bytesRead)
  end)

  it("onread on net.connect and tls.TLSSocket; a malformed onread raises", function()
    if not needs("node") then return end
    local port = helper.freePort()
    local proc = spawn("node -e " .. q(string.format([[
const net = require('net');
let left = 1;
const srv = net.createServer((s) => { s.end(Buffer.alloc(30000, 'n')); if (--left === 0) srv.close(); });
srv.listen(%d, '127.0.0.1', () => console.log('listening'));
]], port)))
    waitFor(proc, "listening")
    local pieces, data, ended = readWithOnread(function(onread)
      return net.connect({ port = port, host = "127.0.0.1", onread = onread })
    end)
    helper.finish(proc, 25000)
    assert.is_false(data)
    assert.is_true(ended)
    assert.equal(string.rep("n", 30000), table.concat(pieces))
    -- a TLSSocket over a socket
    local raw = net.Socket.new()
    local s = tls.TLSSocket(raw, { onread = { buffer = "1234", callback = function() end } })
    s:destroy()
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", net.Socket.new, { onread = 5 })
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", net.Socket.new, { onread = { buffer = 10 } })
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.TLSSocket, nil,
      { onread = { buffer = 0, callback = print } })
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.connect,
      { port = port, onread = { buffer = "", callback = print } })
  end)

  it("allowPartialTrustChain: an intermediate in ca is a trust anchor (s_server sends it after the leaf)", function()
    if not needs("openssl") then return end
    local proc, port = sServer(3)
    local function try(extra)
      local got, err, closed = {}, nil, false
      local c
      c = tls.connect(clientOptions(port, { servername = "localhost", ca = read("intermediate-cert.pem"),
        allowPartialTrustChain = extra }), function() c:write("olleh\n") end)
      c:on("data", function(d)
        got[#got + 1] = d
        if table.concat(got):find("\n") then c:destroy() end
      end)
      c:on("error", function(e) err = e end)
      c:on("close", function() closed = true end)
      helper.wait(function() return closed end, nil, "the client's close")
      return table.concat(got), err, c
    end
    -- without it the intermediate is not enough: no root
    local got, err = try(nil)
    assert.equal("", got)
    assert.equal("UNABLE_TO_GET_ISSUER_CERT", err and err.code, tostring(err))
    err = select(2, try(false))
    assert.equal("UNABLE_TO_GET_ISSUER_CERT", err and err.code, tostring(err))
    local c
    got, err, c = try(true)
    assert.is_nil(err)
    assert.equal("hello\n", got)
    assert.is_true(c.authorized)
    helper.kill(proc)
    -- also taken by createSecureContext, createServer and setSecureContext
    assert.is_table(tls.createSecureContext({ ca = read("intermediate-cert.pem"), allowPartialTrustChain = true }))
  end)

end)

describe("tls.Server's 'connection' as Node's", function()
  helper.leakcheck()

  local function echoTLSServer(extra)
    local secured = {}
    local server = tls.createServer(certs.serverOptions(extra), function(s)
      secured[#secured + 1] = s
      s:on("data", function(d) s:done(d) end) -- one line back, then the end
    end)
    return server, secured
  end

  it("server:emit('connection', socket) with a plain socket another server accepted runs the handshake", function()
    if not needs("openssl") then return end
    local tlsServer, secured = echoTLSServer()
    local plain = net.createServer(function(s) tlsServer:emit("connection", s) end)
    local port = helper.listen(plain)
    local out = sClient(port, "handed over\n")
    assert.matches("Verify return code: 0 (ok)", out, 1, true)
    assert.matches("\nhanded over\n", out, 1, true)
    assert.equal(1, #secured)
    assert.is_true(secured[1].encrypted)
    -- a luatls client too
    local c, got, err = exchange(clientOptions(port, { servername = "localhost" }), function(c)
      c:on("secureConnect", function() c:done("again") end)
    end)
    assert.is_nil(err)
    assert.equal("again", got)
    assert.is_true(c.authorized)
    helper.closeServer(plain, true)
    helper.wait(function() return secured[2] and secured[2].destroyed end)
  end)

  it("a 'connection' listener gets the plain socket before TLS; the handshake goes on; close counts it", function()
    if not needs("openssl") then return end
    local server, secured = echoTLSServer()
    local seen = {}
    server:on("connection", function(s) seen[#seen + 1] = s end)
    local port = helper.listen(server)
    local out = sClient(port, "plain first\n")
    assert.matches("Verify return code: 0 (ok)", out, 1, true)
    assert.matches("\nplain first\n", out, 1, true)
    assert.equal(1, #seen)
    assert.is_true(require("luatls.events").instanceOf(seen[1], net.Socket))
    assert.is_nil(seen[1].encrypted)
    assert.equal(1, #secured)
    assert.are_not.equal(seen[1], secured[1])
    -- a connection still open when the server closes is destroyed with it
    local c = tls.connect(clientOptions(port, { servername = "localhost" }))
    c:on("error", function() end)
    helper.wait(function() return #secured == 2 end)
    helper.closeServer(server, true)
    helper.wait(function() return c.destroyed end)
  end)
end)

describe("err.stack", function()
  helper.leakcheck()

  it("Node's form, made when first read: the first line is tostring(err), then the Lua frames of the call", function()
    -- raised in Lua (lua/luatls/errors.lua)
    local function connectWithBadPort() return tls.connect({ port = "x", host = "127.0.0.1" }) end
    local ok, err = pcall(connectWithBadPort)
    assert.is_false(ok)
    assert.is_nil(rawget(err, "stack")) -- not made yet
    local stack = err.stack
    local first = stack:match("^[^\n]+")
    assert.equal(tostring(err), first)
    assert.matches("^RangeError %[ERR_SOCKET_BAD_PORT%]: ", first)
    assert.matches("\n    at [^\n]+ %([^\n]*tls_node22_spec%.lua:%d+%)", stack)
    assert.is_nil(stack:find("errors.lua", 1, true)) -- its own frames are left out
    assert.equal(stack, err.stack) -- kept
    -- raised in C (src/errors.c): the Lua frames of the call that raised it
    ok, err = pcall(tls.createSecureContext, { cert = "no certificate" })
    assert.is_false(ok)
    assert.matches("^Error %[ERR_TLS_INVALID_CERT%]: ", err.stack)
    assert.matches("\n    at createSecureContext %(", err.stack)
    assert.matches("tls_node22_spec%.lua:%d+%)", err.stack)
    -- made by C for an event: no Lua caller
    local port = helper.freePort()
    local c = net.connect(port, "127.0.0.1")
    local evErr
    c:on("error", function(e) evErr = e end)
    helper.wait(function() return c.destroyed and evErr end)
    assert.equal("ECONNREFUSED", evErr.code)
    assert.equal(tostring(evErr) .. "\n    at <luatls event loop>", evErr.stack)
    -- an assigned stack is the stack
    evErr.stack = "mine"
    assert.equal("mine", evErr.stack)
  end)
end)

describe("keys by URI (privateKeyIdentifier) and engines", function()
  helper.leakcheck()

  it("privateKeyIdentifier = 'file:...' (no engine) loads the key through OSSL_STORE; s_client verifies", function()
    if not needs("openssl") then return end
    local served = 0
    local server = tls.createServer({
      cert = read("server-chain.pem"), privateKeyIdentifier = "file:" .. path("server-key.pem"),
    }, function(s)
      served = served + 1
      s:on("data", function(d) s:done(d) end)
    end)
    local port = helper.listen(server)
    local out = sClient(port, "by uri\n")
    assert.matches("Verify return code: 0 (ok)", out, 1, true)
    assert.matches("\nby uri\n", out, 1, true)
    -- an encrypted key with its passphrase, a plain path, from setSecureContext
    server:setSecureContext({ cert = read("server-chain.pem"), privateKeyIdentifier = path("server-key-enc.pem"),
      passphrase = "secret" })
    out = sClient(port, "encrypted\n")
    assert.matches("\nencrypted\n", out, 1, true)
    -- bad values raise where the context is made; the server serves on
    helper.raisesWith("ERR_TLS_INVALID_KEY", "Error", server.setSecureContext, server,
      { cert = read("server-chain.pem"), privateKeyIdentifier = "file:/nonexistent/key.pem" })
    helper.raisesWith("ERR_TLS_KEY_PASSPHRASE", "Error", tls.createSecureContext,
      { cert = read("server-chain.pem"), privateKeyIdentifier = path("server-key-enc.pem"), passphrase = "wrong" })
    helper.raisesWith("ERR_OSSL_X509_KEY_VALUES_MISMATCH", "Error", tls.createSecureContext,
      { cert = read("wronghost-cert.pem"), privateKeyIdentifier = path("server-key.pem") })
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createSecureContext, { privateKeyIdentifier = 5 })
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.createSecureContext,
      { key = read("server-key.pem"), privateKeyIdentifier = path("server-key.pem") })
    -- engines: OpenSSL 3 has providers instead
    for _, name in ipairs({ "privateKeyEngine", "clientCertEngine" }) do
      local err = helper.raisesWith("ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", "TypeError", tls.createSecureContext,
        { [name] = "pkcs11", privateKeyIdentifier = path("server-key.pem") })
      assert.matches("providers", err.message, 1, true)
    end
    out = sClient(port, "still serving\n")
    assert.matches("\nstill serving\n", out, 1, true)
    assert.equal(3, served)
    helper.closeServer(server, true)
  end)

  it("allowHalfOpen on tls.createServer: after a Node client's end(), the server still answers", function()
    if not needs("node") then return end
    local server = tls.createServer(certs.serverOptions({ allowHalfOpen = true }), function(s)
      local got = {}
      s:on("data", function(d) got[#got + 1] = d end)
      s:on("end", function() s:done("after your end: " .. table.concat(got)) end)
    end)
    local port = helper.listen(server)
    local out = helper.finish(spawn("node -e " .. q(string.format([[
const tls = require('tls'), fs = require('fs');
const c = tls.connect({ port: %d, host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(%q) }, () => {
  c.end('ping');
});
let got = '';
c.on('data', (d) => { got += d; });
c.on('end', () => console.log('got=' + got));
]], port, path("ca-cert.pem")))), 25000)
    assert.matches("got=after your end: ping\n", out, 1, true)
    helper.closeServer(server, true)
  end)

  it("timeout on tls.connect: 'timeout' once the connection to openssl s_server was idle that long", function()
    if not needs("openssl") then return end
    local proc, port = sServer(1)
    local hrtime = require("luatls.loop").core.hrtime
    local started, fired, closed = hrtime(), nil, false
    local c = tls.connect(certs.connectOptions(port, { timeout = 300 }))
    c:on("timeout", function()
      fired = (hrtime() - started) / 1e6
      c:destroy()
    end)
    c:on("close", function() closed = true end)
    helper.wait(function() return closed end, 20000)
    helper.finish(proc, 25000)
    assert.is_number(fired)
    assert.is_true(fired >= 250, "the timeout fired after " .. tostring(fired) .. " ms")
    assert.is_true(c.authorized)
  end)
end)
