/*
 * tls/router.c - tls.createRouter (luatls's own): a router for TLS that
 * does not terminate it, with no Lua per connection. What
 * examples/sni-router.lua does with two sockets and two pipes per
 * connection (a few thousand Lua instructions each), done here in C: accept,
 * read until the ClientHello is whole (hello.c's luatls_tls_scan_hello: the
 * server name and the ALPN list, no table), pick the backend from the
 * routes, connect, replay the bytes read, then forward both ways until both
 * directions have ended.
 *
 * A router is a record (malloc'ed, counted: its Lua userdata and each live
 * connection hold it) with the routes ("name", "name/alpn", "*" ->
 * address), a route function when Lua wants to decide (route_fn: then Lua
 * runs once per connection, with the hello as a table) and its counters. It
 * takes the connections of a listening TCP handle that net.Server made and
 * listens on (attach(): the handle's C consumer, see luatls_read_fn), so
 * listen(), address(), close() and their errors stay net.Server's.
 *
 * A connection owns its two TCP handles and its timer (the ClientHello must
 * come within the router's timeout); it is freed when the last of them has
 * closed. Each direction reads into one buffer all connections share (a
 * read is used before the next one) and writes what the other side takes at
 * once (uv_try_write), copying only the rest into a queued write; its reads
 * pause while more than MARK bytes are queued. The first end of a direction
 * (EOF) shuts the other side's writing down after what is queued (TCP's
 * half-close, as a socket pair would); the second, with nothing queued,
 * closes the connection, as does the first error of either side. A client
 * whose bytes are not a ClientHello, that names no route, or whose backend
 * refuses, is closed.
 *
 * Lua (internal/tls/router.lua): core.router_new(routes, timeout[, fn]),
 * and the methods below.
 */
#include <stdlib.h>
#include <string.h>

#include "tls.h"

#define ROUTER_T "luatls.router"
/* the most bytes a ClientHello takes (hello.c's longest, in records of
 * 16 KiB, with their headers) */
#define HELLO_LIMIT (131396 + 5 * 9)
#define MARK (64 * 1024) /* a direction's queue that pauses its reads */
#define READ_SIZE (64 * 1024)

typedef struct route {
  char *key; /* lower-case "name", "name/alpn" or "*" */
  struct sockaddr_storage addr;
} route;

typedef struct router {
  int refs; /* the Lua userdata's, and one per live connection */
  route *routes;
  size_t nroutes;
  uint64_t timeout;        /* ms for the ClientHello (0: none) */
  luatls_handle *listener; /* the attached listening handle, or NULL */
  int fn_ref;              /* route function, or LUA_NOREF */
  int idle_ref;            /* called when no connection is left */
  lua_Integer active, routed, refused, failed, bytes[2];
} router;

typedef struct router_ud {
  router *r;
} router_ud;

enum { C_HELLO, C_CONNECTING, C_FORWARDING, C_CLOSING };

typedef struct rdir {
  uv_stream_t *from, *to;
  size_t queued; /* written to `to`, not yet done */
  unsigned eof : 1, paused : 1, shut : 1;
  uv_shutdown_t shut_req;
} rdir;

typedef struct rconn {
  router *r;
  struct rconn *prev, *next; /* the live connections of every router */
  uv_tcp_t client, backend;
  uv_timer_t timer;
  uv_connect_t connect_req;
  unsigned char *buf; /* the bytes read before routing */
  size_t len;
  struct sockaddr_storage dest;
  int open; /* handles initialised and not closed yet */
  int state;
  rdir d[2]; /* 0: client -> backend, 1: backend -> client */
} rconn;

typedef struct rwrite {
  uv_write_t req;
  rconn *c;
  int d;
  size_t n;
  char data[];
} rwrite;

static char read_buf[READ_SIZE];
static rconn *live; /* (closed by close_all when the Lua state closes) */

static void router_unref(router *r) {
  if (--r->refs > 0)
    return;
  lua_State *L = luatls_state();
  if (L != NULL) {
    luaL_unref(L, LUA_REGISTRYINDEX, r->fn_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, r->idle_ref);
  }
  for (size_t i = 0; i < r->nroutes; i++)
    free(r->routes[i].key);
  free(r->routes);
  free(r);
}

