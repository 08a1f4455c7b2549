-- luatls.internal.url.host: the WHATWG URL Standard's host parser and
-- serializer: domains (through internal/url/idna.lua), IPv4 in all its
-- forms (0x7f.1, 017700000001, 2130706433), IPv6 (with an IPv4 tail;
-- serialized compressed) and the opaque hosts of non-special URLs.
-- Called by internal/url/whatwg.lua.
--
--   host.parse(input, isOpaque) -> the serialized host ("example.com",
--     "127.0.0.1", "[::1]", an opaque host), or nil: the URL is invalid
local idna = require("luatls.internal.url.idna")
local percent = require("luatls.internal.url.percent")

local byte, fmt, concat = string.byte, string.format, table.concat

local M = {}

-- forbidden host code points; the forbidden domain code points add the C0
-- controls, % and DEL
local FORBIDDEN_HOST = "[\0\t\n\r #/:<>%?@%[\\%]%^|]"
local FORBIDDEN_DOMAIN = "[\0-\31 #%%/:<>%?@%[\\%]%^|\127]"
M.FORBIDDEN_HOST = FORBIDDEN_HOST

---------------------------------------------------------------------------
-- IPv6

local function hexValue(b)
  if b == nil then return nil end
  if b >= 48 and b <= 57 then return b - 48 end
  if b >= 97 and b <= 102 then return b - 87 end
  if b >= 65 and b <= 70 then return b - 55 end
  return nil
end

local function isDigit(b) return b ~= nil and b >= 48 and b <= 57 end

-- parseIPv6(s) -> eight 16-bit pieces, or nil
local function parseIPv6(s)
  local address = { 0, 0, 0, 0, 0, 0, 0, 0 }
  local piece, compress, p = 1, nil, 1
  local function c(at) return byte(s, at or p) end
  if c() == 58 then
    if c(p + 1) ~= 58 then return nil end
    p = p + 2
    piece = piece + 1
    compress = piece
  end
  while c() ~= nil do
    if piece == 9 then return nil end
    if c() == 58 then
      if compress then return nil end
      p = p + 1
      piece = piece + 1
      compress = piece
    else
      local value, length = 0, 0
      while length < 4 and hexValue(c()) do
        value = value * 16 + hexValue(c())
        p = p + 1
        length = length + 1
      end
      if c() == 46 then -- an IPv4 tail
        if length == 0 then return nil end
        p = p - length
        if piece > 7 then return nil end
        local seen = 0
        while c() ~= nil do
          local v4 = nil
          if seen > 0 then
            if c() == 46 and seen < 4 then p = p + 1 else return nil end
          end
          if not isDigit(c()) then return nil end
          while isDigit(c()) do
            local d = c() - 48
            if v4 == nil then v4 = d elseif v4 == 0 then return nil else v4 = v4 * 10 + d end
            if v4 > 255 then return nil end
            p = p + 1
          end
          address[piece] = address[piece] * 0x100 + v4
          seen = seen + 1
          if seen == 2 or seen == 4 then piece = piece + 1 end
        end
        if seen ~= 4 then return nil end
        break
      elseif c() == 58 then
        p = p + 1
        if c() == nil then return nil end
      elseif c() ~= nil then
        return nil
      end
      address[piece] = value
      piece = piece + 1
    end
  end
  if compress then
    local swaps = piece - compress
    piece = 8
    while piece ~= 1 and swaps > 0 do
      local other = compress + swaps - 1
      address[piece], address[other] = address[other], address[piece]
      piece = piece - 1
      swaps = swaps - 1
    end
  elseif piece ~= 9 then
    return nil
  end
  return address
end

local function serializeIPv6(address)
  -- the first longest run of two or more zero pieces is compressed
  local best, bestLen, i = nil, 1, 1
  while i <= 8 do
    if address[i] == 0 then
      local j = i
      while j <= 8 and address[j] == 0 do j = j + 1 end
      if j - i > bestLen then best, bestLen = i, j - i end
      i = j
    else
      i = i + 1
    end
  end
  local out = {}
  i = 1
  while i <= 8 do
    if i == best then
      out[#out + 1] = i == 1 and "::" or ":"
      i = i + bestLen
    else
      out[#out + 1] = fmt("%x", address[i])
      if i ~= 8 then out[#out + 1] = ":" end
      i = i + 1
    end
  end
  return "[" .. concat(out) .. "]"
end

---------------------------------------------------------------------------
-- IPv4

-- the value of one part ("0x7f", "017", "1"), or nil; values are capped so
-- a long part cannot overflow (anything above 2^32 fails the same way)
local CAP = 1 << 40
local function ipv4Number(s)
  if s == "" then return nil end
  local radix = 10
  if s:find("^0[xX]") then
    radix, s = 16, s:sub(3)
  elseif #s >= 2 and s:sub(1, 1) == "0" then
    radix, s = 8, s:sub(2)
  end
  if s == "" then return 0 end
  local pattern = radix == 16 and "^%x+$" or radix == 8 and "^[0-7]+$" or "^%d+$"
  if not s:find(pattern) then return nil end
  local v = 0
  for i = 1, #s do
    v = v * radix + hexValue(byte(s, i))
    if v > CAP then v = CAP end
  end
  return v
end

local function split(s)
  local parts = {}
  for part in (s .. "."):gmatch("([^.]*)%.") do parts[#parts + 1] = part end
  return parts
end

-- endsInNumber(s): is the last label (ignoring one empty last label) a
-- number, so the host must be IPv4?
local function endsInNumber(s)
  local parts = split(s)
  if parts[#parts] == "" then
    if #parts == 1 then return false end
    parts[#parts] = nil
  end
  local last = parts[#parts]
  if last ~= "" and last:find("^%d+$") then return true end
  return ipv4Number(last) ~= nil
end

-- parseIPv4(s) -> the serialized address, or nil
local function parseIPv4(s)
  local parts = split(s)
  if parts[#parts] == "" and #parts > 1 then parts[#parts] = nil end
  if #parts > 4 then return nil end
  local numbers = {}
  for i, part in ipairs(parts) do
    local n = ipv4Number(part)
    if n == nil then return nil end
    numbers[i] = n
  end
  for i = 1, #numbers - 1 do
    if numbers[i] > 255 then return nil end
  end
  local last = numbers[#numbers]
  if last >= 256 ^ (5 - #numbers) then return nil end
  local v = last
  for i = 1, #numbers - 1 do
    v = v + numbers[i] * (1 << (8 * (4 - i)))
  end
  return fmt("%d.%d.%d.%d", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)
end

---------------------------------------------------------------------------

function M.parse(input, isOpaque)
  if byte(input, 1) == 91 then -- [
    if byte(input, #input) ~= 93 then return nil end
    local address = parseIPv6(input:sub(2, -2))
    return address and serializeIPv6(address)
  end
  if isOpaque then
    if input:find(FORBIDDEN_HOST) then return nil end
    return percent.encode(input, percent.SETS.c0)
  end
  local domain = percent.utf8(percent.decode(input))
  local ascii = idna.toASCII(domain)
  if ascii == nil or ascii == "" or ascii:find(FORBIDDEN_DOMAIN) then return nil end
  if endsInNumber(ascii) then return parseIPv4(ascii) end
  return ascii
end

return M
