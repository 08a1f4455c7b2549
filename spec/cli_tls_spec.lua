-- The interpreter's TLS options and environment, as node's: --tls-keylog and
-- SSLKEYLOGFILE (checked against the key log of openssl s_server /
-- s_client, the peer's own), --tls-min-v1.x / --tls-max-v1.x,
-- --use-openssl-ca / --use-bundled-ca, LUATLS_EXTRA_CA_CERTS; and
-- tls.getCACertificates / tls.setDefaultCACertificates, which change the
-- process's default CA store, so they run in a child too. Every test runs a
-- child luatls (bounded by timeout(1)) on a script written to a temporary
-- directory; its servers listen on 127.0.0.1 only.
local helper = require("spec.helper")
local certs = require("spec.certs")
local fs = require("luatls.fs")
local tls = require("luatls.tls")

local q = helper.quote

-- What every child script starts with: serve(options) -> a server of the
-- test certificates (chain of the test CA) on 127.0.0.1; try(port[, options])
-- -> "connected <protocol> <authorized>" or "error <code>" for one connect
-- (no `ca` unless options give one).
local PRELUDE = [[
local tls = require("tls")
local fs = require("fs")
local async = require("luatls.async")
local CERTS = os.getenv("CERTS")
local function pem(name) return fs.readFileSync(CERTS .. "/" .. name) end
local function merge(o, extra)
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end
local function serve(extra)
  local s = tls.createServer(merge({ key = pem("server-key.pem"), cert = pem("server-chain.pem") }, extra),
    function(c) c:on("error", function() end) end)
  s:on("tlsClientError", function() end)
  async.await(function(cb) s:listen(0, "127.0.0.1", function() cb() end) end)
  return s, s:address().port
end
local function try(port, extra)
  return async.await(function(cb)
    local done = false
    local function finish(r)
      if not done then done = true; cb(nil, r) end
    end
    local c
    c = tls.connect(merge({ port = port, host = "127.0.0.1", servername = "localhost" }, extra), function()
      finish("connected " .. tostring(c:getProtocol()) .. " " .. tostring(c.authorized))
      c:destroy()
    end)
    c:on("error", function(e) finish("error " .. tostring(e.code)) end)
  end)
end
]]

local dir -- a temporary directory for the scripts and key logs
local procs -- peers started by the test, killed after it

local function write(name, text)
  local path = dir .. "/" .. name
  fs.writeFileSync(path, text)
  return path
end

local nscript = 0

-- child(body[, flags][, env][, args]) -> output (stdout and stderr), exit
-- status of `env luatls flags script args`, the script being PRELUDE ..
-- body; the loop runs meanwhile
local function start(body, flags, env, args)
  nscript = nscript + 1
  local script = write("script" .. nscript .. ".lua", PRELUDE .. body)
  local proc = helper.spawn(string.format("cd %s && env CERTS=%s %s timeout 20 %s %s %s %s", q(dir),
    q(certs.certs()), env or "", q(helper.luatls), flags or "", q(script), args or ""))
  procs[#procs + 1] = proc
  return proc
end

local function child(body, flags, env, args)
  return helper.finish(start(body, flags, env, args), 30000)
end

-- the lines of a child's output that start with a word of ours
local function results(out)
  local t = {}
  for line in out:gmatch("[^\n]+") do
    if line:match("^connected ") or line:match("^error ") or line:match("^value ") then t[#t + 1] = line end
  end
  return t
end

-- openssl s_server for n connections on a free port, with the test chain
-- (-www: it waits for a request instead of reading its stdin); -> proc,
-- port once it listens
local function sServer(args, n)
  local port = helper.freePort()
  local proc = helper.spawn(string.format(
    "cd %s && timeout 20 openssl s_server -accept 127.0.0.1:%d -cert server-cert.pem -cert_chain intermediate-cert.pem"
    .. " -key server-key.pem -www -naccept %d %s", q(certs.certs()), port, n or 1, args or ""))
  procs[#procs + 1] = proc
  helper.wait(function() return helper.output(proc):find("ACCEPT") ~= nil end, 15000, "openssl s_server")
  return proc, port
end

-- a key log as { ["LABEL client_random"] = secret }, and its number of lines
local function keylog(text)
  local t, n = {}, 0
  for label, random, secret in text:gmatch("([%u_%d]+) (%x+) (%x+)\n") do
    t[label .. " " .. random] = secret
    n = n + 1
  end
  return t, n
end

-- every line of ours is the peer's, for the same client random
local function assertSameKeys(ours, peers, labels)
  local mine, n = keylog(ours)
  local theirs = keylog(peers)
  assert.is_true(n >= #labels, "key log lines: " .. ours)
  for key, secret in pairs(mine) do
    assert.equal(theirs[key], secret, "the peer logged another secret for " .. key)
  end
  for _, label in ipairs(labels) do
    local found = false
    for key in pairs(mine) do
      if key:sub(1, #label + 1) == label .. " " then found = true end
    end
    assert.is_true(found, label .. " is missing from " .. ours)
  end
end

local TLS13_LABELS = { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                       "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET" }

-- one connect to port, no ca: its result line
local CONNECT = [[
print(try(tonumber(arg[1]), { ca = arg[2] and pem(arg[2]) or nil }))
]]

describe("the interpreter's TLS options and environment", function()
  helper.leakcheck()

  before_each(function()
    dir = fs.mkdtempSync("/tmp/luatls-clitls-")
    procs = {}
  end)
  after_each(function()
    for _, p in ipairs(procs) do
      if helper.done(p) then os.execute("rm -rf " .. q(p.dir)) else helper.kill(p) end
    end
    fs.rmSync(dir, { recursive = true, force = true })
  end)

  describe("--tls-keylog and SSLKEYLOGFILE", function()
    it("--tls-keylog=FILE appends a client's TLS 1.3 secrets, the ones openssl s_server logged", function()
      if not helper.needs("openssl") then return end
      local peer, port = sServer("-keylogfile " .. q(dir .. "/peer.log"))
      local out, status = child(CONNECT, "--tls-keylog=" .. q(dir .. "/keys.log"), nil,
        port .. " ca-cert.pem")
      assert.equal(0, status, out)
      assert.same({ "connected TLSv1.3 true" }, results(out))
      helper.finish(peer)
      assertSameKeys(fs.readFileSync(dir .. "/keys.log"), fs.readFileSync(dir .. "/peer.log"), TLS13_LABELS)
      -- as node: one warning, and the file is the user's alone
      assert.matches("Using %-%-tls%-keylog makes TLS connections insecure by writing secret key material to file",
        out)
      assert.equal(tonumber("600", 8), fs.statSync(dir .. "/keys.log").mode % 512)
    end)

    it("appends: a second connection's lines follow the first's (TLS 1.2 with --tls-max-v1.2: CLIENT_RANDOM)",
      function()
        if not helper.needs("openssl") then return end
        local peer, port = sServer("-keylogfile " .. q(dir .. "/peer.log"), 2)
        local out, status = child(CONNECT .. CONNECT, "--tls-max-v1.2 --tls-keylog " .. q(dir .. "/keys.log"), nil,
          port .. " ca-cert.pem")
        assert.equal(0, status, out)
        assert.same({ "connected TLSv1.2 true", "connected TLSv1.2 true" }, results(out))
        helper.finish(peer)
        local ours = fs.readFileSync(dir .. "/keys.log")
        assertSameKeys(ours, fs.readFileSync(dir .. "/peer.log"), { "CLIENT_RANDOM" })
        local _, n = keylog(ours)
        assert.equal(2, n)
      end)

    it("SSLKEYLOGFILE: a luatls server logs what openssl s_client -keylogfile logged", function()
      if not helper.needs("openssl") then return end
      local server = start([[
        local s, port = serve()
        print("listening " .. port)
        io.stdout:flush()
        s:on("secureConnection", function(c) c:on("end", function() s:close() end) end)
      ]], nil, "SSLKEYLOGFILE=" .. q(dir .. "/keys.log"))
      helper.wait(function() return helper.output(server):find("listening %d+") ~= nil end, 15000, "the server")
      local port = helper.output(server):match("listening (%d+)")
      local client = helper.spawn(string.format("cd %s && timeout 20 openssl s_client -connect 127.0.0.1:%s"
        .. " -servername localhost -CAfile ca-cert.pem -keylogfile %s", q(certs.certs()), port,
        q(dir .. "/peer.log")), "")
      procs[#procs + 1] = client
      local cout = helper.finish(client)
      assert.matches("Verify return code: 0", cout)
      local out, status = helper.finish(server)
      assert.equal(0, status, out)
      assertSameKeys(fs.readFileSync(dir .. "/keys.log"), fs.readFileSync(dir .. "/peer.log"), TLS13_LABELS)
      assert.matches("Using SSLKEYLOGFILE makes TLS connections insecure", out)
    end)
  end)

  describe("--tls-min-v1.x and --tls-max-v1.x", function()
    -- a server that speaks only `version` (ciphers for TLS 1.0/1.1 too)
    local function onlyServer(version)
      return string.format([[
        local s, port = serve({ minVersion = %q, maxVersion = %q, ciphers = "DEFAULT@SECLEVEL=0" })
        print("value " .. tls.DEFAULT_MIN_VERSION .. " " .. tls.DEFAULT_MAX_VERSION)
        print(try(port, { ca = pem("ca-cert.pem") }))
        s:close()
      ]], version, version)
    end

    it("--tls-min-v1.0 and --tls-min-v1.1 let a client reach a TLS 1.0 / 1.1 server; the default does not", function()
      -- luatls's default cipher list is AEAD only: TLS 1.0/1.1 need another
      local ciphers = "--tls-cipher-list=DEFAULT "
      local out = child(onlyServer("TLSv1"), ciphers .. "--tls-min-v1.0")
      assert.same({ "value TLSv1 TLSv1.3", "connected TLSv1 true" }, results(out))
      out = child(onlyServer("TLSv1.1"), ciphers .. "--tls-min-v1.1")
      assert.same({ "value TLSv1.1 TLSv1.3", "connected TLSv1.1 true" }, results(out))
      -- the lowest minimum wins, as in node
      out = child(onlyServer("TLSv1.1"), ciphers .. "--tls-min-v1.2 --tls-min-v1.1")
      assert.same({ "value TLSv1.1 TLSv1.3", "connected TLSv1.1 true" }, results(out))
      out = child(onlyServer("TLSv1.1"), ciphers)
      local r = results(out)
      assert.equal("value TLSv1.2 TLSv1.3", r[1])
      assert.matches("^error ", r[2])
    end)

    it("--tls-min-v1.3 refuses a TLS 1.2 server; --tls-min-v1.2 keeps the default", function()
      local r = results(child(onlyServer("TLSv1.2"), "--tls-min-v1.3"))
      assert.equal("value TLSv1.3 TLSv1.3", r[1])
      assert.matches("^error ", r[2])
      r = results(child(onlyServer("TLSv1.2"), "--tls-min-v1.2"))
      assert.same({ "value TLSv1.2 TLSv1.3", "connected TLSv1.2 true" }, r)
    end)

    it("--tls-max-v1.2 makes clients offer TLS 1.2 at most; with --tls-max-v1.3 the highest maximum wins", function()
      local body = [[
        local s, port = serve()
        print("value " .. tls.DEFAULT_MAX_VERSION)
        print(try(port, { ca = pem("ca-cert.pem") }))
        s:close()
      ]]
      assert.same({ "value TLSv1.2", "connected TLSv1.2 true" }, results(child(body, "--tls-max-v1.2")))
      assert.same({ "value TLSv1.3", "connected TLSv1.3 true" },
        results(child(body, "--tls-max-v1.2 --tls-max-v1.3")))
      assert.same({ "value TLSv1.3", "connected TLSv1.3 true" }, results(child(body, "--tls-max-v1.3")))
    end)

    it("refuses what node refuses, with node's message and status 9", function()
      local cases = {
        { "--tls-min-v1.3 --tls-max-v1.2", "either %-%-tls%-min%-v1%.3 or %-%-tls%-max%-v1%.2 can be used, not both" },
        { "--use-openssl-ca --use-bundled-ca", "either %-%-use%-openssl%-ca or %-%-use%-bundled%-ca can be used" },
        { "--tls-keylog --tls-min-v1.2", "%-%-tls%-keylog requires an argument" },
        { "--tls-keylog=", "%-%-tls%-keylog= requires an argument" },
      }
      for _, case in ipairs(cases) do
        local out, status = child("print('ran')", case[1])
        assert.equal(9, status, case[1])
        assert.matches(case[2], out)
        assert.is_nil(out:find("ran"))
      end
    end)
  end)

  describe("the default CA store: LUATLS_EXTRA_CA_CERTS, --use-openssl-ca, --use-bundled-ca", function()
    local BODY = [[
      local s, port = serve()
      print("value " .. #tls.getCACertificates("extra"))
      print(try(port))
      print(try(port, { ca = pem("ca-cert.pem") }))
      s:close()
    ]]

    it("a client without ca trusts the extra file's CA, whichever store is chosen; without it, it does not",
      function()
        local extra = "LUATLS_EXTRA_CA_CERTS=" .. q(certs.path("ca-cert.pem"))
        for _, flags in ipairs({ "", "--use-openssl-ca", "--use-bundled-ca" }) do
          local out, status = child(BODY, flags, extra)
          assert.equal(0, status, out)
          assert.same({ "value 1", "connected TLSv1.3 true", "connected TLSv1.3 true" }, results(out), flags)
        end
        local out = child(BODY)
        assert.same({ "value 0", "error UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "connected TLSv1.3 true" },
          results(out))
      end)

    it("a file that cannot be read: node's warning at start, and the script goes on", function()
      local out, status = child(BODY, nil, "LUATLS_EXTRA_CA_CERTS=" .. q(dir .. "/missing.pem"))
      assert.equal(0, status, out)
      assert.matches("^Warning: Ignoring extra certs from `" .. dir:gsub("%p", "%%%0")
        .. "/missing%.pem`, load failed: error:80000002:system library::No such file or directory\n", out)
      assert.same({ "value 0", "error UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "connected TLSv1.3 true" },
        results(out))
    end)

    it("--use-openssl-ca and --use-bundled-ca both take OpenSSL's default file (SSL_CERT_FILE)", function()
      fs.mkdirSync(dir .. "/empty")
      local env = "SSL_CERT_FILE=" .. q(certs.path("ca-bundle.pem")) .. " SSL_CERT_DIR=" .. q(dir .. "/empty")
      local body = [[
        local s, port = serve()
        print("value " .. #tls.getCACertificates("system") .. " " .. #tls.getCACertificates("bundled")
          .. " " .. #tls.getCACertificates())
        print(try(port))
        s:close()
      ]]
      for _, flags in ipairs({ "--use-openssl-ca", "--use-bundled-ca" }) do
        local out, status = child(body, flags, env)
        assert.equal(0, status, out)
        assert.same({ "value 2 2 2", "connected TLSv1.3 true" }, results(out), flags)
      end
    end)
  end)

  describe("tls.getCACertificates and tls.setDefaultCACertificates", function()
    it("setDefaultCACertificates({ ca }) makes a connect without ca verify the test server", function()
      local out, status = child([[
        local s, port = serve()
        print(try(port))
        local ca = pem("ca-cert.pem")
        tls.setDefaultCACertificates({ ca, ca })
        local now = tls.getCACertificates()
        print("value " .. #now .. " " .. tostring(now[1] == ca))
        print(try(port))
        -- a wrong list changes nothing
        print("value " .. tostring(pcall(tls.setDefaultCACertificates, { "junk" })))
        print(try(port))
        -- contexts made before keep what they trusted
        tls.setDefaultCACertificates({})
        print("value " .. #tls.getCACertificates("default"))
        print(try(port))
        s:close()
      ]])
      assert.equal(0, status, out)
      assert.same({
        "error UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        "value 1 true", "connected TLSv1.3 true",
        "value false", "connected TLSv1.3 true",
        "value 0", "error UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      }, results(out))
    end)

    it("lists PEM certificates of each type; 'bundled' is the system's own list", function()
      local system = tls.getCACertificates("system")
      assert.same(system, tls.getCACertificates("bundled"))
      for _, pem in ipairs(system) do
        assert.matches("^%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-\n", pem)
      end
      assert.same({}, tls.getCACertificates("extra")) -- the spec runner has none
      assert.is_table(tls.getCACertificates())
      -- a new table each call
      local a = tls.getCACertificates("system")
      a[1] = "changed"
      assert.are_not.equal("changed", tls.getCACertificates("system")[1])
    end)

    it("gives node's errors for bad input and keeps the store", function()
      local before = tls.getCACertificates()
      for _, v in ipairs({ 1, true, {}, print }) do
        helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.getCACertificates, v)
      end
      local e = helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.getCACertificates, "test")
      assert.matches("must be one of: 'default', 'system', 'bundled', 'extra'", e.message)
      for _, v in ipairs({ "string", 42, true, print }) do
        e = helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.setDefaultCACertificates, v)
        assert.matches('The "certs" argument must be an instance of Array', e.message)
      end
      helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.setDefaultCACertificates)
      local ca = certs.read("ca-cert.pem")
      e = helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.setDefaultCACertificates, { ca, 42 })
      assert.matches('The "certs%[2%]" argument must be of type string', e.message)
      e = helper.raisesWith("ERR_CRYPTO_OPERATION_FAILED", "Error", tls.setDefaultCACertificates,
        { "not a valid certificate" })
      assert.matches("No valid certificates found in the provided array", e.message)
      helper.raisesWith("ERR_OSSL_PEM_ASN1_LIB", "Error", tls.setDefaultCACertificates,
        { ca, "-----BEGIN CERTIFICATE-----\nvalidcertcontent\n-----END CERTIFICATE-----\n" })
      assert.same(before, tls.getCACertificates())
    end)
  end)
end)
