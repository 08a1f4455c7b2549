/*
 * tls/context.c - SecureContext: an SSL_CTX and the primitives that load
 * credentials into it (certificates and chains, keys with passphrases, PFX,
 * CAs, CRLs, DH parameters, a key by URI through OSSL_STORE) and set its
 * policy (protocol range, ciphers, groups, options).
 * lua/luatls/internal/tls/secure_context.lua turns
 * Node's createSecureContext options into calls of these methods.
 *
 * Every failure raises an error object whose message says what is wrong in
 * words ("the pfx needs a passphrase"), followed by OpenSSL's own error
 * line; a key that does not match its certificate raises OpenSSL's error as
 * it is, as Node does.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include "tls.h"

#define CTX_T "luatls.secure_context"

/* the lowest protocol version a context accepts unless told otherwise (the
 * Lua side passes tls.DEFAULT_MIN_VERSION, "TLSv1.2", to
 * set_protocol_range) */
#define DEFAULT_MIN_VERSION TLS1_2_VERSION

/* the features (core.c's list): each installs its callbacks on every
 * context */
static const luatls_tls_feature *const *features;

luatls_context *luatls_check_context(lua_State *L, int idx) {
  luatls_context *c = luaL_checkudata(L, idx, CTX_T);
  if (c->ctx == NULL)
    luaL_error(L, "secure context is freed");
  return c;
}

static BIO *mem_bio(lua_State *L, int idx) {
  size_t len;
  const char *s = luaL_checklstring(L, idx, &len);
  BIO *b = BIO_new_mem_buf(s, (int)len);
  if (b == NULL)
    luaL_error(L, "out of memory");
  return b;
}

/* core.secure_context_new([is_server]) */
static int l_new(lua_State *L) {
  luatls_context *c = lua_newuserdatauv(L, sizeof *c, 1);
  c->ctx = NULL;
  c->has_cert = 0;
  luaL_setmetatable(L, CTX_T);
  ERR_clear_error();
  c->ctx = SSL_CTX_new(TLS_method());
  if (c->ctx == NULL)
    return luatls_raise_openssl(L, NULL, "cannot make an SSL context");
  SSL_CTX_set_app_data(c->ctx, c);
  /* secure defaults: TLS 1.2 and up, no compression, small idle
   * connections. Renegotiation (TLS 1.2) is allowed as in Node: a client's
   * is counted against tls.CLIENT_RENEG_LIMIT (tls/reneg.c, and
   * TLSSocket:_onPeerRenegotiation in lua/luatls/internal/tls/socket.lua). */
  SSL_CTX_set_min_proto_version(c->ctx, DEFAULT_MIN_VERSION);
  SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION |
                                  SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
  for (unsigned i = 0; features[i]; i++)
    if (features[i]->install)
      features[i]->install(c);
  return 1;
}

static int l_gc(lua_State *L) {
  luatls_context *c = luaL_checkudata(L, 1, CTX_T);
  if (c->ctx) {
    SSL_CTX_free(c->ctx);
    c->ctx = NULL;
  }
  return 0;
}

/* ---- protocol versions --------------------------------------------------- */

static int version_of(lua_State *L, int idx) {
  static const char *const names[] = {"TLSv1",   "TLSv1.1", "TLSv1.2",
                                      "TLSv1.3", "SSLv3",   NULL};
  static const int values[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION,
                               TLS1_3_VERSION, SSL3_VERSION};
  if (lua_isnoneornil(L, idx))
    return 0;
  return values[luaL_checkoption(L, idx, NULL, names)];
}

/* set_protocol_range(min, max): "TLSv1".."TLSv1.3"; nil leaves it open */
static int l_set_protocol_range(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  int min = version_of(L, 2), max = version_of(L, 3);
  if (min < DEFAULT_MIN_VERSION && min != 0) {
    /* OpenSSL's default security level refuses TLS 1.0/1.1 signatures */
    SSL_CTX_set_security_level(c->ctx, 0);
  }
  if (!SSL_CTX_set_min_proto_version(c->ctx, min) ||
      !SSL_CTX_set_max_proto_version(c->ctx, max))
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_PROTOCOL_VERSION",
                                "invalid protocol version range");
  return 0;
}

