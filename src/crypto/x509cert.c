/*
 * crypto/x509cert.c - the C side of Node's X509Certificate
 * (lua/luatls/internal/crypto/x509.lua): a userdata holding one reference
 * to an X509, and its issuer's userdata when it came with a chain (a TLS
 * peer's certificates: luatls_push_x509cert, called by src/tls/conn.c).
 * The printed fields are src/tls/x509.c's (luatls_push_x509_field), the
 * same printing getPeerCertificate() uses; keys go through pkey.c.
 *   x509cert_parse(data) -> cert: PEM first, then DER; a failure raises
 *       the PEM error as Node does (ERR_OSSL_PEM_NO_START_LINE, ...)
 *   x509cert_handle(v) -> v when it is a cert, else nil
 *   cert:field(name) -> one property (luatls_push_x509_field's names)
 *   cert:legacy() -> getPeerCertificate()'s table (toLegacyObject)
 *   cert:pem(), cert:dates() -> notBefore, notAfter (seconds since 1970)
 *   cert:issuer() -> the issuer's cert or nil
 *   cert:public_key() -> a public key (pkey.c's userdata)
 *   cert:check_host(name, subject, wildcards, partial, multi, single)
 *   cert:check_email(email, subject), cert:check_ip(ip) -> the match or
 *       nil; a malformed name raises ERR_INVALID_ARG_VALUE
 *   cert:check_issued(other), cert:check_private_key(key),
 *   cert:verify(key) -> boolean
 * The Lua side checks argument types with Node's messages.
 */
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto.h"

#define CERT_T "luatls.x509cert"

typedef struct {
  X509 *x;
} cert_ud;

static X509 *check_cert(lua_State *L, int idx) {
  cert_ud *u = luaL_checkudata(L, idx, CERT_T);
  if (u->x == NULL)
    luaL_argerror(L, idx, "no certificate");
  return u->x;
}

static int l_gc(lua_State *L) {
  cert_ud *u = luaL_checkudata(L, 1, CERT_T);
  X509_free(u->x);
  u->x = NULL;
  return 0;
}

/* push a cert userdata (no certificate yet: the caller sets u->x, so an
 * error before then leaks nothing); user value 1 is the issuer */
static cert_ud *new_cert(lua_State *L) {
  cert_ud *u = lua_newuserdatauv(L, sizeof *u, 1);
  u->x = NULL;
  luaL_setmetatable(L, CERT_T);
  return u;
}

static void push_one(lua_State *L, X509 *x) {
  cert_ud *u = new_cert(L);
  if (!X509_up_ref(x))
    luaL_error(L, "cannot share the certificate");
  u->x = x;
}

void luatls_push_x509cert(lua_State *L, X509 *cert, STACK_OF(X509) * chain) {
  luaL_checkstack(L, 6, "x509 chain");
  push_one(L, cert);
  if (chain == NULL)
    return;
  int base = lua_gettop(L), n;
  X509 **issuers = luatls_x509_issuers(L, cert, chain, &n);
  lua_pushvalue(L, base); /* the current certificate: base + 2 */
  for (int i = 0; i < n; i++) {
    push_one(L, issuers[i]);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, base + 2, 1);
    lua_replace(L, base + 2);
  }
  lua_settop(L, base);
}

/* ---- parsing ------------------------------------------------------------- */

static int no_password(char *buf, int size, int rwflag, void *u) {
  (void)buf, (void)size, (void)rwflag, (void)u;
  return -1;
}

static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  if (len > INT_MAX)
    return luatls_raise_error(L, "RangeError", "ERR_OUT_OF_RANGE",
                              "The certificate is too large");
  cert_ud *u = new_cert(L);
  ERR_clear_error();
  BIO *b = BIO_new_mem_buf(data, (int)len);
  if (b == NULL)
    return luatls_raise_openssl(L, NULL, "out of memory");
  X509 *x = PEM_read_bio_X509_AUX(b, NULL, no_password, NULL);
  BIO_free(b);
  if (x == NULL) {
    /* DER; when it is not that either, the PEM error is the one to tell */
    const unsigned char *p = (const unsigned char *)data;
    ERR_set_mark();
    x = d2i_X509(NULL, &p, (long)len);
    ERR_pop_to_mark();
  }
  if (x == NULL) {
    if (ERR_peek_error() == 0)
      ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
    return luatls_raise_openssl(L, NULL, NULL);
  }
  ERR_clear_error();
  u->x = x;
  return 1;
}

static int l_handle(lua_State *L) {
  if (luaL_testudata(L, 1, CERT_T) == NULL)
    lua_pushnil(L);
  else
    lua_settop(L, 1);
  return 1;
}

/* ---- properties ---------------------------------------------------------- */

static int l_field(lua_State *L) {
  X509 *x = check_cert(L, 1);
  luatls_push_x509_field(L, x, luaL_checkstring(L, 2));
  return 1;
}

static int l_legacy(lua_State *L) {
  luatls_push_x509(L, check_cert(L, 1));
  return 1;
}

static int l_pem(lua_State *L) {
  X509 *x = check_cert(L, 1);
  BIO *b = BIO_new(BIO_s_mem());
  char *data = NULL;
  if (b == NULL || !PEM_write_bio_X509(b, x)) {
    BIO_free(b);
    return luatls_raise_openssl(L, NULL, "cannot write the certificate");
  }
  long n = BIO_get_mem_data(b, &data);
  lua_pushlstring(L, data ? data : "", n > 0 ? (size_t)n : 0);
  BIO_free(b);
  return 1;
}

