-- The http server's lazy requests (internal/http/incoming.lua: a request
-- without a body has no Readable until a script uses it; one nobody used
-- skips its dump when the server sees that nobody can look) against eager
-- ones (IncomingMessage.lazyRequests = false): the same seeded traffic
-- through both, and everything a script can see compared:
--   - the bytes each client gets;
--   - one log per request, in order, of what handlers see: events of the
--     request and the response, and the request's properties read at
--     every moment a script can pick (in the handler, in a tick queued
--     before or after the answer, in the response's 'finish' and 'close',
--     in an immediate, after a timer, from the next request's handler; this
--     last one is logged only when the client sends one request after the
--     other's response: with pipelined requests it depends on how the
--     bytes arrive, which differs from run to run);
--   - at the end, every request's fields and its Readable state, field by
--     field (those without a body).
local helper = require("spec.helper")
local http = require("luatls.http")
local net = require("luatls.net")
local tick = require("luatls.tick")
local timers = require("luatls.timers")
local stream = require("luatls.stream")
local util = require("luatls.util")
local IncomingMessage = require("luatls.internal.http.incoming")

local PLANS = {
  "ignore", "ignore", "ignore", "headers-only", "answer-later", "tick-after", "tick-before", "immediate-after",
  "timer-after", "finish-listener", "close-listener", "props", "data", "readable", "pipe", "prev",
  "pause-resume", "end-cb",
}
local BODY_PLANS = { "data", "readable", "pipe", "pause-resume" }

