-- Options of Node's that luatls does not implement raise at once (issue 13,
-- section 4), and the connect callbacks get the socket.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")
local EventEmitter = require("luatls.events")

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

local function echoServer(extra)
  local server = tls.createServer(serverOptions(extra), function(s) s:pipe(s) end)
  return server, helper.listen(server)
end

-- connect, send, end, and collect the echo
local function roundTrip(port, data, extra)
  local got, closed, err = {}, false, nil
  local c = tls.connect(clientOptions(port, extra), function(s) s:done(data) end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function(e) err = e end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end, nil, "the TLS round trip")
  return table.concat(got), err, c
end

-- A value for each option, of the type Node takes.
local VALUES = {
  pskCallback = function() return { psk = "secret", identity = "me" } end,
  privateKeyEngine = "pkcs11",
  clientCertEngine = "dynamic",
}

local CONTEXT = {
  "tls.createSecureContext", "tls.createServer", "server:setSecureContext", "tls.connect", "tls.TLSSocket",
}
-- option -> the calls that must refuse it (where Node reads it)
local REFUSED_BY = {
  privateKeyEngine = CONTEXT,
  clientCertEngine = CONTEXT,
}

-- onread, implemented: where Node does not read it, it stays ignored
local ONREAD = { buffer = string.rep("\0", 4096), callback = function() return true end }

local function assertUnavailable(name, call, ok, err)
  assert.is_false(ok, call .. " accepted " .. name)
  assert.equal("table", type(err), tostring(err))
  assert.equal("ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", err.code, tostring(err))
  assert.equal("TypeError", err.name)
  assert.equal(name, err.option)
  assert.truthy(err.message:find("'" .. name .. "'", 1, true), err.message)
  assert.truthy(err.message:find(call, 1, true), err.message)
  assert.truthy(err.message:find("luatls", 1, true), err.message)
  assert.truthy(tostring(err):find("[ERR_FEATURE_UNAVAILABLE_ON_PLATFORM]", 1, true))
end

