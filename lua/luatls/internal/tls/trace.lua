-- luatls.internal.tls.trace: the interpreter's --trace-tls, as Node's: every
-- TLS socket made without an enableTrace option prints OpenSSL's trace of
-- its messages to stderr (src/tls/trace.c), and the first such socket
-- warns that the log may show secrets. main.lua turns it on (setAll);
-- socket.lua asks byDefault() for each socket made without enableTrace.
local M = {}

local all, warned = false, false

-- setAll(on): --trace-tls was given
function M.setAll(on) all = on and true or false end

-- byDefault() -> whether a socket without enableTrace is traced (warns
-- once when it is)
function M.byDefault()
  if all and not warned then
    warned = true
    local errors = require("luatls.errors")
    require("luatls.events").emitWarning(errors.new(nil,
      "Enabling --trace-tls can expose sensitive data in the resulting log.", { name = "Warning" }))
  end
  return all
end

return M
