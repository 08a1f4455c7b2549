/*
 * tls/ca.c - lists of CA certificates for the default trust store: parsed
 * once (from PEM strings or a file), kept as X509 objects without
 * duplicates, handed to each SecureContext made without `ca`
 * (ctx:add_ca_list, an up-reference per certificate, no parsing again) and
 * printed back as PEM for tls.getCACertificates.
 * lua/luatls/internal/tls/ca_store.lua decides which lists a context trusts
 * (--use-bundled-ca, --use-openssl-ca, LUATLS_EXTRA_CA_CERTS,
 * tls.setDefaultCACertificates); nothing else calls these.
 *
 *   core.ca_list([pems])        -> list: every certificate in the strings
 *   core.ca_list_file(path[, list]) -> list | nil, OpenSSL's error line
 *   list:pems() -> { pem, ... }   #list
 *   ctx:add_ca_list(list)       (a luatls.secure_context method)
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls.h"

#define CA_LIST_T "luatls.ca_list"

typedef struct {
  STACK_OF(X509) * certs;
} ca_list;

static ca_list *check_list(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, CA_LIST_T);
}

static ca_list *new_list(lua_State *L) {
  ca_list *l = lua_newuserdatauv(L, sizeof *l, 0);
  l->certs = NULL;
  luaL_setmetatable(L, CA_LIST_T);
  l->certs = sk_X509_new_null();
  if (l->certs == NULL)
    luaL_error(L, "out of memory");
  return l;
}

static int l_gc(lua_State *L) {
  ca_list *l = check_list(L, 1);
  if (l->certs) {
    sk_X509_pop_free(l->certs, X509_free);
    l->certs = NULL;
  }
  return 0;
}

/* add x (taken) unless the list holds it already; 0 when out of memory */
static int add_unique(ca_list *l, X509 *x) {
  for (int i = 0; i < sk_X509_num(l->certs); i++) {
    if (X509_cmp(sk_X509_value(l->certs, i), x) == 0) {
      X509_free(x);
      return 1;
    }
  }
  if (sk_X509_push(l->certs, x) <= 0) {
    X509_free(x);
    return 0;
  }
  return 1;
}

/* Read every certificate of b into l. -> 1, or 0 with OpenSSL's error
 * queued (a PEM block that is not a certificate). Text that holds no PEM
 * block at all is not an error: nothing is added. */
static int read_bio(ca_list *l, BIO *b) {
  X509 *x;
  while ((x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL)) != NULL) {
    if (!add_unique(l, x))
      return 0;
  }
  unsigned long e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
      ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
    return 1;
  }
  return e == 0;
}

/* Raise the last error OpenSSL queued, as Node does for a PEM block that
 * does not parse (the outermost: ERR_OSSL_PEM_ASN1_LIB) */
static int raise_last(lua_State *L) {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  char code[160], line[256];
  luatls_openssl_code(e, code, sizeof code);
  ERR_error_string_n(e, line, sizeof line);
  return luatls_raise_error(L, "Error", code, line);
}

/* core.ca_list([pems]): pems a list of PEM strings (each may hold several
 * certificates). Raises OpenSSL's error for a block that does not parse,
 * and ERR_CRYPTO_OPERATION_FAILED when strings were given but none held a
 * certificate (Node's errors of tls.setDefaultCACertificates). */
static int l_ca_list(lua_State *L) {
  int n = 0;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    n = (int)luaL_len(L, 1);
  }
  ca_list *l = new_list(L);
  for (int i = 1; i <= n; i++) {
    lua_geti(L, 1, i);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (s == NULL)
      return luaL_error(L, "ca_list: entry %d is not a string", i);
    BIO *b = BIO_new_mem_buf(s, (int)len);
    if (b == NULL)
      return luaL_error(L, "out of memory");
    ERR_clear_error();
    int ok = read_bio(l, b);
    BIO_free(b);
    if (!ok)
      return raise_last(L);
    lua_pop(L, 1);
  }
  if (n > 0 && sk_X509_num(l->certs) == 0)
    return luatls_raise_error(
        L, "Error", "ERR_CRYPTO_OPERATION_FAILED",
        "No valid certificates found in the provided array");
  return 1;
}

/* core.ca_list_file(path[, list]) -> the list (list itself when given, the
 * file's certificates added), or nil and OpenSSL's error line ("error:
 * 80000002:system library::No such file or directory") */
static int l_ca_list_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (lua_isnoneornil(L, 2))
    new_list(L);
  else
    lua_pushvalue(L, 2);
  ca_list *l = check_list(L, -1);
  ERR_clear_error();
  BIO *b = BIO_new_file(path, "r");
  int ok = b != NULL && read_bio(l, b);
  BIO_free(b);
  if (ok)
    return 1;
  char line[256];
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0)
    strcpy(line, "cannot read the file");
  else
    ERR_error_string_n(e, line, sizeof line);
  lua_pushnil(L);
  lua_pushstring(L, line);
  return 2;
}

/* list:pems() -> { pem, ... } */
static int l_pems(lua_State *L) {
  ca_list *l = check_list(L, 1);
  int n = sk_X509_num(l->certs);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL || !PEM_write_bio_X509(b, sk_X509_value(l->certs, i))) {
      BIO_free(b);
      return luatls_raise_openssl(L, NULL, "cannot print a certificate");
    }
    char *p;
    long len = BIO_get_mem_data(b, &p);
    lua_pushlstring(L, p, (size_t)len);
    BIO_free(b);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int l_len(lua_State *L) {
  lua_pushinteger(L, sk_X509_num(check_list(L, 1)->certs));
  return 1;
}

/* ctx:add_ca_list(list): the context trusts the list's certificates */
static int l_add_ca_list(lua_State *L) {
  luatls_context *c = luatls_check_context(L, 1);
  ca_list *l = check_list(L, 2);
  X509_STORE *store = SSL_CTX_get_cert_store(c->ctx);
  for (int i = 0; i < sk_X509_num(l->certs); i++)
    X509_STORE_add_cert(store, sk_X509_value(l->certs, i));
  ERR_clear_error(); /* a certificate the store held already */
  return 0;
}

void luatls_open_tls_ca(lua_State *L) {
  static const luaL_Reg methods[] = {{"pems", l_pems}, {NULL, NULL}};
  luatls_new_metatable(L, CA_LIST_T, methods, l_gc, NULL, NULL);
  lua_pushcfunction(L, l_len);
  lua_setfield(L, -2, "__len");
  lua_pop(L, 1);
  static const luaL_Reg context_methods[] = {{"add_ca_list", l_add_ca_list},
                                             {NULL, NULL}};
  luaL_getmetatable(L, "luatls.secure_context");
  luaL_setfuncs(L, context_methods, 0);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_ca_list);
  lua_setfield(L, -2, "ca_list");
  lua_pushcfunction(L, l_ca_list_file);
  lua_setfield(L, -2, "ca_list_file");
}
