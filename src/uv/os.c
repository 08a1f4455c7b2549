/*
 * uv/os.c - what the process module needs from the system: ids, environment,
 * working directory, memory use, and what kind of thing a descriptor is.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "luatls.h"

static int l_getpid(lua_State *L) {
  lua_pushinteger(L, uv_os_getpid());
  return 1;
}

static int l_getppid(lua_State *L) {
  lua_pushinteger(L, uv_os_getppid());
  return 1;
}

static int l_cwd(lua_State *L) {
  char buf[4096];
  size_t len = sizeof buf;
  int err = uv_cwd(buf, &len);
  if (err < 0)
    return luatls_fail(L, err, "uv_cwd", NULL);
  lua_pushlstring(L, buf, len);
  return 1;
}

static int l_chdir(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  int err = uv_chdir(dir);
  if (err < 0)
    return luatls_fail(L, err, "chdir", dir);
  lua_pushboolean(L, 1);
  return 1;
}

/* environ() -> { NAME = value, ... } */
static int l_environ(lua_State *L) {
  uv_env_item_t *items;
  int n;
  int err = uv_os_environ(&items, &n);
  if (err < 0)
    return luatls_fail(L, err, "environ", NULL);
  lua_createtable(L, 0, n);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, items[i].value);
    lua_setfield(L, -2, items[i].name);
  }
  uv_os_free_environ(items, n);
  return 1;
}

/* setenv(name, value|nil) */
static int l_setenv(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  int err = lua_isnoneornil(L, 2) ? uv_os_unsetenv(name)
                                  : uv_os_setenv(name, luaL_checkstring(L, 2));
  if (err < 0)
    return luatls_fail(L, err, "setenv", name);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_hostname(lua_State *L) {
  char buf[UV_MAXHOSTNAMESIZE];
  size_t len = sizeof buf;
  int err = uv_os_gethostname(buf, &len);
  if (err < 0)
    return luatls_fail(L, err, "gethostname", NULL);
  lua_pushlstring(L, buf, len);
  return 1;
}

/* uname() -> sysname, release, machine */
static int l_uname(lua_State *L) {
  uv_utsname_t u;
  int err = uv_os_uname(&u);
  if (err < 0)
    return luatls_fail(L, err, "uname", NULL);
  lua_pushstring(L, u.sysname);
  lua_pushstring(L, u.release);
  lua_pushstring(L, u.machine);
  return 3;
}

static int l_exepath(lua_State *L) {
  char buf[4096];
  size_t len = sizeof buf;
  int err = uv_exepath(buf, &len);
  if (err < 0)
    return luatls_fail(L, err, "exepath", NULL);
  lua_pushlstring(L, buf, len);
  return 1;
}

/* rss() -> resident set size in bytes */
static int l_rss(lua_State *L) {
  size_t rss;
  int err = uv_resident_set_memory(&rss);
  if (err < 0)
    return luatls_fail(L, err, "rss", NULL);
  lua_pushinteger(L, (lua_Integer)rss);
  return 1;
}

/* guess_handle(fd) -> "tty" | "pipe" | "tcp" | "udp" | "file" | "unknown" */
static int l_guess_handle(lua_State *L) {
  switch (uv_guess_handle((uv_file)luaL_checkinteger(L, 1))) {
  case UV_TTY: lua_pushliteral(L, "tty"); break;
  case UV_NAMED_PIPE: lua_pushliteral(L, "pipe"); break;
  case UV_TCP: lua_pushliteral(L, "tcp"); break;
  case UV_UDP: lua_pushliteral(L, "udp"); break;
  case UV_FILE: lua_pushliteral(L, "file"); break;
  default: lua_pushliteral(L, "unknown"); break;
  }
  return 1;
}

/* versions() -> { luatls=, lua=, uv=, openssl= } */
static int l_versions(lua_State *L) {
  lua_newtable(L);
  lua_pushliteral(L, LUATLS_VERSION);
  lua_setfield(L, -2, "luatls");
  lua_pushliteral(L, LUA_VERSION_MAJOR "." LUA_VERSION_MINOR
                                       "." LUA_VERSION_RELEASE);
  lua_setfield(L, -2, "lua");
  lua_pushstring(L, uv_version_string());
  lua_setfield(L, -2, "uv");
  lua_pushstring(L, OpenSSL_version(OPENSSL_VERSION));
  lua_setfield(L, -2, "openssl");
#if defined(__SANITIZE_ADDRESS__)
  /* ASan keeps freed memory in quarantine: memory figures mean little */
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "sanitized");
#endif
  return 1;
}

void luatls_open_os(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"getpid", l_getpid},
      {"getppid", l_getppid},
      {"cwd", l_cwd},
      {"chdir", l_chdir},
      {"environ", l_environ},
      {"setenv", l_setenv},
      {"hostname", l_hostname},
      {"uname", l_uname},
      {"exepath", l_exepath},
      {"rss", l_rss},
      {"guess_handle", l_guess_handle},
      {"versions", l_versions},
      {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
}
