-- Streams inside tasks: receive (lines, everything, n bytes), send with
-- backpressure, iterator, against luatls's own servers and real peers
-- (Python's ssl, openssl s_client), and what happens when the peer resets,
-- the socket is destroyed or a deadline passes while a task waits.
local helper = require("spec.helper")
local certs = require("spec.certs")
local async = require("luatls.async")
local tls = require("luatls.tls")
local stream = require("luatls.stream")
local timers = require("luatls.timers")

local serverOptions, connectOptions = certs.serverOptions, certs.connectOptions
local task, listen, q = helper.task, helper.listen, helper.quote

-- a TLS server whose connections are handled by fn in a task; -> server, port
local function taskServer(fn, options)
  local server = tls.createServer(serverOptions(options), async.wrap(fn))
  return server, listen(server)
end

-- connect(port) -> a TLS socket, connected (inside a task)
local function connect(port, extra)
  local s = tls.connect(connectOptions(port, extra))
  async.once(s, "secureConnect")
  return s
end

-- python(code, ...) -> a spawned python3 running code with the port and
-- the CA file as argv[1] and argv[2]
local function python(code, port)
  return helper.spawn(string.format("timeout %d python3 -c %s %d %s", 30 * helper.SLOW, q(code),
    port, q(certs.path("ca-cert.pem"))))
end

local PY_CONNECT = [[
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s = ctx.wrap_socket(raw, server_hostname="localhost")
]]

describe("async: streams", function()
  helper.leakcheck()
  setup(function() certs.certs() end)

  it("receive('*l') reads lines a real peer splits across records and reads, \\r\\n split too", function()
    if not helper.needs("python3") then return end
    local lines = {}
    local server, port = taskServer(function(s)
      while true do
        local line, err, partial = s:receive("*l")
        if not line then
          lines.err, lines.partial = err.code, partial
          break
        end
        lines[#lines + 1] = line
      end
      s:done()
    end)
    -- one byte per TLS record for the first line; "\r" and "\n" of the
    -- second in two records a pause apart; a last line with no end
    local out, status = helper.finish(python(PY_CONNECT .. [[
for b in b"first line\n":
    s.sendall(bytes([b]))
s.sendall(b"second\r")
time.sleep(0.2)
s.sendall(b"\nthird\n\nno end")
s.unwrap().close()  # close_notify, and the server's in return
]], port))
    assert.equal(0, status, out)
    helper.wait(function() return lines.err end)
    assert.same({ "first line", "second", "third", "" }, { lines[1], lines[2], lines[3], lines[4] })
    -- the last part without "\n" is not a line: the receive that reaches the
    -- end gives it as partial, with EOF
    assert.equal(4, #lines)
    assert.equal("EOF", lines.err)
    assert.equal("no end", lines.partial)
    helper.closeServer(server)
  end)

  it("receive: a 1 MiB line, exactly n bytes across chunks, '*a', and the partial at EOF", function()
    local got = {}
    local line = string.rep("x", 1024 * 1024)
    local server, port = taskServer(function(s)
      got.line = s:receive("*l")
      got.n1 = s:receive(3)
      got.n2 = s:receive(70000)
      got.zero = s:receive(0)
      got.prefixed = s:receive("*l", "pre:")
      got.all = s:receive("*a")
      got.after = table.pack(s:receive("*l"))
      s:done("ok\n")
    end)
    local reply = task(function()
      local c = connect(port)
      c:send(line .. "\n")
      c:send("a")
      c:send("bc" .. string.rep("y", 69999))
      c:send("z")  -- the last byte of the 70000
      c:send("tail\r\nrest of ")
      c:send("it")
      c:done()
      local r = c:receive("*a")
      c:destroy()
      return r
    end)
    assert.equal("ok\n", reply)
    assert.equal(#line, #got.line)
    assert.equal("abc", got.n1)
    assert.equal(string.rep("y", 69999) .. "z", got.n2)
    assert.equal("", got.zero)
    assert.equal("pre:tail", got.prefixed)
    assert.equal("rest of it", got.all)
    assert.same({ n = 3, nil, got.after[2], "" }, got.after)
    assert.equal("EOF", got.after[2].code)
    helper.closeServer(server)
  end)

  it("receive(n) at the end gives nil, EOF and what there was", function()
    local r = task(function()
      local p = stream.PassThrough.new()
      p:done("12345")
      return table.pack(p:receive(8))
    end)
    assert.is_nil(r[1])
    assert.equal("EOF", r[2].code)
    assert.equal("12345", r[3])
  end)

  it("the stream module's classes: a PassThrough, lines and send", function()
    local r = task(function()
      local p = stream.PassThrough.new()
      assert.is_true(p:send("one\ntw"))
      timers.setTimeout(function() p:done("o\n") end, 5)
      return { p:receive(), p:receive(), (p:receive()) }
    end)
    assert.same({ "one", "two" }, r)
  end)

  it("a task waiting in receive when the peer resets gets nil and the error", function()
    if not helper.needs("python3") then return end
    local result
    local server, port = taskServer(function(s)
      result = table.pack(s:receive("*l"))
    end)
    local out, status = helper.finish(python(PY_CONNECT .. [[
import struct
s.sendall(b"partial line")
time.sleep(0.2)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
]], port))
    assert.equal(0, status, out)
    helper.wait(function() return result end)
    assert.is_nil(result[1])
    assert.equal("ECONNRESET", result[2].code)
    assert.equal("partial line", result[3])
    helper.closeServer(server)
  end)

  it("destroying the socket wakes its receive and its send", function()
    local server, port = taskServer(function(s)
      async.sleep(10000) -- never reads
      s:destroy()
    end)
    local r = task(function()
      local c = connect(port)
      local reader = async.run(function() return table.pack(c:receive("*l")) end)
      timers.setTimeout(function() c:destroy(require("luatls.errors").new("EMINE", "mine")) end, 20)
      local got = reader:wait()
      return got
    end)
    assert.is_nil(r[1])
    assert.equal("EMINE", r[2].code)
    local w = task(function()
      local c = connect(port)
      local chunk = string.rep("z", 1024 * 1024)
      local writer = async.run(function()
        for _ = 1, 64 do
          local ok, err = c:send(chunk)
          if not ok then return err end
        end
      end)
      timers.setTimeout(function() c:destroy() end, 50)
      return writer:wait()
    end)
    assert.is_not_nil(w, "send returned an error once the socket was destroyed")
    helper.closeServer(server, true)
  end)

  it("async.timeout while receiving: ETIMEDOUT, and the stream can be read again", function()
    local server, port = taskServer(function(s)
      async.sleep(100)
      s:send("late\n")
      s:done()
    end)
    local r = task(function()
      local c = connect(port)
      local ok, err = pcall(async.timeout, 10, c.receive, c, "*l")
      local line = c:receive("*l")
      c:destroy()
      return { ok, err.code, line }
    end)
    assert.same({ false, "ETIMEDOUT", "late" }, r)
    helper.closeServer(server)
  end)

  it("send honours backpressure: 64 MiB to a slow reader keeps the queue bounded", function()
    local total = (helper.SLOW > 1 and 16 or 64) * 1024 * 1024
    local received, peak = 0, 0
    local server, port = taskServer(function(s)
      -- a slow reader: 64 KiB, then a pause
      while true do
        local data = s:receive(65536)
        if not data then break end
        received = received + #data
        if received % (4 * 1024 * 1024) < 65536 then async.sleep(1) end
      end
      s:done()
    end)
    task(function()
      local c = connect(port)
      local chunk = string.rep("b", 256 * 1024)
      for _ = 1, total // #chunk do
        assert(c:send(chunk))
        if c.writableLength > peak then peak = c.writableLength end
      end
      c:done()
      c:receive("*a")
      c:destroy()
    end)
    assert.equal(total, received)
    -- send returns once the stream is under its highWaterMark again: at most
    -- one chunk over it is ever queued in Lua
    assert.is_true(peak <= 256 * 1024 + 16384, "peak queued " .. peak)
    helper.closeServer(server)
  end)

  it("iterator(): chunks to the end; leaving early destroys unless destroyOnReturn is false", function()
    -- "all": five chunks and the end; "step": a chunk per line received
    local server, port = taskServer(function(s)
      local mode = s:receive("*l")
      for i = 1, 5 do
        s:send("chunk" .. i)
        if mode == "step" and not s:receive("*l") then break end
        async.sleep(2)
      end
      s:done()
    end)
    local r = task(function()
      local c = connect(port)
      c:send("all\n")
      local all = {}
      for chunk in c:iterator() do all[#all + 1] = chunk end
      c:destroy()
      local c2 = connect(port)
      c2:send("step\n")
      local first, second
      for chunk in c2:iterator({ destroyOnReturn = false }) do first = chunk break end -- luacheck: ignore 512
      local kept = not c2.destroyed
      c2:send("next\n")
      for chunk in c2:iterator() do second = chunk break end -- luacheck: ignore 512
      return { table.concat(all), first, kept, second, c2.destroyed }
    end)
    assert.same({ "chunk1chunk2chunk3chunk4chunk5", "chunk1", true, "chunk2", true }, r)
    helper.closeServer(server, true)
  end)

  it("one task at a time waits on a stream; outside a task receive/send/iterator raise", function()
    local r = task(function()
      local p = stream.PassThrough.new()
      local first = async.run(function() return p:receive() end)
      local ok, e = pcall(p.receive, p)
      p:done("x\n")
      return { ok, e.code, first:wait() }
    end)
    assert.same({ false, "ERR_ASYNC_BUSY", "x" }, r)
    local results
    timers.setImmediate(function()
      local p = stream.PassThrough.new()
      results = {
        table.pack(pcall(p.receive, p)), table.pack(pcall(p.send, p, "x")), table.pack(pcall(p.iterator, p)),
      }
    end)
    helper.wait(function() return results end)
    for i, name in ipairs({ "stream:receive()", "stream:send()", "stream:iterator()" }) do
      assert.is_false(results[i][1])
      assert.equal("ERR_ASYNC_NO_TASK", results[i][2].code)
      assert.equal(name .. " must be called inside a task: see async.run", results[i][2].message)
    end
    local bad = table.pack(task(function()
      local p = stream.PassThrough.new()
      return pcall(p.receive, p, "*x")
    end))
    assert.is_false(bad[1])
    assert.equal("ERR_INVALID_ARG_VALUE", bad[2].code)
  end)

  it("1,000 concurrent tasks, each a TLS round trip, against a task-per-connection server", function()
    -- two descriptors per connection on this process; keep under the limit
    local limit = tonumber((helper.sh("ulimit -n"))) or 1024
    local n = math.min(1000, (limit - 200) // 2)
    local server, port = taskServer(function(s)
      local line = s:receive("*l")
      if line then s:send(line:upper() .. "\n") end
      s:done()
    end)
    local tasks = {}
    local r = task(function()
      for i = 1, n do
        tasks[i] = async.run(function()
          local c = connect(port)
          c:send("hello " .. i .. "\n")
          local answer = c:receive("*l")
          c:destroy()
          return answer
        end)
      end
      return async.all(tasks)
    end)
    assert.equal(n, #r)
    for i = 1, n do assert.equal("HELLO " .. i, r[i][1]) end
    assert.is_true(n >= 400, "only " .. n .. " descriptors' worth of tasks")
    helper.closeServer(server)
  end)

  it("openssl s_client talks to a task server line by line", function()
    if not helper.needs("openssl") then return end
    local server, port = taskServer(function(s)
      s:send("HELLO\n")
      while true do
        local line = s:receive("*l")
        if not line or line == "QUIT" then break end
        s:send("> " .. line .. "\n")
      end
      s:done("BYE\n")
    end)
    local out, status = helper.finish(helper.spawn(string.format(
      "(printf 'one\\ntwo\\n'; sleep 0.3; printf 'QUIT\\n'; sleep %d) | " ..
      "timeout %d openssl s_client -quiet -connect 127.0.0.1:%d -CAfile %s 2>/dev/null",
      2 * helper.SLOW, 10 * helper.SLOW, port, q(certs.path("ca-cert.pem")))))
    assert.matches("HELLO\n> one\n> two\nBYE\n", out, 1, true)
    assert.is_true(status == 0 or status == 124, out)
    helper.closeServer(server)
  end)
end)
