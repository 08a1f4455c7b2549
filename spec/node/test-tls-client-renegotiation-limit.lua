-- Node v20.11.1 test/parallel/test-tls-client-renegotiation-limit.js, ported
-- (doc/node-tests.md): a client renegotiating past tls.CLIENT_RENEG_LIMIT gets an attack error on the server.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local tls = require("luatls.tls")
local tick = require("luatls.tick")

describe("test-tls-client-renegotiation-limit", function()
  local savedMax, savedLimit
  setup(function()
    savedMax, savedLimit = tls.DEFAULT_MAX_VERSION, tls.CLIENT_RENEG_LIMIT
    tls.DEFAULT_MAX_VERSION = "TLSv1.2"
  end)
  teardown(function()
    tls.DEFAULT_MAX_VERSION, tls.CLIENT_RENEG_LIMIT = savedMax, savedLimit
  end)

  it("runs as in Node", common.run(function()
    local LIMITS = { 0, 1, 2, 3, 5, 10, 16 }

    local function test(nextFn)
      local options = {
        cert = fixtures.readKey("rsa_cert.crt"),
        key = fixtures.readKey("rsa_private.pem"),
      }
      local server
      server = tls.createServer(options, function(conn)
        conn:on("error", function(err)
          io.stderr:write("Caught exception: " .. tostring(err) .. "\n")
          assert.match(err.message, "TLS session renegotiation attack")
          conn:destroy()
        end)
        conn:pipe(conn)
      end)

      server:listen(0, function()
        local copts = {
          host = server:address().host,
          port = server:address().port,
          rejectUnauthorized = false,
        }
        local client
        local renegs = 0
        -- the renegotiation attack
        local function spam()
          client:write("")
          client:renegotiate({}, function(err)
            assert.ifError(err)
            assert.ok(renegs <= tls.CLIENT_RENEG_LIMIT)
            spam()
          end)
          renegs = renegs + 1
        end
        client = tls.connect(copts, spam)
        client:on("close", function()
          assert.strictEqual(renegs, tls.CLIENT_RENEG_LIMIT + 1)
          server:close()
          tick.nextTick(nextFn)
        end)
        client:on("error", function(err)
          print("CLIENT ERR", err)
          error(err)
        end)
        client:on("close", function(hadErr)
          assert.strictEqual(hadErr, false)
        end)
      end)
    end

    local n = 0
    local function nextFn()
      if n >= #LIMITS then return end
      n = n + 1
      tls.CLIENT_RENEG_LIMIT = LIMITS[n]
      test(nextFn)
    end
    nextFn()
    common.onExit(function() assert.strictEqual(n, #LIMITS) end)
  end))
end)