/* ---- a connection's end -------------------------------------------------- */

static void on_closed(uv_handle_t *h) {
  rconn *c = h->data;
  if (--c->open > 0)
    return;
  router *r = c->r;
  if (c->prev)
    c->prev->next = c->next;
  else
    live = c->next;
  if (c->next)
    c->next->prev = c->prev;
  free(c->buf);
  free(c);
  r->active--;
  lua_State *L = luatls_state();
  if (r->active == 0 && r->idle_ref != LUA_NOREF && L != NULL && r->refs > 1) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->idle_ref);
    luatls_call(L, 0);
  }
  router_unref(r);
}

static void close_if_open(uv_handle_t *h) {
  if (h->data != NULL && !uv_is_closing(h))
    uv_close(h, on_closed);
}

/* close every handle the connection has (once) */
static void conn_close(rconn *c) {
  if (c->state == C_CLOSING)
    return;
  c->state = C_CLOSING;
  close_if_open((uv_handle_t *)&c->client);
  close_if_open((uv_handle_t *)&c->backend);
  close_if_open((uv_handle_t *)&c->timer);
}

/* the Lua state closes: every live connection closes (its memory is freed
 * by the close callbacks the loop still runs) */
static void close_all(void) {
  for (rconn *c = live; c; c = c->next)
    conn_close(c);
}

static void refuse(rconn *c) {
  c->r->refused++;
  conn_close(c);
}

/* ---- forwarding ---------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)h;
  (void)hint;
  *buf = uv_buf_init(read_buf, READ_SIZE);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void write_cb(uv_write_t *req, int status) {
  rwrite *w = (rwrite *)req;
  rconn *c = w->c;
  rdir *x = &c->d[w->d];
  x->queued -= w->n;
  free(w);
  if (c->state == C_CLOSING)
    return;
  if (status < 0) {
    conn_close(c);
  } else if (x->paused && x->queued <= MARK / 2 && !x->eof) {
    x->paused = 0;
    if (uv_read_start(x->from, alloc_cb, read_cb) < 0)
      conn_close(c);
  }
}

/* n bytes at p to direction d's target: what it takes now, the rest
 * queued; 0 when the connection failed (and is closing) */
static int send_on(rconn *c, int d, const char *p, size_t n) {
  rdir *x = &c->d[d];
  size_t done = 0;
  c->r->bytes[d] += (lua_Integer)n;
  if (x->queued == 0) {
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int k = uv_try_write(x->to, &b, 1);
    if (k >= 0)
      done = (size_t)k;
    else if (k != UV_EAGAIN) {
      conn_close(c);
      return 0;
    }
  }
  if (done == n)
    return 1;
  size_t rest = n - done;
  rwrite *w = malloc(sizeof *w + rest);
  if (w == NULL) {
    conn_close(c);
    return 0;
  }
  w->c = c;
  w->d = d;
  w->n = rest;
  memcpy(w->data, p + done, rest);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)rest);
  if (uv_write(&w->req, x->to, &b, 1, write_cb) < 0) {
    free(w);
    conn_close(c);
    return 0;
  }
  x->queued += rest;
  if (x->queued > MARK && !x->paused) {
    x->paused = 1;
    uv_read_stop(x->from);
  }
  return 1;
}

static void shutdown_cb(uv_shutdown_t *req, int status) {
  rconn *c = req->data;
  if (c->state == C_CLOSING)
    return;
  int d = req == &c->d[0].shut_req ? 0 : 1;
  c->d[d].shut = 1;
  if (status < 0 || (c->d[0].shut && c->d[1].shut))
    conn_close(c);
}

static void forward_read(rconn *c, int d, ssize_t nread, const uv_buf_t *buf) {
  rdir *x = &c->d[d];
  if (nread > 0) {
    send_on(c, d, buf->base, (size_t)nread);
  } else if (nread == UV_EOF) {
    /* (libuv stopped reading x->from) the first end shuts the other side's
     * writing down after its queue; at the second, with both queues empty,
     * closing says the rest */
    x->eof = 1;
    rdir *y = &c->d[1 - d];
    if (y->eof && x->queued == 0 && y->queued == 0) {
      conn_close(c);
      return;
    }
    x->shut_req.data = c;
    if (uv_shutdown(&x->shut_req, x->to, shutdown_cb) < 0)
      conn_close(c);
  } else if (nread < 0) {
    conn_close(c);
  }
}

