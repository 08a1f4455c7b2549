/*
 * crypto/hash.c - message digests over OpenSSL's EVP (sha256, sha1, md5,
 * sha3-256, shake128, ...), for lua/luatls/internal/crypto/hash.lua (Node's
 * createHash, crypto.hash, getHashes) and for the runtime's own uses
 * (fingerprints, tests that compare what went in with what came out):
 *   hash_new(alg[, xof_len]) -> hasher with :update(s) (returns it),
 *       :digest() (raw bytes; once: then ERR_CRYPTO_HASH_FINALIZED) and
 *       :copy([xof_len]) (an independent hasher in the same state)
 *   digest(alg, s[, xof_len]) -> raw bytes, in one call
 *   hash_names() -> the sorted list of the names Node's getHashes() gives
 *       that this OpenSSL can compute
 *   crypto_cache(enabled) -> turns the caches of fetched objects (digests
 *       here, HMAC contexts in hmac.c) off and on: the slow path of
 *       spec/crypto_cache_spec.lua
 * xof_len: the output length of an extendable-output function (shake128,
 * shake256); another digest takes its own length or none.
 */
#include <openssl/err.h>

#include "crypto.h"

#define HASH_T "luatls.hash"

typedef struct {
  EVP_MD_CTX *ctx; /* NULL once digested (or collected) */
  size_t xof_len;  /* 0: the digest's own size */
} hasher;

/* the digest called `name`, fetched, or NULL (the error queue left clean) */
static EVP_MD *fetch_md(const char *name) {
  EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
  if (md == NULL) {
    /* names OpenSSL keeps for compatibility: "RSA-SHA256", "ssl3-md5" */
    const EVP_MD *legacy = EVP_get_digestbyname(name);
    if (legacy != NULL)
      md = EVP_MD_fetch(NULL, EVP_MD_get0_name(legacy), NULL);
  }
  ERR_clear_error();
  return md;
}

/* ---- caches of fetched objects ----------------------------------------- */

typedef struct {
  void (*release)(void *);
} cache_kind;

static int cache_gc(lua_State *L) {
  const cache_kind *kind = lua_touserdata(L, lua_upvalueindex(1));
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    kind->release(lua_touserdata(L, -1));
    lua_pop(L, 1);
  }
  return 0;
}

/* 0 after crypto_cache(false): every lookup makes its object anew (the
 * slow path spec/crypto_cache_spec.lua compares the caches with) */
static int caching = 1;

/* release and remove every entry of the cache table at the top */
static void cache_clear(lua_State *L, void (*release)(void *)) {
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    release(lua_touserdata(L, -1));
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, -4); /* clearing a present field while iterating is allowed */
  }
}

void *luatls_crypto_cached(lua_State *L, const char *cache, int idx,
                           void (*release)(void *),
                           void *(*make)(lua_State *L, int idx)) {
  idx = lua_absindex(L, idx);
  if (lua_getfield(L, LUA_REGISTRYINDEX, cache) == LUA_TTABLE) {
    if (!caching)
      cache_clear(L, release);
  } else {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    cache_kind *kind = lua_newuserdatauv(L, sizeof *kind, 0);
    kind->release = release;
    lua_pushcclosure(L, cache_gc, 1);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, cache);
  }
  lua_pushvalue(L, idx);
  void *p =
      lua_rawget(L, -2) == LUA_TLIGHTUSERDATA ? lua_touserdata(L, -1) : NULL;
  lua_pop(L, 1);
  if (p == NULL) {
    lua_pop(L, 1); /* make may raise */
    p = make(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, cache);
    lua_pushvalue(L, idx);
    lua_pushlightuserdata(L, p);
    lua_rawset(L, -3);
  }
  lua_pop(L, 1);
  return p;
}

/* the digest named at idx, fetched (one reference), or raise */
static void *make_md(lua_State *L, int idx) {
  const char *name = lua_tostring(L, idx);
  EVP_MD *md = fetch_md(name);
  if (md == NULL) {
    lua_pushfstring(L, "Invalid digest: %s", name);
    luatls_raise_error(L, "TypeError", "ERR_CRYPTO_INVALID_DIGEST",
                       lua_tostring(L, -1));
  }
  return md;
}

static void release_md(void *md) { EVP_MD_free(md); }

/* Fetching a digest by name costs more than hashing 16 bytes, so each name
 * is fetched once and kept in the cache "luatls.md_cache". */
EVP_MD *luatls_crypto_md(lua_State *L, int idx) {
  luaL_checkstring(L, idx);
  EVP_MD *md =
      luatls_crypto_cached(L, "luatls.md_cache", idx, release_md, make_md);
  EVP_MD_up_ref(md); /* the caller's, freed with EVP_MD_free */
  return md;
}

int luatls_crypto_finalized(lua_State *L) {
  return luatls_raise_error(L, "Error", "ERR_CRYPTO_HASH_FINALIZED",
                            "Digest already called");
}

/* the output length asked for at idx (none: 0, the digest's own), checked
 * against md: only an extendable-output function takes another */