/* ---- certificates and keys ----------------------------------------------- */

/* add_cert(pem): the first certificate is a leaf, the ones after it its
 * chain (intermediates). One call per key type (RSA and ECDSA side by
 * side). */
static int l_add_cert(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  BIO *b = mem_bio(L, 2);
  ERR_clear_error();
  X509 *leaf = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
  if (leaf == NULL) {
    BIO_free(b);
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_CERT",
                                "the certificate is not a PEM certificate");
  }
  if (SSL_CTX_use_certificate(c->ctx, leaf) != 1) {
    X509_free(leaf);
    BIO_free(b);
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_CERT",
                                "cannot use the certificate");
  }
  X509_free(leaf);
  SSL_CTX_clear_chain_certs(c->ctx);
  X509 *ca;
  while ((ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(c->ctx, ca) != 1) {
      X509_free(ca);
      BIO_free(b);
      return luatls_raise_openssl(L, "ERR_TLS_INVALID_CERT",
                                  "cannot add a chain certificate");
    }
  }
  BIO_free(b);
  ERR_clear_error(); /* the loop ends on "no start line" */
  c->has_cert = 1;
  return 0;
}

typedef struct {
  const char *pw;
  size_t len;
  int asked;
} passphrase;

/* Never prompt on a terminal: the passphrase given, or none. */
static int pw_cb(char *buf, int size, int rwflag, void *u) {
  (void)rwflag;
  passphrase *p = u;
  p->asked = 1;
  if (p->pw == NULL)
    return -1;
  int n = (int)p->len < size ? (int)p->len : size;
  memcpy(buf, p->pw, (size_t)n);
  return n;
}

static EVP_PKEY *read_key(lua_State *L, int idx, int pwidx) {
  /* no passphrase is an empty one, as in Node's SecureContext::SetKey (an
   * encrypted key then fails with OpenSSL's "bad decrypt") */
  int given = !lua_isnoneornil(L, pwidx);
  passphrase pw = {"", 0, 0};
  if (given)
    pw.pw = luaL_checklstring(L, pwidx, &pw.len);
  BIO *b = mem_bio(L, idx);
  ERR_clear_error();
  EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, pw_cb, &pw);
  BIO_free(b);
  if (key == NULL) {
    if (pw.asked && !given)
      luatls_raise_openssl(L, "ERR_TLS_KEY_PASSPHRASE",
                           "the private key is encrypted and no passphrase "
                           "was given");
    else if (pw.asked)
      luatls_raise_openssl(L, "ERR_TLS_KEY_PASSPHRASE",
                           "wrong passphrase for the private key");
    else
      luatls_raise_openssl(L, "ERR_TLS_INVALID_KEY",
                           "the private key is not a PEM private key");
  }
  return key;
}

/* the key (freed here) for the certificate of its type */
static int use_key(lua_State *L, luatls_context *c, EVP_PKEY *key) {
  ERR_clear_error();
  int ok = SSL_CTX_use_PrivateKey(c->ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1) {
    /* as Node: OpenSSL's error as it is ("error:05800074:x509 certificate
     * routines::key values mismatch", ERR_OSSL_X509_KEY_VALUES_MISMATCH) */
    if (ERR_peek_error() != 0)
      return luatls_raise_openssl(L, NULL, NULL);
    return luatls_raise_openssl(L, "ERR_TLS_KEY_MISMATCH",
                                "the private key does not match the "
                                "certificate");
  }
  return 0;
}

/* add_key(pem[, passphrase]): the key for the certificate of its type */
static int l_add_key(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  return use_key(L, c, read_key(L, 2, 3));
}

/* load_key_uri(uri[, passphrase]): the private key at a URI, through
 * OSSL_STORE ("file:/path/key.pem", a path, or any scheme the system's
 * providers handle, e.g. pkcs11: with a PKCS#11 provider): Node's
 * privateKeyIdentifier, without an engine */
