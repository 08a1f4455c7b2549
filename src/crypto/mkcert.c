/*
 * crypto/mkcert.c - making certificates, certificate requests and CRLs
 * (luatls's own API, not Node's: lua/luatls/internal/crypto/mkcert.lua
 * checks the options and hands over plain values):
 *   mkcert_cert(t) -> PEM certificate (X.509 v3). t:
 *       subject     flat list { "C", "US", "CN", "x", ... } or nil (csr's)
 *       csr         a CSR (PEM or DER): subject, key and SANs unless given
 *       pubkey      key userdata or nil (csr's, else the signing key's)
 *       key         the signing key (private key userdata)
 *       issuer      the issuer's certificate (PEM or DER); nil: self-signed
 *       serial      hex digits; notBefore, notAfter: seconds since 1970
 *       digest      a digest name, or nil (keys that sign with none ignore it)
 *       ca, pathlen basicConstraints (always there, critical)
 *       keyUsage    list of bit numbers (critical); extKeyUsage: names/OIDs
 *       san         flat list { "DNS", "a.example", "IP", "::1", ... }
 *       ocsp, caIssuers, crl    lists of URIs (AIA, CDP)
 *     subjectKeyIdentifier always; authorityKeyIdentifier when issued.
 *   mkcert_csr(t) -> PEM request: subject, san, key (private), digest
 *   mkcert_crl(t) -> PEM CRL (v2, authorityKeyIdentifier): issuer, key,
 *       lastUpdate, nextUpdate, crlNumber (hex or nil), digest, revoked =
 *       list of { serial (hex), date, reason (code or nil) }
 * A signing key that does not belong to the issuer (or, self-signed, to the
 * certificate's public key) raises ERR_INVALID_ARG_VALUE. What is being
 * built lives in a guard userdata (freed by its __gc), so any error may be
 * raised at any point without leaking.
 */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto.h"

#define GUARD_T "luatls.mkcert"

/* everything a call is building or holds from OpenSSL */
typedef struct {
  X509 *x, *issuer;
  X509_REQ *req, *csr;
  X509_CRL *crl;
  EVP_MD *md;
  BIO *bio;
  unsigned char *der; /* a PEM block's contents */
  ASN1_INTEGER *serial;
  ASN1_TIME *time;
  BIGNUM *bn;
  void *ext; /* an extension's value being built, of type ext_it */
  const ASN1_ITEM *ext_it;
} guard;

static void drop_ext(guard *g) {
  if (g->ext)
    ASN1_item_free((ASN1_VALUE *)g->ext, g->ext_it);
  g->ext = NULL;
}

static void check(lua_State *L, int ok, const char *what);

/* g holds ext (an extension's value being built, freed by f) from now on */
static void *hold(lua_State *L, guard *g, void *ext, const ASN1_ITEM *it,
                  const char *what) {
  g->ext = ext;
  g->ext_it = it;
  check(L, ext != NULL, what);
  return ext;
}

static void guard_free(guard *g) {
  X509_free(g->x);
  X509_free(g->issuer);
  X509_REQ_free(g->req);
  X509_REQ_free(g->csr);
  X509_CRL_free(g->crl);
  EVP_MD_free(g->md);
  BIO_free(g->bio);
  OPENSSL_free(g->der);
  ASN1_INTEGER_free(g->serial);
  ASN1_TIME_free(g->time);
  BN_free(g->bn);
  drop_ext(g);
  memset(g, 0, sizeof *g);
}

static int guard_gc(lua_State *L) {
  guard_free(luaL_checkudata(L, 1, GUARD_T));
  return 0;
}

static guard *new_guard(lua_State *L) {
  guard *g = lua_newuserdatauv(L, sizeof *g, 0);
  memset(g, 0, sizeof *g);
  luaL_setmetatable(L, GUARD_T);
  return g;
}

/* ---- errors ---- */

/* ERR_INVALID_ARG_VALUE for options.<name>, as Node words it (value NULL:
 * a value not worth showing, such as a key) */
