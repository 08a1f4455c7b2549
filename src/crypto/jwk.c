/*
 * crypto/jwk.c - JSON Web Keys (RFC 7517/7518/8037) for KeyObject
 * (lua/luatls/internal/crypto/jwk.lua checks the fields' types and names
 * first, with Node's messages). Key material goes between the EVP_PKEY (or
 * a secret's bytes) and base64url text in C memory, wiped after use: a
 * private key is a Lua string only in the JWK itself.
 *   jwk_export(key) -> a table: kty "RSA" (n, e; d, p, q, dp, dq, qi when
 *       private), "EC" (crv "P-256"/"secp256k1"/"P-384"/"P-521", x, y; d),
 *       "OKP" (crv "Ed25519"/"Ed448"/"X25519"/"X448", x; d) or "oct" (k);
 *       base64url without padding, as Node writes them. Other key types
 *       raise ERR_CRYPTO_JWK_UNSUPPORTED_KEY_TYPE, other curves
 *       ERR_CRYPTO_JWK_UNSUPPORTED_CURVE.
 *   jwk_import(jwk, kind) -> key: kind "public" or "private", jwk a table
 *       of strings (kty RSA, EC or OKP); the values are decoded as Node's
 *       Buffer.from(s, "base64") does (either alphabet, other characters
 *       skipped, "=" ends). A key OpenSSL refuses raises
 *       ERR_CRYPTO_INVALID_JWK ("Invalid JWK RSA key", "Invalid JWK EC
 *       key", "Invalid JWK data" for an OKP value of the wrong length).
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "crypto.h"

/* ---- base64url ----------------------------------------------------------- */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* set field of the table on top to the base64url text of p[0..n) (the
 * text made in C memory and wiped: it may be a private key's) */
static void set_b64(lua_State *L, const char *field, const unsigned char *p,
                    size_t n) {
  size_t cap = (n + 2) / 3 * 4 + 1;
  char *out = OPENSSL_malloc(cap);
  if (out == NULL) {
    luaL_error(L, "out of memory");
    return;
  }
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned long v = (unsigned long)p[i] << 16;
    if (i + 1 < n)
      v |= (unsigned long)p[i + 1] << 8;
    if (i + 2 < n)
      v |= p[i + 2];
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
    if (i + 1 < n)
      out[o++] = b64url[(v >> 6) & 63];
    if (i + 2 < n)
      out[o++] = b64url[v & 63];
  }
  lua_pushlstring(L, out, o);
  OPENSSL_clear_free(out, cap);
  lua_setfield(L, -2, field);
}

/* the value of a base64 or base64url character, or -1 */
static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

/* the bytes of field (a string: jwk.lua checked it) of the table at idx,
 * decoded into C memory the caller frees with OPENSSL_clear_free(p, cap);
 * NULL only when out of memory */
static unsigned char *b64_field(lua_State *L, int idx, const char *field,
                                size_t *len, size_t *cap) {
  lua_getfield(L, idx, field);
  size_t n = 0;
  const char *s = lua_tolstring(L, -1, &n);
  if (s == NULL)
    n = 0;
  *cap = n / 4 * 3 + 3;
  unsigned char *out = OPENSSL_malloc(*cap);
  if (out != NULL) {
    unsigned long v = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
      int d = b64_value((unsigned char)s[i]);
      if (d < 0)
        continue;
      v = (v << 6 | (unsigned long)d) & 0xFFFFFF;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (unsigned char)(v >> bits);
      }
    }
    *len = o;
  }
  lua_pop(L, 1);
  return out;
}

/* ---- export -------------------------------------------------------------- */

/* set field to the BIGNUM param of pkey, big-endian in `pad` bytes (0: as
 * few as it takes); 0 when pkey has no such param */
static int set_bn(lua_State *L, const EVP_PKEY *pkey, const char *param,
                  const char *field, int pad) {
  BIGNUM *bn = NULL;
  if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
    return 0;
  int n = pad ? pad : BN_num_bytes(bn);
  unsigned char *buf = OPENSSL_malloc(n ? (size_t)n : 1);
  int ok = buf != NULL && BN_bn2binpad(bn, buf, n) == n;
  BN_clear_free(bn);
  if (ok)
    set_b64(L, field, buf, (size_t)n);
  OPENSSL_clear_free(buf, n ? (size_t)n : 1);
  return ok;
}

