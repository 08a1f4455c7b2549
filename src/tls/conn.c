/*
 * tls/conn.c - a TLS connection over a TCP (or pipe) handle: the SSL, its
 * BIO (bio.c), the pump that moves bytes between them (pump.c), and the
 * features that attach to it (hooks.c, session.c, ocsp.c, reneg.c,
 * forward.c, psk.c, trace.c) through the luatls_tls_feature descriptors
 * core.c lists.
 *
 * This file owns what every connection has: making one (tls_wrap), its
 * one state (open, closing, closed) and the one release that __gc and the
 * transport's close both end in; the luatls.tls method table, assembled
 * here from the features' arrays; the ClientHello callback, which runs the
 * features' hello stages in the list's order, and the answers Lua gives
 * them (hello_done, client_hello_done, resume_done, ocsp_done; a context to
 * switch to, SNI's or clientHelloCallback's, is applied here).
 *
 * To Lua a connection looks like a stream handle (read_start, read_stop,
 * write, shutdown, close, getsockname, ...), so net.Socket drives a
 * TLSSocket as it drives a TCP socket. Events of the handshake reach Lua
 * through callbacks set with on(name, fn) ("handshake" when done, "error"
 * when the handshake failed, "keylog" with NSS key log lines), or through
 * one handler table shared by all connections (set_owner).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* the features (core.c's list, given to luatls_open_tls) */
static const luatls_tls_feature *const *features;

/* ---- helpers ------------------------------------------------------------- */

tls_conn *luatls_tls_check(lua_State *L, int idx) {
  tls_conn *c = luaL_checkudata(L, idx, TLS_T);
  if (luatls_tls_gone(c))
    luaL_error(L, "TLS connection is closed");
  return c;
}

/* Node's error for what needs a finished handshake */
void luatls_tls_push_not_established(lua_State *L) {
  luatls_push_error(L, "ERR_TLS_INVALID_STATE",
                    "TLS socket connection must be securely established");
}

static void unqueue(tls_conn *c) { luatls_undefer(&c->later); }

/* ---- keylog -------------------------------------------------------------- */

static void keylog_cb(const SSL *ssl, const char *line) {
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || L == NULL || !c->keylog || luatls_tls_gone(c))
    return;
  if (luatls_tls_push_event(L, c, "keylog")) {
    lua_pushfstring(L, "%s\n", line);
    luatls_call(L, 1 + c->owner);
  }
}

/* Server side with requestCert: accept whatever the client sends during the
 * handshake; the verdict (authorized, authorizationError) is read after it,
 * as Node does. */
int luatls_tls_verify_accept(int ok, X509_STORE_CTX *ctx) {
  (void)ok;
  (void)ctx;
  return 1;
}

/* ---- the ClientHello's stages -------------------------------------------
 *
 * A hook may wait on real I/O. The ClientHello callback (installed on every
 * context) runs the stages of the features that want one for this
 * connection, in the list's order (clientHelloCallback, the session store,
 * then SNI, then OCSP, once the certificate is known). A stage that asks
 * Lua returns SSL_CLIENT_HELLO_RETRY: the handshake pauses
 * (SSL_ERROR_WANT_CLIENT_HELLO_CB) while the loop goes on. When Lua answers
 * (luatls_tls_answer, luatls_tls_answered), the pump runs the handshake
 * again, the callback is called again, and each stage applies its answer.
 */

void luatls_tls_want_hello(tls_conn *c, const luatls_tls_feature *f, int on) {
  for (unsigned i = 0; features[i]; i++)
    if (features[i] == f) {
      if (on)
        c->hello.stages |= 1u << i;
      else
        c->hello.stages &= ~(1u << i);
    }
}

