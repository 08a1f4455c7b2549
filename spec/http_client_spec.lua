-- http.request / https.request (internal/http/client.lua) and the agents
-- (internal/http/agent.lua) against real servers: luatls's own http and
-- https servers, Node's http and https servers, Python's http.server, raw
-- TCP servers; and differentials against Node's client (the request bytes
-- it sends, the events it emits for raw responses).
local helper = require("spec.helper")
local certs = require("spec.certs")
local errors = require("luatls.errors")
local http = require("luatls.http")
local https = require("luatls.https")
local net = require("luatls.net")
local crypto = require("luatls.crypto")
local url = require("luatls.url")
local core = require("luatls.core")

local quote = helper.quote

local function closeServer(server)
  if not server.listening then return end
  if server.closeAllConnections then server:closeAllConnections() end
  if server._sockets then
    for s in pairs(server._sockets) do s:destroy() end
  end
  local closed = false
  server:close(function() closed = true end)
  helper.wait(function() return closed end, nil, "the server to close")
end

-- listen(server) -> its port; the server is closed when the test ends
local function listen(server)
  helper.onCleanup(function() closeServer(server) end)
  return helper.listen(server)
end

-- the global agents' sockets go when the test ends
local function cleanGlobalAgents()
  helper.onCleanup(function()
    http.globalAgent:destroy()
    https.globalAgent:destroy()
  end)
end

-- an agent destroyed when the test ends
local function agentFor(mod, options)
  local agent = mod.Agent.new(options)
  helper.onCleanup(function() agent:destroy() end)
  return agent
end