static int bad_value(lua_State *L, const char *name, const char *value,
                     const char *reason) {
  ERR_clear_error();
  if (value)
    lua_pushfstring(L, "The property 'options.%s' %s. Received '%s'", name,
                    reason ? reason : "is invalid", value);
  else
    lua_pushfstring(L, "The property 'options.%s' %s", name,
                    reason ? reason : "is invalid");
  return luatls_raise_error(L, "TypeError", "ERR_INVALID_ARG_VALUE",
                            lua_tostring(L, -1));
}

static void check(lua_State *L, int ok, const char *what) {
  if (!ok)
    luatls_raise_openssl(L, NULL, what);
}

/* ---- reading the table ---- */

static const char *opt_string(lua_State *L, int t, const char *k, size_t *len) {
  lua_getfield(L, t, k);
  const char *s = lua_tolstring(L, -1, len); /* held by the table */
  lua_pop(L, 1);
  return s;
}

static lua_Integer opt_integer(lua_State *L, int t, const char *k,
                               lua_Integer dflt) {
  lua_getfield(L, t, k);
  lua_Integer v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : dflt;
  lua_pop(L, 1);
  return v;
}

static luatls_key *opt_key(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  luatls_key *key = lua_isnil(L, -1) ? NULL : luatls_crypto_key(L, -1);
  lua_pop(L, 1); /* the table keeps it */
  if (key && key->pkey == NULL)
    bad_value(L, k, NULL, "must be an asymmetric key");
  return key;
}

/* the list t[k] on the stack and its length; when it is absent or empty,
 * nothing on the stack and 0 */
static lua_Integer opt_list(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  lua_Integer n = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
  if (n == 0)
    lua_pop(L, 1);
  return n;
}

static const char *item(lua_State *L, int list, lua_Integer i) {
  lua_rawgeti(L, list, i);
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s ? s : "";
}

/* ---- parsing ---- */

/* the DER of s (PEM or DER): the first PEM block's contents (held by g)
 * or s itself; NULL when s is PEM that does not decode */
static const unsigned char *der_of(guard *g, const char *s, size_t *len) {
  ERR_clear_error();
  if (*len < 11 || strstr(s, "-----BEGIN") == NULL)
    return (const unsigned char *)s;
  char *name = NULL, *header = NULL;
  long n = 0;
  OPENSSL_free(g->der);
  g->der = NULL;
  g->bio = BIO_new_mem_buf(s, (int)*len);
  if (g->bio && PEM_read_bio(g->bio, &name, &header, &g->der, &n) == 1)
    *len = (size_t)n;
  OPENSSL_free(name);
  OPENSSL_free(header);
  BIO_free(g->bio);
  g->bio = NULL;
  return g->der;
}

static X509 *read_cert(lua_State *L, guard *g, const char *s, size_t len) {
  const unsigned char *p = der_of(g, s, &len);
  if (p == NULL || (g->issuer = d2i_X509(NULL, &p, (long)len)) == NULL)
    bad_value(L, "issuer", NULL, "is not a certificate (PEM or DER)");
  return g->issuer;
}