static int client_hello_cb(SSL *ssl, int *al, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || c->hello.stages == 0)
    return SSL_CLIENT_HELLO_SUCCESS;
  if (L == NULL || luatls_tls_gone(c)) {
    *al = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  for (unsigned i = 0; features[i]; i++) {
    if (!(c->hello.stages & (1u << i)))
      continue;
    int r = features[i]->hello(L, c, ssl, al);
    if (r == SSL_CLIENT_HELLO_ERROR)
      return r;
    if (luatls_tls_gone(c) || c->hello.err_ref != LUA_NOREF) {
      *al = SSL_AD_HANDSHAKE_FAILURE;
      return SSL_CLIENT_HELLO_ERROR;
    }
    if (r == SSL_CLIENT_HELLO_RETRY)
      return r; /* this stage waits for Lua's answer */
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

void luatls_tls_hook_error(lua_State *L, tls_conn *c) {
  luaL_unref(L, LUA_REGISTRYINDEX, c->hello.err_ref);
  c->hello.err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

enum tls_answer luatls_tls_answer(lua_State *L, tls_conn *c,
                                  unsigned char *state) {
  if (luatls_tls_gone(c) || *state != HOOK_WAITING) {
    lua_pushboolean(L, 0);
    return TLS_ANSWER_LATE;
  }
  if (!lua_isnoneornil(L, 3)) {
    lua_pushvalue(L, 3);
    luatls_tls_hook_error(L, c);
    return TLS_ANSWER_ERROR;
  }
  return TLS_ANSWER_VALUE;
}

void luatls_tls_answered(lua_State *L, tls_conn *c, unsigned char *state) {
  *state = HOOK_ANSWERED;
  luatls_tls_schedule(c); /* the handshake goes on from the loop */
  lua_pushboolean(L, 1);
}

int luatls_tls_context_answer(lua_State *L, tls_conn *c, tls_ctx_hook *h) {
  enum tls_answer a = luatls_tls_answer(L, c, &h->state);
  if (a == TLS_ANSWER_LATE)
    return 1;
  if (a == TLS_ANSWER_VALUE && !lua_isnil(L, 2)) {
    luatls_context *ctx = luatls_check_context(L, 2);
    SSL_CTX_up_ref(ctx->ctx);
    SSL_CTX_free(h->ctx);
    h->ctx = ctx->ctx;
  }
  luatls_tls_answered(L, c, &h->state);
  return 1;
}

int luatls_tls_context_apply(tls_conn *c, SSL *ssl, tls_ctx_hook *h, int *al) {
  if (h->state == HOOK_WAITING)
    return SSL_CLIENT_HELLO_RETRY; /* the handshake waits for the answer */
  if (c->hello.err_ref != LUA_NOREF) {
    *al = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (h->ctx) {
    SSL_set_SSL_CTX(ssl, h->ctx);
    luatls_tls_context_free(h);
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

void luatls_tls_context_free(tls_ctx_hook *h) {
  SSL_CTX_free(h->ctx);
  h->ctx = NULL;
}

/* ---- Lua API: the connection as a stream handle -------------------------- */

/* tls_wrap(transport, context, is_server) -> connection. The transport (an
 * open TCP or pipe handle) is taken over: its reads now feed the pump. */
static int l_wrap(lua_State *L) {
  luatls_handle *t = luatls_check_handle(L, 1, LUATLS_KIND_STREAM);
  luatls_context *ctx = luatls_check_context(L, 2);
  int is_server = lua_toboolean(L, 3);
  if (t->consumer)
    return luaL_error(L, "the handle already belongs to a TLS connection");
  tls_conn *c = lua_newuserdatauv(L, sizeof *c, S_NSLOTS);
  memset(c, 0, sizeof *c);
  c->state = TLS_CLOSED; /* until it is made */
  c->ref = LUA_NOREF;
  c->hello.err_ref = LUA_NOREF;
  luaL_setmetatable(L, TLS_T);
  ERR_clear_error();
  c->ssl = SSL_new(ctx->ctx);
  BIO *bio = luatls_tls_bio_new(c);
  if (c->ssl == NULL || bio == NULL) {
    BIO_free(bio);
    SSL_free(c->ssl);
    c->ssl = NULL;
    return luatls_raise_openssl(L, NULL, "cannot make a TLS connection");
  }
  SSL_set_bio(c->ssl, bio, bio); /* one reference, both directions */
  SSL_set_app_data(c->ssl, c);
  c->is_server = is_server;
  c->context = ctx;
  if (is_server)
    SSL_set_accept_state(c->ssl);
  else
    SSL_set_connect_state(c->ssl);
  /* clients: OpenSSL verifies the chain and records the result; the
   * verdict is taken after the handshake (rejectUnauthorized). As Node's,
   * the callback lets verification go on past an error, so the result is
   * the last one (a lone leaf of an unknown issuer: "unable to verify the
   * first certificate") */
  SSL_set_verify(c->ssl, SSL_VERIFY_NONE, luatls_tls_verify_accept);
  c->transport.handle = t;
  t->consumer = luatls_tls_enc_in;
  t->consumer_data = c;
  int self = lua_gettop(L);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, self, S_TRANSPORT);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, self, S_CONTEXT);
  lua_pushvalue(L, self);
  c->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  c->state = TLS_OPEN;
  return 1;
}

static void set_keylog(tls_conn *c, int on) {
  c->keylog = on && c->ssl;
  if (c->keylog)
    SSL_CTX_set_keylog_callback(SSL_get_SSL_CTX(c->ssl), keylog_cb);
}

/* on(name, fn): "handshake", "error", "keylog", ... (without an owner) */
static int l_on(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  const char *name = luaL_checkstring(L, 2);
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TFUNCTION);
  if (c->owner)
    return luaL_error(L, "this connection's events go to its owner");
  if (lua_getiuservalue(L, 1, S_EVENTS) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, S_EVENTS);
  }
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, name);
  if (strcmp(name, "keylog") == 0)
    set_keylog(c, lua_isfunction(L, 3));
  return 0;
}

/* set_owner(owner, handlers): every event goes to handlers[name](owner,
 * ...), handlers being a table the owner's class may share with all its
 * connections (instead of a closure per event and connection). Once. */
static int l_set_owner(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  luaL_checkany(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  if (c->owner || lua_getiuservalue(L, 1, S_EVENTS) != LUA_TNIL)
    return luaL_error(L, "the connection's events already have a receiver");
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 1, S_OWNER);
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, 1, S_EVENTS);
  c->owner = 1;
  return 0;
}

