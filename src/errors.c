/*
 * errors.c - libuv and luatls failures as Node-style error objects: tables
 * { name, message, code, errno, syscall } sharing the "luatls.Error"
 * metatable that lua/luatls/errors.lua also uses. A raised one leaves
 * the Lua traceback of its call in core.error_tracebacks, for errors.lua's
 * `stack`.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "luatls.h"

const char *luatls_uv_code(int err) {
  switch (err) {
  case UV_EAI_NONAME:
  case UV_EAI_NODATA:
    return "ENOTFOUND"; /* as Node reports a host that does not resolve */
  default: return uv_err_name(err);
  }
}

static void new_error(lua_State *L, const char *code, const char *message) {
  lua_createtable(L, 0, 6);
  lua_pushliteral(L, "Error");
  lua_setfield(L, -2, "name");
  lua_pushstring(L, message);
  lua_setfield(L, -2, "message");
  if (code) {
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
  }
  luaL_setmetatable(L, "luatls.Error");
}

void luatls_push_error(lua_State *L, const char *code, const char *message) {
  new_error(L, code, message);
}

/* Raised errors come from a Lua call: they keep its Lua stack (from the
 * caller of the C function) in the weak table core.error_tracebacks (error
 * -> traceback), which lua/luatls/errors.lua turns into Node's `stack`
 * when it is first read. Errors pushed for an event have none (an event
 * callback has no Lua caller worth naming). */
#define TRACEBACKS "luatls.tracebacks"

static int raise_traced(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, TRACEBACKS) == LUA_TTABLE) {
    lua_pushvalue(L, -2);
    luaL_traceback(L, L, NULL, 1);
    lua_rawset(L, -3);
  }
  lua_pop(L, 1);
  return lua_error(L);
}

int luatls_raise_error(lua_State *L, const char *name, const char *code,
                       const char *message) {
  new_error(L, code, message);
  lua_pushstring(L, name);
  lua_setfield(L, -2, "name");
  return raise_traced(L);
}

void luatls_push_uv_error(lua_State *L, int err, const char *syscall,
                          const char *detail) {
  const char *code = luatls_uv_code(err);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (syscall) {
    luaL_addstring(&b, syscall);
    luaL_addchar(&b, ' ');
  }
  luaL_addstring(&b, code);
  if (detail) {
    luaL_addchar(&b, ' ');
    luaL_addstring(&b, detail);
  } else if (!syscall) {
    luaL_addstring(&b, ": ");
    luaL_addstring(&b, uv_strerror(err));
  }
  luaL_pushresult(&b);
  new_error(L, code, lua_tostring(L, -1));
  lua_remove(L, -2);
  lua_pushinteger(L, err);
  lua_setfield(L, -2, "errno");
  if (syscall) {
    lua_pushstring(L, syscall);
    lua_setfield(L, -2, "syscall");
  }
}

int luatls_fail(lua_State *L, int err, const char *syscall,
                const char *detail) {
  lua_pushnil(L);
  luatls_push_uv_error(L, err, syscall, detail);
  return 2;
}

/* An OpenSSL error as Node shows it:
 *   message "error:0A00010B:SSL routines::wrong version number"
 *   code "ERR_SSL_WRONG_VERSION_NUMBER" (SSL routines) or
 *        "ERR_OSSL_PEM_NO_START_LINE" (other libraries), library, reason. */
static const char *err_lib(unsigned long e) {
#define V(name)                                                                \
  case ERR_LIB_##name: return #name;
  switch (ERR_GET_LIB(e)) {
    V(SYS)
    V(BN)
    V(RSA)
    V(DH)
    V(EVP)
    V(BUF)
    V(OBJ)
    V(PEM)
    V(DSA)
    V(X509)
    V(ASN1)
    V(CONF)
    V(CRYPTO)
    V(EC)
    V(SSL)
    V(BIO)
    V(PKCS7)
    V(X509V3)
    V(PKCS12)
    V(RAND)
    V(DSO)
    V(ENGINE)
    V(OCSP)
    V(UI)
    V(COMP)
    V(ECDSA)
    V(ECDH)
    V(OSSL_STORE)
    V(FIPS)
    V(CMS)
    V(TS)
    V(HMAC)
    V(CT)
    V(ASYNC)
    V(KDF)
    V(SM2)
    V(USER)
  default: return NULL;
  }
#undef V
}