static int l_load_key_uri(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  const char *uri = luaL_checkstring(L, 2);
  passphrase pw = {NULL, 0, 0};
  if (!lua_isnoneornil(L, 3))
    pw.pw = luaL_checklstring(L, 3, &pw.len);
  ERR_clear_error();
  UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(pw_cb, 0);
  OSSL_STORE_CTX *store = ui ? OSSL_STORE_open(uri, ui, &pw, NULL, NULL) : NULL;
  EVP_PKEY *key = NULL;
  if (store != NULL) {
    OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
    while (key == NULL && !OSSL_STORE_eof(store)) {
      OSSL_STORE_INFO *info = OSSL_STORE_load(store);
      if (info == NULL)
        break;
      if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
        key = OSSL_STORE_INFO_get1_PKEY(info);
      OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(store);
  }
  UI_destroy_method(ui);
  if (key == NULL) {
    lua_pushfstring(L, "cannot load a private key from %s", uri);
    return luatls_raise_openssl(
        L, pw.asked ? "ERR_TLS_KEY_PASSPHRASE" : "ERR_TLS_INVALID_KEY",
        lua_tostring(L, -1));
  }
  return use_key(L, c, key);
}

/* check_key(): the last key loaded matches its certificate */
static int l_check_key(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  ERR_clear_error();
  if (SSL_CTX_check_private_key(c->ctx) != 1)
    return luatls_raise_openssl(L, "ERR_TLS_KEY_MISMATCH",
                                "the private key does not match the "
                                "certificate");
  return 0;
}

/* load_pfx(der[, passphrase]): certificate, key and chain from PKCS#12 */
static int l_load_pfx(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  const char *pw = luaL_optstring(L, 3, NULL);
  BIO *b = mem_bio(L, 2);
  ERR_clear_error();
  PKCS12 *p12 = d2i_PKCS12_bio(b, NULL);
  BIO_free(b);
  if (p12 == NULL)
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_PFX",
                                "the pfx is not PKCS#12 data");
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  STACK_OF(X509) *ca = NULL;
  int ok = PKCS12_parse(p12, pw ? pw : "", &key, &cert, &ca);
  if (!ok && pw == NULL)
    ok = PKCS12_parse(p12, NULL, &key, &cert, &ca);
  PKCS12_free(p12);
  if (!ok)
    return luatls_raise_openssl(L, "ERR_TLS_PFX_PASSPHRASE",
                                pw ? "wrong passphrase for the pfx"
                                   : "the pfx needs a passphrase");
  const char *problem = NULL;
  const char *code = "ERR_TLS_INVALID_PFX";
  /* as Node: the key is looked for first, with its code and words */
  if (key == NULL || cert == NULL) {
    code = "ERR_CRYPTO_OPERATION_FAILED";
    problem = key == NULL ? "Unable to load private key from PFX data"
                          : "Unable to load certificate from PFX data";
  } else if (SSL_CTX_use_certificate(c->ctx, cert) != 1)
    problem = "cannot use the pfx certificate";
  else if (SSL_CTX_use_PrivateKey(c->ctx, key) != 1)
    problem = "the pfx key does not match its certificate";
  if (problem == NULL) {
    SSL_CTX_clear_chain_certs(c->ctx);
    for (int i = 0; ca && i < sk_X509_num(ca); i++) {
      X509 *x = sk_X509_value(ca, i);
      SSL_CTX_add1_chain_cert(c->ctx, x);
      /* as Node: the pfx's CA certificates are trusted too */
      X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), x);
    }
    c->has_cert = 1;
  }
  EVP_PKEY_free(key);
  X509_free(cert);
  sk_X509_pop_free(ca, X509_free);
  if (problem)
    return luatls_raise_openssl(L, code, problem);
  return 0;
}

