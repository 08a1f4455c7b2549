/*
 * tls/pump.c - the pump: how bytes move between a TLS connection's
 * transport (a TCP or pipe handle), its SSL (through its BIO, bio.c) and Lua.
 *
 * Four directions, all in C:
 *   enc_in     ciphertext in: the transport's reads go to this connection
 *              (the handle's C consumer); OpenSSL reads them where libuv put
 *              them;
 *   clear_out  cleartext out: SSL_read until it would block, one Lua string
 *              per read event (not one per record), or the bytes go to the
 *              connection's cleartext sink when one is registered
 *              (forward.c's);
 *   clear_in   cleartext in: write() calls SSL_write at once;
 *   enc_out    ciphertext out: what OpenSSL wrote to the BIO leaves in one
 *              uv_try_write, the rest in one uv_write; when such a write
 *              completes, the drain hook (if any) hears of it.
 * cycle() drives them, guarded against re-entry; after every call into Lua
 * it re-checks that the connection is still open (a callback may have
 * closed it). The pump knows no feature: features reach it only through
 * clear_out.sink, enc_out.drained and the clear_out.full/held flags.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"

/* ---- events -------------------------------------------------------------- */

static int push_self(lua_State *L, tls_conn *c) {
  if (c->state == TLS_CLOSED)
    return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
  return 1;
}

int luatls_tls_push_event(lua_State *L, tls_conn *c, const char *name) {
  if (!push_self(L, c))
    return 0;
  int self = lua_gettop(L);
  if (lua_getiuservalue(L, self, S_EVENTS) != LUA_TTABLE ||
      lua_getfield(L, -1, name) != LUA_TFUNCTION) {
    lua_settop(L, self - 1);
    return 0;
  }
  if (c->owner) { /* self events fn -> fn owner */
    lua_getiuservalue(L, self, S_OWNER);
    lua_replace(L, self + 1);
    lua_replace(L, self);
  } else { /* self events fn -> fn */
    lua_replace(L, self);
    lua_settop(L, self);
  }
  return 1;
}

/* ---- enc_out: ciphertext out --------------------------------------------- */

typedef struct {
  uv_write_t req;
  int cb_ref;
  tls_conn *conn; /* for errors without a callback; NULL once closed */
  size_t len;
  char data[];
} enc_out_req;

static void enc_out_done(uv_write_t *req, int status) {
  enc_out_req *f = (enc_out_req *)req;
  lua_State *L = luatls_state();
  if (L == NULL) {
    free(f);
    return;
  }
  if (f->conn && !luatls_tls_gone(f->conn) && f->conn->enc_out.drained)
    f->conn->enc_out.drained(f->conn);
  if (f->cb_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->cb_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, f->cb_ref);
    free(f);
    if (status < 0)
      luatls_push_uv_error(L, status, "write", NULL);
    else
      lua_pushnil(L);
    luatls_call(L, 1);
    return;
  }
  tls_conn *c = f->conn;
  free(f);
  if (status < 0 && status != UV_ECANCELED && c && !luatls_tls_gone(c) &&
      !c->failed) {
    luatls_push_uv_error(L, status, "write", NULL);
    luatls_tls_report_error(c, L);
  }
}

/* Send what OpenSSL wrote to the BIO. With cbidx, the Lua callback
 * there runs once it is all written (unless everything went out now:
 * returns 0 and the callback is not kept). Returns the bytes queued, or a
 * negative uv error. */
