-- spec/tls_psk_spec.lua: TLS-PSK (issue 17): the pskCallback and
-- pskIdentityHint options of tls.createServer, tls.connect and
-- tls.TLSSocket (src/tls/psk.c, internal/tls/hooks.lua's _onPSK), checked
-- against real peers on loopback: `openssl s_client -psk` / `s_server -psk
-- -nocert`, Node's tls module (both directions) and luatls itself, in TLS
-- 1.2 (a PSK suite, named in `ciphers`) and TLS 1.3 (an external PSK).
-- Every peer runs in the background under `timeout 20`; a wrong key, an
-- unknown identity or a bad return value ends the handshake on both ends
-- with an error, never a hang.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")

local q = helper.quote

local KEY_HEX = "00112233445566778899aabbccddeeff0123456789abcdef"
local KEY = (KEY_HEX:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
local PSK12 = "PSK-AES128-GCM-SHA256"

-- the options for one TLS version ("1.2" or "1.3")
local function version(v, extra)
  local o = { minVersion = "TLSv" .. v, maxVersion = "TLSv" .. v }
  if v == "1.2" then o.ciphers = PSK12 end
  for k, val in pairs(extra or {}) do o[k] = val end
  return o
end

local function merge(a, b)
  local o = {}
  for k, v in pairs(a or {}) do o[k] = v end
  for k, v in pairs(b or {}) do o[k] = v end
  return o
end

local onCleanup, spawn, finish, waitFor = helper.onCleanup, helper.peer, helper.finishPeer, helper.waitForOutput

-- A luatls PSK server on 127.0.0.1 (extra: more options). It knows the
-- identities in `keys` (identity -> key), echoes "pong:" .. what it got,
-- then ends. -> server, port, state (ids: the identities asked, sockets:
-- the callback's first arguments, secure: the 'secureConnection' sockets'
-- cipher and protocol, errors: 'tlsClientError's)
local function pskServer(keys, extra)
  local state = { ids = {}, sockets = {}, secure = {}, errors = {}, got = {} }
  local options = merge({
    pskCallback = function(socket, identity)
      state.ids[#state.ids + 1] = identity
      state.sockets[#state.sockets + 1] = socket
      return keys[identity]
    end,
  }, extra)
  local server = tls.createServer(options, function(s)
    state.secure[#state.secure + 1] = { cipher = s:getCipher().name, protocol = s:getProtocol(), socket = s }
    s:on("data", function(d)
      state.got[#state.got + 1] = d
      s:done("pong:" .. d)
    end)
    s:on("error", function() end)
  end)
  server:on("tlsClientError", function(err) state.errors[#state.errors + 1] = err end)
  local port = helper.listen(server)
  onCleanup(function() helper.closeServer(server, true) end)
  return server, port, state
end

-- A luatls PSK client to port: sends `send` (default "ping") and ends,
-- collects the answer until the connection closes. pskCallback defaults to identity "luatls" with KEY;
-- the host is not checked (no certificate, as Node's docs advise). ->
-- state (hints, connected, cipher, protocol, authorized, peer, data, err)
local function pskClient(port, extra, answer, send)
  local state = { hints = {}, data = {} }
  local options = merge({
    port = port, host = "127.0.0.1",
    checkServerIdentity = function() end,
    pskCallback = function(hint)
      state.hints[#state.hints + 1] = hint == nil and "nil" or hint
      if answer then return answer(hint) end
      return { psk = KEY, identity = "luatls" }
    end,
  }, extra)
  local c = tls.connect(options, function(s)
    state.connected = true
    state.cipher, state.protocol = s:getCipher().name, s:getProtocol()
    state.authorized, state.peer = s.authorized, s:getPeerCertificate()
    s:done(send or "ping")
  end)
  c:on("data", function(d) state.data[#state.data + 1] = d end)
  c:on("error", function(e) state.err = e end)
  c:on("close", function() state.closed = true end)
  helper.wait(function() return state.closed end, 20000, "the PSK client's close")
  state.answer = table.concat(state.data)
  return state
end

local NODE_PSK = [[
const tls = require('tls');
const [mode, ver, port] = process.argv.slice(1);
const KEY = Buffer.from(']] .. KEY_HEX .. [[', 'hex');
const opts = { minVersion: 'TLSv' + ver, maxVersion: 'TLSv' + ver };
if (ver === '1.2') opts.ciphers = ']] .. PSK12 .. [[';
if (mode === 'server') {
  const s = tls.createServer({ ...opts, pskIdentityHint: 'node-hint', pskCallback: (sock, id) => {
    console.log('IDENTITY ' + id);
    return id === 'luatls' ? KEY : null;
  } }, (sock) => {
    console.log('SECURE ' + sock.getCipher().name + ' ' + sock.getProtocol());
    sock.on('data', (d) => sock.end('node got ' + d));
    s.close();
  });
  s.on('tlsClientError', (e) => { console.log('CLIENTERROR ' + e.code); s.close(); });
  s.listen(0, '127.0.0.1', () => console.log('LISTENING ' + s.address().port));
} else {
  const c = tls.connect({ ...opts, port: +port, host: '127.0.0.1', checkServerIdentity: () => undefined,
    pskCallback: (hint) => { console.log('HINT ' + JSON.stringify(hint)); return { psk: KEY, identity: 'node' }; },
  }, () => { console.log('CONNECTED ' + c.getCipher().name + ' ' + c.authorized); c.write('ping from node'); });
  c.on('data', (d) => console.log('DATA ' + d));
  c.on('error', (e) => console.log('ERROR ' + e.code));
}
]]

describe("TLS-PSK", function()
  helper.leakcheck()

  describe("with openssl", function()
    for _, v in ipairs({ "1.2", "1.3" }) do
      it("a luatls server answers s_client -psk in TLS " .. v .. " (hint in 1.2), and refuses a wrong key", function()
        local _, port, state = pskServer({ Client_identity = KEY, ["other id"] = KEY },
          version(v, { pskIdentityHint = "luatls-hint" }))
        local args = v == "1.2" and "-tls1_2 -cipher " .. PSK12 or "-tls1_3"
        local out = finish(spawn(string.format("openssl s_client -connect 127.0.0.1:%d -psk %s %s -ign_eof",
          port, KEY_HEX, args), "hello\n"))
        assert.truthy(out:find("pong:hello", 1, true), out)
        assert.equal("Client_identity", state.ids[1])
        assert.equal("TLSv" .. v, state.secure[1].protocol)
        assert.equal(state.secure[1].socket, state.sockets[1]) -- the callback's socket
        if v == "1.2" then
          assert.equal(PSK12, state.secure[1].cipher)
          assert.truthy(out:find("PSK identity hint: luatls-hint", 1, true), out)
        else
          assert.truthy(state.secure[1].cipher:match("^TLS_.*_SHA256$"), state.secure[1].cipher)
        end
        -- -psk_identity, and a wrong key: both ends fail
        out = finish(spawn(string.format("openssl s_client -connect 127.0.0.1:%d -psk_identity %s -psk %s %s -ign_eof",
          port, q("other id"), "ff" .. KEY_HEX:sub(3), args), "hello\n"))
        helper.wait(function() return #state.errors == 1 end, nil, "the server's tlsClientError")
        assert.equal("other id", state.ids[2])
        assert.is_nil(out:find("pong:", 1, true), out)
        assert.truthy(out:find("alert", 1, true) or out:find("error", 1, true), out)
        assert.truthy(state.errors[1].code:match("^ERR_"), tostring(state.errors[1]))
        assert.equal(1, #state.secure)
      end)

      it("a luatls client connects to s_server -psk -nocert in TLS " .. v .. "; the hint reaches it", function()
        local port = helper.freePort()
        local args = v == "1.2" and "-tls1_2 -cipher " .. PSK12 or "-tls1_3"
        local proc = spawn(string.format(
          "openssl s_server -accept 127.0.0.1:%d -nocert -psk %s -psk_identity luatls -psk_hint s-hint %s %s",
          port, KEY_HEX, args, "-naccept 1 -rev"))
        waitFor(proc, "ACCEPT")
        local state = pskClient(port, merge(version(v), { rejectUnauthorized = true }), function()
          return { psk = KEY, identity = "luatls" }
        end, "ping\n")
        local out = finish(proc)
        assert.is_nil(state.err, tostring(state.err))
        assert.is_true(state.connected)
        assert.is_true(state.authorized) -- the key authenticated the server
        assert.same({}, state.peer)
        assert.equal("TLSv" .. v, state.protocol)
        assert.equal("gnip\n", state.answer) -- (-rev)
        assert.truthy(out:find("CONNECTION ESTABLISHED", 1, true), out)
        assert.equal(v == "1.2" and "s-hint" or "nil", state.hints[#state.hints])
        if v == "1.2" then assert.equal(PSK12, state.cipher) end
      end)
    end
  end)

  describe("with Node", function()
    for _, v in ipairs({ "1.2", "1.3" }) do
      it("a Node client connects to a luatls PSK server in TLS " .. v, function()
        if not helper.needs("node") then return end
        local _, port, state = pskServer({ node = KEY }, version(v, { pskIdentityHint = "luatls-hint" }))
        local out = finish(spawn("node -e " .. q(NODE_PSK) .. " client " .. v .. " " .. port))
        assert.truthy(out:find("CONNECTED ", 1, true), out)
        assert.truthy(out:find("DATA pong:ping from node", 1, true), out)
        assert.truthy(out:find(v == "1.2" and 'HINT "luatls-hint"' or "HINT null", 1, true), out)
        assert.equal("node", state.ids[1])
        assert.equal("TLSv" .. v, state.secure[1].protocol)
      end)

      it("a luatls client connects to a Node PSK server in TLS " .. v, function()
        if not helper.needs("node") then return end
        local proc = spawn("node -e " .. q(NODE_PSK) .. " server " .. v)
        local port = tonumber(waitFor(proc, "LISTENING (%d+)"))
        local state = pskClient(port, version(v))
        local out = finish(proc)
        assert.is_nil(state.err, tostring(state.err))
        assert.equal("node got ping", state.answer)
        assert.truthy(out:find("IDENTITY luatls", 1, true), out)
        assert.equal("TLSv" .. v, state.protocol)
        assert.equal(v == "1.2" and "node-hint" or "nil", state.hints[#state.hints])
      end)
    end

    it("a wrong key fails the handshake at both ends (Node server, luatls client)", function()
      if not helper.needs("node") then return end
      local proc = spawn("node -e " .. q(NODE_PSK) .. " server 1.2")
      local port = tonumber(waitFor(proc, "LISTENING (%d+)"))
      local state = pskClient(port, version("1.2"), function() return { psk = "wrong key", identity = "luatls" } end)
      local out = finish(proc)
      assert.is_nil(state.connected)
      assert.truthy(state.err and state.err.code:match("^ERR_SSL_"), tostring(state.err))
      assert.truthy(out:find("CLIENTERROR ERR_SSL_", 1, true), out)
    end)
  end)

  describe("luatls to luatls", function()
    for _, v in ipairs({ "1.2", "1.3" }) do
      it("connects in TLS " .. v .. " without certificates; the hint reaches the client in 1.2", function()
        local _, port, state = pskServer({ luatls = KEY }, version(v, { pskIdentityHint = "h" }))
        local c = pskClient(port, version(v))
        assert.is_nil(c.err, tostring(c.err))
        assert.equal("pong:ping", c.answer)
        assert.is_true(c.authorized)
        assert.equal(v == "1.2" and "h" or "nil", c.hints[#c.hints])
        assert.same({ "luatls" }, state.ids)
        assert.equal(c.cipher, state.secure[1].cipher)
        assert.is_table(state.sockets[1])
        assert.is_true(state.sockets[1].encrypted)
      end)

      it("a wrong key fails the handshake at both ends in TLS " .. v .. ", and the server serves the next", function()
        local _, port, state = pskServer({ luatls = KEY }, version(v))
        local c = pskClient(port, version(v), function() return { psk = "not the key", identity = "luatls" } end)
        assert.is_nil(c.connected)
        assert.truthy(c.err and c.err.code:match("^ERR_SSL_"), tostring(c.err))
        helper.wait(function() return #state.errors == 1 end)
        assert.truthy(state.errors[1].code:match("^ERR_"), tostring(state.errors[1]))
        assert.equal("pong:ping", pskClient(port, version(v)).answer)
      end)

      it("an unknown identity is refused in TLS " .. v, function()
        local _, port, state = pskServer({ someone = KEY }, version(v))
        local c = pskClient(port, version(v))
        assert.is_nil(c.connected)
        assert.is_table(c.err)
        helper.wait(function() return #state.errors == 1 end)
        assert.same({ "luatls" }, state.ids)
        if v == "1.2" then
          assert.equal("ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY", c.err.code)
          assert.equal("ERR_SSL_PSK_IDENTITY_NOT_FOUND", state.errors[1].code)
        end
      end)
    end

    it("a client without a key (nil) fails the handshake", function()
      local _, port, state = pskServer({ luatls = KEY }, version("1.2"))
      local c = pskClient(port, version("1.2"), function() return nil end)
      assert.is_nil(c.connected)
      assert.equal("ERR_SSL_PSK_IDENTITY_NOT_FOUND", c.err and c.err.code, tostring(c.err))
      helper.wait(function() return #state.errors == 1 end)
    end)

    it("a TLS 1.3 server with a certificate serves certificate clients and PSK clients", function()
      local _, port, state = pskServer({ luatls = KEY }, certs.serverOptions())
      -- (as in Node: the PSK only goes with a SHA-256 suite; a server with
      -- a certificate prefers TLS_AES_256_GCM_SHA384, so the client offers
      -- only TLS_AES_128_GCM_SHA256)
      local c = pskClient(port, { minVersion = "TLSv1.3", ciphers = "TLS_AES_128_GCM_SHA256" })
      assert.is_nil(c.err, tostring(c.err))
      assert.is_nil(state.errors[1], tostring(state.errors[1]))
      assert.equal("pong:ping", c.answer)
      assert.same({}, c.peer) -- the PSK, not the certificate
      local plain = pskClient(port, merge(certs.connectOptions(port), { pskCallback = false,
        checkServerIdentity = nil }))
      assert.equal("pong:ping", plain.answer)
      assert.equal("localhost", plain.peer.subject.CN)
      assert.same({ "luatls" }, state.ids)
    end)
  end)

  describe("bad values", function()
    -- the server's callback returns `ret`: -> the server's error, the client's
    local function serverReturns(ret, v)
      local _, port, state = pskServer({}, version(v or "1.2", { pskCallback = function() return ret() end }))
      local c = pskClient(port, version(v or "1.2"))
      helper.wait(function() return #state.errors == 1 end, nil, "the server's tlsClientError")
      assert.is_nil(c.connected)
      assert.is_table(c.err)
      return state.errors[1]
    end

    it("from the server's callback end the handshake with Node's codes; a key as { psk = } is taken", function()
      local err = serverReturns(function() return 5 end)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal("TypeError", err.name)
      assert.truthy(err.message:find('"ret"', 1, true), err.message)
      err = serverReturns(function() return { psk = 5 } end)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.truthy(err.message:find('"psk"', 1, true), err.message)
      err = serverReturns(function() return string.rep("k", 513) end)
      assert.equal("ERR_INVALID_ARG_VALUE", err.code)
      assert.equal("The argument 'psk' Pre-shared key exceeds 512 bytes. Received a string of 513 bytes",
        err.message)
      err = serverReturns(function() error({ code = "E_MINE", message = "no keys today" }) end)
      assert.equal("E_MINE", err.code)
      err = serverReturns(function() error("plain") end)
      assert.truthy(tostring(err.message):find("plain", 1, true))
      err = serverReturns(function() return true end, "1.3")
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      -- Node's object form
      local _, port = pskServer({}, version("1.2", { pskCallback = function() return { psk = KEY } end }))
      assert.equal("pong:ping", pskClient(port, version("1.2")).answer)
    end)

    it("end a TLS 1.3 handshake also where OpenSSL would go on with the server's certificate", function()
      local _, port, state = pskServer({}, certs.serverOptions({ pskCallback = function() return 5 end }))
      local c = pskClient(port, certs.connectOptions(port, { minVersion = "TLSv1.3" }))
      helper.wait(function() return #state.errors == 1 end, nil, "the server's tlsClientError")
      assert.equal("ERR_INVALID_ARG_TYPE", state.errors[1].code)
      assert.same({}, state.secure)
      -- (the client, whose part of the handshake was done, sees the
      -- connection close unanswered, as with Node)
      assert.equal("", c.answer)
      -- a client's error there ends its handshake too
      local _, port2 = pskServer({}, certs.serverOptions())
      c = pskClient(port2, certs.connectOptions(port2, { minVersion = "TLSv1.3" }), function() return 5 end)
      assert.is_nil(c.connected)
      assert.equal("ERR_INVALID_ARG_TYPE", c.err and c.err.code, tostring(c.err))
    end)

    it("from the client's callback end the handshake with Node's codes", function()
      local cases = {
        { function() return 5 end, "ERR_INVALID_ARG_TYPE", '"ret"' },
        { function() return { identity = "x" } end, "ERR_INVALID_ARG_TYPE", '"psk"' },
        { function() return { psk = KEY } end, "ERR_INVALID_ARG_TYPE", '"identity"' },
        { function() return { psk = KEY, identity = 7 } end, "ERR_INVALID_ARG_TYPE", '"identity"' },
        { function() return { psk = KEY, identity = string.rep("i", 257) } end, "ERR_INVALID_ARG_VALUE",
          "The argument 'identity' PSK identity exceeds 256 bytes." },
        { function() return { psk = string.rep("k", 513), identity = "luatls" } end, "ERR_INVALID_ARG_VALUE",
          "The argument 'psk' Pre-shared key exceeds 512 bytes." },
        { function() error(require("luatls.errors").new("E_CLIENT", "mine")) end, "E_CLIENT", "mine" },
      }
      local _, port, state = pskServer({ luatls = KEY }, version("1.2"))
      for i, case in ipairs(cases) do
        local c = pskClient(port, version("1.2"), case[1])
        assert.is_nil(c.connected)
        assert.equal(case[2], c.err and c.err.code, i .. ": " .. tostring(c.err))
        assert.truthy(c.err.message:find(case[3], 1, true), c.err.message)
        helper.wait(function() return #state.errors == i end, nil, "the server's tlsClientError")
      end
      -- and the server still serves
      assert.equal("pong:ping", pskClient(port, version("1.2")).answer)
    end)

    it("in the options raise ERR_INVALID_ARG_TYPE at once; false is no option, as in Node", function()
      helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createServer, { pskCallback = "key" })
      helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createServer,
        { pskCallback = function() end, pskIdentityHint = 5 })
      helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.connect, { port = 1, pskCallback = {} })
      local raw = net.Socket.new()
      helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.TLSSocket, raw,
        { isServer = true, pskCallback = 1 })
      raw:destroy()
      local server = tls.createServer({ pskCallback = false, pskIdentityHint = "" })
      server:close()
    end)

    it("a hint OpenSSL refuses is Node's ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED on 'tlsClientError'", function()
      local _, port, state = pskServer({ luatls = KEY }, version("1.2", { pskIdentityHint = string.rep("h", 300) }))
      local c = pskClient(port, version("1.2"))
      assert.is_nil(c.connected)
      helper.wait(function() return #state.errors == 1 end)
      assert.equal("ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED", state.errors[1].code)
      assert.equal("Failed to set PSK identity hint", state.errors[1].message)
      assert.same({}, state.ids)
    end)
  end)
end)
