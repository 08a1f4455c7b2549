-- luatls.internal.url.percent: the byte-level pieces every part of the url
-- family shares: the WHATWG URL Standard's percent-encode sets, percent
-- encoding and decoding, UTF-8 decoding with replacement (the Encoding
-- Standard's "UTF-8 decode without BOM") and Node's decodeURIComponent.
-- Called by internal/url/whatwg.lua, host.lua, searchparams.lua,
-- querystring.lua, legacy.lua and lua/luatls/url.lua.
--
-- URLs are Lua strings of UTF-8. Every byte of a multi-byte sequence is in
-- every percent-encode set, so encoding a string byte by byte gives what the
-- Standard gets by encoding each code point's UTF-8 bytes.
--
--   percent.encode(s, set[, spaceAsPlus]) -> s with the bytes of `set` as %XX
--   percent.decode(s) -> the bytes (a % not followed by two hex digits stays)
--   percent.utf8(s) -> s with each invalid UTF-8 sequence as U+FFFD
--   percent.decodeURIComponent(s) -> as JavaScript's: raises a URIError
--   percent.SETS.c0, fragment, query, specialQuery, path, userinfo,
--     component, form: the sets, as { [byte] = true }
local errors = require("luatls.errors")

local byte, char, fmt, concat = string.byte, string.char, string.format, table.concat

local M = {}

-- byte -> "%XX" (upper-case hex, as the Standard's serializers write it)
local HEX = {}
for b = 0, 255 do HEX[char(b)] = fmt("%%%02X", b) end
M.HEX = HEX

-- set(parent, extra) -> a new set: parent's bytes and those of `extra`
local function set(parent, extra)
  local s = {}
  for b in pairs(parent) do s[b] = true end
  for i = 1, #extra do s[byte(extra, i)] = true end
  return s
end

local C0 = {}
for b = 0, 0x1F do C0[b] = true end
for b = 0x7F, 0xFF do C0[b] = true end

local SETS = {}
SETS.c0 = C0
SETS.fragment = set(C0, ' "<>`')
SETS.query = set(C0, ' "#<>')
SETS.specialQuery = set(SETS.query, "'")
-- (Node 20's parser, Ada, does not yet encode "^" in paths, which the
-- Standard added in 2024; luatls follows Node.)
SETS.path = set(SETS.query, "?`{}")
SETS.userinfo = set(SETS.path, "/:;=@[\\]^|")
SETS.component = set(SETS.userinfo, "$%&+,")
SETS.form = set(SETS.component, "!'()~")
M.SETS = SETS

-- A Lua pattern class matching the bytes of a set, made once per set.
local classes = setmetatable({}, { __mode = "k" })
local function classOf(s)
  local class = classes[s]
  if class then return class end
  -- runs of bytes as ranges: a class is matched by walking it
  local parts = { "[" }
  local function item(b)
    local c = char(b)
    return c:match("%p") and "%" .. c or c
  end
  local b = 0
  while b <= 255 do
    if s[b] then
      local e = b
      while e < 255 and s[e + 1] do e = e + 1 end
      -- (a range's ends are written as they are: not ] % - ^)
      if e - b >= 2 and not char(b):find("[]%%^-]") and not char(e):find("[]%%^-]") then
        parts[#parts + 1] = char(b) .. "-" .. char(e)
      else
        for x = b, e do parts[#parts + 1] = item(x) end
      end
      b = e + 1
    else
      b = b + 1
    end
  end
  parts[#parts + 1] = "]"
  class = concat(parts)
  classes[s] = class
  return class
end
M.classOf = classOf

local FORM_HEX = setmetatable({ [" "] = "+" }, { __index = HEX })

function M.encode(s, which, spaceAsPlus)
  local class = classOf(which)
  if not s:find(class) then return s end
  return (s:gsub(class, spaceAsPlus and FORM_HEX or HEX))
end

local function unhex(h) return char(tonumber(h, 16)) end

function M.decode(s)
  if not s:find("%", 1, true) then return s end
  return (s:gsub("%%(%x%x)", unhex))
end

-- The Encoding Standard's UTF-8 decoder, errors replaced: each maximal
-- invalid subpart becomes one U+FFFD.
local REPLACEMENT = "\239\191\189"
local function repair(s)
  local out, n = {}, 0
  local i, len = 1, #s
  local start = 1 -- start of the valid run not yet copied
  while i <= len do
    local b = byte(s, i)
    local need, lower, upper
    lower, upper = 0x80, 0xBF
    if b < 0x80 then
      need = 0
    elseif b >= 0xC2 and b <= 0xDF then
      need = 1
    elseif b >= 0xE0 and b <= 0xEF then
      need = 2
      if b == 0xE0 then lower = 0xA0 elseif b == 0xED then upper = 0x9F end
    elseif b >= 0xF0 and b <= 0xF4 then
      need = 3
      if b == 0xF0 then lower = 0x90 elseif b == 0xF4 then upper = 0x8F end
    else
      need = -1
    end
    if need == 0 then
      i = i + 1
    else
      local j, ok = i + 1, need > 0
      for _ = 1, need do
        local c = byte(s, j)
        if c == nil or c < lower or c > upper then ok = false; break end
        lower, upper = 0x80, 0xBF
        j = j + 1
      end
      if ok then
        i = j
      else
        n = n + 1; out[n] = s:sub(start, i - 1)
        n = n + 1; out[n] = REPLACEMENT
        -- the bad byte is taken again as the start of what follows, unless
        -- it is the lead byte itself
        i = need > 0 and j or i + 1
        start = i
      end
    end
  end
  n = n + 1; out[n] = s:sub(start)
  return concat(out, "", 1, n)
end

function M.utf8(s)
  if utf8.len(s) then return s end
  return repair(s)
end

local function malformed(level)
  error(errors.new(nil, "URI malformed", { name = "URIError" }), level + 1)
end

-- decodeURIComponent(s[, level]): every %XX decoded; a % without two hex
-- digits after it, or decoded bytes that are not UTF-8, raise a URIError
-- ("URI malformed") as JavaScript's does.
function M.decodeURIComponent(s, level)
  level = (level or 1) + 1
  if not s:find("%", 1, true) then return s end
  local bad = false
  local out = s:gsub("%%(.?.?)", function(h)
    if not h:match("^%x%x$") then bad = true; return "" end
    return unhex(h)
  end)
  if bad or not utf8.len(out) then malformed(level) end
  return out
end

return M
