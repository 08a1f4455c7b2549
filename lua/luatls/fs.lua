-- luatls.fs: the parts of Node's fs that scripts around TLS need: whole-file
-- reads and writes (sync and async), existence, stat, directories.
--
-- Sync forms raise an error object with Node's code ("ENOENT", ...) and
-- message ("ENOENT: no such file or directory, open 'x.pem'"). Async forms
-- take an error-first callback, run on libuv's thread pool, and call back
-- from the loop.
local loop = require("luatls.loop")
local errors = require("luatls.errors")
local core = loop.core

local M = {}

M.constants = { F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4 }

local function checkPath(path, level, name)
  name = name or "path"
  if type(path) ~= "string" then
    errors.invalidArgType(name, "of type string", path, (level or 2) + 1)
  end
  if path:find("\0", 1, true) then
    error(errors.TypeError("ERR_INVALID_ARG_VALUE", string.format(
      "The argument '%s' must be a string without null bytes. Received %q", name, path)),
      (level or 2) + 1)
  end
end

local function checkCallback(cb)
  if type(cb) ~= "function" then
    errors.invalidArgType("cb", "of type function", cb, 3)
  end
end

-- options may be an encoding string or a table { encoding=, flag=, mode= }
local function opts(o)
  if type(o) == "string" then return { encoding = o } end
  return o or {}
end

local function raw(encoding)
  return encoding == nil or encoding == "utf8" or encoding == "utf-8"
      or encoding == "binary" or encoding == "latin1" or encoding == "buffer"
end

-- file bytes -> the string the caller asked for (hex, base64, ...)
local function decode(data, encoding)
  if raw(encoding) then return data end
  return require("luatls.buffer").toString(data, encoding)
end

local function raise(err) error(err, 3) end

-- ---- Stats -----------------------------------------------------------------

local Stats = {}
Stats.__index = Stats
Stats.__name = "Stats"
M.Stats = Stats

function Stats:isFile() return self.type == "file" end
function Stats:isDirectory() return self.type == "directory" end
function Stats:isSymbolicLink() return self.type == "link" end
function Stats:isFIFO() return self.type == "fifo" end
function Stats:isSocket() return self.type == "socket" end
function Stats:isCharacterDevice() return self.type == "char" end
function Stats:isBlockDevice() return self.type == "block" end

local function stats(t) return setmetatable(t, Stats) end

-- ---- sync ------------------------------------------------------------------

function M.readFileSync(path, options)
  checkPath(path)
  local data, err = core.fs_readfile(path)
  if not data then raise(err) end
  return decode(data, opts(options).encoding)
end

-- data to write -> the bytes (a string given with encoding "hex" is decoded)
local function toData(data, encoding)
  if type(data) == "number" then data = tostring(data) end
  if type(data) ~= "string" then
    errors.invalidArgType("data", "of type string", data, 4)
  end
  if raw(encoding) then return data end
  return require("luatls.buffer").from(data, encoding)
end

function M.writeFileSync(path, data, options)
  checkPath(path)
  local o = opts(options)
  local ok, err = core.fs_writefile(path, toData(data, o.encoding), o.flag or "w", o.mode or 438)
  if not ok then raise(err) end
end

function M.appendFileSync(path, data, options)
  local o = opts(options)
  M.writeFileSync(path, data, { flag = o.flag or "a", mode = o.mode, encoding = o.encoding })
end

function M.existsSync(path)
  if type(path) ~= "string" then return false end
  return core.fs_access(path) == true
end

function M.accessSync(path, mode)
  checkPath(path)
  local ok, err = core.fs_access(path, mode or 0)
  if not ok then raise(err) end
end

function M.statSync(path)
  checkPath(path)
  local st, err = core.fs_stat(path)
  if not st then raise(err) end
  return stats(st)
end

-- lstatSync(path): as statSync, but a symbolic link is not followed
function M.lstatSync(path)
  checkPath(path)
  local st, err = core.fs_lstat(path)
  if not st then raise(err) end
  return stats(st)
end

function M.unlinkSync(path)
  checkPath(path)
  local ok, err = core.fs_unlink(path)
  if not ok then raise(err) end
end

function M.rmdirSync(path)
  checkPath(path)
  local ok, err = core.fs_rmdir(path)
  if not ok then raise(err) end
end

function M.renameSync(from, to)
  checkPath(from, 2, "oldPath")
  checkPath(to, 2, "newPath")
  local ok, err = core.fs_rename(from, to)
  if not ok then raise(err) end
end

