-- luatls.internal.tls.router: tls.createRouter (luatls's own, not Node's):
-- a router for TLS that does not terminate it, per connection all in C
-- (src/tls/router.c): read the ClientHello, pick the backend by server name
-- (and ALPN), connect, replay, forward both ways. A Router is a net.Server
-- (listen, address, close, ref/unref, 'listening', 'close', 'error') whose
-- listening handle hands its connections to C (the _onListen seam); no Lua
-- runs per connection unless a route function decides.
--
--   tls.createRouter({
--     routes = { ["api.example"] = "127.0.0.1:9001",      -- by name
--                ["api.example/h2"] = "127.0.0.1:9002",   -- that name with h2
--                ["*"] = { host = "::1", port = 9003 } }, -- every other one
--     route = function(hello) return "127.0.0.1:9004" end, -- optional
--     helloTimeout = 10000,                                -- ms, 0: none
--   }):listen(8443)
local net = require("luatls.net")
local errors = require("luatls.errors")
local tick = require("luatls.tick")
local core = require("luatls.loop").core

local M = {}

local Router = net.Server:extend("Router")
M.Router = Router

-- "ip:port", "[ipv6]:port" or { host =, port = } -> ip, port (nil: not one)
local function address(v)
  local host, port
  if type(v) == "string" then
    host, port = v:match("^%[(.+)%]:(%d+)$")
    if not host then host, port = v:match("^([^:]+):(%d+)$") end
    port = tonumber(port)
  elseif type(v) == "table" then
    host, port = v.host, v.port
  end
  if type(host) ~= "string" or core.ip_family(host) == 0 or math.type(port) ~= "integer"
      or port < 1 or port > 65535 then
    return nil
  end
  return host, port
end

-- the route function, wrapped for C: (hello) -> ip, port | nil. What it
-- raises is raised again on the next tick (an uncaught exception, as a
-- throwing callback in Node) and the client is refused.
local function wrapRoute(fn)
  return function(hello)
    local ok, res = xpcall(fn, function(e)
      if type(e) == "table" then return e end
      return debug.traceback(tostring(e), 2)
    end, hello)
    if not ok then
      tick.nextTick(function() error(res, 0) end)
      return nil
    end
    if res == nil or res == false then return nil end
    local ip, port = address(res)
    if not ip then
      tick.nextTick(function()
        errors.invalidArgValue("route.answer", res, 'must be "ip:port" or { host = ip, port = n }')
      end)
      return nil
    end
    return ip, port
  end
end

-- Router.new(options): see the head of this file
function Router:init(options)
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options, 4) end
  local routes, route, timeout = options.routes, options.route, options.helloTimeout
  if routes ~= nil and type(routes) ~= "table" then
    errors.invalidArgType("options.routes", "of type table", routes, 4)
  end
  if route ~= nil and type(route) ~= "function" then
    errors.invalidArgType("options.route", "of type function", route, 4)
  end
  if routes == nil and route == nil then
    errors.invalidArgValue("options", "nil", "must have routes or a route function", 4)
  end
  if timeout == nil then timeout = 10000 end
  if math.type(timeout) ~= "integer" or timeout < 0 then
    errors.outOfRange("options.helloTimeout", "an integer >= 0", timeout, 4)
  end
  local list = {}
  for key, to in pairs(routes or {}) do
    if type(key) ~= "string" or key == "" then
      errors.invalidArgValue("options.routes", key, "has a key that is not a name", 4)
    end
    local ip, port = address(to)
    if not ip then
      errors.invalidArgValue("options.routes." .. key, to,
        'must be "ip:port", "[ipv6]:port" or { host = ip, port = n }', 4)
    end
    list[#list + 1] = { key:lower(), ip, port }
  end
  net.Server.init(self, {})
  self._router = core.router_new(list, timeout, route and wrapRoute(route) or nil)
end

function Router:__tostring() return "Router" end

-- (net.Server's seam) the listening handle's connections go to C
function Router:_onListen(handle)
  if not self._router:attach(handle) then
    return errors.new("ERR_INVALID_ARG_VALUE", "tls.Router listens on TCP only, not on a Unix socket")
  end
end

-- 'close' waits for the routed connections as net.Server's for its own
function Router:_emitCloseIfDrained()
  if self._router:active() > 0 then return end
  return net.Server._emitCloseIfDrained(self)
end

function Router:close(cb)
  self._router:on_idle(function() self:_emitCloseIfDrained() end)
  return net.Server.close(self, cb)
end

-- getConnections(cb): cb(nil, the connections routed or being routed now)
function Router:getConnections(cb)
  tick.nextTick(cb, nil, self._router:active())
  return self
end

-- stats() -> { active, routed, refused, failed, bytesIn, bytesOut }: the
-- connections live now, routed, refused (no ClientHello, no route, too
-- slow), whose backend could not be reached; bytes from clients to
-- backends and back
function Router:stats()
  return self._router:stats()
end

function M.createRouter(options)
  return Router.new(options)
end

return M
