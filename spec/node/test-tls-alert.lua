-- Node v20.11.1 test/parallel/test-tls-alert.js, ported
-- (doc/node-tests.md): a TLS 1.1 client of a TLS 1.2-only server gets alert 70 (protocol_version).
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local helper = require("spec.helper")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local timers = require("luatls.timers")

local function loadPEM(n) return fixtures.readKey(n .. ".pem") end

-- execFile(cmd, cb): cb(status, output) once the peer has exited
local function execFile(cmd, cb)
  local proc = helper.peer(cmd)
  local function poll()
    if not helper.done(proc) then return timers.setTimeout(poll, 20) end
    local out, status = helper.finishPeer(proc)
    cb(status, out)
  end
  poll()
end

describe("test-tls-alert", function()
  it("runs as in Node", common.run(function()
    local server
    server = tls.Server({
      secureProtocol = "TLSv1_2_server_method",
      key = loadPEM("agent2-key"),
      cert = loadPEM("agent2-cert"),
    }, nil):listen(0, common.mustCall(function()
      -- (OpenSSL 3.1+: TLS 1.1 needs security level 0)
      local args = { "s_client", "-quiet", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0",
        "-connect", "127.0.0.1:" .. server:address().port }
      -- stdout and stderr come together here; Node matches stderr
      execFile(common.opensslCli .. " " .. table.concat(args, " ") .. " </dev/null",
        common.mustCall(function(status, stderr)
          assert.strictEqual(status, 1)
          assert.match(stderr, "SSL alert number 70")
          server:close()
        end))
    end))
  end))
end)
