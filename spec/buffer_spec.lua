-- luatls.buffer: a Lua string is a Buffer
local buffer = require("luatls.buffer")

local function allBytes()
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  return table.concat(t)
end

local function randomBytes(n, seed)
  math.randomseed(seed)
  local t = {}
  for i = 1, n // 8 do t[i] = string.pack("<j", math.random(0)) end
  return (table.concat(t) .. string.rep("\0", n % 8)):sub(1, n)
end

-- pcall f and return the error object it raised
local function raises(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  assert.are.equal("table", type(e), "expected an error object, got " .. tostring(e))
  return e
end

local ALL = allBytes()

describe("buffer", function()
  describe("hex", function()
    it("encodes RFC 4648 base16 vectors (lower case, as Node)", function()
      local vectors = { [""] = "", f = "66", fo = "666f", foo = "666f6f",
        foob = "666f6f62", fooba = "666f6f6261", foobar = "666f6f626172" }
      for plain, hex in pairs(vectors) do
        assert.are.equal(hex, buffer.toHex(plain))
        assert.are.equal(plain, buffer.fromHex(hex))
        assert.are.equal(plain, buffer.fromHex(hex:upper()))
      end
    end)

    it("round-trips all 256 byte values", function()
      local h = buffer.toHex(ALL)
      assert.are.equal(512, #h)
      assert.are.equal("000102", h:sub(1, 6))
      assert.are.equal("fdfeff", h:sub(-6))
      assert.are.equal(ALL, buffer.fromHex(h))
      assert.are.equal(ALL, buffer.fromHex(h:upper()))
    end)

    it("accepts mixed case", function()
      assert.are.equal("\xab\xcd", buffer.fromHex("aBCd"))
    end)

    it("rejects an odd length with ERR_INVALID_ARG_VALUE", function()
      local e = raises(buffer.fromHex, "abc")
      assert.are.equal("ERR_INVALID_ARG_VALUE", e.code)
      assert.are.equal("TypeError", e.name)
    end)

    it("rejects characters that are not hex digits", function()
      for _, bad in ipairs({ "zz", "0g", "ab c", "12\n4", "-1", "0x12" }) do
        local e = raises(buffer.fromHex, bad)
        assert.are.equal("ERR_INVALID_ARG_VALUE", e.code)
      end
    end)

    it("rejects non-strings with ERR_INVALID_ARG_TYPE", function()
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.fromHex, 12).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.toHex, nil).code)
    end)

    it("from(s, 'hex') is lenient like Node: stops at the first bad pair", function()
      assert.are.equal("\xab", buffer.from("abzz", "hex"))
      assert.are.equal("\xab", buffer.from("abc", "hex"))
      assert.are.equal("", buffer.from("zzab", "hex"))
      assert.are.equal("\x12\x34", buffer.from("1234", "hex"))
    end)
  end)

  describe("base64", function()
    it("encodes and decodes the RFC 4648 vectors", function()
      local vectors = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
      }
      for _, v in ipairs(vectors) do
        assert.are.equal(v[2], buffer.toBase64(v[1]))
        assert.are.equal(v[1], buffer.fromBase64(v[2]))
        assert.are.equal(v[2], buffer.toString(v[1], "base64"))
        assert.are.equal(v[1], buffer.from(v[2], "base64"))
      end
    end)

    it("encodes base64url without padding", function()
      local vectors = { { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "\251\255\191", "-_-_" }, { "\255\254", "__4" } }
      for _, v in ipairs(vectors) do
        assert.are.equal(v[2], buffer.toBase64url(v[1]))
        assert.are.equal(v[2], buffer.toString(v[1], "base64url"))
        assert.are.equal(v[1], buffer.fromBase64(v[2]))
        assert.are.equal(v[1], buffer.from(v[2], "base64url"))
      end
      assert.are.equal("+/+/", buffer.toBase64("\251\255\191"))
    end)

    it("round-trips all 256 byte values with both alphabets", function()
      local b = buffer.toBase64(ALL)
      assert.are.equal(344, #b)
      assert.are.equal("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", b:sub(1, 44))
      assert.are.equal("/w==", b:sub(-4))
      assert.are.equal(ALL, buffer.fromBase64(b))
      local u = buffer.toBase64url(ALL)
      assert.falsy(u:find("[+/=]"))
      assert.are.equal(b:gsub("=", ""):gsub("%+", "-"):gsub("/", "_"), u)
      assert.are.equal(ALL, buffer.fromBase64(u))
    end)

    it("round-trips every length from 0 to 40", function()
      local src = randomBytes(40, 7)
      for n = 0, 40 do
        local s = src:sub(1, n)
        assert.are.equal(s, buffer.fromBase64(buffer.toBase64(s)))
        assert.are.equal(s, buffer.fromBase64(buffer.toBase64url(s)))
        assert.are.equal(4 * math.ceil(n / 3), #buffer.toBase64(s))
      end
    end)

    it("accepts missing padding", function()
      assert.are.equal("a", buffer.fromBase64("YQ"))
      assert.are.equal("ab", buffer.fromBase64("YWI"))
      assert.are.equal("foob", buffer.fromBase64("Zm9vYg"))
    end)

    it("ignores whitespace", function()
      assert.are.equal("foobar", buffer.fromBase64("Zm9v\nYmFy\n"))
      assert.are.equal("foob", buffer.fromBase64(" Zm 9v\tYg = =\r\n"))
    end)

    it("mixes both alphabets", function()
      assert.are.equal(buffer.fromBase64("+/+/"), buffer.fromBase64("-_+/"))
    end)

    it("drops a lone trailing character and ends at '='", function()
      assert.are.equal("", buffer.fromBase64("Y"))
      assert.are.equal("foo", buffer.fromBase64("Zm9vY"))
      assert.are.equal("a", buffer.fromBase64("YQ==Zm9v"))
    end)

    it("rejects non-strings", function()
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.fromBase64, {}).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.toBase64, 1).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.toBase64url, false).code)
    end)
  end)

  describe("on 1 MiB of random data", function()
    local data = randomBytes(1 << 20, 4242)

    it("round-trips hex", function()
      local h = buffer.toHex(data)
      assert.are.equal(2 * #data, #h)
      assert.are.equal(data, buffer.fromHex(h))
    end)

    it("round-trips base64 and base64url", function()
      local b = buffer.toBase64(data)
      assert.are.equal(4 * math.ceil(#data / 3), #b)
      assert.are.equal(data, buffer.fromBase64(b))
      assert.are.equal(data, buffer.fromBase64(buffer.toBase64url(data)))
    end)

    it("decodes base64 wrapped at 76 columns (PEM style)", function()
      local wrapped = buffer.toBase64(data):gsub(("."):rep(76), "%0\n")
      assert.are.equal(data, buffer.fromBase64(wrapped))
    end)

    it("does each conversion in well under a second", function()
      local t0 = os.clock()
      buffer.fromHex(buffer.toHex(data))
      buffer.fromBase64(buffer.toBase64(data))
      assert.is_true(os.clock() - t0 < 2 * require("spec.helper").SLOW)
    end)

    it("compares by bytes", function()
      local other = data:sub(1, -2) .. string.char((data:byte(-1) + 1) % 256)
      local expect = data:byte(-1) < other:byte(-1) and -1 or 1
      assert.are.equal(expect, buffer.compare(data, other))
      assert.are.equal(-expect, buffer.compare(other, data))
      assert.are.equal(0, buffer.compare(data, data .. ""))
    end)
  end)

  describe("latin1, ascii, utf8, utf16le", function()
    it("toString latin1 gives each byte as a code point (UTF-8 text)", function()
      assert.are.equal("éÿA", buffer.toString("\xe9\xffA", "latin1"))
      assert.are.equal("é", buffer.toString("\xe9", "binary"))
    end)

    it("from latin1 keeps the low byte of each code point", function()
      assert.are.equal("\xe9\xac", buffer.from("é€", "latin1"))
      assert.are.equal("\xe9", buffer.from("é", "binary"))
      assert.are.equal("\x00", buffer.from("\u{10000}", "latin1"))
      assert.are.equal("abc", buffer.from("abc", "latin1"))
    end)

    it("latin1 round-trips all 256 bytes", function()
      assert.are.equal(ALL, buffer.from(buffer.toString(ALL, "latin1"), "latin1"))
      assert.are.equal(ALL, buffer.from(buffer.toString(ALL, "binary"), "binary"))
    end)

    it("takes strings that are not UTF-8 as bytes for latin1", function()
      assert.are.equal("\xe9\xff", buffer.from("\xe9\xff", "latin1"))
    end)

    it("ascii drops the high bit when decoding", function()
      assert.are.equal("iA", buffer.toString("\xe9A", "ascii"))
      assert.are.equal("\xe9", buffer.from("é", "ascii"))
    end)

    it("utf8 keeps valid text as it is", function()
      assert.are.equal("héllo €😀", buffer.toString("héllo €😀"))
      assert.are.equal("héllo", buffer.from("héllo", "utf8"))
      assert.are.equal("x", buffer.toString("x", "UTF-8"))
    end)

    it("utf8 replaces ill-formed sequences with U+FFFD like Node", function()
      local R = "\u{FFFD}"
      assert.are.equal("a" .. R .. "b", buffer.toString("a\xffb"))
      assert.are.equal(R, buffer.toString("\xe2\x82"))          -- cut-off "€"
      assert.are.equal(R .. "x", buffer.toString("\xf0\x9f\x98x")) -- cut-off emoji
      assert.are.equal(R .. R .. R, buffer.toString("\xed\xa0\x80")) -- a surrogate
      assert.are.equal(R .. R, buffer.toString("\xc0\xaf"))     -- overlong
      assert.are.equal(R .. R, buffer.toString("\x80\x80"))     -- stray continuations
      assert.are.equal("é" .. R, buffer.toString("é\xc3"))
    end)

    it("utf16le encodes and decodes, with surrogate pairs", function()
      local b = buffer.from("h€😀", "utf16le")
      assert.are.equal("6800ac203dd800de", buffer.toHex(b))
      assert.are.equal("h€😀", buffer.toString(b, "utf16le"))
      assert.are.equal("h€😀", buffer.toString(b, "ucs2"))
      assert.are.equal("\u{FFFD}", buffer.toString("\x00\xd8", "utf16le")) -- lone surrogate
      assert.are.equal("h", buffer.toString("h\0\1", "utf16le"))             -- odd byte dropped
    end)

    it("rejects unknown encodings", function()
      local e = raises(buffer.toString, "x", "utf7")
      assert.are.equal("ERR_UNKNOWN_ENCODING", e.code)
      assert.are.equal("ERR_UNKNOWN_ENCODING", raises(buffer.from, "x", "nope").code)
      assert.is_true(buffer.isEncoding("HEX"))
      assert.is_true(buffer.isEncoding("binary"))
      assert.is_false(buffer.isEncoding("utf7"))
      assert.is_false(buffer.isEncoding(nil))
    end)
  end)

  describe("from", function()
    it("copies a string with the default utf8 encoding", function()
      assert.are.equal("abc", buffer.from("abc"))
    end)

    it("builds bytes from a list of numbers", function()
      assert.are.equal("\1\2\255", buffer.from({ 1, 2, 255 }))
      assert.are.equal("", buffer.from({}))
    end)

    it("takes list values modulo 256 like Node's Uint8 conversion", function()
      assert.are.equal("\0\255\1\3\0\254", buffer.from({ 256, -1, 1.7, "3", "x", -2.5 }))
    end)

    it("handles long lists", function()
      local list = {}
      for i = 1, 10000 do list[i] = i % 256 end
      local s = buffer.from(list)
      assert.are.equal(10000, #s)
      assert.are.equal(1, s:byte(1))
      assert.are.equal(10000 % 256, s:byte(10000))
    end)

    it("rejects other types", function()
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.from, 5).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.from, nil).code)
    end)
  end)

  describe("toString", function()
    it("takes 0-based start and exclusive end", function()
      assert.are.equal("bc", buffer.toString("abcd", "utf8", 1, 3))
      assert.are.equal("6263", buffer.toString("abcd", "hex", 1, 3))
      assert.are.equal("cd", buffer.toString("abcd", nil, 2))
      assert.are.equal("", buffer.toString("abcd", nil, 3, 1))
      assert.are.equal("abcd", buffer.toString("abcd", nil, -5, 99))
    end)
  end)

  describe("slice and indexOf", function()
    it("slice uses 0-based offsets and negative ones from the end", function()
      assert.are.equal("bc", buffer.slice("abcd", 1, 3))
      assert.are.equal("cd", buffer.slice("abcd", -2))
      assert.are.equal("abc", buffer.slice("abcd", 0, -1))
      assert.are.equal("", buffer.slice("abcd", 3, 2))
      assert.are.equal("abcd", buffer.slice("abcd"))
      assert.are.equal(buffer.slice, buffer.subarray)
    end)

    it("indexOf finds strings and bytes, 0-based", function()
      assert.are.equal(2, buffer.indexOf("ab.cd.", "."))
      assert.are.equal(5, buffer.indexOf("ab.cd.", ".", 3))
      assert.are.equal(-1, buffer.indexOf("ab.cd.", "x"))
      assert.are.equal(1, buffer.indexOf("a\255b", 255))
      assert.are.equal(0, buffer.indexOf("a.b", "a.", 0)) -- plain, not a pattern
      assert.are.equal(5, buffer.indexOf("ab.cd.", ".", -1))
      assert.is_true(buffer.includes("hello", "ell"))
      assert.is_false(buffer.includes("hello", "xyz"))
    end)
  end)

  describe("byteLength", function()
    it("counts bytes for utf8 and decoded bytes for other encodings", function()
      assert.are.equal(2, buffer.byteLength("é"))
      assert.are.equal(1, buffer.byteLength("é", "latin1"))
      assert.are.equal(2, buffer.byteLength("abcd", "hex"))
      assert.are.equal(2, buffer.byteLength("aGk=", "base64"))
      assert.are.equal(6, buffer.byteLength("Zm9vYmFy", "base64"))
      assert.are.equal(4, buffer.byteLength("h€", "utf16le"))
      assert.are.equal(0, buffer.byteLength(""))
    end)

    it("rejects non-strings", function()
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.byteLength, 3).code)
    end)
  end)

  describe("concat", function()
    it("joins a list", function()
      assert.are.equal("abcdef", buffer.concat({ "ab", "", "cdef" }))
      assert.are.equal("", buffer.concat({}))
    end)

    it("truncates to totalLength", function()
      assert.are.equal("abc", buffer.concat({ "ab", "cdef" }, 3))
      assert.are.equal("", buffer.concat({ "ab" }, 0))
    end)

    it("zero-fills up to a larger totalLength, as Node", function()
      assert.are.equal("ab\0\0", buffer.concat({ "ab" }, 4))
    end)

    it("rejects bad arguments", function()
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.concat, "ab").code)
      local e = raises(buffer.concat, { "a", 2 })
      assert.are.equal("ERR_INVALID_ARG_TYPE", e.code)
      assert.truthy(e.message:find("list[1]", 1, true))
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.concat, { "a" }, -1).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.concat, { "a" }, "2").code)
    end)
  end)

  describe("compare and equals", function()
    it("compares bytes unsigned", function()
      assert.are.equal(-1, buffer.compare("a", "b"))
      assert.are.equal(1, buffer.compare("b", "a"))
      assert.are.equal(0, buffer.compare("abc", "abc"))
      assert.are.equal(-1, buffer.compare("a", "ab"))
      assert.are.equal(1, buffer.compare("ab", "a"))
      assert.are.equal(1, buffer.compare("\x80", "\x7f"))
      assert.are.equal(-1, buffer.compare("\0", "\0\0"))
      assert.are.equal(-1, buffer.compare("", "\0"))
      assert.are.equal(1, buffer.compare("a\0b", "a\0a"))
    end)

    it("equals", function()
      assert.is_true(buffer.equals("a\0b", "a\0b"))
      assert.is_false(buffer.equals("a", "b"))
    end)

    it("rejects non-strings", function()
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.compare, "a", 1).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.equals, nil, "a").code)
    end)
  end)

  describe("alloc", function()
    it("makes zeros", function()
      assert.are.equal("\0\0\0", buffer.alloc(3))
      assert.are.equal("", buffer.alloc(0))
    end)

    it("fills with a byte number", function()
      assert.are.equal("AAAA", buffer.alloc(4, 0x41))
      assert.are.equal("\1\1", buffer.alloc(2, 257))
    end)

    it("repeats a fill string, in an encoding", function()
      assert.are.equal("ababa", buffer.alloc(5, "ab"))
      assert.are.equal("abab", buffer.alloc(4, "6162", "hex"))
      assert.are.equal("\0\0", buffer.alloc(2, ""))
    end)

    it("rejects bad sizes and fills", function()
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.alloc, -1).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.alloc, "3").code)
      assert.are.equal("ERR_INVALID_ARG_VALUE", raises(buffer.alloc, 2, "zz", "hex").code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.alloc, 2, {}).code)
    end)
  end)

  describe("isBuffer", function()
    it("is true for strings", function()
      assert.is_true(buffer.isBuffer(""))
      assert.is_false(buffer.isBuffer({}))
    end)
  end)

  describe("fixed-width integers", function()
    local s = "\xde\xad\xbe\xef\x01\x02"

    it("read unsigned big- and little-endian at 0-based offsets", function()
      assert.are.equal(0xde, buffer.readUInt8(s))
      assert.are.equal(0xad, buffer.readUInt8(s, 1))
      assert.are.equal(0xdead, buffer.readUInt16BE(s))
      assert.are.equal(0xadde, buffer.readUInt16LE(s))
      assert.are.equal(0xef01, buffer.readUInt16BE(s, 3))
      assert.are.equal(0xdeadbeef, buffer.readUInt32BE(s))
      assert.are.equal(0xefbeadde, buffer.readUInt32LE(s))
      assert.are.equal(0xbeef0102, buffer.readUInt32BE(s, 2))
      assert.are.equal(buffer.readUInt16BE, buffer.readUint16BE)
    end)

    it("read signed values", function()
      assert.are.equal(-1, buffer.readInt8("\xff"))
      assert.are.equal(-2, buffer.readInt16BE("\xff\xfe"))
      assert.are.equal(-257, buffer.readInt16LE("\xff\xfe"))
      assert.are.equal(-559038737, buffer.readInt32BE(s))
      assert.are.equal(-1, buffer.readBigInt64LE(string.rep("\xff", 8)))
    end)

    it("read floats and doubles", function()
      assert.are.equal(1.5, buffer.readDoubleBE(string.pack(">d", 1.5)))
      assert.are.equal(-0.25, buffer.readDoubleLE(string.pack("<d", -0.25)))
      assert.are.equal(0.5, buffer.readFloatBE(string.pack(">f", 0.5)))
    end)

    it("read variable-width integers", function()
      assert.are.equal(0xdeadbe, buffer.readUIntBE(s, 0, 3))
      assert.are.equal(0xbeadde, buffer.readUIntLE(s, 0, 3))
      assert.are.equal(-0x215242, buffer.readIntBE(s, 0, 3))
      assert.are.equal(0xdeadbeef0102, buffer.readUIntBE(s, 0, 6))
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.readUIntBE, s, 0, 7).code)
    end)

    it("reject offsets outside the string", function()
      local e = raises(buffer.readUInt16BE, "\0\0\0", 2)
      assert.are.equal("ERR_OUT_OF_RANGE", e.code)
      assert.are.equal("RangeError", e.name)
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.readUInt8, "\0", -1).code)
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.readUInt8, "\0\0", 0.5).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.readUInt8, "\0", "0").code)
      assert.are.equal("ERR_BUFFER_OUT_OF_BOUNDS", raises(buffer.readUInt32BE, "\0\0\0").code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.readUInt8, 5).code)
    end)

    it("write into a new string and return the next offset", function()
      local z = buffer.alloc(6)
      local out, next = buffer.writeUInt16BE(z, 0x0102, 1)
      assert.are.equal("\0\1\2\0\0\0", out)
      assert.are.equal(3, next)
      assert.are.equal(string.rep("\0", 6), z) -- the original is unchanged
      assert.are.equal("\xde\xad\xbe\xef", (buffer.writeUInt32BE("\0\0\0\0", 0xdeadbeef)))
      assert.are.equal("\xef\xbe\xad\xde", (buffer.writeUInt32LE("\0\0\0\0", 0xdeadbeef)))
      assert.are.equal("\xff\xfe", (buffer.writeInt16BE("\0\0", -2)))
      assert.are.equal("x\xff", (buffer.writeInt8("xx", -1, 1)))
      assert.are.equal(string.pack(">d", 2.5), (buffer.writeDoubleBE(buffer.alloc(8), 2.5)))
      assert.are.equal("\0\1\2", (buffer.writeUIntBE("\0\0\0", 0x0102, 0, 3)))
      assert.are.equal("\xfe\xff\xff", (buffer.writeIntLE("\0\0\0", -2, 0, 3)))
    end)

    it("round-trip through read and write", function()
      for _, v in ipairs({ 0, 1, 0x7fffffff, 0x80000000, 0xffffffff }) do
        assert.are.equal(v, buffer.readUInt32LE((buffer.writeUInt32LE("\0\0\0\0", v))))
      end
      for _, v in ipairs({ -0x80000000, -1, 0, 0x7fffffff }) do
        assert.are.equal(v, buffer.readInt32BE((buffer.writeInt32BE("\0\0\0\0", v))))
      end
    end)

    it("truncate fractional values, as Node", function()
      assert.are.equal("\0\1", (buffer.writeUInt16BE("\0\0", 1.9)))
    end)

    it("reject values out of range", function()
      local e = raises(buffer.writeUInt16BE, "\0\0", 65536)
      assert.are.equal("ERR_OUT_OF_RANGE", e.code)
      assert.truthy(e.message:find(">= 0 and <= 65535", 1, true))
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.writeUInt8, "\0", -1).code)
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.writeInt8, "\0", 128).code)
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.writeUInt32BE, "\0\0\0\0", 2 ^ 32).code)
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.writeUInt8, "\0", 0 / 0).code)
      assert.are.equal("ERR_INVALID_ARG_TYPE", raises(buffer.writeUInt8, "\0", "1").code)
      assert.are.equal("ERR_OUT_OF_RANGE", raises(buffer.writeUInt16BE, "\0\0\0", 1, 2).code)
      assert.are.equal("ERR_OUT_OF_RANGE",
        raises(buffer.writeUIntBE, "\0\0\0", 0x1000000, 0, 3).code)
    end)
  end)
end)