/* seconds from 1970 to t (UTC) */
static int push_time(lua_State *L, const ASN1_TIME *t) {
  int days = 0, secs = 0;
  ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
  int ok = t != NULL && epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t);
  ASN1_TIME_free(epoch);
  if (ok)
    lua_pushinteger(L, (lua_Integer)days * 86400 + secs);
  else
    lua_pushnil(L);
  return 1;
}

static int l_dates(lua_State *L) {
  X509 *x = check_cert(L, 1);
  push_time(L, X509_get0_notBefore(x));
  push_time(L, X509_get0_notAfter(x));
  ERR_clear_error();
  return 2;
}

static int l_issuer(lua_State *L) {
  check_cert(L, 1);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

static int l_public_key(lua_State *L) {
  X509 *x = check_cert(L, 1);
  ERR_clear_error();
  EVP_PKEY *pkey = X509_get_pubkey(x);
  if (pkey == NULL)
    return luatls_raise_openssl(L, NULL, "cannot read the public key");
  luatls_crypto_push_pkey(L, pkey, LUATLS_KEY_PUBLIC);
  return 1;
}

/* ---- checks -------------------------------------------------------------- */

static unsigned int subject_flag(lua_State *L, int idx) {
  static const char *const modes[] = {"default", "always", "never", NULL};
  switch (luaL_checkoption(L, idx, "default", modes)) {
  case 1: return X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT;
  case 2: return X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  default: return 0;
  }
}

static int invalid(lua_State *L, const char *what) {
  ERR_clear_error();
  return luatls_raise_error(L, "TypeError", "ERR_INVALID_ARG_VALUE", what);
}

/* check_host(name, subject, wildcards, partial, multi, single) -> the name
 * in the certificate that matched, or nil */
static int l_check_host(lua_State *L) {
  X509 *x = check_cert(L, 1);
  size_t len;
  const char *name = luaL_checklstring(L, 2, &len);
  unsigned int flags = subject_flag(L, 3);
  if (!lua_toboolean(L, 4))
    flags |= X509_CHECK_FLAG_NO_WILDCARDS;
  if (!lua_toboolean(L, 5))
    flags |= X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  if (lua_toboolean(L, 6))
    flags |= X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS;
  if (lua_toboolean(L, 7))
    flags |= X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS;
  char *peer = NULL;
  ERR_clear_error();
  int r = X509_check_host(x, name, len, flags, &peer);
  if (r < 0)
    return invalid(L, "Invalid name");
  if (r == 1)
    lua_pushstring(L, peer ? peer : name);
  else
    lua_pushnil(L);
  OPENSSL_free(peer);
  ERR_clear_error();
  return 1;
}

/* what check_email and check_ip give for X509_check_*'s result r: the
 * argument when it matched, nil, or ERR_INVALID_ARG_VALUE when malformed */
static int answer(lua_State *L, int r, const char *malformed) {
  if (r < 0)
    return invalid(L, malformed);
  ERR_clear_error();
  if (r == 1)
    lua_pushvalue(L, 2);
  else
    lua_pushnil(L);
  return 1;
}

static int l_check_email(lua_State *L) {
  X509 *x = check_cert(L, 1);
  size_t len;
  const char *email = luaL_checklstring(L, 2, &len);
  unsigned int flags = subject_flag(L, 3);
  ERR_clear_error();
  return answer(L, X509_check_email(x, email, len, flags), "Invalid name");
}

static int l_check_ip(lua_State *L) {
  X509 *x = check_cert(L, 1);
  const char *ip = luaL_checkstring(L, 2);
  ERR_clear_error();
  return answer(L, X509_check_ip_asc(x, ip, 0), "Invalid IP");
}

/* check_issued(other): whether other issued this certificate */
static int l_check_issued(lua_State *L) {
  X509 *x = check_cert(L, 1);
  X509 *issuer = check_cert(L, 2);
  lua_pushboolean(L, X509_check_issued(issuer, x) == X509_V_OK);
  ERR_clear_error();
  return 1;
}

static int check_private_key(X509 *x, EVP_PKEY *pkey) {
  return X509_check_private_key(x, pkey) == 1;
}

static int verify(X509 *x, EVP_PKEY *pkey) { return X509_verify(x, pkey) > 0; }

/* check_private_key(key), verify(key): the check as a boolean */
static int key_check(lua_State *L, int (*check)(X509 *, EVP_PKEY *)) {
  X509 *x = check_cert(L, 1);
  luatls_key *k = luatls_crypto_key(L, 2);
  luaL_argcheck(L, k->pkey != NULL, 2, "not an asymmetric key");
  ERR_clear_error();
  lua_pushboolean(L, check(x, k->pkey));
  ERR_clear_error();
  return 1;
}

static int l_check_private_key(lua_State *L) {
  return key_check(L, check_private_key);
}

static int l_verify(lua_State *L) { return key_check(L, verify); }

void luatls_open_x509cert(lua_State *L) {
  static const luaL_Reg methods[] = {{"field", l_field},
                                     {"legacy", l_legacy},
                                     {"pem", l_pem},
                                     {"dates", l_dates},
                                     {"issuer", l_issuer},
                                     {"public_key", l_public_key},
                                     {"check_host", l_check_host},
                                     {"check_email", l_check_email},
                                     {"check_ip", l_check_ip},
                                     {"check_issued", l_check_issued},
                                     {"check_private_key", l_check_private_key},
                                     {"verify", l_verify},
                                     {NULL, NULL}};
  luatls_new_metatable(L, CERT_T, methods, l_gc, NULL, NULL);
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {
      {"x509cert_parse", l_parse}, {"x509cert_handle", l_handle}, {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
