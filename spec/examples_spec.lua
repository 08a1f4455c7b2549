-- The examples run as they are, as separate luatls processes.
local helper = require("spec.helper")
local net = require("luatls.net")

local root = helper.root
local luatls = helper.luatls

local function run(script, args, input)
  return helper.spawn(string.format("cd %s && timeout %d %s examples/%s %s",
    helper.quote(root), 30 * helper.SLOW, helper.quote(luatls), script, args or ""), input)
end

-- wait until something listens on the port
local function waitListening(port)
  local ok = false
  for _ = 1, 100 do
    local done, failed = false, false
    local c = net.connect(port, "127.0.0.1", function() done = true end)
    c:on("error", function() failed = true end)
    helper.wait(function() return done or failed end)
    c:destroy()
    helper.drain()
    if done then ok = true; break end
    helper.sleep(50)
  end
  assert.is_true(ok, "nothing listens on " .. port)
end

describe("examples", function()
  helper.leakcheck()

  setup(function()
    local out, status = helper.sh("bash " .. helper.quote(root .. "/examples/make-certs.sh"))
    assert.equal(0, status, out)
  end)

  it("demo.lua: a TLS echo in one script", function()
    local out, status = helper.finish(run("demo.lua"))
    assert.equal(0, status, out)
    assert.matches("client: connected, authorized by localhost", out)
    assert.matches("server: secure connection from 127%.0%.0%.1 %(TLSv1%.3", out)
    assert.matches("hello from luatls", out)
    assert.matches("server: closed; bye", out)
  end)

  for _, variant in ipairs({ { "tls-echo-server.lua", "tls-echo-client.lua" },
                             { "tls-echo-server-pfx.lua", "tls-echo-client-pfx.lua" },
                             { "tls-echo-server.lua", "tls-echo-client-pfx.lua" } }) do
    it(variant[1] .. " and " .. variant[2] .. " (the seed's echo, client certificates)", function()
      local port = helper.freePort()
      local server = run(variant[1], port)
      waitListening(port)
      local out, status = helper.finish(run(variant[2], port, "hello from stdin\n"))
      local serverOut = helper.kill(server)
      assert.equal(0, status, out)
      assert.matches("client connected authorized", out)
      assert.matches("welcome!", out)
      assert.matches("hello from stdin", out)
      assert.matches("server bound", serverOut)
      assert.matches("server connected authorized", serverOut)
    end)
  end

  it("sni-server.lua: a certificate per host name, and the addContext wildcard", function()
    require("spec.certs").certs()
    local port = helper.freePort()
    local server = run("sni-server.lua", port)
    waitListening(port)
    local expect = { ["localhost"] = "CN = localhost", ["wrong.example.org"] = "CN = wrong.example.org",
                     ["www.example.com"] = "CN = %*%.example%.com" }
    for name, subject in pairs(expect) do
      local out, status = helper.finish(helper.spawn(string.format(
        "timeout 20 openssl s_client -connect 127.0.0.1:%d -servername %s -ign_eof", port, name), ""))
      assert.equal(0, status, out)
      assert.matches("subject=[^\n]*" .. subject, out)
      assert.matches("you asked for " .. name:gsub("%.", "%%."), out)
    end
    helper.kill(server)
  end)

  it("alpn-server.lua: one port, protocols chosen by ALPN", function()
    require("spec.certs").certs()
    local port = helper.freePort()
    local server = run("alpn-server.lua", port)
    waitListening(port)
    -- an echo never ends by itself: wait for it, then end the client
    local echo = helper.spawn(string.format(
      "timeout 20 openssl s_client -connect 127.0.0.1:%d -alpn echo/1 -quiet", port), "ping alpn\n")
    helper.wait(function() return helper.output(echo):find("ping alpn", 1, true) end, 20000, "the echo")
    helper.kill(echo)
    local out
    out = helper.finish(helper.spawn(string.format(
      "timeout 20 openssl s_client -connect 127.0.0.1:%d -alpn time/1 -quiet", port), ""))
    assert.matches("%d%d%d%d%-%d%d%-%d%dT", out)
    if helper.have("curl") then
      out = helper.finish(helper.spawn(string.format(
        "timeout 20 curl -sS --cacert %s https://localhost:%d/", require("spec.certs").path("ca-cert.pem"), port)))
      assert.matches("served over TLSv1%.3 by ALPN", out)
    end
    helper.kill(server)
  end)

  it("ja3-logger.lua: logs each client's JA3, JA3 hash and JA4, and refuses a configured fingerprint", function()
    if not helper.needs("openssl") then return end
    local port = helper.freePort()
    local function sClient(args)
      return helper.finish(helper.spawn(string.format(
        "timeout 20 openssl s_client -connect 127.0.0.1:%d -servername localhost -ign_eof %s", port, args), ""))
    end
    -- first, nothing refused: learn s_client's JA4
    local server = run("ja3-logger.lua", port)
    waitListening(port)
    local out, status = sClient("")
    local ja4 = out:match("your JA4 is (%S+)")
    local log = helper.kill(server)
    assert.equal(0, status, out)
    assert.is_string(ja4, out)
    assert.matches("^t13d%d%d%d%d00_%x+_%x+$", ja4)
    assert.matches("client 127%.0%.0%.1 sni=localhost ja3=771,[%d,%-]+ ja3_hash=%x+ ja4=" .. ja4, log)
    -- then refuse it: the same client fails, another fingerprint (TLS 1.2) is served
    server = run("ja3-logger.lua", port .. " " .. ja4)
    waitListening(port)
    local refusedOut, refusedStatus = sClient("")
    local otherOut, otherStatus = sClient("-tls1_2")
    log = helper.kill(server)
    assert.not_equal(0, refusedStatus, refusedOut)
    assert.matches("alert handshake failure", refusedOut, 1, true)
    assert.matches("refused 127%.0%.0%.1: fingerprint " .. ja4 .. " is refused", log)
    assert.equal(0, otherStatus, otherOut)
    assert.matches("your JA4 is t12d", otherOut, 1, true)
  end)

  it("mini-ca.lua: a CA in memory issues a leaf per SNI name, once; the client trusts only the CA", function()
    local out, status = helper.finish(run("mini-ca.lua"))
    assert.equal(0, status, out)
    for _, name in ipairs({ "alpha%.example", "beta%.example" }) do
      assert.matches("client: " .. name .. ": authorized true, subject CN=" .. name .. ", SANs DNS:" .. name
        .. ", issuer CN=Mini CA", out)
      local _, issued = out:gsub("issuing a certificate for " .. name, "")
      assert.equal(1, issued, out) -- the second alpha.example is served from the cache
    end
    assert.matches("client: got hello beta%.example", out)
    assert.matches("done\n$", out)
  end)

  it("tcp-echo-server.lua and tcp-echo-client.lua", function()
    local port = helper.freePort()
    local server = run("tcp-echo-server.lua", port)
    waitListening(port)
    local out, status = helper.finish(run("tcp-echo-client.lua", port .. " 127.0.0.1 ping"))
    helper.kill(server)
    assert.equal(0, status, out)
    assert.matches("echoed: ping", out)
  end)

  it("https-server.lua: Node's hello server with a certificate made in a line; curl trusts it", function()
    if not helper.needs("curl") then return end
    local port = helper.freePort()
    local certFile = os.tmpname()
    local server = run("https-server.lua", port .. " " .. helper.quote(certFile))
    waitListening(port)
    local out, status = helper.finish(helper.spawn(string.format(
      "curl -sS --cacert %s https://localhost:%d/", helper.quote(certFile), port)))
    local serverOut = helper.kill(server)
    os.remove(certFile)
    assert.equal(0, status, out)
    assert.equal("hello world\n", out)
    assert.matches("listening on https://localhost:" .. port, serverOut, 1, true)
  end)

  it("https-get.lua: Node's https.get example against https-server.lua (its certificate trusted by env)", function()
    local port = helper.freePort()
    local certFile = os.tmpname()
    local server = run("https-server.lua", port .. " " .. helper.quote(certFile))
    waitListening(port)
    local out, status = helper.finish(helper.spawn(string.format(
      "cd %s && LUATLS_EXTRA_CA_CERTS=%s timeout %d %s examples/https-get.lua https://localhost:%d/",
      helper.quote(root), helper.quote(certFile), 30 * helper.SLOW, helper.quote(luatls), port)))
    helper.kill(server)
    os.remove(certFile)
    assert.equal(0, status, out)
    assert.matches("statusCode: 200", out, 1, true)
    assert.matches("date", out, 1, true)
    assert.matches("hello world\n$", out)
    -- an untrusted certificate is an error, as in Node
    server = run("https-server.lua", port)
    waitListening(port)
    out, status = helper.finish(run("https-get.lua", "https://localhost:" .. port .. "/"))
    helper.kill(server)
    assert.equal(1, status, out)
    assert.matches("DEPTH_ZERO_SELF_SIGNED_CERT", out, 1, true)
  end)

  it("mtls-api.lua: users known by their client certificates; no certificate, no connection", function()
    if not helper.needs("curl") then return end
    local port = helper.freePort()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. helper.quote(dir)))
    local server = run("mtls-api.lua", port .. " " .. helper.quote(dir))
    waitListening(port)
    local function curl(user, path)
      local cert = user and string.format("--cert %s/%s.pem --key %s/%s-key.pem", helper.quote(dir), user,
        helper.quote(dir), user) or ""
      return helper.finish(helper.spawn(string.format("curl -sS --cacert %s/ca.pem %s https://localhost:%d%s",
        helper.quote(dir), cert, port, path)))
    end
    assert.equal('{"user":"alice","cn":"alice"}\n', (curl("alice", "/whoami")))
    assert.equal('["bob\'s first note"]\n', (curl("bob", "/notes")))
    assert.equal('{"error":"no account for mallory"}\n', (curl("mallory", "/whoami")))
    local out, status = curl(nil, "/whoami")
    assert.not_equal(0, status, out)
    local serverOut = helper.kill(server)
    os.execute("rm -rf " .. helper.quote(dir))
    assert.matches("alice GET /whoami", serverOut, 1, true)
    assert.matches("refused a client: ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", serverOut, 1, true)
  end)

  it("forward-proxy.lua: curl -x through it, a plain request and a CONNECT tunnel to an https server", function()
    if not helper.needs("curl") then return end
    local port, targetPort = helper.freePort(), helper.freePort()
    local certFile = os.tmpname()
    local target = run("https-server.lua", targetPort .. " " .. helper.quote(certFile))
    local proxy = run("forward-proxy.lua", port)
    waitListening(targetPort)
    waitListening(port)
    local http = require("luatls.http")
    local plain = http.createServer(function(req, res)
      res:setHeader("X-Via-Connection", tostring(req.headers.connection))
      res:done("plain " .. req.method .. " " .. req.url .. " " .. tostring(req.headers["proxy-connection"]))
    end)
    local plainPort = helper.listen(plain)
    local out, status = helper.finish(helper.spawn(string.format(
      "curl -sS -i -x http://127.0.0.1:%d -H 'Proxy-Connection: keep-alive' http://127.0.0.1:%d/p?q=1",
      port, plainPort)))
    assert.equal(0, status, out)
    assert.matches("plain GET /p%?q=1 nil$", out)
    out, status = helper.finish(helper.spawn(string.format(
      "curl -sS -p -x http://127.0.0.1:%d --cacert %s https://localhost:%d/", port, helper.quote(certFile),
      targetPort)))
    assert.equal(0, status, out)
    assert.equal("hello world\n", out)
    out = helper.finish(helper.spawn(string.format("curl -sS -p -x http://127.0.0.1:%d https://localhost:%d/",
      port, helper.freePort())))
    assert.matches("502", out, 1, true)
    helper.closeServer(plain, true)
    local proxyOut = helper.kill(proxy)
    helper.kill(target)
    os.remove(certFile)
    assert.matches("GET http://127.0.0.1:" .. plainPort .. "/p?q=1", proxyOut, 1, true)
    assert.matches("CONNECT localhost:" .. targetPort, proxyOut, 1, true)
  end)

  it("async-client.lua: a sequential HTTPS request against openssl s_server -www", function()
    if not helper.needs("openssl") then return end
    local port = helper.freePort()
    local server = helper.spawn(string.format(
      "cd %s && timeout %d openssl s_server -www -accept %d -cert examples/certs/server-cert.pem " ..
      "-key examples/certs/server-key.pem -quiet", helper.quote(root), 30 * helper.SLOW, port))
    waitListening(port)
    local out, status = helper.finish(run("async-client.lua", port .. " localhost"))
    helper.kill(server)
    assert.equal(0, status, out)
    assert.matches("connected: TLSv1%.3, authorized: true", out)
    assert.matches("server certificate subject: CN=localhost", out)
    assert.matches("status: HTTP/1%.0 200 ok", out)
    assert.matches("header content%-type: text/html", out)
  end)

  it("async-line-server.lua: commands over openssl s_client, a slow one, and the idle deadline", function()
    if not helper.needs("openssl") then return end
    local port = helper.freePort()
    local server = run("async-line-server.lua", port .. " " .. 1000 * helper.SLOW)
    waitListening(port)
    local client = "timeout %d openssl s_client -quiet -connect 127.0.0.1:%d 2>/dev/null"
    local out = helper.finish(helper.spawn(string.format(
      "(printf 'ECHO hi\\nUPPER abc\\nSLOW 50\\nNOPE\\n'; sleep %g; printf 'QUIT\\n'; sleep %g) | " .. client,
      0.5 * helper.SLOW, 0.5 * helper.SLOW, 10 * helper.SLOW, port)))
    assert.equal("READY\nOK hi\nOK ABC\nOK done\nERR unknown command NOPE\nBYE\n", out)
    -- a client that sends nothing is told and dropped after the idle time
    out = helper.finish(helper.spawn(string.format("(printf 'ECHO x\\n'; sleep %g) | " .. client,
      3 * helper.SLOW, 10 * helper.SLOW, port)))
    assert.equal("READY\nOK x\nBYE idle\n", out)
    local serverOut = helper.kill(server)
    assert.matches("line server on 127%.0%.0%.1:" .. port, serverOut)
    assert.matches("closed 127%.0%.0%.1:%d+", serverOut)
  end)

  it("async-proxy.lua: Python's ssl through the proxy to the TCP echo example, 1 MiB both ways", function()
    if not helper.needs("python3") then return end
    local backendPort, port = helper.freePort(), helper.freePort()
    local backend = run("tcp-echo-server.lua", backendPort)
    waitListening(backendPort)
    local proxy = run("async-proxy.lua", port .. " " .. backendPort)
    waitListening(port)
    local out, status = helper.finish(helper.spawn(string.format("timeout %d python3 -c %s %d %s",
      30 * helper.SLOW, helper.quote([[
import socket, ssl, sys, os, hashlib, select
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
data = os.urandom(1024 * 1024)
got = bytearray()
sent = 0
# one thread: an SSL object must not be read and written from two at once
# (Python's ssl does not lock it; that crashed the interpreter here)
s.setblocking(False)
while len(got) < len(data):
    r, w, _ = select.select([s], [s] if sent < len(data) else [], [], 0 if s.pending() else 20)
    if not r and not w and not s.pending(): break
    if w:
        try: sent += s.send(data[sent:sent + 65536])
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError): pass
    try:
        b = s.recv(65536)
        if not b: break
        got.extend(b)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError): pass
print("echoed", len(got), hashlib.sha256(got).digest() == hashlib.sha256(data).digest())
s.close()
]]), port, helper.quote(root .. "/examples/certs/server-cert.pem"))))
    local proxyOut, backendOut = helper.kill(proxy), helper.kill(backend)
    local logs = "\n--- proxy:\n" .. proxyOut .. "\n--- backend:\n" .. backendOut
    assert.equal(0, status, out .. logs)
    assert.equal("echoed 1048576 True\n", out, logs)
  end)

  -- examples/sni-router.lua before two TLS backends in this process, each
  -- with a certificate of its own, saying who it is and what it was asked
  local function backends()
    local certs = require("spec.certs")
    local tls = require("luatls.tls")
    local list, ports = {}, {}
    for _, b in ipairs({ { "A", "server-key.pem", "server-chain.pem" },
                         { "B", "wronghost-key.pem", "wronghost-cert.pem" } }) do
      local srv = tls.createServer({ key = certs.read(b[2]), cert = certs.read(b[3]), ALPNProtocols = { "b/1" } },
        function(s)
          s:done(string.format("backend %s: name %s, alpn %s\n", b[1], s.servername or "-",
            tostring(s.alpnProtocol)))
        end)
      list[#list + 1] = srv
      ports[b[1]] = helper.listen(srv)
    end
    return list, ports
  end

  for _, mode in ipairs({ "", " --pipes" }) do
  it("sni-router.lua" .. mode .. ": backends chosen by server name and ALPN, TLS untouched; bad hellos refused, "
    .. "others served", function()
      if not helper.needs("openssl") then return end
      local list, ports = backends()
      finally(function() for _, srv in ipairs(list) do helper.closeServer(srv, true) end end)
      local port = helper.freePort()
      local router = run("sni-router.lua", string.format("%d localhost=127.0.0.1:%d wrong.example.org=127.0.0.1:%d "
        .. "localhost/b/1=127.0.0.1:%d%s", port, ports.A, ports.B, ports.B, mode))
      waitListening(port)
      local function ask(name, alpn)
        return helper.finish(helper.spawn(string.format(
          "timeout 20 openssl s_client -connect 127.0.0.1:%d -servername %s %s -ign_eof", port, name,
          alpn and "-alpn " .. alpn or ""), ""), 30000)
      end
      local out = ask("localhost")
      assert.matches("subject=[^\n]*CN = localhost", out)
      assert.matches("backend A: name localhost, alpn false", out)
      out = ask("wrong.example.org")
      assert.matches("subject=[^\n]*CN = wrong%.example%.org", out)
      assert.matches("backend B: name wrong%.example%.org", out)
      out = ask("localhost", "b/1")
      assert.matches("backend B: name localhost, alpn b/1", out)
      -- no route, and not TLS at all: the connection closes, the router goes on
      out = ask("nobody.example")
      assert.not_matches("backend", out)
      local plain = net.connect(port, "127.0.0.1")
      local closed = false
      plain:on("error", function() end)
      plain:on("close", function() closed = true end)
      plain:write("GET / HTTP/1.0\r\n\r\n")
      helper.wait(function() return closed end)
      assert.matches("backend A", ask("localhost"))
      local log = helper.kill(router)
      assert.matches("sni%-router listening on " .. port, log)
      if mode ~= "" then -- (the pipes log each connection; tls.createRouter runs no Lua per connection)
        assert.matches("refused [^\n]*127%.0%.0%.1: no route for nobody%.example", log)
        assert.matches("refused [^\n]*127%.0%.0%.1: [^\n]*ERR_TLS_INVALID_CLIENT_HELLO[^\n]*not a TLS handshake", log)
      end
    end)
  end

  for _, mode in ipairs({ "--pipes", "--quiet" }) do
  it("sni-router.lua " .. mode .. ": 1 GiB through the router byte-exact"
    .. (mode == "--pipes" and ", both pipes in C from the replay to the end" or ""), function()
    if not helper.needs("node") then return end
    local certs = require("spec.certs")
    local tls = require("luatls.tls")
    local timers = require("luatls.timers")
    local TOTAL = (os.getenv("LUATLS_SPEC_SLOW") and 256 or 1024) * 1024 * 1024
    local echo = tls.createServer(certs.serverOptions({ allowHalfOpen = true }), function(s) s:pipe(s) end)
    local port = helper.freePort()
    local router = assert(loadfile(root .. "/examples/sni-router.lua"))(tostring(port),
      "localhost=127.0.0.1:" .. helper.listen(echo), "--quiet", mode)
    -- the front socket's forwarding, sampled: once in C, it stays there
    local front, samples, leftC = nil, 0, 0
    if mode == "--pipes" then router:on("connection", function(s) front = s end) end
    local sampler = timers.setInterval(function()
      local h = front and front._handle
      if not h or front.readableEnded then return end
      if h:forwarding() then samples = samples + 1 elseif samples > 0 then leftC = leftC + 1 end
    end, 20)
    local client = helper.spawn(string.format("exec node %s %d %s 7 %d 65536 end-after 0 0 1 0",
      helper.quote(root .. "/test/stress/client.js"), port, helper.quote(certs.path("ca-cert.pem")), TOTAL))
    local out, status = helper.finish(client, 600000 * helper.SLOW)
    timers.clearInterval(sampler)
    helper.closeServer(router, true)
    helper.closeServer(echo, true)
    assert.equal(0, status, out)
    assert.matches(string.format("result sent=%d got=%d intact=true end=end", TOTAL, TOTAL), out, 1, true)
    if mode == "--pipes" then
      assert.is_true(samples > 0, "the router never forwarded in C")
      assert.equal(0, leftC, "the router's pipe left C before the end")
    else
      local st = router:stats()
      assert.equal(1, st.routed)
      assert.equal(0, st.active)
      assert.is_true(st.bytesIn > TOTAL and st.bytesOut > TOTAL, "TLS records wrap the bytes both ways")
    end
  end)
  end
end)
