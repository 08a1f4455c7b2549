-- luatls.internal.url.idna: domain names to ASCII and back: Punycode
-- (RFC 3492) and a part of UTS #46 processing as the WHATWG URL Standard
-- asks for it (non-transitional, CheckHyphens off, UseSTD3ASCIIRules off).
-- Called by internal/url/host.lua (a URL's host) and lua/luatls/url.lua
-- (domainToASCII/domainToUnicode).
--
--   idna.toASCII(domain) -> the ASCII form, or nil where it fails
--   idna.toUnicode(domain) -> each valid "xn--" label decoded
--   idna.punycodeEncode(codepoints) -> string; punycodeDecode(s) -> code
--     points or nil
--
-- The limit: luatls carries no UTS #46 mapping table. What it maps and
-- accepts: ASCII (upper case lowered), the full-width forms U+FF01..FF5E
-- (to ASCII) and the ideographic full stops U+3002, U+FF0E, U+FF61 (to
-- "."), the code points UTS #46 ignores (soft hyphen, zero-width space,
-- word joiner, BOM, variation selectors), the letters of Latin-1 and Latin
-- Extended-A (with × ÷ ·), of Greek and of Cyrillic (upper case lowered;
-- ß and ς kept, as non-transitional processing does; ĳ, ŀ, İ, ŉ, ſ to
-- what they stand for), CJK ideographs, kana, Hangul syllables and the
-- emoji blocks. Any other non-ASCII code point (other
-- scripts, combining marks, which would need NFC, right-to-left letters,
-- which would need the Bidi rule, ZWJ/ZWNJ, which would need the joiner
-- rules) is refused: the URL is invalid (ERR_INVALID_URL) where Node might
-- accept it.
local M = {}

local concat, char = table.concat, utf8.char

---------------------------------------------------------------------------
-- Punycode

local BASE, TMIN, TMAX, SKEW, DAMP = 36, 1, 26, 38, 700
local INITIAL_BIAS, INITIAL_N = 72, 128
local MAXCP = 0x10FFFF

local function adapt(delta, points, first)
  delta = first and delta // DAMP or delta // 2
  delta = delta + delta // points
  local k = 0
  while delta > ((BASE - TMIN) * TMAX) // 2 do
    delta = delta // (BASE - TMIN)
    k = k + BASE
  end
  return k + (BASE - TMIN + 1) * delta // (delta + SKEW)
end

local function threshold(k, bias)
  if k <= bias then return TMIN end
  if k >= bias + TMAX then return TMAX end
  return k - bias
end

local function digitChar(d)
  return string.char(d < 26 and 97 + d or 22 + d) -- a..z, 0..9
end

local function digitValue(b)
  if b >= 48 and b <= 57 then return b - 22 end
  if b >= 65 and b <= 90 then return b - 65 end
  if b >= 97 and b <= 122 then return b - 97 end
  return nil
end

