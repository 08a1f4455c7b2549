-- luatls.main: what the luatls interpreter does with its command line.
--
--   luatls script.lua [args]   run the script, then the event loop until no
--                              work is left; exit with process.exitCode
--   luatls -e 'code' [args]    run code instead of a script
--   luatls -  [args]           read the script from stdin
--   luatls -v | --version      print versions
--   luatls --tls-... script    node's TLS options first (runtimeOptions)
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
  --tls-cipher-list=list
                 the default TLS cipher list (tls.DEFAULT_CIPHERS), as node
  --tls-keylog=file
                 append every TLS socket's key material to file (NSS key
                 log format, for Wireshark); SSLKEYLOGFILE does the same
  --tls-min-v1.0, --tls-min-v1.1, --tls-min-v1.2, --tls-min-v1.3
                 tls.DEFAULT_MIN_VERSION (the lowest given wins)
  --tls-max-v1.2, --tls-max-v1.3
                 tls.DEFAULT_MAX_VERSION (the highest given wins)
  --use-openssl-ca
                 trust OpenSSL's CA store, read by OpenSSL as needed (the
                 default)
  --use-bundled-ca
                 trust a snapshot of OpenSSL's default CA file and
                 directory, read once (luatls bundles no CA list)
  --trace-tls    print OpenSSL's trace of every TLS socket's messages to
                 stderr (enableTrace's default), as node; it may show
                 secrets
  -h, --help     this text
  -              read the script from standard input
With no script: an interactive prompt on a terminal, else the script is read
from standard input.
Environment: LUATLS_EXTRA_CA_CERTS=file adds its PEM certificates to the
default CA store (node's NODE_EXTRA_CA_CERTS); SSLKEYLOGFILE=file as
--tls-keylog.
]]