static void connect_cb(uv_connect_t *req, int status) {
  rconn *c = req->data;
  if (c->state == C_CLOSING)
    return;
  if (status < 0) {
    c->r->failed++;
    conn_close(c);
    return;
  }
  c->state = C_FORWARDING;
  c->d[0].from = c->d[1].to = (uv_stream_t *)&c->client;
  c->d[0].to = c->d[1].from = (uv_stream_t *)&c->backend;
  uv_tcp_nodelay(&c->client, 1);
  uv_tcp_nodelay(&c->backend, 1);
  /* the bytes read so far (the ClientHello and whatever came with it) */
  int ok = send_on(c, 0, (const char *)c->buf, c->len);
  free(c->buf);
  c->buf = NULL;
  c->len = 0;
  if (!ok)
    return;
  c->r->routed++;
  /* (the client's reads went on unless they wait for the queue) */
  int err = uv_read_start(c->d[1].from, alloc_cb, read_cb);
  rdir *x = &c->d[0];
  if (err == 0 && x->paused && x->queued <= MARK / 2) {
    x->paused = 0; /* (else write_cb starts them once the queue drains) */
    err = uv_read_start(x->from, alloc_cb, read_cb);
  }
  if (err < 0)
    conn_close(c);
}

/* ---- routing ------------------------------------------------------------- */

static const struct sockaddr_storage *lookup(router *r, const char *key) {
  for (size_t i = 0; i < r->nroutes; i++)
    if (strcmp(r->routes[i].key, key) == 0)
      return &r->routes[i].addr;
  return NULL;
}

/* the backend for a ClientHello: its name with one of its ALPN protocols
 * (the client's order), its name, then "*" */
