/*
 * crypto/cipher.c - symmetric ciphers over OpenSSL's EVP_CIPHER_CTX, for
 * lua/luatls/internal/crypto/cipher.lua (Node's createCipheriv and
 * createDecipheriv):
 *   cipher_new(name, key, iv, decrypt[, authTagLength]) -> cipher with
 *       :update(s), :final(), :set_aad(s[, plaintextLength]),
 *       :set_padding(bool), :get_tag(), :set_tag(s) (raw bytes in and out)
 *   cipher_names() -> the cipher names OpenSSL knows and this build can
 *       fetch (in OpenSSL's spelling, with aliases; the caller sorts)
 * The key stays inside OpenSSL's context. The checks and their errors are
 * Node's (src/crypto/crypto_cipher.cc): ERR_CRYPTO_UNKNOWN_CIPHER,
 * ERR_CRYPTO_INVALID_IV, ERR_CRYPTO_INVALID_AUTH_TAG,
 * ERR_CRYPTO_INVALID_KEYLEN, ERR_CRYPTO_INVALID_STATE. The context is freed
 * by final() (as Node's), so everything after it is an invalid state but
 * get_tag().
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "crypto.h"

#define CIPHER_T "luatls.cipher"

enum { TAG_UNKNOWN, TAG_KNOWN, TAG_PASSED };

typedef struct {
  EVP_CIPHER_CTX *ctx; /* NULL once final (or collected) */
  int decrypt;
  int mode;        /* EVP_CIPH_GCM_MODE, EVP_CIPH_CCM_MODE, ... */
  int aead;        /* GCM, CCM or chacha20-poly1305 */
  int taglen;      /* 0: not known yet (GCM without authTagLength) */
  int tag_state;   /* decipher: the tag of setAuthTag */
  int auth_failed; /* a CCM decipher's update failed */
  int has_tag;     /* cipher: the tag, after final */
  size_t max_len;  /* the longest CCM message its IV leaves room for */
  unsigned char tag[EVP_GCM_TLS_TAG_LEN];
} cipher;

static int invalid_state(lua_State *L, const char *op) {
  char msg[64];
  if (op)
    snprintf(msg, sizeof msg, "Invalid state for operation %s", op);
  else
    snprintf(msg, sizeof msg, "Invalid state");
  ERR_clear_error();
  return luatls_raise_error(L, "Error", "ERR_CRYPTO_INVALID_STATE", msg);
}

static int invalid_tag(lua_State *L, size_t n) {
  char msg[64];
  snprintf(msg, sizeof msg, "Invalid authentication tag length: %zu", n);
  ERR_clear_error();
  return luatls_raise_error(L, "TypeError", "ERR_CRYPTO_INVALID_AUTH_TAG", msg);
}

static int valid_gcm_tag(size_t n) {
  return n == 4 || n == 8 || (n >= 12 && n <= 16);
}

/* a CCM message longer than its IV allows: Node's RangeError */
static int check_len(lua_State *L, cipher *c, size_t len) {
  if (c->mode == EVP_CIPH_CCM_MODE && len > c->max_len)
    return luatls_raise_error(L, "RangeError", "ERR_CRYPTO_INVALID_MESSAGELEN",
                              "Invalid message length");
  return 0;
}

static cipher *check(lua_State *L) { return luaL_checkudata(L, 1, CIPHER_T); }

/* an AEAD decipher hands the tag of setAuthTag to OpenSSL once */
static int pass_tag(cipher *c) {
  if (c->tag_state != TAG_KNOWN)
    return 1;
  c->tag_state = TAG_PASSED;
  return EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, c->taglen,
                             c->tag) == 1;
}

/* the AEAD part of cipher_new: IV length, tag length */
static void init_aead(lua_State *L, cipher *c, const char *name, size_t ivlen,
                      int given) {
  if (EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)ivlen, NULL) !=
      1) {
    ERR_clear_error();
    luatls_raise_error(L, "TypeError", "ERR_CRYPTO_INVALID_IV",
                       "Invalid initialization vector");
  }
  size_t l = 15 - ivlen; /* CCM: the bytes of the message length */
  c->max_len = l < 4 ? ((size_t)1 << (8 * l)) - 1 : (size_t)INT_MAX;
  if (c->mode == EVP_CIPH_GCM_MODE) {
    if (given && !valid_gcm_tag((size_t)c->taglen))
      invalid_tag(L, (size_t)c->taglen);
    return;
  }
  if (!given) {
    if (c->mode == EVP_CIPH_CCM_MODE) {
      char msg[128];
      snprintf(msg, sizeof msg, "authTagLength required for %s", name);
      luatls_raise_error(L, "TypeError", "ERR_CRYPTO_INVALID_AUTH_TAG", msg);
    }
    c->taglen = 16; /* chacha20-poly1305 */
  }
  if (c->taglen < 1 || c->taglen > 16 ||
      EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, c->taglen, NULL) != 1)
    invalid_tag(L, (size_t)c->taglen);
}

