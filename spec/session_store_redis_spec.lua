-- spec/session_store_redis_spec.lua: examples/session-store-redis.lua as two
-- server processes on two ports sharing one redis-server: a session made on
-- server A resumes on server B — TLS 1.2 by session ID, TLS 1.3 by stateful
-- ticket — for openssl s_client and for a luatls client ('session' event,
-- `session` option); the keys carry a TTL of sessionTimeout, and once a key
-- has expired the resume is a full handshake. Every process runs under
-- `timeout 20` (--foreground, so that killing the spawned group reaches it).
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local redis = require("luatls.redis")

local q = helper.quote

local needs = helper.needs

local function spawn(cmd, input)
  return helper.spawn(string.format("timeout --foreground %g %s", 20 * helper.SLOW, cmd), input)
end

-- ---- processes ----------------------------------------------------------------------

-- a redis-server on a free loopback port, once it answers PING
local function startRedis()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  local port = helper.freePort()
  local proc = spawn(string.format(
    "redis-server --port %d --bind 127.0.0.1 --save '' --appendonly no --dir %s", port, q(dir)))
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
  return { proc = proc, port = port, dir = dir }
end

-- the example on a free port, once it listens
local function startExample(redisPort, sessionTimeout)
  local port = helper.freePort()
  local proc = spawn(string.format("%s %s/examples/session-store-redis.lua %d %d %s",
    q(helper.luatls), q(helper.root), port, redisPort, sessionTimeout and tostring(sessionTimeout) or ""))
  helper.wait(function()
    return helper.output(proc):find("session store server on port", 1, true) or helper.done(proc)
  end, 15000, "the example to listen")
  if not helper.output(proc):find("session store server on port", 1, true) then
    error("the example did not start:\n" .. helper.output(proc))
  end
  return { proc = proc, port = port }
end

-- A, B and their Redis; returned as env
local function startAll(sessionTimeout)
  certs.certs()
  local env = { redis = startRedis() }
  env.a = startExample(env.redis.port, sessionTimeout)
  env.b = startExample(env.redis.port, sessionTimeout)
  return env
end

local function stopAll(env)
  if not env then return end
  for _, p in ipairs({ env.a, env.b }) do
    if p then helper.kill(p.proc) end
  end
  helper.kill(env.redis.proc)
  os.execute("rm -rf " .. q(env.redis.dir))
end

-- ---- clients ------------------------------------------------------------------------

local function sClient(port, args)
  local out, status = helper.finish(spawn(string.format(
    "openssl s_client -connect 127.0.0.1:%d -servername localhost -CAfile %s -verify_return_error -ign_eof %s",
    port, q(certs.path("ca-cert.pem")), args), ""), 25000)
  return out, status
end

-- a luatls client: connect (with `session`), read until the server closes;
-- returns reused, the last session of its 'session' events, the answer, the
-- number of 'session' events
local function luatlsClient(port, session, maxVersion)
  local reused, got, sess, err, closed, sessions = nil, {}, nil, nil, false, 0
  local c
  c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost",
                    ca = certs.read("ca-cert.pem"), session = session, maxVersion = maxVersion },
    function() reused = c:isSessionReused() end)
  c:on("session", function(s) sess = s; sessions = sessions + 1 end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function(e) err = e end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end, 20000, "the luatls client")
  assert.is_nil(err, tostring(err))
  return reused, sess, table.concat(got), sessions
end

-- run(env, args) -> Redis's reply (a client per call: the leak check closes
-- whatever a test leaves open, so no connection outlives a test)
local function run(env, args)
  local c = redis.createClient({ port = env.redis.port })
  c:on("error", function(err) error("unexpected redis error: " .. tostring(err)) end)
  local done, e, r = false, nil, nil
  c:command(args, function(err, reply) done, e, r = true, err, reply end)
  c:quit()
  helper.wait(function() return done and c.closed end, 10000, args[1])
  assert.is_nil(e, tostring(e))
  return r
end

