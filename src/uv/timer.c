/*
 * uv/timer.c - timer handles (setTimeout/setInterval are built on them in Lua).
 */
#include "luatls.h"

#define TIMER_T "luatls.timer"

static uv_timer_t *check_timer(lua_State *L) {
  luaL_checkudata(L, 1, TIMER_T);
  return (uv_timer_t *)luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h;
}

static int l_timer_new(lua_State *L) {
  luatls_handle *rec = luatls_handle_new(L, TIMER_T, sizeof(uv_timer_t));
  uv_timer_init(luatls_main_loop.uv, (uv_timer_t *)rec->h);
  return 1;
}

static void timer_cb(uv_timer_t *t) {
  lua_State *L = luatls_state();
  if (L && luatls_push_cb(L, (uv_handle_t *)t, LUATLS_UV_CB) != LUA_TNIL)
    luatls_call(L, 0);
}

/* start(timeout_ms, repeat_ms, cb) */
static int l_start(lua_State *L) {
  uv_timer_t *t = check_timer(L);
  lua_Integer timeout = luaL_checkinteger(L, 2);
  lua_Integer repeat = luaL_checkinteger(L, 3);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  luaL_argcheck(L, timeout >= 0, 2, "must not be negative");
  luaL_argcheck(L, repeat >= 0, 3, "must not be negative");
  luatls_set_slot(L, 1, LUATLS_UV_CB, 4);
  /* count from now, not from when the loop last woke: a callback may have
   * been busy for a while (libuv's clock is cached per loop turn) */
  uv_update_time(luatls_main_loop.uv);
  uv_timer_start(t, timer_cb, (uint64_t)timeout, (uint64_t)repeat);
  return 0;
}

static int l_stop(lua_State *L) {
  uv_timer_stop(check_timer(L));
  return 0;
}

/* again(): restart a repeating timer from now (timer.refresh()) */
static int l_again(lua_State *L) {
  int err = uv_timer_again(check_timer(L));
  if (err < 0)
    return luatls_fail(L, err, "timer", NULL);
  return 0;
}

static int l_set_repeat(lua_State *L) {
  uv_timer_t *t = check_timer(L);
  uv_timer_set_repeat(t, (uint64_t)luaL_checkinteger(L, 2));
  return 0;
}

static int l_get_repeat(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_timer_get_repeat(check_timer(L)));
  return 1;
}

static int l_get_due_in(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_timer_get_due_in(check_timer(L)));
  return 1;
}

void luatls_open_timer(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"start", l_start},
      {"stop", l_stop},
      {"again", l_again},
      {"set_repeat", l_set_repeat},
      {"get_repeat", l_get_repeat},
      {"get_due_in", l_get_due_in},
      {NULL, NULL},
  };
  static const luaL_Reg *const lists[] = {luatls_handle_methods, methods, NULL};
  luatls_new_class(L, TIMER_T, LUATLS_KIND_HANDLE, lists);
  lua_pushcfunction(L, l_timer_new);
  lua_setfield(L, -2, "timer_new");
}
