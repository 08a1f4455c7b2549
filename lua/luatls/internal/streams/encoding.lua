-- luatls.internal.streams.encoding: the encodings a stream knows (names,
-- text <-> bytes through luatls.buffer) and Node's StringDecoder, which
-- setEncoding() puts on a Readable. A string is bytes; an encoding only
-- matters where Node turns bytes into text (setEncoding) or text into bytes
-- (write(s, "hex")).
local errors = require("luatls.errors")

local M = {}

local ENCODINGS = {
  utf8 = "utf8", ["utf-8"] = "utf8",
  hex = "hex",
  base64 = "base64", base64url = "base64url",
  latin1 = "latin1", binary = "latin1",
  ascii = "ascii",
  utf16le = "utf16le", ["utf-16le"] = "utf16le", ucs2 = "utf16le", ["ucs-2"] = "utf16le",
  buffer = "buffer",
}

function M.normalizeEncoding(enc)
  if type(enc) ~= "string" then return nil end
  return ENCODINGS[enc:lower()]
end

function M.unknownEncoding(enc)
  error(errors.TypeError("ERR_UNKNOWN_ENCODING", "Unknown encoding: " .. tostring(enc)), 3)
end
local normalizeEncoding, unknownEncoding = M.normalizeEncoding, M.unknownEncoding

-- luatls.buffer does the conversions (it knows every encoding Node does);
-- it is loaded when first needed.
local bufferFrom, bufferToString
local function loadBuffer()
  local buffer = require("luatls.buffer")
  bufferFrom, bufferToString = buffer.from, buffer.toString
end

-- Text in encoding `enc` (normalized) -> bytes: Node's Buffer.from(s, enc).
function M.toBytes(s, enc)
  if enc == "buffer" then return s end
  if bufferFrom == nil then loadBuffer() end
  return bufferFrom(s, enc)
end

-- Bytes -> text in encoding `enc` (normalized): Node's buf.toString(enc).
local function fromBytes(s, enc)
  if bufferToString == nil then loadBuffer() end
  return bufferToString(s, enc)
end
M.fromBytes = fromBytes

-- Splits s into the part made of whole UTF-8 characters and an incomplete
-- character at its end (kept for the next chunk).
local function splitUtf8(s)
  local n = #s
  for k = 1, math.min(3, n) do
    local b = s:byte(n - k + 1)
    if b < 0x80 then return s, "" end
    if b >= 0xC0 then
      local need = b >= 0xF0 and 4 or b >= 0xE0 and 3 or 2
      if need > k then return s:sub(1, n - k), s:sub(n - k + 1) end
      return s, ""
    end
  end
  return s, ""
end

-- Node's StringDecoder: bytes in, text out, never cutting a character
-- (utf8, utf16le) or a 3-byte group (base64) across chunks.
local Decoder = {}
Decoder.__index = Decoder

function M.newDecoder(enc)
  local encoding = enc == nil and "utf8" or normalizeEncoding(enc)
  if encoding == nil or encoding == "buffer" then unknownEncoding(enc) end
  return setmetatable({ encoding = encoding, rest = "" }, Decoder)
end

-- How many bytes at the end of s (already with the kept rest) to keep back.
local function incompleteTail(s, enc)
  if enc == "utf8" then
    local whole = splitUtf8(s)
    return #s - #whole
  elseif enc == "base64" or enc == "base64url" then
    return #s % 3
  elseif enc == "utf16le" then
    local odd = #s % 2
    local n = #s - odd
    if n >= 2 then
      local unit = s:byte(n - 1) | (s:byte(n) << 8)
      if unit >= 0xD800 and unit <= 0xDBFF then return odd + 2 end -- half a surrogate pair
    end
    return odd
  end
  return 0
end

function Decoder:write(bytes)
  local s = self.rest .. bytes
  local keep = incompleteTail(s, self.encoding)
  self.rest = s:sub(#s - keep + 1)
  return fromBytes(s:sub(1, #s - keep), self.encoding)
end

-- Node's decoder.end(): what is left over, as text.
function Decoder:finish()
  local rest = self.rest
  self.rest = ""
  if rest == "" then return "" end
  if self.encoding == "utf8" then return "\u{FFFD}" end -- an incomplete character
  return fromBytes(rest, self.encoding)
end

return M
