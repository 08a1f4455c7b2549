-- OCSP stapling, the seed's flow: a client asks for its server's certificate
-- status (the status_request extension), the server emits 'OCSPRequest',
-- takes the OCSP URL from its certificate, asks the CA's responder over
-- HTTP, and hands the signed response to cb(), which staples it to the
-- handshake. Responses are cached until their nextUpdate; when anything
-- fails the server staples nothing (cb(nil, nil)) and says why.
--   build/luatls examples/ocsp-stapling.lua PORT KEY CERT [CHAIN]
-- CERT must name its responder (authorityInfoAccess OCSP;URI:http://...),
-- and the issuer must be in CHAIN (or CERT holds the chain). Then:
--   openssl s_client -connect 127.0.0.1:PORT -servername localhost -status
local tls = require("tls")
local net = require("net")
local fs = require("fs")
local core = require("luatls.core")

local port, keyFile, certFile, chainFile = tonumber(arg[1]), arg[2], arg[3], arg[4]
if not (port and keyFile and certFile) then
  console.error("usage: luatls ocsp-stapling.lua PORT KEY CERT [CHAIN]")
  process.exit(2)
end

-- POST body to an http:// URL (a minimal HTTP/1.0 client): cb(err, body)
local function httpPost(url, contentType, body, cb)
  local authority, path = url:match("^http://([^/]+)(.*)$")
  if not authority then return cb("not an http:// URL: " .. url) end
  local host, portText = authority:match("^%[(.+)%]:?(%d*)$") -- [::1]:8080
  if not host then host, portText = authority:match("^([^:]+):?(%d*)$") end
  if path == "" then path = "/" end
  local finished = false
  local function finish(err, result)
    if finished then return end
    finished = true
    cb(err, result)
  end
  local chunks = {}
  local socket = net.connect(tonumber(portText) or 80, host)
  socket:setTimeout(5000, function() socket:destroy() finish("no answer from " .. url) end)
  socket:on("error", function(err) finish(tostring(err)) end)
  socket:on("connect", function()
    socket:write(string.format("POST %s HTTP/1.0\r\nHost: %s\r\nContent-Type: %s\r\n" ..
      "Content-Length: %d\r\n\r\n", path, authority, contentType, #body))
    socket:write(body)
  end)
  socket:on("data", function(data) chunks[#chunks + 1] = data end)
  -- HTTP/1.0: the response ends when the responder closes the connection
  socket:on("end", function()
    local response = table.concat(chunks)
    local head, content = response:match("^(.-)\r\n\r\n(.*)$")
    local status = head and head:match("^HTTP/%d%.%d (%d%d%d)")
    if status ~= "200" then
      return finish(url .. " answered " .. (head and head:match("^[^\r\n]*") or "no HTTP response"))
    end
    finish(nil, content)
  end)
end

-- certificate (DER) -> { response = DER, nextUpdate = seconds since 1970 }
local cache = {}

-- fetch(cert, issuer, cb): cb(err, response) with a fresh response
local function fetch(cert, issuer, cb)
  local aia = core.x509_parse(cert).infoAccess
  local url = aia and aia["OCSP - URI"] and aia["OCSP - URI"][1]
  if not url then return cb("the certificate names no OCSP responder") end
  if not issuer then return cb("the issuer's certificate is not in the chain") end
  local ok, request = pcall(core.ocsp_request, cert, issuer)
  if not ok then return cb(tostring(request)) end
  httpPost(url, "application/ocsp-request", request, function(err, response)
    if err then return cb(err) end
    local info, why = core.ocsp_info(response)
    if not info then return cb("not an OCSP response: " .. tostring(why)) end
    if info.status ~= "successful" then return cb("the responder answered " .. info.status) end
    console.log(string.format("OCSP: fetched from %s: %s, next update %s", url,
      info.certStatus, info.nextUpdate and os.date("!%Y-%m-%d %H:%M:%SZ", info.nextUpdate) or "none"))
    if info.nextUpdate then cache[cert] = { response = response, nextUpdate = info.nextUpdate } end
    cb(nil, response)
  end)
end

local server = tls.createServer({
  key = fs.readFileSync(keyFile),
  cert = fs.readFileSync(certFile) .. (chainFile and "\n" .. fs.readFileSync(chainFile) or ""),
}, function(socket)
  socket:done("hello " .. socket.remoteAddress .. "\n")
end)

server:on("OCSPRequest", function(cert, issuer, cb)
  local cached = cache[cert]
  if cached and os.time() < cached.nextUpdate then
    console.log("OCSP: stapling the cached response")
    return cb(nil, cached.response)
  end
  cache[cert] = nil
  fetch(cert, issuer, function(err, response)
    if err then
      console.log("OCSP: stapling nothing: " .. tostring(err))
      return cb(nil, nil)
    end
    cb(nil, response)
  end)
end)

server:on("tlsClientError", function(err) console.error("client error:", err.message) end)
server:listen(port, function()
  console.log("OCSP stapling server on port " .. server:address().port)
end)