static size_t out_len(lua_State *L, int idx, const EVP_MD *md) {
  if (lua_isnoneornil(L, idx))
    return 0;
  lua_Integer n = luaL_checkinteger(L, idx);
  int xof = (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) != 0;
  if (n < 0 || n > (1 << 30) || (!xof && n != EVP_MD_get_size(md)))
    luatls_raise_error(L, "Error", "ERR_OSSL_EVP_NOT_XOF_OR_INVALID_LENGTH",
                       "error:030000B2:digital envelope routines::"
                       "not XOF or invalid length");
  return xof ? (size_t)n : 0;
}

/* a new hasher userdata on the stack, its context made but not started */
static hasher *new_hasher(lua_State *L, size_t xof_len) {
  hasher *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->ctx = NULL;
  h->xof_len = xof_len;
  luaL_setmetatable(L, HASH_T);
  h->ctx = EVP_MD_CTX_new();
  if (h->ctx == NULL)
    luatls_raise_openssl(L, NULL, "cannot start digest");
  return h;
}

/* a hasher for the digest named at idx, started, the output length at
 * xidx; left on the stack */
static hasher *start(lua_State *L, int idx, int xidx) {
  hasher *h = new_hasher(L, 0);
  EVP_MD *md = luatls_crypto_md(L, idx);
  int ok = EVP_DigestInit_ex(h->ctx, md, NULL);
  EVP_MD_free(md); /* the context holds its own reference */
  if (!ok)
    luatls_raise_openssl(L, NULL, "cannot start digest");
  h->xof_len = out_len(L, xidx, EVP_MD_CTX_get0_md(h->ctx));
  return h;
}

/* push the digest of h and finish it */
static int finish(lua_State *L, hasher *h) {
  int ok;
  if (h->xof_len > 0) {
    luaL_Buffer b;
    unsigned char *p = (unsigned char *)luaL_buffinitsize(L, &b, h->xof_len);
    ok = EVP_DigestFinalXOF(h->ctx, p, h->xof_len);
    luaL_pushresultsize(&b, ok ? h->xof_len : 0);
  } else {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    ok = EVP_DigestFinal_ex(h->ctx, out, &n);
    lua_pushlstring(L, (const char *)out, n);
  }
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
  if (!ok)
    return luatls_raise_openssl(L, NULL, "digest failed");
  return 1;
}

static int l_hash_new(lua_State *L) {
  lua_settop(L, 2);
  start(L, 1, 2);
  return 1;
}

static hasher *check(lua_State *L) {
  hasher *h = luaL_checkudata(L, 1, HASH_T);
  if (h->ctx == NULL)
    luatls_crypto_finalized(L);
  return h;
}

static int l_update(lua_State *L) {
  hasher *h = check(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  if (!EVP_DigestUpdate(h->ctx, s, len))
    return luatls_raise_openssl(L, NULL, "digest failed");
  lua_settop(L, 1);
  return 1;
}

static int l_digest(lua_State *L) { return finish(L, check(L)); }

static int l_copy(lua_State *L) {
  hasher *h = check(L);
  const EVP_MD *md = EVP_MD_CTX_get0_md(h->ctx);
  size_t xof_len = lua_isnoneornil(L, 2) ? h->xof_len : out_len(L, 2, md);
  hasher *c = new_hasher(L, xof_len);
  if (!EVP_MD_CTX_copy_ex(c->ctx, h->ctx))
    return luatls_raise_openssl(L, NULL, "cannot copy digest");
  return 1;
}

static int l_gc(lua_State *L) {
  hasher *h = luaL_checkudata(L, 1, HASH_T);
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
  return 0;
}

static int l_oneshot(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  lua_settop(L, 3);
  hasher *h = start(L, 1, 3);
  if (!EVP_DigestUpdate(h->ctx, s, len))
    return luatls_raise_openssl(L, NULL, "digest failed");
  return finish(L, h);
}

/* Node's getHashes() in lower case, less its signature names ("RSA-SHA256",
 * "sha256WithRSAEncryption"): kept when this OpenSSL computes them */
static const char *const hash_names[] = {
    "blake2b512", "blake2s256", "md5",        "md5-sha1", "ripemd",
    "ripemd160",  "rmd160",     "sha1",       "sha224",   "sha256",
    "sha3-224",   "sha3-256",   "sha3-384",   "sha3-512", "sha384",
    "sha512",     "sha512-224", "sha512-256", "shake128", "shake256",
    "sm3",        "ssl3-md5",   "ssl3-sha1",  NULL};

/* crypto_cache(enabled): turn the caches of fetched objects off (each use
 * makes its object anew) or back on; for the differential spec */
static int l_crypto_cache(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  caching = lua_toboolean(L, 1);
  return 0;
}

static int l_hash_names(lua_State *L) {
  lua_newtable(L);
  lua_Integer n = 0;
  for (const char *const *name = hash_names; *name; name++) {
    EVP_MD *md = fetch_md(*name);
    if (md == NULL)
      continue;
    EVP_MD_free(md);
    lua_pushstring(L, *name);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

void luatls_open_hash(lua_State *L) {
  static const luaL_Reg methods[] = {{"update", l_update},
                                     {"digest", l_digest},
                                     {"copy", l_copy},
                                     {NULL, NULL}};
  luatls_new_metatable(L, HASH_T, methods, l_gc, NULL, NULL);
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {{"hash_new", l_hash_new},
                                       {"digest", l_oneshot},
                                       {"hash_names", l_hash_names},
                                       {"crypto_cache", l_crypto_cache},
                                       {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
