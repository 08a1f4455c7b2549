/*
 * tls/tls.h - the TLS connection record and the interfaces between its
 * parts. Nothing outside src/tls/ includes it except core.c, which hands the
 * list of features to the context and to the connection.
 *
 *   conn.c     the connection: wrap, close, the luatls.tls method table
 *              (assembled from the features' arrays), the ClientHello
 *              callback that runs the features' hello stages, their answers
 *   pump.c     the pump: enc_in, clear_out, clear_in, enc_out and the cycle
 *              that drives them; it knows no feature, only the interfaces
 *              below (the cleartext sink, the drain hook, the held flags)
 *   bio.c      the connection's BIO (the enc_in and enc_out buffers)
 *   context.c  SecureContext; installs each feature's OpenSSL callbacks
 *   features   hooks.c (SNI, ALPN, NPN), session.c, ocsp.c, reneg.c,
 *              forward.c, psk.c, trace.c: each a luatls_tls_feature
 *              (below)
 *   hello.c    the ClientHello parser (pure: bytes in, a Lua table out;
 *              core.parse_client_hello), a feature with functions only
 *   hello_hook.c  feature: clientHelloCallback (the ClientHello's bytes
 *              captured, parsed by hello.c, handed to Lua first)
 *   router.c   tls.createRouter: accept, read the ClientHello (hello.c's
 *              luatls_tls_scan_hello), connect, forward, in C; a feature
 *              with functions only
 *   trace.c    feature: enableTrace (SSL_trace on stderr); owns the
 *              connection's one message callback, which also serves
 *              hello_hook.c's capture
 */
#ifndef LUATLS_TLS_H
#define LUATLS_TLS_H

#include "luatls.h"
#include <openssl/err.h>
#include <openssl/ssl.h>

#define TLS_T "luatls.tls"

/* user values of a connection's userdata */
enum {
  S_READCB = 1, /* read_start(cb) */
  S_CLOSECB,    /* close(cb) */
  S_EVENTS,     /* { handshake=, error=, keylog= }: on()'s, or the owner's */
  S_TRANSPORT,  /* the transport handle's userdata (TCP or pipe) */
  S_CONTEXT,    /* the SecureContext */
  S_OWNER,      /* set_owner()'s owner: every handler's first argument */
  S_FORWARD,    /* forward()'s target, kept alive while it is one */
  S_FORWARD_IN, /* forward_from()'s stream handle */
  S_NSLOTS = S_FORWARD_IN
};

/* the progress of a hook that asks Lua during the handshake (SNI, the
 * session store, OCSP) */
enum { HOOK_NONE, HOOK_WAITING, HOOK_ANSWERED };

/* a connection is open, closing (its transport closes, or lingers after an
 * alert), or closed (SSL, buffers and registry reference released) */
enum tls_state { TLS_OPEN, TLS_CLOSING, TLS_CLOSED };

typedef struct tls_conn tls_conn;

/* a hook whose answer is a SecureContext to switch to (SNI,
 * clientHelloCallback): its progress and the context (conn.c handles both) */
typedef struct {
  unsigned char state; /* HOOK_* */
  SSL_CTX *ctx;        /* the answer's context; NULL: keep the one in use */
} tls_ctx_hook;

/* The cleartext sink: n bytes the connection read go here instead of to
 * Lua's read callback. 1 when taken; 0 when they must go to Lua (the sink
 * has given up: it unregisters itself). */
typedef int (*luatls_tls_sink)(tls_conn *c, lua_State *L, const char *p,
                               size_t n);

