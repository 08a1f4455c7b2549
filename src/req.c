/*
 * req.c - the life of a request (connect, write, shutdown, getaddrinfo, fs):
 * its callback and the data it needs stay anchored in the registry until the
 * request completes, then the completion pushes the callback and lets go.
 */
#include <stdlib.h>

#include "luatls.h"

void *luatls_req_new(lua_State *L, size_t size, luatls_req **r, int cbidx) {
  /* the uv request comes first so that uv's pointer is the allocation */
  size_t off = (size + _Alignof(luatls_req) - 1) & ~(_Alignof(luatls_req) - 1);
  char *mem = calloc(1, off + sizeof(luatls_req));
  if (mem == NULL)
    luaL_error(L, "out of memory");
  luatls_req *rec = (luatls_req *)(mem + off);
  rec->cb_ref = LUA_NOREF;
  rec->data_ref = LUA_NOREF;
  if (cbidx && lua_isfunction(L, cbidx)) {
    lua_pushvalue(L, cbidx);
    rec->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  ((uv_req_t *)mem)->data = rec;
  *r = rec;
  return mem;
}

void luatls_req_release(lua_State *L, luatls_req *r) {
  if (L == NULL)
    return; /* the state is gone, and its registry with it */
  luaL_unref(L, LUA_REGISTRYINDEX, r->cb_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, r->data_ref);
  r->cb_ref = r->data_ref = LUA_NOREF;
}

int luatls_req_take_cb(lua_State *L, luatls_req *r) {
  if (L == NULL)
    return 0;
  int has = r->cb_ref != LUA_NOREF;
  if (has)
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->cb_ref);
  luatls_req_release(L, r);
  return has;
}

void luatls_req_complete(uv_req_t *req, int status, const char *syscall,
                         const char *detail) {
  luatls_req *r = req->data;
  lua_State *L = luatls_state();
  if (!luatls_req_take_cb(L, r)) {
    free(req);
    return;
  }
  if (status < 0)
    luatls_push_uv_error(L, status, syscall, detail);
  else
    lua_pushnil(L);
  free(req); /* detail may live in req: the error object has copied it */
  luatls_call(L, 1);
}
