/*
 * crypto/pkey.c - keys for Node's KeyObject (lua/luatls/internal/crypto/
 * keys.lua): an asymmetric key is an EVP_PKEY, a secret key its bytes in C
 * memory (wiped when collected); neither is a Lua string unless exported.
 * The other crypto files take keys through luatls_crypto_key (crypto.h).
 *   key_parse(data, kind, format[, passphrase[, structure]]) -> key
 *       kind "private" or "public" (a public key also from a private key
 *       or a certificate); format "pem" or "der" (any structure: PKCS#1,
 *       SPKI, PKCS#8, SEC1); an encrypted key needs the passphrase
 *       (ERR_MISSING_PASSPHRASE), a wrong one raises OpenSSL's error. DER
 *       with its structure named ("pkcs1", "spki", "pkcs8", "sec1") is
 *       held to it as Node holds it: PKCS#8, SPKI and a PKCS#1 public key
 *       must parse as that ASN.1 (else OpenSSL's ASN.1 error, e.g.
 *       ERR_OSSL_ASN1_NOT_ENOUGH_DATA), PKCS#1 and SEC1 give RSA and EC
 *       keys only
 *   key_secret(bytes) -> key
 *   key_generate(type, bits, exponent, curve, hash, mgf1hash, saltlen[, cb])
 *       -> public, private (or cb(err, public, private) from the thread pool)
 *   key:kind() -> "secret" | "public" | "private"
 *   key:info() -> asymmetricKeyType, details (Node's asymmetricKeyDetails);
 *       for a secret key: nil, its size
 *   key:public() -> the public key of a private key
 *   key:export(format, structure[, cipher, passphrase]) -> PEM or DER:
 *       format "pem"/"der", structure "pkcs1"/"spki"/"pkcs8"/"sec1"; a
 *       secret key's bytes with no arguments
 *   key:equals(other) -> boolean
 * The Lua side checks the option combinations with Node's messages.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto.h"

#define KEY_T "luatls.key"

static const char *const kind_names[] = {"secret", "public", "private"};

luatls_key *luatls_crypto_key(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, KEY_T);
}

const char *luatls_crypto_key_bytes(lua_State *L, int idx, size_t *len) {
  if (lua_type(L, idx) == LUA_TSTRING)
    return lua_tolstring(L, idx, len);
  luatls_key *k = luaL_testudata(L, idx, KEY_T);
  luaL_argexpected(L, k != NULL && k->kind == LUATLS_KEY_SECRET, idx,
                   "string or secret key");
  *len = k->len;
  return (const char *)k->secret;
}

static luatls_key *new_key(lua_State *L, int kind) {
  luatls_key *k = lua_newuserdatauv(L, sizeof *k, 0);
  memset(k, 0, sizeof *k);
  k->kind = kind;
  luaL_setmetatable(L, KEY_T);
  return k;
}

luatls_key *luatls_crypto_push_pkey(lua_State *L, EVP_PKEY *pkey, int kind) {
  luatls_key *k = new_key(L, kind);
  k->pkey = pkey;
  return k;
}

static int l_gc(lua_State *L) {
  luatls_key *k = luatls_crypto_key(L, 1);
  EVP_PKEY_free(k->pkey);
  k->pkey = NULL;
  if (k->secret)
    OPENSSL_clear_free(k->secret, k->len);
  k->secret = NULL;
  return 0;
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct {
  const char *pass; /* NULL: none given */
  size_t len;
  int asked; /* the key is encrypted */
} passphrase;

/* Give the passphrase, or note that one was needed (never a prompt) */
static int pass_cb(char *buf, size_t size, size_t *len,
                   const OSSL_PARAM params[], void *arg) {
  (void)params;
  passphrase *p = arg;
  p->asked = 1;
  if (p->pass == NULL || p->len > size)
    return 0;
  memcpy(buf, p->pass, p->len);
  *len = p->len;
  return 1;
}

