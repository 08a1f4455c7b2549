/*
 * tls/hello.c - a ClientHello as data (luatls's own, not Node's): a pure
 * parser, bytes in and a Lua table out, with no OpenSSL connection state
 * (only EVP's MD5 and SHA-256 for the fingerprints). Two callers:
 *
 *   core.parse_client_hello(bytes)  the first bytes a client sent on a plain
 *       socket: TLS records (the message may span several), reassembled ->
 *       table | nil, "incomplete" | nil, err (tls.parseClientHello,
 *       lua/luatls/internal/tls/client_hello.lua)
 *   luatls_tls_push_hello()         one handshake message, as
 *       src/tls/hello_hook.c captured it for clientHelloCallback
 *
 * The table: raw (the handshake message: type 1, 24-bit length, body),
 * legacyVersion, random, sessionId, ciphers, compressionMethods, extensions
 * (types in order), servername, supportedVersions, groups, keyShareGroups,
 * ecPointFormats, signatureAlgorithms, alpnProtocols, pskIdentities (a
 * count), grease, ja3, ja3Hash, ja4, ja4r. Lists are always there (empty
 * when the extension is absent). GREASE values (RFC 8701) stay in the lists
 * where the client put them; grease.<list> names their positions (1-based)
 * in ciphers, extensions, groups, keyShareGroups, supportedVersions and
 * signatureAlgorithms. ja3 is "SSLVersion,Ciphers,Extensions,
 * EllipticCurves,EllipticCurvePointFormats" (decimal, '-'-joined, GREASE
 * left out); ja3Hash its MD5 in hex. ja4 is FoxIO's JA4 (TLS over TCP),
 * ja4r its raw form (the sorted lists before hashing).
 *
 * Malformed input is an error object with code ERR_TLS_INVALID_CLIENT_HELLO
 * naming what is wrong: a length past the end, bytes left over, a
 * zero-length vector where the RFCs forbid one, an odd length for a list of
 * 16-bit values, a duplicate extension, a message longer than any
 * ClientHello can be (HELLO_MAX). Every read is bounds-checked first.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tls.h"

#define HELLO_ERR "ERR_TLS_INVALID_CLIENT_HELLO"
/* the longest ClientHello body: version, random, a 32-byte session ID, the
 * longest cipher list, compression list and extension block */
#define HELLO_MAX (2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535)
#define RECORD_MAX 16384 /* a TLSPlaintext fragment (2^14) */

/* ---- reading, bounds first ----------------------------------------------- */

typedef struct {
  const unsigned char *p;
  size_t n;
} span;

typedef struct {
  uint16_t *v;
  size_t n;
} list16;

/* what the parse found: spans into the message, values in scratch lists */
typedef struct {
  span msg, random, session_id, compression, formats, sni, alpn;
  unsigned version, psk_identities;
  int has_sni, has_alpn;
  list16 ciphers, exts, groups, shares, versions, sigalgs;
  uint16_t *free; /* the scratch space not used yet */
  char err[160];
} hello;

/* the error's message; 0 */
static int fail(hello *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->err, sizeof h->err, fmt, ap);
  va_end(ap);
  return 0;
}

static int take(span *s, size_t k, span *out) {
  if (s->n < k)
    return 0;
  out->p = s->p;
  out->n = k;
  s->p += k;
  s->n -= k;
  return 1;
}

static int number(span *s, size_t bytes, unsigned *v) {
  span t;
  if (!take(s, bytes, &t))
    return 0;
  *v = 0;
  for (size_t i = 0; i < bytes; i++)
    *v = *v << 8 | t.p[i];
  return 1;
}

/* a vector with a `bytes`-byte length before it */
static int vec(span *s, size_t bytes, span *out) {
  unsigned len;
  return number(s, bytes, &len) && take(s, len, out);
}

