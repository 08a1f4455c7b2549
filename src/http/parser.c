/*
 * http/parser.c - HTTP/1 messages read by http-parser (Debian's
 * libhttp-parser 2.9.4, Node's parser before llhttp), for the Lua side of
 * the http module (issue 19), which is its only caller. Lua sees one table
 * per message head, never one call per header:
 *   http_parser(kind, events, owner[, opts]) -> parser
 *       kind "request" | "response"; events: { headers = fn, body = fn,
 *       complete = fn }, each called with owner first:
 *         headers(owner, head) -> truthy: the message has no body (a
 *             response to HEAD); 2: no body and the connection is taken
 *             over (the response to a CONNECT)
 *         body(owner, chunk)   one string per piece of body
 *         complete(owner, trailers)  trailers: nil or { raw = {name,
 *             value, ...}, headers = {joined} }
 *       opts: { maxHeaderSize = 16384 (the bytes of one head, counted as
 *       Node counts them: the url or status message, names and values;
 *       the trailers again), maxHeadersCount = 2000 (0: no limit; the
 *       headers past it are dropped from rawHeaders and headers) }
 *   parser:execute(data) -> the bytes consumed, or nil, err (err: code
 *       "HPE_...", message "Parse Error: <reason>", reason, bytesParsed).
 *       It stops after the head of an upgrade or a CONNECT (upgraded() is
 *       then true: the caller takes the bytes after it) and when a handler
 *       pauses it.
 *   parser:finish() -> true, or nil, err: the end of the input (completes a
 *       body that runs to EOF; a message cut short is an error)
 *   parser:reset([kind[, owner]]), parser:pause(flag), parser:upgraded()
 * The head: method, url (requests); statusCode, statusMessage (responses);
 * versionMajor, versionMinor, httpVersion, rawHeaders (names and values as
 * received, values trimmed of surrounding whitespace), headers (Node's
 * IncomingMessage form), shouldKeepAlive, upgrade, chunked, contentLength.
 *
 * Handlers are called directly: an error one raises goes out of execute
 * through http-parser's frame (which holds nothing to release: the state
 * lives in the userdata) and leaves the parser failed until reset().
 *
 * http-parser as Debian ships it is built non-strict, and older than the
 * llhttp of Node 20, so it accepts inputs Node refuses. Those are refused
 * here, with Node's code and reason (see the table at `Node's refusals`).
 * Bytes go to http-parser in pieces that end where the message changes
 * shape (a line of the head, of a chunk size, of the trailers; a body of
 * known length), so the checks of line endings, folds and chunk-size
 * lines look at each piece before http-parser sees it; the others are made
 * in the callbacks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "http.h"

#define PARSER_T "luatls.http_parser"
#define GUARD_T "luatls.http_parser_guard"

#define DEFAULT_MAX_HEADER_SIZE 16384
#define DEFAULT_MAX_HEADERS 2000

/* user values of the parser's userdata; during execute the first four are
 * on the stack at `base` in the same order */
enum { UV_HEADERS = 1, UV_BODY, UV_COMPLETE, UV_OWNER, UV_GUARD };
enum { H_HEADERS = 0, H_BODY, H_COMPLETE, H_OWNER };

/* What the next bytes are. */
enum {
  PH_HEAD,       /* the start line and the header lines (and CR/LF before) */
  PH_BODY,       /* `remaining` bytes of a Content-Length body */
  PH_BODY_EOF,   /* a body that runs to the end of the input */
  PH_CHUNK_SIZE, /* a chunk-size line */
  PH_CHUNK_DATA, /* `remaining` bytes of a chunk */
  PH_CHUNK_END,  /* the CRLF after a chunk */
  PH_TRAILERS,   /* the trailer lines after the last chunk */
  PH_CLOSED,     /* after a message not kept alive: only CR/LF may follow */
};

/* the line checks of PH_HEAD and PH_TRAILERS: at a line's start, in it,
 * after a CR ending a line with something in it, after a CR alone */
enum { LS_START, LS_MID, LS_CR, LS_CR0 };
/* the chunk-size line */
enum {
  CS_SIZE0,      /* before the first digit */
  CS_SIZE,       /* in the digits */
  CS_EXT_NAME0,  /* after ';' */
  CS_EXT,        /* in an extension */
  CS_QUOTED,     /* in a quoted value */
  CS_QUOTED_ESC, /* after a backslash in it */
  CS_CR,         /* after the CR */
};

enum { LAST_NONE, LAST_FIELD, LAST_VALUE };

/* a header: offsets into the text buffer */
typedef struct {
  size_t name, name_len, value, value_len;
} entry;

typedef struct {
  http_parser hp;
  lua_State *L; /* while execute or finish runs */
  int base;     /* the handlers' stack index then */
  unsigned closed : 1, busy : 1, failed : 1, clean_exit : 1, errored : 1,
      upgraded : 1;
  size_t max_header_size;
  lua_Integer max_headers;

  /* the head (or the trailers) being read: the url or status message,
   * then each name and value, in one buffer */
  char *text;
  size_t text_len, text_cap;
  size_t start_len; /* text[0, start_len): the url or status message */
  entry *entries;
  size_t n_entries, cap_entries;
  entry cur;           /* the header being read */
  size_t n_fields;     /* headers seen (also those dropped) */
  int last;            /* LAST_*: what the last piece was */
  size_t header_nread; /* Node's count for maxHeaderSize */
  int in_trailers;
  int start_checked; /* the version (and status code) checked */
  int cl_seen, te_seen, cl_first, te_chunked;

  /* the shape of the next bytes and the checks on them */
  int phase;
  uint64_t remaining;
  size_t refeed; /* bytes of the last piece a pause left unconsumed */
  int ls;        /* LS_* */
  int line_no;   /* lines begun in this head */
  int colon;     /* the line has a ':' */
  /* the start line's first and last bytes (its CR and LF left out) */
  char line1[13], tail[8];
  size_t line1_n;
  int cs; /* CS_* */
  int ce; /* the CRLF after a chunk: bytes of it seen */

  /* scratch for joining headers: the next index with the same name, the
   * last index of each name's list (NONE for those not first) */
  uint32_t *chain;
  size_t cap_chain;

  /* the parse error: Node's code and reason */
  const char *err_code, *err_reason;
  size_t err_pos;
} parser;

