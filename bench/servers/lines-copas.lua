-- The line echo of bench/lines with copas and LuaSec (Debian: lua-copas,
-- lua-sec, lua-socket, lua-coxpcall): one coroutine per connection. Debian's
-- copas is 1.1.7 (its files are for Lua 5.1/5.2; bench/lines puts them on
-- LUA_PATH for lua5.4), which predates copas' own TLS support, so the TLS
-- socket goes through copas.receive/copas.send as a LuaSocket-like object
-- whose "wantread"/"wantwrite" read as copas' "timeout".
--   lua5.4 bench/servers/lines-copas.lua PORT CERTDIR
local copas = require("copas")
local socket = require("socket")
local ssl = require("ssl")

local port, dir = tonumber(arg[1]), arg[2]
if not port or not dir then
  io.stderr:write("usage: lua5.4 bench/servers/lines-copas.lua PORT CERTDIR\n")
  os.exit(2)
end

local params = {
  mode = "server", protocol = "any",
  key = dir .. "/server-key.pem", certificate = dir .. "/server-chain.pem",
  options = { "all", "no_sslv3" },
}

local function wouldBlock(err) return err == "wantread" or err == "wantwrite" or err == "timeout" end

-- what copas needs of a socket, over a LuaSec connection
local Conn = {}
Conn.__index = Conn
function Conn:getfd() return self.s:getfd() end
function Conn:dirty() return self.s:dirty() end
function Conn:settimeout() return true end
function Conn:close() return self.s:close() end
function Conn:receive(pattern, part)
  local data, err, partial = self.s:receive(pattern, part)
  if err and wouldBlock(err) then err = "timeout" end
  return data, err, partial
end
function Conn:send(data, i, j)
  local n, err, last = self.s:send(data, i, j)
  if err and wouldBlock(err) then err = "timeout" end
  return n, err, last
end
-- the handshake as a "receive" copas retries when the socket is readable
function Conn:handshake()
  local hs = { s = self.s }
  function hs.getfd() return self.s:getfd() end
  function hs.close() end
  function hs.receive()
    local ok, err = self.s:dohandshake()
    if ok then return "" end
    if wouldBlock(err) then return nil, "timeout", "" end
    return nil, err
  end
  return copas.receive(hs, "*l")
end

local server = assert(socket.bind("127.0.0.1", port))
copas.addserver(server, function(skt)
  local s = assert(ssl.wrap(skt, params))
  s:settimeout(0)
  local c = setmetatable({ s = s }, Conn)
  if c:handshake() then
    while true do
      local line = copas.receive(c, "*l")
      if not line then break end
      if not copas.send(c, line .. "\n") then break end
    end
  end
  s:close()
end)
io.stdout:write("listening ", port, "\n")
io.stdout:flush()
copas.loop()
