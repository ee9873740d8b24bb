/* GStreamer fd passing plugin: a close() that fails loudly
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

/* Linked into every gst-check executable (tests/check/meson.build), this
 * close() replaces the C library's for the whole process: the test, GLib,
 * GStreamer, libgstfdpass and the fdpass plugin all call it. It closes the
 * descriptor and aborts the process when that fails with EBADF, which
 * means that the descriptor was closed already (by whoever closed it first)
 * or never opened. Such a bug is worse than it looks: in a process with
 * threads, the number of a closed descriptor is soon reused, and the second
 * close() then silently closes somebody else's file or socket.
 *
 * The abort prints the descriptor and a backtrace of the second close();
 * under CK_FORK (the default) the test case fails with "Received signal 6",
 * and the other test cases of the binary still run.
 *
 * Nothing else changes: other errors (EINTR, EIO) are returned as usual.
 * The C library's own internal closes (fclose(), closedir()) do not come
 * through here, neither do direct close_range() calls.
 *
 * Built with -DFDPASS_CLOSE_CHECK_SELF_TEST, this file is its own test
 * (tests/check/meson.build, libs/close-check): a forked child that closes a
 * descriptor twice must die of SIGABRT with the message, one that closes it
 * once must exit normally. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define CLOSE_CHECK_EXPORT __attribute__ ((visibility ("default")))

int close (int fd);

typedef int (*CloseFunc) (int fd);

/* The next close() in the lookup order: the C library's, or a sanitizer's
 * interceptor that forwards to it. */
static CloseFunc
next_close (void)
{
  static CloseFunc next = NULL;
  CloseFunc f = __atomic_load_n (&next, __ATOMIC_ACQUIRE);

  if (f == NULL) {
    f = (CloseFunc) dlsym (RTLD_NEXT, "close");
    __atomic_store_n (&next, f, __ATOMIC_RELEASE);
  }

  return f;
}

/* Only async-signal-safe calls: close() may be called between fork() and
 * exec(), and from signal handlers. */
static void
write_str (const char *s)
{
  size_t len = strlen (s);

  while (len > 0) {
    ssize_t ret = write (STDERR_FILENO, s, len);

    if (ret < 0 && errno == EINTR)
      continue;
    if (ret <= 0)
      return;
    s += ret;
    len -= ret;
  }
}

static void
report_bad_close (int fd)
{
  void *frames[64];
  char num[24];
  char *p = num + sizeof (num);
  unsigned int v = fd < 0 ? -(unsigned int) fd : (unsigned int) fd;
  int n;

  *--p = '\0';
  do {
    *--p = '0' + v % 10;
    v /= 10;
  } while (v > 0);
  if (fd < 0)
    *--p = '-';

  write_str ("\nfdpass-close-check: close(");
  write_str (p);
  write_str (") failed with EBADF: this descriptor was closed already, or "
      "never opened. Backtrace of this close():\n");
  n = backtrace (frames, sizeof (frames) / sizeof (frames[0]));
  backtrace_symbols_fd (frames, n, STDERR_FILENO);
  write_str ("fdpass-close-check: aborting (see tests/check/"
      "fdpass-close-check.c)\n");
  abort ();
}

/* backtrace() loads libgcc_s the first time it runs: do that now, not in
 * the middle of a failing close(). */
__attribute__ ((constructor))
     static void close_check_init (void)
{
  void *frame;

  backtrace (&frame, 1);
}

CLOSE_CHECK_EXPORT int
close (int fd)
{
  CloseFunc f = next_close ();
  int ret, saved_errno;

  if (f != NULL)
    ret = f (fd);
  else
    ret = syscall (SYS_close, fd);
  saved_errno = errno;

  if (ret < 0 && saved_errno == EBADF)
    report_bad_close (fd);

  errno = saved_errno;
  return ret;
}

#ifdef FDPASS_CLOSE_CHECK_SELF_TEST

