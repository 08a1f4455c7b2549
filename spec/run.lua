-- Runs the busted specs inside the luatls interpreter:
--   build/luatls spec/run.lua [busted options] [spec files]
-- (.busted at the top of the repo sets the spec directory and the output.)
-- Every luatls module is loaded first, so busted's per-file insulation keeps
-- one runtime for the whole run instead of loading it again for each file.
local luatls = require("luatls")
for _, name in ipairs(luatls.modules) do
  local ok, err = pcall(require, "luatls." .. name)
  if not ok and not tostring(err):find("module 'luatls%." .. name .. "' not found") then
    error(err, 0)
  end
end
require("spec.helper")
require("busted.runner")({ standalone = false })