/* set_keylog(on): "keylog" events (for an owner's handlers; on("keylog")
 * does it by itself) */
static int l_set_keylog(lua_State *L) {
  set_keylog(luatls_tls_check(L, 1), lua_toboolean(L, 2));
  return 0;
}

/* start(): begin the handshake (a client sends its ClientHello now) */
static int l_start(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (c->started)
    return 0;
  c->started = 1;
  int err = luatls_stream_read_start(c->transport.handle);
  if (err < 0)
    return luatls_fail(L, err, "read", NULL);
  luatls_tls_schedule(c); /* the first step runs from the loop, not inline */
  lua_pushboolean(L, 1);
  return 1;
}

static int l_read_start(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 1, S_READCB);
  c->reading = 1;
  if (c->started)
    luatls_tls_schedule(c);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_read_stop(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  c->reading = 0;
  if (!luatls_tls_gone(c) && c->handshake_done && c->transport.handle->h &&
      (c->transport.handle->flags & LUATLS_F_READING))
    luatls_stream_read_stop(c->transport.handle);
  return 0;
}

/* write(data[, cb]) -> queued | nil, err: as a stream's write. Only after
 * the handshake (TLSSocket waits for it). */
static int l_write(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (!c->handshake_done || c->failed) {
    lua_pushnil(L);
    luatls_push_error(L, "ERR_TLS_NOT_READY",
                      c->failed ? "the TLS connection failed"
                                : "write before the TLS handshake completed");
    return 2;
  }
  int n = 1;
  if (lua_type(L, 2) == LUA_TTABLE)
    n = (int)luaL_len(L, 2);
  else
    luaL_checktype(L, 2, LUA_TSTRING);
  for (int i = 1; i <= n; i++) {
    size_t len;
    const char *p;
    if (lua_type(L, 2) == LUA_TTABLE) {
      lua_rawgeti(L, 2, i);
      if (lua_type(L, -1) != LUA_TSTRING)
        return luaL_error(L, "bad buffer #%d (string expected)", i);
      p = lua_tolstring(L, -1, &len);
      lua_pop(L, 1); /* the table keeps it alive */
    } else {
      p = lua_tolstring(L, 2, &len);
    }
    if (len == 0)
      continue;
    if (luatls_tls_clear_in(c, p, len) <= 0) {
      lua_pushnil(L);
      luatls_push_openssl_error(L, NULL, "write");
      return 2;
    }
  }
  int q = luatls_tls_enc_out(c, L, 3);
  if (q < 0)
    return luatls_fail(L, q, "write", NULL);
  lua_pushinteger(L, q);
  return 1;
}

static int l_write_queue_size(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  uv_stream_t *s = luatls_tls_gone(c) ? NULL : transport_stream(c);
  lua_pushinteger(L, s ? (lua_Integer)s->write_queue_size : 0);
  return 1;
}

/* write_queue_peak() -> the largest the transport's write queue has been
 * (bytes) since the last call, which starts over (for tests and benchmarks
 * that check a queue stays bounded without sampling it from a timer) */
static int l_write_queue_peak(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushinteger(L, (lua_Integer)c->transport.queue_peak);
  c->transport.queue_peak = 0;
  return 1;
}

/* shutdown([cb]): close_notify, then the transport's write side */
static int l_shutdown(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (c->handshake_done && !c->failed) {
    ERR_clear_error();
    SSL_shutdown(c->ssl);
    ERR_clear_error();
    luatls_tls_enc_out(c, L, 0);
  }
  return luatls_stream_shutdown(L, transport_stream(c), 2);
}

