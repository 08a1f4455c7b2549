-- A line echo server for bench/lines (one figure, four servers): every line a
-- client sends comes back.
--   luatls bench/servers/lines-luatls.lua PORT task|callback|callback-lines CERTDIR
-- task: one task per connection, written sequentially
--   (while true do local l = s:receive("*l") ... s:send(l .. "\n") end);
-- callback: the callback-style Lua echo, socket:on("data", write) (no line
--   parsing: the bytes go back as they came, which is the same answer for a
--   client that waits for each line's echo);
-- callback-lines: the same job as task's in callbacks: 'data' appends to a
--   buffer, each complete line is written back.
-- Listens on 127.0.0.1:PORT, then prints "listening PORT" on stdout.
local tls = require("tls")
local fs = require("fs")
local async = require("async")

local port, mode, dir = tonumber(arg[1]), arg[2], arg[3]
if not port or (mode ~= "task" and mode ~= "callback" and mode ~= "callback-lines") or not dir then
  io.stderr:write("usage: luatls bench/servers/lines-luatls.lua PORT task|callback|callback-lines CERTDIR\n")
  os.exit(2)
end

local handler
if mode == "task" then
  handler = async.wrap(function(s)
    s:on("error", function() end) -- resets after close_notify are normal here
    while true do
      local line = s:receive("*l")
      if not line then break end
      s:send(line .. "\n")
    end
    s:destroy()
  end)
elseif mode == "callback" then
  handler = function(s)
    s:on("error", function() end)
    s:on("data", function(d) s:write(d) end)
    s:on("end", function() s:destroy() end)
  end
else
  handler = function(s)
    s:on("error", function() end)
    local buf = ""
    s:on("data", function(d)
      buf = buf .. d
      while true do
        local i = buf:find("\n", 1, true)
        if not i then break end
        local stop = i - 1
        if stop > 0 and buf:byte(stop) == 13 then stop = stop - 1 end -- "\r"
        s:write(buf:sub(1, stop) .. "\n")
        buf = buf:sub(i + 1)
      end
    end)
    s:on("end", function() s:destroy() end)
  end
end

local server = tls.createServer({
  key = fs.readFileSync(dir .. "/server-key.pem"),
  cert = fs.readFileSync(dir .. "/server-chain.pem"),
}, handler)
server:listen(port, "127.0.0.1", function()
  io.stdout:write("listening ", port, "\n")
  io.stdout:flush()
end)
