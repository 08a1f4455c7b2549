/*
 * uv/signal.c - signal handles (process.on("SIGINT", fn)).
 */
#include <signal.h>
#include <string.h>

#include "luatls.h"

#define SIGNAL_T "luatls.signal"

static const struct {
  const char *name;
  int num;
} signals[] = {
    {"SIGHUP", SIGHUP},
    {"SIGINT", SIGINT},
    {"SIGQUIT", SIGQUIT},
    {"SIGABRT", SIGABRT},
    {"SIGKILL", SIGKILL},
    {"SIGUSR1", SIGUSR1},
    {"SIGUSR2", SIGUSR2},
    {"SIGPIPE", SIGPIPE},
    {"SIGALRM", SIGALRM},
    {"SIGTERM", SIGTERM},
    {"SIGCHLD", SIGCHLD},
    {"SIGCONT", SIGCONT},
    {"SIGSTOP", SIGSTOP},
    {"SIGTSTP", SIGTSTP},
    {"SIGTTIN", SIGTTIN},
    {"SIGTTOU", SIGTTOU},
    {"SIGWINCH", SIGWINCH},
    {"SIGTRAP", SIGTRAP},
    {"SIGBUS", SIGBUS},
    {"SIGFPE", SIGFPE},
    {"SIGSEGV", SIGSEGV},
    {"SIGSYS", SIGSYS},
    {"SIGURG", SIGURG},
    {"SIGXCPU", SIGXCPU},
    {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM},
    {"SIGPROF", SIGPROF},
    {"SIGIO", SIGIO},
#ifdef SIGPWR
    {"SIGPWR", SIGPWR},
#endif
    {NULL, 0},
};

static int signum(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TNUMBER)
    return (int)lua_tointeger(L, idx);
  const char *name = luaL_checkstring(L, idx);
  for (int i = 0; signals[i].name; i++)
    if (strcmp(signals[i].name, name) == 0)
      return signals[i].num;
  return luaL_argerror(L, idx, lua_pushfstring(L, "unknown signal '%s'", name));
}

static const char *signame(int num) {
  for (int i = 0; signals[i].name; i++)
    if (signals[i].num == num)
      return signals[i].name;
  return NULL;
}

static int l_signal_new(lua_State *L) {
  luatls_handle *rec = luatls_handle_new(L, SIGNAL_T, sizeof(uv_signal_t));
  int err = uv_signal_init(luatls_main_loop.uv, (uv_signal_t *)rec->h);
  if (err < 0) {
    luatls_handle_abort(L, rec);
    return luatls_fail(L, err, "signal", NULL);
  }
  return 1;
}

static void signal_cb(uv_signal_t *s, int num) {
  lua_State *L = luatls_state();
  if (L == NULL ||
      luatls_push_cb(L, (uv_handle_t *)s, LUATLS_UV_CB) == LUA_TNIL)
    return;
  const char *name = signame(num);
  if (name)
    lua_pushstring(L, name);
  else
    lua_pushinteger(L, num);
  luatls_call(L, 1);
}

/* start(signal, cb): signal by name ("SIGINT") or number; cb(name) */
static int l_start(lua_State *L) {
  luaL_checkudata(L, 1, SIGNAL_T);
  uv_signal_t *s =
      (uv_signal_t *)luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h;
  int num = signum(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luatls_set_slot(L, 1, LUATLS_UV_CB, 3);
  int err = uv_signal_start(s, signal_cb, num);
  if (err < 0)
    return luatls_fail(L, err, "signal", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_stop(lua_State *L) {
  luaL_checkudata(L, 1, SIGNAL_T);
  uv_signal_stop(
      (uv_signal_t *)luatls_check_handle(L, 1, LUATLS_KIND_HANDLE)->h);
  return 0;
}

/* kill(pid, signal) -> true | nil, err */
static int l_kill(lua_State *L) {
  int pid = (int)luaL_checkinteger(L, 1);
  int num = lua_isnoneornil(L, 2) ? SIGTERM : signum(L, 2);
  int err = uv_kill(pid, num);
  if (err < 0)
    return luatls_fail(L, err, "kill", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/* reset_ignored() -> count: a signal ignored when the process started (a
 * shell starts background jobs with SIGINT and SIGQUIT ignored) gets its
 * default action back, as Node does at startup, so that SIGINT ends a
 * script that has no listener for it. SIGPIPE and SIGXFSZ stay ignored (a
 * failed write reports EPIPE instead). For the interpreter only: a host
 * program that loads luatls.core keeps its own dispositions. */
static int l_reset_ignored(lua_State *L) {
  int n = 0;
  for (int nr = 1; nr < 32; nr++) {
    if (nr == SIGKILL || nr == SIGSTOP || nr == SIGPIPE || nr == SIGXFSZ)
      continue;
    struct sigaction old;
    if (sigaction(nr, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
        old.sa_handler == SIG_IGN) {
      struct sigaction act;
      memset(&act, 0, sizeof act);
      act.sa_handler = SIG_DFL;
      sigemptyset(&act.sa_mask);
      if (sigaction(nr, &act, NULL) == 0)
        n++;
    }
  }
  lua_pushinteger(L, n);
  return 1;
}

void luatls_open_signal(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"start", l_start}, {"stop", l_stop}, {NULL, NULL}};
  static const luaL_Reg *const lists[] = {luatls_handle_methods, methods, NULL};
  luatls_new_class(L, SIGNAL_T, LUATLS_KIND_HANDLE, lists);
  lua_pushcfunction(L, l_signal_new);
  lua_setfield(L, -2, "signal_new");
  lua_pushcfunction(L, l_kill);
  lua_setfield(L, -2, "kill");
  lua_pushcfunction(L, l_reset_ignored);
  lua_setfield(L, -2, "reset_ignored_signals");
  lua_newtable(L);
  for (int i = 0; signals[i].name; i++) {
    lua_pushinteger(L, signals[i].num);
    lua_setfield(L, -2, signals[i].name);
  }
  lua_setfield(L, -2, "signals");
}