static X509_REQ *read_csr(lua_State *L, guard *g, const char *s, size_t len) {
  const unsigned char *p = der_of(g, s, &len);
  if (p == NULL || (g->csr = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
    bad_value(L, "csr", NULL, "is not a certificate request (PEM or DER)");
  EVP_PKEY *pub = X509_REQ_get0_pubkey(g->csr);
  if (pub == NULL || X509_REQ_verify(g->csr, pub) != 1)
    bad_value(L, "csr", NULL, "is not signed by its own key");
  ERR_clear_error();
  return g->csr;
}

/* the digest to sign with: none for keys that take none (Ed25519, Ed448) */
static const EVP_MD *sign_md(lua_State *L, guard *g, int t, EVP_PKEY *key) {
  if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
    return NULL;
  lua_getfield(L, t, "digest");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushliteral(L, "sha256");
  }
  g->md = luatls_crypto_md(L, -1);
  lua_pop(L, 1);
  return g->md;
}

/* t[k] (seconds since 1970) as an ASN1_TIME (g->time), raising as
 * options.<name> when it cannot be one */
static ASN1_TIME *opt_time(lua_State *L, guard *g, int t, const char *k,
                           const char *name) {
  ASN1_TIME_free(g->time);
  g->time = ASN1_TIME_set(NULL, (time_t)opt_integer(L, t, k, 0));
  if (g->time == NULL)
    bad_value(L, name, NULL, "is not a representable time");
  return g->time;
}

/* the serial number in hex at t[k] as an ASN1_INTEGER (g->serial) */
static ASN1_INTEGER *serial(lua_State *L, guard *g, const char *hex,
                            const char *name) {
  ASN1_INTEGER_free(g->serial);
  g->serial = NULL;
  if (hex == NULL || BN_hex2bn(&g->bn, hex) == 0 ||
      (g->serial = BN_to_ASN1_INTEGER(g->bn, NULL)) == NULL)
    bad_value(L, name, hex, NULL);
  BN_free(g->bn);
  g->bn = NULL;
  return g->serial;
}

/* ---- names ---- */

static X509_NAME *make_name(lua_State *L, guard *g, int list) {
  X509_NAME *name = hold(L, g, X509_NAME_new(), ASN1_ITEM_rptr(X509_NAME),
                         "cannot make a name");
  lua_Integer n = (lua_Integer)lua_rawlen(L, list);
  for (lua_Integer i = 1; i + 1 <= n; i += 2) {
    const char *field = item(L, list, i), *value = item(L, list, i + 1);
    if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    (const unsigned char *)value, -1, -1, 0)) {
      lua_pushfstring(L, "%s=%s", field, value);
      bad_value(L, "subject", lua_tostring(L, -1), NULL);
    }
  }
  g->ext = NULL; /* the caller's */
  return name;
}

static int gen_type(const char *t) {
  if (strcmp(t, "DNS") == 0)
    return GEN_DNS;
  if (strcmp(t, "IP") == 0)
    return GEN_IPADD;
  if (strcmp(t, "email") == 0)
    return GEN_EMAIL;
  return GEN_URI;
}

/* GENERAL_NAMES (in g->ext) from the flat list { type, value, ... } on top */
static GENERAL_NAMES *make_san(lua_State *L, guard *g) {
  int list = lua_gettop(L);
  GENERAL_NAMES *gens =
      hold(L, g, sk_GENERAL_NAME_new_null(), ASN1_ITEM_rptr(GENERAL_NAMES),
           "cannot make names");
  lua_Integer n = (lua_Integer)lua_rawlen(L, list);
  for (lua_Integer i = 1; i + 1 <= n; i += 2) {
    const char *type = item(L, list, i), *value = item(L, list, i + 1);
    GENERAL_NAME *gen =
        a2i_GENERAL_NAME(NULL, NULL, NULL, gen_type(type), value, 0);
    if (gen == NULL || !sk_GENERAL_NAME_push(gens, gen)) {
      GENERAL_NAME_free(gen);
      lua_pushfstring(L, "%s:%s", type, value);
      bad_value(L, "subjectAltName", lua_tostring(L, -1), NULL);
    }
  }
  return gens;
}

/* ---- extensions ---- */

/* add g->ext (nid) to the certificate, request extensions or CRL; frees it */
static void add_ext(lua_State *L, guard *g, int nid, int crit,
                    STACK_OF(X509_EXTENSION) * *reqexts) {
  int ok;
  if (reqexts)
    ok = X509V3_add1_i2d(reqexts, nid, g->ext, crit, X509V3_ADD_DEFAULT);
  else if (g->crl)
    ok = X509_CRL_add1_ext_i2d(g->crl, nid, g->ext, crit, X509V3_ADD_DEFAULT);
  else
    ok = X509_add1_ext_i2d(g->x, nid, g->ext, crit, X509V3_ADD_DEFAULT);
  drop_ext(g);
  check(L, ok == 1, "cannot add an extension");
}