struct tls_conn {
  luatls_deferred later; /* a cycle that must not run inline; first member */
  SSL *ssl;
  unsigned char state;     /* enum tls_state */
  int ref;                 /* registry ref to this userdata until closed */
  luatls_context *context; /* the context the connection began with */
  unsigned is_server : 1, started : 1, handshake_done : 1, reading : 1,
      eof_in : 1, eof_out : 1, failed : 1, in_cycle : 1, again : 1, keylog : 1,
      owner : 1, alerted : 1; /* failed in OpenSSL (an alert) */
  struct {
    luatls_handle *handle; /* its reads are enc_in while open */
    size_t queue_peak;     /* its largest write queue (diagnostics) */
  } transport;
  /* ciphertext OpenSSL has not read yet: lent, or own (bio.c) */
  struct {
    const char *buf;
    size_t len;
    char *own;
  } enc_in;
  /* ciphertext OpenSSL wrote, for enc_out (bio.c), and who waits for the
   * transport's queue to drain */
  struct {
    char *buf;
    size_t len, cap;
    void (*drained)(tls_conn *c); /* a write completed; NULL: nobody */
  } enc_out;
  struct {
    luatls_tls_sink sink; /* NULL: the cleartext goes to Lua */
    unsigned full : 1,    /* the sink is full: reads wait */
        held : 1;         /* held back (newSession pending) unless eof_in */
  } clear_out;
  /* the ClientHello's stages (conn.c runs them) and their answers */
  struct {
    unsigned stages; /* bit i: features[i]'s hello stage runs */
    int err_ref;     /* an error a hook ended the handshake with */
  } hello;
  /* clientHelloCallback (hello_hook.c): the ClientHello's bytes, captured
   * by a message callback, until the stage hands them to Lua */
  struct {
    tls_ctx_hook answer; /* "clienthello" event's progress and context */
    unsigned char *raw;  /* the handshake message; NULL: none yet */
    size_t len;
  } inspect;
  /* OpenSSL's message callback (trace.c), on while one of these wants it */
  struct {
    unsigned capture : 1, /* hello_hook.c: keep the first ClientHello */
        trace : 1;        /* enableTrace: SSL_trace each message */
  } msg;
  /* SNI, ALPN and NPN (hooks.c) */
  struct {
    unsigned hook : 1;   /* ask Lua ("hello" event) for the context */
    tls_ctx_hook answer; /* its progress and the context to switch to */
  } sni;
  struct {
    unsigned callback : 1;       /* ask Lua ("alpn" event) */
    unsigned char *protos, *npn; /* our protocols, wire format */
    unsigned len, npn_len;
  } alpn;
  /* sessions (session.c) */
  struct {
    unsigned hook : 1,    /* ask Lua: "newsession", "resume" events */
        event : 1;        /* client: "session" event for new sessions */
    unsigned char state;  /* HOOK_*: the session lookup's progress */
    SSL_SESSION *resumed; /* the store's answer */
  } session;
  /* OCSP (ocsp.c) */
  struct {
    unsigned hook : 1,   /* server: ask Lua ("ocsp" event) to staple */
        event : 1;       /* client: "ocspresponse" event */
    unsigned char state; /* HOOK_*: the OCSPRequest's progress */
    unsigned char *resp; /* the response to staple */
    size_t len;
  } ocsp;
  /* forwarding (forward.c: a pipe that stays in C) */
  struct {
    tls_conn *to;               /* where this connection's cleartext goes... */
    luatls_handle *stream;      /* ... or this stream handle */
    tls_conn *from;             /* the connection forwarding into this one */
    luatls_handle *from_stream; /* a stream handle forwarding into this one */
    size_t hwm;                 /* the target's queue that pauses our reads */
    size_t from_hwm;            /* our queue that pauses from_stream's reads */
    lua_Integer bytes;          /* forwarded out since Lua last asked */
    lua_Integer from_bytes;     /* forwarded in from from_stream, likewise */
    uint64_t at;                /* loop time of the last bytes forwarded from or
                                 * into this connection (0: never) */
    unsigned from_wait : 1;     /* we are full: from_stream's reads wait */
  } forward;
  /* pre-shared keys (psk.c) */
  struct {
    unsigned callback : 1, /* ask Lua ("psk" event) */
        used : 1;          /* Lua gave OpenSSL a key */
    unsigned char *key;    /* while Lua answers: OpenSSL's buffers, */
    char *identity;        /* their sizes and the key's length */
    unsigned max, max_identity, len;
  } psk;
  /* renegotiation (reneg.c) */
  struct {
    unsigned ours : 1, /* we asked for it (renegotiate()) */
        start : 1,     /* asked from inside the cycle: it starts it */
        peer : 1;      /* the peer started one: its end is 'renegotiated' */
  } reneg;
  /* closing after a fatal alert (conn.c) */
  struct {
    uv_timer_t *timer; /* close() waits for the peer's end until this */
    size_t bytes;      /* what the peer sent meanwhile (discarded) */
  } linger;
};

