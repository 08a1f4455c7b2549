-- Node v20.11.1 test/parallel/test-tls-securepair-leak.js, ported
-- (doc/node-tests.md): SecurePairs made and destroyed give their memory back.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local tls = require("luatls.tls")
local process = require("luatls.process")
local timers = require("luatls.timers")
local core = require("luatls.core")

-- Node measures V8's external memory after a GC; luatls's C memory shows in
-- the rss, and the Lua heap in collectgarbage("count"): both together here.
local function memory()
  collectgarbage()
  collectgarbage()
  return process.memoryUsage().rss + math.floor(collectgarbage("count") * 1024)
end

describe("test-tls-securepair-leak", function()
  it("runs as in Node", common.run(function()
    local createSecureContext = tls.createSecureContext
    local createSecurePair = tls.createSecurePair
    local before = memory()
    local context = createSecureContext()
    local options = {}
    -- The same 1e4 pairs as Node, made and destroyed 100 at a time, one
    -- batch per turn of the loop: a destroyed pair's socket pair and TLS
    -- connection are freed when their handles have closed, on the loop (in
    -- Node, by the GC that global.gc() runs), and the rss, unlike V8's
    -- external counter, never shrinks again after a peak of 1e4 live pairs.
    local made = 0
    local function batch()
      for _ = 1, 100 do
        createSecurePair(context, false, false, false, options):destroy()
      end
      made = made + 100
      if made < 1e4 then return timers.setImmediate(batch) end
      timers.setImmediate(function()
        local after = memory()
        -- under ASan freed memory sits in quarantine and the rss says
        -- nothing; LeakSanitizer checks there instead, at exit
        if core.versions().sanitized then return end
        -- each pair grows the memory by about 20 KiB: one kept would make
        -- well over 100 MiB here
        assert.ok(after - before < (25 << 20), string.format("grew by %d bytes", after - before))
      end)
    end
    batch()
  end))
end)
