/*
 * crypto/dh.c - key agreement for lua/luatls/internal/crypto/dh.lua
 * (Node's diffieHellman, createECDH, ECDH.convertKey, getCurves):
 *   dh_derive(private, public[, cb]) -> the shared secret of two keys
 *       (EVP_PKEY_derive: ec, x25519, x448, dh), or cb(err, secret) from
 *       the thread pool
 *   ecdh_new(curve) -> ecdh (curve: OpenSSL's short name, as Node takes it;
 *       ERR_CRYPTO_INVALID_CURVE) with
 *     :generate()            a new private key and its public point
 *     :public(form)          the point in form 2/4/6 (compressed,
 *                            uncompressed, hybrid: POINT_CONVERSION_*)
 *     :private()             the private scalar, big-endian, unpadded
 *     :set_private(bytes)    checked 1 <= k < order; the point k*G
 *     :set_public(bytes)     a point of the curve (deprecated in Node)
 *     :compute(point)        the x coordinate of k*point (ECDH_compute_key's
 *                            form), after Node's checks of the pair and point
 *   ecdh_convert(point, curve, form) -> the point in another form
 *   ec_curves() -> the short names of OpenSSL's built-in curves (unsorted)
 * An ECDH object holds its scalar and point as OpenSSL's BIGNUM and
 * EC_POINT (the scalar freed with BN_clear_free).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "crypto.h"

#define ECDH_T "luatls.ecdh"

/* ---- diffieHellman(): two KeyObjects ---------------------------------------
 */

typedef struct {
  luatls_job job; /* first */
  EVP_PKEY *priv, *pub;
  unsigned char *out;
  size_t len;
  unsigned long err;
} derive_job;

static void derive_run(luatls_job *job) {
  derive_job *d = (derive_job *)job;
  ERR_clear_error();
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, d->priv, NULL);
  size_t len = 0;
  int ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
           EVP_PKEY_derive_set_peer(ctx, d->pub) == 1 &&
           EVP_PKEY_derive(ctx, NULL, &len) == 1 &&
           (d->out = OPENSSL_malloc(len ? len : 1)) != NULL &&
           EVP_PKEY_derive(ctx, d->out, &len) == 1;
  d->len = len;
  if (!ok)
    d->err = luatls_crypto_job_error();
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
}

static int derive_push(lua_State *L, luatls_job *job) {
  derive_job *d = (derive_job *)job;
  if (d->err) {
    luatls_crypto_push_job_error(L, d->err);
    return 1;
  }
  lua_pushnil(L);
  lua_pushlstring(L, (const char *)d->out, d->len);
  return 2;
}

static void derive_free(luatls_job *job) {
  derive_job *d = (derive_job *)job;
  EVP_PKEY_free(d->priv);
  EVP_PKEY_free(d->pub);
  if (d->out)
    OPENSSL_clear_free(d->out, d->len);
  free(d);
}

/* dh_derive(private, public[, cb]) */
static int l_derive(lua_State *L) {
  luatls_key *a = luatls_crypto_key(L, 1), *b = luatls_crypto_key(L, 2);
  luaL_argcheck(L, a->pkey != NULL, 1, "not an asymmetric key");
  luaL_argcheck(L, b->pkey != NULL, 2, "not an asymmetric key");
  derive_job *d = calloc(1, sizeof *d);
  if (d == NULL)
    return luaL_error(L, "out of memory");
  d->job.run = derive_run;
  d->job.push = derive_push;
  d->job.free = derive_free;
  if (EVP_PKEY_up_ref(a->pkey))
    d->priv = a->pkey;
  if (EVP_PKEY_up_ref(b->pkey))
    d->pub = b->pkey;
  if (d->priv == NULL || d->pub == NULL) {
    derive_free(&d->job);
    return luaL_error(L, "cannot share the key");
  }
  return luatls_crypto_submit(L, &d->job, sizeof *d, 3);
}

/* ---- ECDH: a curve, a scalar and a point -----------------------------------
 */

typedef struct {
  EC_GROUP *group;
  BIGNUM *priv; /* NULL until generated or set */
  EC_POINT *pub;
} ecdh;

static ecdh *check_ecdh(lua_State *L) { return luaL_checkudata(L, 1, ECDH_T); }

static int fail(lua_State *L, const char *name, const char *code,
                const char *message) {
  ERR_clear_error();
  return luatls_raise_error(L, name, code, message);
}

/* the built-in curve named at idx as Node takes it (a short name) */
static EC_GROUP *curve_group(lua_State *L, int idx) {
  int nid = OBJ_sn2nid(luaL_checkstring(L, idx));
  EC_GROUP *g = nid != NID_undef ? EC_GROUP_new_by_curve_name(nid) : NULL;
  if (g == NULL)
    fail(L, "TypeError", "ERR_CRYPTO_INVALID_CURVE", "Invalid EC curve name");
  return g;
}