/* set field to the octet-string param of pkey (a raw OKP key) */
static int set_octets(lua_State *L, const EVP_PKEY *pkey, const char *param,
                      const char *field) {
  unsigned char buf[64];
  size_t n = 0;
  int ok = EVP_PKEY_get_octet_string_param(pkey, param, buf, sizeof buf, &n);
  if (ok)
    set_b64(L, field, buf, n);
  OPENSSL_cleanse(buf, sizeof buf);
  return ok;
}

static const struct {
  int nid;
  const char *jwk;
} jwk_curves[] = {{NID_X9_62_prime256v1, "P-256"},
                  {NID_secp256k1, "secp256k1"},
                  {NID_secp384r1, "P-384"},
                  {NID_secp521r1, "P-521"}};

/* the nid of an EC key's named curve (NID_undef when it has none) */
static int ec_nid(const EVP_PKEY *pkey) {
  char group[80];
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                      sizeof group, &len))
    return NID_undef;
  int nid = OBJ_txt2nid(group);
  return nid != NID_undef ? nid : EC_curve_nist2nid(group);
}

static int export_ec(lua_State *L, const luatls_key *k) {
  int nid = ec_nid(k->pkey);
  const char *crv = NULL;
  for (size_t i = 0; i < sizeof jwk_curves / sizeof *jwk_curves; i++)
    if (jwk_curves[i].nid == nid)
      crv = jwk_curves[i].jwk;
  if (crv == NULL) {
    const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : "unknown";
    lua_pushfstring(L, "Unsupported JWK EC curve: %s.", sn);
    return luatls_raise_error(L, "Error", "ERR_CRYPTO_JWK_UNSUPPORTED_CURVE",
                              lua_tostring(L, -1));
  }
  int size = (EVP_PKEY_get_bits(k->pkey) + 7) / 8;
  lua_pushstring(L, "EC");
  lua_setfield(L, -2, "kty");
  lua_pushstring(L, crv);
  lua_setfield(L, -2, "crv");
  int ok = set_bn(L, k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, "x", size) &&
           set_bn(L, k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, "y", size);
  if (ok && k->kind == LUATLS_KEY_PRIVATE)
    ok = set_bn(L, k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, "d", size);
  return ok;
}

/* an RSA private key's params and their JWK names, in Node's order */
static const char *const rsa_private[][2] = {
    {OSSL_PKEY_PARAM_RSA_D, "d"},
    {OSSL_PKEY_PARAM_RSA_FACTOR1, "p"},
    {OSSL_PKEY_PARAM_RSA_FACTOR2, "q"},
    {OSSL_PKEY_PARAM_RSA_EXPONENT1, "dp"},
    {OSSL_PKEY_PARAM_RSA_EXPONENT2, "dq"},
    {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, "qi"}};

static int export_rsa(lua_State *L, const luatls_key *k) {
  lua_pushstring(L, "RSA");
  lua_setfield(L, -2, "kty");
  int ok = set_bn(L, k->pkey, OSSL_PKEY_PARAM_RSA_N, "n", 0) &&
           set_bn(L, k->pkey, OSSL_PKEY_PARAM_RSA_E, "e", 0);
  if (ok && k->kind == LUATLS_KEY_PRIVATE)
    for (size_t i = 0; i < sizeof rsa_private / sizeof *rsa_private; i++)
      set_bn(L, k->pkey, rsa_private[i][0], rsa_private[i][1],
             0); /* absent: left out */
  return ok;
}

static const struct {
  const char *ossl, *crv;
  size_t len;
} okp_types[] = {{"ED25519", "Ed25519", 32},
                 {"ED448", "Ed448", 57},
                 {"X25519", "X25519", 32},
                 {"X448", "X448", 56}};