static EVP_PKEY *decode(const char *data, size_t len, const char *format,
                        int selection, passphrase *pw) {
  EVP_PKEY *pkey = NULL;
  OSSL_DECODER_CTX *ctx = OSSL_DECODER_CTX_new_for_pkey(
      &pkey, format, NULL, NULL, selection, NULL, NULL);
  if (ctx == NULL)
    return NULL;
  OSSL_DECODER_CTX_set_passphrase_cb(ctx, pass_cb, pw);
  const unsigned char *p = (const unsigned char *)data;
  size_t left = len;
  if (OSSL_DECODER_from_data(ctx, &p, &left) != 1) {
    EVP_PKEY_free(pkey);
    pkey = NULL;
  }
  OSSL_DECODER_CTX_free(ctx);
  return pkey;
}

/* the public key of a certificate, or NULL */
static EVP_PKEY *cert_key(const char *data, size_t len, int pem) {
  X509 *x = NULL;
  if (pem) {
    if (strstr(data, "-----BEGIN CERTIFICATE-----") == NULL &&
        strstr(data, "-----BEGIN TRUSTED CERTIFICATE-----") == NULL)
      return NULL;
    BIO *b = BIO_new_mem_buf(data, (int)len);
    if (b)
      x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
    BIO_free(b);
  } else {
    const unsigned char *p = (const unsigned char *)data;
    x = d2i_X509(NULL, &p, (long)len);
  }
  EVP_PKEY *pkey = x ? X509_get_pubkey(x) : NULL;
  X509_free(x);
  return pkey;
}

/* Whether DER data parses as the structure Node reads it with (see the
 * header): on 0 the queue holds OpenSSL's error */
static int der_is(const char *data, size_t len, const char *structure,
                  int private) {
  const unsigned char *p = (const unsigned char *)data;
  long n = (long)len;
  int ok = 1;
  if (!strcmp(structure, "pkcs8")) { /* read from a BIO, as Node reads it */
    ERR_set_mark();
    X509_SIG *sig = d2i_X509_SIG(NULL, &p, n); /* encrypted */
    ERR_pop_to_mark();
    BIO *b = sig ? NULL : BIO_new_mem_buf(data, (int)len);
    PKCS8_PRIV_KEY_INFO *p8 = b ? d2i_PKCS8_PRIV_KEY_INFO_bio(b, NULL) : NULL;
    ok = sig != NULL || p8 != NULL;
    BIO_free(b);
    X509_SIG_free(sig);
    PKCS8_PRIV_KEY_INFO_free(p8);
  } else if (!strcmp(structure, "spki")) {
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, n);
    ok = pkey != NULL;
    EVP_PKEY_free(pkey);
  } else if (!strcmp(structure, "pkcs1") && !private) {
    /* a public key, or else a private key's public half */
    ERR_set_mark();
    EVP_PKEY *pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, n);
    if (pkey == NULL) {
      ERR_set_mark();
      p = (const unsigned char *)data;
      pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, n);
      ERR_pop_to_mark();
    }
    if (pkey != NULL)
      ERR_pop_to_mark();
    else
      ERR_clear_last_mark();
    ok = pkey != NULL;
    EVP_PKEY_free(pkey);
  }
  return ok;
}

