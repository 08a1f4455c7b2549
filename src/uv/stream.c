/*
 * uv/stream.c - the methods every stream handle shares (TCP, pipe, TTY):
 * reading, writing, shutdown, listen/accept.
 *
 * Reads land in one buffer the loop owns: libuv calls alloc and then read
 * back to back, and the read callback turns the bytes into one Lua string
 * before it returns, so no connection keeps a read buffer while idle. A
 * handle with a C consumer (a TLS connection's transport, or a handle whose
 * reads are forwarded into one: tls/forward.c, or into another stream:
 * uv/forward.c) gives its reads to that
 * instead, which may hand them back with luatls_stream_deliver().
 * Writes try the socket at once (uv_try_write); only what does not fit is
 * queued with uv_write, its strings anchored until the write completes.
 */
#include <stdlib.h>
#include <string.h>

#include "luatls.h"

#define READ_BUF_SIZE (64 * 1024)
static char read_buf[READ_BUF_SIZE];

static uv_stream_t *check_stream(lua_State *L, int idx) {
  return (uv_stream_t *)luatls_check_handle(L, idx, LUATLS_KIND_STREAM)->h;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)h;
  (void)hint;
  *buf = uv_buf_init(read_buf, READ_BUF_SIZE);
}

/* cb(data) for data, cb(nil) at end of stream, cb(nil, err) on error */
void luatls_stream_deliver(luatls_handle *rec, ssize_t nread,
                           const uv_buf_t *buf) {
  lua_State *L = luatls_state();
  if (nread == 0 || L == NULL || rec == NULL || rec->h == NULL)
    return;
  if (luatls_push_cb(L, rec->h, LUATLS_UV_CB) == LUA_TNIL)
    return;
  if (nread > 0) {
    lua_pushlstring(L, buf->base, (size_t)nread);
    luatls_call(L, 1);
  } else if (nread == UV_EOF) {
    lua_pushnil(L);
    luatls_call(L, 1);
  } else {
    lua_pushnil(L);
    luatls_push_uv_error(L, (int)nread, "read", NULL);
    luatls_call(L, 2);
  }
}

/* reads go to the handle's C consumer, else to Lua */
static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  luatls_handle *rec = s->data;
  if (nread == 0 || rec == NULL)
    return;
  if (rec->consumer && luatls_state()) {
    rec->consumer(rec->consumer_data, nread, buf);
    return;
  }
  luatls_stream_deliver(rec, nread, buf);
}

/* read_start(cb) -> true | nil, err */
static int l_read_start(lua_State *L) {
  luatls_handle *rec = luatls_check_handle(L, 1, LUATLS_KIND_STREAM);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luatls_set_slot(L, 1, LUATLS_UV_CB, 2);
  int err = uv_read_start((uv_stream_t *)rec->h, alloc_cb, read_cb);
  if (err < 0)
    return luatls_fail(L, err, "read", NULL);
  rec->flags |= LUATLS_F_READING;
  lua_pushboolean(L, 1);
  return 1;
}

int luatls_stream_read_start(luatls_handle *rec) {
  int err = uv_read_start((uv_stream_t *)rec->h, alloc_cb, read_cb);
  if (err == 0)
    rec->flags |= LUATLS_F_READING;
  return err;
}

void luatls_stream_read_stop(luatls_handle *rec) {
  rec->flags &= ~LUATLS_F_READING;
  uv_read_stop((uv_stream_t *)rec->h);
}

static int l_read_stop(lua_State *L) {
  luatls_stream_read_stop(luatls_check_handle(L, 1, LUATLS_KIND_STREAM));
  return 0;
}

/* ---- writing ------------------------------------------------------------- */

#define MAX_BUFS 64

/* Collect the strings at idx (one string, or a list of them) into bufs;
 * returns the number of buffers. */
static int get_bufs(lua_State *L, int idx, uv_buf_t *bufs, size_t *total) {
  *total = 0;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t len;
    const char *p = lua_tolstring(L, idx, &len);
    bufs[0] = uv_buf_init((char *)p, (unsigned)len);
    *total = len;
    return 1;
  }
  luaL_checktype(L, idx, LUA_TTABLE);
  int n = (int)luaL_len(L, idx);
  luaL_argcheck(L, n <= MAX_BUFS, idx, "too many buffers");
  for (int i = 1; i <= n; i++) {
    size_t len;
    lua_rawgeti(L, idx, i);
    const char *p = lua_tolstring(L, -1, &len);
    if (p == NULL || lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "bad buffer #%d (string expected)", i);
    lua_pop(L, 1); /* the table keeps it alive */
    bufs[i - 1] = uv_buf_init((char *)p, (unsigned)len);
    *total += len;
  }
  return n;
}

ssize_t luatls_stream_try(luatls_handle *u, const char *p, size_t n) {
  if (u == NULL || u->h == NULL || uv_is_closing(u->h))
    return UV_EBADF;
  uv_stream_t *s = (uv_stream_t *)u->h;
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
  int w = s->write_queue_size == 0 ? uv_try_write(s, &b, 1) : UV_EAGAIN;
  if (w == UV_EAGAIN)
    return 0;
  return w;
}

static void write_cb(uv_write_t *req, int status) {
  luatls_req_complete((uv_req_t *)req, status, "write", NULL);
}