typedef struct {
  parser *P;
} guard_ud;

#define NONE UINT32_MAX

/* ---- Node's refusals -----------------------------------------------------
 * What Node 20 (llhttp, non-lenient) refuses and http-parser 2.9.4
 * (non-strict) accepts, found by feeding raw requests to a Node http server
 * and raw responses to its client; the code and reason are Node's:
 *   a header line starting with whitespace (obs-fold): HPE_INVALID_HEADER_TOKEN
 *       "Unexpected whitespace after header value"; as the first header
 *       line HPE_UNEXPECTED_SPACE "Unexpected space after start line"; as
 *       the first trailer line HPE_INVALID_HEADER_TOKEN "Invalid header token"
 *   whitespace in a header name ("Host : x"): HPE_INVALID_HEADER_TOKEN
 *   LF without CR ending the request line: HPE_INVALID_VERSION; the status
 *       line, a header or trailer line: HPE_CR_EXPECTED (before the colon:
 *       HPE_INVALID_HEADER_TOKEN); the empty line: HPE_INVALID_HEADER_TOKEN
 *       (bare LFs before the start line are let through, as Node does)
 *   a CR not followed by LF ending the request line: HPE_STRICT; the status
 *       line: HPE_STRICT; a header line: HPE_LF_EXPECTED; the empty line:
 *       HPE_STRICT (http-parser takes any byte after those CRs for the LF,
 *       and reads what follows a status line's CR as the body)
 *   a control byte or DEL at the start of a header value:
 *       HPE_INVALID_HEADER_TOKEN
 *   anything but "HTTP/" before the version ("HXXP/1.1"):
 *       HPE_INVALID_CONSTANT; two spaces before a status code:
 *       HPE_INVALID_STATUS (Node takes "000" as a status code, and so
 *       does this)
 *   URL bytes other than 0x21-0x7E (tab, form feed, 0x80-0xFF): HPE_INVALID_URL
 *   versions other than 0.9, 1.0, 1.1, 2.0: HPE_INVALID_VERSION
 *   a status code of other than 3 digits ("99", "0200"): HPE_INVALID_STATUS
 *   a chunk size followed by other than ';' or CR ("5 ", "5 x"):
 *       HPE_INVALID_CHUNK_SIZE; an LF without CR after it: HPE_CR_EXPECTED;
 *       chunk extensions that are not name[=value][;...] with a token name
 *       and a token or quoted value: HPE_STRICT
 *   chunk data not followed by CRLF: HPE_STRICT (an LF alone: HPE_CR_EXPECTED)
 *   a request whose Transfer-Encoding names a coding after chunked, also in
 *       another Transfer-Encoding header or in the trailers:
 *       HPE_INVALID_TRANSFER_ENCODING
 *   Content-Length in the trailers: HPE_INVALID_CONTENT_LENGTH
 *   a message after one that is not kept alive (Connection: close, HTTP/1.0
 *       without keep-alive): HPE_CLOSED_CONNECTION
 *   an upgrade request with a body: Node stops after its head (the body is
 *       the upgraded protocol's), http-parser reads the body first; here
 *       the head's handler tells http-parser there is no body
 *   a 1xx, 204 or 304 response with Content-Length or Transfer-Encoding:
 *       no body in Node, a body in http-parser; here none
 * Codes http-parser gives that Node gives otherwise, changed to Node's:
 *   Content-Length with Transfer-Encoding (HPE_UNEXPECTED_CONTENT_LENGTH):
 *       HPE_INVALID_TRANSFER_ENCODING when Content-Length came first, else
 *       HPE_INVALID_CONTENT_LENGTH
 *   a chunk size over 64 bits (HPE_INVALID_CONTENT_LENGTH):
 *       HPE_INVALID_CHUNK_SIZE
 * Left as they are (refused by both, the code differs; or a difference of
 * what is accepted that no check here makes up for):
 *   a request whose last coding is not chunked is refused before its head
 *       reaches Lua (Node emits the request, then the error)
 *   methods llhttp knows and http-parser does not (QUERY, PRI, the RTSP
 *       ones): HPE_INVALID_METHOD here; PRI * HTTP/2.0 is
 *       HPE_PAUSED_H2_UPGRADE in Node; "RTSP/1.0" in place of "HTTP/1.0" in a
 *       request line, which Node reads as HTTP/1.0, is HPE_INVALID_CONSTANT
 *   other bare CRs and LFs http-parser itself refuses keep its codes
 *       (HPE_LF_EXPECTED, HPE_INVALID_CHUNK_SIZE where Node says
 *       HPE_CR_EXPECTED or HPE_STRICT; a CR in the url is HPE_LF_EXPECTED,
 *       HPE_INVALID_URL in Node); a bare LF right after the url is
 *       HPE_INVALID_VERSION here, while Node reads "GET /a" LF as an
 *       HTTP/0.9 request line and fails on the next line
 *   a status line ended by CR CR, which Node's client takes, is HPE_STRICT
 *   bytesParsed can differ by the few bytes the two parsers read before
 *       they see the same fault */

static int fail(parser *P, const char *code, const char *reason) {
  if (P->err_code == NULL) {
    P->err_code = code;
    P->err_reason = reason;
  }
  return -1;
}

static int is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
      (c >= 'A' && c <= 'Z'))
    return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

