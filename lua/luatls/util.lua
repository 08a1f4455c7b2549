-- luatls.util: Node's util.inspect and util.format, for Lua values.
--
--   util.inspect({ 1, 2, a = "x" })   --> '{ 1, 2, a = "x" }'
--   util.format("%s=%d", "n", 3)       --> "n=3"
--
-- Tables print in Lua's own constructor syntax: the sequence part first, then
-- the other keys sorted (numbers, then strings, then booleans, then the rest).
-- Strings inside tables (and at the top level of inspect) are double-quoted
-- with escapes for control characters and for bytes that are not valid UTF-8.
local M = {}

local byte, char, fmt = string.byte, string.char, string.format
local concat, sort = table.concat, table.sort
local mtype, floor, huge = math.type, math.floor, math.huge
local getmetatable_raw = debug.getmetatable

local DEFAULTS = {
  depth = 2,              -- nesting levels shown in full below the top (math.huge: all)
  breakLength = 72,       -- a table whose one-line form is longer goes multi-line
  maxArrayLength = 100,   -- sequence items shown before "... n more items"
  maxStringLength = 10000, -- bytes of a string shown before "... n more bytes"
}
M.defaultOptions = DEFAULTS

---------------------------------------------------------------------------
-- numbers

-- Node-like number text: integer-valued floats without ".0", the shortest
-- decimal that reads back as the same double, NaN / Infinity / -0.
local function formatNumber(x)
  if mtype(x) == "integer" then return fmt("%d", x) end
  if x ~= x then return "NaN" end
  if x == huge then return "Infinity" end
  if x == -huge then return "-Infinity" end
  if x == 0 then return (1 / x < 0) and "-0" or "0" end
  if x == floor(x) and x < 1e21 and x > -1e21 then return fmt("%.0f", x) end
  local s = fmt("%.15g", x)
  if tonumber(s) ~= x then
    s = fmt("%.16g", x)
    if tonumber(s) ~= x then s = fmt("%.17g", x) end
  end
  return (s:gsub("e([+-])0*(%d)", "e%1%2"))
end
M.formatNumber = formatNumber

---------------------------------------------------------------------------
-- strings

local ESC = {
  ["\a"] = "\\a", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t", ["\v"] = "\\v",
  ["\\"] = "\\\\", ['"'] = '\\"', ["\127"] = "\\x7f",
}
for i = 0, 31 do
  local c = char(i)
  if not ESC[c] then ESC[c] = fmt("\\x%02x", i) end
end
local HEXESC = {}
for i = 128, 255 do HEXESC[char(i)] = fmt("\\x%02x", i) end

-- Escape the bytes of s that are not part of a valid UTF-8 sequence.
local function escapeInvalidUtf8(s)
  if utf8.len(s) then return s end
  local out, n, pos = {}, 0, 1
  while true do
    local ok, bad = utf8.len(s, pos)
    if ok then break end
    n = n + 1; out[n] = s:sub(pos, bad - 1)
    n = n + 1; out[n] = HEXESC[s:sub(bad, bad)] or fmt("\\x%02x", byte(s, bad))
    pos = bad + 1
  end
  n = n + 1; out[n] = s:sub(pos)
  return concat(out, "", 1, n)
end

local function quote(s, maxLen)
  local extra = 0
  if maxLen and #s > maxLen then
    extra = #s - maxLen
    s = s:sub(1, maxLen)
  end
  local q = '"' .. escapeInvalidUtf8((s:gsub('[%c\\"]', ESC))) .. '"'
  if extra > 0 then
    q = q .. fmt("... %d more byte%s", extra, extra == 1 and "" or "s")
  end
  return q
end
M._quote = quote

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local
  nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[w] = true
end

local function isIdentifier(k)
  return k:find("^[%a_][%w_]*$") ~= nil and not KEYWORDS[k]
end

---------------------------------------------------------------------------
-- key order: numbers, strings, booleans, then anything else

local RANK = { number = 1, string = 2, boolean = 3 }

local function keyLess(a, b)
  local ta, tb = type(a), type(b)
  local ra, rb = RANK[ta] or 4, RANK[tb] or 4
  if ra ~= rb then return ra < rb end
  if ra == 1 or ra == 2 then return a < b end
  if ra == 3 then return (not a) and b end
  if ta ~= tb then return ta < tb end
  local oka, sa = pcall(tostring, a)
  local okb, sb = pcall(tostring, b)
  return (oka and type(sa) == "string" and sa or "") < (okb and type(sb) == "string" and sb or "")