static int l_export(lua_State *L) {
  luatls_key *k = luatls_crypto_key(L, 1);
  lua_newtable(L);
  ERR_clear_error();
  if (k->kind == LUATLS_KEY_SECRET) {
    lua_pushstring(L, "oct");
    lua_setfield(L, -2, "kty");
    set_b64(L, "k", k->secret, k->len);
    return 1;
  }
  int ok = 1;
  if (EVP_PKEY_is_a(k->pkey, "RSA")) {
    ok = export_rsa(L, k);
  } else if (EVP_PKEY_is_a(k->pkey, "EC")) {
    ok = export_ec(L, k);
  } else {
    size_t i = 0, n = sizeof okp_types / sizeof *okp_types;
    while (i < n && !EVP_PKEY_is_a(k->pkey, okp_types[i].ossl))
      i++;
    if (i == n)
      return luatls_raise_error(L, "Error",
                                "ERR_CRYPTO_JWK_UNSUPPORTED_KEY_TYPE",
                                "Unsupported JWK Key Type.");
    lua_pushstring(L, okp_types[i].crv);
    lua_setfield(L, -2, "crv");
    ok = set_octets(L, k->pkey, OSSL_PKEY_PARAM_PUB_KEY, "x");
    if (ok && k->kind == LUATLS_KEY_PRIVATE)
      ok = set_octets(L, k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, "d");
    lua_pushstring(L, "OKP");
    lua_setfield(L, -2, "kty");
  }
  if (!ok)
    return luatls_raise_openssl(L, "ERR_CRYPTO_OPERATION_FAILED",
                                "cannot export the key as a JWK");
  ERR_clear_error();
  return 1;
}

/* ---- import -------------------------------------------------------------- */

/* A parameter builder and the BIGNUMs pushed onto it (it keeps pointers
 * to them until OSSL_PARAM_BLD_to_param) */
typedef struct {
  OSSL_PARAM_BLD *bld;
  BIGNUM *bn[8];
  int nbn;
} builder;

/* push the BIGNUM of base64 field of the table at idx onto b (a private
 * value in secure memory: OSSL_PARAM_BLD then wipes its copy too) */
static int push_bn(lua_State *L, builder *b, const char *param, int idx,
                   const char *field, int secret) {
  if (b->nbn == (int)(sizeof b->bn / sizeof *b->bn))
    return 0;
  size_t len = 0, cap = 0;
  unsigned char *buf = b64_field(L, idx, field, &len, &cap);
  BIGNUM *bn = secret ? BN_secure_new() : BN_new();
  if (bn != NULL)
    b->bn[b->nbn++] = bn;
  int ok = buf != NULL && bn != NULL && BN_bin2bn(buf, (int)len, bn) != NULL &&
           OSSL_PARAM_BLD_push_BN(b->bld, param, bn) == 1;
  OPENSSL_clear_free(buf, cap);
  return ok;
}

/* the key of type `name` made of params (NULL when OpenSSL refuses it) */
static EVP_PKEY *from_params(const char *name, int selection, builder *b) {
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b->bld);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
  EVP_PKEY *pkey = NULL;
  if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1) {
    EVP_PKEY_free(pkey);
    pkey = NULL;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey;
}

static EVP_PKEY *import_rsa(lua_State *L, builder *b, int private) {
  int ok = push_bn(L, b, OSSL_PKEY_PARAM_RSA_N, 1, "n", 0) &&
           push_bn(L, b, OSSL_PKEY_PARAM_RSA_E, 1, "e", 0);
  for (size_t i = 0;
       ok && private && i < sizeof rsa_private / sizeof *rsa_private; i++)
    ok = push_bn(L, b, rsa_private[i][0], 1, rsa_private[i][1], 1);
  return ok ? from_params("RSA",
                          private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, b)
            : NULL;
}

/* the coordinate `field` into out[0..size): 0 when it does not fit */
static int coordinate(lua_State *L, const char *field, unsigned char *out,
                      int size) {
  size_t len = 0, cap = 0;
  unsigned char *buf = b64_field(L, 1, field, &len, &cap);
  BIGNUM *bn = buf ? BN_bin2bn(buf, (int)len, NULL) : NULL;
  int ok = bn != NULL && BN_bn2binpad(bn, out, size) == size;
  BN_free(bn);
  OPENSSL_clear_free(buf, cap);
  return ok;
}

