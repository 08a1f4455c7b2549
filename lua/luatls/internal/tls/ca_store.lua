-- luatls.internal.tls.ca_store: the default CA store, what a SecureContext
-- made without `ca` trusts, and tls.getCACertificates /
-- tls.setDefaultCACertificates over the certificate lists of
-- src/tls/ca.c. Called by secure_context.lua (apply, for each context), by
-- tls.lua (the two functions) and by main.lua (the --use-bundled-ca /
-- --use-openssl-ca choice, init at start).
--
-- The stores, by getCACertificates' type:
--   "system"  the certificates of OpenSSL's default file and directory
--             (X509_get_default_cert_file/_dir, or SSL_CERT_FILE and
--             SSL_CERT_DIR), read once, without duplicates.
--   "bundled" luatls ships no Mozilla list of its own: as a Node built with
--             --openssl-use-def-ca-store, the bundled store is the system's,
--             read once when first needed (a snapshot: tls.rootCertificates).
--   "extra"   LUATLS_EXTRA_CA_CERTS's certificates (Node's
--             NODE_EXTRA_CA_CERTS), read once at start.
--   "default" what a context trusts: the list given to
--             setDefaultCACertificates; else the system store (OpenSSL's own
--             lookup: luatls's default, --use-openssl-ca) or the bundled
--             snapshot (--use-bundled-ca), plus the extra certificates.
local core = require("luatls.loop").core
local errors = require("luatls.errors")

local M = {}

local store = "openssl" -- or "bundled" (--use-bundled-ca)
local lists = {}        -- ca_list userdata by type: system, extra, default
local started = false   -- LUATLS_EXTRA_CA_CERTS was read

-- useStore("openssl" | "bundled"): the interpreter's --use-openssl-ca,
-- --use-bundled-ca
function M.useStore(which)
  assert(which == "openssl" or which == "bundled", "unknown CA store")
  store = which
end

-- init(): read LUATLS_EXTRA_CA_CERTS once (the interpreter calls it at
-- start, so its warning comes first; else the first context does). A file
-- that cannot be read is ignored with Node's warning, a plain line on
-- stderr as Node writes it (not process.emitWarning).
function M.init()
  if started then return end
  started = true
  local path = os.getenv("LUATLS_EXTRA_CA_CERTS")
  if path == nil or path == "" then return end
  local list, err = core.ca_list_file(path)
  if list then
    lists.extra = list
  else
    io.stderr:write(string.format("Warning: Ignoring extra certs from `%s`, load failed: %s\n", path, err))
    io.stderr:flush()
  end
end

-- OpenSSL's default directory: the hashed names its lookup reads
-- (0a1b2c3d.0), each a certificate file; SSL_CERT_DIR may name several
-- directories, separated by ':'
local function readDirectories(list, dirs)
  local fs = require("luatls.fs")
  for dir in dirs:gmatch("[^:]+") do
    local ok, names = pcall(fs.readdirSync, dir)
    if ok then
      table.sort(names)
      for _, name in ipairs(names) do
        if name:match("^%x%x%x%x%x%x%x%x%.%d+$") then core.ca_list_file(dir .. "/" .. name, list) end
      end
    end
  end
end

local function system()
  if not lists.system then
    local file, dir = core.default_cert_file()
    local list = core.ca_list_file(file) or core.ca_list()
    readDirectories(list, dir)
    lists.system = list
  end
  return lists.system
end

-- apply(ctx): the default trust on a context made without `ca`
function M.apply(ctx)
  M.init()
  if lists.default then
    ctx:add_ca_list(lists.default)
    return
  end
  if store == "bundled" then
    ctx:add_ca_list(system())
  else
    ctx:use_system_ca()
  end
  if lists.extra then ctx:add_ca_list(lists.extra) end
end

local TYPES = { default = true, system = true, bundled = true, extra = true }

local function pems(list)
  return list and list:pems() or {}
end

-- getCACertificates([type]) -> { pem, ... } (a new table each call)
function M.getCACertificates(which)
  if which == nil then which = "default" end
  if type(which) ~= "string" then errors.invalidArgType("type", "of type string", which, 2) end
  if not TYPES[which] then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE",
      "The argument 'type' must be one of: 'default', 'system', 'bundled', 'extra'. Received '"
        .. which .. "'"), 2)
  end
  M.init()
  if which == "extra" then return pems(lists.extra) end
  if which == "system" or which == "bundled" then return pems(system()) end
  if lists.default then return pems(lists.default) end
  local out = pems(system())
  for _, pem in ipairs(pems(lists.extra)) do out[#out + 1] = pem end
  return out
end

-- setDefaultCACertificates(certs): certs (a list of PEM strings) replace the
-- default store of the contexts made from now on; nothing changes when one
-- of them is wrong
function M.setDefaultCACertificates(certs)
  if type(certs) ~= "table" or getmetatable(certs) ~= nil then
    errors.invalidArgType("certs", "an instance of Array", certs, 2)
  end
  local n = #certs
  for i = 1, n do
    if type(certs[i]) ~= "string" then
      errors.invalidArgType("certs[" .. i .. "]", "of type string or an instance of ArrayBufferView",
        certs[i], 2)
    end
  end
  local ok, list = pcall(core.ca_list, certs)
  if not ok then error(list, 2) end
  M.init()
  lists.default = list
end

return M
