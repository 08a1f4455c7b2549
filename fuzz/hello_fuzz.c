/*
 * hello_fuzz.c - libFuzzer harness: arbitrary bytes into
 * core.parse_client_hello, the ClientHello parser of src/tls/hello.c, in a
 * real Lua state: once as they are (TLS records, reassembled), once as the
 * body of a ClientHello in one well-formed record, so that the fuzzer
 * reaches the extensions without having to find the framing first. Any
 * crash, sanitizer report or leak is a finding; a nil, err answer is not.
 *   bash fuzz/run.sh hello [seconds]
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lualib.h>

#include "../src/luatls.h"

static lua_State *L;

static void setup(void) {
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "luatls.core", luaopen_luatls_core, 0);
  lua_getfield(L, -1, "parse_client_hello");
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.parse");
  lua_pop(L, 1);
}

static void parse(const char *p, size_t n) {
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.parse");
  lua_pushlstring(L, p, n);
  if (lua_pcall(L, 1, 2, 0) == LUA_OK && lua_istable(L, -2)) {
    /* read what came back, as a script would */
    lua_getfield(L, -2, "ja4");
    lua_getfield(L, -3, "ja3Hash");
    lua_pop(L, 2);
  }
  lua_settop(L, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char rec[5 + 4 + 16384];
  if (L == NULL)
    setup();
  parse((const char *)data, size);
  if (size <= sizeof rec - 9) {
    size_t m = size + 4;
    memcpy(rec, "\x16\x03\x01", 3);
    rec[3] = (char)(m >> 8);
    rec[4] = (char)m;
    rec[5] = 1;
    rec[6] = 0;
    rec[7] = (char)(size >> 8);
    rec[8] = (char)size;
    memcpy(rec + 9, data, size);
    parse(rec, size + 9);
  }
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
