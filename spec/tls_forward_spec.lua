-- spec/tls_forward_spec.lua: socket:pipe(dest) between TLS sockets, or a TLS
-- and a TCP socket, keeps the bytes in C (src/tls/forward.c) while nothing
-- in Lua would see them on the way, and falls back to the Lua pipe as soon
-- as something would: a 'data' listener, pause(), unpipe(), a write of its
-- own. A socket's timeout counts the forwarded bytes as activity. Checked against Node's tls client (what comes back is
-- what was sent, with the client stalling its reads so that backpressure
-- must hold) and in-process for the fallbacks.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local timers = require("luatls.timers")

local q = helper.quote

local serverOptions, connectOptions = certs.serverOptions, certs.connectOptions

local listen = helper.listen

-- Node client: sends TOTAL bytes (a fixed pattern) in 64 KiB writes, reads
-- the echo (pausing its reads for STALL ms after the first MiB came back),
-- and prints the SHA-256 of both and the byte counts.
local NODE_CLIENT = [[
const tls = require('tls'), fs = require('fs'), crypto = require('crypto');
const [port, ca, total, stall] = process.argv.slice(1).map((v, i) => i == 1 ? v : Number(v));
const chunk = Buffer.alloc(65536);
for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919 + 13) & 255;
const sent = crypto.createHash('sha256'), got = crypto.createHash('sha256');
let nsent = 0, ngot = 0, stalled = false;
const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(ca) }, () => {
  const more = () => {
    while (nsent < total) {
      const n = Math.min(chunk.length, total - nsent);
      const b = chunk.subarray(0, n);
      sent.update(b); nsent += n;
      if (!s.write(b)) return s.once('drain', more);
    }
  };
  more();
});
s.on('data', (d) => {
  got.update(d); ngot += d.length;
  if (stall > 0 && !stalled && ngot >= 1048576) {
    stalled = true; s.pause();
    setTimeout(() => s.resume(), stall);
  }
  if (ngot >= total) {
    console.log('sent=' + nsent + ' got=' + ngot);
    console.log('same=' + (sent.digest('hex') === got.digest('hex')));
    s.end();
  }
});
s.on('error', (e) => { console.log('error=' + e.message); process.exit(1); });
]]

local function nodeClient(port, total, stall)
  return helper.spawn(string.format("timeout 60 node -e %s %d %s %d %d", q(NODE_CLIENT), port,
    q(certs.path("ca-cert.pem")), total, stall or 0))
end

