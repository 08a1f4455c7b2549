-- Node v20.11.1 test/parallel/test-tls-client-resume-12.js, ported
-- (doc/node-tests.md): test-tls-client-resume with tls.DEFAULT_MAX_VERSION = "TLSv1.2".
local tls = require("luatls.tls")
local helper = require("spec.helper")

describe("test-tls-client-resume-12", function()
  local saved
  setup(function()
    saved = tls.DEFAULT_MAX_VERSION
    tls.DEFAULT_MAX_VERSION = "TLSv1.2"
  end)
  teardown(function() tls.DEFAULT_MAX_VERSION = saved end)
  -- Node require()s the TLS 1.3 test after setting the default: so do we
  assert(loadfile(helper.root .. "/spec/node/test-tls-client-resume.lua", "t", _ENV))()
end)
