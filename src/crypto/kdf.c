/*
 * crypto/kdf.c - key derivation over OpenSSL's EVP_KDF (PBKDF2, SCRYPT,
 * HKDF), for lua/luatls/internal/crypto/kdf.lua (Node's pbkdf2, scrypt,
 * hkdf and their Sync forms). The Lua side checks the arguments' types and
 * ranges with Node's messages; here:
 *   pbkdf2(password, salt, iterations, keylen, digest[, cb])
 *   scrypt(password, salt, keylen, N, r, p, maxmem[, cb])
 *   hkdf(digest, ikm, salt, info, keylen[, cb])   (ikm: bytes or a secret key)
 * Without a callback each returns the derived bytes (or raises); with one it
 * returns at once and runs the derivation on libuv's thread pool (job.c),
 * then calls cb(nil, bytes) or cb(err). The inputs are copied into the job
 * (the password and key copies, and the derived bytes, are wiped before
 * they are freed).
 * Raised at once: an unknown digest (ERR_CRYPTO_INVALID_DIGEST), scrypt
 * parameters OpenSSL refuses (ERR_CRYPTO_INVALID_SCRYPT_PARAMS, with
 * OpenSSL's reason when it gives one), an HKDF length over 255 digests
 * (ERR_CRYPTO_INVALID_KEYLEN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include "crypto.h"

enum { KDF_PBKDF2, KDF_SCRYPT, KDF_HKDF };

typedef struct kdf_op {
  luatls_job job; /* first: run, push and free below */
  int kind;
  char digest[64];                   /* OpenSSL's name of the digest */
  unsigned char *pass, *salt, *info; /* owned copies (pass: password/ikm) */
  size_t passlen, saltlen, infolen;
  uint64_t iter, n;      /* PBKDF2's iterations; scrypt's N */
  uint64_t r, p, maxmem; /* scrypt */
  unsigned char *out;    /* the derived bytes */
  size_t outlen;
  unsigned long err; /* OpenSSL's error from the derivation, or 0 */
  int failed;
} kdf_op;

static void free_op(kdf_op *op) {
  if (op->pass)
    OPENSSL_clear_free(op->pass, op->passlen);
  if (op->out)
    OPENSSL_clear_free(op->out, op->outlen);
  free(op->salt);
  free(op->info);
  free(op);
}

/* a malloc'd copy of the string (or secret key) at idx (never NULL, also
 * when empty) */
static unsigned char *dup_arg(lua_State *L, int idx, size_t *len, int *oom) {
  const char *s = luatls_crypto_key_bytes(L, idx, len);
  unsigned char *c = malloc(*len ? *len : 1);
  if (c == NULL)
    *oom = 1;
  else
    memcpy(c, s, *len);
  return c;
}

static kdf_op *new_op(lua_State *L, int kind, int passidx, int saltidx,
                      int infoidx, lua_Integer keylen) {
  int oom = 0;
  kdf_op *op = calloc(1, sizeof *op);
  if (op == NULL)
    luaL_error(L, "out of memory");
  op->kind = kind;
  op->pass = dup_arg(L, passidx, &op->passlen, &oom);
  op->salt = dup_arg(L, saltidx, &op->saltlen, &oom);
  if (infoidx)
    op->info = dup_arg(L, infoidx, &op->infolen, &oom);
  op->outlen = (size_t)keylen;
  op->out = malloc(op->outlen ? op->outlen : 1);
  if (oom || op->out == NULL) {
    free_op(op);
    luaL_error(L, "out of memory");
  }
  return op;
}

/* the OpenSSL name of the digest named at idx into name (an unknown one
 * raises Node's error); returns the digest's size */
static int md_name(lua_State *L, int idx, char name[64]) {
  EVP_MD *md = luatls_crypto_md(L, idx);
  snprintf(name, 64, "%s", EVP_MD_get0_name(md));
  int size = EVP_MD_get_size(md);
  EVP_MD_free(md);
  return size;
}

/* the derivation itself: runs on the thread pool or at once */
static void derive(kdf_op *op) {
  static const char *names[] = {"PBKDF2", "SCRYPT", "HKDF"};
  OSSL_PARAM params[8], *p = params;
  ERR_clear_error();
  if (op->outlen == 0)
    return; /* nothing to derive; OpenSSL refuses a zero length */
  if (op->kind != KDF_SCRYPT)
    *p++ =
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, op->digest, 0);
  *p++ = OSSL_PARAM_construct_octet_string(
      op->kind == KDF_SCRYPT   ? OSSL_KDF_PARAM_PASSWORD
      : op->kind == KDF_PBKDF2 ? OSSL_KDF_PARAM_PASSWORD
                               : OSSL_KDF_PARAM_KEY,
      op->pass, op->passlen);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, op->salt,
                                           op->saltlen);
  switch (op->kind) {
  case KDF_PBKDF2:
    *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &op->iter);
    break;
  case KDF_SCRYPT:
    *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &op->n);
    *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_R, &op->r);
    *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_P, &op->p);
    *p++ =
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &op->maxmem);
    break;
  case KDF_HKDF:
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, op->info,
                                             op->infolen);
    break;
  }
  *p = OSSL_PARAM_construct_end();
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, names[op->kind], NULL);
  EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  EVP_KDF_free(kdf);
  if (ctx == NULL || EVP_KDF_derive(ctx, op->out, op->outlen, params) != 1) {
    op->failed = 1;
    op->err = ERR_peek_last_error();
  }
  EVP_KDF_CTX_free(ctx);
  ERR_clear_error();
}

