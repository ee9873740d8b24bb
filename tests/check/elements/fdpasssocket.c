/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * fdpasssocket.c: the socket helpers unixsocketsink and unixsocketsrc share
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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

/* plugin-internal: gstfdpasssocket.c is built into this test */
#include "gstfdpasssocket.h"

#include "../fdpass-check.h"

/* generous upper bound for waiting, never a measure of speed */
#define WAIT_MS 30000

/* nobody and nogroup on Debian */
#define NOBODY_ID 65534

/* gst_fdpass_socket_listen() is built into this executable, so its call
 * to fchmodat() lands here: on demand a failure, or the race of a local
 * user who swaps the new socket file for a symbolic link just before the
 * listener sets its mode. */

typedef enum
{
  CHMOD_REAL,
  CHMOD_FAIL,
  CHMOD_SWAP_FOR_SYMLINK,
  CHMOD_LOOK_AT_PATH,
} ChmodMode;

static ChmodMode chmod_mode = CHMOD_REAL;
static const gchar *chmod_symlink_target;
static guint chmod_calls;
/* CHMOD_LOOK_AT_PATH: whether this path existed when the mode was set */
static const gchar *chmod_look_path;
static gboolean chmod_look_path_existed;

int fchmodat (int dirfd, const char *path, mode_t mode, int flags);

int
fchmodat (int dirfd, const char *path, mode_t mode, int flags)
{
  static int (*real_fchmodat) (int, const char *, mode_t, int);

  if (real_fchmodat == NULL)
    real_fchmodat = dlsym (RTLD_NEXT, "fchmodat");
  g_assert (real_fchmodat != NULL);

  chmod_calls++;
  switch (chmod_mode) {
    case CHMOD_FAIL:
      errno = EPERM;
      return -1;
    case CHMOD_SWAP_FOR_SYMLINK:
      g_assert (unlink (path) == 0);
      g_assert (symlink (chmod_symlink_target, path) == 0);
      break;
    case CHMOD_LOOK_AT_PATH:
    {
      struct stat st;

      chmod_look_path_existed = lstat (chmod_look_path, &st) == 0;
      break;
    }
    case CHMOD_REAL:
      break;
  }

  return real_fchmodat (dirfd, path, mode, flags);
}

/* a temporary directory per test */

typedef struct
{
  gchar *dir;
  gchar *path;
} TmpDir;

static void
tmp_dir_init (TmpDir * t)
{
  t->dir = g_dir_make_tmp ("fdpasssocket-XXXXXX", NULL);
  fail_unless (t->dir != NULL);
  t->path = g_build_filename (t->dir, "sock", NULL);
}

static void
tmp_dir_clear (TmpDir * t)
{
  g_unlink (t->path);
  fail_unless_equals_int (g_rmdir (t->dir), 0);
  g_free (t->path);
  g_free (t->dir);
}

/* A socket of @type connected to @path, or -1 with errno set. */
static gint
connect_to (const gchar * path, gint type)
{
  struct sockaddr_un addr;
  socklen_t len;
  gint fd, e;

  fail_unless (gst_fdpass_socket_address (path, &addr, &len));
  fd = socket (AF_UNIX, type | SOCK_CLOEXEC, 0);
  fail_unless (fd >= 0);
  if (connect (fd, (struct sockaddr *) &addr, len) == 0)
    return fd;

  e = errno;
  close (fd);
  errno = e;
  return -1;
}

/* Accepts one connection on the listening socket @fd. */
static gint
accept_one (gint fd)
{
  struct pollfd pfd = { fd, POLLIN, 0 };
  gint conn;

  fail_unless_equals_int (poll (&pfd, 1, WAIT_MS), 1);
  conn = accept4 (fd, NULL, NULL, SOCK_CLOEXEC);
  fail_unless (conn >= 0, "accept: %s", g_strerror (errno));
  return conn;
}

/* A client connects to @path and @listener accepts it: the listener
 * serves @path. */
static void
assert_serves (gint listener, const gchar * path)
{
  gint client, conn;

  client = connect_to (path, SOCK_SEQPACKET);
  fail_unless (client >= 0, "connect to %s: %s", path, g_strerror (errno));
  conn = accept_one (listener);
  close (conn);
  close (client);
}

/* A socket file that a process bound and then died without removing. */
static void
make_stale_socket (const gchar * path, gint type)
{
  struct sockaddr_un addr;
  socklen_t len;
  struct stat st;
  gint fd;

  fail_unless (gst_fdpass_socket_address (path, &addr, &len));
  fd = socket (AF_UNIX, type | SOCK_CLOEXEC, 0);
  fail_unless (fd >= 0);
  fail_unless_equals_int (bind (fd, (struct sockaddr *) &addr, len), 0);
  if (type != SOCK_DGRAM)
    fail_unless_equals_int (listen (fd, 1), 0);
  close (fd);
  fail_unless_equals_int (lstat (path, &st), 0);
  fail_unless (S_ISSOCK (st.st_mode));
}

static gint
listen_ok (const gchar * path, guint perms, gchar ** created_path)
{
  GError *err = NULL;
  gint fd;

  fd = gst_fdpass_socket_listen (path, perms, created_path, &err);
  fail_unless (fd >= 0, "listen on %s: %s", path, err ? err->message : "?");
  fail_unless (err == NULL);
  return fd;
}

