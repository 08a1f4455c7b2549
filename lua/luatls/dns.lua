-- luatls.dns: Node's dns module, the half that asks the system's resolver
-- (getaddrinfo and getnameinfo, run on libuv's thread pool as in Node, so a
-- lookup never blocks the loop; /etc/hosts, nsswitch and resolv.conf apply).
--
--   local dns = require("dns")
--   dns.lookup("localhost", function(err, address, family) ... end)
--   dns.lookup("example.org", { all = true }, function(err, list) ... end)
--   dns.lookupService("127.0.0.1", 22, function(err, hostname, service) ... end)
--
-- What exists:
--   lookup(hostname[, options], cb)  options: a table, or a number (the
--       family). family 0 | 4 | 6 | "IPv4" | "IPv6"; all (cb(err, { {address=,
--       family=}, ... }) instead of cb(err, address, family)); hints
--       (dns.ADDRCONFIG | dns.V4MAPPED | dns.ALL, combined with |); order
--       "verbatim" | "ipv4first" | "ipv6first"; verbatim (true = "verbatim",
--       false = "ipv4first"). An IP address answers itself without the
--       resolver. A nil, false or "" hostname answers nil (or {} with all), as
--       Node does for a falsy one. Errors as Node's: code ENOTFOUND for a name
--       that does not resolve, syscall "getaddrinfo", hostname, errno.
--   lookupService(address, port, cb)  cb(err, hostname, service)
--   getDefaultResultOrder(), setDefaultResultOrder(order)  "verbatim" by
--       default, as in Node 17+; lookup's order when options give none.
--   ADDRCONFIG, V4MAPPED, ALL (the system's getaddrinfo flags) and Node's
--   error code names (dns.NOTFOUND == "ENOTFOUND", dns.NODATA, ...).
-- Callbacks are never called from inside the call that asked (a nextTick at
-- the earliest); bad arguments raise at once with Node's codes
-- (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_SOCKET_BAD_PORT,
-- ERR_MISSING_ARGS).
--
-- Not here: the half of Node's dns that speaks the DNS protocol itself
-- (c-ares in Node): resolve, resolve4, resolve6, resolveAny, resolve*,
-- reverse, setServers, getServers, Resolver and dns.promises. They are
-- absent (nil), not stubs.
--
-- Differs from Node: a name under the special-use domain "invalid." (RFC 6761
-- section 6.4: "nonexistent.invalid") fails with ENOTFOUND at once, without
-- asking the resolver (which would send it to the DNS servers).
local loop = require("luatls.loop")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local core = loop.core

local nextTick = tick.nextTick

local M = {}

M.ADDRCONFIG = core.AI_ADDRCONFIG
M.V4MAPPED = core.AI_V4MAPPED
M.ALL = core.AI_ALL

-- Node's error codes (err.code == dns.NOTFOUND)
for _, name in ipairs({ "NODATA", "FORMERR", "SERVFAIL", "NOTFOUND", "NOTIMP",
    "REFUSED", "BADQUERY", "BADNAME", "BADFAMILY", "BADRESP", "CONNREFUSED",
    "TIMEOUT", "EOF", "FILE", "NOMEM", "DESTRUCTION", "BADSTR", "BADFLAGS",
    "NONAME", "BADHINTS", "NOTINITIALIZED", "LOADIPHLPAPI",
    "ADDRGETNETWORKPARAMS", "CANCELLED" }) do
  M[name] = "E" .. name
end

-- ---- arguments, with Node's messages ----------------------------------------

local received = errors.received

-- a value as Node's inspect shows it in ERR_INVALID_ARG_VALUE
local function shown(v)
  if type(v) == "string" then return "'" .. v .. "'" end
  return tostring(v)
end

local function kind(name)
  return name:find(".", 1, true) and "property" or "argument"
end

-- (an error object carries no position: error()'s level does not matter)
local function argType(name, expected, value)
  error(errors.TypeError("ERR_INVALID_ARG_TYPE", string.format(
    'The "%s" %s must be %s. Received %s', name, kind(name), expected, received(value))))
end

local function argValue(name, value, reason)
  error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
    "The %s '%s' %s. Received %s", kind(name), name, reason or "is invalid", shown(value))))
end

local function oneOf(value, name, allowed)
  for _, a in ipairs(allowed) do
    if value == a then return a end
  end
  local list = {}
  for i, a in ipairs(allowed) do list[i] = shown(a) end
  argValue(name, value, "must be one of: " .. table.concat(list, ", "))
end

local function checkFunction(fn, name)
  if type(fn) ~= "function" then argType(name, "of type function", fn) end
end

local function checkBoolean(v, name)
  if type(v) ~= "boolean" then argType(name, "of type boolean", v) end
  return v
end

local FAMILIES = { 0, 4, 6 }
local ORDERS = { "verbatim", "ipv4first", "ipv6first" }

