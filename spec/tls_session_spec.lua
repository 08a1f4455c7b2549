-- Sessions: the server's external store (TLS 1.2 session IDs and TLS 1.3
-- stateful tickets), tickets and their keys, the client's side, and real
-- peers resuming.
local helper = require("spec.helper")
local count = helper.count
local certs = require("spec.certs")
local tls = require("luatls.tls")
local core = require("luatls.core")
local errors = require("luatls.errors")

local read = certs.read

local function serverOptions(extra)
  local o = { key = read("server-key.pem"), cert = read("server-chain.pem") }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- A server that answers each client with "reused=<bool>" and closes.
local function startServer(extra, store)
  local server = tls.createServer(serverOptions(extra), function(s)
    s:done("reused=" .. tostring(s:isSessionReused()) .. "\n")
  end)
  local seen = { new = 0, resume = 0, hits = 0, errors = {} }
  if store then
    server:on("newSession", function(id, data, cb)
      seen.new = seen.new + 1
      store[id] = data
      cb()
    end)
    server:on("resumeSession", function(id, cb)
      seen.resume = seen.resume + 1
      if store[id] then seen.hits = seen.hits + 1 end
      cb(nil, store[id])
    end)
  end
  server:on("tlsClientError", function(err) seen.errors[#seen.errors + 1] = err end)
  server:on("clientError", function() end)
  local port
  server:listen(0, "127.0.0.1", function() port = server:address().port end)
  helper.wait(function() return port end)
  return server, port, seen
end

local function closeServer(server) helper.closeServer(server, true) end

-- A luatls client: connect (with `session`), wait for the close; returns
-- reused, the last session it got, what it read, its error
local function client(port, session, extra)
  local o = { port = port, host = "127.0.0.1", servername = "localhost", ca = read("ca-cert.pem"), session = session }
  for k, v in pairs(extra or {}) do o[k] = v end
  local reused, got, sess, err, closed = nil, {}, nil, nil, false
  local sessions = 0
  local c
  c = tls.connect(o, function() reused = c:isSessionReused() end)
  c:on("session", function(s) sess = s; sessions = sessions + 1 end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function(e) err = e end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end)
  return reused, sess, table.concat(got), err, sessions
end

local function s_client(port, args, input)
  return helper.finish(helper.spawn(string.format(
    "timeout 20 openssl s_client -connect 127.0.0.1:%d -servername localhost -CAfile %s %s",
    port, certs.path("ca-cert.pem"), args), input or ""))
end


describe("TLS sessions", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  describe("the server's session store", function()
    it("one new and five resumed for six s_client connections without tickets (TLS 1.2)", function()
      local store = {}
      local server, port, seen = startServer(nil, store)
      local out, status = s_client(port, "-tls1_2 -reconnect -no_ticket")
      assert.equal(0, status, out)
      assert.equal(1, count(out, "\nNew, TLSv1%.2"))
      assert.equal(5, count(out, "\nReused, TLSv1%.2"))
      assert.equal(1, seen.new)
      assert.equal(5, seen.hits)
      closeServer(server)
    end)

    it("resumes TLS 1.3 through the store (stateful tickets carry the session ID)", function()
      local store = {}
      local server, port, seen = startServer(nil, store)
      local r1, sess, got1 = client(port)
      assert.is_false(r1)
      assert.equal("reused=false\n", got1)
      assert.is_true(seen.new >= 1)
      local r2, _, got2 = client(port, sess)
      assert.is_true(r2)
      assert.equal("reused=true\n", got2)
      assert.is_true(seen.hits >= 1)
      -- s_client too: the session file written after the ticket arrived
      local file = os.tmpname()
      s_client(port, "-tls1_3 -ign_eof -sess_out " .. file)
      local out = s_client(port, "-tls1_3 -ign_eof -sess_in " .. file)
      os.remove(file)
      assert.matches("\nReused, TLSv1%.3", out)
      closeServer(server)
    end)

    it("resumeSession may answer later; the connection's data waits for newSession's cb", function()
      local store, waitedFor = {}, nil
      local server = tls.createServer(serverOptions(), function(s) s:done("hello") end)
      server:on("newSession", function(id, data, cb)
        store[id] = data
        local t0 = core.hrtime()
        require("luatls.timers").setTimeout(function() waitedFor = (core.hrtime() - t0) / 1e6; cb() end, 150)
      end)
      server:on("resumeSession", function(id, cb)
        require("luatls.timers").setTimeout(function() cb(nil, store[id]) end, 100)
      end)
      local port
      server:listen(0, "127.0.0.1", function() port = server:address().port end)
      helper.wait(function() return port end)
      local t0 = core.hrtime()
      local _, sess, got = client(port, nil, { maxVersion = "TLSv1.2" })
      local ms = (core.hrtime() - t0) / 1e6
      assert.equal("hello", got)
      assert.is_true(waitedFor >= 140)
      assert.is_true(ms >= 140, "the data came after " .. ms .. " ms")
      t0 = core.hrtime()
      local reused = client(port, sess, { maxVersion = "TLSv1.2" })
      assert.is_true(reused)
      assert.is_true((core.hrtime() - t0) / 1e6 >= 95)
      closeServer(server)
    end)

    it("listening affects only connections made afterwards", function()
      local server, port = startServer()
      local news = 0
      local _, sess = client(port, nil, { maxVersion = "TLSv1.2" })
      server:on("newSession", function(_, _, cb) news = news + 1; cb() end)
      client(port, sess, { maxVersion = "TLSv1.2" })
      assert.equal(1, news)
      closeServer(server)
    end)
  end)

  describe("faults in the store's callbacks", function()
    it("cb(err) ends the connection with 'tlsClientError'(err); the server goes on", function()
      local server, port, seen = startServer()
      local store = {}
      server:on("newSession", function(id, data, cb) store[id] = data; cb() end)
      local mine = errors.new("ERR_STORE_DOWN", "the store is down")
      server:on("resumeSession", function(id, cb)
        if store[id] then cb(mine) else cb(nil, nil) end
      end)
      local _, sess = client(port, nil, { maxVersion = "TLSv1.2" })
      local _, _, _, err = client(port, sess, { maxVersion = "TLSv1.2" })
      assert.is_table(err)
      helper.wait(function() return #seen.errors > 0 end)
      assert.equal(mine, seen.errors[1])
      local reused, _, got = client(port, nil, { maxVersion = "TLSv1.2" })
      assert.is_false(reused)
      assert.equal("reused=false\n", got)
      closeServer(server)
    end)

    it("garbage session data means a full handshake", function()
      local server, port = startServer()
      server:on("newSession", function(_, _, cb) cb() end)
      server:on("resumeSession", function(_, cb) cb(nil, "this is not a session") end)
      local _, sess = client(port, nil, { maxVersion = "TLSv1.2" })
      local reused, _, got, err = client(port, sess, { maxVersion = "TLSv1.2" })
      assert.is_nil(err)
      assert.is_false(reused)
      assert.equal("reused=false\n", got)
      closeServer(server)
    end)

    it("cb twice: ERR_MULTIPLE_CALLBACK ends that connection only", function()
      local server, port, seen = startServer()
      local store = {}
      server:on("newSession", function(id, data, cb) store[id] = data; cb() end)
      server:on("resumeSession", function(id, cb) cb(nil, store[id]); cb(nil, store[id]) end)
      local _, sess = client(port, nil, { maxVersion = "TLSv1.2" })
      client(port, sess, { maxVersion = "TLSv1.2" })
      helper.wait(function() return #seen.errors > 0 end)
      assert.equal("ERR_MULTIPLE_CALLBACK", seen.errors[1].code)
      local _, _, got = client(port, nil, { maxVersion = "TLSv1.2" })
      assert.equal("reused=false\n", got)
      closeServer(server)
    end)

    it("cb after the client has gone does nothing", function()
      local server, port = startServer()
      local store, late, lateOk = {}, nil, nil
      server:on("newSession", function(id, data, cb) store[id] = data; cb() end)
      server:on("resumeSession", function(id, cb) late = function() lateOk = pcall(cb, nil, store[id]) end end)
      local _, sess = client(port, nil, { maxVersion = "TLSv1.2" })
      local c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = read("ca-cert.pem"),
        session = sess, maxVersion = "TLSv1.2" })
      c:on("error", function() end)
      helper.wait(function() return late end)
      c:destroy()
      helper.sleep(50)
      late()
      assert.is_true(lateOk)
      helper.drain()
      local _, _, got = client(port, nil, { maxVersion = "TLSv1.2" })
      assert.equal("reused=false\n", got)
      closeServer(server)
    end)
  end)

  describe("tickets", function()
    it("sessionTimeout = 1: New, Reused, then New again after 2 s", function()
      local server, port = startServer({ sessionTimeout = 1 })
      local _, sess = client(port)
      local reused = client(port, sess)
      assert.is_true(reused)
      helper.sleep(2100)
      local again = client(port, sess)
      assert.is_false(again)
      closeServer(server)
    end)

    it("servers with the same ticketKeys resume each other's sessions; setTicketKeys changes that", function()
      local keys = core.random_bytes(48)
      local a, pa = startServer({ ticketKeys = keys, sessionIdContext = "shared" })
      local b, pb = startServer({ ticketKeys = keys, sessionIdContext = "shared" })
      assert.equal(keys, a:getTicketKeys())
      local _, sess = client(pa)
      assert.is_true((client(pb, sess)))
      b:setTicketKeys(core.random_bytes(48))
      assert.is_false((client(pb, sess)))
      b:setTicketKeys(keys)
      assert.is_true((client(pb, sess)))
      closeServer(a)
      closeServer(b)
    end)

    it("six s_client connections with tickets: one new, five resumed (TLS 1.2)", function()
      local server, port = startServer()
      local out, status = s_client(port, "-tls1_2 -reconnect")
      assert.equal(0, status, out)
      assert.equal(1, count(out, "\nNew, TLSv1%.2"))
      assert.equal(5, count(out, "\nReused, TLSv1%.2"))
      closeServer(server)
    end)

    it("two server processes with the same ticketKeys resume each other's sessions", function()
      local keysHex = require("luatls.buffer").toHex(core.random_bytes(48))
      local script = os.tmpname() .. ".lua"
      local f = assert(io.open(script, "w"))
      f:write(string.format([[
        local tls, fs, buffer = require("tls"), require("fs"), require("buffer")
        local server = tls.createServer({ key = fs.readFileSync(%q), cert = fs.readFileSync(%q),
          ticketKeys = buffer.fromHex(arg[2]), sessionIdContext = "shared" },
          function(s) s:done("reused=" .. tostring(s:isSessionReused()) .. "\n") end)
        server:listen(tonumber(arg[1]), "127.0.0.1", function() console.log("listening") end)
      ]], certs.path("server-key.pem"), certs.path("server-chain.pem")))
      f:close()
      local pa, pb = helper.freePort(), helper.freePort()
      local a = helper.spawn(string.format("timeout 30 %s %s %d %s", helper.luatls, script, pa, keysHex))
      local b = helper.spawn(string.format("timeout 30 %s %s %d %s", helper.luatls, script, pb, keysHex))
      helper.wait(function()
        return helper.output(a):find("listening") and helper.output(b):find("listening")
      end, 10000, "the two servers")
      local _, sess = client(pa)
      local reused, _, got = client(pb, sess)
      local file = os.tmpname()
      s_client(pa, "-tls1_3 -ign_eof -sess_out " .. file)
      local out = s_client(pb, "-tls1_3 -ign_eof -sess_in " .. file)
      os.remove(file)
      helper.kill(a)
      helper.kill(b)
      os.remove(script)
      assert.is_true(reused)
      assert.equal("reused=true\n", got)
      assert.matches("\nReused, TLSv1%.3", out)
    end)

    it("ticketKeys must be 48 bytes", function()
      for _, bad in ipairs({ "short", string.rep("x", 49), 48 }) do
        local ok, err = pcall(tls.createServer, serverOptions({ ticketKeys = bad }))
        assert.is_false(ok)
        assert.matches("ERR_INVALID_ARG", err.code)
      end
      local ok, err = pcall(tls.createServer(serverOptions()).setTicketKeys, tls.createServer(serverOptions()), "x")
      assert.is_false(ok)
      assert.matches("Session ticket keys must be a 48-byte buffer", err.message, 1, true) -- (Node's)
    end)

    it("ticketKeyRotation: a ticket survives one rotation, not two", function()
      -- rotations by hand, so the test does not race the timer
      local server, port = startServer({ ticketKeyRotation = 3600 })
      local _, sess = client(port)
      server:_rotateTicketKeys()
      assert.is_true((client(port, sess)), "resumed after one rotation")
      server:_rotateTicketKeys()
      server:_rotateTicketKeys()
      assert.is_false((client(port, sess)), "resumed after three rotations")
      closeServer(server)
      -- and the timer rotates by itself
      local s2 = startServer({ ticketKeyRotation = 0.2 })
      local before = s2:getTicketKeys()
      helper.wait(function() return s2:getTicketKeys() ~= before end, 5000, "a rotation")
      closeServer(s2)
    end)

    it("the client's 'session' event may fire more than once (TLS 1.3 tickets)", function()
      local server, port = startServer()
      local _, sess, _, _, n = client(port)
      assert.is_string(sess)
      assert.is_true(n >= 2, n .. " session events")
      closeServer(server)
    end)

    it("getSession, getTLSTicket and isSessionReused on the client", function()
      local server, port = startServer()
      local info = {}
      local c
      c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = read("ca-cert.pem"),
        maxVersion = "TLSv1.2" }, function()
        info.session = c:getSession()
        info.ticket = c:getTLSTicket()
        info.reused = c:isSessionReused()
      end)
      c:resume()
      helper.wait(function() return c.destroyed end)
      assert.is_string(info.session)
      assert.is_string(info.ticket)
      assert.is_false(info.reused)
      local reused = client(port, info.session, { maxVersion = "TLSv1.2" })
      assert.is_true(reused)
      closeServer(server)
    end)
  end)

  describe("real peers", function()
    it("Node's tls.connect resumes with `session`", function()
      if not helper.have("node") then return pending("node is not installed") end
      local server, port = startServer(nil, {})
      local script = string.format([[
        const tls = require("tls"), fs = require("fs");
        const ca = fs.readFileSync(%q);
        function go(session, n, out) {
          const c = tls.connect({ port: %d, host: "127.0.0.1", servername: "localhost", ca, session }, () => {
            out.push(c.isSessionReused() + "/" + c.getProtocol()); });
          let s; c.on("session", x => { s = s || x }); c.on("data", () => {});
          c.on("close", () => n > 1 ? go(s || session, n - 1, out) : console.log(out.join(" ")));
        }
        go(undefined, 3, []);
      ]], certs.path("ca-cert.pem"), port)
      local out, status = helper.finish(helper.spawn("timeout 20 node -e " .. helper.quote(script)))
      assert.equal(0, status, out)
      assert.matches("false/TLSv1%.3 true/TLSv1%.3 true/TLSv1%.3", out)
      closeServer(server)
    end)

    it("Python's ssl resumes with session= (session_reused)", function()
      if not helper.have("python3") then return pending("python3 is not installed") end
      local server, port = startServer()
      local script = string.format([[
import socket, ssl
ctx = ssl.create_default_context(cafile=%q)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
sess = None
out = []
for i in range(3):
    with socket.create_connection(("127.0.0.1", %d)) as s:
        with ctx.wrap_socket(s, server_hostname="localhost", session=sess) as t:
            t.recv(100)
            out.append(str(t.session_reused))
            sess = t.session
print(" ".join(out))
]], certs.path("ca-cert.pem"), port)
      local out, status = helper.finish(helper.spawn("timeout 20 python3 -c " .. helper.quote(script)))
      assert.equal(0, status, out)
      assert.matches("False True True", out)
      closeServer(server)
    end)

    it("a luatls client resumes against openssl s_server and Node's tls.createServer", function()
      local port = helper.freePort()
      local srv = helper.spawn(string.format(
        "timeout 30 openssl s_server -accept %d -cert %s -key %s -cert_chain %s -www -tls1_2",
        port, certs.path("server-cert.pem"), certs.path("server-key.pem"), certs.path("intermediate-cert.pem")))
      helper.wait(function() return helper.output(srv):find("ACCEPT") end, 10000)
      local function get(session)
        local reused, sess, done = nil, nil, false
        local c
        c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = read("ca-cert.pem"),
          session = session }, function()
          reused = c:isSessionReused()
          sess = c:getSession()
          c:done("GET / HTTP/1.0\r\n\r\n")
        end)
        c:on("data", function() end)
        c:on("close", function() done = true end)
        helper.wait(function() return done end)
        return reused, sess
      end
      local r1, sess = get(nil)
      local r2 = get(sess)
      helper.kill(srv)
      assert.is_false(r1)
      assert.is_true(r2)
      if not helper.have("node") then return pending("node is not installed") end
      local nport = helper.freePort()
      local node = helper.spawn("timeout 30 node -e " .. helper.quote(string.format([[
        const tls = require("tls"), fs = require("fs");
        tls.createServer({ key: fs.readFileSync(%q), cert: fs.readFileSync(%q) }, s => s.end("x"))
          .listen(%d, "127.0.0.1", () => console.log("listening"));
      ]], certs.path("server-key.pem"), certs.path("server-chain.pem"), nport)))
      helper.wait(function() return helper.output(node):find("listening") end, 10000)
      local r3, s3 = client(nport)
      local r4 = client(nport, s3)
      helper.kill(node)
      assert.is_false(r3)
      assert.is_true(r4)
    end)
  end)
end)
