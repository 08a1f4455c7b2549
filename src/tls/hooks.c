/*
 * tls/hooks.c - what a server decides while the handshake runs: which
 * certificate (SNI), which application protocol (ALPN, and the older NPN).
 *
 * SNI may wait on real I/O. Its hello stage (run by conn.c's ClientHello
 * callback, after the session store's) hands the server name to Lua as the
 * connection's "hello" event and returns SSL_CLIENT_HELLO_RETRY: the
 * handshake pauses while the loop goes on. When Lua answers with
 * hello_done(context | nil, err), the stage runs again and applies the
 * answer: SSL_set_SSL_CTX to the chosen context, or a failed handshake
 * carrying the answer's error.
 *
 * ALPN is chosen at once: by the server's own order of preference among the
 * client's protocols, or by Lua's ALPNCallback ("alpn" event) called right
 * there. No protocol in common ends the handshake with the
 * no_application_protocol alert, as current Node does.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"

static void hooks_free(lua_State *L, tls_conn *c) {
  (void)L;
  luatls_tls_context_free(&c->sni.answer);
  free(c->alpn.protos);
  free(c->alpn.npn);
  c->alpn.protos = c->alpn.npn = NULL;
  c->alpn.len = c->alpn.npn_len = 0;
}

/* ---- SNI: a hello stage ------------------------------------------------- */

/* The host name of the server_name extension, or NULL. */
static const char *hello_servername(SSL *ssl, size_t *n) {
  const unsigned char *p;
  size_t len;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) ||
      len < 5)
    return NULL;
  size_t list = (size_t)p[0] << 8 | p[1];
  if (list + 2 != len || p[2] != TLSEXT_NAMETYPE_host_name)
    return NULL;
  size_t name = (size_t)p[3] << 8 | p[4];
  if (name == 0 || name + 5 > len || memchr(p + 5, 0, name))
    return NULL;
  *n = name;
  return (const char *)p + 5;
}

