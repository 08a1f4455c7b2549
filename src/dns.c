/*
 * dns.c - name resolution on libuv's thread pool (getaddrinfo), so looking up
 * a host never blocks the loop.
 */
#include <stdlib.h>
#include <string.h>

#include "luatls.h"

typedef struct {
  uv_getaddrinfo_t req;
  char host[1];
} gai_req;

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  luatls_req *r = req->data;
  lua_State *L = luatls_state();
  if (!luatls_req_take_cb(L, r)) {
    uv_freeaddrinfo(res);
    free(req);
    return;
  }
  if (status < 0) {
    luatls_push_uv_error(L, status, "getaddrinfo", ((gai_req *)req)->host);
    lua_pushstring(L, ((gai_req *)req)->host);
    lua_setfield(L, -2, "hostname");
    uv_freeaddrinfo(res);
    free(req);
    luatls_call(L, 1);
    return;
  }
  lua_pushnil(L);
  lua_newtable(L);
  int n = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    char ip[INET6_ADDRSTRLEN];
    if (ai->ai_family == AF_INET)
      uv_ip4_name((struct sockaddr_in *)ai->ai_addr, ip, sizeof ip);
    else
      uv_ip6_name((struct sockaddr_in6 *)ai->ai_addr, ip, sizeof ip);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, ip);
    lua_setfield(L, -2, "address");
    lua_pushinteger(L, ai->ai_family == AF_INET ? 4 : 6);
    lua_setfield(L, -2, "family");
    lua_rawseti(L, -2, ++n);
  }
  uv_freeaddrinfo(res);
  free(req);
  luatls_call(L, 2);
}

/* getaddrinfo(host, family, cb): family 0, 4 or 6; cb(err) or
 * cb(nil, { {address=, family=4|6}, ... }) */
static int l_getaddrinfo(lua_State *L) {
  size_t len;
  const char *host = luaL_checklstring(L, 1, &len);
  lua_Integer fam = luaL_optinteger(L, 2, 0);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  luatls_req *r;
  gai_req *g = luatls_req_new(L, sizeof *g + len, &r, 3);
  memcpy(g->host, host, len + 1);
  int err = uv_getaddrinfo(luatls_L.uv, &g->req, gai_cb, g->host, NULL, &hints);
  if (err < 0) {
    luatls_req_release(L, r);
    free(g);
    return luatls_fail(L, err, "getaddrinfo", host);
  }
  lua_pushboolean(L, 1);
  return 1;
}

void luatls_open_dns(lua_State *L) {
  lua_pushcfunction(L, l_getaddrinfo);
  lua_setfield(L, -2, "getaddrinfo");
}
