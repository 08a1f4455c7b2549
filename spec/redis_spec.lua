-- spec/redis_spec.lua: luatls.redis — its RESP parser fed at every split,
-- and the client against a real redis-server that this file starts on a free
-- loopback port (and a Unix socket), bounded in time and killed at the end.
-- Without redis-server the tests that need it are pending.
local helper = require("spec.helper")
local redis = require("luatls.redis")
local errors = require("luatls.errors")

local q = helper.quote
local haveRedis = helper.have("redis-server")

-- ---- the server -------------------------------------------------------------------

local server -- { proc=, port=, dir=, sock= }

local function startRedis()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  local port = helper.freePort()
  local sock = dir .. "/redis.sock"
  -- --foreground: timeout stays in the spawned process group, so kill()
  -- reaches redis-server too
  local proc = helper.spawn(string.format(
    "timeout --foreground 20 redis-server --port %d --bind 127.0.0.1 --save '' --appendonly no " ..
    "--dir %s --unixsocket %s --unixsocketperm 700", port, q(dir), q(sock)))
  -- wait until it answers PING
  local deadline = os.time() + 15
  while true do
    local reply, done = nil, false
    local c = redis.createClient({ port = port })
    c:on("error", function() end)
    c:ping(function(err, r) reply = not err and r; done = true end)
    helper.wait(function() return done end, 5000, "PING")
    c:destroy()
    helper.wait(function() return c.closed end, 5000, "the probe to close")
    if reply == "PONG" then break end
    if helper.done(proc) or os.time() > deadline then
      error("redis-server did not start:\n" .. helper.output(proc))
    end
    helper.sleep(50)
  end
  return { proc = proc, port = port, dir = dir, sock = sock }
end

local function stopRedis()
  if not server then return end
  helper.kill(server.proc)
  os.execute("rm -rf " .. q(server.dir))
  server = nil
end

local function needsRedis()
  if not haveRedis then
    pending("redis-server is not installed")
    return false
  end
  return true
end

-- ---- helpers ------------------------------------------------------------------------

-- a client on the spec's server that fails the test on an unexpected 'error'
local function client(options)
  local c = redis.createClient(options or { port = server.port })
  c:on("error", function(err) error("unexpected redis error: " .. tostring(err)) end)
  return c
end

-- run(c, args) -> err, reply (waits for the answer)
local function run(c, args)
  local done, e, r = false, nil, nil
  c:command(args, function(err, reply) done, e, r = true, err, reply end)
  helper.wait(function() return done end, 10000, table.concat(args, " "):sub(1, 60))
  return e, r
end

local function quit(c)
  local closed = false
  c:on("close", function() closed = true end)
  c:quit()
  helper.wait(function() return closed end, 10000, "the client to close")
end

local function allBytes()
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  return table.concat(t)
end

-- ---- the parser (no server) ------------------------------------------------------

