/*
 * floor: what OpenSSL itself costs a TLS server, with no sockets and no
 * runtime. A client SSL and a server SSL run in this one thread, joined by a
 * BIO pair; every call made on the server's behalf (SSL_new, the handshake,
 * reading the client's close_notify, SSL_shutdown, SSL_free; SSL_read for the
 * record layer) is bracketed by clock_gettime(CLOCK_THREAD_CPUTIME_ID), and
 * so is every call made for the client, so the two are counted apart.
 *
 *   floor [--certs DIR] [--count N] [--bytes SIZE] [--only CASE,...]
 *
 * Cases (all by default):
 *   full-rsa        full TLS 1.3 handshakes, RSA-2048 leaf (server-chain.pem)
 *   full-ec         full TLS 1.3 handshakes, ECDSA P-256 leaf (server-ec-chain.pem)
 *   resume-ticket   TLS 1.3 handshakes resumed with a ticket (psk_dhe_ke, as
 *                   OpenSSL clients offer), RSA context
 *   resume-ticket12 TLS 1.2 handshakes resumed with a ticket
 *   resume-id12     TLS 1.2 handshakes resumed by session ID (SSL_OP_NO_TICKET,
 *                   OpenSSL's internal server session cache)
 *   bulk-aes128     client -> server stream of 16 KiB records, TLS 1.3
 *                   TLS_AES_128_GCM_SHA256: server CPU per GB decrypted
 *   bulk-aes256     the same with TLS_AES_256_GCM_SHA384 (what OpenSSL and
 *                   Node negotiate by default)
 *   bulk-chacha     the same with TLS_CHACHA20_POLY1305_SHA256
 *
 * Output: one "result mode=floor ..." line per case, then a "# " human line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static const char *certs_dir = "build/test-certs";
static long count = 1000;
static uint64_t bulk_bytes = 1ull << 30;
static const char *only;
static const int warmup = 20;

/* ------------------------------------------------------------------ */
/* CPU accounting */

static inline uint64_t thread_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct acct {
  uint64_t ns;      /* CPU time inside the regions */
  uint64_t regions; /* how many regions (each costs one timer read inside) */
};

/* run EXPR and charge its thread CPU time to ACCT */
#define CHARGE(acct, expr)              \
  do {                                  \
    uint64_t t0_ = thread_ns();         \
    expr;                               \
    (acct)->ns += thread_ns() - t0_;    \
    (acct)->regions++;                  \
  } while (0)

/* the CPU time an empty region reports: one clock_gettime's worth */
static double region_overhead_ns;

static void calibrate(void) {
  struct acct a = {0, 0};
  for (int i = 0; i < 2000; i++) CHARGE(&a, (void)0); /* warm */
  double best = 1e18;
  for (int round = 0; round < 5; round++) {
    a.ns = a.regions = 0;
    for (int i = 0; i < 4000; i++) CHARGE(&a, (void)0);
    double mean = (double)a.ns / (double)a.regions;
    if (mean < best) best = mean;
  }
  region_overhead_ns = best;
}

/* the account's time in seconds with the timer's own share taken out */
static double acct_s(const struct acct *a) {
  double ns = (double)a->ns - region_overhead_ns * (double)a->regions;
  return (ns < 0 ? 0 : ns) / 1e9;
}

static int cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* ------------------------------------------------------------------ */
/* contexts */