/* Listening on @path fails with @code and a message that names it. */
static void
assert_listen_fails (const gchar * path, GQuark domain, gint code,
    const gchar * text)
{
  gchar *created = (gchar *) "untouched";
  GError *err = NULL;

  fail_unless_equals_int (gst_fdpass_socket_listen (path, 0600, &created,
          &err), -1);
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, domain, code), "%s (code %d)",
      err->message, err->code);
  fail_unless (strstr (err->message, path) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, text) != NULL, "%s", err->message);
  fail_unless (created == NULL);
  g_error_free (err);
}

/* listening */

static void
check_listen_mode (guint perms)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *created = NULL;
  struct stat st;
  socklen_t len;
  gint fd, value;
  TmpDir t;

  tmp_dir_init (&t);
  fd = listen_ok (t.path, perms, &created);
  fail_unless_equals_string (created, t.path);

  fail_unless_equals_int (lstat (t.path, &st), 0);
  fail_unless (S_ISSOCK (st.st_mode));
  fail_unless_equals_int (st.st_mode & 07777, perms);

  /* a non-blocking, close-on-exec, listening seqpacket socket */
  len = sizeof (value);
  fail_unless_equals_int (getsockopt (fd, SOL_SOCKET, SO_TYPE, &value, &len),
      0);
  fail_unless_equals_int (value, SOCK_SEQPACKET);
  len = sizeof (value);
  fail_unless_equals_int (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &value,
          &len), 0);
  fail_unless (value);
  fail_unless (fcntl (fd, F_GETFL) & O_NONBLOCK);
  fail_unless (fcntl (fd, F_GETFD) & FD_CLOEXEC);
  assert_serves (fd, t.path);

  close (fd);
  g_free (created);
  tmp_dir_clear (&t);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

/* the socket file gets the mode asked for, not the one of the umask */
GST_START_TEST (test_listen_perms)
{
  mode_t old = umask (0);

  check_listen_mode (0600);
  check_listen_mode (0660);
  umask (old);
}

GST_END_TEST;

