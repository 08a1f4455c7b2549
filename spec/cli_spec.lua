-- The luatls interpreter: its command line, arg / process.argv, the event
-- loop after the main chunk, exit codes, uncaught errors, the globals and
-- short module names, and the interactive prompt. Every test runs a child
-- luatls (helper.luatls) on a script written to a temporary directory, bounded
-- in time by timeout(1).
local helper = require("spec.helper")
local fs = require("luatls.fs")
local core = require("luatls.core")

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local dir -- a temporary directory for the scripts, made before each test
local nscript = 0

-- write(name, text) -> the path of a new file in dir
local function write(name, text)
  local path = dir .. "/" .. name
  fs.writeFileSync(path, text)
  return path
end

-- sh(cmd) -> stdout, stderr, status of a shell command run in dir
local function sh(cmd)
  local out, err = dir .. "/.out", dir .. "/.err"
  local p = io.popen(string.format("cd %s && { %s ; } >%s 2>%s; echo $?", q(dir), cmd, q(out), q(err)))
  local status = tonumber(p:read("a"):match("(%d+)%s*$"))
  p:close()
  return fs.readFileSync(out), fs.readFileSync(err), status
end

-- run(script, args...) -> stdout, stderr, status of `luatls script args`
-- (args are shell-quoted; a script given as text is written to a file first)
local function run(script, ...)
  nscript = nscript + 1
  local name = "script" .. nscript .. ".lua"
  write(name, script)
  local args = {}
  for i = 1, select("#", ...) do args[i] = q((select(i, ...))) end
  return sh(string.format("timeout 20 %s %s %s </dev/null", q(helper.luatls), name, table.concat(args, " ")))
end

-- luatls(argstring[, stdin]) -> stdout, stderr, status; argstring is
-- shell text, stdin (when given) is fed through a pipe
local function luatls(argstring, stdin)
  if stdin then
    write(".stdin", stdin)
    return sh(string.format("cat .stdin | timeout 20 %s %s", q(helper.luatls), argstring))
  end
  return sh(string.format("timeout 20 %s %s </dev/null", q(helper.luatls), argstring))
end

local function lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