static EVP_PKEY *import_ec(lua_State *L, builder *b, int private) {
  lua_getfield(L, 1, "crv");
  const char *crv = lua_tostring(L, -1);
  int nid = NID_undef;
  for (size_t i = 0; crv && i < sizeof jwk_curves / sizeof *jwk_curves; i++)
    if (!strcmp(crv, jwk_curves[i].jwk))
      nid = jwk_curves[i].nid;
  lua_pop(L, 1);
  EC_GROUP *group = nid != NID_undef ? EC_GROUP_new_by_curve_name(nid) : NULL;
  int size = group ? (EC_GROUP_get_degree(group) + 7) / 8 : 0;
  EC_GROUP_free(group);
  unsigned char point[1 + 2 * 66];
  if (size == 0 || size > 66)
    return NULL;
  point[0] = POINT_CONVERSION_UNCOMPRESSED;
  int ok = coordinate(L, "x", point + 1, size) &&
           coordinate(L, "y", point + 1 + size, size) &&
           OSSL_PARAM_BLD_push_utf8_string(b->bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           OBJ_nid2sn(nid), 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(b->bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, 1 + 2 * (size_t)size) == 1;
  if (ok && private)
    ok = push_bn(L, b, OSSL_PKEY_PARAM_PRIV_KEY, 1, "d", 1);
  return ok ? from_params("EC",
                          private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, b)
            : NULL;
}

/* an OKP key (NULL also when the value has the wrong length) */
static EVP_PKEY *import_okp(lua_State *L, builder *b, int private) {
  lua_getfield(L, 1, "crv");
  const char *crv = lua_tostring(L, -1);
  size_t i = 0, n = sizeof okp_types / sizeof *okp_types;
  while (crv && i < n && strcmp(crv, okp_types[i].crv))
    i++;
  lua_pop(L, 1);
  if (crv == NULL || i == n)
    return NULL;
  /* Node makes a private key of d alone (x is not read) */
  size_t len = 0, cap = 0;
  unsigned char *buf = b64_field(L, 1, private ? "d" : "x", &len, &cap);
  EVP_PKEY *pkey = NULL;
  if (buf != NULL && len == okp_types[i].len &&
      OSSL_PARAM_BLD_push_octet_string(
          b->bld, private ? OSSL_PKEY_PARAM_PRIV_KEY : OSSL_PKEY_PARAM_PUB_KEY,
          buf, len) == 1)
    pkey = from_params(okp_types[i].ossl,
                       private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, b);
  OPENSSL_clear_free(buf, cap);
  return pkey;
}

/* jwk_import(jwk, kind) -> key */
static int l_import(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const kinds[] = {"public", "private", NULL};
  int private = luaL_checkoption(L, 2, NULL, kinds) == 1;
  lua_getfield(L, 1, "kty");
  static const char *const ktys[] = {"RSA", "EC", "OKP", NULL};
  int kty = luaL_checkoption(L, -1, NULL, ktys);
  lua_pop(L, 1);
  builder b = {OSSL_PARAM_BLD_new(), {NULL}, 0};
  if (b.bld == NULL)
    return luaL_error(L, "out of memory");
  ERR_clear_error();
  EVP_PKEY *pkey = NULL;
  if (kty == 0)
    pkey = import_rsa(L, &b, private);
  else if (kty == 1)
    pkey = import_ec(L, &b, private);
  else
    pkey = import_okp(L, &b, private);
  OSSL_PARAM_BLD_free(b.bld);
  for (int i = 0; i < b.nbn; i++)
    BN_clear_free(b.bn[i]);
  ERR_clear_error();
  if (pkey == NULL) {
    static const char *const messages[] = {
        "Invalid JWK RSA key", "Invalid JWK EC key", "Invalid JWK data"};
    return luatls_raise_error(L, "TypeError", "ERR_CRYPTO_INVALID_JWK",
                              messages[kty]);
  }
  luatls_crypto_push_pkey(L, pkey,
                          private ? LUATLS_KEY_PRIVATE : LUATLS_KEY_PUBLIC);
  return 1;
}

void luatls_open_jwk(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"jwk_export", l_export}, {"jwk_import", l_import}, {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
