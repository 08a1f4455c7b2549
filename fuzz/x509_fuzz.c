/*
 * x509_fuzz.c - libFuzzer harness: arbitrary bytes into core.x509_parse (PEM
 * or DER, one certificate or a chain), i.e. the x509 -> Lua table
 * conversion of src/tls/x509.c, in a real Lua state. Any crash, sanitizer
 * report or leak is a finding; a Lua error (bad input) is not.
 *   bash fuzz/run.sh x509 [seconds]
 */
#include <stddef.h>
#include <stdint.h>

#include <lualib.h>

#include "../src/luatls.h"

static lua_State *L;

static void setup(void) {
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "luatls.core", luaopen_luatls_core, 0);
  lua_getfield(L, -1, "x509_parse");
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.parse");
  lua_pop(L, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL)
    setup();
  for (int detailed = 0; detailed <= 1; detailed++) {
    lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.parse");
    lua_pushlstring(L, (const char *)data, size);
    lua_pushboolean(L, detailed);
    if (lua_pcall(L, 2, 2, 0) == LUA_OK && lua_istable(L, -2)) {
      /* walk what came back, as a script would */
      lua_getfield(L, -2, "subject");
      lua_getfield(L, -3, "fingerprint256");
      lua_pop(L, 2);
    }
    lua_settop(L, 0);
  }
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
