/*
 * luatls.h - what the C files of luatls.core share.
 *
 * Ownership (DESIGN.md): a uv handle is malloc'ed apart from its Lua userdata
 * and freed only in its close callback. While the handle is open, the record
 * holds one registry reference to its own userdata, so Lua cannot collect it.
 * Callbacks live in the userdata's user values (slots below). close() and
 * __gc/__close share one function that is safe to call twice.
 */
#ifndef LUATLS_H
#define LUATLS_H

#include <lauxlib.h>
#include <lua.h>
#include <uv.h>

#define LUATLS_VERSION "0.1.0"

/* ---- the loop (loop.c) --------------------------------------------------- */

typedef struct luatls_loop {
  uv_loop_t *uv;
  lua_State *L;     /* the thread running core.run(); NULL when not running */
  int running;      /* re-entry guard */
  int tick_pending; /* Lua asked for a nextTick drain */
  int gone;         /* the Lua state is closing: callbacks only free memory */
  int tick_ref;     /* luatls.tick.run */
  int uncaught_ref; /* handler for errors raised in callbacks */
  int error_ref;    /* first uncaught error, raised again by run() */
  int trace_ref;    /* its traceback */
} luatls_loop;

extern luatls_loop luatls_main_loop;

/* Call the function below nargs arguments on the top of L's stack, protected,
 * with a traceback. An error goes to the uncaught handler (or stops the loop
 * and is raised again by core.run). Afterwards the nextTick queue is drained.
 * Pops the function and its arguments; pushes nothing. Returns 0 when the
 * callback ran without error. */
int luatls_call(lua_State *L, int nargs);
/* Drain the nextTick queue if Lua asked for it (same error handling). */
void luatls_run_ticks(lua_State *L);

/* Work C defers out of the call that asked for it (as nextTick does for
 * Lua): it runs before the next Lua tick, after the current callback, and
 * before the loop waits for I/O again even when no callback enters Lua. */
typedef struct luatls_deferred luatls_deferred;
struct luatls_deferred {
  void (*fn)(luatls_deferred *d);
  luatls_deferred *prev, *next;
  int queued;
};
void luatls_defer(luatls_deferred *d);
void luatls_undefer(luatls_deferred *d);
/* Register fn (once) to close the handles a C part owns apart from Lua
 * userdata when the Lua state closes (its close callbacks still run). */
void luatls_at_loop_close(void (*fn)(void));
/* The Lua state a libuv callback may use, or NULL when none (state gone). */
lua_State *luatls_state(void);

/* Make the metatable tname (meta.c): the methods (or NULL), __index pointing
 * at itself, and whichever of __gc, __close, __tostring is not NULL. Leaves
 * the metatable on the stack. */
void luatls_new_metatable(lua_State *L, const char *tname,
                          const luaL_Reg *methods, lua_CFunction gc,
                          lua_CFunction close, lua_CFunction tostring);

/* ---- handles (handle.c) -------------------------------------------------- */

enum {
  LUATLS_KIND_HANDLE = 1,
  LUATLS_KIND_STREAM = 2,
};

/* user value slots of a handle's userdata */
enum {
  LUATLS_UV_CB = 1,  /* main callback: read / connection / timer / signal */
  LUATLS_UV_CLOSECB, /* close(cb) */
  LUATLS_UV_EXTRA,   /* type specific */
  LUATLS_UV_NSLOTS = LUATLS_UV_EXTRA
};

/* A C consumer takes a stream's reads instead of Lua (the TLS pump takes the
 * ciphertext of its TCP handle this way). Called with libuv's read result;
 * buf is the loop's shared read buffer, valid only during the call. On a
 * listening stream it takes the connections instead: called with the
 * status, buf NULL (tls/router.c). */
typedef void (*luatls_read_fn)(void *data, ssize_t nread, const uv_buf_t *buf);

typedef struct luatls_handle {
  uv_handle_t *h; /* NULL once its close has been requested */
  int ref; /* registry ref to this userdata, held until close completes */
  unsigned flags;
  luatls_read_fn consumer; /* NULL: reads go to the Lua callback */
  void *consumer_data;
  size_t queue_peak; /* a stream's largest write queue (write_queue_peak) */
} luatls_handle;

#define LUATLS_F_INTERNAL 1u /* the runtime's own handle: walk() skips it */
#define LUATLS_F_READING 2u

/* Create a handle userdata of metatable `tname` around a fresh uv handle of
 * `size` bytes (not yet initialised: the caller runs uv_*_init on it and, on
 * failure, calls luatls_handle_abort). The userdata is left on the stack. */
luatls_handle *luatls_handle_new(lua_State *L, const char *tname, size_t size);
void luatls_handle_abort(lua_State *L, luatls_handle *rec);
/* Check that idx is a handle (any type) / a stream; raise if closed. */
luatls_handle *luatls_check_handle(lua_State *L, int idx, unsigned kind);
/* Push the userdata of the record a uv handle belongs to; 0 if none. */
int luatls_push_handle(lua_State *L, uv_handle_t *h);
/* Push the handle's user value `slot` (a callback); returns its Lua type
 * (LUA_TNIL when none or when the handle is gone: then nothing is pushed). */