static void basic_constraints(lua_State *L, guard *g, int t) {
  BASIC_CONSTRAINTS *bc =
      hold(L, g, BASIC_CONSTRAINTS_new(), ASN1_ITEM_rptr(BASIC_CONSTRAINTS),
           "cannot make basicConstraints");
  lua_getfield(L, t, "ca");
  bc->ca = lua_toboolean(L, -1) ? 0xFF : 0;
  lua_pop(L, 1);
  lua_Integer pathlen = opt_integer(L, t, "pathlen", -1);
  if (bc->ca && pathlen >= 0) {
    bc->pathlen = ASN1_INTEGER_new();
    check(L, bc->pathlen && ASN1_INTEGER_set(bc->pathlen, (long)pathlen),
          "cannot set pathLength");
  }
  add_ext(L, g, NID_basic_constraints, 1, NULL);
}

static void key_usage(lua_State *L, guard *g, int t) {
  lua_Integer n = opt_list(L, t, "keyUsage");
  if (n == 0)
    return;
  ASN1_BIT_STRING *bits =
      hold(L, g, ASN1_BIT_STRING_new(), ASN1_ITEM_rptr(ASN1_BIT_STRING),
           "cannot make keyUsage");
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    int bit = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    check(L, ASN1_BIT_STRING_set_bit(bits, bit, 1), "cannot set keyUsage");
  }
  lua_pop(L, 1);
  add_ext(L, g, NID_key_usage, 1, NULL);
}

static void ext_key_usage(lua_State *L, guard *g, int t) {
  lua_Integer n = opt_list(L, t, "extKeyUsage");
  if (n == 0)
    return;
  EXTENDED_KEY_USAGE *eku =
      hold(L, g, sk_ASN1_OBJECT_new_null(), ASN1_ITEM_rptr(EXTENDED_KEY_USAGE),
           "cannot make extKeyUsage");
  for (lua_Integer i = 1; i <= n; i++) {
    const char *name = item(L, -1, i);
    ASN1_OBJECT *obj = OBJ_txt2obj(name, 0);
    if (obj == NULL || !sk_ASN1_OBJECT_push(eku, obj)) {
      ASN1_OBJECT_free(obj);
      bad_value(L, "extKeyUsage", name, NULL);
    }
  }
  lua_pop(L, 1);
  add_ext(L, g, NID_ext_key_usage, 0, NULL);
}

static void subject_alt_name(lua_State *L, guard *g, int t,
                             STACK_OF(X509_EXTENSION) * *reqexts) {
  if (opt_list(L, t, "san") == 0)
    return;
  make_san(L, g);
  add_ext(L, g, NID_subject_alt_name, 0, reqexts);
  lua_pop(L, 1);
}

/* push { method, URI } for each URI of the list t[k] onto aia */
static void access(lua_State *L, AUTHORITY_INFO_ACCESS *aia, int t,
                   const char *k, int nid, const char *name) {
  lua_Integer n = opt_list(L, t, k);
  for (lua_Integer i = 1; i <= n; i++) {
    const char *uri = item(L, -1, i);
    ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
    if (ad == NULL || !sk_ACCESS_DESCRIPTION_push(aia, ad)) {
      ACCESS_DESCRIPTION_free(ad);
      check(L, 0, "cannot make authorityInfoAccess");
    }
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(nid);
    if (a2i_GENERAL_NAME(ad->location, NULL, NULL, GEN_URI, uri, 0) == NULL)
      bad_value(L, name, uri, NULL);
  }
  if (n > 0)
    lua_pop(L, 1);
}

static void info_access(lua_State *L, guard *g, int t) {
  AUTHORITY_INFO_ACCESS *aia = hold(L, g, sk_ACCESS_DESCRIPTION_new_null(),
                                    ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS),
                                    "cannot make authorityInfoAccess");
  access(L, aia, t, "ocsp", NID_ad_OCSP, "ocspURL");
  access(L, aia, t, "caIssuers", NID_ad_ca_issuers, "caIssuersURL");
  if (sk_ACCESS_DESCRIPTION_num(aia) > 0)
    add_ext(L, g, NID_info_access, 0, NULL);
  else
    drop_ext(g);
}