end
M._keyLess = keyLess

---------------------------------------------------------------------------
-- inspect

local function metaName(mt)
  local name = mt and rawget(mt, "__name")
  return type(name) == "string" and name or nil
end

local function isErrorObject(t, mt)
  return mt ~= nil and rawget(mt, "__tostring") ~= nil and type(rawget(t, "message")) == "string"
end

local render -- forward

-- Lay out rendered entries between "{" and "}": on one line when it fits,
-- else one entry per line (short sequence items packed several to a line).
local function layout(prefix, entries, packable, ctx, indent, col)
  local n = #entries
  local total, multiline = 0, false
  for i = 1, n do
    local e = entries[i]
    total = total + #e
    if not multiline and e:find("\n", 1, true) then multiline = true end
  end
  if not multiline and col + #prefix + total + 2 * (n - 1) + 4 <= ctx.breakLength then
    return prefix .. "{ " .. concat(entries, ", ") .. " }"
  end
  local inner = indent .. "  "
  local lines = {}
  if packable and n > 6 and not multiline then
    -- short scalars (numbers, booleans, short strings): fill lines
    local width = ctx.breakLength - #inner
    local line, lineLen = {}, 0
    for i = 1, n do
      local e = entries[i] .. (i < n and "," or "")
      if lineLen > 0 and lineLen + 1 + #e > width then
        lines[#lines + 1] = inner .. concat(line, " ")
        line, lineLen = {}, 0
      end
      line[#line + 1] = e
      lineLen = lineLen + (lineLen > 0 and 1 or 0) + #e
    end
    lines[#lines + 1] = inner .. concat(line, " ")
    return prefix .. "{\n" .. concat(lines, "\n") .. "\n" .. indent .. "}"
  end
  for i = 1, n do
    lines[i] = inner .. entries[i] .. (i < n and "," or "")
  end
  return prefix .. "{\n" .. concat(lines, "\n") .. "\n" .. indent .. "}"
end

-- Render the keys/values of t (skipping `skip` keys) as a list of entries.
local function renderEntries(t, ctx, level, indent, skip)
  local entries = {}
  local inner = indent .. "  "
  local innerCol = #inner
  local seqLen = 0
  if not skip then
    while rawget(t, seqLen + 1) ~= nil do seqLen = seqLen + 1 end
  end
  local shown = seqLen < ctx.maxArrayLength and seqLen or ctx.maxArrayLength
  local packable = true
  for i = 1, shown do
    local v = rawget(t, i)
    local e = render(v, ctx, level + 1, inner, innerCol)
    local tv = type(v)
    if #e > 16 or (tv ~= "number" and tv ~= "boolean" and tv ~= "string") then
      packable = false
    end
    entries[i] = e
  end
  if seqLen > shown then
    local more = seqLen - shown
    entries[#entries + 1] = fmt("... %d more item%s", more, more == 1 and "" or "s")
  end
  local keys = {}
  for k in next, t do
    if not (skip and skip[k])
      and not (mtype(k) == "integer" and k >= 1 and k <= seqLen) then
      keys[#keys + 1] = k
    end
  end
  if #keys > 0 then packable = false end
  sort(keys, keyLess)
  for i = 1, #keys do
    local k = keys[i]
    local ks
    if type(k) == "string" and isIdentifier(k) then
      ks = k .. " = "
    elseif type(k) == "string" then
      ks = "[" .. quote(k, ctx.maxStringLength) .. "] = "
    elseif type(k) == "number" then
      ks = "[" .. formatNumber(k) .. "] = "
    else
      ks = "[" .. render(k, ctx, level + 1, inner, innerCol + 1) .. "] = "
    end
    entries[#entries + 1] = ks .. render(rawget(t, k), ctx, level + 1, inner, innerCol + #ks)
  end
  return entries, packable
end

local ERROR_SKIP = { name = true, message = true, stack = true }

local function renderError(e, ctx, level, indent, col)
  local ok, header = pcall(tostring, e)
  if not ok or type(header) ~= "string" then
    header = fmt("%s: %s", tostring(rawget(e, "name") or "Error"), rawget(e, "message"))
  end
  local stack = rawget(e, "stack") -- (a stack read once: Node's form, which starts with the header)
  if level == 0 and type(stack) == "string" and stack ~= "" then
    header = stack:sub(1, #header) == header and stack or header .. "\n" .. stack
  end
  if level > ctx.depth or ctx.seen[e] then return header end
  local hasExtra = false
  for k in next, e do
    if not ERROR_SKIP[k] then hasExtra = true break end
  end
  if not hasExtra then return header end
  ctx.seen[e] = true
  local entries = renderEntries(e, ctx, level, indent, ERROR_SKIP)
  ctx.seen[e] = nil
  return layout(header .. " ", entries, false, ctx, indent, col)
end

function render(v, ctx, level, indent, col)
  local tv = type(v)
  if tv == "string" then return quote(v, ctx.maxStringLength) end
  if tv == "number" then return formatNumber(v) end
  if tv == "nil" or tv == "boolean" then return tostring(v) end
  if tv == "function" then return "[function]" end
  if tv == "thread" then return "[thread]" end
  local mt = getmetatable_raw(v)
  if tv == "userdata" then
    if mt and rawget(mt, "__tostring") then
      local ok, s = pcall(tostring, v)
      if ok and type(s) == "string" then return s end
    end
    local name = metaName(mt)
    return name and ("[userdata " .. name .. "]") or "[userdata]"
  end
  -- a table (one whose state is made at first use is made now:
  -- __materialize, e.g. the http server's lazy requests)
  local materialize = mt and rawget(mt, "__materialize")
  if materialize then
    materialize(v)
    mt = getmetatable_raw(v)
  end
  if mt and rawget(mt, "__tostring") then
    if isErrorObject(v, mt) then return renderError(v, ctx, level, indent, col) end
    local ok, s = pcall(tostring, v)
    if ok and type(s) == "string" then return s end
  end
  if ctx.seen[v] then return "[Circular]" end
  local name = metaName(mt)
  local prefix = name and (name .. " ") or ""
  if next(v) == nil then return prefix .. "{}" end
  if level > ctx.depth then return name and ("[" .. name .. "]") or "[table]" end
  ctx.seen[v] = true
  local entries, packable = renderEntries(v, ctx, level, indent)
  ctx.seen[v] = nil
  return layout(prefix, entries, packable, ctx, indent, col)
end

local function makeContext(opts)
  local ctx = { seen = {} }
  for k, d in pairs(DEFAULTS) do
    local v = opts and opts[k]
    if v == false then v = huge end -- depth = false: no limit (Node's null)
    ctx[k] = type(v) == "number" and v or d
  end
  return ctx
end

-- inspect(value[, opts]) -> string. opts: depth (default 2; math.huge for all),
-- breakLength (72), maxArrayLength (100), maxStringLength (10000).
function M.inspect(value, opts)
  if opts ~= nil and type(opts) ~= "table" then
    require("luatls.errors").invalidArgType("options", "of type table", opts)
  end
  return render(value, makeContext(opts), 0, "", 0)
end

---------------------------------------------------------------------------
-- JSON (for %j)

local JSONESC = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
for i = 0, 31 do
  local c = char(i)
  if not JSONESC[c] then JSONESC[c] = fmt("\\u%04x", i) end
end

local CIRCULAR = {}

local function json(v, seen)
  local tv = type(v)
  if tv == "string" then return '"' .. v:gsub('[%c"\\]', JSONESC) .. '"' end
  if tv == "number" then
    if v ~= v or v == huge or v == -huge then return "null" end
    return formatNumber(v)
  end
  if tv == "boolean" then return tostring(v) end
  if tv == "nil" then return "null" end
  if tv ~= "table" then return nil end -- functions, userdata: left out
  if seen[v] then error(CIRCULAR) end
  seen[v] = true
  local n, count = 0, 0
  while rawget(v, n + 1) ~= nil do n = n + 1 end
  for _ in next, v do count = count + 1 end
  local out = {}
  if n > 0 and count == n then
    for i = 1, n do out[i] = json(rawget(v, i), seen) or "null" end
    seen[v] = nil
    return "[" .. concat(out, ",") .. "]"
  end
  local keys = {}
  for k in next, v do
    if type(k) == "string" or type(k) == "number" then keys[#keys + 1] = k end
  end
  sort(keys, keyLess)
  for i = 1, #keys do
    local k = keys[i]
    local s = json(rawget(v, k), seen)
    if s then
      out[#out + 1] = json(type(k) == "number" and formatNumber(k) or k, seen) .. ":" .. s
    end
  end
  seen[v] = nil
  return "{" .. concat(out, ",") .. "}"
end

-- stringify(v) -> JSON text, "[Circular]" for cyclic tables, "undefined"
-- for a value JSON cannot hold.
function M._json(v)
  local ok, s = pcall(json, v, {})
  if not ok then
    if s == CIRCULAR then return "[Circular]" end
    error(s, 0)
  end
  return s or "undefined"
end

---------------------------------------------------------------------------
-- format

-- %s of one value: strings as they are, numbers Node-style, tables with
-- __tostring through it, other tables inspected one level deep.
local function formatS(v, opts)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "number" then return formatNumber(v) end
  if tv == "table" then
    local mt = getmetatable_raw(v)
    if mt and rawget(mt, "__tostring") then
      local ok, s = pcall(tostring, v)
      if ok and type(s) == "string" then return s end
    end
    local ctx = makeContext(opts)
    ctx.depth = 0
    return render(v, ctx, 0, "", 0)
  end
  return render(v, makeContext(opts), 0, "", 0)
end

-- Numbers for %d (like JS Number(v)), %i (parseInt) and %f (parseFloat).
local function toNumber(v, mode)
  if type(v) == "number" then
    if mode == "int" and mtype(v) == "float" then
      if v ~= v or v == huge or v == -huge then return 0 / 0 end
      local i = v >= 0 and floor(v) or -floor(-v)
      return math.tointeger(i) or i
    end
    return v
  end
  if type(v) ~= "string" then return 0 / 0 end
  if mode == "number" then
    if v:find("^%s*$") then return 0 end
    return tonumber(v) or 0 / 0
  end
  local s
  if mode == "int" then
    s = v:match("^%s*([-+]?%d+)")
  else
    s = v:match("^%s*([-+]?%d*%.?%d+[eE][-+]?%d+)") or v:match("^%s*([-+]?%d*%.?%d+)")
      or v:match("^%s*([-+]?%d+)%.")
    if not s then
      if v:find("^%s*%+?Infinity") then return huge end
      if v:find("^%s*%-Infinity") then return -huge end
    end
  end
  local n = s and tonumber(s)
  if not n then return 0 / 0 end
  return mode == "int" and (math.tointeger(n) or n) or n
end

local function formatInternal(opts, ...)
  local nargs = select("#", ...)
  if nargs == 0 then return "" end
  local args = { ... }
  local first = args[1]
  local out, on = {}, 0
  local a = 1
  if type(first) == "string" then
    if nargs == 1 then return first end
    local lastPos, i, len = 1, 1, #first
    while i < len do
      if byte(first, i) == 37 then -- "%"
        local c = first:sub(i + 1, i + 1)
        local piece
        if a < nargs then
          local arg = args[a + 1]
          if c == "s" then piece = formatS(arg, opts)
          elseif c == "d" then piece = formatNumber(toNumber(arg, "number"))
          elseif c == "i" then piece = formatNumber(toNumber(arg, "int"))
          elseif c == "f" then piece = formatNumber(toNumber(arg, "float"))
          elseif c == "j" then piece = M._json(arg)
          elseif c == "o" then
            local o = { depth = 4 }
            if opts then for k, v in pairs(opts) do o[k] = v end end
            piece = M.inspect(arg, o)
          elseif c == "O" then piece = M.inspect(arg, opts)
          elseif c == "c" then piece = ""
          end
          if piece then a = a + 1 end
        end
        if c == "%" then piece = "%" end
        if piece then
          on = on + 1; out[on] = first:sub(lastPos, i - 1)
          on = on + 1; out[on] = piece
          lastPos = i + 2
        end
        i = i + 2
      else
        i = i + 1
      end
    end
    on = on + 1; out[on] = first:sub(lastPos)
    a = a + 1
  end
  for j = a, nargs do
    local v = args[j]
    if on > 0 then on = on + 1; out[on] = " " end
    on = on + 1
    out[on] = type(v) == "string" and v or M.inspect(v, opts)
  end
  return concat(out, "", 1, on)
end

-- format(fmt, ...) -> string, as Node's util.format: %s %d %i %f %j %o %O %c
-- and %%; arguments left over are appended, separated by spaces (strings as
-- they are, other values inspected).
function M.format(...)
  return formatInternal(nil, ...)
end

-- formatWithOptions(inspectOptions, fmt, ...) -> string
function M.formatWithOptions(opts, ...)
  if type(opts) ~= "table" then
    require("luatls.errors").invalidArgType("inspectOptions", "of type table", opts)
  end
  return formatInternal(opts, ...)
end

return M
