/*
 * tls/tls.h - the TLS connection record, shared by tls/conn.c (the pump and
 * the connection's API) and the files that add to it: tls/bio.c (its BIO),
 * tls/hooks.c (SNI, ALPN and NPN during the handshake), tls/session.c,
 * tls/ocsp.c, tls/reneg.c and tls/forward.c. Nothing else includes it.
 */
#ifndef LUATLS_TLS_CONN_H
#define LUATLS_TLS_CONN_H

#include "luatls.h"
#include <openssl/err.h>
#include <openssl/ssl.h>

#define TLS_T "luatls.tls"

/* user values of a connection's userdata */
enum {
  S_READCB = 1, /* read_start(cb) */
  S_CLOSECB,    /* close(cb) */
  S_EVENTS,     /* { handshake=, error=, keylog= }: on()'s, or the owner's */
  S_TCP,        /* the transport handle's userdata */
  S_CONTEXT,    /* the SecureContext */
  S_OWNER,      /* set_owner()'s owner: every handler's first argument */
  S_FORWARD,    /* forward()'s target, kept alive while it is one */
  S_FORWARD_IN, /* forward_from()'s stream handle */
  S_NSLOTS = S_FORWARD_IN
};

enum { HELLO_NONE, HELLO_WAITING, HELLO_ANSWERED };

typedef struct tls_conn tls_conn;
struct tls_conn {
  luatls_deferred later; /* a cycle that must not run inline; first member */
  SSL *ssl;
  /* the transport BIO's buffers (tls/bio.c) */
  const char *in; /* ciphertext OpenSSL has not read yet: lent or in_own */
  size_t in_len;
  char *in_own;
  char *out; /* ciphertext OpenSSL wrote, for flush() */
  size_t out_len, out_cap;
  luatls_handle *tcp;
  size_t queue_peak; /* the transport's largest write queue (diagnostics) */
  int ref;           /* registry ref to this userdata while open */
  unsigned is_server : 1, started : 1, handshake_done : 1, reading : 1,
      eof_in : 1, eof_out : 1, failed : 1, closing : 1, in_cycle : 1, again : 1,
      keylog : 1, owner : 1;
  /* handshake hooks (tls/hooks.c) */
  unsigned hello_hook : 1, alpn_cb : 1;
  unsigned char hello_state; /* HELLO_*: the ClientHello hook's progress */
  SSL_CTX *hello_ctx;        /* its answer: the context to switch to */
  int hook_err_ref;          /* an error a hook ended the handshake with */
  unsigned char *alpn, *npn; /* our protocols, wire format */
  unsigned alpn_len, npn_len;
  /* sessions (tls/session.c) */
  unsigned session_hook : 1, /* ask Lua: "newsession", "resume" events */
      session_pending : 1,   /* newSession's cb not called yet: hold data */
      session_event : 1;     /* client: "session" event for new sessions */
  unsigned char sess_state;  /* HELLO_*: the session lookup's progress */
  SSL_SESSION *resumed;      /* the store's answer */
  luatls_context *context;   /* the context the connection began with */
  /* OCSP (tls/ocsp.c) */
  unsigned ocsp_hook : 1,   /* server: ask Lua ("ocsp" event) to staple */
      ocsp_event : 1;       /* client: "ocspresponse" event */
  unsigned char ocsp_state; /* HELLO_*: the OCSPRequest's progress */
  unsigned char *ocsp_resp; /* the response to staple */
  size_t ocsp_len;
  /* forwarding (tls/forward.c: a pipe that stays in C) */
  struct tls_conn *fwd;     /* where this connection's cleartext goes... */
  luatls_handle *fwd_tcp;   /* ... or this stream handle */
  struct tls_conn *fwd_src; /* the connection forwarding into this one */
  luatls_handle *fwd_in;    /* a stream handle forwarding into this one */
  size_t fwd_hwm;           /* the target's queue that pauses our reads */
  size_t fwd_in_hwm;        /* our queue that pauses fwd_in's reads */
  lua_Integer fwd_bytes;    /* forwarded out since Lua last asked */
  lua_Integer fwd_in_bytes; /* forwarded in from fwd_in, likewise */
  uint64_t fwd_at;          /* loop time of the last bytes forwarded from
                             * or into this connection (0: never) */
  unsigned fwd_wait : 1,    /* the target is full: our reads wait */
      fwd_in_wait : 1;      /* we are full: fwd_in's reads wait */
  /* renegotiation (tls/reneg.c) */
  unsigned reneg_ours : 1, /* we asked for it (renegotiate()) */
      reneg_disabled : 1;  /* disableRenegotiation() */
  /* closing after a fatal alert (tls/conn.c: the linger) */
  unsigned alerted : 1; /* failed in OpenSSL (which sent an alert) */
  uv_timer_t *linger;   /* close() waits for the peer's end until this */
  size_t linger_bytes;  /* what the peer sent meanwhile (discarded) */
};