/* ---- closing after a fatal alert ----------------------------------------
 *
 * A connection that failed with an alert does not close its socket at once:
 * a peer still sending would get a TCP reset, and a reset makes the peer's
 * kernel drop what it has not read yet, the alert with it. So close() lets
 * the queued writes (the alert) go, shuts the write side (a FIN after the
 * alert), reads and discards until the peer's end of stream, and only then
 * closes, as a careful server does (s_server too). Bounded, so that a peer
 * cannot hold descriptors that way: LINGER_MS after close(), or once
 * LINGER_BYTES arrived, the socket closes anyway. Lua's close callback (the
 * socket's 'close') runs when the socket has closed. Meanwhile the transport
 * is the runtime's own (walk() leaves it out), and once the alert is out it
 * no longer keeps the loop alive.
 */
#define LINGER_MS 2000
#define LINGER_BYTES (256 * 1024)

static void linger_stop(tls_conn *c) {
  if (c->linger.timer) {
    uv_close((uv_handle_t *)c->linger.timer, (uv_close_cb)free);
    c->linger.timer = NULL;
  }
}

/* the wait is over: close the transport (transport_closed follows) */
static void linger_end(tls_conn *c) {
  lua_State *L = luatls_state();
  linger_stop(c);
  if (L == NULL || c->state == TLS_CLOSED || c->transport.handle->h == NULL)
    return;
  c->transport.handle->consumer = NULL;
  c->transport.handle->consumer_data = NULL;
  if (luatls_push_handle(L, c->transport.handle->h)) {
    luatls_handle_close(L, lua_gettop(L));
    lua_pop(L, 1);
  }
}

static void linger_read(void *data, ssize_t nread, const uv_buf_t *buf) {
  tls_conn *c = data;
  (void)buf;
  if (nread > 0) {
    c->linger.bytes += (size_t)nread;
    if (c->linger.bytes <= LINGER_BYTES)
      return;
  }
  linger_end(c); /* end of stream, an error, or enough */
}

/* the linger's timer: its connection beside it, not in data (a handle's
 * data is a luatls_handle record or NULL: walk() and the loop's closing
 * read it as one) */
typedef struct {
  uv_timer_t timer; /* first: the timer's address is the record's */
  tls_conn *conn;
} linger_timer;

static void linger_timeout(uv_timer_t *t) {
  linger_end(((linger_timer *)t)->conn);
}

/* the alert is out and the FIN after it: the rest need not keep the loop */
static void linger_shut(uv_shutdown_t *req, int status) {
  uv_handle_t *h = (uv_handle_t *)req->handle;
  free(req);
  if (status == 0 && !uv_is_closing(h))
    uv_unref(h);
}

/* close() of a connection that sent a fatal alert to a peer that has not
 * ended: wait for that end (above). 1 when waiting, 0 to close now. */
static int linger_start(tls_conn *c) {
  uv_stream_t *s = transport_stream(c);
  if (s == NULL || !c->alerted || c->eof_in || uv_is_closing((uv_handle_t *)s))
    return 0;
  linger_timer *lt = malloc(sizeof *lt);
  if (lt == NULL)
    return 0;
  c->transport.handle->consumer = linger_read;
  c->transport.handle->consumer_data = c;
  if (!(c->transport.handle->flags & LUATLS_F_READING) &&
      luatls_stream_read_start(c->transport.handle) < 0) {
    c->transport.handle->consumer = NULL;
    c->transport.handle->consumer_data = NULL;
    free(lt);
    return 0;
  }
  uv_timer_t *t = &lt->timer;
  uv_timer_init(luatls_main_loop.uv, t);
  t->data = NULL;
  lt->conn = c;
  uv_timer_start(t, linger_timeout, LINGER_MS, 0);
  uv_unref((uv_handle_t *)t);
  c->linger.timer = t;
  c->linger.bytes = 0;
  c->transport.handle->flags |= LUATLS_F_INTERNAL;
  uv_shutdown_t *req = malloc(sizeof *req);
  if (req == NULL || uv_shutdown(req, s, linger_shut) < 0) {
    free(req); /* (shut already, or cannot be) */
    uv_unref((uv_handle_t *)s);
  }
  return 1;
}

/* ---- closing ------------------------------------------------------------- */

/* What __gc and the transport's close both end in: every feature lets go,
 * the SSL and the buffers are freed, the connection is closed. Safe to call
 * twice. L is NULL when the Lua state is gone. */
