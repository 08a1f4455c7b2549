/*
 * tls/x509.c - certificates as Lua tables in the form of Node's
 * getPeerCertificate() (as Node 20 builds them: X509ToObject and
 * translatePeerCertificate), chains with their issuerCertificate links,
 * verification results as Node's error codes, one field at a time for
 * X509Certificate (luatls_push_x509_field: src/crypto/x509cert.c), and for Lua:
 *   x509_parse(data[, detailed]) -> cert table | nil, err
 *   x509_verify_code(n)          -> code, message
 *   x509_canonical_ip(s)         -> canonical address, 4|6 | nil
 */
#include <inttypes.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "luatls.h"

#define STACK_T "luatls.x509_stack"

/* ---- verification results ------------------------------------------------ */

const char *luatls_verify_code(long err) {
#define C(name)                                                                \
  case X509_V_ERR_##name: return #name;
  switch (err) {
  case X509_V_OK:
    return NULL;
    C(UNSPECIFIED)
    C(UNABLE_TO_GET_ISSUER_CERT)
    C(UNABLE_TO_GET_CRL)
    C(UNABLE_TO_DECRYPT_CERT_SIGNATURE)
    C(UNABLE_TO_DECRYPT_CRL_SIGNATURE)
    C(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
    C(CERT_SIGNATURE_FAILURE)
    C(CRL_SIGNATURE_FAILURE)
    C(CERT_NOT_YET_VALID)
    C(CERT_HAS_EXPIRED)
    C(CRL_NOT_YET_VALID)
    C(CRL_HAS_EXPIRED)
    C(ERROR_IN_CERT_NOT_BEFORE_FIELD)
    C(ERROR_IN_CERT_NOT_AFTER_FIELD)
    C(ERROR_IN_CRL_LAST_UPDATE_FIELD)
    C(ERROR_IN_CRL_NEXT_UPDATE_FIELD)
    C(OUT_OF_MEM)
    C(DEPTH_ZERO_SELF_SIGNED_CERT)
    C(SELF_SIGNED_CERT_IN_CHAIN)
    C(UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    C(UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    C(CERT_CHAIN_TOO_LONG)
    C(CERT_REVOKED)
    C(NO_ISSUER_PUBLIC_KEY)
    C(PATH_LENGTH_EXCEEDED)
    C(INVALID_PURPOSE)
    C(CERT_UNTRUSTED)
    C(CERT_REJECTED)
    C(SUBJECT_ISSUER_MISMATCH)
    C(AKID_SKID_MISMATCH)
    C(AKID_ISSUER_SERIAL_MISMATCH)
    C(KEYUSAGE_NO_CERTSIGN)
    C(UNABLE_TO_GET_CRL_ISSUER)
    C(UNHANDLED_CRITICAL_EXTENSION)
    C(KEYUSAGE_NO_CRL_SIGN)
    C(UNHANDLED_CRITICAL_CRL_EXTENSION)
    C(INVALID_NON_CA)
    C(PROXY_PATH_LENGTH_EXCEEDED)
    C(KEYUSAGE_NO_DIGITAL_SIGNATURE)
    C(PROXY_CERTIFICATES_NOT_ALLOWED)
    C(INVALID_EXTENSION)
    C(INVALID_POLICY_EXTENSION)
    C(NO_EXPLICIT_POLICY)
    C(DIFFERENT_CRL_SCOPE)
    C(UNSUPPORTED_EXTENSION_FEATURE)
    C(UNNESTED_RESOURCE)
    C(PERMITTED_VIOLATION)
    C(EXCLUDED_VIOLATION)
    C(SUBTREE_MINMAX)
    C(APPLICATION_VERIFICATION)
    C(UNSUPPORTED_CONSTRAINT_TYPE)
    C(UNSUPPORTED_CONSTRAINT_SYNTAX)
    C(UNSUPPORTED_NAME_SYNTAX)
    C(CRL_PATH_VALIDATION_ERROR)
    C(PATH_LOOP)
    C(SUITE_B_INVALID_VERSION)
    C(SUITE_B_INVALID_ALGORITHM)
    C(SUITE_B_INVALID_CURVE)
    C(SUITE_B_INVALID_SIGNATURE_ALGORITHM)
    C(SUITE_B_LOS_NOT_ALLOWED)
    C(SUITE_B_CANNOT_SIGN_P_384_WITH_P_256)
    C(HOSTNAME_MISMATCH)
    C(EMAIL_MISMATCH)
    C(IP_ADDRESS_MISMATCH)
    C(DANE_NO_MATCH)
    C(EE_KEY_TOO_SMALL)
    C(CA_KEY_TOO_SMALL)
    C(CA_MD_TOO_WEAK)
    C(INVALID_CALL)
    C(STORE_LOOKUP)
    C(NO_VALID_SCTS)
    C(PROXY_SUBJECT_NAME_VIOLATION)
    C(OCSP_VERIFY_NEEDED)
    C(OCSP_VERIFY_FAILED)
    C(OCSP_CERT_UNKNOWN)
    C(UNSUPPORTED_SIGNATURE_ALGORITHM)
    C(SIGNATURE_ALGORITHM_MISMATCH)
    C(SIGNATURE_ALGORITHM_INCONSISTENCY)
    C(INVALID_CA)
    C(PATHLEN_INVALID_FOR_NON_CA)
    C(PATHLEN_WITHOUT_KU_KEY_CERT_SIGN)
    C(KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA)
    C(ISSUER_NAME_EMPTY)
    C(SUBJECT_NAME_EMPTY)
    C(MISSING_AUTHORITY_KEY_IDENTIFIER)
    C(MISSING_SUBJECT_KEY_IDENTIFIER)
    C(EMPTY_SUBJECT_ALT_NAME)
    C(EMPTY_SUBJECT_SAN_NOT_CRITICAL)
    C(CA_BCONS_NOT_CRITICAL)
    C(AUTHORITY_KEY_IDENTIFIER_CRITICAL)
    C(SUBJECT_KEY_IDENTIFIER_CRITICAL)
    C(CA_CERT_MISSING_KEY_USAGE)
    C(EXTENSIONS_REQUIRE_VERSION_3)
    C(EC_KEY_EXPLICIT_PARAMS)
  default: return "UNSPECIFIED";
  }
#undef C
}

void luatls_push_verify_error(lua_State *L, long verify_result) {
  const char *code = luatls_verify_code(verify_result);
  if (code == NULL) {
    lua_pushnil(L);
    return;
  }
  /* OpenSSL 3.0 already says "unable to verify the first certificate" for
   * UNABLE_TO_VERIFY_LEAF_SIGNATURE and "self-signed certificate" for
   * DEPTH_ZERO_SELF_SIGNED_CERT, as Node reports them */
  luatls_push_error(L, code, X509_verify_cert_error_string(verify_result));
}

/* ---- OpenSSL errors while parsing, with Node's ERR_OSSL_* codes ---------- */

/* Push nil and an error object for the first queued OpenSSL error (Node's
 * ERR_OSSL_* code), or with code `fallback` when the queue is empty. */
static int parse_fail(lua_State *L, const char *what, const char *fallback) {
  lua_pushnil(L);
  luatls_push_openssl_error_or(L, fallback, what);
  return 2;
}

/* ---- names, alt names, info access (Node's crypto_common.cc) ------------- */

/* subject / issuer: { CN = "x", OU = { "a", "b" }, ... } with short names as
 * keys (the numeric OID when OpenSSL has none) and UTF-8 values; a key seen
 * again turns its value into a list */
static void push_name(lua_State *L, const X509_NAME *name) {
  int n = X509_NAME_entry_count(name);
  lua_createtable(L, 0, n > 0 ? n : 0);
  int t = lua_gettop(L);
  for (int i = 0; i < n; i++) {
    const X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT *type = X509_NAME_ENTRY_get_object(entry);
    ASN1_STRING *value = X509_NAME_ENTRY_get_data(entry);
    int nid = OBJ_obj2nid(type);
    char buf[256];
    const char *key = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
    if (key == NULL) {
      OBJ_obj2txt(buf, sizeof buf, type, 1);
      key = buf;
    }
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, value);
    if (len < 0)
      continue;
    lua_pushlstring(L, (const char *)utf8, (size_t)len);
    OPENSSL_free(utf8);
    int old = lua_getfield(L, t, key);
    if (old == LUA_TNIL) {
      lua_pop(L, 1);
      lua_setfield(L, t, key);
    } else if (old == LUA_TTABLE) {
      lua_insert(L, -2); /* list, value */
      lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
      lua_pop(L, 1);
    } else {
      lua_createtable(L, 2, 0); /* value, old, list */
      lua_insert(L, -3);        /* list, value, old */
      lua_rawseti(L, -3, 1);
      lua_rawseti(L, -2, 2);
      lua_setfield(L, t, key);
    }
  }
}

/* Node's IsSafeAltName: names with these characters are JSON-quoted */
static int safe_alt_name(const char *name, size_t len, int utf8) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == '"' || c == '\\' || c == ',' || c == '\'')
      return 0;
    if (utf8 ? (c < ' ' || c == 0x7f) : (c < ' ' || c > '~'))
      return 0;
  }
  return 1;
}