static void die_ssl(const char *what) {
  fprintf(stderr, "floor: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(2);
}

static char *cert_path(const char *name) {
  static char buf[4][1024];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", certs_dir, name);
  return buf[i];
}

enum kind { K_FULL, K_RESUME, K_BULK };

struct tcase {
  const char *name;
  const char *what;
  enum kind kind;
  int version;          /* TLS1_3_VERSION or TLS1_2_VERSION */
  int ec;               /* ECDSA P-256 leaf instead of RSA-2048 */
  int no_ticket;        /* session IDs, no tickets */
  const char *suite;    /* bulk: the TLS 1.3 suite */
};

static const struct tcase cases[] = {
    {"full-rsa", "full handshake, RSA-2048, TLS 1.3", K_FULL, TLS1_3_VERSION, 0, 0, NULL},
    {"full-ec", "full handshake, ECDSA P-256, TLS 1.3", K_FULL, TLS1_3_VERSION, 1, 0, NULL},
    {"resume-ticket", "resumed handshake, ticket, TLS 1.3", K_RESUME, TLS1_3_VERSION, 0, 0, NULL},
    {"resume-ticket12", "resumed handshake, ticket, TLS 1.2", K_RESUME, TLS1_2_VERSION, 0, 0, NULL},
    {"resume-id12", "resumed handshake, session ID, TLS 1.2", K_RESUME, TLS1_2_VERSION, 0, 1, NULL},
    {"bulk-aes128", "record layer, 16 KiB records, TLS_AES_128_GCM_SHA256", K_BULK, TLS1_3_VERSION, 0, 0,
     "TLS_AES_128_GCM_SHA256"},
    {"bulk-aes256", "record layer, 16 KiB records, TLS_AES_256_GCM_SHA384", K_BULK, TLS1_3_VERSION, 0, 0,
     "TLS_AES_256_GCM_SHA384"},
    {"bulk-chacha", "record layer, 16 KiB records, TLS_CHACHA20_POLY1305_SHA256", K_BULK, TLS1_3_VERSION, 0, 0,
     "TLS_CHACHA20_POLY1305_SHA256"},
};

static SSL_CTX *server_ctx(const struct tcase *tc) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) die_ssl("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx, tc->version);
  SSL_CTX_set_max_proto_version(ctx, tc->version);
  const char *chain = cert_path(tc->ec ? "server-ec-chain.pem" : "server-chain.pem");
  const char *key = cert_path(tc->ec ? "server-ec-key.pem" : "server-key.pem");
  if (SSL_CTX_use_certificate_chain_file(ctx, chain) != 1) die_ssl(chain);
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) die_ssl(key);
  if (SSL_CTX_check_private_key(ctx) != 1) die_ssl("key does not match certificate");
  static const unsigned char sid_ctx[] = "floor";
  SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
  if (tc->no_ticket) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (tc->suite && SSL_CTX_set_ciphersuites(ctx, tc->suite) != 1) die_ssl(tc->suite);
  return ctx;
}

static SSL_CTX *client_ctx(const struct tcase *tc) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) die_ssl("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx, tc->version);
  SSL_CTX_set_max_proto_version(ctx, tc->version);
  const char *ca = cert_path("ca-cert.pem");
  if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) die_ssl(ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (tc->no_ticket) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (tc->suite && SSL_CTX_set_ciphersuites(ctx, tc->suite) != 1) die_ssl(tc->suite);
  return ctx;
}

/* ------------------------------------------------------------------ */
/* one connection over a BIO pair */

struct pair {
  SSL *c, *s;
};

