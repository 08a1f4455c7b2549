/*
 * tls/forward.c - forwarding: a pipe whose bytes stay in C.
 *
 * Three directions, each with a TLS connection on at least one end:
 *   c:forward(d)        the cleartext c reads goes into d's SSL_write
 *                       (d a TLS connection, maybe c itself);
 *   c:forward(u)        ... or straight to the stream handle u (TCP, pipe);
 *   d:forward_from(u)   what the stream handle u reads goes into d's
 *                       SSL_write (u's reads are taken over as its C
 *                       consumer).
 * No Lua string and no call into Lua per read. The end of the stream and
 * errors still reach the source's read callback, so the Lua pipe
 * (lua/luatls/internal/streams/pipe.lua), which stays set up, ends and
 * unpipes as always. When the target's transport queue grows past the mark,
 * the source stops reading until it drains. Whenever the target cannot take
 * the bytes (closed, failed, not yet secure), forwarding stops and the bytes
 * go to the source's read callback: the Lua pipe carries on from there.
 *
 * It attaches to the pump through the pump's interfaces only: a source's
 * cleartext sink (clear_out.sink, with clear_out.full while the target is
 * full) and a target's drain hook (enc_out.drained).
 */
#include <stdlib.h>

#include "tls.h"

#define DEFAULT_MARK (16 * 1024)

static void mark_active(tls_conn *c) {
  c->forward.at = uv_now(luatls_main_loop.uv);
}

static int open_stream(luatls_handle *u) {
  return u && u->h && !uv_is_closing(u->h);
}

static void drained(tls_conn *c);
static int sink(tls_conn *c, lua_State *L, const char *p, size_t n);

/* d hears of its transport's drain while something forwards into it */
static void watch_drain(tls_conn *d) {
  d->enc_out.drained =
      d->forward.from || d->forward.from_stream ? drained : NULL;
}

/* ---- stopping ------------------------------------------------------------ */

/* c stops forwarding what it reads */
static void out_stop(tls_conn *c) {
  tls_conn *d = c->forward.to;
  if (d && d->forward.from == c) {
    d->forward.from = NULL;
    watch_drain(d);
  }
  c->forward.to = NULL;
  c->forward.stream = NULL;
  c->clear_out.sink = NULL;
  if (c->clear_out.full) {
    c->clear_out.full = 0;
    if (!luatls_tls_gone(c))
      luatls_tls_schedule(c); /* reads go on, now to Lua */
  }
}

/* d stops taking what from_stream reads: its reads go back to Lua */
static void in_stop(tls_conn *d) {
  luatls_handle *u = d->forward.from_stream;
  if (u == NULL)
    return;
  d->forward.from_stream = NULL;
  watch_drain(d);
  if (u->consumer_data == d) {
    u->consumer = NULL;
    u->consumer_data = NULL;
  }
  if (d->forward.from_wait) {
    d->forward.from_wait = 0;
    if (open_stream(u) && (u->flags & LUATLS_F_READING))
      luatls_stream_read_start(u);
  }
}

/* c closes (the feature's close hook) */
static void detach(tls_conn *c) {
  out_stop(c);
  in_stop(c);
  if (c->forward.from)
    out_stop(c->forward.from);
}

/* c's transport wrote (its drain hook): whoever waits for its queue to
 * drain reads again */
static void drained(tls_conn *c) {
  uv_stream_t *s = transport_stream(c);
  size_t queued = s ? s->write_queue_size : 0;
  tls_conn *src = c->forward.from;
  if (src && src->clear_out.full && queued <= src->forward.hwm) {
    src->clear_out.full = 0;
    luatls_tls_schedule(src);
  }
  luatls_handle *u = c->forward.from_stream;
  if (u && c->forward.from_wait && queued <= c->forward.from_hwm) {
    c->forward.from_wait = 0;
    if (open_stream(u) && (u->flags & LUATLS_F_READING))
      luatls_stream_read_start(u);
  }
}

/* ---- writing ------------------------------------------------------------- */

