/*
 * main.c - the luatls interpreter: a Lua 5.4 state with luatls.core built in
 * and our lua/ directory in front of package.path, handing the command line
 * to luatls.main (lua/luatls/main.lua), which runs the script and the loop.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lualib.h>

#include "luatls.h"

#ifndef LUATLS_LUADIR
#define LUATLS_LUADIR "/usr/local/share/lua/5.4"
#endif

/* The directory holding luatls/init.lua: lua/ beside the build directory
 * when run from a checkout, else the installed one. */
static void find_luadir(char *out, size_t n) {
  char exe[2048];
  size_t len = sizeof exe;
  if (uv_exepath(exe, &len) == 0) {
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      char probe[4096 + 32];
      snprintf(probe, sizeof probe, "%s/../lua/luatls/init.lua", exe);
      if (access(probe, R_OK) == 0) {
        snprintf(probe, sizeof probe, "%s/../lua", exe);
        if (realpath(probe, out) != NULL) /* out holds PATH_MAX */
          return;
      }
    }
  }
  snprintf(out, n, "%s", LUATLS_LUADIR);
}

static int boot(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  luaL_openlibs(L);

  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_luatls_core);
  lua_setfield(L, -2, "luatls.core");
  lua_pop(L, 1);

  char dir[PATH_MAX];
  find_luadir(dir, sizeof dir);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir,
                  lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);

  lua_getglobal(L, "require");
  lua_pushliteral(L, "luatls.main");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_call(L, 1, 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "luatls: cannot create the Lua state\n");
    return 1;
  }
  /* Generational collection: a server's garbage is mostly young (a
   * request's tables, a read's strings); bench/http measured 9 % less CPU
   * per request than incremental mode, bench/run's bulk 31 % less per GB.
   * A script may switch back with collectgarbage("incremental"). */
  lua_gc(L, LUA_GCGEN, 0, 0);
  lua_pushcfunction(L, boot);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = 0;
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
    fprintf(stderr, "luatls: %s\n", luaL_tolstring(L, -1, NULL));
    status = 1;
  } else {
    status = (int)lua_tointeger(L, -1);
  }
  fflush(stdout);
  lua_close(L);
  return status;
}