-- run(req[, body][, onResponse]) -> res, body, err: ends the request
-- (with body) and waits for the whole response (or the request's error);
-- onResponse(res) sees the response when it comes (its socket still open)
local function run(req, body, onResponse)
  local res, got, err, done = nil, nil, nil, false
  req:on("response", function(r)
    res = r
    if onResponse then onResponse(r) end
    local parts = {}
    r:on("data", function(c) parts[#parts + 1] = c end)
    r:on("end", function()
      got = table.concat(parts)
      done = true
    end)
  end)
  req:on("error", function(e)
    err = e
    done = true
  end)
  req:done(body)
  helper.wait(function() return done end, nil, "the response")
  return res, got, err
end

-- merged(a, b) -> a new table with a's fields, then b's
local function merged(a, b)
  local r = {}
  for k, v in pairs(a) do r[k] = v end
  for k, v in pairs(b) do r[k] = v end
  return r
end

-- a peer that prints "listening <port>" -> its port
local function peerPort(cmd)
  local proc = helper.peer(cmd)
  return tonumber(helper.waitForOutput(proc, "listening (%d+)")), proc
end

-- a Lua value as a JavaScript literal (tables with keys sorted, so a
-- header map has the same order in both)
local function js(v)
  local t = type(v)
  if v == nil then return "undefined" end
  if t == "boolean" or t == "number" then return tostring(v) end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\\128-\255]', function(c) return string.format("\\x%02x", c:byte()) end) .. '"'
  end
  if v[1] ~= nil or next(v) == nil then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = js(x) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = js(k) .. ":" .. js(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

describe("http client", function()
  helper.leakcheck()

  it("GET, HEAD and POST against luatls's server: Content-Length and chunked bodies both ways", function()
    local server = http.createServer(function(req, res)
      local parts = {}
      req:on("data", function(c) parts[#parts + 1] = c end)
      req:on("end", function()
        local body = table.concat(parts)
        res:setHeader("X-Request", string.format("%s %s te=%s cl=%s conn=%s body=%s", req.method, req.url,
          tostring(req.headers["transfer-encoding"]), tostring(req.headers["content-length"]),
          tostring(req.headers.connection), body))
        if req.url == "/chunked" then
          res:setHeader("Trailer", "X-Sum")
          res:write("one,")
          res:write("two")
          res:addTrailers({ ["X-Sum"] = "42" })
          res:done()
        else
          res:done("body of " .. req.url)
        end
      end)
    end)
    local port = listen(server)
    local agent = agentFor(http, { keepAlive = true })
    local o = { host = "127.0.0.1", port = port, agent = agent }
    local function with(t) return merged(o, t) end

    local res, body = run(http.request(with({ path = "/get" })))
    assert.equal(200, res.statusCode)
    assert.equal("OK", res.statusMessage)
    assert.equal("1.1", res.httpVersion)
    assert.equal("body of /get", body)
    assert.equal("12", res.headers["content-length"])
    assert.equal("GET /get te=nil cl=nil conn=keep-alive body=", res.headers["x-request"])

    res, body = run(http.request(with({ path = "/head", method = "HEAD" })))
    assert.equal(200, res.statusCode)
    assert.equal("", body)

    -- end(data): Content-Length; write() then end(): chunked
    res, body = run(http.request(with({ path = "/cl", method = "POST" })), "abc")
    assert.equal("body of /cl", body)
    assert.equal("POST /cl te=nil cl=3 conn=keep-alive body=abc", res.headers["x-request"])
    local req = http.request(with({ path = "/te", method = "put" }))
    assert.is_true(req:write("first "))
    res, body = run(req, "second")
    assert.equal("body of /te", body)
    assert.equal("PUT /te te=chunked cl=nil conn=keep-alive body=first second", res.headers["x-request"])

    -- a chunked response with trailers
    res, body = run(http.request(with({ path = "/chunked" })))
    assert.equal("one,two", body)
    assert.equal("chunked", res.headers["transfer-encoding"])
    assert.same({ ["x-sum"] = "42" }, res.trailers)
    assert.same({ "X-Sum", "42" }, res.rawTrailers)
  end)

  it("keep-alive: the socket goes back to the agent ('free') and is reused; maxSockets queues requests", function()
    local ports = {}
    local server = http.createServer(function(req, res)
      ports[#ports + 1] = req.socket.remotePort
      setTimeout(function() res:done(req.url) end, 10)
    end)
    local port = listen(server)
    local agent = agentFor(http, { keepAlive = true, maxSockets = 1 })
    local frees = 0
    agent:on("free", function() frees = frees + 1 end)
    local results, reqs = {}, {}
    for i = 1, 3 do
      local req = http.get({ host = "127.0.0.1", port = port, agent = agent, path = "/" .. i }, function(res)
        res:setEncoding("utf8")
        local b = ""
        res:on("data", function(c) b = b .. c end)
        res:on("end", function() results[i] = b end)
      end)
      reqs[i] = req
    end
    -- one socket, the two other requests wait
    local name = agent:getName({ host = "127.0.0.1", port = port })
    assert.equal("127.0.0.1:" .. port .. ":", name)
    assert.equal(2, #agent.requests[name])
    helper.wait(function() return results[3] and agent.freeSockets[name] end, nil, "the three responses")
    assert.same({ "/1", "/2", "/3" }, results)
    -- (as Node: reusedSocket only for a socket taken from the free list,
    -- not for one handed over to a queued request)
    assert.same({ false, false, false }, { reqs[1].reusedSocket, reqs[2].reusedSocket, reqs[3].reusedSocket })
    assert.equal(ports[1], ports[2])
    assert.equal(ports[1], ports[3])
    assert.equal(3, frees)
    assert.is_nil(agent.requests[name])
    assert.is_nil(agent.sockets[name])
    assert.equal(1, #agent.freeSockets[name])
    assert.equal(1, agent.totalSocketCount)

    -- after a pause (so the free socket is back), the next request reuses it
    local res = run(http.request({ host = "127.0.0.1", port = port, agent = agent, path = "/4" }))
    assert.is_true(res.req.reusedSocket)
    assert.equal(ports[1], ports[4])

    -- an agent without keepAlive and without maxSockets: Connection: close,
    -- a new socket each time
    local plain = agentFor(http)
    local r1 = run(http.request({ host = "127.0.0.1", port = port, agent = plain, path = "/5" }))
    local r2 = run(http.request({ host = "127.0.0.1", port = port, agent = plain, path = "/6" }))
    assert.is_false(r2.req.reusedSocket)
    assert.are_not.equal(ports[5], ports[6])
    assert.is_false(r1.req.shouldKeepAlive)
    helper.wait(function() return plain.totalSocketCount == 0 end, nil, "the sockets to close")
  end)

  it("the agent's timeout closes an idle free socket; a response with Connection: close is not kept", function()
    local server = http.createServer(function(req, res)
      if req.url == "/close" then res:setHeader("Connection", "close") end
      res:done("x")
    end)
    local port = listen(server)
    local agent = agentFor(http, { keepAlive = true, timeout = 200 })
    local res = run(http.request({ host = "127.0.0.1", port = port, agent = agent }))
    local socket = res.req.socket
    local name = agent:getName({ host = "127.0.0.1", port = port })
    helper.wait(function() return agent.freeSockets[name] end)
    assert.equal(200, socket.timeout)
    helper.wait(function() return socket.destroyed end, 3000, "the idle socket to time out")
    helper.wait(function() return agent.freeSockets[name] == nil and agent.totalSocketCount == 0 end)
    res = run(http.request({ host = "127.0.0.1", port = port, agent = agent, path = "/close" }))
    assert.is_false(res.req.shouldKeepAlive)
    helper.wait(function() return res.req.socket.destroyed end, nil, "the socket to close")
    assert.is_nil(agent.freeSockets[name])
  end)

  it("sends the request bytes Node's client sends", function()
    if not helper.needs("node") then return end
    -- the capture server: what a connection sent until 30 ms of quiet,
    -- then an empty 200
    local CAPTURE_NODE = helper.NODE_TO_LUA .. [[
const http = require('http'), net = require('net');
const cases = eval('(' + require('fs').readFileSync(0, 'utf8') + ')');
let captured = '';
const server = net.createServer((c) => {
  let got = '', timer = null;
  c.on('data', (d) => {
    got += d.toString('latin1');
    clearTimeout(timer);
    timer = setTimeout(() => { captured = got; c.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'); }, 30);
  });
  c.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const out = [];
  const next = (i) => {
    if (i >= cases.length) { console.log(lua(out)); process.exit(0); }
    const c = cases[i];
    const o = Object.assign({ host: '127.0.0.1', port }, c.options);
    if (c.createConnection) { o.createConnection = () => net.createConnection(port, '127.0.0.1'); }
    captured = '';
    const req = http.request(o);
    req.on('error', () => {});
    req.on('response', (res) => res.resume());
    req.on('connect', (res, s) => s.destroy());
    if (c.flush) req.flushHeaders();
    for (const w of (c.writes || [])) req.write(w);
    if (c.trailers) req.addTrailers(c.trailers);
    req.end(c.end);
    const wait = () => captured ? (out.push(Buffer.from(captured.split(String(port)).join('PORT'), 'latin1')),
      setTimeout(() => next(i + 1), 10))
      : setTimeout(wait, 5);
    wait();
  };
  next(0);
});
]]
    local cases = {
      { options = { path = "/a?b=1" } },
      { options = { method = "post", path = "/p" }, ["end"] = "hello" },
      { options = { method = "PUT" }, writes = { "ab", "cd" } },
      { options = { method = "DELETE" }, writes = { "x" } },
      { options = { method = "PATCH" }, ["end"] = "" },
      { options = { agent = false, path = "/close" } },
      { options = { auth = "user:pa ss" } },
      { options = { headers = { "X-One", "1", "x-two", "2", "Host", "h.example" } } },
      { options = { headers = { Accept = "a/b", ["X-Custom"] = "v" } }, ["end"] = "b" },
      { options = { setHost = false } },
      { options = { method = "POST", headers = { Expect = "100-continue" } }, ["end"] = "x" },
      { options = { method = "HEAD" } },
      { options = { method = "CONNECT", path = "example.com:443" } },
      { options = { method = "POST", headers = { Trailer = "X-Sum" } }, writes = { "abc" },
        trailers = { ["X-Sum"] = "1" } },
      { options = { method = "POST" }, flush = true, writes = { "late" } },
      { options = { host = "::1" }, createConnection = true },
      { options = { port = 80 }, createConnection = true },
      { options = { headers = { ["Content-Length"] = 3 }, method = "POST" }, ["end"] = "abc" },
    }
    local answer = helper.nodeLines(CAPTURE_NODE, { (js(cases):gsub("\n", "")) })
    local theirs = assert(load("return " .. answer[1]))()

    local captured
    local server = net.createServer(function(c)
      local got, timer = "", nil
      c:on("data", function(d)
        got = got .. d
        if timer then clearTimeout(timer) end
        timer = setTimeout(function()
          captured = got
          c:write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        end, 30)
      end)
      c:on("error", function() end)
    end)
    local port = listen(server)
    cleanGlobalAgents()
    for i, c in ipairs(cases) do
      local o = { host = "127.0.0.1", port = port }
      for k, v in pairs(c.options) do o[k] = v end
      if c.createConnection then o.createConnection = function() return net.createConnection(port, "127.0.0.1") end end
      captured = nil
      local req = http.request(o)
      req:on("error", function() end)
      req:on("response", function(res) res:resume() end)
      req:on("connect", function(_, s) s:destroy() end)
      if c.flush then req:flushHeaders() end
      for _, w in ipairs(c.writes or {}) do req:write(w) end
      if c.trailers then req:addTrailers(c.trailers) end
      req:done(c["end"])
      helper.wait(function() return captured end, nil, "the request of case " .. i)
      local ours = captured:gsub(tostring(port), "PORT")
      assert.equal(theirs[i], ours, "case " .. i .. ": " .. js(c))
      helper.sleep(10)
    end
  end)

  it("reads raw responses as Node's client does: events, their order, bodies, errors", function()
    if not helper.needs("node") then return end
    local cases = {
      { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello" },
      { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n" },
      { "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end" },
      { "HTTP/1.0 200 OK\r\n\r\nold" },
      { "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" ..
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" },
      { "HTTP/1.1 204 No Content\r\n\r\n" },
      { "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n" },
      { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method = "HEAD" },
      { "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd" },
      { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc" },
      { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno" },
      { "HTTP/1.1 200 Connection Established\r\n\r\ntunnel bytes", method = "CONNECT" },
      { "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 5\r\n\r\nnope!", method = "CONNECT" },
      { "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nafter", upgrade = true },
      { "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nafter" },
      { "HTTP/1.1 200 OK\r\nContent-Len" },
      { "" },
      { "HTTX/1.1 200 OK\r\n\r\n" },
      { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi" },
    }
    local CLIENT_NODE = [[
const http = require('http'), net = require('net');
const cases = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean).map((l) => {
  const [h, m, u] = l.split(' ');
  return { data: Buffer.from(h === '-' ? '' : h, 'hex'), method: m, upgrade: u === '1' };
});
let current = 0;
const server = net.createServer((s) => { s.on('error', () => {}); s.once('data', () => s.end(cases[current].data)); });
const hdrs = (h) => Object.keys(h).sort().map((k) => k + '=' + JSON.stringify(h[k])).join(',');
server.listen(0, '127.0.0.1', () => {
  const next = () => {
    if (current >= cases.length) { server.close(); return; }
    const c = cases[current], ev = [];
    const data = (d) => {
      if (ev.length && ev[ev.length - 1].startsWith('data ')) ev[ev.length - 1] += d; else ev.push('data ' + d);
    };
    const o = { port: server.address().port, host: '127.0.0.1', method: c.method, agent: false,
      path: c.method === 'CONNECT' ? 'example.com:443' : '/' };
    if (c.upgrade) o.headers = { Connection: 'Upgrade', Upgrade: 'x' };
    const req = http.request(o);
    req.on('information', (i) =>
      ev.push('information ' + i.statusCode + ' ' + i.statusMessage + ' ' + hdrs(i.headers)));
    req.on('continue', () => ev.push('continue'));
    req.on('connect', (res, s, head) => { ev.push('connect ' + res.statusCode + ' ' + head); s.destroy(); });
    if (c.upgrade) {
      req.on('upgrade', (res, s, head) => { ev.push('upgrade ' + res.statusCode + ' ' + head); s.destroy(); });
    }
    req.on('response', (res) => {
      ev.push('response ' + res.statusCode + ' ' + res.statusMessage + ' ' + res.httpVersion + ' ' + hdrs(res.headers));
      res.on('data', data);
      res.on('end', () => ev.push('end ' + hdrs(res.trailers)));
      res.on('aborted', () => ev.push('aborted'));
      res.on('error', (e) => ev.push('res error ' + e.code + ' ' + e.message));
      res.on('close', () => ev.push('res close'));
    });
    req.on('error', (e) => ev.push('error ' + e.code));
    req.on('close', () => {
      ev.push('close');
      setTimeout(() => { console.log(ev.join(' | ')); current++; next(); }, 50);
    });
    req.end();
  };
  next();
});
]]
    local lines = {}
    for i, c in ipairs(cases) do
      lines[i] = (c[1] == "" and "-" or require("luatls.buffer").toHex(c[1])) .. " " .. (c.method or "GET") ..
        " " .. (c.upgrade and "1" or "0")
    end
    local theirs = helper.nodeLines(CLIENT_NODE, lines)
    assert.equal(#cases, #theirs)

    local current
    local server = net.createServer(function(s)
      s:on("error", function() end)
      s:once("data", function() s:done(current[1]) end)
    end)
    local port = listen(server)
    local function hdrs(h)
      local keys = {}
      for k in pairs(h or {}) do keys[#keys + 1] = k end
      table.sort(keys)
      local parts = {}
      for i, k in ipairs(keys) do
        local v = h[k]
        if type(v) == "table" then
          local q = {}
          for j, x in ipairs(v) do q[j] = '"' .. x .. '"' end
          v = "[" .. table.concat(q, ",") .. "]"
        else
          v = '"' .. v .. '"'
        end
        parts[i] = k .. "=" .. v
      end
      return table.concat(parts, ",")
    end
    for i, c in ipairs(cases) do
      current = c
      local ev, closed = {}, false
      local function push(s) ev[#ev + 1] = s end
      local o = { port = port, host = "127.0.0.1", method = c.method, agent = false,
        path = c.method == "CONNECT" and "example.com:443" or "/" }
      if c.upgrade then o.headers = { Connection = "Upgrade", Upgrade = "x" } end
      local req = http.request(o)
      req:on("information", function(info)
        push("information " .. info.statusCode .. " " .. info.statusMessage .. " " .. hdrs(info.headers))
      end)
      req:on("continue", function() push("continue") end)
      req:on("connect", function(res, s, head)
        push("connect " .. res.statusCode .. " " .. head)
        s:destroy()
      end)
      if c.upgrade then
        req:on("upgrade", function(res, s, head)
          push("upgrade " .. res.statusCode .. " " .. head)
          s:destroy()
        end)
      end
      req:on("response", function(res)
        push("response " .. res.statusCode .. " " .. res.statusMessage .. " " .. res.httpVersion .. " " ..
          hdrs(res.headers))
        res:on("data", function(d)
          if #ev > 0 and ev[#ev]:sub(1, 5) == "data " then ev[#ev] = ev[#ev] .. d else push("data " .. d) end
        end)
        res:on("end", function() push("end " .. hdrs(res.trailers)) end)
        res:on("aborted", function() push("aborted") end)
        res:on("error", function(e) push("res error " .. e.code .. " " .. e.message) end)
        res:on("close", function() push("res close") end)
      end)
      req:on("error", function(e) push("error " .. e.code) end)
      req:on("close", function()
        push("close")
        closed = true
      end)
      req:done()
      helper.wait(function() return closed end, nil, "case " .. i)
      helper.sleep(50)
      assert.equal(theirs[i], table.concat(ev, " | "), "case " .. i .. ": " .. string.format("%q", c[1]))
    end
  end)

  it("Node's http server: bodies both ways, keep-alive reuse, 1xx 'information', 100-continue", function()
    if not helper.needs("node") then return end
    local port = peerPort("node -e " .. quote([[
const http = require('http'), crypto = require('crypto');
const server = http.createServer((req, res) => {
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    const b = Buffer.concat(body);
    res.setHeader('x-port', req.socket.remotePort);
    res.setHeader('x-te', String(req.headers['transfer-encoding']));
    res.setHeader('x-sum', crypto.createHash('sha256').update(b).digest('hex'));
    if (req.url === '/chunked') {
      res.write('one,'); res.write('two'); res.addTrailers({ 'X-Trailer': 'yes' }); res.end();
    }
    else if (req.url === '/info') {
      res.writeProcessing();
      res.writeEarlyHints({ link: '</style.css>; rel=preload' }, () => res.end('after hints'));
    } else res.end('len ' + b.length);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
]]))
    local agent = agentFor(http, { keepAlive = true })
    local o = { host = "127.0.0.1", port = port, agent = agent }
    local function with(t) return merged(o, t) end
    local big = helper.randomString(200000)
    local sum = crypto.createHash("sha256"):update(big):digest("hex")
    local res, body = run(http.request(with({ method = "POST", path = "/cl" })), big)
    assert.equal("len 200000", body)
    assert.equal(sum, res.headers["x-sum"])
    assert.equal("undefined", res.headers["x-te"])
    local firstPort = res.headers["x-port"]
    helper.sleep(10)
    local req = http.request(with({ method = "POST", path = "/te" }))
    req:write(big:sub(1, 100000))
    res, body = run(req, big:sub(100001))
    assert.equal("len 200000", body)
    assert.equal(sum, res.headers["x-sum"])
    assert.equal("chunked", res.headers["x-te"])
    assert.is_true(req.reusedSocket)
    assert.equal(firstPort, res.headers["x-port"])
    helper.sleep(10)

    res, body = run(http.request(with({ path = "/chunked" })))
    assert.equal("one,two", body)
    assert.same({ ["x-trailer"] = "yes" }, res.trailers)

    local infos = {}
    req = http.request(with({ path = "/info" }))
    req:on("information", function(info) infos[#infos + 1] = info end)
    local _
    _, body = run(req)
    assert.equal("after hints", body)
    assert.equal(2, #infos)
    assert.equal(102, infos[1].statusCode)
    assert.equal("Processing", infos[1].statusMessage)
    assert.equal(103, infos[2].statusCode)
    assert.equal("</style.css>; rel=preload", infos[2].headers.link)
    assert.equal("1.1", infos[2].httpVersion)
    assert.same({ "Link", "</style.css>; rel=preload" }, infos[2].rawHeaders)

    -- Expect: 100-continue: the body goes once the server said 'continue'
    local events = {}
    req = http.request(with({ method = "POST", path = "/continue", headers = { Expect = "100-continue" } }))
    req:on("information", function(info) events[#events + 1] = "information " .. info.statusCode end)
    req:on("continue", function()
      events[#events + 1] = "continue"
      req:done("after continue")
    end)
    local done = false
    req:on("response", function(r)
      r:setEncoding("utf8")
      r:on("data", function(d) events[#events + 1] = d end)
      r:on("end", function() done = true end)
    end)
    helper.wait(function() return done end)
    assert.same({ "continue", "information 100", "len 14" }, events)
  end)

  it("Python's http.server: keep-alive, a body that runs to the end of the connection, HTTP/1.0", function()
    if not helper.needs("python3") then return end
    local port = peerPort("python3 -c " .. quote([[
import http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path == "/eof":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the server closes")
            self.close_connection = True
        elif self.path == "/old":
            self.protocol_version = "HTTP/1.0"
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"an HTTP/1.0 answer")
            self.close_connection = True
        else:
            body = ("%s from %d" % (self.path, self.client_address[1])).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201, "Made")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[::-1])
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening", s.server_port, flush=True)
s.serve_forever()
]]))
    local agent = agentFor(http, { keepAlive = true })
    local o = { host = "127.0.0.1", port = port, agent = agent }
    local _, body = run(http.request({ host = o.host, port = port, agent = agent, path = "/a" }))
    local from = body:match("^/a from (%d+)$")
    assert.is_truthy(from)
    helper.sleep(10)
    local res
    res, body = run(http.request({ host = o.host, port = port, agent = agent, path = "/b" }))
    assert.equal("/b from " .. from, body)
    assert.is_true(res.req.reusedSocket)
    res, body = run(http.request({ host = o.host, port = port, agent = agent, method = "POST" }), "stressed")
    assert.equal(201, res.statusCode)
    assert.equal("Made", res.statusMessage)
    assert.equal("desserts", body)
    res, body = run(http.request({ host = o.host, port = port, agent = agent, path = "/eof" }))
    assert.equal("until the server closes", body)
    assert.is_nil(res.headers["content-length"])
    assert.is_true(res.complete)
    res, body = run(http.request({ host = o.host, port = port, agent = agent, path = "/old" }))
    assert.equal("1.0", res.httpVersion)
    assert.equal("an HTTP/1.0 answer", body)
  end)

  it("'upgrade': the socket and the bytes after the 101 go to the listener", function()
    local server = http.createServer(function(_, res) res:done("no upgrade") end)
    server:on("upgrade", function(req, socket, head)
      socket:write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nfirst;")
      if #head > 0 then socket:write(head:upper()) end
      socket:on("data", function(d) socket:write(d:upper()) end)
      socket:on("end", function() socket:done("|" .. req.headers.upgrade) end)
    end)
    local port = listen(server)
    local agent = agentFor(http, { keepAlive = true })
    local req = http.request({ host = "127.0.0.1", port = port, agent = agent,
      headers = { Connection = "Upgrade", Upgrade = "shout" } })
    local got, closed, events = {}, false, {}
    req:on("response", function() events[#events + 1] = "response" end)
    req:on("close", function() events[#events + 1] = "close" end)
    req:on("upgrade", function(res, socket, head)
      events[#events + 1] = "upgrade " .. res.statusCode .. " " .. res.headers.upgrade
      got[#got + 1] = head
      socket:on("data", function(d) got[#got + 1] = d end)
      socket:on("close", function() closed = true end)
      socket:done("hello")
    end)
    req:done()
    helper.wait(function() return closed end, nil, "the upgraded socket to close")
    assert.same({ "upgrade 101 shout", "close" }, events)
    assert.equal("first;HELLO|shout", table.concat(got))
    -- the socket left the agent
    assert.equal(0, agent.totalSocketCount)
    assert.same({}, agent.sockets)
  end)

  it("CONNECT through a proxy ('connect'), then https over the tunnel", function()
    local target = https.createServer(certs.serverOptions(), function(req, res)
      res:done("secure hello " .. req.url)
    end)
    local targetPort = listen(target)
    local proxy = http.createServer(function(_, res) res:writeHead(405); res:done() end)
    proxy:on("connect", function(req, socket, head)
      local host, p = req.url:match("^(.*):(%d+)$")
      local upstream
      upstream = net.connect(tonumber(p), host, function()
        socket:write("HTTP/1.1 200 Connection Established\r\n\r\n")
        if #head > 0 then upstream:write(head) end
        upstream:pipe(socket)
        socket:pipe(upstream)
      end)
      upstream:on("error", function() socket:destroy() end)
      socket:on("error", function() upstream:destroy() end)
    end)
    local proxyPort = listen(proxy)
    local body
    local req = http.request({ host = "127.0.0.1", port = proxyPort, method = "CONNECT",
      path = "127.0.0.1:" .. targetPort, agent = false })
    req:on("connect", function(res, socket, head)
      assert.equal(200, res.statusCode)
      assert.equal("", head)
      https.get({ host = "localhost", path = "/through", socket = socket, agent = false,
        ca = certs.read("ca-cert.pem") }, function(r)
        assert.is_true(r.socket.encrypted)
        r:setEncoding("utf8")
        local parts = {}
        r:on("data", function(d) parts[#parts + 1] = d end)
        r:on("end", function() body = table.concat(parts) end)
      end)
    end)
    req:done()
    helper.wait(function() return body end, nil, "the answer through the tunnel")
    assert.equal("secure hello /through", body)
  end)

  it("timeouts: 'timeout' from setTimeout and options.timeout; destroy() then ends in socket hang up", function()
    local server = net.createServer(function(c) c:on("data", function() end) end)
    local port = listen(server)
    local events = {}
    local req = http.get({ host = "127.0.0.1", port = port, agent = false, timeout = 100 })
    req:on("timeout", function()
      events[#events + 1] = "timeout"
      req:destroy()
    end)
    req:on("error", function(e) events[#events + 1] = e.code .. " " .. e.message end)
    req:on("close", function() events[#events + 1] = "close" end)
    helper.wait(function() return events[#events] == "close" end)
    assert.same({ "timeout", "ECONNRESET socket hang up", "close" }, events)
    assert.is_true(req.destroyed)

    -- setTimeout(ms, cb), and destroy(err): the request's error is err
    events = {}
    local t0 = core.hrtime()
    req = http.get({ host = "127.0.0.1", port = port, agent = false })
    req:setTimeout(150, function()
      events[#events + 1] = "timeout"
      req:destroy(require("luatls.errors").new("ETIMEDOUT", "gave up"))
    end)
    req:on("error", function(e) events[#events + 1] = e.code end)
    req:on("close", function() events[#events + 1] = "close" end)
    helper.wait(function() return events[#events] == "close" end)
    assert.same({ "timeout", "ETIMEDOUT", "close" }, events)
    assert.is_true((core.hrtime() - t0) / 1e6 >= 140)

    -- a response that stops: the response's 'timeout' too
    local slow = http.createServer(function(_, res) res:write("partial") end)
    local slowPort = listen(slow)
    events = {}
    req = http.get({ host = "127.0.0.1", port = slowPort, agent = false }, function(res)
      res:on("timeout", function() events[#events + 1] = "res timeout" end)
      res:on("data", function() end)
      res:on("aborted", function() events[#events + 1] = "aborted" end)
      res:on("error", function(e) events[#events + 1] = "res " .. e.code end)
    end)
    req:setTimeout(100, function()
      events[#events + 1] = "timeout"
      req:destroy()
    end)
    req:on("close", function() events[#events + 1] = "close" end)
    helper.wait(function() return events[#events] == "close" or events[#events] == "res ECONNRESET" end)
    helper.sleep(20)
    assert.equal("timeout", events[1])
    assert.truthy(table.concat(events, ","):find("aborted", 1, true))
  end)

  it("errors: ECONNREFUSED, socket hang up, a response cut short ('aborted'), a malformed response", function()
    local port = helper.freePort()
    local res, _, err = run(http.request({ host = "127.0.0.1", port = port, agent = false }))
    assert.is_nil(res)
    assert.equal("ECONNREFUSED", err.code)
    assert.equal("connect ECONNREFUSED 127.0.0.1:" .. port, err.message)

    local server = net.createServer(function(c)
      c:on("data", function(d)
        if d:find("^GET /hangup") then
          c:destroy()
        elseif d:find("^GET /cut") then
          c:write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
          setTimeout(function() c:destroy() end, 20)
        else
          c:done("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        end
      end)
    end)
    local sport = listen(server)
    res, _, err = run(http.request({ host = "127.0.0.1", port = sport, agent = false, path = "/hangup" }))
    assert.is_nil(res)
    assert.equal("ECONNRESET", err.code)
    assert.equal("socket hang up", err.message)

    local events, closed = {}, false
    local req = http.get({ host = "127.0.0.1", port = sport, agent = false, path = "/cut" }, function(r)
      r:on("data", function(d) events[#events + 1] = d end)
      r:on("aborted", function() events[#events + 1] = "aborted" end)
      r:on("error", function(e) events[#events + 1] = e.code .. " " .. e.message end)
      r:on("end", function() events[#events + 1] = "end" end)
    end)
    req:on("close", function() closed = true end)
    helper.wait(function() return closed and #events >= 3 end)
    assert.same({ "only this", "aborted", "ECONNRESET aborted" }, events)
    assert.is_false(req.res.complete)

    -- (the socket's 'close' says hadError = false, as Node 20's: the parse
    -- error is the request's, the socket is destroyed without one)
    local bad = http.request({ host = "127.0.0.1", port = sport, agent = false, path = "/bad" })
    local socketHadError
    bad:on("socket", function(s) s:on("close", function(hadError) socketHadError = hadError end) end)
    res, _, err = run(bad)
    assert.is_nil(res)
    assert.equal("HPE_UNEXPECTED_CONTENT_LENGTH", err.code)
    assert.equal("string", type(err.rawPacket))
    helper.wait(function() return socketHadError ~= nil end, nil, "the socket's close")
    assert.is_false(socketHadError)

  end)

  it("a response nobody listens for is read and dropped, and the socket is reused", function()
    local server = http.createServer(function(req, res) res:done(string.rep("x", 100000) .. req.url) end)
    local port = listen(server)
    local agent = agentFor(http, { keepAlive = true })
    local closed = false
    local req = http.get({ host = "127.0.0.1", port = port, agent = agent, path = "/ignored" })
    req:on("close", function() closed = true end)
    helper.wait(function() return closed end)
    assert.is_true(req.res._dumped)
    helper.sleep(10)
    local res, body = run(http.request({ host = "127.0.0.1", port = port, agent = agent, path = "/next" }))
    assert.equal(100005, #body)
    assert.is_true(res.req.reusedSocket)
  end)

  it("options: maxHeadersCount, joinDuplicateHeaders, maxHeaderSize, auth, headers as a list, setHost", function()
    local seen
    local server = http.createServer({ requireHostHeader = false }, function(req, res)
      seen = req
      res:writeHead(200, { "X-Dup", "a", "x-dup", "b", "Content-Type", "one", "Content-Type", "two",
        "Set-Cookie", "c=1", "Set-Cookie", "d=2", "X-Big", string.rep("z", 3000) })
      res:done("ok")
    end)
    local port = listen(server)
    local o = { host = "127.0.0.1", port = port, agent = false }
    local function with(t) return merged(o, t) end
    local res = run(http.request(with({ auth = "user:secret" })))
    assert.equal("a, b", res.headers["x-dup"])
    assert.equal("one", res.headers["content-type"])
    assert.same({ "c=1", "d=2" }, res.headers["set-cookie"])
    assert.equal("Basic " .. require("luatls.buffer").toBase64("user:secret"), seen.headers.authorization)
    assert.equal("127.0.0.1:" .. port, seen.headers.host)

    res = run(http.request(with({ joinDuplicateHeaders = true })))
    assert.equal("one, two", res.headers["content-type"])
    assert.same({ "c=1", "d=2" }, res.headers["set-cookie"])

    local req = http.request(with({ headers = { "X-First", "1", "Host", "other.example" } }))
    req.maxHeadersCount = 2
    res = run(req)
    assert.same({ "X-Dup", "a", "x-dup", "b" }, res.rawHeaders)
    assert.equal("other.example", seen.headers.host)
    assert.equal("1", seen.headers["x-first"])

    local _, _, err = run(http.request(with({ maxHeaderSize = 1000 })))
    assert.equal("HPE_HEADER_OVERFLOW", err.code)

    run(http.request(with({ setHost = false, headers = { ["X-No-Host"] = "yes" } })))
    assert.is_nil(seen.headers.host)
  end)

  it("createConnection, socketPath, lookup, family, localAddress; a URL object or string", function()
    local hits = {}
    local lastAuth, lastExtra
    local function answer(req, res)
      hits[#hits + 1] = req.url
      lastAuth, lastExtra = req.headers.authorization, req.headers["x-extra"]
      res:done(req.url .. " " .. tostring(req.headers.host))
    end
    local server = http.createServer(answer)
    local port = listen(server)
    local made = 0
    local res, body = run(http.request({ host = "example.test", port = port, path = "/cc",
      createConnection = function(opts)
        made = made + 1
        assert.equal("example.test", opts.host)
        return net.createConnection(port, "127.0.0.1")
      end }))
    assert.equal(1, made)
    assert.equal("/cc example.test:" .. port, body)
    assert.is_false(res.req.shouldKeepAlive)

    -- createConnection with a callback
    local _
    _, body = run(http.request({ host = "127.0.0.1", port = port, path = "/cb",
      createConnection = function(_, cb)
        setTimeout(function() cb(nil, net.createConnection(port, "127.0.0.1")) end, 5)
      end }))
    assert.equal("/cb 127.0.0.1:" .. port, body)

    local looked, localAddress = {}, nil
    body = select(2, run(http.request({ host = "made.up", port = port, path = "/lookup", family = 4, agent = false,
      localAddress = "127.0.0.1",
      lookup = function(host, opts, cb)
        looked[#looked + 1] = host
        if opts.all then cb(nil, { { address = "127.0.0.1", family = 4 } }) else cb(nil, "127.0.0.1", 4) end
      end }), nil, function(r) localAddress = r.socket.localAddress end))
    assert.same({ "made.up" }, looked)
    assert.equal("/lookup made.up:" .. port, body)
    assert.equal("127.0.0.1", localAddress)

    -- a Unix socket
    local path = os.tmpname()
    os.remove(path)
    local unix = http.createServer(answer)
    local listening = false
    unix:listen(path, function() listening = true end)
    helper.onCleanup(function()
      closeServer(unix)
      os.remove(path)
    end)
    helper.wait(function() return listening end)
    _, body = run(http.request({ socketPath = path, path = "/unix", agent = false }))
    assert.equal("/unix localhost", body)

    -- a URL (string or object): host, port, path and query, auth
    cleanGlobalAgents()
    _, body = run(http.request("http://127.0.0.1:" .. port .. "/from/url?q=1#frag"))
    assert.equal("/from/url?q=1 127.0.0.1:" .. port, body)
    local u = url.URL.new("http://us%20er:pw@127.0.0.1:" .. port .. "/obj")
    res, body = run(http.request(u, { headers = { ["X-Extra"] = "1" } }))
    assert.equal("/obj 127.0.0.1:" .. port, body)
    assert.equal("/obj", res.req.path)
    assert.equal("Basic " .. require("luatls.buffer").toBase64("us er:pw"), lastAuth)
    assert.equal("1", lastExtra)
    -- options after the URL win
    run(http.request("http://x:y@127.0.0.1:" .. port .. "/auth", { auth = "a:b" }))
    assert.equal("Basic " .. require("luatls.buffer").toBase64("a:b"), lastAuth)
  end)

  it("checks its arguments as Node", function()
    local function raises(code, name, f, ...) return helper.raisesWith(code, name, f, ...) end
    local e = raises("ERR_UNESCAPED_CHARACTERS", "TypeError", http.request, { path = "/a b" })
    assert.equal("Request path contains unescaped characters", e.message)
    raises("ERR_UNESCAPED_CHARACTERS", "TypeError", http.request, { path = "/\u{20AC}" })
    e = raises("ERR_INVALID_HTTP_TOKEN", "TypeError", http.request, { method = "G T" })
    assert.equal('Method must be a valid HTTP token ["G T"]', e.message)
    e = raises("ERR_INVALID_ARG_TYPE", "TypeError", http.request, { method = 5 })
    assert.equal('The "options.method" property must be of type string. Received type number (5)', e.message)
    e = raises("ERR_INVALID_ARG_TYPE", "TypeError", http.request, { hostname = 5 })
    assert.equal('The "options.hostname" property must be of type string or one of undefined or null. '
      .. "Received type number (5)", e.message)
    e = raises("ERR_INVALID_PROTOCOL", "TypeError", http.request, { protocol = "https:" })
    assert.equal('Protocol "https:" not supported. Expected "http:"', e.message)
    raises("ERR_INVALID_PROTOCOL", "TypeError", http.get, "https://127.0.0.1/")
    raises("ERR_INVALID_PROTOCOL", "TypeError", https.get, "http://127.0.0.1/")
    e = raises("ERR_INVALID_ARG_TYPE", "TypeError", http.request, { agent = 5 })
    assert.equal('The "options.agent" property must be one of Agent-like Object, undefined, or false. '
      .. "Received type number (5)", e.message)
    e = raises("ERR_INVALID_ARG_TYPE", "TypeError", http.request, { timeout = "x" })
    assert.equal([[The "timeout" argument must be of type number. Received type string ('x')]], e.message)
    raises("ERR_OUT_OF_RANGE", "RangeError", http.request, { timeout = -1 })
    e = raises("ERR_OUT_OF_RANGE", "RangeError", http.request, { maxHeaderSize = -1 })
    assert.equal('The value of "maxHeaderSize" is out of range. It must be >= 0 && <= 9007199254740991. '
      .. "Received -1", e.message)
    raises("ERR_INVALID_ARG_TYPE", "TypeError", http.request, { insecureHTTPParser = 5 })
    raises("ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", "TypeError", http.request, { insecureHTTPParser = true })
    raises("ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", "TypeError", http.request, { signal = {} })
    raises("ERR_INVALID_ARG_TYPE", "TypeError", http.request, { joinDuplicateHeaders = 5 })
    raises("ERR_INVALID_URL", "TypeError", http.request, "nope")
    e = raises("ERR_INVALID_ARG_VALUE", "TypeError", http.Agent.new, { scheduling = "x" })
    assert.equal("The argument 'scheduling' must be one of: 'fifo', 'lifo'. Received 'x'", e.message)
    e = raises("ERR_OUT_OF_RANGE", "RangeError", http.Agent.new, { maxTotalSockets = 0 })
    assert.equal('The value of "maxTotalSockets" is out of range. It must be >= 1. Received 0', e.message)
    raises("ERR_INVALID_ARG_TYPE", "TypeError", http.Agent.new, { maxTotalSockets = "a" })
    raises("ERR_INVALID_HTTP_TOKEN", "TypeError", http.request, { headers = { ["bad name"] = "x" } })

    -- a request made, then checked: headers after the head, setTimeout's
    -- argument; nothing is sent (destroyed before its socket)
    local server = net.createServer(function() end)
    local port = listen(server)
    local req = http.request({ host = "127.0.0.1", port = port, agent = false })
    local errs = {}
    req:on("error", function(err) errs[#errs + 1] = err.code end)
    req:setHeader("X-A", "1")
    assert.same({ "Host", "X-A" }, req:getRawHeaderNames())
    assert.same({ "host", "x-a" }, req:getHeaderNames())
    req:flushHeaders()
    e = raises("ERR_HTTP_HEADERS_SENT", "Error", req.setHeader, req, "X-B", "2")
    assert.equal("Cannot set headers after they are sent to the client", e.message)
    raises("ERR_HTTP_HEADERS_SENT", "Error", req._implicitHeader, req)
    e = raises("ERR_INVALID_ARG_TYPE", "TypeError", req.setTimeout, req, "a")
    assert.equal([[The "msecs" argument must be of type number. Received type string ('a')]], e.message)
    local closed = false
    req:on("close", function() closed = true end)
    req:destroy()
    helper.wait(function() return closed end)
    assert.same({ "ECONNRESET" }, errs)
    -- abort(): no error, 'abort' then 'close'
    -- (Node's order: 'close' from the socket's tick, 'abort' after it)
    local events = {}
    req = http.request({ host = "127.0.0.1", port = port, agent = false })
    req:on("abort", function() events[#events + 1] = "abort" end)
    req:on("error", function(err) events[#events + 1] = err.code end)
    req:on("close", function() events[#events + 1] = "close" end)
    req:abort()
    assert.is_true(req.aborted)
    helper.wait(function() return #events == 2 end)
    helper.sleep(10)
    assert.same({ "close", "abort" }, events)
  end)

  it("getName: the pool's keys as Node's http and https agents make them", function()
    local optionSets = {
      {},
      { host = "example.org", port = 8080 },
      { host = "::1", port = 1, localAddress = "127.0.0.1", family = 6 },
      { socketPath = "/tmp/s" },
      { host = "h", port = 443, ca = "CA", cert = "C", key = "K", ciphers = "X", rejectUnauthorized = false,
        servername = "other", minVersion = "TLSv1.2", maxVersion = "TLSv1.3", honorCipherOrder = true,
        secureOptions = 0, sessionIdContext = "ctx", sigalgs = "RSA-PSS+SHA256" },
      { host = "h", servername = "h", rejectUnauthorized = true },
    }
    local ours = {}
    for _, o in ipairs(optionSets) do
      ours[#ours + 1] = http.Agent.new():getName(o)
      ours[#ours + 1] = https.Agent.new():getName(o)
    end
    assert.equal("localhost::", ours[1])
    assert.equal("localhost::" .. string.rep(":", 20), ours[2])
    assert.equal("::1:1:127.0.0.1:6", ours[5])
    if not helper.needs("node") then return end
    local lines = {}
    for i, o in ipairs(optionSets) do lines[i] = js(o) end
    local theirs = helper.nodeLines(helper.NODE_TO_LUA .. [[
const http = require('http'), https = require('https');
for (const l of require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean)) {
  const o = eval('(' + l + ')');
  console.log(lua(new http.Agent().getName(o)));
  console.log(lua(new https.Agent().getName(o)));
}
]], lines)
    for i, name in ipairs(ours) do
      assert.equal(assert(load("return " .. theirs[i]))(), name, "option set " .. math.ceil(i / 2))
    end
  end)

  it("http.fetch inside a task: status, headers, the whole body; errors are raised", function()
    local server = http.createServer(function(req, res)
      local parts = {}
      req:on("data", function(c) parts[#parts + 1] = c end)
      req:on("end", function()
        if req.url == "/slow" then return end
        res:writeHead(req.method == "POST" and 201 or 200, { ["X-Method"] = req.method })
        res:write("got ")
        res:done(table.concat(parts))
      end)
    end)
    local port = listen(server)
    cleanGlobalAgents()
    local base = "http://127.0.0.1:" .. port
    local closedPort = helper.freePort()
    helper.task(function()
      local res = http.fetch(base .. "/one")
      assert.equal(200, res.status)
      assert.equal(200, res.statusCode)
      assert.equal("GET", res.headers["x-method"])
      assert.equal("got ", res.body)
      res = http.fetch(base .. "/two", { method = "POST", body = "payload", headers = { ["X-A"] = "1" } })
      assert.equal(201, res.status)
      assert.equal("got payload", res.body)
      -- an error is raised, as an error object
      local ok, err = pcall(http.fetch, "http://127.0.0.1:" .. closedPort .. "/")
      assert.is_false(ok)
      assert.equal("ECONNREFUSED", err.code)
      ok, err = pcall(http.fetch, base .. "/slow", { timeout = 100 })
      assert.is_false(ok)
      assert.equal("ETIMEDOUT", err.code)
    end)
    -- (a plain coroutine is no task; the spec's own code runs in one)
    local ok, err = coroutine.wrap(function() return pcall(http.fetch, base) end)()
    assert.is_false(ok)
    assert.equal("ERR_ASYNC_NO_TASK", err.code)
    assert.equal("http.fetch() must be called inside a task: see async.run", err.message)
  end)
end)

describe("https client", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  local lastServername
  local function secureServer(extra)
    return https.createServer(certs.serverOptions(extra), function(req, res)
      if req.url == "/drop" then return req.socket:destroy() end
      lastServername = req.socket.servername
      res:done(string.format("%s %s reused=%s alpn=%s", req.method, req.url,
        tostring(req.socket:isSessionReused()), tostring(req.socket.alpnProtocol)))
    end)
  end

  it("verifies the server: ca, servername from the host, rejectUnauthorized; Node's error codes", function()
    local server = secureServer()
    local port = listen(server)
    local ca = certs.read("ca-cert.pem")
    local agent = agentFor(https, { keepAlive = true })
    local authorized
    local body = select(2, run(https.request({ host = "localhost", port = port, ca = ca, agent = agent,
      path = "/v" }), nil, function(r) authorized = r.socket.authorized end))
    -- (as Node's https client: no ALPN unless asked for)
    assert.equal("GET /v reused=false alpn=false", body)
    assert.is_true(authorized)
    assert.equal("localhost", lastServername)
    -- (ALPN is not part of the agent's name: a socket of its own)
    body = select(2, run(https.request({ host = "localhost", port = port, ca = ca, agent = false, path = "/alpn",
      ALPNProtocols = { "http/1.1" } })))
    assert.equal("GET /alpn reused=false alpn=http/1.1", body)
    -- an IP: no SNI, the certificate's IP address checked
    local res = run(https.request({ host = "127.0.0.1", port = port, ca = ca, agent = agent }))
    assert.equal(200, res.statusCode)
    assert.is_falsy(lastServername)
    -- without the CA: refused (the chain's root is not trusted)
    local _, _, err = run(https.request({ host = "localhost", port = port, agent = agent }))
    assert.equal("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", err.code)
    res = run(https.request({ host = "localhost", port = port, rejectUnauthorized = false, agent = agent }), nil,
      function(r) authorized = r.socket.authorized end)
    assert.equal(200, res.statusCode)
    assert.is_false(authorized)
    -- a self-signed certificate; a leaf without its intermediate
    local selfSigned = https.createServer({ key = certs.read("selfsigned-key.pem"),
      cert = certs.read("selfsigned-cert.pem") }, function(_, r) r:done("self") end)
    local sport = listen(selfSigned)
    _, _, err = run(https.request({ host = "localhost", port = sport, agent = agent }))
    assert.equal("DEPTH_ZERO_SELF_SIGNED_CERT", err.code)
    assert.equal("self-signed certificate", err.message)
    local leafOnly = https.createServer({ key = certs.read("server-key.pem"), cert = certs.read("server-cert.pem") },
      function(_, r) r:done("leaf") end)
    local lport = listen(leafOnly)
    _, _, err = run(https.request({ host = "localhost", port = lport, ca = ca, agent = agent }))
    assert.equal("UNABLE_TO_VERIFY_LEAF_SIGNATURE", err.code)
    -- the wrong name
    _, _, err = run(https.request({ host = "127.0.0.1", port = port, ca = ca, agent = agent,
      servername = "nope.example", headers = { Host = "nope.example" } }))
    assert.equal("ERR_TLS_CERT_ALTNAME_INVALID", err.code)
  end)

  it("resumes TLS sessions across the connections of one agent (TLS 1.2 and 1.3)", function()
    local ca = certs.read("ca-cert.pem")
    for _, version in ipairs({ "TLSv1.2", "TLSv1.3" }) do
      local server = secureServer({ maxVersion = version, minVersion = version })
      local port = listen(server)
      local agent = agentFor(https, { ca = ca })
      local reused = {}
      for i = 1, 3 do
        local req = https.request({ host = "localhost", port = port, agent = agent, path = "/" .. i })
        local protocol, socket
        local _, body = run(req, nil, function(res)
          socket = res.socket
          protocol = socket:getProtocol()
          reused[i] = socket:isSessionReused()
        end)
        assert.equal(version, protocol)
        assert.equal("GET /" .. i .. " reused=" .. tostring(reused[i]) .. " alpn=false", body)
        helper.wait(function() return socket.destroyed end)
      end
      assert.same({ false, true, true }, reused, version)
      local name = agent:getName({ host = "localhost", port = port, ca = ca, servername = "localhost" })
      assert.is_string(agent._sessionCache.map[name])
      assert.same({ name }, agent._sessionCache.list)
    end
    -- maxCachedSessions = 0: no reuse
    local server = secureServer()
    local port = listen(server)
    local agent = agentFor(https, { ca = ca, maxCachedSessions = 0 })
    for _ = 1, 2 do
      local socket, wasReused
      run(https.request({ host = "localhost", port = port, agent = agent }), nil, function(res)
        socket = res.socket
        wasReused = socket:isSessionReused()
      end)
      assert.is_false(wasReused)
      helper.wait(function() return socket.destroyed end)
    end
    assert.same({}, agent._sessionCache.list)
    -- as Node's agent: a connection that closes with an error (its
    -- 'close' says hadError) evicts the session of its name; a server that
    -- just goes away does not (Node 20: 'close' false, the session kept)
    agent = agentFor(https, { ca = ca })
    run(https.request({ host = "localhost", port = port, agent = agent, path = "/first" }))
    helper.wait(function() return agent.totalSocketCount == 0 end)
    assert.equal(1, #agent._sessionCache.list)
    local _, _, err = run(https.request({ host = "localhost", port = port, agent = agent, path = "/drop" }))
    assert.equal("ECONNRESET", err.code)
    helper.wait(function() return agent.totalSocketCount == 0 end)
    assert.equal(1, #agent._sessionCache.list)
    local broken = https.request({ host = "localhost", port = port, agent = agent, path = "/broken" })
    broken:on("socket", function(socket)
      socket:once("secureConnect", function() socket:destroy(errors.new("EBROKEN", "broken on purpose")) end)
    end)
    _, _, err = run(broken)
    assert.equal("EBROKEN", err.code)
    helper.wait(function() return agent.totalSocketCount == 0 end)
    assert.same({}, agent._sessionCache.list)
    assert.is_nil(next(agent._sessionCache.map))
  end)

  it("against Node's https server: keep-alive reuse and TLS session resumption", function()
    if not helper.needs("node") then return end
    local port = peerPort("node -e " .. quote(string.format([[
const https = require('https'), fs = require('fs');
const server = https.createServer({ key: fs.readFileSync(%q), cert: fs.readFileSync(%q) }, (req, res) => {
  res.end(req.url + ' ' + req.socket.remotePort + ' ' + req.socket.isSessionReused());
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
]], certs.path("server-key.pem"), certs.path("server-chain.pem"))))
    local ca = certs.read("ca-cert.pem")
    local ka = agentFor(https, { keepAlive = true, ca = ca })
    local _, b1 = run(https.request({ host = "localhost", port = port, agent = ka, path = "/a" }))
    helper.sleep(10)
    local r2, b2 = run(https.request({ host = "localhost", port = port, agent = ka, path = "/b" }))
    assert.is_true(r2.req.reusedSocket)
    assert.equal(b1:match("^/a (%d+)"), b2:match("^/b (%d+)"))
    local fresh = agentFor(https, { ca = ca })
    local reused = {}
    for i = 1, 2 do
      local socket
      local _, body = run(https.request({ host = "localhost", port = port, agent = fresh }), nil, function(res)
        socket = res.socket
        reused[i] = socket:isSessionReused()
      end)
      assert.equal(tostring(reused[i]), body:match("(%a+)$"))
      helper.wait(function() return socket.destroyed end)
    end
    assert.same({ false, true }, reused)
  end)

  it("https.fetch inside a task, against luatls's server", function()
    local server = secureServer()
    local port = listen(server)
    cleanGlobalAgents()
    helper.task(function()
      local res = https.fetch("https://localhost:" .. port .. "/f", { ca = certs.read("ca-cert.pem") })
      assert.equal(200, res.status)
      assert.equal("GET /f reused=false alpn=false", res.body)
      local ok, err = pcall(https.fetch, "https://localhost:" .. port .. "/f")
      assert.is_false(ok)
      assert.equal("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", err.code)
    end)
  end)
end)

-- 64 MiB each way between luatls's client and luatls's server (in its own
-- process, so its memory can be read): the sha256 of what arrived is the
-- sha256 of what was sent, and the side that writes waits while the other
-- stalls (the server's memory stays bounded while the client does not read;
-- the client's buffered request stays bounded while the server does not).
describe("http client bulk", function()
  helper.leakcheck()

  local MiB = 1024 * 1024
  -- (under the sanitizers, a quarter: as spec/stress_spec.lua)
  local scale = helper.AGGRESSIVE_GC and 4 or 1
  local TOTAL = 64 * MiB // scale
  local CHUNK = 64 * 1024

  local SERVER = [[
local http, crypto = require("http"), require("crypto")
local TOTAL, CHUNK = tonumber(arg[2]), 64 * 1024
local block = {}
for i = 1, CHUNK do block[i] = string.char((i * 31 + 7) % 256) end
block = table.concat(block)
local stalls = 0
local server = http.createServer(function(req, res)
  if req.method == "POST" then
    -- read the upload, stalling 300 ms at every quarter
    local h, n, nextStall = crypto.createHash("sha256"), 0, TOTAL // 4
    req:on("data", function(c)
      h:update(c)
      n = n + #c
      if n >= nextStall then
        nextStall = nextStall + TOTAL // 4
        stalls = stalls + 1
        req:pause()
        setTimeout(function() req:resume() end, 300)
      end
    end)
    req:on("end", function() res:done(n .. " " .. h:digest("hex") .. " " .. stalls) end)
  else
    local h, sent = crypto.createHash("sha256"), 0
    res:setHeader("Trailer", "X-Sha256")
    local function pump()
      while sent < TOTAL do
        local piece = string.pack(">I8", sent) .. block:sub(9)
        h:update(piece)
        sent = sent + #piece
        if not res:write(piece) then return res:once("drain", pump) end
      end
      res:addTrailers({ ["X-Sha256"] = h:digest("hex") })
      res:done()
    end
    pump()
  end
end)
server:listen(tonumber(arg[1]), "127.0.0.1", function()
  print("listening " .. server:address().port .. " pid " .. process.pid)
end)
]]

  local function status(pid)
    local f = io.open("/proc/" .. pid .. "/status")
    if not f then return nil end
    local s = f:read("a")
    f:close()
    return { rss = tonumber(s:match("VmRSS:%s*(%d+)")) * 1024, hwm = tonumber(s:match("VmHWM:%s*(%d+)")) * 1024 }
  end

  it("64 MiB bodies both ways with sha256 digests, the writer's memory bounded while the reader stalls", function()
    local script = os.tmpname()
    local f = assert(io.open(script, "wb"))
    f:write(SERVER)
    f:close()
    helper.onCleanup(function() os.remove(script) end)
    local proc = helper.spawn(string.format("exec timeout 120 %s %s 0 %d", quote(helper.luatls), quote(script), TOTAL))
    helper.onCleanup(function() helper.kill(proc) end)
    local port = tonumber(helper.waitForOutput(proc, "listening (%d+) pid"))
    local pid = tonumber(helper.waitForOutput(proc, "listening %d+ pid (%d+)"))
    local agent = agentFor(http, { keepAlive = true })

    -- download: the client stalls 300 ms at every quarter
    helper.sleep(50)
    local base = pid and status(pid)
    local got, hash = 0, crypto.createHash("sha256")
    local peak, stalls, ended, res = 0, 0, false, nil
    local nextStall = TOTAL // 4
    local stallTimer
    http.get({ host = "127.0.0.1", port = port, agent = agent, path = "/down" }, function(r)
      res = r
      r:on("data", function(d)
        got = got + #d
        hash:update(d)
        if got >= nextStall then
          nextStall = nextStall + TOTAL // 4
          stalls = stalls + 1
          r:pause()
          stallTimer = setTimeout(function()
            local st = pid and status(pid)
            if st then peak = math.max(peak, st.rss) end
            -- what waits on our side is bounded too
            assert.is_true(r.readableLength + r.socket.readableLength < 4 * MiB,
              "buffered on the client: " .. (r.readableLength + r.socket.readableLength))
            r:resume()
          end, 300)
        end
      end)
      r:on("end", function() ended = true end)
    end)
    helper.wait(function() return ended end, 120000, "the download")
    if stallTimer then clearTimeout(stallTimer) end
    assert.equal(TOTAL, got)
    assert.is_true(stalls >= 3)
    assert.equal(res.trailers["x-sha256"], hash:digest("hex"))
    if base and not core.versions().sanitized then
      local growth = peak - base.rss
      assert.is_true(growth < 16 * MiB, string.format("the server grew by %.1f MiB during the stalls", growth / MiB))
    end

    -- upload: the server stalls 300 ms at every quarter; the client writes
    -- only when the request drains
    local block = {}
    for i = 1, CHUNK do block[i] = string.char((i * 17 + 3) % 256) end
    block = table.concat(block)
    local sent, sentHash, maxBuffered = 0, crypto.createHash("sha256"), 0
    local req = http.request({ host = "127.0.0.1", port = port, agent = agent, method = "POST", path = "/up" })
    local function pump()
      while sent < TOTAL do
        local piece = string.pack(">I8", sent) .. block:sub(9)
        sentHash:update(piece)
        sent = sent + #piece
        local more = req:write(piece)
        local socket = req.socket
        maxBuffered = math.max(maxBuffered, req.writableLength + (socket and socket.bufferSize or 0))
        if not more then return req:once("drain", pump) end
      end
      req:done()
    end
    local answer
    req:on("response", function(r)
      r:setEncoding("utf8")
      local parts = {}
      r:on("data", function(d) parts[#parts + 1] = d end)
      r:on("end", function() answer = table.concat(parts) end)
    end)
    -- (and the server, which pauses its socket, does not hold the upload)
    local upPeak = 0
    local sampler = setInterval(function()
      local st = pid and status(pid)
      if st then upPeak = math.max(upPeak, st.rss) end
    end, 50)
    pump()
    helper.wait(function() return answer end, 120000, "the upload")
    clearInterval(sampler)
    local n, digest, serverStalls = answer:match("^(%d+) (%x+) (%d+)$")
    assert.equal(TOTAL, tonumber(n))
    assert.equal(sentHash:digest("hex"), digest)
    assert.is_true(tonumber(serverStalls) >= 3)
    assert.is_true(maxBuffered < 4 * MiB, "the request buffered " .. maxBuffered)
    if base and not core.versions().sanitized then
      local growth = upPeak - base.rss
      assert.is_true(growth < 16 * MiB, string.format("the server grew by %.1f MiB during the upload", growth / MiB))
    end
    assert.is_true(req.reusedSocket)
  end)
end)