/* the point in the string at idx, or NULL (the queue left clean) */
static EC_POINT *to_point(lua_State *L, const EC_GROUP *g, int idx) {
  size_t len;
  const unsigned char *s =
      (const unsigned char *)luaL_checklstring(L, idx, &len);
  EC_POINT *p = EC_POINT_new(g);
  if (p != NULL && EC_POINT_oct2point(g, p, s, len, NULL) != 1) {
    EC_POINT_free(p);
    p = NULL;
  }
  ERR_clear_error();
  return p;
}

/* push point p in form (2, 4 or 6 as Node's POINT_CONVERSION_*) */
static int push_point(lua_State *L, const EC_GROUP *g, const EC_POINT *p,
                      int form) {
  point_conversion_form_t f = (point_conversion_form_t)form;
  luaL_argcheck(L, form == 2 || form == 4 || form == 6, 2, "bad form");
  size_t len = EC_POINT_point2oct(g, p, f, NULL, 0, NULL);
  luaL_Buffer b;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, len ? len : 1);
  if (len == 0 || EC_POINT_point2oct(g, p, f, out, len, NULL) != len)
    return luatls_raise_openssl(L, "ERR_CRYPTO_OPERATION_FAILED",
                                "Failed to get public key");
  luaL_pushresultsize(&b, len);
  return 1;
}

static int l_ecdh_new(lua_State *L) {
  ecdh *e = lua_newuserdatauv(L, sizeof *e, 0);
  memset(e, 0, sizeof *e);
  luaL_setmetatable(L, ECDH_T);
  e->group = curve_group(L, 1);
  return 1;
}

/* replace e's key by priv and priv*G (e owns priv from here) */
static int set_key(lua_State *L, ecdh *e, BIGNUM *priv) {
  EC_POINT *pub = EC_POINT_new(e->group);
  if (pub == NULL || EC_POINT_mul(e->group, pub, priv, NULL, NULL, NULL) != 1) {
    EC_POINT_free(pub);
    BN_clear_free(priv);
    return luatls_raise_openssl(L, "ERR_CRYPTO_OPERATION_FAILED",
                                "Failed to generate ECDH key");
  }
  BN_clear_free(e->priv);
  EC_POINT_free(e->pub);
  e->priv = priv;
  e->pub = pub;
  return 0;
}

static int l_generate(lua_State *L) {
  ecdh *e = check_ecdh(L);
  const BIGNUM *order = EC_GROUP_get0_order(e->group);
  BIGNUM *k = BN_secure_new();
  int ok = k != NULL;
  do /* 1 <= k < order */
    ok = ok && BN_priv_rand_range(k, order) == 1;
  while (ok && BN_is_zero(k));
  if (!ok) {
    BN_clear_free(k);
    return luatls_raise_openssl(L, "ERR_CRYPTO_OPERATION_FAILED",
                                "Failed to generate ECDH key");
  }
  set_key(L, e, k);
  return 0;
}

static int l_public(lua_State *L) {
  ecdh *e = check_ecdh(L);
  if (e->pub == NULL)
    return fail(L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
                "Failed to get ECDH public key");
  return push_point(L, e->group, e->pub, (int)luaL_checkinteger(L, 2));
}

static int l_private(lua_State *L) {
  ecdh *e = check_ecdh(L);
  if (e->priv == NULL)
    return fail(L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
                "Failed to get ECDH private key");
  int n = BN_num_bytes(e->priv);
  luaL_Buffer b;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, n ? n : 1);
  BN_bn2bin(e->priv, out);
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int l_set_private(lua_State *L) {
  ecdh *e = check_ecdh(L);
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 2, &len);
  if (len > 1024) /* larger than any curve's order */
    return fail(L, "RangeError", "ERR_CRYPTO_INVALID_KEYTYPE",
                "Private key is not valid for specified curve.");
  BIGNUM *k = BN_secure_new();
  if (k == NULL || BN_bin2bn(s, (int)len, k) == NULL) {
    BN_clear_free(k);
    return luatls_raise_openssl(L, NULL, "cannot read the key");
  }
  if (BN_is_zero(k) || BN_cmp(k, EC_GROUP_get0_order(e->group)) >= 0) {
    BN_clear_free(k);
    return fail(L, "RangeError", "ERR_CRYPTO_INVALID_KEYTYPE",
                "Private key is not valid for specified curve.");
  }
  set_key(L, e, k);
  return 0;
}

