/*
 * core.c - luaopen_luatls_core: the module table of luatls.core, made of the
 * parts each C file contributes.
 */
#include <signal.h>

#include "luatls.h"

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
  luatls_open_x509(L);
  luatls_open_tls_context(L);
  luatls_open_tls_conn(L);
  luatls_open_tls_hooks(L);
  luatls_open_tls_session(L);
  luatls_open_tls_ocsp(L);
  luatls_open_tls_reneg(L);
  return 1;
}
