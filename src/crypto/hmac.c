/*
 * crypto/hmac.c - HMAC over OpenSSL's EVP_MAC, for
 * lua/luatls/internal/crypto/hash.lua (Node's createHmac):
 *   hmac_new(alg, key) -> hmac with :update(s) (returns it) and :digest()
 *       (raw bytes); key: bytes or a secret key. After the digest, update
 *       raises ERR_CRYPTO_HASH_FINALIZED and digest gives "" (as Node's
 *       Hmac).
 * The key stays inside OpenSSL's context. Each HMAC starts as a copy of a
 * context set up for its digest once (luatls_crypto_cached).
 */
#include <stdio.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "crypto.h"

#define HMAC_T "luatls.hmac"

typedef struct {
  EVP_MAC_CTX *ctx; /* NULL once digested (or collected) */
} hmac;

/* an HMAC context set up for the digest named at idx, with no key: each
 * hmac starts as a copy of it (so the digest is not looked up per HMAC) */
static void *make_template(lua_State *L, int idx) {
  EVP_MD *md = luatls_crypto_md(L, idx);
  char name[64]; /* the digest's name outlives md */
  snprintf(name, sizeof name, "%s", EVP_MD_get0_name(md));
  EVP_MD_free(md);
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  EVP_MAC_free(mac); /* the context holds its own reference */
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
      OSSL_PARAM_construct_end()};
  if (ctx == NULL || !EVP_MAC_CTX_set_params(ctx, params)) {
    EVP_MAC_CTX_free(ctx);
    luatls_raise_openssl(L, NULL, "cannot start HMAC");
  }
  return ctx;
}

static void release_template(void *ctx) { EVP_MAC_CTX_free(ctx); }

static int l_hmac_new(lua_State *L) {
  size_t keylen;
  const char *key = luatls_crypto_key_bytes(L, 2, &keylen);
  luaL_checkstring(L, 1);
  hmac *m = lua_newuserdatauv(L, sizeof *m, 0);
  m->ctx = NULL;
  luaL_setmetatable(L, HMAC_T);
  EVP_MAC_CTX *template = luatls_crypto_cached(L, "luatls.hmac_cache", 1,
                                               release_template, make_template);
  m->ctx = EVP_MAC_CTX_dup(template);
  /* a key that is not NULL, also when empty: HMAC takes an empty key */
  if (m->ctx == NULL ||
      !EVP_MAC_init(m->ctx, (const unsigned char *)key, keylen, NULL))
    return luatls_raise_openssl(L, NULL, "cannot start HMAC");
  return 1;
}

static int l_update(lua_State *L) {
  hmac *m = luaL_checkudata(L, 1, HMAC_T);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  if (m->ctx == NULL)
    return luatls_crypto_finalized(L);
  if (!EVP_MAC_update(m->ctx, (const unsigned char *)s, len))
    return luatls_raise_openssl(L, NULL, "HMAC failed");
  lua_settop(L, 1);
  return 1;
}

static int l_digest(lua_State *L) {
  hmac *m = luaL_checkudata(L, 1, HMAC_T);
  if (m->ctx == NULL) {
    lua_pushliteral(L, "");
    return 1;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t n = 0;
  int ok = EVP_MAC_final(m->ctx, out, &n, sizeof out);
  EVP_MAC_CTX_free(m->ctx);
  m->ctx = NULL;
  if (!ok)
    return luatls_raise_openssl(L, NULL, "HMAC failed");
  lua_pushlstring(L, (const char *)out, n);
  return 1;
}

static int l_gc(lua_State *L) {
  hmac *m = luaL_checkudata(L, 1, HMAC_T);
  EVP_MAC_CTX_free(m->ctx);
  m->ctx = NULL;
  return 0;
}

void luatls_open_hmac(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"update", l_update}, {"digest", l_digest}, {NULL, NULL}};
  luatls_new_metatable(L, HMAC_T, methods, l_gc, NULL, NULL);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_hmac_new);
  lua_setfield(L, -2, "hmac_new");
}
