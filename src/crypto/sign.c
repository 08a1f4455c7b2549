/*
 * crypto/sign.c - signatures over EVP_PKEY for lua/luatls/internal/crypto/
 * sign.lua (Node's sign, verify, createSign, createVerify):
 *   sign_oneshot(key, alg, data, padding, saltlen, p1363[, cb])
 *       -> signature (or cb(err, signature) from the thread pool)
 *   verify_oneshot(key, alg, data, sig, padding, saltlen, p1363[, cb])
 *       -> boolean (or cb(err, boolean))
 *       one EVP_DigestSign/EVP_DigestVerify; alg nil: the key's default
 *       (none for Ed25519/Ed448, which sign the message itself)
 *   signer_new(alg) -> signer: :update(s) (returns it), :sign(key, padding,
 *       saltlen, p1363) -> signature, :verify(key, sig, padding, saltlen,
 *       p1363) -> boolean; the digest of the updates signed with
 *       EVP_PKEY_sign/verify (the key comes only at the end); once, then
 *       ERR_CRYPTO_INVALID_STATE; Ed25519/Ed448 keys refused as Node does
 * padding nil: the key's default (PSS for an rsa-pss key, else PKCS#1
 * v1.5), applied to RSA keys only; saltlen nil: OpenSSL's default. p1363:
 * an (EC)DSA signature as r||s of fixed width instead of DER. A wrong or
 * malformed signature verifies as false; a key or option OpenSSL refuses
 * raises its error.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "crypto.h"

#define SIGNER_T "luatls.signer"

typedef struct {
  int has_padding, padding;
  int has_salt, saltlen;
  int p1363;
} sig_opts;

/* padding, salt length and p1363 at idx, idx+1, idx+2 */
static void read_opts(lua_State *L, int idx, sig_opts *o) {
  memset(o, 0, sizeof *o);
  if (!lua_isnoneornil(L, idx)) {
    o->has_padding = 1;
    o->padding = (int)luaL_checkinteger(L, idx);
  }
  if (!lua_isnoneornil(L, idx + 1)) {
    o->has_salt = 1;
    o->saltlen = (int)luaL_checkinteger(L, idx + 1);
  }
  o->p1363 = lua_toboolean(L, idx + 2);
}

static int is_rsa(const EVP_PKEY *pkey) {
  return EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS");
}

static int is_eddsa(const EVP_PKEY *pkey) {
  return EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448");
}

/* the padding and salt length on an RSA key's context (others: nothing) */
static int apply_rsa(EVP_PKEY_CTX *pctx, const EVP_PKEY *pkey,
                     const sig_opts *o) {
  if (!is_rsa(pkey))
    return 1;
  int padding = o->has_padding                   ? o->padding
                : EVP_PKEY_is_a(pkey, "RSA-PSS") ? RSA_PKCS1_PSS_PADDING
                                                 : RSA_PKCS1_PADDING;
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, padding) <= 0)
    return 0;
  if (padding == RSA_PKCS1_PSS_PADDING && o->has_salt &&
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, o->saltlen) <= 0)
    return 0;
  return 1;
}

/* the width of r and of s in an (EC)DSA key's signatures, 0 for others */
static size_t rs_width(const EVP_PKEY *pkey) {
  int bits = 0;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    bits = EVP_PKEY_get_bits(pkey); /* the order's */
  } else if (EVP_PKEY_is_a(pkey, "DSA")) {
    BIGNUM *q = NULL;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_Q, &q))
      bits = BN_num_bits(q);
    BN_free(q);
  }
  return bits > 0 ? ((size_t)bits + 7) / 8 : 0;
}

/* a DER signature in sig[*len] as r||s of width n each, in place (sig has
 * room for 2n: the DER form is never shorter); 0 when it is not one */
static int der_to_p1363(unsigned char *sig, size_t *len, size_t n) {
  const unsigned char *p = sig;
  ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)*len);
  if (s == NULL)
    return 0;
  unsigned char buf[2 * 80];
  int ok = 2 * n <= sizeof buf &&
           BN_bn2binpad(ECDSA_SIG_get0_r(s), buf, (int)n) == (int)n &&
           BN_bn2binpad(ECDSA_SIG_get0_s(s), buf + n, (int)n) == (int)n;
  ECDSA_SIG_free(s);
  if (ok) {
    memcpy(sig, buf, 2 * n);
    *len = 2 * n;
  }
  return ok;
}