static void print_alt_name(BIO *out, const char *name, size_t len, int utf8,
                           const char *safe_prefix) {
  if (safe_alt_name(name, len, utf8)) {
    if (safe_prefix)
      BIO_printf(out, "%s:", safe_prefix);
    BIO_write(out, name, (int)len);
    return;
  }
  static const char hex[] = "0123456789abcdef";
  BIO_write(out, "\"", 1);
  if (safe_prefix)
    BIO_printf(out, "%s:", safe_prefix);
  for (size_t j = 0; j < len; j++) {
    unsigned char c = (unsigned char)name[j];
    if (c == '\\') {
      BIO_write(out, "\\\\", 2);
    } else if (c == '"') {
      BIO_write(out, "\\\"", 2);
    } else if ((c >= ' ' && c != ',' && c <= '~') || (utf8 && (c & 0x80))) {
      BIO_write(out, &c, 1);
    } else {
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      BIO_write(out, u, sizeof u);
    }
  }
  BIO_write(out, "\"", 1);
}

static void print_ia5(BIO *out, const ASN1_STRING *s, const char *prefix) {
  print_alt_name(out, (const char *)ASN1_STRING_get0_data(s),
                 (size_t)ASN1_STRING_length(s), 0, prefix);
}

/* Node's PrintGeneralName: i2v_GENERAL_NAME made unambiguous. 0 on failure */
static int print_general_name(BIO *out, const GENERAL_NAME *gen) {
  switch (gen->type) {
  case GEN_DNS:
    BIO_write(out, "DNS:", 4);
    print_ia5(out, gen->d.dNSName, NULL);
    break;
  case GEN_EMAIL:
    BIO_write(out, "email:", 6);
    print_ia5(out, gen->d.rfc822Name, NULL);
    break;
  case GEN_URI:
    BIO_write(out, "URI:", 4);
    print_ia5(out, gen->d.uniformResourceIdentifier, NULL);
    break;
  case GEN_DIRNAME: {
    /* RFC 2253, but UTF-8 and without escaping controls: quoted below */
    unsigned long flags =
        XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~ASN1_STRFLGS_ESC_CTRL;
    BIO *tmp = BIO_new(BIO_s_mem());
    char *data = NULL;
    if (tmp == NULL)
      return 0;
    BIO_printf(out, "DirName:");
    if (X509_NAME_print_ex(tmp, gen->d.dirn, 0, flags) < 0) {
      BIO_free(tmp);
      return 0;
    }
    long n = BIO_get_mem_data(tmp, &data);
    print_alt_name(out, data ? data : "", n > 0 ? (size_t)n : 0, 1, NULL);
    BIO_free(tmp);
    break;
  }
  case GEN_IPADD: {
    const ASN1_OCTET_STRING *ip = gen->d.ip;
    const unsigned char *b = ASN1_STRING_get0_data(ip);
    int len = ASN1_STRING_length(ip);
    BIO_printf(out, "IP Address:");
    if (len == 4) {
      BIO_printf(out, "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
    } else if (len == 16) {
      for (int j = 0; j < 8; j++)
        BIO_printf(out, j == 0 ? "%X" : ":%X", (b[2 * j] << 8) | b[2 * j + 1]);
    } else {
      BIO_printf(out, "<invalid length=%d>", len);
    }
    break;
  }
  case GEN_RID: {
    char oid[256];
    OBJ_obj2txt(oid, sizeof oid, gen->d.rid, 1);
    BIO_printf(out, "Registered ID:%s", oid);
    break;
  }
  case GEN_OTHERNAME: {
    const char *prefix = NULL;
    int unicode = 1;
    switch (OBJ_obj2nid(gen->d.otherName->type_id)) {
    case NID_id_on_SmtpUTF8Mailbox: prefix = "SmtpUTF8Mailbox"; break;
    case NID_XmppAddr: prefix = "XmppAddr"; break;
    case NID_SRVName:
      prefix = "SRVName";
      unicode = 0;
      break;
    case NID_ms_upn: prefix = "UPN"; break;
    case NID_NAIRealm: prefix = "NAIRealm"; break;
    }
    const ASN1_TYPE *v = gen->d.otherName->value;
    int vt = v ? v->type : -1;
    if (prefix == NULL || (unicode && vt != V_ASN1_UTF8STRING) ||
        (!unicode && vt != V_ASN1_IA5STRING)) {
      BIO_printf(out, "othername:<unsupported>");
    } else {
      const ASN1_STRING *s = unicode ? v->value.utf8string : v->value.ia5string;
      BIO_printf(out, "othername:");
      print_alt_name(out, (const char *)ASN1_STRING_get0_data(s),
                     (size_t)ASN1_STRING_length(s), unicode, prefix);
    }
    break;
  }
  case GEN_X400: BIO_printf(out, "X400Name:<unsupported>"); break;
  case GEN_EDIPARTY: BIO_printf(out, "EdiPartyName:<unsupported>"); break;
  default: return 0;
  }
  return 1;
}

static void push_bio(lua_State *L, BIO *b) {
  char *data = NULL;
  long n = BIO_get_mem_data(b, &data);
  lua_pushlstring(L, data ? data : "", n > 0 ? (size_t)n : 0);
  (void)BIO_reset(b);
}

/* subjectaltname: "DNS:localhost, IP Address:127.0.0.1" (absent: no field) */
static void set_altnames(lua_State *L, X509 *cert, BIO *bio) {
  int idx = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
  if (idx < 0)
    return;
  GENERAL_NAMES *names = X509V3_EXT_d2i(X509_get_ext(cert, idx));
  if (names == NULL)
    return;
  int ok = 1;
  for (int i = 0; ok && i < sk_GENERAL_NAME_num(names); i++) {
    if (i != 0)
      BIO_write(bio, ", ", 2);
    ok = print_general_name(bio, sk_GENERAL_NAME_value(names, i));
  }
  GENERAL_NAMES_free(names);
  if (ok) {
    push_bio(L, bio);
    lua_setfield(L, -2, "subjectaltname");
  }
  (void)BIO_reset(bio);
}

/* JSON.parse of a string literal made by print_alt_name: \\ \" \uXXXX */
static void push_json_string(lua_State *L, const char *s, size_t len) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 1; i + 1 < len; i++) {
    char c = s[i];
    if (c != '\\' || i + 2 >= len) {
      luaL_addchar(&b, c);
      continue;
    }
    c = s[++i];
    if (c == 'u' && i + 5 < len) {
      unsigned cp = 0;
      for (int k = 1; k <= 4; k++) {
        char h = s[i + k];
        cp = cp * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
      }
      i += 4;
      if (cp < 0x80) {
        luaL_addchar(&b, (char)cp);
      } else if (cp < 0x800) {
        luaL_addchar(&b, (char)(0xC0 | (cp >> 6)));
        luaL_addchar(&b, (char)(0x80 | (cp & 0x3F)));
      } else {
        luaL_addchar(&b, (char)(0xE0 | (cp >> 12)));
        luaL_addchar(&b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        luaL_addchar(&b, (char)(0x80 | (cp & 0x3F)));
      }
    } else {
      switch (c) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      default: break; /* \\ \" \/ */
      }
      luaL_addchar(&b, c);
    }
  }
  luaL_pushresult(&b);
}

