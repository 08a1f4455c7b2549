/*
 * tls/bio.c - the one BIO a TLS connection's SSL reads ciphertext from and
 * writes ciphertext to.
 *
 * In: the transport's read buffer is lent to the BIO for one cycle of the
 * pump (no copy); only what OpenSSL leaves unread when the cycle ends (a
 * paused reader, a handshake waiting on a Lua hook) is copied into a buffer
 * of the connection's own, freed as soon as it is drained.
 *
 * Out: OpenSSL's records collect in one scratch buffer the whole process
 * shares, which enc_out (pump.c) sends and gives back at once. A connection
 * that writes while another holds the scratch (a Lua callback run from inside
 * OpenSSL writing to a second connection) gets a buffer of its own. So an
 * idle connection holds no buffer in either direction, and the common path
 * allocates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "tls.h"

static BIO_METHOD *method;

static char *scratch;
static size_t scratch_cap;
static tls_conn *scratch_owner;
#define SCRATCH_KEEP (256 * 1024) /* larger scratch buffers are not kept */

static int bio_read(BIO *b, char *buf, size_t len, size_t *done) {
  tls_conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (c == NULL || c->enc_in.len == 0) {
    /* nothing yet: "would block"; the end of input is the pump's to tell */
    BIO_set_retry_read(b);
    *done = 0;
    return 0;
  }
  size_t n = len < c->enc_in.len ? len : c->enc_in.len;
  memcpy(buf, c->enc_in.buf, n);
  c->enc_in.buf += n;
  c->enc_in.len -= n;
  if (c->enc_in.len == 0 && c->enc_in.own) {
    free(c->enc_in.own);
    c->enc_in.own = NULL;
    c->enc_in.buf = NULL;
  }
  *done = n;
  return 1;
}

static int bio_write(BIO *b, const char *data, size_t len, size_t *done) {
  tls_conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  *done = 0;
  if (c == NULL)
    return 0;
  if (c->enc_out.buf == NULL && scratch_owner == NULL) {
    scratch_owner = c;
    c->enc_out.buf = scratch;
    c->enc_out.cap = scratch_cap;
  }
  if (len > c->enc_out.cap - c->enc_out.len) {
    size_t cap = c->enc_out.cap ? c->enc_out.cap * 2 : 16 * 1024;
    while (cap - c->enc_out.len < len)
      cap *= 2;
    char *p = realloc(c->enc_out.buf, cap);
    if (p == NULL) {
      if (c->enc_out.len == 0)
        luatls_tls_bio_sent(c); /* let go of the scratch it claimed */
      return 0;
    }
    c->enc_out.buf = p;
    c->enc_out.cap = cap;
    if (scratch_owner == c) {
      scratch = p;
      scratch_cap = cap;
    }
  }
  memcpy(c->enc_out.buf + c->enc_out.len, data, len);
  c->enc_out.len += len;
  *done = len;
  return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)num;
  (void)ptr;
  tls_conn *c = BIO_get_data(b);
  switch (cmd) {
  case BIO_CTRL_FLUSH: return 1; /* enc_out sends, once OpenSSL is done */
  case BIO_CTRL_PENDING: return c ? (long)c->enc_in.len : 0;
  case BIO_CTRL_WPENDING: return c ? (long)c->enc_out.len : 0;
  default: return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO *luatls_tls_bio_new(tls_conn *c) {
  if (method == NULL) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "luatls transport");
    if (m == NULL || !BIO_meth_set_read_ex(m, bio_read) ||
        !BIO_meth_set_write_ex(m, bio_write) ||
        !BIO_meth_set_ctrl(m, bio_ctrl) ||
        !BIO_meth_set_create(m, bio_create)) {
      BIO_meth_free(m);
      return NULL;
    }
    method = m;
  }
  BIO *b = BIO_new(method);
  if (b)
    BIO_set_data(b, c);
  return b;
}

int luatls_tls_bio_lend(tls_conn *c, const char *p, size_t n) {
  if (c->enc_in.len == 0) {
    c->enc_in.buf = p; /* borrowed until luatls_tls_bio_keep() */
    c->enc_in.len = n;
    return 0;
  }
  /* bytes are still waiting: they are in in_own; add these behind them */
  size_t off = (size_t)(c->enc_in.buf - c->enc_in.own);
  char *q = realloc(c->enc_in.own, off + c->enc_in.len + n);
  if (q == NULL)
    return -1;
  memmove(q, q + off, c->enc_in.len);
  memcpy(q + c->enc_in.len, p, n);
  c->enc_in.own = q;
  c->enc_in.buf = q;
  c->enc_in.len += n;
  return 0;
}

int luatls_tls_bio_keep(tls_conn *c) {
  if (c->enc_in.len == 0 || c->enc_in.own != NULL)
    return 0;
  if (luatls_tls_gone(c)) { /* nobody will read them */
    c->enc_in.buf = NULL;
    c->enc_in.len = 0;
    return 0;
  }
  c->enc_in.own = malloc(c->enc_in.len);
  if (c->enc_in.own == NULL) {
    c->enc_in.buf = NULL;
    c->enc_in.len = 0;
    return -1;
  }
  memcpy(c->enc_in.own, c->enc_in.buf, c->enc_in.len);
  c->enc_in.buf = c->enc_in.own;
  return 0;
}

void luatls_tls_bio_sent(tls_conn *c) {
  c->enc_out.len = 0;
  if (scratch_owner == c) {
    scratch_owner = NULL;
    if (scratch_cap > SCRATCH_KEEP) {
      free(scratch);
      scratch = NULL;
      scratch_cap = 0;
    }
  } else {
    free(c->enc_out.buf);
  }
  c->enc_out.buf = NULL;
  c->enc_out.cap = 0;
}

void luatls_tls_bio_free(tls_conn *c) {
  luatls_tls_bio_sent(c);
  free(c->enc_in.own);
  c->enc_in.own = NULL;
  c->enc_in.buf = NULL;
  c->enc_in.len = 0;
}