static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  static const char *const kinds[] = {"public", "private", NULL};
  int private = luaL_checkoption(L, 2, NULL, kinds) == 1;
  static const char *const formats[] = {"pem", "der", NULL};
  int pem = luaL_checkoption(L, 3, NULL, formats) == 0;
  passphrase pw = {NULL, 0, 0};
  if (!lua_isnoneornil(L, 4))
    pw.pass = luaL_checklstring(L, 4, &pw.len);
  const char *structure = pem ? NULL : luaL_optstring(L, 5, NULL);
  if (len > INT32_MAX)
    return luatls_raise_error(L, "RangeError", "ERR_OUT_OF_RANGE",
                              "The key is too large");
  ERR_clear_error();
  if (structure != NULL && !der_is(data, len, structure, private))
    return luatls_raise_openssl(L, NULL, "cannot read the key");
  EVP_PKEY *pkey = NULL;
  const char *format = pem ? "PEM" : "DER";
  if (private) {
    pkey = decode(data, len, format, EVP_PKEY_KEYPAIR, &pw);
  } else {
    pkey = decode(data, len, format, EVP_PKEY_PUBLIC_KEY, &pw);
    if (pkey == NULL)
      pkey = cert_key(data, len, pem);
    if (pkey == NULL) /* a private key gives its public half */
      pkey = decode(data, len, format, EVP_PKEY_KEYPAIR, &pw);
  }
  /* PKCS#1 and SEC1 name the key's type */
  const char *only = structure == NULL             ? NULL
                     : !strcmp(structure, "pkcs1") ? "RSA"
                     : !strcmp(structure, "sec1")  ? "EC"
                                                   : NULL;
  if (pkey != NULL && only != NULL && !EVP_PKEY_is_a(pkey, only)) {
    EVP_PKEY_free(pkey);
    pkey = NULL;
  }
  if (pkey == NULL) {
    if (pw.asked && pw.pass == NULL) {
      ERR_clear_error();
      return luatls_raise_error(L, "TypeError", "ERR_MISSING_PASSPHRASE",
                                "Passphrase required for encrypted key");
    }
    if (ERR_peek_error() == 0)
      ERR_raise(ERR_LIB_OSSL_DECODER, ERR_R_UNSUPPORTED);
    return luatls_raise_openssl(L, NULL, "cannot read the key");
  }
  ERR_clear_error();
  luatls_crypto_push_pkey(L, pkey,
                          private ? LUATLS_KEY_PRIVATE : LUATLS_KEY_PUBLIC);
  return 1;
}

static int l_secret(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  luatls_key *k = new_key(L, LUATLS_KEY_SECRET);
  k->secret = OPENSSL_malloc(len ? len : 1);
  if (k->secret == NULL)
    return luaL_error(L, "out of memory");
  memcpy(k->secret, s, len);
  k->len = len;
  return 1;
}

/* ---- what a key is ------------------------------------------------------- */

/* Node's asymmetricKeyType of pkey, or NULL */
const char *luatls_crypto_key_type(const EVP_PKEY *pkey) {
  static const struct {
    const char *ossl, *node;
  } types[] = {{"RSA", "rsa"},         {"RSA-PSS", "rsa-pss"},
               {"DSA", "dsa"},         {"DH", "dh"},
               {"DHX", "dh"},          {"EC", "ec"},
               {"X25519", "x25519"},   {"X448", "x448"},
               {"ED25519", "ed25519"}, {"ED448", "ed448"}};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (EVP_PKEY_is_a(pkey, types[i].ossl))
      return types[i].node;
  return NULL;
}

static int l_kind(lua_State *L) {
  lua_pushstring(L, kind_names[luatls_crypto_key(L, 1)->kind]);
  return 1;
}

/* Node's digest names: "sha256" for OpenSSL's "SHA2-256" */
static void set_digest_param(lua_State *L, const EVP_PKEY *pkey,
                             const char *param, const char *field) {
  char buf[80];
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(pkey, param, buf, sizeof buf, &len))
    return;
  const EVP_MD *md = EVP_get_digestbyname(buf);
  int nid = md ? EVP_MD_get_type(md) : NID_undef;
  const char *sn = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
  lua_pushstring(L, sn ? sn : buf);
  lua_setfield(L, -2, field);
}

static void set_int_param(lua_State *L, const EVP_PKEY *pkey, const char *param,
                          const char *field) {
  BIGNUM *bn = NULL;
  /* Node gives a bigint; an exponent over 63 bits is left out */
  if (EVP_PKEY_get_bn_param(pkey, param, &bn) && BN_num_bits(bn) <= 63) {
    lua_pushinteger(L, (lua_Integer)BN_get_word(bn));
    lua_setfield(L, -2, field);
  }
  BN_free(bn);
}

