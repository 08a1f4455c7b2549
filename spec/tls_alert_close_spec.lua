-- After a fatal alert the server's socket lingers: the alert goes out, then
-- a FIN, the peer's bytes are read and discarded until it ends (or 2 s, or
-- 256 KiB), and only then does the socket close, so a peer that is still
-- sending reads the alert instead of a TCP reset (src/tls/conn.c, issue 13).
-- Also: a TLS 1.3 client that resumes gets a fresh ticket.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local core = require("luatls.core")

local q = helper.quote

local function serverOptions()
  return { key = certs.read("server-key.pem"), cert = certs.read("server-chain.pem") }
end

-- A server that records, per connection, when its 'tlsClientError' and its
-- 'close' came (loop time, ms).
local function startServer()
  local seen = { errors = {}, closes = {} }
  local server = tls.createServer(serverOptions(), function(s) s:done("hi\n") end)
  server:on("tlsClientError", function(err, s)
    local e = { err = err, at = core.now() }
    seen.errors[#seen.errors + 1] = e
    s:on("close", function() e.closedAt = core.now() end)
  end)
  return server, helper.listen(server), seen
end

-- A peer in Python (raw socket): sends `first` (a record that is fatal at
-- once) then keeps sending `more` bytes of junk for a while, then reads
-- what the server sent. Prints "got=<hex of the first 7 bytes> end=EOF" or
-- "end=<the exception>".
local PEER = [[
import socket, sys, time
port, more, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
# a handshake record holding a message of an unknown type (255)
s.sendall(b"\x16\x03\x01\x00\x04\xff\x00\x00\x00")
sent, t0 = 0, time.time()
try:
    while sent < more:
        s.sendall(b"\0" * 16384)
        sent += 16384
        time.sleep(0.002)
except OSError as e:
    print("send=" + e.__class__.__name__)
time.sleep(wait)
data, end = b"", "EOF"
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except OSError as e:
    end = e.__class__.__name__
print("got=" + data[:7].hex() + " end=" + end)
s.close()
]]

local function peer(port, more, wait)
  return helper.spawn("timeout 20 python3 -c " .. q(PEER) .. " " .. port .. " " .. more .. " " .. wait)
end

local function field(out, name) return out:match(name .. "=(%S+)") end

describe("closing after a fatal alert", function()
  helper.leakcheck()

  it("a peer that goes on sending still reads the alert (no reset), 10 times out of 10", function()
    if not helper.needs("python3") then return end
    local server, port, seen = startServer()
    for i = 1, 10 do
      -- 64 KiB more after the bad record, while the server has already failed
      local out, status = helper.finish(peer(port, 65536, 0.2))
      assert.equal(0, status, out)
      -- an alert record (21), 2 bytes: fatal (2), unexpected_message (10)
      assert.matches("^1503..0002020a$", field(out, "got"), "run " .. i .. ": " .. out)
      assert.equal("EOF", field(out, "end"), "run " .. i .. ": " .. out)
    end
    helper.wait(function()
      if #seen.errors < 10 then return false end
      for _, e in ipairs(seen.errors) do if not e.closedAt then return false end end
      return true
    end, 5000, "ten errors and ten closes")
    for _, e in ipairs(seen.errors) do
      assert.equal("ERR_SSL_UNEXPECTED_MESSAGE", e.err.code)
      -- the peer closed after reading: the server did not wait for the bound
      assert.is_true(e.closedAt - e.at < 1500 * helper.SLOW, "closed after " .. (e.closedAt - e.at) .. " ms")
    end
    -- and it serves the next client
    local got
    local c = tls.connect({ port = port, host = "127.0.0.1", ca = certs.read("ca-cert.pem"), servername = "localhost" })
    c:on("data", function(d) got = d end)
    helper.wait(function() return got end)
    c:destroy()
    helper.closeServer(server, true)
    assert.equal("hi\n", got)
  end)

  it("a peer that never ends is cut off at the bound (2 s)", function()
    if not helper.needs("python3") then return end
    local server, port, seen = startServer()
    -- sends the bad record only, then sits for 3.5 s before it reads
    local proc = peer(port, 0, 3.5)
    helper.wait(function() return seen.errors[1] and seen.errors[1].closedAt end, 6000, "the close")
    local e = seen.errors[1]
    local waited = e.closedAt - e.at
    assert.is_true(waited >= 1900 and waited < 3000 * helper.SLOW, "closed after " .. waited .. " ms")
    local out = helper.finish(proc)
    -- the alert, then the end of the stream (a FIN, not a reset)
    assert.matches("^1503..0002020a$", field(out, "got"), out)
    assert.equal("EOF", field(out, "end"), out)
    helper.closeServer(server, true)
  end)

  it("a peer that floods after the alert is cut off after 256 KiB", function()
    if not helper.needs("python3") then return end
    local server, port, seen = startServer()
    local proc = peer(port, 4 * 1024 * 1024, 0)
    helper.wait(function() return seen.errors[1] and seen.errors[1].closedAt end, 6000, "the close")
    local e = seen.errors[1]
    if helper.SLOW == 1 then -- (slower, 256 KiB may take longer than the time bound)
      assert.is_true(e.closedAt - e.at < 1900, "closed after " .. (e.closedAt - e.at) .. " ms")
    end
    local out = helper.finish(proc)
    -- its sends end in a reset: it would not stop
    assert.truthy(field(out, "send"), out)
    helper.closeServer(server, true)
  end)

  it("a luatls client refused with an alert gets it, and the server closes at once", function()
    local server, _, seen = startServer()
    local o = serverOptions()
    o.minVersion = "TLSv1.3"
    local strict = tls.createServer(o, function() end)
    local sseen = {}
    strict:on("tlsClientError", function(err, s)
      sseen.err, sseen.at = err, core.now()
      s:on("close", function() sseen.closedAt = core.now() end)
    end)
    local sport = helper.listen(strict)
    local cerr
    local c = tls.connect({ port = sport, host = "127.0.0.1", ca = certs.read("ca-cert.pem"),
      servername = "localhost", maxVersion = "TLSv1.2" })
    c:on("error", function(err) cerr = err end)
    helper.wait(function() return cerr and sseen.closedAt end, 5000, "both sides")
    assert.matches("alert", cerr.message)
    assert.matches("protocol version", cerr.message)
    assert.is_true(sseen.closedAt - sseen.at < 1000 * helper.SLOW,
      "closed after " .. (sseen.closedAt - sseen.at) .. " ms")
    helper.closeServer(strict, true)
    helper.closeServer(server, true)
    assert.equal(0, #seen.errors)
  end)
end)

describe("TLS 1.3 tickets", function()
  helper.leakcheck()

  it("a resumed connection gets a fresh ticket, and that one resumes too", function()
    local server = tls.createServer(serverOptions(), function(s)
      s:done("reused=" .. tostring(s:isSessionReused()) .. "\n")
    end)
    local port = helper.listen(server)
    local function client(session)
      local c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost",
        ca = certs.read("ca-cert.pem"), session = session })
      local r = { sessions = {} }
      c:on("session", function(s) r.sessions[#r.sessions + 1] = s end)
      c:on("secureConnect", function() r.reused = c:isSessionReused(); r.version = c:getProtocol() end)
      c:on("data", function() end)
      c:on("close", function() r.closed = true end)
      helper.wait(function() return r.closed end)
      return r
    end
    local first = client()
    assert.equal("TLSv1.3", first.version)
    assert.is_false(first.reused)
    assert.is_true(#first.sessions >= 1)
    local second = client(first.sessions[1])
    assert.is_true(second.reused)
    assert.is_true(#second.sessions >= 1, "no new ticket on resumption")
    assert.are_not.equal(first.sessions[1], second.sessions[1])
    local third = client(second.sessions[#second.sessions])
    assert.is_true(third.reused)
    helper.closeServer(server, true)
  end)

  it("TLS 1.2: a resumed connection gets a fresh ticket too", function()
    local server = tls.createServer(serverOptions(), function(s) s:done("hi\n") end)
    local port = helper.listen(server)
    local function client(session)
      local r = {}
      local c
      c = tls.connect({ port = port, host = "127.0.0.1", servername = "localhost", ca = certs.read("ca-cert.pem"),
        session = session, maxVersion = "TLSv1.2" }, function()
        r.reused, r.ticket, r.session = c:isSessionReused(), c:getTLSTicket(), c:getSession()
      end)
      c:on("data", function() end)
      c:on("close", function() r.closed = true end)
      helper.wait(function() return r.closed end)
      return r
    end
    local first = client()
    assert.is_false(first.reused)
    local second = client(first.session)
    assert.is_true(second.reused)
    assert.is_string(second.ticket)
    assert.are_not.equal(first.ticket, second.ticket)
    helper.closeServer(server, true)
  end)
end)
