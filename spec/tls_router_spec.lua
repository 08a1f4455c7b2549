-- spec/tls_router_spec.lua: tls.createRouter (src/tls/router.c,
-- internal/tls/router.lua), the router that runs no Lua per connection.
-- The differential test runs the same seeded random traffic through it and
-- through the Node-style router (examples/sni-router.lua --pipes: a
-- net.Server, parseClientHello, net.connect and two pipes) and compares
-- everything a client and a backend can see, and both with the routes'
-- own answer. The rest: the route function, the counters, close() waiting
-- for live connections, the hello timeout, an unreachable backend, and
-- the options' errors. (examples_spec runs the example's both modes against
-- openssl s_client and 1 GiB from Node.)
local helper = require("spec.helper")
local tls = require("luatls.tls")
local net = require("luatls.net")
local fs = require("luatls.fs")

local q = helper.quote

-- The first bytes tls.connect sends for (servername, ALPN list): a real
-- ClientHello, caught by a plain server.
local function captureHello(name, alpn)
  local got = ""
  local cap = net.createServer(function(s)
    s:on("data", function(d)
      got = got .. d
      if tls.parseClientHello(got) then s:destroy() end
    end)
  end)
  local port = helper.listen(cap)
  local c = tls.connect({ port = port, host = "127.0.0.1", servername = name, ALPNProtocols = alpn,
    rejectUnauthorized = false })
  c:on("error", function() end)
  helper.wait(function() return tls.parseClientHello(got) ~= nil end, nil, "a ClientHello")
  c:destroy()
  helper.closeServer(cap, true)
  return got
end

