-- luatls.buffer: helpers for scripts translated from Node's Buffer.
--
-- In luatls a Lua string is a Buffer (binary-safe, immutable). This module
-- holds what Node puts on Buffer: encodings (hex, base64, base64url, latin1,
-- ascii, utf16le, utf8), concat / compare / alloc, and the fixed-width
-- integer readers and writers. Offsets are Node's: 0-based. Writers cannot
-- change a string in place, so they return the new string (and the offset
-- after the bytes written, as Node's return value).
--
--   local buffer = require("luatls.buffer")
--   buffer.toHex("\1\2")                  --> "0102"
--   buffer.from("aGk=", "base64")         --> "hi"
--   buffer.readUInt16BE("\0\1\2", 1)      --> 258
--   local s2 = buffer.writeUInt16BE(s, 258, 1)
--
-- Text in Lua strings is taken to be UTF-8, so "latin1" and "ascii" convert
-- between bytes and code points as Node does between bytes and JS strings:
-- toString("\xe9", "latin1") is "é" (UTF-8) and from("é", "latin1") is "\xe9".
local errors = require("luatls.errors")

local M = {}

local byte, char, sub, rep = string.byte, string.char, string.sub, string.rep
local pack, unpack = string.pack, string.unpack
local concat, tunpack = table.concat, table.unpack
local mtype, floor, min, max = math.type, math.floor, math.min, math.max

local function checkString(v, name)
  if type(v) ~= "string" then
    errors.invalidArgType(name, "of type string", v)
  end
end

local function preview(s)
  if #s > 40 then s = s:sub(1, 40) .. "..." end
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function invalidValue(name, reason, value)
  errors.throw("ERR_INVALID_ARG_VALUE",
    string.format("The argument '%s' %s. Received %s", name, reason,
      type(value) == "string" and preview(value) or tostring(value)),
    { name = "TypeError" })
end

-- Truncate a number toward zero to an integer (Node's ToInteger), or nil.
local function toInteger(n)
  if mtype(n) == "integer" then return n end
  if n ~= n then return 0 end
  local i = n >= 0 and floor(n) or -floor(-n)
  return math.tointeger(i)
end

---------------------------------------------------------------------------
-- hex

local HEX, UNHEX = {}, {}
do
  local digits = "0123456789abcdef"
  for i = 0, 255 do
    local hi, lo = (i >> 4) + 1, (i & 15) + 1
    local h1, h2 = digits:sub(hi, hi), digits:sub(lo, lo)
    HEX[char(i)] = h1 .. h2
    for _, a in ipairs({ h1, h1:upper() }) do
      for _, b in ipairs({ h2, h2:upper() }) do UNHEX[a .. b] = char(i) end
    end
  end
end

-- toHex(s) -> lower-case hex digits, two per byte.
function M.toHex(s)
  checkString(s, "buffer")
  return (s:gsub(".", HEX))
end

-- fromHex(h) -> bytes. Raises ERR_INVALID_ARG_VALUE on an odd length or a
-- character that is not a hex digit (Buffer.from(h, "hex") is lenient; this
-- is not).
function M.fromHex(h)
  checkString(h, "hex")
  if #h % 2 ~= 0 then invalidValue("hex", "must have an even length", h) end
  local out = h:gsub("..", UNHEX) -- a pair that is not hex stays two characters
  if #out ~= #h // 2 then invalidValue("hex", "must contain only hex digits", h) end
  return out
end

-- Node's hex decoding: stops at the first pair that is not two hex digits.
local function decodeHexLenient(h)
  local bad = h:find("[^0-9A-Fa-f]")
  local n = (bad and bad - 1 or #h)
  n = n - n % 2
  if n < #h then h = sub(h, 1, n) end
  return (h:gsub("..", UNHEX))
end

---------------------------------------------------------------------------
-- base64

local STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- 12 bits -> two alphabet characters
local function pairTable(alphabet)
  local t = {}
  for i = 0, 4095 do
    local a, b = (i >> 6) + 1, (i & 63) + 1
    t[i] = alphabet:sub(a, a) .. alphabet:sub(b, b)
  end
  return t
end
local PAIR_STD, PAIR_URL = pairTable(STD), pairTable(URL)

-- byte value of an alphabet character -> 6 bits (both alphabets at once)
local DEC = {}
for i = 1, 64 do
  DEC[byte(STD, i)] = i - 1
  DEC[byte(URL, i)] = i - 1
end

local function encode64(s, T, pad)
  local n = #s
  local out, on = {}, 0
  local k = 1
  local last12 = n - 11
  while k <= last12 do -- 12 bytes -> 16 characters per step
    local a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4 = byte(s, k, k + 11)
    on = on + 1
    out[on] = T[a1 << 4 | b1 >> 4] .. T[(b1 & 15) << 8 | c1]
      .. T[a2 << 4 | b2 >> 4] .. T[(b2 & 15) << 8 | c2]
      .. T[a3 << 4 | b3 >> 4] .. T[(b3 & 15) << 8 | c3]
      .. T[a4 << 4 | b4 >> 4] .. T[(b4 & 15) << 8 | c4]
    k = k + 12
  end
  while k + 2 <= n do
    local a, b, c = byte(s, k, k + 2)
    on = on + 1
    out[on] = T[a << 4 | b >> 4] .. T[(b & 15) << 8 | c]
    k = k + 3
  end
  local r = n - k + 1
  if r == 1 then
    local a = byte(s, k)
    local t = T[a << 4]
    on = on + 1
    out[on] = t:sub(1, 2) .. (pad and "==" or "")
  elseif r == 2 then
    local a, b = byte(s, k, k + 1)
    on = on + 1
    out[on] = T[a << 4 | b >> 4] .. T[(b & 15) << 8]:sub(1, 1) .. (pad and "=" or "")
  end
  return concat(out, "", 1, on)
end

-- toBase64(s) -> standard base64 with "=" padding.
function M.toBase64(s)
  checkString(s, "buffer")
  return encode64(s, PAIR_STD, true)
end

-- toBase64url(s) -> URL-safe alphabet ("-", "_"), no padding (as Node).
function M.toBase64url(s)
  checkString(s, "buffer")
  return encode64(s, PAIR_URL, false)
end

local function decode64(b)
  -- Keep alphabet characters (either alphabet) and "="; whitespace and other
  -- characters are skipped, as Node does. Data ends at the first "=".
  local p = b:find("[^A-Za-z0-9%+/%-_]")
  if p then
    if b:find("^=*%s*$", p) then -- just padding (and a newline) at the end
      b = sub(b, 1, p - 1)
    else
      b = b:gsub("[^A-Za-z0-9%+/%-_=]", "")
      local eq = b:find("=", 1, true)
      if eq then b = sub(b, 1, eq - 1) end
    end
  end
  local n = #b
  local D = DEC
  local out, on = {}, 0
  local k = 1
  local last16 = n - 15
  while k <= last16 do -- 16 characters -> 12 bytes per step
    local c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16 =
      byte(b, k, k + 15)
    local v1 = D[c1] << 18 | D[c2] << 12 | D[c3] << 6 | D[c4]
    local v2 = D[c5] << 18 | D[c6] << 12 | D[c7] << 6 | D[c8]
    local v3 = D[c9] << 18 | D[c10] << 12 | D[c11] << 6 | D[c12]
    local v4 = D[c13] << 18 | D[c14] << 12 | D[c15] << 6 | D[c16]
    on = on + 1
    out[on] = char(v1 >> 16, v1 >> 8 & 255, v1 & 255, v2 >> 16, v2 >> 8 & 255, v2 & 255,
      v3 >> 16, v3 >> 8 & 255, v3 & 255, v4 >> 16, v4 >> 8 & 255, v4 & 255)
    k = k + 16
  end
  while k + 3 <= n do
    local c1, c2, c3, c4 = byte(b, k, k + 3)
    local v = D[c1] << 18 | D[c2] << 12 | D[c3] << 6 | D[c4]
    on = on + 1
    out[on] = char(v >> 16, v >> 8 & 255, v & 255)
    k = k + 4
  end
  local r = n - k + 1 -- 0..3 characters left; a single one holds no full byte
  if r == 2 then
    local c1, c2 = byte(b, k, k + 1)
    on = on + 1
    out[on] = char((D[c1] << 2 | D[c2] >> 4) & 255)
  elseif r == 3 then
    local c1, c2, c3 = byte(b, k, k + 2)
    local v = D[c1] << 18 | D[c2] << 12 | D[c3] << 6
    on = on + 1
    out[on] = char(v >> 16, v >> 8 & 255)
  end
  return concat(out, "", 1, on)
end

-- fromBase64(b) -> bytes. Accepts both the standard and the URL-safe
-- alphabet, missing padding, and whitespace (ignored), like Node.
function M.fromBase64(b)
  checkString(b, "base64")
  return decode64(b)
end
M.fromBase64url = M.fromBase64

---------------------------------------------------------------------------
-- latin1, ascii, utf8, utf16le

local LATIN1_TO_UTF8, ASCII_MASK = {}, {}
for i = 128, 255 do
  LATIN1_TO_UTF8[char(i)] = utf8.char(i)
  ASCII_MASK[char(i)] = char(i & 127)
end
-- a UTF-8 sequence -> the low byte of its code point (two-byte ones cached)
local UTF8_TO_LATIN1 = setmetatable({}, {
  __index = function(_, seq) return char(utf8.codepoint(seq) & 255) end,
})
for cp = 0x80, 0x7FF do UTF8_TO_LATIN1[utf8.char(cp)] = char(cp & 255) end

local REPLACEMENT = "\xEF\xBF\xBD"

-- Length of the maximal ill-formed subpart starting at i (at least 1), as
-- the WHATWG decoder replaces each with one U+FFFD.
local function badLength(s, i)
  local b = byte(s, i)
  local need, lo, hi
  if b >= 0xC2 and b <= 0xDF then need, lo, hi = 1, 0x80, 0xBF
  elseif b == 0xE0 then need, lo, hi = 2, 0xA0, 0xBF
  elseif b == 0xED then need, lo, hi = 2, 0x80, 0x9F
  elseif b >= 0xE1 and b <= 0xEF then need, lo, hi = 2, 0x80, 0xBF
  elseif b == 0xF0 then need, lo, hi = 3, 0x90, 0xBF
  elseif b == 0xF4 then need, lo, hi = 3, 0x80, 0x8F
  elseif b >= 0xF1 and b <= 0xF3 then need, lo, hi = 3, 0x80, 0xBF
  else return 1 end
  local len = 1
  for j = 1, need do
    local c = byte(s, i + j)
    if not c or c < lo or c > hi then break end
    len = len + 1
    lo, hi = 0x80, 0xBF
  end
  return len
end

-- Replace ill-formed UTF-8 with U+FFFD (Node's buf.toString("utf8")).
local function utf8Sanitize(s)
  if utf8.len(s) then return s end
  local out, n, pos, len = {}, 0, 1, #s
  while pos <= len do
    local ok, bad = utf8.len(s, pos)
    if ok then break end
    n = n + 1; out[n] = sub(s, pos, bad - 1)
    n = n + 1; out[n] = REPLACEMENT
    pos = bad + badLength(s, bad)
  end
  if pos <= len then n = n + 1; out[n] = sub(s, pos) end
  return concat(out, "", 1, n)
end
M._utf8Sanitize = utf8Sanitize

-- UTF-8 text -> one byte per code point (low 8 bits). Strings that are not
-- valid UTF-8 are taken as bytes already.
local function encodeLatin1(s)
  if not s:find("[\128-\255]") or not utf8.len(s) then return s end
  return (s:gsub("[\xC2-\xF4][\x80-\xBF]+", UTF8_TO_LATIN1))
end

local function encodeUtf16le(s)
  s = utf8Sanitize(s)
  local out, n = {}, 0
  for _, cp in utf8.codes(s) do
    n = n + 1
    if cp < 0x10000 then
      out[n] = pack("<I2", cp)
    else
      cp = cp - 0x10000
      out[n] = pack("<I2I2", 0xD800 | cp >> 10, 0xDC00 | cp & 0x3FF)
    end
  end
  return concat(out, "", 1, n)
end

local function decodeUtf16le(s)
  local out, n = {}, 0
  local len = #s - #s % 2
  local i = 1
  while i <= len do
    local u = byte(s, i) | byte(s, i + 1) << 8
    i = i + 2
    if u >= 0xD800 and u <= 0xDBFF and i <= len then
      local u2 = byte(s, i) | byte(s, i + 1) << 8
      if u2 >= 0xDC00 and u2 <= 0xDFFF then
        u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00)
        i = i + 2
      end
    end
    if u >= 0xD800 and u <= 0xDFFF then u = 0xFFFD end
    n = n + 1
    out[n] = utf8.char(u)
  end
  return concat(out, "", 1, n)
end

---------------------------------------------------------------------------
-- encodings

local ENCODINGS = {
  utf8 = "utf8", ["utf-8"] = "utf8",
  hex = "hex",
  base64 = "base64", base64url = "base64url",
  latin1 = "latin1", binary = "latin1",
  ascii = "ascii",
  utf16le = "utf16le", ["utf-16le"] = "utf16le", ucs2 = "utf16le", ["ucs-2"] = "utf16le",
}

local function normEncoding(enc)
  if enc == nil then return "utf8" end
  local e = type(enc) == "string" and ENCODINGS[enc:lower()]
  if not e then
    errors.throw("ERR_UNKNOWN_ENCODING", "Unknown encoding: " .. tostring(enc),
      { name = "TypeError" })
  end
  return e
end

-- isEncoding(e) -> true when e names an encoding this module knows.
function M.isEncoding(enc)
  return type(enc) == "string" and ENCODINGS[enc:lower()] ~= nil
end

local DECODE = { -- string in the encoding -> bytes
  utf8 = function(s) return s end,
  hex = decodeHexLenient,
  base64 = decode64,
  base64url = decode64,
  latin1 = encodeLatin1,
  ascii = encodeLatin1,
  utf16le = encodeUtf16le,
}

local ENCODE = { -- bytes -> string in the encoding
  utf8 = utf8Sanitize,
  hex = function(s) return (s:gsub(".", HEX)) end,
  base64 = function(s) return encode64(s, PAIR_STD, true) end,
  base64url = function(s) return encode64(s, PAIR_URL, false) end,
  latin1 = function(s) return (s:gsub("[\128-\255]", LATIN1_TO_UTF8)) end,
  ascii = function(s) return (s:gsub("[\128-\255]", ASCII_MASK)) end,
  utf16le = decodeUtf16le,
}

-- A list of numbers -> bytes; each value is taken modulo 256 as Node's
-- Uint8 conversion does (non-numbers become 0, numeric strings convert).
local function fromList(list)
  local n = #list
  local out, on = {}, 0
  local codes = {}
  local CH = 4096
  for i = 1, n, CH do
    local j = min(i + CH - 1, n)
    local cn = 0
    for k = i, j do
      local v = list[k]
      if type(v) == "string" then v = tonumber(v) end
      local b = 0
      if type(v) == "number" then
        local iv = toInteger(v)
        if iv then b = iv & 255
        elseif v == v and v ~= math.huge and v ~= -math.huge then
          b = floor(math.fmod(v >= 0 and floor(v) or -floor(-v), 256)) & 255
        end
      end
      cn = cn + 1
      codes[cn] = b
    end
    on = on + 1
    out[on] = char(tunpack(codes, 1, cn))
  end
  return concat(out, "", 1, on)
end

-- from(value[, encoding]) -> bytes. value: a string in `encoding` (default
-- "utf8") or a list of byte numbers.
function M.from(value, encoding)
  if type(value) == "string" then
    return DECODE[normEncoding(encoding)](value)
  elseif type(value) == "table" then
    return fromList(value)
  end
  errors.invalidArgType("value", "a string or a list of byte numbers", value)
end

-- Node's index clamping for start/end arguments (0-based, end exclusive;
-- negative values count from the end when `negative` is set).
local function clampRange(len, s, e, negative)
  s = s == nil and 0 or toInteger(s) or 0
  e = e == nil and len or toInteger(e) or len
  if negative then
    if s < 0 then s = max(len + s, 0) end
    if e < 0 then e = max(len + e, 0) end
  end
  s = min(max(s, 0), len)
  e = min(max(e, 0), len)
  return s, e
end

-- toString(s[, encoding[, start[, end]]]) -> s in `encoding` (default
-- "utf8": ill-formed sequences become U+FFFD). start/end as Node (0-based).
function M.toString(s, encoding, startPos, endPos)
  checkString(s, "buffer")
  local enc = normEncoding(encoding)
  if startPos ~= nil or endPos ~= nil then
    local a, b = clampRange(#s, startPos, endPos, false)
    s = b > a and sub(s, a + 1, b) or ""
  end
  return ENCODE[enc](s)
end

-- slice(s[, start[, end]]) -> bytes start..end-1 (0-based; negative values
-- count from the end), as buf.subarray.
function M.slice(s, startPos, endPos)
  checkString(s, "buffer")
  local a, b = clampRange(#s, startPos, endPos, true)
  return b > a and sub(s, a + 1, b) or ""
end
M.subarray = M.slice

-- indexOf(s, value[, byteOffset]) -> 0-based index of value (a string or a
-- byte number) in s, or -1.
function M.indexOf(s, value, byteOffset)
  checkString(s, "buffer")
  if type(value) == "number" then
    value = char((toInteger(value) or 0) & 255)
  elseif type(value) ~= "string" then
    errors.invalidArgType("value", "a string or a byte number", value)
  end
  local off = byteOffset and toInteger(byteOffset) or 0
  if off < 0 then off = max(#s + off, 0) end
  if off > #s then return -1 end
  local i = s:find(value, off + 1, true)
  return i and i - 1 or -1
end

function M.includes(s, value, byteOffset)
  return M.indexOf(s, value, byteOffset) ~= -1
end

-- isBuffer(v) -> true for strings (a Lua string is a Buffer).
function M.isBuffer(v)
  return type(v) == "string"
end

-- byteLength(s[, encoding]) -> bytes that s stands for in `encoding`.
function M.byteLength(s, encoding)
  checkString(s, "string")
  local enc = normEncoding(encoding)
  if enc == "utf8" then return #s end
  if enc == "hex" then return #s >> 1 end
  if enc == "base64" or enc == "base64url" then
    local n = #s
    if n > 0 and byte(s, n) == 61 then n = n - 1 end
    if n > 0 and byte(s, n) == 61 then n = n - 1 end
    return (n * 3) >> 2
  end
  return #DECODE[enc](s)
end

-- concat(list[, totalLength]) -> the strings of list joined; cut to (or
-- zero-filled up to) totalLength when given.
function M.concat(list, totalLength)
  if type(list) ~= "table" then
    errors.invalidArgType("list", "a list of strings", list)
  end
  for i = 1, #list do
    if type(list[i]) ~= "string" then
      errors.invalidArgType("list[" .. (i - 1) .. "]", "of type string", list[i])
    end
  end
  local s = concat(list)
  if totalLength == nil then return s end
  if type(totalLength) ~= "number" then
    errors.invalidArgType("length", "of type number", totalLength)
  end
  local n = toInteger(totalLength)
  if not n or n < 0 then errors.outOfRange("length", ">= 0", totalLength) end
  if n < #s then return sub(s, 1, n) end
  if n > #s then return s .. rep("\0", n - #s) end
  return s
end

-- compare(a, b) -> -1, 0 or 1, comparing bytes (not the locale).
function M.compare(a, b)
  checkString(a, "buf1")
  checkString(b, "buf2")
  if a == b then return 0 end
  local la, lb = #a, #b
  local m = min(la, lb)
  local i = 1
  while i <= m do
    local j = min(i + 4095, m)
    if sub(a, i, j) ~= sub(b, i, j) then
      for k = i, j do
        local x, y = byte(a, k), byte(b, k)
        if x ~= y then return x < y and -1 or 1 end
      end
    end
    i = j + 1
  end
  if la == lb then return 0 end
  return la < lb and -1 or 1
end

-- equals(a, b) -> true when a and b hold the same bytes.
function M.equals(a, b)
  checkString(a, "buf1")
  checkString(b, "buf2")
  return a == b
end

-- alloc(size[, fill[, encoding]]) -> size bytes: zeros, or fill repeated
-- (a byte number, or a string in `encoding`).
function M.alloc(size, fill, encoding)
  if type(size) ~= "number" then errors.invalidArgType("size", "of type number", size) end
  local n = toInteger(size)
  if not n or n < 0 then errors.outOfRange("size", ">= 0", size) end
  if fill == nil or n == 0 then return rep("\0", n) end
  local pat
  if type(fill) == "number" then
    pat = char((toInteger(fill) or 0) & 255)
  elseif type(fill) == "boolean" then
    pat = fill and "\1" or "\0"
  elseif type(fill) == "string" then
    if fill == "" then return rep("\0", n) end
    pat = DECODE[normEncoding(encoding)](fill)
    if pat == "" then invalidValue("value", "is invalid", fill) end
  else
    errors.invalidArgType("fill", "a string or a byte number", fill)
  end
  if #pat == 1 then return rep(pat, n) end
  return sub(rep(pat, n // #pat + 1), 1, n)
end

---------------------------------------------------------------------------
-- fixed-width numbers

local function checkOffset(s, offset, size)
  if offset == nil then offset = 0 end
  if type(offset) ~= "number" then
    errors.invalidArgType("offset", "of type number", offset)
  end
  local o = math.tointeger(offset)
  if not o then errors.outOfRange("offset", "an integer", offset) end
  if #s < size then
    errors.throw("ERR_BUFFER_OUT_OF_BOUNDS", "Attempt to access memory outside buffer bounds",
      { name = "RangeError" })
  end
  if o < 0 or o > #s - size then
    errors.outOfRange("offset", string.format(">= 0 and <= %d", #s - size), offset)
  end
  return o
end

local function reader(fmt, size)
  return function(s, offset)
    checkString(s, "buffer")
    local o = checkOffset(s, offset, size)
    return (unpack(fmt, s, o + 1))
  end
end

local function rangeText(lo, hi, size)
  if size > 4 then
    local bits = size * 8
    if lo == 0 then return string.format(">= 0 and < 2 ** %d", bits) end
    return string.format(">= -(2 ** %d) and < 2 ** %d", bits - 1, bits - 1)
  end
  return string.format(">= %d and <= %d", lo, hi)
end

local function writer(fmt, size, lo, hi)
  return function(s, value, offset)
    checkString(s, "buffer")
    if type(value) ~= "number" then
      errors.invalidArgType("value", "of type number", value)
    end
    local o = checkOffset(s, offset, size)
    local v = value
    if lo then
      if v ~= v or v < lo or v > hi then
        errors.outOfRange("value", rangeText(lo, hi, size), value)
      end
      v = toInteger(v)
    end
    return sub(s, 1, o) .. pack(fmt, v) .. sub(s, o + size + 1), o + size
  end
end

local FIXED = {
  -- name, size, format (without endianness), min, max
  { "UInt8", 1, "I1", 0, 0xFF },
  { "Int8", 1, "i1", -0x80, 0x7F },
  { "UInt16", 2, "I2", 0, 0xFFFF },
  { "Int16", 2, "i2", -0x8000, 0x7FFF },
  { "UInt32", 4, "I4", 0, 0xFFFFFFFF },
  { "Int32", 4, "i4", -0x80000000, 0x7FFFFFFF },
  { "BigInt64", 8, "i8", math.mininteger, math.maxinteger },
  { "Float", 4, "f" },
  { "Double", 8, "d" },
}

for _, f in ipairs(FIXED) do
  local name, size, code, lo, hi = f[1], f[2], f[3], f[4], f[5]
  local variants = size == 1 and { [""] = "<" } or { BE = ">", LE = "<" }
  for suffix, endian in pairs(variants) do
    local r, w = reader(endian .. code, size), writer(endian .. code, size, lo, hi)
    M["read" .. name .. suffix], M["write" .. name .. suffix] = r, w
    if name:find("^UInt") then -- Node's lower-case aliases: readUint16BE, ...
      local alias = "Uint" .. name:sub(5) .. suffix
      M["read" .. alias], M["write" .. alias] = r, w
    end
  end
end

-- readUIntBE(s, offset, byteLength) and friends: 1..6-byte integers.
local function varReader(endian, signed)
  return function(s, offset, byteLength)
    checkString(s, "buffer")
    local n = math.tointeger(byteLength)
    if not n or n < 1 or n > 6 then
      errors.outOfRange("byteLength", ">= 1 and <= 6", byteLength)
    end
    local o = checkOffset(s, offset, n)
    return (unpack(endian .. (signed and "i" or "I") .. n, s, o + 1))
  end
end

local function varWriter(endian, signed)
  return function(s, value, offset, byteLength)
    checkString(s, "buffer")
    local n = math.tointeger(byteLength)
    if not n or n < 1 or n > 6 then
      errors.outOfRange("byteLength", ">= 1 and <= 6", byteLength)
    end
    if type(value) ~= "number" then errors.invalidArgType("value", "of type number", value) end
    local o = checkOffset(s, offset, n)
    local bits = 8 * n
    local lo, hi
    if signed then lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else lo, hi = 0, (1 << bits) - 1 end
    if value ~= value or value < lo or value > hi then
      errors.outOfRange("value", rangeText(lo, hi, n), value)
    end
    return sub(s, 1, o) .. pack(endian .. (signed and "i" or "I") .. n, toInteger(value))
      .. sub(s, o + n + 1), o + n
  end
end

M.readUIntBE, M.readUIntLE = varReader(">", false), varReader("<", false)
M.readIntBE, M.readIntLE = varReader(">", true), varReader("<", true)
M.writeUIntBE, M.writeUIntLE = varWriter(">", false), varWriter("<", false)
M.writeIntBE, M.writeIntLE = varWriter(">", true), varWriter("<", true)
M.readUintBE, M.readUintLE = M.readUIntBE, M.readUIntLE
M.writeUintBE, M.writeUintLE = M.writeUIntBE, M.writeUIntLE

return M
