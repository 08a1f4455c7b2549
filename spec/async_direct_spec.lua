-- The fast path of a task's reads proven equal to the slow one. A socket that
-- nothing else reads hands its chunks straight to the task's reader
-- (Socket:_takeChunks: no push, no 'data' event); otherwise the reader listens
-- to 'data' like anyone. The same seeded traffic (lines of every length, "\n"
-- and "\r\n", writes split anywhere, receive("*l"), receive(n), "*a", a peer
-- that ends or resets, another reader that appears midway) goes through both
-- ways, over TLS and TCP, and everything the reader and the socket show must
-- be the same. A failure names the seed.
local helper = require("spec.helper")
local certs = require("spec.certs")
local async = require("luatls.async")
local tls = require("luatls.tls")
local net = require("luatls.net")

local serverOptions, connectOptions = certs.serverOptions, certs.connectOptions

-- plan(seed) -> { writes = { string | {sleep = ms} }, reads = { pattern }, total = bytes,
--   tap = index of the read before which another 'data' listener appears, or nil }
local function plan(seed)
  math.randomseed(seed)
  local rnd = math.random
  local text = {}
  for i = 1, rnd(1, 60) do
    local len = ({ 0, 1, 5, 16, 100, 1000, 5000, 20000, 70000 })[rnd(1, 9)]
    local line = string.rep(string.char(97 + i % 26), rnd(0, len))
    text[#text + 1] = line .. (rnd() < 0.3 and "\r\n" or "\n")
  end
  if rnd() < 0.5 then text[#text + 1] = string.rep("t", rnd(1, 3000)) end -- no end of line
  local stream = table.concat(text)
  local writes, at = {}, 1
  while at <= #stream do
    local n = ({ 1, 7, 100, 1500, 16384, 65536, 200000 })[rnd(1, 7)]
    writes[#writes + 1] = stream:sub(at, at + n - 1)
    at = at + n
    if rnd() < 0.2 then writes[#writes + 1] = { sleep = rnd(0, 5) } end
  end
  local reads = {}
  for _ = 1, rnd(1, 80) do
    local r = rnd()
    reads[#reads + 1] = r < 0.7 and "*l" or r < 0.95 and rnd(0, 9000) or "*a"
  end
  return {
    writes = writes, reads = reads, total = #stream,
    tap = #reads > 1 and rnd() < 0.3 and rnd(2, #reads) or nil, -- (after the first read)
  }
end

-- a summary of a receive's results: data as its length and a digest
local function digest(s)
  if s == nil then return "nil" end
  return #s .. ":" .. require("luatls.core").digest("sha256", s):sub(1, 8):gsub(".", function(c)
    return string.format("%02x", c:byte())
  end)
end

-- run(p, kind, slow) -> what the server's task saw, as a list of strings;
-- whether its first receive read directly (no 'data' listener on the socket)
local function run(p, kind, slow)
  local seen, done, direct = {}, false, nil
  local handler = async.wrap(function(s)
    if slow then s._takeChunks = function() return false end end -- the slow path: 'data' events
    s:on("error", function() end)
    for i, pattern in ipairs(p.reads) do
      if p.tap == i then s:on("data", function() end) end
      local data, err, partial = s:receive(pattern)
      if direct == nil then direct = s:listenerCount("data") == 0 end
      seen[#seen + 1] = string.format("%s -> %s %s %s", tostring(pattern), digest(data),
        err and tostring(err.code) or "-", err and digest(partial) or "-")
      if not data then break end
    end
    -- what is left: all of it, or how it ended
    local rest, err, partial = s:receive("*a")
    seen[#seen + 1] = "rest " .. digest(rest) .. " " .. (err and tostring(err.code) or "-") .. " " .. digest(partial)
    seen[#seen + 1] = "bytesRead " .. s.bytesRead
    s:destroy()
    done = true
  end)
  local server
  if kind == "tls" then
    server = tls.createServer(serverOptions(), handler)
  else
    server = net.createServer(handler)
  end
  local port = helper.listen(server)
  helper.task(function()
    local c
    if kind == "tls" then
      c = tls.connect(connectOptions(port))
      async.once(c, "secureConnect")
    else
      c = net.connect(port, "127.0.0.1")
      async.once(c, "connect")
    end
    c:on("error", function() end)
    for _, w in ipairs(p.writes) do
      if type(w) == "table" then async.sleep(w.sleep) else c:send(w) end
    end
    c:done()
    async.once(c, "close")
  end)
  helper.wait(function() return done end, 30000, "the server's task")
  helper.closeServer(server, true)
  return seen, direct
end

describe("async: a task's direct reads equal the 'data' path", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  local seeds = helper.SLOW > 1 and 6 or 16
  for _, kind in ipairs({ "tls", "tcp" }) do
    it(kind .. ": " .. seeds .. " seeded plans give the same results both ways", function()
      local bytes = 0
      for seed = 1, seeds do
        local p = plan(seed * 7919 + (kind == "tls" and 1 or 2))
        local fast, direct = run(p, kind, false)
        local slow, notDirect = run(p, kind, true)
        assert.is_true(direct, "seed " .. seed .. ": the fast run did not read directly")
        assert.is_false(notDirect, "seed " .. seed .. ": the slow run read directly")
        assert.same(slow, fast, "seed " .. seed .. " (" .. kind .. ", tap=" .. tostring(p.tap) .. ")")
        bytes = bytes + p.total
      end
      assert.is_true(bytes > 0)
    end)
  end
end)