/* one access description: "OCSP - URI:http://..." (0 on failure) */
static int print_access(BIO *out, const ACCESS_DESCRIPTION *desc) {
  char method[80];
  i2t_ASN1_OBJECT(method, sizeof method, desc->method);
  BIO_printf(out, "%s - ", method);
  return print_general_name(out, desc->location);
}

/* infoAccess: { ["OCSP - URI"] = { "http://..." }, ... } as Node's
 * translatePeerCertificate makes it from the "OCSP - URI:http://..." lines */
static void set_info_access(lua_State *L, X509 *cert, BIO *bio) {
  int idx = X509_get_ext_by_NID(cert, NID_info_access, -1);
  if (idx < 0)
    return;
  AUTHORITY_INFO_ACCESS *descs = X509V3_EXT_d2i(X509_get_ext(cert, idx));
  if (descs == NULL)
    return;
  lua_newtable(L);
  int t = lua_gettop(L);
  int ok = 1;
  for (int i = 0; ok && i < sk_ACCESS_DESCRIPTION_num(descs); i++) {
    (void)BIO_reset(bio);
    ok = print_access(bio, sk_ACCESS_DESCRIPTION_value(descs, i));
    char *line = NULL;
    long n = BIO_get_mem_data(bio, &line);
    const char *colon = ok && n > 0 ? memchr(line, ':', (size_t)n) : NULL;
    if (colon == NULL)
      continue;
    size_t klen = (size_t)(colon - line);
    size_t vlen = (size_t)n - klen - 1;
    lua_pushlstring(L, line, klen);
    if (vlen > 0 && colon[1] == '"')
      push_json_string(L, colon + 1, vlen);
    else
      lua_pushlstring(L, colon + 1, vlen);
    lua_pushvalue(L, -2);
    if (lua_rawget(L, t) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -3);
      lua_pushvalue(L, -2);
      lua_rawset(L, t); /* key, value, list */
    }
    lua_insert(L, -2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 2);
  }
  AUTHORITY_INFO_ACCESS_free(descs);
  (void)BIO_reset(bio);
  if (ok)
    lua_setfield(L, -2, "infoAccess");
  else
    lua_pop(L, 1);
}

