-- Node v20.11.1 test/parallel/test-tls-wrap-event-emmiter.js, ported
-- (doc/node-tests.md): a TLSSocket over a plain EventEmitter (no stream)
-- raises a TypeError.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")
local EventEmitter = require("luatls.events")

describe("test-tls-wrap-event-emmiter", function()
  it("runs as in Node", common.run(function()
    assert.throws(function() tls.TLSSocket.new(EventEmitter.new()) end, { name = "TypeError" })
  end))
end)