/* socket files of any type left behind by a dead process are replaced */
GST_START_TEST (test_listen_replaces_stale)
{
  static const gint types[] = { SOCK_SEQPACKET, SOCK_STREAM, SOCK_DGRAM };
  guint n_open = fdpass_check_count_open_fds ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    gchar *created = NULL;
    TmpDir t;
    gint fd;

    tmp_dir_init (&t);
    make_stale_socket (t.path, types[i]);
    fd = listen_ok (t.path, 0600, &created);
    fail_unless_equals_string (created, t.path);
    assert_serves (fd, t.path);

    close (fd);
    g_free (created);
    tmp_dir_clear (&t);
  }
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a socket another process serves, of any type, is never taken over */
GST_START_TEST (test_listen_refuses_served)
{
  guint n_open = fdpass_check_count_open_fds ();
  struct sockaddr_un addr;
  socklen_t len;
  gint fd, other;
  TmpDir t;

  /* one of ours */
  tmp_dir_init (&t);
  fd = listen_ok (t.path, 0600, NULL);
  assert_listen_fails (t.path, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
      "Another process is already serving");
  assert_serves (fd, t.path);
  close (fd);
  tmp_dir_clear (&t);

  /* a stream listener */
  tmp_dir_init (&t);
  fail_unless (gst_fdpass_socket_address (t.path, &addr, &len));
  other = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fail_unless_equals_int (bind (other, (struct sockaddr *) &addr, len), 0);
  fail_unless_equals_int (listen (other, 1), 0);
  assert_listen_fails (t.path, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
      "Another process is already serving");
  fd = connect_to (t.path, SOCK_STREAM);
  fail_unless (fd >= 0);
  close (fd);
  close (other);
  tmp_dir_clear (&t);

  /* a datagram socket */
  tmp_dir_init (&t);
  fail_unless (gst_fdpass_socket_address (t.path, &addr, &len));
  other = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  fail_unless_equals_int (bind (other, (struct sockaddr *) &addr, len), 0);
  assert_listen_fails (t.path, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
      "Another process is already serving");
  close (other);
  tmp_dir_clear (&t);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a file that is not a socket is refused and kept as it was */
GST_START_TEST (test_listen_refuses_file)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *contents = NULL, *target, *link;
  struct stat st;
  TmpDir t;

  tmp_dir_init (&t);
  fail_unless (g_file_set_contents (t.path, "keep me", -1, NULL));
  assert_listen_fails (t.path, G_IO_ERROR, G_IO_ERROR_EXISTS,
      "is not a socket");
  fail_unless (g_file_get_contents (t.path, &contents, NULL, NULL));
  fail_unless_equals_string (contents, "keep me");
  g_free (contents);

  /* nor is a symbolic link, even to a stale socket */
  fail_unless_equals_int (g_unlink (t.path), 0);
  target = g_build_filename (t.dir, "target", NULL);
  make_stale_socket (target, SOCK_SEQPACKET);
  fail_unless_equals_int (symlink (target, t.path), 0);
  assert_listen_fails (t.path, G_IO_ERROR, G_IO_ERROR_EXISTS,
      "is not a socket");
  link = g_file_read_link (t.path, NULL);
  fail_unless_equals_string (link, target);
  fail_unless_equals_int (lstat (target, &st), 0);
  fail_unless (S_ISSOCK (st.st_mode));

  g_free (link);
  g_unlink (target);
  g_free (target);
  tmp_dir_clear (&t);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* @name listens in the abstract namespace, where there is no file */
GST_START_TEST (test_listen_abstract)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *created = (gchar *) "untouched";
  guint calls = chmod_calls;
  gchar *name;
  gint fd;

  name = g_strdup_printf ("@gst-fdpass-socket-test-%d", (gint) getpid ());
  fd = listen_ok (name, 0600, &created);
  fail_unless (created == NULL);
  /* no file, no mode */
  fail_unless_equals_int (chmod_calls, calls);
  assert_serves (fd, name);
  assert_listen_fails (name, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
      "Another process is already serving");

  /* the name goes away with the socket */
  close (fd);
  fd = listen_ok (name, 0600, NULL);
  close (fd);

  g_free (name);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* With the address type given apart, an abstract name is taken as it is
 * (a leading '@' included) and a path starting with '@' is a file. */
/* The socket file appears once the socket listens with its mode, never
 * before: a client that tries to connect meanwhile finds no file, instead
 * of a socket that refuses it. Nothing else is left in the directory. */
GST_START_TEST (test_listen_appears_listening)
{
  guint n_open = fdpass_check_count_open_fds ();
  const gchar *entry;
  struct stat st;
  GDir *dir;
  gint fd;
  TmpDir t;

  tmp_dir_init (&t);
  chmod_mode = CHMOD_LOOK_AT_PATH;
  chmod_look_path = t.path;
  chmod_look_path_existed = TRUE;
  fd = listen_ok (t.path, 0640, NULL);
  chmod_mode = CHMOD_REAL;
  fail_if (chmod_look_path_existed, "the socket file was there before the "
      "socket listened");

  fail_unless_equals_int (lstat (t.path, &st), 0);
  fail_unless (S_ISSOCK (st.st_mode));
  fail_unless_equals_int (st.st_mode & 07777, 0640);
  fail_unless_equals_int (st.st_nlink, 1);
  assert_serves (fd, t.path);

  dir = g_dir_open (t.dir, 0, NULL);
  fail_unless (dir != NULL);
  while ((entry = g_dir_read_name (dir)) != NULL)
    fail_unless_equals_string (entry, "sock");
  g_dir_close (dir);

  close (fd);
  tmp_dir_clear (&t);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

GST_START_TEST (test_listen_full)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *created = (gchar *) "untouched";
  guint calls = chmod_calls;
  gchar *name, *old_form, *literal, *at_path, *cwd;
  struct sockaddr_un a1, a2;
  socklen_t l1, l2;
  GError *err = NULL;
  struct stat st;
  gint fd;
  TmpDir t;

  name = g_strdup_printf ("gst-fdpass-full-test-%d", (gint) getpid ());
  old_form = g_strconcat ("@", name, NULL);

  /* the same address as the '@' form */
  fail_unless (gst_fdpass_socket_address_full (name, TRUE, &a1, &l1));
  fail_unless (gst_fdpass_socket_address (old_form, &a2, &l2));
  fail_unless_equals_int (l1, l2);
  fail_unless (memcmp (&a1, &a2, l1) == 0);
  fail_unless_equals_int (a1.sun_path[0], '\0');

  fd = gst_fdpass_socket_listen_full (name, TRUE, 0600, &created, &err);
  fail_unless (fd >= 0, "%s", err ? err->message : "?");
  fail_unless (created == NULL);
  fail_unless_equals_int (chmod_calls, calls);
  assert_serves (fd, old_form);
  /* messages write the name as @name */
  fail_unless_equals_int (gst_fdpass_socket_listen_full (name, TRUE, 0600,
          NULL, &err), -1);
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE));
  fail_unless (strstr (err->message, old_form) != NULL, "%s", err->message);
  g_clear_error (&err);
  close (fd);

  /* an abstract name that starts with '@' is that very name */
  literal = g_strconcat ("@@", name, NULL);
  fd = gst_fdpass_socket_listen_full (old_form, TRUE, 0600, NULL, &err);
  fail_unless (fd >= 0, "%s", err ? err->message : "?");
  assert_serves (fd, literal);
  close (fd);

  fail_unless_equals_int (gst_fdpass_socket_listen_full ("", TRUE, 0600,
          NULL, &err), -1);
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  fail_unless (strstr (err->message, "empty") != NULL, "%s", err->message);
  g_clear_error (&err);

  /* a path starting with '@' is a file */
  tmp_dir_init (&t);
  at_path = g_build_filename (t.dir, "@sock", NULL);
  cwd = g_get_current_dir ();
  fail_unless_equals_int (chdir (t.dir), 0);
  fd = gst_fdpass_socket_listen_full ("@sock", FALSE, 0640, &created, &err);
  fail_unless (fd >= 0, "%s", err ? err->message : "?");
  fail_unless_equals_string (created, "@sock");
  fail_unless_equals_int (lstat (at_path, &st), 0);
  fail_unless (S_ISSOCK (st.st_mode));
  fail_unless_equals_int (st.st_mode & 07777, 0640);
  assert_serves (fd, at_path);
  close (fd);
  g_unlink (at_path);
  fail_unless_equals_int (chdir (cwd), 0);
  g_free (cwd);
  tmp_dir_clear (&t);

  g_free (created);
  g_free (at_path);
  g_free (literal);
  g_free (old_form);
  g_free (name);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

