-- doc/node-tests.md against spec/node/: every test-tls-*.js file of Node
-- v20.11.1 (spec/node/node20-tls-tests.txt, the list of that release's
-- test/parallel) has one row; a row that says the test is ported has its
-- spec, a failing one's spec is marked common.knownFailure and the others'
-- are not; every spec in spec/node/ has a row; the counts the doc gives
-- are the rows'.
local helper = require("spec.helper")

local function read(path)
  local f = assert(io.open(helper.root .. "/" .. path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(helper.root .. "/" .. path, "rb")
  if f then f:close() end
  return f ~= nil
end

local STATUSES = { passing = true, failing = true, deliberate = true, ["n/a"] = true }

-- rows: { name = "test-tls-x.js", status =, note = } in the doc's order
local function rows(doc)
  local list = {}
  for line in doc:gmatch("[^\n]+") do
    local name, status, note = line:match("^| `?(test%-[%w%-%.]+%.js)`? | ([%w/]+) | (.-) |$")
    if name then list[#list + 1] = { name = name, status = status, note = note } end
  end
  return list
end

describe("doc/node-tests.md", function()
  local doc = read("doc/node-tests.md")
  local list = rows(doc)
  local byName = {}
  for _, r in ipairs(list) do byName[r.name] = r end

  it("has one row for each file, with a known status and a note where one is needed", function()
    local seen = {}
    for _, r in ipairs(list) do
      assert.is_nil(seen[r.name], "two rows for " .. r.name)
      seen[r.name] = true
      assert.is_true(STATUSES[r.status] ~= nil, r.name .. ": unknown status " .. r.status)
      if r.status ~= "passing" then
        assert.is_true(#r.note > 10, r.name .. ": a " .. r.status .. " row says why")
      end
    end
  end)

  it("lists every test-tls-*.js file of Node 20 and no other", function()
    local want = {}
    for name in read("spec/node/node20-tls-tests.txt"):gmatch("[^\n]+") do
      want[name] = true
      assert.is_not_nil(byName[name], name .. " has no row")
    end
    for _, r in ipairs(list) do
      if r.name:find("^test%-tls%-") then assert.is_true(want[r.name], r.name .. " is not a Node 20 test") end
    end
  end)

  it("matches the specs in spec/node/", function()
    for _, r in ipairs(list) do
      local spec = "spec/node/" .. r.name:gsub("%.js$", ".lua")
      if r.status == "n/a" then
        assert.is_false(exists(spec), r.name .. " is n/a but " .. spec .. " exists")
      else
        assert.is_true(exists(spec), r.name .. " is " .. r.status .. " but " .. spec .. " is missing")
        local marked = read(spec):find("common.knownFailure(", 1, true) ~= nil
        assert.are.equal(r.status == "failing", marked,
          spec .. (marked and " is marked knownFailure but its row says " .. r.status
            or " is not marked knownFailure but its row says failing"))
      end
    end
    local p = io.popen("ls " .. helper.quote(helper.root .. "/spec/node"))
    for file in p:read("a"):gmatch("[^\n]+") do
      if file:find("^test%-.*%.lua$") then
        assert.is_not_nil(byName[file:gsub("%.lua$", ".js")], "spec/node/" .. file .. " has no row")
      end
    end
    p:close()
  end)

  it("gives the counts of its rows", function()
    -- the doc's "| kind | passing | failing | deliberate | n/a | all |" lines
    local count = {}
    for _, r in ipairs(list) do
      local kind = r.name:match("^test%-(%w+)%-")
      count[kind] = count[kind] or { passing = 0, failing = 0, deliberate = 0, ["n/a"] = 0, all = 0 }
      count[kind][r.status] = count[kind][r.status] + 1
      count[kind].all = count[kind].all + 1
    end
    local checked = 0
    for kind, p, f, d, n, a in doc:gmatch("\n| `test%-(%w+)%-%*%.js` | (%d+) | (%d+) | (%d+) | (%d+) | (%d+) |") do
      local c = assert(count[kind], "counts for " .. kind .. " but no rows")
      assert.are.same({ c.passing, c.failing, c.deliberate, c["n/a"], c.all },
        { tonumber(p), tonumber(f), tonumber(d), tonumber(n), tonumber(a) }, "the counts of test-" .. kind)
      checked = checked + 1
    end
    local kinds = 0
    for _ in pairs(count) do kinds = kinds + 1 end
    assert.are.equal(kinds, checked, "a counts line for each kind of test")
  end)
end)
