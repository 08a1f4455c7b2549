-- luatls.internal.net.address: addresses and connect/listen arguments for
-- net: port checks, host lookup, the connect() argument forms, Node's form
-- of listen errors.
local loop = require("luatls.loop")
local errors = require("luatls.errors")
local dns = require("luatls.dns")
local core = loop.core

local M = {}

-- Node's validatePort: a number or numeric string in 0..65535, else
-- RangeError ERR_SOCKET_BAD_PORT.
function M.validatePort(port, name, level)
  local n = port
  if type(port) == "string" and port:match("^%s*%d+%s*$") then n = tonumber(port) end
  if type(n) ~= "number" or n ~= n or n < 0 or n > 65535 or math.floor(n) ~= n then
    local shown = type(port) == "string" and string.format("type string ('%s')", port)
      or port == nil and "nil" or string.format("type %s (%s)", type(port), tostring(port))
    error(errors.RangeError("ERR_SOCKET_BAD_PORT", string.format(
      "%s should be >= 0 and < 65536. Received %s.", name or "Port", shown)), (level or 2) + 1)
  end
  return math.tointeger(n)
end

local function uvMessage(err)
  local _, text = core.strerror(err.errno or 0)
  return text
end

-- Node's form for listen/bind errors: "listen EADDRINUSE: address already in
-- use 127.0.0.1:8000"
function M.listenError(err, syscall, address, port)
  if err.errno then
    err.message = string.format("%s %s: %s %s", syscall, err.code, uvMessage(err),
      port and (address .. ":" .. port) or address)
  end
  err.syscall = syscall
  err.address = address
  err.port = port
  return err
end

-- Resolve host and call cb(err, list): options.lookup when given (not for an
-- IP literal, as Node), else dns.lookup (which answers an IP literal itself).
-- An empty answer (host "") is ENOTFOUND. hints: options.hints, when given.
function M.lookup(host, family, lookupFn, cb, hints)
  if lookupFn and core.ip_family(host) == 0 then
    return lookupFn(host, { family = family, hints = hints, all = true }, function(err, address, fam2)
      if err then return cb(err) end
      if type(address) == "table" then return cb(nil, address) end
      cb(nil, { { address = address, family = fam2 or core.ip_family(address) } })
    end)
  end
  dns.lookup(host, { family = family, hints = hints, all = true }, function(err, addrs)
    if not err and #addrs == 0 then
      err = errors.new("ENOTFOUND", "getaddrinfo ENOTFOUND " .. host, {
        errno = core.UV_EAI_NONAME, syscall = "getaddrinfo", hostname = host })
    end
    cb(err, addrs)
  end)
end

function M.normalizeConnectArgs(a, b, c)
  -- (options[, cb]) | (path[, cb]) | (port[, host][, cb])
  if type(a) == "table" then
    return a, type(b) == "function" and b or nil
  end
  if type(a) == "string" and not a:match("^%s*%d+%s*$") then
    return { path = a }, type(b) == "function" and b or nil
  end
  if type(b) == "function" then return { port = a }, b end
  return { port = a, host = b }, type(c) == "function" and c or nil
end

return M
