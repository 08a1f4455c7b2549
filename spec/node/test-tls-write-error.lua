-- Node v20.11.1 test/parallel/test-tls-write-error.js, ported
-- (doc/node-tests.md): a hand-made TLS 1.2 client (Node's test/common/tls
-- TestTLSSocket, below) finishes an RSA key exchange and then sends an
-- illegal handshake message: the https server must not crash.
local common = require("spec.node.common")
local fixtures = common.fixtures
local net = require("luatls.net")
local crypto = require("luatls.crypto")
local buffer = require("luatls.buffer")

-- test/common/tls.js ------------------------------------------------------

local ccs = buffer.fromHex("140303000101")

local function u16(n) return string.pack(">I2", n) end
local function u24(n) return string.pack(">I3", n) end

local function addRecordHeader(rtype, frame)
  return string.char(rtype) .. "\3\3" .. u16(#frame) .. frame
end

local function addHandshakeHeader(htype, msg)
  return string.char(htype) .. u24(#msg) .. msg
end

local function hmac(algo, secret, ...)
  local h = crypto.createHmac(algo, secret)
  for i = 1, select("#", ...) do h:update((select(i, ...))) end
  return h:digest()
end

local function P_hash(algo, secret, seed, size)
  local result = {}
  local have = 0
  local a = hmac(algo, secret, seed)
  while have < size do
    local b = hmac(algo, secret, a, seed)
    local todo = math.min(#b, size - have)
    result[#result + 1] = b:sub(1, todo)
    have = have + todo
    a = hmac(algo, secret, a)
  end
  return table.concat(result)
end

local function PRF12(algo, secret, label, seed, size)
  return P_hash(algo, secret, label .. seed, size)
end

-- TestTLSSocket(server_cert): a net.Socket with the methods of Node's class
local function TestTLSSocket(server_cert)
  local self = net.Socket.new()
  self.server_cert = server_cert
  self.version = "\3\3"
  self.handshake_list = {}
  -- AES128-GCM-SHA256 (Node's hex, an odd number of digits, decodes to these)
  self.ciphers = buffer.fromHex("000002009c")
  self.pre_primary_secret = self.version .. crypto.randomBytes(46)
  self.primary_secret = nil
  self.write_seq = 0
  self.client_random = crypto.randomBytes(32)

  self:on("handshake", function(msg)
    self.handshake_list[#self.handshake_list + 1] = msg
  end)
  self:on("server_random", function(server_random)
    self.primary_secret = PRF12("sha256", self.pre_primary_secret, "primary secret",
      self.client_random .. server_random, 48)
    local key_block = PRF12("sha256", self.primary_secret, "key expansion",
      server_random .. self.client_random, 40)
    self.client_writeKey = key_block:sub(1, 16)
    self.client_writeIV = key_block:sub(33, 36)
  end)

  function self.createClientHello()
    local compressions = buffer.fromHex("0100") -- null
    local msg = addHandshakeHeader(0x01, self.version .. self.client_random .. self.ciphers .. compressions)
    self:emit("handshake", msg)
    return addRecordHeader(0x16, msg)
  end

  function self.createClientKeyExchange()
    local encrypted = crypto.publicEncrypt({
      key = self.server_cert,
      padding = crypto.constants.RSA_PKCS1_PADDING,
    }, self.pre_primary_secret)
    local msg = addHandshakeHeader(0x10, u16(#encrypted) .. encrypted)
    self:emit("handshake", msg)
    return addRecordHeader(0x16, msg)
  end

  function self.createFinished()
    local message_hash = crypto.createHash("sha256"):update(table.concat(self.handshake_list)):digest()
    local r = PRF12("sha256", self.primary_secret, "client finished", message_hash, 12)
    local msg = addHandshakeHeader(0x14, r)
    self:emit("handshake", msg)
    return addRecordHeader(0x16, msg)
  end

  function self.createIllegalHandshake()
    return addRecordHeader(0x16, string.rep("\0", 5))
  end

  function self.parseTLSHandshake(buf)
    local handshake_type = buf:byte(1)
    if handshake_type == 0x02 then
      self:emit("server_random", buf:sub(7, 6 + 32))
    end
    local length = string.unpack(">I3", buf, 2)
    self:emit("handshake", buf:sub(1, 4 + length))
    return buf:sub(4 + length + 1)
  end

  function self.parseTLSFrame(buf)
    local rtype = buf:byte(1)
    local length = string.unpack(">I2", buf, 4)
    local remaining = buf:sub(6, 5 + length)
    if rtype == 0x16 then
      repeat
        remaining = self.parseTLSHandshake(remaining)
      until #remaining == 0
    end
    return buf:sub(6 + length)
  end

  function self.encrypt(plain)
    local rtype, version = plain:sub(1, 1), plain:sub(2, 3)
    local nonce = crypto.randomBytes(8)
    local iv = self.client_writeIV:sub(1, 4) .. nonce
    local bob = crypto.createCipheriv("aes-128-gcm", self.client_writeKey, iv)
    local write_seq = string.pack(">I4I4", 0, self.write_seq)
    self.write_seq = self.write_seq + 1
    bob:setAAD(write_seq .. plain:sub(1, 5))
    local encrypted = bob:update(plain:sub(6)) .. bob:final()
    local tag = bob:getAuthTag()
    return rtype .. version .. u16(#nonce + #encrypted + #tag) .. nonce .. encrypted .. tag
  end

  return self
end

-- the test -----------------------------------------------------------------

describe("test-tls-write-error", function()
  it("runs as in Node", common.run(function()
    common.knownFailure("needs crypto.publicEncrypt (absent) for test/common/tls's hand-made client")
    local https = require("luatls.https")
    local server_key = fixtures.readKey("agent1-key.pem")
    local server_cert = fixtures.readKey("agent1-cert.pem")
    local opts = { key = server_key, cert = server_cert, ciphers = "ALL@SECLEVEL=0" }

    local server
    server = https.createServer(opts, function(_req, res)
      res:write("hello")
    end):listen(0, common.mustCall(function()
      local client = TestTLSSocket(server_cert)
      client:connect({ host = "localhost", port = server:address().port }, common.mustCall(function()
        client:write(client.createClientHello())
      end))
      client:once("data", common.mustCall(function(buf)
        local remaining = buf
        repeat
          remaining = client.parseTLSFrame(remaining)
        until #remaining == 0
        local cke = client.createClientKeyExchange()
        local finished = client.createFinished()
        local ill = client.createIllegalHandshake()
        local frames = cke .. ccs .. client.encrypt(finished) .. client.encrypt(ill)
        client:write(frames, common.mustCall(function()
          client:done()
          server:close()
        end))
      end))
    end))
  end))
end)
