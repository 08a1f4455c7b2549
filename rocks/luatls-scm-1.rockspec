-- luatls as a LuaRocks module, built by the project's CMakeLists.txt:
--   luarocks --lua-version 5.4 make rocks/luatls-scm-1.rockspec
--   luarocks --lua-version 5.4 --tree DIR make rocks/luatls-scm-1.rockspec
-- Then, from a plain lua5.4: require("luatls.net") ... require("luatls").run()
rockspec_format = "3.0"
package = "luatls"
version = "scm-1"
source = {
  url = "git+file://.",
}
description = {
  summary = "Node's tls and net for Lua 5.4, on libuv and OpenSSL 3",
  detailed = [[
A Lua-scriptable TLS runtime: a C core binds libuv-driven sockets and
servers (OpenSSL 3) into Lua 5.4 modules shaped like Node's tls, net,
events, stream, timers and fs modules.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBUV = { header = "uv.h" },
  OPENSSL = { header = "openssl/ssl.h" },
  HTTP_PARSER = { header = "http_parser.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    LUATLS_LUADIR = "$(LUADIR)",
    LUATLS_CMODDIR = "$(LIBDIR)",
  },
}
