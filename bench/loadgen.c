/*
 * loadgen: a TLS load generator for benchmarking TLS servers.
 *
 * One thread, non-blocking sockets, epoll (edge-triggered) + OpenSSL over
 * socket BIOs. It never resumes a session unless --resume is given: the
 * client context has its session cache off and no session is ever offered.
 *
 *   loadgen MODE --port P (--ca FILE | --insecure) [options]
 *
 * MODE is handshake, echo, bulk or idle; see usage() or bench/README.md.
 * Each result is one machine-readable line on stdout,
 *   result mode=handshake key=value ...
 * followed by a human line starting with "# ". Diagnostics go to stderr.
 * Exit status: 0 ok; 1 errors beyond --tolerance (or the run could not be
 * measured); 2 bad usage or setup; 3 a resumed figure was refused because
 * too few handshakes actually resumed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* ------------------------------------------------------------------ */
/* options */

enum mode { M_HANDSHAKE, M_ECHO, M_BULK, M_IDLE };
enum resume { R_NONE, R_TICKET, R_ID };

static struct {
  enum mode mode;
  const char *host;
  int port;
  const char *ca;
  const char *servername;
  int insecure;
  int conns;
  int inflight;
  long count;
  double seconds;
  uint64_t size;
  int size_given;
  int tls_max; /* 0 = library default */
  int tls_min;
  enum resume resume;
  int discard;
  int line; /* echo: each message ends with "\n" (a line server) */
  const char *ciphersuites;
  const char *ciphers;
  const char *groups;
  int server_pid;
  double timeout;
  double warmup;
  double tolerance;
  size_t chunk;
  int quiet;
} opt;

/* ------------------------------------------------------------------ */
/* time and CPU */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* utime+stime of the server process, all its threads, in seconds; -1 if
 * unavailable. Resolution: one clock tick (normally 10 ms). */
static double server_cpu_s(void) {
  if (opt.server_pid <= 0) return -1;
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", opt.server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p++;
  /* after ")" comes field 3 (state); utime is field 14, stime field 15 */
  unsigned long long ut = 0, stt = 0;
  int field = 3;
  char *save = NULL;
  for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
    if (field == 14) ut = strtoull(tok, NULL, 10);
    if (field == 15) {
      stt = strtoull(tok, NULL, 10);
      break;
    }
  }
  return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS of the server in kB; -1 if unavailable */
static long server_rss_kb(void) {
  if (opt.server_pid <= 0) return -1;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", opt.server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = strtol(line + 6, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}

struct sample {
  uint64_t t;
  double self_cpu;
  double server_cpu;
};

static struct sample take_sample(void) {
  struct sample s;
  s.t = now_ns();
  s.self_cpu = self_cpu_s();
  s.server_cpu = server_cpu_s();
  return s;
}

/* ------------------------------------------------------------------ */
/* latency samples (ns, saturating at 2^32-1) */

struct lat {
  uint32_t *v;
  size_t n, cap;
};

static void lat_add(struct lat *l, uint64_t ns) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 65536;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    if (!l->v) {
      perror("realloc");
      exit(2);
    }
  }
  l->v[l->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* nearest-rank percentile in microseconds; call after lat_sort */
static double lat_pct_us(const struct lat *l, double p) {
  if (l->n == 0) return 0;
  size_t k = (size_t)(p / 100.0 * (double)l->n + 0.999999);
  if (k < 1) k = 1;
  if (k > l->n) k = l->n;
  return l->v[k - 1] / 1000.0;
}

static void lat_sort(struct lat *l) {
  if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp_u32);
}

/* ------------------------------------------------------------------ */
/* statistics */

static struct {
  uint64_t started;  /* connections started */
  uint64_t ok;       /* connections that did their job */
  uint64_t failed;   /* connections that failed (sum of the err_ below) */
  uint64_t hs_done;  /* handshakes completed */
  uint64_t resumed;  /* of which SSL_session_reused */
  uint64_t err_connect, err_tls, err_io, err_closed, err_timeout, err_data;
  uint64_t resets_after_close; /* ECONNRESET after our close_notify: not an error */
  uint64_t unclean_close;      /* EOF without close_notify after ours: not an error */
  uint64_t messages;           /* echo: messages counted in the window */
  uint64_t bytes_sent, bytes_recv;
  unsigned printed_errors;
} st;

static struct lat hs_lat, msg_lat;

/* what was negotiated, from the first connection that completed a handshake */
static char neg_proto[32] = "-", neg_cipher[64] = "-", neg_group[32] = "-";

/* ------------------------------------------------------------------ */
/* connections */

enum cstate { S_FREE, S_CONNECTING, S_HANDSHAKE, S_ACTIVE, S_SHUTDOWN };

struct conn {
  enum cstate state;
  uint32_t gen;
  int fd;
  SSL *ssl;
  uint64_t t_start;  /* connect() called */
  uint64_t deadline; /* 0 = none */
  uint64_t id;       /* 1-based, in the order started */
  /* echo, bulk: the measured run has begun */
  int running;
  size_t wpos, rpos;
  uint64_t t_msg;
  /* bulk */
  uint64_t sent, recvd;
  size_t pending_len; /* SSL_write to be retried with this length */
  /* handshake mode, resumption priming */
  int wait_session;
  int shut_sent;
  int free_next;
};

static struct conn *pool;
static int pool_size;
static int *free_slots, nfree;
static int active;       /* slots in use */
static int handshaking;  /* in S_CONNECTING or S_HANDSHAKE */
static int epfd;
static SSL_CTX *ctx;
static struct sockaddr_storage peer;
static socklen_t peer_len;
static SSL_SESSION *session; /* the session offered with --resume */
static volatile sig_atomic_t got_signal;

static unsigned char *msg_buf; /* echo message / bulk source */
static unsigned char rbuf[1 << 16];