-- punycodeEncode(cps) -> the encoded label (without "xn--")
function M.punycodeEncode(cps)
  local out = {}
  for _, c in ipairs(cps) do
    if c < 0x80 then out[#out + 1] = string.char(c) end
  end
  local basic = #out
  local handled = basic
  if basic > 0 then out[#out + 1] = "-" end
  local n, delta, bias = INITIAL_N, 0, INITIAL_BIAS
  while handled < #cps do
    local m = math.huge
    for _, c in ipairs(cps) do
      if c >= n and c < m then m = c end
    end
    delta = delta + (m - n) * (handled + 1)
    n = m
    for _, c in ipairs(cps) do
      if c < n then delta = delta + 1 end
      if c == n then
        local q, k = delta, BASE
        while true do
          local t = threshold(k, bias)
          if q < t then break end
          out[#out + 1] = digitChar(t + (q - t) % (BASE - t))
          q = (q - t) // (BASE - t)
          k = k + BASE
        end
        out[#out + 1] = digitChar(q)
        bias = adapt(delta, handled + 1, handled == basic)
        delta = 0
        handled = handled + 1
      end
    end
    delta = delta + 1
    n = n + 1
  end
  return concat(out)
end

-- punycodeDecode(s) -> code points, or nil for input that is not Punycode
function M.punycodeDecode(s)
  local out = {}
  local delim = 0
  for i = #s, 1, -1 do
    if s:byte(i) == 45 then delim = i; break end
  end
  for i = 1, delim - 1 do
    local b = s:byte(i)
    if b >= 0x80 then return nil end
    out[#out + 1] = b
  end
  local n, i, bias = INITIAL_N, 0, INITIAL_BIAS
  local pos = delim + 1
  while pos <= #s do
    local old, w, k = i, 1, BASE
    while true do
      local d = digitValue(s:byte(pos) or -1)
      if d == nil then return nil end
      pos = pos + 1
      i = i + d * w
      if i > MAXCP * (#out + 1) then return nil end
      local t = threshold(k, bias)
      if d < t then break end
      w = w * (BASE - t)
      k = k + BASE
      if pos > #s then return nil end
    end
    local count = #out + 1
    bias = adapt(i - old, count, old == 0)
    n = n + i // count
    i = i % count
    if n > MAXCP or (n >= 0xD800 and n <= 0xDFFF) then return nil end
    table.insert(out, i + 1, n)
    i = i + 1
  end
  return out
end

---------------------------------------------------------------------------
-- Mapping (the part of UTS #46 luatls knows)

local DOT = 0x2E
local IGNORED = {
  [0xAD] = true, [0x34F] = true, [0x180B] = true, [0x180C] = true, [0x180D] = true,
  [0x200B] = true, [0x2060] = true, [0xFEFF] = true,
}
-- Greek capitals with tonos, and the ano teleia (to a middle dot)
local GREEK = { [0x386] = 0x3AC, [0x387] = 0xB7, [0x388] = 0x3AD, [0x389] = 0x3AE, [0x38A] = 0x3AF,
  [0x38C] = 0x3CC, [0x38E] = 0x3CD, [0x38F] = 0x3CE }

-- the Latin Extended-A letters that map to two code points (or to s)
local MANY = {
  [0x130] = { 0x69, 0x307 }, [0x132] = { 0x69, 0x6A }, [0x133] = { 0x69, 0x6A }, [0x13F] = { 0x6C, 0xB7 },
  [0x140] = { 0x6C, 0xB7 }, [0x149] = { 0x2BC, 0x6E }, [0x17F] = { 0x73 },
}
-- valid code points outside the letter blocks below (U+0307 only after an
-- i: elsewhere it would need NFC)
local OTHER_VALID = { [0xB7] = true, [0xD7] = true, [0xF7] = true, [0x2BC] = true }

-- map(cp) -> the code point it maps to (false: ignored; a list: more than
-- one), or nil when luatls cannot map it
local function map(c)
  if c < 0x80 then
    if c >= 65 and c <= 90 then return c + 32 end
    return c
  end
  if IGNORED[c] or (c >= 0xFE00 and c <= 0xFE0F) then return false end
  if c == 0x3002 or c == 0xFF0E or c == 0xFF61 then return DOT end
  if c >= 0xFF01 and c <= 0xFF5E then return map(c - 0xFEE0) end
  -- Latin-1 letters
  if (c >= 0xC0 and c <= 0xDE) and c ~= 0xD7 then return c + 32 end
  if (c >= 0xDF and c <= 0xFF) and c ~= 0xF7 then return c end
  if MANY[c] then return MANY[c] end
  if OTHER_VALID[c] then return c end
  -- Latin Extended-A: pairs, upper case first (0138 and 0131 have none)
  if c >= 0x100 and c <= 0x17E then
    if c == 0x131 or c == 0x138 then return c end
    if c == 0x178 then return 0xFF end
    local upperEven = c < 0x139 or (c >= 0x14A and c < 0x179)
    if upperEven == (c % 2 == 0) then return c + 1 end
    return c
  end
  -- Greek
  if GREEK[c] then return GREEK[c] end
  if (c >= 0x391 and c <= 0x3A1) or (c >= 0x3A3 and c <= 0x3AB) then return c + 32 end
  if c >= 0x3AC and c <= 0x3CE then return c end
  if c == 0x390 then return c end
  -- Cyrillic
  if c >= 0x400 and c <= 0x40F then return c + 0x50 end
  if c >= 0x410 and c <= 0x42F then return c + 32 end
  if c >= 0x430 and c <= 0x45F then return c end
  -- CJK ideographs, kana, Hangul syllables
  if (c >= 0x4E00 and c <= 0x9FFF) or (c >= 0x3400 and c <= 0x4DBF)
    or (c >= 0x3041 and c <= 0x3096) or (c >= 0x30A1 and c <= 0x30FA)
    or (c >= 0xAC00 and c <= 0xD7A3) then
    return c
  end
  -- emoji
  if (c >= 0x1F300 and c <= 0x1F64F) or (c >= 0x1F680 and c <= 0x1F6FF) or (c >= 0x1F900 and c <= 0x1F9FF) then
    return c
  end
  return nil
end

local COMBINING_DOT = 0x307

-- valid(cp, previous): a code point a label may hold once mapped (one that
-- maps to itself)
local function valid(c, previous)
  if c == COMBINING_DOT then return previous == 0x69 end
  return map(c) == c
end

-- mapped(domain) -> the labels (lists of code points), or nil
local function mappedLabels(domain)
  local labels, label = {}, {}
  for _, c in utf8.codes(domain) do
    local m
    if c == COMBINING_DOT then
      m = valid(c, label[#label]) and c or nil
    else
      m = map(c)
    end
    if m == nil then return nil end
    if m == DOT then
      labels[#labels + 1] = label
      label = {}
    elseif type(m) == "table" then
      for _, x in ipairs(m) do label[#label + 1] = x end
    elseif m then
      label[#label + 1] = m
    end
  end
  labels[#labels + 1] = label
  return labels
end

local function ascii(label)
  for _, c in ipairs(label) do
    if c >= 0x80 then return false end
  end
  return true
end

local function text(cps)
  local parts = {}
  for i, c in ipairs(cps) do parts[i] = char(c) end
  return concat(parts)
end

-- decoded(labelText) -> the code points of an "xn--" label, or nil when it
-- does not decode to valid code points
local function decoded(s)
  local rest = s:sub(5)
  if rest == "" then return nil end
  local cps = M.punycodeDecode(rest)
  if cps == nil then return nil end
  for i, c in ipairs(cps) do
    if not valid(c, cps[i - 1]) then return nil end
  end
  return cps
end

local function isPunycodeLabel(s)
  return s:sub(1, 4) == "xn--"
end

function M.toASCII(domain)
  if not utf8.len(domain) then return nil end
  -- the Standard's shortcut: ASCII without "xn--" labels is only lowered
  if not domain:find("[\128-\255]") then
    local lower = domain:lower()
    if not (lower:find("^xn%-%-") or lower:find("%.xn%-%-")) then return lower end
  end
  local labels = mappedLabels(domain)
  if labels == nil then return nil end
  local out = {}
  for i, label in ipairs(labels) do
    local s
    if ascii(label) then
      s = text(label)
      if isPunycodeLabel(s) and decoded(s) == nil then return nil end
    elseif label[1] == 120 and label[2] == 110 and label[3] == 45 and label[4] == 45 then
      return nil -- an "xn--" label must be ASCII
    else
      s = "xn--" .. M.punycodeEncode(label)
    end
    out[i] = s
  end
  return concat(out, ".")
end

-- toUnicode(domain): the labels mapped as toASCII maps them (nil where
-- that fails) and each "xn--" label that decodes, decoded.
function M.toUnicode(domain)
  if not utf8.len(domain) then return nil end
  local labels = mappedLabels(domain)
  if labels == nil then return nil end
  local out = {}
  for i, label in ipairs(labels) do
    local s = text(label)
    if isPunycodeLabel(s) then
      local cps = decoded(s)
      if cps then s = text(cps) end
    end
    out[i] = s
  end
  return concat(out, ".")
end

return M
