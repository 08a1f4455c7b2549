-- luatls.internal.tls.keylog: the process-wide key log, Node's
-- --tls-keylog=FILE and the SSLKEYLOGFILE convention (curl, Firefox,
-- Python): every TLS socket, client or server, appends its NSS key log
-- lines to the file. main.lua sets the flag's file (setFile); the variable
-- is read when first asked. socket.lua asks active() for each connection
-- it wraps and hands each 'keylog' line to append().
local M = {}

local path       -- the file, or false for none
local source     -- what named it: "--tls-keylog" or "SSLKEYLOGFILE"
local warned = {} -- one warning per kind

local function warn(kind, message)
  if warned[kind] then return end
  warned[kind] = true
  local errors = require("luatls.errors")
  require("luatls.events").emitWarning(errors.new(nil, message, { name = "Warning" }))
end

-- setFile(file): --tls-keylog's file (nil: back to SSLKEYLOGFILE's)
function M.setFile(file)
  path = file
  source = file and "--tls-keylog" or nil
end

-- file() -> the path lines go to, or nil
function M.file()
  if path == nil then
    local env = os.getenv("SSLKEYLOGFILE")
    path = env ~= nil and env ~= "" and env or false
    source = path and "SSLKEYLOGFILE" or nil
  end
  return path or nil
end

-- active() -> true when lines are logged; warns once, as Node does for
-- the first TLS socket made with --tls-keylog
function M.active()
  local file = M.file()
  if not file then return false end
  warn("insecure", string.format(
    "Using %s makes TLS connections insecure by writing secret key material to file %s", source, file))
  return true
end

-- append(line): one line to the file (created with mode 0600, as Node's).
-- A file that cannot be written is warned about once; the connection goes
-- on.
function M.append(line)
  local file = M.file()
  if not file then return end
  local ok, err = pcall(require("luatls.fs").appendFileSync, file, line, { mode = 384 })
  if not ok then
    warn("failed", string.format("Cannot write the TLS key log to %s: %s", file,
      type(err) == "table" and tostring(err.message) or tostring(err)))
  end
end

return M
