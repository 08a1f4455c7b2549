/*
 * uv/tty.c - terminal handles, for process.stdin/stdout when they are a TTY.
 */
#include "luatls.h"

#define TTY_T "luatls.tty"

/* tty_new(fd) -> handle */
static int l_tty_new(lua_State *L) {
  int fd = (int)luaL_checkinteger(L, 1);
  luatls_handle *rec = luatls_handle_new(L, TTY_T, sizeof(uv_tty_t));
  int err = uv_tty_init(luatls_main_loop.uv, (uv_tty_t *)rec->h, fd, 0);
  if (err < 0) {
    luatls_handle_abort(L, rec);
    return luatls_fail(L, err, "tty", NULL);
  }
  return 1;
}

/* set_mode("normal" | "raw" | "io") */
static int l_set_mode(lua_State *L) {
  static const char *const modes[] = {"normal", "raw", "io", NULL};
  luaL_checkudata(L, 1, TTY_T);
  uv_tty_t *t = (uv_tty_t *)luatls_check_handle(L, 1, LUATLS_KIND_STREAM)->h;
  int err = uv_tty_set_mode(t, luaL_checkoption(L, 2, "normal", modes));
  if (err < 0)
    return luatls_fail(L, err, "tty", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* get_winsize() -> columns, rows */
static int l_get_winsize(lua_State *L) {
  luaL_checkudata(L, 1, TTY_T);
  uv_tty_t *t = (uv_tty_t *)luatls_check_handle(L, 1, LUATLS_KIND_STREAM)->h;
  int w, h;
  int err = uv_tty_get_winsize(t, &w, &h);
  if (err < 0)
    return luatls_fail(L, err, "tty", NULL);
  lua_pushinteger(L, w);
  lua_pushinteger(L, h);
  return 2;
}

static int l_reset_mode(lua_State *L) {
  (void)L;
  uv_tty_reset_mode();
  return 0;
}

void luatls_open_tty(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"set_mode", l_set_mode},
      {"get_winsize", l_get_winsize},
      {NULL, NULL},
  };
  static const luaL_Reg *const lists[] = {luatls_handle_methods,
                                          luatls_stream_methods, methods, NULL};
  luatls_new_class(L, TTY_T, LUATLS_KIND_HANDLE | LUATLS_KIND_STREAM, lists);
  lua_pushcfunction(L, l_tty_new);
  lua_setfield(L, -2, "tty_new");
  lua_pushcfunction(L, l_reset_mode);
  lua_setfield(L, -2, "tty_reset_mode");
}