/* add_ca(pem): every certificate in the PEM string becomes trusted */
static int l_add_ca(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  BIO *b = mem_bio(L, 2);
  X509_STORE *store = SSL_CTX_get_cert_store(c->ctx);
  ERR_clear_error();
  int n = 0;
  X509 *x;
  /* _AUX: "TRUSTED CERTIFICATE" blocks too, as Node reads a ca */
  while ((x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_cert(store, x);
    /* a server asks clients for certificates of these CAs */
    SSL_CTX_add_client_CA(c->ctx, x);
    X509_free(x);
    n++;
  }
  BIO_free(b);
  if (n == 0)
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_CA",
                                "the ca is not a PEM certificate");
  ERR_clear_error();
  lua_pushinteger(L, n);
  return 1;
}

/* use_system_ca(): trust the system's CA store */
static int l_use_system_ca(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  ERR_clear_error();
  SSL_CTX_set_default_verify_paths(c->ctx);
  ERR_clear_error();
  return 0;
}

/* set_partial_chain(): a certificate the context trusts is an anchor even
 * when it is not a root (X509_V_FLAG_PARTIAL_CHAIN: allowPartialTrustChain) */
static int l_set_partial_chain(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  X509_STORE_set_flags(SSL_CTX_get_cert_store(c->ctx),
                       X509_V_FLAG_PARTIAL_CHAIN);
  return 0;
}

/* add_crl(pem): certificate revocation lists, checked for the whole chain */
static int l_add_crl(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  BIO *b = mem_bio(L, 2);
  X509_STORE *store = SSL_CTX_get_cert_store(c->ctx);
  ERR_clear_error();
  int n = 0;
  X509_CRL *crl;
  while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    n++;
  }
  BIO_free(b);
  if (n == 0)
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_CRL",
                                "the crl is not a PEM CRL");
  ERR_clear_error();
  X509_STORE_set_flags(store,
                       X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return 0;
}

/* ---- policy -------------------------------------------------------------- */

/* set_ciphers(tls12_list, tls13_suites): either may be nil; both empty
 * raises "no cipher match" */
static int l_set_ciphers(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  const char *list = luaL_optstring(L, 2, NULL);
  const char *suites = luaL_optstring(L, 3, NULL);
  ERR_clear_error();
  if (list && SSL_CTX_set_cipher_list(c->ctx, list) != 1) {
    if (suites == NULL || *suites == '\0')
      return luatls_raise_openssl(L, "ERR_SSL_NO_CIPHER_MATCH",
                                  "no cipher match");
    /* only TLS 1.3 suites were named: no TLS 1.2 cipher then */
    ERR_clear_error();
    SSL_CTX_set_max_proto_version(c->ctx, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION);
  }
  if (suites && SSL_CTX_set_ciphersuites(c->ctx, suites) != 1)
    return luatls_raise_openssl(L, "ERR_SSL_NO_CIPHER_MATCH",
                                "no cipher match");
  return 0;
}

/* set_groups("P-256:X25519"): ECDH curves / key exchange groups */
static int l_set_groups(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  const char *groups = luaL_checkstring(L, 2);
  ERR_clear_error();
  if (SSL_CTX_set1_groups_list(c->ctx, groups) != 1) {
    /* Node's code and message, then the curve list */
    lua_pushfstring(L, "Failed to set ECDH curve (unknown curve: %s)", groups);
    return luatls_raise_openssl(L, "ERR_CRYPTO_OPERATION_FAILED",
                                lua_tostring(L, -1));
  }
  return 0;
}

/* set_dhparam(pem | "auto") -> bits (nothing for "auto", or for what is
 * not DH parameters: dropped, as Node does) */