/* from tls/conn.c */
tls_conn *luatls_tls_check(lua_State *L, int idx); /* open connection */
/* send what OpenSSL wrote (with the Lua callback at cbidx, if any): the
 * bytes queued, or a negative uv error */
int luatls_tls_flush(tls_conn *c, lua_State *L, int cbidx);
/* the error object on the top of the stack ends the connection; popped */
void luatls_tls_report_error(tls_conn *c, lua_State *L);
int luatls_tls_gone(tls_conn *c);
/* Push the handler of event `name` (1; 0 when there is none) and, when the
 * connection has an owner, the owner after it: call with
 * luatls_call(L, nargs + c->owner). */
int luatls_tls_push_event(lua_State *L, tls_conn *c, const char *name);
void luatls_tls_schedule(tls_conn *c); /* a cycle, not inline */
/* a verify callback that accepts: the verdict is read after the handshake */
int luatls_tls_verify_accept(int ok, X509_STORE_CTX *ctx);

static inline uv_stream_t *tcp_stream(tls_conn *c) {
  return c->tcp && c->tcp->h ? (uv_stream_t *)c->tcp->h : NULL;
}

/* SSL_get_error() reads the thread's error queue, so it must start empty;
 * on the per-record paths, looking costs less than clearing all of it */
static inline void clear_errors(void) {
  if (ERR_peek_error() != 0)
    ERR_clear_error();
}

/* from tls/forward.c */
/* n bytes c read go to its forwarding target: 1, or 0 when they must go to
 * Lua (forwarding has stopped) */
int luatls_tls_forward(tls_conn *c, lua_State *L, const char *p, size_t n);
void luatls_tls_forward_detach(tls_conn *c); /* c closes */
void luatls_tls_forward_resume(tls_conn *c); /* c's transport wrote */

/* from tls/bio.c: the connection's BIO (both directions; ssl owns it) */
BIO *luatls_tls_bio_new(tls_conn *c);
/* the transport's bytes, lent for one cycle of the pump; -1: no memory */
int luatls_tls_bio_lend(tls_conn *c, const char *p, size_t n);
/* after that cycle: copy what OpenSSL left of them; -1: no memory */
int luatls_tls_bio_keep(tls_conn *c);
void luatls_tls_bio_sent(tls_conn *c); /* out was sent or dropped */
void luatls_tls_bio_free(tls_conn *c); /* both buffers */

/* from tls/hooks.c */
void luatls_tls_hooks_free(lua_State *L, tls_conn *c);
/* The common part of a hook's answer (hello_done, resume_done, ocsp_done,
 * with the error at index 3): 0 when the connection no longer waits on
 * *state (false pushed: return it), 2 when an error was given (kept as the
 * handshake's end), 1 for an answer. Then luatls_tls_answered() goes on. */
int luatls_tls_answer(lua_State *L, tls_conn *c, unsigned char *state);
void luatls_tls_answered(lua_State *L, tls_conn *c, unsigned char *state);

/* from tls/session.c and tls/ocsp.c: the ClientHello's session lookup and
 * OCSP request. Return -1 when the handshake must wait for Lua, 0 to go on. */
int luatls_tls_session_hello(lua_State *L, tls_conn *c, SSL *ssl);
int luatls_tls_push_session(lua_State *L, SSL_SESSION *sess); /* DER */
int luatls_tls_ocsp_hello(lua_State *L, tls_conn *c, SSL *ssl);
void luatls_tls_ocsp_free(tls_conn *c);

#endif
