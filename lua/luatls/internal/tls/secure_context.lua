-- luatls.internal.tls.secure_context: SecureContext and
-- tls.createSecureContext (credentials, protocol range, ciphers, groups,
-- session settings on an SSL_CTX from the C core), tls.getCiphers and
-- tls.rootCertificates.
local errors = require("luatls.errors")
local settings = require("luatls.internal.tls.settings")
local caStore = require("luatls.internal.tls.ca_store")
local core = require("luatls.loop").core

local M = {}

local VERSIONS = { ["TLSv1"] = true, ["TLSv1.1"] = true, ["TLSv1.2"] = true, ["TLSv1.3"] = true }

-- secureProtocol method names -> { min, max } (nil: the default), as Node's
-- SecureContext::Init: TLS_method is any version (min "any": OpenSSL's
-- lowest, the security level untouched), SSLv23_method the default minimum
-- up to TLS 1.2
local METHODS = {
  TLS_method = { "any", "TLSv1.3" }, SSLv23_method = { nil, "TLSv1.2" },
  TLSv1_method = { "TLSv1", "TLSv1" },
  TLSv1_1_method = { "TLSv1.1", "TLSv1.1" },
  TLSv1_2_method = { "TLSv1.2", "TLSv1.2" },
}
for name, range in pairs({ TLS = METHODS.TLS_method, SSLv23 = METHODS.SSLv23_method, TLSv1 = METHODS.TLSv1_method,
  TLSv1_1 = METHODS.TLSv1_1_method, TLSv1_2 = METHODS.TLSv1_2_method }) do
  METHODS[name .. "_server_method"] = range
  METHODS[name .. "_client_method"] = range
end

-- a list (a plain table that is empty or has [1]), or one value as a list
local function isList(v)
  return type(v) == "table" and getmetatable(v) == nil and (v[1] ~= nil or next(v) == nil)
end
local function list(v)
  if v == nil then return {} end
  if isList(v) then return v end
  return { v }
end

-- ca, cert and key as Node reads them: a false-y value (false, "", 0) is not given
local function given(v) return v ~= nil and v ~= false and v ~= "" and v ~= 0 end

local function checkType(name, v, want)
  if v ~= nil and type(v) ~= want then
    errors.invalidArgType("options." .. name, "of type " .. want, v, 4)
  end
end

local function pem(name, v)
  if type(v) ~= "string" then
    errors.invalidArgType("options." .. name, "of type string or an instance of Buffer, TypedArray, or DataView", v, 5)
  end
  return v
end

local SecureContext = {}
SecureContext.__index = SecureContext
SecureContext.__name = "SecureContext"
M.SecureContext = SecureContext

local function defaultSessionIdContext()
  local process = require("luatls.process")
  local hex = require("luatls.buffer").toHex
  return hex(core.digest("sha1", table.concat(process.argv, " "))):sub(1, 32)
end


local CONTEXT_STRINGS = { "ciphers", "ecdhCurve", "secureProtocol", "minVersion", "maxVersion",
                          "sessionIdContext", "sigalgs", "passphrase" }

local function checkContextOptions(options)
  if type(options) ~= "table" then errors.invalidArgType("options", "of type table", options, 3) end
  errors.checkOptions(options, "tls.createSecureContext", 3)
  for _, k in ipairs(CONTEXT_STRINGS) do
    if k ~= "ecdhCurve" or options[k] ~= false then checkType(k, options[k], "string") end
  end
  checkType("secureOptions", options.secureOptions, "number")
  checkType("sessionTimeout", options.sessionTimeout, "number")
end