/* ---- the public key ------------------------------------------------------ */

static void set_key(lua_State *L, X509 *cert, BIO *bio) {
  EVP_PKEY *pkey = X509_get0_pubkey(cert);
  if (pkey == NULL)
    return;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    BIGNUM *n = NULL, *e = NULL;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) &&
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
      BN_print(bio, n);
      push_bio(L, bio);
      lua_setfield(L, -2, "modulus");
      lua_pushinteger(L, BN_num_bits(n));
      lua_setfield(L, -2, "bits");
      char exp[32];
      snprintf(exp, sizeof exp, "0x%" PRIx64, (uint64_t)BN_get_word(e));
      lua_pushstring(L, exp);
      lua_setfield(L, -2, "exponent");
      int len = i2d_PUBKEY(pkey, NULL);
      if (len > 0) {
        luaL_Buffer b;
        unsigned char *p =
            (unsigned char *)luaL_buffinitsize(L, &b, (size_t)len);
        i2d_PUBKEY(pkey, &p);
        luaL_pushresultsize(&b, (size_t)len);
        lua_setfield(L, -2, "pubkey");
      }
    }
    BN_free(n);
    BN_free(e);
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits > 0) {
      lua_pushinteger(L, bits);
      lua_setfield(L, -2, "bits");
    }
    /* as Node: the point itself, not a SubjectPublicKeyInfo */
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(
            pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0, &len) &&
        len > 0) {
      luaL_Buffer b;
      unsigned char *p = (unsigned char *)luaL_buffinitsize(L, &b, len);
      if (EVP_PKEY_get_octet_string_param(
              pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, p, len, &len)) {
        luaL_pushresultsize(&b, len);
        lua_setfield(L, -2, "pubkey");
      } else {
        luaL_pushresultsize(&b, 0);
        lua_pop(L, 1);
      }
    }
    char group[80];
    size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof group, &glen)) {
      int nid = OBJ_txt2nid(group);
      if (nid == NID_undef)
        nid = EC_curve_nist2nid(group);
      if (nid != NID_undef) {
        const char *nist = EC_curve_nid2nist(nid);
        lua_pushstring(L, OBJ_nid2sn(nid));
        lua_setfield(L, -2, "asn1Curve");
        if (nist) {
          lua_pushstring(L, nist);
          lua_setfield(L, -2, "nistCurve");
        }
      }
    }
  }
  ERR_clear_error();
}

