-- luatls.internal.tls.options: TLS options that a server and a TLSSocket
-- both take: the checks of the handshake callbacks (SNI, ALPN, PSK), and
-- the ALPN/NPN protocol lists.
local errors = require("luatls.errors")

local M = {}

-- SNICallback, ALPNCallback and pskCallback are functions; ALPNCallback
-- and ALPNProtocols are not both given; pskIdentityHint is a string. (A
-- PSK-only server also needs PSK suites in `ciphers` for TLS 1.2, e.g.
-- "PSK-AES128-GCM-SHA256": tls.DEFAULT_CIPHERS has none, as Node's; TLS
-- 1.3 needs nothing more.)
function M.checkCallbacks(options, level)
  level = (level or 2) + 1
  if options.SNICallback ~= nil and type(options.SNICallback) ~= "function" then
    errors.invalidArgType("options.SNICallback", "of type function", options.SNICallback, level)
  end
  if options.ALPNCallback ~= nil and type(options.ALPNCallback) ~= "function" then
    errors.invalidArgType("options.ALPNCallback", "of type function", options.ALPNCallback, level)
  end
  -- (as Node: false and "" are no PSK options at all)
  if options.pskCallback and type(options.pskCallback) ~= "function" then
    errors.invalidArgType("options.pskCallback", "of type function", options.pskCallback, level)
  end
  if options.pskIdentityHint and type(options.pskIdentityHint) ~= "string" then
    errors.invalidArgType("options.pskIdentityHint", "of type string", options.pskIdentityHint, level)
  end
  if options.ALPNProtocols ~= nil and options.ALPNCallback ~= nil then
    error(errors.TypeError("ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS",
      "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive"), level)
  end
end

-- A list of protocol names, or Node's wire format ("\2h2\8http/1.1"), as
-- the wire format.
function M.toWire(name, protocols)
  if protocols == nil then return nil end
  if type(protocols) == "string" then
    local i = 1
    while i <= #protocols do
      local n = protocols:byte(i)
      if n == 0 or i + n > #protocols then
        error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
          "The property 'options.%s' is not a valid wire-format protocol list", name)), 4)
      end
      i = i + n + 1
    end
    return protocols
  end
  if type(protocols) ~= "table" then
    errors.invalidArgType("options." .. name, "a list of strings or a string", protocols, 4)
  end
  local out = {}
  for i, p in ipairs(protocols) do
    if type(p) ~= "string" or #p == 0 or #p > 255 then
      error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
        "The property 'options.%s[%d]' must be a string of 1 to 255 bytes. Received %s",
        name, i, tostring(p))), 4)
    end
    out[#out + 1] = string.char(#p) .. p
  end
  return table.concat(out)
end

return M