-- minVersion/maxVersion, or secureProtocol's range, or the defaults
local function setProtocolRange(ctx, options)
  local minV, maxV = options.minVersion, options.maxVersion
  for which, v in pairs({ minimum = minV, maximum = maxV }) do
    if v ~= nil and not VERSIONS[v] then
      error(errors.TypeError("ERR_TLS_INVALID_PROTOCOL_VERSION",
        string.format("%s is not a valid %s TLS protocol version", v, which)), 3)
    end
  end
  if options.secureProtocol then
    if minV or maxV then
      error(errors.TypeError("ERR_TLS_PROTOCOL_VERSION_CONFLICT",
        string.format("TLS protocol version %s conflicts with secureProtocol %s",
          minV or maxV, options.secureProtocol)), 3)
    end
    local range = METHODS[options.secureProtocol]
    if not range then
      if options.secureProtocol:match("^SSLv[23]") then
        error(errors.new("ERR_TLS_INVALID_PROTOCOL_METHOD",
          options.secureProtocol:match("^(SSLv%d)") .. " methods disabled"), 3)
      end
      error(errors.TypeError("ERR_TLS_INVALID_PROTOCOL_METHOD",
        "Unknown method: " .. options.secureProtocol), 3)
    end
    minV, maxV = range[1], range[2]
    if minV == "any" then return ctx:set_protocol_range(nil, maxV) end
  end
  ctx:set_protocol_range(minV or settings.DEFAULT_MIN_VERSION, maxV or settings.DEFAULT_MAX_VERSION)
end

-- trust (the given CAs, else the default store: ca_store.lua), our
-- certificates and keys, CRLs
local function setCredentials(ctx, options)
  if given(options.ca) then
    for _, ca in ipairs(list(options.ca)) do ctx:add_ca(pem("ca", ca)) end
  else
    caStore.apply(ctx)
  end
  -- a CA that is no root may be the chain's anchor
  if options.allowPartialTrustChain then ctx:set_partial_chain() end

  local cert = given(options.cert) and options.cert or nil
  for _, c in ipairs(list(cert)) do ctx:add_cert(pem("cert", c)) end
  -- key: a key, or a list of keys and { pem =, passphrase = } (only in a list)
  local keyList = isList(options.key)
  local keys = given(options.key) and list(options.key) or {}
  for _, key in ipairs(keys) do
    if keyList and type(key) == "table" and key.pem ~= nil then
      ctx:add_key(pem("key", key.pem), key.passphrase or options.passphrase)
    else
      ctx:add_key(pem("key", key), options.passphrase)
    end
  end
  local uri = options.privateKeyIdentifier
  if uri ~= nil then
    -- (engines are gone from OpenSSL 3: privateKeyEngine is refused by
    -- errors.checkOptions; the URI goes to OSSL_STORE and its providers)
    if type(uri) ~= "string" then
      errors.invalidArgType("options.privateKeyIdentifier", "of type string", uri, 4)
    end
    if #keys > 0 then
      error(errors.TypeError("ERR_INVALID_ARG_VALUE", "The options 'key' and 'privateKeyIdentifier' "
        .. "both give the private key: give one"), 3)
    end
    ctx:load_key_uri(uri, options.passphrase)
    keys = { uri }
  end
  if #keys > 0 and cert ~= nil then ctx:check_key() end
  for _, pfx in ipairs(list(options.pfx)) do
    if type(pfx) == "table" then
      ctx:load_pfx(pem("pfx.buf", pfx.buf), pfx.passphrase or options.passphrase)
    else
      ctx:load_pfx(pem("pfx", pfx), options.passphrase)
    end
  end
  for _, crl in ipairs(list(options.crl)) do ctx:add_crl(pem("crl", crl)) end
end

