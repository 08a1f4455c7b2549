/*
 * tls/ocsp.c - OCSP stapling.
 *
 * Server: when a client sends the status_request extension and the server
 * has 'OCSPRequest' listeners, the last stage of the ClientHello callback
 * (after SNI, so the certificate is the one that will be served) gives Lua the
 * certificate and its issuer as DER ("ocsp" event); the handshake waits until
 * ocsp_done() brings the response (or nil: nothing stapled, or an error: the
 * handshake ends). The status callback then staples what was answered. Client:
 * with requestOCSP the client asks for a status, and the status callback hands
 * whatever the server stapled (or nil) to Lua
 * ("ocspresponse"), before the handshake completes.
 * Also two helpers for fetching a response: ocsp_request(cert, issuer) ->
 * a DER OCSP request, and ocsp_info(response) -> its status and times.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

static int push_der(lua_State *L, X509 *x) {
  unsigned char *der = NULL;
  int n = i2d_X509(x, &der);
  if (n <= 0)
    return 0;
  lua_pushlstring(L, (const char *)der, (size_t)n);
  OPENSSL_free(der);
  return 1;
}

/* The issuer of cert: among the chain of the context in use, else its
 * trusted store. */
static X509 *find_issuer(SSL *ssl, X509 *cert) {
  SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
  STACK_OF(X509) *chain = NULL;
  SSL_get0_chain_certs(ssl, &chain);
  if (chain == NULL)
    SSL_CTX_get0_chain_certs(ctx, &chain);
  for (int i = 0; chain && i < sk_X509_num(chain); i++)
    if (X509_check_issued(sk_X509_value(chain, i), cert) == X509_V_OK)
      return sk_X509_value(chain, i);
  STACK_OF(X509_OBJECT) *objs =
      X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
  for (int i = 0; objs && i < sk_X509_OBJECT_num(objs); i++) {
    X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
    if (x && X509_check_issued(x, cert) == X509_V_OK)
      return x;
  }
  return NULL;
}

/* the ClientHello's last stage: ask Lua for the response to staple */
static int ocsp_hello(lua_State *L, tls_conn *c, SSL *ssl, int *al) {
  (void)al;
  if (c->ocsp.state == HOOK_ANSWERED)
    return SSL_CLIENT_HELLO_SUCCESS;
  if (c->ocsp.state == HOOK_WAITING)
    return SSL_CLIENT_HELLO_RETRY;
  c->ocsp.state = HOOK_ANSWERED;
  const unsigned char *p;
  size_t len;
  /* only when the client asked (status_request, type 5) */
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_status_request, &p, &len))
    return SSL_CLIENT_HELLO_SUCCESS;
  X509 *cert = SSL_get_certificate(ssl);
  if (cert == NULL || !luatls_tls_push_event(L, c, "ocsp"))
    return SSL_CLIENT_HELLO_SUCCESS;
  if (!push_der(L, cert)) {
    lua_pop(L, 1 + c->owner);
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  X509 *issuer = find_issuer(ssl, cert);
  if (issuer == NULL || !push_der(L, issuer))
    lua_pushnil(L);
  c->ocsp.state = HOOK_WAITING;
  luatls_call(L, 2 + c->owner);
  return c->ocsp.state == HOOK_WAITING ? SSL_CLIENT_HELLO_RETRY
                                       : SSL_CLIENT_HELLO_SUCCESS;
}

static int status_cb(SSL *ssl, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || L == NULL || luatls_tls_gone(c))
    return c && c->is_server ? SSL_TLSEXT_ERR_NOACK : 1;
  if (c->is_server) {
    if (c->ocsp.resp == NULL)
      return SSL_TLSEXT_ERR_NOACK;
    unsigned char *copy = OPENSSL_malloc(c->ocsp.len);
    if (copy == NULL)
      return SSL_TLSEXT_ERR_NOACK;
    memcpy(copy, c->ocsp.resp, c->ocsp.len);
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)c->ocsp.len);
    return SSL_TLSEXT_ERR_OK;
  }
  /* the client: what the server stapled, or nil */
  if (c->ocsp.event && luatls_tls_push_event(L, c, "ocspresponse")) {
    const unsigned char *p = NULL;
    long n = SSL_get_tlsext_status_ocsp_resp(ssl, &p);
    if (p && n > 0)
      lua_pushlstring(L, (const char *)p, (size_t)n);
    else
      lua_pushnil(L);
    luatls_call(L, 1 + c->owner);
  }
  return 1; /* the verdict on the response is the script's */
}

/* set_ocsp_hook(on): a server connection asks Lua for responses */
static int l_set_ocsp_hook(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->ocsp.hook = lua_toboolean(L, 2);
  luatls_tls_want_hello(c, &luatls_tls_ocsp_feature, c->ocsp.hook);
  return 0;
}

/* request_ocsp(): a client asks the server for a stapled status */
static int l_request_ocsp(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->ocsp.event = 1;
  SSL_set_tlsext_status_type(c->ssl, TLSEXT_STATUSTYPE_ocsp);
  return 0;
}

