-- bench/run, the benchmark driver, in its smallest form: the handshake figures
-- against a luatls server only (this interpreter), a few dozen handshakes each.
-- A smoke check that the driver starts the server, runs loadgen and prints its
-- table; nothing about speed is checked (the figures of so short a run mean
-- nothing, and the machine may be busy).
local helper = require("spec.helper")

local root = helper.root
local quote = helper.quote

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- the cells of the table row whose first cell is `label`, and its next row
local function row(out, label)
  for line in out:gmatch("[^\n]+") do
    if line:sub(1, #label + 4) == "| " .. label .. " |" then
      local cells = {}
      for c in line:sub(2):gmatch("([^|]*)|") do cells[#cells + 1] = c:match("^%s*(.-)%s*$") end
      return cells
    end
  end
end

describe("bench/run", function()
  it("measures luatls's full handshakes and prints the table (--quick, tiny)", function()
    if not helper.needs("bash", "awk", "openssl") then return end
    if not (exists(root .. "/build-bench/loadgen")) then
      pending("build-bench/loadgen is not built (cmake -S bench -B build-bench && cmake --build build-bench)")
      return
    end
    local dir = os.tmpname()
    os.remove(dir)
    local report = dir .. "/RESULTS.md"
    local out, status = helper.finish(helper.spawn(string.format(
      "cd %s && bash bench/run --quick --scale 0.2 --no-build --servers luatls --only handshake --luatls %s --out %s",
      quote(root), quote(helper.luatls), quote(report))), 300000)
    local f = io.open(report, "rb")
    local written = f and f:read("a")
    if f then f:close() end
    local rawf = io.open(dir .. "/RESULTS-raw.txt", "rb")
    local raw = rawf and rawf:read("a")
    if rawf then rawf:close() end
    os.execute("rm -rf " .. quote(dir))

    assert.equal(0, status, out)
    assert.matches("## 1%. Full handshakes", out)
    for _, label in ipairs({ "RSA-2048, 1 in flight", "RSA-2048, 50 in flight",
                             "ECDSA P-256, 1 in flight", "ECDSA P-256, 50 in flight" }) do
      local cells = row(out, label)
      assert.truthy(cells, "no row for " .. label .. " in:\n" .. out)
      assert.equal("server CPU µs/handshake ↓", cells[2])
      -- luatls: a number (a single round: no min–max); Node and nginx were not run
      assert.truthy(tonumber(cells[3]), "luatls's cell is not a number: " .. tostring(cells[3]))
      assert.is_true(tonumber(cells[3]) > 0)
      assert.equal("—", cells[4])
      assert.equal("—", cells[5])
    end
    -- the report and its raw loadgen lines are written
    local body = "# Benchmark results.*## Targets"
    assert.equal(out:match(body), written and written:match(body))
    assert.truthy(raw, "no raw result file")
    local lines = 0
    for line in raw:gmatch("[^\n]+") do
      assert.matches("^result mode=handshake .*status=ok .* figure=hs%-%a+%-%d+ server=luatls round=1$", line)
      lines = lines + 1
    end
    assert.equal(4, lines)
  end)
end)

describe("bench/servers/lines-luatls.lua (bench/lines' luatls servers)", function()
  for _, mode in ipairs({ "task", "callback-lines", "callback" }) do
    it(mode .. ": echoes each line a real client sends, one in flight at a time", function()
      if not helper.needs("python3") then return end
      local certs = require("spec.certs")
      local port = helper.freePort()
      local server = helper.spawn(string.format("cd %s && timeout %d %s bench/servers/lines-luatls.lua %d %s %s",
        quote(root), 30 * helper.SLOW, quote(helper.luatls), port, mode, quote(certs.certs())))
      helper.wait(function() return helper.output(server):find("listening " .. port, 1, true) end, 10000,
        "the server to listen")
      local out, status = helper.finish(helper.spawn(string.format("timeout %d python3 -c %s %d %s",
        20 * helper.SLOW, quote([[
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
f = s.makefile("rb")
for line in [b"first line\n", b"second\n", b"x" * 5000 + b"\n"]:
    s.sendall(line)
    print(len(f.readline()))
s.close()
]]), port, quote(certs.path("ca-cert.pem")))))
      helper.kill(server)
      assert.equal(0, status, out)
      assert.equal("11\n7\n5001\n", out)
    end)
  end
end)