-- ciphers (TLS 1.3 suites, TLS_*, and the TLS 1.2 cipher list apart), key
-- exchange groups, DH parameters, signature algorithms
local function setCiphers(ctx, options)
  local ciphers = options.ciphers
  if ciphers == nil or ciphers == "" then ciphers = settings.DEFAULT_CIPHERS end -- as Node's `ciphers || default`
  local suites, rest = {}, {}
  for c in ciphers:gmatch("[^:]+") do
    if c:match("^TLS_") then suites[#suites + 1] = c else rest[#rest + 1] = c end
  end
  if #suites == 0 and #rest == 0 then
    -- as Node: a list that names nothing (":"); Node shows it split at ":"
    local parts = {}
    for c in (ciphers .. ":"):gmatch("([^:]*):") do parts[#parts + 1] = "'" .. c .. "'" end
    errors.invalidArgValue("options.ciphers", "[ " .. table.concat(parts, ", ") .. " ]", "is invalid", 2)
  end
  ctx:set_ciphers(#rest > 0 and table.concat(rest, ":") or nil,
    #suites > 0 and table.concat(suites, ":") or nil)
  if #rest == 0 then ctx:set_protocol_range("TLSv1.3", nil) end

  local curve = options.ecdhCurve
  if curve == nil then curve = settings.DEFAULT_ECDH_CURVE end
  if curve == false then
    ctx:set_groups("ffdhe2048:ffdhe3072:ffdhe4096")
  elseif curve ~= "auto" then
    ctx:set_groups(curve)
  end
  if options.dhparam ~= nil then
    local bits = ctx:set_dhparam(pem("dhparam", options.dhparam))
    if bits and bits < 2048 then -- as Node: a process warning
      require("luatls.events").emitWarning(errors.new(nil, "DH parameter is less than 2048 bits",
        { name = "SecurityWarning" }))
    end
  end
  if options.sigalgs then ctx:set_sigalgs(options.sigalgs) end
end

-- cipher order, secureOptions, session timeout and ID context
local function setSessionOptions(ctx, options, isServer)
  local honor = options.honorCipherOrder
  if honor == nil then honor = isServer == true end
  if honor then ctx:set_options(core.ssl_constants.SSL_OP_CIPHER_SERVER_PREFERENCE) end
  if options.secureOptions then ctx:set_options(math.tointeger(options.secureOptions)) end
  -- Node's default is 300 s (OpenSSL's would be 7200)
  local timeout = options.sessionTimeout or 300
  if timeout < 0 then errors.outOfRange("options.sessionTimeout", ">= 0", timeout, 4) end
  ctx:set_timeout(math.floor(timeout))
  if options.sessionIdContext or isServer then
    ctx:set_session_id_context(options.sessionIdContext or defaultSessionIdContext())
  end
end

-- createSecureContext([options]) -> SecureContext. Raises an error object
-- saying what is wrong with bad credentials or settings.
function M.createSecureContext(options, isServer)
  options = options or {}
  checkContextOptions(options)
  local ctx = core.secure_context_new()
  -- Node's name for adding a trusted CA to a made context:
  -- secureContext.context:addCACert(pem)
  local methods = getmetatable(ctx)
  if methods.addCACert == nil then methods.addCACert = methods.add_ca end
  -- and Node's secureContext.context:setCiphers(list): the TLS 1.2 list only
  if methods.setCiphers == nil then methods.setCiphers = function(c, l) return c:set_ciphers(l) end end
  setProtocolRange(ctx, options)
  -- ciphers before the keys, as Node: an @SECLEVEL=n in them sets the
  -- security level the certificates and keys are checked against
  setCiphers(ctx, options)
  setCredentials(ctx, options)
  setSessionOptions(ctx, options, isServer)
  return setmetatable({ context = ctx }, SecureContext)
end

-- options.secureContext (checked), else a context made from the options
function M.contextOf(options, isServer)
  local sc = options.secureContext
  if sc ~= nil then
    if getmetatable(sc) ~= SecureContext then
      errors.invalidArgType("options.secureContext", "a SecureContext", sc, 3)
    end
    return sc
  end
  return M.createSecureContext(options, isServer)
end

function M.getCiphers()
  local out, seen = {}, {}
  local ctx = core.secure_context_new()
  ctx:set_ciphers("ALL", nil)
  for _, name in ipairs(ctx:ciphers()) do
    local n = name:lower()
    if not seen[n] then seen[n] = true; out[#out + 1] = n end
  end
  table.sort(out)
  return out
end

return M
