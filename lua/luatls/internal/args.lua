-- luatls.internal.args: argument handling that several modules share.
local M = {}

-- The arguments of a call whose last one may be a callback: (packed
-- arguments without it, the callback or nil).
function M.splitCallback(...)
  local args = table.pack(...)
  local cb
  if type(args[args.n]) == "function" then
    cb = args[args.n]
    args[args.n] = nil
    args.n = args.n - 1
  end
  return args, cb
end

return M