static unsigned char lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* name (len bytes) equals the lower-case s, ignoring ASCII case */
static int ieq(const char *name, size_t len, const char *s) {
  size_t n = strlen(s);
  if (len != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (lower((unsigned char)name[i]) != (unsigned char)s[i])
      return 0;
  return 1;
}

/* ---- memory the userdata owns -------------------------------------------- */

static void *grow(lua_State *L, void *p, size_t *cap, size_t need,
                  size_t size) {
  if (need <= *cap)
    return p;
  size_t n = *cap ? *cap : 16;
  while (n < need)
    n *= 2;
  void *q = realloc(p, n * size);
  if (q == NULL)
    luaL_error(L, "not enough memory");
  *cap = n;
  return q;
}

static void append(parser *P, const char *at, size_t n) {
  P->text = grow(P->L, P->text, &P->text_cap, P->text_len + n, 1);
  memcpy(P->text + P->text_len, at, n);
  P->text_len += n;
}

static void free_memory(parser *P) {
  free(P->text);
  free(P->entries);
  free(P->chain);
  P->text = NULL;
  P->entries = NULL;
  P->chain = NULL;
  P->text_len = P->text_cap = P->n_entries = P->cap_entries = 0;
  P->cap_chain = 0;
}

/* ---- the shape of the input and its checks ------------------------------- */

static void head_lines(parser *P, int line_no) {
  P->ls = LS_START;
  P->line_no = line_no;
}

static void set_phase(parser *P, int phase) {
  P->phase = phase;
  if (phase == PH_CHUNK_SIZE)
    P->cs = CS_SIZE0;
  else if (phase == PH_CHUNK_END)
    P->ce = 0;
}

/* Node's error for a CR without its LF (lf 0; ls: LS_CR or LS_CR0) and
 * for an LF without its CR (lf 1; ls: LS_START or LS_MID), by where the
 * line is */
static void line_end_error(parser *P, int trailers, int lf) {
  static const char *const errors[5][2][2] = {
      /* the empty line that ends the head */
      {{"HPE_STRICT", "Expected LF after headers"},
       {"HPE_INVALID_HEADER_TOKEN", "Invalid header field char"}},
      /* a header line before its colon */
      {{"HPE_INVALID_HEADER_TOKEN", "Invalid header token"},
       {"HPE_INVALID_HEADER_TOKEN", "Invalid header token"}},
      /* a header line */
      {{"HPE_LF_EXPECTED", "Missing expected LF after header value"},
       {"HPE_CR_EXPECTED", "Missing expected CR after header value"}},
      /* the request line */
      {{"HPE_STRICT", "Expected CRLF after version"},
       {"HPE_INVALID_VERSION", "Expected CRLF after version"}},
      /* the status line */
      {{"HPE_STRICT", "Expected LF after CR"},
       {"HPE_CR_EXPECTED", "Missing expected CR after response line"}},
  };
  int header = trailers || P->line_no > 1;
  int where = P->ls == LS_CR0 || P->ls == LS_START ? 0
              : header                             ? (P->colon ? 2 : 1)
              : P->hp.type == HTTP_REQUEST         ? 3
                                                   : 4;
  fail(P, errors[where][lf][0], errors[where][lf][1]);
}

/* A line of the head or of the trailers, up to its LF: the length to feed,
 * or the index of a refused byte (with the error set). Before the start
 * line, CRs and LFs are skipped as http-parser and Node skip them. */
static size_t scan_lines(parser *P, const unsigned char *d, size_t n) {
  int trailers = P->phase == PH_TRAILERS;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = d[i];
    if ((P->ls == LS_CR || P->ls == LS_CR0) && c != '\n') {
      if (P->line_no > 0) {
        line_end_error(P, trailers, 0);
        return i;
      }
      P->ls = LS_START;
    }
    if (P->ls == LS_START && c != '\r' && c != '\n') {
      if ((c == ' ' || c == '\t') && P->line_no > 0) {
        if (trailers)
          fail(P, "HPE_INVALID_HEADER_TOKEN",
               P->line_no == 1 ? "Invalid header token"
                               : "Unexpected whitespace after header value");
        else if (P->line_no == 1)
          fail(P, "HPE_UNEXPECTED_SPACE", "Unexpected space after start line");
        else
          fail(P, "HPE_INVALID_HEADER_TOKEN",
               "Unexpected whitespace after header value");
        return i;
      }
      if (++P->line_no == 1)
        P->line1_n = 0;
      P->colon = 0;
    }
    if (c == ':')
      P->colon = 1;
    if (P->line_no == 1 && !trailers && c != '\r' && c != '\n') {
      if (P->line1_n < sizeof P->line1)
        P->line1[P->line1_n] = (char)c;
      P->line1_n++;
      memmove(P->tail, P->tail + 1, sizeof P->tail - 1);
      P->tail[sizeof P->tail - 1] = (char)c;
    }
    if (c == '\n') {
      if (P->ls != LS_CR && P->ls != LS_CR0 && P->line_no > 0) {
        line_end_error(P, trailers, 1);
        return i;
      }
      P->ls = LS_START;
      return i + 1;
    }
    P->ls = c != '\r' ? LS_MID : P->ls == LS_START ? LS_CR0 : LS_CR;
  }
  return n;
}

/* A chunk-size line: hex digits, then extensions (;name[=value]), CRLF. */
static size_t scan_chunk_size(parser *P, const unsigned char *d, size_t n) {
  static const char *const ext = "Invalid character in chunk extensions";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = d[i];
    switch (P->cs) {
    case CS_SIZE0:
    case CS_SIZE:
      if (is_hex(c)) {
        P->cs = CS_SIZE;
        continue;
      }
      if (P->cs == CS_SIZE && c == ';') {
        P->cs = CS_EXT_NAME0;
        continue;
      }
      if (P->cs == CS_SIZE && c == '\r') {
        P->cs = CS_CR;
        continue;
      }
      if (P->cs == CS_SIZE && c == '\n')
        fail(P, "HPE_CR_EXPECTED", "Missing expected CR after chunk size");
      else
        fail(P, "HPE_INVALID_CHUNK_SIZE", "Invalid character in chunk size");
      return i;
    case CS_EXT_NAME0:
      if (!is_tchar(c)) {
        fail(P, "HPE_STRICT", ext);
        return i;
      }
      P->cs = CS_EXT;
      continue;
    case CS_EXT:
      if (is_tchar(c) || c == '=')
        continue;
      if (c == ';')
        P->cs = CS_EXT_NAME0;
      else if (c == '"')
        P->cs = CS_QUOTED;
      else if (c == '\r')
        P->cs = CS_CR;
      else {
        if (c == '\n')
          fail(P, "HPE_CR_EXPECTED", "Missing expected CR after chunk size");
        else
          fail(P, "HPE_STRICT", ext);
        return i;
      }
      continue;
    case CS_QUOTED:
    case CS_QUOTED_ESC:
      if (c == '\t' || (c >= ' ' && c != 0x7f)) {
        if (P->cs == CS_QUOTED_ESC)
          P->cs = CS_QUOTED;
        else if (c == '"')
          P->cs = CS_EXT;
        else if (c == '\\')
          P->cs = CS_QUOTED_ESC;
        continue;
      }
      fail(P, "HPE_STRICT",
           "Invalid character in chunk extensions quoted value");
      return i;
    default: /* CS_CR */
      if (c != '\n') {
        fail(P, "HPE_STRICT", "Expected LF after chunk size");
        return i;
      }
      return i + 1;
    }
  }
  return n;
}