static void conn_failed(struct conn *c, uint64_t *counter, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void on_closed(struct conn *c, int ok);

static int slot_of(struct conn *c) { return (int)(c - pool); }

static void drain_openssl_errors(char *out, size_t outlen) {
  unsigned long e;
  out[0] = 0;
  while ((e = ERR_get_error()) != 0) {
    if (!out[0]) ERR_error_string_n(e, out, outlen);
  }
}

static void close_conn(struct conn *c, int ok) {
  if (c->ssl) SSL_free(c->ssl);
  c->ssl = NULL;
  if (c->fd >= 0) close(c->fd); /* also removes it from epoll */
  c->fd = -1;
  if (c->state == S_CONNECTING || c->state == S_HANDSHAKE) handshaking--;
  c->state = S_FREE;
  c->gen++;
  active--;
  free_slots[nfree++] = slot_of(c);
  on_closed(c, ok);
}

static void conn_failed(struct conn *c, uint64_t *counter, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  (*counter)++;
  st.failed++;
  if (st.printed_errors < 10) {
    st.printed_errors++;
    fprintf(stderr, "loadgen: connection %" PRIu64 ": %s\n", c->id, msg);
    if (st.printed_errors == 10) fprintf(stderr, "loadgen: (further errors only counted)\n");
  }
  close_conn(c, 0);
}

/* an SSL call returned r <= 0: WANT_* -> 0 (wait); otherwise the connection is
 * failed with a message naming `what` and -1 is returned */
static int ssl_trouble(struct conn *c, int r, const char *what) {
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  int saved_errno = errno;
  char buf[256];
  drain_openssl_errors(buf, sizeof buf);
  if (e == SSL_ERROR_ZERO_RETURN) {
    conn_failed(c, &st.err_closed, "%s: server sent close_notify", what);
  } else if (e == SSL_ERROR_SYSCALL) {
    if (saved_errno && r < 0)
      conn_failed(c, &st.err_io, "%s: %s", what, strerror(saved_errno));
    else
      conn_failed(c, &st.err_closed, "%s: server closed the connection (EOF)", what);
  } else if (e == SSL_ERROR_SSL) {
    long vr = SSL_get_verify_result(c->ssl);
    if (vr != X509_V_OK)
      conn_failed(c, &st.err_tls, "%s: %s (certificate verify: %s)", what, buf,
                  X509_verify_cert_error_string(vr));
    else if (strstr(buf, "unexpected eof"))
      conn_failed(c, &st.err_closed, "%s: server closed the connection (%s)", what, buf);
    else
      conn_failed(c, &st.err_tls, "%s: %s", what, buf[0] ? buf : "TLS error");
  } else {
    conn_failed(c, &st.err_tls, "%s: SSL_get_error %d %s", what, e, buf);
  }
  return -1;
}

static int new_session_cb(SSL *ssl, SSL_SESSION *sess) {
  (void)ssl;
  if (!session && SSL_SESSION_is_resumable(sess)) {
    session = sess; /* keep our reference: the first session is offered every time */
    return 1;
  }
  return 0;
}

static void note_negotiated(SSL *ssl) {
  if (strcmp(neg_proto, "-") != 0) return;
  snprintf(neg_proto, sizeof neg_proto, "%s", SSL_get_version(ssl));
  const char *cn = SSL_get_cipher_name(ssl);
  snprintf(neg_cipher, sizeof neg_cipher, "%s", cn ? cn : "-");
  int nid = SSL_get_negotiated_group(ssl);
  const char *gn = nid > 0 ? OBJ_nid2sn(nid) : NULL;
  snprintf(neg_group, sizeof neg_group, "%s", gn ? gn : "-");
}

/* ------------------------------------------------------------------ */
/* mode state shared with the connection handlers */

static struct {
  long target;        /* handshake: connections to make; echo/idle: conns */
  int all_up;         /* echo/idle: every connection has been tried */
  uint64_t t_all_up;
  int measuring;      /* echo: inside the measured window */
  int stopping;       /* echo: window over; idle: asked to stop */
  uint64_t t_measure; /* echo: start of the window */
  uint64_t t_end;     /* echo: end of the window; handshake: stop starting */
  uint64_t t_last_event;
  int done;           /* bulk: the transfer is complete */
  uint64_t t_done;
  int priming;        /* handshake --resume: the first connection */
} run;

static void start_shutdown(struct conn *c);

static void drive(struct conn *c);

/* the connection finished its handshake */
static void handshake_done(struct conn *c) {
  handshaking--;
  c->state = S_ACTIVE;
  uint64_t t = now_ns();
  note_negotiated(c->ssl);
  st.hs_done++;
  int reused = SSL_session_reused(c->ssl);
  if (reused) st.resumed++;
  switch (opt.mode) {
  case M_HANDSHAKE:
    if (!run.priming) lat_add(&hs_lat, t - c->t_start);
    if (c->wait_session && !session) {
      c->deadline = t + (uint64_t)(opt.timeout * 1e9);
      return; /* stay active: read until the NewSessionTicket arrives */
    }
    start_shutdown(c);
    return;
  case M_ECHO:
  case M_IDLE:
    lat_add(&hs_lat, t - c->t_start);
    c->deadline = 0;
    return;
  case M_BULK:
    c->deadline = t + (uint64_t)(opt.timeout * 1e9);
    return;
  }
}

static void start_shutdown(struct conn *c) {
  c->state = S_SHUTDOWN;
  c->shut_sent = 0;
  c->deadline = now_ns() + (uint64_t)(opt.timeout * 1e9);
}

/* S_SHUTDOWN: send close_notify, then read until the server's close_notify or
 * EOF, then close. */
static void do_shutdown(struct conn *c) {
  if (!c->shut_sent) {
    int r = SSL_shutdown(c->ssl);
    if (r < 0) {
      int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return;
      /* the server may already be gone: fall through to reading */
      ERR_clear_error();
    }
    c->shut_sent = 1;
  }
  for (;;) {
    int r = SSL_read(c->ssl, rbuf, sizeof rbuf);
    if (r > 0) continue;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
    int saved_errno = errno;
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN) {
      /* clean */
    } else if (e == SSL_ERROR_SYSCALL && r < 0 && saved_errno == ECONNRESET) {
      st.resets_after_close++;
    } else if (e == SSL_ERROR_SYSCALL && r < 0 && saved_errno != 0) {
      conn_failed(c, &st.err_io, "reading after close_notify: %s", strerror(saved_errno));
      return;
    } else {
      st.unclean_close++; /* EOF without close_notify */
    }
    close_conn(c, 1);
    return;
  }
}