GST_START_TEST (test_listen_bad_paths)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *missing, *longest;
  TmpDir t;

  assert_listen_fails ("", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "empty");
  assert_listen_fails ("@", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "empty");

  longest = g_strnfill (sizeof (((struct sockaddr_un *) NULL)->sun_path), 'x');
  assert_listen_fails (longest, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "too long");
  g_free (longest);

  tmp_dir_init (&t);
  missing = g_build_filename (t.dir, "no-such-dir", "sock", NULL);
  assert_listen_fails (missing, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "Could not create the socket");
  g_free (missing);
  tmp_dir_clear (&t);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* when the mode cannot be set, nothing is left behind */
GST_START_TEST (test_listen_chmod_fails)
{
  guint n_open = fdpass_check_count_open_fds ();
  guint calls = chmod_calls;
  struct stat st;
  TmpDir t;

  tmp_dir_init (&t);
  chmod_mode = CHMOD_FAIL;
  assert_listen_fails (t.path, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
      "Could not set the permissions");
  chmod_mode = CHMOD_REAL;
  fail_unless_equals_int (chmod_calls, calls + 1);
  fail_unless_equals_int (lstat (t.path, &st), -1);
  fail_unless_equals_int (errno, ENOENT);

  tmp_dir_clear (&t);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a symbolic link swapped in for the socket before its mode is set: the
 * file it points to keeps its mode */
GST_START_TEST (test_listen_symlink_race)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *target;
  struct stat st;
  TmpDir t;

  tmp_dir_init (&t);
  target = g_build_filename (t.dir, "precious", NULL);
  fail_unless (g_file_set_contents (target, "secret", -1, NULL));
  fail_unless_equals_int (chmod (target, 0600), 0);

  chmod_mode = CHMOD_SWAP_FOR_SYMLINK;
  chmod_symlink_target = target;
  fail_unless_equals_int (gst_fdpass_socket_listen (t.path, 0666, NULL,
          NULL), -1);
  chmod_mode = CHMOD_REAL;

  fail_unless_equals_int (stat (target, &st), 0);
  fail_unless_equals_int (st.st_mode & 07777, 0600);
  /* the link is gone, the file it named is not */
  fail_unless_equals_int (lstat (t.path, &st), -1);

  g_unlink (target);
  g_free (target);
  tmp_dir_clear (&t);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* running as another user */

typedef gint (*ChildFunc) (gpointer data);

/* Runs @func in a child process as nobody:nogroup without supplementary
 * groups, and returns its pid. The child exits with what @func returns
 * (100 when it could not change its user). This test process has no
 * other threads, so the child may call what it likes. */
static pid_t
run_as_nobody (ChildFunc func, gpointer data)
{
  pid_t pid;

  pid = fork ();
  fail_unless (pid >= 0);
  if (pid == 0) {
    if (setgroups (0, NULL) < 0 || setgid (NOBODY_ID) < 0 ||
        setuid (NOBODY_ID) < 0)
      _exit (100);
    _exit (func (data));
  }

  return pid;
}

static gint
wait_child (pid_t pid)
{
  gint status;

  fail_unless_equals_int (waitpid (pid, &status, 0), pid);
  fail_unless (WIFEXITED (status), "the child died: status %d", status);
  return WEXITSTATUS (status);
}

/* Connects to the path @data and returns 0 after the parent closed the
 * connection, or the errno of connect(). */
static gint
child_connect (gpointer data)
{
  struct sockaddr_un addr;
  socklen_t len;
  gchar byte;
  gint fd;

  if (!gst_fdpass_socket_address (data, &addr, &len))
    return 101;
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 102;
  if (connect (fd, (struct sockaddr *) &addr, len) < 0)
    return errno;
  /* stay alive until the parent looked at us */
  while (read (fd, &byte, 1) < 0 && errno == EINTR);
  close (fd);

  return 0;
}

/* peer credentials */

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

GST_START_TEST (test_peer_socketpair)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassPeer peer;
  gid_t groups[256];
  guint sorted[256];
  gchar *str, *expected;
  gint sv[2], pipe_fds[2], n_groups, i, fd;

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
          0, sv), 0);
  fail_unless (gst_fdpass_socket_get_peer (sv[0], &peer));
  fail_unless_equals_int (peer.pid, getpid ());
  fail_unless_equals_int (peer.uid, geteuid ());
  fail_unless_equals_int (peer.gid, getegid ());

  /* our supplementary groups, or our group on an old kernel */
  n_groups = getgroups (G_N_ELEMENTS (groups), groups);
  fail_unless (n_groups >= 0);
#ifdef SO_PEERGROUPS
  fail_unless_equals_int (peer.n_groups, n_groups);
  for (i = 0; i < n_groups; i++)
    sorted[i] = groups[i];
  /* qsort() wants a valid array even for no elements */
  if (n_groups > 0) {
    qsort (sorted, n_groups, sizeof (guint), compare_uint);
    qsort (peer.groups, peer.n_groups, sizeof (guint), compare_uint);
  }
  for (i = 0; i < n_groups; i++)
    fail_unless_equals_int (peer.groups[i], sorted[i]);
#else
  fail_unless_equals_int (peer.n_groups, 1);
  fail_unless_equals_int (peer.groups[0], getegid ());