/* the CRLF after a chunk's data */
static size_t scan_chunk_end(parser *P, const unsigned char *d, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (P->ce == 0 && d[i] == '\r') {
      P->ce = 1;
      continue;
    }
    if (P->ce == 1 && d[i] == '\n')
      return i + 1;
    if (P->ce == 0 && d[i] == '\n')
      fail(P, "HPE_CR_EXPECTED", "Missing expected CR after chunk data");
    else
      fail(P, "HPE_STRICT", "Expected LF after chunk data");
    return i;
  }
  return n;
}

/* How many of the n bytes at d to feed http-parser next: they end where the
 * shape of the input changes. With the error set, the refused byte's index. */
static size_t piece(parser *P, const char *data, size_t n) {
  const unsigned char *d = (const unsigned char *)data;
  switch (P->phase) {
  case PH_HEAD:
  case PH_TRAILERS: return scan_lines(P, d, n);
  case PH_CHUNK_SIZE: return scan_chunk_size(P, d, n);
  case PH_CHUNK_END: return scan_chunk_end(P, d, n);
  case PH_BODY:
  case PH_CHUNK_DATA: /* (remaining is 0 only while a pause's refeed runs) */
    return P->remaining < n ? (P->remaining > 0 ? (size_t)P->remaining : 1) : n;
  case PH_CLOSED:
    for (size_t i = 0; i < n; i++)
      if (d[i] != '\r' && d[i] != '\n') {
        fail(P, "HPE_CLOSED_CONNECTION", "Data after `Connection: close`");
        return i;
      }
    return n;
  default: return n; /* PH_BODY_EOF */
  }
}

/* ---- the head ------------------------------------------------------------ */

/* the headers Node keeps the first of (lib/_http_incoming.js,
 * matchKnownFields), each between spaces */
static const char first_only[] =
    " content-type content-length user-agent referer host authorization"
    " proxy-authorization if-modified-since if-unmodified-since from location"
    " max-forwards retry-after etag last-modified server age expires ";

enum { J_JOIN, J_FIRST, J_COOKIE, J_SET_COOKIE };

static int join_kind(const char *name, size_t len) {
  if (ieq(name, len, "set-cookie"))
    return J_SET_COOKIE;
  if (ieq(name, len, "cookie"))
    return J_COOKIE;
  char word[24];
  if (len + 2 >= sizeof word)
    return J_JOIN;
  word[0] = ' ';
  for (size_t i = 0; i < len; i++)
    word[i + 1] = (char)lower((unsigned char)name[i]);
  word[len + 1] = ' ';
  word[len + 2] = '\0';
  return strstr(first_only, word) ? J_FIRST : J_JOIN;
}

static void push_lower(lua_State *L, const char *s, size_t len) {
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, len);
  for (size_t i = 0; i < len; i++)
    p[i] = (char)lower((unsigned char)s[i]);
  luaL_pushresultsize(&b, len);
}

static void push_value(lua_State *L, parser *P, uint32_t i) {
  lua_pushlstring(L, P->text + P->entries[i].value, P->entries[i].value_len);
}

/* Push rawHeaders (the flat list) and headers (Node's joined form: names in
 * lower case; set-cookie a list; the first of the first_only ones; cookie
 * joined with "; ", the others with ", "). */
