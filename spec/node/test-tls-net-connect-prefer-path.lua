-- Node v20.11.1 test/parallel/test-tls-net-connect-prefer-path.js, ported
-- (doc/node-tests.md): net.connect and tls.connect with both path and port use the path.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local net = require("luatls.net")

local function libName(lib)
  return lib == net and "net" or "tls"
end

local PIPE -- Node's common.PIPE: a Unix socket path

local function mkServer(lib, tcp, cb)
  local server
  local function handler(socket)
    local addr = server:address()
    socket:write(libName(lib) .. ":" .. tostring(type(addr) == "table" and addr.port or addr))
    socket:done()
  end
  if lib == tls then
    server = lib.createServer({
      cert = fixtures.readKey("rsa_cert.crt"),
      key = fixtures.readKey("rsa_private.pem"),
    }, handler)
  else
    server = lib.createServer(handler)
  end
  server:listen(tcp and 0 or PIPE, common.mustCall(function() cb(server) end))
end

local function testLib(lib, cb)
  mkServer(lib, true, function(tcpServer)
    mkServer(lib, false, function(unixServer)
      local client
      client = lib.connect({
        path = unixServer:address(),
        port = tcpServer:address().port,
        host = "localhost",
        rejectUnauthorized = false,
      }, function()
        local bufs = {}
        client:on("data", common.mustCall(function(d)
          bufs[#bufs + 1] = d
        end))
        client:on("end", common.mustCall(function()
          local resp = table.concat(bufs)
          assert.strictEqual(resp, libName(lib) .. ":" .. unixServer:address())
          tcpServer:close()
          unixServer:close()
          cb()
        end))
      end)
    end)
  end)
end

describe("test-tls-net-connect-prefer-path", function()
  it("runs as in Node", common.run(function()
    PIPE = common.pipe()
    testLib(net, common.mustCall(function() testLib(tls, common.mustCall()) end))
  end))
end)