static int l_info(lua_State *L) {
  luatls_key *k = luatls_crypto_key(L, 1);
  if (k->kind == LUATLS_KEY_SECRET) {
    lua_pushnil(L);
    lua_pushinteger(L, (lua_Integer)k->len);
    return 2;
  }
  const char *type = luatls_crypto_key_type(k->pkey);
  lua_pushstring(L, type);
  lua_newtable(L);
  if (type == NULL)
    return 2;
  if (!strcmp(type, "rsa") || !strcmp(type, "rsa-pss")) {
    lua_pushinteger(L, EVP_PKEY_get_bits(k->pkey));
    lua_setfield(L, -2, "modulusLength");
    set_int_param(L, k->pkey, OSSL_PKEY_PARAM_RSA_E, "publicExponent");
    if (!strcmp(type, "rsa-pss")) {
      set_digest_param(L, k->pkey, OSSL_PKEY_PARAM_RSA_DIGEST, "hashAlgorithm");
      set_digest_param(L, k->pkey, OSSL_PKEY_PARAM_RSA_MGF1_DIGEST,
                       "mgf1HashAlgorithm");
      int salt = 0;
      if (EVP_PKEY_get_int_param(k->pkey, OSSL_PKEY_PARAM_RSA_PSS_SALTLEN,
                                 &salt)) {
        lua_pushinteger(L, salt);
        lua_setfield(L, -2, "saltLength");
      }
    }
  } else if (!strcmp(type, "dsa")) {
    lua_pushinteger(L, EVP_PKEY_get_bits(k->pkey));
    lua_setfield(L, -2, "modulusLength");
    BIGNUM *q = NULL;
    if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_FFC_Q, &q)) {
      lua_pushinteger(L, BN_num_bits(q));
      lua_setfield(L, -2, "divisorLength");
    }
    BN_free(q);
  } else if (!strcmp(type, "ec")) {
    char group[80];
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, sizeof group, &len)) {
      int nid = OBJ_txt2nid(group);
      if (nid == NID_undef)
        nid = EC_curve_nist2nid(group);
      lua_pushstring(L, nid != NID_undef ? OBJ_nid2sn(nid) : group);
      lua_setfield(L, -2, "namedCurve");
    }
  }
  ERR_clear_error();
  return 2;
}

static int l_public(lua_State *L) {
  luatls_key *k = luatls_crypto_key(L, 1);
  luaL_argcheck(L, k->pkey != NULL, 1, "not an asymmetric key");
  if (!EVP_PKEY_up_ref(k->pkey))
    return luatls_raise_openssl(L, NULL, "cannot share the key");
  luatls_crypto_push_pkey(L, k->pkey, LUATLS_KEY_PUBLIC);
  return 1;
}

static int l_equals(lua_State *L) {
  luatls_key *a = luatls_crypto_key(L, 1), *b = luatls_crypto_key(L, 2);
  int eq = a->kind == b->kind;
  if (eq && a->kind == LUATLS_KEY_SECRET)
    eq = a->len == b->len && CRYPTO_memcmp(a->secret, b->secret, a->len) == 0;
  else if (eq)
    eq = EVP_PKEY_eq(a->pkey, b->pkey) == 1;
  ERR_clear_error();
  lua_pushboolean(L, eq);
  return 1;
}

/* ---- export -------------------------------------------------------------- */