/* an extension's body that is exactly one vector of at least `min` bytes */
static int body_vec(hello *h, span body, size_t bytes, size_t min, span *out,
                    unsigned type) {
  if (!vec(&body, bytes, out))
    return fail(h, "extension %u: a length past its end", type);
  if (body.n != 0)
    return fail(h, "extension %u: %u bytes left over", type, (unsigned)body.n);
  if (out->n < min)
    return fail(h, "extension %u: a vector shorter than %u bytes", type,
                (unsigned)min);
  return 1;
}

static int is_grease(unsigned v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* a list of 16-bit values (its length even) into the scratch space */
static int values16(hello *h, span s, list16 *out, const char *what) {
  if (s.n % 2)
    return fail(h, "%s: an odd length (%u) for 16-bit values", what,
                (unsigned)s.n);
  out->v = h->free;
  out->n = s.n / 2;
  for (size_t i = 0; i < out->n; i++)
    out->v[i] = (uint16_t)(s.p[2 * i] << 8 | s.p[2 * i + 1]);
  h->free += out->n;
  return 1;
}

/* ---- the extensions we read --------------------------------------------- */

/* The entries of a list, each a `bytes`-byte number and a vector of at
 * least one byte with a 16-bit length (server names, key shares):
 * each(h, number, vector) */
static int entries(hello *h, span list, size_t bytes, const char *what,
                   void (*each)(hello *, unsigned, span)) {
  span v;
  unsigned num;
  while (list.n) {
    if (!number(&list, bytes, &num) || !vec(&list, 2, &v))
      return fail(h, "%s: a length past its end", what);
    if (v.n == 0)
      return fail(h, "%s: an empty entry", what);
    each(h, num, v);
  }
  return 1;
}

static void sni_entry(hello *h, unsigned kind, span name) {
  if (kind == 0 && !h->has_sni) { /* the first host_name */
    h->sni = name;
    h->has_sni = 1;
  }
}

static void share_entry(hello *h, unsigned group, span key) {
  (void)key;
  h->shares.v[h->shares.n++] = (uint16_t)group;
}

static int ext_alpn(hello *h, span body) {
  span list, name;
  if (!body_vec(h, body, 2, 2, &h->alpn, 16))
    return 0;
  list = h->alpn;
  while (list.n)
    if (!vec(&list, 1, &name) || name.n == 0)
      return fail(h, "ALPN: an empty or truncated protocol name");
  h->has_alpn = 1;
  return 1;
}

static int ext_psk(hello *h, span body) {
  span ids, binders, id, binder;
  unsigned age;
  if (!vec(&body, 2, &ids) || !vec(&body, 2, &binders))
    return fail(h, "pre_shared_key: a length past its end");
  if (body.n || ids.n < 7 || binders.n < 33)
    return fail(h, "pre_shared_key: malformed (%u, %u)", (unsigned)ids.n,
                (unsigned)binders.n);
  while (ids.n) {
    if (!vec(&ids, 2, &id) || id.n == 0 || !number(&ids, 4, &age))
      return fail(h, "pre_shared_key: a malformed identity");
    h->psk_identities++;
  }
  while (binders.n)
    if (!vec(&binders, 1, &binder) || binder.n < 32)
      return fail(h, "pre_shared_key: a malformed binder");
  return 1;
}

static int extension(hello *h, unsigned type, span body) {
  span s;
  switch (type) {
  case 0:
    return body_vec(h, body, 2, 1, &s, type) &&
           entries(h, s, 1, "server_name", sni_entry);
  case 10:
    return body_vec(h, body, 2, 2, &s, type) &&
           values16(h, s, &h->groups, "supported_groups");
  case 11: return body_vec(h, body, 1, 1, &h->formats, type);
  case 13:
    return body_vec(h, body, 2, 2, &s, type) &&
           values16(h, s, &h->sigalgs, "signature_algorithms");
  case 16: return ext_alpn(h, body);
  case 41: return ext_psk(h, body);
  case 43:
    return body_vec(h, body, 1, 2, &s, type) &&
           values16(h, s, &h->versions, "supported_versions");
  case 51:
    h->shares.v = h->free;
    if (!body_vec(h, body, 2, 0, &s, type) ||
        !entries(h, s, 2, "key_share", share_entry))
      return 0;
    h->free += h->shares.n;
    return 1;
  default: return 1; /* opaque */
  }
}

/* ---- the message --------------------------------------------------------- */

/* Parse the handshake message h->msg into h; 0 with h->err on error. The
 * scratch space (h->free) has room for msg.n / 2 16-bit values: each value
 * takes at least two bytes of the message. */
static int parse(hello *h) {
  span s = h->msg, body, exts, ext, ciphers;
  unsigned type = 0, len = 0;
  if (!number(&s, 1, &type) || type != 1)
    return fail(h, "not a ClientHello (handshake type %u)", type);
  if (!number(&s, 3, &len) || len != s.n)
    return fail(h, "the message length (%u) is not the bytes given (%u)", len,
                (unsigned)s.n);
  if (len > HELLO_MAX)
    return fail(h, "a message of %u bytes, longer than any ClientHello", len);
  body = s;
  if (!number(&body, 2, &h->version) || !take(&body, 32, &h->random))
    return fail(h, "truncated before the session ID");
  if (!vec(&body, 1, &h->session_id) || h->session_id.n > 32)
    return fail(h, "a bad session ID (%u bytes)", (unsigned)h->session_id.n);
  if (!vec(&body, 2, &ciphers))
    return fail(h, "cipher_suites: a length past the end");
  if (ciphers.n == 0)
    return fail(h, "cipher_suites: empty");
  if (!values16(h, ciphers, &h->ciphers, "cipher_suites"))
    return 0;
  if (!vec(&body, 1, &h->compression) || h->compression.n == 0)
    return fail(h, "compression_methods: empty or past the end");
  h->exts.v = h->free;
  if (body.n == 0)
    return 1; /* no extensions (an old client) */
  if (!vec(&body, 2, &exts))
    return fail(h, "extensions: a length past the end");
  if (body.n)
    return fail(h, "%u bytes after the extensions", (unsigned)body.n);
  /* each type once (RFC 8446 4.2): a bit per type */
  unsigned char seen[65536 / 8] = {0};
  size_t n = 0;
  for (span walk = exts; walk.n; n++) {
    if (!number(&walk, 2, &type) || !vec(&walk, 2, &ext))
      return fail(h, "extension #%u: a length past the end", (unsigned)n + 1);
    if (seen[type >> 3] & (1u << (type & 7)))
      return fail(h, "extension %u appears twice", type);
    seen[type >> 3] |= (unsigned char)(1u << (type & 7));
    h->exts.v[n] = (uint16_t)type;
  }
  h->exts.n = n;
  h->free += n;
  for (span walk = exts; walk.n;) {
    number(&walk, 2, &type);
    vec(&walk, 2, &ext);
    if (!extension(h, type, ext))
      return 0;
  }
  return 1;
}

/* ---- the table ----------------------------------------------------------- */

static void set_list16(lua_State *L, int t, int grease, const char *name,
                       const list16 *l) {
  lua_createtable(L, (int)l->n, 0);
  lua_createtable(L, 0, 0);
  int g = 0;
  for (size_t i = 0; i < l->n; i++) {
    lua_pushinteger(L, l->v[i]);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    if (is_grease(l->v[i])) {
      lua_pushinteger(L, (lua_Integer)i + 1);
      lua_rawseti(L, -2, ++g);
    }
  }
  lua_setfield(L, grease, name);
  lua_setfield(L, t, name);
}

static void set_list8(lua_State *L, int t, const char *name, span s) {
  lua_createtable(L, (int)s.n, 0);
  for (size_t i = 0; i < s.n; i++) {
    lua_pushinteger(L, s.p[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, t, name);
}

static void set_bytes(lua_State *L, int t, const char *name, span s) {
  lua_pushlstring(L, (const char *)s.p, s.n);
  lua_setfield(L, t, name);
}

/* the values of l that are not GREASE, into out; their number */
static size_t without_grease(const list16 *l, uint16_t *out) {
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++)
    if (!is_grease(l->v[i]))
      out[n++] = l->v[i];
  return n;
}

static const char HEX[] = "0123456789abcdef";

/* v in decimal, after `sep` unless it is 0. (The fingerprints format a
 * hundred numbers per ClientHello: snprintf was a tenth of a router's
 * work per connection.) */
static void add_decimal(luaL_Buffer *b, char sep, unsigned v) {
  char num[12], *p = num + sizeof num;
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  if (sep)
    *--p = sep;
  luaL_addlstring(b, p, (size_t)(num + sizeof num - p));
}

/* v as 4 lowercase hex digits ("%04x"), after `sep` unless it is 0 */
static void add_hex4(luaL_Buffer *b, char sep, uint16_t v) {
  char item[5];
  size_t n = 0;
  if (sep)
    item[n++] = sep;
  for (int shift = 12; shift >= 0; shift -= 4)
    item[n++] = HEX[(v >> shift) & 15];
  luaL_addlstring(b, item, n);
}

/* JA3's field: the values without GREASE, decimal, '-'-joined */
static void add_ja3_field(luaL_Buffer *b, const list16 *l, char sep) {
  int first = 1;
  for (size_t i = 0; i < l->n; i++) {
    if (is_grease(l->v[i]))
      continue;
    add_decimal(b, first ? 0 : '-', l->v[i]);
    first = 0;
  }
  if (sep)
    luaL_addchar(b, sep);
}

/* the digest of the string on the top, in hex (at most `chars` digits),
 * replacing it; "" when the digest is not available (a FIPS-only build
 * has no MD5) */
static void digest_top(lua_State *L, const EVP_MD *md, size_t chars) {
  size_t n;
  const char *s = lua_tolstring(L, -1, &n);
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dn = 0;
  char hex[2 * EVP_MAX_MD_SIZE];
  if (md == NULL || !EVP_Digest(s, n, d, &dn, md, NULL))
    dn = 0;
  for (unsigned i = 0; i < dn; i++) {
    hex[2 * i] = HEX[d[i] >> 4];
    hex[2 * i + 1] = HEX[d[i] & 15];
  }
  lua_pop(L, 1);
  lua_pushlstring(L, hex, 2 * dn < chars ? 2 * dn : chars);
}

static void set_ja3(lua_State *L, int t, const hello *h) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  add_decimal(&b, 0, h->version);
  luaL_addchar(&b, ',');
  add_ja3_field(&b, &h->ciphers, ',');
  add_ja3_field(&b, &h->exts, ',');
  add_ja3_field(&b, &h->groups, ',');
  for (size_t i = 0; i < h->formats.n; i++)
    add_decimal(&b, i ? '-' : 0, h->formats.p[i]);
  luaL_pushresult(&b);
  lua_pushvalue(L, -1);
  lua_setfield(L, t, "ja3");
  digest_top(L, EVP_md5(), 32);
  lua_setfield(L, t, "ja3Hash");
}

static int cmp16(const void *a, const void *b) {
  return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* "%04x"-joined values, sorted first when asked */
static void add_hex_list(luaL_Buffer *b, uint16_t *v, size_t n, int sorted) {
  if (sorted)
    qsort(v, n, sizeof *v, cmp16);
  for (size_t i = 0; i < n; i++)
    add_hex4(b, i ? ',' : 0, v[i]);
}

/* JA4's TLS version: the highest of supported_versions, else the legacy */
static const char *ja4_version(const hello *h) {
  unsigned v = 0;
  for (size_t i = 0; i < h->versions.n; i++)
    if (!is_grease(h->versions.v[i]) && h->versions.v[i] > v)
      v = h->versions.v[i];
  if (v == 0)
    v = h->version;
  switch (v) {
  case 0x0304: return "13";
  case 0x0303: return "12";
  case 0x0302: return "11";
  case 0x0301: return "10";
  case 0x0300: return "s3";
  case 0x0002: return "s2";
  default: return "00";
  }
}

static int alnum(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= 'a' && ch <= 'z');
}

/* JA4's ALPN: the first and last characters of the first protocol; the
 * first and last hex digits of it when either is not alphanumeric */
static void ja4_alpn(const hello *h, char out[3]) {
  span list = h->alpn, first;
  out[0] = out[1] = '0';
  out[2] = 0;
  if (!h->has_alpn || !vec(&list, 1, &first) || first.n == 0)
    return;
  unsigned char a = first.p[0], z = first.p[first.n - 1];
  if (alnum(a) && alnum(z)) {
    out[0] = (char)a;
    out[1] = (char)z;
  } else {
    out[0] = HEX[a >> 4];
    out[1] = HEX[z & 15];
  }
}

/* ja4 and ja4r; scratch has room for the ciphers and the extensions */
static void set_ja4(lua_State *L, int t, const hello *h, uint16_t *scratch) {
  uint16_t *c = scratch;
  size_t nc = without_grease(&h->ciphers, c);
  uint16_t *e = c + nc;
  size_t ne = without_grease(&h->exts, e), counted = ne, kept = 0;
  int sni = 0;
  for (size_t i = 0; i < ne; i++) {
    sni |= e[i] == 0;
    if (e[i] != 0 && e[i] != 16)
      e[kept++] = e[i];
  }
  uint16_t *s = e + ne;
  size_t ns = without_grease(&h->sigalgs, s);
  char a[16], alpn[3];
  ja4_alpn(h, alpn);
  snprintf(a, sizeof a, "t%s%c%02u%02u%s", ja4_version(h), sni ? 'd' : 'i',
           (unsigned)(nc > 99 ? 99 : nc),
           (unsigned)(counted > 99 ? 99 : counted), alpn);
  /* the parts before hashing: b (sorted ciphers), c (sorted extensions
   * without SNI and ALPN, then '_' and the signature algorithms) */
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  add_hex_list(&b, c, nc, 1);
  luaL_pushresult(&b);
  luaL_buffinit(L, &b);
  add_hex_list(&b, e, kept, 1);
  if (ns) {
    luaL_addchar(&b, '_');
    add_hex_list(&b, s, ns, 0);
  }
  luaL_pushresult(&b);
  lua_pushfstring(L, "%s_%s_%s", a, lua_tostring(L, -2), lua_tostring(L, -1));
  lua_setfield(L, t, "ja4r");
  if (kept == 0) {
    lua_pop(L, 1);
    lua_pushliteral(L, "000000000000");
  } else {
    digest_top(L, EVP_sha256(), 12);
  }
  lua_insert(L, -2);
  if (nc == 0) {
    lua_pop(L, 1);
    lua_pushliteral(L, "000000000000");
  } else {
    digest_top(L, EVP_sha256(), 12);
  }
  lua_pushfstring(L, "%s_%s_%s", a, lua_tostring(L, -1), lua_tostring(L, -2));
  lua_setfield(L, t, "ja4");
  lua_pop(L, 2);
}

static void push_table(lua_State *L, const hello *h, uint16_t *scratch) {
  lua_createtable(L, 0, 24);
  int t = lua_gettop(L);
  lua_createtable(L, 0, 6);
  int g = t + 1;
  set_bytes(L, t, "raw", h->msg);
  lua_pushinteger(L, h->version);
  lua_setfield(L, t, "legacyVersion");
  set_bytes(L, t, "random", h->random);
  set_bytes(L, t, "sessionId", h->session_id);
  set_list16(L, t, g, "ciphers", &h->ciphers);
  set_list8(L, t, "compressionMethods", h->compression);
  set_list16(L, t, g, "extensions", &h->exts);
  if (h->has_sni)
    set_bytes(L, t, "servername", h->sni);
  set_list16(L, t, g, "supportedVersions", &h->versions);
  set_list16(L, t, g, "groups", &h->groups);
  set_list16(L, t, g, "keyShareGroups", &h->shares);
  set_list8(L, t, "ecPointFormats", h->formats);
  set_list16(L, t, g, "signatureAlgorithms", &h->sigalgs);
  lua_createtable(L, 2, 0);
  span list = h->alpn, name;
  for (int i = 1; h->has_alpn && vec(&list, 1, &name); i++) {
    lua_pushlstring(L, (const char *)name.p, name.n);
    lua_rawseti(L, -2, i);
  }
  lua_setfield(L, t, "alpnProtocols");
  lua_pushinteger(L, h->psk_identities);
  lua_setfield(L, t, "pskIdentities");
  lua_setfield(L, t, "grease");
  set_ja3(L, t, h);
  set_ja4(L, t, h, scratch);
}

/* Parse msg (n bytes) and push the table, or push the error object:
 * 1 or 0. May raise (memory only). */
static int push_parsed(lua_State *L, const unsigned char *msg, size_t n) {
  hello *h = lua_newuserdatauv(L, sizeof *h, 0);
  memset(h, 0, sizeof *h);
  h->msg.p = msg;
  h->msg.n = n;
  /* room for every 16-bit value the message can hold, twice (the lists,
   * then JA4's copies without GREASE) */
  uint16_t *scratch = lua_newuserdatauv(L, n / 2 * 2 * sizeof *scratch + 2, 0);
  h->free = scratch;
  if (!parse(h)) {
    luatls_push_error(L, HELLO_ERR, h->err);
    lua_replace(L, -3);
    lua_pop(L, 1);
    return 0;
  }
  push_table(L, h, scratch + n / 2);
  lua_replace(L, -3);
  lua_pop(L, 1);
  return 1;
}

static int protected_push(lua_State *L) {
  const unsigned char *msg = lua_touserdata(L, 1);
  size_t n = (size_t)lua_tointeger(L, 2);
  lua_settop(L, 0);
  lua_pushboolean(L, push_parsed(L, msg, n));
  return 2;
}

int luatls_tls_push_hello(lua_State *L, const unsigned char *msg, size_t n) {
  lua_pushcfunction(L, protected_push);
  lua_pushlightuserdata(L, (void *)msg);
  lua_pushinteger(L, (lua_Integer)n);
  if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
    luatls_push_error(L, HELLO_ERR, lua_tostring(L, -1)); /* no memory */
    lua_replace(L, -2);
    return 0;
  }
  int ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok;
}

