-- Node's https.get example, line for line:
--   build/luatls examples/https-get.lua [url]
-- A server whose certificate the system does not trust can be trusted
-- with LUATLS_EXTRA_CA_CERTS=cert.pem (Node's NODE_EXTRA_CA_CERTS), e.g.
-- against examples/https-server.lua's certificate.
local https = require("https")

https.get(arg[1] or "https://localhost:8000/", function(res)
  console.log("statusCode:", res.statusCode)
  console.log("headers:", res.headers)
  res:on("data", function(d) process.stdout:write(d) end)
end):on("error", function(e)
  console.error(e)
  process.exitCode = 1
end)