-- the session ids (hex) a server's output names in lines "<prefix> <hex>"
local function ids(proc, pattern)
  local list = {}
  for id in helper.output(proc):gmatch(pattern) do list[#list + 1] = id end
  return list
end

local function contains(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end

-- every session A stored is in Redis under tls-session:<hex> with a TTL of
-- sessionTimeout (a second may have passed) and holds as many bytes as A said
local function checkStored(env, timeout)
  local out = helper.output(env.a.proc) .. helper.output(env.b.proc)
  local n = 0
  for id, size in out:gmatch("new session (%x+) %((%d+) bytes") do
    n = n + 1
    local key = "tls-session:" .. id
    local ttl = run(env, { "TTL", key })
    assert.is_true(ttl <= timeout and ttl >= math.max(0, timeout - helper.SLOW), key .. " has TTL " .. tostring(ttl))
    assert.equal(tonumber(size), run(env, { "STRLEN", key }))
  end
  assert.is_true(n > 0, "no session was stored")
  return n
end

-- ---- the specs ------------------------------------------------------------------------

describe("examples/session-store-redis.lua: two servers, one Redis", function()
  helper.leakcheck()
  local env

  setup(function()
    if helper.have("redis-server") and helper.have("openssl") then env = startAll() end
  end)

  teardown(function() stopAll(env) end)

  it("TLS 1.2: openssl s_client makes a session on A and resumes it on B", function()
    if not needs("redis-server", "openssl") then return end
    local file = os.tmpname()
    local out, status = sClient(env.a.port, "-tls1_2 -no_ticket -sess_out " .. q(file))
    assert.equal(0, status, out)
    assert.matches("New, TLSv1%.2", out)
    assert.matches("TLSv1%.2 session new, not reused", out)
    local sid = assert(out:match("Session%-ID: (%x+)"), out):lower()
    assert.is_true(contains(ids(env.a.proc, "new session (%x+)"), sid), helper.output(env.a.proc))

    out, status = sClient(env.b.port, "-tls1_2 -no_ticket -sess_in " .. q(file))
    os.remove(file)
    assert.equal(0, status, out)
    assert.matches("Reused, TLSv1%.2", out)
    assert.matches("TLSv1%.2 session reused", out)
    assert.is_true(contains(ids(env.b.proc, "session (%x+) found in redis"), sid), helper.output(env.b.proc))
    assert.matches("TLSv1%.2 from [^\n]*: resumed session", helper.output(env.b.proc))
    -- B resumed it: it made no session of its own
    assert.equal(0, #ids(env.b.proc, "new session (%x+)"))
    checkStored(env, 300)
  end)

  it("TLS 1.3: openssl s_client gets a stateful ticket from A and resumes on B", function()
    if not needs("redis-server", "openssl") then return end
    local file = os.tmpname()
    -- -ign_eof: s_client reads until the server's answer and close, so it
    -- has the NewSessionTicket (and wrote the file) before it exits
    local out, status = sClient(env.a.port, "-tls1_3 -sess_out " .. q(file))
    assert.equal(0, status, out)
    assert.matches("New, TLSv1%.3", out)
    assert.matches("Post%-Handshake New Session Ticket arrived", out)
    assert.matches("TLSv1%.3 session new, not reused", out)
    local before = #ids(env.b.proc, "session (%x+) found in redis")

    out, status = sClient(env.b.port, "-tls1_3 -sess_in " .. q(file))
    os.remove(file)
    assert.equal(0, status, out)
    assert.matches("Reused, TLSv1%.3", out)
    assert.matches("TLSv1%.3 session reused", out)
    -- B found in Redis one of the sessions A stored
    local found = ids(env.b.proc, "session (%x+) found in redis")
    assert.equal(before + 1, #found)
    assert.is_true(contains(ids(env.a.proc, "new session (%x+)"), found[#found]))
    checkStored(env, 300)
  end)

  for _, version in ipairs({ "TLSv1.2", "TLSv1.3" }) do
    it("a luatls client: 'session' from A, the `session` option on B (" .. version .. ")", function()
      if not needs("redis-server", "openssl") then return end
      local reused, session, answer, sessions = luatlsClient(env.a.port, nil, version)
      assert.is_false(reused)
      assert.matches(version:gsub("%.", "%%.") .. " session new, not reused", answer)
      assert.is_true(sessions >= 1)
      assert.is_string(session)

      local reused2, _, answer2 = luatlsClient(env.b.port, session, version)
      assert.is_true(reused2)
      assert.matches(version:gsub("%.", "%%.") .. " session reused", answer2)
      -- and again on A, from the same session
      local reused3 = luatlsClient(env.a.port, session, version)
      assert.is_true(reused3)
      checkStored(env, 300)
    end)
  end

  it("a session Redis does not have is a full handshake", function()
    if not needs("redis-server", "openssl") then return end
    local file = os.tmpname()
    local out = sClient(env.a.port, "-tls1_2 -no_ticket -sess_out " .. q(file))
    local sid = assert(out:match("Session%-ID: (%x+)"), out):lower()
    assert.equal(1, run(env, { "DEL", "tls-session:" .. sid }))
    out = sClient(env.b.port, "-tls1_2 -no_ticket -sess_in " .. q(file))
    os.remove(file)
    assert.matches("New, TLSv1%.2", out)
    assert.matches("TLSv1%.2 session new, not reused", out)
    assert.is_true(contains(ids(env.b.proc, "session (%x+) not in redis"), sid))
  end)
end)

describe("examples/session-store-redis.lua: sessionTimeout = 1", function()
  helper.leakcheck()
  local env
  -- 1 s; longer in a slow run, so that the steps up to "still there now" fit
  local timeout = 1 * helper.SLOW

  setup(function()
    if helper.have("redis-server") and helper.have("openssl") then env = startAll(timeout) end
  end)

  teardown(function() stopAll(env) end)

  it("the key lives 1 s; a resume after it expired is a full handshake", function()
    if not needs("redis-server", "openssl") then return end
    local f12, f13 = os.tmpname(), os.tmpname()
    local out = sClient(env.a.port, "-tls1_2 -no_ticket -sess_out " .. q(f12))
    assert.matches("New, TLSv1%.2", out)
    local sid = assert(out:match("Session%-ID: (%x+)"), out):lower()
    out = sClient(env.a.port, "-tls1_3 -sess_out " .. q(f13))
    assert.matches("New, TLSv1%.3", out)
    checkStored(env, timeout)
    -- a luatls client's TLS 1.3 session, too
    local _, session = luatlsClient(env.a.port, nil, "TLSv1.3")
    -- still there now
    assert.is_string(run(env, { "GET", "tls-session:" .. sid }))

    helper.sleep(2000 * timeout)
    assert.is_nil(run(env, { "GET", "tls-session:" .. sid }))
    assert.same({ n = 0 }, run(env, { "KEYS", "tls-session:*" }))
    -- TLS 1.2: B asks Redis, which no longer has it
    out = sClient(env.b.port, "-tls1_2 -no_ticket -sess_in " .. q(f12))
    assert.matches("New, TLSv1%.2", out)
    assert.matches("TLSv1%.2 session new, not reused", out)
    assert.is_true(contains(ids(env.b.proc, "session (%x+) not in redis"), sid), helper.output(env.b.proc))
    -- TLS 1.3: the ticket's lifetime was 1 s as well
    out = sClient(env.b.port, "-tls1_3 -sess_in " .. q(f13))
    assert.matches("New, TLSv1%.3", out)
    assert.matches("TLSv1%.3 session new, not reused", out)
    local reused, _, answer = luatlsClient(env.b.port, session, "TLSv1.3")
    assert.is_false(reused)
    assert.matches("TLSv1%.3 session new, not reused", answer)
    assert.is_nil(helper.output(env.b.proc):find("resumed session", 1, true))
    os.remove(f12)
    os.remove(f13)
  end)
end)