/* one distribution point whose full name is the list of URIs */
static void crl_points(lua_State *L, guard *g, int t) {
  lua_Integer n = opt_list(L, t, "crl");
  if (n == 0)
    return;
  CRL_DIST_POINTS *cdp =
      hold(L, g, sk_DIST_POINT_new_null(), ASN1_ITEM_rptr(CRL_DIST_POINTS),
           "cannot make crlDistributionPoints");
  DIST_POINT *dp = DIST_POINT_new();
  if (dp == NULL || !sk_DIST_POINT_push(cdp, dp)) {
    DIST_POINT_free(dp);
    check(L, 0, "cannot make crlDistributionPoints");
  }
  dp->distpoint = DIST_POINT_NAME_new();
  check(L, dp->distpoint != NULL, "cannot make crlDistributionPoints");
  dp->distpoint->type = 0;
  dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
  check(L, dp->distpoint->name.fullname != NULL,
        "cannot make crlDistributionPoints");
  for (lua_Integer i = 1; i <= n; i++) {
    const char *uri = item(L, -1, i);
    GENERAL_NAME *gen = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_URI, uri, 0);
    if (gen == NULL ||
        !sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gen)) {
      GENERAL_NAME_free(gen);
      bad_value(L, "crlURL", uri, NULL);
    }
  }
  lua_pop(L, 1);
  add_ext(L, g, NID_crl_distribution_points, 0, NULL);
}

/* an octet string (in g->ext) of the SHA-1 of cert's public key: the
 * subject key identifier as RFC 5280's method 1 */
static ASN1_OCTET_STRING *key_id(lua_State *L, guard *g, const X509 *cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const ASN1_OCTET_STRING *own = X509_get0_subject_key_id((X509 *)cert);
  ASN1_OCTET_STRING *id =
      hold(L, g, own ? ASN1_OCTET_STRING_dup(own) : ASN1_OCTET_STRING_new(),
           ASN1_ITEM_rptr(ASN1_OCTET_STRING), "cannot make a key identifier");
  if (own == NULL)
    check(L,
          X509_pubkey_digest(cert, EVP_sha1(), md, &len) &&
              ASN1_OCTET_STRING_set(id, md, (int)len),
          "cannot make a key identifier");
  return id;
}

static void authority_key_id(lua_State *L, guard *g) {
  ASN1_OCTET_STRING *id = key_id(L, g, g->issuer);
  g->ext = NULL;
  AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
  if (akid == NULL)
    ASN1_OCTET_STRING_free(id);
  else
    akid->keyid = id;
  hold(L, g, akid, ASN1_ITEM_rptr(AUTHORITY_KEYID),
       "cannot make authorityKeyIdentifier");
  add_ext(L, g, NID_authority_key_identifier, 0, NULL);
}

/* ---- signing ---- */

static void check_issuer_key(lua_State *L, guard *g, EVP_PKEY *key) {
  ERR_clear_error();
  if (X509_check_private_key(g->issuer, key) != 1)
    bad_value(L, "signingKey", NULL,
              "does not match the issuer certificate's public key");
  ERR_clear_error();
}

/* a guard on the stack (g), and the private key t.key that signs (raising
 * as options.<name>) */
static luatls_key *begin(lua_State *L, guard **g, const char *name) {
  luaL_checktype(L, 1, LUA_TTABLE);
  *g = new_guard(L);
  luatls_key *key = opt_key(L, 1, "key");
  if (key == NULL || key->kind != LUATLS_KEY_PRIVATE)
    bad_value(L, name, NULL, "must be a private key");
  return key;
}

/* a memory BIO (held by g) to write the PEM into */
static BIO *pem_out(lua_State *L, guard *g) {
  g->bio = BIO_new(BIO_s_mem());
  check(L, g->bio != NULL, "cannot write PEM");
  return g->bio;
}

/* push the PEM written into g->bio (ok: the write's result), and free
 * what g holds now, not at some later collection */
