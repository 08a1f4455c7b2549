/*
 * tls/session.c - resumption: the server's external session store, ticket
 * keys, and the client's new sessions.
 *
 * The store (Node's 'newSession' / 'resumeSession') works for TLS 1.2 and
 * 1.3 alike. A connection whose server has store listeners runs with
 * SSL_OP_NO_TICKET: TLS 1.2 then resumes by session ID, and TLS 1.3 issues
 * stateful tickets whose identity is the session ID. Either way the
 * ClientHello carries the ID (the legacy session_id field, or the
 * pre_shared_key identity), so the ClientHello callback looks it up before
 * OpenSSL needs it: the "resume" event goes to Lua, the handshake waits
 * (SSL_CLIENT_HELLO_RETRY) until resume_done(), and OpenSSL's get-session
 * callback then returns what the store answered.
 *
 * Ticket keys are Node's 48 bytes: a 16-byte name, a 16-byte HMAC-SHA256
 * secret and a 16-byte AES-128-CBC key. The previous key still decrypts, so
 * keys can rotate without losing sessions; a resumption always gets a fresh
 * ticket (made with the current key).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "tls.h"

/* ---- serialising --------------------------------------------------------- */

static int push_session(lua_State *L, SSL_SESSION *sess) {
  int n = i2d_SSL_SESSION(sess, NULL);
  if (n <= 0)
    return 0;
  luaL_Buffer b;
  unsigned char *p = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)n);
  i2d_SSL_SESSION(sess, &p);
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

/* OpenSSL made a session: the server's store ("newsession": id, data) or
 * the client's 'session' event ("session": data). Keeps no reference. */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess) {
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || L == NULL || luatls_tls_gone(c))
    return 0;
  int top = lua_gettop(L);
  if (c->is_server) {
    unsigned idlen = 0;
    const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
    if (!c->session.hook || idlen == 0 ||
        !luatls_tls_push_event(L, c, "newsession"))
      return 0;
    lua_pushlstring(L, (const char *)id, idlen);
    if (!push_session(L, sess)) {
      lua_settop(L, top);
      return 0;
    }
    c->clear_out.held = 1; /* cleartext waits for new_session_done() */
    luatls_call(L, 2 + c->owner);
  } else {
    if (!c->session.event || !luatls_tls_push_event(L, c, "session"))
      return 0;
    if (!push_session(L, sess)) {
      lua_settop(L, top);
      return 0;
    }
    luatls_call(L, 1 + c->owner);
  }
  lua_settop(L, top);
  return 0;
}

/* OpenSSL looks a session up: what the store answered for this ID. */
static SSL_SESSION *get_session_cb(SSL *ssl, const unsigned char *id, int len,
                                   int *copy) {
  tls_conn *c = SSL_get_app_data(ssl);
  *copy = 0;
  if (c == NULL || c->session.resumed == NULL)
    return NULL;
  unsigned rlen = 0;
  const unsigned char *rid = SSL_SESSION_get_id(c->session.resumed, &rlen);
  if ((int)rlen != len || memcmp(rid, id, rlen) != 0)
    return NULL; /* the store answered for another session */
  SSL_SESSION *s = c->session.resumed;
  c->session.resumed = NULL; /* our reference goes to OpenSSL (*copy == 0) */
  return s;
}

/* ---- the ClientHello's session ID ---------------------------------------- */

/* The first PSK identity of the pre_shared_key extension (41), when it is
 * short enough to be a session ID (a stateful ticket). */
