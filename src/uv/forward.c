/*
 * uv/forward.c - forwarding between two stream handles: a pipe whose bytes
 * stay in C when neither end is a TLS connection (TCP -> TCP, a TLS router
 * that does not terminate: examples/sni-router.lua).
 *
 *   u:forward(v[, mark])  what the stream handle u reads is written to the
 *                         stream handle v, in C (u's reads are taken over as
 *                         its C consumer, see luatls_read_fn); u's reads
 *                         pause while v's write queue is over mark bytes
 *                         (16 KiB) and go on once it has drained.
 * No Lua string and no call into Lua per read. The end of the stream and
 * errors still reach u's read callback, so the Lua pipe
 * (lua/luatls/internal/streams/pipe.lua), which stays set up, ends and
 * unpipes as always. Whenever v cannot take the bytes (closed, a failed
 * write), forwarding stops and the bytes go to u's read callback: the Lua
 * pipe carries on from there (lua/luatls/internal/net/forward.lua).
 *
 * The routes with a TLS end are src/tls/forward.c's; this file knows no TLS.
 *
 * A handle's forwarding record is a userdata found from the handle through
 * a weak-keyed registry table (so forwarded()/forward_activity() answer
 * after the handle closed); while forwarding it is also u's consumer_data,
 * and while one of its writes is queued it is anchored in the registry.
 */
#include <stdlib.h>
#include <string.h>

#include "luatls.h"

#define DEFAULT_MARK (16 * 1024)
#define RECORDS "luatls.stream_forward"

enum { R_SRC = 1, R_DST, R_NSLOTS = R_DST }; /* the record's user values */

typedef struct fwd {
  luatls_handle *src, *dst; /* dst NULL: not forwarding */
  size_t hwm;
  int waiting;       /* src's reads stopped until dst's queue drains */
  int pending;       /* writes of this record still queued on dst */
  int ref;           /* registry ref while pending > 0 */
  lua_Integer bytes; /* forwarded since Lua last asked */
  uint64_t at;       /* loop time of the last bytes forwarded, or 0 */
} fwd;

typedef struct fwd_write {
  uv_write_t req;
  fwd *f;
  char data[];
} fwd_write;

static int open_stream(luatls_handle *u) {
  return u && u->h && !uv_is_closing(u->h);
}

static void fwd_read(void *data, ssize_t nread, const uv_buf_t *buf);

/* ---- stopping ------------------------------------------------------------ */

/* f stops: src's reads go back to Lua (started again if they were stopped
 * here while Lua still wants them) */
static void stop(lua_State *L, fwd *f, int fidx) {
  luatls_handle *u = f->src;
  if (f->dst == NULL)
    return;
  f->dst = NULL;
  if (u->consumer == fwd_read && u->consumer_data == f) {
    u->consumer = NULL;
    u->consumer_data = NULL;
  }
  if (f->waiting) {
    f->waiting = 0;
    if (open_stream(u) && (u->flags & LUATLS_F_READING))
      luatls_stream_read_start(u);
  }
  if (L && fidx) { /* the target is no longer held */
    lua_pushnil(L);
    lua_setiuservalue(L, fidx, R_DST);
  }
}

/* ---- writing ------------------------------------------------------------- */

static void written(uv_write_t *req, int status) {
  fwd_write *w = (fwd_write *)req;
  fwd *f = w->f;
  free(w);
  lua_State *L = luatls_state();
  if (L == NULL)
    return; /* the state is gone: its memory with it */
  if (status < 0) {
    stop(L, f, 0); /* the next bytes go through Lua's write, which fails */
  } else if (f->dst && f->waiting &&
             (!open_stream(f->dst) ||
              ((uv_stream_t *)f->dst->h)->write_queue_size <= f->hwm)) {
    f->waiting = 0;
    if (open_stream(f->src) && (f->src->flags & LUATLS_F_READING))
      luatls_stream_read_start(f->src);
  }
  if (--f->pending == 0) {
    luaL_unref(L, LUA_REGISTRYINDEX, f->ref);
    f->ref = LUA_NOREF;
  }
}

/* the record lives until its queued writes are done: a registry ref to it
 * (found through its source, which is open: its reads brought the bytes) */
