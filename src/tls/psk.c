/*
 * tls/psk.c - feature: TLS-PSK, pre-shared keys instead of certificates,
 * as Node has them (the pskCallback and pskIdentityHint options).
 *
 * Like Node, a connection asks for its key through OpenSSL's PSK callbacks
 * (SSL_set_psk_server_callback, SSL_set_psk_client_callback), which OpenSSL
 * also uses for TLS 1.3's external PSKs (a session with
 * TLS_AES_128_GCM_SHA256, so any SHA-256 suite), so luatls and Node agree
 * in both versions. The callbacks cannot wait: they hand the question to
 * Lua at once (the connection's "psk" event: the server's (identity,
 * max_psk_len), the client's (hint | nil, max_psk_len, max_identity_len)),
 * and the handler answers before it returns with psk_result(), which
 * copies the key (and the client's identity) straight into the buffers
 * OpenSSL lent for the call: the key is kept nowhere else. An answer with
 * an error (a bad return value, a raise in the script's callback) ends the
 * handshake with that error (luatls_tls_hook_error).
 *
 * Called by: conn.c's method table (set_psk_callback, psk_result,
 * set_psk_identity_hint); conn.c's verify_error asks psk.used.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"

/* Ask Lua: the "psk" event with (arg | nil, max[, max_identity]); its
 * handler answers with psk_result() into `key` (and `identity`, the
 * client's). -> the key's length, 0 for none. */
static unsigned ask(SSL *ssl, const char *arg, unsigned char *key, unsigned max,
                    char *identity, unsigned max_identity) {
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || L == NULL || luatls_tls_gone(c) || !c->psk.callback)
    return 0;
  int top = lua_gettop(L);
  if (!luatls_tls_push_event(L, c, "psk"))
    return 0;
  if (arg)
    lua_pushstring(L, arg);
  else
    lua_pushnil(L);
  lua_pushinteger(L, max);
  if (identity)
    lua_pushinteger(L, max_identity);
  c->psk.key = key;
  c->psk.max = max;
  c->psk.identity = identity;
  c->psk.max_identity = max_identity;
  c->psk.len = 0;
  luatls_call(L, (identity ? 3 : 2) + c->owner);
  lua_settop(L, top);
  unsigned n = c->psk.len;
  c->psk.key = NULL;
  c->psk.identity = NULL;
  c->psk.len = 0;
  if (luatls_tls_gone(c) || c->hello.err_ref != LUA_NOREF)
    return 0;
  if (n > 0)
    c->psk.used = 1;
  return n;
}

/* the server: the client's identity -> its key (0: unknown identity) */
static unsigned server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                          unsigned int max_psk_len) {
  return ask(ssl, identity ? identity : "", psk, max_psk_len, NULL, 0);
}

/* the client: the server's hint (none in TLS 1.3) -> our identity and key
 * (0: we have none, the handshake fails) */
static unsigned client_cb(SSL *ssl, const char *hint, char *identity,
                          unsigned int max_identity_len, unsigned char *psk,
                          unsigned int max_psk_len) {
  return ask(ssl, hint, psk, max_psk_len, identity, max_identity_len);
}

/* set_psk_callback(on): ask Lua ("psk" event) for keys */
static int l_set_psk_callback(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->psk.callback = lua_toboolean(L, 2);
  if (c->is_server)
    SSL_set_psk_server_callback(c->ssl, c->psk.callback ? server_cb : NULL);
  else
    SSL_set_psk_client_callback(c->ssl, c->psk.callback ? client_cb : NULL);
  return 0;
}

/* psk_result(key | nil[, identity][, err]): the "psk" event's answer, given
 * while the event runs. A key (the client's with its identity), nil (no
 * key: the handshake fails, or in TLS 1.3 goes on without a PSK), or an
 * error that ends the handshake. Returns false when nobody asks. */
static int l_psk_result(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (c->psk.key == NULL) {
    lua_pushboolean(L, 0);
    return 1;
  }
  if (!lua_isnoneornil(L, 4)) {
    lua_pushvalue(L, 4);
    luatls_tls_hook_error(L, c);
    lua_pushboolean(L, 1);
    return 1;
  }
  size_t n = 0, idn = 0;
  const char *key = luaL_optlstring(L, 2, NULL, &n);
  const char *id = NULL;
  luaL_argcheck(L, key == NULL || n <= c->psk.max, 2, "key too long");
  if (key && c->psk.identity) {
    id = luaL_checklstring(L, 3, &idn);
    luaL_argcheck(L, idn <= c->psk.max_identity, 3, "identity too long");
  }
  if (key) {
    memcpy(c->psk.key, key, n);
    c->psk.len = (unsigned)n;
  }
  if (id) {
    memcpy(c->psk.identity, id, idn);
    c->psk.identity[idn] = '\0'; /* (OpenSSL lent max_identity + 1) */
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* set_psk_identity_hint(hint) -> true | false, err: the server's hint to
 * the client (TLS 1.2); Node's error (and spelling) when OpenSSL refuses it
 * (longer than PSK_MAX_IDENTITY_LEN) */
static int l_set_psk_identity_hint(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  const char *hint = luaL_checkstring(L, 2);
  ERR_clear_error();
  if (SSL_use_psk_identity_hint(c->ssl, hint) != 1) {
    ERR_clear_error();
    lua_pushboolean(L, 0);
    luatls_push_error(L, "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED",
                      "Failed to set PSK identity hint");
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg methods[] = {
    {"set_psk_callback", l_set_psk_callback},
    {"psk_result", l_psk_result},
    {"set_psk_identity_hint", l_set_psk_identity_hint},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_psk_feature = {
    .name = "psk",
    .methods = methods,
};