local defaultOrder = "verbatim"

function M.getDefaultResultOrder() return defaultOrder end

function M.setDefaultResultOrder(order)
  defaultOrder = oneOf(order, "dnsOrder", ORDERS)
end

-- Node's validatePort: a number or numeric string in 0..65535
local function checkPort(port)
  local n = port
  if type(port) == "string" and port:match("^%s*%d+%s*$") then n = tonumber(port) end
  if type(n) ~= "number" or n ~= n or n < 0 or n > 65535 or math.floor(n) ~= n then
    error(errors.RangeError("ERR_SOCKET_BAD_PORT", string.format(
      "Port should be >= 0 and < 65536. Received %s.", received(port))))
  end
  return math.tointeger(n)
end

-- ---- lookup -------------------------------------------------------------------

-- RFC 6761 6.4: names under "invalid." never resolve; do not ask for them.
local function isInvalidTLD(host)
  host = host:lower():gsub("%.$", "")
  return host == "invalid" or host:sub(-8) == ".invalid"
end

local function notFound(host)
  return errors.new("ENOTFOUND", "getaddrinfo ENOTFOUND " .. host, {
    errno = core.UV_EAI_NONAME, syscall = "getaddrinfo", hostname = host })
end

-- a stable reorder: the family `first` before the other, each in the
-- resolver's order
local function reorder(list, first)
  local a, b = {}, {}
  for _, x in ipairs(list) do
    local t = x.family == first and a or b
    t[#t + 1] = x
  end
  table.move(b, 1, #b, #a + 1, a)
  return a
end

-- lookup(hostname[, options], callback)
function M.lookup(hostname, options, callback)
  local family, hints, all, order = 0, 0, false, defaultOrder
  if hostname and hostname ~= "" and type(hostname) ~= "string" then
    argType("hostname", "of type string", hostname)
  end
  if type(options) == "function" then
    callback = options
  elseif type(options) == "number" then
    checkFunction(callback, "callback")
    family = oneOf(options, "family", FAMILIES)
  elseif options ~= nil and type(options) ~= "table" then
    checkFunction(callback, "callback")
    argType("options", "of type table or integer", options)
  else
    checkFunction(callback, "callback")
    options = options or {}
    if options.hints ~= nil then
      if type(options.hints) ~= "number" then argType("options.hints", "of type number", options.hints) end
      hints = math.tointeger(options.hints) or -1
      if hints < 0 or hints & ~(M.ADDRCONFIG | M.V4MAPPED | M.ALL) ~= 0 then
        argValue("hints", options.hints)
      end
    end
    local f = options.family
    if f == "IPv4" then
      family = 4
    elseif f == "IPv6" then
      family = 6
    elseif f ~= nil then
      family = oneOf(f, "options.family", FAMILIES)
    end
    if options.all ~= nil then all = checkBoolean(options.all, "options.all") end
    if options.verbatim ~= nil then
      order = checkBoolean(options.verbatim, "options.verbatim") and "verbatim" or "ipv4first"
    end
    if options.order ~= nil then order = oneOf(options.order, "options.order", ORDERS) end
  end

  if not hostname or hostname == "" then
    if all then
      nextTick(callback, nil, {})
    else
      nextTick(callback, nil, nil, family == 6 and 6 or 4)
    end
    return
  end

  local literal = core.ip_family(hostname)
  if literal ~= 0 then
    if all then
      return nextTick(callback, nil, { { address = hostname, family = literal } })
    end
    return nextTick(callback, nil, hostname, literal)
  end

  local answer
  if all then
    answer = callback
  else
    answer = function(err, list)
      if err then return callback(err) end
      callback(nil, list[1].address, family ~= 0 and family or list[1].family)
    end
  end
  if isInvalidTLD(hostname) then
    return nextTick(answer, notFound(hostname))
  end

  local cb = answer
  if family == 0 and order ~= "verbatim" then
    local first = order == "ipv4first" and 4 or 6
    cb = function(err, list)
      if err then return answer(err) end
      answer(nil, reorder(list, first))
    end
  end
  local ok, err = core.getaddrinfo(hostname, family, hints, cb)
  if not ok then nextTick(cb, err) end
end

-- ---- lookupService ------------------------------------------------------------

-- lookupService(address, port, callback): cb(err, hostname, service)
function M.lookupService(...)
  if select("#", ...) < 3 then
    error(errors.TypeError("ERR_MISSING_ARGS",
      'The "address", "port", and "callback" arguments must be specified'))
  end
  local address, port, callback = ...
  if type(address) ~= "string" then argType("address", "of type string", address) end
  if core.ip_family(address) == 0 then argValue("address", address) end
  port = checkPort(port)
  checkFunction(callback, "callback")
  local ok, err = core.getnameinfo(address, port, callback)
  if not ok then nextTick(callback, err) end
end

return M
