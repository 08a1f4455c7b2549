/*
 * core.c - luaopen_luatls_core: the module table of luatls.core, made of the
 * parts each C file contributes; and the one way a C file makes the
 * metatable of its userdata.
 */
#include <signal.h>

#include "luatls.h"

void luatls_new_metatable(lua_State *L, const char *tname,
                          const luaL_Reg *methods, lua_CFunction gc,
                          lua_CFunction close, lua_CFunction tostring) {
  luaL_newmetatable(L, tname);
  if (methods)
    luaL_setfuncs(L, methods, 0);
  const struct {
    const char *name;
    lua_CFunction fn;
  } meta[] = {{"__gc", gc}, {"__close", close}, {"__tostring", tostring}};
  for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
    if (meta[i].fn) {
      lua_pushcfunction(L, meta[i].fn);
      lua_setfield(L, -2, meta[i].name);
    }
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
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
  luatls_open_x509(L);
  luatls_open_tls_context(L);
  luatls_open_tls_conn(L);
  luatls_open_tls_hooks(L);
  luatls_open_tls_session(L);
  luatls_open_tls_ocsp(L);
  luatls_open_tls_reneg(L);
  luatls_open_tls_forward(L);
  return 1;
}
