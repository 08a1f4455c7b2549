-- A forward HTTP proxy, as Node's http examples make one:
--   build/luatls examples/forward-proxy.lua [port]
--   curl -x http://127.0.0.1:8080 http://example.org/         (a plain request)
--   curl -x http://127.0.0.1:8080 https://example.org/        (CONNECT)
-- A CONNECT opens a tunnel: a TCP connection to the target, piped both
-- ways with the client's socket (two plain TCP sockets, so once the pipes
-- settle the bytes are forwarded in C, never seen by Lua). A plain request
-- names an absolute http:// URL: it is sent on with http.request, the
-- hop-by-hop headers dropped, and the answer piped back.
local http = require("http")
local net = require("net")
local url = require("url")

-- headers that belong to one connection, not to the request (RFC 9110 7.6.1)
local HOP_BY_HOP = {
  connection = true, ["proxy-connection"] = true, ["keep-alive"] = true, ["proxy-authorization"] = true,
  ["proxy-authenticate"] = true, te = true, trailer = true, ["transfer-encoding"] = true, upgrade = true,
}

-- the raw headers less the hop-by-hop ones (and those Connection names)
local function endToEnd(rawHeaders, headers)
  local drop = {}
  for token in (headers.connection or ""):gmatch("[^,%s]+") do drop[token:lower()] = true end
  local out = {}
  for i = 1, #rawHeaders, 2 do
    local name = rawHeaders[i]:lower()
    if not HOP_BY_HOP[name] and not drop[name] then
      out[#out + 1] = rawHeaders[i]
      out[#out + 1] = rawHeaders[i + 1]
    end
  end
  return out
end

local function fail(res, status, message)
  if not res.headersSent then res:writeHead(status, { ["Content-Type"] = "text/plain" }) end
  res:done(message .. "\n")
end

local server = http.createServer(function(req, res)
  local ok, target = pcall(url.URL.new, req.url)
  if not ok or target.protocol ~= "http:" then
    return fail(res, 400, "a proxy request names an absolute http:// URL")
  end
  console.log(req.method .. " " .. req.url)
  local upstream = http.request({
    host = target.hostname, port = tonumber(target.port) or 80, method = req.method,
    path = target.pathname .. target.search, headers = endToEnd(req.rawHeaders, req.headers),
  }, function(answer)
    res:writeHead(answer.statusCode, answer.statusMessage, endToEnd(answer.rawHeaders, answer.headers))
    answer:pipe(res)
  end)
  upstream:on("error", function(err) fail(res, 502, "bad gateway: " .. tostring(err.code or err.message)) end)
  req:pipe(upstream)
end)

server:on("connect", function(req, client, head)
  local host, port = req.url:match("^%[?(.-)%]?:(%d+)$")
  if not host then
    return client:done("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
  end
  console.log("CONNECT " .. req.url)
  local upstream
  upstream = net.connect(tonumber(port), host, function()
    client:write("HTTP/1.1 200 Connection Established\r\n\r\n")
    if #head > 0 then upstream:write(head) end
    upstream:pipe(client)
    client:pipe(upstream)
  end)
  upstream:on("error", function(err)
    if upstream.connecting or not upstream.remoteAddress then
      client:done("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n" .. tostring(err.code) .. "\n")
    else
      client:destroy()
    end
  end)
  client:on("error", function() upstream:destroy() end)
end)

local port = tonumber(arg[1]) or 8080
server:listen(port, "127.0.0.1", function()
  console.log("proxy listening on http://127.0.0.1:" .. server:address().port)
end)
