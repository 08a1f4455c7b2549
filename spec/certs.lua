-- spec/certs.lua: the test certificates, made by scripts/make-certs (with
-- luatls's createCertificate, scripts/make-certs.lua) once into
-- build/test-certs (kept between runs) and shared by the specs.
--
--   local certs = require("spec.certs")
--   local dir = certs.certs()              -- absolute path; makes them if needed
--   local pem = certs.read("server-cert.pem")
--   local path = certs.path("server.pfx")
--
-- See scripts/make-certs.lua for the list of files. LUATLS_TEST_CERTS=DIR uses
-- (and if needed makes) another directory.
local core = require("luatls.core")
local helper = require("spec.helper")

local M = {}

local dir

local function absolute(p)
  if p:sub(1, 1) == "/" then return p end
  local cwd = assert(core.cwd())
  if p == "." then return cwd end
  return cwd .. "/" .. p:gsub("^%./", "")
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- certs() -> the directory holding the certificates (made on first use)
function M.certs()
  if dir then return dir end
  local root = absolute(helper.root)
  local target = os.getenv("LUATLS_TEST_CERTS")
  target = target and target ~= "" and absolute(target) or root .. "/build/test-certs"
  local f = io.open(target .. "/.complete", "r")
  if f then
    f:close()
  else
    -- made by this very interpreter (scripts/make-certs runs make-certs.lua)
    local out, status = helper.sh("LUATLS=" .. quote(helper.luatls) .. " bash " .. quote(root .. "/scripts/make-certs")
      .. " " .. quote(target))
    if status ~= 0 then
      error("scripts/make-certs failed (status " .. tostring(status) .. "):\n" .. out, 2)
    end
  end
  dir = target
  return dir
end

-- path(name) -> the absolute path of one certificate file
function M.path(name) return M.certs() .. "/" .. name end

-- read(name) -> the contents of one certificate file
function M.read(name)
  local f = assert(io.open(M.path(name), "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- serverOptions([extra]) -> tls.createServer options with the server's RSA
-- key and chain; connectOptions(port[, extra]) -> tls.connect options for
-- 127.0.0.1:port that trust the test CA (SNI localhost). extra's fields are
-- added.
local function merged(o, extra)
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

function M.serverOptions(extra)
  return merged({ key = M.read("server-key.pem"), cert = M.read("server-chain.pem") }, extra)
end

function M.connectOptions(port, extra)
  return merged({ port = port, host = "127.0.0.1", servername = "localhost", ca = M.read("ca-cert.pem") }, extra)
end

return M
