-- The http server takes a connection's bytes straight from the socket's
-- handle (Readable's _takeChunks seam) while nothing else reads the socket,
-- and through 'data' otherwise (from the start, or from the moment
-- something else starts reading). The same seeded traffic through the
-- three ways must give the same responses, byte for byte: pipelined
-- requests of every body shape, cut at random places, bodies read at once,
-- slowly (the connection paused and resumed), or not at all.
local helper = require("spec.helper")
local http = require("luatls.http")
local net = require("luatls.net")
local crypto = require("luatls.crypto")

local PLANS = { "ignore", "read", "slow", "late" }

-- per connection: the bytes of 1 to 5 pipelined requests, the last closing
local function makeTraffic(seed, connections)
  math.randomseed(seed)
  local out = {}
  for c = 1, connections do
    local parts = {}
    local count = math.random(1, 5)
    for r = 1, count do
      local plan = PLANS[math.random(#PLANS)]
      local shape = ({ "none", "length", "chunked" })[math.random(3)]
      local method = shape == "none" and ({ "GET", "HEAD" })[math.random(2)] or "POST"
      local head = { string.format("%s /%d/%d/%s HTTP/1.1", method, c, r, plan), "Host: x" }
      local body = ""
      if shape ~= "none" then
        local data = helper.randomString(({ 0, 1, 700, 20000, 70000 })[math.random(5)])
        head[#head + 1], body = helper.httpBody(shape, data, math.random(2) == 1 and "X-T: t\r\n" or nil)
      end
      if r == count then head[#head + 1] = "Connection: close" end
      parts[#parts + 1] = table.concat(head, "\r\n") .. "\r\n\r\n" .. body
    end
    out[c] = table.concat(parts)
  end
  return out
end

-- mode: "direct" (as the server does by itself), "data" (something reads
-- the socket from the start) or "switch" (something starts reading it
-- at each connection's second request) -> the bytes each connection got,
-- Date lines dropped; how the requests saw their socket flow
local function run(traffic, mode, seed)
  math.randomseed(seed)
  local flowing = {}
  local server = http.createServer(function(req, res)
    local plan = req.url:match("([%a]+)$")
    local second = req.url:match("^/%d+/2/") ~= nil
    if mode == "switch" and second then req.socket:on("data", function() end) end
    flowing[#flowing + 1] = tostring(req.socket.readableFlowing)
    local function answer(n, digest)
      res:setHeader("X-Got", tostring(n) .. " " .. tostring(digest) .. " " .. tostring(req.trailers["x-t"]))
      res:done(req.method .. " " .. req.url)
    end
    if plan == "ignore" then return answer() end
    local hash, n = crypto.createHash("sha256"), 0
    req:on("data", function(c)
      n = n + #c
      hash:update(c)
      if plan == "slow" then
        req:pause()
        setTimeout(function() req:resume() end, 1)
      end
    end)
    req:on("end", function()
      if plan == "late" then
        setTimeout(function() answer(n, hash:digest("hex")) end, 2)
      else
        answer(n, hash:digest("hex"))
      end
    end)
  end)
  if mode == "data" then
    server:prependListener("connection", function(socket) socket:on("data", function() end) end)
  end
  local port = helper.listen(server)
  local results, done = {}, 0
  for c, bytes in ipairs(traffic) do
    local got = {}
    local client
    client = net.connect(port, "127.0.0.1", function()
      local at = 1
      while at <= #bytes do
        local len = math.random(1, 30000)
        client:write(bytes:sub(at, at + len - 1))
        at = at + len
      end
    end)
    client:on("data", function(d) got[#got + 1] = d end)
    client:on("close", function()
      results[c] = table.concat(got):gsub("Date: [^\r]*\r\n", "")
      done = done + 1
    end)
  end
  helper.wait(function() return done == #traffic end, 60000, "the clients")
  helper.closeServer(server)
  return results, flowing
end

describe("http server: bytes from the handle against bytes through 'data'", function()
  helper.leakcheck()

  for _, seed in ipairs(helper.AGGRESSIVE_GC and { 1, 2 } or { 1, 2, 3, 4, 5 }) do
    it("seed " .. seed .. ": the same responses, byte for byte, in all three ways", function()
      local traffic = makeTraffic(seed, 5)
      local direct, directFlow = run(traffic, "direct", seed)
      local viaData, dataFlow = run(traffic, "data", seed)
      local switched = run(traffic, "switch", seed)
      for c = 1, #traffic do
        assert.matches("^HTTP/1.1 200 OK", direct[c])
        assert.equal(direct[c], viaData[c], "connection " .. c .. " (data)")
        assert.equal(direct[c], switched[c], "connection " .. c .. " (switch)")
      end
      -- each way was the one meant: no flowing socket while the server
      -- takes the bytes itself, a flowing one through 'data'
      assert.equal("nil", directFlow[1])
      assert.equal("true", dataFlow[1])
    end)
  end
end)
