-- spec/node/assert.lua: Node's assert, as the ports of Node's tests use it
-- (spec/node/). A failed check raises a string naming what differed.
--
--   assert.strictEqual(actual, expected[, message])
--   assert.throws(fn, { code = "ERR_X", name = "TypeError", message = "..." })
--     (message: the exact text; messagePattern: a Lua pattern for Node's
--     regular expressions; any other field is compared with ==)
local M = {}

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

local function fail(message, default, level)
  error(message or default, (level or 2) + 1)
end

function M.fail(message) fail(message, "Failed") end

function M.ok(value, message)
  if not value then fail(message, "The expression evaluated to a falsy value: " .. show(value)) end
end
setmetatable(M, { __call = function(_, ...) return M.ok(...) end })

function M.strictEqual(actual, expected, message)
  if actual ~= expected and not (actual ~= actual and expected ~= expected) then
    fail(message, string.format("Expected values to be strictly equal:\n  actual:   %s\n  expected: %s", show(actual),
      show(expected)))
  end
end
M.equal = M.strictEqual

function M.notStrictEqual(actual, expected, message)
  if actual == expected then
    fail(message, string.format("Expected %s to be not strictly equal", show(actual)))
  end
end
M.notEqual = M.notStrictEqual

local function deepEqual(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deepEqual(v, b[k], seen) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.isDeepStrictEqual = deepEqual

local function dump(v, indent)
  if type(v) ~= "table" then return show(v) end
  indent = indent or ""
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = indent .. "  [" .. show(k) .. "] = " .. dump(v[k], indent .. "  ")
  end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
end
M.dump = dump

function M.deepStrictEqual(actual, expected, message)
  if not deepEqual(actual, expected) then
    fail(message, "Expected values to be strictly deep-equal:\n  actual: " .. dump(actual) .. "\n  expected: " ..
      dump(expected))
  end
end
M.deepEqual = M.deepStrictEqual

function M.notDeepStrictEqual(actual, expected, message)
  if deepEqual(actual, expected) then fail(message, "Expected values not to be deep-equal: " .. dump(actual)) end
end

-- match(s, pattern): a Lua pattern for Node's regular expression
function M.match(s, pattern, message)
  if type(s) ~= "string" or not s:find(pattern) then
    fail(message, string.format("The input did not match the pattern %q. Input: %s", pattern, show(s)))
  end
end

function M.doesNotMatch(s, pattern, message)
  if type(s) == "string" and s:find(pattern) then
    fail(message, string.format("The input was expected to not match the pattern %q. Input: %s", pattern, show(s)))
  end
end

function M.ifError(err)
  if err ~= nil then error("ifError got unwanted exception: " .. tostring(err), 2) end
end

-- check(err, expected): the fields of an error, as assert.throws compares
-- them (also for errors that arrive in callbacks)
function M.checkError(err, expected, level)
  level = (level or 1) + 1
  if type(expected) == "function" then
    if not expected(err) then fail(nil, "The error validation function failed: " .. tostring(err), level) end
    return err
  end
  if type(expected) == "string" then expected = { messagePattern = expected } end
  for k, want in pairs(expected or {}) do
    local got
    if k == "messagePattern" then
      got = type(err) == "table" and err.message or tostring(err)
      if type(got) ~= "string" or not got:find(want) then
        fail(nil, string.format("the error's message %s does not match %q", show(got), want), level)
      end
    else
      got = type(err) == "table" and err[k] or nil
      if k == "message" and type(err) == "string" then got = err end
      if got ~= want then
        fail(nil, string.format("the error's %s is %s, expected %s (the error: %s)", k, show(got), show(want),
          tostring(err)), level)
      end
    end
  end
  return err
end

-- throws(fn, expected[, message]) -> the error fn raised
function M.throws(fn, expected, message)
  local ok, err = pcall(fn)
  if ok then fail(message, "Missing expected exception" .. (expected and expected.code and
    " (" .. expected.code .. ")" or "") .. ".") end
  return M.checkError(err, expected, 2)
end

function M.doesNotThrow(fn, message)
  local ok, err = pcall(fn)
  if not ok then fail(message, "Got unwanted exception: " .. tostring(err)) end
end

return M