/* r||s (width n each) as DER in a new buffer (OPENSSL_free), or NULL */
static unsigned char *p1363_to_der(const unsigned char *sig, size_t len,
                                   size_t n, size_t *outlen) {
  if (len != 2 * n)
    return NULL;
  ECDSA_SIG *s = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(sig, (int)n, NULL),
         *t = BN_bin2bn(sig + n, (int)n, NULL);
  unsigned char *der = NULL;
  if (s && r && t && ECDSA_SIG_set0(s, r, t)) {
    r = t = NULL; /* the signature owns them */
    int l = i2d_ECDSA_SIG(s, &der);
    if (l <= 0)
      der = NULL;
    else
      *outlen = (size_t)l;
  }
  BN_free(r);
  BN_free(t);
  ECDSA_SIG_free(s);
  return der;
}

/* a signature made by EVP_DigestSign or EVP_PKEY_sign, turned into r||s
 * in place when o asks it: the two ways share the end */
static int finish_sig(const EVP_PKEY *pkey, const sig_opts *o,
                      unsigned char *sig, size_t *len) {
  size_t n = o->p1363 ? rs_width(pkey) : 0;
  if (n == 0)
    return 1;
  if (!der_to_p1363(sig, len, n)) {
    ERR_raise(ERR_LIB_EVP, ERR_R_INTERNAL_ERROR);
    return 0;
  }
  return 1;
}

/* raise the queued OpenSSL error as Node does (its text alone), or
 * ERR_CRYPTO_OPERATION_FAILED with `fallback` when none is queued */
static int raise_ossl(lua_State *L, const char *fallback) {
  if (ERR_peek_error() == 0)
    return luatls_raise_error(L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
                              fallback);
  return luatls_raise_openssl(L, NULL, NULL);
}

/* ---- one-shot, maybe on the thread pool ---------------------------------- */

typedef struct {
  luatls_job job; /* first */
  EVP_PKEY *pkey;
  EVP_MD *md; /* NULL: the key's default */
  sig_opts o;
  int verify;
  unsigned char *data; /* the message, then (sign) the signature */
  size_t len;
  unsigned char *sig; /* verify: the signature given */
  size_t siglen;
  unsigned char *out; /* sign: the signature made */
  size_t outlen;
  int result; /* verify */
  unsigned long err;
} sigjob;

static void sigjob_run(luatls_job *job) {
  sigjob *j = (sigjob *)job;
  ERR_clear_error();
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int ok = ctx != NULL;
  if (ok && j->verify)
    ok = EVP_DigestVerifyInit(ctx, &pctx, j->md, NULL, j->pkey) == 1;
  else if (ok)
    ok = EVP_DigestSignInit(ctx, &pctx, j->md, NULL, j->pkey) == 1;
  ok = ok && apply_rsa(pctx, j->pkey, &j->o);
  if (ok && j->verify) {
    const unsigned char *sig = j->sig;
    size_t siglen = j->siglen, n = j->o.p1363 ? rs_width(j->pkey) : 0;
    unsigned char *der = n ? p1363_to_der(sig, siglen, n, &siglen) : NULL;
    if (n == 0 || der != NULL)
      j->result =
          EVP_DigestVerify(ctx, der ? der : sig, siglen, j->data, j->len) == 1;
    OPENSSL_free(der);
  } else if (ok) {
    size_t max = 0;
    ok = EVP_DigestSign(ctx, NULL, &max, j->data, j->len) == 1 &&
         (j->out = OPENSSL_malloc(max ? max : 1)) != NULL;
    j->outlen = max;
    ok = ok && EVP_DigestSign(ctx, j->out, &j->outlen, j->data, j->len) == 1 &&
         finish_sig(j->pkey, &j->o, j->out, &j->outlen);
  }
  if (!ok)
    j->err = luatls_crypto_job_error();
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
}

