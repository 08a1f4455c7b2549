/*
 * hash.c - message digests over OpenSSL's EVP (sha256, sha1, md5, ...):
 * hash_new(alg) -> hasher with :update(s) and :digest() (raw bytes), and
 * digest(alg, s) in one call. For fingerprints and for tests that compare
 * what went in with what came out.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "luatls.h"

#define HASH_T "luatls.hash"

typedef struct {
  EVP_MD_CTX *ctx;
} hasher;

static const EVP_MD *get_md(lua_State *L, int idx) {
  const char *name = luaL_checkstring(L, idx);
  const EVP_MD *md = EVP_get_digestbyname(name);
  if (md == NULL)
    luaL_error(L, "unknown digest '%s'", name);
  return md;
}

static int l_hash_new(lua_State *L) {
  const EVP_MD *md = get_md(L, 1);
  hasher *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->ctx = NULL;
  luaL_setmetatable(L, HASH_T);
  h->ctx = EVP_MD_CTX_new();
  if (h->ctx == NULL || !EVP_DigestInit_ex(h->ctx, md, NULL))
    return luaL_error(L, "cannot start digest");
  return 1;
}

static hasher *check(lua_State *L) {
  hasher *h = luaL_checkudata(L, 1, HASH_T);
  if (h->ctx == NULL)
    luaL_error(L, "digest already finished");
  return h;
}

static int l_update(lua_State *L) {
  hasher *h = check(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  EVP_DigestUpdate(h->ctx, s, len);
  lua_settop(L, 1);
  return 1;
}

static int l_digest(lua_State *L) {
  hasher *h = check(L);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(h->ctx, out, &n);
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
  lua_pushlstring(L, (const char *)out, n);
  return 1;
}

static int l_gc(lua_State *L) {
  hasher *h = luaL_checkudata(L, 1, HASH_T);
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
  return 0;
}

static int l_oneshot(lua_State *L) {
  const EVP_MD *md = get_md(L, 1);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(s, len, out, &n, md, NULL))
    return luaL_error(L, "digest failed");
  lua_pushlstring(L, (const char *)out, n);
  return 1;
}

/* random_bytes(n): n bytes from OpenSSL's CSPRNG */
static int l_random_bytes(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0 && n <= 1 << 20, 1, "out of range");
  luaL_Buffer b;
  unsigned char *p = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)n);
  if (n > 0 && RAND_bytes(p, (int)n) != 1)
    return luaL_error(L, "no random bytes");
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

void luatls_open_hash(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"update", l_update}, {"digest", l_digest}, {NULL, NULL}};
  luatls_new_metatable(L, HASH_T, methods, l_gc, NULL, NULL);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_hash_new);
  lua_setfield(L, -2, "hash_new");
  lua_pushcfunction(L, l_oneshot);
  lua_setfield(L, -2, "digest");
  lua_pushcfunction(L, l_random_bytes);
  lua_setfield(L, -2, "random_bytes");
}
