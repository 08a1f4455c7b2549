/*
 * crypto.h - what the files of src/crypto/ share (the message digests of
 * hash.c, the MACs of hmac.c, the randomness of random.c, the key
 * derivation of kdf.c, the ciphers of cipher.c), and the parts core.c
 * opens. Included only inside src/crypto/ and by core.c.
 */
#ifndef LUATLS_CRYPTO_H
#define LUATLS_CRYPTO_H

#include <openssl/evp.h>

#include "luatls.h"

/* The digest named by the string at idx (Node's names: "sha256",
 * "sha512-256", "RSA-SHA256", OpenSSL's "SHA2-256", ...), fetched: the
 * caller frees it with EVP_MD_free. An unknown name raises Node's
 * ERR_CRYPTO_INVALID_DIGEST ("Invalid digest: NAME", a TypeError). */
EVP_MD *luatls_crypto_md(lua_State *L, int idx);

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
int luatls_crypto_submit(lua_State *L, luatls_job *job, size_t size,
                         int cbidx);

void luatls_open_hash(lua_State *L);
void luatls_open_hmac(lua_State *L);
void luatls_open_random(lua_State *L);
void luatls_open_kdf(lua_State *L);
void luatls_open_cipher(lua_State *L);
void luatls_open_pkey(lua_State *L);
void luatls_open_x509cert(lua_State *L);

#endif