describe("options luatls does not implement", function()
  helper.leakcheck()

  it("raise ERR_FEATURE_UNAVAILABLE_ON_PLATFORM from every call that takes them, naming the option", function()
    local server, port = echoServer()
    local calls = {
      ["tls.createSecureContext"] = function(o) return tls.createSecureContext(serverOptions(o)) end,
      ["tls.createServer"] = function(o) return tls.createServer(serverOptions(o), function() end) end,
      ["server:setSecureContext"] = function(o) return server:setSecureContext(serverOptions(o)) end,
      ["tls.connect"] = function(o) return tls.connect(clientOptions(port, o), function() end) end,
      ["tls.TLSSocket"] = function(o) return tls.TLSSocket(nil, o) end,
      ["net.Socket"] = function(o) return net.Socket.new(o) end,
      ["net.connect"] = function(o) return net.connect(clientOptions(port, o)) end,
      ["net.createConnection"] = function(o) return net.createConnection(clientOptions(port, o)) end,
    }
    local checked = 0
    for name, refusing in pairs(REFUSED_BY) do
      for _, call in ipairs(refusing) do
        local ok, err = pcall(calls[call], { [name] = VALUES[name] })
        assertUnavailable(name, call, ok, err)
        checked = checked + 1
      end
    end
    assert.equal(5 * 2, checked)
    -- a TLSSocket wrapping a socket refuses them as well (the socket is
    -- left as it was)
    local raw = net.Socket.new()
    local ok, err = pcall(tls.TLSSocket, raw, { isServer = true, clientCertEngine = VALUES.clientCertEngine })
    assertUnavailable("clientCertEngine", "tls.TLSSocket", ok, err)
    assert.is_false(raw.destroyed)
    raw:destroy()
    -- so does tls.connect(port, host, options, cb)
    ok, err = pcall(tls.connect, port, "127.0.0.1", { privateKeyEngine = "pkcs11" }, function() end)
    assertUnavailable("privateKeyEngine", "tls.connect", ok, err)
    -- nothing was left half made: the server serves the next client with
    -- its own certificate
    local echoed, cerr = roundTrip(port, "still serving")
    assert.is_nil(cerr)
    assert.equal("still serving", echoed)
    helper.closeServer(server, true)
  end)

  it("false for enableTrace and allowPartialTrustChain is their default, accepted", function()
    local server, port = echoServer({ enableTrace = false, allowPartialTrustChain = false })
    server:setSecureContext(serverOptions({ allowPartialTrustChain = false }))
    assert.is_table(tls.createSecureContext({ allowPartialTrustChain = false }))
    local raw = net.Socket.new()
    local s = tls.TLSSocket(raw, { enableTrace = false, allowPartialTrustChain = false })
    s:destroy()
    local echoed, cerr = roundTrip(port, "false is off", { enableTrace = false, allowPartialTrustChain = false })
    assert.is_nil(cerr)
    assert.equal("false is off", echoed)
    helper.closeServer(server, true)
  end)

  it("false for the others is no value they take: refused", function()
    local ok, err = pcall(tls.createServer, serverOptions({ privateKeyEngine = false }))
    assertUnavailable("privateKeyEngine", "tls.createServer", ok, err)
    ok, err = pcall(tls.createSecureContext, { clientCertEngine = false })
    assertUnavailable("clientCertEngine", "tls.createSecureContext", ok, err)
  end)

  it("a failed setSecureContext leaves the server's context as it was", function()
    local server, port = echoServer()
    local before = server._secureContext
    local ok, err = pcall(server.setSecureContext, server, serverOptions({ privateKeyEngine = "pkcs11" }))
    assertUnavailable("privateKeyEngine", "server:setSecureContext", ok, err)
    assert.equal(before, server._secureContext)
    local echoed, cerr = roundTrip(port, "same context")
    assert.is_nil(cerr)
    assert.equal("same context", echoed)
    helper.closeServer(server, true)
  end)

  it("highWaterMark: a TLS socket's stream takes it, a server's accepted sockets too, and the echo goes on", function()
    local accepted
    local server = tls.createServer(serverOptions({ highWaterMark = 2048 }), function(s)
      accepted = s
      s:pipe(s)
    end)
    local port = helper.listen(server)
    local got = {}
    local c = tls.connect(clientOptions(port, { highWaterMark = 1024 }), function(s)
      s:write(string.rep("x", 100000))
    end)
    assert.equal(1024, c.readableHighWaterMark)
    assert.equal(1024, c.writableHighWaterMark)
    c:on("data", function(d) got[#got + 1] = d end)
    helper.wait(function() return #table.concat(got) == 100000 end)
    assert.equal(2048, accepted.readableHighWaterMark)
    assert.equal(2048, accepted.writableHighWaterMark)
    c:destroy()
    helper.closeServer(server, true)
    -- and a net server's
    local plainAccepted
    local plain = net.createServer({ highWaterMark = 4096 }, function(s) plainAccepted = s end)
    local pc = net.connect(helper.listen(plain), "127.0.0.1")
    helper.wait(function() return plainAccepted end)
    assert.equal(4096, plainAccepted.readableHighWaterMark)
    pc:destroy()
    helper.closeServer(plain, true)
  end)

  it("unknown names, and these where Node does not read them, stay ignored", function()
    local server, port = echoServer({ noSuchOption = 1, onread = ONREAD, highWaterMark = 1 })
    server:on("tlsClientError", function() end) -- the plain TCP clients below
    assert.is_table(tls.createSecureContext({
      noSuchOption = true, enableTrace = true, pskCallback = VALUES.pskCallback,
    }))
    local echoed, cerr = roundTrip(port, "ignored", { noSuchOption = "x" })
    assert.is_nil(cerr)
    assert.equal("ignored", echoed)
    -- a net.Socket's highWaterMark is implemented (the stream's)
    local connected = false
    local c = net.connect({ port = port, host = "127.0.0.1", highWaterMark = 1024, noSuchOption = {} },
      function() connected = true end)
    assert.equal(1024, c.readableHighWaterMark)
    helper.wait(function() return connected end)
    -- socket:connect() does not read onread (Node's docs moved it to the
    -- constructor)
    local raw, rawConnected = net.Socket.new(), false
    raw:connect({ port = port, host = "127.0.0.1", onread = ONREAD }, function() rawConnected = true end)
    helper.wait(function() return rawConnected end)
    c:destroy()
    raw:destroy()
    helper.closeServer(server, true)
  end)
end)

describe("connect callbacks get the socket", function()
  helper.leakcheck()

  it("tls.connect(options, function(s) ... s.authorized ... end)", function()
    local server, port = echoServer()
    local got, args, authorized
    local returned = tls.connect(clientOptions(port), function(...)
      args = table.pack(...)
      local s = ...
      authorized = s.authorized
      s:done("hi")
    end)
    returned:on("data", function(d) got = (got or "") .. d end)
    helper.wait(function() return returned.destroyed end, nil, "the echo and close")
    assert.equal(1, args.n)
    assert.equal(returned, args[1])
    assert.is_true(authorized)
    assert.equal("hi", got)
    helper.closeServer(server, true)
  end)

  it("the Node example's shape: a local socket cannot see itself, the argument can", function()
    local server, port = echoServer()
    local chunk = load([[
      local tls, options, done = ...
      local socket = tls.connect(options, function(socket)
        done(socket.authorized, socket:getProtocol())
        socket:destroy()
      end)
      return socket
    ]])
    local authorized, protocol
    local s = chunk(tls, clientOptions(port), function(a, p) authorized, protocol = a, p end)
    helper.wait(function() return s.destroyed and authorized ~= nil end)
    assert.is_true(authorized)
    assert.equal("TLSv1.3", protocol)
    helper.closeServer(server, true)
  end)

  it("tls.connect(port, host, options, cb) and tls.connect(port, options, cb)", function()
    local server, port = echoServer()
    local a, b
    local ca = { ca = read("ca-cert.pem"), servername = "localhost" }
    local s1 = tls.connect(port, "127.0.0.1", ca, function(s) a = s; s:destroy() end)
    local s2 = tls.connect(port, { host = "127.0.0.1", ca = read("ca-cert.pem"), servername = "localhost" },
      function(s) b = s; s:destroy() end)
    helper.wait(function() return a and b end)
    assert.equal(s1, a)
    assert.equal(s2, b)
    helper.closeServer(server, true)
  end)

  it("net.connect, net.createConnection and socket:connect", function()
    local server = net.createServer(function(s) s:destroy() end)
    local port = helper.listen(server)
    local got = {}
    local c1 = net.connect(port, "127.0.0.1", function(...) got[1] = table.pack(...) end)
    local c2 = net.createConnection({ port = port, host = "127.0.0.1" }, function(s) got[2] = s end)
    local c3 = net.Socket.new()
    c3:connect(port, "127.0.0.1", function(s) got[3] = s end)
    helper.wait(function() return got[1] and got[2] and got[3] end)
    assert.equal(1, got[1].n)
    assert.equal(c1, got[1][1])
    assert.equal(c2, got[2])
    assert.equal(c3, got[3])
    for _, c in ipairs({ c1, c2, c3 }) do c:destroy() end
    helper.closeServer(server, true)
  end)

  it("the callback is a once listener as in Node: removeListener finds it", function()
    local server, port = echoServer()
    local called = false
    local function cb() called = true end
    local s = tls.connect(clientOptions(port), cb)
    assert.equal(1, s:listenerCount("secureConnect"))
    s:removeListener("secureConnect", cb)
    assert.equal(0, s:listenerCount("secureConnect"))
    local other = false
    s:on("secureConnect", function(...) other = select("#", ...) end)
    helper.wait(function() return other end)
    assert.is_false(called)
    assert.equal(0, other) -- the event itself carries nothing, as in Node
    s:destroy()
    helper.closeServer(server, true)
    local plain = net.createServer(function(c) c:destroy() end)
    local c = net.connect(helper.listen(plain), "127.0.0.1", cb)
    c:removeListener("connect", cb)
    assert.equal(0, c:listenerCount("connect"))
    c:destroy()
    helper.closeServer(plain, true)
  end)

  it("unchanged: server:listen's callback gets nothing, the connection listeners their socket", function()
    local listenArgs, tlsConn, netConn
    local server = tls.createServer(serverOptions(), function(s) tlsConn = s; s:destroy() end)
    server:listen(0, "127.0.0.1", function(...) listenArgs = table.pack(...) end)
    helper.wait(function() return listenArgs end)
    assert.equal(0, listenArgs.n)
    local port = server:address().port
    local c = tls.connect(clientOptions(port))
    c:on("error", function() end)
    helper.wait(function() return tlsConn end)
    assert.is_true(EventEmitter.instanceOf(tlsConn, tls.TLSSocket))
    c:destroy()
    helper.closeServer(server, true)

    local plain = net.createServer(function(s) netConn = s; s:destroy() end)
    local pport = helper.listen(plain)
    local c2 = net.connect(pport, "127.0.0.1")
    c2:on("error", function() end)
    helper.wait(function() return netConn end)
    assert.is_true(EventEmitter.instanceOf(netConn, net.Socket))
    assert.is_false(EventEmitter.instanceOf(netConn, tls.TLSSocket))
    c2:destroy()
    helper.closeServer(plain, true)
  end)
end)