/* ---- one certificate ----------------------------------------------------- */

static void set_time(lua_State *L, BIO *bio, const ASN1_TIME *t,
                     const char *field) {
  if (t == NULL || !ASN1_TIME_print(bio, t)) {
    (void)BIO_reset(bio);
    return;
  }
  push_bio(L, bio);
  lua_setfield(L, -2, field);
}

static void set_fingerprint(lua_State *L, X509 *cert, const EVP_MD *md,
                            const char *field) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  char out[EVP_MAX_MD_SIZE * 3];
  if (!X509_digest(cert, md, d, &n) || n == 0)
    return;
  for (unsigned int i = 0; i < n; i++) {
    out[3 * i] = hex[d[i] >> 4];
    out[3 * i + 1] = hex[d[i] & 15];
    out[3 * i + 2] = ':';
  }
  lua_pushlstring(L, out, 3 * n - 1);
  lua_setfield(L, -2, field);
}

static void set_ext_key_usage(lua_State *L, X509 *cert) {
  EXTENDED_KEY_USAGE *eku =
      X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
  if (eku == NULL)
    return;
  int n = sk_ASN1_OBJECT_num(eku);
  lua_createtable(L, n, 0);
  for (int i = 0, j = 0; i < n; i++) {
    char oid[256];
    if (OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, i), 1) >= 0) {
      lua_pushstring(L, oid);
      lua_rawseti(L, -2, ++j);
    }
  }
  sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  lua_setfield(L, -2, "ext_key_usage");
}