static void push_fields(lua_State *L, parser *P) {
  size_t n = P->n_entries;
  lua_checkstack(L, 8);
  lua_createtable(L, (int)(n * 2), 0);
  for (size_t i = 0; i < n; i++) {
    entry *e = &P->entries[i];
    lua_pushlstring(L, P->text + e->name, e->name_len);
    lua_rawseti(L, -2, (lua_Integer)(2 * i + 1));
    lua_pushlstring(L, P->text + e->value, e->value_len);
    lua_rawseti(L, -2, (lua_Integer)(2 * i + 2));
  }
  lua_createtable(L, 0, (int)n);
  int joined = lua_gettop(L);
  if (n == 0)
    return;
  P->chain = grow(L, P->chain, &P->cap_chain, 2 * n, sizeof *P->chain);
  uint32_t *next = P->chain, *tail = P->chain + n;
  /* each name's list: headers[name] holds the index of its first header
   * until the second pass puts the value there */
  for (uint32_t i = 0; i < n; i++) {
    push_lower(L, P->text + P->entries[i].name, P->entries[i].name_len);
    lua_pushvalue(L, -1);
    next[i] = NONE;
    if (lua_rawget(L, joined) == LUA_TNIL) {
      lua_pop(L, 1);
      lua_pushinteger(L, i);
      lua_rawset(L, joined);
      tail[i] = i;
    } else {
      uint32_t first = (uint32_t)lua_tointeger(L, -1);
      lua_pop(L, 2);
      next[tail[first]] = i;
      tail[first] = i;
      tail[i] = NONE;
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    if (tail[i] == NONE)
      continue;
    entry *e = &P->entries[i];
    push_lower(L, P->text + e->name, e->name_len);
    int kind = join_kind(P->text + e->name, e->name_len);
    if (kind == J_SET_COOKIE) {
      lua_newtable(L);
      lua_Integer k = 1;
      for (uint32_t j = i; j != NONE; j = next[j]) {
        push_value(L, P, j);
        lua_rawseti(L, -2, k++);
      }
    } else if (kind == J_FIRST || next[i] == NONE) {
      push_value(L, P, i);
    } else {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (uint32_t j = i; j != NONE; j = next[j]) {
        if (j != i)
          luaL_addstring(&b, kind == J_COOKIE ? "; " : ", ");
        luaL_addlstring(&b, P->text + P->entries[j].value,
                        P->entries[j].value_len);
      }
      luaL_pushresult(&b);
    }
    lua_rawset(L, joined);
  }
}

static void set_bool(lua_State *L, const char *k, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static void push_head(lua_State *L, parser *P) {
  http_parser *hp = &P->hp;
  lua_createtable(L, 0, 13);
  if (hp->type == HTTP_REQUEST) {
    lua_pushstring(L, http_method_str((enum http_method)hp->method));
    lua_setfield(L, -2, "method");
    lua_pushlstring(L, P->text, P->start_len);
    lua_setfield(L, -2, "url");
  } else {
    set_int(L, "statusCode", hp->status_code);
    lua_pushlstring(L, P->text, P->start_len);
    lua_setfield(L, -2, "statusMessage");
  }
  set_int(L, "versionMajor", hp->http_major);
  set_int(L, "versionMinor", hp->http_minor);
  lua_pushfstring(L, "%d.%d", (int)hp->http_major, (int)hp->http_minor);
  lua_setfield(L, -2, "httpVersion");
  push_fields(L, P);
  lua_setfield(L, -3, "headers");
  lua_setfield(L, -2, "rawHeaders");
  set_bool(L, "shouldKeepAlive", http_should_keep_alive(hp));
  set_bool(L, "upgrade", hp->upgrade);
  set_bool(L, "chunked", (hp->flags & F_CHUNKED) != 0);
  if (hp->flags & F_CONTENTLENGTH) {
    if (hp->content_length <= (uint64_t)LUA_MAXINTEGER)
      lua_pushinteger(L, (lua_Integer)hp->content_length);
    else
      lua_pushnumber(L, (lua_Number)hp->content_length);
    lua_setfield(L, -2, "contentLength");
  }
}

/* ---- http-parser's callbacks --------------------------------------------- */

static parser *of(http_parser *hp) { return hp->data; }

/* Node's count of header bytes (node_http_parser.cc's TrackHeader): the
 * url, status message, names and values, from the message's start or from
 * a chunk's start for the trailers */
static int track(parser *P, size_t n) {
  P->header_nread += n;
  if (P->header_nread >= P->max_header_size)
    return fail(P, "HPE_HEADER_OVERFLOW", "Header overflow");
  return 0;
}

/* once per message, after the start line: the version and status code
 * Node accepts */
static int check_start(parser *P) {
  if (P->start_checked)
    return 0;
  P->start_checked = 1;
  unsigned maj = P->hp.http_major, min = P->hp.http_minor;
  if (!((maj == 1 && min <= 1) || (maj == 0 && min == 9) ||
        (maj == 2 && min == 0)))
    return fail(P, "HPE_INVALID_VERSION", "Invalid HTTP version");
  /* "HTTP/" itself (non-strict, http-parser checks its first letter): the
   * start of a status line, the end of a request line (none: HTTP/0.9) */
  static const char constant[] = "Expected HTTP/, RTSP/ or ICE/";
  if (P->hp.type == HTTP_REQUEST) {
    if (!(maj == 0 && min == 9) &&
        (P->line1_n < sizeof P->tail || memcmp(P->tail, "HTTP/", 5) != 0))
      return fail(P, "HPE_INVALID_CONSTANT", constant);
    return 0;
  }
  if (P->line1_n < 12 || memcmp(P->line1, "HTTP/", 5) != 0)
    return fail(P, "HPE_INVALID_CONSTANT", constant);
  /* one space, then a status code of 3 digits */
  for (int i = 9; i < 12; i++)
    if (P->line1[i] < '0' || P->line1[i] > '9')
      return fail(P, "HPE_INVALID_STATUS", "Invalid status code");
  if (P->line1_n > 12 && P->line1[12] != ' ')
    return fail(P, "HPE_INVALID_STATUS", "Invalid status code");
  return 0;
}

static void new_head(parser *P) {
  P->text_len = 0;
  P->start_len = 0;
  P->n_entries = 0;
  P->n_fields = 0;
  P->last = LAST_NONE;
  P->header_nread = 0;
}

static int on_message_begin(http_parser *hp) {
  parser *P = of(hp);
  new_head(P);
  P->in_trailers = 0;
  P->start_checked = 0;
  P->cl_seen = P->te_seen = P->cl_first = P->te_chunked = 0;
  return 0;
}

static int on_url(http_parser *hp, const char *at, size_t n) {
  parser *P = of(hp);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)at[i];
    if (c < 0x21 || c > 0x7e)
      return fail(P, "HPE_INVALID_URL", "Invalid characters in url");
  }
  if (track(P, n))
    return -1;
  append(P, at, n);
  P->start_len += n;
  return 0;
}

static int on_status(http_parser *hp, const char *at, size_t n) {
  parser *P = of(hp);
  if (check_start(P) || track(P, n))
    return -1;
  append(P, at, n);
  P->start_len += n;
  return 0;
}

/* the name of the current header is whole */
static int name_done(parser *P) {
  const char *name = P->text + P->cur.name;
  size_t len = P->cur.name_len;
  if (ieq(name, len, "content-length")) {
    if (P->in_trailers)
      return fail(P, "HPE_INVALID_CONTENT_LENGTH",
                  "Content-Length can't be present with Transfer-Encoding");
    if (!P->cl_seen && !P->te_seen)
      P->cl_first = 1;
    P->cl_seen = 1;
  } else if (ieq(name, len, "transfer-encoding") && !P->in_trailers) {
    P->te_seen = 1;
  }
  return 0;
}

