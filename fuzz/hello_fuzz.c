/*
 * hello_fuzz.c - libFuzzer harness: arbitrary bytes into
 * core.parse_client_hello, the ClientHello parser of src/tls/hello.c, in a
 * real Lua state: once as they are (TLS records, reassembled), once as the
 * body of a ClientHello in one well-formed record, so that the fuzzer
 * reaches the extensions without having to find the framing first. Each
 * input also goes through luatls_tls_scan_hello (tls.createRouter's scan,
 * no Lua), which must agree with the table: found or not, and the same
 * server name. Any crash, sanitizer report, leak or disagreement is a
 * finding; a nil, err answer is not.
 *   bash fuzz/run.sh hello [seconds]
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "../src/tls/tls.h"

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
  luatls_hello_scan sc;
  int found = luatls_tls_scan_hello((const unsigned char *)p, n, &sc);
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.parse");
  lua_pushlstring(L, p, n);
  int ok = lua_pcall(L, 1, 2, 0) == LUA_OK;
  int table = ok && lua_istable(L, -2);
  if (ok && (found == 1) != table)
    abort(); /* the scan and the table disagree */
  if (table) {
    /* read what came back, as a script would */
    lua_getfield(L, -2, "ja4");
    lua_getfield(L, -3, "ja3Hash");
    lua_getfield(L, -4, "servername");
    size_t len = 0;
    const char *name = lua_tolstring(L, -1, &len);
    if ((name == NULL) != (sc.servername == NULL) ||
        (name &&
         (len != sc.servername_len || memcmp(name, sc.servername, len) != 0)))
      abort();
    lua_pop(L, 3);
  }
  free(sc.buf);
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
