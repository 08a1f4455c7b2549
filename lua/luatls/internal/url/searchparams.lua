-- luatls.internal.url.searchparams: Node's URLSearchParams and the
-- application/x-www-form-urlencoded parser and serializer of the WHATWG
-- URL Standard. The face is lua/luatls/url.lua; internal/url/whatwg.lua
-- attaches one to each URL (url.searchParams), whose changes update the
-- URL's query.
--
--   local p = URLSearchParams.new("a=1&b=2")   -- or "?a=1", or
--     { { "a", "1" }, { "b", "2" } } (pairs), or { a = "1" } (a map: its
--     keys sorted, as a Lua table has no order), or another URLSearchParams
--   p:append(name, value), p:delete(name[, value]), p:get(name) -> string
--   or nil, p:getAll(name) -> list, p:has(name[, value]), p:set(name,
--   value), p:sort(), p:toString(), tostring(p), p.size
--   for name, value in p:entries() do ... end   (also p:keys(),
--   p:values(), p:forEach(function(value, name, params) end))
--
--   searchparams.parse(s) -> { { name, value }, ... }
--   searchparams.serialize(list) -> s
--   searchparams.attach(query, update) -> a URLSearchParams whose changes
--     call update(serialized query or nil); replace(params, query) sets its
--     list from a URL's new query (for internal/url/whatwg.lua)
--
-- Names and values are strings (numbers as JavaScript prints them); bytes
-- that are not UTF-8 become U+FFFD, as a JavaScript string's lone
-- surrogates do. Iterators are live, as Node's: they see appends made
-- while they run.
local errors = require("luatls.errors")
local events = require("luatls.events")
local formatNumber = require("luatls.util").formatNumber
local percent = require("luatls.internal.url.percent")

local concat = table.concat

local M = {}

function M.parse(s)
  local list = {}
  for sequence in s:gmatch("[^&]+") do
    local name, value = sequence:match("^([^=]*)=(.*)$")
    if name == nil then name, value = sequence, "" end
    name = percent.utf8(percent.decode((name:gsub("%+", " "))))
    value = percent.utf8(percent.decode((value:gsub("%+", " "))))
    list[#list + 1] = { name, value }
  end
  return list
end

function M.serialize(list)
  local out = {}
  local form = percent.SETS.form
  for i, pair in ipairs(list) do
    out[i] = percent.encode(pair[1], form, true) .. "=" .. percent.encode(pair[2], form, true)
  end
  return concat(out, "&")
end

local URLSearchParams = events.class(nil, "URLSearchParams")
M.URLSearchParams = URLSearchParams

-- URLSearchParams -> { list = { { name, value }, ... }, update = fn or nil }
local state = setmetatable({}, { __mode = "k" })

local function usv(v)
  if type(v) == "string" then return percent.utf8(v) end
  if type(v) == "number" then return formatNumber(v) end
  return percent.utf8(tostring(v))
end

local function sortedKeys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) and (type(a) == "string" or type(a) == "number") then return a < b end
    return type(a) < type(b)
  end)
  return keys
end

local function invalidTuple(level)
  errors.throw("ERR_INVALID_TUPLE", "Each query pair must be an iterable [name, value] tuple",
    { name = "TypeError" }, level + 1)
end