static void echo_active(struct conn *c) {
  if (!c->running) return;
  for (;;) {
    if (c->wpos == 0) {
      if (run.stopping && c->pending_len == 0) {
        start_shutdown(c);
        return;
      }
      if (c->pending_len == 0) {
        c->t_msg = now_ns();
        c->deadline = c->t_msg + (uint64_t)(opt.timeout * 1e9);
      }
      int r = SSL_write(c->ssl, msg_buf, (int)opt.size);
      if (r <= 0) {
        c->pending_len = opt.size;
        ssl_trouble(c, r, "echo write");
        return;
      }
      c->pending_len = 0;
      c->wpos = (size_t)r;
      st.bytes_sent += (uint64_t)r;
      /* The echo cannot be here yet unless OpenSSL holds it: wait for EPOLLIN
       * rather than spend a read(2) on EAGAIN (epoll signals each arrival
       * edge-triggered, even one before we get back to epoll_wait). */
      if (!SSL_has_pending(c->ssl)) return;
    }
    int r = SSL_read(c->ssl, rbuf, sizeof rbuf);
    if (r <= 0) {
      ssl_trouble(c, r, "echo read");
      return;
    }
    st.bytes_recv += (uint64_t)r;
    if (c->rpos + (size_t)r > opt.size) {
      conn_failed(c, &st.err_data, "echo: %zu bytes more than sent", c->rpos + (size_t)r - opt.size);
      return;
    }
    if (memcmp(rbuf, msg_buf + c->rpos, (size_t)r) != 0) {
      conn_failed(c, &st.err_data, "echo: the bytes echoed differ from those sent");
      return;
    }
    c->rpos += (size_t)r;
    if (c->rpos == opt.size) {
      uint64_t t = now_ns();
      if (run.measuring && c->t_msg >= run.t_measure && t <= run.t_end) {
        st.messages++;
        lat_add(&msg_lat, t - c->t_msg);
      }
      c->wpos = c->rpos = 0;
    }
  }
}

static void bulk_finished(struct conn *c) {
  run.done = 1;
  run.t_done = now_ns();
  start_shutdown(c);
}

static void bulk_active(struct conn *c) {
  if (!c->running) return;
  for (;;) {
    int progress = 0;
    if (c->sent < opt.size) {
      size_t len = c->pending_len;
      if (!len) {
        uint64_t left = opt.size - c->sent;
        len = left < opt.chunk ? (size_t)left : opt.chunk;
      }
      int r = SSL_write(c->ssl, msg_buf, (int)len);
      if (r > 0) {
        c->sent += (uint64_t)r;
        st.bytes_sent += (uint64_t)r;
        c->pending_len = 0;
        progress = 1;
      } else {
        c->pending_len = len;
        if (ssl_trouble(c, r, "bulk write") < 0) return;
      }
    } else if (opt.discard) {
      /* all sent; the server has read it all once it answers our close_notify */
      start_shutdown(c);
      return;
    }
    if (!opt.discard) {
      int r = SSL_read(c->ssl, rbuf, sizeof rbuf);
      if (r > 0) {
        c->recvd += (uint64_t)r;
        st.bytes_recv += (uint64_t)r;
        progress = 1;
        if (c->recvd > opt.size) {
          conn_failed(c, &st.err_data, "bulk: more echoed than sent");
          return;
        }
        if (c->recvd == opt.size) {
          bulk_finished(c);
          return;
        }
      } else if (ssl_trouble(c, r, "bulk read") < 0) {
        return;
      }
    }
    if (progress) c->deadline = now_ns() + (uint64_t)(opt.timeout * 1e9);
    else return;
  }
}

/* handshake (priming) and idle connections: read whatever comes (tickets) */
static void read_active(struct conn *c) {
  int priming = opt.mode == M_HANDSHAKE && c->wait_session;
  for (;;) {
    if (priming && session) {
      start_shutdown(c);
      return;
    }
    int r = SSL_read(c->ssl, rbuf, sizeof rbuf);
    if (r > 0) {
      st.bytes_recv += (uint64_t)r;
      continue;
    }
    if (priming && session) {
      /* the ticket came, then the server closed: that is all we wanted */
      int e = SSL_get_error(c->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        close_conn(c, 1);
        return;
      }
    }
    if (ssl_trouble(c, r, opt.mode == M_IDLE ? "idle connection" : "waiting for a session ticket") < 0)
      return;
    if (priming && session) start_shutdown(c);
    return;
  }
}

static void start_tls(struct conn *c) {
  c->ssl = SSL_new(ctx);
  if (!c->ssl) {
    char buf[256];
    drain_openssl_errors(buf, sizeof buf);
    conn_failed(c, &st.err_tls, "SSL_new: %s", buf);
    return;
  }
  SSL_set_app_data(c->ssl, c);
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_connect_state(c->ssl);
  if (opt.servername) {
    unsigned char tmp[16];
    int is_ip = inet_pton(AF_INET, opt.servername, tmp) == 1 || inet_pton(AF_INET6, opt.servername, tmp) == 1;
    if (!is_ip) SSL_set_tlsext_host_name(c->ssl, opt.servername);
    if (!opt.insecure) {
      if (is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), opt.servername);
      else
        SSL_set1_host(c->ssl, opt.servername);
    }
  }
  if (opt.resume != R_NONE && session && !c->wait_session) SSL_set_session(c->ssl, session);
  c->state = S_HANDSHAKE;
}

static void drive(struct conn *c) {
  for (;;) {
    enum cstate before = c->state;
    switch (c->state) {
    case S_FREE:
      return;
    case S_CONNECTING: {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      if (err) {
        conn_failed(c, &st.err_connect, "connect: %s", strerror(err));
        return;
      }
      struct sockaddr_storage ss;
      socklen_t sl = sizeof ss;
      if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) < 0) return; /* not yet */
      start_tls(c);
      break;
    }
    case S_HANDSHAKE: {
      int r = SSL_do_handshake(c->ssl);
      if (r == 1)
        handshake_done(c);
      else if (ssl_trouble(c, r, "handshake") == 0)
        return;
      break;
    }
    case S_ACTIVE:
      switch (opt.mode) {
      case M_ECHO:
        echo_active(c);
        break;
      case M_BULK:
        bulk_active(c);
        break;
      case M_HANDSHAKE:
      case M_IDLE:
        read_active(c);
        break;
      }
      break;
    case S_SHUTDOWN:
      do_shutdown(c);
      break;
    }
    if (c->state == before) return;
  }
}