/* ---- records ------------------------------------------------------------- */

/* The TLS records a client sent first, up to its ClientHello (which may
 * span several; what follows it is ignored): 1 when the whole message is
 * there (*total: its length, *records: over how many), 0 when more bytes
 * are needed, -1 with err when the bytes cannot be one, whole or not. */
static int hello_records(const unsigned char *p, size_t n, size_t *total_out,
                         size_t *records_out, char err[160]) {
  unsigned char hdr[4];
  size_t have = 0, total = 0, i = 0, records = 0;
  while (total == 0 || have < total) {
    size_t left = n - i;
    if (left >= 1 && p[i] != 22) {
      snprintf(err, 160, "not a TLS handshake record (content type %u)", p[i]);
      return -1;
    }
    if (left >= 2 && p[i + 1] != 3) {
      snprintf(err, 160, "not a TLS record (version %u.%u)", p[i + 1],
               left >= 3 ? p[i + 2] : 0);
      return -1;
    }
    if (left < 5)
      break;
    size_t len = (size_t)p[i + 3] << 8 | p[i + 4];
    if (len == 0 || len > RECORD_MAX) {
      snprintf(err, 160, "a handshake record of %u bytes", (unsigned)len);
      return -1;
    }
    size_t frag = left - 5 < len ? left - 5 : len;
    for (size_t k = 0; k < frag && have + k < 4; k++)
      hdr[have + k] = p[i + 5 + k];
    have += frag;
    records++;
    if (have >= 1 && hdr[0] != 1) {
      snprintf(err, 160, "not a ClientHello (handshake type %u)", hdr[0]);
      return -1;
    }
    if (have >= 4 && total == 0) {
      size_t body = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
      if (body > HELLO_MAX) {
        snprintf(err, 160, "a ClientHello of %u bytes is too long",
                 (unsigned)body);
        return -1;
      }
      total = 4 + body;
    }
    if (frag < len)
      break; /* the record is not all there */
    i += 5 + len;
  }
  if (total == 0 || have < total)
    return 0;
  *total_out = total;
  *records_out = records;
  return 1;
}