static void set_serial(lua_State *L, X509 *cert) {
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
  char *hex = bn ? BN_bn2hex(bn) : NULL;
  BN_free(bn);
  if (hex == NULL)
    return;
  lua_pushstring(L, hex);
  OPENSSL_free(hex);
  lua_setfield(L, -2, "serialNumber");
}

static void set_raw(lua_State *L, X509 *cert) {
  int len = i2d_X509(cert, NULL);
  if (len <= 0)
    return;
  luaL_Buffer b;
  unsigned char *p = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)len);
  i2d_X509(cert, &p);
  luaL_pushresultsize(&b, (size_t)len);
  lua_setfield(L, -2, "raw");
}

void luatls_push_x509(lua_State *L, X509 *cert) {
  luaL_checkstack(L, 10, "x509");
  lua_createtable(L, 0, cert ? 20 : 0);
  if (cert == NULL) /* no certificate: {} as Node gives then */
    return;
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL)
    luaL_error(L, "out of memory");
  push_name(L, X509_get_subject_name(cert));
  lua_setfield(L, -2, "subject");
  push_name(L, X509_get_issuer_name(cert));
  lua_setfield(L, -2, "issuer");
  set_altnames(L, cert, bio);
  set_info_access(L, cert, bio);
  lua_pushboolean(L, X509_check_ca(cert) == 1);
  lua_setfield(L, -2, "ca");
  set_key(L, cert, bio);
  set_time(L, bio, X509_get0_notBefore(cert), "valid_from");
  set_time(L, bio, X509_get0_notAfter(cert), "valid_to");
  BIO_free(bio);
  set_fingerprint(L, cert, EVP_sha1(), "fingerprint");
  set_fingerprint(L, cert, EVP_sha256(), "fingerprint256");
  set_fingerprint(L, cert, EVP_sha512(), "fingerprint512");
  set_ext_key_usage(L, cert);
  set_serial(L, cert);
  set_raw(L, cert);
  ERR_clear_error();
}

/* ---- one field at a time (X509Certificate's properties) ------------------ */

/* subject, issuer as X509Certificate gives them: "C=US\nO=luatls\nCN=x"
 * (short names, RFC 2253 escapes, UTF-8) */
static void set_name_text(lua_State *L, const X509_NAME *name, BIO *bio,
                          const char *field) {
  unsigned long flags = XN_FLAG_SEP_MULTILINE | XN_FLAG_FN_SN |
                        ASN1_STRFLGS_ESC_2253 | ASN1_STRFLGS_ESC_CTRL |
                        ASN1_STRFLGS_UTF8_CONVERT;
  if (X509_NAME_print_ex(bio, name, 0, flags) < 0) {
    (void)BIO_reset(bio);
    return;
  }
  push_bio(L, bio);
  lua_setfield(L, -2, field);
}

/* infoAccess as X509Certificate gives it: one "OCSP - URI:..." a line */
static void set_info_access_text(lua_State *L, X509 *cert, BIO *bio) {
  AUTHORITY_INFO_ACCESS *descs =
      X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
  if (descs == NULL)
    return;
  int ok = 1;
  for (int i = 0; ok && i < sk_ACCESS_DESCRIPTION_num(descs); i++) {
    if (i != 0)
      BIO_write(bio, "\n", 1);
    ok = print_access(bio, sk_ACCESS_DESCRIPTION_value(descs, i));
  }
  AUTHORITY_INFO_ACCESS_free(descs);
  if (ok) {
    push_bio(L, bio);
    lua_setfield(L, -2, "infoAccess");
  }
  (void)BIO_reset(bio);
}