describe("the luatls interpreter", function()
  helper.leakcheck()

  before_each(function() dir = fs.mkdtempSync("/tmp/luatls-cli-") end)
  after_each(function() fs.rmSync(dir, { recursive = true, force = true }) end)

  describe("running a script", function()
    it("sets arg as lua does and process.argv as Node does, and passes the arguments as ...", function()
      local out, err, status = run([[
        print(arg[-1], arg[0], arg[1], arg[2], #arg)
        print(#process.argv, table.concat(process.argv, "|"))
        print(select("#", ...), ...)
      ]], "a b", "-x")
      assert.equal("", err)
      assert.equal(0, status)
      local l = lines(out)
      local name = "script" .. nscript .. ".lua"
      assert.equal(helper.luatls .. "\t" .. name .. "\ta b\t-x\t2", l[1])
      assert.equal("4\t" .. table.concat({ helper.luatls, dir .. "/" .. name, "a b", "-x" }, "|"), l[2])
      assert.equal("2\ta b\t-x", l[3])
    end)

    it("gives process.argv[2] as an absolute path without ./ and ../ parts", function()
      fs.mkdirSync(dir .. "/sub")
      write("sub/s.lua", "print(process.argv[2]); print(arg[0])")
      local out, _, status = luatls("./sub/../sub/./s.lua")
      assert.equal(0, status)
      assert.same({ dir .. "/sub/s.lua", "./sub/../sub/./s.lua" }, lines(out))
      -- "--" ends the options: the next word is the script even if it starts with "-"
      write("-dash.lua", "print(process.argv[2], arg[0], arg[-1], arg[1])")
      out, _, status = luatls("-- -dash.lua z")
      assert.equal(0, status)
      assert.equal(dir .. "/-dash.lua\t-dash.lua\t--\tz\n", out)
    end)

    it("runs the event loop after the main chunk until no timer or handle is left", function()
      local out, err, status = run([[
        local t0 = require("luatls.core").hrtime()
        setTimeout(function()
          print("timeout 1")
          setTimeout(function()
            -- two 30 ms timers in a row (libuv's loop clock is coarse: a few ms of slack)
            print("timeout 2", (require("luatls.core").hrtime() - t0) // 1000000 >= 45)
          end, 30)
        end, 30)
        setImmediate(function() print("immediate") end)
        local n = 0
        local iv
        iv = setInterval(function() n = n + 1; if n == 3 then clearInterval(iv); print("interval done") end end, 5)
        print("main done")
      ]])
      assert.equal("", err)
      assert.equal(0, status)
      local l = lines(out)
      assert.equal("main done", l[1])
      assert.equal("immediate", l[2])
      assert.equal("timeout 2\ttrue", l[#l])
      assert.equal(5, #l)
      assert.truthy(out:find("interval done", 1, true))
      assert.truthy(out:find("timeout 1\n", 1, true) < out:find("timeout 2", 1, true))
    end)

    it("exits with process.exitCode (0 by default) once the loop is done", function()
      local _, _, status = run("")
      assert.equal(0, status)
      _, _, status = run("process.exitCode = 3")
      assert.equal(3, status)
      local out
      out, _, status = run([[
        setTimeout(function() process.exitCode = 42; print("set") end, 20)
        process:on("exit", function(code) print("exit", code) end)
      ]])
      assert.equal(42, status)
      assert.equal("set\nexit\t42\n", out)
    end)

    it("runs -e code with its arguments (process.argv has no script; -- may separate them)", function()
      local out, err, status = luatls("-e 'print(arg[0], arg[1], #process.argv, process.argv[2]);"
        .. " setTimeout(function() print(\"later\") end, 10)' one two")
      assert.equal("", err)
      assert.equal(0, status)
      assert.equal("-e\tone\t3\tone\nlater\n", out)
      out, err, status = luatls([[-e 'print(process.argv[2], arg[1], #arg)' -- -x]])
      assert.equal(0, status)
      assert.equal("", err)
      assert.equal("-x\t-x\t1\n", out)
    end)

    it("prints the versions of luatls, Lua, libuv and OpenSSL with -v and --version", function()
      local v = core.versions()
      for _, flag in ipairs({ "-v", "--version" }) do
        local out, _, status = luatls(flag)
        assert.equal(0, status)
        assert.matches("^luatls " .. v.luatls:gsub("%p", "%%%0"), out)
        assert.truthy(out:find("Lua 5.4", 1, true), out)
        assert.truthy(out:find("libuv " .. v.uv, 1, true), out)
        assert.truthy(out:find("OpenSSL 3", 1, true), out)
      end
      local out = luatls("-h")
      assert.matches("usage: luatls", out)
    end)

    it("reads the script from stdin with -, and with no arguments when stdin is not a terminal", function()
      local out, err, status = luatls("- a b", [[
        print(arg[0], table.concat({ ... }, ","), process.argv[2], process.argv[3])
        setTimeout(function() print("timer") end, 5)
      ]])
      assert.equal("", err)
      assert.equal(0, status)
      assert.equal("-\ta,b\t-\ta\ntimer\n", out)
      out, err, status = luatls("", 'print("from stdin", #process.argv); process.exitCode = 5')
      assert.equal("", err)
      assert.equal(5, status)
      assert.equal("from stdin\t1\n", out)
      -- a first line "#!..." is skipped, as lua does, from stdin and from a file
      out, err, status = luatls("-", '#!/usr/bin/env luatls\nprint("shebang", debug.getinfo(1, "l").currentline)')
      assert.equal("", err)
      assert.equal(0, status)
      assert.equal("shebang\t2\n", out)
      out, err, status = run('#!/usr/bin/env luatls\nprint("shebang file")')
      assert.equal("", err)
      assert.equal(0, status)
      assert.equal("shebang file\n", out)
    end)

    it("refuses an unknown option or -e without code (status 9), and a script that does not load (1)", function()
      local _, err, status = luatls("-Z")
      assert.equal(9, status)
      assert.matches("unknown option: %-Z", err)
      _, err, status = luatls("-e")
      assert.equal(9, status)
      assert.matches("%-e needs an argument", err)
      _, err, status = luatls("missing.lua")
      assert.equal(1, status)
      assert.matches("missing%.lua", err)
      local out
      out, err, status = run("print('x'\n")
      assert.equal(1, status)
      assert.equal("", out)
      assert.matches("luatls: .*script%d+%.lua:%d+:", err)
    end)
  end)

  describe("uncaught errors", function()
    it("in the main chunk: message and traceback on stderr, status 1, 'exit' listeners get 1", function()
      local out, err, status = run([[
        process:on("exit", function(code) print("exit", code) end)
        setTimeout(function() print("never") end, 1)
        local function inner() error("boom in main") end
        inner()
        print("not reached")
      ]])
      assert.equal(1, status)
      assert.equal("exit\t1\n", out)
      assert.matches("script%d+%.lua:3: boom in main", err)
      assert.matches("stack traceback:", err)
      assert.matches("in local 'inner'", err)
      assert.matches("in main chunk", err)
    end)

    it("in a timer callback: traceback through the callback, status 1, nothing else runs", function()
      local out, err, status = run([[
        setTimeout(function() print("first") end, 1)
        setTimeout(function()
          local t = nil
          return t.field
        end, 20)
        setTimeout(function() print("never") end, 300)
      ]])
      assert.equal(1, status)
      assert.equal("first\n", out)
      assert.matches("script%d+%.lua:4: attempt to index a nil value", err)
      assert.matches("stack traceback:", err)
      assert.matches("stack traceback:\n%s*script%d+%.lua:4: in ", err)
    end)

    it("in a nextTick callback and in a 'beforeExit' listener: traceback, status 1", function()
      local _, err, status = run([[process.nextTick(function() error("tick failure") end)]])
      assert.equal(1, status)
      assert.matches("script%d+%.lua:1: tick failure", err)
      assert.matches("stack traceback:", err)
      local out
      out, err, status = run([[
        process:on("beforeExit", function() error("beforeExit failure") end)
        process:on("exit", function(c) print("exit", c) end)
      ]])
      assert.equal(1, status)
      assert.equal("exit\t1\n", out)
      assert.matches("script%d+%.lua:1: beforeExit failure", err)
      assert.matches("stack traceback:.*script%d+%.lua:1: in .*emit", err)
    end)

    it("an error object prints its message and its code", function()
      local _, err, status = run([[require("fs").readFileSync("no-such-file.pem")]])
      assert.equal(1, status)
      assert.matches("ENOENT: no such file or directory, open 'no%-such%-file%.pem'", err)
      assert.matches('code = "ENOENT"', err)
      assert.matches("stack traceback:", err)
      _, err, status = run([[setTimeout(function() error({ code = "E_PLAIN", message = "a plain table" }) end, 1)]])
      assert.equal(1, status)
      assert.matches('code = "E_PLAIN"', err)
      assert.matches('message = "a plain table"', err)
    end)

    it("process:on('uncaughtException') takes them instead and the process keeps running", function()
      local out, err, status = run([[
        process:on("uncaughtException", function(e, origin)
          print("caught", type(e) == "table" and e.code or e, origin)
        end)
        setTimeout(function() error("in a timer", 0) end, 5)
        setTimeout(function() require("fs").readFileSync("/nonexistent/x") end, 10)
        setTimeout(function() print("still running") end, 40)
        error("in the main chunk", 0)
      ]])
      assert.equal("", err)
      assert.equal(0, status)
      assert.same({
        "caught\tin the main chunk\tuncaughtException",
        "caught\tin a timer\tuncaughtException",
        "caught\tENOENT\tuncaughtException",
        "still running",
      }, lines(out))
    end)

    it("an error in an 'uncaughtException' listener ends the process with status 1", function()
      local _, err, status = run([[
        process:on("uncaughtException", function() error("listener broke", 0) end)
        setTimeout(function() error("first", 0) end, 1)
      ]])
      assert.equal(1, status)
      assert.matches("listener broke", err)
    end)
  end)

  describe("the main chunk is a task", function()
    it("waits at its top level, and the loop runs meanwhile", function()
      local out, err, status = run([[
        local async = require("async")
        setTimeout(function() print("timer") end, 5)
        print("before")
        async.sleep(30)
        print("after", async.current() ~= nil)
        process.exitCode = 3
      ]])
      assert.equal(3, status, err)
      assert.equal("before\ntimer\nafter\ttrue\n", out)
    end)

    it("an error after a wait: the raising line's traceback, status 1, 'exit' gets 1", function()
      local out, err, status = run([[
        local async = require("async")
        process:on("exit", function(code) print("exit", code) end)
        async.sleep(5)
        local function inner() error("boom after a wait") end
        inner()
      ]])
      assert.equal(1, status)
      assert.equal("exit\t1\n", out)
      assert.matches("script%d+%.lua:4: boom after a wait", err)
      assert.matches("stack traceback:.*in local 'inner'.*in main chunk", err)
      assert.is_nil(err:find("internal/async", 1, true), err)
    end)

    it("a failed task nobody waits for is an uncaught error; 'uncaughtException' may take it", function()
      local _, err, status = run([[
        local async = require("async")
        async.run(function() async.sleep(5); error("lost task") end)
      ]])
      assert.equal(1, status)
      assert.matches("script%d+%.lua:2: lost task", err)
      local out
      out, err, status = run([[
        local async = require("async")
        process:on("uncaughtException", function(e) print("caught", e) end)
        async.run(function() async.sleep(5); error("lost task", 0) end)
        async.run(function() error("at once", 0) end)
        async.sleep(20)
        print("still running")
      ]])
      assert.equal(0, status, err)
      assert.equal("caught\tat once\ncaught\tlost task\nstill running\n", out)
    end)

    it("process.stdin:receive() reads lines from a pipe", function()
      write("lines.lua", [[
        local n = 0
        while true do
          local line, err = process.stdin:receive("*l")
          if not line then print("end", err.code) break end
          n = n + 1
          print(n, line)
        end
      ]])
      local out, err, status = sh(string.format("printf 'one\\r\\ntwo\\nthree' | timeout 20 %s lines.lua",
        q(helper.luatls)))
      assert.equal(0, status, err)
      assert.equal("1\tone\n2\ttwo\nend\tEOF\n", out)
    end)
  end)

  describe("process.exit and 'beforeExit'", function()
    it("process.exit(n) ends the process at once with n, after the 'exit' listeners", function()
      local out, err, status = run([[
        process:on("exit", function(code) print("exit listener", code, process.exitCode) end)
        setTimeout(function()
          print("before")
          process.exit(7)
          print("not reached")
        end, 5)
        setTimeout(function() print("never") end, 200)
        setImmediate(function() print("immediate") end)
      ]])
      assert.equal("", err)
      assert.equal(7, status)
      assert.equal("immediate\nbefore\nexit listener\t7\t7\n", out)
    end)

    it("an 'exit' listener may change process.exitCode; process.exit() uses exitCode", function()
      local _, _, status = run([[
        process:on("exit", function(code) process.exitCode = code + 1 end)
        process.exitCode = 4
        process.exit()
      ]])
      assert.equal(5, status)
      local out
      out, _, status = run([[
        process:on("exit", function() print("exit once"); process.exit(9) end)
        process.exit(2)
      ]])
      assert.equal(9, status)
      assert.equal("exit once\n", out)
    end)

    it("'beforeExit' comes when the loop is empty, may add work, and is not emitted by process.exit", function()
      local out, _, status = run([[
        local n = 0
        process:on("beforeExit", function(code)
          n = n + 1
          print("beforeExit", n, code)
          if n < 3 then setTimeout(function() print("more work", n) end, 5) end
        end)
        process:on("exit", function(code) print("exit", code) end)
        process.exitCode = 6
      ]])
      assert.equal(6, status)
      assert.same({ "beforeExit\t1\t6", "more work\t1", "beforeExit\t2\t6", "more work\t2",
                    "beforeExit\t3\t6", "exit\t6" }, lines(out))
      out, _, status = run([[
        process:on("beforeExit", function() print("beforeExit") end)
        process.exit(0)
      ]])
      assert.equal(0, status)
      assert.equal("", out)
    end)
  end)

  describe("globals and module names", function()
    it("has console, process and the timer functions as globals", function()
      local out, err, status = run([[
        local timers = require("luatls.timers")
        assert(console == require("luatls.console"))
        assert(process == require("luatls.process"))
        for _, k in ipairs({ "setTimeout", "clearTimeout", "setInterval", "clearInterval",
                             "setImmediate", "clearImmediate" }) do
          assert(_G[k] == timers[k], k)
        end
        local t = setTimeout(function() print("cleared timeout ran") end, 5)
        clearTimeout(t)
        local im = setImmediate(function() print("cleared immediate ran") end)
        clearImmediate(im)
        console.log("console", 1)
      ]])
      assert.equal("", err)
      assert.equal(0, status)
      assert.equal("console 1\n", out)
    end)

    it("resolves the short module names to luatls.*", function()
      local out, err, status = run([[
        for _, name in ipairs({ "net", "events", "fs", "timers", "buffer", "stream" }) do
          assert(require(name) == require("luatls." .. name), name)
          io.write(name, " ")
        end
        -- tls: the same module as luatls.tls when there is one
        local ok, tls = pcall(require, "tls")
        local ok2, ltls = pcall(require, "luatls.tls")
        assert(ok == ok2 and (not ok or tls == ltls))
        if not ok then assert(tostring(tls):find("luatls.tls", 1, true)) end
        print()
      ]])
      assert.equal("", err)
      assert.equal(0, status)
      assert.equal("net events fs timers buffer stream \n", out)
    end)
  end)

  describe("the interactive prompt", function()
    local hasScript = os.execute("command -v script >/dev/null 2>&1")

    -- type(chunks): run luatls with no arguments on a terminal (util-linux
    -- script(1) gives it a pty) and type each chunk, waiting `pause` seconds
    -- between them; returns the terminal's output (CRs removed) and status
    local function type_(chunks, pause)
      local parts = {}
      for i, c in ipairs(chunks) do
        write(".in" .. i, c)
        parts[#parts + 1] = "cat .in" .. i
        parts[#parts + 1] = "sleep " .. (pause or 0.3)
      end
      local out, err, status = sh(string.format("( %s ) | timeout 20 script -eqc %s /dev/null",
        table.concat(parts, "; "), q(q(helper.luatls))))
      return (out:gsub("\r", "")), err, status
    end

    it("prints expression values, takes multi-line chunks, survives errors, exits at end of input", function()
      if not hasScript then pending("no script(1) to give the prompt a terminal"); return end
      local out, _, status = type_({
        "1 + 41\n",
        'local t = { "a", n = 2 }\nfunction half(x)\nreturn x / 2 end\n',
        "half(11) * 3\n",
        'error("oops " .. "here")\n',
        "string.rep('z', 2) .. 'y'\n",
        "process.exitCode = 3\n",
      })
      assert.equal(3, status)
      assert.truthy(out:find("luatls " .. core.versions().luatls .. " (Lua 5.4", 1, true), out)
      -- the terminal echoes what is typed: before the prompt or after it
      -- (as the machine's load has it)
      assert.truthy(out:find("> 42\n", 1, true) or out:find("1 + 41\n42\n", 1, true), out)
      assert.truthy(out:find(">> ", 1, true), out) -- the continuation prompt
      assert.truthy(out:find("16.5\n", 1, true), out)
      assert.truthy(out:find("stdin:1: oops here", 1, true), out)
      assert.truthy(out:find('"zzy"', 1, true), out) -- after the error, the prompt goes on
    end)

    it("runs the event loop while it waits for input: timers fire between lines", function()
      if not hasScript then pending("no script(1) to give the prompt a terminal"); return end
      local out = type_({
        'setTimeout(function() print("fi" .. "red") end, 50); print("sche" .. "duled")\n',
        'print("second" .. " line")\n',
        'setTimeout(function() error("async " .. "failure") end, 20)\n',
        'print("after " .. "the failure")\n',
      }, 0.5)
      local fired, second = out:find("fired\n", 1, true), out:find("\nsecond line\n", 1, true)
      assert.truthy(out:find("scheduled\n", 1, true), out)
      assert.truthy(fired, out)
      assert.truthy(second, out)
      assert.is_true(fired < second, "the timer fired only after the next line:\n" .. out)
      -- an error in a callback is printed and the prompt goes on
      local failure, after = out:find("stdin:1: async failure", 1, true), out:find("\nafter the failure\n", 1, true)
      assert.truthy(failure, out)
      assert.truthy(after, out)
      assert.is_true(failure < after)
    end)
  end)
end)