/* ---- features --------------------------------------------------------------
 * A feature attaches to the connection through this descriptor; core.c
 * lists them (luatls_open_tls_context, luatls_open_tls). Every field may be
 * NULL. */
typedef struct luatls_tls_feature {
  const char *name;
  const luaL_Reg *methods;         /* methods of luatls.tls */
  const luaL_Reg *context_methods; /* methods of luatls.secure_context */
  const luaL_Reg *functions;       /* functions of luatls.core */
  /* once per context: its OpenSSL callbacks */
  void (*install)(luatls_context *ctx);
  /* a stage of the ClientHello callback, run in the list's order while the
   * feature wants it (luatls_tls_want_hello): SSL_CLIENT_HELLO_SUCCESS to go
   * on, _RETRY while Lua has not answered, _ERROR (with *al) to end it */
  int (*hello)(lua_State *L, tls_conn *c, SSL *ssl, int *al);
  /* the connection closes (or is collected without closing) */
  void (*close)(tls_conn *c);
  /* free the feature's state; L is NULL when the Lua state is gone */
  void (*free)(lua_State *L, tls_conn *c);
} luatls_tls_feature;

extern const luatls_tls_feature luatls_tls_conn_feature; /* conn.c */
extern const luatls_tls_feature luatls_tls_session_feature;
extern const luatls_tls_feature luatls_tls_hooks_feature;
extern const luatls_tls_feature luatls_tls_ocsp_feature;
extern const luatls_tls_feature luatls_tls_reneg_feature;
extern const luatls_tls_feature luatls_tls_forward_feature;
extern const luatls_tls_feature luatls_tls_hello_feature; /* hello.c */
extern const luatls_tls_feature luatls_tls_hello_hook_feature;
extern const luatls_tls_feature luatls_tls_psk_feature;
extern const luatls_tls_feature luatls_tls_trace_feature;
extern const luatls_tls_feature luatls_tls_router_feature; /* functions */

/* ---- the ClientHello without Lua (hello.c) ------------------------------- */

/* What luatls_tls_scan_hello finds; the pointers point into the bytes given
 * or into buf (a reassembled message, malloc'ed: the caller frees it). */
typedef struct luatls_hello_scan {
  const unsigned char *msg; /* the handshake message, len bytes */
  size_t len;
  unsigned char *buf;              /* NULL unless reassembled */
  const unsigned char *servername; /* the first host_name, or NULL */
  size_t servername_len;
  const unsigned char *alpn; /* ALPN's list (wire form), or NULL */
  size_t alpn_len;
  char err[160]; /* why the bytes are not a ClientHello */
} luatls_hello_scan;
/* The ClientHello in the first bytes a client sent (as
 * core.parse_client_hello): 1 found (free out->buf), 0 more bytes are
 * needed, -1 not one (out->err). */
int luatls_tls_scan_hello(const unsigned char *p, size_t n,
                          luatls_hello_scan *out);

/* ---- the message callback (trace.c) -------------------------------------- */

/* set or clear OpenSSL's message callback as c->msg asks */
void luatls_tls_watch_messages(tls_conn *c);
/* hello_hook.c: a message OpenSSL read or wrote, while c->msg.capture */
void luatls_tls_capture_hello(tls_conn *c, int write_p, int content_type,
                              const void *buf, size_t len);

/* ---- conn.c -------------------------------------------------------------- */

static inline int luatls_tls_gone(const tls_conn *c) {
  return c->state != TLS_OPEN;
}
tls_conn *luatls_tls_check(lua_State *L, int idx); /* open connection */
/* push Node's ERR_TLS_INVALID_STATE error for what needs the handshake done */
void luatls_tls_push_not_established(lua_State *L);
/* the feature's hello stage runs (on) or not for this connection */
void luatls_tls_want_hello(tls_conn *c, const luatls_tls_feature *f, int on);

/* The answer to a hook (hello_done, resume_done, ocsp_done: the error at
 * index 3) */
enum tls_answer {
  TLS_ANSWER_LATE,  /* the connection no longer waits on *state: false was
                     * pushed, return it */
  TLS_ANSWER_VALUE, /* the answer is the value at index 2 */
  TLS_ANSWER_ERROR  /* an error, kept as the handshake's end */
};
enum tls_answer luatls_tls_answer(lua_State *L, tls_conn *c,
                                  unsigned char *state);
