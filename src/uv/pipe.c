/*
 * uv/pipe.c - pipe handles: Unix domain sockets (bind/connect by path) and
 * adopted descriptors (process.stdin when it is a pipe).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luatls.h"

#define PIPE_T "luatls.pipe"

static uv_pipe_t *check_pipe(lua_State *L) {
  luaL_checkudata(L, 1, PIPE_T);
  return (uv_pipe_t *)luatls_check_handle(L, 1, LUATLS_KIND_STREAM)->h;
}

/* pipe_new([ipc]) -> handle */
static int l_pipe_new(lua_State *L) {
  int ipc = lua_toboolean(L, 1);
  luatls_handle *rec = luatls_handle_new(L, PIPE_T, sizeof(uv_pipe_t));
  int err = uv_pipe_init(luatls_main_loop.uv, (uv_pipe_t *)rec->h, ipc);
  if (err < 0) {
    luatls_handle_abort(L, rec);
    return luatls_fail(L, err, "pipe", NULL);
  }
  return 1;
}

static int l_bind(lua_State *L) {
  uv_pipe_t *p = check_pipe(L);
  const char *path = luaL_checkstring(L, 2);
  int err = uv_pipe_bind(p, path);
  if (err < 0)
    return luatls_fail(L, err, "bind", path);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_open(lua_State *L) {
  int err = uv_pipe_open(check_pipe(L), (uv_file)luaL_checkinteger(L, 2));
  if (err < 0)
    return luatls_fail(L, err, "open", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

typedef struct {
  uv_connect_t req;
  char path[1];
} connect_req;

static void connect_cb(uv_connect_t *req, int status) {
  luatls_req_complete((uv_req_t *)req, status, "connect",
                      ((connect_req *)req)->path);
}

/* connect(path, cb); cb(err|nil). uv_pipe_connect reports every failure
 * through the callback. */
static int l_connect(lua_State *L) {
  uv_pipe_t *p = check_pipe(L);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luatls_req *r;
  /* the request is allocated with room for the path, for the error text */
  connect_req *c = luatls_req_new(L, sizeof *c + len, &r, 3);
  memcpy(c->path, path, len + 1);
  uv_pipe_connect(&c->req, p, c->path, connect_cb);
  lua_pushboolean(L, 1);
  return 1;
}

static int name(lua_State *L, int peer) {
  uv_pipe_t *p = check_pipe(L);
  char buf[1024];
  /* libuv (1.44) tests buf[0] after copying an empty name (an unnamed
   * socket, e.g. from socketpair()) into it */
  buf[0] = '\0';
  size_t len = sizeof buf;
  int err = peer ? uv_pipe_getpeername(p, buf, &len)
                 : uv_pipe_getsockname(p, buf, &len);
  if (err < 0)
    return luatls_fail(L, err, peer ? "getpeername" : "getsockname", NULL);
  lua_pushlstring(L, buf, len);
  return 1;
}

static int l_getsockname(lua_State *L) { return name(L, 0); }
static int l_getpeername(lua_State *L) { return name(L, 1); }

/* socketpair() -> two connected pipe handles (a kernel socket pair): bytes
 * written to one are read from the other. SecurePair runs over one. */
static int l_socketpair(lua_State *L) {
  uv_os_sock_t fds[2];
  int err = uv_socketpair(SOCK_STREAM, 0, fds, 0, 0);
  if (err < 0)
    return luatls_fail(L, err, "socketpair", NULL);
  for (int i = 0; i < 2; i++) {
    luatls_handle *rec = luatls_handle_new(L, PIPE_T, sizeof(uv_pipe_t));
    err = uv_pipe_init(luatls_main_loop.uv, (uv_pipe_t *)rec->h, 0);
    if (err == 0)
      err = uv_pipe_open((uv_pipe_t *)rec->h, fds[i]);
    if (err < 0) {
      luatls_handle_abort(L, rec);
      close(fds[0]);
      close(fds[1]);
      return luaL_error(L, "socketpair: %s", uv_strerror(err));
    }
  }
  return 2;
}

void luatls_open_pipe(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"bind", l_bind},
      {"open", l_open},
      {"connect", l_connect},
      {"getsockname", l_getsockname},
      {"getpeername", l_getpeername},
      {NULL, NULL},
  };
  static const luaL_Reg *const lists[] = {
      luatls_handle_methods, luatls_stream_methods,
      luatls_stream_forward_methods, methods, NULL};
  luatls_new_class(L, PIPE_T, LUATLS_KIND_HANDLE | LUATLS_KIND_STREAM, lists);
  lua_pushcfunction(L, l_pipe_new);
  lua_setfield(L, -2, "pipe_new");
  lua_pushcfunction(L, l_socketpair);
  lua_setfield(L, -2, "socketpair");
}