static int l_set_dhparam(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  const char *s = luaL_checkstring(L, 2);
  if (strcmp(s, "auto") == 0) {
    SSL_CTX_set_dh_auto(c->ctx, 1);
    return 0;
  }
  BIO *b = mem_bio(L, 2);
  ERR_clear_error();
  EVP_PKEY *dh = PEM_read_bio_Parameters(b, NULL);
  BIO_free(b);
  if (dh == NULL || EVP_PKEY_get_base_id(dh) != EVP_PKEY_DH) {
    /* as Node: what is not DH parameters is dropped (no DHE), no error */
    EVP_PKEY_free(dh);
    ERR_clear_error();
    return 0;
  }
  int bits = EVP_PKEY_get_bits(dh);
  if (bits < 1024) {
    EVP_PKEY_free(dh);
    lua_pushfstring(L, "DH parameter is less than 1024 bits (%d)", bits);
    return luatls_raise_openssl(L, "ERR_TLS_DH_PARAM_SIZE",
                                lua_tostring(L, -1));
  }
  if (SSL_CTX_set0_tmp_dh_pkey(c->ctx, dh) != 1) {
    EVP_PKEY_free(dh);
    return luatls_raise_openssl(L, "ERR_CRYPTO_OPERATION_FAILED",
                                "Error setting temp DH parameter");
  }
  lua_pushinteger(L, bits);
  return 1;
}

/* set_options(n) / clear_options(n) -> the options now set */
static int l_set_options(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  uint64_t o = (uint64_t)luaL_checkinteger(L, 2);
  lua_pushinteger(L, (lua_Integer)SSL_CTX_set_options(c->ctx, o));
  return 1;
}

static int l_clear_options(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  uint64_t o = (uint64_t)luaL_checkinteger(L, 2);
  lua_pushinteger(L, (lua_Integer)SSL_CTX_clear_options(c->ctx, o));
  return 1;
}

static int l_set_session_id_context(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  if (len > SSL_MAX_SID_CTX_LENGTH)
    len = SSL_MAX_SID_CTX_LENGTH;
  SSL_CTX_set_session_id_context(c->ctx, (const unsigned char *)s,
                                 (unsigned)len);
  return 0;
}

/* set_timeout(seconds) -> the previous value: how long sessions made by
 * this context stay resumable (sessionTimeout) */
static int l_set_timeout(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  lua_Integer t = luaL_checkinteger(L, 2);
  luaL_argcheck(L, t >= 0, 2, "must not be negative");
  lua_pushinteger(L, (lua_Integer)SSL_CTX_set_timeout(c->ctx, (long)t));
  return 1;
}

static int l_get_timeout(lua_State *L) {
  lua_pushinteger(
      L, (lua_Integer)SSL_CTX_get_timeout(luatls_check_context(L, 1)->ctx));
  return 1;
}

static int l_set_sigalgs(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  const char *s = luaL_checkstring(L, 2);
  ERR_clear_error();
  if (SSL_CTX_set1_sigalgs_list(c->ctx, s) != 1)
    return luatls_raise_openssl(L, "ERR_TLS_INVALID_SIGALGS",
                                "invalid signature algorithms");
  return 0;
}

static int l_has_cert(lua_State *L) {
  lua_pushboolean(L, luatls_check_context(L, 1)->has_cert);
  return 1;
}

/* ciphers() -> list of the cipher names this context offers */
static int l_ciphers(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  SSL *ssl = SSL_new(c->ctx);
  if (ssl == NULL)
    return luatls_raise_openssl(L, NULL, "cannot make an SSL");
  STACK_OF(SSL_CIPHER) *sk = SSL_get1_supported_ciphers(ssl);
  lua_newtable(L);
  for (int i = 0; sk && i < sk_SSL_CIPHER_num(sk); i++) {
    lua_pushstring(L, SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)));
    lua_rawseti(L, -2, i + 1);
  }
  sk_SSL_CIPHER_free(sk);
  SSL_free(ssl);
  return 1;
}

/* default_cert_file() -> the system CA bundle's path, its directory */
static int l_default_cert_file(lua_State *L) {
  const char *env = getenv(X509_get_default_cert_file_env());
  lua_pushstring(L, env ? env : X509_get_default_cert_file());
  const char *dir = getenv(X509_get_default_cert_dir_env());
  lua_pushstring(L, dir ? dir : X509_get_default_cert_dir());
  return 2;
}