int luatls_push_cb(lua_State *L, uv_handle_t *h, int slot);
/* Store the value at idx in user value slot of the handle at hidx. */
void luatls_set_slot(lua_State *L, int hidx, int slot, int idx);

/* Make a metatable with the given method lists (NULL-terminated array of
 * luaL_Reg lists) and kind; __index points at itself; __gc/__close close. */
void luatls_new_class(lua_State *L, const char *tname, unsigned kind,
                      const luaL_Reg *const *lists);
extern const luaL_Reg luatls_handle_methods[];
extern const luaL_Reg luatls_stream_methods[];
/* forward() & co. (uv/forward.c): TCP and pipe handles have them */
extern const luaL_Reg luatls_stream_forward_methods[];
/* Close the handle at idx (as its close method does) */
void luatls_handle_close(lua_State *L, int idx);
/* Start reading a stream into its C consumer (rec->consumer set); stop. */
int luatls_stream_read_start(luatls_handle *rec);
void luatls_stream_read_stop(luatls_handle *rec);
/* Write at once what the stream u takes of n bytes at p, in order (nothing
 * while writes are queued): the bytes taken (0 to n), or a negative uv error
 * (UV_EBADF when u is closed): a forwarding's first try, before it queues
 * the rest */
ssize_t luatls_stream_try(luatls_handle *u, const char *p, size_t n);
/* what a read gives Lua's read callback (for a C consumer that hands a read
 * back to Lua) */
void luatls_stream_deliver(luatls_handle *rec, ssize_t nread,
                           const uv_buf_t *buf);

/* ---- requests (req.c) ---------------------------------------------------- */

/* A request record keeps its callback (and any data it writes) anchored in
 * the registry until it completes. `req` is the uv request, laid out first. */
typedef struct luatls_req {
  int cb_ref;   /* callback, or LUA_NOREF */
  int data_ref; /* anchored data (strings being written), or LUA_NOREF */
} luatls_req;

/* Allocate a request of `size` bytes (uv req + payload) whose record is `r`,
 * taking the callback at cbidx (may be none/nil) into the registry. */
void *luatls_req_new(lua_State *L, size_t size, luatls_req **r, int cbidx);
/* Push the callback and release the record's references. Returns 1 when a
 * callback was pushed; 0 when none (or the state is gone). Does not free. */
int luatls_req_take_cb(lua_State *L, luatls_req *r);
void luatls_req_release(lua_State *L, luatls_req *r);
/* The usual completion: cb(err | nil), with err a uv error object for
 * syscall (and detail); frees req. */
void luatls_req_complete(uv_req_t *req, int status, const char *syscall,
                         const char *detail);

/* ---- errors (errors.c) --------------------------------------------------- */

/* Push a Node-style error object for a libuv error:
 * { name="Error", code="ECONNREFUSED", errno=-111, syscall="connect",
 *   message="connect ECONNREFUSED 127.0.0.1:80" } (detail may be NULL). */
void luatls_push_uv_error(lua_State *L, int err, const char *syscall,
                          const char *detail);
/* Push an error object with a given code and message. */
void luatls_push_error(lua_State *L, const char *code, const char *message);
/* Raise such an error object, of class `name` ("TypeError", "RangeError",
 * "Error"), as Node throws at once for misuse. */
int luatls_raise_error(lua_State *L, const char *name, const char *code,
                       const char *message);
/* Push an error object for the first error in OpenSSL's queue (and clear
 * the queue): message "<message>: error:0A00010B:SSL routines::...", code
 * `code` when given, else the code Node gives it (ERR_SSL_..., ERR_OSSL_...).
 * With an empty queue: code and message as given. Returns 1 when the queue held
 * one. */
int luatls_push_openssl_error(lua_State *L, const char *code,
                              const char *message);
/* The same, keeping OpenSSL's code; `fallback` only for an empty queue. */
int luatls_push_openssl_error_or(lua_State *L, const char *fallback,
                                 const char *message);
int luatls_raise_openssl(lua_State *L, const char *code, const char *message);
/* Node's code for an OpenSSL error (ERR_SSL_WRONG_VERSION_NUMBER,
 * ERR_OSSL_PEM_NO_START_LINE, ERR_OSSL_BAD_DECRYPT) */
void luatls_openssl_code(unsigned long e, char *code, size_t n);
/* nil, err - the usual failure return of a core function. */
int luatls_fail(lua_State *L, int err, const char *syscall, const char *detail);
/* The node code for a uv error (maps getaddrinfo errors as Node does). */
const char *luatls_uv_code(int err);

/* ---- sockaddr helpers (uv/tcp.c) ----------------------------------------- */