/* A request's Transfer-Encoding value: nothing may follow chunked (also
 * in a later Transfer-Encoding header, or in the trailers). */
static int check_codings(parser *P, const char *v, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && v[j] != ',')
      j++;
    size_t a = i, b = j;
    while (a < b && (v[a] == ' ' || v[a] == '\t'))
      a++;
    while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
      b--;
    if (b > a) {
      if (P->te_chunked)
        return fail(P, "HPE_INVALID_TRANSFER_ENCODING",
                    "Invalid `Transfer-Encoding` header value");
      if (ieq(v + a, b - a, "chunked"))
        P->te_chunked = 1;
    }
    i = j + 1;
  }
  return 0;
}

/* the current header is whole: checked, trimmed, kept or dropped */
static int header_done(parser *P) {
  if (P->last == LAST_FIELD) { /* no value piece came */
    if (name_done(P))
      return -1;
    P->cur.value = P->text_len;
    P->cur.value_len = 0;
  }
  P->last = LAST_NONE;
  entry e = P->cur;
  while (e.value_len > 0 &&
         (P->text[e.value] == ' ' || P->text[e.value] == '\t')) {
    e.value++;
    e.value_len--;
  }
  while (e.value_len > 0 && (P->text[e.value + e.value_len - 1] == ' ' ||
                             P->text[e.value + e.value_len - 1] == '\t'))
    e.value_len--;
  if (P->hp.type == HTTP_REQUEST &&
      ieq(P->text + e.name, e.name_len, "transfer-encoding") &&
      check_codings(P, P->text + e.value, e.value_len))
    return -1;
  P->n_fields++;
  if (P->max_headers > 0 && P->n_fields > (size_t)P->max_headers) {
    P->text_len = e.name; /* dropped, as Node drops them */
    return 0;
  }
  P->entries = grow(P->L, P->entries, &P->cap_entries, P->n_entries + 1,
                    sizeof *P->entries);
  P->entries[P->n_entries++] = e;
  return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t n) {
  parser *P = of(hp);
  if (check_start(P))
    return -1;
  if (P->last == LAST_VALUE && header_done(P))
    return -1;
  if (P->last == LAST_NONE) {
    P->cur.name = P->text_len;
    P->cur.name_len = 0;
    P->last = LAST_FIELD;
  }
  for (size_t i = 0; i < n; i++)
    if (at[i] == ' ' || at[i] == '\t')
      return fail(P, "HPE_INVALID_HEADER_TOKEN", "Invalid header token");
  if (track(P, n))
    return -1;
  append(P, at, n);
  P->cur.name_len += n;
  return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t n) {
  parser *P = of(hp);
  if (P->last == LAST_FIELD) {
    if (name_done(P))
      return -1;
    P->cur.value = P->text_len;
    P->cur.value_len = 0;
    P->last = LAST_VALUE;
  }
  /* (http-parser lets one by at the start of a value) */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)at[i];
    if ((c < ' ' && c != '\t') || c == 0x7f)
      return fail(P, "HPE_INVALID_HEADER_TOKEN", "Invalid header value char");
  }
  if (track(P, n))
    return -1;
  append(P, at, n);
  P->cur.value_len += n;
  return 0;
}