int luatls_stream_write(lua_State *L, uv_stream_t *s, uv_buf_t *bufs, int n,
                        size_t total, int cbidx, int dataidx) {
  int first = 0;
  if (total == 0)
    return 0;
  int w = uv_try_write(s, bufs, (unsigned)n);
  if (w < 0 && w != UV_EAGAIN && w != UV_ENOSYS)
    return w;
  if (w > 0) {
    size_t done = (size_t)w;
    if (done == total)
      return 0;
    while (done >= bufs[first].len) {
      done -= bufs[first].len;
      first++;
    }
    bufs[first].base += done;
    bufs[first].len -= done;
  }
  luatls_req *r;
  uv_write_t *req = luatls_req_new(L, sizeof *req, &r, cbidx);
  int err = uv_write(req, s, bufs + first, (unsigned)(n - first), write_cb);
  if (err < 0) {
    luatls_req_release(L, r);
    free(req);
    return err;
  }
  if (dataidx) {
    lua_pushvalue(L, dataidx);
    r->data_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  luatls_handle *rec = s->data;
  if (rec && s->write_queue_size > rec->queue_peak)
    rec->queue_peak = s->write_queue_size;
  return (int)s->write_queue_size > 0 ? (int)s->write_queue_size : 1;
}

/* write(data[, cb]) -> queued | nil, err. data: a string or a list of
 * strings. queued == 0: everything went out now, and cb will NOT be called.
 * queued > 0: that many bytes wait in the kernel's stead, cb(err|nil) runs
 * once they are written. On a closed handle: nil, EBADF. */
static int l_write(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  if (rec != NULL && rec->h == NULL) /* closed: EBADF, as Node's StreamBase */
    return luatls_fail(L, UV_EBADF, "write", NULL);
  uv_stream_t *s = check_stream(L, 1);
  uv_buf_t bufs[MAX_BUFS];
  size_t total;
  int n = get_bufs(L, 2, bufs, &total);
  int q = luatls_stream_write(L, s, bufs, n, total, 3, 2);
  if (q < 0)
    return luatls_fail(L, q, "write", NULL);
  lua_pushinteger(L, q);
  return 1;
}

static int l_write_queue_size(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  luaL_argcheck(L, rec != NULL, 1, "handle expected");
  lua_pushinteger(
      L, rec->h ? (lua_Integer)((uv_stream_t *)rec->h)->write_queue_size : 0);
  return 1;
}

static void shutdown_cb(uv_shutdown_t *req, int status) {
  luatls_req_complete((uv_req_t *)req, status, "shutdown", NULL);
}

int luatls_stream_shutdown(lua_State *L, uv_stream_t *s, int cbidx) {
  luatls_req *r;
  uv_shutdown_t *req = luatls_req_new(L, sizeof *req, &r, cbidx);
  int err = uv_shutdown(req, s, shutdown_cb);
  if (err < 0) {
    luatls_req_release(L, r);
    free(req);
    return luatls_fail(L, err, "shutdown", NULL);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* shutdown([cb]) -> true | nil, err: end the write side once queued writes
 * are out; cb(err|nil). */
static int l_shutdown(lua_State *L) {
  return luatls_stream_shutdown(L, check_stream(L, 1), 2);
}

/* ---- servers ------------------------------------------------------------- */

/* a connection waits: for the handle's C consumer (called with the status
 * as nread and no buffer: tls/router.c accepts it), else for Lua */
static void connection_cb(uv_stream_t *server, int status) {
  luatls_handle *rec = server->data;
  lua_State *L = luatls_state();
  if (rec && rec->consumer && L) {
    rec->consumer(rec->consumer_data, status, NULL);
    return;
  }
  if (L == NULL ||
      luatls_push_cb(L, (uv_handle_t *)server, LUATLS_UV_CB) == LUA_TNIL)
    return;
  if (status < 0) {
    luatls_push_uv_error(L, status, "accept", NULL);
    luatls_call(L, 1);
  } else {
    luatls_call(L, 0);
  }
}

/* listen(backlog, cb) -> true | nil, err; cb(err|nil) for each connection
 * waiting to be accepted. */
static int l_listen(lua_State *L) {
  uv_stream_t *s = check_stream(L, 1);
  int backlog = (int)luaL_optinteger(L, 2, 511);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luatls_set_slot(L, 1, LUATLS_UV_CB, 3);
  int err = uv_listen(s, backlog, connection_cb);
  if (err < 0)
    return luatls_fail(L, err, "listen", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* accept(client) -> true | nil, err */
static int l_accept(lua_State *L) {
  uv_stream_t *s = check_stream(L, 1);
  uv_stream_t *c = check_stream(L, 2);
  int err = uv_accept(s, c);
  if (err < 0)
    return luatls_fail(L, err, "accept", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_is_readable(lua_State *L) {
  lua_pushboolean(L, uv_is_readable(check_stream(L, 1)));
  return 1;
}

static int l_is_writable(lua_State *L) {
  lua_pushboolean(L, uv_is_writable(check_stream(L, 1)));
  return 1;
}

static int l_set_blocking(lua_State *L) {
  int err = uv_stream_set_blocking(check_stream(L, 1), lua_toboolean(L, 2));
  if (err < 0)
    return luatls_fail(L, err, "set_blocking", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

const luaL_Reg luatls_stream_methods[] = {
    {"read_start", l_read_start},
    {"read_stop", l_read_stop},
    {"write", l_write},
    {"write_queue_size", l_write_queue_size},
    {"shutdown", l_shutdown},
    {"listen", l_listen},
    {"accept", l_accept},
    {"is_readable", l_is_readable},
    {"is_writable", l_is_writable},
    {"set_blocking", l_set_blocking},
    {NULL, NULL},
};