int luatls_push_x509_field(lua_State *L, X509 *cert, const char *field) {
  luaL_checkstack(L, 6, "x509");
  lua_createtable(L, 0, 1);
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL)
    luaL_error(L, "out of memory");
  if (strcmp(field, "subject") == 0)
    set_name_text(L, X509_get_subject_name(cert), bio, field);
  else if (strcmp(field, "issuer") == 0)
    set_name_text(L, X509_get_issuer_name(cert), bio, field);
  else if (strcmp(field, "infoAccess") == 0)
    set_info_access_text(L, cert, bio);
  else if (strcmp(field, "subjectaltname") == 0)
    set_altnames(L, cert, bio);
  else if (strcmp(field, "valid_from") == 0)
    set_time(L, bio, X509_get0_notBefore(cert), field);
  else if (strcmp(field, "valid_to") == 0)
    set_time(L, bio, X509_get0_notAfter(cert), field);
  else if (strcmp(field, "fingerprint") == 0)
    set_fingerprint(L, cert, EVP_sha1(), field);
  else if (strcmp(field, "fingerprint256") == 0)
    set_fingerprint(L, cert, EVP_sha256(), field);
  else if (strcmp(field, "fingerprint512") == 0)
    set_fingerprint(L, cert, EVP_sha512(), field);
  else if (strcmp(field, "ext_key_usage") == 0)
    set_ext_key_usage(L, cert);
  else if (strcmp(field, "serialNumber") == 0)
    set_serial(L, cert);
  else if (strcmp(field, "raw") == 0)
    set_raw(L, cert);
  else if (strcmp(field, "ca") == 0) {
    lua_pushboolean(L, X509_check_ca(cert) == 1);
    lua_setfield(L, -2, "ca");
  }
  BIO_free(bio);
  ERR_clear_error();
  int type = lua_getfield(L, -1, field);
  lua_remove(L, -2);
  return type;
}

/* ---- a chain: issuerCertificate links, as Node's GetPeerCert ------------- */

X509 **luatls_x509_issuers(lua_State *L, X509 *leaf, STACK_OF(X509) * chain,
                           int *count) {
  int n = chain ? sk_X509_num(chain) : 0;
  /* [0, k) the issuers found, [k, nleft) the certificates still unused
   * (the leaf may be in the chain: a client's peer chain starts with it, a
   * server's does not) */
  X509 **found = lua_newuserdatauv(L, sizeof(X509 *) * (size_t)(n + 1), 0);
  int nleft = 0, k = 0;
  for (int i = 0; i < n; i++) {
    X509 *c = sk_X509_value(chain, i);
    if (c != NULL && c != leaf && X509_cmp(c, leaf) != 0)
      found[nleft++] = c;
  }
  for (X509 *cur = leaf; k < nleft; cur = found[k++]) {
    int i = k;
    while (i < nleft && X509_check_issued(found[i], cur) != X509_V_OK)
      i++;
    if (i == nleft)
      break;
    X509 *issuer = found[i];
    found[i] = found[k];
    found[k] = issuer;
  }
  ERR_clear_error();
  *count = k;
  return found;
}

void luatls_push_x509_chain(lua_State *L, X509 *leaf, STACK_OF(X509) * chain) {
  luaL_checkstack(L, 6, "x509 chain");
  luatls_push_x509(L, leaf);
  if (leaf == NULL)
    return;
  int base = lua_gettop(L), n;
  X509 **issuers = luatls_x509_issuers(L, leaf, chain, &n);
  lua_pushvalue(L, base); /* the current certificate's table: base + 2 */
  X509 *cur = leaf;
  for (int i = 0; i < n; i++) {
    luatls_push_x509(L, issuers[i]);
    lua_pushvalue(L, -1);
    lua_setfield(L, base + 2, "issuerCertificate");
    lua_replace(L, base + 2);
    cur = issuers[i];
  }
  /* the last one, when self-signed, is its own issuer: a cycle, as in Node */
  if (X509_check_issued(cur, cur) == X509_V_OK) {
    lua_pushvalue(L, base + 2);
    lua_setfield(L, base + 2, "issuerCertificate");
  }
  ERR_clear_error();
  lua_settop(L, base);
}

/* ---- Lua functions ------------------------------------------------------- */

/* a stack of certificates owned by a userdata, so that an error while
 * building the tables cannot leak it */
static int stack_gc(lua_State *L) {
  STACK_OF(X509) **sp = luaL_checkudata(L, 1, STACK_T);
  if (*sp)
    sk_X509_pop_free(*sp, X509_free);
  *sp = NULL;
  return 0;
}