/* the message hello_records found (total bytes), its fragments copied
 * together into dst */
static void hello_gather(const unsigned char *p, size_t total,
                         unsigned char *dst) {
  size_t got = 0;
  for (size_t i = 0; got < total; i += 5 + ((size_t)p[i + 3] << 8 | p[i + 4])) {
    size_t len = (size_t)p[i + 3] << 8 | p[i + 4];
    size_t k = total - got < len ? total - got : len;
    memcpy(dst + got, p + i + 5, k);
    got += k;
  }
}

int luatls_tls_scan_hello(const unsigned char *p, size_t n,
                          luatls_hello_scan *out) {
  size_t total, records;
  memset(out, 0, sizeof *out);
  int found = hello_records(p, n, &total, &records, out->err);
  if (found <= 0)
    return found;
  out->msg = p + 5;
  out->len = total;
  if (records > 1) {
    out->buf = malloc(total);
    if (out->buf == NULL) {
      snprintf(out->err, sizeof out->err, "no memory for the ClientHello");
      return -1;
    }
    hello_gather(p, total, out->buf);
    out->msg = out->buf;
  }
  hello h;
  memset(&h, 0, sizeof h);
  h.msg.p = out->msg;
  h.msg.n = total;
  uint16_t *scratch = malloc(total / 2 * sizeof *scratch + 2);
  if (scratch == NULL) {
    snprintf(out->err, sizeof out->err, "no memory for the ClientHello");
    return -1;
  }
  h.free = scratch;
  int ok = parse(&h);
  free(scratch);
  if (!ok) {
    memcpy(out->err, h.err, sizeof out->err);
    return -1;
  }
  if (h.has_sni) {
    out->servername = h.sni.p;
    out->servername_len = h.sni.n;
  }
  if (h.has_alpn) {
    out->alpn = h.alpn.p;
    out->alpn_len = h.alpn.n;
  }
  return 1;
}