static int push_pem(lua_State *L, guard *g, int ok) {
  check(L, ok, "cannot write PEM");
  char *data = NULL;
  long len = BIO_get_mem_data(g->bio, &data);
  lua_pushlstring(L, data, (size_t)len);
  guard_free(g);
  return 1;
}

static int l_cert(lua_State *L) {
  guard *g;
  luatls_key *signer = begin(L, &g, "signingKey");
  luatls_key *pub = opt_key(L, 1, "pubkey");
  size_t len;
  const char *s = opt_string(L, 1, "csr", &len);
  if (s)
    read_csr(L, g, s, len);
  s = opt_string(L, 1, "issuer", &len);
  if (s) {
    read_cert(L, g, s, len);
    check_issuer_key(L, g, signer->pkey);
  }
  const EVP_MD *md = sign_md(L, g, 1, signer->pkey);

  g->x = X509_new();
  check(L, g->x && X509_set_version(g->x, X509_VERSION_3),
        "cannot make a certificate");
  X509 *x = g->x;
  check(L,
        X509_set_serialNumber(
            x, serial(L, g, opt_string(L, 1, "serial", NULL), "serialNumber")),
        "cannot set the serial number");
  check(L,
        X509_set1_notBefore(x, opt_time(L, g, 1, "notBefore", "notBefore")) &&
            X509_set1_notAfter(x, opt_time(L, g, 1, "notAfter", "notAfter")),
        "cannot set the validity");

  /* subject: given, else the CSR's */
  lua_getfield(L, 1, "subject");
  if (lua_istable(L, -1)) {
    X509_NAME *name = make_name(L, g, lua_gettop(L));
    int ok = X509_set_subject_name(x, name);
    X509_NAME_free(name);
    check(L, ok, "cannot set the subject");
  } else if (g->csr) {
    check(L, X509_set_subject_name(x, X509_REQ_get_subject_name(g->csr)),
          "cannot set the subject");
  }
  lua_pop(L, 1);
  check(L,
        X509_set_issuer_name(x, g->issuer ? X509_get_subject_name(g->issuer)
                                          : X509_get_subject_name(x)),
        "cannot set the issuer");

  /* public key: given, else the CSR's, else the signer's (self-signed) */
  EVP_PKEY *pk = pub      ? pub->pkey
                 : g->csr ? X509_REQ_get0_pubkey(g->csr)
                          : signer->pkey;
  if (g->issuer == NULL && EVP_PKEY_eq(pk, signer->pkey) != 1)
    return bad_value(L, "issuer", NULL,
                     "is needed: the signing key is not the certificate's own");
  ERR_clear_error();
  check(L, X509_set_pubkey(x, pk), "cannot set the public key");

  basic_constraints(L, g, 1);
  key_usage(L, g, 1);
  ext_key_usage(L, g, 1);
  lua_getfield(L, 1, "san");
  int have_san = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (have_san) {
    subject_alt_name(L, g, 1, NULL);
  } else if (g->csr) { /* the SANs the CSR asks for */
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(g->csr);
    int i = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
    int ok = i < 0 || X509_add_ext(x, X509v3_get_ext(exts, i), -1);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    check(L, ok, "cannot copy the CSR's subjectAltName");
  }
  info_access(L, g, 1);
  crl_points(L, g, 1);
  key_id(L, g, x);
  add_ext(L, g, NID_subject_key_identifier, 0, NULL);
  if (g->issuer)
    authority_key_id(L, g);

  ERR_clear_error();
  check(L, X509_sign(x, signer->pkey, md) > 0, "cannot sign the certificate");
  return push_pem(L, g, PEM_write_bio_X509(pem_out(L, g), x));
}