static const struct sockaddr_storage *pick(router *r,
                                           const luatls_hello_scan *sc) {
  char key[256 + 1 + 256];
  size_t n = 0;
  if (sc->servername && sc->servername_len < 256) {
    for (; n < sc->servername_len; n++) {
      unsigned char ch = sc->servername[n];
      key[n] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
  }
  const unsigned char *a = sc->alpn, *end = sc->alpn + sc->alpn_len;
  while (a && a < end && a + 1 + a[0] <= end) {
    size_t k = a[0];
    key[n] = '/';
    for (size_t i = 0; i < k; i++) {
      unsigned char ch = a[1 + i];
      key[n + 1 + i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    key[n + 1 + k] = 0;
    const struct sockaddr_storage *to = lookup(r, key);
    if (to)
      return to;
    a += 1 + k;
  }
  key[n] = 0;
  const struct sockaddr_storage *to = lookup(r, key);
  return to ? to : lookup(r, "*");
}

/* the route function's answer for this ClientHello: 1 with c->dest set, 0
 * for none (it returned nil, or raised: internal/tls/router.lua reports
 * that) */
static int ask_lua(rconn *c, const luatls_hello_scan *sc) {
  lua_State *L = luatls_state();
  if (L == NULL)
    return 0;
  int top = lua_gettop(L), ok = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->r->fn_ref);
  if (luatls_tls_push_hello(L, sc->msg, sc->len) &&
      lua_pcall(L, 1, 2, 0) == LUA_OK && lua_type(L, -2) == LUA_TSTRING &&
      lua_isinteger(L, -1))
    ok = luatls_addr(lua_tostring(L, -2), (int)lua_tointeger(L, -1),
                     &c->dest) == 0;
  lua_settop(L, top);
  luatls_run_ticks(L);
  return ok;
}

static void hello_read(rconn *c, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0) { /* gone (or an error) before the backend answered */
    refuse(c);
    return;
  }
  unsigned char *grown = realloc(c->buf, c->len + (size_t)nread);
  if (grown == NULL) {
    refuse(c);
    return;
  }
  c->buf = grown;
  memcpy(c->buf + c->len, buf->base, (size_t)nread);
  c->len += (size_t)nread;
  if (c->state == C_CONNECTING) {
    /* (the client's reads go on while the backend connects: stopping and
     * starting them again costs more system calls than the bytes a TLS
     * client sends before the server answers; a client that sends more
     * waits) */
    if (c->len >= HELLO_LIMIT && !c->d[0].paused) {
      c->d[0].paused = 1;
      uv_read_stop((uv_stream_t *)&c->client);
    }
    return;
  }
  luatls_hello_scan sc;
  int found = luatls_tls_scan_hello(c->buf, c->len, &sc);
  if (found == 0 && c->len < HELLO_LIMIT)
    return;
  int routed = 0;
  if (found > 0) {
    if (c->r->fn_ref != LUA_NOREF) {
      routed = ask_lua(c, &sc);
    } else {
      const struct sockaddr_storage *to = pick(c->r, &sc);
      if (to) {
        c->dest = *to;
        routed = 1;
      }
    }
  }
  free(sc.buf);
  if (c->state == C_CLOSING)
    return;
  if (!routed) {
    refuse(c);
    return;
  }
  close_if_open((uv_handle_t *)&c->timer);
  c->state = C_CONNECTING;
  if (uv_tcp_init(luatls_main_loop.uv, &c->backend) < 0) {
    c->r->failed++;
    conn_close(c);
    return;
  }
  c->backend.data = c;
  c->open++;
  c->connect_req.data = c;
  if (uv_tcp_connect(&c->connect_req, &c->backend,
                     (const struct sockaddr *)&c->dest, connect_cb) < 0) {
    c->r->failed++;
    conn_close(c);
  }
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  rconn *c = s->data;
  if (nread == 0 || c->state == C_CLOSING)
    return;
  if (c->state == C_HELLO || c->state == C_CONNECTING)
    hello_read(c, nread, buf);
  else
    forward_read(c, s == (uv_stream_t *)&c->client ? 0 : 1, nread, buf);
}

static void timer_cb(uv_timer_t *t) {
  rconn *c = t->data;
  if (c->state == C_HELLO)
    refuse(c);
}

/* the listening handle's C consumer: a connection waits */
static void on_connection(void *data, ssize_t status, const uv_buf_t *buf) {
  router *r = data;
  (void)buf;
  if (status < 0 || r->listener == NULL || r->listener->h == NULL)
    return; /* accept failures (EMFILE, ...) do not stop the router */
  rconn *c = calloc(1, sizeof *c);
  if (c == NULL)
    return;
  c->r = r;
  r->refs++;
  r->active++;
  c->next = live;
  if (live)
    live->prev = c;
  live = c;
  if (uv_tcp_init(luatls_main_loop.uv, &c->client) < 0) {
    c->open = 1; /* (nothing to close: let on_closed unlink and free) */
    c->client.data = c;
    on_closed((uv_handle_t *)&c->client);
    return;
  }
  c->client.data = c;
  c->open = 1;
  if (uv_accept((uv_stream_t *)r->listener->h, (uv_stream_t *)&c->client) < 0) {
    conn_close(c);
    return;
  }
  if (r->timeout > 0) {
    uv_timer_init(luatls_main_loop.uv, &c->timer);
    c->timer.data = c;
    c->open++;
    uv_timer_start(&c->timer, timer_cb, r->timeout, 0);
  }
  if (uv_read_start((uv_stream_t *)&c->client, alloc_cb, read_cb) < 0)
    conn_close(c);
}

/* ---- Lua ----------------------------------------------------------------- */

static router *check_router(lua_State *L) {
  router_ud *u = luaL_checkudata(L, 1, ROUTER_T);
  if (u->r == NULL)
    luaL_error(L, "the router is gone");
  return u->r;
}

/* attach(tcp_handle) -> true | false: take the listening handle's
 * connections (kept alive with the router) */
static int l_attach(lua_State *L) {
  router *r = check_router(L);
  luatls_handle *rec = luatls_check_handle(L, 2, LUATLS_KIND_STREAM);
  if (uv_handle_get_type(rec->h) != UV_TCP) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 1, 1);
  r->listener = rec;
  rec->consumer = on_connection;
  rec->consumer_data = r;
  lua_pushboolean(L, 1);
  return 1;
}

