-- luatls.internal.tls.options: TLS options that a server and a TLSSocket
-- both take: the checks of the handshake callbacks (SNI, ALPN, PSK,
-- clientHelloCallback) and of enableTrace, and the ALPN/NPN protocol lists
-- (also public as tls.convertALPNProtocols).
local errors = require("luatls.errors")

local M = {}

-- SNICallback, ALPNCallback, pskCallback and clientHelloCallback (luatls's
-- own) are functions; ALPNCallback and ALPNProtocols are not both given;
-- pskIdentityHint is a string; enableTrace a boolean. (A PSK-only server
-- also needs PSK suites in `ciphers` for TLS 1.2, e.g.
-- "PSK-AES128-GCM-SHA256": tls.DEFAULT_CIPHERS has none, as Node's; TLS
-- 1.3 needs nothing more.)
function M.checkCallbacks(options, level)
  level = (level or 2) + 1
  for _, name in ipairs({ "SNICallback", "ALPNCallback", "clientHelloCallback" }) do
    if options[name] ~= nil and type(options[name]) ~= "function" then
      errors.invalidArgType("options." .. name, "of type function", options[name], level)
    end
  end
  -- (as Node: false and "" are no PSK options at all)
  if options.pskCallback and type(options.pskCallback) ~= "function" then
    errors.invalidArgType("options.pskCallback", "of type function", options.pskCallback, level)
  end
  if options.pskIdentityHint and type(options.pskIdentityHint) ~= "string" then
    errors.invalidArgType("options.pskIdentityHint", "of type string", options.pskIdentityHint, level)
  end
  if options.enableTrace ~= nil and type(options.enableTrace) ~= "boolean" then
    errors.invalidArgType("options.enableTrace", "of type boolean", options.enableTrace, level)
  end
  if options.ALPNProtocols ~= nil and options.ALPNCallback ~= nil then
    error(errors.TypeError("ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS",
      "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive"), level)
  end
end

-- A list of protocol names, or Node's wire format ("\2h2\8http/1.1"), as
-- the wire format. `what` names the value in errors ("options.ALPNProtocols");
-- level as for error() (the default blames the caller's caller).
function M.toWire(what, protocols, level)
  if protocols == nil then return nil end
  level = level or 4
  if type(protocols) == "string" then
    local i = 1
    while i <= #protocols do
      local n = protocols:byte(i)
      if n == 0 or i + n > #protocols then
        error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
          "The property '%s' is not a valid wire-format protocol list", what)), level)
      end
      i = i + n + 1
    end
    return protocols
  end
  if type(protocols) ~= "table" then
    errors.invalidArgType(what, "a list of strings or a string", protocols, level)
  end
  local out = {}
  for i, p in ipairs(protocols) do
    if type(p) ~= "string" or #p == 0 then
      error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
        "The property '%s[%d]' must be a string of 1 to 255 bytes. Received %s",
        what, i, tostring(p))), level)
    end
    if #p > 255 then
      error(errors.RangeError("ERR_OUT_OF_RANGE", string.format(
        "The byte length of the protocol at index %d exceeds the maximum length. It must be <= 255. Received %d",
        i - 1, #p)), level)
    end
    out[#out + 1] = string.char(#p) .. p
  end
  return table.concat(out)
end

-- tls.convertALPNProtocols(protocols[, out]) -> the wire format: a list of
-- names is encoded, a string is taken as wire format already (Node's
-- Buffer); out.ALPNProtocols is set to it when out is given. Anything else
-- gives nil and leaves out alone, as Node leaves it. Unlike Node an empty
-- name, or a string that is no wire-format list, raises.
function M.convertALPNProtocols(protocols, out)
  if out ~= nil and type(out) ~= "table" then errors.invalidArgType("out", "of type table", out) end
  if type(protocols) ~= "table" and type(protocols) ~= "string" then return nil end
  local wire = M.toWire("protocols", protocols, 3)
  if out then out.ALPNProtocols = wire end
  return wire
end

return M