static void release(lua_State *L, tls_conn *c) {
  unqueue(c);
  linger_stop(c);
  for (unsigned i = 0; features[i]; i++) {
    if (features[i]->close)
      features[i]->close(c);
    if (features[i]->free)
      features[i]->free(L, c);
  }
  if (L)
    luaL_unref(L, LUA_REGISTRYINDEX, c->hello.err_ref);
  c->hello.err_ref = LUA_NOREF;
  luatls_handle *t = c->transport.handle;
  if (t && t->consumer_data == c) {
    t->consumer = NULL;
    t->consumer_data = NULL;
  }
  SSL_free(c->ssl);
  c->ssl = NULL;
  luatls_tls_bio_free(c);
  c->transport.handle = NULL;
  c->state = TLS_CLOSED;
}

/* the transport closed: release, tell Lua, let go */
static int transport_closed(lua_State *L) {
  tls_conn *c = lua_touserdata(L, lua_upvalueindex(1));
  int ref = c->ref;
  release(L, c);
  c->ref = LUA_NOREF;
  lua_pushvalue(L, lua_upvalueindex(1));
  int self = lua_gettop(L);
  if (lua_getiuservalue(L, self, S_CLOSECB) == LUA_TFUNCTION) {
    lua_pushvalue(L, self);
    luatls_call(L, 1);
  } else {
    lua_pop(L, 1);
  }
  for (int i = 1; i <= S_NSLOTS; i++) {
    lua_pushnil(L);
    lua_setiuservalue(L, self, i);
  }
  luaL_unref(L, LUA_REGISTRYINDEX, ref);
  return 0;
}

/* close([cb]): close the transport (and with it this connection; the
 * release follows when it has closed). Safe to call twice. Also __close. */
static int l_close(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  if (c->state != TLS_OPEN)
    return 0;
  c->state = TLS_CLOSING;
  unqueue(c);
  for (unsigned i = 0; features[i]; i++)
    if (features[i]->close)
      features[i]->close(c);
  if (lua_isfunction(L, 2)) {
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, S_CLOSECB);
  }
  c->transport.handle->consumer = NULL;
  c->transport.handle->consumer_data = NULL;
  lua_getiuservalue(L, 1, S_TRANSPORT);
  int t = lua_gettop(L);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, transport_closed, 1);
  luatls_set_slot(L, t, LUATLS_UV_CLOSECB, -1);
  lua_pop(L, 1);
  if (!linger_start(c))
    luatls_handle_close(L, t);
  return 0;
}

/* __gc: an unreachable connection (its transport's close would have kept
 * it alive, so it never closed): the same release */
static int l_gc(lua_State *L) {
  release(luatls_state() ? L : NULL, luaL_checkudata(L, 1, TLS_T));
  return 0;
}

/* ---- delegated to the transport ------------------------------------------ */

static int delegate(lua_State *L, const char *method) {
  luaL_checkudata(L, 1, TLS_T);
  int n = lua_gettop(L);
  lua_getiuservalue(L, 1, S_TRANSPORT);
  if (lua_isnil(L, -1)) {
    lua_pushnil(L);
    luatls_push_error(L, "EBADF", "TLS connection is closed");
    return 2;
  }
  lua_getfield(L, -1, method);
  lua_insert(L, -2);
  for (int i = 2; i <= n; i++)
    lua_pushvalue(L, i);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L) - n;
}

static int l_getsockname(lua_State *L) { return delegate(L, "getsockname"); }
static int l_getpeername(lua_State *L) { return delegate(L, "getpeername"); }
static int l_nodelay(lua_State *L) { return delegate(L, "nodelay"); }
static int l_keepalive(lua_State *L) { return delegate(L, "keepalive"); }
static int l_ref(lua_State *L) { return delegate(L, "ref"); }
static int l_unref(lua_State *L) { return delegate(L, "unref"); }
static int l_fileno(lua_State *L) { return delegate(L, "fileno"); }

static int l_is_closing(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushboolean(L, luatls_tls_gone(c));
  return 1;
}

/* ---- what the connection knows ------------------------------------------- */

/* the SSL of the connection at index 1; NULL once closed */
static SSL *live_ssl(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  return c->state == TLS_CLOSED ? NULL : c->ssl;
}

/* set_servername(name): SNI a client sends */
static int l_set_servername(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  const char *name = luaL_checkstring(L, 2);
  ERR_clear_error();
  if (SSL_set_tlsext_host_name(c->ssl, name) != 1)
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_SERVERNAME",
                                "invalid server name");
  return 0;
}

static int l_get_servername(lua_State *L) {
  SSL *ssl = live_ssl(L);
  const char *name =
      ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
  if (name)
    lua_pushstring(L, name);
  else
    lua_pushnil(L);
  return 1;
}

/* set_verify(request_cert, reject_unauthorized): a server asking for client
 * certificates */
