-- luatls.internal.streams.from: Readable.from(iterable[, options]).
local errors = require("luatls.errors")
local checkOptions = require("luatls.internal.streams.state").checkOptions

-- Readable.from(iterable[, options]): a Readable (objectMode by default) that
-- gives a string as one chunk, an array's values in order, or the values an
-- iterator function returns until it returns nil.
local function from(Readable, iterable, options)
  local nextValue
  if type(iterable) == "string" then
    local done = false
    nextValue = function()
      if done then return nil end
      done = true
      return iterable
    end
  elseif type(iterable) == "table" then
    local i = 0
    nextValue = function()
      i = i + 1
      return iterable[i]
    end
  elseif type(iterable) == "function" then
    nextValue = iterable
  else
    errors.invalidArgType("iterable", "a string, table or function", iterable)
  end
  local opts = { objectMode = true }
  for k, v in pairs(checkOptions(options)) do opts[k] = v end
  opts.read = function(self)
    while true do
      local ok, value = pcall(nextValue)
      if not ok then
        self:destroy(value)
        return
      end
      if value == nil then
        self:push(nil)
        return
      end
      if not self:push(value) then return end
    end
  end
  return Readable.new(opts)
end

return from