static int no_password(char *buf, int size, int rwflag, void *u) {
  (void)buf, (void)size, (void)rwflag, (void)u;
  return -1;
}

static int looks_pem(const char *s, size_t len) {
  static const char tag[] = "-----BEGIN ";
  size_t tl = sizeof tag - 1;
  for (size_t i = 0; i + tl <= len; i++)
    if (s[i] == '-' && memcmp(s + i, tag, tl) == 0)
      return 1;
  return 0;
}

/* x509_parse(data[, detailed]): PEM (one or more CERTIFICATE or TRUSTED
 * CERTIFICATE blocks; other PEM blocks are skipped) or DER -> the first
 * certificate's table, with its issuerCertificate chain among the others when
 * detailed; nil, err when there is no certificate */
static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  int detailed = lua_toboolean(L, 2);
  if (len > 0x7fffffff)
    return luaL_argerror(L, 1, "too large");
  STACK_OF(X509) **sp = lua_newuserdatauv(L, sizeof *sp, 0);
  *sp = NULL;
  luaL_setmetatable(L, STACK_T);
  int hold = lua_gettop(L);
  if ((*sp = sk_X509_new_null()) == NULL)
    return luaL_error(L, "out of memory");
  ERR_clear_error();
  if (looks_pem(data, len)) {
    BIO *b = BIO_new_mem_buf(data, (int)len);
    X509 *x;
    if (b == NULL)
      return luaL_error(L, "out of memory");
    while ((x = PEM_read_bio_X509_AUX(b, NULL, no_password, NULL)) != NULL) {
      if (!sk_X509_push(*sp, x)) {
        X509_free(x);
        break;
      }
    }
    BIO_free(b);
    unsigned long e = ERR_peek_last_error();
    int at_end = ERR_GET_LIB(e) == ERR_LIB_PEM &&
                 ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
    if (!at_end)
      return parse_fail(L, "invalid PEM certificate", "ERR_X509_INVALID");
    if (sk_X509_num(*sp) == 0)
      return parse_fail(L, "no certificate in the PEM data",
                        "ERR_X509_INVALID");
  } else {
    const unsigned char *p = (const unsigned char *)data;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL)
      return parse_fail(L, "not a certificate: neither PEM nor DER",
                        "ERR_X509_INVALID");
    if (!sk_X509_push(*sp, x)) {
      X509_free(x);
      return luaL_error(L, "out of memory");
    }
  }
  ERR_clear_error();
  X509 *leaf = sk_X509_value(*sp, 0);
  if (detailed)
    luatls_push_x509_chain(L, leaf, *sp);
  else
    luatls_push_x509(L, leaf);
  lua_pushcfunction(L, stack_gc);
  lua_pushvalue(L, hold);
  lua_call(L, 1, 0);
  return 1;
}

/* x509_verify_code(n) -> Node's code, OpenSSL's message (nil, "ok" for 0) */
static int l_verify_code(lua_State *L) {
  long v = (long)luaL_checkinteger(L, 1);
  const char *code = luatls_verify_code(v);
  if (code)
    lua_pushstring(L, code);
  else
    lua_pushnil(L);
  lua_pushstring(L, X509_verify_cert_error_string(v));
  return 2;
}

/* x509_canonical_ip(s) -> the address as inet_ntop writes it, 4 or 6;
 * nil when s is not an IP address (Node's canonicalizeIP and net.isIP) */
static int l_canonical_ip(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  unsigned char addr[16];
  char out[64];
  int af = 0;
  if (strlen(s) == len) {
    if (uv_inet_pton(AF_INET, s, addr) == 0)
      af = AF_INET;
    else if (uv_inet_pton(AF_INET6, s, addr) == 0)
      af = AF_INET6;
  }
  if (af == 0 || uv_inet_ntop(af, addr, out, sizeof out) != 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, out);
  lua_pushinteger(L, af == AF_INET ? 4 : 6);
  return 2;
}

void luatls_open_x509(lua_State *L) {
  static const luaL_Reg funcs[] = {{"x509_parse", l_parse},
                                   {"x509_verify_code", l_verify_code},
                                   {"x509_canonical_ip", l_canonical_ip},
                                   {NULL, NULL}};
  luatls_new_metatable(L, STACK_T, NULL, stack_gc, NULL, NULL);
  lua_pop(L, 1);
  luaL_setfuncs(L, funcs, 0);
}