int luatls_tls_enc_out(tls_conn *c, lua_State *L, int cbidx) {
  uv_stream_t *s = transport_stream(c);
  size_t n = c->enc_out.len;
  if (n == 0)
    return 0;
  if (s == NULL) {
    luatls_tls_bio_sent(c);
    return 0;
  }
  uv_buf_t b = uv_buf_init(c->enc_out.buf, (unsigned)n);
  int w = uv_try_write(s, &b, 1);
  if (w < 0 && w != UV_EAGAIN) {
    luatls_tls_bio_sent(c);
    return w;
  }
  size_t done = w > 0 ? (size_t)w : 0;
  if (done == n) {
    luatls_tls_bio_sent(c);
    return 0;
  }
  enc_out_req *f = malloc(sizeof *f + (n - done));
  if (f == NULL) {
    luatls_tls_bio_sent(c);
    return UV_ENOMEM;
  }
  f->len = n - done;
  memcpy(f->data, c->enc_out.buf + done, f->len);
  luatls_tls_bio_sent(c);
  f->conn = c;
  f->cb_ref = LUA_NOREF;
  if (L && cbidx && lua_isfunction(L, cbidx)) {
    lua_pushvalue(L, cbidx);
    f->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  b = uv_buf_init(f->data, (unsigned)f->len);
  int err = uv_write(&f->req, s, &b, 1, enc_out_done);
  if (err < 0) {
    if (L)
      luaL_unref(L, LUA_REGISTRYINDEX, f->cb_ref);
    free(f);
    return err;
  }
  if (s->write_queue_size > c->transport.queue_peak)
    c->transport.queue_peak = s->write_queue_size;
  return (int)f->len;
}

/* ---- clear_in: cleartext in ---------------------------------------------- */

int luatls_tls_clear_in(tls_conn *c, const char *p, size_t n) {
  clear_errors();
  return SSL_write(c->ssl, p, (int)n);
}

/* ---- failures ------------------------------------------------------------ */

/* The error object on the top of the stack ends this connection: a reader
 * after the handshake gets it as a read error, else it goes to the "error"
 * event. Pops it. */
void luatls_tls_report_error(tls_conn *c, lua_State *L) {
  int err = lua_gettop(L);
  if (c->failed || luatls_tls_gone(c)) { /* once, and only while open */
    lua_settop(L, err - 1);
    c->failed = 1;
    return;
  }
  c->failed = 1;
  int pushed = 0;
  if (c->handshake_done && c->reading && push_self(L, c)) {
    lua_getiuservalue(L, -1, S_READCB);
    lua_remove(L, -2);
    if (lua_isfunction(L, -1)) {
      lua_pushnil(L);
      lua_pushvalue(L, err);
      luatls_call(L, 2);
      pushed = 1;
    } else {
      lua_pop(L, 1);
    }
  }
  if (!pushed && luatls_tls_push_event(L, c, "error")) {
    lua_pushvalue(L, err);
    luatls_call(L, 1 + c->owner);
  }
  lua_settop(L, err - 1);
}

/* Send the alert OpenSSL wrote for a failure (it may have gone already,
 * with what the pump sent before it saw the failure); close() then waits
 * for the peer to read it: the linger (conn.c). */
static void send_alert(tls_conn *c, lua_State *L) {
  c->alerted = 1;
  luatls_tls_enc_out(c, L, 0);
}

/* An OpenSSL failure: push the error for the queue, send the alert OpenSSL
 * wrote, and report it. */
static void fail_ssl(tls_conn *c, lua_State *L) {
  luatls_push_openssl_error(L, NULL, NULL);
  send_alert(c, L);
  luatls_tls_report_error(c, L);
}

/* ---- the handshake ------------------------------------------------------- */

/* a hook ended the handshake (an error it kept, luatls_tls_hook_error):
 * report its error, not OpenSSL's. 0 when none did. */
static int hook_failed(tls_conn *c, lua_State *L) {
  if (c->hello.err_ref == LUA_NOREF)
    return 0;
  ERR_clear_error();
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->hello.err_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, c->hello.err_ref);
  c->hello.err_ref = LUA_NOREF;
  send_alert(c, L);
  luatls_tls_report_error(c, L);
  return 1;
}

static void handshake_step(tls_conn *c, lua_State *L) {
  ERR_clear_error();
  int r = SSL_do_handshake(c->ssl);
  /* (a hook whose error OpenSSL cannot act on, such as a PSK callback's in
   * TLS 1.3, which falls back to certificates, still ends the handshake) */
  if (r == 1 && hook_failed(c, L))
    return;
  if (r == 1) {
    c->handshake_done = 1;
    luatls_tls_enc_out(c, L, 0);
    if (luatls_tls_push_event(L, c, "handshake"))
      luatls_call(L, c->owner);
    return;
  }
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ||
      e == SSL_ERROR_WANT_CLIENT_HELLO_CB) {
    /* waiting for the peer, or for Lua's answer to a hook (SNI) */
    luatls_tls_enc_out(c, L, 0);
    if (c->eof_in) {
      /* ... but the peer has gone: Node's words for it (a server's
       * 'tlsClientError' says "socket hang up") */
      luatls_push_error(L, "ECONNRESET",
                        c->is_server
                            ? "socket hang up"
                            : "Client network socket disconnected before "
                              "secure TLS connection was established");
      luatls_tls_report_error(c, L);
    }
    return;
  }
  if (!hook_failed(c, L))
    fail_ssl(c, L);
}

/* ---- clear_out: cleartext out -------------------------------------------- */

#define CLEAR_BUF (64 * 1024)
static char clear_buf[CLEAR_BUF];

/* n bytes of clear_buf (or the end of the stream) to the sink or Lua */
static void deliver(tls_conn *c, lua_State *L, size_t n, int eof) {
  if (c->clear_out.sink && !eof && c->clear_out.sink(c, L, clear_buf, n))
    return;
  if (!push_self(L, c))
    return;
  lua_getiuservalue(L, -1, S_READCB);
  lua_remove(L, -2);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  if (eof)
    lua_pushnil(L);
  else
    lua_pushlstring(L, clear_buf, n);
  luatls_call(L, 1);
}