-- per connection: 1 to 6 requests, pipelined (the last one closes) or
-- one after the other's response (a keep-alive client that ends after the
-- last): { requests = { bytes, ... }, sequential = bool }
local function makeTraffic(seed, connections)
  math.randomseed(seed)
  local out = {}
  for c = 1, connections do
    local parts = {}
    local sequential = c % 2 == 0
    local count = math.random(1, 6)
    for r = 1, count do
      local plan = PLANS[math.random(#PLANS)]
      local shape = ({ "none", "none", "none", "zero", "length", "chunked" })[math.random(6)]
      -- (a body is read whole before the answer: what a request with a
      -- body sees otherwise depends on how its bytes arrive; those are
      -- never lazy, they are here as the lazy ones' neighbours)
      if shape == "length" or shape == "chunked" then plan = BODY_PLANS[math.random(#BODY_PLANS)] end
      local method = (shape == "none" or shape == "zero") and ({ "GET", "GET", "HEAD", "DELETE" })[math.random(4)]
        or "POST"
      local head = { string.format("%s /%d/%d/%s/%s HTTP/1.1", method, c, r, sequential and "s" or "p", plan),
        "Host: x" }
      local body = ""
      if shape == "zero" then
        head[#head + 1] = "Content-Length: 0"
      elseif shape ~= "none" then
        local data = helper.randomString(({ 0, 1, 700, 20000 })[math.random(4)])
        head[#head + 1], body = helper.httpBody(shape, data)
      end
      if r == count and not sequential then head[#head + 1] = "Connection: close" end
      parts[#parts + 1] = table.concat(head, "\r\n") .. "\r\n\r\n" .. body
    end
    out[c] = { requests = parts, sequential = sequential }
  end
  return out
end

local function props(req)
  return table.concat({ tostring(req.complete), tostring(req.readableEnded), tostring(req.destroyed),
    tostring(req.closed), tostring(req.readableFlowing), tostring(req.readableLength), tostring(req.aborted),
    tostring(req:isPaused()), tostring(req.readable) }, " ")
end

-- every field of req and of its Readable state: scalars by value, the rest
-- by type
local function snapshot(req)
  local out = {}
  local function add(prefix, t)
    for k, v in pairs(t) do
      local tv = type(v)
      if tv == "string" or tv == "number" or tv == "boolean" then
        out[#out + 1] = prefix .. tostring(k) .. "=" .. tostring(v)
      else
        out[#out + 1] = prefix .. tostring(k) .. ":" .. tv
      end
    end
  end
  add("", req)
  add("state.", req._readableState)
  add("events.", req._events or {})
  table.sort(out)
  return table.concat(out, " ")
end

-- the traffic through a server with lazy requests or not -> the responses
-- per connection (Date lines dropped), the logs per connection, the final
-- snapshots per request
local function serve(traffic, lazy, seed)
  IncomingMessage.lazyRequests = lazy
  math.randomseed(seed)
  local logs, reqs, last = {}, {}, {}
  local server = http.createServer(function(req, res)
    local c, r, mode, plan = req.url:match("^/(%d+)/(%d+)/(%a)/(.*)$")
    local id = c .. "/" .. r
    reqs[id] = req
    local log = {}
    logs[id] = log
    local function note(...) log[#log + 1] = table.concat({ ... }, " ") end
    local function look(when) note(when, props(req)) end
    local function watch()
      -- (how the body comes in pieces depends on the reads: the sum only)
      local got = 0
      req:on("data", function(d) got = got + #d end)
      req:on("end", function() note("end", got, props(req)) end)
      req:on("close", function() note("close", props(req)) end)
      req:on("aborted", function() note("aborted") end)
    end
    local function answer() res:done("ok " .. id) end
    note("request", req.method, req.headers.host, req.httpVersion, #req.rawHeaders)
    local prev = last[c]
    last[c] = req
    if plan == "ignore" then
      answer()
    elseif plan == "headers-only" then
      note(req.url, req.method, req.httpVersionMajor, req.httpVersionMinor, tostring(req.upgrade))
      answer()
    elseif plan == "answer-later" then
      setTimeout(answer, math.random(0, 2))
    elseif plan == "tick-after" then
      answer()
      tick.nextTick(function() look("tick"); watch() end)
    elseif plan == "tick-before" then
      tick.nextTick(function() look("tick"); watch() end)
      answer()
    elseif plan == "immediate-after" then
      answer()
      timers.setImmediate(function() look("immediate"); watch() end)
    elseif plan == "timer-after" then
      answer()
      setTimeout(function() look("timer"); watch() end, math.random(1, 4))
    elseif plan == "finish-listener" then
      res:on("finish", function() look("finish"); watch() end)
      answer()
    elseif plan == "close-listener" then
      res:on("close", function() look("res close"); watch() end)
      answer()
    elseif plan == "props" then
      look("handler")
      answer()
    elseif plan == "data" then
      watch()
      req:on("end", answer)
    elseif plan == "readable" then
      local n = 0
      req:on("readable", function()
        while true do
          local d = req:read()
          if d == nil then break end
          n = n + #d
        end
      end)
      req:on("end", function() note("read", n); answer() end)
    elseif plan == "pipe" then
      local sink, n = stream.PassThrough.new(), 0
      sink:on("data", function(d) n = n + #d end)
      sink:on("finish", function() note("piped", n); answer() end)
      req:pipe(sink)
    elseif plan == "prev" then
      if prev then
        -- (one after the other: the previous request is done by now, and
        -- what it shows can be compared)
        local seen = props(prev)
        if mode == "s" then note("prev", seen) end
        prev:on("close", function() end)
      end
      answer()
    elseif plan == "pause-resume" then
      watch()
      req:pause()
      setTimeout(function() req:resume() end, 1)
      req:on("end", answer)
    elseif plan == "end-cb" then
      res:done("ok " .. id, function() look("end cb") end)
    end
  end)
  local port = helper.listen(server)
  local results, done = {}, 0
  for c, conn in ipairs(traffic) do
    local got, sent = {}, 0
    -- the bytes of requests from..to, in random slices
    local function send(client, from, to)
      local bytes = table.concat(conn.requests, "", from, to)
      local at = 1
      while at <= #bytes do
        local len = math.random(1, 3000)
        client:write(bytes:sub(at, at + len - 1))
        at = at + len
      end
      sent = to
    end
    local client = net.connect(port, "127.0.0.1", function(client)
      send(client, 1, conn.sequential and 1 or #conn.requests)
    end)
    client:on("data", function(d)
      got[#got + 1] = d
      if not conn.sequential then return end
      local answered = select(2, table.concat(got):gsub("HTTP/1.1 200 OK", ""))
      if answered == #conn.requests then
        client:done()
      elseif answered == sent then
        send(client, sent + 1, sent + 1)
      end
    end)
    client:on("close", function()
      results[c] = table.concat(got):gsub("Date: [^\r]*\r\n", "")
      done = done + 1
    end)
  end
  helper.wait(function() return done == #traffic end, 30000, "the clients")
  helper.sleep(20) -- (the timers of timer-after)
  helper.closeServer(server)
  -- (the final state of a request with a body depends on how its bytes
  -- came, e.g. _consuming: such requests are never lazy; their logs are
  -- compared, not their state)
  local snaps = {}
  for id, req in pairs(reqs) do snaps[id] = req.method == "POST" and "a body" or snapshot(req) end
  return results, logs, snaps
end

local function run(traffic, lazy, seed)
  local out = table.pack(pcall(serve, traffic, lazy, seed))
  IncomingMessage.lazyRequests = true
  if not out[1] then error(out[2], 0) end
  return table.unpack(out, 2, out.n)
end

describe("http server: lazy requests against eager ones", function()
  helper.leakcheck()

  local seeds = helper.AGGRESSIVE_GC and { 1, 2, 3 } or { 1, 2, 3, 4, 5, 6, 7, 8 }
  for _, seed in ipairs(seeds) do
    it("seed " .. seed .. ": the same bytes, events, properties and final state", function()
      local traffic = makeTraffic(seed, 8)
      local eagerOut, eagerLogs, eagerSnaps = run(traffic, false, seed)
      local lazyOut, lazyLogs, lazySnaps = run(traffic, true, seed)
      for c = 1, #traffic do
        assert.equal(eagerOut[c], lazyOut[c], "connection " .. c)
        assert.matches("^HTTP/1.1 200 OK", eagerOut[c])
      end
      local n = 0
      for id, snap in pairs(eagerSnaps) do
        n = n + 1
        assert.same(eagerLogs[id], lazyLogs[id], "the log of request " .. id)
        assert.equal(snap, lazySnaps[id], "the state of request " .. id)
      end
      assert.is_true(n > 8)
    end)
  end

  it("a lazy request is an IncomingMessage to getmetatable, instanceOf, util.inspect and pairs", function()
    local EventEmitter = require("luatls.events")
    local seen = {}
    local server = http.createServer(function(req, res)
      seen[#seen + 1] = req
      res:done("ok")
    end)
    local port = helper.listen(server)
    local got = ""
    local client = net.connect(port, "127.0.0.1")
    client:on("data", function(d) got = got .. d end)
    -- one at a time: each response finishes quietly, its request is settled
    for i, path in ipairs({ "/a", "/b", "/c", "/d" }) do
      client:write("GET " .. path .. " HTTP/1.1\r\nHost: x\r\n\r\n")
      helper.wait(function() return select(2, got:gsub("HTTP/1.1 200 OK", "")) == i end, 5000, "response " .. i)
    end
    client:destroy()
    helper.closeServer(server)
    for i = 1, 4 do assert.is_true(IncomingMessage.isLazy(seen[i]), "request " .. i) end
    assert.equal(IncomingMessage, getmetatable(seen[1]))
    assert.is_true(EventEmitter.instanceOf(seen[1], IncomingMessage))
    assert.is_true(EventEmitter.instanceOf(seen[1], stream.Readable))
    assert.matches("IncomingMessage", tostring(seen[2]))
    assert.matches("_readableState", util.inspect(seen[2], { depth = 0 }))
    assert.is_false(IncomingMessage.isLazy(seen[2]))
    local keys = {}
    for k in pairs(seen[3]) do keys[k] = true end
    assert.is_true(keys._readableState)
    assert.is_true(seen[4].readableEnded)
    assert.is_true(seen[4].destroyed)
  end)

  it("IncomingMessage.lazyRequests = false makes eager requests (what the comparison above relies on); " ..
    "Connection: close too", function()
    local kinds = {}
    local server = http.createServer(function(req, res)
      kinds[#kinds + 1] = IncomingMessage.isLazy(req)
      res:done("ok")
    end)
    local port = helper.listen(server)
    local function get()
      local got = false
      local client = net.connect(port, "127.0.0.1", function(client)
        client:write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      end)
      client:on("data", function() got = true end)
      helper.wait(function() return got end, 5000, "the response")
      client:destroy()
    end
    get()
    IncomingMessage.lazyRequests = false
    local ok, err = pcall(get)
    IncomingMessage.lazyRequests = true
    assert(ok, err)
    helper.closeServer(server)
    assert.same({ true, false }, kinds)
    -- and the connection's last request is eager anyway (its response is
    -- never quiet)
    local last = {}
    server = http.createServer(function(req, res)
      last[#last + 1] = IncomingMessage.isLazy(req)
      res:done("ok")
    end)
    port = helper.listen(server)
    local client = net.connect(port, "127.0.0.1", function(client)
      client:write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    end)
    client:on("data", function() end)
    helper.wait(function() return client.destroyed end, 5000, "the response")
    helper.closeServer(server)
    assert.same({ false }, last)
  end)
end)