static int want(SSL *ssl, int r) {
  int e = SSL_get_error(ssl, r);
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* create both ends and run the handshake; the server's share goes to sa, the
 * client's to ca. bufsize: each direction's BIO pair buffer (0 = default). */
static int pair_open(struct pair *p, SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *offer, size_t bufsize,
                     struct acct *sa, struct acct *ca) {
  BIO *cb, *sb;
  if (!BIO_new_bio_pair(&cb, bufsize, &sb, bufsize)) die_ssl("BIO_new_bio_pair");
  int r;
  CHARGE(ca, p->c = SSL_new(cctx));
  if (!p->c) die_ssl("SSL_new (client)");
  SSL_set_bio(p->c, cb, cb);
  SSL_set_connect_state(p->c);
  SSL_set_tlsext_host_name(p->c, "localhost");
  SSL_set1_host(p->c, "localhost");
  if (offer) SSL_set_session(p->c, offer);
  CHARGE(sa, p->s = SSL_new(sctx); if (p->s) {
    SSL_set_bio(p->s, sb, sb);
    SSL_set_accept_state(p->s);
  });
  if (!p->s) die_ssl("SSL_new (server)");
  int cdone = 0, sdone = 0;
  for (int i = 0; i < 20 && !(cdone && sdone); i++) {
    if (!cdone) {
      CHARGE(ca, r = SSL_do_handshake(p->c));
      if (r == 1) cdone = 1;
      else if (!want(p->c, r)) {
        fprintf(stderr, "floor: client handshake failed\n");
        ERR_print_errors_fp(stderr);
        return -1;
      }
    }
    if (!sdone) {
      CHARGE(sa, r = SSL_do_handshake(p->s));
      if (r == 1) sdone = 1;
      else if (!want(p->s, r)) {
        fprintf(stderr, "floor: server handshake failed\n");
        ERR_print_errors_fp(stderr);
        return -1;
      }
    }
  }
  if (!(cdone && sdone)) {
    fprintf(stderr, "floor: handshake did not finish\n");
    return -1;
  }
  /* the client takes in what came after its Finished (TLS 1.3 tickets) */
  unsigned char buf[256];
  CHARGE(ca, r = SSL_read(p->c, buf, sizeof buf));
  if (r > 0 || !want(p->c, r)) {
    fprintf(stderr, "floor: unexpected data after the handshake\n");
    ERR_print_errors_fp(stderr);
    return -1;
  }
  return 0;
}

/* close both ends the way a server closes a connection */
static int pair_close(struct pair *p, struct acct *sa, struct acct *ca) {
  unsigned char buf[256];
  int r, rs;
  CHARGE(ca, SSL_shutdown(p->c));
  CHARGE(sa, r = SSL_read(p->s, buf, sizeof buf); rs = SSL_shutdown(p->s));
  int ok = r == 0 && SSL_get_error(p->s, r) == SSL_ERROR_ZERO_RETURN && rs == 1;
  CHARGE(ca, r = SSL_read(p->c, buf, sizeof buf));
  ok = ok && r == 0 && SSL_get_error(p->c, r) == SSL_ERROR_ZERO_RETURN;
  CHARGE(sa, SSL_free(p->s));
  CHARGE(ca, SSL_free(p->c));
  if (!ok) {
    fprintf(stderr, "floor: close_notify exchange failed\n");
    ERR_print_errors_fp(stderr);
    return -1;
  }
  ERR_clear_error();
  return 0;
}

/* ------------------------------------------------------------------ */
/* the cases */

static double thread_rusage_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

static const char *proto_name(int v) { return v == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"; }

static int run_handshakes(const struct tcase *tc) {
  SSL_CTX *sctx = server_ctx(tc), *cctx = client_ctx(tc);
  struct acct sa = {0, 0}, ca = {0, 0};
  struct pair p;
  SSL_SESSION *sess = NULL;
  char cipher[64] = "-", group[32] = "-";
  /* warm up; the last one gives the session to resume */
  for (int i = 0; i < warmup; i++) {
    if (pair_open(&p, sctx, cctx, NULL, 0, &sa, &ca) != 0) return 1;
    if (i == warmup - 1) {
      snprintf(cipher, sizeof cipher, "%s", SSL_get_cipher_name(p.s));
      int nid = SSL_get_negotiated_group(p.s);
      snprintf(group, sizeof group, "%s", nid > 0 ? OBJ_nid2sn(nid) : "-");
      if (tc->kind == K_RESUME) sess = SSL_get1_session(p.c);
    }
    if (pair_close(&p, &sa, &ca) != 0) return 1;
  }
  if (tc->kind == K_RESUME && (!sess || !SSL_SESSION_is_resumable(sess))) {
    fprintf(stderr, "floor: %s: no resumable session\n", tc->name);
    return 1;
  }
  uint64_t *per = malloc((size_t)count * sizeof *per);
  if (!per) return 1;
  sa.ns = sa.regions = ca.ns = ca.regions = 0;
  long resumed = 0;
  double ru0 = thread_rusage_s();
  uint64_t w0 = wall_ns();
  for (long i = 0; i < count; i++) {
    uint64_t before = sa.ns, before_regions = sa.regions;
    if (pair_open(&p, sctx, cctx, sess, 0, &sa, &ca) != 0) return 1;
    if (SSL_session_reused(p.s)) resumed++;
    if (pair_close(&p, &sa, &ca) != 0) return 1;
    double one = (double)(sa.ns - before) - region_overhead_ns * (double)(sa.regions - before_regions);
    per[i] = one > 0 ? (uint64_t)one : 0;
  }
  uint64_t w1 = wall_ns();
  double ru1 = thread_rusage_s();
  qsort(per, (size_t)count, sizeof *per, cmp_u64);
  double server_us = acct_s(&sa) * 1e6 / (double)count;
  double client_us = acct_s(&ca) * 1e6 / (double)count;
  double median_us = per[count / 2] / 1e3, p99_us = per[(size_t)((double)count * 0.99)] / 1e3;
  double thread_us = (ru1 - ru0) * 1e6 / (double)count;
  double wall_us = (double)(w1 - w0) / 1e3 / (double)count;
  int bad = tc->kind == K_RESUME ? resumed != count : resumed != 0;
  printf("result mode=floor case=%s proto=%s cipher=%s group=%s key=%s count=%ld resumed=%ld status=%s"
         " server_cpu_us_per_hs=%.1f server_cpu_us_median=%.1f server_cpu_us_p99=%.1f client_cpu_us_per_hs=%.1f"
         " thread_cpu_us_per_hs=%.1f wall_us_per_hs=%.1f server_regions_per_hs=%.1f timer_overhead_ns=%.0f\n",
         tc->name, proto_name(tc->version), cipher, group, tc->ec ? "ecdsa-p256" : "rsa2048", count, resumed,
         bad ? "bad" : "ok", server_us, median_us, p99_us, client_us, thread_us, wall_us,
         (double)sa.regions / (double)count, region_overhead_ns);
  printf("# floor %s (%s): server %.1f us CPU per handshake (median %.1f), client %.1f us; %ld of %ld resumed\n",
         tc->what, group, server_us, median_us, client_us, resumed, count);
  free(per);
  if (sess) SSL_SESSION_free(sess);
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
  if (bad) {
    fprintf(stderr, "floor: %s: %ld of %ld handshakes resumed\n", tc->name, resumed, count);
    return 1;
  }
  return 0;
}

static int run_bulk(const struct tcase *tc) {
  SSL_CTX *sctx = server_ctx(tc), *cctx = client_ctx(tc);
  struct acct sa = {0, 0}, ca = {0, 0}, hs = {0, 0};
  struct pair p;
  const size_t rec = 16384, bufsize = 256 * 1024;
  if (pair_open(&p, sctx, cctx, NULL, bufsize, &hs, &hs) != 0) return 1;
  const char *cipher = SSL_get_cipher_name(p.s);
  unsigned char *src = malloc(rec), *dst = malloc(rec);
  if (!src || !dst) return 1;
  for (size_t i = 0; i < rec; i++) src[i] = (unsigned char)(i * 7 + 1);
  /* warm: 16 MiB */
  uint64_t target = bulk_bytes, sent = 0, got = 0;
  int warming = 1;
  uint64_t warm_bytes = 16u << 20;
  double ru0 = 0;
  uint64_t w0 = 0;
  for (;;) {
    if (warming && got >= warm_bytes) {
      warming = 0;
      sent -= got; /* nothing is in flight: the server has read all */
      got = 0;
      sa.ns = sa.regions = ca.ns = ca.regions = 0;
      ru0 = thread_rusage_s();
      w0 = wall_ns();
    }
    if (!warming && got >= target) break;
    uint64_t goal = warming ? warm_bytes : target;
    int r;
    /* the client fills the pipe (one 16 KiB record per SSL_write) */
    int ce = 0;
    CHARGE(&ca, while (sent < goal) {
      r = SSL_write(p.c, src, (int)rec);
      if (r <= 0) {
        ce = SSL_get_error(p.c, r);
        break;
      }
      sent += (uint64_t)r;
    });
    if (ce != 0 && ce != SSL_ERROR_WANT_WRITE) {
      fprintf(stderr, "floor: bulk: SSL_write failed (%d)\n", ce);
      ERR_print_errors_fp(stderr);
      return 1;
    }
    /* the server drains it */
    int e = 0;
    CHARGE(&sa, for (;;) {
      r = SSL_read(p.s, dst, (int)rec);
      if (r <= 0) {
        e = SSL_get_error(p.s, r);
        break;
      }
      got += (uint64_t)r;
    });
    if (e != SSL_ERROR_WANT_READ) {
      fprintf(stderr, "floor: bulk: SSL_read failed (%d)\n", e);
      ERR_print_errors_fp(stderr);
      return 1;
    }
    if (memcmp(dst, src, rec) != 0) {
      fprintf(stderr, "floor: bulk: data corrupted\n");
      return 1;
    }
  }
  uint64_t w1 = wall_ns();
  double ru1 = thread_rusage_s();
  double gb = (double)got / 1e9;
  double server_s = acct_s(&sa), client_s = acct_s(&ca);
  printf("result mode=floor case=%s proto=TLSv1.3 cipher=%s record=%zu bytes=%" PRIu64
         " status=ok server_cpu_s_per_gb=%.3f client_cpu_s_per_gb=%.3f thread_cpu_s_per_gb=%.3f"
         " server_mbps=%.1f wall_s=%.3f timer_overhead_ns=%.0f\n",
         tc->name, cipher, rec, got, server_s / gb, client_s / gb, (ru1 - ru0) / gb, (double)got / 1e6 / server_s,
         (double)(w1 - w0) / 1e9, region_overhead_ns);
  printf("# floor %s: server %.3f s CPU per GB decrypted (%.0f MB/s of one core), client %.3f s per GB encrypted\n",
         tc->what, server_s / gb, (double)got / 1e6 / server_s, client_s / gb);
  free(src);
  free(dst);
  struct acct dummy = {0, 0};
  if (pair_close(&p, &dummy, &dummy) != 0) return 1;
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
  return 0;
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f) {
  fprintf(f,
          "usage: floor [--certs DIR] [--count N] [--bytes SIZE] [--only CASE,...]\n"
          "  --certs DIR   test certificates (build/test-certs): server-chain.pem server-key.pem\n"
          "                server-ec-chain.pem server-ec-key.pem ca-cert.pem\n"
          "  --count N     handshakes per case (1000)\n"
          "  --bytes SIZE  bytes per record-layer case (1G; K, M, G = KiB, MiB, GiB)\n"
          "  --only LIST   cases: full-rsa full-ec resume-ticket resume-ticket12 resume-id12\n"
          "                bulk-aes128 bulk-aes256 bulk-chacha (all by default)\n");
}

static uint64_t parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  uint64_t mul = 1;
  if (*end == 'k' || *end == 'K') mul = 1024, end++;
  else if (*end == 'm' || *end == 'M') mul = 1024 * 1024, end++;
  else if (*end == 'g' || *end == 'G') mul = 1024ull * 1024 * 1024, end++;
  if (*end == 'i') end++;
  if (*end == 'B') end++;
  if (*end || v <= 0) {
    fprintf(stderr, "floor: bad size '%s'\n", s);
    exit(2);
  }
  return (uint64_t)(v * (double)mul);
}

static int selected(const char *name) {
  if (!only) return 1;
  size_t n = strlen(name);
  for (const char *p = only; *p;) {
    const char *q = strchr(p, ',');
    size_t len = q ? (size_t)(q - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return 1;
    if (!q) break;
    p = q + 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  static const struct option lo[] = {{"certs", required_argument, 0, 'd'}, {"count", required_argument, 0, 'n'},
                                     {"bytes", required_argument, 0, 'b'}, {"only", required_argument, 0, 'o'},
                                     {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (ch) {
    case 'd': certs_dir = optarg; break;
    case 'n':
      count = strtol(optarg, NULL, 10);
      if (count < 1) {
        fprintf(stderr, "floor: bad --count\n");
        return 2;
      }
      break;
    case 'b': bulk_bytes = parse_size(optarg); break;
    case 'o': only = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return 2;
  }
  if (only) {
    for (const char *p = only; *p;) {
      const char *q = strchr(p, ',');
      size_t len = q ? (size_t)(q - p) : strlen(p);
      int known = 0;
      for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strlen(cases[i].name) == len && strncmp(cases[i].name, p, len) == 0) known = 1;
      if (!known) {
        fprintf(stderr, "floor: unknown case '%.*s'\n", (int)len, p);
        return 2;
      }
      if (!q) break;
      p = q + 1;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  calibrate();
  printf("# floor: %s, one thread, client and server over a BIO pair; timer overhead %.0f ns per region "
         "(subtracted)\n",
         OpenSSL_version(OPENSSL_VERSION), region_overhead_ns);
  int status = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!selected(cases[i].name)) continue;
    int r = cases[i].kind == K_BULK ? run_bulk(&cases[i]) : run_handshakes(&cases[i]);
    if (r) status = 1;
  }
  return status;
}