#include <gst/gst.h>
#include <gst/allocators/allocators.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

typedef void (*ChildFunc) (void);

/* Runs @func in a child process with stderr going to a pipe. Returns the
 * wait status, and what the child printed in @out. */
static int
run_child (ChildFunc func, char **out)
{
  GString *s = g_string_new (NULL);
  int fds[2], status = 0;
  char buf[4096];
  ssize_t n;
  pid_t pid;

  g_assert_cmpint (pipe (fds), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0) {
    dup2 (fds[1], STDERR_FILENO);
    close (fds[0]);
    close (fds[1]);
    /* no core dump for the expected abort */
    signal (SIGABRT, SIG_DFL);
    func ();
    _exit (0);
  }

  close (fds[1]);
  while ((n = read (fds[0], buf, sizeof (buf))) > 0 || (n < 0 &&
          errno == EINTR)) {
    if (n > 0)
      g_string_append_len (s, buf, n);
  }
  close (fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);

  *out = g_string_free (s, FALSE);
  return status;
}

/* A new descriptor, announced on stderr for expect_abort(). */
static int
new_fd (void)
{
  int fd = dup (STDIN_FILENO);

  g_assert_cmpint (fd, >=, 0);
  fprintf (stderr, "child: fd %d\n", fd);
  fflush (stderr);
  return fd;
}

static void
close_once (void)
{
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (close (fds[0]), ==, 0);
  g_assert_cmpint (close (fds[1]), ==, 0);
}

static void
close_twice (void)
{
  int fd = new_fd ();

  close (fd);
  close (fd);
}

/* g_close() calls close() from libglib: the check covers the closes of
 * shared libraries too, not only the executable's. */
static void
g_close_twice (void)
{
  int fd = new_fd ();

  g_close (fd, NULL);
  g_close (fd, NULL);
}

/* The bug the check exists for: a GstFdMemory owns its fd, and whoever
 * also closes it makes libgstallocators close it a second time. */
static void
fd_memory_and_owner_close (void)
{
  GstAllocator *alloc;
  GstMemory *mem;
  int fd;

  gst_init (NULL, NULL);
  alloc = gst_fd_allocator_new ();
  fd = new_fd ();
  mem = gst_fd_allocator_alloc (alloc, fd, 0, GST_FD_MEMORY_FLAG_NONE);
  close (fd);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

static void
expect_abort (ChildFunc func, const char *what)
{
  char *out = NULL, *expected;
  int status = run_child (func, &out), fd = -1;
  const char *announced;

  g_test_message ("%s: child printed:\n%s", what, out);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGABRT);
  announced = strstr (out, "child: fd ");
  g_assert_nonnull (announced);
  g_assert_cmpint (sscanf (announced, "child: fd %d", &fd), ==, 1);
  /* the descriptor closed twice, and nothing before it */
  expected = g_strdup_printf ("fdpass-close-check: close(%d) failed with "
      "EBADF", fd);
  g_assert_nonnull (strstr (out, expected));
  g_free (expected);
  g_free (out);
}

static void
test_close_once (void)
{
  char *out = NULL;
  int status = run_child (close_once, &out);

  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_cmpstr (out, ==, "");
  g_free (out);
}

static void
test_close_twice (void)
{
  expect_abort (close_twice, "close() twice");
}

static void
test_g_close_twice (void)
{
  expect_abort (g_close_twice, "g_close() twice");
}

static void
test_fd_memory_double_close (void)
{
  expect_abort (fd_memory_and_owner_close, "GstFdMemory and its owner");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/close-check/once", test_close_once);
  g_test_add_func ("/close-check/twice", test_close_twice);
  g_test_add_func ("/close-check/g-close-twice", test_g_close_twice);
  g_test_add_func ("/close-check/fd-memory", test_fd_memory_double_close);

  return g_test_run ();
}

#endif /* FDPASS_CLOSE_CHECK_SELF_TEST */
