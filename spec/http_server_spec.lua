-- http.createServer and https.createServer against real clients: curl,
-- Python (http.client, raw sockets), Node's http client, openssl s_client.
local helper = require("spec.helper")
local certs = require("spec.certs")
local http = require("luatls.http")
local https = require("luatls.https")
local crypto = require("luatls.crypto")
local net = require("luatls.net")

local quote = helper.quote

local function closeServer(server)
  if not server.listening then return end
  server:closeAllConnections()
  local closed = false
  server:close(function() closed = true end)
  helper.wait(function() return closed end, nil, "the server to close")
end

-- listen(server) -> its port; the server is closed when the test ends
local function listen(server)
  helper.onCleanup(function() closeServer(server) end)
  return helper.listen(server)
end

-- python3 -c script [args]: its output (the loop runs while it works)
local function python(script, ...)
  local args = {}
  for _, a in ipairs({ ... }) do args[#args + 1] = quote(a) end
  local out, status = helper.finishPeer(helper.peer("python3 -c " .. quote(script) .. " " .. table.concat(args, " ")))
  assert(status == 0, "python failed: " .. out)
  return out
end

-- raw(port, bytes[, halfClose]) -> what a plain TCP client (Python) read
-- until the server closed (or 5 s of silence)
local RAW = [[
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode("latin1"))
if sys.argv[3] == "1": s.shutdown(socket.SHUT_WR)
s.settimeout(5)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d: break
        out += d
except socket.timeout:
    out += b"<timeout>"
sys.stdout.write(out.decode("latin1"))
]]
-- IDLE_THEN port first second: sends `first` on a connection and reads
-- until the server closes it ("closed after S"), then sends `second` on a
-- new one and prints the first read ("then got b'...'")
local IDLE_THEN = [[
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode("latin1"))
s.settimeout(5)
out = b""
t0 = time.time()
while True:
    d = s.recv(65536)
    if not d: break
    out += d
print(out.decode())
print("closed after", "%.2f" % (time.time() - t0))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[3].encode("latin1"))
s.settimeout(5)
print("then got", repr(s.recv(65536)))
]]

local function raw(port, bytes, halfClose)
  return python(RAW, tostring(port), bytes, halfClose and "1" or "0")
end

local function hello(req, res)
  res:setHeader("Content-Type", "text/plain")
  res:done("hello " .. req.method .. " " .. req.url .. "\n")
end

