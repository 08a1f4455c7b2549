/*
 * pump_fuzz.c - libFuzzer harness: arbitrary bytes as a client's whole
 * flight into the server side of the TLS pump (src/tls/conn.c and the
 * handshake hooks), through a kernel socket pair, with SNICallback and the
 * session store (newSession/resumeSession) enabled, exactly as a connection
 * a tls.Server accepted. Any crash, sanitizer report, leak, or Lua error
 * escaping the runtime is a finding.
 *   bash fuzz/run.sh pump [seconds]
 * It needs lua/ (the luatls modules) and the test certificates: their
 * directories are compiled in by CMakeLists.txt (LUATLS_FUZZ=ON); the
 * environment variables LUATLS_FUZZ_LUADIR and LUATLS_FUZZ_CERTS override.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lualib.h>

#include "../src/luatls.h"

#ifndef LUATLS_FUZZ_LUADIR
#define LUATLS_FUZZ_LUADIR "lua"
#endif
#ifndef LUATLS_FUZZ_CERTS
#define LUATLS_FUZZ_CERTS "build/test-certs"
#endif

static lua_State *L;

static const char *setup_lua =
    "local core = require('luatls.core')\n"
    "local tls = require('luatls.tls')\n"
    "local dir = ...\n"
    "local function read(n) local f = assert(io.open(dir .. '/' .. n)); "
    "local s = f:read('a'); f:close(); return s end\n"
    "local ctx = tls.createSecureContext({ key = read('server-key.pem'), "
    "cert = read('server-chain.pem') }, true)\n"
    "local server = tls.createServer({ secureContext = ctx, ALPNProtocols = "
    "{ 'h2', 'http/1.1' }, SNICallback = function(name, cb) cb(nil, ctx) end "
    "})\n"
    "local store = {}\n"
    "server:on('newSession', function(id, data, cb) store[id] = data; cb() "
    "end)\n"
    "server:on('resumeSession', function(id, cb) cb(nil, store[id]) end)\n"
    "server:on('tlsClientError', function() end)\n"
    "server:on('clientError', function() end)\n"
    "function fuzz_one(data)\n"
    "  local a, b = core.socketpair()\n"
    "  local s = server:_makeSocket(a)\n"
    "  s:on('error', function() end)\n"
    "  s:on('data', function() end)\n"
    "  b:write(data)\n"
    "  b:shutdown()\n"
    "  for _ = 1, 50 do\n"
    "    if s.destroyed then break end\n"
    "    core.run('nowait')\n"
    "  end\n"
    "  s:destroy()\n"
    "  b:close()\n"
    "  for _ = 1, 5 do core.run('nowait') end\n"
    "  store = {}\n" /* each input starts afresh: see below */
    "end\n";

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v != NULL && *v != '\0' ? v : fallback;
}

static void setup(void) {
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_luatls_core);
  lua_setfield(L, -2, "luatls.core");
  lua_pop(L, 1);
  const char *luadir = env_or("LUATLS_FUZZ_LUADIR", LUATLS_FUZZ_LUADIR);
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", luadir, luadir);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  if (luaL_loadstring(L, setup_lua) != LUA_OK ||
      (lua_pushstring(L, env_or("LUATLS_FUZZ_CERTS", LUATLS_FUZZ_CERTS)),
       lua_pcall(L, 1, 0, 0)) != LUA_OK) {
    fprintf(stderr, "fuzz setup: %s\n", lua_tostring(L, -1));
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL)
    setup();
  if (size == 0)
    return 0;
  lua_getglobal(L, "fuzz_one");
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    fprintf(stderr, "a Lua error escaped the runtime: %s\n",
            luaL_tolstring(L, -1, NULL));
    abort();
  }
  /* Leave as many blocks allocated as before the input: libFuzzer runs a
   * LeakSanitizer pass after every input that malloc'ed more than it freed,
   * and with each input's sessions and garbage kept, those passes made the
   * harness 30 times slower (about 30 runs/s instead of 1000). */
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
