-- test/scan-server.lua: a luatls TLS server with the default options, for
-- test/testssl.sh and test/tlsfuzzer.py. Once a client has sent a line (a
-- request line: testssl's BREACH check wants HTTP) it answers with one
-- small HTTP response and ends, as `openssl s_server -www` does.
--   build/luatls test/scan-server.lua CERTDIR PORT [MODE]
-- MODE (for tlsfuzzer's scripts that need something else):
--   ec     the ECDSA certificate instead of the RSA one
--   cbc    the ciphers of Node's default list: luatls's default with the
--          CBC suites it leaves out (scripts that only offer CBC suites)
--   echo   echoes what it reads instead of answering HTTP (the scripts
--          that check the size of the reply)
-- SIGUSR2 runs a full garbage collection (so that a measurement of the
-- process's memory from outside does not count garbage).
local tls = require("tls")
local fs = require("fs")
local dir, port, mode = arg[1], tonumber(arg[2]), arg[3]
local pre = mode == "ec" and "/server-ec-" or "/server-"
local server = tls.createServer({
  key = fs.readFileSync(dir .. pre .. "key.pem"),
  cert = fs.readFileSync(dir .. pre .. "chain.pem"),
  ciphers = mode == "cbc" and tls.DEFAULT_CIPHERS:gsub(":!SHA1:!SHA256:!SHA384", "") or nil,
}, function(s)
  if mode == "echo" then
    s:pipe(s)
  else
    local answered = false
    s:on("data", function(d)
      if answered or not d:find("\n", 1, true) then return end
      answered = true
      s:done("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    end)
  end
  s:on("error", function() end)
end)
server:on("tlsClientError", function() end) -- scanners make many bad handshakes
process:on("SIGUSR2", function()
  collectgarbage()
  collectgarbage()
end)
server:listen(port, "127.0.0.1", function() io.write("listening\n"); io.flush() end)