static const unsigned char *psk_identity(SSL *ssl, size_t *n) {
  const unsigned char *p;
  size_t len;
  if (!SSL_client_hello_get0_ext(ssl, 41, &p, &len) || len < 4)
    return NULL;
  size_t ids = (size_t)p[0] << 8 | p[1];
  size_t idlen = (size_t)p[2] << 8 | p[3];
  if (ids + 2 > len || idlen + 2 > ids || idlen == 0 ||
      idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
    return NULL;
  *n = idlen;
  return p + 4;
}

/* the ClientHello's first stage: ask the store for the session it names */
static int session_hello(lua_State *L, tls_conn *c, SSL *ssl, int *al) {
  (void)al;
  if (c->session.state == HOOK_ANSWERED)
    return SSL_CLIENT_HELLO_SUCCESS;
  if (c->session.state == HOOK_WAITING)
    return SSL_CLIENT_HELLO_RETRY;
  size_t n = 0;
  const unsigned char *id = psk_identity(ssl, &n);
  if (id == NULL)
    n = SSL_client_hello_get0_session_id(ssl, &id);
  c->session.state = HOOK_ANSWERED;
  if (n == 0 || !luatls_tls_push_event(L, c, "resume"))
    return SSL_CLIENT_HELLO_SUCCESS; /* nothing to resume: a full handshake */
  c->session.state = HOOK_WAITING;
  lua_pushlstring(L, (const char *)id, n);
  luatls_call(L, 1 + c->owner);
  return c->session.state == HOOK_WAITING ? SSL_CLIENT_HELLO_RETRY
                                          : SSL_CLIENT_HELLO_SUCCESS;
}

/* ---- Lua: the connection's side
 * ---------------------------------------------- */

/* set_session_hook(on): a server connection asks Lua for sessions */
static int l_set_session_hook(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  c->session.hook = lua_toboolean(L, 2);
  luatls_tls_want_hello(c, &luatls_tls_session_feature, c->session.hook);
  if (c->session.hook) /* session IDs (1.2) and stateful tickets (1.3) */
    SSL_set_options(c->ssl, SSL_OP_NO_TICKET);
  return 0;
}

/* resume_done(data | nil[, err]): the store's answer to "resume". Bytes
 * that are no session mean a full handshake. */
static int l_resume_done(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  enum tls_answer a = luatls_tls_answer(L, c, &c->session.state);
  if (a == TLS_ANSWER_LATE)
    return 1;
  if (a == TLS_ANSWER_VALUE && lua_type(L, 2) == LUA_TSTRING) {
    size_t len;
    const unsigned char *p = (const unsigned char *)lua_tolstring(L, 2, &len);
    SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, (long)len);
    ERR_clear_error();
    SSL_SESSION_free(c->session.resumed);
    c->session.resumed = s;
  }
  luatls_tls_answered(L, c, &c->session.state);
  return 1;
}

/* new_session_done(): the store kept the session; cleartext may flow */
static int l_new_session_done(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  if (c->clear_out.held && !luatls_tls_gone(c)) {
    c->clear_out.held = 0;
    luatls_tls_schedule(c);
  }
  return 0;
}

/* set_session_event(on): a client wants "session" events */
static int l_set_session_event(lua_State *L) {
  luatls_tls_check(L, 1)->session.event = lua_toboolean(L, 2);
  return 0;
}

/* ---- Lua: what the connection's session is ------------------------------- */

/* the SSL of the connection at index 1; NULL once closed */
static SSL *live_ssl(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  return c->state == TLS_CLOSED ? NULL : c->ssl;
}

/* get_session() -> DER bytes of the session, or nil */
static int l_get_session(lua_State *L) {
  SSL *ssl = live_ssl(L);
  SSL_SESSION *sess = ssl ? SSL_get_session(ssl) : NULL;
  return sess ? push_session(L, sess) : 0;
}

/* set_session(der) -> true | false (unusable bytes are ignored, as Node) */
static int l_set_session(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  size_t len;
  const unsigned char *p = (const unsigned char *)luaL_checklstring(L, 2, &len);
  SSL_SESSION *sess = d2i_SSL_SESSION(NULL, &p, (long)len);
  ERR_clear_error();
  if (sess == NULL) {
    lua_pushboolean(L, 0);
    return 1;
  }
  int ok = SSL_set_session(c->ssl, sess);
  SSL_SESSION_free(sess);
  ERR_clear_error();
  lua_pushboolean(L, ok == 1);
  return 1;
}

static int l_is_session_reused(lua_State *L) {
  SSL *ssl = live_ssl(L);
  lua_pushboolean(L, ssl && SSL_session_reused(ssl));
  return 1;
}

/* get_tls_ticket() -> the session ticket the server sent, or nil */
static int l_get_tls_ticket(lua_State *L) {
  SSL *ssl = live_ssl(L);
  SSL_SESSION *sess = ssl ? SSL_get_session(ssl) : NULL;
  if (sess == NULL || !SSL_SESSION_has_ticket(sess))
    return 0;
  const unsigned char *t;
  size_t len;
  SSL_SESSION_get0_ticket(sess, &t, &len);
  lua_pushlstring(L, (const char *)t, len);
  return 1;
}