/* Fill a sockaddr from a numeric IP address and port; 0 or a uv error. */
int luatls_addr(const char *ip, int port, struct sockaddr_storage *ss);
/* Push { address=, port=, family="IPv4"|"IPv6" } for a sockaddr. */
void luatls_push_addr(lua_State *L, const struct sockaddr *sa);

/* ---- TLS (tls/context.c, tls/conn.c) ------------------------------------- */

#include <openssl/ssl.h>

typedef struct luatls_context {
  SSL_CTX *ctx;
  int has_cert;
  /* session ticket keys (tls/session.c), Node's 48-byte form: 16 bytes
   * name, 16 HMAC secret, 16 AES key; the previous key still decrypts */
  unsigned char ticket_keys[2][48];
  int has_previous_key;
} luatls_context;

luatls_context *luatls_check_context(lua_State *L, int idx);
/* shutdown of a stream with a Lua callback at cbidx: pushes true | nil, err */
int luatls_stream_shutdown(lua_State *L, uv_stream_t *s, int cbidx);
/* write bufs to a stream: all at once (returns 0, cb not kept) or queued with
 * the callback at cbidx and the value at dataidx anchored (returns the bytes
 * queued); a negative uv error on failure */
int luatls_stream_write(lua_State *L, uv_stream_t *s, uv_buf_t *bufs, int n,
                        size_t total, int cbidx, int dataidx);

/* ---- certificates (tls/x509.c) ------------------------------------------- */

#include <openssl/x509.h>

/* Push a table in the form of Node's getPeerCertificate(): subject, issuer,
 * subjectaltname, infoAccess, ca, bits, modulus, exponent, pubkey (RSA),
 * bits, asn1Curve, nistCurve, pubkey (EC), valid_from, valid_to,
 * fingerprint, fingerprint256, fingerprint512, ext_key_usage, serialNumber,
 * raw. Does not take ownership of cert; NULL gives {}. */
void luatls_push_x509(lua_State *L, X509 *cert);
/* getPeerCertificate(true): the leaf's table with issuerCertificate links
 * through `chain` (may be NULL; may or may not start with the leaf, e.g.
 * SSL_get_peer_cert_chain on either side, or SSL_get0_verified_chain to
 * reach the trusted root); a self-signed last certificate is its own
 * issuerCertificate (the same table). Takes ownership of nothing. */
void luatls_push_x509_chain(lua_State *L, X509 *leaf, STACK_OF(X509) * chain);
/* Push one field of luatls_push_x509's table, computed alone ("valid_from",
 * "subjectaltname", "fingerprint256", "ext_key_usage", "serialNumber",
 * "raw", "ca", ...), except "subject", "issuer" and "infoAccess", which give
 * X509Certificate's strings ("C=US\nCN=x", one "OCSP - URI:..." a line)
 * instead of tables. nil when the certificate has none; returns its type. */
int luatls_push_x509_field(lua_State *L, X509 *cert, const char *field);
/* Push an X509Certificate's C side (crypto/x509cert.c) holding a reference
 * to cert. With a chain (may be NULL, may hold cert), its issuer is the one
 * of chain's certificates that issued it, and so on up (as Node links the
 * certificates a peer sent); a certificate that issued itself ends the
 * links. Takes ownership of nothing. */
void luatls_push_x509cert(lua_State *L, X509 *cert, STACK_OF(X509) * chain);
/* The issuers of leaf among chain's certificates, in order up from leaf
 * (each the one that issued the one before): pushes a userdata holding
 * them (pop it when done), returns them and their count. */
X509 **luatls_x509_issuers(lua_State *L, X509 *leaf, STACK_OF(X509) * chain,
                           int *count);
/* Push an error object { code = "CERT_HAS_EXPIRED", message = "certificate
 * has expired" } for an SSL_get_verify_result value; nil for X509_V_OK. */
void luatls_push_verify_error(lua_State *L, long verify_result);
/* Node's code for an X509_V_ERR_* value (the name without the prefix;
 * "UNSPECIFIED" when unknown); NULL for X509_V_OK. */
const char *luatls_verify_code(long verify_result);

/* ---- module parts: each adds its functions to the table on the top ------- */

void luatls_open_loop(lua_State *L);
void luatls_open_tcp(lua_State *L);
void luatls_open_pipe(lua_State *L);
void luatls_open_tty(lua_State *L);
void luatls_open_timer(lua_State *L);
void luatls_open_check(lua_State *L);
void luatls_open_signal(lua_State *L);
void luatls_open_dns(lua_State *L);
void luatls_open_fs(lua_State *L);
void luatls_open_os(lua_State *L);
/* (the TLS parts: luatls_open_tls_context, luatls_open_tls in tls/tls.h;
 * the crypto parts in crypto/crypto.h) */
void luatls_open_errors(lua_State *L);
void luatls_open_x509(lua_State *L); /* tls/x509.c */

int luaopen_luatls_core(lua_State *L);

#endif