/* push the result of a finished op: (err) or (nil, bytes); returns count */
static int push_result(lua_State *L, kdf_op *op) {
  if (op->failed) {
    if (op->err)
      ERR_raise(ERR_GET_LIB(op->err), ERR_GET_REASON(op->err));
    luatls_push_openssl_error_or(L, "ERR_CRYPTO_OPERATION_FAILED",
                                 "Key derivation failed");
    return 1;
  }
  lua_pushnil(L);
  lua_pushlstring(L, (const char *)op->out, op->outlen);
  return 2;
}

static void run_job(luatls_job *job) { derive((kdf_op *)job); }

static int push_job(lua_State *L, luatls_job *job) {
  return push_result(L, (kdf_op *)job);
}

static void free_job(luatls_job *job) { free_op((kdf_op *)job); }

/* Derive now (no function at cbidx: returns the bytes or raises) or on the
 * thread pool (returns nothing; cb(err) or cb(nil, bytes) later). */
static int submit(lua_State *L, kdf_op *op, int cbidx) {
  op->job.run = run_job;
  op->job.push = push_job;
  op->job.free = free_job;
  return luatls_crypto_submit(L, &op->job, sizeof *op, cbidx);
}

/* an integer argument the Lua side has checked to be in range */
static uint64_t check_u64(lua_State *L, int idx) {
  lua_Integer v = luaL_checkinteger(L, idx);
  luaL_argcheck(L, v >= 0, idx, "out of range");
  return (uint64_t)v;
}

/* pbkdf2(password, salt, iterations, keylen, digest[, cb]) */
static int l_pbkdf2(lua_State *L) {
  uint64_t iter = check_u64(L, 3);
  lua_Integer keylen = (lua_Integer)check_u64(L, 4);
  luaL_argcheck(L, iter >= 1, 3, "out of range");
  char digest[64];
  md_name(L, 5, digest);
  kdf_op *op = new_op(L, KDF_PBKDF2, 1, 2, 0, keylen);
  memcpy(op->digest, digest, sizeof digest);
  op->iter = iter;
  return submit(L, op, 6);
}

/* scrypt(password, salt, keylen, N, r, p, maxmem[, cb]) */
static int l_scrypt(lua_State *L) {
  lua_Integer keylen = (lua_Integer)check_u64(L, 3);
  uint64_t n = check_u64(L, 4), r = check_u64(L, 5), p = check_u64(L, 6);
  uint64_t maxmem = check_u64(L, 7);
  /* what Node does: ask OpenSSL whether it takes the parameters */
  ERR_clear_error();
  if (EVP_PBE_scrypt(NULL, 0, NULL, 0, n, r, p, maxmem, NULL, 0) != 1) {
    unsigned long e = ERR_peek_last_error();
    char buf[256];
    if (e != 0) {
      ERR_error_string_n(e, buf, sizeof buf);
      lua_pushfstring(L, "Invalid scrypt params: %s", buf);
    } else {
      lua_pushliteral(L, "Invalid scrypt params");
    }
    ERR_clear_error();
    return luatls_raise_error(L, "RangeError",
                              "ERR_CRYPTO_INVALID_SCRYPT_PARAMS",
                              lua_tostring(L, -1));
  }
  kdf_op *op = new_op(L, KDF_SCRYPT, 1, 2, 0, keylen);
  op->n = n;
  op->r = r;
  op->p = p;
  op->maxmem = maxmem;
  return submit(L, op, 8);
}

/* hkdf(digest, ikm, salt, info, keylen[, cb]) */
static int l_hkdf(lua_State *L) {
  lua_Integer keylen = (lua_Integer)check_u64(L, 5);
  char digest[64];
  int size = md_name(L, 1, digest);
  if (size <= 0 || keylen > 255 * (lua_Integer)size)
    return luatls_raise_error(L, "RangeError", "ERR_CRYPTO_INVALID_KEYLEN",
                              "Invalid key length");
  kdf_op *op = new_op(L, KDF_HKDF, 2, 3, 4, keylen);
  memcpy(op->digest, digest, sizeof digest);
  return submit(L, op, 6);
}

void luatls_open_kdf(lua_State *L) {
  static const luaL_Reg functions[] = {{"pbkdf2", l_pbkdf2},
                                       {"scrypt", l_scrypt},
                                       {"hkdf", l_hkdf},
                                       {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
