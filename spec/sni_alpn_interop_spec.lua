-- spec/sni_alpn_interop_spec.lua: what a luatls server decides during the
-- handshake — the certificate by SNI (SNICallback, addContext,
-- setSecureContext) and the application protocol (ALPNProtocols,
-- ALPNCallback, NPNProtocols) — checked by real peers on loopback:
-- `openssl s_client` / `s_server`, Node's tls module, curl and Python's ssl.
-- Every peer runs in the background under `timeout 20` while the test runs
-- the event loop; a peer whose binary is missing makes its tests pending.
--
-- The certificates (scripts/make-certs): server-*.pem is CN=localhost by the
-- intermediate, wildcard-*.pem *.example.com and wronghost-*.pem
-- wrong.example.org by the root, selfsigned-*.pem CN=localhost by itself,
-- server-ec-*.pem CN=localhost (ECDSA) by the intermediate.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local fs = require("luatls.fs")
local timers = require("luatls.timers")
local core = require("luatls.core")

local q = helper.quote

local needs = helper.needs

local function pem(name) return certs.read(name) end
local function path(name) return certs.path(name) end

local FILES = {
  localhost = { key = "server-key.pem", cert = "server-chain.pem" },
  wrong = { key = "wronghost-key.pem", cert = "wronghost-cert.pem" },
  wildcard = { key = "wildcard-key.pem", cert = "wildcard-cert.pem" },
  selfsigned = { key = "selfsigned-key.pem", cert = "selfsigned-cert.pem" },
  ec = { key = "server-ec-key.pem", cert = "server-ec-chain.pem" },
}

-- createSecureContext/createServer options for one of FILES, plus `extra`
local function creds(which, extra)
  local o = { key = pem(FILES[which].key), cert = pem(FILES[which].cert) }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- "AB:CD:..." as Node and getCertificate() print it
local function fingerprint(file)
  local out = helper.sh("openssl x509 -noout -fingerprint -sha256 -in " .. q(path(file)))
  return assert(out:match("=([%x:]+)"), out)
end

local function now() return core.hrtime() / 1e6 end

-- ---- peers ----------------------------------------------------------------------

-- peers in the background, bounded in time, ended when the test ends
-- (spec/helper.lua)
local onCleanup, spawn, finish = helper.onCleanup, helper.peer, helper.finishPeer

local function showOutput(out)
  if #out > 4000 then out = out:sub(1, 2000) .. "\n[...]\n" .. out:sub(-2000) end
  return "peer output:\n" .. out
end

local waitFor = helper.waitFor

local REQUEST = "GET / HTTP/1.0\r\nHost: x\r\n\r\n"

-- openssl s_client to 127.0.0.1:port asking for `name` by SNI (nil:
-- -noservername) and checking the certificate against that name with the
-- root + intermediate. Sends an HTTP request and waits for the answer
-- (-ign_eof). Returns what it printed, parsed.
local function sClientProc(port, name, args, input)
  local sni = name and ("-servername " .. q(name) .. " -verify_hostname " .. q(name)) or "-noservername"
  return spawn(string.format("openssl s_client -connect 127.0.0.1:%d -CAfile %s %s -ign_eof %s",
    port, q(path("ca-bundle.pem")), sni, args or ""), input or REQUEST)
end

local function parseSClient(out, status)
  local subject = out:match("\nsubject=([^\n]*)")
  local issuer = out:match("\nissuer=([^\n]*)")
  return {
    out = out,
    status = status,
    subject = subject,
    cn = subject and subject:match("CN%s*=%s*([^,\n]*)"),
    issuerCN = issuer and issuer:match("CN%s*=%s*([^,\n]*)"),
    verify = tonumber(out:match("Verify return code: (%d+)")),
    alpn = out:match("ALPN protocol: ([^\n]*)"),
    noAlpn = out:find("No ALPN negotiated", 1, true) ~= nil,
    npn = out:match("Next protocol: (%([^\n]*)"),
    body = out:match("servername=[^\n]*"),
    noCert = out:find("no peer certificate available", 1, true) ~= nil,
  }
end

local function sClient(port, name, args, input)
  return parseSClient(finish(sClientProc(port, name, args, input)))
end

