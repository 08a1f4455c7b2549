-- Node v20.11.1 test/parallel/test-tls-handshake-exception.js, ported
-- (doc/node-tests.md): an error raised in 'secureConnection' on a stream
-- handed to server:emit("connection") ends the process with that error.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")

-- The child: a plain server wraps each connection in a Duplex and gives it
-- to a TLS server whose listener raises; https.get is the client.
local CHILD = [[
local net, tls, stream, https = require("net"), require("tls"), require("stream"), require("https")
local function readKey(name)
  local f = assert(io.open(%q .. "/" .. name, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local cert, key = readKey("rsa_cert.crt"), readKey("rsa_private.pem")
local server
server = net.createServer(function(c)
  local d
  d = stream.Duplex.new({
    read = function(_, n)
      local data = c:read(n)
      if data then d:push(data) end
    end,
    write = function(_, ...) c:write(...) end,
  })
  c:on("data", function(chunk) d:push(chunk) end)
  tls.createServer({ key = key, cert = cert }, function() error("eyecatcher") end):emit("connection", d)
end)
server:listen(0, function()
  https.get({ port = server:address().port, rejectUnauthorized = false })
end)
]]

describe("test-tls-handshake-exception", function()
  it("runs as in Node", common.run(function()
    local dir = common.tmpdir.refresh()
    local script = dir .. "/child.lua"
    local f = io.open(script, "wb")
    f:write(string.format(CHILD, common.fixtures.path("keys")))
    f:close()
    local proc = helper.peer(helper.quote(helper.luatls) .. " " .. helper.quote(script))
    local stderr = helper.finishPeer(proc)
    local ok = stderr:find("eyecatcher", 1, true) ~= nil
    assert.ok(ok, stderr)
  end))
end)
