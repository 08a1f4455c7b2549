/*
 * test/churn_client.c - the clients of test/churn.lua: COUNT connections to
 * 127.0.0.1:PORT, one after another, each ending in the middle of a TLS
 * handshake. HELLOFILE holds a real ClientHello (as tls.connect sends it).
 *
 *   churn_client PORT HELLOFILE reset COUNT    send the first 1..len-1 bytes
 *                                              (a different cut each time),
 *                                              then close with SO_LINGER 0:
 *                                              the server gets a TCP RST
 *   churn_client PORT HELLOFILE vanish COUNT   send the whole ClientHello,
 *                                              then close without reading
 *
 * Prints "done COUNT" and exits 0, or says what failed and exits 1. Plain
 * POSIX; test/lib.lua builds it with `cc -O2` into build/reliability/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s PORT HELLOFILE reset|vanish COUNT\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  int reset = strcmp(argv[3], "reset") == 0;
  if (!reset && strcmp(argv[3], "vanish") != 0) {
    fprintf(stderr, "mode must be reset or vanish\n");
    return 2;
  }
  long count = atol(argv[4]);
  FILE *f = fopen(argv[2], "rb");
  if (f == NULL) {
    perror(argv[2]);
    return 1;
  }
  unsigned char hello[16384];
  size_t len = fread(hello, 1, sizeof hello, f);
  fclose(f);
  if (len < 10) {
    fprintf(stderr, "%s: not a ClientHello (%zu bytes)\n", argv[2], len);
    return 1;
  }
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (long i = 0; i < count; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      perror("socket");
      return 1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
      fprintf(stderr, "connect #%ld: %s\n", i, strerror(errno));
      close(fd);
      return 1;
    }
    /* reset: cuts spread over the whole message, header included */
    size_t n = reset ? 1 + (size_t)(i * 7919) % (len - 1) : len;
    if (send_all(fd, hello, n) < 0) {
      fprintf(stderr, "send #%ld: %s\n", i, strerror(errno));
      close(fd);
      return 1;
    }
    if (reset) {
      struct linger lg = {1, 0};
      if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) {
        perror("SO_LINGER");
        return 1;
      }
    }
    close(fd);
  }
  printf("done %ld\n", count);
  return 0;
}
