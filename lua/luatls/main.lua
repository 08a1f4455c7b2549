-- luatls.main: what the luatls interpreter does with its command line.
--
--   luatls script.lua [args]   run the script, then the event loop until no
--                              work is left; exit with process.exitCode
--   luatls -e 'code' [args]    run code instead of a script
--   luatls -  [args]           read the script from stdin
--   luatls -v | --version      print versions
--   luatls                     interactive prompt (a script from stdin when
--                              stdin is not a terminal)
--
-- An error nobody handles (no 'uncaughtException' listener) is printed with
-- its traceback to stderr and the process exits with status 1.
local M = {}

local USAGE = [[
usage: luatls [options] [script.lua | -] [arguments]
  -e code        run code (then the event loop)
  -v, --version  print the versions of luatls, Lua, libuv and OpenSSL
  -h, --help     this text
  -              read the script from standard input
With no script: an interactive prompt on a terminal, else the script is read
from standard input.
]]

local function versionLine()
  local v = require("luatls.core").versions()
  local line = string.format("luatls %s (Lua %s, libuv %s", v.luatls, v.lua, v.uv)
  if v.openssl then line = line .. ", " .. v.openssl end
  return line .. ")"
end

-- Print an uncaught error the way Node does: message, then the stack.
local function report(err, traceback)
  local msg = tostring(err)
  if type(err) == "table" then
    local ok, util = pcall(require, "luatls.util")
    local extra = {}
    for _, k in ipairs({ "code", "errno", "syscall", "address", "port", "path", "hostname" }) do
      if err[k] ~= nil then
        extra[#extra + 1] = string.format("%s = %s", k, ok and util.inspect(err[k]) or tostring(err[k]))
      end
    end
    if #extra > 0 then msg = msg .. "\n  { " .. table.concat(extra, ", ") .. " }" end
  end
  io.stderr:write("Uncaught ", msg, "\n")
  if traceback then
    -- the traceback repeats the message on its first line; the frames of the
    -- runtime below the callback (core.run and what called it) are noise
    traceback = traceback:gsub("^[^\n]*\n", "")
    traceback = traceback:gsub("\n%s*%[C%]: in function 'luatls%.core%.run'.*$", "")
    traceback = traceback:gsub("\n%s*%[C%]: in function 'xpcall'.*$", "")
    io.stderr:write(traceback, "\n")
  end
  io.stderr:flush()
end

local function traceback(e)
  local msg = type(e) == "string" and e or tostring(e)
  return { err = e, tb = debug.traceback(msg, 2) }
end

-- Run fn(...) protected; an error goes to 'uncaughtException' listeners, or
-- ends the process with status 1.
local function protect(fn, ...)
  local ok, res = xpcall(fn, traceback, ...)
  if ok then return true end
  local process = require("luatls.process")
  if process:listenerCount("uncaughtException") > 0 then
    local ok2, res2 = xpcall(process.emit, traceback, process, "uncaughtException", res.err, "uncaughtException")
    if ok2 then return true end
    res = res2
  end
  report(res.err, res.tb)
  process.exitCode = 1
  return false
end

local function finish(code)
  local process = require("luatls.process")
  local ok, res = xpcall(process._emitExit, traceback, code)
  if not ok then
    report(res.err, res.tb)
    return 1
  end
  io.stdout:flush()
  return res
end

-- Run the loop until no work is left. Returns false after an uncaught error.
local function runLoop()
  local ok, err = pcall(require("luatls").run)
  if not ok then report(err, require("luatls.loop").lastTraceback()) end
  return ok
end

local function runChunk(chunk, args)
  local ok = protect(chunk, table.unpack(args, 1, args.n))
  if ok then ok = runLoop() end
  local process = require("luatls.process")
  if not ok then return finish(1) end
  return finish(math.tointeger(tonumber(process.exitCode)) or 0)
end

local function repl()
  local loop = require("luatls.loop")
  io.stdout:write(versionLine(), "\n")
  local util = require("luatls.util")
  local buffer = ""
  while true do
    io.stdout:write(buffer == "" and "> " or ">> ")
    io.stdout:flush()
    local line = io.stdin:read("l")
    if line == nil then io.stdout:write("\n"); break end
    buffer = buffer == "" and line or (buffer .. "\n" .. line)
    local chunk, err = load("return " .. buffer, "=stdin")
    if not chunk then chunk, err = load(buffer, "=stdin") end
    if chunk then
      buffer = ""
      local res = table.pack(xpcall(chunk, traceback))
      if res[1] then
        local out = {}
        for i = 2, res.n do out[#out + 1] = util.inspect(res[i]) end
        if #out > 0 then io.stdout:write(table.concat(out, "\t"), "\n") end
      else
        report(res[2].err, res[2].tb)
      end
      local ok, e = pcall(loop.drain)
      if not ok then report(e, loop.lastTraceback()) end
    elseif not err:match("<eof>$") then
      buffer = ""
      io.stderr:write(err, "\n")
    end
  end
  return runLoop() and finish(0) or finish(1)
end

function M.main(argv)
  require("luatls").globals()
  local process = require("luatls.process")
  local exe = argv[0]
  local i, code, script = 1, nil, nil
  while argv[i] do
    local a = argv[i]
    if a == "-v" or a == "--version" then
      io.stdout:write(versionLine(), "\n")
      return 0
    elseif a == "-h" or a == "--help" then
      io.stdout:write(USAGE)
      return 0
    elseif a == "-e" then
      code = argv[i + 1]
      if not code then
        io.stderr:write("luatls: -e needs an argument\n", USAGE)
        return 9
      end
      i = i + 2
      break
    elseif a == "-" then
      script = "-"
      i = i + 1
      break
    elseif a == "--" then
      script = argv[i + 1]
      i = i + 2
      break
    elseif a:sub(1, 1) == "-" then
      io.stderr:write("luatls: unknown option: ", a, "\n", USAGE)
      return 9
    else
      script = a
      i = i + 1
      break
    end
  end

  -- arg as lua sets it (arg[0] the script, arg[-1] the interpreter) and
  -- process.argv as Node does (1-based: interpreter, script, arguments)
  local args = { n = 0 }
  local arg = { [-1] = exe, [0] = script or (code and "-e") or exe }
  for j = i, #argv do
    args.n = args.n + 1
    args[args.n] = argv[j]
    arg[#arg + 1] = argv[j]
  end
  _G.arg = arg
  process.argv = { process.argv[1] }
  if script and script ~= "-" then
    local p = script
    if p:sub(1, 1) ~= "/" then p = process.cwd() .. "/" .. p end
    process.argv[2] = p
  end
  for j = 1, args.n do process.argv[#process.argv + 1] = args[j] end

  local chunk, err
  if code then
    chunk, err = load(code, "=(command line)")
  elseif script == "-" or (script == nil and require("luatls.core").guess_handle(0) ~= "tty") then
    chunk, err = load(io.stdin:read("a"), "=stdin")
  elseif script then
    chunk, err = loadfile(script)
  else
    return repl()
  end
  if not chunk then
    io.stderr:write("luatls: ", tostring(err), "\n")
    return 1
  end
  return runChunk(chunk, args)
end

return M
