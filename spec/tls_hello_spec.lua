-- spec/tls_hello_spec.lua: the ClientHello as data (luatls's own, not
-- Node's): tls.parseClientHello (src/tls/hello.c through
-- internal/tls/client_hello.lua) and the server option clientHelloCallback
-- (src/tls/hello_hook.c, internal/tls/hooks.lua).
--
-- Real clients (openssl s_client with fixed ciphers, groups and signature
-- algorithms, curl, Node's tls, Python's ssl) send their ClientHello to a
-- plain luatls TCP server that parses what it reads; an independent parser
-- written here in Python (PY_PARSER) reads the same bytes (hello.raw) and
-- computes JA3, JA4 and the field lists, which must match luatls's. Every
-- peer runs under `timeout 20`; a missing one makes its test pending.
local helper = require("spec.helper")
local certs = require("spec.certs")
local tls = require("luatls.tls")
local net = require("luatls.net")
local timers = require("luatls.timers")

local q, needs = helper.quote, helper.needs

-- ---- ClientHellos made by hand -------------------------------------------------

local function u8(n) return string.char(n) end
local function u16(n) return string.char((n >> 8) & 255, n & 255) end
local function v8(s) return u8(#s) .. s end
local function v16(s) return u16(#s) .. s end
local function ext(t, body) return u16(t) .. v16(body) end

local DEFAULT_EXTS = {
  ext(0x0a0a, ""),                                              -- GREASE
  ext(0, v16("\0" .. v16("example.com"))),                      -- server_name
  ext(10, v16(u16(0x1a1a) .. u16(29) .. u16(23))),              -- groups
  ext(11, v8("\0")),                                            -- ec_point_formats
  ext(13, v16(u16(0x0403) .. u16(0x0804) .. u16(0x0401))),      -- signature_algorithms
  ext(16, v16(v8("h2") .. v8("http/1.1"))),                     -- ALPN
  ext(43, v8(u16(0x3a3a) .. u16(0x0304) .. u16(0x0303))),       -- supported_versions
  ext(51, v16(u16(29) .. v16(string.rep("k", 32)))),            -- key_share
}

-- The body of a ClientHello; p replaces any part (exts: the extensions, a
-- list; extBlock: the whole block with its length; trailer: bytes after it)
local function helloBody(p)
  p = p or {}
  local exts = table.concat(p.exts or DEFAULT_EXTS)
  return (p.version or u16(0x0303)) .. (p.random or string.rep("r", 32))
    .. (p.sid or v8(string.rep("s", 32)))
    .. (p.ciphers or v16(u16(0x2a2a) .. u16(0x1301) .. u16(0xc02f) .. u16(0x00ff)))
    .. (p.comp or v8("\0")) .. (p.extBlock or v16(exts)) .. (p.trailer or "")
end

-- a handshake message: type 1, a 24-bit length, the body
local function message(body, len)
  len = len or #body
  return "\1" .. string.char(len >> 16, (len >> 8) & 255, len & 255) .. body
end

-- msg in handshake records of at most `size` bytes each
local function records(msg, size)
  local out = {}
  for i = 1, #msg, size or 16384 do
    local f = msg:sub(i, i + (size or 16384) - 1)
    out[#out + 1] = "\22\3\1" .. v16(f)
  end
  return table.concat(out)
end

local function hello(p) return records(message(helloBody(p))) end

-- ---- the reference parser, in Python -----------------------------------------

-- One handshake message per input line (hex); one Lua table per output line.
local PY_PARSER = [==[
import sys, hashlib, string
ALNUM = set((string.ascii_letters + string.digits).encode())
SAFE = set(string.ascii_letters + string.digits + ' ,_-./')
def grease(v): return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)
def n(b): return int.from_bytes(b, 'big')
def u16s(b): return [n(b[i:i + 2]) for i in range(0, len(b), 2)]
def lua(v):
    if isinstance(v, list): return '{' + ','.join(lua(x) for x in v) + '}'
    if isinstance(v, int): return str(v)
    if v is None: return 'nil'
    return '"' + ''.join(c if c in SAFE else '\\%03d' % ord(c) for c in v) + '"'
for line in sys.stdin:
    m = bytes.fromhex(line.strip())
    assert m[0] == 1 and n(m[1:4]) == len(m) - 4
    b = m[4:]
    ver = n(b[0:2]); i = 34
    i += 1 + b[i]
    cl = n(b[i:i + 2]); ciphers = u16s(b[i + 2:i + 2 + cl]); i += 2 + cl
    i += 1 + b[i]
    exts, groups, formats, sigalgs, versions, shares, alpn, sni = [], [], [], [], [], [], [], None
    if i < len(b):
        end = i + 2 + n(b[i:i + 2]); i += 2
        while i < end:
            t, l = n(b[i:i + 2]), n(b[i + 2:i + 4]); d = b[i + 4:i + 4 + l]; i += 4 + l
            exts.append(t)
            if t == 0: sni = d[5:5 + n(d[3:5])].decode('latin-1')
            elif t == 10: groups = u16s(d[2:])
            elif t == 11: formats = list(d[1:])
            elif t == 13: sigalgs = u16s(d[2:])
            elif t == 16:
                j = 2
                while j < len(d): alpn.append(d[j + 1:j + 1 + d[j]].decode('latin-1')); j += 1 + d[j]
            elif t == 43: versions = u16s(d[1:])
            elif t == 51:
                j = 2
                while j < len(d): shares.append(n(d[j:j + 2])); j += 4 + n(d[j + 2:j + 4])
    ng = lambda l: [x for x in l if not grease(x)]
    dash = lambda l: '-'.join(str(x) for x in l)
    ja3 = '%d,%s,%s,%s,%s' % (ver, dash(ng(ciphers)), dash(ng(exts)), dash(ng(groups)), dash(formats))
    vs = ng(versions); v = max(vs) if vs else ver
    vname = {0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2'}.get(v, '00')
    first = alpn[0].encode() if alpn else b''
    if not first: ap = '00'
    elif first[0] in ALNUM and first[-1] in ALNUM: ap = chr(first[0]) + chr(first[-1])
    else: ap = first.hex()[0] + first.hex()[-1]
    c, e = ng(ciphers), ng(exts)
    a = 't%s%s%02d%02d%s' % (vname, 'd' if 0 in e else 'i', min(len(c), 99), min(len(e), 99), ap)
    h12 = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12]
    hexes = lambda l: ','.join('%04x' % x for x in l)
    cs = hexes(sorted(c))
    es = hexes(sorted(x for x in e if x not in (0, 16)))
    sa = ng(sigalgs)
    es_sa = es + ('_' + hexes(sa) if sa else '')
    ja4 = '%s_%s_%s' % (a, h12(cs) if c else '0' * 12, h12(es_sa) if es else '0' * 12)
    print('{' + ','.join('%s=%s' % kv for kv in [
        ('legacyVersion', lua(ver)), ('ciphers', lua(ciphers)), ('extensions', lua(exts)),
        ('groups', lua(groups)), ('ecPointFormats', lua(formats)), ('signatureAlgorithms', lua(sigalgs)),
        ('supportedVersions', lua(versions)), ('keyShareGroups', lua(shares)), ('alpnProtocols', lua(alpn)),
        ('servername', lua(sni)), ('ja3', lua(ja3)), ('ja3Hash', lua(hashlib.md5(ja3.encode()).hexdigest())),
        ('ja4', lua(ja4))]) + '}')
]==]

local function hex(s) return (s:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)) end

-- what PY_PARSER makes of each hello's raw bytes
local function pythonParse(hellos)
  local lines = {}
  for i, h in ipairs(hellos) do lines[i] = hex(h.raw) end
  local proc = helper.spawn("timeout 60 python3 -c " .. q(PY_PARSER), table.concat(lines, "\n") .. "\n")
  local out, status = helper.finish(proc, 90000)
  assert(status == 0, "the Python parser failed: " .. out)
  local answers = {}
  for line in out:gmatch("[^\n]+") do answers[#answers + 1] = assert(load("return " .. line))() end
  assert.equal(#hellos, #answers, out)
  return answers
end

local FIELDS = { "legacyVersion", "ciphers", "extensions", "groups", "ecPointFormats", "signatureAlgorithms",
  "supportedVersions", "keyShareGroups", "alpnProtocols", "servername", "ja3", "ja3Hash", "ja4" }

-- luatls's table agrees with the Python parser's on every field
local function agrees(mine, ref, who)
  for _, f in ipairs(FIELDS) do
    assert.same(ref[f], mine[f], who .. ": " .. f)
  end
end

-- ---- capturing real clients' hellos -------------------------------------------

-- A plain TCP server that parses what each client sends with
-- tls.parseClientHello on every read, until it has the hello (or an
-- error). got[i] = { hello=, err=, reads=, bytes=, partial= (the answers
-- before) }; got.current: the latest connection's entry, while it reads.
local function captureServer()
  local got = {}
  local server = net.createServer(function(sock)
    local buf, entry = "", { reads = 0, partial = {} }
    got.current = entry
    sock:on("data", function(d)
      buf = buf .. d
      entry.reads = entry.reads + 1
      entry.bytes = #buf
      local h, err = tls.parseClientHello(buf)
      if h or err ~= "incomplete" then
        entry.hello, entry.err = h, err
        got[#got + 1] = entry
        sock:destroy()
      else
        entry.partial[#entry.partial + 1] = err
      end
    end)
    sock:on("error", function() end)
  end)
  return server, helper.listen(server), got
end

-- Run a client command (the port for each %d) against a capture server;
-- the parsed hello.
local function capture(cmd)
  local server, port, got = captureServer()
  local proc = helper.spawn("timeout 20 " .. cmd:gsub("%%d", tostring(port)))
  helper.wait(function() return #got >= 1 end, 20000, "the client's hello: " .. cmd)
  helper.finish(proc, 25000)
  helper.closeServer(server, true)
  assert.is_nil(got[1].err, tostring(got[1].err))
  return got[1].hello
end

local S_CLIENT = "openssl s_client -connect 127.0.0.1:%d -servername example.com -alpn h2,http/1.1"
  .. " -cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
  .. " -ciphersuites TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
  .. " -groups X25519:P-256 -sigalgs ECDSA+SHA256:rsa_pss_rsae_sha256:RSA+SHA256 </dev/null"

local NODE_CLIENT = [[
const tls = require('tls');
const s = tls.connect({ port: +process.argv[1], host: '127.0.0.1', servername: 'node.test',
  ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false });
s.on('error', () => {});
setTimeout(() => s.destroy(), 5000).unref();
]]

local PY_CLIENT = [[
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.set_alpn_protocols(['http/1.1'])
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
try:
    ctx.wrap_socket(s, server_hostname='python.test')
except Exception:
    pass
]]

-- the malformed hellos every parser must refuse, and why
local MALFORMED = {
  { "not a TLS record", "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { "an alert record", "\21\3\3\0\2\2\40" },
  { "an SSL 2.0 hello", "\128\46\1\0\2\0\21" },
  { "a zero-length record", "\22\3\1\0\0" },
  { "a record over 2^14 bytes", "\22\3\1\64\1" .. string.rep("\0", 16385) },
  { "a ServerHello", records("\2\0\0\4\3\3\0\0") },
  { "a handshake length past any ClientHello", "\22\3\1\0\4\1\255\255\255" },
  { "a truncated body", records(message(helloBody():sub(1, 20))) },
  { "a session ID of 33 bytes", hello({ sid = v8(string.rep("s", 33)) }) },
  { "a session ID length past the end", records(message(u16(0x0303) .. string.rep("r", 32) .. "\32abc")) },
  { "no cipher suites", hello({ ciphers = v16("") }) },
  { "an odd cipher_suites length", hello({ ciphers = v16("\19\1\0") }) },
  { "no compression methods", hello({ comp = v8("") }) },
  { "the extensions' length past the end", hello({ extBlock = u16(200) .. ext(0xff01, "\0") }) },
  { "an extension's length past the end", hello({ extBlock = v16(u16(43) .. u16(9) .. "\4\3\4") }) },
  { "bytes after the extensions", hello({ trailer = "\0" }) },
  { "a duplicate extension", hello({ exts = { ext(0xff01, "\0"), ext(23, ""), ext(0xff01, "\0") } }) },
  { "a duplicate unknown (GREASE) extension", hello({ exts = { ext(0x2a2a, ""), ext(0x2a2a, "") } }) },
  { "64 KiB of extensions (more than the 16-bit length says)",
    hello({ extBlock = u16(0xffff) .. ext(21, string.rep("\0", 65532)) }) },
  { "an empty supported_groups", hello({ exts = { ext(10, v16("")) } }) },
  { "an odd supported_groups", hello({ exts = { ext(10, v16("\0\29\0")) } }) },
  { "an empty signature_algorithms", hello({ exts = { ext(13, v16("")) } }) },
  { "an empty ec_point_formats", hello({ exts = { ext(11, v8("")) } }) },
  { "an empty ALPN list", hello({ exts = { ext(16, v16("")) } }) },
  { "an empty ALPN protocol name", hello({ exts = { ext(16, v16(v8("h2") .. v8(""))) } }) },
  { "an empty supported_versions", hello({ exts = { ext(43, v8("")) } }) },
  { "an empty server name", hello({ exts = { ext(0, v16("\0" .. v16(""))) } }) },
  { "an empty key_share key", hello({ exts = { ext(51, v16(u16(29) .. v16(""))) } }) },
  { "a key_share entry past its list", hello({ exts = { ext(51, v16(u16(29) .. u16(40) .. "k")) } }) },
  { "bytes left in an extension", hello({ exts = { ext(10, v16(u16(29)) .. "\0") } }) },
  { "a pre_shared_key without binders", hello({ exts = { ext(41, v16(v16("id") .. "\0\0\0\0") .. v16("")) } }) },
}

describe("tls.parseClientHello", function()
  helper.leakcheck()

  it("parses a hand-made hello: the fields, GREASE kept and marked, JA3, JA4", function()
    local msg = message(helloBody())
    local h = assert(tls.parseClientHello(records(msg)))
    assert.equal(msg, h.raw)
    assert.equal(0x0303, h.legacyVersion)
    assert.equal(string.rep("r", 32), h.random)
    assert.equal(string.rep("s", 32), h.sessionId)
    assert.same({ 0x2a2a, 0x1301, 0xc02f, 0x00ff }, h.ciphers)
    assert.same({ 0 }, h.compressionMethods)
    assert.same({ 0x0a0a, 0, 10, 11, 13, 16, 43, 51 }, h.extensions)
    assert.equal("example.com", h.servername)
    assert.same({ 0x1a1a, 29, 23 }, h.groups)
    assert.same({ 29 }, h.keyShareGroups)
    assert.same({ 0 }, h.ecPointFormats)
    assert.same({ 0x0403, 0x0804, 0x0401 }, h.signatureAlgorithms)
    assert.same({ 0x3a3a, 0x0304, 0x0303 }, h.supportedVersions)
    assert.same({ "h2", "http/1.1" }, h.alpnProtocols)
    assert.equal(0, h.pskIdentities)
    assert.same({ ciphers = { 1 }, extensions = { 1 }, groups = { 1 }, keyShareGroups = {},
      supportedVersions = { 1 }, signatureAlgorithms = {} }, h.grease)
    assert.equal("771,4865-49199-255,0-10-11-13-16-43-51,29-23,0", h.ja3)
    assert.equal("b3022b4b704d3468bf35ffd94ae3932f", h.ja3Hash)
    -- a: t, 1.3 (supported_versions), SNI, 3 ciphers, 7 extensions, "h2"
    assert.equal("t13d0307h2_938715873a05_5e6a61e7dae5", h.ja4)
    assert.equal("t13d0307h2_00ff,1301,c02f_000a,000b,000d,002b,0033_0403,0804,0401", h.ja4r)
  end)

  it("agrees with the Python parser on hand-made corner cases (no extensions, odd ALPN, no SNI)", function()
    if not needs("python3") then return end
    local cases = {
      hello({ extBlock = "" }), -- an old client: no extensions at all
      hello({ exts = { ext(16, v16(v8("\1x\255"))) } }), -- ALPN not alphanumeric: hex digits
      hello({ exts = { ext(16, v16(v8("q"))), ext(0xff01, "\0") } }), -- one-character ALPN
      hello({ version = u16(0x0301), exts = { ext(0x1a1a, ""), ext(13, v16(u16(0x2a2a))) } }), -- only GREASE
      hello({ exts = { ext(41, v16(v16("id-one") .. "\0\0\0\1" .. v16("id-two") .. "\0\0\0\2")
        .. v16(v8(string.rep("b", 32)) .. v8(string.rep("c", 32)))) } }),
    }
    local mine = {}
    for i, bytes in ipairs(cases) do mine[i] = assert(tls.parseClientHello(bytes)) end
    local ref = pythonParse(mine)
    for i = 1, #cases do agrees(mine[i], ref[i], "case " .. i) end
    assert.equal("771,4865-49199-255,,,", mine[1].ja3)
    assert.equal("000000000000", mine[1].ja4:sub(-12))
    assert.equal("t12i0300", mine[1].ja4:sub(1, 8))
    assert.equal("0f", mine[2].ja4:sub(9, 10)) -- 01 78 ff: "0", "f"
    assert.equal("qq", mine[3].ja4:sub(9, 10))
    assert.equal("t10i030100", mine[4].ja4:sub(1, 10))
    assert.same({ signatureAlgorithms = { 1 }, extensions = { 1 }, ciphers = { 1 }, groups = {},
      keyShareGroups = {}, supportedVersions = {} }, mine[4].grease)
    assert.equal(2, mine[5].pskIdentities)
  end)

  it("a hello over many records: nil, 'incomplete' for every prefix, then the same table", function()
    local msg = message(helloBody())
    local whole = assert(tls.parseClientHello(records(msg)))
    for _, size in ipairs({ 1, 3, 7, 100 }) do
      local bytes = records(msg, size)
      for i = 0, #bytes - 1 do
        local h, err = tls.parseClientHello(bytes:sub(1, i))
        assert(h == nil and err == "incomplete", "prefix " .. i .. " of records of " .. size)
      end
      local h = assert(tls.parseClientHello(bytes .. "\23\3\3\0\1x")) -- what follows is ignored
      assert.equal(whole.raw, h.raw)
      assert.equal(whole.ja4r, h.ja4r)
    end
  end)

  it("raises ERR_INVALID_ARG_TYPE for what is not a string", function()
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.parseClientHello, nil)
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.parseClientHello, { "x" })
  end)

  it("refuses malformed hellos with nil, ERR_TLS_INVALID_CLIENT_HELLO", function()
    for _, case in ipairs(MALFORMED) do
      local h, err = tls.parseClientHello(case[2])
      assert(h == nil, case[1] .. ": parsed")
      assert(type(err) == "table", case[1] .. ": " .. tostring(err))
      assert.equal("ERR_TLS_INVALID_CLIENT_HELLO", err.code, case[1])
      assert.is_string(err.message)
    end
    -- a few messages say what is wrong
    local _, err = tls.parseClientHello(hello({ exts = { ext(23, ""), ext(23, "") } }))
    assert.matches("extension 23 appears twice", err.message, 1, true)
    _, err = tls.parseClientHello("GET /")
    assert.matches("not a TLS handshake record", err.message, 1, true)
  end)

  it("random bytes and random damage never crash it (a short fuzz; the long one is fuzz/hello_fuzz.c)", function()
    local seed = os.time()
    math.randomseed(seed)
    local base = message(helloBody())
    for i = 1, 3000 do
      local m = base
      for _ = 1, math.random(1, 4) do
        local at = math.random(1, #m)
        m = m:sub(1, at - 1) .. string.char(math.random(0, 255)) .. m:sub(at + 1)
      end
      if i % 3 == 0 then m = m:sub(1, math.random(0, #m)) end
      local ok, h, err = pcall(tls.parseClientHello, records(m, math.random(1, 300)))
      assert(ok, "seed " .. seed .. ": raised " .. tostring(h))
      assert(h or err, "seed " .. seed)
    end
  end)

  it("on a plain TCP server: a hello sent in pieces over many reads is incomplete until whole", function()
    local msg = message(helloBody())
    local bytes = records(msg, 50)
    local server, port, got = captureServer()
    local connected, closed = false, false
    local c = net.connect(port, "127.0.0.1", function() connected = true end)
    c:on("error", function() end)
    c:on("close", function() closed = true end)
    helper.wait(function() return connected end, nil, "the connection")
    -- one piece at a time, the next once the server has read the last, so
    -- that each is a read of its own
    local pieces, total = 0, 0
    for i = 1, #bytes, 13 do
      local piece = bytes:sub(i, i + 12)
      c:write(piece)
      pieces, total = pieces + 1, total + #piece
      helper.wait(function() return got.current and got.current.bytes == total end, nil, "the server's read")
    end
    helper.wait(function() return closed end, nil, "the server's end")
    helper.closeServer(server)
    local entry = got[1]
    assert.is_table(entry.hello, tostring(entry.err))
    assert.equal(msg, entry.hello.raw)
    assert.equal(pieces, entry.reads)
    assert.is_true(pieces > 10)
    assert.equal(pieces - 1, #entry.partial)
    for _, p in ipairs(entry.partial) do assert.equal("incomplete", p) end
  end)
end)

describe("real clients' hellos, checked by a parser in Python", function()
  helper.leakcheck()

  it("openssl s_client with fixed ciphers, groups and signature algorithms", function()
    if not needs("openssl", "python3") then return end
    local h = capture(S_CLIENT)
    agrees(h, pythonParse({ h })[1], "s_client")
    assert.equal("example.com", h.servername)
    assert.same({ "h2", "http/1.1" }, h.alpnProtocols)
    assert.same({ 29, 23 }, h.groups)
    assert.same({ 0x0403, 0x0804, 0x0401 }, h.signatureAlgorithms)
    assert.same({ 0x1301, 0x1303, 0xc02f, 0xc02c, 0x00ff }, h.ciphers)
    assert.equal("771,4865-4867-49199-49196-255,", h.ja3:sub(1, 30))
    assert.equal("t13d05", h.ja4:sub(1, 6))
    assert.equal("h2", h.ja4:sub(9, 10))
    assert.equal(32, #h.sessionId) -- TLS 1.3's middlebox compatibility
  end)

  it("curl", function()
    if not needs("curl", "python3") then return end
    local h = capture("curl -sk --max-time 10 --resolve curl.test:%d:127.0.0.1 https://curl.test:%d/")
    agrees(h, pythonParse({ h })[1], "curl")
    assert.equal("curl.test", h.servername)
    assert.is_true(#h.alpnProtocols >= 1)
  end)

  it("Node's tls client", function()
    if not needs("node", "python3") then return end
    local h = capture("node -e " .. q(NODE_CLIENT) .. " %d")
    agrees(h, pythonParse({ h })[1], "node")
    assert.equal("node.test", h.servername)
    assert.same({ "h2", "http/1.1" }, h.alpnProtocols)
    assert.equal("h2", h.ja4:sub(9, 10))
  end)

  it("Python's ssl client", function()
    if not needs("python3") then return end
    local h = capture("python3 -c " .. q(PY_CLIENT) .. " %d")
    agrees(h, pythonParse({ h })[1], "python")
    assert.equal("python.test", h.servername)
    assert.same({ "http/1.1" }, h.alpnProtocols)
    assert.equal("h1", h.ja4:sub(9, 10))
  end)
end)

-- ---- clientHelloCallback ------------------------------------------------------------

-- A TLS server (localhost's certificate) whose clientHelloCallback is
-- fn(socket, hello, cb); it answers each secure connection with "served
-- <subject CN of its own certificate>\n" and ends. state.hellos: the tables
-- the callback got; state.order: "hello"/"sni" as the hooks ran;
-- state.clientErrors: the 'tlsClientError' errors; state.secure: count.
local function helloServer(fn, extra)
  local state = { hellos = {}, order = {}, clientErrors = {}, secure = 0 }
  local options = { key = certs.read("server-key.pem"), cert = certs.read("server-chain.pem"),
    clientHelloCallback = function(socket, h, cb)
      state.hellos[#state.hellos + 1] = h
      state.order[#state.order + 1] = "hello"
      state.socketSeen = socket.encrypted
      return fn(socket, h, cb)
    end }
  for k, v in pairs(extra or {}) do options[k] = v end
  local server = tls.createServer(options, function(s)
    state.secure = state.secure + 1
    s:done("served " .. tostring(s:getCertificate().subject.CN) .. "\n")
  end)
  server:on("tlsClientError", function(err) state.clientErrors[#state.clientErrors + 1] = err end)
  return server, helper.listen(server), state
end

-- openssl s_client asking for localhost; its output and exit status
local function sClient(port, args)
  local proc = helper.spawn(string.format("timeout 20 openssl s_client -connect 127.0.0.1:%d -servername localhost "
    .. "-CAfile %s -ign_eof %s", port, q(certs.path("ca-bundle.pem")), args or ""))
  return helper.finish(proc, 25000)
end

-- send raw bytes on a plain connection, half-close, collect what comes back
local function rawExchange(port, bytes)
  local got, closed = {}, false
  local c = net.connect(port, "127.0.0.1", function(sock) sock:done(bytes) end)
  c:on("data", function(d) got[#got + 1] = d end)
  c:on("error", function() end)
  c:on("close", function() closed = true end)
  helper.wait(function() return closed end, nil, "the server to end the connection")
  return table.concat(got)
end

describe("clientHelloCallback", function()
  helper.leakcheck()

  it("cb(): the handshake goes on; the hello is parseClientHello's table and agrees with the Python parser",
    function()
      if not needs("openssl", "python3") then return end
      local server, port, state = helloServer(function(_, _, cb) cb() end)
      local out, status = sClient(port, S_CLIENT:match("%-alpn.*"):gsub("</dev/null", ""))
      helper.closeServer(server)
      assert.equal(0, status, out)
      assert.matches("served localhost", out, 1, true)
      assert.equal(1, #state.hellos)
      assert.is_true(state.socketSeen) -- the socket came first
      local h = state.hellos[1]
      agrees(h, pythonParse({ h })[1], "s_client through the callback")
      local again = assert(tls.parseClientHello(records(h.raw)))
      assert.equal(h.ja4r, again.ja4r)
      assert.equal(h.ja3, again.ja3)
      -- the same client on a plain socket has the same fingerprints
      local plain = capture(S_CLIENT)
      assert.equal(plain.ja3, h.ja3)
      assert.equal(plain.ja4, h.ja4)
      assert.equal("localhost", h.servername)
    end)

  it("cb(nil, context) switches the context: the client sees the other certificate", function()
    if not needs("openssl") then return end
    local wrong = tls.createSecureContext({ key = certs.read("wronghost-key.pem"),
      cert = certs.read("wronghost-cert.pem") })
    local selfsigned = { key = certs.read("selfsigned-key.pem"), cert = certs.read("selfsigned-cert.pem") }
    local n = 0
    local server, port, state = helloServer(function(_, _, cb)
      n = n + 1
      if n == 1 then cb(nil, wrong) else cb(nil, selfsigned) end -- a SecureContext, then options
    end)
    local out1, status1 = sClient(port)
    local out2, status2 = sClient(port)
    helper.closeServer(server)
    assert.equal(0, status1, out1)
    assert.matches("subject=[^\n]*CN%s*=%s*wrong%.example%.org", out1)
    assert.matches("served wrong.example.org", out1, 1, true)
    assert.equal(0, status2, out2)
    assert.matches("served localhost", out2, 1, true) -- the self-signed one is CN=localhost
    assert.matches("self%-signed certificate", out2)
    assert.equal(2, state.secure)
  end)

  it("cb(err): a handshake_failure alert, 'tlsClientError' with that error; the next client is served", function()
    if not needs("openssl") then return end
    local mine = setmetatable({ message = "not this fingerprint", code = "EFINGERPRINT" },
      { __tostring = function(e) return "Error: " .. e.message end })
    local server, port, state
    server, port, state = helloServer(function(_, _, cb)
      if #state.hellos == 1 then cb(mine) else cb() end
    end)
    local out1, status1 = sClient(port)
    helper.wait(function() return #state.clientErrors >= 1 end, nil, "'tlsClientError'")
    local out2, status2 = sClient(port)
    helper.closeServer(server)
    assert.not_equal(0, status1, out1)
    assert.matches("alert handshake failure", out1, 1, true)
    assert.is_nil(out1:find("served", 1, true))
    assert.is_true(rawequal(mine, state.clientErrors[1]), tostring(state.clientErrors[1]))
    assert.equal(0, status2, out2)
    assert.matches("served localhost", out2, 1, true)
    assert.equal(1, #state.clientErrors)
    assert.equal(1, state.secure)
  end)

  it("answers later (a timer), or raises: the raise is its answer", function()
    if not needs("openssl") then return end
    local answeredAt, server, port, state
    server, port, state = helloServer(function(_, _, cb)
      if #state.hellos == 2 then error("the callback broke") end
      timers.setTimeout(function()
        answeredAt = #state.order
        cb()
      end, 30)
    end)
    local out1, status1 = sClient(port)
    local out2, status2 = sClient(port)
    helper.wait(function() return #state.clientErrors >= 1 end, nil, "'tlsClientError'")
    helper.closeServer(server)
    assert.equal(0, status1, out1)
    assert.matches("served localhost", out1, 1, true)
    assert.equal(1, answeredAt)
    assert.not_equal(0, status2, out2)
    assert.matches("alert handshake failure", out2, 1, true)
    assert.matches("the callback broke", tostring(state.clientErrors[1].message), 1, true)
  end)

  it("runs before the session store and SNICallback", function()
    if not needs("openssl") then return end
    local server, port, state
    local store = {}
    server, port, state = helloServer(function(_, _, cb)
      timers.setImmediate(cb)
    end, {
      SNICallback = function(name, cb)
        state.order[#state.order + 1] = "sni " .. name
        cb(nil, nil)
      end,
    })
    server:on("newSession", function(id, data, cb) store[id] = data; cb() end)
    server:on("resumeSession", function(id, cb)
      state.order[#state.order + 1] = "resume"
      cb(nil, store[id])
    end)
    local sess = os.tmpname()
    local out1, status1 = sClient(port, "-tls1_2 -sess_out " .. q(sess))
    local first = #state.order
    local out2, status2 = sClient(port, "-tls1_2 -sess_in " .. q(sess))
    os.remove(sess)
    helper.closeServer(server)
    assert.equal(0, status1, out1)
    assert.equal(0, status2, out2)
    assert.matches("Reused, TLSv1.2", out2, 1, true)
    assert.same({ "hello", "sni localhost", "hello", "resume", "sni localhost" }, state.order)
    assert.equal(2, first)
  end)

  it("a hello OpenSSL takes but the parser refuses (a duplicate unknown extension): decode_error, "
    .. "ERR_TLS_INVALID_CLIENT_HELLO; the next client is served", function()
    if not needs("openssl") then return end
    local server, port, state = helloServer(function(_, _, cb) cb() end)
    local bad = hello({ exts = { ext(0x2a2a, ""), ext(0x2a2a, ""), ext(0, v16("\0" .. v16("localhost"))),
      ext(10, v16(u16(29))), ext(13, v16(u16(0x0804))), ext(43, v8(u16(0x0304))),
      ext(51, v16(u16(29) .. v16(string.rep("k", 32)))) } })
    local answer = rawExchange(port, bad)
    helper.wait(function() return #state.clientErrors >= 1 end, nil, "'tlsClientError'")
    local out, status = sClient(port)
    helper.closeServer(server)
    assert.equal("\21\3", answer:sub(1, 2), "an alert record")
    assert.equal("\2\50", answer:sub(6, 7), "fatal decode_error")
    assert.equal("ERR_TLS_INVALID_CLIENT_HELLO", state.clientErrors[1].code)
    assert.matches("extension 10794 appears twice", state.clientErrors[1].message, 1, true)
    assert.equal(0, status, out)
    assert.matches("served localhost", out, 1, true)
    assert.equal(1, #state.hellos) -- only the good client's reached the callback
  end)

  it("malformed hellos end their connections; the server keeps serving, the callback never sees them", function()
    if not needs("openssl") then return end
    local server, port, state = helloServer(function(_, _, cb) cb() end)
    for _, case in ipairs(MALFORMED) do rawExchange(port, case[2]) end
    local out, status = sClient(port)
    helper.closeServer(server)
    assert.equal(0, status, out)
    assert.matches("served localhost", out, 1, true)
    assert.equal(1, #state.hellos)
    assert.equal(1, state.secure)
    assert.is_true(#state.clientErrors >= #MALFORMED - 3, "'tlsClientError's: " .. #state.clientErrors)
  end)

  it("refuses a clientHelloCallback that is not a function (ERR_INVALID_ARG_TYPE)", function()
    helper.raisesWith("ERR_INVALID_ARG_TYPE", "TypeError", tls.createServer, { clientHelloCallback = "yes" })
  end)
end)
