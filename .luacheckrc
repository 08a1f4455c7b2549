-- luacheck configuration: `luacheck lua spec examples bench test`
std = "lua54"
max_line_length = 120
-- the interpreter's globals, as examples and specs use them
globals = { "process" }
read_globals = {
  "console", "setTimeout", "clearTimeout", "setInterval",
  "clearInterval", "setImmediate", "clearImmediate",
}
files["spec"] = { std = "+busted" }
-- `self` is often unused in methods that mirror Node's signatures
self = false
