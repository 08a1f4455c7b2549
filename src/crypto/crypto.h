/*
 * crypto.h - what the files of src/crypto/ share (the message digests of
 * hash.c, the MACs of hmac.c, the randomness of random.c, the key
 * derivation of kdf.c, the ciphers of cipher.c, the keys of pkey.c, the
 * thread-pool jobs of job.c that sign.c and dh.c also use), and the parts
 * core.c opens. Included only inside src/crypto/ and by core.c.
 */
#ifndef LUATLS_CRYPTO_H
#define LUATLS_CRYPTO_H

#include <openssl/err.h>
#include <openssl/evp.h>

#include "luatls.h"

/* The digest named by the string at idx (Node's names: "sha256",
 * "sha512-256", "RSA-SHA256", OpenSSL's "SHA2-256", ...), fetched once per
 * name (a cache): the caller frees its reference with EVP_MD_free. An unknown
 * name raises Node's ERR_CRYPTO_INVALID_DIGEST ("Invalid digest: NAME", a
 * TypeError). */
EVP_MD *luatls_crypto_md(lua_State *L, int idx);

/* A cache of objects that cost more to make than to use (fetched digests,
 * HMAC contexts set up for a digest), kept while the state lives: the
 * registry's table `cache` maps the string at idx to a light userdata. A
 * name not there yet is made by make(L, idx), which may raise; at close
 * each object is given to release. Returns the cached object (borrowed). */
void *luatls_crypto_cached(lua_State *L, const char *cache, int idx,
                           void (*release)(void *),
                           void *(*make)(lua_State *L, int idx));

/* raise ERR_CRYPTO_HASH_FINALIZED ("Digest already called") */
int luatls_crypto_finalized(lua_State *L);

/* ---- keys (pkey.c) ---- */

/* A KeyObject's key: an EVP_PKEY (public or private) or secret bytes. */
enum { LUATLS_KEY_SECRET, LUATLS_KEY_PUBLIC, LUATLS_KEY_PRIVATE };
typedef struct luatls_key {
  int kind;
  EVP_PKEY *pkey;        /* public and private keys */
  unsigned char *secret; /* secret keys (wiped when freed) */
  size_t len;
} luatls_key;

/* the key userdata at idx (raises when it is none) */
luatls_key *luatls_crypto_key(lua_State *L, int idx);
/* push a new key owning pkey (one reference) as `kind` */
luatls_key *luatls_crypto_push_pkey(lua_State *L, EVP_PKEY *pkey, int kind);
/* the bytes of a key argument at idx: a string, or a secret key (its bytes,
 * borrowed: they stay in C memory); anything else raises */
const char *luatls_crypto_key_bytes(lua_State *L, int idx, size_t *len);
/* Node's asymmetricKeyType ("rsa", "ec", "ed25519", ...), or NULL */
const char *luatls_crypto_key_type(const EVP_PKEY *pkey);
/* the OpenSSL group name of Node's namedCurve at idx ("P-256",
 * "prime256v1", ...) into out; an unknown one raises
 * ERR_CRYPTO_INVALID_CURVE */
void luatls_crypto_curve(lua_State *L, int idx, char out[64]);

/* ---- work that may run on the thread pool (job.c) ---- */

/* A job: a struct whose first member is this, holding its inputs and
 * results as C data. `run` does the work (on the pool: no Lua, no
 * loop); `push` pushes its results as (nil, values...) or one error object
 * and returns the count; `free` frees the job and what it holds. */
typedef struct luatls_job luatls_job;
struct luatls_job {
  uv_work_t work;
  void (*run)(luatls_job *job);
  int (*push)(lua_State *L, luatls_job *job);
  void (*free)(luatls_job *job);
};

/* Run a malloc'd job of `size` bytes: at once when no function is at cbidx
 * (returns its values, or raises its error), else on libuv's thread pool
 * with cb(err) or cb(nil, values...) from the loop (returns 0). Either way
 * the job is freed. */
int luatls_crypto_submit(lua_State *L, luatls_job *job, size_t size, int cbidx);

/* In a job's run after a failure: the error to keep for its push (the
 * earliest queued, as Node reports; never 0). The queue is the pool
 * thread's, so the job carries the code across. */
static inline unsigned long luatls_crypto_job_error(void) {
  unsigned long e = ERR_peek_error();
  return e ? e : ERR_PACK(ERR_LIB_EVP, 0, ERR_R_INTERNAL_ERROR);
}

/* In a job's push: that error as the object Node gives (its text alone,
 * the code ERR_OSSL_...) */
static inline void luatls_crypto_push_job_error(lua_State *L, unsigned long e) {
  ERR_raise(ERR_GET_LIB(e), ERR_GET_REASON(e));
  luatls_push_openssl_error_or(L, "ERR_CRYPTO_OPERATION_FAILED", NULL);
}

void luatls_open_hash(lua_State *L);
void luatls_open_hmac(lua_State *L);
void luatls_open_random(lua_State *L);
void luatls_open_kdf(lua_State *L);
void luatls_open_cipher(lua_State *L);
void luatls_open_pkey(lua_State *L);
void luatls_open_jwk(lua_State *L);
void luatls_open_sign(lua_State *L);
void luatls_open_dh(lua_State *L);
void luatls_open_mkcert(lua_State *L); /* certificates, CSRs, CRLs */
void luatls_open_x509cert(lua_State *L);

#endif
