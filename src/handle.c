/*
 * handle.c - the handle record every libuv handle type shares: creation,
 * close (also __gc and __close, safe to call twice), ref/unref, and the
 * metatables ("luatls.<type>") built from method lists.
 */
#include <stdlib.h>
#include <string.h>

#include "luatls.h"

luatls_handle *luatls_handle_new(lua_State *L, const char *tname, size_t size) {
  luatls_handle *rec = lua_newuserdatauv(L, sizeof *rec, LUATLS_UV_NSLOTS);
  rec->h = NULL;
  rec->ref = LUA_NOREF;
  rec->flags = 0;
  rec->consumer = NULL;
  rec->consumer_data = NULL;
  rec->queue_peak = 0;
  luaL_setmetatable(L, tname);
  uv_handle_t *h = calloc(1, size);
  if (h == NULL)
    luaL_error(L, "out of memory");
  h->data = rec;
  rec->h = h;
  lua_pushvalue(L, -1);
  rec->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return rec;
}

/* uv_*_init failed: nothing was registered with the loop, free at once. */
void luatls_handle_abort(lua_State *L, luatls_handle *rec) {
  free(rec->h);
  rec->h = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, rec->ref);
  rec->ref = LUA_NOREF;
}

luatls_handle *luatls_check_handle(lua_State *L, int idx, unsigned kind) {
  luatls_handle *rec = lua_touserdata(L, idx);
  int ok = 0;
  if (rec && lua_getmetatable(L, idx)) {
    lua_getfield(L, -1, "__kind");
    ok = ((unsigned)lua_tointeger(L, -1) & kind) == kind;
    lua_pop(L, 2);
  }
  if (!ok)
    luaL_typeerror(L, idx,
                   kind & LUATLS_KIND_STREAM ? "stream handle" : "handle");
  if (rec->h == NULL)
    luaL_error(L, "handle is closed");
  return rec;
}

int luatls_push_handle(lua_State *L, uv_handle_t *h) {
  luatls_handle *rec = h->data;
  if (rec == NULL || rec->ref == LUA_NOREF || L == NULL)
    return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, rec->ref);
  return 1;
}

int luatls_push_cb(lua_State *L, uv_handle_t *h, int slot) {
  if (!luatls_push_handle(L, h))
    return LUA_TNIL;
  int t = lua_getiuservalue(L, -1, slot);
  lua_remove(L, -2);
  if (t == LUA_TNIL || t == LUA_TNONE) {
    lua_pop(L, 1);
    return LUA_TNIL;
  }
  return t;
}

void luatls_set_slot(lua_State *L, int hidx, int slot, int idx) {
  hidx = lua_absindex(L, hidx);
  lua_pushvalue(L, idx);
  lua_setiuservalue(L, hidx, slot);
}

/* ---- close --------------------------------------------------------------- */

static void close_cb(uv_handle_t *h) {
  luatls_handle *rec = h->data;
  lua_State *L = luatls_state();
  free(h);
  if (rec == NULL || L == NULL)
    return;
  int ref = rec->ref;
  rec->ref = LUA_NOREF;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref); /* keep it alive for the callback */
  luaL_unref(L, LUA_REGISTRYINDEX, ref);
  int self = lua_gettop(L);
  if (lua_getiuservalue(L, self, LUATLS_UV_CLOSECB) == LUA_TFUNCTION) {
    lua_pushnil(L);
    lua_setiuservalue(L, self, LUATLS_UV_CLOSECB);
    lua_pushvalue(L, self);
    luatls_call(L, 1);
  } else {
    lua_pop(L, 1);
  }
  /* drop every callback so cycles through closures are collectable */
  for (int i = 1; i <= LUATLS_UV_NSLOTS; i++) {
    lua_pushnil(L);
    lua_setiuservalue(L, self, i);
  }
  lua_settop(L, self - 1);
}

/* The one close path. `detach` (from __gc) cuts the uv handle loose from a
 * userdata that is about to be freed; its close callback then only frees. */
static void close_handle(luatls_handle *rec, int detach) {
  uv_handle_t *h = rec->h;
  if (h == NULL)
    return;
  rec->h = NULL;
  rec->flags &= ~LUATLS_F_READING;
  if (detach)
    h->data = NULL;
  if (!uv_is_closing(h))
    uv_close(h, close_cb);
}

/* close([cb]): request the close; cb(self) runs once it completed. Also
 * __close. Safe to call twice. */
static int l_close(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  luaL_argcheck(L, rec != NULL, 1, "handle expected");
  if (rec->h != NULL && lua_isfunction(L, 2))
    luatls_set_slot(L, 1, LUATLS_UV_CLOSECB, 2);
  close_handle(rec, 0);
  return 0;
}

void luatls_handle_close(lua_State *L, int idx) {
  lua_pushcfunction(L, l_close);
  lua_pushvalue(L, idx);
  lua_call(L, 1, 0);
}

/* __gc: only reached when no reference is left (the state is closing, or the
 * handle was never anchored). The uv memory is freed by its close callback. */
static int l_gc(lua_State *L) {
  close_handle(lua_touserdata(L, 1), 1);
  return 0;
}

static int l_ref(lua_State *L) {
  uv_ref(luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h);
  return 0;
}

static int l_unref(lua_State *L) {
  uv_unref(luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h);
  return 0;
}

static int l_has_ref(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  lua_pushboolean(L, rec && rec->h && uv_has_ref(rec->h));
  return 1;
}

static int l_is_active(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  lua_pushboolean(L, rec && rec->h && uv_is_active(rec->h));
  return 1;
}

static int l_is_closing(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  luaL_argcheck(L, rec != NULL, 1, "handle expected");
  lua_pushboolean(L, rec->h == NULL || uv_is_closing(rec->h));
  return 1;
}

static int l_fileno(lua_State *L) {
  uv_os_fd_t fd;
  luatls_handle *rec = luatls_check_handle(L, 1, LUATLS_KIND_HANDLE);
  int err = uv_fileno(rec->h, &fd);
  if (err < 0)
    return luatls_fail(L, err, "fileno", NULL);
  lua_pushinteger(L, fd);
  return 1;
}

/* set_internal(): the runtime's own handle (walk() leaves it out). */
static int l_set_internal(lua_State *L) {
  luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->flags |= LUATLS_F_INTERNAL;
  return 0;
}

static int l_tostring(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__name");
  lua_pushfstring(L, "%s: %p%s", lua_tostring(L, -1), (void *)rec,
                  rec->h ? "" : " (closed)");
  return 1;
}

const luaL_Reg luatls_handle_methods[] = {
    {"close", l_close},
    {"ref", l_ref},
    {"unref", l_unref},
    {"has_ref", l_has_ref},
    {"is_active", l_is_active},
    {"is_closing", l_is_closing},
    {"fileno", l_fileno},
    {"set_internal", l_set_internal},
    {NULL, NULL},
};

void luatls_new_class(lua_State *L, const char *tname, unsigned kind,
                      const luaL_Reg *const *lists) {
  /* __close closes like close() but lets the loop finish it */
  luatls_new_metatable(L, tname, NULL, l_gc, l_close, l_tostring);
  for (; *lists; lists++)
    luaL_setfuncs(L, *lists, 0);
  lua_pushinteger(L, kind);
  lua_setfield(L, -2, "__kind");
  lua_pop(L, 1);
}
