-- spec/tls_trace_spec.lua: tracing (issue 17): the enableTrace option of
-- tls.createServer, tls.connect and tls.TLSSocket, socket:enableTrace(),
-- and the interpreter's --trace-tls flag (src/tls/trace.c,
-- internal/tls/socket.lua, lua/luatls/main.lua). A luatls script runs as a
-- child process (under `timeout 20`, its stderr with its stdout) and
-- connects to a server on loopback; OpenSSL's trace (SSL_trace, as Node
-- prints it) names the ClientHello and the ServerHello, and nothing is
-- traced without being asked.
local helper = require("spec.helper")
local count = helper.count
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")
local fs = require("luatls.fs")

local q = helper.quote

-- The child: connects to the port in arg[2] the way arg[1] says, sends
-- "hi", prints what comes back, ends. "server": runs a traced server of
-- its own and connects to it untraced.
local SCRIPT = [[
local tls, net, fs = require("tls"), require("net"), require("fs")
local mode, port, dir = arg[1], tonumber(arg[2]), arg[3]
local ca = fs.readFileSync(dir .. "/ca-cert.pem")
local function client(p, extra)
  local o = { port = p, host = "127.0.0.1", servername = "localhost", ca = ca }
  for k, v in pairs(extra or {}) do o[k] = v end
  local c = tls.connect(o, function(s) s:write("hi") end)
  c:on("data", function(d) print("got " .. d); c:destroy() end)
  return c
end
if mode == "option" then client(port, { enableTrace = true })
elseif mode == "off" then client(port, { enableTrace = false })
elseif mode == "method" then client(port):enableTrace()
elseif mode == "none" then client(port)
elseif mode == "tlssocket" then
  local raw = net.connect(port, "127.0.0.1")
  local s = tls.TLSSocket(raw, { enableTrace = true, ca = ca, servername = "localhost" })
  s:on("secure", function() s:write("hi") end)
  s:on("data", function(d) print("got " .. d); s:destroy() end)
elseif mode == "server" or mode == "hello" then
  local hook = mode == "hello" and function(_, hello, cb) print("ja3 " .. #hello.ja3Hash); cb() end or nil
  local server = tls.createServer({ enableTrace = true, clientHelloCallback = hook,
    key = fs.readFileSync(dir .. "/server-key.pem"), cert = fs.readFileSync(dir .. "/server-chain.pem") },
    function(s) s:on("data", function(d) s:done(d) end) end)
  server:listen(0, "127.0.0.1", function()
    client(server:address().port):on("close", function() server:close() end)
  end)
end
]]

local dir, scriptPath

-- run the child (flags before the script) against port -> its output
local function child(mode, port, flags)
  local proc = helper.peer(string.format("%s %s %s %s %d %s", q(helper.luatls), flags or "", q(scriptPath),
    mode, port or 0, q(certs.path("ca-cert.pem"):match("^(.*)/"))))
  local out, status = helper.finishPeer(proc)
  assert.equal(0, status, out)
  return out
end


local WARNING = "Warning: Enabling --trace-tls can expose sensitive data in the resulting log."

describe("TLS tracing", function()
  local server, port
  before_each(function()
    dir = fs.mkdtempSync("/tmp/luatls-trace-")
    scriptPath = dir .. "/trace.lua"
    fs.writeFileSync(scriptPath, SCRIPT)
    server = tls.createServer(certs.serverOptions(), function(s) s:on("data", function(d) s:done(d) end) end)
    server:on("tlsClientError", function() end)
    port = helper.listen(server)
  end)
  after_each(function()
    helper.closeServer(server, true)
    fs.rmSync(dir, { recursive = true, force = true })
  end)
  helper.leakcheck() -- (after the after_each above, which closes the server)

  it("enableTrace = true on tls.connect prints OpenSSL's trace of the handshake to stderr", function()
    local out = child("option", port)
    assert.truthy(out:find("got hi", 1, true), out)
    assert.truthy(out:find("Sent Record", 1, true), out)
    assert.truthy(out:find("ClientHello, Length=", 1, true), out)
    assert.truthy(out:find("ServerHello, Length=", 1, true), out)
    assert.is_nil(out:find(WARNING, 1, true), out)
  end)

  it("socket:enableTrace(), on a socket that is still connecting, traces it from the start", function()
    local out = child("method", port)
    assert.truthy(out:find("got hi", 1, true), out)
    assert.truthy(out:find("ClientHello, Length=", 1, true), out)
    assert.truthy(out:find("ServerHello, Length=", 1, true), out)
  end)

  it("enableTrace on tls.TLSSocket and on tls.createServer traces those sockets", function()
    local out = child("tlssocket", port)
    assert.truthy(out:find("got hi", 1, true), out)
    assert.truthy(out:find("ClientHello, Length=", 1, true), out)
    -- the server's own: it receives the ClientHello and sends the
    -- ServerHello (its client is not traced: each message once)
    out = child("server")
    assert.truthy(out:find("got hi", 1, true), out)
    assert.truthy(out:find("Received Record", 1, true), out)
    assert.equal(1, count(out, "ClientHello, Length="), out)
    assert.equal(1, count(out, "ServerHello, Length="), out)
  end)

  it("a server with clientHelloCallback and enableTrace has both: one message callback serves them", function()
    local out = child("hello")
    assert.truthy(out:find("ja3 32\n", 1, true), out)
    assert.truthy(out:find("got hi", 1, true), out)
    assert.equal(1, count(out, "ClientHello, Length="), out)
    assert.equal(1, count(out, "ServerHello, Length="), out)
  end)

  it("--trace-tls traces every TLS socket, once warned; enableTrace = false still turns it off", function()
    local out = child("none", port, "--trace-tls")
    assert.truthy(out:find("got hi", 1, true), out)
    assert.truthy(out:find("ClientHello, Length=", 1, true), out)
    assert.truthy(out:find("ServerHello, Length=", 1, true), out)
    assert.equal(1, count(out, "Enabling %-%-trace%-tls"), out)
    assert.truthy(out:find(WARNING, 1, true), out)
    -- both ends of the script's own connection, and the warning once
    out = child("server", nil, "--trace-tls")
    assert.equal(2, count(out, "ClientHello, Length="), out)
    assert.equal(1, count(out, "Enabling %-%-trace%-tls"), out)
    out = child("off", port, "--trace-tls")
    assert.truthy(out:find("got hi", 1, true), out)
    assert.is_nil(out:find("Hello, Length=", 1, true), out)
  end)

  it("nothing is traced without being asked", function()
    local out = child("none", port)
    assert.equal("got hi\n", out)
    out = child("off", port)
    assert.equal("got hi\n", out)
  end)

  it("a value that is not a boolean raises ERR_INVALID_ARG_TYPE", function()
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.connect, certs.connectOptions(port, { enableTrace = 1 }))
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createServer,
      certs.serverOptions({ enableTrace = "yes" }))
    local raw = net.Socket.new()
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.TLSSocket, raw, { enableTrace = {} })
    raw:destroy()
  end)

  it("--trace-tls is in the interpreter's usage; the runtime's options and -e are in process.execArgv, as node's",
    function()
    local out = helper.sh(q(helper.luatls) .. " --help")
    assert.truthy(out:find("--trace-tls", 1, true), out)
    local code = "print(table.concat(process.execArgv, ' '), require('tls').DEFAULT_CIPHERS)"
    out = helper.sh(q(helper.luatls) .. " --trace-tls --tls-cipher-list=HIGH --tls-keylog /dev/null -e " .. q(code))
    assert.equal("--trace-tls --tls-cipher-list=HIGH --tls-keylog /dev/null -e " .. code .. "\tHIGH\n", out)
  end)
end)
