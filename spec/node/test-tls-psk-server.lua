-- Node v20.11.1 test/parallel/test-tls-psk-server.js, ported (doc/node-tests.md).
-- A PSK server (pskIdentityHint, pskCallback) talks with openssl s_client -psk.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")
local buffer = require("luatls.buffer")
local helper = require("spec.helper")
local instanceOf = require("luatls.events").instanceOf

local CIPHERS = "PSK+HIGH"
local KEY = "d731ef57be09e5204f0b205b60627028"
local IDENTITY = "TestUser"

-- s_client's stdin as Node's test drives it: "world\r\n" once its output has
-- "hello", then the end of input once it has "world"; its output at the end
-- (and "sent-world" when it was sent)
local function sClient(port)
  local sc = string.format("%s s_client -connect 127.0.0.1:%d -cipher %s -psk %s -psk_identity %s",
    common.opensslCli, port, helper.quote(CIPHERS), KEY, IDENTITY)
  local script = [[
f=$(mktemp)
(for i in $(seq 300); do grep -q hello "$f" && break; sleep 0.05; done
 printf 'world\r\n'; echo sent-world >&2
 for i in $(seq 300); do grep -q world "$f" && break; sleep 0.05; done) | ]] .. sc .. [[ >"$f" 2>&1
code=$?; cat "$f"; rm -f "$f"; exit $code]]
  return "sh -c " .. helper.quote(script)
end

describe("test-tls-psk-server", function()
  it("runs as in Node", common.run(function()
    local server = tls.createServer({
      ciphers = CIPHERS,
      pskIdentityHint = IDENTITY,
      pskCallback = function(socket, identity)
        assert.ok(instanceOf(socket, tls.TLSSocket))
        assert.ok(type(identity) == "string")
        if identity == IDENTITY then
          return buffer.fromHex(KEY)
        end
      end,
    })

    server:on("connection", common.mustCall())

    server:on("secureConnection", function(socket)
      socket:write("hello\r\n")
      socket:on("data", function(data)
        socket:write(data)
      end)
    end)

    server:listen(0, function()
      common.spawnPeer(sClient(server:address().port), common.mustCall(function(code, out)
        local hello = out:find("hello", 1, true)
        local gotHello = hello ~= nil
        local sentWorld = out:find("sent-world", 1, true) ~= nil
        local gotWorld = hello ~= nil and out:find("world", hello, true) ~= nil
        assert.ok(gotHello, out)
        assert.ok(sentWorld, out)
        assert.ok(gotWorld, out)
        assert.strictEqual(code, 0, out)
        server:close()
      end))
    end)
  end))
end)