describe("redis.Parser", function()
  helper.leakcheck()

  -- a stream with every reply type, binary and empty bulks, nested and null
  -- arrays, and an error inside an array
  local stream = table.concat({
    "+OK\r\n",
    "-ERR unknown command 'FOO'\r\n",
    ":0\r\n", ":-42\r\n", ":9007199254740993\r\n",
    "$0\r\n\r\n",
    "$-1\r\n",
    "$13\r\nab\r\ncd\0\0\r\n\r\nx\r\n",
    "*-1\r\n",
    "*0\r\n",
    "*5\r\n$1\r\na\r\n$-1\r\n:7\r\n*2\r\n+x\r\n-WRONGTYPE no\r\n*0\r\n",
    "$256\r\n" .. allBytes() .. "\r\n",
    "+PONG\r\n",
  })

  local function check(list)
    assert.equal(13, list.n)
    assert.equal("OK", list[1])
    assert.is_true(errors.is(list[2]))
    assert.equal("ERR_REDIS", list[2].code)
    assert.equal("ERR unknown command 'FOO'", list[2].message)
    assert.equal("ERR", list[2].prefix)
    assert.equal(0, list[3])
    assert.equal(-42, list[4])
    assert.equal(math.tointeger(9007199254740993), list[5])
    assert.equal("", list[6])
    assert.is_nil(list[7])
    assert.equal("ab\r\ncd\0\0\r\n\r\nx", list[8])
    assert.is_nil(list[9])
    assert.same({ n = 0 }, list[10])
    local a = list[11]
    assert.equal(5, a.n)
    assert.equal("a", a[1])
    assert.is_nil(a[2])
    assert.equal(7, a[3])
    assert.equal(2, a[4].n)
    assert.equal("x", a[4][1])
    assert.equal("WRONGTYPE", a[4][2].prefix)
    assert.same({ n = 0 }, a[5])
    assert.equal(allBytes(), list[12])
    assert.equal("PONG", list[13])
  end

  local function collect(p, list, chunk)
    local got = assert(p:feed(chunk))
    for i = 1, got.n do
      list.n = list.n + 1
      list[list.n] = got[i]
    end
  end

  it("parses a whole stream in one read", function()
    local p = redis.Parser.new()
    local list = assert(p:feed(stream))
    check(list)
    assert.equal(0, p:buffered())
  end)

  it("parses the same stream fed one byte at a time", function()
    local p = redis.Parser.new()
    local list = { n = 0 }
    for i = 1, #stream do collect(p, list, stream:sub(i, i)) end
    check(list)
    assert.equal(0, p:buffered())
  end)

  it("parses it split in two at every byte, and in three at many pairs", function()
    for i = 1, #stream - 1 do
      local p = redis.Parser.new()
      local list = { n = 0 }
      collect(p, list, stream:sub(1, i))
      collect(p, list, stream:sub(i + 1))
      check(list)
    end
    for i = 1, #stream - 2, 7 do
      for j = i + 1, #stream - 1, 5 do
        local p = redis.Parser.new()
        local list = { n = 0 }
        collect(p, list, stream:sub(1, i))
        collect(p, list, stream:sub(i + 1, j))
        collect(p, list, stream:sub(j + 1))
        check(list)
      end
    end
  end)

  it("gives each reply once it is complete, and many replies from one read", function()
    local p = redis.Parser.new()
    local got = p:feed("$5\r\nhel")
    assert.equal(0, got.n)
    got = p:feed("lo\r")
    assert.equal(0, got.n)
    got = p:feed("\n:1\r\n:2")
    assert.equal(2, got.n)
    assert.equal("hello", got[1])
    assert.equal(1, got[2])
    got = p:feed("\r\n")
    assert.equal(1, got.n)
    assert.equal(2, got[1])
    local many = {}
    for i = 1, 5000 do many[i] = ":" .. i .. "\r\n" end
    got = p:feed(table.concat(many))
    assert.equal(5000, got.n)
    for i = 1, 5000 do assert.equal(i, got[i]) end
  end)

  it("puts a 1 MiB bulk together from 64 KiB reads", function()
    local value = string.rep("0123456789abcdef\0", 61681):sub(1, 1048576)
    local wire = "$" .. #value .. "\r\n" .. value .. "\r\n"
    local p = redis.Parser.new()
    local list = { n = 0 }
    for i = 1, #wire, 65536 do collect(p, list, wire:sub(i, i + 65535)) end
    assert.equal(1, list.n)
    assert.equal(#value, #list[1])
    assert.is_true(list[1] == value)
  end)

  it("refuses bytes that are not RESP, for good", function()
    for _, bad in ipairs({ "?x\r\n", ":12a\r\n", "$-5\r\n", "$3\r\nabcXY", "*x\r\n" }) do
      local p = redis.Parser.new()
      local list, err = p:feed(bad)
      assert.is_nil(list)
      assert.equal("ERR_REDIS_PROTOCOL", err.code)
      assert.is_nil((p:feed("+OK\r\n")))
    end
  end)

  it("encodes commands binary-safe, numbers as Redis reads them", function()
    assert.equal("*3\r\n$3\r\nSET\r\n$3\r\na\0b\r\n$4\r\n\r\n\r\n\r\n", redis.encode({ "SET", "a\0b", "\r\n\r\n" }))
    assert.equal("*3\r\n$5\r\nSETEX\r\n$2\r\n60\r\n$3\r\n0.5\r\n", redis.encode({ "SETEX", 60, 0.5 }))
    assert.has_error(function() redis.encode({ "SET", {} }) end)
    assert.has_error(function() redis.encode({}) end)
  end)
end)

-- ---- the client against redis-server ---------------------------------------------

describe("redis client", function()
  helper.leakcheck()

  setup(function()
    if haveRedis then server = startRedis() end
  end)

  teardown(stopRedis)

  it("queues commands until connected, then SET/GET binary keys and values", function()
    if not needsRedis() then return end
    local c = client()
    assert.is_false(c.connected)
    local ready = false
    c:on("ready", function() ready = true end)
    local key = "bin\0key\r\n" .. allBytes()
    local value = "\0\r\n$3\r\n*1\r\n" .. allBytes() .. "\0"
    local order = {}
    c:set(key, value, function(err, reply)
      assert.is_nil(err)
      order[#order + 1] = reply
    end)
    c:get(key, function(err, reply)
      assert.is_nil(err)
      order[#order + 1] = reply
    end)
    assert.equal(0, #order) -- never from inside the call
    helper.wait(function() return #order == 2 end, 10000, "SET and GET")
    assert.is_true(ready)
    assert.equal("OK", order[1])
    assert.is_true(order[2] == value)
    assert.equal("OK", select(2, run(c, { "SET", "empty", "" })))
    assert.equal("", select(2, run(c, { "GET", "empty" })))
    quit(c)
  end)

  it("SET/GET of a 1 MiB value with NUL bytes", function()
    if not needsRedis() then return end
    local c = client()
    local value = string.rep(allBytes(), 4096) -- 1 MiB, every byte value
    assert.equal(1048576, #value)
    local err, reply = run(c, { "SET", "big", value })
    assert.is_nil(err)
    assert.equal("OK", reply)
    err, reply = run(c, { "GET", "big" })
    assert.is_nil(err)
    assert.equal(#value, #reply)
    assert.is_true(reply == value)
    assert.equal(1048576, select(2, run(c, { "STRLEN", "big" })))
    quit(c)
  end)

  it("pipelines 1000 commands, each reply to its own callback in order", function()
    if not needsRedis() then return end
    local c = client()
    run(c, { "DEL", "counter" })
    local got, order = 0, {}
    for i = 1, 1000 do
      if i % 2 == 0 then
        c:command({ "INCR", "counter" }, function(err, n)
          assert.is_nil(err)
          got = got + 1
          order[#order + 1] = { i, n }
        end)
      else
        c:set("p" .. i, "v" .. i, function(err, r)
          assert.is_nil(err)
          got = got + 1
          order[#order + 1] = { i, r }
        end)
      end
    end
    helper.wait(function() return got == 1000 end, 10000, "1000 replies")
    for k, o in ipairs(order) do
      assert.equal(k, o[1])
      if k % 2 == 0 then assert.equal(k // 2, o[2]) else assert.equal("OK", o[2]) end
    end
    local _, values = run(c, { "MGET", "p1", "p999", "p2" })
    assert.equal(3, values.n)
    assert.equal("v1", values[1])
    assert.equal("v999", values[2])
    assert.is_nil(values[3])
    quit(c)
  end)

  it("nil for missing keys, integers, arrays with holes", function()
    if not needsRedis() then return end
    local c = client()
    local err, reply = run(c, { "GET", "no such key" })
    assert.is_nil(err)
    assert.is_nil(reply)
    run(c, { "SET", "one", "1" })
    assert.equal(2, select(2, run(c, { "INCRBY", "one", 1 })))
    assert.equal(1, select(2, run(c, { "EXISTS", "one" })))
    assert.equal(-2, select(2, run(c, { "TTL", "no such key" })))
    assert.equal(-1, select(2, run(c, { "TTL", "one" })))
    local del
    c:del({ "one", "no such key" }, function(e, n) del = { e, n } end)
    helper.wait(function() return del end)
    assert.is_nil(del[1])
    assert.equal(1, del[2])
    local _, list = run(c, { "MGET", "no such key", "other" })
    assert.same({ n = 2 }, list)
    assert.equal("PONG", select(2, run(c, { "PING" })))
    quit(c)
  end)

  it("error replies are ERR_REDIS error objects; the connection goes on", function()
    if not needsRedis() then return end
    local c = client()
    local err, reply = run(c, { "NOSUCHCOMMAND", "x" })
    assert.is_nil(reply)
    assert.is_true(errors.is(err))
    assert.equal("ERR_REDIS", err.code)
    assert.equal("ERR", err.prefix)
    assert.equal("NOSUCHCOMMAND", err.command)
    assert.matches("^ERR unknown command", err.message)
    assert.matches("ERR_REDIS", tostring(err))
    run(c, { "SET", "str", "x" })
    err = run(c, { "LPUSH", "str", "y" })
    assert.equal("WRONGTYPE", err.prefix)
    -- errors inside a transaction's array
    run(c, { "MULTI" })
    run(c, { "SET", "n", "5" })
    run(c, { "INCR", "str" })
    local _, list = run(c, { "EXEC" })
    assert.equal(2, list.n)
    assert.equal("OK", list[1])
    assert.equal("ERR_REDIS", list[2].code)
    -- a command without a callback reports its error as 'error'
    local emitted
    local c2 = redis.createClient({ port = server.port })
    c2:on("error", function(e) emitted = e end)
    c2:command({ "NOSUCHCOMMAND" })
    helper.wait(function() return emitted end)
    assert.equal("ERR_REDIS", emitted.code)
    quit(c2)
    assert.equal("OK", select(2, run(c, { "SET", "after", "errors" })))
    quit(c)
  end)

  it("SETEX keys expire", function()
    if not needsRedis() then return end
    local c = client()
    local r
    c:setex("short", 1, "lived", function(e, v) r = { e, v } end)
    helper.wait(function() return r end)
    assert.same({ nil, "OK" }, r)
    assert.equal("lived", select(2, run(c, { "GET", "short" })))
    local ttl = select(2, run(c, { "TTL", "short" }))
    assert.is_true(ttl == 1 or ttl == 0, tostring(ttl))
    local pttl = select(2, run(c, { "PTTL", "short" }))
    assert.is_true(pttl > 0 and pttl <= 1000, tostring(pttl))
    helper.sleep(1100)
    assert.is_nil(select(2, run(c, { "GET", "short" })))
    assert.equal(-2, select(2, run(c, { "TTL", "short" })))
    -- seconds from a number of any kind
    assert.equal("OK", select(2, run(c, { "SET", "k", "v", "EX", 100 })))
    assert.equal(100, select(2, run(c, { "TTL", "k" })))
    quit(c)
  end)

  it("over a Unix socket", function()
    if not needsRedis() then return end
    local c = client({ path = server.sock })
    assert.equal("OK", select(2, run(c, { "SET", "unix", "sock" })))
    assert.equal("sock", select(2, run(c, { "GET", "unix" })))
    quit(c)
  end)

  it("quit: answers what came before, 'end' and 'close', then refuses commands", function()
    if not needsRedis() then return end
    local c = client()
    local events, replies = {}, {}
    for _, name in ipairs({ "connect", "ready", "end", "close" }) do
      c:on(name, function() events[#events + 1] = name end)
    end
    c:set("q", "1", function(e, v) replies[#replies + 1] = { e, v } end)
    c:quit(function(e, v) replies[#replies + 1] = { e, v } end)
    local late
    c:get("q", function(e) late = e end)
    helper.wait(function() return c.closed and late end, 10000, "the close")
    assert.same({ { nil, "OK" }, { nil, "OK" } }, replies)
    assert.same({ "connect", "ready", "end", "close" }, events)
    assert.equal("ERR_REDIS_CLOSED", late.code)
    assert.is_false(c.connected)
    -- after the close, too, and never from inside the call
    local after
    c:get("q", function(e) after = e end)
    assert.is_nil(after)
    helper.wait(function() return after end)
    assert.equal("ERR_REDIS_CLOSED", after.code)
  end)

  it("a connection refused: every pending callback gets the error, then 'error' and 'close'", function()
    -- no server needed: a port nothing listens on
    local port = helper.freePort()
    local c = redis.createClient({ port = port })
    local errs, emitted, closed = {}, nil, nil
    c:on("error", function(e) emitted = e end)
    c:on("close", function(hadError) closed = hadError end)
    for i = 1, 3 do c:set("k" .. i, "v", function(e, r) errs[#errs + 1] = { e, r } end) end
    c:quit(function(e) errs[#errs + 1] = { e } end)
    helper.wait(function() return closed ~= nil end, 10000, "the close")
    assert.equal(4, #errs)
    for _, e in ipairs(errs) do
      assert.equal("ECONNREFUSED", e[1].code)
      assert.is_nil(e[2])
    end
    assert.equal("ECONNREFUSED", emitted.code)
    assert.is_true(closed)
    local late
    c:get("k", function(e) late = e end)
    helper.wait(function() return late end)
    assert.equal("ERR_REDIS_CLOSED", late.code)
  end)

  it("an 'error' nobody listens to is raised", function()
    local port = helper.freePort()
    local c = redis.createClient({ port = port })
    local ok, err = pcall(helper.wait, function() return c.closed end, 10000)
    assert.is_false(ok)
    assert.matches("ECONNREFUSED", tostring(err))
    helper.wait(function() return c.closed end, 10000)
  end)

  it("the server closing the connection fails the commands in flight", function()
    if not needsRedis() then return end
    local a, b = client(), client()
    local _, id = run(a, { "CLIENT", "ID" })
    local blocked
    a:command({ "BLPOP", "nothing", 0 }, function(e, r) blocked = { e, r } end)
    local killed
    a:on("close", function() killed = true end)
    helper.sleep(50) -- BLPOP reached the server
    assert.equal(1, select(2, run(b, { "CLIENT", "KILL", "ID", id })))
    helper.wait(function() return blocked and killed end, 10000, "the kill")
    assert.equal("ERR_REDIS_CLOSED", blocked[1].code)
    assert.is_nil(blocked[2])
    quit(b)
  end)

  it("a callback that raises loses no later reply", function()
    if not needsRedis() then return end
    local c = client()
    local second
    c:ping(function() error("raised in a callback") end)
    c:command({ "ECHO", "still here" }, function(e, r) second = { e, r } end)
    local ok, err = pcall(helper.wait, function() return second end, 10000)
    assert.is_false(ok)
    assert.matches("raised in a callback", tostring(err))
    helper.wait(function() return second end, 10000, "the reply after the raise")
    assert.same({ nil, "still here" }, second)
    quit(c)
  end)

  it("destroy(): at once, the waiting callbacks get ERR_REDIS_CLOSED", function()
    if not needsRedis() then return end
    local c = client()
    local r
    c:get("x", function(e) r = e end)
    c:destroy()
    assert.is_nil(r) -- never from inside the call
    helper.wait(function() return r and c.closed end)
    assert.equal("ERR_REDIS_CLOSED", r.code)
    -- destroy(err): the callbacks get err
    local c2 = client()
    local r2, hadError
    c2:get("x", function(e) r2 = e end)
    c2:on("close", function(h) hadError = h end)
    c2:destroy(errors.new("ETIMEDOUT", "gave up"))
    assert.is_nil(r2)
    helper.wait(function() return c2.closed and r2 end)
    assert.equal("ETIMEDOUT", r2.code)
    assert.is_true(hadError)
  end)
end)