describe("pipe() with a TLS socket on one end, forwarded in C", function()
  helper.leakcheck()

  it("echoes 16 MiB to Node's client intact, in C, with the transport queue bounded while the client stalls",
    function()
      if not helper.needs("node") then return end
      local TOTAL = 16 * 1024 * 1024
      local sockets, forwarding, maxQueue, closed = {}, {}, 0, {}
      local server = tls.createServer(serverOptions(), function(s)
        s:pipe(s)
        sockets[#sockets + 1] = s
        forwarding[#forwarding + 1] = s._handle:forwarding()
        s:on("close", function() closed[#closed + 1] = { read = s.bytesRead, written = s.bytesWritten } end)
      end)
      local port = listen(server)
      local sampler = timers.setInterval(function()
        for _, s in ipairs(sockets) do
          local h = s._handle
          if h and not h:is_closing() then maxQueue = math.max(maxQueue, h:write_queue_size()) end
        end
      end, 20)
      local out, status = helper.finish(nodeClient(port, TOTAL, 1500 * helper.SLOW), 60000 * helper.SLOW)
      timers.clearInterval(sampler)
      assert.equal(0, status, out)
      assert.matches("sent=" .. TOTAL .. " got=" .. TOTAL, out, 1, true)
      assert.matches("same=true", out, 1, true)
      assert.same({ true }, forwarding)
      -- 16 KiB mark + one 64 KiB read's records, not the megabytes the
      -- client left unread
      assert.is_true(maxQueue > 0 and maxQueue < 256 * 1024, "queue peaked at " .. maxQueue)
      helper.wait(function() return #closed == 1 end)
      assert.same({ read = TOTAL, written = TOTAL }, closed[1])
      helper.closeServer(server)
    end)

  -- A front TLS server whose connections go on to an upstream on upPort
  -- (connect(port, cb) makes the upstream leg), piped both ways once the
  -- upstream is connected; the client writes at once, so its first bytes
  -- wait in the front socket's buffer. Node's client sends TOTAL bytes
  -- (stalling its reads for `stall` ms). Returns the client's output and
  -- whether both legs forwarded in C at the same time (inC(f, b) tells), and
  -- the front connection's largest transport queue.
  local function throughProxy(connect, upPort, total, stall, inC)
    local legs, both, maxQueue = {}, false, 0
    local front = tls.createServer(serverOptions(), function(f)
      require("spec.forward_fallbacks").legs(f, function(cb) return connect(upPort, cb) end, legs)
    end)
    local port = listen(front)
    local sampler = timers.setInterval(function()
      for _, l in ipairs(legs) do
        local fh, bh = l[1]._handle, l[2]._handle
        if fh and bh and not fh:is_closing() then
          if inC(fh, bh) then both = true end
          maxQueue = math.max(maxQueue, fh:write_queue_size())
        end
      end
    end, 5)
    local out, status = helper.finish(nodeClient(port, total, stall), 60000 * helper.SLOW)
    timers.clearInterval(sampler)
    helper.closeServer(front, true)
    assert.equal(0, status, out)
    assert.matches("sent=" .. total .. " got=" .. total, out, 1, true)
    assert.matches("same=true", out, 1, true)
    assert.equal(1, #legs)
    return both, maxQueue
  end

  it("a proxy's two TLS legs forward both ways once what came early is through, and the client's bytes come back",
    function()
      if not helper.needs("node") then return end
      local echo = tls.createServer(serverOptions(), function(s) s:pipe(s) end)
      finally(function() helper.closeServer(echo, true) end)
      local both = throughProxy(function(p, cb) return tls.connect(connectOptions(p), cb) end, listen(echo),
        4 * 1024 * 1024, 0, function(fh, bh) return fh:forwarding() and bh:forwarding() end)
      assert.is_true(both, "the two legs never forwarded in C at the same time")
    end)

  it("a TLS terminator in front of a plain TCP upstream forwards both legs in C, with backpressure", function()
    if not helper.needs("node") then return end
    local net = require("luatls.net")
    local upstream = net.createServer(function(s) s:pipe(s) end)
    finally(function() helper.closeServer(upstream, true) end)
    local both, maxQueue = throughProxy(function(p, cb) return net.connect(p, "127.0.0.1", cb) end,
      listen(upstream), 8 * 1024 * 1024, 1000 * helper.SLOW,
      function(fh) return fh:forwarding() and fh:forwarding_from() end)
    assert.is_true(both, "the two legs never forwarded in C at the same time")
    assert.is_true(maxQueue < 256 * 1024, "the client's queue peaked at " .. maxQueue)
  end)

  require("spec.forward_fallbacks").fallbacks({
    env = _ENV,
    server = function(onConnection) return tls.createServer(serverOptions(), onConnection) end,
    connect = function(port) return tls.connect(connectOptions(port)) end,
    ready = function(client) return client.encrypted and client._secure end,
    more = function(ctx)
      it("not at all into a stream that only looks like a socket (a _handle field of its own)", function()
        local s = ctx.accepted[1]
        s:unpipe(s)
        local seen = {}
        local sink = require("luatls.stream").Writable.new({
          write = function(_, chunk, _, cb) seen[#seen + 1] = chunk; cb() end,
        })
        sink._handle = { forward_from = true } -- not a handle
        s:pipe(sink)
        assert.is_false(s._handle:forwarding())
        ctx.client:write("to the sink")
        helper.wait(function() return table.concat(seen) == "to the sink" end)
        -- and the server goes on: a new connection still echoes
        local other, back = tls.connect(connectOptions(ctx.port)), {}
        other:on("data", function(d) back[#back + 1] = d end)
        helper.wait(function() return other._secure end)
        other:write("still here")
        helper.wait(function() return table.concat(back) == "still here" end)
        other:destroy()
      end)
    end,
  })
end)