describe("http server", function()
  helper.leakcheck()

  it("curl: GET twice on one keep-alive connection, HEAD without a body", function()
    if not helper.needs("curl") then return end
    local seen = {}
    local server = http.createServer(function(req, res)
      seen[#seen + 1] = req
      hello(req, res)
    end)
    local port = listen(server)
    local base = "http://127.0.0.1:" .. port
    local out = helper.finishPeer(helper.peer(string.format(
      "curl -sS --http1.1 -v %s/a %s/b?x=1", base, base)))
    assert.matches("hello GET /a\n", out, 1, true)
    assert.matches("hello GET /b%?x=1\n", out)
    assert.matches("Re%-using existing connection", out)
    assert.matches("< HTTP/1.1 200 OK", out, 1, true)
    assert.matches("< Connection: keep%-alive", out)
    assert.matches("< Keep%-Alive: timeout=5", out)
    assert.matches("< Content%-Length: 13\r?\n", out)
    assert.matches("< Date: %a%a%a, %d%d %a%a%a %d%d%d%d", out)
    assert.equal(2, #seen)
    assert.equal("1.1", seen[1].httpVersion)
    assert.equal("127.0.0.1:" .. port, seen[1].headers.host)
    assert.equal("curl", seen[1].headers["user-agent"]:match("^curl"))
    out = helper.finishPeer(helper.peer(string.format("curl -sS --http1.1 -I %s/h", base)))
    assert.matches("HTTP/1.1 200 OK", out, 1, true)
    assert.matches("Content%-Type: text/plain", out)
    closeServer(server)
  end)

  it("curl: a chunked upload (--data-binary) reaches the request's body whole", function()
    if not helper.needs("curl") then return end
    local body = helper.randomString(300000)
    local file = os.tmpname()
    local f = assert(io.open(file, "wb"))
    f:write(body)
    f:close()
    local server = http.createServer(function(req, res)
      local hash = crypto.createHash("sha256")
      local n = 0
      req:on("data", function(chunk)
        n = n + #chunk
        hash:update(chunk)
      end)
      req:on("end", function()
        res:writeHead(201, { ["X-Bytes"] = n, ["X-TE"] = req.headers["transfer-encoding"] })
        res:done(hash:digest("hex"))
      end)
    end)
    local port = listen(server)
    local out = helper.finishPeer(helper.peer(string.format(
      "curl -sS --http1.1 -i -H 'Transfer-Encoding: chunked' --data-binary @%s http://127.0.0.1:%d/up",
      quote(file), port)))
    os.remove(file)
    assert.matches("HTTP/1.1 201 Created", out, 1, true)
    assert.matches("X%-Bytes: 300000", out)
    assert.matches("X%-TE: chunked", out)
    assert.matches(crypto.createHash("sha256"):update(body):digest("hex"), out, 1, true)
    closeServer(server)
  end)

  it("a response without a length is chunked, with trailers; write() returns and 'finish' comes", function()
    local finished = false
    local server = http.createServer(function(_, res)
      res:setHeader("Trailer", "X-Sum")
      res:write("part one, ")
      res:write("part two")
      res:addTrailers({ ["X-Sum"] = "42" })
      res:on("finish", function() finished = true end)
      res:done()
    end)
    local port = listen(server)
    local out = raw(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert.matches("Transfer%-Encoding: chunked\r\n", out)
    assert.matches("\r\n\r\na\r\npart one, \r\n8\r\npart two\r\n0\r\nX%-Sum: 42\r\n\r\n$", out)
    helper.wait(function() return finished end)
    closeServer(server)
  end)

  it("Python http.client: headers as Node joins them, set-cookie a list, status text", function()
    local req
    local server = http.createServer(function(r, res)
      req = r
      res:setHeader("Set-Cookie", { "a=1", "b=2" })
      res:writeHead(418, "Short And Stout", { ["X-Custom"] = "yes" })
      res:done()
    end)
    local port = listen(server)
    local out = python([[
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.putrequest("GET", "/p?q=1")
c.putheader("Accept", "a")
c.putheader("Accept", "b")
c.putheader("Cookie", "x=1")
c.putheader("Cookie", "y=2")
c.putheader("Content-Type", "first")
c.putheader("Content-Type", "second")
c.endheaders()
r = c.getresponse()
print(r.status, r.reason)
print(r.getheader("X-Custom"))
print(r.msg.get_all("Set-Cookie"))
]], tostring(port))
    assert.matches("418 Short And Stout", out, 1, true)
    assert.matches("yes", out, 1, true)
    assert.matches("['a=1', 'b=2']", out, 1, true)
    assert.equal("a, b", req.headers.accept)
    assert.equal("x=1; y=2", req.headers.cookie)
    assert.equal("first", req.headers["content-type"])
    assert.equal("/p?q=1", req.url)
    local names = {}
    for i = 1, #req.rawHeaders, 2 do names[#names + 1] = req.rawHeaders[i] end
    assert.same({ "Host", "Accept-Encoding", "Accept", "Accept", "Cookie", "Cookie", "Content-Type",
      "Content-Type" }, names)
    closeServer(server)
  end)

  it("pipelined requests get their responses in order, even when the first answers last", function()
    local server = http.createServer(function(req, res)
      if req.url == "/slow" then
        setTimeout(function() res:done("slow") end, 100)
      else
        res:done(req.url:sub(2))
      end
    end)
    local port = listen(server)
    local out = raw(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n" ..
      "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    local bodies = {}
    for body in out:gmatch("\r\n\r\n(%l+)") do bodies[#bodies + 1] = body end
    assert.same({ "slow", "two", "three" }, bodies)
    assert.is_nil(out:find("<timeout>", 1, true))
    closeServer(server)
  end)

  it("a body that came whole while its reader was paused: the next request on the connection is served", function()
    -- (the body comes in one read, more than the reader holds: the socket
    -- paused for the full reader; its _read, which resumed
    -- the socket, is never called once the body ended)
    local server = http.createServer(function(req, res)
      local got = 0
      req:on("data", function(d) got = got + #d end)
      req:on("end", function() res:done(req.url .. " " .. got) end)
      req:pause()
      setTimeout(function() req:resume() end, 20)
    end)
    local port = listen(server)
    local out = ""
    local client = net.connect(port, "127.0.0.1", function(client)
      client:write("POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n" .. string.rep("a", 20000))
    end)
    client:on("data", function(d)
      out = out .. d
      if out:find("/one 20000", 1, true) and not out:find("/two", 1, true) then
        client:write("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
      end
    end)
    helper.wait(function() return client.destroyed end, 5000, "both responses")
    assert.matches("/one 20000.*/two 3$", out)
    closeServer(server)
  end)

  it("HTTP/1.0: no chunked framing, the connection closes after the response", function()
    local server = http.createServer(function(_, res)
      res:write("one ")
      res:done("two")
    end)
    local port = listen(server)
    local out = raw(port, "GET / HTTP/1.0\r\n\r\n")
    assert.matches("^HTTP/1.1 200 OK\r\n", out)
    assert.is_nil(out:find("chunked", 1, true))
    assert.matches("Connection: close", out, 1, true)
    assert.matches("\r\n\r\none two$", out)
    closeServer(server)
  end)

  local malformed = {
    { "Content-Length and Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
    { "two different Content-Lengths",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd" },
    { "a bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" },
    { "an obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n" },
    { "a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n" },
    { "a bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n" },
    { "a control character in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\1b\r\n\r\n" },
  }
  for _, case in ipairs(malformed) do
    it("refuses " .. case[1] .. " with a 400 and serves the next connection", function()
      local errs = {}
      -- (answered once the body is in: a body's error comes after the head)
      local server = http.createServer(function(req, res)
        req:resume()
        req:on("end", function() hello(req, res) end)
      end)
      local port = listen(server)
      local out = raw(port, case[2])
      assert.matches("^HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n$", out)
      out = raw(port, "GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      assert.matches("hello GET /next", out, 1, true)
      -- with a 'clientError' listener, the listener decides
      server:on("clientError", function(err, socket)
        errs[#errs + 1] = err
        socket:done("HTTP/1.1 400 Custom\r\n\r\n")
      end)
      out = raw(port, case[2])
      assert.matches("^HTTP/1.1 400 Custom", out)
      assert.equal(1, #errs)
      assert.matches("^HPE_", errs[1].code)
      assert.matches("^Parse Error: ", errs[1].message)
      assert.equal("string", type(errs[1].rawPacket))
      closeServer(server)
    end)
  end

  it("a head over maxHeaderSize gets 431; maxHeadersCount keeps the first headers", function()
    local got
    local server = http.createServer({ maxHeaderSize = 1024 }, function(req, res)
      got = req
      hello(req, res)
    end)
    server.maxHeadersCount = 3
    local port = listen(server)
    local out = raw(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " .. string.rep("a", 2000) .. "\r\n\r\n")
    assert.matches("^HTTP/1.1 431 Request Header Fields Too Large\r\n", out)
    out = raw(port, "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nConnection: close\r\n\r\n")
    assert.matches("200 OK", out, 1, true)
    assert.same({ "Host", "x", "A", "1", "B", "2" }, got.rawHeaders)
    closeServer(server)
  end)

  it("Expect: 100-continue: 'checkContinue' decides; without it the 100 goes at once", function()
    if not helper.needs("curl") then return end
    local checked = 0
    local server = http.createServer(function(req, res)
      local n = 0
      req:on("data", function(c) n = n + #c end)
      req:on("end", function() res:done("got " .. n) end)
    end)
    local port = listen(server)
    local cmd = string.format("curl -sS --http1.1 -v -H 'Expect: 100-continue' --data-binary 'hello there' " ..
      "http://127.0.0.1:%d/", port)
    local out = helper.finishPeer(helper.peer(cmd))
    assert.matches("< HTTP/1.1 100 Continue", out, 1, true)
    assert.matches("got 11", out, 1, true)
    server:on("checkContinue", function(req, res)
      checked = checked + 1
      if req.url == "/no" then
        res:writeHead(417)
        res:done()
      else
        res:writeContinue()
        server:emit("request", req, res)
      end
    end)
    out = helper.finishPeer(helper.peer(cmd .. "no"))
    assert.matches("< HTTP/1.1 417 Expectation Failed", out, 1, true)
    out = helper.finishPeer(helper.peer(cmd))
    assert.matches("got 11", out, 1, true)
    assert.equal(2, checked)
    closeServer(server)
  end)

  it("'upgrade': the socket and the bytes after the head go to the listener", function()
    local server = http.createServer(hello)
    server:on("upgrade", function(req, socket, head)
      socket:write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
      socket:write("head=" .. head .. ";")
      socket:on("data", function(d) socket:write(d:upper()) end)
      socket:on("end", function() socket:done("|" .. req.headers.upgrade) end)
    end)
    local port = listen(server)
    local out = raw(port, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly", true)
    assert.matches("^HTTP/1.1 101 Switching Protocols\r\n", out)
    assert.matches("head=early;|echo$", out)
    closeServer(server)
  end)

  it("an Upgrade nobody listens for is served as a plain request", function()
    local server = http.createServer(hello)
    local port = listen(server)
    local out = raw(port, "GET /u HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n" ..
      "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert.matches("hello GET /u\n", out, 1, true)
    assert.matches("hello GET /after\n", out, 1, true)
    closeServer(server)
  end)

  it("'connect': curl's CONNECT tunnel (-p -x) through a server that pipes to the target", function()
    if not helper.needs("curl") then return end
    local target = http.createServer(hello)
    local targetPort = listen(target)
    local proxy = http.createServer(function(_, res) res:writeHead(405); res:done() end)
    proxy:on("connect", function(req, socket, head)
      local host, port = req.url:match("^(.*):(%d+)$")
      local upstream
      upstream = net.connect(tonumber(port), host, function()
        socket:write("HTTP/1.1 200 Connection Established\r\n\r\n")
        if #head > 0 then upstream:write(head) end
        upstream:pipe(socket)
        socket:pipe(upstream)
      end)
      upstream:on("error", function() socket:destroy() end)
      socket:on("error", function() upstream:destroy() end)
    end)
    local proxyPort = listen(proxy)
    local out = helper.finishPeer(helper.peer(string.format(
      "curl -sS --http1.1 -p -x http://127.0.0.1:%d http://127.0.0.1:%d/through", proxyPort, targetPort)))
    assert.equal("hello GET /through\n", out)
    closeServer(proxy)
    closeServer(target)
  end)

  it("keepAliveTimeout closes an idle connection; headersTimeout answers a slow head with 408", function()
    local server = http.createServer({ headersTimeout = 300, requestTimeout = 400,
      connectionsCheckingInterval = 50 }, hello)
    server.keepAliveTimeout = 200
    local port = listen(server)
    local out = python(IDLE_THEN, tostring(port), "GET /ka HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /slow HTTP/1.1\r\nHost: x\r\n")
    assert.matches("hello GET /ka", out, 1, true)
    local after = tonumber(out:match("closed after ([%d.]+)"))
    assert.is_true(after >= 0.1 and after < 4.5, "closed after " .. tostring(after))
    assert.matches("then got b'HTTP/1.1 408 Request Timeout", out, 1, true)
    closeServer(server)
  end)

  it("server.timeout governs a request, keepAliveTimeout the idle time after it (as Node)", function()
    local timeouts = 0
    local server = http.createServer(function(req, res)
      if req.url == "/slow" then setTimeout(function() res:done("late") end, 600) else hello(req, res) end
    end)
    server:setTimeout(250, function(socket)
      timeouts = timeouts + 1
      socket:destroy()
    end)
    server.keepAliveTimeout = 1000
    local port = listen(server)
    local out = python(IDLE_THEN, tostring(port), "GET /quick HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    assert.matches("hello GET /quick", out, 1, true)
    local after = tonumber(out:match("closed after ([%d.]+)"))
    -- (Node 20.20 waits keepAliveTimeout + keepAliveTimeoutBuffer (1000 ms): 2.01 s here)
    assert.is_true(after >= 1.8 and after < 4.5, "closed after " .. tostring(after))
    assert.matches("then got b''", out, 1, true)
    -- as Node: the keep-alive expiry is a 'timeout' too
    assert.equal(2, timeouts)
  end)

  it("Node's http client: keep-alive agent, a POST body, headers both ways", function()
    if not helper.needs("node") then return end
    local server = http.createServer(function(req, res)
      local body = {}
      req:on("data", function(c) body[#body + 1] = c end)
      req:on("end", function()
        res:setHeader("X-Method", req.method)
        res:done(table.concat(body):reverse())
      end)
    end)
    local port = listen(server)
    local out = helper.finishPeer(helper.peer("node -e " .. quote([[
const http = require('http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let sockets = new Set();
function one(i, done) {
  const options = { port: ]] .. port .. [[, host: '127.0.0.1', method: 'POST', path: '/' + i, agent };
  const req = http.request(options, (res) => {
    sockets.add(res.socket);
    let b = '';
    res.setEncoding('utf8');
    res.on('data', (c) => b += c);
    res.on('end', () => { console.log(res.statusCode, res.headers['x-method'], b); done(); });
  });
  req.end('abc' + i);
}
one(1, () => one(2, () => { console.log('sockets', sockets.size); agent.destroy(); }));
]])))
    assert.matches("200 POST 1cba", out, 1, true)
    assert.matches("200 POST 2cba", out, 1, true)
    assert.matches("sockets 1", out, 1, true)
    closeServer(server)
  end)

  it("closeIdleConnections and close(): idle keep-alive connections go, the server closes", function()
    local server = http.createServer(hello)
    local port = listen(server)
    local client = net.connect(port, "127.0.0.1")
    local got, closed = "", false
    client:on("data", function(d) got = got .. d end)
    client:on("close", function() closed = true end)
    client:write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    helper.wait(function() return got:find("hello GET /", 1, true) end)
    local serverClosed = false
    server:close(function() serverClosed = true end)
    helper.wait(function() return closed and serverClosed end, nil, "the idle connection and the server to close")
    assert.is_false(server.listening)
  end)

  it("under load: wrk (keep-alive) and h2load -p http/1.1 with 4 pipelined requests per connection", function()
    if not helper.needs("wrk", "h2load") then return end
    local served = 0
    local server = http.createServer(function(req, res)
      served = served + 1
      hello(req, res)
    end)
    local port = listen(server)
    local out = helper.finishPeer(helper.peer(string.format("wrk -t 1 -c 20 -d %d http://127.0.0.1:%d/",
      2 * helper.SLOW, port)))
    local n = tonumber(out:match("(%d+) requests in"))
    assert.is_true(n and n > 0, out)
    assert.is_nil(out:find("Non-2xx", 1, true), out)
    assert.is_nil(out:find("Socket errors", 1, true), out)
    local count = helper.AGGRESSIVE_GC and 400 or 4000
    out = helper.finishPeer(helper.peer(string.format("h2load -p http/1.1 -n %d -c 10 -m 4 http://127.0.0.1:%d/",
      count, port)))
    assert.matches(string.format("requests: %d total, %d started, %d done, %d succeeded, 0 failed", count, count,
      count, count), out, 1, true)
    assert.matches(string.format("status codes: %d 2xx", count), out, 1, true)
    assert.is_true(served >= n + count)
  end)

  it("checks its arguments and header values as Node", function()
    assert.has_error(function() http.createServer(42) end)
    helper.raisesWith("ERR_INVALID_HTTP_TOKEN", "TypeError", http.validateHeaderName, "bad name")
    helper.raisesWith("ERR_INVALID_CHAR", "TypeError", http.validateHeaderValue, "x", "a\rb")
    helper.raisesWith("ERR_HTTP_INVALID_HEADER_VALUE", "TypeError", http.validateHeaderValue, "x", nil)
    local res = http.ServerResponse.new({ method = "GET", httpVersionMajor = 1, httpVersionMinor = 1,
      headers = {} })
    res:setHeader("X-A", 1)
    assert.equal(1, res:getHeader("x-a"))
    assert.is_true(res:hasHeader("X-A"))
    res:appendHeader("X-A", "2")
    assert.same({ 1, "2" }, res:getHeader("x-a"))
    assert.same({ "x-a" }, res:getHeaderNames())
    res:removeHeader("x-a")
    assert.is_false(res:hasHeader("x-a"))
    local err = helper.raisesWith("ERR_HTTP_INVALID_STATUS_CODE", "RangeError", res.writeHead, res, 99)
    assert.equal("Invalid status code: 99", err.message)
    res:writeHead(200)
    assert.is_true(res.headersSent)
    err = helper.raisesWith("ERR_HTTP_HEADERS_SENT", "Error", res.setHeader, res, "a", "b")
    assert.equal("Cannot set headers after they are sent to the client", err.message)
  end)
end)

describe("https server", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  it("curl over TLS: ALPN http/1.1, keep-alive reuse, the request's socket is a TLSSocket", function()
    if not helper.needs("curl") then return end
    local protocols = {}
    local server = https.createServer(certs.serverOptions(), function(req, res)
      protocols[#protocols + 1] = req.socket.alpnProtocol
      res:writeHead(200, { ["Content-Type"] = "text/plain" })
      res:done("secure " .. req.url .. " " .. tostring(req.socket.encrypted) .. "\n")
    end)
    local port = listen(server)
    local out = helper.finishPeer(helper.peer(string.format(
      "curl -sS --http1.1 -v --cacert %s --resolve localhost:%d:127.0.0.1 " ..
      "https://localhost:%d/x https://localhost:%d/y",
      quote(certs.path("ca-cert.pem")), port, port, port)))
    assert.matches("secure /x true\n", out, 1, true)
    assert.matches("secure /y true\n", out, 1, true)
    assert.matches("ALPN[:,] server accepted http/1%.1", out)
    assert.matches("Re%-using existing connection", out)
    assert.same({ "http/1.1", "http/1.1" }, protocols)
    closeServer(server)
  end)

  it("h2load -p http/1.1 over TLS: every request succeeds on kept-alive, pipelined connections", function()
    if not helper.needs("h2load") then return end
    local server = https.createServer(certs.serverOptions(), hello)
    local port = listen(server)
    local count = helper.AGGRESSIVE_GC and 200 or 2000
    local out = helper.finishPeer(helper.peer(string.format(
      "h2load -p http/1.1 -n %d -c 10 -m 2 https://127.0.0.1:%d/", count, port)))
    assert.matches(string.format("%d succeeded, 0 failed, 0 errored", count), out, 1, true)
  end)

  it("openssl s_client: a malformed request over TLS gets 400", function()
    local server = https.createServer(certs.serverOptions(), hello)
    local port = listen(server)
    local out = helper.finishPeer(helper.peer(string.format(
      "openssl s_client -quiet -connect 127.0.0.1:%d -servername localhost 2>/dev/null", port),
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n"))
    assert.matches("HTTP/1.1 400 Bad Request", out, 1, true)
    closeServer(server)
  end)
end)
