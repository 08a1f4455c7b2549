-- The line echo of bench/lines with cqueues and luaossl (Debian: lua-cqueues,
-- lua-luaossl): one coroutine per connection, as lines-luatls.lua's task mode.
--   lua5.4 bench/servers/lines-cqueues.lua PORT CERTDIR
local cqueues = require("cqueues")
local socket = require("cqueues.socket")
local context = require("openssl.ssl.context")
local pkey = require("openssl.pkey")
local x509 = require("openssl.x509")
local chain = require("openssl.x509.chain")

local port, dir = tonumber(arg[1]), arg[2]
if not port or not dir then
  io.stderr:write("usage: lua5.4 bench/servers/lines-cqueues.lua PORT CERTDIR\n")
  os.exit(2)
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- the leaf, then the intermediates of server-chain.pem
local certs = {}
local PEM = "%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-.-%-%-%-%-%-END CERTIFICATE%-%-%-%-%-"
for pem in read(dir .. "/server-chain.pem"):gmatch(PEM) do
  certs[#certs + 1] = x509.new(pem)
end
local ctx = context.new("TLS", true)
ctx:setPrivateKey(pkey.new(read(dir .. "/server-key.pem")))
ctx:setCertificate(certs[1])
local rest = chain.new()
for i = 2, #certs do rest:add(certs[i]) end
ctx:setCertificateChain(rest)

local cq = cqueues.new()
local srv = socket.listen({ host = "127.0.0.1", port = port, reuseaddr = true })
cq:wrap(function()
  for con in srv:clients() do
    cq:wrap(function()
      if con:starttls(ctx) then
        con:setmode("b", "bf")
        for line in con:lines("*l") do
          if not con:write(line, "\n") then break end
          con:flush()
        end
      end
      con:close()
    end)
  end
end)
srv:listen()
io.stdout:write("listening ", port, "\n")
io.stdout:flush()
assert(cq:loop())
