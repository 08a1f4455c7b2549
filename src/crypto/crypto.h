/*
 * crypto.h - what the files of src/crypto/ share (the message digests of
 * hash.c, the MACs of hmac.c, the randomness of random.c, the key
 * derivation of kdf.c, the ciphers of cipher.c), and the parts core.c
 * opens. Included only inside src/crypto/ and by core.c.
 */
#ifndef LUATLS_CRYPTO_H
#define LUATLS_CRYPTO_H

#include <openssl/evp.h>

#include "luatls.h"

/* The digest named by the string at idx (Node's names: "sha256",
 * "sha512-256", "RSA-SHA256", OpenSSL's "SHA2-256", ...), fetched: the
 * caller frees it with EVP_MD_free. An unknown name raises Node's
 * ERR_CRYPTO_INVALID_DIGEST ("Invalid digest: NAME", a TypeError). */
EVP_MD *luatls_crypto_md(lua_State *L, int idx);

/* raise ERR_CRYPTO_HASH_FINALIZED ("Digest already called") */
int luatls_crypto_finalized(lua_State *L);

void luatls_open_hash(lua_State *L);
void luatls_open_hmac(lua_State *L);
void luatls_open_random(lua_State *L);
void luatls_open_kdf(lua_State *L);
void luatls_open_cipher(lua_State *L);

#endif