static int l_csr(lua_State *L) {
  guard *g;
  luatls_key *key = begin(L, &g, "key");
  const EVP_MD *md = sign_md(L, g, 1, key->pkey);
  g->req = X509_REQ_new();
  check(L, g->req && X509_REQ_set_version(g->req, X509_REQ_VERSION_1),
        "cannot make a certificate request");
  lua_getfield(L, 1, "subject");
  X509_NAME *name = make_name(L, g, lua_gettop(L));
  int ok = X509_REQ_set_subject_name(g->req, name);
  X509_NAME_free(name);
  lua_pop(L, 1);
  check(L, ok && X509_REQ_set_pubkey(g->req, key->pkey),
        "cannot make a certificate request");

  STACK_OF(X509_EXTENSION) *exts = NULL;
  subject_alt_name(L, g, 1, &exts);
  if (exts) {
    ok = X509_REQ_add_extensions(g->req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    check(L, ok, "cannot add the extensions");
  }
  ERR_clear_error();
  check(L, X509_REQ_sign(g->req, key->pkey, md) > 0, "cannot sign the request");
  return push_pem(L, g, PEM_write_bio_X509_REQ(pem_out(L, g), g->req));
}

static int l_crl(lua_State *L) {
  guard *g;
  luatls_key *signer = begin(L, &g, "signingKey");
  size_t len;
  const char *s = opt_string(L, 1, "issuer", &len);
  if (s == NULL)
    return bad_value(L, "issuer", NULL, "is needed");
  read_cert(L, g, s, len);
  check_issuer_key(L, g, signer->pkey);
  const EVP_MD *md = sign_md(L, g, 1, signer->pkey);

  g->crl = X509_CRL_new();
  check(L,
        g->crl && X509_CRL_set_version(g->crl, X509_CRL_VERSION_2) &&
            X509_CRL_set_issuer_name(g->crl, X509_get_subject_name(g->issuer)),
        "cannot make a CRL");
  check(L,
        X509_CRL_set1_lastUpdate(
            g->crl, opt_time(L, g, 1, "lastUpdate", "lastUpdate")) &&
            X509_CRL_set1_nextUpdate(
                g->crl, opt_time(L, g, 1, "nextUpdate", "nextUpdate")),
        "cannot set the CRL's times");

  lua_Integer n = opt_list(L, 1, "revoked");
  int list = lua_gettop(L);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, list, i);
    int entry = lua_gettop(L);
    X509_REVOKED *r = X509_REVOKED_new();
    if (r == NULL || !X509_CRL_add0_revoked(g->crl, r)) {
      X509_REVOKED_free(r);
      check(L, 0, "cannot add a revoked certificate");
    }
    check(L,
          X509_REVOKED_set_serialNumber(
              r, serial(L, g, opt_string(L, entry, "serial", NULL),
                        "revoked.serialNumber")),
          "cannot set a revoked serial number");
    check(L,
          X509_REVOKED_set_revocationDate(
              r, opt_time(L, g, entry, "date", "revoked.date")),
          "cannot set a revocation date");
    lua_Integer reason = opt_integer(L, entry, "reason", -1);
    if (reason >= 0) {
      ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
      int ok = e && ASN1_ENUMERATED_set(e, (long)reason) &&
               X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) == 1;
      ASN1_ENUMERATED_free(e);
      check(L, ok, "cannot set a revocation reason");
    }
    lua_pop(L, 1);
  }
  if (n > 0)
    lua_pop(L, 1);
  check(L, X509_CRL_sort(g->crl), "cannot sort the CRL");

  authority_key_id(L, g);
  s = opt_string(L, 1, "crlNumber", NULL);
  if (s) {
    g->ext = serial(L, g, s, "crlNumber");
    g->serial = NULL;
    g->ext_it = ASN1_ITEM_rptr(ASN1_INTEGER);
    add_ext(L, g, NID_crl_number, 0, NULL);
  }
  ERR_clear_error();
  check(L, X509_CRL_sign(g->crl, signer->pkey, md) > 0, "cannot sign the CRL");
  return push_pem(L, g, PEM_write_bio_X509_CRL(pem_out(L, g), g->crl));
}

void luatls_open_mkcert(lua_State *L) {
  luatls_new_metatable(L, GUARD_T, NULL, guard_gc, NULL, NULL);
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {{"mkcert_cert", l_cert},
                                       {"mkcert_csr", l_csr},
                                       {"mkcert_crl", l_crl},
                                       {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