void luatls_openssl_code(unsigned long e, char *code, size_t n) {
  const char *reason = ERR_reason_error_string(e);
  const char *lib = err_lib(e);
  if (reason == NULL) {
    snprintf(code, n, "ERR_OSSL_%lu", (unsigned long)ERR_GET_REASON(e));
    return;
  }
  /* as Node: ERR_SSL_<reason> for SSL routines, ERR_OSSL_<LIB>_<reason>
   * for the libraries it knows, ERR_OSSL_<reason> for the others */
  if (lib && strcmp(lib, "SSL") == 0)
    snprintf(code, n, "ERR_SSL_%s", reason);
  else if (lib)
    snprintf(code, n, "ERR_OSSL_%s_%s", lib, reason);
  else
    snprintf(code, n, "ERR_OSSL_%s", reason);
  for (char *c = code; *c; c++)
    *c = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
}

static void push_openssl(lua_State *L, unsigned long e, const char *context) {
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  const char *lib = ERR_lib_error_string(e);
  const char *reason = ERR_reason_error_string(e);
  char code[160];
  luatls_openssl_code(e, code, sizeof code);
  if (context)
    lua_pushfstring(L, "%s: %s", context, buf);
  else
    lua_pushstring(L, buf);
  new_error(L, code, lua_tostring(L, -1));
  lua_remove(L, -2);
  if (lib) {
    lua_pushstring(L, lib);
    lua_setfield(L, -2, "library");
  }
  if (reason) {
    lua_pushstring(L, reason);
    lua_setfield(L, -2, "reason");
  }
}

static int push_queued(lua_State *L, const char *code, const char *message,
                       int ours_first) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) {
    new_error(L, code, message);
    return 0;
  }
  push_openssl(L, e, message);
  if (code && ours_first) { /* our code is the one scripts can rely on */
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
  }
  return 1;
}

int luatls_push_openssl_error(lua_State *L, const char *code,
                              const char *message) {
  return push_queued(L, code, message, 1);
}

int luatls_push_openssl_error_or(lua_State *L, const char *fallback,
                                 const char *message) {
  return push_queued(L, fallback, message, 0);
}

int luatls_raise_openssl(lua_State *L, const char *code, const char *message) {
  luatls_push_openssl_error(L, code, message);
  return raise_traced(L);
}

static int error_tostring(lua_State *L) {
  lua_getfield(L, 1, "name");
  lua_getfield(L, 1, "code");
  lua_getfield(L, 1, "message");
  const char *name = lua_isstring(L, 2) ? lua_tostring(L, 2) : "Error";
  const char *code = lua_isstring(L, 3) ? lua_tostring(L, 3) : NULL;
  const char *msg = luaL_tolstring(L, 4, NULL);
  if (code && strncmp(code, "ERR_", 4) == 0)
    lua_pushfstring(L, "%s [%s]: %s", name, code, msg);
  else
    lua_pushfstring(L, "%s: %s", name, msg);
  return 1;
}

/* strerror(errcode) -> name, message: for Lua code that maps errno values */
static int l_strerror(lua_State *L) {
  int err = (int)luaL_checkinteger(L, 1);
  lua_pushstring(L, luatls_uv_code(err));
  lua_pushstring(L, uv_strerror(err));
  return 2;
}

void luatls_open_errors(lua_State *L) {
  luatls_new_metatable(L, "luatls.Error", NULL, NULL, NULL, error_tostring);
  lua_setfield(L, -2, "Error");
  lua_newtable(L); /* error -> traceback, weak keys */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, TRACEBACKS);
  lua_setfield(L, -2, "error_tracebacks");
  lua_pushcfunction(L, l_strerror);
  lua_setfield(L, -2, "strerror");
}