static int sigjob_push(lua_State *L, luatls_job *job) {
  sigjob *j = (sigjob *)job;
  if (j->err) {
    luatls_crypto_push_job_error(L, j->err);
    return 1;
  }
  lua_pushnil(L);
  if (j->verify)
    lua_pushboolean(L, j->result);
  else
    lua_pushlstring(L, (const char *)j->out, j->outlen);
  return 2;
}

static void sigjob_free(luatls_job *job) {
  sigjob *j = (sigjob *)job;
  EVP_PKEY_free(j->pkey);
  EVP_MD_free(j->md);
  OPENSSL_free(j->data);
  OPENSSL_free(j->sig);
  OPENSSL_free(j->out);
  free(j);
}

static unsigned char *dup_bytes(const char *s, size_t len) {
  unsigned char *p = OPENSSL_malloc(len ? len : 1);
  if (p != NULL)
    memcpy(p, s, len);
  return p;
}

/* the asymmetric key at idx */
static EVP_PKEY *check_pkey(lua_State *L, int idx) {
  luatls_key *k = luatls_crypto_key(L, idx);
  luaL_argcheck(L, k->pkey != NULL, idx, "not an asymmetric key");
  return k->pkey;
}

/* sign_oneshot(key, alg, data, padding, saltlen, p1363[, cb]) and
 * verify_oneshot(key, alg, data, sig, padding, saltlen, p1363[, cb]) */
static int oneshot(lua_State *L, int verify) {
  EVP_PKEY *pkey = check_pkey(L, 1);
  int o = verify ? 5 : 4; /* the options' first index */
  lua_settop(L, o + 3);
  size_t len, siglen = 0;
  const char *data = luaL_checklstring(L, 3, &len);
  const char *sig = verify ? luaL_checklstring(L, 4, &siglen) : NULL;
  sig_opts opts;
  read_opts(L, o, &opts);
  /* the last check that may raise: from here on nothing may leak */
  EVP_MD *md = lua_isnil(L, 2) ? NULL : luatls_crypto_md(L, 2);
  sigjob *j = calloc(1, sizeof *j);
  if (j != NULL) {
    j->job.run = sigjob_run;
    j->job.push = sigjob_push;
    j->job.free = sigjob_free;
    j->md = md;
    md = NULL;
    j->o = opts;
    j->verify = verify;
    j->len = len;
    j->data = dup_bytes(data, len);
    j->siglen = siglen;
    j->sig = verify ? dup_bytes(sig, siglen) : NULL;
  }
  if (j == NULL || j->data == NULL || (verify && j->sig == NULL) ||
      !EVP_PKEY_up_ref(pkey)) {
    EVP_MD_free(md);
    if (j != NULL)
      sigjob_free(&j->job);
    return luaL_error(L, "out of memory");
  }
  j->pkey = pkey;
  return luatls_crypto_submit(L, &j->job, sizeof *j, o + 3);
}

static int l_sign_oneshot(lua_State *L) { return oneshot(L, 0); }
static int l_verify_oneshot(lua_State *L) { return oneshot(L, 1); }

/* ---- streamed: createSign / createVerify --------------------------------- */

typedef struct {
  EVP_MD_CTX *ctx; /* NULL once signed or verified */
} signer;

static int not_initialised(lua_State *L) {
  return luatls_raise_error(L, "Error", "ERR_CRYPTO_INVALID_STATE",
                            "Not initialised");
}

static signer *check_signer(lua_State *L) {
  signer *s = luaL_checkudata(L, 1, SIGNER_T);
  if (s->ctx == NULL)
    not_initialised(L);
  return s;
}

static int l_signer_new(lua_State *L) {
  signer *s = lua_newuserdatauv(L, sizeof *s, 0);
  s->ctx = NULL;
  luaL_setmetatable(L, SIGNER_T);
  EVP_MD *md = luatls_crypto_md(L, 1);
  s->ctx = EVP_MD_CTX_new();
  int ok = s->ctx != NULL && EVP_DigestInit_ex(s->ctx, md, NULL) == 1;
  EVP_MD_free(md);
  if (!ok)
    return luatls_raise_openssl(L, NULL, "cannot start digest");
  return 1;
}

static int l_signer_update(lua_State *L) {
  signer *s = check_signer(L);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  if (!EVP_DigestUpdate(s->ctx, data, len))
    return luatls_raise_openssl(L, NULL, "digest failed");
  lua_settop(L, 1);
  return 1;
}

