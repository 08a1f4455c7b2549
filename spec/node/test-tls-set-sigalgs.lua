-- Node v20.11.1 test/parallel/test-tls-set-sigalgs.js, ported
-- (doc/node-tests.md): the sigalgs option on both sides, getSharedSigalgs(), and no shared one.
local common = require("spec.node.common")
local tc = require("spec.node.fixtures.tls-connect")
local assert, connect, keys = tc.assert, tc.connect, tc.keys

local function assert_arrays_equal(left, right)
  assert.strictEqual(#left, #right)
  for i = 1, #left do
    assert.strictEqual(left[i], right[i])
  end
end

local function test(csigalgs, ssigalgs, shared_sigalgs, cerr, serr)
  assert.ok(shared_sigalgs or serr or cerr, "test missing any expectations")
  connect({
    client = {
      checkServerIdentity = function() end,
      ca = keys.agent1.cert .. "\n" .. keys.agent6.ca,
      cert = keys.agent2.cert,
      key = keys.agent2.key,
      sigalgs = csigalgs,
    },
    server = {
      cert = keys.agent6.cert,
      key = keys.agent6.key,
      ca = keys.agent2.ca,
      -- (as in Node, createServer does not read this)
      context = {
        requestCert = true,
        rejectUnauthorized = true,
      },
      sigalgs = ssigalgs,
    },
  }, common.mustCall(function(err, pair, cleanup)
    if shared_sigalgs then
      assert.ifError(err)
      assert.ifError(pair.server.err)
      assert.ifError(pair.client.err)
      assert.ok(pair.server.conn)
      assert.ok(pair.client.conn)
      assert_arrays_equal(pair.server.conn:getSharedSigalgs(), shared_sigalgs)
    else
      -- (Node checks the codes' presence only: assert(code, serr))
      if serr then
        assert.ok(pair.server.err)
        assert.ok(pair.server.err.code, serr)
      end
      if cerr then
        assert.ok(pair.client.err)
        assert.ok(pair.client.err.code, cerr)
      end
    end
    return cleanup()
  end))
end

describe("test-tls-set-sigalgs", function()
  it("RSA-PSS+SHA384 on both sides", common.run(function()
    test("RSA-PSS+SHA384", "RSA-PSS+SHA384", { "RSA-PSS+SHA384" })
  end))

  it("two shared of three", common.run(function()
    test("RSA-PSS+SHA256:RSA-PSS+SHA512:ECDSA+SHA256", "RSA-PSS+SHA256:ECDSA+SHA256",
      { "RSA-PSS+SHA256", "ECDSA+SHA256" })
  end))

  it("none shared", common.run(function()
    test("RSA-PSS+SHA384", "ECDSA+SHA256", nil, "ECONNRESET", "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITMS")
  end))

  it("none shared of two each", common.run(function()
    test("RSA-PSS+SHA384:ECDSA+SHA256", "ECDSA+SHA384:RSA-PSS+SHA256", nil, "ECONNRESET",
      "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITMS")
  end))
end)
