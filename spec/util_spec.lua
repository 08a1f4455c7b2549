-- luatls.util: inspect and format
local util = require("luatls.util")
local errors = require("luatls.errors")

local inspect, format = util.inspect, util.format

describe("util.inspect", function()
  describe("scalars", function()
    it("prints nil, booleans and integers", function()
      assert.are.equal("nil", inspect(nil))
      assert.are.equal("true", inspect(true))
      assert.are.equal("false", inspect(false))
      assert.are.equal("42", inspect(42))
      assert.are.equal("-7", inspect(-7))
      assert.are.equal(tostring(math.mininteger), inspect(math.mininteger))
    end)

    it("prints integer-valued floats without .0, like Node", function()
      assert.are.equal("3", inspect(3.0))
      assert.are.equal("-3", inspect(-3.0))
      assert.are.equal("1099511627776", inspect(2.0 ^ 40))
      assert.are.equal("-0", inspect(-0.0))
      assert.are.equal("0", inspect(0.0))
    end)

    it("prints other floats with the shortest exact decimal", function()
      assert.are.equal("0.1", inspect(0.1))
      assert.are.equal("1.5", inspect(1.5))
      assert.are.equal("0.30000000000000004", inspect(0.1 + 0.2))
      assert.are.equal("1e-7", inspect(1e-7))
      assert.are.equal("1e+100", inspect(1e100))
      assert.are.equal("Infinity", inspect(math.huge))
      assert.are.equal("-Infinity", inspect(-math.huge))
      assert.are.equal("NaN", inspect(0 / 0))
    end)

    it("quotes strings at the top level", function()
      assert.are.equal('"hi"', inspect("hi"))
      assert.are.equal('""', inspect(""))
    end)

    it("escapes control characters, quotes and backslashes", function()
      assert.are.equal('"a\\nb\\tc\\r"', inspect("a\nb\tc\r"))
      assert.are.equal('"\\x00\\x01\\x1f\\x7f"', inspect("\0\1\31\127"))
      assert.are.equal('"say \\"hi\\" \\\\o/"', inspect('say "hi" \\o/'))
      assert.are.equal('"\\a\\b\\f\\v"', inspect("\a\b\f\v"))
    end)

    it("keeps valid UTF-8 and escapes invalid bytes", function()
      assert.are.equal('"héllo €"', inspect("héllo €"))
      assert.are.equal('"\\xff\\xfe"', inspect("\255\254"))
      assert.are.equal('"é\\xe9x"', inspect("é\233x"))
    end)

    it("escaped strings read back as the same string", function()
      local all = {}
      for i = 0, 255 do all[#all + 1] = string.char(i) end
      local s = table.concat(all)
      local back = load("return " .. inspect(s, { maxStringLength = 1000 }))()
      assert.are.equal(s, back)
    end)

    it("cuts long strings at maxStringLength", function()
      local s = string.rep("a", 20)
      assert.are.equal('"aaaaa"... 15 more bytes', inspect(s, { maxStringLength = 5 }))
      assert.are.equal('"aaaaaaaaaa"... 1 more byte',
        inspect(string.rep("a", 11), { maxStringLength = 10 }))
    end)

    it("prints functions, threads and userdata", function()
      assert.are.equal("[function]", inspect(print))
      assert.are.equal("[function]", inspect(function() end))
      assert.are.equal("[thread]", inspect(coroutine.create(function() end)))
      -- io files have __name "FILE*" and a __tostring
      assert.are.equal(tostring(io.stdout), inspect(io.stdout))
    end)

    it("prints userdata without __tostring by its __name", function()
      local ud = io.stdout
      local mt = debug.getmetatable(ud)
      local saved = mt.__tostring
      mt.__tostring = nil
      local ok, s = pcall(inspect, ud)
      mt.__tostring = saved
      assert.is_true(ok)
      assert.are.equal("[userdata FILE*]", s)
    end)
  end)

  describe("tables", function()
    it("prints an empty table as {}", function()
      assert.are.equal("{}", inspect({}))
    end)

    it("prints sequences", function()
      assert.are.equal("{ 1, 2, 3 }", inspect({ 1, 2, 3 }))
      assert.are.equal('{ "a", true, 2.5 }', inspect({ "a", true, 2.5 }))
    end)

    it("prints records with identifier keys", function()
      assert.are.equal('{ a = 1, b = "x" }', inspect({ b = "x", a = 1 }))
    end)

    it("puts the sequence first, then numbers, strings, booleans", function()
      local t = { 10, 20, [5] = "five", [-1] = 0, [1.5] = 1, z = 1, a = 2,
        ["has space"] = 3, [true] = 4, [false] = 5 }
      assert.are.equal(
        '{\n  10,\n  20,\n  [-1] = 0,\n  [1.5] = 1,\n  [5] = "five",\n  a = 2,\n'
          .. '  ["has space"] = 3,\n  z = 1,\n  [false] = 5,\n  [true] = 4\n}',
        inspect(t))
    end)

    it("brackets keys that are not identifiers", function()
      assert.are.equal('{ [3] = true, ["end"] = 1, ["x-y"] = 2 }',
        inspect({ [3] = true, ["end"] = 1, ["x-y"] = 2 }))
    end)

    it("prints table keys inspected", function()
      assert.are.equal("{ [{ 1 }] = 2 }", inspect({ [{ 1 }] = 2 }))
    end)

    it("prints nested tables and functions inside", function()
      assert.are.equal('{ a = { b = { "c" } }, f = [function] }',
        inspect({ a = { b = { "c" } }, f = print }))
    end)

    it("stops at depth 2 by default", function()
      local t = { a = { b = { c = { d = 1 } } } }
      assert.are.equal("{ a = { b = { c = [table] } } }", inspect(t))
      assert.are.equal("{ a = [table] }", inspect(t, { depth = 0 }))
      assert.are.equal("{ a = { b = { c = { d = 1 } } } }", inspect(t, { depth = 3 }))
      assert.are.equal("{ a = { b = { c = { d = 1 } } } }", inspect(t, { depth = math.huge }))
    end)

    it("shows empty tables even past the depth limit", function()
      assert.are.equal("{ a = { b = { c = {} } } }", inspect({ a = { b = { c = {} } } }))
    end)

    it("marks cycles as [Circular]", function()
      local t = { name = "t" }
      t.self = t
      assert.are.equal('{ name = "t", self = [Circular] }', inspect(t))
      local a, b = {}, {}
      a.b, b.a = b, a
      assert.are.equal("{ b = { a = [Circular] } }", inspect(a))
    end)

    it("prints a table shared twice (not a cycle) twice", function()
      local shared = { 1 }
      assert.are.equal("{ { 1 }, { 1 } }", inspect({ shared, shared }))
    end)

    it("breaks long tables onto lines with 2-space indent", function()
      local t = {
        alpha = "aaaaaaaaaaaaaaaaaaaa",
        beta = "bbbbbbbbbbbbbbbbbbbbbbbb",
        gamma = { 1, 2, 3 },
      }
      assert.are.equal(
        '{\n  alpha = "aaaaaaaaaaaaaaaaaaaa",\n  beta = "bbbbbbbbbbbbbbbbbbbbbbbb",\n'
          .. "  gamma = { 1, 2, 3 }\n}",
        inspect(t))
    end)

    it("indents nested multi-line tables", function()
      local t = { outer = { first = string.rep("x", 40), second = string.rep("y", 40) } }
      assert.are.equal(
        '{\n  outer = {\n    first = "' .. string.rep("x", 40) .. '",\n'
          .. '    second = "' .. string.rep("y", 40) .. '"\n  }\n}',
        inspect(t))
    end)

    it("keeps tables that fit on one line", function()
      local s = inspect({ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })
      assert.are.equal("{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }", s)
    end)

    it("packs long lists of short items several to a line", function()
      local t = {}
      for i = 1, 40 do t[i] = i end
      local s = inspect(t)
      assert.truthy(s:find("^{\n  1, 2, 3, "))
      assert.truthy(s:find("\n}$"))
      for line in s:gmatch("[^\n]+") do assert.is_true(#line <= 72) end
      assert.are.same(t, load("return " .. s)())
    end)

    it("shows at most maxArrayLength sequence items", function()
      local t = {}
      for i = 1, 150 do t[i] = 0 end
      assert.truthy(inspect(t):find("... 50 more items", 1, true))
      assert.are.equal("{ 0, 0, ... 148 more items }", inspect(t, { maxArrayLength = 2 }))
    end)

    it("honours breakLength", function()
      assert.are.equal("{\n  1,\n  2\n}", inspect({ 1, 2 }, { breakLength = 5 }))
    end)

    it("ignores __index and __pairs (raw contents only)", function()
      local t = setmetatable({ own = 1 }, {
        __index = { inherited = 2 },
        __pairs = function() error("must not be called") end,
      })
      assert.are.equal("{ own = 1 }", inspect(t))
    end)

    it("names tables whose metatable has __name", function()
      local t = setmetatable({ x = 1 }, { __name = "luatls.Socket" })
      assert.are.equal("luatls.Socket { x = 1 }", inspect(t))
      assert.are.equal("{ s = [luatls.Socket] }", inspect({ s = t }, { depth = 0 }))
    end)

    it("prints tables with __tostring through it", function()
      local t = setmetatable({}, { __tostring = function() return "<thing>" end })
      assert.are.equal("<thing>", inspect(t))
      assert.are.equal("{ <thing> }", inspect({ t }))
    end)

    it("falls back to the contents when __tostring fails", function()
      local t = setmetatable({ 1 }, { __tostring = function() error("no") end })
      assert.are.equal("{ 1 }", inspect(t))
    end)
  end)

  describe("error objects", function()
    it("prints an error object as tostring plus its extra fields", function()
      local e = errors.new("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1",
        { errno = -111, syscall = "connect" })
      local s = inspect(e)
      assert.are.equal(1, s:find("Error: connect ECONNREFUSED 127.0.0.1:1 {", 1, true))
      assert.truthy(s:find('code = "ECONNREFUSED"', 1, true))
      assert.truthy(s:find("errno = -111", 1, true))
      assert.truthy(s:find('syscall = "connect"', 1, true))
      assert.falsy(s:find("message =", 1, true))
    end)

    it("prints Node's [CODE] form", function()
      local e = errors.TypeError("ERR_INVALID_ARG_TYPE", "bad")
      assert.are.equal('TypeError [ERR_INVALID_ARG_TYPE]: bad { code = "ERR_INVALID_ARG_TYPE" }',
        inspect(e))
    end)

    it("prints an error with no extra fields as tostring alone", function()
      local e = errors.new(nil, "plain")
      assert.are.equal("Error: plain", inspect(e))
    end)

    it("prints errors nested in tables", function()
      local e = errors.new("EPIPE", "write EPIPE")
      assert.are.equal('{ err = Error: write EPIPE { code = "EPIPE" } }', inspect({ err = e }))
    end)

    it("appends a stack field at the top level", function()
      local e = errors.new(nil, "boom", { stack = "stack traceback:\n\tx.lua:1" })
      assert.are.equal("Error: boom\nstack traceback:\n\tx.lua:1", inspect(e))
    end)
  end)

  it("rejects options that are not a table", function()
    local ok, e = pcall(inspect, 1, 2)
    assert.is_false(ok)
    assert.are.equal("ERR_INVALID_ARG_TYPE", e.code)
  end)
end)

describe("util.format", function()
  it("returns '' with no arguments", function()
    assert.are.equal("", format())
  end)

  it("returns a lone string untouched, %% included (as Node)", function()
    assert.are.equal("100%%", format("100%%"))
    assert.are.equal("%s", format("%s"))
  end)

  it("formats %s", function()
    assert.are.equal("a=b", format("%s=%s", "a", "b"))
    assert.are.equal("n: 3", format("n: %s", 3.0))
    assert.are.equal("nil true", format("%s %s", nil, true))
    assert.are.equal("{ a = [table] }", format("%s", { a = { b = 1 } }))
    assert.are.equal("Error: x", format("%s", errors.new(nil, "x")))
  end)

  it("formats %d, %i and %f", function()
    assert.are.equal("42", format("%d", 42))
    assert.are.equal("42.5", format("%d", 42.5))
    assert.are.equal("42", format("%d", "42"))
    assert.are.equal("NaN", format("%d", "42abc"))
    assert.are.equal("NaN", format("%d", {}))
    assert.are.equal("42", format("%i", 42.9))
    assert.are.equal("-42", format("%i", -42.9))
    assert.are.equal("42", format("%i", "42.9abc"))
    assert.are.equal("NaN", format("%i", "abc"))
    assert.are.equal("3.5", format("%f", "3.5abc"))
    assert.are.equal("350", format("%f", "3.5e2"))
    assert.are.equal("Infinity", format("%f", "Infinity"))
    assert.are.equal("NaN", format("%f", {}))
  end)

  it("formats %j as JSON", function()
    assert.are.equal('{"a":[1,2],"b":"x\\n"}', format("%j", { a = { 1, 2 }, b = "x\n" }))
    assert.are.equal('"s"', format("%j", "s"))
    assert.are.equal("null", format("%j", 0 / 0))
    assert.are.equal('{"1.5":true}', format("%j", { [1.5] = true }))
    assert.are.equal('{"a":1}', format("%j", { a = 1, f = print }))
    assert.are.equal("[1,null]", format("%j", { 1, print }))
    assert.are.equal("undefined", format("%j", print))
    assert.are.equal('"\\u0000"', format("%j", "\0"))
  end)

  it("formats a cyclic %j as [Circular]", function()
    local t = {}
    t.t = t
    assert.are.equal("[Circular]", format("%j", t))
  end)

  it("formats %o and %O with inspect", function()
    local t = { a = { b = { c = { d = { e = 1 } } } } }
    assert.are.equal("{ a = { b = { c = [table] } } }", format("%O", t))
    assert.are.equal("{ a = { b = { c = { d = { e = 1 } } } } }", format("%o", t))
    assert.are.equal('"x"', format("%O", "x"))
  end)

  it("turns %% into % when there are arguments", function()
    assert.are.equal("100% x", format("100%% %s", "x"))
  end)

  it("consumes %c and prints nothing for it", function()
    assert.are.equal("ab", format("a%cb", "color: red"))
  end)

  it("leaves specifiers without an argument, and unknown ones, alone", function()
    assert.are.equal("foo:%s", format("%s:%s", "foo"))
    assert.are.equal("%x 1", format("%x", 1))
    assert.are.equal("50% 1", format("50%", 1))
  end)

  it("appends extra arguments separated by spaces", function()
    assert.are.equal("a b 3 { 1 } nil", format("a", "b", 3, { 1 }, nil))
    assert.are.equal("x=1 extra", format("x=%d", 1, "extra"))
  end)

  it("inspects every argument when the first is not a string", function()
    assert.are.equal("1 a nil { x = 1 }", format(1, "a", nil, { x = 1 }))
    assert.are.equal("nil", format(nil))
    assert.are.equal("3", format(3.0))
  end)

  it("formatWithOptions passes options to inspect", function()
    assert.are.equal("{ a = [table] } 1", util.formatWithOptions({ depth = 0 }, { a = { 1 } }, 1))
    local ok, e = pcall(util.formatWithOptions, "x", "y")
    assert.is_false(ok)
    assert.are.equal("ERR_INVALID_ARG_TYPE", e.code)
  end)
end)