static int l_cipher_new(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  size_t keylen, ivlen = 0;
  const char *key = luatls_crypto_key_bytes(L, 2, &keylen);
  const char *iv = luaL_optlstring(L, 3, "", &ivlen);
  int decrypt = lua_toboolean(L, 4);
  int given = !lua_isnoneornil(L, 5);
  lua_Integer taglen = given ? luaL_checkinteger(L, 5) : 0;
  cipher *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, CIPHER_T);
  c->decrypt = decrypt;
  c->taglen = taglen < 0 || taglen > 1024 ? 1024 : (int)taglen;

  EVP_CIPHER *type = EVP_CIPHER_fetch(NULL, name, NULL);
  if (type == NULL) {
    ERR_clear_error();
    return luatls_raise_error(L, "Error", "ERR_CRYPTO_UNKNOWN_CIPHER",
                              "Unknown cipher");
  }
  c->ctx = EVP_CIPHER_CTX_new();
  int ok = c->ctx &&
           EVP_CipherInit_ex2(c->ctx, type, NULL, NULL, !decrypt, NULL) == 1;
  int expected_iv = EVP_CIPHER_get_iv_length(type);
  c->mode = EVP_CIPHER_get_mode(type);
  c->aead = (EVP_CIPHER_get_flags(type) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0;
  EVP_CIPHER_free(type); /* the context holds its own reference */
  if (!ok)
    return luatls_raise_openssl(L, NULL, "cannot start the cipher");
  if ((ivlen == 0 && expected_iv != 0) ||
      (!c->aead && ivlen != (size_t)expected_iv))
    return luatls_raise_error(L, "TypeError", "ERR_CRYPTO_INVALID_IV",
                              "Invalid initialization vector");
  if (c->aead)
    init_aead(L, c, name, ivlen, given);
  if (EVP_CIPHER_CTX_set_key_length(c->ctx, (int)keylen) != 1 ||
      keylen != (size_t)EVP_CIPHER_CTX_get_key_length(c->ctx)) {
    ERR_clear_error();
    return luatls_raise_error(L, "RangeError", "ERR_CRYPTO_INVALID_KEYLEN",
                              "Invalid key length");
  }
  if (EVP_CipherInit_ex2(c->ctx, NULL, (const unsigned char *)key,
                         ivlen ? (const unsigned char *)iv : NULL, !decrypt,
                         NULL) != 1)
    return luatls_raise_openssl(L, NULL, "cannot start the cipher");
  return 1;
}

