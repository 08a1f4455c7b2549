/*
 * core.c - luaopen_luatls_core: the module table of luatls.core, made of the
 * parts each C file contributes. It only opens: nothing calls back into it
 * (the helpers every file shares are in meta.c, loop.c, errors.c).
 */
#include <signal.h>

#include "crypto/crypto.h"
#include "http/http.h"
#include "luatls.h"
#include "tls/tls.h"

/* The TLS features, in the order the ClientHello runs their hello stages
 * (clientHelloCallback, the session store, SNI, OCSP); the connection's own
 * methods first. */
static const luatls_tls_feature *const tls_features[] = {
    &luatls_tls_conn_feature,
    &luatls_tls_hello_hook_feature,
    &luatls_tls_session_feature,
    &luatls_tls_hooks_feature,
    &luatls_tls_ocsp_feature,
    &luatls_tls_reneg_feature,
    &luatls_tls_forward_feature,
    &luatls_tls_hello_feature,  /* the ClientHello parser: functions only */
    &luatls_tls_psk_feature,    /* (no hello stage: OpenSSL asks it later) */
    &luatls_tls_trace_feature,  /* (no hello stage) */
    &luatls_tls_router_feature, /* functions only */
    NULL,
};

/* table_new(narr, nrec) -> a table with room for narr array items and nrec
 * fields (Lua's own lua_createtable; events.lua's class makes instances the
 * size the class's first instance grew to, instead of growing each one) */
static int l_table_new(lua_State *L) {
  lua_Integer narr = luaL_checkinteger(L, 1), nrec = luaL_checkinteger(L, 2);
  luaL_argcheck(L, narr >= 0 && narr <= 1 << 20, 1, "out of range");
  luaL_argcheck(L, nrec >= 0 && nrec <= 1 << 20, 2, "out of range");
  lua_createtable(L, (int)narr, (int)nrec);
  return 1;
}

int luaopen_luatls_core(lua_State *L) {
  /* a peer that goes away must give EPIPE, not kill the process */
  signal(SIGPIPE, SIG_IGN);
  lua_newtable(L);
  luatls_open_errors(L);
  luatls_open_loop(L);
  luatls_open_tcp(L);
  luatls_open_pipe(L);
  luatls_open_tty(L);
  luatls_open_timer(L);
  luatls_open_check(L);
  luatls_open_signal(L);
  luatls_open_dns(L);
  luatls_open_fs(L);
  luatls_open_os(L);
  luatls_open_hash(L);
  luatls_open_hmac(L);
  luatls_open_random(L);
  luatls_open_kdf(L);
  luatls_open_cipher(L);
  luatls_open_pkey(L);
  luatls_open_jwk(L);
  luatls_open_sign(L);
  luatls_open_dh(L);
  luatls_open_mkcert(L);
  luatls_open_x509cert(L);
  luatls_open_http_parser(L);
  luatls_open_x509(L);
  luatls_open_tls_context(L, tls_features);
  luatls_open_tls_ca(L);
  luatls_open_tls(L, tls_features);
  lua_pushcfunction(L, l_table_new);
  lua_setfield(L, -2, "table_new");
  return 1;
}
