-- busted output: the plain (or UTF) terminal output, then one closing line
-- "N passed, N failed, N skipped" that CI reads.
-- LUATLS_SPEC_TIMES=FILE: each test's wall time goes to FILE, a line
-- "seconds<TAB>file<TAB>test" each (sort -rn FILE | head: the slow ones).
return function(options)
  local busted = require("busted")
  local base = options.isatty ~= false and io.type(io.stdout) == "file"
    and require("term").isatty(io.stdout) and "utfTerminal" or "plainTerminal"
  local handler = require("busted.outputHandlers." .. base)(options)
  local timesPath = os.getenv("LUATLS_SPEC_TIMES")
  if timesPath then
    local times = assert(io.open(timesPath, "w"))
    local core, started = require("luatls.core"), nil
    busted.subscribe({ "test", "start" }, function()
      started = core.hrtime()
      return nil, true
    end)
    busted.subscribe({ "test", "end" }, function(element)
      local file = element.trace and element.trace.short_src or "?"
      times:write(string.format("%.2f\t%s\t%s\n", (core.hrtime() - started) / 1e9, file, element.name))
      times:flush()
      return nil, true
    end)
  end
  busted.subscribe({ "suite", "end" }, function()
    io.write(string.format("\n%d passed, %d failed, %d skipped\n",
      #handler.successes, #handler.failures + #handler.errors, #handler.pendings))
    io.flush()
    return nil, true
  end)
  return handler
end