/* parse_client_hello(bytes) -> table | nil, "incomplete" | nil, err: the
 * ClientHello in the TLS records a client sent first (it may span several
 * records; what follows it is ignored). Errors as soon as the bytes cannot
 * be one, incomplete or not. */
static int l_parse_client_hello(lua_State *L) {
  size_t n, total, records;
  const unsigned char *p = (const unsigned char *)luaL_checklstring(L, 1, &n);
  char err[160];
  int found = hello_records(p, n, &total, &records, err);
  if (found < 0) {
    lua_pushnil(L);
    luatls_push_error(L, HELLO_ERR, err);
    return 2;
  }
  if (found == 0) {
    lua_pushnil(L);
    lua_pushliteral(L, "incomplete");
    return 2;
  }
  const unsigned char *msg = p + 5;
  if (records > 1) { /* reassemble the fragments */
    unsigned char *buf = lua_newuserdatauv(L, total, 0);
    hello_gather(p, total, buf);
    msg = buf;
  }
  if (push_parsed(L, msg, total))
    return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

static const luaL_Reg functions[] = {
    {"parse_client_hello", l_parse_client_hello},
    {NULL, NULL},
};

/* no connection state: only the function above */
const luatls_tls_feature luatls_tls_hello_feature = {
    .name = "hello",
    .functions = functions,
};
