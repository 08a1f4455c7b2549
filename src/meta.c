/*
 * meta.c - the one way a C file makes the metatable of its userdata. A leaf:
 * it calls nothing of luatls, so every file may use it.
 */
#include "luatls.h"

void luatls_new_metatable(lua_State *L, const char *tname,
                          const luaL_Reg *methods, lua_CFunction gc,
                          lua_CFunction close, lua_CFunction tostring) {
  luaL_newmetatable(L, tname);
  if (methods)
    luaL_setfuncs(L, methods, 0);
  const struct {
    const char *name;
    lua_CFunction fn;
  } meta[] = {{"__gc", gc}, {"__close", close}, {"__tostring", tostring}};
  for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
    if (meta[i].fn) {
      lua_pushcfunction(L, meta[i].fn);
      lua_setfield(L, -2, meta[i].name);
    }
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
}
