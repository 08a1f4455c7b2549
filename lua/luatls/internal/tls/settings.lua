-- luatls.internal.tls.settings: the tls module's settings a script may
-- change (tls.DEFAULT_CIPHERS = ..., tls.CLIENT_RENEG_LIMIT = ...). This
-- table is the public tls module itself (tls.lua adds the rest to it), so
-- the internal files read what the script set.
local core = require("luatls.loop").core

local M = {}

-- Node's default list without its CBC suites (the *-SHA256/-SHA384 ones and
-- what HIGH brings in with SHA-1/SHA-2 MACs): only AEAD suites are offered,
-- so a scanner has no CBC padding oracle (LUCKY13) to report. A script that
-- needs CBC for an old peer names it in `ciphers` or --tls-cipher-list.
M.DEFAULT_CIPHERS = table.concat({
  "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384",
  "DHE-RSA-AES128-GCM-SHA256", "HIGH", "!aNULL", "!eNULL", "!EXPORT", "!DES", "!RC4",
  "!MD5", "!PSK", "!SRP", "!CAMELLIA", "!SHA1", "!SHA256", "!SHA384",
}, ":")
-- for crypto.constants: defaultCoreCipherList (the list above) and
-- defaultCipherList (the one at startup: --tls-cipher-list's, else the same)
M._coreCipherList = M.DEFAULT_CIPHERS
M._cipherList = M.DEFAULT_CIPHERS
M.DEFAULT_ECDH_CURVE = "auto"
M.DEFAULT_MIN_VERSION = "TLSv1.2"
M.DEFAULT_MAX_VERSION = "TLSv1.3"
M.CLIENT_RENEG_LIMIT = 3
M.CLIENT_RENEG_WINDOW = 600
M.SLAB_BUFFER_SIZE = 10 * 1024 * 1024 -- from the oldest seed; kept for scripts
M.constants = core.ssl_constants

return M