void luatls_open_tls_context(lua_State *L,
                             const luatls_tls_feature *const *list) {
  features = list;
  static const luaL_Reg methods[] = {
      {"set_protocol_range", l_set_protocol_range},
      {"add_cert", l_add_cert},
      {"add_key", l_add_key},
      {"check_key", l_check_key},
      {"load_key_uri", l_load_key_uri},
      {"load_pfx", l_load_pfx},
      {"add_ca", l_add_ca},
      {"use_system_ca", l_use_system_ca},
      {"set_partial_chain", l_set_partial_chain},
      {"add_crl", l_add_crl},
      {"set_ciphers", l_set_ciphers},
      {"set_groups", l_set_groups},
      {"set_dhparam", l_set_dhparam},
      {"set_options", l_set_options},
      {"clear_options", l_clear_options},
      {"set_session_id_context", l_set_session_id_context},
      {"set_sigalgs", l_set_sigalgs},
      {"set_timeout", l_set_timeout},
      {"get_timeout", l_get_timeout},
      {"has_cert", l_has_cert},
      {"ciphers", l_ciphers},
      {NULL, NULL},
  };
  luatls_new_metatable(L, CTX_T, methods, l_gc, NULL, NULL);
  for (unsigned i = 0; features[i]; i++)
    if (features[i]->context_methods)
      luaL_setfuncs(L, features[i]->context_methods, 0);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "secure_context_new");
  lua_pushcfunction(L, l_default_cert_file);
  lua_setfield(L, -2, "default_cert_file");

  /* the SSL_OP_* constants for secureOptions */
  static const struct {
    const char *name;
    uint64_t value;
  } ops[] = {
      {"SSL_OP_ALL", SSL_OP_ALL},
      {"SSL_OP_NO_SSLv2", SSL_OP_NO_SSLv2},
      {"SSL_OP_NO_SSLv3", SSL_OP_NO_SSLv3},
      {"SSL_OP_NO_TLSv1", SSL_OP_NO_TLSv1},
      {"SSL_OP_NO_TLSv1_1", SSL_OP_NO_TLSv1_1},
      {"SSL_OP_NO_TLSv1_2", SSL_OP_NO_TLSv1_2},
      {"SSL_OP_NO_TLSv1_3", SSL_OP_NO_TLSv1_3},
      {"SSL_OP_NO_TICKET", SSL_OP_NO_TICKET},
      {"SSL_OP_NO_COMPRESSION", SSL_OP_NO_COMPRESSION},
      {"SSL_OP_NO_RENEGOTIATION", SSL_OP_NO_RENEGOTIATION},
      {"SSL_OP_CIPHER_SERVER_PREFERENCE", SSL_OP_CIPHER_SERVER_PREFERENCE},
      {"SSL_OP_PRIORITIZE_CHACHA", SSL_OP_PRIORITIZE_CHACHA},
      {"SSL_OP_NO_QUERY_MTU", SSL_OP_NO_QUERY_MTU},
      {"SSL_OP_SINGLE_DH_USE", SSL_OP_SINGLE_DH_USE},
      {"SSL_OP_SINGLE_ECDH_USE", SSL_OP_SINGLE_ECDH_USE},
      {"SSL_OP_LEGACY_SERVER_CONNECT", SSL_OP_LEGACY_SERVER_CONNECT},
      {"SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION",
       SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION},
      {"SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION",
       SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION},
      {"SSL_OP_TLS_ROLLBACK_BUG", SSL_OP_TLS_ROLLBACK_BUG},
      {"SSL_OP_ENABLE_MIDDLEBOX_COMPAT", SSL_OP_ENABLE_MIDDLEBOX_COMPAT},
      {"SSL_OP_NO_ENCRYPT_THEN_MAC", SSL_OP_NO_ENCRYPT_THEN_MAC},
      {"SSL_OP_ALLOW_NO_DHE_KEX", SSL_OP_ALLOW_NO_DHE_KEX},
      {NULL, 0},
  };
  lua_newtable(L);
  for (int i = 0; ops[i].name; i++) {
    lua_pushinteger(L, (lua_Integer)ops[i].value);
    lua_setfield(L, -2, ops[i].name);
  }
  lua_setfield(L, -2, "ssl_constants");
}
