/* udpecho: tiny UDP echo server and probe client for the Portcullis lab.
 * Built statically by scripts/lab into each lab's state dir and copied into
 * the pcl/busybox:1 image (busybox-static's nc has no UDP mode).
 *   udpecho -l PORT                 serve: reply "pong " + datagram, forever
 *   udpecho ADDR PORT [SRC] [MS]    probe: send "ping", print reply, exit 0
 *                                   (1 = no reply within MS, default 2000)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int serve(int port) {
  int fd = socket(AF_INET6, SOCK_DGRAM, 0), v6 = 1;
  if (fd >= 0) {
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6; a.sin6_port = htons(port); a.sin6_addr = in6addr_any;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); fd = -1; }
  }
  if (fd < 0) {
    v6 = 0;
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = INADDR_ANY;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); return 2; }
  }
  fprintf(stderr, "udpecho: listening on udp/%d (%s)\n", port, v6 ? "v4+v6" : "v4");
  for (;;) {
    char buf[1500], out[1505];
    struct sockaddr_storage peer; socklen_t pl = sizeof peer;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &pl);
    if (n < 0) continue;
    memcpy(out, "pong ", 5); memcpy(out + 5, buf, (size_t)n);
    sendto(fd, out, (size_t)n + 5, 0, (struct sockaddr *)&peer, pl);
  }
}

static int fill(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET; a4->sin_port = htons(port); *len = sizeof *a4; return AF_INET;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6; a6->sin6_port = htons(port); *len = sizeof *a6; return AF_INET6;
  }
  return -1;
}

static int probe(const char *host, int port, const char *src, int ms) {
  struct sockaddr_storage dst, sa; socklen_t dl, sl;
  int fam = fill(host, port, &dst, &dl);
  if (fam < 0) { fprintf(stderr, "udpecho: bad address %s\n", host); return 2; }
  int fd = socket(fam, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 2; }
  if (src && *src) {
    if (fill(src, 0, &sa, &sl) != fam || bind(fd, (struct sockaddr *)&sa, sl) != 0) {
      fprintf(stderr, "udpecho: cannot bind source %s\n", src); return 2;
    }
  }
  if (connect(fd, (struct sockaddr *)&dst, dl) != 0) { perror("connect"); return 2; }
  if (send(fd, "ping", 4, 0) != 4) { perror("send"); return 1; }
  struct pollfd p = { .fd = fd, .events = POLLIN };
  if (poll(&p, 1, ms) <= 0) { fprintf(stderr, "udpecho: no reply\n"); return 1; }
  char buf[1600];
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) { fprintf(stderr, "udpecho: no reply (refused?)\n"); return 1; }
  buf[n] = 0; printf("%s\n", buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "-l") == 0) return serve(atoi(argv[2]));
  if (argc >= 3 && argc <= 5)
    return probe(argv[1], atoi(argv[2]), argc > 3 ? argv[3] : NULL, argc > 4 ? atoi(argv[4]) : 2000);
  fprintf(stderr, "usage: udpecho -l PORT | udpecho ADDR PORT [SRC] [TIMEOUT_MS]\n");
  return 2;
}