static int l_set_verify(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  int request = lua_toboolean(L, 2), reject = lua_toboolean(L, 3);
  int mode = SSL_VERIFY_NONE;
  if (c->is_server && request) {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
    if (reject)
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_set_verify(c->ssl, mode,
                 mode == SSL_VERIFY_NONE ? NULL : luatls_tls_verify_accept);
  return 0;
}

/* verify_error() -> nil when the peer's chain verified, else an error
 * object (code DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, ...) */
static int l_verify_error(lua_State *L) {
  SSL *ssl = live_ssl(L);
  if (ssl == NULL)
    return 0;
  X509 *peer = SSL_get0_peer_certificate(ssl);
  tls_conn *c = lua_touserdata(L, 1);
  if (peer == NULL && c->psk.used) {
    /* as Node: a pre-shared key authenticated the peer (psk.c), by a PSK
     * suite (TLS 1.2) or a handshake resumed from it (TLS 1.3) */
    const SSL_CIPHER *ci = SSL_get_current_cipher(ssl);
    if ((ci && SSL_CIPHER_get_auth_nid(ci) == NID_auth_psk) ||
        SSL_session_reused(ssl))
      return 0;
  }
  if (peer == NULL) {
    if (c->is_server)
      luatls_push_error(L, "UNABLE_TO_GET_ISSUER_CERT",
                        "the peer sent no certificate");
    else
      luatls_push_error(L, "UNABLE_TO_GET_ISSUER_CERT",
                        "unable to get issuer certificate");
    return 1;
  }
  long v = SSL_get_verify_result(ssl);
  if (v == X509_V_OK)
    return 0;
  luatls_push_verify_error(L, v);
  return 1;
}

static int l_get_peer_certificate(lua_State *L) {
  SSL *ssl = live_ssl(L);
  int detailed = lua_toboolean(L, 2);
  X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
  if (peer == NULL)
    return 0;
  if (detailed) {
    /* the verified chain reaches the trusted root, as Node shows it; an
     * unverified one is what the peer sent */
    STACK_OF(X509) *chain = SSL_get_verify_result(ssl) == X509_V_OK
                                ? SSL_get0_verified_chain(ssl)
                                : NULL;
    if (chain == NULL)
      chain = SSL_get_peer_cert_chain(ssl);
    luatls_push_x509_chain(L, peer, chain);
  } else {
    luatls_push_x509(L, peer);
  }
  return 1;
}

static int l_get_certificate(lua_State *L) {
  SSL *ssl = live_ssl(L);
  X509 *own = ssl ? SSL_get_certificate(ssl) : NULL;
  if (own == NULL)
    return 0;
  luatls_push_x509(L, own);
  return 1;
}

/* get_x509(peer) -> the own certificate, or the peer's (its issuers linked
 * among the certificates the peer sent), as X509Certificate's C side
 * (crypto/x509cert.c); nothing when there is none */
static int l_get_x509(lua_State *L) {
  SSL *ssl = live_ssl(L);
  if (ssl == NULL)
    return 0;
  if (!lua_toboolean(L, 2)) {
    X509 *own = SSL_get_certificate(ssl);
    if (own == NULL)
      return 0;
    luatls_push_x509cert(L, own, NULL);
    return 1;
  }
  X509 *peer = SSL_get0_peer_certificate(ssl);
  if (peer == NULL)
    return 0;
  luatls_push_x509cert(L, peer, SSL_get_peer_cert_chain(ssl));
  return 1;
}

/* get_cipher() -> { name=, standardName=, version= } */
static int l_get_cipher(lua_State *L) {
  SSL *ssl = live_ssl(L);
  const SSL_CIPHER *ci = ssl ? SSL_get_current_cipher(ssl) : NULL;
  if (ci == NULL)
    return 0;
  lua_createtable(L, 0, 3);
  lua_pushstring(L, SSL_CIPHER_get_name(ci));
  lua_setfield(L, -2, "name");
  lua_pushstring(L, SSL_CIPHER_standard_name(ci));
  lua_setfield(L, -2, "standardName");
  lua_pushstring(L, SSL_CIPHER_get_version(ci));
  lua_setfield(L, -2, "version");
  return 1;
}

static int l_get_protocol(lua_State *L) {
  SSL *ssl = live_ssl(L);
  if (ssl == NULL)
    return 0;
  tls_conn *c = lua_touserdata(L, 1);
  lua_pushstring(L, c->handshake_done ? SSL_get_version(ssl) : "unknown");
  return 1;
}

static int finished(lua_State *L, int peer) {
  SSL *ssl = live_ssl(L);
  if (ssl == NULL)
    return 0;
  char buf[EVP_MAX_MD_SIZE];
  size_t n = peer ? SSL_get_peer_finished(ssl, buf, sizeof buf)
                  : SSL_get_finished(ssl, buf, sizeof buf);
  if (n == 0)
    return 0;
  lua_pushlstring(L, buf, n);
  return 1;
}

static int l_get_finished(lua_State *L) { return finished(L, 0); }
static int l_get_peer_finished(lua_State *L) { return finished(L, 1); }

/* export_keying_material(length, label[, context]) */
static int l_export_keying_material(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  size_t llen, clen = 0;
  const char *label = luaL_checklstring(L, 3, &llen);
  const char *context = luaL_optlstring(L, 4, NULL, &clen);
  luaL_argcheck(L, n > 0 && n <= 1 << 20, 2, "length out of range");
  if (!c->handshake_done) {
    luatls_tls_push_not_established(L);
    return lua_error(L);
  }
  luaL_Buffer b;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)n);
  ERR_clear_error();
  if (SSL_export_keying_material(c->ssl, out, (size_t)n, label, llen,
                                 (const unsigned char *)context, clen,
                                 context != NULL) != 1)
    return luatls_raise_openssl(L, NULL, "cannot export keying material");
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