static int on_headers_complete(http_parser *hp) {
  parser *P = of(hp);
  lua_State *L = P->L;
  if (check_start(P) || (P->last != LAST_NONE && header_done(P)))
    return -1;
  /* http-parser refuses it after this callback; refused before Lua sees it */
  if (hp->type == HTTP_REQUEST && P->te_seen && !(hp->flags & F_CHUNKED))
    return fail(P, "HPE_INVALID_TRANSFER_ENCODING",
                "Request has invalid `Transfer-Encoding`");
  P->header_nread = 0;
  int skip = 0;
  if (!lua_isnil(L, P->base + H_HEADERS)) {
    lua_checkstack(L, 4);
    lua_pushvalue(L, P->base + H_HEADERS);
    lua_pushvalue(L, P->base + H_OWNER);
    push_head(L, P);
    lua_call(L, 2, 1);
    if (lua_isinteger(L, -1) && lua_tointeger(L, -1) == 2)
      skip = 2;
    else
      skip = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  /* as Node: an upgrade ends the HTTP part after the head, body or not;
   * 1xx, 204 and 304 responses have none whatever their headers say */
  unsigned status = hp->status_code;
  if (skip == 0 &&
      (hp->upgrade || (hp->type == HTTP_RESPONSE &&
                       (status / 100 == 1 || status == 204 || status == 304))))
    skip = 1;
  if (skip)
    set_phase(P, PH_HEAD); /* on_message_complete comes next */
  else if (hp->flags & F_CHUNKED)
    set_phase(P, PH_CHUNK_SIZE);
  else if (hp->flags & F_CONTENTLENGTH) {
    set_phase(P, PH_BODY);
    P->remaining = hp->content_length;
  } else
    set_phase(P, PH_BODY_EOF); /* unless on_message_complete comes next */
  return skip;
}

static int on_body(http_parser *hp, const char *at, size_t n) {
  parser *P = of(hp);
  lua_State *L = P->L;
  if (n == 0)
    return 0;
  if (P->phase == PH_BODY || P->phase == PH_CHUNK_DATA) {
    P->remaining -= n < P->remaining ? n : P->remaining;
    if (P->phase == PH_CHUNK_DATA && P->remaining == 0)
      set_phase(P, PH_CHUNK_END);
  }
  if (lua_isnil(L, P->base + H_BODY))
    return 0;
  lua_checkstack(L, 4);
  lua_pushvalue(L, P->base + H_BODY);
  lua_pushvalue(L, P->base + H_OWNER);
  lua_pushlstring(L, at, n);
  lua_call(L, 2, 0);
  return 0;
}

static int on_chunk_header(http_parser *hp) {
  parser *P = of(hp);
  P->header_nread = 0;
  if (hp->content_length == 0) { /* the last chunk: the trailers follow */
    set_phase(P, PH_TRAILERS);
    head_lines(P, 1);
    new_head(P);
    P->in_trailers = 1;
  } else {
    set_phase(P, PH_CHUNK_DATA);
    P->remaining = hp->content_length;
  }
  return 0;
}

static int on_chunk_complete(http_parser *hp) {
  parser *P = of(hp);
  P->header_nread = 0;
  if (P->phase == PH_CHUNK_END)
    set_phase(P, PH_CHUNK_SIZE);
  return 0;
}

static int on_message_complete(http_parser *hp) {
  parser *P = of(hp);
  lua_State *L = P->L;
  if (P->in_trailers && P->last != LAST_NONE && header_done(P))
    return -1;
  set_phase(P, http_should_keep_alive(hp) ? PH_HEAD : PH_CLOSED);
  head_lines(P, 0);
  if (lua_isnil(L, P->base + H_COMPLETE))
    return 0;
  lua_checkstack(L, 6);
  lua_pushvalue(L, P->base + H_COMPLETE);
  lua_pushvalue(L, P->base + H_OWNER);
  if (P->in_trailers && P->n_entries > 0) {
    lua_createtable(L, 0, 2);
    push_fields(L, P);
    lua_setfield(L, -3, "headers");
    lua_setfield(L, -2, "raw");
  } else {
    lua_pushnil(L);
  }
  lua_call(L, 2, 0);
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
    .on_chunk_complete = on_chunk_complete,
};

/* ---- the Lua side -------------------------------------------------------- */

static void init(parser *P, int kind) {
  http_parser_init(&P->hp, kind);
  P->hp.data = P;
  P->failed = P->errored = P->upgraded = 0;
  P->err_code = P->err_reason = NULL;
  P->err_pos = 0;
  P->refeed = 0;
  set_phase(P, PH_HEAD);
  head_lines(P, 0);
  new_head(P);
  P->in_trailers = 0;
}

static parser *check_parser(lua_State *L) {
  parser *P = luaL_checkudata(L, 1, PARSER_T);
  if (P->closed)
    luaL_error(L, "http parser: closed");
  return P;
}

/* the parser, ready to execute (raises when it is not) */
static parser *check_ready(lua_State *L) {
  parser *P = check_parser(L);
  if (P->busy)
    luaL_error(L, "http parser: called from one of its own handlers");
  if (P->failed)
    luaL_error(L, "http parser: a handler raised an error while it ran; "
                  "reset() it before using it again");
  return P;
}

/* nil, err: { code, message = "Parse Error: " .. reason, reason,
 * bytesParsed } */
static int push_parse_error(lua_State *L, parser *P, size_t pos) {
  lua_pushnil(L);
  lua_pushfstring(L, "Parse Error: %s", P->err_reason);
  luatls_push_error(L, P->err_code, lua_tostring(L, -1));
  lua_remove(L, -2);
  lua_pushstring(L, P->err_reason);
  lua_setfield(L, -2, "reason");
  lua_pushinteger(L, (lua_Integer)pos);
  lua_setfield(L, -2, "bytesParsed");
  return 2;
}

/* http-parser's error as Node's (see `Node's refusals`) */
static void parser_error(parser *P, enum http_errno e) {
  if (P->err_code != NULL) /* one of ours, from a callback */
    return;
  if (e == HPE_UNEXPECTED_CONTENT_LENGTH && P->cl_seen && P->te_seen) {
    if (P->cl_first)
      fail(P, "HPE_INVALID_TRANSFER_ENCODING",
           "Transfer-Encoding can't be present with Content-Length");
    else
      fail(P, "HPE_INVALID_CONTENT_LENGTH",
           "Content-Length can't be present with Transfer-Encoding");
  } else if (e == HPE_INVALID_CONTENT_LENGTH && P->phase == PH_CHUNK_SIZE) {
    fail(P, "HPE_INVALID_CHUNK_SIZE", "Chunk size overflow");
  } else {
    fail(P, http_errno_name(e), http_errno_description(e));
  }
}

/* Push the handlers and owner (at base), and a to-be-closed guard that
 * marks the parser failed unless the run ends with end_run. */
static void begin_run(lua_State *L, parser *P) {
  lua_checkstack(L, 8);
  P->base = lua_gettop(L) + 1;
  for (int i = UV_HEADERS; i <= UV_OWNER; i++)
    lua_getiuservalue(L, 1, i);
  lua_getiuservalue(L, 1, UV_GUARD);
  lua_toclose(L, -1);
  P->L = L;
  P->busy = 1;
  P->clean_exit = 0;
}

static void end_run(lua_State *L, parser *P) {
  P->clean_exit = 1;
  lua_closeslot(L, P->base + H_OWNER + 1);
  lua_settop(L, P->base - 1);
}

static int l_execute(lua_State *L) {
  parser *P = check_ready(L);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  if (P->upgraded)
    return luaL_error(L, "http parser: the connection was upgraded: the bytes "
                         "after its head are not HTTP (reset() to reuse it)");
  if (P->errored)
    return push_parse_error(L, P, 0);
  lua_settop(L, 2);
  if (len == 0) { /* (length 0 would tell http-parser the input ended) */
    lua_pushinteger(L, 0);
    return 1;
  }
  begin_run(L, P);
  size_t off = 0;
  while (off < len) {
    if (HTTP_PARSER_ERRNO(&P->hp) == HPE_PAUSED)
      break;
    int raw = P->refeed > 0;
    size_t n = raw ? (P->refeed < len - off ? P->refeed : len - off)
                   : piece(P, data + off, len - off);
    if (P->err_code != NULL) {
      P->err_pos = off + n;
      break;
    }
    size_t got = http_parser_execute(&P->hp, &settings, data + off, n);
    off += got;
    if (raw)
      P->refeed -= got;
    enum http_errno e = HTTP_PARSER_ERRNO(&P->hp);
    if (e == HPE_PAUSED) {
      /* bytes of the piece the checks (and the callbacks' counts) already
       * took: fed as they are when it resumes */
      if (!raw && got < n)
        P->refeed = n - got;
      break;
    }
    if (e != HPE_OK) {
      parser_error(P, e);
      P->err_pos = off;
      break;
    }
    if (P->hp.upgrade) {
      P->upgraded = 1;
      break;
    }
    if (got == 0)
      break;
  }
  end_run(L, P);
  if (P->err_code != NULL) {
    P->errored = 1;
    return push_parse_error(L, P, P->err_pos);
  }
  lua_pushinteger(L, (lua_Integer)off);
  return 1;
}

static int l_finish(lua_State *L) {
  parser *P = check_ready(L);
  lua_settop(L, 1);
  if (P->errored)
    return push_parse_error(L, P, 0);
  if (!P->upgraded) {
    if (HTTP_PARSER_ERRNO(&P->hp) == HPE_PAUSED)
      http_parser_pause(&P->hp, 0);
    begin_run(L, P);
    http_parser_execute(&P->hp, &settings, NULL, 0);
    enum http_errno e = HTTP_PARSER_ERRNO(&P->hp);
    if (e != HPE_OK && e != HPE_PAUSED)
      parser_error(P, e);
    end_run(L, P);
    if (P->err_code != NULL) {
      P->errored = 1;
      return push_parse_error(L, P, 0);
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

static const char *const kinds[] = {"request", "response", NULL};

static int l_reset(lua_State *L) {
  parser *P = check_parser(L);
  if (P->busy)
    return luaL_error(L, "http parser: reset() from one of its own handlers");
  int kind = P->hp.type;
  if (!lua_isnoneornil(L, 2))
    kind =
        luaL_checkoption(L, 2, NULL, kinds) == 0 ? HTTP_REQUEST : HTTP_RESPONSE;
  if (lua_gettop(L) >= 3) {
    lua_pushvalue(L, 3);
    lua_setiuservalue(L, 1, UV_OWNER);
  }
  init(P, kind);
  return 0;
}

static int l_pause(lua_State *L) {
  parser *P = check_parser(L);
  enum http_errno e = HTTP_PARSER_ERRNO(&P->hp);
  if (e == HPE_OK || e == HPE_PAUSED) /* (http-parser asserts otherwise) */
    http_parser_pause(&P->hp, lua_toboolean(L, 2));
  return 0;
}

static int l_upgraded(lua_State *L) {
  lua_pushboolean(L, check_parser(L)->upgraded);
  return 1;
}

/* __gc and __close (a handler may not close its own parser: the memory is
 * in use) */
static int l_gc(lua_State *L) {
  parser *P = luaL_checkudata(L, 1, PARSER_T);
  if (P->busy)
    return luaL_error(L, "http parser: closed from one of its own handlers");
  free_memory(P);
  P->closed = 1;
  return 0;
}

static int guard_close(lua_State *L) {
  guard_ud *g = lua_touserdata(L, 1);
  parser *P = g->P;
  if (!P->clean_exit)
    P->failed = 1;
  P->busy = 0;
  P->clean_exit = 0;
  P->L = NULL;
  return 0;
}

static lua_Integer opt_int(lua_State *L, int opts, const char *name,
                           lua_Integer def, lua_Integer min) {
  if (lua_isnoneornil(L, opts))
    return def;
  lua_getfield(L, opts, name);
  lua_Integer v = def;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok || v < min)
      luaL_error(L, "http_parser: opts.%s must be an integer >= %d", name,
                 (int)min);
  }
  lua_pop(L, 1);
  return v;
}

/* http_parser(kind, events, owner[, opts]) */
static int l_new(lua_State *L) {
  int kind =
      luaL_checkoption(L, 1, NULL, kinds) == 0 ? HTTP_REQUEST : HTTP_RESPONSE;
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!lua_isnoneornil(L, 4))
    luaL_checktype(L, 4, LUA_TTABLE);
  lua_Integer max_size =
      opt_int(L, 4, "maxHeaderSize", DEFAULT_MAX_HEADER_SIZE, 1);
  lua_Integer max_headers =
      opt_int(L, 4, "maxHeadersCount", DEFAULT_MAX_HEADERS, 0);
  static const char *const events[] = {"headers", "body", "complete"};
  for (int i = 0; i < 3; i++) {
    int t = lua_getfield(L, 2, events[i]);
    if (t != LUA_TNIL && t != LUA_TFUNCTION)
      luaL_error(L, "http_parser: events.%s must be a function", events[i]);
    lua_pop(L, 1);
  }
  parser *P = lua_newuserdatauv(L, sizeof *P, UV_GUARD);
  memset(P, 0, sizeof *P);
  P->max_header_size = (size_t)max_size;
  P->max_headers = max_headers;
  init(P, kind);
  luaL_setmetatable(L, PARSER_T);
  for (int i = 0; i < 3; i++) {
    lua_getfield(L, 2, events[i]);
    lua_setiuservalue(L, -2, UV_HEADERS + i);
  }
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, -2, UV_OWNER);
  guard_ud *g = lua_newuserdatauv(L, sizeof *g, 0);
  g->P = P;
  luaL_setmetatable(L, GUARD_T);
  lua_setiuservalue(L, -2, UV_GUARD);
  return 1;
}

void luatls_open_http_parser(lua_State *L) {
  /* http-parser's own limit is one for the process: it is left to each
   * parser's maxHeaderSize */
  http_parser_set_max_header_size(UINT32_MAX);
  static const luaL_Reg methods[] = {
      {"execute", l_execute}, {"finish", l_finish},     {"reset", l_reset},
      {"pause", l_pause},     {"upgraded", l_upgraded}, {NULL, NULL}};
  luatls_new_metatable(L, PARSER_T, methods, l_gc, l_gc, NULL);
  lua_pop(L, 1);
  luatls_new_metatable(L, GUARD_T, NULL, NULL, guard_close, NULL);
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {{"http_parser", l_new}, {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
