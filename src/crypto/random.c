/*
 * crypto/random.c - OpenSSL's CSPRNG and constant-time comparison, for
 * lua/luatls/internal/crypto/random.lua (randomBytes, randomInt,
 * randomUUID), lua/luatls/internal/crypto/util.lua (timingSafeEqual) and
 * the runtime's own uses (ticket keys):
 *   random_bytes(n) -> n bytes (0 <= n <= 2^31-1); a failing generator
 *       raises an error object with OpenSSL's code
 *   timing_safe_equal(a, b) -> whether the equally long strings are equal,
 *       in time that does not depend on where they differ; different
 *       lengths raise ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH (a RangeError)
 */
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "crypto.h"

static int l_random_bytes(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0 && n <= INT_MAX, 1, "out of range");
  luaL_Buffer b;
  unsigned char *p = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)n);
  ERR_clear_error();
  if (n > 0 && RAND_bytes(p, (int)n) != 1)
    return luatls_raise_openssl(L, NULL, "no random bytes");
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int l_timing_safe_equal(lua_State *L) {
  size_t alen, blen;
  const char *a = luaL_checklstring(L, 1, &alen);
  const char *b = luaL_checklstring(L, 2, &blen);
  if (alen != blen)
    return luatls_raise_error(L, "RangeError",
                              "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH",
                              "Input buffers must have the same byte length");
  lua_pushboolean(L, CRYPTO_memcmp(a, b, alen) == 0);
  return 1;
}

void luatls_open_random(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"random_bytes", l_random_bytes},
      {"timing_safe_equal", l_timing_safe_equal},
      {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