/* set_max_send_fragment(n) -> true | false (512..16384) */
static int l_set_max_send_fragment(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  lua_pushboolean(L, n >= 512 && n <= 16384 &&
                         SSL_set_max_send_fragment(c->ssl, (long)n) == 1);
  return 1;
}

/* get_ephemeral_key_info() -> { type=, name=, size= } (client side) */
static int l_get_ephemeral_key_info(lua_State *L) {
  SSL *ssl = live_ssl(L);
  tls_conn *c = lua_touserdata(L, 1);
  if (ssl == NULL || c->is_server)
    return 0;
  EVP_PKEY *key = NULL;
  lua_newtable(L);
  if (!SSL_get_peer_tmp_key(ssl, &key))
    return 1;
  int id = EVP_PKEY_get_base_id(key);
  int bits = EVP_PKEY_get_bits(key);
  if (id == EVP_PKEY_DH) {
    lua_pushliteral(L, "DH");
    lua_setfield(L, -2, "type");
  } else if (id == EVP_PKEY_EC || id == EVP_PKEY_X25519 ||
             id == EVP_PKEY_X448) {
    lua_pushliteral(L, "ECDH");
    lua_setfield(L, -2, "type");
    const char *name = NULL;
    char gname[64];
    if (id == EVP_PKEY_EC) {
      size_t glen;
      if (EVP_PKEY_get_utf8_string_param(key, "group", gname, sizeof gname,
                                         &glen))
        name = OBJ_nid2sn(OBJ_sn2nid(gname)) ? gname : NULL;
    } else {
      name = id == EVP_PKEY_X25519 ? "X25519" : "X448";
    }
    if (name) {
      /* Node gives the curve's short name (prime256v1, X25519) */
      lua_pushstring(L, name);
      lua_setfield(L, -2, "name");
    }
  }
  lua_pushinteger(L, bits);
  lua_setfield(L, -2, "size");
  EVP_PKEY_free(key);
  return 1;
}

/* get_shared_sigalgs() -> { "ECDSA+SHA256", "RSA-PSS+SHA256", ... }: the
 * signature algorithms both sides offered, the most preferred first, named
 * as Node names them (the key type, "+", the digest's short name; OpenSSL's
 * "UNDEF" for the schemes without a separate digest: "Ed25519+UNDEF") */
