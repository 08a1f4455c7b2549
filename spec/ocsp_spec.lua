-- spec/ocsp_spec.lua: OCSP stapling against a real responder. setup makes,
-- in a temporary directory, leaves for localhost signed by the test root CA
-- (`openssl ca`, so index.txt knows them) whose authorityInfoAccess names
-- http://127.0.0.1:<port>/, revokes one, and runs `openssl ocsp` as the
-- responder on that port. The server side ('OCSPRequest') is checked with
-- `openssl s_client -status` and luatls clients, the client side
-- (requestOCSP, 'OCSPResponse') with `openssl s_server -status_file`, and
-- examples/ocsp-stapling.lua runs as a process against the same responder.
local helper = require("spec.helper")
local count = helper.count
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")
local core = require("luatls.core")
local errors = require("luatls.errors")

local q = helper.quote
local haveOpenssl = helper.have("openssl")

local dir          -- the temporary directory
local ocspPort     -- the responder's port, in the leaves' authorityInfoAccess
local deadPort     -- a port where nothing listens (the "dead" leaf's responder)
local responder    -- the `openssl ocsp` process
local der = {}     -- name -> DER of a certificate
local pems = {}    -- name -> PEM of a certificate or key
local responses = {} -- "good" / "revoked" -> a DER response from the responder

local function file(name) return dir .. "/" .. name end

local function readFile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function writeFile(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- run a shell command to its end (bounded); fail with its output
local function sh(cmd)
  local out, status = helper.sh("timeout 20 " .. cmd)
  assert(status == 0, "failed (" .. tostring(status) .. "): " .. cmd .. "\n" .. out)
  return out
end

local waitFor = helper.waitFor

-- the responder, (re)started when it is not running (each run is bounded)
local function ensureResponder()
  if responder and not helper.done(responder) then return responder end
  if responder then helper.kill(responder) end
  responder = helper.spawn(string.format(
    "cd %s && exec timeout %g openssl ocsp -index index.txt -port %d -rsigner %s -rkey %s -CA %s -ndays 1",
    q(dir), 20 * helper.SLOW, ocspPort, q(certs.path("ca-cert.pem")), q(certs.path("ca-key.pem")),
    q(certs.path("ca-cert.pem"))))
  waitFor(responder, "waiting for OCSP client connections")
  return responder
end

-- how many requests the responder has logged
local function responderRequests()
  local n = 0
  for _ in helper.output(responder):gmatch("Received request") do n = n + 1 end
  return n
end

local CNF = [[
[ ca ]
default_ca = test_ca
[ test_ca ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_days = 30
[ policy_any ]
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityInfoAccess = OCSP;URI:http://127.0.0.1:%d/
[ v3_dead ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityInfoAccess = OCSP;URI:http://127.0.0.1:%d/
]]

-- run a shell command in the temporary directory
local function inDir(cmd) return sh("sh -c " .. q("cd " .. q(dir) .. " && " .. cmd)) end

local function caArgs()
  return "-batch -config ca.cnf -cert " .. q(certs.path("ca-cert.pem")) .. " -keyfile " .. q(certs.path("ca-key.pem"))
end

-- leaf NAME EXTENSIONS: an EC key and a certificate for localhost, by the root
local function leaf(name, extensions)
  inDir(string.format("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s-key.pem && " ..
    "openssl req -new -config ca.cnf -key %s-key.pem -subj '/O=luatls/OU=%s/CN=localhost' -out %s.csr && " ..
    "openssl ca %s -notext -preserveDN -extfile ca.cnf -extensions %s -in %s.csr -out %s-cert.pem",
    name, name, name, name, caArgs(), extensions, name, name))
end

local function setupOnce()
  certs.certs()
  dir = os.tmpname()
  os.remove(dir)
  sh("mkdir -p " .. q(dir))
  ocspPort, deadPort = helper.freePort(), helper.freePort()
  writeFile(file("ca.cnf"), CNF:format(ocspPort, deadPort))
  writeFile(file("index.txt"), "")
  writeFile(file("serial"), "1000\n")
  leaf("good", "v3_leaf")
  leaf("revoked", "v3_leaf")
  leaf("dead", "v3_dead")
  inDir("openssl ca " .. caArgs() .. " -revoke revoked-cert.pem")
  for _, name in ipairs({ "good", "revoked", "dead" }) do
    pems[name .. "-cert"] = readFile(file(name .. "-cert.pem"))
    pems[name .. "-key"] = readFile(file(name .. "-key.pem"))
    der[name] = core.x509_parse(pems[name .. "-cert"]).raw
  end
  for _, name in ipairs({ "ca-cert", "intermediate-cert", "server-cert", "server-key", "server-chain" }) do
    pems[name] = certs.read(name .. ".pem")
  end
  der.ca = core.x509_parse(pems["ca-cert"]).raw
  der.intermediate = core.x509_parse(pems["intermediate-cert"]).raw
  der.server = core.x509_parse(pems["server-cert"]).raw

  ensureResponder()
  -- a response for each leaf, asked of the responder by `openssl ocsp`
  for _, name in ipairs({ "good", "revoked" }) do
    sh(string.format("openssl ocsp -issuer %s -cert %s -url http://127.0.0.1:%d/ -CAfile %s -respout %s",
      q(certs.path("ca-cert.pem")), q(file(name .. "-cert.pem")), ocspPort, q(certs.path("ca-cert.pem")),
      q(file(name .. ".der"))))
    responses[name] = readFile(file(name .. ".der"))
  end
end

-- ---- fetching a response over HTTP (the example's logic, in the spec) ----------

-- POST the OCSP request for cert to the URL in its infoAccess: cb(err, response)
local function fetchOCSP(cert, issuer, cb)
  local url = core.x509_parse(cert).infoAccess["OCSP - URI"][1]
  local port, path = url:match("^http://127%.0%.0%.1:(%d+)(/.*)$")
  local request = core.ocsp_request(cert, issuer)
  local chunks, finished = {}, false
  local function finish(err, body)
    if finished then return end
    finished = true
    cb(err, body)
  end
  local s
  s = net.connect(tonumber(port), "127.0.0.1", function()
    s:write(("POST %s HTTP/1.0\r\nContent-Type: application/ocsp-request\r\n" ..
      "Content-Length: %d\r\n\r\n"):format(path, #request) .. request)
  end)
  s:on("error", function(err) finish(err) end)
  s:on("data", function(d) chunks[#chunks + 1] = d end)
  s:on("end", function()
    local head, body = table.concat(chunks):match("^(.-)\r\n\r\n(.*)$")
    if not head or not head:match("^HTTP/1%.%d 200") then
      return finish("bad HTTP answer: " .. tostring(head))
    end
    finish(nil, body)
  end)
end

-- ---- peers and luatls ends --------------------------------------------------------

-- openssl s_client, until the server closes; status = true adds -status (the
-- status_request extension); args: more options
local function sClient(port, status, args)
  return helper.finish(helper.spawn(string.format(
    "timeout 20 openssl s_client -connect 127.0.0.1:%d -servername localhost -CAfile %s -ign_eof %s %s",
    port, q(certs.path("ca-cert.pem")), status and "-status" or "", args or ""), ""), 25000)
end

-- A luatls server answering "hello\n". onRequest(cert, issuer, cb, state):
-- its 'OCSPRequest' listener (none when nil). state records the requests,
-- the 'tlsClientError' errors and the secure connections.
local function startServer(options, onRequest)
  local state = { requests = {}, clientErrors = {}, secure = 0, order = {} }
  local server = tls.createServer(options, function(s)
    state.secure = state.secure + 1
    state.order[#state.order + 1] = "secureConnection"
    s:on("error", function() end)
    s:resume() -- read, so that the client's end is seen and the socket closes
    s:done("hello\n")
  end)
  if onRequest then
    server:on("OCSPRequest", function(cert, issuer, cb)
      state.requests[#state.requests + 1] = { cert = cert, issuer = issuer }
      state.order[#state.order + 1] = "OCSPRequest"
      onRequest(cert, issuer, cb, state)
    end)
  end
  server:on("tlsClientError", function(err) state.clientErrors[#state.clientErrors + 1] = err end)
  local port
  server:listen(0, "127.0.0.1", function() port = server:address().port end)
  helper.wait(function() return port end, 5000, "the server to listen")
  return server, port, state
end

local closeServer = helper.closeServer

-- A luatls client: its events in order ({ name, value }), its error, its data;
-- runs the loop until the connection is closed.
local NIL = setmetatable({}, { __tostring = function() return "nil" end })
local function luatlsClient(port, options)
  local o = { port = port, host = "127.0.0.1", servername = "localhost", ca = { pems["ca-cert"] } }
  for k, v in pairs(options or {}) do o[k] = v end
  local r = { events = {}, data = "" }
  local c = tls.connect(o)
  c:on("OCSPResponse", function(resp)
    r.events[#r.events + 1] = { "OCSPResponse", resp == nil and NIL or resp }
  end)
  c:on("secureConnect", function()
    r.events[#r.events + 1] = { "secureConnect" }
    r.authorized = c.authorized
  end)
  c:on("data", function(d) r.data = r.data .. d end)
  c:on("error", function(err) r.err = err end)
  c:on("close", function() r.closed = true end)
  helper.wait(function() return r.closed end, 20000, "the client to close")
  return r
end

-- ---- the specs ------------------------------------------------------------------------

describe("OCSP", function()
  helper.leakcheck()

  setup(function()
    if haveOpenssl then setupOnce() end
  end)

  teardown(function()
    if responder then helper.kill(responder); responder = nil end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  local function needsOpenssl()
    if not haveOpenssl then pending("openssl is not installed") end
    return haveOpenssl
  end

  describe("core.ocsp_info", function()
    helper.leakcheck()

    it("reads the responder's answers: good and revoked, valid for a day", function()
      if not needsOpenssl() then return end
      local now = os.time()
      for name, status in pairs({ good = "good", revoked = "revoked" }) do
        local info = assert(core.ocsp_info(responses[name]))
        assert.equal("successful", info.status)
        assert.equal(status, info.certStatus)
        assert.is_true(math.abs(info.thisUpdate - now) < 600, "thisUpdate is now")
        assert.is_true(math.abs(info.nextUpdate - info.thisUpdate - 86400) <= 60,
          "nextUpdate is a day after thisUpdate (-ndays 1)")
      end
    end)

    it("refuses what is not a response: nil, err", function()
      for _, garbage in ipairs({ "", "garbage", string.rep("\48\130", 10), pems["ca-cert"] or "x" }) do
        local info, err = core.ocsp_info(garbage)
        assert.is_nil(info)
        assert.is_not_nil(err)
        assert.is_string(tostring(err.message or err))
      end
    end)

    it("ocsp_request needs a DER certificate and its issuer", function()
      if not needsOpenssl() then return end
      assert.is_string(core.ocsp_request(der.good, der.ca))
      assert.has_error(function() core.ocsp_request("not der", der.ca) end)
      assert.has_error(function() core.ocsp_request(der.good, nil) end)
    end)
  end)

  describe("a luatls server ('OCSPRequest')", function()
    helper.leakcheck()

    for _, case in ipairs({ { "good", "good" }, { "revoked", "revoked" } }) do
      local name, status = case[1], case[2]
      it("fetches the response from the responder in the certificate and staples it (" .. name .. ")", function()
        if not needsOpenssl() then return end
        ensureResponder()
        local before = responderRequests()
        local fetched
        local server, port, state = startServer(
          { key = pems[name .. "-key"], cert = pems[name .. "-cert"], ca = { pems["ca-cert"] } },
          function(cert, issuer, cb)
            fetchOCSP(cert, issuer, function(err, response)
              fetched = { err = err, response = response }
              cb(nil, response)
            end)
          end)
        local out, exit = sClient(port, true)
        closeServer(server)
        assert.equal(0, exit, out)
        assert.equal(1, #state.requests)
        assert.equal(der[name], state.requests[1].cert, "certificate: the leaf's DER")
        assert.equal(der.ca, state.requests[1].issuer, "issuer: the root's DER (from the ca option)")
        assert.is_nil(fetched.err)
        assert.equal(before + 1, responderRequests())
        assert.equal(status, core.ocsp_info(fetched.response).certStatus)
        assert.matches("OCSP Response Status: successful", out)
        assert.matches("Cert Status: " .. status, out)
        assert.matches("Verify return code: 0 %(ok%)", out)
        assert.matches("hello", out)
        assert.equal(1, state.secure)
      end)
    end

    it("is not asked when the client does not ask (s_client without -status, luatls without requestOCSP)", function()
      if not needsOpenssl() then return end
      local server, port, state = startServer({ key = pems["good-key"], cert = pems["good-cert"] },
        function(_, _, cb) cb(nil, responses.good) end)
      local out, exit = sClient(port, false)
      local r = luatlsClient(port)
      closeServer(server)
      assert.equal(0, exit, out)
      assert.matches("hello", out)
      assert.not_matches("OCSP", out)
      assert.equal(0, #state.requests)
      assert.equal(2, state.secure)
      assert.same({ { "secureConnect" } }, r.events)
      assert.equal("hello\n", r.data)
    end)

    it("cb(nil, nil): nothing stapled, the handshake goes on", function()
      if not needsOpenssl() then return end
      local server, port, state = startServer({ key = pems["good-key"], cert = pems["good-cert"] },
        function(_, _, cb) cb(nil, nil) end)
      local out, exit = sClient(port, true)
      local r = luatlsClient(port, { requestOCSP = true })
      closeServer(server)
      assert.equal(0, exit, out)
      assert.matches("OCSP response: no response sent", out)
      assert.matches("Verify return code: 0 %(ok%)", out)
      assert.equal(2, #state.requests)
      assert.equal(2, state.secure)
      assert.same({ { "OCSPResponse", NIL }, { "secureConnect" } }, r.events)
      assert.is_nil(r.err)
      assert.equal("hello\n", r.data)
    end)

    it("cb(err): the connection ends with that error ('tlsClientError'); the next client is served", function()
      if not needsOpenssl() then return end
      local failure = errors.new("EOCSP_TEST", "the OCSP responder is down")
      local server, port, state = startServer({ key = pems["good-key"], cert = pems["good-cert"] },
        function(_, _, cb, st)
          if #st.requests == 1 then return cb(failure) end
          cb(nil, responses.good)
        end)
      local r = luatlsClient(port, { requestOCSP = true })
      helper.wait(function() return #state.clientErrors > 0 end, 5000, "'tlsClientError'")
      assert.equal(1, #state.clientErrors)
      assert.equal("EOCSP_TEST", state.clientErrors[1].code)
      assert.equal("the OCSP responder is down", state.clientErrors[1].message)
      assert.is_true(rawequal(failure, state.clientErrors[1]), "the very error given to cb")
      assert.is_not_nil(r.err, "the client sees the connection fail")
      assert.same({}, r.events, "no 'OCSPResponse' nor 'secureConnect' on the failed connection")
      -- the next client
      local out, exit = sClient(port, true)
      closeServer(server)
      assert.equal(0, exit, out)
      assert.matches("Cert Status: good", out)
      assert.equal(2, #state.requests)
      assert.equal(1, state.secure)
      assert.equal(1, #state.clientErrors)
    end)

    it("a listener that raises ends the connection like cb(err)", function()
      if not needsOpenssl() then return end
      local server, port, state = startServer({ key = pems["good-key"], cert = pems["good-cert"] },
        function() error("boom in OCSPRequest") end)
      local r = luatlsClient(port, { requestOCSP = true })
      helper.wait(function() return #state.clientErrors > 0 end, 5000, "'tlsClientError'")
      closeServer(server)
      assert.matches("boom in OCSPRequest", tostring(state.clientErrors[1].message or state.clientErrors[1]))
      assert.is_not_nil(r.err)
      assert.equal(0, state.secure)
    end)

    it("cb may come later (after a timer): the handshake waits for it", function()
      if not needsOpenssl() then return end
      local called
      local server, port, state = startServer({ key = pems["good-key"], cert = pems["good-cert"] },
        function(_, _, cb, st)
          setTimeout(function()
            st.order[#st.order + 1] = "cb"
            called = core.hrtime()
            cb(nil, responses.good)
          end, 150)
        end)
      local started = core.hrtime()
      local r = luatlsClient(port, { requestOCSP = true })
      local out, exit = sClient(port, true)
      local out12, exit12 = sClient(port, true, "-tls1_2")
      closeServer(server)
      assert.is_true((called - started) / 1e6 >= 140, "the timer ran")
      assert.same({ { "OCSPResponse", responses.good }, { "secureConnect" } }, r.events)
      assert.is_true(r.authorized)
      assert.equal("hello\n", r.data)
      for _, o in ipairs({ { out, exit, "TLSv1.3" }, { out12, exit12, "TLSv1.2" } }) do
        assert.equal(0, o[2], o[1])
        assert.matches("Cert Status: good", o[1])
        assert.matches("Protocol  : " .. o[3], o[1], 1, true)
      end
      assert.same({ "OCSPRequest", "cb", "secureConnection", "OCSPRequest", "cb", "secureConnection",
        "OCSPRequest", "cb", "secureConnection" }, state.order)
    end)

    it("a client that leaves while cb is pending: the late cb does nothing, the server goes on", function()
      if not needsOpenssl() then return end
      local pendingCb
      local server, port, state = startServer({ key = pems["good-key"], cert = pems["good-cert"] },
        function(_, _, cb, st)
          if #st.requests == 1 then pendingCb = cb; return end
          cb(nil, responses.good)
        end)
      local c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost",
        ca = { pems["ca-cert"] }, requestOCSP = true })
      local closed, secure = false, false
      c:on("error", function() end)
      c:on("secureConnect", function() secure = true end)
      c:on("close", function() closed = true end)
      helper.wait(function() return pendingCb ~= nil end, 5000, "'OCSPRequest'")
      c:destroy()
      helper.wait(function() return closed end, 5000, "the client to close")
      helper.sleep(50) -- the server sees the client leave
      assert.has_no_error(function() pendingCb(nil, responses.good) end)
      helper.drain()
      local out, exit = sClient(port, true)
      closeServer(server)
      assert.is_false(secure)
      assert.equal(0, exit, out)
      assert.matches("Cert Status: good", out)
      assert.equal(2, #state.requests)
      assert.equal(1, state.secure)
    end)

    -- The example's connection listener only writes: socket:done("hello ...").
    -- Node reads every socket from the start (read(0)) and, at the peer's
    -- EOF, emits 'end' even though nobody consumed the data, so the socket
    -- closes. (The other tests here resume() their sockets to avoid this.)
    it("a server socket that only writes (socket:done) closes when the client leaves, as in Node", function()
      if not needsOpenssl() then return end
      local closed = false
      local server = tls.createServer({ key = pems["good-key"], cert = pems["good-cert"] }, function(s)
        s:on("close", function() closed = true end)
        s:done("hello\n")
      end)
      server:on("OCSPRequest", function(_, _, cb) cb(nil, responses.good) end)
      local port
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end, 5000, "the server to listen")
      local out, exit = sClient(port, true)
      local ok = pcall(helper.wait, function() return closed end, 2000, "the server's socket to close")
      server:close()
      assert.equal(0, exit, out)
      assert.matches("Cert Status: good", out)
      assert.is_true(ok, "the server's socket is still open after the client left " ..
        "(internal/net/socket.lua, internal/streams/: a socket nobody reads never sees the peer's EOF; Node's does)")
    end)

    it("comes after SNI: the certificate (and issuer) of the context SNICallback chose later", function()
      if not needsOpenssl() then return end
      local sniContext = tls.createSecureContext({ key = pems["good-key"], cert = pems["good-cert"],
        ca = { pems["ca-cert"] } })
      local server, port, state = startServer({
        key = pems["server-key"], cert = pems["server-chain"],
        SNICallback = function(name, cb)
          setTimeout(function() cb(nil, name == "localhost" and sniContext or nil) end, 30)
        end,
      }, function(_, _, cb) setTimeout(function() cb(nil, responses.good) end, 30) end)
      local out, exit = sClient(port, true)
      closeServer(server)
      assert.equal(0, exit, out)
      assert.matches("OU = good, CN = localhost", out, 1, true)
      assert.matches("Cert Status: good", out)
      assert.matches("Verify return code: 0 %(ok%)", out)
      assert.equal(1, #state.requests)
      assert.equal(der.good, state.requests[1].cert)
      assert.equal(der.ca, state.requests[1].issuer)
    end)

    it("issuer: the intermediate's DER from the chain, from the CAs, nil when neither holds it", function()
      if not needsOpenssl() then return end
      local cases = {
        { "server-chain.pem", { key = pems["server-key"], cert = pems["server-chain"] }, der.intermediate },
        { "ca = intermediate", { key = pems["server-key"], cert = pems["server-cert"],
          ca = { pems["intermediate-cert"] } }, der.intermediate },
        { "no chain, no ca", { key = pems["server-key"], cert = pems["server-cert"] }, nil },
      }
      for _, case in ipairs(cases) do
        local server, port, state = startServer(case[2], function(_, _, cb) cb(nil, nil) end)
        local out = sClient(port, true)
        closeServer(server)
        assert.equal(1, #state.requests, case[1] .. "\n" .. out)
        assert.equal(der.server, state.requests[1].cert, case[1])
        assert.equal(case[3], state.requests[1].issuer, case[1])
        assert.equal(1, state.secure, case[1])
      end
    end)
  end)

  describe("a luatls client (requestOCSP, 'OCSPResponse')", function()
    helper.leakcheck()

    it("receives what s_server -status_file staples, before 'secureConnect'", function()
      if not needsOpenssl() then return end
      -- good over TLS 1.3, revoked over TLS 1.2 (CertificateStatus message)
      for _, name in ipairs({ "good", "revoked" }) do
        local port = helper.freePort()
        local proc = helper.spawn(string.format(
          "timeout 20 openssl s_server -accept 127.0.0.1:%d -cert %s -key %s -status_file %s -naccept 1 -rev",
          port, q(file(name .. "-cert.pem")), q(file(name .. "-key.pem")), q(file(name .. ".der"))))
        waitFor(proc, "ACCEPT")
        local r
        local c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost",
          ca = { pems["ca-cert"] }, requestOCSP = true, maxVersion = name == "revoked" and "TLSv1.2" or nil })
        local events = {}
        local protocol
        c:on("OCSPResponse", function(resp) events[#events + 1] = { "OCSPResponse", resp } end)
        c:on("secureConnect", function()
          events[#events + 1] = { "secureConnect" }
          r = c.authorized
          protocol = c:getProtocol()
          c:destroy()
        end)
        c:on("error", function(err) r = err end)
        helper.wait(function() return r ~= nil end, 20000, "the handshake")
        helper.drain()
        local out, exit = helper.finish(proc, 25000)
        assert.is_true(r, name .. ": " .. tostring(r) .. "\n" .. out)
        assert.equal(0, exit, out)
        assert.same({ { "OCSPResponse", responses[name] }, { "secureConnect" } }, events, name)
        assert.equal(name, core.ocsp_info(events[1][2]).certStatus)
        assert.equal(name == "revoked" and "TLSv1.2" or "TLSv1.3", protocol)
      end
    end)

    it("gets 'OCSPResponse'(nil) from a luatls server that staples nothing (TLS 1.3 and 1.2)", function()
      if not needsOpenssl() then return end
      local server, port = startServer({ key = pems["good-key"], cert = pems["good-cert"] })
      local r = luatlsClient(port, { requestOCSP = true })
      local r12 = luatlsClient(port, { requestOCSP = true, maxVersion = "TLSv1.2" })
      closeServer(server)
      for _, res in ipairs({ r, r12 }) do
        assert.is_nil(res.err)
        assert.same({ { "OCSPResponse", NIL }, { "secureConnect" } }, res.events)
        assert.equal("hello\n", res.data)
      end
    end)
  end)

  describe("examples/ocsp-stapling.lua", function()
    helper.leakcheck()

    local function runExample(port, key, cert, chain)
      local proc = helper.spawn(string.format("cd %s && timeout 20 %s examples/ocsp-stapling.lua %d %s %s %s",
        q(helper.root), q(helper.luatls), port, q(key), q(cert), chain and q(chain) or ""))
      waitFor(proc, "OCSP stapling server on port " .. port)
      return proc
    end


    it("fetches from the certificate's responder, staples, and staples from its cache the second time", function()
      if not needsOpenssl() then return end
      ensureResponder()
      local before = responderRequests()
      local port = helper.freePort()
      local example = runExample(port, file("good-key.pem"), file("good-cert.pem"), certs.path("ca-cert.pem"))
      local outs = {}
      for i = 1, 2 do
        local out, exit = sClient(port, true)
        assert.equal(0, exit, out)
        outs[i] = out
      end
      local log = helper.kill(example)
      for i = 1, 2 do
        assert.matches("OCSP Response Status: successful", outs[i])
        assert.matches("Cert Status: good", outs[i])
        assert.matches("Verify return code: 0 %(ok%)", outs[i])
        assert.matches("hello ", outs[i])
      end
      assert.equal(before + 1, responderRequests(), "the responder saw one request\n" .. log)
      assert.equal(1, count(log, "OCSP: fetched from http://127%.0%.0%.1:" .. ocspPort .. "/: good"), log)
      assert.equal(1, count(log, "OCSP: stapling the cached response"), log)
    end)

    it("staples the revoked status as the responder answers it", function()
      if not needsOpenssl() then return end
      ensureResponder()
      local port = helper.freePort()
      local example = runExample(port, file("revoked-key.pem"), file("revoked-cert.pem"), certs.path("ca-cert.pem"))
      local out, exit = sClient(port, true)
      local log = helper.kill(example)
      assert.equal(0, exit, out)
      assert.matches("Cert Status: revoked", out)
      assert.matches("OCSP: fetched from [^\n]*: revoked", log)
    end)

    it("staples nothing, and says why, when the responder is down or the issuer unknown", function()
      if not needsOpenssl() then return end
      local port = helper.freePort()
      local example = runExample(port, file("dead-key.pem"), file("dead-cert.pem"), certs.path("ca-cert.pem"))
      local out, exit = sClient(port, true)
      local log = helper.kill(example)
      assert.equal(0, exit, out)
      assert.matches("OCSP response: no response sent", out)
      assert.matches("Verify return code: 0 %(ok%)", out)
      assert.matches("OCSP: stapling nothing: [^\n]*ECONNREFUSED", log)

      port = helper.freePort()
      example = runExample(port, file("good-key.pem"), file("good-cert.pem"))
      out, exit = sClient(port, true)
      log = helper.kill(example)
      assert.equal(0, exit, out)
      assert.matches("OCSP response: no response sent", out)
      assert.matches("OCSP: stapling nothing: the issuer's certificate is not in the chain", log)
    end)
  end)
end)