local function node(script, ...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = q(a) end
  return spawn("node -e " .. q(script) .. " " .. table.concat(args, " "))
end

local function python(script, ...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = q(a) end
  return spawn("python3 -c " .. q(script) .. " " .. table.concat(args, " "))
end

local fields = helper.fields

local closeServer

-- ---- a luatls server that answers minimal HTTP/1.1 (and HTTP/2 for curl) -------

local H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

-- has the client sent the HEADERS frame of stream 1 after its preface?
local function h2Request(buf)
  if buf:sub(1, #H2_PREFACE) ~= H2_PREFACE then return false end
  local i = #H2_PREFACE + 1
  while i + 8 <= #buf do
    local len = (buf:byte(i) << 16) | (buf:byte(i + 1) << 8) | buf:byte(i + 2)
    local ftype = buf:byte(i + 3)
    local stream = ((buf:byte(i + 5) & 0x7f) << 24) | (buf:byte(i + 6) << 16)
      | (buf:byte(i + 7) << 8) | buf:byte(i + 8)
    if ftype == 1 and stream == 1 then return true end
    i = i + 9 + len
  end
  return false
end

-- our SETTINGS (empty), the ack of the client's, and on stream 1 a HEADERS
-- frame (END_STREAM | END_HEADERS) holding ":status: 200" (HPACK static
-- index 8)
local H2_RESPONSE = "\0\0\0\4\0\0\0\0\0" .. "\0\0\0\4\1\0\0\0\0" .. "\0\0\1\1\5\0\0\0\1\x88"

-- A TLS server on 127.0.0.1 answering an HTTP request with the body
-- "servername=<socket.servername> alpn=<socket.alpnProtocol>\n", then
-- closing. Returns server, port, state:
--   state.secure        one entry per 'secureConnection': what the socket
--                       knew then (servername, alpn, npn, own certificate)
--   state.clientErrors  { err=, socket= } per 'tlsClientError'
--   state.connections   the sockets of the 'connection' events
local function httpServer(options, onSecure)
  local state = { secure = {}, clientErrors = {}, connections = {}, closed = 0 }
  local server = tls.createServer(options, function(s)
    local own = s:getCertificate()
    local info = {
      socket = s,
      servername = s.servername,
      alpn = s.alpnProtocol,
      npn = s.npnProtocol,
      cn = own.subject and own.subject.CN,
      fingerprint = own.fingerprint256,
      at = now(),
    }
    state.secure[#state.secure + 1] = info
    if onSecure then onSecure(s, info) end
    local buf = ""
    s:on("data", function(d)
      buf = buf .. d
      if info.responded then return end
      if h2Request(buf) then
        info.responded = true
        info.request = buf
        s:write(H2_RESPONSE)
      elseif buf:sub(1, 3) ~= "PRI" and buf:find("\r?\n\r?\n") then
        info.responded = true
        info.request = buf
        local body = "servername=" .. tostring(s.servername) .. " alpn=" .. tostring(s.alpnProtocol) .. "\n"
        s:done("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " .. #body ..
          "\r\nConnection: close\r\n\r\n" .. body)
      end
    end)
    s:on("error", function(e) info.err = e end)
    s:on("close", function() state.closed = state.closed + 1 end)
  end)
  server:on("connection", function(s) state.connections[#state.connections + 1] = s end)
  server:on("tlsClientError", function(err, s)
    state.clientErrors[#state.clientErrors + 1] = { err = err, socket = s }
  end)
  local port
  server:listen(0, "127.0.0.1", function() port = server:address().port end)
  helper.wait(function() return port end, nil, "listening")
  -- whatever happens in the test, the server and its sockets end with it
  onCleanup(function()
    for _, s in ipairs(state.connections) do
      if not s.destroyed then s:destroy() end
    end
    closeServer(server)
  end)
  return server, port, state
end

-- close (once) and wait for it
function closeServer(server)
  if server._specClosed then return end
  server._specClosed = true
  local closed = false
  server:close(function() closed = true end)
  helper.wait(function() return closed end, 10000, "the server to close")
end

-- the server and the sockets it still has
local function closeAll(server, state)
  for _, s in ipairs(state.connections) do
    if not s.destroyed then s:destroy() end
  end
  closeServer(server)
end

-- a luatls client: connect, send `send` once secure (or end at once), end
-- after the first newline back when `lineEnds` (s_server -rev never closes),
-- wait for the close; returns what happened
local function client(options, send, lineEnds)
  local r = { got = {}, events = {} }
  local c = tls.connect(options)
  r.socket = c
  c:on("secureConnect", function()
    r.events[#r.events + 1] = "secureConnect"
    r.authorized = c.authorized
    r.authorizationError = c.authorizationError
    r.alpn = c.alpnProtocol
    r.npn = c.npnProtocol
    r.peer = c:getPeerCertificate()
    if send then c:write(send) else c:done() end
  end)
  c:on("data", function(d)
    r.got[#r.got + 1] = d
    if lineEnds and d:find("\n", 1, true) then c:done() end
  end)
  c:on("end", function() c:done() end)
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

-- ---- an SNICallback that reads the certificate from disk --------------------------

-- SNICallback(servername, cb) answering "localhost" and "wrong.example.org"
-- with credentials read by fs.readFile (a real asynchronous read), and every
-- other name with nil (the default context). calls[] records each call and
-- whether cb ran after SNICallback had returned.
local function fileSNI()
  local calls = {}
  local byName = { localhost = FILES.localhost, ["wrong.example.org"] = FILES.wrong }
  local function SNICallback(servername, cb)
    local call = { servername = servername, returned = false }
    calls[#calls + 1] = call
    local files = servername and byName[servername:lower()]
    if not files then
      call.async = true
      timers.setImmediate(function() cb(nil, nil) end)
      call.returned = true
      return
    end
    fs.readFile(path(files.key), function(err, key)
      if err then return cb(err) end
      fs.readFile(path(files.cert), function(err2, cert)
        if err2 then return cb(err2) end
        call.async = call.returned
        cb(nil, tls.createSecureContext({ key = key, cert = cert }))
      end)
    end)
    call.returned = true
  end
  return SNICallback, calls
end

-- the SNICallback server: default certificate *.example.com
local function sniServer()
  local SNICallback, calls = fileSNI()
  local server, port, state = httpServer(creds("wildcard", { SNICallback = SNICallback }))
  return server, port, state, calls
end

-- the certificate each name should get from sniServer()
local SNI_EXPECT = {
  { name = "localhost", cn = "localhost" },
  { name = "wrong.example.org", cn = "wrong.example.org" },
  { name = "a.example.com", cn = "*.example.com" },
}

describe("SNI and ALPN interop", function()

  -- ---- 1. SNI: an asynchronous SNICallback; addContext --------------------------------
  describe("SNI", function()
    helper.leakcheck()

    it("openssl s_client -servername: the SNICallback's certificate (read with fs.readFile), "
      .. "the default for other names, socket.servername on the server", function()
      if not needs("openssl") then return end
      local server, port, state, calls = sniServer()
      for i, case in ipairs(SNI_EXPECT) do
        local r = sClient(port, case.name)
        assert.equal(case.cn, r.cn, case.name .. ": " .. showOutput(r.out))
        assert.equal(0, r.verify, case.name .. ": the certificate fits the name: " .. showOutput(r.out))
        assert.equal(0, r.status, showOutput(r.out))
        assert.equal("servername=" .. case.name .. " alpn=false", r.body, showOutput(r.out))
        assert.equal(i, #state.secure)
        assert.equal(case.name, state.secure[i].servername)
        assert.equal(case.cn, state.secure[i].cn)
      end
      -- the callback ran once per name, answered after it had returned
      assert.equal(#SNI_EXPECT, #calls)
      for i, case in ipairs(SNI_EXPECT) do
        assert.equal(case.name, calls[i].servername)
        assert.is_true(calls[i].async, "the answer came from the loop, not inline")
      end
      -- the chain is what the file holds: localhost comes with its intermediate
      local r = sClient(port, "localhost", "-showcerts")
      assert.equal("luatls Test Intermediate CA", r.issuerCN, showOutput(r.out))
      assert.matches("1 s:[^\n]*CN = luatls Test Intermediate CA", r.out)
      closeServer(server)
      assert.same({}, state.clientErrors)
    end)

    it("a client without SNI (s_client -noservername): the default certificate, socket.servername nil, "
      .. "SNICallback not called (as Node: only for clients that send SNI)", function()
      if not needs("openssl") then return end
      local server, port, state, calls = sniServer()
      local r = sClient(port, nil)
      closeServer(server)
      assert.equal("*.example.com", r.cn, showOutput(r.out))
      assert.equal(0, r.status, showOutput(r.out))
      assert.equal("servername=nil alpn=false", r.body, showOutput(r.out))
      assert.equal(1, #state.secure)
      assert.is_nil(state.secure[1].servername)
      assert.is_nil(state.secure[1].socket.servername)
      assert.equal(0, #calls, "SNICallback was called for a client without SNI (servername "
        .. tostring(calls[1] and calls[1].servername) .. ")")
    end)

    it("with an SNICallback that answers nil, addContext() entries come before the default (unlike Node, "
      .. "which ignores them: documented in the README)", function()
      if not needs("openssl") then return end
      local server, port, state, calls = sniServer()
      server:addContext("other.example.com", creds("selfsigned"))
      local r = sClient(port, "other.example.com")
      local r2 = sClient(port, "plain.example.com")
      closeServer(server)
      assert.equal(2, #calls)
      assert.equal("other.example.com", state.secure[1].servername)
      -- the callback answered nil: the addContext() entry for that name
      assert.equal("localhost", r.cn, "the addContext() entry was not used: " .. showOutput(r.out))
      -- and for a name without an entry, the server's own certificate
      assert.equal("*.example.com", r2.cn)
      assert.equal(0, r2.verify)
    end)

    it("curl --resolve NAME:PORT:127.0.0.1 verifies the certificate each name gets (--cacert ca-bundle.pem)",
      function()
        if not needs("curl") then return end
        local server, port, state = sniServer()
        local function curl(name)
          return finish(spawn(string.format(
            "curl -sS --max-time 15 --cacert %s --resolve %s:%d:127.0.0.1 https://%s:%d/",
            q(path("ca-bundle.pem")), name, port, name, port)))
        end
        for _, name in ipairs({ "localhost", "wrong.example.org", "a.example.com" }) do
          local out, status = curl(name)
          assert.equal(0, status, name .. ": " .. showOutput(out))
          assert.equal("servername=" .. name .. " alpn=false\n", out)
        end
        -- a name no certificate fits: the default *.example.com, which curl refuses
        local out, status = curl("nomatch.test")
        closeServer(server)
        assert.equal(60, status, showOutput(out)) -- CURLE_PEER_FAILED_VERIFICATION
        assert.matches("nomatch.test", out, 1, true)
        -- (curl checks the name after the handshake: the server saw it complete)
        assert.equal(4, #state.secure)
        assert.equal("localhost", state.secure[1].servername)
        assert.equal("wrong.example.org", state.secure[2].servername)
        assert.equal("a.example.com", state.secure[3].servername)
        assert.equal("nomatch.test", state.secure[4].servername)
        assert.equal("*.example.com", state.secure[4].cn)
      end)

    it("Node's tls.connect({ servername }): getPeerCertificate().subject.CN and subjectaltname per name",
      function()
        if not needs("node") then return end
        local server, port, state = sniServer()
        local names = {}
        for i, case in ipairs(SNI_EXPECT) do names[i] = case.name end
        local out, status = finish(node([[
          const tls = require('tls'), fs = require('fs');
          const [port, ca, ...names] = process.argv.slice(1);
          (async () => {
            for (const [i, name] of names.entries()) {
              await new Promise((resolve) => {
                const s = tls.connect({ port: +port, host: '127.0.0.1', servername: name,
                                        ca: fs.readFileSync(ca), rejectUnauthorized: false }, () => {
                  const c = s.getPeerCertificate();
                  console.log(`cn${i}=${c.subject.CN}`);
                  console.log(`san${i}=${c.subjectaltname}`);
                  console.log(`authorized${i}=${s.authorized}`);
                  s.write('GET / HTTP/1.0\r\n\r\n');
                });
                let got = '';
                s.setEncoding('utf8');
                s.on('data', (d) => { got += d; });
                s.on('end', () => { console.log(`body${i}=` + (got.match(/servername=.*/) || [''])[0]); });
                s.on('close', resolve);
                s.on('error', (e) => { console.log(`error${i}=${e.code}`); process.exitCode = 3; });
              });
            }
          })();
        ]], tostring(port), path("ca-bundle.pem"), table.unpack(names)))
        closeServer(server)
        assert.equal(0, status, showOutput(out))
        local f = fields(out)
        local san = {
          localhost = "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
          ["wrong.example.org"] = "DNS:wrong.example.org",
          ["*.example.com"] = "DNS:*.example.com",
        }
        for i, case in ipairs(SNI_EXPECT) do
          local k = tostring(i - 1)
          assert.equal(case.cn, f["cn" .. k], case.name .. ": " .. showOutput(out))
          assert.equal(san[case.cn], f["san" .. k], case.name)
          assert.equal("true", f["authorized" .. k], case.name)
          assert.equal("servername=" .. case.name .. " alpn=false", f["body" .. k], case.name)
          assert.equal(case.name, state.secure[i].servername)
        end
      end)

    it("Python's ssl (server_hostname): verified for each name, refused for a name the default does not fit",
      function()
        if not needs("python3") then return end
        local server, port, state = sniServer()
        local out, status = finish(python([[
import socket, ssl, sys
port, ca, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
for name in names:
    ctx = ssl.create_default_context(cafile=ca)
    try:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as s:
                cert = s.getpeercert()
                cn = dict(x[0] for x in cert["subject"])["commonName"]
                san = ",".join(v for k, v in cert["subjectAltName"] if k == "DNS")
                print("%s=cn:%s san:%s" % (name, cn, san))
    except ssl.SSLCertVerificationError as e:
        print("%s=verify:%s" % (name, e.verify_message))
]], tostring(port), path("ca-bundle.pem"), "localhost", "wrong.example.org", "b.example.com", "nomatch.test"))
        closeServer(server)
        assert.equal(0, status, showOutput(out))
        local f = fields(out)
        assert.equal("cn:localhost san:localhost", f["localhost"], showOutput(out))
        assert.equal("cn:wrong.example.org san:wrong.example.org", f["wrong.example.org"], showOutput(out))
        assert.equal("cn:*.example.com san:*.example.com", f["b.example.com"], showOutput(out))
        assert.is_truthy((f["nomatch.test"] or ""):find("^verify:Hostname mismatch"), showOutput(out))
        assert.equal(3, #state.secure)
        assert.equal("wrong.example.org", state.secure[2].servername)
      end)

    it("addContext without SNICallback: exact name, '*.example.com' for one label only, the later entry "
      .. "for a name wins, the default otherwise", function()
      if not needs("openssl") then return end
      local server, port, state = httpServer(creds("localhost"))
      server:addContext("wrong.example.org", creds("selfsigned")) -- replaced by the next line
      server:addContext("wrong.example.org", creds("wrong"))
      server:addContext("*.example.com", tls.createSecureContext(creds("wildcard"), true))
      local cases = {
        { name = "wrong.example.org", cn = "wrong.example.org", issuer = "luatls Test Root CA", verify = 0 },
        { name = "a.example.com", cn = "*.example.com", verify = 0 },
        { name = "A.Example.COM", cn = "*.example.com", verify = 0 },
        -- two labels: not the wildcard, the default (which does not fit the name)
        { name = "a.b.example.com", cn = "localhost", issuer = "luatls Test Intermediate CA", verify = 62 },
        { name = "example.com", cn = "localhost", verify = 62 },
        { name = "localhost", cn = "localhost", verify = 0 },
        { name = nil, cn = "localhost", verify = 0 },
      }
      for i, case in ipairs(cases) do
        local what = tostring(case.name)
        local r = sClient(port, case.name)
        assert.equal(case.cn, r.cn, what .. ": " .. showOutput(r.out))
        if case.issuer then assert.equal(case.issuer, r.issuerCN, what) end
        assert.equal(case.verify, r.verify, what .. ": " .. showOutput(r.out)) -- 62: hostname mismatch
        assert.equal(i, #state.secure, what)
        assert.equal(case.name, state.secure[i].servername, what)
        assert.equal(case.cn, state.secure[i].cn, what)
      end
      closeServer(server)
      assert.same({}, state.clientErrors)
    end)

    it("addContext('*', ...) catches every name; a later exact entry wins over it, also on a listening server",
      function()
        if not needs("openssl", "curl") then return end
        local server, port, state = httpServer(creds("localhost"))
        server:addContext("wrong.example.org", creds("wrong"))
        server:addContext("*", creds("wildcard"))
        -- "*" came later: it wins over the exact entry before it
        local names = { "anything.test", "a.b.example.com", "wrong.example.org", "x.example.com" }
        for _, name in ipairs(names) do
          local r = sClient(port, name)
          assert.equal("*.example.com", r.cn, name .. ": " .. showOutput(r.out))
        end
        -- no SNI: nothing to match, the default
        assert.equal("localhost", sClient(port, nil).cn)
        -- added while listening, later than "*"
        server:addContext("wrong.example.org", creds("wrong"))
        local r = sClient(port, "wrong.example.org")
        assert.equal("wrong.example.org", r.cn, showOutput(r.out))
        assert.equal(0, r.verify)
        -- curl agrees: the added certificate verifies for wrong.example.org,
        -- the catch-all one for x.example.com
        for _, name in ipairs({ "wrong.example.org", "x.example.com" }) do
          local out, status = finish(spawn(string.format(
            "curl -sS --max-time 15 --cacert %s --resolve %s:%d:127.0.0.1 https://%s:%d/",
            q(path("ca-bundle.pem")), name, port, name, port)))
          assert.equal(0, status, name .. ": " .. showOutput(out))
          assert.equal("servername=" .. name .. " alpn=false\n", out)
        end
        -- and a two-label name under "*" is refused by curl (*.example.com
        -- covers one label)
        local out, status = finish(spawn(string.format(
          "curl -sS --max-time 15 --cacert %s --resolve a.b.example.com:%d:127.0.0.1 https://a.b.example.com:%d/",
          q(path("ca-bundle.pem")), port, port)))
        closeServer(server)
        assert.equal(60, status, showOutput(out))
        assert.same({}, state.clientErrors)
      end)
  end)

  -- ---- 2. many handshakes waiting on SNI at once ---------------------------------------
  describe("SNI answered after 50 ms, 100 connections in flight", function()
    helper.leakcheck()

    local MIX = {
      { name = "localhost", cn = "localhost" },
      { name = "wrong.example.org", cn = "wrong.example.org" },
      { name = "a.example.com", cn = "*.example.com" },
      { name = "b.example.com", cn = "*.example.com" },
    }

    -- a server whose SNICallback answers from a 50 ms timer; counts the
    -- callbacks waiting at once
    local function slowSniServer()
      local ctxs = {
        localhost = tls.createSecureContext(creds("localhost"), true),
        ["wrong.example.org"] = tls.createSecureContext(creds("wrong"), true),
      }
      local sni = { waiting = 0, maxWaiting = 0, calls = 0 }
      local server, port, state = httpServer(creds("wildcard", {
        SNICallback = function(servername, cb)
          sni.calls = sni.calls + 1
          sni.first = sni.first or now()
          sni.waiting = sni.waiting + 1
          if sni.waiting > sni.maxWaiting then sni.maxWaiting = sni.waiting end
          timers.setTimeout(function()
            sni.waiting = sni.waiting - 1
            cb(nil, ctxs[servername])
          end, 50)
        end,
      }))
      return server, port, state, sni
    end

    it("a node script opens 100 connections at once: each verified with the right certificate, "
      .. "the waits overlap", function()
      if not needs("node") then return end
      local server, port, state, sni = slowSniServer()
      local names = {}
      for i, m in ipairs(MIX) do names[i] = m.name end
      local out, status = finish(node([[
        const tls = require('tls'), fs = require('fs');
        const [port, ca, n, ...names] = process.argv.slice(1);
        const caPem = fs.readFileSync(ca);
        const t0 = Date.now();
        let left = +n, fails = 0;
        for (let i = 0; i < +n; i++) {
          const name = names[i % names.length];
          const s = tls.connect({ port: +port, host: '127.0.0.1', servername: name, ca: caPem }, () => {
            console.log(`conn${i}=${name} ${s.getPeerCertificate().subject.CN} ${s.authorized}`);
            s.end();
          });
          s.on('error', (e) => { fails++; console.log(`conn${i}=${name} error ${e.code}`); });
          s.on('close', () => {
            if (--left === 0) {
              console.log(`elapsed=${Date.now() - t0}`);
              console.log(`fails=${fails}`);
              process.exitCode = fails ? 3 : 0;
            }
          });
        }
      ]], tostring(port), path("ca-bundle.pem"), "100", table.unpack(names)))
      helper.wait(function() return #state.secure >= 100 end, 5000, "100 'secureConnection'")
      local last = 0
      for _, info in ipairs(state.secure) do if info.at > last then last = info.at end end
      closeAll(server, state)
      assert.equal(0, status, showOutput(out))
      local f = fields(out)
      assert.equal("0", f.fails, showOutput(out))
      for i = 0, 99 do
        local m = MIX[i % #MIX + 1]
        assert.equal(m.name .. " " .. m.cn .. " true", f["conn" .. i], "connection " .. i .. ": " .. showOutput(out))
      end
      assert.equal(100, sni.calls)
      assert.equal(100, #state.secure)
      local seen = {}
      for _, info in ipairs(state.secure) do seen[info.servername] = (seen[info.servername] or 0) + 1 end
      for _, m in ipairs(MIX) do assert.equal(25, seen[m.name], m.name) end
      -- 100 × 50 ms one after the other would take 5 s
      local elapsed = tonumber(f.elapsed)
      assert.is_true(elapsed < 3000 * helper.SLOW, "node took " .. tostring(elapsed) .. " ms for 100 connections")
      assert.is_true(last - sni.first < 3000 * helper.SLOW, "the server took " .. (last - sni.first) .. " ms")
      assert.is_true(sni.maxWaiting >= 10, "at most " .. sni.maxWaiting .. " SNI callbacks waited at once")
    end)

    it("100 luatls clients at once: all secure with the right certificate, none fails, in bounded time",
      function()
        local server, port, state, sni = slowSniServer()
        local results, done = {}, 0
        local t0 = now()
        for i = 1, 100 do
          local m = MIX[(i - 1) % #MIX + 1]
          local r = { name = m.name }
          results[i] = r
          local c = tls.connect({ port = port, host = "127.0.0.1", servername = m.name,
            ca = { pem("ca-cert.pem") } })
          c:on("secureConnect", function()
            r.cn = c:getPeerCertificate().subject.CN
            r.authorized = c.authorized
            c:done()
          end)
          c:on("error", function(e) r.err = e end)
          c:on("close", function() done = done + 1 end)
          c:resume()
        end
        helper.wait(function() return done == 100 end, 15000, "100 clients to close")
        local elapsed = now() - t0
        helper.wait(function() return #state.secure >= 100 end, 5000, "100 'secureConnection'")
        closeAll(server, state)
        for i, r in ipairs(results) do
          assert.is_nil(r.err, "client " .. i .. " (" .. r.name .. "): " .. tostring(r.err))
          assert.equal(MIX[(i - 1) % #MIX + 1].cn, r.cn, "client " .. i)
          assert.is_true(r.authorized, "client " .. i)
        end
        assert.equal(100, sni.calls)
        assert.is_true(elapsed < 3000 * helper.SLOW, "100 connections took " .. elapsed .. " ms")
        assert.is_true(sni.maxWaiting >= 10, "at most " .. sni.maxWaiting .. " SNI callbacks waited at once")
      end)
  end)

  -- ---- 3. an SNICallback that fails ------------------------------------------------------
  describe("SNICallback failures", function()
    helper.leakcheck()

    -- A server whose SNICallback runs `bad` for "bad.test" and answers nil
    -- (the default) for every other name. s_client asks for bad.test: the
    -- handshake fails before any certificate, the server reports one
    -- 'tlsClientError' and no 'secureConnection'; then s_client asks for
    -- localhost and is served. Returns the error and s_client's view.
    local function failing(bad)
      local server, port, state = httpServer(creds("localhost", {
        SNICallback = function(servername, cb)
          if servername == "bad.test" then return bad(cb) end
          cb(nil, nil)
        end,
      }))
      local r = sClient(port, "bad.test")
      helper.wait(function() return #state.clientErrors >= 1 end, 5000, "'tlsClientError'")
      helper.sleep(20)
      assert.not_equal(0, r.status, showOutput(r.out))
      assert.is_true(r.noCert, "the handshake ended before the server's certificate: " .. showOutput(r.out))
      assert.is_nil(r.body, showOutput(r.out))
      assert.equal(0, #state.secure, "no 'secureConnection' for the failed handshake")
      assert.equal(1, #state.clientErrors)
      -- the next client is served
      local ok = sClient(port, "localhost")
      closeServer(server)
      assert.equal(0, ok.status, showOutput(ok.out))
      assert.equal("servername=localhost alpn=false", ok.body, showOutput(ok.out))
      assert.equal(1, #state.secure)
      assert.equal(1, #state.clientErrors)
      return state.clientErrors[1].err, r
    end

    it("SNICallback raises: 'tlsClientError' with the error text, the client gets a handshake_failure alert",
      function()
        if not needs("openssl") then return end
        local err, r = failing(function() error("no certificate for this one") end)
        assert.is_table(err)
        assert.matches("no certificate for this one", tostring(err.message), 1, true)
        assert.matches("alert handshake failure", r.out, 1, true)
      end)

    it("cb(err) from a timer: the same error object arrives in 'tlsClientError'", function()
      if not needs("openssl") then return end
      local mine = setmetatable({ message = "lookup failed", code = "EMYLOOKUP" },
        { __tostring = function(e) return "Error: " .. e.message end })
      local err, r = failing(function(cb)
        timers.setTimeout(function() cb(mine) end, 20)
      end)
      assert.is_true(rawequal(mine, err), "got " .. tostring(err))
      assert.matches("alert handshake failure", r.out, 1, true)
    end)

    it("a context without a certificate (tls.createSecureContext({})): 'tlsClientError' "
      .. "ERR_SSL_PASSED_A_NULL_PARAMETER, as Node's", function()
      if not needs("openssl") then return end
      local err = failing(function(cb)
        timers.setImmediate(function() cb(nil, tls.createSecureContext({})) end)
      end)
      assert.is_table(err)
      assert.equal("ERR_SSL_PASSED_A_NULL_PARAMETER", err.code, tostring(err))
      assert.matches("passed a null parameter", tostring(err.message), 1, true)
      assert.matches("bad.test", tostring(err.message), 1, true)
    end)

    it("cb called twice at once: ERR_MULTIPLE_CALLBACK ends the connection before the handshake goes on",
      function()
        if not needs("openssl") then return end
        local secondRaised
        local err = failing(function(cb)
          cb(nil, nil)
          secondRaised = not pcall(cb, nil, nil)
        end)
        assert.is_false(secondRaised, "the second call raised instead of reporting")
        assert.is_table(err)
        assert.equal("ERR_MULTIPLE_CALLBACK", err.code, tostring(err))
      end)

    it("cb called again after the handshake finished: ERR_MULTIPLE_CALLBACK is reported, the connection "
      .. "ends, the server serves on", function()
      local second
      local server, port, state = httpServer(creds("localhost", {
        SNICallback = function(servername, cb)
          cb(nil, nil)
          if servername == "twice.test" then
            timers.setTimeout(function() second = { pcall(cb, nil, nil) } end, 150)
          end
        end,
      }))
      local socketErrors = {}
      server:on("secureConnection", function(s)
        s:on("error", function(e) socketErrors[#socketErrors + 1] = e end)
      end)
      -- the client is secure and waits, sending nothing
      local c = tls.connect(clientOptions(port, { servername = "twice.test", checkServerIdentity = function() end }))
      local secure, closed, cerr = false, false, nil
      c:on("secureConnect", function() secure = true end)
      c:on("error", function(e) cerr = e end)
      c:on("close", function() closed = true end)
      c:resume()
      helper.wait(function() return second ~= nil end, 5000, "the second cb call")
      helper.wait(function() return closed end, 5000, "the client to see the connection end")
      local r = client(clientOptions(port), REQUEST)
      closeServer(server)
      assert.is_true(secure, "the first answer let the handshake go on")
      assert.is_true(second[1], "the second call raised: " .. tostring(second[2]))
      -- where it surfaced: 'tlsClientError' or the server socket's 'error'
      local got = {}
      for _, e in ipairs(state.clientErrors) do got[#got + 1] = e.err.code end
      for _, e in ipairs(socketErrors) do got[#got + 1] = e.code end
      assert.same({ "ERR_MULTIPLE_CALLBACK" }, got)
      assert.is_nil(cerr and cerr.code ~= "ECONNRESET" and cerr or nil)
      assert.is_nil(r.err, tostring(r.err))
      assert.matches("servername=localhost", r.data, 1, true)
    end)

    it("a SNICallback that is not a function: tls.createServer raises ERR_INVALID_ARG_TYPE", function()
      for _, bad in ipairs({ "a string", 42, {}, true }) do
        local ok, err = pcall(tls.createServer, creds("localhost", { SNICallback = bad }))
        assert.is_false(ok, type(bad))
        assert.is_table(err, tostring(err))
        assert.equal("ERR_INVALID_ARG_TYPE", err.code, tostring(err))
        assert.matches("SNICallback", tostring(err.message), 1, true)
      end
    end)

    it("the client leaves while SNICallback waits 200 ms: the server socket closes then; the late cb "
      .. "does nothing and raises nothing", function()
      local late = {}
      local ctx = tls.createSecureContext(creds("wildcard"), true)
      local server, port, state, c
      server, port, state = httpServer(creds("localhost", {
        SNICallback = function(servername, cb)
          if servername ~= "slow.test" then return cb(nil, nil) end
          -- the client leaves 50 ms into the wait
          timers.setTimeout(function() c:destroy() end, 50)
          timers.setTimeout(function()
            late.serverSocketGone = state.connections[1].destroyed
            late.result = { pcall(cb, nil, ctx) }
            late.ran = true
          end, 200)
        end,
      }))
      c = tls.connect(clientOptions(port, { servername = "slow.test" }))
      local cerr
      c:on("error", function(e) cerr = e end)
      helper.wait(function() return late.ran end, 5000, "the late cb")
      helper.sleep(50)
      local gone = state.connections[1].destroyed
      -- the next client is served
      local r = client(clientOptions(port), REQUEST)
      closeServer(server)
      assert.is_nil(cerr, tostring(cerr))
      assert.is_true(late.result[1], "the late cb raised: " .. tostring(late.result[2]))
      assert.equal(1, #state.secure, "only the next client got 'secureConnection'")
      assert.is_true(gone, "the server socket is closed after the late answer")
      assert.is_nil(r.err, tostring(r.err))
      assert.matches("servername=localhost", r.data, 1, true)
      assert.is_true(late.serverSocketGone,
        "the server socket of the client that left was still open when the SNI answer came, 150 ms later")
    end)
  end)

  -- ---- 4. ALPN ------------------------------------------------------------------------
  describe("ALPN", function()
    helper.leakcheck()

    local function alpnServer(protocols)
      return httpServer(creds("localhost", { ALPNProtocols = protocols or { "h2", "http/1.1" } }))
    end

    for _, variant in ipairs({
      { name = "a list", protocols = { "h2", "http/1.1" } },
      { name = "the wire format", protocols = "\2h2\8http/1.1" },
    }) do
      it("openssl s_client -alpn against ALPNProtocols as " .. variant.name
        .. ": the server's preference, a single match, no overlap (alert 120), none", function()
        if not needs("openssl") then return end
        local server, port, state = alpnServer(variant.protocols)
        local r = sClient(port, "localhost", "-alpn http/1.1,h2")
        assert.equal("h2", r.alpn, showOutput(r.out))
        assert.equal("h2", state.secure[1].alpn)
        assert.equal("servername=localhost alpn=h2", r.body)

        r = sClient(port, "localhost", "-alpn http/1.1")
        assert.equal("http/1.1", r.alpn, showOutput(r.out))
        assert.equal("http/1.1", state.secure[2].alpn)

        r = sClient(port, "localhost", "-alpn spdy/3")
        helper.wait(function() return #state.clientErrors >= 1 end, 5000, "'tlsClientError'")
        assert.not_equal(0, r.status, showOutput(r.out))
        assert.matches("no application protocol", r.out, 1, true)
        assert.matches("alert number 120", r.out, 1, true)
        assert.is_nil(r.body)
        assert.equal(2, #state.secure)
        assert.equal(1, #state.clientErrors)
        assert.equal("ERR_SSL_NO_APPLICATION_PROTOCOL", state.clientErrors[1].err.code,
          tostring(state.clientErrors[1].err))

        r = sClient(port, "localhost")
        closeServer(server)
        assert.is_true(r.noAlpn, showOutput(r.out))
        assert.equal(0, r.status)
        assert.is_false(state.secure[3].alpn)
        assert.equal("servername=localhost alpn=false", r.body)
      end)
    end

    it("a client without ALPN: alpnProtocol false on both luatls sides", function()
      local server, port, state = alpnServer()
      local r = client(clientOptions(port), REQUEST)
      local r2 = client(clientOptions(port, { ALPNProtocols = { "http/1.1", "h2" } }), REQUEST)
      closeServer(server)
      assert.is_nil(r.err, tostring(r.err))
      assert.is_false(r.alpn)
      assert.is_false(state.secure[1].alpn)
      assert.matches("alpn=false", r.data, 1, true)
      assert.equal("h2", r2.alpn)
      assert.equal("h2", state.secure[2].alpn)
    end)

    it("Node's tls.connect({ ALPNProtocols }): h2 by the server's preference, http/1.1, none, no overlap",
      function()
        if not needs("node") then return end
        local server, port, state = alpnServer()
        local out, status = finish(node([[
          const tls = require('tls'), fs = require('fs');
          const [port, ca] = process.argv.slice(1);
          const offers = { both: ['http/1.1', 'h2'], one: ['http/1.1'], none: undefined, other: ['spdy/3'] };
          (async () => {
            for (const [k, ALPNProtocols] of Object.entries(offers)) {
              await new Promise((resolve) => {
                const s = tls.connect({ port: +port, host: '127.0.0.1', servername: 'localhost',
                                        ca: fs.readFileSync(ca), ALPNProtocols }, () => {
                  console.log(`${k}=${s.alpnProtocol}`);
                  s.end();
                });
                s.on('error', (e) => console.log(`${k}=error ${e.code}`));
                s.on('close', resolve);
              });
            }
          })();
        ]], tostring(port), path("ca-cert.pem")))
        helper.wait(function() return #state.clientErrors >= 1 end, 5000, "'tlsClientError'")
        closeServer(server)
        assert.equal(0, status, showOutput(out))
        local f = fields(out)
        assert.equal("h2", f.both, showOutput(out))
        assert.equal("http/1.1", f.one)
        assert.equal("false", f.none)
        assert.equal("error ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL", f.other)
        assert.equal(3, #state.secure)
        assert.same({ "h2", "http/1.1", false }, { state.secure[1].alpn, state.secure[2].alpn, state.secure[3].alpn })
        assert.equal("ERR_SSL_NO_APPLICATION_PROTOCOL", state.clientErrors[1].err.code)
      end)

    it("Python's set_alpn_protocols: h2, http/1.1, none", function()
      if not needs("python3") then return end
      local server, port, state = alpnServer()
      local out, status = finish(python([[
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
for key, offer in (("both", ["http/1.1", "h2"]), ("one", ["http/1.1"]), ("none", None)):
    ctx = ssl.create_default_context(cafile=ca)
    if offer:
        ctx.set_alpn_protocols(offer)
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            print("%s=%s" % (key, s.selected_alpn_protocol()))
]], tostring(port), path("ca-cert.pem")))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      local f = fields(out)
      assert.equal("h2", f.both, showOutput(out))
      assert.equal("http/1.1", f.one)
      assert.equal("None", f.none)
      assert.same({ "h2", "http/1.1", false }, { state.secure[1].alpn, state.secure[2].alpn, state.secure[3].alpn })
    end)

    it("curl --http1.1 and --http2: what curl offers and what the server accepted", function()
      if not needs("curl") then return end
      local server, port, state = alpnServer()
      local function curl(flag)
        return finish(spawn(string.format(
          "curl -sS -v %s --max-time 15 --cacert %s --resolve localhost:%d:127.0.0.1 https://localhost:%d/",
          flag, q(path("ca-bundle.pem")), port, port)))
      end
      local out, status = curl("--http1.1")
      assert.equal(0, status, showOutput(out))
      assert.matches("ALPN: offers http/1.1\n", out, 1, true)
      assert.matches("ALPN: server accepted http/1.1", out, 1, true)
      assert.matches("servername=localhost alpn=http/1.1\n", out, 1, true)
      assert.equal("http/1.1", state.secure[1].alpn)

      out, status = curl("--http2")
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      assert.matches("ALPN: offers h2,http/1.1", out, 1, true)
      assert.matches("ALPN: server accepted h2", out, 1, true)
      assert.matches("< HTTP/2 200", out, 1, true)
      assert.equal("h2", state.secure[2].alpn)
      assert.equal(H2_PREFACE, state.secure[2].request:sub(1, #H2_PREFACE))
    end)

    it("a luatls client with ALPNProtocols (list and wire format) against openssl s_server -alpn h2,http/1.1",
      function()
        if not needs("openssl") then return end
        local port = helper.freePort()
        local proc = spawn(string.format(
          "openssl s_server -accept 127.0.0.1:%d -cert %s -key %s -cert_chain %s -naccept 3 -rev -alpn h2,http/1.1",
          port, q(path("server-cert.pem")), q(path("server-key.pem")), q(path("intermediate-cert.pem"))))
        waitFor(proc, "ACCEPT")
        local list = client(clientOptions(port, { ALPNProtocols = { "http/1.1", "h2" } }), "alpn list\n", true)
        local wire = client(clientOptions(port, { ALPNProtocols = "\8http/1.1" }), "alpn wire\n", true)
        local none = client(clientOptions(port), "no alpn\n", true)
        local out = finish(proc)
        for _, r in ipairs({ list, wire, none }) do assert.is_nil(r.err, tostring(r.err)) end
        assert.equal("h2", list.alpn, showOutput(out))
        assert.equal("http/1.1", wire.alpn, showOutput(out))
        assert.is_false(none.alpn)
        assert.equal("tsil npla\n", list.data)
        assert.matches("ALPN protocols advertised by the client: http/1.1, h2", out, 1, true)
        assert.matches("ALPN protocols advertised by the client: http/1.1\n", out, 1, true)
      end)

    it("a malformed wire-format list raises at createServer and tls.connect, not per connection", function()
      -- (accepted, "\5h2" raises in the accept path at the first
      -- connection: an uncaught error that ends the process)
      local ok, err = pcall(tls.createServer, creds("localhost", { ALPNProtocols = "\5h2" }))
      if ok then err:close() end
      assert.is_false(ok, "createServer accepted ALPNProtocols \"\\5h2\"")
      assert.is_table(err, tostring(err))
      ok, err = pcall(tls.connect, { port = 1, host = "127.0.0.1", ALPNProtocols = "\0" })
      if ok then
        err:on("error", function() end)
        err:destroy()
      end
      assert.is_false(ok, "tls.connect accepted ALPNProtocols \"\\0\"")
      assert.is_table(err, tostring(err))
    end)
  end)

  -- ---- 5. ALPNCallback ------------------------------------------------------------------
  describe("ALPNCallback", function()
    helper.leakcheck()

    it("chooses from { servername=, protocols= } (the client's list in order); nil refuses; a name not "
      .. "offered is ERR_TLS_ALPN_CALLBACK_INVALID_RESULT; the server serves on", function()
      if not needs("openssl") then return end
      local seen = {}
      local server, port, state = httpServer(creds("localhost", {
        ALPNCallback = function(info)
          seen[#seen + 1] = info
          if info.servername == "refuse.test" then return nil end
          if info.servername == "liar.test" then return "h3" end
          for _, p in ipairs(info.protocols) do
            if p == "http/1.1" then return p end
          end
          return nil
        end,
      }))

      local r = sClient(port, "localhost", "-alpn spdy/3,http/1.1,h2")
      assert.equal("http/1.1", r.alpn, showOutput(r.out))
      assert.equal("http/1.1", state.secure[1].alpn)
      assert.same({ servername = "localhost", protocols = { "spdy/3", "http/1.1", "h2" } }, seen[1])

      r = sClient(port, "refuse.test", "-alpn http/1.1")
      helper.wait(function() return #state.clientErrors >= 1 end, 5000, "'tlsClientError'")
      assert.matches("no application protocol", r.out, 1, true)
      assert.is_nil(r.body)
      assert.equal("ERR_SSL_NO_APPLICATION_PROTOCOL", state.clientErrors[1].err.code,
        tostring(state.clientErrors[1].err))
      assert.same({ servername = "refuse.test", protocols = { "http/1.1" } }, seen[2])

      r = sClient(port, "liar.test", "-alpn h2,http/1.1")
      helper.wait(function() return #state.clientErrors >= 2 end, 5000, "'tlsClientError'")
      assert.not_equal(0, r.status, showOutput(r.out))
      assert.is_nil(r.body)
      assert.matches("alert", r.out, 1, true)
      local err = state.clientErrors[2].err
      assert.equal("ERR_TLS_ALPN_CALLBACK_INVALID_RESULT", err.code, tostring(err))
      assert.matches("h3", err.message, 1, true)

      -- no ALPN from the client: the callback is not asked
      r = sClient(port, "localhost")
      assert.is_true(r.noAlpn, showOutput(r.out))
      assert.equal(3, #seen)
      assert.is_false(state.secure[2].alpn)

      -- and a client that offers http/1.1 is served
      r = sClient(port, "localhost", "-alpn h2,http/1.1")
      closeServer(server)
      assert.equal("http/1.1", r.alpn, showOutput(r.out))
      assert.equal("servername=localhost alpn=http/1.1", r.body)
      assert.equal(3, #state.secure)
      assert.equal(2, #state.clientErrors)
    end)

    it("Node's tls.connect against an ALPNCallback server", function()
      if not needs("node") then return end
      local server, port, state = httpServer(creds("localhost", {
        ALPNCallback = function(info) return info.protocols[#info.protocols] end,
      }))
      local out, status = finish(node([[
        const tls = require('tls'), fs = require('fs');
        const [port, ca] = process.argv.slice(1);
        const s = tls.connect({ port: +port, host: '127.0.0.1', servername: 'localhost',
                                ca: fs.readFileSync(ca), ALPNProtocols: ['h2', 'x-last'] }, () => {
          console.log('alpn=' + s.alpnProtocol);
          s.end();
        });
        s.on('error', (e) => { console.log('error=' + e.code); process.exitCode = 3; });
      ]], tostring(port), path("ca-cert.pem")))
      closeServer(server)
      assert.equal(0, status, showOutput(out))
      assert.equal("x-last", fields(out).alpn)
      assert.equal("x-last", state.secure[1].alpn)
    end)

    it("ALPNCallback with ALPNProtocols: tls.createServer raises ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS", function()
      local ok, err = pcall(tls.createServer, creds("localhost", {
        ALPNCallback = function() return "h2" end, ALPNProtocols = { "h2" },
      }))
      assert.is_false(ok)
      assert.is_table(err, tostring(err))
      assert.equal("ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS", err.code)
      ok, err = pcall(tls.createServer, creds("localhost", { ALPNCallback = "h2" }))
      assert.is_false(ok)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code, tostring(err))
    end)
  end)

  -- ---- 6. NPN ------------------------------------------------------------------------------
  describe("NPN (TLS 1.2)", function()
    helper.leakcheck()

    it("s_client -tls1_2 -nextprotoneg spdy/2 against NPNProtocols { 'http/1.1', 'spdy/2' }", function()
      if not needs("openssl") then return end
      local server, port, state = httpServer(creds("localhost", { NPNProtocols = { "http/1.1", "spdy/2" } }))
      local r = sClient(port, "localhost", "-tls1_2 -nextprotoneg spdy/2")
      assert.equal(0, r.status, showOutput(r.out))
      assert.equal("(1) spdy/2", r.npn, showOutput(r.out))
      assert.equal("spdy/2", state.secure[1].npn)
      assert.is_false(state.secure[1].alpn)
      -- no overlap: NPN lets the client pick its own (OpenSSL reports (2))
      r = sClient(port, "localhost", "-tls1_2 -nextprotoneg x-other")
      closeServer(server)
      assert.equal("(2) x-other", r.npn, showOutput(r.out))
      assert.equal("x-other", state.secure[2].npn)
    end)

    it("ALPN and NPN both offered: ALPN wins", function()
      if not needs("openssl") then return end
      local server, port, state = httpServer(creds("localhost", {
        ALPNProtocols = { "h2", "http/1.1" }, NPNProtocols = { "http/1.1", "spdy/2" },
      }))
      local r = sClient(port, "localhost", "-tls1_2 -alpn http/1.1 -nextprotoneg spdy/2")
      closeServer(server)
      assert.equal(0, r.status, showOutput(r.out))
      assert.equal("http/1.1", r.alpn, showOutput(r.out))
      assert.is_nil(r.npn, showOutput(r.out))
      assert.equal("http/1.1", state.secure[1].alpn)
      assert.is_false(state.secure[1].npn)
    end)

    it("a luatls client with NPNProtocols against openssl s_server -tls1_2 -nextprotoneg", function()
      if not needs("openssl") then return end
      local port = helper.freePort()
      local proc = spawn(string.format(
        "openssl s_server -accept 127.0.0.1:%d -cert %s -key %s -cert_chain %s -naccept 1 -rev -trace -tls1_2 "
          .. "-nextprotoneg http/1.1,spdy/2",
        port, q(path("server-cert.pem")), q(path("server-key.pem")), q(path("intermediate-cert.pem"))))
      waitFor(proc, "ACCEPT")
      local r = client(clientOptions(port, { NPNProtocols = { "spdy/2" }, maxVersion = "TLSv1.2" }), "npn test\n", true)
      local out = finish(proc)
      assert.is_nil(r.err, tostring(r.err))
      assert.equal("spdy/2", r.npn, showOutput(out))
      assert.equal("tset npn\n", r.data)
      -- s_server's trace of our NextProtocol message: "\6spdy/2" and padding
      assert.matches("NextProto, Length=", out, 1, true)
      assert.matches("06 73 70 64 79 2f 32", out, 1, true)
    end)
  end)

  -- ---- 7. certificate rotation ----------------------------------------------------------
  describe("setSecureContext", function()
    helper.leakcheck()

    it("swapping credentials while 50 connections come and go: none fails, the new certificate after "
      .. "the swap, a connection from before keeps working", function()
      if not needs("node") then return end
      local old, new = fingerprint("server-cert.pem"), fingerprint("server-ec-cert.pem")
      assert.not_equal(old, new)
      local swapped, swapAt = false, nil
      local acceptedAfter = {}
      local server, port, state
      server, port, state = httpServer(creds("localhost"), function(s, info)
        info.afterSwap = acceptedAfter[s.remotePort] == true
        -- the persistent connection, then 20 of the loop: swap
        if #state.secure == 21 and not swapped then
          server:setSecureContext(creds("ec"))
          swapped, swapAt = true, #state.secure
        end
      end)
      -- (the plain socket before TLS, as in Node: matched by the peer's port)
      server:on("connection", function(s) acceptedAfter[s.remotePort] = swapped end)
      -- the persistent connection echoes lines (it is the first one)
      server:once("secureConnection", function(s)
        s:removeAllListeners("data")
        s:on("data", function(d) s:write("echo:" .. d) end)
      end)
      local proc = node([[
        const tls = require('tls'), fs = require('fs');
        const [port, ca] = process.argv.slice(1);
        const opts = { port: +port, host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(ca) };
        const one = (i) => new Promise((resolve) => {
          const s = tls.connect(opts, () => {
            console.log(`fp${i}=${s.getPeerCertificate().fingerprint256} ${s.authorized}`);
            s.write('GET / HTTP/1.0\r\n\r\n');
          });
          let got = '';
          s.setEncoding('utf8');
          s.on('data', (d) => { got += d; });
          s.on('error', (e) => { console.log(`err${i}=${e.code}`); process.exitCode = 3; });
          s.on('close', () => { if (!got.includes('servername=localhost')) console.log(`bad${i}=${got}`); resolve(); });
        });
        const p = tls.connect(opts, async () => {
          console.log('persistent=' + p.getPeerCertificate().fingerprint256);
          // 50 connections, 5 in flight at a time
          let next = 0;
          const worker = async () => { while (next < 50) await one(next++); };
          await Promise.all([worker(), worker(), worker(), worker(), worker()]);
          p.write('after the swap\n');
        });
        p.setEncoding('utf8');
        p.on('data', (d) => { console.log('persistentEcho=' + JSON.stringify(d)); p.end(); });
        p.on('error', (e) => { console.log('persistentErr=' + e.code); process.exitCode = 3; });
      ]], tostring(port), path("ca-cert.pem"))
      local out, status = finish(proc)
      helper.wait(function() return state.closed >= 51 end, 5000, "51 connections to close")
      closeAll(server, state)
      assert.equal(0, status, showOutput(out))
      local f = fields(out)
      assert.equal(old, f.persistent, showOutput(out))
      assert.equal([["echo:after the swap\n"]], f.persistentEcho, showOutput(out))
      assert.is_true(swapped)
      assert.equal(21, swapAt)
      assert.equal(51, #state.secure)
      local newSeen = 0
      for i = 0, 49 do
        local fp = f["fp" .. i]
        assert.is_string(fp, "connection " .. i .. ": " .. showOutput(out))
        local hash, authorized = fp:match("^(%S+) (%S+)$")
        assert.equal("true", authorized, "connection " .. i)
        assert.is_true(hash == old or hash == new, "connection " .. i .. ": " .. fp)
        if hash == new then newSeen = newSeen + 1 end
        assert.is_nil(f["bad" .. i], "connection " .. i .. " got no answer")
      end
      -- the server: every connection accepted after the swap served the new one
      local after, servedNew = 0, 0
      for _, info in ipairs(state.secure) do
        if info.afterSwap then
          after = after + 1
          assert.equal(new, info.fingerprint)
        end
        if info.fingerprint == new then servedNew = servedNew + 1 end
      end
      assert.is_true(after >= 25, "only " .. after .. " connections were accepted after the swap")
      assert.equal(servedNew, newSeen)
      assert.is_true(newSeen >= after)
      assert.equal(old, state.secure[1].fingerprint)
    end)
  end)
end)
