-- Every module luatls advertises loads, so a name can never point nowhere:
-- the names in luatls.modules (as "luatls.NAME", and by the short name inside
-- the interpreter), the short names README's "Running scripts" lists, and
-- every require("...") README shows.
local helper = require("spec.helper")
local luatls = require("luatls")

local function readme()
  local f = assert(io.open(helper.root .. "/README.md"))
  local text = f:read("a")
  f:close()
  return text
end

-- the names of README's sentence "Inside the interpreter `require("net")`,
-- `"tls"`, ... give the `luatls.*` modules"
local function readmeShortNames()
  local sentence = readme():match("Inside the interpreter (.-) give the")
  assert(sentence, "README no longer has the sentence that lists the short module names")
  local names = {}
  for name in sentence:gmatch('"([%w_]+)"') do names[#names + 1] = name end
  assert(#names > 0, "no names in README's sentence: " .. sentence)
  return names
end

-- every require("x") in README
local function readmeRequires()
  local names, seen = {}, {}
  for name in readme():gmatch('require%("([%w_%.]+)"%)') do
    if not seen[name] then seen[name] = true; names[#names + 1] = name end
  end
  return names
end

-- run(code) -> stdout, exit status of `luatls -e code`
local function run(code)
  return helper.sh(string.format("timeout 30 %s -e %s </dev/null", helper.quote(helper.luatls), helper.quote(code)))
end

-- a script that requires each name, checks `check` and prints "ok NAME"
local function script(names, check)
  local list = {}
  for i, n in ipairs(names) do list[i] = string.format("%q", n) end
  return string.format([[
for _, name in ipairs({ %s }) do
  local ok, mod = pcall(require, name)
  if not ok then io.write("FAIL ", name, ": ", tostring(mod), "\n")
  elseif type(mod) ~= "table" then io.write("FAIL ", name, ": a ", type(mod), "\n")
  elseif not (%s) then io.write("FAIL ", name, ": not luatls.", name, "\n")
  else io.write("ok ", name, "\n") end
end
]], table.concat(list, ", "), check)
end

local function expected(names)
  local lines = {}
  for i, n in ipairs(names) do lines[i] = "ok " .. n .. "\n" end
  return table.concat(lines)
end

describe("the advertised modules", function()
  helper.leakcheck()

  it("luatls.modules lists each module once, and luatls.NAME loads as a table", function()
    assert.is_true(#luatls.modules > 0)
    local seen = {}
    for _, name in ipairs(luatls.modules) do
      assert.is_nil(seen[name], name .. " is listed twice")
      seen[name] = true
      local ok, mod = pcall(require, "luatls." .. name)
      assert(ok, "require(\"luatls." .. name .. "\"): " .. tostring(mod))
      assert.is_table(mod, "luatls." .. name)
      assert.equal(mod, luatls[name], "luatls." .. name .. " (the field)")
    end
  end)

  it("inside the interpreter each short name is its luatls.* module", function()
    local out, status = run(script(luatls.modules, 'mod == require("luatls." .. name)'))
    assert.equal(0, status, out)
    assert.equal(expected(luatls.modules), out)
  end)

  it("README's short names are luatls.modules names, and load in the interpreter", function()
    local names = readmeShortNames()
    local known = {}
    for _, n in ipairs(luatls.modules) do known[n] = true end
    for _, n in ipairs(names) do
      assert.is_true(known[n], 'README lists require("' .. n .. '") but luatls.modules does not')
    end
    for _, n in ipairs({ "net", "tls", "dns" }) do
      assert.is_truthy(table.concat(names, " "):find(n, 1, true), n .. " is missing from README's list")
    end
    local out, status = run(script(names, 'mod == require("luatls." .. name)'))
    assert.equal(0, status, out)
    assert.equal(expected(names), out)
  end)

  it("every require(\"...\") README shows loads in the interpreter", function()
    local names = readmeRequires()
    assert.is_true(#names > 0)
    local out, status = run(script(names, "true"))
    assert.equal(0, status, out)
    assert.equal(expected(names), out)
  end)
end)