/* then: the handshake goes on (pushes true) */
void luatls_tls_answered(lua_State *L, tls_conn *c, unsigned char *state);
/* The answer to a context hook, (context | nil[, err]) at indexes 2 and 3:
 * pushes true, or false when the connection no longer waits (hello_done,
 * client_hello_done) */
int luatls_tls_context_answer(lua_State *L, tls_conn *c, tls_ctx_hook *h);
/* the end of a context hook's hello stage: _RETRY while Lua has not
 * answered, _ERROR (*al) when an answer ended the handshake, else switch to
 * the answer's context and _SUCCESS */
int luatls_tls_context_apply(tls_conn *c, SSL *ssl, tls_ctx_hook *h, int *al);
void luatls_tls_context_free(tls_ctx_hook *h);
/* Keep the error object on the top (popped) as the reason the handshake
 * ends; the pump reports it instead of OpenSSL's own. */
void luatls_tls_hook_error(lua_State *L, tls_conn *c);
/* a verify callback that accepts: the verdict is read after the handshake */
int luatls_tls_verify_accept(int ok, X509_STORE_CTX *ctx);

/* ---- pump.c -------------------------------------------------------------- */

/* enc_in: the transport's reads (its C consumer, data = the connection) */
void luatls_tls_enc_in(void *data, ssize_t nread, const uv_buf_t *buf);
/* clear_in: n cleartext bytes into SSL_write; SSL_write's result */
int luatls_tls_clear_in(tls_conn *c, const char *p, size_t n);
/* enc_out: send what OpenSSL wrote (with the Lua callback at cbidx, if
 * any): the bytes queued, or a negative uv error */
int luatls_tls_enc_out(tls_conn *c, lua_State *L, int cbidx);
void luatls_tls_schedule(tls_conn *c); /* a cycle, not inline */
/* the error object on the top of the stack ends the connection; popped */
void luatls_tls_report_error(tls_conn *c, lua_State *L);
/* Push the handler of event `name` (1; 0 when there is none) and, when the
 * connection has an owner, the owner after it: call with
 * luatls_call(L, nargs + c->owner). */
int luatls_tls_push_event(lua_State *L, tls_conn *c, const char *name);

static inline uv_stream_t *transport_stream(tls_conn *c) {
  return c->transport.handle && c->transport.handle->h
             ? (uv_stream_t *)c->transport.handle->h
             : NULL;
}

/* SSL_get_error() reads the thread's error queue, so it must start empty;
 * on the per-record paths, looking costs less than clearing all of it */
static inline void clear_errors(void) {
  if (ERR_peek_error() != 0)
    ERR_clear_error();
}

/* ---- hello.c: a ClientHello as data (pure: bytes in, a table out) -------- */

/* Parse one handshake message (type 1, a 24-bit length, the body: n bytes)
 * and push its table (returns 1), or push an error object with code
 * ERR_TLS_INVALID_CLIENT_HELLO (returns 0). Never raises (protected). */
int luatls_tls_push_hello(lua_State *L, const unsigned char *msg, size_t n);

/* ---- bio.c: the connection's BIO (both directions; ssl owns it) ---------- */

BIO *luatls_tls_bio_new(tls_conn *c);
/* the transport's bytes, lent for one cycle of the pump; -1: no memory */
int luatls_tls_bio_lend(tls_conn *c, const char *p, size_t n);
/* after that cycle: copy what OpenSSL left of them; -1: no memory */
int luatls_tls_bio_keep(tls_conn *c);
void luatls_tls_bio_sent(tls_conn *c); /* enc_out was sent or dropped */
void luatls_tls_bio_free(tls_conn *c); /* both buffers */

/* ---- the TLS part of luatls.core (conn.c, context.c) --------------------- */

void luatls_open_tls(lua_State *L, const luatls_tls_feature *const *features);
void luatls_open_tls_context(lua_State *L,
                             const luatls_tls_feature *const *features);
/* ca.c: CA certificate lists (after luatls_open_tls_context: it adds a
 * method to SecureContext) */
void luatls_open_tls_ca(lua_State *L);

#endif
