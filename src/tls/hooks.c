/*
 * tls/hooks.c - what a server decides while the handshake runs: which
 * certificate (SNI), which application protocol (ALPN, and the older NPN).
 *
 * SNI may wait on real I/O. The ClientHello callback (installed on every
 * context) hands the server name to Lua as the connection's "hello" event
 * and returns SSL_CLIENT_HELLO_RETRY: the handshake pauses
 * (SSL_ERROR_WANT_CLIENT_HELLO_CB) while the loop goes on. When Lua answers
 * with hello_done(context | nil, err), the pump runs the handshake again, the
 * callback is called again, and applies the answer: SSL_set_SSL_CTX to the
 * chosen context, or a failed handshake carrying the answer's error.
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

/* ---- a hook's error ------------------------------------------------------ */

/* Keep the error object at the top of the stack (popped) as the reason the
 * handshake ends; tls/conn.c reports it instead of OpenSSL's own. */
static void set_hook_error(lua_State *L, tls_conn *c) {
  luaL_unref(L, LUA_REGISTRYINDEX, c->hook_err_ref);
  c->hook_err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int luatls_tls_answer(lua_State *L, tls_conn *c, unsigned char *state) {
  if (luatls_tls_gone(c) || *state != HELLO_WAITING) {
    lua_pushboolean(L, 0);
    return 0;
  }
  if (!lua_isnoneornil(L, 3)) {
    lua_pushvalue(L, 3);
    set_hook_error(L, c);
    return 2;
  }
  return 1;
}

void luatls_tls_answered(lua_State *L, tls_conn *c, unsigned char *state) {
  *state = HELLO_ANSWERED;
  luatls_tls_schedule(c); /* the handshake goes on from the loop */
  lua_pushboolean(L, 1);
}

void luatls_tls_hooks_free(lua_State *L, tls_conn *c) {
  if (L)
    luaL_unref(L, LUA_REGISTRYINDEX, c->hook_err_ref);
  c->hook_err_ref = LUA_NOREF;
  SSL_CTX_free(c->hello_ctx);
  c->hello_ctx = NULL;
  SSL_SESSION_free(c->resumed);
  c->resumed = NULL;
  luatls_tls_ocsp_free(c);
  free(c->alpn);
  free(c->npn);
  c->alpn = c->npn = NULL;
  c->alpn_len = c->npn_len = 0;
}

/* ---- SNI: the ClientHello callback --------------------------------------- */

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

/* The last stage: OCSPRequest, once the certificate is known. */
static int ocsp_stage(lua_State *L, tls_conn *c, SSL *ssl, int *al) {
  int waiting = luatls_tls_ocsp_hello(L, c, ssl) < 0;
  if (luatls_tls_gone(c) || c->hook_err_ref != LUA_NOREF) {
    *al = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return waiting ? SSL_CLIENT_HELLO_RETRY : SSL_CLIENT_HELLO_SUCCESS;
}

static int client_hello_cb(SSL *ssl, int *al, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || (!c->hello_hook && !c->session_hook && !c->ocsp_hook))
    return SSL_CLIENT_HELLO_SUCCESS;
  if (L == NULL || luatls_tls_gone(c)) {
    *al = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  /* first the session store (resumeSession), then SNI; either may wait */
  int waiting = luatls_tls_session_hello(L, c, ssl) < 0;
  if (luatls_tls_gone(c) || c->hook_err_ref != LUA_NOREF) {
    *al = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (waiting)
    return SSL_CLIENT_HELLO_RETRY;
  if (!c->hello_hook)
    return ocsp_stage(L, c, ssl, al);
  if (c->hello_state == HELLO_NONE) {
    c->hello_state = HELLO_WAITING;
    if (luatls_tls_push_event(L, c, "hello")) {
      size_t n = 0;
      const char *name = hello_servername(ssl, &n);
      if (name)
        lua_pushlstring(L, name, n);
      else
        lua_pushnil(L);
      luatls_call(L, 1 + c->owner);
    } else {
      c->hello_state = HELLO_ANSWERED; /* nobody to ask: go on */
    }
    if (luatls_tls_gone(c)) {
      *al = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
  }
  if (c->hello_state == HELLO_WAITING)
    return SSL_CLIENT_HELLO_RETRY; /* the handshake waits for hello_done */
  if (c->hook_err_ref != LUA_NOREF) {
    *al = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (c->hello_ctx) {
    SSL_set_SSL_CTX(ssl, c->hello_ctx);
    SSL_CTX_free(c->hello_ctx);
    c->hello_ctx = NULL;
  }
  return ocsp_stage(L, c, ssl, al);
}

/* set_hello_hook(on): this connection asks Lua ("hello" event) which
 * context to use before the handshake goes on */
static int l_set_hello_hook(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->hello_hook = lua_toboolean(L, 2);
  return 0;
}

/* hello_done(context | nil[, err]): the answer to "hello". A context to
 * switch to, nil to keep the one the connection has, or an error that ends
 * the handshake. Returns false when the connection no longer waits (gone,
 * or answered already). */
static int l_hello_done(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, "luatls.tls");
  int a = luatls_tls_answer(L, c, &c->hello_state);
  if (a == 0)
    return 1;
  if (a == 1 && !lua_isnil(L, 2)) {
    luatls_context *ctx = luatls_check_context(L, 2);
    SSL_CTX_up_ref(ctx->ctx);
    SSL_CTX_free(c->hello_ctx);
    c->hello_ctx = ctx->ctx;
  }
  luatls_tls_answered(L, c, &c->hello_state);
  return 1;
}

/* ---- ALPN and NPN ---------------------------------------------------------
 */

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

/* Is proto (len n) one of the wire-format list? */
static int in_list(const unsigned char *list, unsigned len,
                   const unsigned char *proto, unsigned n) {
  for (unsigned i = 0; i < len; i += list[i] + 1u)
    if (list[i] == n && memcmp(list + i + 1, proto, n) == 0)
      return 1;
  return 0;
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
  if (luatls_tls_gone(c))
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  if (c->hook_err_ref != LUA_NOREF)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  if (c->alpn_len == 0)
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* nil: refused */
  /* the chosen name, stored as a one-entry list */
  for (unsigned i = 0; i < inlen; i += in[i] + 1u)
    if (in[i] == c->alpn[0] && memcmp(in + i + 1, c->alpn + 1, in[i]) == 0) {
      *out = in + i + 1;
      *outlen = in[i];
      return SSL_TLSEXT_ERR_OK;
    }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int alpn_select_cb(SSL *ssl, const unsigned char **out,
                          unsigned char *outlen, const unsigned char *in,
                          unsigned inlen, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || L == NULL || luatls_tls_gone(c))
    return SSL_TLSEXT_ERR_NOACK;
  if (c->alpn_cb)
    return alpn_by_callback(L, c, ssl, out, outlen, in, inlen);
  if (c->alpn == NULL)
    return SSL_TLSEXT_ERR_NOACK; /* we speak no ALPN: ignore the client's */
  /* the server's order of preference */
  for (unsigned i = 0; i < c->alpn_len; i += c->alpn[i] + 1u)
    if (in_list(in, inlen, c->alpn + i + 1, c->alpn[i])) {
      for (unsigned j = 0; j < inlen; j += in[j] + 1u)
        if (in[j] == c->alpn[i] &&
            memcmp(in + j + 1, c->alpn + i + 1, in[j]) == 0) {
          *out = in + j + 1;
          *outlen = in[j];
          return SSL_TLSEXT_ERR_OK;
        }
    }
  return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
}

/* set_alpn(wire | nil): server: what we speak, by preference; client: what
 * we offer */
static int l_set_alpn(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  set_protos(L, 2, &c->alpn, &c->alpn_len);
  if (!c->is_server) {
    ERR_clear_error();
    if (SSL_set_alpn_protos(c->ssl, c->alpn, c->alpn_len) != 0)
      return luatls_raise_openssl(L, NULL, "cannot set ALPN protocols");
  }
  return 0;
}

/* set_alpn_callback(on): the server asks Lua ("alpn" event) */
static int l_set_alpn_callback(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->alpn_cb = lua_toboolean(L, 2);
  return 0;
}

/* alpn_result(name | nil[, err]): the "alpn" event's answer */
static int l_alpn_result(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (!lua_isnoneornil(L, 3)) {
    lua_pushvalue(L, 3);
    set_hook_error(L, c);
    return 0;
  }
  size_t n = 0;
  const char *name = luaL_optlstring(L, 2, NULL, &n);
  luaL_argcheck(L, name == NULL || (n > 0 && n < 256), 2, "bad protocol name");
  free(c->alpn);
  c->alpn = NULL;
  c->alpn_len = 0;
  if (name) {
    c->alpn = malloc(n + 1);
    if (c->alpn == NULL)
      return luaL_error(L, "out of memory");
    c->alpn[0] = (unsigned char)n;
    memcpy(c->alpn + 1, name, n);
    c->alpn_len = (unsigned)n + 1;
  }
  return 0;
}

/* get_alpn() -> the protocol chosen, or false */
static int l_get_alpn(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, "luatls.tls");
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
  if (c == NULL || c->npn == NULL)
    return SSL_TLSEXT_ERR_NOACK;
  *out = c->npn;
  *outlen = c->npn_len;
  return SSL_TLSEXT_ERR_OK;
}

static int npn_select_cb(SSL *ssl, unsigned char **out, unsigned char *outlen,
                         const unsigned char *in, unsigned inlen, void *arg) {
  (void)arg;
  tls_conn *c = SSL_get_app_data(ssl);
  if (c == NULL || c->npn == NULL)
    return SSL_TLSEXT_ERR_NOACK;
  /* the server's list first: its preference among what we support; with
   * no overlap NPN falls back to our first protocol */
  SSL_select_next_proto(out, outlen, in, inlen, c->npn, c->npn_len);
  return SSL_TLSEXT_ERR_OK;
}

static int l_set_npn(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  set_protos(L, 2, &c->npn, &c->npn_len);
  return 0;
}

static int l_get_npn(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, "luatls.tls");
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

void luatls_tls_install_hooks(SSL_CTX *ctx) {
  SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
  SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, NULL);
  SSL_CTX_set_next_protos_advertised_cb(ctx, npn_advertise_cb, NULL);
  SSL_CTX_set_next_proto_select_cb(ctx, npn_select_cb, NULL);
}

void luatls_open_tls_hooks(lua_State *L) {
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
  luaL_getmetatable(L, "luatls.tls");
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 1);
}
