-- luatls.internal.streams.buffer_list: a queue of chunks, a Readable's
-- buffer ({ first =, last =, chunk, chunk, ... }).
local M = {}

local function listNew() return { first = 1, last = 0 } end

-- A readable state's buffer, made when the first chunk is buffered (and
-- dropped when it is read empty).
function M.bufferOf(state)
  local list = state.buffer
  if list == nil then
    list = listNew()
    state.buffer = list
  end
  return list
end

function M.push(l, v)
  l.last = l.last + 1
  l[l.last] = v
end

function M.unshift(l, v)
  if l.first > l.last then
    l.first, l.last = 1, 1
    l[1] = v
  elseif l.first > 1 then
    l.first = l.first - 1
    l[l.first] = v
  else
    table.insert(l, 1, v)
    l.last = l.last + 1
  end
end

local function listShift(l)
  local v = l[l.first]
  l[l.first] = nil
  l.first = l.first + 1
  if l.first > l.last then l.first, l.last = 1, 0 end
  return v
end

-- Takes n bytes off the front (extending to a whole UTF-8 character when
-- `wholeChars`, so a decoded string is never cut).
function M.consume(l, n, wholeChars)
  local parts, got = {}, 0
  while got < n and l.first <= l.last do
    local s = l[l.first]
    local need = n - got
    if #s <= need then
      parts[#parts + 1] = listShift(l)
      got = got + #s
    else
      if wholeChars then
        while need < #s and s:byte(need + 1) & 0xC0 == 0x80 do need = need + 1 end
      end
      parts[#parts + 1] = s:sub(1, need)
      if need < #s then l[l.first] = s:sub(need + 1) else listShift(l) end
      got = got + need
    end
  end
  return table.concat(parts)
end

M.shift = listShift

return M