/* n cleartext bytes into d: 1 when taken, 0 when d cannot take them */
static int write_clear(tls_conn *d, lua_State *L, const char *p, size_t n) {
  if (luatls_tls_gone(d) || d->failed || !d->handshake_done || d->eof_out)
    return 0;
  if (luatls_tls_clear_in(d, p, n) <= 0) {
    ERR_clear_error();
    return 0; /* Lua's write will meet the error and tell it */
  }
  mark_active(d);
  int q = luatls_tls_enc_out(d, L, 0);
  if (q < 0) {
    luatls_push_uv_error(L, q, "write", NULL);
    luatls_tls_report_error(d, L);
  }
  return 1;
}

/* a forwarded write to a stream handle completed: cb(err) with the
 * connection as upvalue (which keeps it alive until then) */
static int stream_written(lua_State *L) {
  tls_conn *c = lua_touserdata(L, lua_upvalueindex(1));
  if (!lua_isnoneornil(L, 1)) { /* the next bytes go through Lua's write */
    out_stop(c);
    return 0;
  }
  luatls_handle *u = c->forward.stream;
  if (u && c->clear_out.full &&
      (!open_stream(u) ||
       ((uv_stream_t *)u->h)->write_queue_size <= c->forward.hwm)) {
    c->clear_out.full = 0;
    luatls_tls_schedule(c);
  }
  return 0;
}

/* n bytes into the stream handle u: uv_try_write, and what does not fit
 * queued with a completion that lets c read again */
static int write_stream(tls_conn *c, luatls_handle *u, lua_State *L,
                        const char *p, size_t n) {
  ssize_t w = luatls_stream_try(u, p, n);
  if (w < 0)
    return 0; /* Lua's write will meet the error and tell it */
  size_t done = (size_t)w;
  uv_stream_t *s = (uv_stream_t *)u->h;
  if (done < n) {
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
    lua_pushcclosure(L, stream_written, 1);
    lua_pushlstring(L, p + done, n - done);
    uv_buf_t rest =
        uv_buf_init((char *)lua_tostring(L, -1), (unsigned)(n - done));
    int err = luatls_stream_write(L, s, &rest, 1, n - done, top + 1, top + 2);
    lua_settop(L, top);
    if (err < 0) {
      if (done == 0)
        return 0;  /* nothing went: Lua's write meets the error */
      out_stop(c); /* a part went; what follows goes through Lua */
      return 1;
    }
    if (s->write_queue_size > c->forward.hwm)
      c->clear_out.full = 1;
  }
  return 1;
}

/* the source's cleartext sink: n bytes c read go to its target */
static int sink(tls_conn *c, lua_State *L, const char *p, size_t n) {
  int ok;
  if (c->forward.to) {
    tls_conn *d = c->forward.to;
    ok = write_clear(d, L, p, n);
    uv_stream_t *s = transport_stream(d);
    if (ok && c->forward.to == d && s && s->write_queue_size > c->forward.hwm)
      c->clear_out.full = 1;
  } else {
    ok = c->forward.stream && write_stream(c, c->forward.stream, L, p, n);
  }
  if (!ok) {
    out_stop(c);
    return 0;
  }
  c->forward.bytes += (lua_Integer)n;
  mark_active(c);
  return 1;
}

/* u's reads, while it forwards into d (u's C consumer) */
static void stream_read(void *data, ssize_t nread, const uv_buf_t *buf) {
  tls_conn *d = data;
  luatls_handle *u = d->forward.from_stream;
  lua_State *L = luatls_state();
  if (u == NULL || L == NULL)
    return;
  if (nread > 0) {
    if (write_clear(d, L, buf->base, (size_t)nread)) {
      d->forward.from_bytes += (lua_Integer)nread;
      uv_stream_t *s = transport_stream(d);
      if (d->forward.from_stream == u && s &&
          s->write_queue_size > d->forward.from_hwm && open_stream(u)) {
        uv_read_stop((uv_stream_t *)u->h); /* (Lua still wants reads) */
        d->forward.from_wait = 1;
      }
      return;
    }
    in_stop(d);
  }
  luatls_stream_deliver(u, nread, buf);
}

/* ---- Lua API ------------------------------------------------------------- */

/* the optional mark at index 3 */
static size_t check_mark(lua_State *L) {
  lua_Integer mark = luaL_optinteger(L, 3, DEFAULT_MARK);
  luaL_argcheck(L, mark >= 0, 3, "must not be negative");
  return (size_t)mark;
}

/* the answer of forward()/forward_from(): when ok, the source at index 2 is
 * kept in the user value slot (alive as long as it is used) */