-- Backends that record what each connection brought (at its end) and echo
-- it back, ending when the client ends.
local function recorders(n)
  local list = {}
  for i = 1, n do
    local b = { seen = {} }
    b.server = net.createServer({ allowHalfOpen = true }, function(s)
      local parts = {}
      s:on("data", function(d)
        parts[#parts + 1] = d
        s:write(d)
      end)
      s:on("end", function()
        b.seen[#b.seen + 1] = table.concat(parts)
        s:done()
      end)
      s:on("error", function() end)
    end)
    b.port = helper.listen(b.server)
    list[i] = b
  end
  return list
end

-- One client through the router at port: sends its bytes in the pieces
-- given (a pause after the first), ends once its bytes came back. ->
-- a record filled in as it goes ({ got =, closed = })
local function client(port, pieces, total)
  local r = { got = {}, n = 0, closed = false }
  local c = net.connect(port, "127.0.0.1")
  c:on("error", function() end)
  c:on("data", function(d)
    r.got[#r.got + 1] = d
    r.n = r.n + #d
    if r.n == total then c:done() end
  end)
  c:on("close", function() r.closed = true end)
  c:on("connect", function()
    c:write(pieces[1])
    setTimeout(function()
      for i = 2, #pieces do
        if c.destroyed then return end
        c:write(pieces[i])
      end
    end, 5)
  end)
  return r
end

local KINDS = { -- what a client sends first, and which backend the routes give it
  { name = "a.test" }, { name = "A.TEST" }, { name = "b.test" }, { name = "b.test", alpn = { "h2" } },
  { name = "b.test", alpn = { "x", "h2" } }, { name = "c.test" }, { name = nil }, { garbage = true },
}
-- the routes, as both routers take them (backend index per key)
local ROUTES = { ["a.test"] = 1, ["b.test"] = 2, ["b.test/h2"] = 3 }
-- the routes' answer for a kind: a backend index, or nil (refused)
local function expected(kind, default)
  if kind.garbage then return nil end
  local name = kind.name and kind.name:lower()
  for _, p in ipairs(kind.alpn or {}) do
    local i = name and ROUTES[name .. "/" .. p]
    if i then return i end
  end
  return (name and ROUTES[name]) or default
end

describe("tls.createRouter", function()
  helper.leakcheck()

  local hellos
  local function hello(kind)
    hellos = hellos or {}
    local key = kind.garbage and "garbage" or tostring(kind.name) .. "|" .. table.concat(kind.alpn or {}, ",")
    if not hellos[key] then
      hellos[key] = kind.garbage and "GET / HTTP/1.0\r\n\r\n" or captureHello(kind.name, kind.alpn)
    end
    return hellos[key]
  end

  it("routes random traffic exactly as the Node-style router (examples/sni-router.lua --pipes) does", function()
    local backends = recorders(4)
    local routeArgs = {}
    for key, i in pairs(ROUTES) do routeArgs[#routeArgs + 1] = key .. "=127.0.0.1:" .. backends[i].port end
    local plans = os.getenv("LUATLS_SPEC_SLOW") and 4 or 10
    for plan = 1, plans do
      local withDefault = plan % 2 == 0
      local args = { table.unpack(routeArgs) }
      if withDefault then args[#args + 1] = "*=127.0.0.1:" .. backends[4].port end
      -- the plan: clients, each a kind, a payload and its pieces
      math.randomseed(1000 + plan)
      local clients = {}
      for i = 1, 6 do
        local kind = KINDS[math.random(#KINDS)]
        local size = ({ 0, 17, 4096, 70000, 300000 })[math.random(5)]
        if plan == plans and i == 1 then size = 3 * 1024 * 1024 end -- past both routers' marks
        local payload = {}
        for k = 1, size // 64 + 1 do
          payload[k] = string.format("%02d:%02d:%08d:", plan, i, k) .. string.rep("z", 51)
        end
        local bytes = hello(kind) .. table.concat(payload):sub(1, size)
        local cuts, pieces, at = { math.random(1, math.min(#bytes, 40)) }, {}, 1
        for _ = 1, math.random(0, 4) do cuts[#cuts + 1] = math.random(1, #bytes) end
        table.sort(cuts)
        for _, cut in ipairs(cuts) do
          if cut >= at then pieces[#pieces + 1] = bytes:sub(at, cut); at = cut + 1 end
        end
        if at <= #bytes then pieces[#pieces + 1] = bytes:sub(at) end
        clients[i] = { kind = kind, bytes = bytes, pieces = pieces }
      end
      -- through each router: what the clients got and what each backend saw
      local seen = {}
      for _, mode in ipairs({ "c", "pipes" }) do
        for _, b in ipairs(backends) do b.seen = {} end
        local port = helper.freePort()
        local argv = { tostring(port), table.unpack(args) }
        argv[#argv + 1] = "--quiet"
        if mode == "pipes" then argv[#argv + 1] = "--pipes" end
        local router = assert(loadfile(helper.root .. "/examples/sni-router.lua"))(table.unpack(argv))
        helper.wait(function() return router.listening end)
        local runs = {}
        for i, c in ipairs(clients) do runs[i] = client(port, c.pieces, #c.bytes) end
        helper.wait(function()
          for _, r in ipairs(runs) do if not r.closed then return false end end
          return true
        end, 60000 * helper.SLOW, "plan " .. plan .. " through " .. mode)
        local lastCount
        local okWait, errWait = pcall(helper.wait, function() -- (a backend may see its end after the client's close)
          local n = 0
          for _, b in ipairs(backends) do n = n + #b.seen end
          local want = 0
          for _, c in ipairs(clients) do if expected(c.kind, withDefault and 4 or nil) then want = want + 1 end end
          lastCount = n .. " of " .. want
          return n == want
        end, 10000 * helper.SLOW, "the backends' ends through " .. mode .. " in plan " .. plan)
        assert(okWait, tostring(errWait) .. " (" .. tostring(lastCount) .. ")")
        local got = {}
        for i, r in ipairs(runs) do got[i] = table.concat(r.got) end
        local backendSeen = {}
        for i, b in ipairs(backends) do
          table.sort(b.seen)
          backendSeen[i] = b.seen
        end
        seen[mode] = { clients = got, backends = backendSeen }
        if mode == "c" then
          local st = router:stats()
          assert.equal(0, st.active)
          local routed = 0
          for _, c in ipairs(clients) do if expected(c.kind, withDefault and 4 or nil) then routed = routed + 1 end end
          local why = {}
          for i, c in ipairs(clients) do
            why[i] = string.format("%s/%s:%d->%d", tostring(c.kind.name), table.concat(c.kind.alpn or {}, ","),
              #c.bytes, #got[i])
          end
          assert.equal(routed, st.routed, "plan " .. plan .. ": " .. table.concat(why, " "))
          assert.equal(#clients - routed, st.refused)
        end
        helper.closeServer(router, true)
      end
      assert.same(seen.pipes, seen.c, "plan " .. plan)
      -- and both are the routes' answer: an echo where a route exists, at
      -- that backend; nothing where none does
      local want = { {}, {}, {}, {} }
      for i, c in ipairs(clients) do
        local to = expected(c.kind, withDefault and 4 or nil)
        assert.equal(to and #c.bytes or 0, #seen.c.clients[i], "plan " .. plan .. " client " .. i)
        if to then
          assert.is_true(seen.c.clients[i] == c.bytes, "plan " .. plan .. " client " .. i .. ": the echo differs")
          table.insert(want[to], c.bytes)
        end
      end
      for i = 1, 4 do table.sort(want[i]) end
      for i = 1, 4 do
        assert.equal(#want[i], #seen.c.backends[i], "plan " .. plan .. " backend " .. i)
        for k = 1, #want[i] do assert.is_true(want[i][k] == seen.c.backends[i][k], "backend " .. i .. " bytes") end
      end
    end
    for _, b in ipairs(backends) do helper.closeServer(b.server, true) end
  end)

  it("a route function gets the ClientHello as a table and answers \"ip:port\", a table or nil", function()
    local backends = recorders(2)
    local asked = {}
    local router = tls.createRouter({
      route = function(h)
        asked[#asked + 1] = { h.servername, #h.ja3Hash, h.alpnProtocols[1] }
        if h.servername == "a.test" then return "127.0.0.1:" .. backends[1].port end
        if h.servername == "b.test" then return { host = "127.0.0.1", port = backends[2].port } end
        return nil
      end,
    })
    local port = helper.listen(router)
    local ah = hello({ name = "a.test", alpn = { "h2" } })
    local a = client(port, { ah }, #ah)
    local b = client(port, { hello({ name = "b.test" }) }, #hello({ name = "b.test" }))
    local c = client(port, { hello({ name = "c.test" }) }, #hello({ name = "c.test" }))
    helper.wait(function() return a.closed and b.closed and c.closed end)
    assert.equal(#hello({ name = "a.test", alpn = { "h2" } }), a.n)
    assert.equal(#hello({ name = "b.test" }), b.n)
    assert.equal(0, c.n)
    table.sort(asked, function(x, y) return x[1] < y[1] end)
    assert.same({ { "a.test", 32, "h2" }, { "b.test", 32, nil }, { "c.test", 32, nil } }, asked)
    local st = router:stats()
    assert.equal(2, st.routed)
    assert.equal(1, st.refused)
    helper.closeServer(router)
    for _, bk in ipairs(backends) do helper.closeServer(bk.server, true) end
  end)

  it("a route function that raises, or answers what is no address: the client is refused and the error is the "
    .. "process's uncaught one", function()
    local dir = fs.mkdtempSync("/tmp/luatls-router-")
    finally(function() fs.rmSync(dir, { recursive = true, force = true }) end)
    fs.writeFileSync(dir .. "/hello.bin", hello({ name = "a.test" }))
    fs.writeFileSync(dir .. "/r.lua", [[
local tls, net, fs = require("tls"), require("net"), require("fs")
local router = tls.createRouter({ route = function()
  if arg[2] == "bad" then return "localhost:443" end
  error("no route today")
end })
router:listen(0, "127.0.0.1", function()
  local c = net.connect(router:address().port, "127.0.0.1")
  c:on("error", function() end)
  c:on("close", function() print("client closed") end)
  c:write(fs.readFileSync(arg[1]))
end)
]])
    local function run(mode)
      return helper.finishPeer(helper.peer(string.format("%s %s %s %s", q(helper.luatls), q(dir .. "/r.lua"),
        q(dir .. "/hello.bin"), mode)))
    end
    local out, status = run("raise")
    assert.equal(1, status, out)
    assert.truthy(out:find("no route today", 1, true), out)
    out, status = run("bad")
    assert.equal(1, status, out)
    assert.truthy(out:find("ERR_INVALID_ARG_VALUE", 1, true), out)
    assert.truthy(out:find("The property 'route.answer' must be \"ip:port\"", 1, true), out)
  end)

  it("close() waits for the routed connections; stats and getConnections count them", function()
    local backends = recorders(1)
    local router = tls.createRouter({ routes = { ["*"] = "127.0.0.1:" .. backends[1].port } })
    local port = helper.listen(router)
    local bytes = hello({ name = "a.test" })
    local got = ""
    local c = net.connect(port, "127.0.0.1")
    c:on("data", function(d) got = got .. d end)
    c:write(bytes)
    helper.wait(function() return #got == #bytes end)
    local count
    router:getConnections(function(err, n) count = n; assert.is_nil(err) end)
    helper.wait(function() return count end)
    assert.equal(1, count)
    local closed = false
    router:close(function() closed = true end)
    helper.wait(function() return not router.listening end)
    helper.drain()
    assert.is_false(closed)
    assert.same({ active = 1, routed = 1, refused = 0, failed = 0, bytesIn = #bytes, bytesOut = #bytes },
      router:stats())
    c:done()
    helper.wait(function() return closed end)
    assert.equal(0, router:stats().active)
    helper.closeServer(backends[1].server, true)
  end)

  it("a client slower than helloTimeout, and one whose backend is unreachable, are closed and counted", function()
    local dead = helper.freePort()
    local router = tls.createRouter({ routes = { ["*"] = "127.0.0.1:" .. dead }, helloTimeout = 100 })
    local port = helper.listen(router)
    local slow = client(port, { hello({ name = "a.test" }):sub(1, 10) }, 1)
    local lost = client(port, { hello({ name = "a.test" }) }, 1)
    helper.wait(function() return slow.closed and lost.closed end)
    local st = router:stats()
    assert.equal(1, st.refused)
    assert.equal(1, st.failed)
    assert.equal(0, st.routed)
    helper.closeServer(router)
  end)

  it("bad options raise Node's errors; a Unix socket path is refused at listen", function()
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createRouter, nil)
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.createRouter, {})
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createRouter, { routes = "x" })
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createRouter, { route = 1 })
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.createRouter, { routes = { a = "localhost:1" } })
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.createRouter, { routes = { a = "127.0.0.1:0" } })
    helper.raisesWith("ERR_INVALID_ARG_VALUE", "TypeError", tls.createRouter, { routes = { a = { host = "::1" } } })
    helper.raisesWith("ERR_OUT_OF_RANGE", "RangeError", tls.createRouter, { routes = {}, helloTimeout = -1 })
    assert.is_table(tls.createRouter({ routes = { a = "[::1]:443", b = { host = "127.0.0.1", port = 1 } } }))
    local path = os.tmpname()
    os.remove(path)
    local router = tls.createRouter({ routes = {} })
    local err
    router:on("error", function(e) err = e end)
    router:listen(path)
    helper.wait(function() return err end)
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    assert.is_false(router.listening)
    os.remove(path)
  end)
end)
