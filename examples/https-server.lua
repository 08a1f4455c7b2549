-- Node's https hello server, line for line, with the certificate made in a
-- line by tls.createSelfSigned (luatls's own) instead of files:
--   build/luatls examples/https-server.lua [port [cert-file]]
--   curl --cacert cert-file https://localhost:8000/     (or curl -k)
-- With cert-file, the certificate is written there for the client to trust.
local https = require("https")
local tls = require("tls")
local fs = require("fs")

local options = tls.createSelfSigned({ "localhost", "127.0.0.1" })
if arg[2] then fs.writeFileSync(arg[2], options.cert) end

https.createServer(options, function(_, res) -- (req, res)
  res:writeHead(200)
  res:done("hello world\n")
end):listen(tonumber(arg[1]) or 8000, function()
  console.log("listening on https://localhost:" .. (tonumber(arg[1]) or 8000) .. "/")
end)