static int l_export(lua_State *L) {
  luatls_key *k = luatls_crypto_key(L, 1);
  if (k->kind == LUATLS_KEY_SECRET) {
    lua_pushlstring(L, (const char *)k->secret, k->len);
    return 1;
  }
  static const char *const formats[] = {"pem", "der", NULL};
  int pem = luaL_checkoption(L, 2, NULL, formats) == 0;
  static const char *const types[] = {"pkcs1", "spki", "pkcs8", "sec1", NULL};
  int type = luaL_checkoption(L, 3, NULL, types);
  const char *cipher = luaL_optstring(L, 4, NULL);
  size_t passlen = 0;
  const char *pass = luaL_optlstring(L, 5, NULL, &passlen);
  int private = k->kind == LUATLS_KEY_PRIVATE && type != 1;
  const char *structure =
      type == 1   ? "SubjectPublicKeyInfo"
      : type == 2 ? (cipher ? "EncryptedPrivateKeyInfo" : "PrivateKeyInfo")
                  : "type-specific";
  ERR_clear_error();
  OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(
      k->pkey, private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
      pem ? "PEM" : "DER", structure, NULL);
  if (ctx == NULL || OSSL_ENCODER_CTX_get_num_encoders(ctx) == 0) {
    OSSL_ENCODER_CTX_free(ctx);
    return luatls_raise_openssl(L, "ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS",
                                "cannot encode the key in this form");
  }
  if (cipher != NULL && (OSSL_ENCODER_CTX_set_cipher(ctx, cipher, NULL) != 1 ||
                         OSSL_ENCODER_CTX_set_passphrase(
                             ctx, (const unsigned char *)pass, passlen) != 1)) {
    OSSL_ENCODER_CTX_free(ctx);
    return luatls_raise_error(L, "Error", "ERR_CRYPTO_UNKNOWN_CIPHER",
                              "Unknown cipher");
  }
  unsigned char *out = NULL;
  size_t len = 0;
  int ok = OSSL_ENCODER_to_data(ctx, &out, &len);
  OSSL_ENCODER_CTX_free(ctx);
  if (ok != 1)
    return luatls_raise_openssl(L, NULL, "cannot encode the key");
  lua_pushlstring(L, (const char *)out, len);
  OPENSSL_clear_free(out, len);
  return 1;
}

/* ---- generation ---------------------------------------------------------- */

typedef struct {
  luatls_job job; /* first */
  char type[16];  /* OpenSSL's name: RSA, RSA-PSS, EC, ED25519, ... */
  char curve[64];
  char hash[64], mgf1[64]; /* RSA-PSS restrictions, "" when none */
  unsigned int bits;
  uint64_t exponent;
  int saltlen; /* -1: none */
  EVP_PKEY *pkey;
  unsigned long err;
} keygen;

static void keygen_run(luatls_job *job) {
  keygen *g = (keygen *)job;
  ERR_clear_error();
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL);
  int ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1;
  if (ok && g->bits) {
    OSSL_PARAM params[3], *p = params;
    size_t bits = g->bits;
    *p++ = OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits);
    if (g->exponent)
      *p++ = OSSL_PARAM_construct_uint64(OSSL_PKEY_PARAM_RSA_E, &g->exponent);
    *p = OSSL_PARAM_construct_end();
    ok = EVP_PKEY_CTX_set_params(ctx, params) == 1;
  }
  if (ok && g->curve[0]) {
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 g->curve, 0);
    params[1] = OSSL_PARAM_construct_utf8_string(
        OSSL_PKEY_PARAM_EC_ENCODING, (char *)OSSL_PKEY_EC_ENCODING_GROUP, 0);
    params[2] = OSSL_PARAM_construct_end();
    ok = EVP_PKEY_CTX_set_params(ctx, params) == 1;
  }
  if (ok && g->hash[0])
    ok = EVP_PKEY_CTX_set_rsa_pss_keygen_md_name(ctx, g->hash, NULL) == 1;
  if (ok && g->mgf1[0])
    ok = EVP_PKEY_CTX_set_rsa_pss_keygen_mgf1_md_name(ctx, g->mgf1) == 1;
  if (ok && g->saltlen >= 0)
    ok = EVP_PKEY_CTX_set_rsa_pss_keygen_saltlen(ctx, g->saltlen) == 1;
  if (ok)
    ok = EVP_PKEY_generate(ctx, &g->pkey) == 1;
  if (!ok)
    g->err = ERR_peek_last_error();
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
}

static int keygen_push(lua_State *L, luatls_job *job) {
  keygen *g = (keygen *)job;
  if (g->pkey == NULL) {
    if (g->err)
      ERR_raise(ERR_GET_LIB(g->err), ERR_GET_REASON(g->err));
    luatls_push_openssl_error_or(L, "ERR_CRYPTO_OPERATION_FAILED",
                                 "Key generation failed");
    return 1;
  }
  lua_pushnil(L);
  if (!EVP_PKEY_up_ref(g->pkey))
    return luaL_error(L, "cannot share the key");
  luatls_crypto_push_pkey(L, g->pkey, LUATLS_KEY_PUBLIC);
  luatls_crypto_push_pkey(L, g->pkey, LUATLS_KEY_PRIVATE);
  g->pkey = NULL; /* the two keys own it now */
  return 3;
}