/* ---- ticket keys
 * --------------------------------------------------------------- */

static int ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
                         EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc) {
  tls_conn *c = SSL_get_app_data(ssl);
  luatls_context *k = c ? c->context : NULL;
  if (k == NULL)
    return -1;
  int which = 0;
  if (!enc) {
    which = -1;
    for (int i = 0; i <= k->has_previous_key; i++)
      if (memcmp(name, k->ticket_keys[i], 16) == 0)
        which = i;
    if (which < 0)
      return 0; /* not ours (or too old): a full handshake */
  }
  unsigned char *key = k->ticket_keys[which];
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key + 16, 16),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
      OSSL_PARAM_construct_end(),
  };
  if (!EVP_MAC_CTX_set_params(hctx, params))
    return -1;
  if (enc) {
    memcpy(name, key, 16);
    if (RAND_bytes(iv, 16) <= 0 ||
        !EVP_EncryptInit_ex(ectx, EVP_aes_128_cbc(), NULL, key + 32, iv))
      return -1;
    return 1;
  }
  if (!EVP_DecryptInit_ex(ectx, EVP_aes_128_cbc(), NULL, key + 32, iv))
    return -1;
  /* 2: use it, and renew it. Every resumption gets a fresh ticket, as with
   * OpenSSL's own keys and s_server: a client that keeps coming back never
   * holds a ticket that ages out (or that a rotation leaves behind). */
  return 2;
}

/* set_ticket_keys(current[, previous]): 48 bytes each */
static int l_set_ticket_keys(lua_State *L) {
  luatls_context *k = luatls_check_context(L, 1);
  size_t n, m = 0;
  const char *cur = luaL_checklstring(L, 2, &n);
  const char *prev = luaL_optlstring(L, 3, NULL, &m);
  luaL_argcheck(L, n == 48, 2, "ticket keys must be 48 bytes");
  luaL_argcheck(L, prev == NULL || m == 48, 3, "ticket keys must be 48 bytes");
  memcpy(k->ticket_keys[0], cur, 48);
  k->has_previous_key = prev != NULL;
  if (prev)
    memcpy(k->ticket_keys[1], prev, 48);
  return 0;
}

/* get_ticket_keys() -> current, previous | nil */
static int l_get_ticket_keys(lua_State *L) {
  luatls_context *k = luatls_check_context(L, 1);
  lua_pushlstring(L, (const char *)k->ticket_keys[0], 48);
  if (k->has_previous_key)
    lua_pushlstring(L, (const char *)k->ticket_keys[1], 48);
  else
    lua_pushnil(L);
  return 2;
}

static void install(luatls_context *c) {
  /* no internal cache: a server resumes by tickets, or through its store */
  SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_BOTH |
                                             SSL_SESS_CACHE_NO_INTERNAL |
                                             SSL_SESS_CACHE_NO_AUTO_CLEAR);
  SSL_CTX_sess_set_new_cb(c->ctx, new_session_cb);
  SSL_CTX_sess_set_get_cb(c->ctx, get_session_cb);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(c->ctx, ticket_key_cb);
  RAND_bytes(c->ticket_keys[0], 48);
  c->has_previous_key = 0;
}

static void session_free(lua_State *L, tls_conn *c) {
  (void)L;
  SSL_SESSION_free(c->session.resumed);
  c->session.resumed = NULL;
}

static const luaL_Reg methods[] = {
    {"set_session_hook", l_set_session_hook},
    {"resume_done", l_resume_done},
    {"new_session_done", l_new_session_done},
    {"set_session_event", l_set_session_event},
    {"get_session", l_get_session},
    {"set_session", l_set_session},
    {"is_session_reused", l_is_session_reused},
    {"get_tls_ticket", l_get_tls_ticket},
    {NULL, NULL},
};

static const luaL_Reg context_methods[] = {
    {"set_ticket_keys", l_set_ticket_keys},
    {"get_ticket_keys", l_get_ticket_keys},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_session_feature = {
    .name = "session",
    .methods = methods,
    .context_methods = context_methods,
    .install = install,
    .hello = session_hello,
    .free = session_free,
};