static int l_set_public(lua_State *L) {
  ecdh *e = check_ecdh(L);
  EC_POINT *p = to_point(L, e->group, 2);
  if (p == NULL)
    return fail(L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
                "Failed to convert Buffer to EC_POINT");
  EC_POINT_free(e->pub);
  e->pub = p;
  return 0;
}

/* whether e holds a scalar and its own point (Node checks the pair) */
static int pair_valid(ecdh *e) {
  if (e->priv == NULL || e->pub == NULL)
    return 0;
  EC_POINT *q = EC_POINT_new(e->group);
  int ok = q != NULL &&
           EC_POINT_mul(e->group, q, e->priv, NULL, NULL, NULL) == 1 &&
           EC_POINT_cmp(e->group, q, e->pub, NULL) == 0;
  EC_POINT_free(q);
  ERR_clear_error();
  return ok;
}

static int l_compute(lua_State *L) {
  ecdh *e = check_ecdh(L);
  luaL_checkstring(L, 2);
  if (!pair_valid(e))
    return fail(L, "RangeError", "ERR_CRYPTO_INVALID_KEYPAIR",
                "Invalid key pair");
  size_t len = ((size_t)EC_GROUP_get_degree(e->group) + 7) / 8;
  luaL_Buffer b; /* first: nothing is owned when it raises */
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, len);
  EC_POINT *peer = to_point(L, e->group, 2);
  if (peer == NULL)
    return fail(L, "Error", "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY",
                "Public key is not valid for specified curve");
  EC_POINT *shared = EC_POINT_new(e->group);
  BIGNUM *x = BN_new();
  int ok =
      shared != NULL && x != NULL &&
      EC_POINT_mul(e->group, shared, NULL, peer, e->priv, NULL) == 1 &&
      EC_POINT_get_affine_coordinates(e->group, shared, x, NULL, NULL) == 1 &&
      BN_bn2binpad(x, out, (int)len) == (int)len;
  EC_POINT_free(peer);
  EC_POINT_clear_free(shared);
  BN_clear_free(x);
  if (!ok)
    return fail(L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
                "Failed to compute ECDH key");
  luaL_pushresultsize(&b, len);
  return 1;
}

static int l_ecdh_gc(lua_State *L) {
  ecdh *e = check_ecdh(L);
  EC_GROUP_free(e->group);
  BN_clear_free(e->priv);
  EC_POINT_free(e->pub);
  memset(e, 0, sizeof *e);
  return 0;
}

/* ecdh_convert(point, curve, form) */
static int l_convert(lua_State *L) {
  size_t len;
  luaL_checklstring(L, 1, &len);
  int form = (int)luaL_checkinteger(L, 3);
  EC_GROUP *g = curve_group(L, 2);
  if (len == 0) { /* as Node: nothing in, nothing out */
    EC_GROUP_free(g);
    lua_pushliteral(L, "");
    return 1;
  }
  EC_POINT *p = to_point(L, g, 1);
  if (p == NULL) {
    EC_GROUP_free(g);
    return fail(L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
                "Failed to convert Buffer to EC_POINT");
  }
  /* push_point raises only when out of memory: free first, then push */
  size_t n =
      EC_POINT_point2oct(g, p, (point_conversion_form_t)form, NULL, 0, NULL);
  unsigned char *out = n ? OPENSSL_malloc(n) : NULL;
  int ok =
      out != NULL && EC_POINT_point2oct(g, p, (point_conversion_form_t)form,
                                        out, n, NULL) == n;
  EC_POINT_free(p);
  EC_GROUP_free(g);
  if (ok)
    lua_pushlstring(L, (const char *)out, n);
  OPENSSL_free(out);
  if (!ok)
    return luatls_raise_openssl(L, "ERR_CRYPTO_OPERATION_FAILED",
                                "Failed to convert the point");
  return 1;
}

static int l_curves(lua_State *L) {
  size_t n = EC_get_builtin_curves(NULL, 0);
  EC_builtin_curve *c = malloc((n ? n : 1) * sizeof *c);
  if (c == NULL)
    return luaL_error(L, "out of memory");
  n = EC_get_builtin_curves(c, n);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, OBJ_nid2sn(c[i].nid));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(c);
  return 1;
}

void luatls_open_dh(lua_State *L) {
  static const luaL_Reg methods[] = {{"generate", l_generate},
                                     {"public", l_public},
                                     {"private", l_private},
                                     {"set_private", l_set_private},
                                     {"set_public", l_set_public},
                                     {"compute", l_compute},
                                     {NULL, NULL}};
  luatls_new_metatable(L, ECDH_T, methods, l_ecdh_gc, NULL, NULL);
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {{"dh_derive", l_derive},
                                       {"ecdh_new", l_ecdh_new},
                                       {"ecdh_convert", l_convert},
                                       {"ec_curves", l_curves},
                                       {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
