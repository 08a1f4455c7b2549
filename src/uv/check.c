/*
 * uv/check.c - check and idle handles: setImmediate runs its queue from a check
 * handle (after the loop's I/O), and an idle handle keeps the loop from
 * blocking in poll while immediates are queued.
 */
#include "luatls.h"

#define CHECK_T "luatls.check"
#define IDLE_T "luatls.idle"

static void check_cb(uv_check_t *c) {
  lua_State *L = luatls_state();
  if (L && luatls_push_cb(L, (uv_handle_t *)c, LUATLS_UV_CB) != LUA_TNIL)
    luatls_call(L, 0);
}

static void idle_cb(uv_idle_t *i) {
  lua_State *L = luatls_state();
  if (L && luatls_push_cb(L, (uv_handle_t *)i, LUATLS_UV_CB) != LUA_TNIL)
    luatls_call(L, 0);
}

static int l_check_new(lua_State *L) {
  luatls_handle *rec = luatls_handle_new(L, CHECK_T, sizeof(uv_check_t));
  uv_check_init(luatls_main_loop.uv, (uv_check_t *)rec->h);
  return 1;
}

static int l_idle_new(lua_State *L) {
  luatls_handle *rec = luatls_handle_new(L, IDLE_T, sizeof(uv_idle_t));
  uv_idle_init(luatls_main_loop.uv, (uv_idle_t *)rec->h);
  return 1;
}

/* start(cb) / stop() for both */
static int l_check_start(lua_State *L) {
  luaL_checkudata(L, 1, CHECK_T);
  uv_check_t *c =
      (uv_check_t *)luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luatls_set_slot(L, 1, LUATLS_UV_CB, 2);
  uv_check_start(c, check_cb);
  return 0;
}

static int l_check_stop(lua_State *L) {
  luaL_checkudata(L, 1, CHECK_T);
  uv_check_stop((uv_check_t *)luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h);
  return 0;
}

static int l_idle_start(lua_State *L) {
  luaL_checkudata(L, 1, IDLE_T);
  uv_idle_t *i = (uv_idle_t *)luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h;
  if (lua_isfunction(L, 2))
    luatls_set_slot(L, 1, LUATLS_UV_CB, 2);
  uv_idle_start(i, idle_cb);
  return 0;
}

static int l_idle_stop(lua_State *L) {
  luaL_checkudata(L, 1, IDLE_T);
  uv_idle_stop((uv_idle_t *)luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h);
  return 0;
}

void luatls_open_check(lua_State *L) {
  static const luaL_Reg check_methods[] = {
      {"start", l_check_start}, {"stop", l_check_stop}, {NULL, NULL}};
  static const luaL_Reg idle_methods[] = {
      {"start", l_idle_start}, {"stop", l_idle_stop}, {NULL, NULL}};
  static const luaL_Reg *const clists[] = {luatls_handle_methods, check_methods,
                                           NULL};
  static const luaL_Reg *const ilists[] = {luatls_handle_methods, idle_methods,
                                           NULL};
  luatls_new_class(L, CHECK_T, LUATLS_KIND_HANDLE, clists);
  luatls_new_class(L, IDLE_T, LUATLS_KIND_HANDLE, ilists);
  lua_pushcfunction(L, l_check_new);
  lua_setfield(L, -2, "check_new");
  lua_pushcfunction(L, l_idle_new);
  lua_setfield(L, -2, "idle_new");
}
