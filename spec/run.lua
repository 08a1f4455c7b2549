-- Runs the busted specs inside the luatls interpreter:
--   build/luatls spec/run.lua [busted options] [spec files]
-- (.busted at the top of the repo sets the spec directory and the output.)
-- Every luatls module is loaded first, so busted's per-file insulation keeps
-- one runtime for the whole run instead of loading it again for each file.
local luatls = require("luatls")
-- (A module that is advertised but missing fails here, at once.)
for _, name in ipairs(luatls.modules) do
  require("luatls." .. name)
end
require("spec.helper")
require("busted.runner")({ standalone = false })