static int l_update(lua_State *L) {
  cipher *c = check(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  if (c->ctx == NULL || len > (size_t)INT_MAX - 64)
    return luatls_raise_error(L, "Error", "ERR_CRYPTO_INVALID_STATE",
                              "Trying to add data in unsupported state");
  check_len(L, c, len);
  if (c->decrypt && c->aead && c->mode == EVP_CIPH_CCM_MODE)
    pass_tag(c);
  luaL_Buffer b;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(
      L, &b, len + (size_t)EVP_CIPHER_CTX_get_block_size(c->ctx) + 1);
  int n = 0;
  if (EVP_CipherUpdate(c->ctx, out, &n, (const unsigned char *)s, (int)len) !=
      1) {
    ERR_clear_error();
    if (c->decrypt && c->mode == EVP_CIPH_CCM_MODE) {
      c->auth_failed = 1; /* final() says so, as Node's */
      n = 0;
    } else {
      return luatls_raise_error(L, "Error", "ERR_CRYPTO_INVALID_STATE",
                                "Trying to add data in unsupported state");
    }
  }
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int l_final(lua_State *L) {
  cipher *c = check(L);
  if (c->ctx == NULL)
    return invalid_state(L, NULL);
  unsigned char out[EVP_MAX_BLOCK_LENGTH];
  int n = 0, ok;
  if (c->decrypt && c->aead)
    pass_tag(c);
  if (c->decrypt && c->mode == EVP_CIPH_CCM_MODE) {
    ok = !c->auth_failed;
  } else if (c->decrypt && c->aead && c->mode != EVP_CIPH_GCM_MODE &&
             c->tag_state != TAG_PASSED) {
    ok = 0; /* chacha20-poly1305 without a tag */
  } else {
    ok = EVP_CipherFinal_ex(c->ctx, out, &n) == 1;
    if (ok && !c->decrypt && c->aead) {
      if (c->taglen == 0)
        c->taglen = 16;
      ok = EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG, c->taglen,
                               c->tag) == 1;
      c->has_tag = ok;
    }
  }
  EVP_CIPHER_CTX_free(c->ctx);
  c->ctx = NULL;
  if (!ok) { /* OpenSSL's error when it queued one, as Node's */
    if (ERR_peek_error() != 0)
      return luatls_raise_openssl(L, NULL, NULL);
    return luatls_raise_error(
        L, "Error", NULL,
        c->aead ? "Unsupported state or unable to authenticate data"
                : "Unsupported state");
  }
  lua_pushlstring(L, (const char *)out, (size_t)n);
  return 1;
}

static int l_set_aad(lua_State *L) {
  cipher *c = check(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  int n = 0;
  if (c->ctx == NULL || !c->aead || len > (size_t)INT_MAX)
    return invalid_state(L, "setAAD");
  if (c->mode == EVP_CIPH_CCM_MODE) {
    if (lua_isnoneornil(L, 3))
      return luatls_raise_error(
          L, "TypeError", "ERR_MISSING_ARGS",
          "options.plaintextLength required for CCM mode with AAD");
    lua_Integer plen = luaL_checkinteger(L, 3);
    if (plen < 0)
      return invalid_state(L, "setAAD");
    check_len(L, c, (size_t)plen);
    if (c->decrypt && !pass_tag(c))
      return invalid_state(L, "setAAD");
    if (EVP_CipherUpdate(c->ctx, NULL, &n, NULL, (int)plen) != 1)
      return invalid_state(L, "setAAD");
  }
  if (EVP_CipherUpdate(c->ctx, NULL, &n, (const unsigned char *)s, (int)len) !=
      1)
    return invalid_state(L, "setAAD");
  return 0;
}

static int l_set_padding(lua_State *L) {
  cipher *c = check(L);
  if (c->ctx == NULL ||
      EVP_CIPHER_CTX_set_padding(c->ctx, lua_toboolean(L, 2)) != 1)
    return invalid_state(L, "setAutoPadding");
  return 0;
}

static int l_get_tag(lua_State *L) {
  cipher *c = check(L);
  if (c->ctx != NULL || c->decrypt || !c->has_tag)
    return invalid_state(L, "getAuthTag");
  lua_pushlstring(L, (const char *)c->tag, (size_t)c->taglen);
  return 1;
}

static int l_set_tag(lua_State *L) {
  cipher *c = check(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  if (c->ctx == NULL || !c->aead || !c->decrypt || c->tag_state != TAG_UNKNOWN)
    return invalid_state(L, "setAuthTag");
  int valid =
      c->mode == EVP_CIPH_GCM_MODE
          ? (c->taglen == 0 || (size_t)c->taglen == len) && valid_gcm_tag(len)
          : (size_t)c->taglen == len;
  if (!valid)
    return invalid_tag(L, len);
  c->taglen = (int)len;
  memcpy(c->tag, s, len);
  c->tag_state = TAG_KNOWN;
  return 0;
}

static int l_gc(lua_State *L) {
  cipher *c = check(L);
  EVP_CIPHER_CTX_free(c->ctx);
  c->ctx = NULL;
  return 0;
}

/* cipher_names: the names of OpenSSL's table that fetch in this build */
static void add_name(const EVP_CIPHER *unused, const char *from, const char *to,
                     void *arg) {
  (void)unused;
  (void)to;
  lua_State *L = arg;
  if (from == NULL)
    return;
  EVP_CIPHER *type = EVP_CIPHER_fetch(NULL, from, NULL);
  if (type == NULL)
    return;
  EVP_CIPHER_free(type);
  lua_pushstring(L, from);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

static int l_cipher_names(lua_State *L) {
  lua_newtable(L);
  EVP_CIPHER_do_all_sorted(add_name, L);
  ERR_clear_error();
  return 1;
}

void luatls_open_cipher(lua_State *L) {
  static const luaL_Reg methods[] = {{"update", l_update},
                                     {"final", l_final},
                                     {"set_aad", l_set_aad},
                                     {"set_padding", l_set_padding},
                                     {"get_tag", l_get_tag},
                                     {"set_tag", l_set_tag},
                                     {NULL, NULL}};
  luatls_new_metatable(L, CIPHER_T, methods, l_gc, NULL, NULL);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_cipher_new);
  lua_setfield(L, -2, "cipher_new");
  lua_pushcfunction(L, l_cipher_names);
  lua_setfield(L, -2, "cipher_names");
}