static void keygen_free(luatls_job *job) {
  keygen *g = (keygen *)job;
  EVP_PKEY_free(g->pkey);
  free(g);
}

/* the digest named at idx as OpenSSL names it, into out ("" for nil) */
static void digest_name(lua_State *L, int idx, char out[64]) {
  out[0] = '\0';
  if (lua_isnoneornil(L, idx))
    return;
  EVP_MD *md = luatls_crypto_md(L, idx);
  snprintf(out, 64, "%s", EVP_MD_get0_name(md));
  EVP_MD_free(md);
}

/* the OpenSSL group name of Node's namedCurve at idx ("P-256",
 * "prime256v1", "secp384r1", ...) into out; ERR_CRYPTO_INVALID_CURVE */
void luatls_crypto_curve(lua_State *L, int idx, char out[64]) {
  const char *name = luaL_checkstring(L, idx);
  int nid = EC_curve_nist2nid(name);
  if (nid == NID_undef)
    nid = OBJ_sn2nid(name);
  if (nid == NID_undef)
    nid = OBJ_ln2nid(name);
  EC_GROUP *group = nid != NID_undef ? EC_GROUP_new_by_curve_name(nid) : NULL;
  EC_GROUP_free(group);
  ERR_clear_error();
  if (group == NULL)
    luatls_raise_error(L, "TypeError", "ERR_CRYPTO_INVALID_CURVE",
                       "Invalid EC curve name");
  snprintf(out, 64, "%s", OBJ_nid2sn(nid));
}

/* key_generate(type, bits, exponent, curve, hash, mgf1hash, saltlen[, cb]) */
static int l_generate(lua_State *L) {
  static const char *const types[] = {"rsa",   "rsa-pss", "ec",   "ed25519",
                                      "ed448", "x25519",  "x448", NULL};
  static const char *const ossl[] = {"RSA",   "RSA-PSS", "EC",  "ED25519",
                                     "ED448", "X25519",  "X448"};
  int t = luaL_checkoption(L, 1, NULL, types);
  keygen g;
  memset(&g, 0, sizeof g);
  snprintf(g.type, sizeof g.type, "%s", ossl[t]);
  g.saltlen = -1;
  if (t <= 1) {
    lua_Integer bits = luaL_checkinteger(L, 2);
    luaL_argcheck(L, bits > 0 && bits <= 16384 * 4, 2, "out of range");
    g.bits = (unsigned int)bits;
    lua_Integer e = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, e >= 0, 3, "out of range");
    g.exponent = (uint64_t)e;
  }
  if (t == 2)
    luatls_crypto_curve(L, 4, g.curve);
  if (t == 1) {
    digest_name(L, 5, g.hash);
    digest_name(L, 6, g.mgf1);
    if (!lua_isnoneornil(L, 7)) {
      lua_Integer s = luaL_checkinteger(L, 7);
      luaL_argcheck(L, s >= 0 && s <= INT32_MAX, 7, "out of range");
      g.saltlen = (int)s;
    }
  }
  keygen *job = malloc(sizeof *job);
  if (job == NULL)
    return luaL_error(L, "out of memory");
  *job = g;
  job->job.run = keygen_run;
  job->job.push = keygen_push;
  job->job.free = keygen_free;
  return luatls_crypto_submit(L, &job->job, sizeof *job, 8);
}

void luatls_open_pkey(lua_State *L) {
  static const luaL_Reg methods[] = {{"kind", l_kind},     {"info", l_info},
                                     {"public", l_public}, {"export", l_export},
                                     {"equals", l_equals}, {NULL, NULL}};
  luatls_new_metatable(L, KEY_T, methods, l_gc, NULL, NULL);
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {{"key_parse", l_parse},
                                       {"key_secret", l_secret},
                                       {"key_generate", l_generate},
                                       {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