static void anchor(lua_State *L, fwd *f) {
  lua_getfield(L, LUA_REGISTRYINDEX, RECORDS);
  if (f->src->h && luatls_push_handle(L, f->src->h)) {
    lua_rawget(L, -2);
    f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pop(L, 1);
}

static void note_peak(luatls_handle *v) {
  size_t q = ((uv_stream_t *)v->h)->write_queue_size;
  if (q > v->queue_peak)
    v->queue_peak = q;
}

/* n bytes into f's target: uv_try_write, and what does not fit queued (a
 * copy); 1 when taken, 0 when the target cannot take them */
static int write_to(lua_State *L, fwd *f, const char *p, size_t n) {
  luatls_handle *v = f->dst;
  ssize_t w = luatls_stream_try(v, p, n);
  if (w < 0)
    return 0; /* Lua's write will meet the error and tell it */
  size_t done = (size_t)w;
  uv_stream_t *s = (uv_stream_t *)v->h;
  if (done == n)
    return 1;
  fwd_write *wr = malloc(sizeof *wr + (n - done));
  if (wr == NULL)
    return done > 0 ? (stop(L, f, 0), 1) : 0;
  memcpy(wr->data, p + done, n - done);
  wr->f = f;
  uv_buf_t rest = uv_buf_init(wr->data, (unsigned)(n - done));
  int err = uv_write(&wr->req, s, &rest, 1, written);
  if (err < 0) {
    free(wr);
    if (done == 0)
      return 0;    /* nothing went: Lua's write meets the error */
    stop(L, f, 0); /* a part went; what follows goes through Lua */
    return 1;
  }
  if (f->pending++ == 0)
    anchor(L, f);
  note_peak(v);
  if (s->write_queue_size > f->hwm && open_stream(f->src)) {
    uv_read_stop((uv_stream_t *)f->src->h); /* (Lua still wants reads) */
    f->waiting = 1;
  }
  return 1;
}

/* src's reads while it forwards (its C consumer) */
static void fwd_read(void *data, ssize_t nread, const uv_buf_t *buf) {
  fwd *f = data;
  luatls_handle *u = f->src;
  lua_State *L = luatls_state();
  if (L == NULL)
    return;
  if (nread > 0) {
    if (write_to(L, f, buf->base, (size_t)nread)) {
      f->bytes += (lua_Integer)nread;
      f->at = uv_now(luatls_main_loop.uv);
      return;
    }
    stop(L, f, 0);
  }
  luatls_stream_deliver(u, nread, buf);
}

/* ---- Lua API ------------------------------------------------------------- */

/* the handle at index 1 (a stream; closed is fine) */
static luatls_handle *check_any(lua_State *L) {
  luatls_handle *rec = lua_touserdata(L, 1);
  int ok = 0;
  if (rec && lua_getmetatable(L, 1)) {
    lua_getfield(L, -1, "__kind");
    ok = (lua_tointeger(L, -1) & LUATLS_KIND_STREAM) != 0;
    lua_pop(L, 2);
  }
  if (!ok)
    luaL_typeerror(L, 1, "stream handle");
  return rec;
}

/* push the record of the handle at index 1 (made when `make`); returns it,
 * or NULL (nothing pushed) */
static fwd *record(lua_State *L, int make) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, RECORDS) != LUA_TTABLE) {
    lua_pop(L, 1);
    if (!make)
      return NULL;
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, RECORDS);
  }
  lua_pushvalue(L, 1);
  if (lua_rawget(L, -2) == LUA_TUSERDATA) {
    lua_remove(L, -2);
    return lua_touserdata(L, -1);
  }
  lua_pop(L, 1);
  if (!make) {
    lua_pop(L, 1);
    return NULL;
  }
  fwd *f = lua_newuserdatauv(L, sizeof *f, R_NSLOTS);
  memset(f, 0, sizeof *f);
  f->ref = LUA_NOREF;
  f->src = lua_touserdata(L, 1);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, R_SRC);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, -4);
  lua_remove(L, -2);
  return f;
}

/* forward(target[, mark]) -> true | false: from now on what this handle
 * reads is written to the stream handle target, in C; reads pause while
 * target's write queue is over mark bytes (16 KiB). false when it cannot be
 * (one of them closed, this one's reads already go to C, or target's reads
 * go to something that is not a forwarding). forward() stops it. */
static int l_forward(lua_State *L) {
  luatls_handle *u = check_any(L);
  if (lua_isnoneornil(L, 2)) {
    fwd *f = record(L, 0);
    if (f)
      stop(L, f, lua_gettop(L));
    return 0;
  }
  luatls_handle *v = luatls_check_handle(L, 2, LUATLS_KIND_STREAM);
  lua_Integer mark = luaL_optinteger(L, 3, DEFAULT_MARK);
  luaL_argcheck(L, mark >= 0, 3, "must not be negative");
  int ok = open_stream(u) && open_stream(v) && u->consumer == NULL &&
           (v->consumer == NULL || v->consumer == fwd_read);
  if (ok) {
    fwd *f = record(L, 1);
    int fidx = lua_gettop(L);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, fidx, R_DST);
    f->dst = v;
    f->hwm = (size_t)mark;
    f->waiting = 0;
    u->consumer = fwd_read;
    u->consumer_data = f;
  }
  lua_pushboolean(L, ok);
  return 1;
}

/* forwarded() -> bytes forwarded out of this handle since the last call */
static int l_forwarded(lua_State *L) {
  check_any(L);
  fwd *f = record(L, 0);
  lua_pushinteger(L, f ? f->bytes : 0);
  if (f)
    f->bytes = 0;
  return 1;
}

/* forwarding() -> whether this handle's reads go to another handle in C */
static int l_forwarding(lua_State *L) {
  check_any(L);
  fwd *f = record(L, 0);
  lua_pushboolean(L, f && f->dst != NULL);
  return 1;
}

/* forward_activity() -> the loop time (ms, as core.now()) bytes this
 * handle read were last forwarded in C, or nil */
static int l_forward_activity(lua_State *L) {
  check_any(L);
  fwd *f = record(L, 0);
  if (f == NULL || f->at == 0)
    return 0;
  lua_pushinteger(L, (lua_Integer)f->at);
  return 1;
}

/* write_queue_peak() -> the largest this handle's write queue has been
 * (bytes) since the last call, which starts over */
static int l_write_queue_peak(lua_State *L) {
  luatls_handle *u = check_any(L);
  lua_pushinteger(L, (lua_Integer)u->queue_peak);
  u->queue_peak = 0;
  return 1;
}

const luaL_Reg luatls_stream_forward_methods[] = {
    {"forward", l_forward},
    {"forwarded", l_forwarded},
    {"forwarding", l_forwarding},
    {"forward_activity", l_forward_activity},
    {"write_queue_peak", l_write_queue_peak},
    {NULL, NULL},
};