#endif

  str = gst_fdpass_peer_to_string (&peer);
  expected = g_strdup_printf ("pid %d uid %u gid %u", (gint) getpid (),
      (guint) geteuid (), (guint) getegid ());
  fail_unless (g_str_has_prefix (str, expected), "%s", str);
  g_free (expected);
  g_free (str);

  /* our own user needs no list */
  fail_unless (gst_fdpass_peer_is_allowed (&peer, NULL, 0, NULL, 0));
  gst_fdpass_peer_clear (&peer);
  fail_unless (peer.groups == NULL && peer.n_groups == 0);
  gst_fdpass_peer_clear (&peer);

  /* things without a peer */
  fail_unless_equals_int (pipe2 (pipe_fds, O_CLOEXEC), 0);
  errno = 0;
  fail_if (gst_fdpass_socket_get_peer (pipe_fds[0], &peer));
  fail_unless_equals_int (errno, ENOTSOCK);
  fail_unless (peer.groups == NULL);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  fail_if (gst_fdpass_socket_get_peer (fd, &peer));
  fail_unless_equals_int (errno, ENOTCONN);

  close (fd);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
  close (sv[0]);
  close (sv[1]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* Returns 0 when a peer running as root is let in only when listed. */
static gint
check_root_peer (gpointer data)
{
  guint groups[] = { 0, 4 };
  GstFdPassPeer root = { 1, 0, 0, G_N_ELEMENTS (groups), groups };
  const guint root_id[] = { 0 };
  const guint others[] = { 1, 4242 };

  if (gst_fdpass_peer_is_allowed (&root, NULL, 0, NULL, 0) ||
      gst_fdpass_peer_is_allowed (&root, others, 2, others, 2))
    return 1;
  if (!gst_fdpass_peer_is_allowed (&root, root_id, 1, NULL, 0))
    return 2;

  return 0;
}

GST_START_TEST (test_peer_is_allowed)
{
  guint groups[] = { 27, 4444 };
  GstFdPassPeer peer = { 1, 4242, 4343, G_N_ELEMENTS (groups), groups };
  GstFdPassPeer root = { 1, 0, 0, 0, NULL };
  GstFdPassPeer me = { 1, geteuid (), 4343, 0, NULL };
  const guint uids[] = { 1, 4242 };
  const guint gids_primary[] = { 4343 };
  const guint gids_supplementary[] = { 5, 4444 };
  const guint gids_other[] = { 28, 4242 };
  gchar *str;

  /* the test needs a peer that is not us */
  if (geteuid () == 4242)
    peer.uid = 4241;

  fail_if (gst_fdpass_peer_is_allowed (&peer, NULL, 0, NULL, 0));
  fail_unless (gst_fdpass_peer_is_allowed (&peer, uids, 2, NULL, 0));
  fail_if (gst_fdpass_peer_is_allowed (&peer, uids, 1, NULL, 0));
  fail_unless (gst_fdpass_peer_is_allowed (&peer, NULL, 0, gids_primary, 1));
  fail_unless (gst_fdpass_peer_is_allowed (&peer, NULL, 0,
          gids_supplementary, 2));
  fail_unless (gst_fdpass_peer_is_allowed (&peer, NULL, 0, groups, 1));
  /* a gid is no uid and a uid no gid */
  fail_if (gst_fdpass_peer_is_allowed (&peer, gids_primary, 1, gids_other, 2));

  /* root is nobody special, unless that is who we are: then ask as
   * another user */
  if (geteuid () != 0) {
    fail_unless_equals_int (check_root_peer (NULL), 0);
  } else {
    pid_t pid = run_as_nobody (check_root_peer, NULL);

    fail_unless_equals_int (wait_child (pid), 0);
  }

  fail_unless (gst_fdpass_peer_is_allowed (&me, NULL, 0, NULL, 0));

  str = gst_fdpass_peer_to_string (&peer);
  if (peer.uid == 4242)
    fail_unless_equals_string (str, "pid 1 uid 4242 gid 4343 groups 27,4444");
  g_free (str);
  str = gst_fdpass_peer_to_string (&root);
  fail_unless_equals_string (str, "pid 1 uid 0 gid 0");
  g_free (str);
}

GST_END_TEST;

/* a peer running as another user: seen as that user, and allowed only
 * when listed; a socket file of mode 0600 does not even let it connect */
GST_START_TEST (test_peer_other_user)
{
  guint n_open = fdpass_check_count_open_fds ();
  const guint nobody[] = { NOBODY_ID };
  const guint others[] = { 1, 2 };
  GstFdPassPeer peer;
  gchar *str;
  pid_t pid;
  gint fd, conn;
  TmpDir t;

  if (geteuid () != 0) {
    g_print ("test_peer_other_user: skipped, only root can run a process "
        "as another user\n");
    return;
  }

  tmp_dir_init (&t);
  /* the other user may look up names in the directory */
  fail_unless_equals_int (chmod (t.dir, 0711), 0);

  fd = listen_ok (t.path, 0666, NULL);
  pid = run_as_nobody (child_connect, t.path);
  conn = accept_one (fd);

  fail_unless (gst_fdpass_socket_get_peer (conn, &peer));
  fail_unless_equals_int (peer.pid, pid);
  fail_unless_equals_int (peer.uid, NOBODY_ID);
  fail_unless_equals_int (peer.gid, NOBODY_ID);
#ifdef SO_PEERGROUPS
  /* it dropped root's supplementary groups */
  fail_unless_equals_int (peer.n_groups, 0);
#endif
  str = gst_fdpass_peer_to_string (&peer);
  fail_unless (g_str_has_suffix (str, " uid 65534 gid 65534"), "%s", str);
  g_free (str);

  fail_if (gst_fdpass_peer_is_allowed (&peer, NULL, 0, NULL, 0));
  fail_if (gst_fdpass_peer_is_allowed (&peer, others, 2, others, 2));
  fail_unless (gst_fdpass_peer_is_allowed (&peer, nobody, 1, NULL, 0));
  fail_unless (gst_fdpass_peer_is_allowed (&peer, NULL, 0, nobody, 1));
  gst_fdpass_peer_clear (&peer);

  close (conn);
  fail_unless_equals_int (wait_child (pid), 0);
  close (fd);
  g_unlink (t.path);

  /* with the mode this user's frames get by default, nobody cannot even
   * connect */
  fd = listen_ok (t.path, 0600, NULL);
  pid = run_as_nobody (child_connect, t.path);
  fail_unless_equals_int (wait_child (pid), EACCES);
  close (fd);

  tmp_dir_clear (&t);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* Tries to take over the path @data and returns 0 when refused because it
 * cannot tell whether the socket there is served. */
static gint
child_take_over (gpointer data)
{
  GError *err = NULL;
  gint fd, ret;

  fd = gst_fdpass_socket_listen (data, 0600, NULL, &err);
  if (fd >= 0)
    return 1;
  ret = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) ? 0 : 2;
  g_error_free (err);

  return ret;
}

/* another user who may write to the directory but not connect to our
 * socket cannot tell whether it is served, and must not replace it */
GST_START_TEST (test_listen_unknown_owner)
{
  guint n_open = fdpass_check_count_open_fds ();
  pid_t pid;
  gint fd;
  TmpDir t;

  if (geteuid () != 0) {
    g_print ("test_listen_unknown_owner: skipped, only root can run a "
        "process as another user\n");
    return;
  }

  tmp_dir_init (&t);
  fail_unless_equals_int (chmod (t.dir, 0777), 0);
  fd = listen_ok (t.path, 0600, NULL);

  pid = run_as_nobody (child_take_over, t.path);
  fail_unless_equals_int (wait_child (pid), 0);
  assert_serves (fd, t.path);

  close (fd);
  tmp_dir_clear (&t);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* messages with file descriptors */

/* One sendmsg() of @size bytes with @n_fds descriptors, any number of
 * them: what a hostile peer can send. */
static void
raw_send (gint fd, const guint8 * data, gsize size, const gint * fds,
    guint n_fds)
{
  fail_unless_equals_int ((gint) fdpass_check_sendmsg (fd, data, size, fds,
          n_fds), (gint) size);
}

/* Sends @n_fds new memfds along with a few bytes, and closes ours. */
static void
send_memfds (gint fd, guint n_fds)
{
  static const guint8 data[] = "frame";
  gint fds[64];
  guint i;

  fail_unless (n_fds <= G_N_ELEMENTS (fds));
  for (i = 0; i < n_fds; i++) {
    fds[i] = memfd_create ("fdpasssocket-test", MFD_CLOEXEC);
    fail_unless (fds[i] >= 0);
  }
  raw_send (fd, data, sizeof (data), fds, n_fds);
  for (i = 0; i < n_fds; i++)
    close (fds[i]);
}

/* descriptors beyond the room the caller has are closed */
GST_START_TEST (test_receive_drops_extra_fds)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassRecvFlags flags;
  guint8 buf[64];
  gint sv[2], fds[2];
  guint n_fds = 99;

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
          0, sv), 0);
  send_memfds (sv[0], 5);
  /* in flight, they are in nobody's table */
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open + 2);

  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, G_N_ELEMENTS (fds), &n_fds, &flags), sizeof ("frame"));
  fail_unless_equals_string ((gchar *) buf, "frame");
  fail_unless_equals_int (n_fds, 2);
  fail_unless_equals_int (flags, GST_FDPASS_RECV_FLAG_FDS_DROPPED);
  /* the two we kept, close-on-exec */
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open + 2 + 2);
  fail_unless (fcntl (fds[0], F_GETFD) & FD_CLOEXEC);
  fail_unless (fcntl (fds[1], F_GETFD) & FD_CLOEXEC);

  gst_fdpass_close_fds (fds, 2);
  fail_unless_equals_int (fds[0], -1);
  fail_unless_equals_int (fds[1], -1);
  close (sv[0]);
  close (sv[1]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a reader that accepts none closes them all */
GST_START_TEST (test_receive_no_fds_wanted)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassRecvFlags flags;
  guint8 buf[64];
  guint n_fds = 99;
  gint sv[2];

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
          0, sv), 0);
  send_memfds (sv[0], 3);
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          NULL, 0, &n_fds, &flags), sizeof ("frame"));
  fail_unless_equals_int (n_fds, 0);
  fail_unless_equals_int (flags, GST_FDPASS_RECV_FLAG_FDS_DROPPED);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open + 2);

  /* the same without asking what happened */
  send_memfds (sv[0], GST_FDPASS_MAX_FDS);
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          NULL, 0, NULL, NULL), sizeof ("frame"));
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open + 2);

  close (sv[0]);
  close (sv[1]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* more descriptors than a message may carry: all that came are closed */
GST_START_TEST (test_receive_ctrunc)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassRecvFlags flags;
  gint sv[2], fds[GST_FDPASS_MAX_FDS];
  guint8 buf[64];
  guint n_fds = 99;

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
          0, sv), 0);
  send_memfds (sv[0], GST_FDPASS_MAX_FDS + 4);
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, G_N_ELEMENTS (fds), &n_fds, &flags), sizeof ("frame"));
  fail_unless_equals_int (n_fds, 0);
  fail_unless (flags & GST_FDPASS_RECV_FLAG_FDS_TRUNCATED);
  fail_if (flags & GST_FDPASS_RECV_FLAG_TRUNCATED);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open + 2);

  /* exactly as many as allowed come whole */
  send_memfds (sv[0], GST_FDPASS_MAX_FDS);
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, G_N_ELEMENTS (fds), &n_fds, &flags), sizeof ("frame"));
  fail_unless_equals_int (n_fds, GST_FDPASS_MAX_FDS);
  fail_unless_equals_int (flags, GST_FDPASS_RECV_FLAG_NONE);
  gst_fdpass_close_fds (fds, n_fds);

  close (sv[0]);
  close (sv[1]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a packet larger than the buffer is reported, its rest is gone */
GST_START_TEST (test_receive_trunc)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassRecvFlags flags;
  guint8 data[100], buf[10];
  gint sv[2], fds[1], memfd;
  guint n_fds = 0, i;

  for (i = 0; i < sizeof (data); i++)
    data[i] = i;
  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
          0, sv), 0);
  memfd = memfd_create ("fdpasssocket-test", MFD_CLOEXEC);
  fail_unless (memfd >= 0);
  raw_send (sv[0], data, sizeof (data), &memfd, 1);
  close (memfd);

  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, 1, &n_fds, &flags), sizeof (buf));
  fail_unless_equals_int (flags, GST_FDPASS_RECV_FLAG_TRUNCATED);
  fail_unless (memcmp (buf, data, sizeof (buf)) == 0);
  /* the descriptor is the caller's to close */
  fail_unless_equals_int (n_fds, 1);
  gst_fdpass_close_fds (fds, n_fds);

  errno = 0;
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, 1, &n_fds, &flags), -1);
  fail_unless_equals_int (errno, EAGAIN);

  close (sv[0]);
  close (sv[1]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

static void
send_empty_with_memfd (gint fd)
{
  gint memfd = memfd_create ("fdpasssocket-test", MFD_CLOEXEC);

  fail_unless (memfd >= 0);
  raw_send (fd, NULL, 0, &memfd, 1);
  close (memfd);
}

/* end of file, nothing to read, and errors leave errno to the caller */
GST_START_TEST (test_receive_eof_and_errors)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassRecvFlags flags;
  guint8 buf[16] = { 0, };
  gint sv[2], fds[4], pipe_fds[2];
  guint n_fds = 99;

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
          0, sv), 0);
  errno = 0;
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, 4, &n_fds, &flags), -1);
  fail_unless_equals_int (errno, EAGAIN);
  fail_unless_equals_int (n_fds, 0);

  /* an empty packet reads as the end of the stream: it brings no fds */
  send_empty_with_memfd (sv[0]);
  n_fds = 99;
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, 4, &n_fds, &flags), 0);
  fail_unless_equals_int (n_fds, 0);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open + 2);

  close (sv[0]);
  n_fds = 99;
  flags = 99;
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          fds, 4, &n_fds, &flags), 0);
  fail_unless_equals_int (n_fds, 0);
  fail_unless_equals_int (flags, GST_FDPASS_RECV_FLAG_NONE);
  close (sv[1]);

  fail_unless_equals_int (pipe2 (pipe_fds, O_CLOEXEC), 0);
  errno = 0;
  fail_unless_equals_int (gst_fdpass_socket_receive (pipe_fds[0], buf,
          sizeof (buf), fds, 4, &n_fds, &flags), -1);
  fail_unless_equals_int (errno, ENOTSOCK);
  errno = 0;
  fail_unless_equals_int (gst_fdpass_socket_send (pipe_fds[1], buf,
          sizeof (buf), NULL, 0), -1);
  fail_unless_equals_int (errno, ENOTSOCK);
  close (pipe_fds[0]);
  close (pipe_fds[1]);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* bytes and three descriptors there and back: the same files arrive */