static int start_conn(int wait_session) {
  if (nfree == 0) return -1;
  int fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  st.started++;
  if (fd < 0) {
    fprintf(stderr, "loadgen: socket: %s\n", strerror(errno));
    st.err_connect++;
    st.failed++;
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct conn *c = &pool[free_slots[--nfree]];
  memset(&c->id, 0, sizeof *c - offsetof(struct conn, id));
  c->id = st.started;
  c->fd = fd;
  c->ssl = NULL;
  c->state = S_CONNECTING;
  c->wait_session = wait_session;
  c->t_start = now_ns();
  c->deadline = c->t_start + (uint64_t)(opt.timeout * 1e9);
  active++;
  handshaking++;
  struct epoll_event ev;
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)slot_of(c);
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    conn_failed(c, &st.err_connect, "epoll_ctl: %s", strerror(errno));
    return -1;
  }
  int r = connect(fd, (struct sockaddr *)&peer, peer_len);
  if (r < 0 && errno != EINPROGRESS) {
    conn_failed(c, &st.err_connect, "connect: %s", strerror(errno));
    return -1;
  }
  if (r == 0) drive(c);
  return 0;
}

static void on_closed(struct conn *c, int ok) {
  (void)c;
  if (ok) st.ok++;
}

static void check_deadlines(uint64_t t) {
  for (int i = 0; i < pool_size; i++) {
    struct conn *c = &pool[i];
    if (c->state != S_FREE && c->deadline && t > c->deadline) {
      const char *what = c->state == S_CONNECTING  ? "connect"
                         : c->state == S_HANDSHAKE ? "handshake"
                         : c->state == S_SHUTDOWN  ? "closing"
                                                   : "waiting for the server";
      conn_failed(c, &st.err_timeout, "%s: timed out after %.1f s", what, opt.timeout);
    }
  }
}

/* ------------------------------------------------------------------ */
/* the loop */

static struct epoll_event events[512];

/* one round of the event loop; wait at most max_ms */
static void loop_once(int max_ms) {
  int n = epoll_wait(epfd, events, (int)(sizeof events / sizeof events[0]), max_ms);
  if (n < 0) {
    if (errno == EINTR) return;
    perror("epoll_wait");
    exit(2);
  }
  if (n > 0) run.t_last_event = now_ns();
  for (int i = 0; i < n; i++) {
    uint32_t slot = (uint32_t)events[i].data.u64;
    uint32_t gen = (uint32_t)(events[i].data.u64 >> 32);
    struct conn *c = &pool[slot];
    if (c->gen != gen || c->state == S_FREE) continue;
    drive(c);
  }
  static uint64_t last_scan;
  uint64_t t = now_ns();
  if (t - last_scan > 100000000u) {
    last_scan = t;
    check_deadlines(t);
  }
}

static int ms_until(uint64_t t) {
  uint64_t n = now_ns();
  if (t <= n) return 0;
  uint64_t ms = (t - n + 999999) / 1000000;
  return ms > 100 ? 100 : (int)ms;
}

static void on_signal(int sig) {
  (void)sig;
  got_signal = 1;
}

/* ------------------------------------------------------------------ */
/* reporting */

static double per_op_us(double cpu_s, uint64_t ops) { return ops ? cpu_s * 1e6 / (double)ops : 0; }

static const char *resume_name(void) {
  static const char *names[] = {"none", "ticket", "id"};
  return names[opt.resume];
}

static void print_common(void) {
  printf(" proto=%s cipher=%s group=%s errors=%" PRIu64, neg_proto, neg_cipher, neg_group, st.failed);
  printf(" err_connect=%" PRIu64 " err_tls=%" PRIu64 " err_io=%" PRIu64 " err_closed=%" PRIu64
         " err_timeout=%" PRIu64 " err_data=%" PRIu64 " resets_after_close=%" PRIu64
         " unclean_close=%" PRIu64,
         st.err_connect, st.err_tls, st.err_io, st.err_closed, st.err_timeout, st.err_data,
         st.resets_after_close, st.unclean_close);
}

static void print_cpu(const struct sample *a, const struct sample *b, uint64_t ops, const char *unit) {
  double self = b->self_cpu - a->self_cpu;
  printf(" client_cpu_s=%.3f client_cpu_us_per_%s=%.2f", self, unit, per_op_us(self, ops));
  if (a->server_cpu >= 0 && b->server_cpu >= 0) {
    double srv = b->server_cpu - a->server_cpu;
    printf(" server_pid=%d server_cpu_s=%.3f server_cpu_us_per_%s=%.2f", opt.server_pid, srv, unit,
           per_op_us(srv, ops));
  }
}

static int too_many_errors(uint64_t attempts) {
  return attempts == 0 || (double)st.failed > opt.tolerance * (double)attempts;
}