static int answer(lua_State *L, int ok, int slot) {
  if (ok) {
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, slot);
  }
  lua_pushboolean(L, ok);
  return 1;
}

/* forward(target[, mark]) -> true | false: from now on the cleartext this
 * connection reads goes into target, a TLS connection (maybe itself) or a
 * stream handle, in C; reads pause while target's transport queue is over
 * mark bytes (16 KiB). false when it cannot be (one of them closed or
 * failed, this one forwards already, or something else forwards into the
 * target connection). forward() stops it. */
static int l_forward(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  if (lua_isnoneornil(L, 2)) {
    out_stop(c);
    return 0;
  }
  tls_conn *d = luaL_testudata(L, 2, TLS_T);
  luatls_handle *u = d ? NULL : luatls_check_handle(L, 2, LUATLS_KIND_STREAM);
  size_t mark = check_mark(L);
  /* (a stream handle under a TLS connection takes no raw bytes; one that
   * forwards its own reads into a connection may well take them) */
  int ok = !luatls_tls_gone(c) && !c->failed && !c->forward.to &&
           !c->forward.stream &&
           (d ? !luatls_tls_gone(d) && !d->failed && d->forward.from == NULL
              : open_stream(u) &&
                    (u->consumer == NULL || u->consumer == stream_read));
  if (ok) {
    c->forward.hwm = mark;
    if (d) {
      uv_stream_t *s = transport_stream(d);
      c->forward.to = d;
      d->forward.from = c;
      watch_drain(d);
      c->clear_out.full =
          s && s->write_queue_size > c->forward.hwm; /* until drained */
    } else {
      c->forward.stream = u; /* (its queue is looked at with the first write) */
    }
    c->clear_out.sink = sink;
  }
  return answer(L, ok, S_FORWARD);
}

/* forward_from(stream[, mark]) -> true | false: what the stream handle
 * reads goes into this connection's SSL_write, in C; its reads pause while
 * this connection's transport queue is over mark bytes (16 KiB). false when
 * it cannot be. forward_from() stops it: the handle's reads go back to Lua. */
static int l_forward_from(lua_State *L) {
  tls_conn *d = luaL_checkudata(L, 1, TLS_T);
  if (lua_isnoneornil(L, 2)) {
    in_stop(d);
    return 0;
  }
  luatls_handle *u = luatls_check_handle(L, 2, LUATLS_KIND_STREAM);
  size_t mark = check_mark(L);
  int ok = !luatls_tls_gone(d) && !d->failed &&
           d->forward.from_stream == NULL && open_stream(u) &&
           u->consumer == NULL;
  if (ok) {
    d->forward.from_stream = u;
    d->forward.from_hwm = mark;
    watch_drain(d);
    u->consumer = stream_read;
    u->consumer_data = d;
  }
  return answer(L, ok, S_FORWARD_IN);
}

/* forwarded() / forwarded_from() -> bytes forwarded out of / into this
 * connection since the last call */
static int l_forwarded(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushinteger(L, c->forward.bytes);
  c->forward.bytes = 0;
  return 1;
}

static int l_forwarded_from(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushinteger(L, c->forward.from_bytes);
  c->forward.from_bytes = 0;
  return 1;
}

/* forwarding() / forwarding_from() -> whether it does */
static int l_forwarding(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushboolean(L, c->forward.to != NULL || c->forward.stream != NULL);
  return 1;
}

static int l_forwarding_from(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushboolean(L, c->forward.from_stream != NULL);
  return 1;
}

/* forward_activity() -> the loop time (ms, as core.now()) bytes were last
 * forwarded from or into this connection, or nil */
static int l_forward_activity(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  if (c->forward.at == 0)
    return 0;
  lua_pushinteger(L, (lua_Integer)c->forward.at);
  return 1;
}

static const luaL_Reg methods[] = {
    {"forward", l_forward},
    {"forward_from", l_forward_from},
    {"forwarded", l_forwarded},
    {"forwarded_from", l_forwarded_from},
    {"forwarding", l_forwarding},
    {"forwarding_from", l_forwarding_from},
    {"forward_activity", l_forward_activity},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_forward_feature = {
    .name = "forward",
    .methods = methods,
    .close = detach,
};