/* ocsp_done(response | nil[, err]): the answer to "ocsp" */
static int l_ocsp_done(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  enum tls_answer a = luatls_tls_answer(L, c, &c->ocsp.state);
  if (a == TLS_ANSWER_LATE)
    return 1;
  if (a == TLS_ANSWER_VALUE && lua_type(L, 2) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, 2, &n);
    free(c->ocsp.resp);
    c->ocsp.resp = malloc(n);
    if (c->ocsp.resp == NULL)
      return luaL_error(L, "out of memory");
    memcpy(c->ocsp.resp, s, n);
    c->ocsp.len = n;
  }
  luatls_tls_answered(L, c, &c->ocsp.state);
  return 1;
}

static void ocsp_free(lua_State *L, tls_conn *c) {
  (void)L;
  free(c->ocsp.resp);
  c->ocsp.resp = NULL;
  c->ocsp.len = 0;
}

/* ---- helpers for fetching responses -------------------------------------- */

static X509 *der_cert(lua_State *L, int idx) {
  size_t n;
  const unsigned char *p = (const unsigned char *)luaL_checklstring(L, idx, &n);
  X509 *x = d2i_X509(NULL, &p, (long)n);
  if (x == NULL)
    luatls_raise_openssl(L, "ERR_OSSL_X509", "not a DER certificate");
  return x;
}

/* ocsp_request(cert_der, issuer_der) -> a DER OCSP request for the cert */
static int l_ocsp_request(lua_State *L) {
  X509 *cert = der_cert(L, 1);
  X509 *issuer = NULL;
  OCSP_REQUEST *req = NULL;
  unsigned char *der = NULL;
  int n = -1;
  ERR_clear_error();
  if (lua_type(L, 2) == LUA_TSTRING) {
    size_t len;
    const unsigned char *p = (const unsigned char *)lua_tolstring(L, 2, &len);
    issuer = d2i_X509(NULL, &p, (long)len);
  }
  OCSP_CERTID *id = issuer ? OCSP_cert_to_id(NULL, cert, issuer) : NULL;
  if (id && (req = OCSP_REQUEST_new()) != NULL &&
      OCSP_request_add0_id(req, id)) {
    id = NULL; /* the request owns it */
    n = i2d_OCSP_REQUEST(req, &der);
  }
  OCSP_CERTID_free(id);
  OCSP_REQUEST_free(req);
  X509_free(cert);
  X509_free(issuer);
  if (n <= 0)
    return luatls_raise_openssl(L, "ERR_OSSL_OCSP",
                                "cannot make an OCSP request (no issuer?)");
  lua_pushlstring(L, (const char *)der, (size_t)n);
  OPENSSL_free(der);
  return 1;
}

static void push_time(lua_State *L, const ASN1_GENERALIZEDTIME *t,
                      const char *field) {
  /* seconds since the epoch: OpenSSL's own difference from 1970 */
  ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
  int days, secs;
  if (t && epoch && ASN1_TIME_diff(&days, &secs, epoch, t)) {
    lua_pushinteger(L, (lua_Integer)days * 86400 + secs);
    lua_setfield(L, -2, field);
  }
  ASN1_TIME_free(epoch);
}

/* ocsp_info(response_der) -> { status=, certStatus=, thisUpdate=,
 * nextUpdate= } (times in seconds since the epoch) | nil, err */
static int l_ocsp_info(lua_State *L) {
  size_t n;
  const unsigned char *p = (const unsigned char *)luaL_checklstring(L, 1, &n);
  ERR_clear_error();
  OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)n);
  if (resp == NULL) {
    lua_pushnil(L);
    luatls_push_openssl_error_or(L, "ERR_OSSL_OCSP", "not an OCSP response");
    return 2;
  }
  lua_newtable(L);
  int st = OCSP_response_status(resp);
  lua_pushstring(L, OCSP_response_status_str(st));
  lua_setfield(L, -2, "status");
  OCSP_BASICRESP *basic = OCSP_response_get1_basic(resp);
  OCSP_SINGLERESP *single =
      basic && OCSP_resp_count(basic) > 0 ? OCSP_resp_get0(basic, 0) : NULL;
  if (single) {
    int reason;
    ASN1_GENERALIZEDTIME *revtime, *thisupd, *nextupd;
    int cs =
        OCSP_single_get0_status(single, &reason, &revtime, &thisupd, &nextupd);
    lua_pushstring(L, OCSP_cert_status_str(cs));
    lua_setfield(L, -2, "certStatus");
    push_time(L, thisupd, "thisUpdate");
    push_time(L, nextupd, "nextUpdate");
  }
  OCSP_BASICRESP_free(basic);
  OCSP_RESPONSE_free(resp);
  return 1;
}

static void install(luatls_context *ctx) {
  SSL_CTX_set_tlsext_status_cb(ctx->ctx, status_cb);
}

static const luaL_Reg methods[] = {
    {"set_ocsp_hook", l_set_ocsp_hook},
    {"request_ocsp", l_request_ocsp},
    {"ocsp_done", l_ocsp_done},
    {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"ocsp_request", l_ocsp_request},
    {"ocsp_info", l_ocsp_info},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_ocsp_feature = {
    .name = "ocsp",
    .methods = methods,
    .functions = functions,
    .install = install,
    .hello = ocsp_hello,
    .free = ocsp_free,
};