static int exit_status(uint64_t attempts) {
  double allowed = opt.tolerance * (double)attempts;
  if ((double)st.failed > allowed) {
    fprintf(stderr, "loadgen: %" PRIu64 " of %" PRIu64 " connections failed (tolerance %.2f%%)\n", st.failed,
            attempts, opt.tolerance * 100);
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* modes */

static int run_handshake(void) {
  int status = 0;
  if (opt.resume != R_NONE) {
    /* the first connection: a full handshake whose session all others offer */
    run.priming = 1;
    start_conn(1);
    while (active > 0 && !got_signal) loop_once(100);
    run.priming = 0;
    if (!session) {
      fprintf(stderr, "loadgen: the first connection gave no resumable session (%s)\n",
              opt.resume == R_TICKET ? "no ticket" : "no session ID");
      return 2;
    }
    if (opt.resume == R_ID) {
      unsigned int idlen = 0;
      SSL_SESSION_get_id(session, &idlen);
      if (idlen == 0) {
        fprintf(stderr, "loadgen: the server gave no session ID\n");
        return 2;
      }
    }
    /* From here on no session is stored: with the client cache mode on,
     * OpenSSL would take the session offered out of the cache, marking it
     * not resumable, whenever a resumed TLS 1.3 connection gets a new ticket. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_sess_set_new_cb(ctx, NULL);
    memset(&st, 0, sizeof st);
    hs_lat.n = 0;
  }
  long target = opt.count;
  struct sample a = take_sample();
  run.t_end = opt.seconds > 0 ? a.t + (uint64_t)(opt.seconds * 1e9) : 0;
  for (;;) {
    uint64_t t = now_ns();
    int may_start = !got_signal && (target <= 0 || (long)st.started < target) && (!run.t_end || t < run.t_end);
    while (may_start && active < opt.inflight && nfree > 0) {
      start_conn(0);
      may_start = (target <= 0 || (long)st.started < target);
    }
    if (!may_start && active == 0) break;
    loop_once(run.t_end && now_ns() < run.t_end ? ms_until(run.t_end) : 100);
    if (got_signal && active == 0) break;
  }
  struct sample b = take_sample();
  double secs = (double)(b.t - a.t) / 1e9;
  uint64_t hs = st.hs_done;
  double rate = secs > 0 ? (double)hs / secs : 0;
  lat_sort(&hs_lat);
  int refused = 0;
  if (opt.resume != R_NONE && (double)st.resumed < 0.9 * (double)hs) refused = 1;
  printf("result mode=handshake resume=%s inflight=%d count=%" PRIu64 " handshakes=%" PRIu64 " ok=%" PRIu64
         " resumed=%" PRIu64,
         resume_name(), opt.inflight, st.started, hs, st.ok, st.resumed);
  if (refused) {
    printf(" status=refused rate=NA");
  } else {
    printf(" status=%s seconds=%.3f rate=%.1f hs_p50_us=%.0f hs_p99_us=%.0f",
           too_many_errors(st.started) ? "failed" : "ok", secs, rate, lat_pct_us(&hs_lat, 50),
           lat_pct_us(&hs_lat, 99));
    print_cpu(&a, &b, hs, "hs");
  }
  print_common();
  printf("\n");
  if (refused) {
    printf("# handshake: REFUSED: only %" PRIu64 " of %" PRIu64
           " handshakes resumed (need 90%%); the server does not resume these sessions\n",
           st.resumed, hs);
    fprintf(stderr, "loadgen: only %" PRIu64 " of %" PRIu64 " handshakes were resumed; no resumed figure\n",
            st.resumed, hs);
    status = 3;
  } else {
    printf("# handshake: %.1f %s handshakes/s over %.2f s, %d in flight, %s %s %s; %" PRIu64 " done, %" PRIu64
           " resumed, %" PRIu64 " errors; latency p50 %.0f us p99 %.0f us",
           rate, opt.resume == R_NONE ? "full" : "resumed", secs, opt.inflight, neg_proto, neg_cipher, neg_group,
           hs, st.resumed, st.failed, lat_pct_us(&hs_lat, 50), lat_pct_us(&hs_lat, 99));
    if (a.server_cpu >= 0 && b.server_cpu >= 0)
      printf("; server CPU %.1f us/handshake", per_op_us(b.server_cpu - a.server_cpu, hs));
    printf("; loadgen CPU %.1f us/handshake\n", per_op_us(b.self_cpu - a.self_cpu, hs));
    if (opt.resume == R_NONE && st.resumed) status = 1; /* cannot happen: we never offer a session */
  }
  int s2 = exit_status(st.started);
  return status ? status : s2;
}

/* echo and idle: open opt.conns connections, at most opt.inflight handshaking */
static void open_all(void) {
  while (!got_signal) {
    while ((long)st.started < opt.conns && handshaking < opt.inflight && nfree > 0) start_conn(0);
    if ((long)st.started >= opt.conns && handshaking == 0) break;
    loop_once(100);
  }
  run.all_up = 1;
  run.t_all_up = now_ns();
}

static int run_echo(void) {
  uint64_t t0 = now_ns();
  open_all();
  uint64_t t1 = now_ns();
  int up = active;
  if (up == 0) {
    fprintf(stderr, "loadgen: no connection came up\n");
    return 1;
  }
  uint64_t setup_failed = st.failed;
  uint64_t hs_count = st.hs_done;
  /* start every connection at once */
  for (int i = 0; i < pool_size; i++)
    if (pool[i].state == S_ACTIVE) {
      pool[i].running = 1;
      drive(&pool[i]);
    }
  uint64_t t_start = now_ns();
  run.t_measure = t_start + (uint64_t)(opt.warmup * 1e9);
  run.t_end = run.t_measure + (uint64_t)(opt.seconds * 1e9);
  struct sample a = {0, 0, 0}, b = {0, 0, 0};
  while (!run.stopping) {
    uint64_t t = now_ns();
    if (!run.measuring && t >= run.t_measure) {
      a = take_sample();
      run.t_measure = a.t;
      run.measuring = 1;
    }
    if (t >= run.t_end || got_signal || active == 0) {
      b = take_sample();
      if (!run.measuring) a = b;
      run.t_end = b.t;
      run.stopping = 1;
      break;
    }
    loop_once(ms_until(run.measuring ? run.t_end : run.t_measure));
  }
  /* the window is over: connections close after their outstanding echo */
  for (int i = 0; i < pool_size; i++)
    if (pool[i].state == S_ACTIVE && pool[i].wpos == 0 && pool[i].pending_len == 0) {
      start_shutdown(&pool[i]);
      drive(&pool[i]);
    }
  uint64_t close_deadline = now_ns() + (uint64_t)((opt.timeout + 1) * 1e9);
  while (active > 0 && now_ns() < close_deadline) loop_once(100);
  double secs = (double)(run.t_end - run.t_measure) / 1e9;
  double rate = secs > 0 ? (double)st.messages / secs : 0;
  lat_sort(&msg_lat);
  printf("result mode=echo status=%s conns=%d up=%d size=%" PRIu64 " seconds=%.3f warmup=%.1f messages=%" PRIu64
         " rate=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f setup_seconds=%.3f setup_errors=%" PRIu64,
         too_many_errors(st.started) || st.messages == 0 ? "failed" : "ok", opt.conns, up, opt.size, secs,
         opt.warmup, st.messages, rate, lat_pct_us(&msg_lat, 50),
         lat_pct_us(&msg_lat, 99), lat_pct_us(&msg_lat, 99.9), lat_pct_us(&msg_lat, 100), (double)(t1 - t0) / 1e9,
         setup_failed);
  print_cpu(&a, &b, st.messages, "msg");
  print_common();
  printf("\n");
  printf("# echo: %.1f msg/s of %" PRIu64 " bytes over %.2f s, %d connections (%" PRIu64
         " handshakes); latency p50 %.1f us p99 %.1f us; %" PRIu64 " errors",
         rate, opt.size, secs, up, hs_count, lat_pct_us(&msg_lat, 50), lat_pct_us(&msg_lat, 99), st.failed);
  if (a.server_cpu >= 0 && b.server_cpu >= 0)
    printf("; server CPU %.2f us/msg", per_op_us(b.server_cpu - a.server_cpu, st.messages));
  printf("; loadgen CPU %.2f us/msg\n", per_op_us(b.self_cpu - a.self_cpu, st.messages));
  if (st.messages == 0) {
    fprintf(stderr, "loadgen: no message was echoed in the window\n");
    return 1;
  }
  /* any failed connection matters here: each one stops a message stream */
  return exit_status(st.started);
}

static int run_bulk(void) {
  start_conn(0);
  while (active > 0 && st.hs_done == 0 && !got_signal) loop_once(100);
  if (st.hs_done == 0) {
    fprintf(stderr, "loadgen: the connection failed before the transfer\n");
    return 1;
  }
  struct sample a = take_sample();
  for (int i = 0; i < pool_size; i++)
    if (pool[i].state == S_ACTIVE) {
      pool[i].running = 1;
      drive(&pool[i]);
    }
  while (active > 0 && !got_signal) loop_once(100);
  struct sample b = take_sample();
  if (opt.discard && st.failed == 0 && st.ok == 1 && st.bytes_sent == opt.size) {
    /* discard: done when the server has answered our close_notify, i.e. it
     * has read everything before it */
    run.done = 1;
    run.t_done = b.t;
  }
  int ok = run.done && st.failed == 0;
  double secs = (double)(run.t_done - a.t) / 1e9;
  double mb = (double)opt.size / 1e6;
  printf("result mode=bulk discard=%d size=%" PRIu64 " chunk=%zu sent=%" PRIu64 " received=%" PRIu64
         " status=%s",
         opt.discard, opt.size, opt.chunk, st.bytes_sent, st.bytes_recv, ok ? "ok" : "failed");
  if (ok) {
    printf(" seconds=%.3f mbps=%.1f", secs, mb / secs);
    double gb = (double)opt.size / 1e9;
    double self = b.self_cpu - a.self_cpu;
    printf(" client_cpu_s=%.3f client_cpu_s_per_gb=%.3f", self, self / gb);
    if (a.server_cpu >= 0 && b.server_cpu >= 0)
      printf(" server_pid=%d server_cpu_s=%.3f server_cpu_s_per_gb=%.3f", opt.server_pid,
             b.server_cpu - a.server_cpu, (b.server_cpu - a.server_cpu) / gb);
  }
  print_common();
  printf("\n");
  if (ok) {
    printf("# bulk: %.1f MB/s (%.1f MiB/s), %.3f GB client->server%s in %.2f s, %s %s", mb / secs,
           (double)opt.size / 1048576.0 / secs, (double)opt.size / 1e9, opt.discard ? "" : " and echoed back", secs,
           neg_proto, neg_cipher);
    if (a.server_cpu >= 0 && b.server_cpu >= 0)
      printf("; server CPU %.3f s/GB", (b.server_cpu - a.server_cpu) / ((double)opt.size / 1e9));
    printf("; loadgen CPU %.3f s/GB\n", (b.self_cpu - a.self_cpu) / ((double)opt.size / 1e9));
    return 0;
  }
  printf("# bulk: FAILED after %" PRIu64 " bytes sent, %" PRIu64 " received\n", st.bytes_sent, st.bytes_recv);
  return 1;
}

static int run_idle(void) {
  long rss0 = server_rss_kb();
  uint64_t t0 = now_ns();
  open_all();
  uint64_t t1 = now_ns();
  /* settle: let tickets and the server's post-handshake work finish (quiet
   * for 200 ms, at most 3 s) */
  while (!got_signal && now_ns() - run.t_last_event < 200000000u && now_ns() - t1 < 3000000000u) loop_once(50);
  int up = active;
  long rss1 = server_rss_kb();
  printf("ready %d\n", up);
  lat_sort(&hs_lat);
  printf("result mode=idle status=%s conns=%d up=%d handshakes=%" PRIu64
         " setup_seconds=%.3f hs_p50_us=%.0f hs_p99_us=%.0f",
         too_many_errors((uint64_t)opt.conns) ? "failed" : "ok", opt.conns, up, st.hs_done, (double)(t1 - t0) / 1e9, lat_pct_us(&hs_lat, 50), lat_pct_us(&hs_lat, 99));
  if (rss0 >= 0 && rss1 >= 0)
    printf(" server_pid=%d server_rss_kb_before=%ld server_rss_kb_ready=%ld rss_kb_per_conn=%.2f", opt.server_pid,
           rss0, rss1, up ? (double)(rss1 - rss0) / up : 0);
  print_common();
  printf("\n");
  printf("# idle: %d of %d connections up in %.2f s", up, opt.conns, (double)(t1 - t0) / 1e9);
  if (rss0 >= 0 && rss1 >= 0)
    printf("; server RSS %ld -> %ld kB, %.2f kB per connection", rss0, rss1,
           up ? (double)(rss1 - rss0) / up : 0);
  printf("; holding them%s\n", opt.seconds > 0 ? " for --seconds" : " until SIGINT/SIGTERM");
  fflush(stdout);
  uint64_t failed_at_ready = st.failed;
  uint64_t until = opt.seconds > 0 ? now_ns() + (uint64_t)(opt.seconds * 1e9) : 0;
  while (!got_signal && (!until || now_ns() < until) && active > 0) loop_once(until ? ms_until(until) : 100);
  uint64_t dropped = st.failed - failed_at_ready;
  int held = active;
  /* close them all, politely */
  for (int i = 0; i < pool_size; i++)
    if (pool[i].state == S_ACTIVE) {
      start_shutdown(&pool[i]);
      drive(&pool[i]);
    }
  uint64_t close_deadline = now_ns() + (uint64_t)(opt.timeout * 1e9);
  while (active > 0 && now_ns() < close_deadline) loop_once(100);
  printf("result mode=idle-end status=%s conns=%d held=%d dropped=%" PRIu64,
         too_many_errors((uint64_t)opt.conns) ? "failed" : "ok", opt.conns, held, dropped);
  print_common();
  printf("\n# idle: %d connections held to the end, %" PRIu64 " dropped while idle\n", held, dropped);
  return exit_status((uint64_t)opt.conns);
}

/* ------------------------------------------------------------------ */
/* setup */

static void usage(FILE *f) {
  fprintf(f,
          "usage: loadgen MODE --port P (--ca FILE | --insecure) [options]\n"
          "modes:\n"
          "  handshake  connect, handshake, close; --count total (or --seconds), --inflight at a time\n"
          "             --resume ticket|id: offer the first connection's session every time\n"
          "  echo       --conns connections, each sends --size bytes and waits for the echo, for --seconds\n"
          "  bulk       one connection sends --size bytes (echoed back unless --discard)\n"
          "  idle       open --conns connections, print \"ready N\", hold until SIGINT/SIGTERM or --seconds\n"
          "options:\n"
          "  --host ADDR         server address (127.0.0.1)\n"
          "  --port P            server port (required)\n"
          "  --ca FILE           CA certificate(s) to verify the server with\n"
          "  --insecure          do not verify the server's certificate\n"
          "  --servername NAME   SNI and name checked (localhost); \"\" for none\n"
          "  --conns N           echo/idle connections (echo 50, idle 1000)\n"
          "  --inflight N        handshakes at a time (handshake 1, echo/idle 50)\n"
          "  --count N           handshake: connections in all (1000 unless --seconds)\n"
          "  --seconds S         handshake: run time; echo: measured window (5); idle: hold time\n"
          "  --warmup S          echo: seconds of echo before the window (1)\n"
          "  --size BYTES        echo message size (16) / bulk total (1G); K, M, G = KiB, MiB, GiB\n"
          "  --chunk BYTES       bulk: bytes per SSL_write (65536)\n"
          "  --discard           bulk: the server discards; do not wait for an echo\n"
          "  --line              echo: each message ends with a newline (for line servers)\n"
          "  --tls12 | --tls13   only this version (default: TLS 1.2 or 1.3, as negotiated)\n"
          "  --resume ticket|id  handshake: resumed handshakes (id = TLS 1.2 session IDs, no tickets)\n"
          "  --ciphersuites L    TLS 1.3 suites offered (OpenSSL's default)\n"
          "  --ciphers L         TLS 1.2 cipher list offered (OpenSSL's default)\n"
          "  --groups L          key exchange groups offered (OpenSSL's default: x25519 first)\n"
          "  --server-pid PID    also report the server's CPU (/proc/PID/stat) and, idle, RSS\n"
          "  --timeout S         per connection step (10)\n"
          "  --tolerance F       fraction of failed connections allowed before exit 1 (0.01)\n");
}

static uint64_t parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  uint64_t mul = 1;
  if (*end == 'k' || *end == 'K') mul = 1024, end++;
  else if (*end == 'm' || *end == 'M') mul = 1024 * 1024, end++;
  else if (*end == 'g' || *end == 'G') mul = 1024ull * 1024 * 1024, end++;
  if (*end == 'i' || *end == 'B') end++;
  if (*end == 'B') end++;
  if (*end || v < 0) {
    fprintf(stderr, "loadgen: bad size '%s'\n", s);
    exit(2);
  }
  return (uint64_t)(v * (double)mul);
}

static long parse_long(const char *s, const char *what) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < 0) {
    fprintf(stderr, "loadgen: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

static double parse_double(const char *s, const char *what) {
  char *end;
  double v = strtod(s, &end);
  if (*end || v < 0) {
    fprintf(stderr, "loadgen: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

static void parse_args(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
      usage(stdout);
      exit(0);
    }
    usage(stderr);
    exit(2);
  }
  const char *m = argv[1];
  if (!strcmp(m, "handshake")) opt.mode = M_HANDSHAKE;
  else if (!strcmp(m, "echo")) opt.mode = M_ECHO;
  else if (!strcmp(m, "bulk")) opt.mode = M_BULK;
  else if (!strcmp(m, "idle")) opt.mode = M_IDLE;
  else {
    fprintf(stderr, "loadgen: unknown mode '%s'\n", m);
    usage(stderr);
    exit(2);
  }
  opt.host = "127.0.0.1";
  opt.servername = "localhost";
  opt.conns = -1;
  opt.inflight = -1;
  opt.count = -1;
  opt.timeout = 10;
  opt.warmup = 1;
  opt.tolerance = 0.01;
  opt.chunk = 65536;
  opt.seconds = -1;
  static const struct option lo[] = {
      {"host", required_argument, 0, 'H'},        {"port", required_argument, 0, 'p'},
      {"ca", required_argument, 0, 'a'},          {"servername", required_argument, 0, 'n'},
      {"insecure", no_argument, 0, 'k'},          {"conns", required_argument, 0, 'c'},
      {"inflight", required_argument, 0, 'i'},    {"count", required_argument, 0, 'N'},
      {"seconds", required_argument, 0, 's'},    {"size", required_argument, 0, 'z'},
      {"chunk", required_argument, 0, 'C'},       {"discard", no_argument, 0, 'd'},
      {"tls12", no_argument, 0, '2'},             {"tls13", no_argument, 0, '3'},
      {"resume", required_argument, 0, 'r'},      {"ciphersuites", required_argument, 0, 'S'},
      {"ciphers", required_argument, 0, 'L'},     {"groups", required_argument, 0, 'G'},
      {"server-pid", required_argument, 0, 'P'},  {"timeout", required_argument, 0, 't'},
      {"warmup", required_argument, 0, 'w'},      {"tolerance", required_argument, 0, 'T'},
      {"line", no_argument, 0, 'l'},
      {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
  optind = 2;
  int ch;
  while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (ch) {
    case 'H': opt.host = optarg; break;
    case 'p': opt.port = (int)parse_long(optarg, "port"); break;
    case 'a': opt.ca = optarg; break;
    case 'n': opt.servername = optarg[0] ? optarg : NULL; break;
    case 'k': opt.insecure = 1; break;
    case 'c': opt.conns = (int)parse_long(optarg, "--conns"); break;
    case 'i': opt.inflight = (int)parse_long(optarg, "--inflight"); break;
    case 'N': opt.count = parse_long(optarg, "--count"); break;
    case 's': opt.seconds = parse_double(optarg, "--seconds"); break;
    case 'z': opt.size = parse_size(optarg); opt.size_given = 1; break;
    case 'C': opt.chunk = (size_t)parse_size(optarg); break;
    case 'd': opt.discard = 1; break;
    case 'l': opt.line = 1; break;
    case '2': opt.tls_min = opt.tls_max = TLS1_2_VERSION; break;
    case '3': opt.tls_min = opt.tls_max = TLS1_3_VERSION; break;
    case 'r':
      if (!strcmp(optarg, "ticket")) opt.resume = R_TICKET;
      else if (!strcmp(optarg, "id")) opt.resume = R_ID;
      else if (!strcmp(optarg, "none")) opt.resume = R_NONE;
      else {
        fprintf(stderr, "loadgen: --resume takes ticket or id\n");
        exit(2);
      }
      break;
    case 'S': opt.ciphersuites = optarg; break;
    case 'L': opt.ciphers = optarg; break;
    case 'G': opt.groups = optarg; break;
    case 'P': opt.server_pid = (int)parse_long(optarg, "--server-pid"); break;
    case 't': opt.timeout = parse_double(optarg, "--timeout"); break;
    case 'w': opt.warmup = parse_double(optarg, "--warmup"); break;
    case 'T': opt.tolerance = parse_double(optarg, "--tolerance"); break;
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); exit(2);
    }
  }
  if (optind != argc) {
    fprintf(stderr, "loadgen: unexpected argument '%s'\n", argv[optind]);
    exit(2);
  }
  if (opt.port <= 0 || opt.port > 65535) {
    fprintf(stderr, "loadgen: --port is required\n");
    exit(2);
  }
  if (!opt.ca && !opt.insecure) {
    fprintf(stderr, "loadgen: give --ca FILE (or --insecure)\n");
    exit(2);
  }
  if (opt.resume != R_NONE && opt.mode != M_HANDSHAKE) {
    fprintf(stderr, "loadgen: --resume is for the handshake mode\n");
    exit(2);
  }
  if (opt.resume == R_ID) {
    if (opt.tls_max == TLS1_3_VERSION) {
      fprintf(stderr, "loadgen: --resume id is TLS 1.2 session IDs; it cannot go with --tls13\n");
      exit(2);
    }
    opt.tls_min = opt.tls_max = TLS1_2_VERSION;
  }
  if (opt.timeout <= 0) opt.timeout = 10;
  if (opt.chunk == 0 || opt.chunk > INT_MAX) opt.chunk = 65536;
  switch (opt.mode) {
  case M_HANDSHAKE:
    if (opt.inflight < 0) opt.inflight = 1;
    if (opt.count < 0) opt.count = opt.seconds > 0 ? 0 : 1000;
    if (opt.seconds < 0) opt.seconds = 0;
    break;
  case M_ECHO:
    if (opt.conns < 0) opt.conns = 50;
    if (opt.inflight < 0) opt.inflight = 50;
    if (!opt.size_given) opt.size = 16;
    if (opt.seconds < 0) opt.seconds = 5;
    if (opt.size == 0 || opt.size > (1u << 24)) {
      fprintf(stderr, "loadgen: echo --size must be 1..16M\n");
      exit(2);
    }
    break;
  case M_BULK:
    opt.conns = 1;
    opt.inflight = 1;
    if (!opt.size_given) opt.size = 1ull << 30;
    if (opt.size == 0) {
      fprintf(stderr, "loadgen: bulk --size must be > 0\n");
      exit(2);
    }
    break;
  case M_IDLE:
    if (opt.conns < 0) opt.conns = 1000;
    if (opt.inflight < 0) opt.inflight = 50;
    if (opt.seconds < 0) opt.seconds = 0;
    break;
  }
  if (opt.inflight == 0) opt.inflight = 1;
}

static void setup_peer(void) {
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  char port[16];
  snprintf(port, sizeof port, "%d", opt.port);
  int r = getaddrinfo(opt.host, port, &hints, &res);
  if (r != 0) {
    fprintf(stderr, "loadgen: %s: %s\n", opt.host, gai_strerror(r));
    exit(2);
  }
  memcpy(&peer, res->ai_addr, res->ai_addrlen);
  peer_len = res->ai_addrlen;
  freeaddrinfo(res);
}

static void setup_ctx(void) {
  ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) goto fail;
  SSL_CTX_set_min_proto_version(ctx, opt.tls_min ? opt.tls_min : TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, opt.tls_max);
  if (opt.ca) {
    if (SSL_CTX_load_verify_locations(ctx, opt.ca, NULL) != 1) {
      fprintf(stderr, "loadgen: cannot load --ca %s\n", opt.ca);
      goto fail;
    }
  }
  SSL_CTX_set_verify(ctx, opt.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
  if (opt.ciphersuites && SSL_CTX_set_ciphersuites(ctx, opt.ciphersuites) != 1) {
    fprintf(stderr, "loadgen: bad --ciphersuites\n");
    goto fail;
  }
  if (opt.ciphers && SSL_CTX_set_cipher_list(ctx, opt.ciphers) != 1) {
    fprintf(stderr, "loadgen: bad --ciphers\n");
    goto fail;
  }
  if (opt.groups && SSL_CTX_set1_groups_list(ctx, opt.groups) != 1) {
    fprintf(stderr, "loadgen: bad --groups\n");
    goto fail;
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
  if (opt.mode == M_IDLE) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);
  if (opt.resume == R_NONE) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
    if (opt.resume == R_ID) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  ERR_clear_error();
  return;
fail:
  ERR_print_errors_fp(stderr);
  exit(2);
}

static void raise_nofile(int need) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)need + 16 > rl.rlim_cur) {
    fprintf(stderr, "loadgen: %d connections need more file descriptors than the limit (%llu); raise ulimit -n\n",
            need, (unsigned long long)rl.rlim_cur);
    exit(2);
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  setup_peer();
  setup_ctx();
  pool_size = opt.mode == M_HANDSHAKE ? opt.inflight : opt.conns;
  if (pool_size < 1) pool_size = 1;
  raise_nofile(pool_size);
  pool = calloc((size_t)pool_size, sizeof *pool);
  free_slots = calloc((size_t)pool_size, sizeof *free_slots);
  if (!pool || !free_slots) {
    perror("calloc");
    return 2;
  }
  for (int i = pool_size - 1; i >= 0; i--) {
    pool[i].fd = -1;
    free_slots[nfree++] = i;
  }
  size_t bufsize = opt.mode == M_ECHO ? (size_t)opt.size : opt.mode == M_BULK ? opt.chunk : 16;
  msg_buf = malloc(bufsize);
  if (!msg_buf) {
    perror("malloc");
    return 2;
  }
  for (size_t i = 0; i < bufsize; i++) msg_buf[i] = (unsigned char)('a' + i % 26);
  if (opt.line && opt.mode == M_ECHO) msg_buf[bufsize - 1] = '\n';
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    perror("epoll_create1");
    return 2;
  }
  run.t_last_event = now_ns();

  int status = 0;
  switch (opt.mode) {
  case M_HANDSHAKE: status = run_handshake(); break;
  case M_ECHO: status = run_echo(); break;
  case M_BULK: status = run_bulk(); break;
  case M_IDLE: status = run_idle(); break;
  }
  if (session) SSL_SESSION_free(session);
  SSL_CTX_free(ctx);
  free(pool);
  free(free_slots);
  free(msg_buf);
  free(hs_lat.v);
  free(msg_lat.v);
  return status;
}