static void clear_out(tls_conn *c, lua_State *L) {
  while (c->reading && !c->clear_out.full && !luatls_tls_gone(c) &&
         !c->failed && !c->eof_out) {
    size_t n = 0;
    int r = 0, e = SSL_ERROR_NONE;
    clear_errors();
    while (n < CLEAR_BUF) {
      r = SSL_read(c->ssl, clear_buf + n, (int)(CLEAR_BUF - n));
      if (r <= 0) {
        e = SSL_get_error(c->ssl, r);
        break;
      }
      n += (size_t)r;
    }
    /* a handshake message (TLS 1.3 tickets, key updates) may want out */
    luatls_tls_enc_out(c, L, 0);
    if (n > 0) {
      deliver(c, L, n, 0);
      if (r > 0)
        continue; /* the buffer filled up: there may be more */
    }
    if (luatls_tls_gone(c) || !c->reading || c->clear_out.full)
      return;
    if (r > 0)
      continue;
    if (e == SSL_ERROR_WANT_READ) {
      if (c->eof_in) { /* the peer closed TCP without close_notify */
        c->eof_out = 1;
        deliver(c, L, 0, 1);
      }
      return;
    }
    if (e == SSL_ERROR_ZERO_RETURN || /* close_notify */
        (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
      c->eof_out = 1;
      deliver(c, L, 0, 1);
      return;
    }
    fail_ssl(c, L);
    return;
  }
}

/* ---- the cycle ----------------------------------------------------------- */

static void cycle(tls_conn *c) {
  lua_State *L = luatls_state();
  if (L == NULL || luatls_tls_gone(c))
    return;
  if (c->in_cycle) {
    c->again = 1;
    return;
  }
  c->in_cycle = 1;
  int top = lua_gettop(L);
  do {
    c->again = 0;
    if (!c->handshake_done && !c->failed)
      handshake_step(c, L);
    if (luatls_tls_gone(c) || c->failed)
      break;
    /* held cleartext waits, unless the peer has gone: then the end of the
     * stream is delivered at once */
    if (c->handshake_done && c->reading && (!c->clear_out.held || c->eof_in))
      clear_out(c, L);
    if (luatls_tls_gone(c))
      break;
    if (c->reneg.start) { /* renegotiate() from inside the cycle (reneg.c) */
      c->reneg.start = 0;
      ERR_clear_error();
      SSL_do_handshake(c->ssl); /* writes the HelloRequest / ClientHello */
      ERR_clear_error();
    }
    luatls_tls_enc_out(c, L, 0);
  } while (c->again && !luatls_tls_gone(c));
  lua_settop(L, top);
  c->in_cycle = 0;
  /* keep the transport's reads in step with the reader: a slow reader
   * stops TCP reads instead of piling up ciphertext */
  luatls_handle *t = c->transport.handle;
  if (!luatls_tls_gone(c) && c->started && t->h) {
    int want = !c->handshake_done || (c->reading && !c->clear_out.full);
    int is = (t->flags & LUATLS_F_READING) != 0;
    if (want && !is && !c->eof_in)
      luatls_stream_read_start(t);
    else if (!want && is)
      luatls_stream_read_stop(t);
  }
}

/* ---- enc_in: ciphertext in ----------------------------------------------- */

void luatls_tls_enc_in(void *data, ssize_t nread, const uv_buf_t *buf) {
  tls_conn *c = data;
  lua_State *L = luatls_state();
  if (L == NULL || luatls_tls_gone(c))
    return;
  if (nread > 0) {
    if (luatls_tls_bio_lend(c, buf->base, (size_t)nread) < 0) {
      luatls_push_uv_error(L, UV_ENOMEM, "read", NULL);
      luatls_tls_report_error(c, L);
      return;
    }
    cycle(c);
    if (luatls_tls_bio_keep(c) < 0) {
      luatls_push_uv_error(L, UV_ENOMEM, "read", NULL);
      luatls_tls_report_error(c, L);
    }
    return;
  }
  luatls_stream_read_stop(c->transport.handle);
  c->eof_in = 1;
  if (nread != UV_EOF && !c->failed) {
    luatls_push_uv_error(L, (int)nread, "read", NULL);
    luatls_tls_report_error(c, L);
    return;
  }
  cycle(c);
}

/* ---- deferred cycles: work that must not run inline (start, read_start,
 * a hook's answer, a sink that has room again) */

static void run_later(luatls_deferred *d) { cycle((tls_conn *)d); }

void luatls_tls_schedule(tls_conn *c) {
  c->later.fn = run_later;
  luatls_defer(&c->later);
}
