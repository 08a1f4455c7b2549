-- luatls.console: output goes through console._stdout / console._stderr
local console = require("luatls.console")
local errors = require("luatls.errors")

local function sink()
  local s = { chunks = {} }
  function s:write(str)
    self.chunks[#self.chunks + 1] = str
    return true
  end
  function s:text() return table.concat(self.chunks) end
  return s
end

describe("console", function()
  local out, err, savedOut, savedErr

  before_each(function()
    savedOut, savedErr = console._stdout, console._stderr
    out, err = sink(), sink()
    console._stdout, console._stderr = out, err
  end)

  after_each(function()
    console._stdout, console._stderr = savedOut, savedErr
  end)

  describe("log", function()
    it("writes one line per call to stdout", function()
      console.log("hello")
      console.log("world")
      assert.are.same({ "hello\n", "world\n" }, out.chunks)
      assert.are.equal("", err:text())
    end)

    it("joins arguments with spaces, strings raw", function()
      console.log("a", "b c", 1, true, nil, false)
      assert.are.equal("a b c 1 true nil false\n", out:text())
    end)

    it("prints integer-valued floats as integers", function()
      console.log(3.0, 2.5, -0.0, 1 / 0)
      assert.are.equal("3 2.5 -0 Infinity\n", out:text())
    end)

    it("prints nil alone", function()
      console.log(nil)
      assert.are.equal("nil\n", out:text())
    end)

    it("prints an empty line with no arguments", function()
      console.log()
      assert.are.equal("\n", out:text())
    end)

    it("inspects tables, quoting strings inside them", function()
      console.log("t:", { 1, "two", k = "v" })
      assert.are.equal('t: { 1, "two", k = "v" }\n', out:text())
    end)

    it("formats when the first argument holds %", function()
      console.log("%s has %d items", "list", 3)
      console.log("%d%%", 50)
      assert.are.equal("list has 3 items\n50%\n", out:text())
    end)

    it("appends arguments left over after formatting", function()
      console.log("x=%s", 1, { 2 })
      assert.are.equal("x=1 { 2 }\n", out:text())
    end)

    it("prints a string with % and no arguments as it is", function()
      console.log("100%")
      assert.are.equal("100%\n", out:text())
    end)

    it("prints error objects with tostring", function()
      console.log(errors.new(nil, "boom"))
      assert.are.equal("Error: boom\n", out:text())
    end)

    it("prints a non-string first argument with the rest", function()
      console.log(1, "%s", 2)
      assert.are.equal("1 %s 2\n", out:text())
    end)

    it("info and debug go to stdout", function()
      console.info("i")
      console.debug("d")
      assert.are.equal("i\nd\n", out:text())
      assert.are.equal("", err:text())
    end)

    it("looks the sink up at every call", function()
      local other = sink()
      console._stdout = other
      console.log("x")
      assert.are.equal("x\n", other:text())
      assert.are.equal("", out:text())
    end)
  end)

  describe("error and warn", function()
    it("write to stderr", function()
      console.error("bad", 1)
      console.warn("careful %s", "now")
      assert.are.equal("bad 1\ncareful now\n", err:text())
      assert.are.equal("", out:text())
    end)
  end)

  describe("trace", function()
    it("writes Trace: message and a traceback to stderr", function()
      console.trace("here %d", 1)
      local text = err:text()
      assert.are.equal(1, text:find("Trace: here 1\nstack traceback:\n", 1, true))
      assert.truthy(text:find("console_spec.lua", 1, true))
      assert.are.equal("", out:text())
    end)

    it("writes Trace alone without a message", function()
      console.trace()
      assert.are.equal(1, err:text():find("Trace\nstack traceback:", 1, true))
    end)
  end)

  describe("dir", function()
    it("inspects its argument, strings quoted", function()
      console.dir("str")
      console.dir({ a = { b = { c = { d = 1 } } } })
      console.dir({ a = { b = 1 } }, { depth = 0 })
      assert.are.equal('"str"\n{ a = { b = { c = [table] } } }\n{ a = [table] }\n', out:text())
    end)
  end)

  describe("time and timeEnd", function()
    it("print the label and the elapsed milliseconds", function()
      console.time("job")
      local x = 0
      for i = 1, 1000 do x = x + i end
      console.timeEnd("job")
      assert.truthy(out:text():match("^job: %d+%.%d%d%dm?s\n$"))
    end)

    it("use the label 'default' when none is given", function()
      console.time()
      console.timeEnd()
      assert.truthy(out:text():match("^default: [%d.]+m?s\n$"))
    end)

    it("use the clock the console holds", function()
      local now = 0
      local c = console.Console.new(out, err)
      c._clock = function() return now end
      c.time("t")
      now = 1.5
      c.timeLog("t", "step", 2)
      now = 2500
      c.timeEnd("t")
      assert.are.equal("t: 1.500ms step 2\nt: 2.500s\n", out:text())
    end)

    it("warn on stderr about unknown or repeated labels", function()
      console.timeEnd("nope")
      console.timeLog("nope")
      console.time("twice")
      console.time("twice")
      console.timeEnd("twice")
      local e = err:text()
      assert.truthy(e:find("No such label 'nope' for console.timeEnd()", 1, true))
      assert.truthy(e:find("No such label 'nope' for console.timeLog()", 1, true))
      assert.truthy(e:find("Label 'twice' already exists for console.time()", 1, true))
      assert.truthy(out:text():match("^twice: "))
    end)

    it("forget a label after timeEnd", function()
      console.time("once")
      console.timeEnd("once")
      console.timeEnd("once")
      assert.truthy(err:text():find("No such label 'once'", 1, true))
    end)
  end)

  describe("assert", function()
    it("prints nothing when the value is truthy", function()
      console.assert(true, "never")
      console.assert(0)
      assert.are.equal("", err:text())
    end)

    it("prints Assertion failed to stderr when falsy", function()
      console.assert(false)
      console.assert(nil, "x is %d", 5)
      console.assert(false, { 1 })
      assert.are.equal("Assertion failed\nAssertion failed: x is 5\nAssertion failed: { 1 }\n",
        err:text())
    end)
  end)

  describe("count", function()
    it("counts per label", function()
      local c = console.Console.new(out, err)
      c.countReset() -- (no count yet: a warning on stderr)
      c.count()
      c.count("a")
      c.count()
      c.countReset()
      c.count()
      assert.are.equal("default: 1\na: 1\ndefault: 2\ndefault: 1\n", out:text())
      assert.are.equal("Warning: Count for 'default' does not exist\n", err:text())
    end)
  end)

  describe("group", function()
    it("indents output by two spaces per group, every line", function()
      console.group("title")
      console.log("a\nb")
      console.group()
      console.error("deep")
      console.groupEnd()
      console.groupEnd()
      console.groupEnd() -- one too many: harmless
      console.log("c")
      assert.are.equal("title\n  a\n  b\nc\n", out:text())
      assert.are.equal("    deep\n", err:text())
    end)
  end)

  describe("Console.new", function()
    it("writes to the given writables", function()
      local o, e = sink(), sink()
      local c = console.Console.new(o, e)
      c.log("to out")
      c.error("to err")
      assert.are.equal("to out\n", o:text())
      assert.are.equal("to err\n", e:text())
      assert.are.equal("", out:text())
    end)

    it("sends stderr to stdout when only one writable is given", function()
      local o = sink()
      local c = console.Console.new(o)
      c.log("1")
      c.warn("2")
      assert.are.equal("1\n2\n", o:text())
    end)

    it("accepts Node's { stdout =, stderr = } options", function()
      local o, e = sink(), sink()
      local c = console.Console.new({ stdout = o, stderr = e })
      c.info("i")
      c.warn("w")
      assert.are.equal("i\n", o:text())
      assert.are.equal("w\n", e:text())
    end)

    it("has its own timers and counters", function()
      local o = sink()
      local c = console.Console.new(o)
      c.count("own")
      console.count("own")
      c.count("own")
      assert.are.equal("own: 1\nown: 2\n", o:text())
      assert.are.equal("own: 1\n", out:text())
    end)

    it("rejects something that cannot be written to", function()
      local ok, e = pcall(console.Console.new, 42)
      assert.is_false(ok)
      assert.are.equal("ERR_CONSOLE_WRITABLE_STREAM", e.code)
      ok, e = pcall(console.Console.new, sink(), {})
      assert.is_false(ok)
      assert.are.equal("ERR_CONSOLE_WRITABLE_STREAM", e.code)
    end)
  end)

  describe("the default sinks", function()
    it("are objects with a write method", function()
      assert.are.equal("function", type(savedOut.write))
      assert.are.equal("function", type(savedErr.write))
    end)

    it("write to io.stdout", function()
      -- run a child Lua so the real stdout can be read back
      if not os.execute("command -v lua5.4 >/dev/null 2>&1") then return end
      local path = package.path
      local script = 'local c = require("luatls.console") c.log("child", 1.0) c.error("e")'
      local cmd = string.format([[lua5.4 -e 'package.path=%q' -e '%s' 2>/dev/null]], path, script)
      local p = io.popen(cmd)
      if not p then return end
      local text = p:read("a")
      p:close()
      assert.are.equal("child 1\n", text)
    end)
  end)
end)