static int l_get_shared_sigalgs(lua_State *L) {
  SSL *ssl = live_ssl(L);
  if (ssl == NULL)
    return 0;
  /* (the count comes with a valid index; -1 gives 0) */
  int n = SSL_get_shared_sigalgs(ssl, 0, NULL, NULL, NULL, NULL, NULL);
  lua_createtable(L, n > 0 ? n : 0, 0);
  for (int i = 0; i < n; i++) {
    int sign = NID_undef, hash = NID_undef;
    SSL_get_shared_sigalgs(ssl, i, &sign, &hash, NULL, NULL, NULL);
    const char *kind;
    switch (sign) {
    case EVP_PKEY_RSA: kind = "RSA"; break;
    case EVP_PKEY_RSA_PSS: kind = "RSA-PSS"; break;
    case EVP_PKEY_DSA: kind = "DSA"; break;
    case EVP_PKEY_EC: kind = "ECDSA"; break;
    case NID_ED25519: kind = "Ed25519"; break;
    case NID_ED448: kind = "Ed448"; break;
    default: kind = OBJ_nid2sn(sign);
    }
    const char *md = OBJ_nid2sn(hash);
    lua_pushfstring(L, "%s+%s", kind ? kind : "UNDEF", md ? md : "UNDEF");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* set_key_cert(context): the certificate (with its chain) and the key the
 * context holds are this connection's from now on (its next handshake);
 * the context's last ones when it holds several */
static int l_set_key_cert(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  luatls_context *ctx = luatls_check_context(L, 2);
  X509 *cert = SSL_CTX_get0_certificate(ctx->ctx);
  EVP_PKEY *key = SSL_CTX_get0_privatekey(ctx->ctx);
  if (cert == NULL || key == NULL)
    return luatls_raise_error(L, "TypeError", "ERR_INVALID_ARG_VALUE",
                              "The argument 'context' holds no certificate "
                              "and private key");
  STACK_OF(X509) *chain = NULL;
  ERR_clear_error();
  if (SSL_CTX_get0_chain_certs(ctx->ctx, &chain) != 1 ||
      SSL_use_certificate(c->ssl, cert) != 1 ||
      SSL_use_PrivateKey(c->ssl, key) != 1 ||
      SSL_set1_chain(c->ssl, chain) != 1)
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_CERT",
                                "cannot use the context's certificate and key");
  return 0;
}

/* receive(bytes): ciphertext the transport read before it was wrapped (a
 * net.Socket's buffered data, as Node's _handle.receive()); read before
 * anything the transport reads from now on */
static int l_receive(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  size_t n;
  const char *p = luaL_checklstring(L, 2, &n);
  if (n == 0)
    return 0;
  if (luatls_tls_bio_lend(c, p, n) < 0 || luatls_tls_bio_keep(c) < 0)
    return luaL_error(L, "not enough memory");
  if (c->started)
    luatls_tls_schedule(c);
  return 0;
}

static int l_handshake_done(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushboolean(L, c->handshake_done);
  return 1;
}

static int l_tostring(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  lua_pushfstring(L, "luatls.tls: %p%s", (void *)c,
                  luatls_tls_gone(c) ? " (closed)" : "");
  return 1;
}

static const luaL_Reg conn_methods[] = {
    {"on", l_on},
    {"set_owner", l_set_owner},
    {"set_keylog", l_set_keylog},
    {"start", l_start},
    {"read_start", l_read_start},
    {"read_stop", l_read_stop},
    {"write", l_write},
    {"write_queue_size", l_write_queue_size},
    {"write_queue_peak", l_write_queue_peak},
    {"shutdown", l_shutdown},
    {"close", l_close},
    {"is_closing", l_is_closing},
    {"getsockname", l_getsockname},
    {"getpeername", l_getpeername},
    {"nodelay", l_nodelay},
    {"keepalive", l_keepalive},
    {"ref", l_ref},
    {"unref", l_unref},
    {"fileno", l_fileno},
    {"set_servername", l_set_servername},
    {"get_servername", l_get_servername},
    {"set_verify", l_set_verify},
    {"verify_error", l_verify_error},
    {"get_peer_certificate", l_get_peer_certificate},
    {"get_certificate", l_get_certificate},
    {"get_x509", l_get_x509},
    {"get_cipher", l_get_cipher},
    {"get_protocol", l_get_protocol},
    {"get_finished", l_get_finished},
    {"get_peer_finished", l_get_peer_finished},
    {"export_keying_material", l_export_keying_material},
    {"set_max_send_fragment", l_set_max_send_fragment},
    {"get_ephemeral_key_info", l_get_ephemeral_key_info},
    {"get_shared_sigalgs", l_get_shared_sigalgs},
    {"set_key_cert", l_set_key_cert},
    {"handshake_done", l_handshake_done},
    {"receive", l_receive},
    {NULL, NULL},
};

static const luaL_Reg conn_functions[] = {
    {"tls_wrap", l_wrap},
    {NULL, NULL},
};

/* every context runs the connection's ClientHello stages */
static void install(luatls_context *ctx) {
  SSL_CTX_set_client_hello_cb(ctx->ctx, client_hello_cb, NULL);
}

const luatls_tls_feature luatls_tls_conn_feature = {
    .name = "conn",
    .methods = conn_methods,
    .functions = conn_functions,
    .install = install,
};

/* The luatls.tls metatable, its methods being every feature's (one table,
 * made here), and the features' functions in the module table on the top. */
void luatls_open_tls(lua_State *L, const luatls_tls_feature *const *list) {
  features = list;
  luatls_new_metatable(L, TLS_T, NULL, l_gc, l_close, l_tostring);
  for (unsigned i = 0; features[i]; i++)
    if (features[i]->methods)
      luaL_setfuncs(L, features[i]->methods, 0);
  lua_pop(L, 1);
  for (unsigned i = 0; features[i]; i++)
    if (features[i]->functions)
      luaL_setfuncs(L, features[i]->functions, 0);
}