/* the SNI stage of the ClientHello: ask Lua, then switch to its context */
static int sni_hello(lua_State *L, tls_conn *c, SSL *ssl, int *al) {
  if (c->sni.answer.state == HOOK_NONE) {
    c->sni.answer.state = HOOK_WAITING;
    if (luatls_tls_push_event(L, c, "hello")) {
      size_t n = 0;
      const char *name = hello_servername(ssl, &n);
      if (name)
        lua_pushlstring(L, name, n);
      else
        lua_pushnil(L);
      luatls_call(L, 1 + c->owner);
    } else {
      c->sni.answer.state = HOOK_ANSWERED; /* nobody to ask: go on */
    }
    if (luatls_tls_gone(c)) {
      *al = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
  }
  return luatls_tls_context_apply(c, ssl, &c->sni.answer, al);
}

/* set_hello_hook(on): this connection asks Lua ("hello" event) which
 * context to use before the handshake goes on */
static int l_set_hello_hook(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->sni.hook = lua_toboolean(L, 2);
  luatls_tls_want_hello(c, &luatls_tls_hooks_feature, c->sni.hook);
  return 0;
}

/* hello_done(context | nil[, err]): the answer to "hello". A context to
 * switch to, nil to keep the one the connection has, or an error that ends
 * the handshake. Returns false when the connection no longer waits (gone,
 * or answered already). */
static int l_hello_done(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  return luatls_tls_context_answer(L, c, &c->sni.answer);
}

/* ---- ALPN and NPN -------------------------------------------------------- */

/* Store a wire-format protocol list ("\x02h2\x08http/1.1") from Lua. */
static void set_protos(lua_State *L, int idx, unsigned char **dst,
                       unsigned *dlen) {
  size_t len = 0;
  const char *s =
      lua_isnoneornil(L, idx) ? NULL : luaL_checklstring(L, idx, &len);
  for (size_t i = 0; s && i < len; i += (unsigned char)s[i] + 1)
    if (s[i] == 0 || i + 1 + (unsigned char)s[i] > len)
      luaL_argerror(L, idx, "not a wire-format protocol list");
  unsigned char *copy = NULL;
  if (s && len) {
    copy = malloc(len);
    if (copy == NULL)
      luaL_error(L, "out of memory");
    memcpy(copy, s, len);
  }
  free(*dst);
  *dst = copy;
  *dlen = (unsigned)len;
}

/* Where proto (len n) is in the wire-format list (its name), or NULL. */
static const unsigned char *find_proto(const unsigned char *list, unsigned len,
                                       const unsigned char *proto, unsigned n) {
  for (unsigned i = 0; i < len; i += list[i] + 1u)
    if (list[i] == n && memcmp(list + i + 1, proto, n) == 0)
      return list + i + 1;
  return NULL;
}

/* Answer OpenSSL with our protocol p (length-prefixed) as found in the
 * client's list: SSL_TLSEXT_ERR_OK, or 0 when the client did not offer it */
static int select_proto(const unsigned char **out, unsigned char *outlen,
                        const unsigned char *in, unsigned inlen,
                        const unsigned char *p) {
  const unsigned char *found = find_proto(in, inlen, p + 1, p[0]);
  if (found == NULL)
    return 0;
  *out = found;
  *outlen = p[0];
  return 1;
}

/* Ask Lua's ALPNCallback ({servername=, protocols=}) -> name | nil. Returns
 * the SSL_TLSEXT_ERR_* answer for OpenSSL. */
static int alpn_by_callback(lua_State *L, tls_conn *c, SSL *ssl,
                            const unsigned char **out, unsigned char *outlen,
                            const unsigned char *in, unsigned inlen) {
  int top = lua_gettop(L);
  if (!luatls_tls_push_event(L, c, "alpn"))
    return SSL_TLSEXT_ERR_NOACK;
  lua_createtable(L, 0, 2);
  const char *sn = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (sn) {
    lua_pushstring(L, sn);
    lua_setfield(L, -2, "servername");
  }
  lua_createtable(L, 4, 0);
  int n = 0;
  for (unsigned i = 0; i < inlen; i += in[i] + 1u) {
    lua_pushlstring(L, (const char *)in + i + 1, in[i]);
    lua_rawseti(L, -2, ++n);
  }
  lua_setfield(L, -2, "protocols");
  /* the answer comes back as the event's result: the Lua side stores it
   * with alpn_result() before returning (luatls_call keeps no results) */
  luatls_call(L, 1 + c->owner);
  lua_settop(L, top);
  if (luatls_tls_gone(c) || c->hello.err_ref != LUA_NOREF ||
      c->alpn.len == 0) /* (nil: refused) */
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  /* the chosen name, stored as a one-entry list */
  return select_proto(out, outlen, in, inlen, c->alpn.protos)
             ? SSL_TLSEXT_ERR_OK
             : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int alpn_select_cb(SSL *ssl, const unsigned char **out,
                          unsigned char *outlen, const unsigned char *in,
                          unsigned inlen, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || L == NULL || luatls_tls_gone(c))
    return SSL_TLSEXT_ERR_NOACK;
  if (c->alpn.callback)
    return alpn_by_callback(L, c, ssl, out, outlen, in, inlen);
  if (c->alpn.protos == NULL)
    return SSL_TLSEXT_ERR_NOACK; /* we speak no ALPN: ignore the client's */
  /* the server's order of preference */
  for (unsigned i = 0; i < c->alpn.len; i += c->alpn.protos[i] + 1u)
    if (select_proto(out, outlen, in, inlen, c->alpn.protos + i))
      return SSL_TLSEXT_ERR_OK;
  return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
}

/* set_alpn(wire | nil): server: what we speak, by preference; client: what
 * we offer */
static int l_set_alpn(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  set_protos(L, 2, &c->alpn.protos, &c->alpn.len);
  if (!c->is_server) {
    ERR_clear_error();
    if (SSL_set_alpn_protos(c->ssl, c->alpn.protos, c->alpn.len) != 0)
      return luatls_raise_openssl(L, NULL, "cannot set ALPN protocols");
  }
  return 0;
}

/* set_alpn_callback(on): the server asks Lua ("alpn" event) */
static int l_set_alpn_callback(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->alpn.callback = lua_toboolean(L, 2);
  return 0;
}

/* alpn_result(name | nil[, err]): the "alpn" event's answer */
static int l_alpn_result(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (!lua_isnoneornil(L, 3)) {
    lua_pushvalue(L, 3);
    luatls_tls_hook_error(L, c);
    return 0;
  }
  size_t n = 0;
  const char *name = luaL_optlstring(L, 2, NULL, &n);
  luaL_argcheck(L, name == NULL || (n > 0 && n < 256), 2, "bad protocol name");
  free(c->alpn.protos);
  c->alpn.protos = NULL;
  c->alpn.len = 0;
  if (name) {
    c->alpn.protos = malloc(n + 1);
    if (c->alpn.protos == NULL)
      return luaL_error(L, "out of memory");
    c->alpn.protos[0] = (unsigned char)n;
    memcpy(c->alpn.protos + 1, name, n);
    c->alpn.len = (unsigned)n + 1;
  }
  return 0;
}

/* get_alpn() -> the protocol chosen, or false */
static int l_get_alpn(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  const unsigned char *p = NULL;
  unsigned n = 0;
  if (c->ssl)
    SSL_get0_alpn_selected(c->ssl, &p, &n);
  if (n)
    lua_pushlstring(L, (const char *)p, n);
  else
    lua_pushboolean(L, 0);
  return 1;
}

/* NPN (TLS 1.2 and older; the seed documents it) */
static int npn_advertise_cb(SSL *ssl, const unsigned char **out,
                            unsigned *outlen, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  if (c == NULL || c->alpn.npn == NULL)
    return SSL_TLSEXT_ERR_NOACK;
  *out = c->alpn.npn;
  *outlen = c->alpn.npn_len;
  return SSL_TLSEXT_ERR_OK;
}

static int npn_select_cb(SSL *ssl, unsigned char **out, unsigned char *outlen,
                         const unsigned char *in, unsigned inlen, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  if (c == NULL || c->alpn.npn == NULL)
    return SSL_TLSEXT_ERR_NOACK;
  /* the server's list first: its preference among what we support; with
   * no overlap NPN falls back to our first protocol */
  SSL_select_next_proto(out, outlen, in, inlen, c->alpn.npn, c->alpn.npn_len);
  return SSL_TLSEXT_ERR_OK;
}

static int l_set_npn(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  set_protos(L, 2, &c->alpn.npn, &c->alpn.npn_len);
  return 0;
}

static int l_get_npn(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  const unsigned char *p = NULL;
  unsigned n = 0;
  if (c->ssl)
    SSL_get0_next_proto_negotiated(c->ssl, &p, &n);
  if (n)
    lua_pushlstring(L, (const char *)p, n);
  else
    lua_pushboolean(L, 0);
  return 1;
}

static void install(luatls_context *ctx) {
  SSL_CTX_set_alpn_select_cb(ctx->ctx, alpn_select_cb, NULL);
  SSL_CTX_set_next_protos_advertised_cb(ctx->ctx, npn_advertise_cb, NULL);
  SSL_CTX_set_next_proto_select_cb(ctx->ctx, npn_select_cb, NULL);
}

static const luaL_Reg methods[] = {
    {"set_hello_hook", l_set_hello_hook},
    {"hello_done", l_hello_done},
    {"set_alpn", l_set_alpn},
    {"set_alpn_callback", l_set_alpn_callback},
    {"alpn_result", l_alpn_result},
    {"get_alpn", l_get_alpn},
    {"set_npn", l_set_npn},
    {"get_npn", l_get_npn},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_hooks_feature = {
    .name = "hooks",
    .methods = methods,
    .install = install,
    .hello = sni_hello,
    .free = hooks_free,
};