/* on_idle(fn | nil): fn() each time the last live connection has closed */
static int l_on_idle(lua_State *L) {
  router *r = check_router(L);
  luaL_unref(L, LUA_REGISTRYINDEX, r->idle_ref);
  r->idle_ref = LUA_NOREF;
  if (lua_isfunction(L, 2)) {
    lua_pushvalue(L, 2);
    r->idle_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

/* stats() -> { active, routed, refused, failed, bytesIn, bytesOut } */
static int l_stats(lua_State *L) {
  router *r = check_router(L);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, r->active);
  lua_setfield(L, -2, "active");
  lua_pushinteger(L, r->routed);
  lua_setfield(L, -2, "routed");
  lua_pushinteger(L, r->refused);
  lua_setfield(L, -2, "refused");
  lua_pushinteger(L, r->failed);
  lua_setfield(L, -2, "failed");
  lua_pushinteger(L, r->bytes[0]);
  lua_setfield(L, -2, "bytesIn");
  lua_pushinteger(L, r->bytes[1]);
  lua_setfield(L, -2, "bytesOut");
  return 1;
}

static int l_active(lua_State *L) {
  lua_pushinteger(L, check_router(L)->active);
  return 1;
}

/* __gc: the handle keeps no pointer to a router Lua let go of; live
 * connections keep the record until they close */
static int l_router_gc(lua_State *L) {
  router_ud *u = luaL_checkudata(L, 1, ROUTER_T);
  router *r = u->r;
  if (r == NULL)
    return 0;
  u->r = NULL;
  luatls_at_loop_close(close_all);
  if (r->listener && r->listener->consumer_data == r) {
    r->listener->consumer = NULL;
    r->listener->consumer_data = NULL;
  }
  r->listener = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, r->idle_ref);
  r->idle_ref = LUA_NOREF;
  router_unref(r);
  return 0;
}

static const luaL_Reg router_methods[] = {
    {"attach", l_attach}, {"on_idle", l_on_idle}, {"stats", l_stats},
    {"active", l_active}, {NULL, NULL},
};

/* router_new({ {key, ip, port}, ... }, timeout_ms[, fn]) -> router: keys
 * lower-case already; raises ERR_INVALID_ARG_VALUE for an address that is
 * not an IP address */
static int l_router_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer timeout = luaL_checkinteger(L, 2);
  lua_settop(L, 3);
  router_ud *u = lua_newuserdatauv(L, sizeof *u, 1); /* at 4 */
  u->r = NULL;
  if (luaL_getmetatable(L, ROUTER_T) == LUA_TNIL) {
    lua_pop(L, 1);
    luatls_new_metatable(L, ROUTER_T, router_methods, l_router_gc, NULL, NULL);
  }
  lua_setmetatable(L, 4);
  router *r = calloc(1, sizeof *r);
  if (r == NULL)
    return luaL_error(L, "no memory");
  u->r = r;
  r->refs = 1;
  r->fn_ref = r->idle_ref = LUA_NOREF;
  r->timeout = timeout > 0 ? (uint64_t)timeout : 0;
  size_t n = lua_rawlen(L, 1);
  r->routes = calloc(n ? n : 1, sizeof *r->routes);
  if (r->routes == NULL)
    return luaL_error(L, "no memory");
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i + 1);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    lua_rawgeti(L, -3, 3);
    const char *key = luaL_checkstring(L, -3);
    const char *ip = luaL_checkstring(L, -2);
    int port = (int)luaL_checkinteger(L, -1);
    if (luatls_addr(ip, port, &r->routes[i].addr) != 0)
      return luatls_raise_error(L, "TypeError", "ERR_INVALID_ARG_VALUE",
                                "a route's host must be an IP address");
    r->routes[i].key = strdup(key);
    if (r->routes[i].key == NULL)
      return luaL_error(L, "no memory");
    r->nroutes = i + 1;
    lua_pop(L, 4);
  }
  if (lua_isfunction(L, 3)) {
    lua_pushvalue(L, 3);
    r->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_settop(L, 4);
  return 1;
}

static const luaL_Reg functions[] = {
    {"router_new", l_router_new},
    {NULL, NULL},
};

/* no connection state: the function above (and its metatable, made on
 * first use) */
const luatls_tls_feature luatls_tls_router_feature = {
    .name = "router",
    .functions = functions,
};
