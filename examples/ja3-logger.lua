-- A TLS server that logs each client's fingerprints (JA3, its MD5, JA4)
-- from its ClientHello, and refuses the clients whose JA3 hash or JA4 is
-- on a list: clientHelloCallback (luatls's own, not Node's) sees the hello
-- before anything else in the handshake, and cb(err) ends it with a
-- handshake_failure alert.
--   bash examples/make-certs.sh
--   build/luatls examples/ja3-logger.lua [port] [fingerprint to refuse ...]
-- Then, for example:
--   openssl s_client -connect 127.0.0.1:8443 -servername localhost
--   curl -k https://localhost:8443/
local tls = require("tls")
local fs = require("fs")

local certs = (arg[0]:match("^(.*)/") or ".") .. "/certs/"
local port = tonumber(arg[1]) or 8443

-- JA3 hashes or JA4 fingerprints to refuse
local refused = {}
for i = 2, #arg do refused[arg[i]] = true end

local server = tls.createServer({
  key = fs.readFileSync(certs .. "server-key.pem"),
  cert = fs.readFileSync(certs .. "server-cert.pem"),
  clientHelloCallback = function(socket, hello, cb)
    console.log(string.format("client %s sni=%s ja3=%s ja3_hash=%s ja4=%s", socket.remoteAddress,
      hello.servername or "-", hello.ja3, hello.ja3Hash, hello.ja4))
    if refused[hello.ja3Hash] or refused[hello.ja4] then
      return cb({ code = "EFINGERPRINT", message = "fingerprint " .. hello.ja4 .. " is refused" })
    end
    socket.fingerprint = hello.ja4 -- for the answer below
    cb() -- go on (cb(nil, secureContext) would switch the certificate)
  end,
}, function(socket)
  socket:done("hello " .. socket.remoteAddress .. ", your JA4 is " .. socket.fingerprint .. "\n")
end)

server:on("tlsClientError", function(err, socket)
  console.log(string.format("refused %s: %s", socket.remoteAddress, err.message))
end)
server:listen(port, "127.0.0.1", function()
  console.log("JA3/JA4 logger on port " .. server:address().port)
end)