/* the digest of the updates in md[*mdlen] and a context for pkey's
 * sign or verify with it and the options at idx; the signer is used up.
 * Raises OpenSSL's error; NULL never returned. */
static EVP_PKEY_CTX *finish_digest(lua_State *L, signer *s, EVP_PKEY *pkey,
                                   int verify, int idx, sig_opts *o,
                                   unsigned char *md, unsigned int *mdlen) {
  read_opts(L, idx, o);
  if (is_eddsa(pkey))
    luatls_raise_error(L, "Error", "ERR_CRYPTO_UNSUPPORTED_OPERATION",
                       "Unsupported crypto operation");
  EVP_MD_CTX *ctx = s->ctx;
  s->ctx = NULL;
  ERR_clear_error();
  const EVP_MD *type = EVP_MD_CTX_get0_md(ctx);
  EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
  int ok =
      EVP_DigestFinal_ex(ctx, md, mdlen) == 1 && pctx != NULL &&
      (verify ? EVP_PKEY_verify_init(pctx) : EVP_PKEY_sign_init(pctx)) == 1 &&
      apply_rsa(pctx, pkey, o) &&
      EVP_PKEY_CTX_set_signature_md(pctx, type) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    EVP_PKEY_CTX_free(pctx);
    raise_ossl(L, verify ? "Verify failed" : "Sign failed");
  }
  return pctx;
}

/* signer:sign(key, padding, saltlen, p1363) -> signature */
static int l_signer_sign(lua_State *L) {
  signer *s = check_signer(L);
  EVP_PKEY *pkey = check_pkey(L, 2);
  sig_opts o;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_PKEY_CTX *pctx = finish_digest(L, s, pkey, 0, 3, &o, md, &mdlen);
  size_t max = 0;
  if (EVP_PKEY_sign(pctx, NULL, &max, md, mdlen) != 1) {
    EVP_PKEY_CTX_free(pctx);
    return raise_ossl(L, "Sign failed");
  }
  luaL_Buffer b;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, max);
  size_t len = max;
  int ok = EVP_PKEY_sign(pctx, out, &len, md, mdlen) == 1 &&
           finish_sig(pkey, &o, out, &len);
  EVP_PKEY_CTX_free(pctx);
  if (!ok)
    return raise_ossl(L, "Sign failed");
  luaL_pushresultsize(&b, len);
  return 1;
}

/* signer:verify(key, sig, padding, saltlen, p1363) -> boolean */
static int l_signer_verify(lua_State *L) {
  signer *s = check_signer(L);
  EVP_PKEY *pkey = check_pkey(L, 2);
  size_t siglen;
  const unsigned char *sig =
      (const unsigned char *)luaL_checklstring(L, 3, &siglen);
  sig_opts o;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_PKEY_CTX *pctx = finish_digest(L, s, pkey, 1, 4, &o, md, &mdlen);
  size_t n = o.p1363 ? rs_width(pkey) : 0;
  unsigned char *der = n ? p1363_to_der(sig, siglen, n, &siglen) : NULL;
  if (n != 0 && der == NULL) {
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    return luatls_raise_error(L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
                              "Malformed signature");
  }
  int r = EVP_PKEY_verify(pctx, der ? der : sig, siglen, md, mdlen);
  OPENSSL_free(der);
  EVP_PKEY_CTX_free(pctx);
  ERR_clear_error();
  lua_pushboolean(L, r == 1);
  return 1;
}

static int l_signer_gc(lua_State *L) {
  signer *s = luaL_checkudata(L, 1, SIGNER_T);
  EVP_MD_CTX_free(s->ctx);
  s->ctx = NULL;
  return 0;
}

void luatls_open_sign(lua_State *L) {
  static const luaL_Reg methods[] = {{"update", l_signer_update},
                                     {"sign", l_signer_sign},
                                     {"verify", l_signer_verify},
                                     {NULL, NULL}};
  luatls_new_metatable(L, SIGNER_T, methods, l_signer_gc, NULL, NULL);
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {{"sign_oneshot", l_sign_oneshot},
                                       {"verify_oneshot", l_verify_oneshot},
                                       {"signer_new", l_signer_new},
                                       {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