static void
check_round_trip (gint type)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassRecvFlags flags;
  guint8 data[200], buf[256];
  gint sv[2], pipe_fds[2], sent[3], got[GST_FDPASS_MAX_FDS];
  guint n_fds = 0, i;

  for (i = 0; i < sizeof (data); i++)
    data[i] = i * 7;
  fail_unless_equals_int (socketpair (AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
  fail_unless_equals_int (pipe2 (pipe_fds, O_CLOEXEC), 0);
  sent[0] = memfd_create ("fdpasssocket-test", MFD_CLOEXEC);
  sent[1] = pipe_fds[0];
  sent[2] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  fail_unless (sent[0] >= 0 && sent[2] >= 0);

  fail_unless_equals_int (gst_fdpass_socket_send (sv[0], data, sizeof (data),
          sent, 3), sizeof (data));
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          got, G_N_ELEMENTS (got), &n_fds, &flags), sizeof (data));
  fail_unless_equals_int (flags, GST_FDPASS_RECV_FLAG_NONE);
  fail_unless (memcmp (buf, data, sizeof (data)) == 0);
  fail_unless_equals_int (n_fds, 3);

  for (i = 0; i < 3; i++) {
    guint64 dev_sent, ino_sent, dev_got, ino_got;

    fail_unless (got[i] != sent[i]);
    fail_unless (fdpass_check_stat_fd (sent[i], &dev_sent, &ino_sent));
    fail_unless (fdpass_check_stat_fd (got[i], &dev_got, &ino_got));
    fail_unless_equals_uint64 (dev_got, dev_sent);
    fail_unless_equals_uint64 (ino_got, ino_sent);
    fail_unless (fcntl (got[i], F_GETFD) & FD_CLOEXEC);
  }

  /* and without descriptors */
  fail_unless_equals_int (gst_fdpass_socket_send (sv[0], data, 5, NULL, 0), 5);
  fail_unless_equals_int (gst_fdpass_socket_receive (sv[1], buf, sizeof (buf),
          got + 3, G_N_ELEMENTS (got) - 3, &n_fds, &flags), 5);
  fail_unless_equals_int (n_fds, 0);

  gst_fdpass_close_fds (got, 3);
  gst_fdpass_close_fds (sent, 3);
  close (pipe_fds[1]);
  close (sv[0]);
  close (sv[1]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_START_TEST (test_round_trip_seqpacket)
{
  check_round_trip (SOCK_SEQPACKET);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_stream)
{
  check_round_trip (SOCK_STREAM);
}

GST_END_TEST;

/* a full socket, a peer that went away (no SIGPIPE), too many fds */
GST_START_TEST (test_send_errors)
{
  guint n_open = fdpass_check_count_open_fds ();
  gint fds[GST_FDPASS_MAX_FDS + 1];
  guint8 data[4096] = { 0, };
  sigset_t sigpipe, old_mask, pending;
  gboolean raised;
  gint sv[2], i;
  gssize n;

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
          0, sv), 0);

  /* never blocks */
  for (i = 0; i < 100000; i++) {
    n = gst_fdpass_socket_send (sv[0], data, sizeof (data), NULL, 0);
    if (n < 0)
      break;
    fail_unless_equals_int (n, sizeof (data));
  }
  fail_unless_equals_int (n, -1);
  fail_unless (errno == EAGAIN || errno == EWOULDBLOCK);

  for (i = 0; i < G_N_ELEMENTS (fds); i++)
    fds[i] = sv[0];
  errno = 0;
  ASSERT_CRITICAL (n = gst_fdpass_socket_send (sv[0], data, 1, fds,
          G_N_ELEMENTS (fds)));
  fail_unless_equals_int (n, -1);
  fail_unless_equals_int (errno, EINVAL);

  close (sv[0]);
  close (sv[1]);

  /* a peer that went away raises no SIGPIPE: blocked, it would stay
   * pending whatever its disposition (only stream sockets raise it) */
  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
          sv), 0);
  close (sv[1]);
  sigemptyset (&sigpipe);
  sigaddset (&sigpipe, SIGPIPE);
  fail_unless_equals_int (pthread_sigmask (SIG_BLOCK, &sigpipe, &old_mask), 0);
  errno = 0;
  fail_unless_equals_int (gst_fdpass_socket_send (sv[0], data, 1, NULL, 0), -1);
  fail_unless_equals_int (errno, EPIPE);
  fail_unless_equals_int (sigpending (&pending), 0);
  raised = sigismember (&pending, SIGPIPE);
  if (raised) {
    struct timespec now = { 0, 0 };

    sigtimedwait (&sigpipe, NULL, &now);
  }
  fail_unless_equals_int (pthread_sigmask (SIG_SETMASK, &old_mask, NULL), 0);
  fail_if (raised, "sending raised SIGPIPE");
  close (sv[0]);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

