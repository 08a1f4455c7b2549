/*
 * tls/reneg.c - renegotiation (TLS 1.2 and older).
 *
 * renegotiate() starts one from our side (a server asking for a client
 * certificate after the handshake, as the seed describes). A renegotiation
 * the peer starts is reported to Lua ("renegotiation" event), which counts
 * them against tls.CLIENT_RENEG_LIMIT per CLIENT_RENEG_WINDOW, or refuses
 * them after disableRenegotiation(). OpenSSL's info callback tells us when a
 * handshake starts and ends; TLS 1.3 has no renegotiation (its post-handshake
 * messages also look like handshakes to the callback, and are left alone).
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"

static void info_cb(const SSL *ssl, int where, int ret) {
  (void)ret;
  if (!(where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE)))
    return;
  tls_conn *c = SSL_get_app_data(ssl);
  lua_State *L = luatls_state();
  if (c == NULL || L == NULL || luatls_tls_gone(c) || !c->handshake_done ||
      SSL_version(ssl) >= TLS1_3_VERSION)
    return;
  if (where & SSL_CB_HANDSHAKE_START) {
    if (!c->reneg.ours) {
      c->reneg.peer = 1;
      if (luatls_tls_push_event(L, c, "renegotiation"))
        luatls_call(L, c->owner); /* the peer renegotiates */
    }
  } else if (c->reneg.peer && !c->reneg.ours) {
    /* as Node: the end of the peer's renegotiation is a handshake's end
     * here too ('secure') */
    c->reneg.peer = 0;
    if (luatls_tls_push_event(L, c, "renegotiated"))
      luatls_call(L, c->owner);
  } else if (c->reneg.ours && !SSL_renegotiate_pending((SSL *)ssl)) {
    /* (a server's HelloRequest alone also ends as a "handshake": the
     * renegotiation is done only when nothing is pending any more) */
    c->reneg.ours = 0;
    if (luatls_tls_push_event(L, c, "renegotiated"))
      luatls_call(L, c->owner);
  }
}

/* renegotiate([request_cert, reject_unauthorized]) -> true | nil, err */
static int l_renegotiate(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (!c->handshake_done) {
    lua_pushnil(L);
    luatls_tls_push_not_established(L);
    return 2;
  }
  if (c->is_server && !lua_isnoneornil(L, 2)) {
    int mode = lua_toboolean(L, 2) ? SSL_VERIFY_PEER : SSL_VERIFY_NONE;
    if (lua_toboolean(L, 2) && lua_toboolean(L, 3))
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    /* accept the certificate now; the verdict is taken when it is done */
    SSL_set_verify(c->ssl, mode,
                   mode == SSL_VERIFY_NONE ? NULL : luatls_tls_verify_accept);
    /* a resumed session would skip the CertificateRequest: a full one */
    SSL_set_options(c->ssl, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  }
  ERR_clear_error();
  if (SSL_renegotiate(c->ssl) != 1) {
    lua_pushnil(L);
    /* Node's message is OpenSSL's alone (TLS 1.3: wrong ssl version) */
    luatls_push_openssl_error(L, NULL, ERR_peek_error() ? NULL : "renegotiate");
    return 2;
  }
  c->reneg.ours = 1;
  if (c->in_cycle) {
    /* asked from an event the cycle emitted, maybe inside OpenSSL (the
     * 'renegotiated' of the renegotiation that just ended, in SSL_read):
     * OpenSSL is not re-entrant; the cycle starts it (pump.c) */
    c->reneg.start = 1;
    c->again = 1;
  } else {
    ERR_clear_error();
    SSL_do_handshake(c->ssl); /* writes the HelloRequest / ClientHello */
    ERR_clear_error();
  }
  luatls_tls_schedule(c); /* and the pump sends it */
  lua_pushboolean(L, 1);
  return 1;
}

static void install(luatls_context *ctx) {
  SSL_CTX_set_info_callback(ctx->ctx, info_cb);
}

static const luaL_Reg methods[] = {
    {"renegotiate", l_renegotiate},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_reneg_feature = {
    .name = "reneg",
    .methods = methods,
    .install = install,
};
