-- The seed's session store ('newSession' / 'resumeSession'), kept in Redis:
-- several server processes sharing one Redis resume each other's sessions,
-- for TLS 1.2 (session IDs) and TLS 1.3 (with a store, the server issues
-- stateful tickets whose identity is the session ID).
--   bash scripts/make-certs build/test-certs
--   redis-server --port 6379 --save '' &
--   build/luatls examples/session-store-redis.lua 8443 [6379 [SESSION_TIMEOUT]] &
--   build/luatls examples/session-store-redis.lua 8444 &
-- Then make a session on one server and resume it on the other:
--   openssl s_client -connect 127.0.0.1:8443 -tls1_2 -no_ticket -sess_out s.pem </dev/null
--   openssl s_client -connect 127.0.0.1:8444 -tls1_2 -no_ticket -sess_in s.pem </dev/null
-- The second prints "Reused"; each server prints a line per new or resumed
-- session, and tells each client whether its session was reused.
local tls = require("tls")
local fs = require("fs")
local buffer = require("buffer")
local redis = require("luatls.redis")

local certs = (arg[0]:match("^(.*)/") or ".") .. "/../build/test-certs/"
local port = tonumber(arg[1]) or 8443
local redisPort = tonumber(arg[2]) or 6379
local sessionTimeout = tonumber(arg[3]) or 300 -- seconds, Node's default

-- one Redis connection for every handshake (commands are pipelined); made
-- again when it is lost, and meanwhile every client gets a full handshake
local store
local function connectStore()
  store = redis.createClient({ host = "127.0.0.1", port = redisPort })
  store:on("error", function(err) console.error("redis: " .. err.message) end)
  store:on("close", function() setTimeout(connectStore, 1000) end)
end
connectStore()

local function key(id) return "tls-session:" .. buffer.toHex(id) end

local server = tls.createServer({
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-chain.pem"),
  sessionTimeout = sessionTimeout,
  -- OpenSSL resumes only sessions made under the same context id; its
  -- default is the command line's hash, which differs between the servers
  sessionIdContext = "luatls session-store-redis",
}, function(socket)
  local reused = socket:isSessionReused()
  console.log(string.format("%s from %s: %s", socket:getProtocol(), socket.remoteAddress,
    reused and "resumed session" or "full handshake"))
  socket:done(string.format("hello %s: %s session %s\n", socket.remoteAddress,
    socket:getProtocol(), reused and "reused" or "new, not reused"))
end)

-- a new session: keep it for as long as the server would accept it
server:on("newSession", function(id, data, cb)
  store:setex(key(id), sessionTimeout, data, function(err)
    if err then
      console.error("could not store session " .. buffer.toHex(id) .. ": " .. err.message)
    else
      console.log(string.format("new session %s (%d bytes, %d s)", buffer.toHex(id), #data, sessionTimeout))
    end
    cb() -- the handshake goes on either way
  end)
end)

-- a client offers a session: Redis has it (resumed) or not (full handshake)
server:on("resumeSession", function(id, cb)
  store:get(key(id), function(err, data)
    if err then
      console.error("could not look session " .. buffer.toHex(id) .. " up: " .. err.message)
      return cb(nil, nil)
    end
    console.log("session " .. buffer.toHex(id) .. (data and " found in redis" or " not in redis"))
    cb(nil, data)
  end)
end)

server:on("tlsClientError", function(err) console.error("client error: " .. err.message) end)
server:listen(port, function()
  console.log(string.format("session store server on port %d, sessions in redis on port %d for %d s",
    server:address().port, redisPort, sessionTimeout))
end)
