/*
 * uv/tcp.c - TCP handles: bind, connect, addresses, socket options.
 * Addresses given here are numeric IPs; host names are resolved in Lua with
 * dns.getaddrinfo first, as Node's net does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luatls.h"

#define TCP_T "luatls.tcp"

int luatls_addr(const char *ip, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (strchr(ip, ':'))
    return uv_ip6_addr(ip, port, (struct sockaddr_in6 *)ss);
  return uv_ip4_addr(ip, port, (struct sockaddr_in *)ss);
}

void luatls_push_addr(lua_State *L, const struct sockaddr *sa) {
  char ip[INET6_ADDRSTRLEN] = "";
  int port = 0;
  const char *family = "IPv4";
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    uv_ip6_name(a, ip, sizeof ip);
    port = ntohs(a->sin6_port);
    family = "IPv6";
  } else if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
  }
  lua_createtable(L, 0, 3);
  lua_pushstring(L, ip);
  lua_setfield(L, -2, "address");
  lua_pushinteger(L, port);
  lua_setfield(L, -2, "port");
  lua_pushstring(L, family);
  lua_setfield(L, -2, "family");
}

static uv_tcp_t *check_tcp(lua_State *L) {
  luaL_checkudata(L, 1, TCP_T);
  return (uv_tcp_t *)luatls_check_handle(L, 1, LUATLS_KIND_STREAM)->h;
}

/* tcp_new([family]) -> handle; family 4 or 6 creates the socket at once */
static int l_tcp_new(lua_State *L) {
  lua_Integer fam = luaL_optinteger(L, 1, 0);
  unsigned int flags = fam == 6 ? AF_INET6 : fam == 4 ? AF_INET : AF_UNSPEC;
  luatls_handle *rec = luatls_handle_new(L, TCP_T, sizeof(uv_tcp_t));
  int err = uv_tcp_init_ex(luatls_main_loop.uv, (uv_tcp_t *)rec->h, flags);
  if (err < 0) {
    luatls_handle_abort(L, rec);
    return luatls_fail(L, err, "socket", NULL);
  }
  return 1;
}

static void detail(char *buf, size_t n, const char *ip, int port) {
  snprintf(buf, n, "%s:%d", ip, port);
}

/* bind(ip, port[, ipv6only]) -> true | nil, err */
static int l_bind(lua_State *L) {
  uv_tcp_t *t = check_tcp(L);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  struct sockaddr_storage ss;
  int err = luatls_addr(ip, port, &ss);
  if (err == 0)
    err = uv_tcp_bind(t, (struct sockaddr *)&ss,
                      lua_toboolean(L, 4) ? UV_TCP_IPV6ONLY : 0);
  if (err < 0) {
    char d[INET6_ADDRSTRLEN + 16];
    detail(d, sizeof d, ip, port);
    return luatls_fail(L, err, "bind", d);
  }
  lua_pushboolean(L, 1);
  return 1;
}

typedef struct {
  uv_connect_t req;
  char detail[INET6_ADDRSTRLEN + 16];
} connect_req;

static void connect_cb(uv_connect_t *req, int status) {
  luatls_req_complete((uv_req_t *)req, status, "connect",
                      ((connect_req *)req)->detail);
}

/* connect(ip, port, cb) -> true | nil, err; cb(err|nil) */
static int l_connect(lua_State *L) {
  uv_tcp_t *t = check_tcp(L);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  struct sockaddr_storage ss;
  char d[INET6_ADDRSTRLEN + 16];
  detail(d, sizeof d, ip, port);
  int err = luatls_addr(ip, port, &ss);
  if (err < 0)
    return luatls_fail(L, err, "connect", d);
  luatls_req *r;
  connect_req *c = luatls_req_new(L, sizeof *c, &r, 4);
  memcpy(c->detail, d, sizeof d);
  err = uv_tcp_connect(&c->req, t, (struct sockaddr *)&ss, connect_cb);
  if (err < 0) {
    luatls_req_release(L, r);
    free(c);
    return luatls_fail(L, err, "connect", d);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int name(lua_State *L, int peer) {
  uv_tcp_t *t = check_tcp(L);
  struct sockaddr_storage ss;
  int len = sizeof ss;
  int err = peer ? uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len)
                 : uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len);
  if (err < 0)
    return luatls_fail(L, err, peer ? "getpeername" : "getsockname", NULL);
  luatls_push_addr(L, (struct sockaddr *)&ss);
  return 1;
}

static int l_getsockname(lua_State *L) { return name(L, 0); }
static int l_getpeername(lua_State *L) { return name(L, 1); }

static int l_nodelay(lua_State *L) {
  int err = uv_tcp_nodelay(check_tcp(L), lua_toboolean(L, 2));
  if (err < 0)
    return luatls_fail(L, err, "setsockopt", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* keepalive(enable[, delay_seconds]) */
static int l_keepalive(lua_State *L) {
  int err = uv_tcp_keepalive(check_tcp(L), lua_toboolean(L, 2),
                             (unsigned)luaL_optinteger(L, 3, 0));
  if (err < 0)
    return luatls_fail(L, err, "setsockopt", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* open(fd): adopt an existing socket descriptor */
static int l_open(lua_State *L) {
  int err = uv_tcp_open(check_tcp(L), (uv_os_sock_t)luaL_checkinteger(L, 2));
  if (err < 0)
    return luatls_fail(L, err, "open", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* linger_reset(): the handle's close sends a TCP RST instead of a FIN
 * (SO_LINGER 0, what uv_tcp_close_reset does): net's resetAndDestroy() */
static int l_linger_reset(lua_State *L) {
  uv_os_fd_t fd;
  int err = uv_fileno((uv_handle_t *)check_tcp(L), &fd);
  if (err == 0) {
    struct linger l = {1, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0)
      err = uv_translate_sys_error(errno);
  }
  if (err < 0)
    return luatls_fail(L, err, "reset", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* ip_family(s) -> 4, 6 or 0 (net.isIP) */
static int l_ip_family(lua_State *L) {
  const char *s = luaL_checkstring(L, 1);
  unsigned char buf[sizeof(struct in6_addr)];
  if (uv_inet_pton(AF_INET, s, buf) == 0)
    lua_pushinteger(L, 4);
  else if (uv_inet_pton(AF_INET6, s, buf) == 0)
    lua_pushinteger(L, 6);
  else
    lua_pushinteger(L, 0);
  return 1;
}

void luatls_open_tcp(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"bind", l_bind},
      {"connect", l_connect},
      {"getsockname", l_getsockname},
      {"getpeername", l_getpeername},
      {"nodelay", l_nodelay},
      {"keepalive", l_keepalive},
      {"open", l_open},
      {"linger_reset", l_linger_reset},
      {NULL, NULL},
  };
  static const luaL_Reg *const lists[] = {
      luatls_handle_methods, luatls_stream_methods,
      luatls_stream_forward_methods, methods, NULL};
  luatls_new_class(L, TCP_T, LUATLS_KIND_HANDLE | LUATLS_KIND_STREAM, lists);
  lua_pushcfunction(L, l_tcp_new);
  lua_setfield(L, -2, "tcp_new");
  lua_pushcfunction(L, l_ip_family);
  lua_setfield(L, -2, "ip_family");
}