function URLSearchParams:init(init)
  local list = {}
  if init == nil then
    list = {}
  elseif state[init] then
    for i, pair in ipairs(state[init].list) do list[i] = { pair[1], pair[2] } end
  elseif type(init) == "table" and getmetatable(init) == nil then
    if init[1] ~= nil then
      for i, pair in ipairs(init) do
        if type(pair) ~= "table" or #pair ~= 2 then invalidTuple(3) end
        list[i] = { usv(pair[1]), usv(pair[2]) }
      end
    else
      for _, k in ipairs(sortedKeys(init)) do list[#list + 1] = { usv(k), usv(init[k]) } end
    end
  else
    local s = usv(init)
    if s:sub(1, 1) == "?" then s = s:sub(2) end
    list = M.parse(s)
  end
  state[self] = { list = list }
end

-- the URL's query follows each change
local function update(s)
  if s.update then
    local query = M.serialize(s.list)
    s.update(query ~= "" and query or nil)
  end
end

function M.attach(query, onUpdate)
  local p = URLSearchParams.new()
  local s = state[p]
  s.list = query and M.parse(query) or {}
  s.update = onUpdate
  return p
end

function M.replace(p, query)
  state[p].list = query and M.parse(query) or {}
end

local function missing(names, level)
  errors.throw("ERR_MISSING_ARGS", string.format("The %s must be specified", names), { name = "TypeError" },
    level + 1)
end

function URLSearchParams:append(name, value)
  if name == nil or value == nil then missing('"name" and "value" arguments', 2) end
  local s = state[self]
  s.list[#s.list + 1] = { usv(name), usv(value) }
  update(s)
end

function URLSearchParams:delete(name, value)
  if name == nil then missing('"name" argument', 2) end
  local s = state[self]
  name = usv(name)
  if value ~= nil then value = usv(value) end
  local kept = {}
  for _, pair in ipairs(s.list) do
    if not (pair[1] == name and (value == nil or pair[2] == value)) then kept[#kept + 1] = pair end
  end
  s.list = kept
  update(s)
end

function URLSearchParams:get(name)
  if name == nil then missing('"name" argument', 2) end
  name = usv(name)
  for _, pair in ipairs(state[self].list) do
    if pair[1] == name then return pair[2] end
  end
  return nil
end

function URLSearchParams:getAll(name)
  if name == nil then missing('"name" argument', 2) end
  name = usv(name)
  local out = {}
  for _, pair in ipairs(state[self].list) do
    if pair[1] == name then out[#out + 1] = pair[2] end
  end
  return out
end

function URLSearchParams:has(name, value)
  if name == nil then missing('"name" argument', 2) end
  name = usv(name)
  if value ~= nil then value = usv(value) end
  for _, pair in ipairs(state[self].list) do
    if pair[1] == name and (value == nil or pair[2] == value) then return true end
  end
  return false
end

function URLSearchParams:set(name, value)
  if name == nil or value == nil then missing('"name" and "value" arguments', 2) end
  local s = state[self]
  name, value = usv(name), usv(value)
  local kept, found = {}, false
  for _, pair in ipairs(s.list) do
    if pair[1] == name then
      if not found then
        found = true
        kept[#kept + 1] = { name, value }
      end
    else
      kept[#kept + 1] = pair
    end
  end
  if not found then kept[#kept + 1] = { name, value } end
  s.list = kept
  update(s)
end

-- UTF-16 code units of s, for sort(): the order JavaScript compares in
-- (it differs from UTF-8's byte order only for code points above U+FFFF)
local function units(s)
  local out = {}
  for _, c in utf8.codes(s) do
    if c >= 0x10000 then
      c = c - 0x10000
      out[#out + 1] = 0xD800 + (c >> 10)
      out[#out + 1] = 0xDC00 + (c & 0x3FF)
    else
      out[#out + 1] = c
    end
  end
  return out
end

local function utf16Less(a, b)
  if not (a:find("[\240-\244]") or b:find("[\240-\244]")) then return a < b end
  local ua, ub = units(a), units(b)
  for i = 1, math.min(#ua, #ub) do
    if ua[i] ~= ub[i] then return ua[i] < ub[i] end
  end
  return #ua < #ub
end

-- sort(): by name, stable (pairs with equal names keep their order)
function URLSearchParams:sort()
  local s = state[self]
  local decorated = {}
  for i, pair in ipairs(s.list) do decorated[i] = { pair, i } end
  table.sort(decorated, function(x, y)
    local a, b = x[1][1], y[1][1]
    if a == b then return x[2] < y[2] end
    return utf16Less(a, b)
  end)
  for i, d in ipairs(decorated) do s.list[i] = d[1] end
  update(s)
end

function URLSearchParams:toString()
  return M.serialize(state[self].list)
end
URLSearchParams.__tostring = URLSearchParams.toString

-- live iterators: each step reads the list as it is then
local function iterator(self, pick)
  local s, i = state[self], 0
  return function()
    i = i + 1
    local pair = s.list[i]
    if pair then return pick(pair) end
  end
end

local function both(pair) return pair[1], pair[2] end
local function first(pair) return pair[1] end
local function second(pair) return pair[2] end

function URLSearchParams:entries() return iterator(self, both) end
function URLSearchParams:keys() return iterator(self, first) end
function URLSearchParams:values() return iterator(self, second) end

function URLSearchParams:forEach(fn)
  if type(fn) ~= "function" then errors.invalidArgType("callback", "of type function", fn) end
  local s, i = state[self], 1
  while s.list[i] do
    local pair = s.list[i]
    fn(pair[2], pair[1], self)
    i = i + 1
  end
end

events.defineProperty(URLSearchParams, "size", function(self) return #state[self].list end)

function M.isURLSearchParams(v) return state[v] ~= nil end

return M
