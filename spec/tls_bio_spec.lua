-- spec/tls_bio_spec.lua: the connection's own BIO (src/tls/bio.c). OpenSSL
-- writes records into one scratch buffer the process shares; a connection
-- that writes while another one holds it (a Lua callback run from inside
-- OpenSSL, here 'keylog' during the handshake, writing to a second TLS
-- connection) must get a buffer of its own, and both byte streams must come
-- out intact. Ciphertext OpenSSL leaves unread while the reader is paused is
-- kept by the connection and read later.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")

local serverOptions, connectOptions = certs.serverOptions, certs.connectOptions

describe("the TLS connection's BIO", function()
  helper.leakcheck()

  it("a 'keylog' listener that writes to another TLS connection from inside the handshake", function()
    -- the sink: a TLS server that collects what it is sent
    local collected = {}
    local sinkServer = tls.createServer(serverOptions(), function(s)
      s:on("data", function(d) collected[#collected + 1] = d end)
    end)
    local sinkPort = helper.listen(sinkServer)
    local sink = tls.connect(connectOptions(sinkPort))
    sink:on("error", function() end)
    helper.wait(function() return sink._secure end)

    local lines, echoed = 0, {}
    local server = tls.createServer(serverOptions(), function(s) s:pipe(s) end)
    server:on("keylog", function(line)
      lines = lines + 1
      sink:write(line) -- from inside OpenSSL, while the handshake's records wait
    end)
    local port = helper.listen(server)
    finally(function()
      sink:destroy()
      helper.closeServer(server, true)
      helper.closeServer(sinkServer, true)
    end)

    local clients = {}
    for i = 1, 5 do
      local c = tls.connect(connectOptions(port), function() clients[i]:write("hello " .. i) end)
      clients[i] = c
      c:on("data", function(d) echoed[i] = (echoed[i] or "") .. d end)
    end
    helper.wait(function()
      for i = 1, 5 do if echoed[i] ~= "hello " .. i then return false end end
      return true
    end)
    for _, c in ipairs(clients) do c:destroy() end
    -- TLS 1.3: five secrets per connection on the server's side
    assert.equal(25, lines)
    helper.wait(function() return select(2, table.concat(collected):gsub("\n", "")) == lines end)
    for line in table.concat(collected):gmatch("[^\n]+") do
      assert.matches("^[A-Z_0-9]+ %x+ %x+$", line)
    end
  end)

  it("keeps what OpenSSL leaves unread while the reader is paused, and gives it all later", function()
    local TOTAL = 2 * 1024 * 1024
    local got, paused = {}, nil
    local server = tls.createServer(serverOptions(), function(s)
      s:pause() -- nothing is read for a while: the peer's bytes pile up
      paused = s
      s:on("data", function(d) got[#got + 1] = d end)
    end)
    local port = helper.listen(server)
    finally(function() helper.closeServer(server, true) end)
    local chunk = string.rep("0123456789abcdef", 4096) -- 64 KiB
    local c
    c = tls.connect(connectOptions(port), function()
      for _ = 1, TOTAL // #chunk do c:write(chunk) end
      c["end"](c)
    end)
    c:on("error", function() end)
    helper.wait(function() return paused end)
    helper.sleep(300)
    assert.equal(0, #got)
    paused:resume()
    helper.wait(function() return paused.readableEnded end)
    local all = table.concat(got)
    assert.equal(TOTAL, #all)
    assert.equal(string.rep(chunk, TOTAL // #chunk), all)
  end)
end)