-- resolve(cwd, path): an absolute path without "." and ".." parts, as
-- Node's path.resolve (no symbolic links are followed)
local function resolve(cwd, path)
  if path:sub(1, 1) ~= "/" then path = cwd .. "/" .. path end
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then parts[#parts] = nil
    elseif part ~= "." then parts[#parts + 1] = part end
  end
  return "/" .. table.concat(parts, "/")
end

local function versionLine()
  local v = require("luatls.core").versions()
  local line = string.format("luatls %s (Lua %s, libuv %s", v.luatls, v.lua, v.uv)
  if v.openssl then line = line .. ", " .. v.openssl end
  return line .. ")"
end

-- Print an uncaught error the way Node does: message, then the stack.
local function report(err, traceback)
  local msg = tostring(err)
  local ok, util = pcall(require, "luatls.util")
  if type(err) == "table" and not (getmetatable(err) or {}).__tostring then
    -- a plain table: show what it holds (its code, message, ...)
    msg = ok and util.inspect(err) or msg
  elseif type(err) == "table" then
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

-- Run the loop until no work is left (luatls.run: 'beforeExit' included),
-- after starting fn(...) as a task when fn is given (a script's main chunk:
-- it may wait at its top level). Returns false after an uncaught error; with
-- keepGoing (the prompt) an uncaught error is printed and the loop goes on
-- while keepGoing() says so.
local function runLoop(keepGoing, fn, ...)
  local luatls = require("luatls")
  local loop = require("luatls.loop")
  local ok, err = pcall(luatls.run, fn, ...)
  while true do
    if ok then return true end
    report(err, loop.lastTraceback())
    if not (keepGoing and keepGoing()) then return false end
    ok, err = pcall(luatls.run)
  end
end

local function exitCode()
  return math.tointeger(tonumber(require("luatls.process").exitCode)) or 0
end

-- The script's main chunk runs as a task (luatls.async), so it may wait at
-- its top level, as a Node module may await. An error before its first wait
-- ends the run before the loop starts, as before.
local function runChunk(chunk, args)
  local ok = runLoop(nil, chunk, table.unpack(args, 1, args.n))
  return finish(ok and exitCode() or 1)
end

-- The interactive prompt. Lines come from process.stdin while the event loop
-- runs, so timers, servers and sockets made at the prompt work between lines
-- (as in Node's REPL). An expression's values are printed; a chunk that is
-- not complete yet (an open "function ... ") asks for more with ">> ".
-- End of input (Ctrl-D) ends the process, with process.exitCode.
local function repl()
  local process = require("luatls.process")
  local util = require("luatls.util")
  io.stdout:write(versionLine(), "\n")
  local buffer, pending, open = "", "", true

  local function prompt()
    io.stdout:write(buffer == "" and "> " or ">> ")
    io.stdout:flush()
  end

  local function eval(line)
    buffer = buffer == "" and line or (buffer .. "\n" .. line)
    local chunk, err = load("return " .. buffer, "=stdin")
    if not chunk then chunk, err = load(buffer, "=stdin") end
    if not chunk then
      if not err:match("<eof>$") then
        buffer = ""
        io.stderr:write(err, "\n")
      end
      return
    end
    buffer = ""
    local res = table.pack(xpcall(chunk, traceback))
    if res[1] then
      local out = {}
      for i = 2, res.n do out[#out + 1] = util.inspect(res[i]) end
      if #out > 0 then io.stdout:write(table.concat(out, "\t"), "\n") end
    else
      report(res[2].err, res[2].tb)
    end
  end

  local stdin = process.stdin
  stdin:on("data", function(data)
    pending = pending .. data
    while true do
      local line, rest = pending:match("^([^\n]*)\n(.*)$")
      if not line then break end
      pending = rest
      eval((line:gsub("\r$", "")))
      prompt()
    end
  end)
  stdin:on("end", function()
    open = false
    if pending ~= "" then eval(pending) end
    io.stdout:write("\n")
    io.stdout:flush()
    process.exit(exitCode())
  end)
  prompt()
  -- an error from a callback is printed; the prompt goes on
  local ok = runLoop(function() prompt(); return open end)
  return finish(ok and exitCode() or 1)
end

-- node's TLS options: the lowest --tls-min-* and the highest --tls-max-*
-- win, as in node
local MIN_VERSIONS = { ["--tls-min-v1.0"] = "TLSv1", ["--tls-min-v1.1"] = "TLSv1.1",
                       ["--tls-min-v1.2"] = "TLSv1.2", ["--tls-min-v1.3"] = "TLSv1.3" }
local MAX_VERSIONS = { ["--tls-max-v1.2"] = "TLSv1.2", ["--tls-max-v1.3"] = "TLSv1.3" }
local RANK = { ["TLSv1"] = 1, ["TLSv1.1"] = 2, ["TLSv1.2"] = 3, ["TLSv1.3"] = 4 }
local VALUE_OPTIONS = { ["--tls-cipher-list"] = true, ["--tls-keylog"] = true }

local function usageError(message)
  io.stderr:write("luatls: ", message, "\n")
  return false, 9
end

-- Take the runtime's options off the front of argv and apply them:
-- --tls-cipher-list=LIST, --tls-keylog=FILE (also "--opt value"),
-- --tls-min-v1.0 .. --tls-max-v1.3, --use-openssl-ca, --use-bundled-ca,
-- --trace-tls; each as given goes to process.execArgv, as in node.
-- LUATLS_EXTRA_CA_CERTS is read here, at start. -> true, or false and the
-- exit status (node's 9) after printing what is wrong.
local function runtimeOptions(argv)
  local values, minV, maxV, minFlag, maxFlag, store = {}, nil, nil, nil, nil, {}
  local execArgv, traceAll = require("luatls.process").execArgv, false
  while argv[1] and argv[1]:match("^%-%-") and argv[1] ~= "--" do
    local a = argv[1]
    local taken = 1
    local name, value = a:match("^(%-%-[^=]+)=(.*)$")
    name = name or a
    if VALUE_OPTIONS[name] then
      if value == nil then
        value = argv[2]
        if value == nil or value:sub(1, 1) == "-" then return usageError(name .. " requires an argument") end
        taken = 2
      end
      if value == "" then return usageError(name .. "= requires an argument") end
      values[name] = value
    elseif value ~= nil then
      break -- not ours: an unknown option
    elseif MIN_VERSIONS[a] then
      if not minV or RANK[MIN_VERSIONS[a]] < RANK[minV] then minV, minFlag = MIN_VERSIONS[a], a end
    elseif MAX_VERSIONS[a] then
      if not maxV or RANK[MAX_VERSIONS[a]] > RANK[maxV] then maxV, maxFlag = MAX_VERSIONS[a], a end
    elseif a == "--use-openssl-ca" or a == "--use-bundled-ca" then
      store[a] = true
    elseif a == "--trace-tls" then
      traceAll = true
    else
      break
    end
    for _ = 1, taken do execArgv[#execArgv + 1] = table.remove(argv, 1) end
  end
  if store["--use-openssl-ca"] and store["--use-bundled-ca"] then
    return usageError("either --use-openssl-ca or --use-bundled-ca can be used, not both")
  end
  if minV == "TLSv1.3" and maxV == "TLSv1.2" then
    return usageError("either " .. minFlag .. " or " .. maxFlag .. " can be used, not both")
  end
  local tls = require("luatls.tls")
  if values["--tls-cipher-list"] then
    tls.DEFAULT_CIPHERS = values["--tls-cipher-list"]
    tls._cipherList = values["--tls-cipher-list"] -- crypto.constants.defaultCipherList
  end
  if minV then tls.DEFAULT_MIN_VERSION = minV end
  if maxV then tls.DEFAULT_MAX_VERSION = maxV end
  if values["--tls-keylog"] then require("luatls.internal.tls.keylog").setFile(values["--tls-keylog"]) end
  if traceAll then require("luatls.internal.tls.trace").setAll(true) end
  local caStore = require("luatls.internal.tls.ca_store")
  if store["--use-bundled-ca"] then caStore.useStore("bundled") end
  if store["--use-openssl-ca"] then caStore.useStore("openssl") end
  caStore.init()
  return true
end

-- The command line's options: -> the index of the script's first argument,
-- -e's code, the script ("-" for stdin), or nil and an exit status (for
-- -v, -h and a wrong option).
local function parseOptions(argv)
  -- the runtime's options (as node's), before the script
  local ok, status = runtimeOptions(argv)
  if not ok then return nil, status end
  -- one option at most, then the script (or -e's code) and its arguments
  local i, code, script = 1, nil, nil
  local a = argv[1]
  if a == "-v" or a == "--version" then
    io.stdout:write(versionLine(), "\n")
    return nil, 0
  elseif a == "-h" or a == "--help" then
    io.stdout:write(USAGE)
    return nil, 0
  elseif a == "-e" then
    code = argv[2]
    if not code then
      io.stderr:write("luatls: -e needs an argument\n", USAGE)
      return nil, 9
    end
    i = 3
    local execArgv = require("luatls.process").execArgv -- as node's
    execArgv[#execArgv + 1], execArgv[#execArgv + 2] = "-e", code
    if argv[i] == "--" then i = i + 1 end -- as node: -e code -- -x
  elseif a == "-" then
    script, i = "-", 2
  elseif a == "--" then
    script, i = argv[2], 3
  elseif a ~= nil and a:sub(1, 1) == "-" then
    io.stderr:write("luatls: unknown option: ", a, "\n", USAGE)
    return nil, 9
  elseif a ~= nil then
    script, i = a, 2
  end
  return i, code, script
end

-- arg as lua sets it: arg[0] the script ("-" for stdin, "-e" for code),
-- arg[1..] its arguments, the interpreter and options before the script at
-- arg[-1], arg[-2], ... (with no script at all: arg[0] the interpreter).
-- process.argv as Node does, in a 1-based list: the interpreter, the
-- script's absolute path ("-" for stdin; none for -e or a script piped
-- with no arguments), then the arguments. -> the script's arguments.
local function setArgs(argv, i, code, script)
  local process = require("luatls.process")
  local args = { n = 0 }
  local arg = {}
  local base = i - 1 -- argv index of the script (or of -e's code)
  if code then
    arg[0], arg[-1] = "-e", argv[0]
  else
    for j = 0, base do arg[j - base] = argv[j] end
  end
  for j = i, #argv do
    args.n = args.n + 1
    args[args.n] = argv[j]
    arg[args.n] = argv[j]
  end
  _G.arg = arg
  process.argv = { process.argv[1] }
  if script == "-" then
    process.argv[2] = "-"
  elseif script then
    process.argv[2] = resolve(process.cwd(), script)
  end
  for j = 1, args.n do process.argv[#process.argv + 1] = args[j] end
  return args
end

function M.main(argv)
  -- signals ignored by whoever started us (SIGINT in a shell's background
  -- job) get their default action back, as in Node
  require("luatls.core").reset_ignored_signals()
  require("luatls").globals()
  local i, code, script = parseOptions(argv)
  if i == nil then return code end -- (the exit status)
  local args = setArgs(argv, i, code, script)

  local chunk, err
  if code then
    chunk, err = load(code, "=(command line)")
  elseif script == "-" or (script == nil and require("luatls.core").guess_handle(0) ~= "tty") then
    chunk, err = loadfile() -- stdin, "=stdin"; a first line starting with # is skipped
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