-- mkdirSync(path[, { recursive=, mode= }]) -> the first directory made
-- (recursive) or nil
function M.mkdirSync(path, options)
  checkPath(path)
  local o = type(options) == "number" and { mode = options } or options or {}
  if not o.recursive then
    local ok, err = core.fs_mkdir(path, o.mode or 511)
    if not ok then raise(err) end
    return nil
  end
  local first
  local prefix = path:sub(1, 1) == "/" and "/" or ""
  local parts = {}
  for part in path:gmatch("[^/]+") do parts[#parts + 1] = part end
  for i, part in ipairs(parts) do
    prefix = prefix .. part
    local ok, err = core.fs_mkdir(prefix, o.mode or 511)
    if ok then first = first or prefix
    elseif err.code ~= "EEXIST" then raise(err)
    else
      local st = core.fs_stat(prefix)
      if not st or st.type ~= "directory" then
        if i == #parts then raise(err) end
        -- a file in the way: the next mkdir fails with ENOTDIR, which Node
        -- reports for the whole path
        local _, e = core.fs_mkdir(prefix .. "/" .. parts[i + 1], o.mode or 511)
        e.message = e.message:match("^[^,]*") .. ", mkdir '" .. path .. "'"
        e.path = path
        raise(e)
      end
    end
    prefix = prefix .. "/"
  end
  return first
end

function M.mkdtempSync(prefix)
  checkPath(prefix)
  local path, err = core.fs_mkdtemp(prefix)
  if not path then raise(err) end
  return path
end

function M.readdirSync(path)
  checkPath(path)
  local names, err = core.fs_readdir(path)
  if not names then raise(err) end
  table.sort(names)
  return names
end

-- rmSync(path[, { recursive=, force= }])
function M.rmSync(path, options)
  checkPath(path)
  local o = options or {}
  -- lstat: a symbolic link is removed, never followed (not even with recursive)
  local st, err = core.fs_lstat(path)
  if not st then
    if o.force and err.code == "ENOENT" then return end
    raise(err)
  end
  if st.type == "directory" then
    if not o.recursive then
      raise(errors.new("ERR_FS_EISDIR", "Path is a directory: rm returned EISDIR (is a directory) " .. path))
    end
    for _, name in ipairs(M.readdirSync(path)) do
      M.rmSync(path .. "/" .. name, o)
    end
    M.rmdirSync(path)
  else
    M.unlinkSync(path)
  end
end

-- ---- async -----------------------------------------------------------------

-- The callback comes last; options may be left out.
local function split(options, cb)
  if cb == nil and type(options) == "function" then return nil, options end
  return options, cb
end

function M.readFile(path, options, cb)
  options, cb = split(options, cb)
  checkPath(path)
  checkCallback(cb)
  local enc = opts(options).encoding
  local ok, err = core.fs_readfile(path, function(e, data)
    if e then cb(e) else cb(nil, decode(data, enc)) end
  end)
  if not ok then require("luatls.tick").nextTick(cb, err) end
end

function M.writeFile(path, data, options, cb)
  options, cb = split(options, cb)
  checkPath(path)
  checkCallback(cb)
  local o = opts(options)
  local ok, err = core.fs_writefile(path, toData(data, o.encoding), o.flag or "w", o.mode or 438,
    function(e) cb(e) end)
  if not ok then require("luatls.tick").nextTick(cb, err) end
end

function M.appendFile(path, data, options, cb)
  options, cb = split(options, cb)
  local o = opts(options)
  return M.writeFile(path, data, { flag = o.flag or "a", mode = o.mode, encoding = o.encoding }, cb)
end

local function async1(name, wrap)
  return function(path, cb)
    checkPath(path)
    checkCallback(cb)
    local ok, err = core[name](path, function(e, v)
      if e then cb(e) else cb(nil, wrap and wrap(v) or v) end
    end)
    if not ok then require("luatls.tick").nextTick(cb, err) end
  end
end

M.stat = async1("fs_stat", stats)
M.lstat = async1("fs_lstat", stats)
M.unlink = async1("fs_unlink")
M.rmdir = async1("fs_rmdir")
M.readdir = async1("fs_readdir", function(names) table.sort(names); return names end)

function M.access(path, mode, cb)
  if cb == nil then mode, cb = nil, mode end
  checkPath(path)
  checkCallback(cb)
  local ok, err = core.fs_access(path, mode or 0, function(e) cb(e) end)
  if not ok then require("luatls.tick").nextTick(cb, err) end
end

-- exists(path, cb): cb(true|false), as the old Node API
function M.exists(path, cb)
  checkCallback(cb)
  if type(path) ~= "string" then return require("luatls.tick").nextTick(cb, false) end
  core.fs_access(path, 0, function(e) cb(e == nil) end)
end

return M