GST_START_TEST (test_close_fds)
{
  guint n_open = fdpass_check_count_open_fds ();
  gint fds[4];

  fds[0] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  fds[1] = -1;
  fds[2] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  fds[3] = -1;
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open + 2);

  gst_fdpass_close_fds (fds, G_N_ELEMENTS (fds));
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
  fail_unless (fds[0] == -1 && fds[1] == -1 && fds[2] == -1 && fds[3] == -1);
  /* twice is harmless */
  gst_fdpass_close_fds (fds, G_N_ELEMENTS (fds));
  gst_fdpass_close_fds (NULL, 0);
}

GST_END_TEST;

static Suite *
fdpasssocket_suite (void)
{
  Suite *s = suite_create ("fdpasssocket");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_listen_perms);
  tcase_add_test (tc, test_listen_replaces_stale);
  tcase_add_test (tc, test_listen_refuses_served);
  tcase_add_test (tc, test_listen_refuses_file);
  tcase_add_test (tc, test_listen_abstract);
  tcase_add_test (tc, test_listen_appears_listening);
  tcase_add_test (tc, test_listen_full);
  tcase_add_test (tc, test_listen_bad_paths);
  tcase_add_test (tc, test_listen_chmod_fails);
  tcase_add_test (tc, test_listen_symlink_race);
  tcase_add_test (tc, test_listen_unknown_owner);
  tcase_add_test (tc, test_peer_socketpair);
  tcase_add_test (tc, test_peer_is_allowed);
  tcase_add_test (tc, test_peer_other_user);
  tcase_add_test (tc, test_receive_drops_extra_fds);
  tcase_add_test (tc, test_receive_no_fds_wanted);
  tcase_add_test (tc, test_receive_ctrunc);
  tcase_add_test (tc, test_receive_trunc);
  tcase_add_test (tc, test_receive_eof_and_errors);
  tcase_add_test (tc, test_round_trip_seqpacket);
  tcase_add_test (tc, test_round_trip_stream);
  tcase_add_test (tc, test_send_errors);
  tcase_add_test (tc, test_close_fds);

  return s;
}

GST_CHECK_MAIN (fdpasssocket);
