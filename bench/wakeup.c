/* The wake-up floor of a socket transport, without GStreamer.
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/*
 * fdpass-bench-wakeup FRAMES PERIOD_US OUT.json
 *
 * A parent process sends FRAMES messages of the size of an fdpass buffer
 * message (224 bytes) over a SOCK_SEQPACKET socket pair, one every
 * PERIOD_US microseconds, each with the descriptor of a memfd attached.
 * The child waits in poll() like unixsocketsrc, receives each one and
 * closes the descriptor. Latency is CLOCK_MONOTONIC from just before
 * sendmsg() to just after recvmsg(): the least any transport that wakes a
 * sleeping receiver for each frame can take on this machine. The steady
 * state (the last three quarters) is written to OUT.json in bench.py's
 * terms.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MESSAGE_SIZE 224

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int
compare_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

  return x < y ? -1 : x > y;
}

static double
cpu_s (const struct rusage *ru)
{
  return ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
      ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

static void
receive (int sock, int frames, uint64_t * latency, uint64_t * arrival)
{
  int i;

  for (i = 0; i < frames; i++) {
    union
    {
      struct cmsghdr hdr;
      char buf[CMSG_SPACE (sizeof (int))];
    } control;
    unsigned char data[MESSAGE_SIZE];
    struct pollfd pfd = { sock, POLLIN, 0 };
    struct iovec iov = { data, sizeof (data) };
    struct msghdr msg;
    struct cmsghdr *cmsg;
    uint64_t sent;
    ssize_t n;

    if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
      _exit (1);
    memset (&msg, 0, sizeof (msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &control;
    msg.msg_controllen = sizeof (control);
    n = recvmsg (sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      i--;
      continue;
    }
    if (n != MESSAGE_SIZE)
      _exit (1);
    arrival[i] = now_ns ();
    memcpy (&sent, data, sizeof (sent));
    latency[i] = arrival[i] - sent;
    for (cmsg = CMSG_FIRSTHDR (&msg); cmsg; cmsg = CMSG_NXTHDR (&msg, cmsg)) {
      if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
        int fd;

        memcpy (&fd, CMSG_DATA (cmsg), sizeof (fd));
        close (fd);
      }
    }
  }
}

static void
send_all (int sock, int frames, long period_us, int memfd)
{
  unsigned char data[MESSAGE_SIZE];
  int i;

  memset (data, 0, sizeof (data));
  for (i = 0; i < frames; i++) {
    union
    {
      struct cmsghdr hdr;
      char buf[CMSG_SPACE (sizeof (int))];
    } control;
    struct iovec iov = { data, sizeof (data) };
    struct msghdr msg;
    struct cmsghdr *cmsg;
    struct timespec ts = { period_us / 1000000, (period_us % 1000000) * 1000 };
    uint64_t t;

    nanosleep (&ts, NULL);

    memset (&msg, 0, sizeof (msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &control;
    msg.msg_controllen = CMSG_SPACE (sizeof (int));
    cmsg = CMSG_FIRSTHDR (&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN (sizeof (int));
    memcpy (CMSG_DATA (cmsg), &memfd, sizeof (int));

    t = now_ns ();
    memcpy (data, &t, sizeof (t));
    if (sendmsg (sock, &msg, MSG_NOSIGNAL) != MESSAGE_SIZE) {
      perror ("sendmsg");
      exit (1);
    }
  }
}

int
main (int argc, char **argv)
{
  int frames, warm, steady, sv[2], memfd, status;
  long period_us;
  uint64_t *shared, *latency, *arrival;
  struct rusage ru_self, ru_child;
  double fps, cpu;
  pid_t pid;
  FILE *out;

  if (argc != 4 || (frames = atoi (argv[1])) < 4 ||
      (period_us = atol (argv[2])) < 0) {
    fprintf (stderr, "usage: %s FRAMES PERIOD_US OUT.json\n", argv[0]);
    return 2;
  }
  warm = frames / 4;
  steady = frames - warm;

  shared = mmap (NULL, 2 * frames * sizeof (uint64_t), PROT_READ | PROT_WRITE,
      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memfd = memfd_create ("fdpass-bench-wakeup", MFD_CLOEXEC);
  if (shared == MAP_FAILED || memfd < 0 || ftruncate (memfd, 4096) < 0 ||
      socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    perror ("setup");
    return 1;
  }
  latency = shared;
  arrival = shared + frames;

  pid = fork ();
  if (pid < 0) {
    perror ("fork");
    return 1;
  }
  if (pid == 0) {
    close (sv[0]);
    receive (sv[1], frames, latency, arrival);
    _exit (0);
  }
  close (sv[1]);
  send_all (sv[0], frames, period_us, memfd);
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status) ||
      WEXITSTATUS (status) != 0) {
    fprintf (stderr, "the receiver failed\n");
    return 1;
  }
  getrusage (RUSAGE_SELF, &ru_self);
  getrusage (RUSAGE_CHILDREN, &ru_child);

  fps = (steady - 1) / ((arrival[frames - 1] - arrival[warm]) / 1e9);
  /* both processes, the whole run: sleeping costs nothing */
  cpu = (cpu_s (&ru_self) + cpu_s (&ru_child)) / frames;
  qsort (latency + warm, steady, sizeof (uint64_t), compare_u64);

  out = fopen (argv[3], "w");
  if (out == NULL) {
    perror (argv[3]);
    return 1;
  }
  fprintf (out, "{\"frames\": %d, \"warm_frames\": %d, \"fps\": %.3f, "
      "\"lat_median_us\": %.3f, \"lat_p99_us\": %.3f, "
      "\"cpu_s_per_frame\": %.9f}\n", frames, warm, fps,
      latency[warm + steady / 2] / 1e3,
      latency[warm + (steady * 99 + 99) / 100 - 1] / 1e3, cpu);
  fclose (out);

  return 0;
}
