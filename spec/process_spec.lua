-- luatls.process: argv, env, pid, platform, nextTick, hrtime, signals through
-- libuv, stdin as a Readable (pipe, file, terminal) and stdout / stderr as
-- Writables. What needs a process of its own runs in a child luatls
-- (helper.luatls) on a script in a temporary directory, bounded by timeout(1).
local helper = require("spec.helper")
local fs = require("luatls.fs")
local core = require("luatls.core")
local timers = require("luatls.timers")

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local dir

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

-- the shell text that runs luatls on a script given as text
local nscript = 0
local function luatls(script)
  nscript = nscript + 1
  local name = "script" .. nscript .. ".lua"
  write(name, script)
  return q(helper.luatls) .. " " .. name
end

local function lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

describe("process", function()
  helper.leakcheck()

  before_each(function() dir = fs.mkdtempSync("/tmp/luatls-process-") end)
  after_each(function() fs.rmSync(dir, { recursive = true, force = true }) end)

  describe("identity", function()
    it("is an EventEmitter, the global process and luatls.process", function()
      assert.equal(require("luatls.process"), process)
      assert.is_function(process.on)
      assert.is_function(process.emit)
      local got
      process:once("custom-event", function(a) got = a end)
      process:emit("custom-event", 5)
      assert.equal(5, got)
    end)

    it("pid is this process's id, platform is the lowercase system name", function()
      -- the shell that io.popen starts is a child of this process
      local out = sh("echo $PPID")
      assert.equal(tostring(process.pid), out:match("%d+"))
      assert.equal(math.type(process.pid), "integer")
      local uname = sh("uname -s")
      assert.equal(uname:gsub("%s+$", ""):lower(), process.platform)
      assert.equal("linux", process.platform)
    end)

    it("argv[1] is the interpreter; cwd() is the working directory", function()
      assert.equal(helper.luatls, process.argv[1])
      local pwd = sh("cd " .. q(process.cwd()) .. " && pwd -P")
      assert.equal(pwd:gsub("%s+$", ""), process.cwd())
    end)
  end)

  describe("env", function()
    after_each(function()
      process.env.LUATLS_SPEC_VAR = nil
      process.env.LUATLS_SPEC_NUM = nil
    end)

    it("reads the real environment", function()
      assert.equal(os.getenv("PATH"), process.env.PATH)
      assert.is_nil(process.env.LUATLS_SPEC_SURELY_UNSET)
      assert.is_nil(process.env[1])
    end)

    it("writes to the real environment: os.getenv and child processes see it, nil unsets", function()
      process.env.LUATLS_SPEC_VAR = "hello world"
      process.env.LUATLS_SPEC_NUM = 42
      assert.equal("hello world", os.getenv("LUATLS_SPEC_VAR"))
      assert.equal("42", process.env.LUATLS_SPEC_NUM)
      local out = sh('echo "[$LUATLS_SPEC_VAR] [$LUATLS_SPEC_NUM]"')
      assert.equal("[hello world] [42]\n", out)
      -- a child luatls sees it through process.env and os.getenv
      out = sh(luatls('print(process.env.LUATLS_SPEC_VAR, os.getenv("LUATLS_SPEC_NUM"))'))
      assert.equal("hello world\t42\n", out)
      local seen
      for k, v in pairs(process.env) do if k == "LUATLS_SPEC_VAR" then seen = v end end
      assert.equal("hello world", seen)
      process.env.LUATLS_SPEC_VAR = nil
      assert.is_nil(os.getenv("LUATLS_SPEC_VAR"))
      assert.equal("[]\n", (sh('echo "[$LUATLS_SPEC_VAR]"')))
    end)
  end)

  describe("nextTick", function()
    it("runs before any other callback: before immediates and timers queued earlier", function()
      local order = {}
      timers.setTimeout(function() order[#order + 1] = "timeout" end, 0)
      timers.setImmediate(function()
        order[#order + 1] = "immediate"
        process.nextTick(function() order[#order + 1] = "tick in immediate" end)
        timers.setImmediate(function() order[#order + 1] = "immediate 2" end)
      end)
      process.nextTick(function(a, b)
        order[#order + 1] = "tick " .. a .. b
        process.nextTick(function() order[#order + 1] = "tick queued by a tick" end)
      end, "x", "y")
      process.nextTick(function() order[#order + 1] = "tick 2" end)
      helper.wait(function() return #order == 7 end)
      assert.same({ "tick xy", "tick 2", "tick queued by a tick" }, { order[1], order[2], order[3] })
      -- the tick queued in the immediate ran right after it
      local pos = {}
      for i, v in ipairs(order) do pos[v] = i end
      assert.equal(pos["immediate"] + 1, pos["tick in immediate"])
      assert.is_true(pos["immediate 2"] > pos["tick in immediate"])
    end)

    it("runs after the main chunk of a script, before its first immediate and timer", function()
      local out, err, status = sh(luatls([[
        setTimeout(function() print("timeout") end, 0)
        setImmediate(function() print("immediate") end)
        process.nextTick(function() print("tick") end)
        print("main")
      ]]))
      assert.equal("", err)
      assert.equal(0, status)
      local l = lines(out)
      assert.same({ "main", "tick" }, { l[1], l[2] })
      assert.equal(4, #l)
    end)

    it("refuses a non-function", function()
      local ok, err = pcall(process.nextTick, 42)
      assert.is_false(ok)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    end)
  end)

  describe("hrtime", function()
    it("hrtime() gives { seconds, nanoseconds }, and the difference from a previous one", function()
      local t0 = process.hrtime()
      assert.equal(2, #t0)
      assert.equal("integer", math.type(t0[1]))
      assert.equal("integer", math.type(t0[2]))
      assert.is_true(t0[2] >= 0 and t0[2] < 1e9)
      helper.sleep(30)
      local d = process.hrtime(t0)
      local ns = d[1] * 1e9 + d[2]
      assert.is_true(ns >= 29e6 and ns < 5e9, "elapsed " .. ns)
      assert.is_true(d[2] >= 0 and d[2] < 1e9)
      local ok, err = pcall(process.hrtime, "x")
      assert.is_false(ok)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    end)

    it("hrtime.bigint() gives integer nanoseconds on the same clock", function()
      local a = process.hrtime.bigint()
      local t = process.hrtime()
      helper.sleep(20)
      local b = process.hrtime.bigint()
      assert.equal("integer", math.type(a))
      assert.is_true(b - a >= 19e6, "elapsed " .. (b - a))
      local tn = t[1] * 1000000000 + t[2]
      assert.is_true(tn >= a and tn <= b)
    end)
  end)

  describe("signals", function()
    -- start a luatls script in the background, wait until it wrote its pid
    -- to `ready`, send it SIGINT with kill(1), and report its exit status
    local function interrupt(script)
      write("interrupt.sh", string.format([[
        %s >child.out 2>&1 & child=$!
        i=0; while [ ! -s ready ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
        echo "pid-match=$([ "$(cat ready)" = "$child" ] && echo yes)"
        kill -INT "$child"; wait "$child"; echo "status=$?"
      ]], luatls(script)))
      return sh("timeout -s KILL 20 sh interrupt.sh")
    end

    it("process:on('SIGINT') gets SIGINT through libuv, and the script decides what happens", function()
      local out = interrupt([[
        process:on("SIGINT", function(sig)
          print("got " .. sig)
          setTimeout(function() print("exiting"); process.exit(0) end, 10)
        end)
        setInterval(function() end, 1000)
        setTimeout(function() process.exit(99) end, 15000) -- never hang
        require("fs").writeFileSync("ready", tostring(process.pid))
      ]])
      assert.matches("pid%-match=yes", out)
      assert.matches("status=0\n", out)
      assert.equal("got SIGINT\nexiting\n", fs.readFileSync(dir .. "/child.out"))
    end)

    it("without a listener (or after the last one is removed), SIGINT kills the process", function()
      local out = interrupt([[
        setInterval(function() end, 1000)
        setTimeout(function() process.exit(99) end, 15000)
        require("fs").writeFileSync("ready", tostring(process.pid))
      ]])
      assert.matches("pid%-match=yes", out)
      assert.matches("status=130\n", out) -- 128 + SIGINT
      fs.unlinkSync(dir .. "/ready")
      out = interrupt([[
        local function f() print("must not run") end
        process:on("SIGINT", f)
        process:removeListener("SIGINT", f)
        setInterval(function() end, 1000)
        setTimeout(function() process.exit(99) end, 15000)
        require("fs").writeFileSync("ready", tostring(process.pid))
      ]])
      assert.matches("status=130\n", out)
      assert.equal("", fs.readFileSync(dir .. "/child.out"))
    end)

    it("a signal listener does not keep the process alive", function()
      local t0 = core.hrtime()
      local out, _, status = sh("timeout 20 " .. luatls([[
        process:on("SIGINT", function() end)
        process:on("SIGTERM", function() end)
        print("done")
      ]]))
      assert.equal(0, status)
      assert.equal("done\n", out)
      assert.is_true(core.hrtime() - t0 < 5e9)
    end)

    it("delivers a signal this process sends itself with process.kill, then lets the handle go", function()
      local got = {}
      local function onUsr1(sig) got[#got + 1] = sig end
      process:on("SIGUSR1", onUsr1)
      assert.is_true(process.kill(process.pid, "SIGUSR1"))
      helper.wait(function() return #got == 1 end, 5000, "SIGUSR1")
      assert.same({ "SIGUSR1" }, got)
      process:removeListener("SIGUSR1", onUsr1)
      for _, h in ipairs(core.walk(true)) do
        assert.is_not.equal("signal", h.type, "a signal handle is still open")
      end
    end)

    it("refuses a listener for a signal that cannot be caught, and kill() of a bad pid raises", function()
      local ok, err = pcall(process.on, process, "SIGKILL", function() end)
      assert.is_false(ok)
      assert.equal("EINVAL", err.code)
      assert.equal(0, process:listenerCount("SIGKILL"))
      ok, err = pcall(process.kill, 2147483000, "SIGTERM")
      assert.is_false(ok)
      assert.equal("ESRCH", err.code)
    end)
  end)

  describe("stdin", function()
    -- a script that collects process.stdin and reports chunks and bytes
    local COLLECT = [[
      local got, n = {}, 0
      process.stdin:on("data", function(d) n = n + 1; got[#got + 1] = d end)
      process.stdin:on("end", function()
        local s = table.concat(got)
        io.write(string.format("isTTY=%s chunks>0=%s bytes=%d [%s]\n",
          tostring(process.stdin.isTTY), tostring(n > 0), #s, s))
      end)
    ]]

    it("is a Readable of a pipe: 'data' then 'end'", function()
      local out, err, status = sh("printf 'hello\\nworld' | timeout 20 " .. luatls(COLLECT))
      assert.equal("", err)
      assert.equal(0, status)
      assert.equal("isTTY=false chunks>0=true bytes=11 [hello\nworld]\n", out)
    end)

    it("is a Readable of a file given with <, and of an empty input", function()
      write("input.txt", "from a file\n")
      local out, _, status = sh("timeout 20 " .. luatls(COLLECT) .. " < input.txt")
      assert.equal(0, status)
      assert.equal("isTTY=false chunks>0=true bytes=12 [from a file\n]\n", out)
      out, _, status = sh("timeout 20 " .. luatls(COLLECT) .. " < /dev/null")
      assert.equal(0, status)
      assert.equal("isTTY=false chunks>0=false bytes=0 []\n", out)
    end)

    it("pipes to process.stdout byte for byte (300 KB of binary, through a pipe and from a file)", function()
      local data = {}
      for i = 1, 300 * 1024 do data[i] = string.char((i * 7919 + (i >> 8)) % 256) end
      write("big.bin", table.concat(data))
      local script = luatls("process.stdin:pipe(process.stdout)")
      local _, err, status = sh("cat big.bin | timeout 20 " .. script .. " > piped.out")
      assert.equal("", err)
      assert.equal(0, status)
      assert.is_true(fs.readFileSync(dir .. "/piped.out") == fs.readFileSync(dir .. "/big.bin"))
      _, err, status = sh("timeout 20 " .. script .. " < big.bin > file.out")
      assert.equal("", err)
      assert.equal(0, status)
      assert.is_true(fs.readFileSync(dir .. "/file.out") == fs.readFileSync(dir .. "/big.bin"))
    end)

    it("is a Readable of a terminal (under script(1)), line by line as typed", function()
      if not os.execute("command -v script >/dev/null 2>&1") then
        pending("no script(1) to give the child a terminal")
        return
      end
      write("typed1", "first line\n")
      write("typed2", "second line\n")
      local out, _, status = sh(string.format(
        "( cat typed1; sleep 0.3; cat typed2; sleep 0.3 ) | timeout 20 script -eqc %s /dev/null",
        q(luatls(COLLECT))))
      assert.equal(0, status)
      out = out:gsub("\r", "")
      assert.truthy(out:find("isTTY=true chunks>0=true bytes=23 [first line\nsecond line\n]", 1, true), out)
    end)
  end)

  describe("stdout and stderr", function()
    it("are Writables on fds 1 and 2: write(data, cb), end(), 'finish'", function()
      local out, err, status = sh("timeout 20 " .. luatls([[
        local w = process.stdout
        assert(w:write("one ", function() io.stderr:write("cb1 ") end) == true)
        print("print")
        process.stderr:write("to stderr ")
        w:write("two\n")
        process.stdout:on("finish", function() io.stderr:write("finish") end)
        assert(w.fd == 1 and process.stderr.fd == 2)
        assert(w.isTTY == false)
        w["end"](w, "last\n")
      ]]) .. " | cat")
      assert.equal(0, status)
      assert.equal("one print\ntwo\nlast\n", out)
      -- write callbacks run later (never inline), 'finish' after the last one
      assert.equal("to stderr cb1 finish", err)
    end)

    it("report a reader that went away (EPIPE) as an 'error' on the stream", function()
      local out, err, status = sh("( timeout 20 " .. luatls([[
        process.stdout:on("error", function(e)
          io.stderr:write("stdout error ", e.code, " ", e.syscall)
          process.exit(3)
        end)
        local chunk = string.rep("x", 65536)
        local function more() process.stdout:write(chunk, more) end
        more()
      ]]) .. "; echo $? > status ) | head -c 10")
      assert.equal(0, status)
      assert.equal("xxxxxxxxxx", out)
      assert.equal("stdout error EPIPE write", err)
      assert.equal("3\n", fs.readFileSync(dir .. "/status"))
    end)
  end)
end)
