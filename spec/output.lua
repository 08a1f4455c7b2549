-- busted output: the plain (or UTF) terminal output, then one closing line
-- "N passed, N failed, N skipped" that CI reads.
return function(options)
  local busted = require("busted")
  local base = options.isatty ~= false and io.type(io.stdout) == "file"
    and require("term").isatty(io.stdout) and "utfTerminal" or "plainTerminal"
  local handler = require("busted.outputHandlers." .. base)(options)
  busted.subscribe({ "suite", "end" }, function()
    io.write(string.format("\n%d passed, %d failed, %d skipped\n",
      #handler.successes, #handler.failures + #handler.errors, #handler.pendings))
    io.flush()
    return nil, true
  end)
  return handler
end
