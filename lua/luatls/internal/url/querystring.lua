-- luatls.internal.url.querystring: the parts of Node's querystring module
-- the legacy url API uses (internal/url/legacy.lua): url.parse(s, true)
-- parses the query, url.format({ query = t }) stringifies it.
--
--   querystring.parse(s[, sep][, eq][, options]) -> { key = "v" or
--     { "v1", "v2" } } ('+' is a space; %XX decoded; at most
--     options.maxKeys (1000) pairs, 0 for no limit)
--   querystring.stringify(t[, sep][, eq]) -> s: keys sorted (a Lua table
--     has no order); a list value repeats its key; numbers as JavaScript
--     prints them (NaN and infinities as ""), booleans as text, anything
--     else as ""
--   querystring.escape(s), querystring.unescape(s)
local formatNumber = require("luatls.util").formatNumber
local percent = require("luatls.internal.url.percent")

local M = {}

-- encodeURIComponent's set: all but A-Z a-z 0-9 - . _ ~ ! ' ( ) *
local ESCAPED = {}
for b = 0, 255 do
  local c = string.char(b)
  if not c:match("[%w%-%._~!'()*]") then ESCAPED[b] = true end
end
M.ESCAPED = ESCAPED

function M.escape(s)
  return percent.encode(s, ESCAPED)
end

function M.unescape(s)
  return percent.utf8(percent.decode(s))
end

local function plain(s)
  return (s:gsub("[%^$()%%.%[%]*+%-?]", "%%%0"))
end

local function decode(s)
  if s:find("+", 1, true) then s = s:gsub("%+", " ") end
  return M.unescape(s)
end

function M.parse(s, sep, eq, options)
  local out = {}
  if type(s) ~= "string" or s == "" then return out end
  sep = type(sep) == "string" and sep ~= "" and sep or "&"
  eq = type(eq) == "string" and eq ~= "" and eq or "="
  local maxKeys = 1000
  if type(options) == "table" and type(options.maxKeys) == "number" then maxKeys = options.maxKeys end
  local psep, peq = plain(sep), plain(eq)
  local count, pos = 0, 1
  while maxKeys <= 0 or count < maxKeys do
    local stop = s:find(psep, pos)
    local piece = s:sub(pos, (stop or #s + 1) - 1)
    if piece ~= "" then
      count = count + 1
      local at = piece:find(peq)
      local k, v
      if at then k, v = piece:sub(1, at - 1), piece:sub(at + #eq) else k, v = piece, "" end
      k, v = decode(k), decode(v)
      local old = out[k]
      if old == nil then
        out[k] = v
      elseif type(old) == "table" then
        old[#old + 1] = v
      else
        out[k] = { old, v }
      end
    end
    if not stop then break end
    pos = stop + #sep
  end
  return out
end

local function primitive(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "" end
    return formatNumber(v)
  end
  if t == "boolean" then return v and "true" or "false" end
  return ""
end

function M.stringify(t, sep, eq)
  if type(t) ~= "table" then return "" end
  sep = type(sep) == "string" and sep or "&"
  eq = type(eq) == "string" and eq or "="
  local keys = {}
  for k in pairs(t) do
    if type(k) == "string" or type(k) == "number" then keys[#keys + 1] = primitive(k) end
  end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    local ks = M.escape(k) .. eq
    if type(v) == "table" and getmetatable(v) == nil then
      for _, item in ipairs(v) do out[#out + 1] = ks .. M.escape(primitive(item)) end
    else
      out[#out + 1] = ks .. M.escape(primitive(v))
    end
  end
  return table.concat(out, sep)
end

return M
