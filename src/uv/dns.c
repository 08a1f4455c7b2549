/*
 * uv/dns.c - name resolution on libuv's thread pool, so looking up a host or an
 * address never blocks the loop:
 *
 *   getaddrinfo(host, family[, cb][, hints]) family 0, 4 or 6; hints the
 *       AI_* flags below; cb(err) or cb(nil, { {address=, family=4|6}, ... })
 *       in the resolver's order. The callback may come third or fourth
 *       (getaddrinfo(host, family, cb) is the older form). An answer with no
 *       IPv4 or IPv6 address is an error (ENOTFOUND), as in Node.
 *   getnameinfo(ip, port, cb) cb(err) or cb(nil, hostname, service), with
 *       NI_NAMEREQD as Node: an address without a name is ENOTFOUND.
 *   AI_ADDRCONFIG, AI_V4MAPPED, AI_ALL  the system's getaddrinfo flags
 *   UV_EAI_NONAME                       the errno of an ENOTFOUND
 *
 * Errors are Node's DNSException: message "getaddrinfo ENOTFOUND host",
 * code, errno, syscall and hostname.
 */
#include <stdlib.h>
#include <string.h>

#include "luatls.h"

typedef struct {
  uv_getaddrinfo_t req;
  char host[1];
} gai_req;

/* the error object of a failed lookup: Node's DNSException */
static void push_dns_error(lua_State *L, int status, const char *syscall,
                           const char *host) {
  luatls_push_uv_error(L, status, syscall, host);
  lua_pushstring(L, host);
  lua_setfield(L, -2, "hostname");
}

static int usable(const struct addrinfo *ai) {
  return ai->ai_family == AF_INET || ai->ai_family == AF_INET6;
}

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  luatls_req *r = req->data;
  lua_State *L = luatls_state();
  const char *host = ((gai_req *)req)->host;
  if (!luatls_req_take_cb(L, r)) {
    uv_freeaddrinfo(res);
    free(req);
    return;
  }
  if (status == 0) {
    status = UV_EAI_NODATA; /* Node: no address at all is not found */
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
      if (usable(ai))
        status = 0;
  }
  if (status < 0) {
    push_dns_error(L, status, "getaddrinfo", host);
    uv_freeaddrinfo(res);
    free(req);
    luatls_call(L, 1);
    return;
  }
  lua_pushnil(L);
  lua_newtable(L);
  int n = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    if (!usable(ai))
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

/* getaddrinfo(host, family, cb[, hints]) | getaddrinfo(host, family, hints,
 * cb) -> true | nil, err (a failure to start; cb is then not called) */
static int l_getaddrinfo(lua_State *L) {
  size_t len;
  const char *host = luaL_checklstring(L, 1, &len);
  lua_Integer fam = luaL_optinteger(L, 2, 0);
  int cbidx = lua_isfunction(L, 3) ? 3 : 4;
  int hintsidx = cbidx == 3 ? 4 : 3;
  luaL_checktype(L, cbidx, LUA_TFUNCTION);
  lua_Integer flags = luaL_optinteger(L, hintsidx, 0);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = (int)flags;
  luatls_req *r;
  gai_req *g = luatls_req_new(L, sizeof *g + len, &r, cbidx);
  memcpy(g->host, host, len + 1);
  int err = uv_getaddrinfo(luatls_main_loop.uv, &g->req, gai_cb, g->host, NULL,
                           &hints);
  if (err < 0) {
    luatls_req_release(L, r);
    lua_pushnil(L);
    push_dns_error(L, err, "getaddrinfo", host);
    free(g);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

typedef struct {
  uv_getnameinfo_t req;
  char ip[INET6_ADDRSTRLEN];
} gni_req;

static void gni_cb(uv_getnameinfo_t *req, int status, const char *hostname,
                   const char *service) {
  luatls_req *r = req->data;
  lua_State *L = luatls_state();
  if (!luatls_req_take_cb(L, r)) {
    free(req);
    return;
  }
  if (status < 0) {
    push_dns_error(L, status, "getnameinfo", ((gni_req *)req)->ip);
    free(req);
    luatls_call(L, 1);
    return;
  }
  lua_pushnil(L);
  lua_pushstring(L, hostname);
  lua_pushstring(L, service);
  free(req);
  luatls_call(L, 3);
}

/* getnameinfo(ip, port, cb) -> true | nil, err (not an IP address, or a
 * failure to start; cb is then not called) */
static int l_getnameinfo(lua_State *L) {
  size_t len;
  const char *ip = luaL_checklstring(L, 1, &len);
  lua_Integer port = luaL_checkinteger(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luaL_argcheck(L, port >= 0 && port <= 65535, 2, "port out of range");
  struct sockaddr_storage ss;
  int err =
      len < INET6_ADDRSTRLEN ? luatls_addr(ip, (int)port, &ss) : UV_EINVAL;
  if (err < 0)
    return luatls_fail(L, err, "getnameinfo", ip);
  luatls_req *r;
  gni_req *g = luatls_req_new(L, sizeof *g, &r, 3);
  memcpy(g->ip, ip, len + 1);
  err = uv_getnameinfo(luatls_main_loop.uv, &g->req, gni_cb,
                       (struct sockaddr *)&ss, NI_NAMEREQD);
  if (err < 0) {
    luatls_req_release(L, r);
    lua_pushnil(L);
    push_dns_error(L, err, "getnameinfo", ip);
    free(g);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

void luatls_open_dns(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"getaddrinfo", l_getaddrinfo},
      {"getnameinfo", l_getnameinfo},
      {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
  static const struct {
    const char *name;
    int value;
  } consts[] = {
      {"AI_ADDRCONFIG", AI_ADDRCONFIG},
      {"AI_V4MAPPED", AI_V4MAPPED},
      {"AI_ALL", AI_ALL},
      {"UV_EAI_NONAME", UV_EAI_NONAME},
  };
  for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++) {
    lua_pushinteger(L, consts[i].value);
    lua_setfield(L, -2, consts[i].name);
  }
}
