/*
 * errors.c - libuv and luatls failures as Node-style error objects: tables
 * { name, message, code, errno, syscall } sharing the "luatls.Error"
 * metatable that lua/luatls/errors.lua also uses.
 */
#include <string.h>

#include "luatls.h"

const char *luatls_uv_code(int err) {
  switch (err) {
  case UV_EAI_NONAME:
  case UV_EAI_NODATA:
    return "ENOTFOUND"; /* as Node reports a host that does not resolve */
  default: return uv_err_name(err);
  }
}

static void new_error(lua_State *L, const char *code, const char *message) {
  lua_createtable(L, 0, 6);
  lua_pushliteral(L, "Error");
  lua_setfield(L, -2, "name");
  lua_pushstring(L, message);
  lua_setfield(L, -2, "message");
  if (code) {
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
  }
  luaL_setmetatable(L, "luatls.Error");
}

void luatls_push_error(lua_State *L, const char *code, const char *message) {
  new_error(L, code, message);
}

void luatls_push_uv_error(lua_State *L, int err, const char *syscall,
                          const char *detail) {
  const char *code = luatls_uv_code(err);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (syscall) {
    luaL_addstring(&b, syscall);
    luaL_addchar(&b, ' ');
  }
  luaL_addstring(&b, code);
  if (detail) {
    luaL_addchar(&b, ' ');
    luaL_addstring(&b, detail);
  } else if (!syscall) {
    luaL_addstring(&b, ": ");
    luaL_addstring(&b, uv_strerror(err));
  }
  luaL_pushresult(&b);
  new_error(L, code, lua_tostring(L, -1));
  lua_remove(L, -2);
  lua_pushinteger(L, err);
  lua_setfield(L, -2, "errno");
  if (syscall) {
    lua_pushstring(L, syscall);
    lua_setfield(L, -2, "syscall");
  }
}

int luatls_fail(lua_State *L, int err, const char *syscall,
                const char *detail) {
  lua_pushnil(L);
  luatls_push_uv_error(L, err, syscall, detail);
  return 2;
}

int luatls_raise_uv(lua_State *L, int err, const char *syscall) {
  luatls_push_uv_error(L, err, syscall, NULL);
  return lua_error(L);
}

static int error_tostring(lua_State *L) {
  lua_getfield(L, 1, "name");
  lua_getfield(L, 1, "code");
  lua_getfield(L, 1, "message");
  const char *name = lua_isstring(L, 2) ? lua_tostring(L, 2) : "Error";
  const char *code = lua_isstring(L, 3) ? lua_tostring(L, 3) : NULL;
  const char *msg = luaL_tolstring(L, 4, NULL);
  if (code && strncmp(code, "ERR_", 4) == 0)
    lua_pushfstring(L, "%s [%s]: %s", name, code, msg);
  else
    lua_pushfstring(L, "%s: %s", name, msg);
  return 1;
}

/* strerror(errcode) -> name, message: for Lua code that maps errno values */
static int l_strerror(lua_State *L) {
  int err = (int)luaL_checkinteger(L, 1);
  lua_pushstring(L, luatls_uv_code(err));
  lua_pushstring(L, uv_strerror(err));
  return 2;
}

void luatls_open_errors(lua_State *L) {
  luaL_newmetatable(L, "luatls.Error");
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  lua_setfield(L, -2, "Error");
  lua_pushcfunction(L, l_strerror);
  lua_setfield(L, -2, "strerror");
}
