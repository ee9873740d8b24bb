/* GStreamer fd passing plugin
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
 * Socket code shared by unixsocketsink and unixsocketsrc: Unix socket
 * addresses, the listening socket of a sender, the credentials of a peer
 * and the decision whether it may connect, and one recvmsg() or sendmsg()
 * of a message with its file descriptors.
 *
 * Nothing here blocks: every socket is non-blocking, and receive and send
 * return EAGAIN to the caller, which polls.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstfdpasssocket.h"

#include <gst/gst.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef GST_DISABLE_GST_DEBUG
#define GST_CAT_DEFAULT gst_fdpass_socket_ensure_debug_category ()

static GstDebugCategory *
gst_fdpass_socket_ensure_debug_category (void)
{
  static gsize cat = 0;

  if (g_once_init_enter (&cat)) {
    gsize c = (gsize) _gst_debug_category_new ("fdpasssocket", 0,
        "fdpass Unix socket helpers");

    g_once_init_leave (&cat, c);
  }

  return (GstDebugCategory *) cat;
}
#endif /* GST_DISABLE_GST_DEBUG */

/* connections a listener holds before it accepts them */
#define LISTEN_BACKLOG 16

/* room for the largest number of descriptors a message may carry */
typedef union
{
  struct cmsghdr hdr;
  gchar buf[CMSG_SPACE (GST_FDPASS_MAX_FDS * sizeof (gint))];
}
ControlBuffer;

/**
 * gst_fdpass_socket_address_full:
 * @name: a filesystem path, or a name in the abstract namespace
 * @abstract: whether @name is in the abstract namespace
 * @addr: (out caller-allocates): the address
 * @len: (out): the length of @addr to pass to bind() or connect()
 *
 * Fills @addr with the Unix socket address of @name. An abstract name
 * (see unix(7)) is taken as it is, without a leading NUL or '@' and without
 * padding, like %G_UNIX_SOCKET_ADDRESS_ABSTRACT. Such a socket has no file
 * and hence no permissions: any process in the same network namespace may
 * connect to it.
 *
 * Returns: %FALSE when the name is too long for a Unix socket address
 */
gboolean
gst_fdpass_socket_address_full (const gchar * name, gboolean abstract,
    struct sockaddr_un *addr, socklen_t * len)
{
  gsize n = strlen (name);

  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;

  /* either way, one byte of sun_path is a NUL */
  if (n + 1 > sizeof (addr->sun_path))
    return FALSE;

  if (abstract) {
    /* a NUL, then the name, not NUL terminated */
    memcpy (addr->sun_path + 1, name, n);
    *len = offsetof (struct sockaddr_un, sun_path) + 1 + n;
  } else {
    memcpy (addr->sun_path, name, n);
    *len = offsetof (struct sockaddr_un, sun_path) + n + 1;
  }

  return TRUE;
}

/**
 * gst_fdpass_socket_address:
 * @path: a filesystem path, or `@name` for a name in the abstract namespace
 * @addr: (out caller-allocates): the address
 * @len: (out): the length of @addr to pass to bind() or connect()
 *
 * Like gst_fdpass_socket_address_full(), with a leading '@' naming a socket
 * in the abstract namespace.
 *
 * Returns: %FALSE when the name is too long for a Unix socket address
 */
gboolean
gst_fdpass_socket_address (const gchar * path, struct sockaddr_un *addr,
    socklen_t * len)
{
  if (path[0] == '@')
    return gst_fdpass_socket_address_full (path + 1, TRUE, addr, len);

  return gst_fdpass_socket_address_full (path, FALSE, addr, len);
}

/* listening sockets */

typedef enum
{
  ADDRESS_UNUSED,
  ADDRESS_SERVED,
  ADDRESS_UNKNOWN,
} AddressState;

/* Does a process accept connections on (or, for a datagram socket, receive
 * on) @addr? Only a refused connection with each socket type proves that
 * nobody does. Any other failure (EACCES on a socket that is not ours, say)
 * leaves it open: then *err is set. */
static AddressState
address_state (const struct sockaddr_un *addr, socklen_t len, gint * err)
{
  static const gint types[] = { SOCK_SEQPACKET, SOCK_STREAM, SOCK_DGRAM };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    gint fd, ret, e;

    fd = socket (AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      *err = errno;
      return ADDRESS_UNKNOWN;
    }
    ret = connect (fd, (const struct sockaddr *) addr, len);
    e = errno;
    close (fd);

    /* EAGAIN: a listener whose backlog is full */
    if (ret == 0 || e == EAGAIN || e == EINPROGRESS)
      return ADDRESS_SERVED;
    /* the file is gone already, or its socket is closed */
    if (e == ENOENT || e == ECONNREFUSED)
      return ADDRESS_UNUSED;
    /* a socket of another type: ask it in its own type */
    if (e == EPROTOTYPE)
      continue;

    *err = e;
    return ADDRESS_UNKNOWN;
  }

  *err = EPROTOTYPE;
  return ADDRESS_UNKNOWN;
}

/* There is a file at @name, which bind() or link() found in the way. A
 * socket file left behind by a process that is gone is removed; a socket
 * somebody serves, or any other kind of file, is an error. @display is how
 * messages name the socket. */
static gboolean
remove_stale_socket (const gchar * name, const gchar * display,
    const struct sockaddr_un *addr, socklen_t len, GError ** error)
{
  struct stat st;
  gint err = 0;

  if (lstat (name, &st) == 0 && !S_ISSOCK (st.st_mode)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "%s exists and is not a socket: remove it or choose another path.",
        display);
    return FALSE;
  }

  switch (address_state (addr, len, &err)) {
    case ADDRESS_SERVED:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
          "Another process is already serving %s.", display);
      return FALSE;
    case ADDRESS_UNKNOWN:
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
          "Could not tell whether another process serves %s: %s. Remove the "
          "file if nobody does, or choose another path.", display,
          g_strerror (err));
      return FALSE;
    case ADDRESS_UNUSED:
      break;
  }

  GST_INFO ("replacing the stale socket %s", display);
  if (unlink (name) < 0 && errno != ENOENT) {
    err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "Could not remove the stale socket %s: %s.", display, g_strerror (err));
    return FALSE;
  }

  return TRUE;
}

static void
set_in_use_error (GError ** error, const gchar * display)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
      "Another process is already serving %s.", display);
}

static void
set_create_error (GError ** error, const gchar * display, gint err)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "Could not create the socket %s: %s.", display, g_strerror (err));
}

/* Binds @fd to @addr, replacing a stale socket file at @name. A name in
 * use in the abstract namespace is an error. */
static gboolean
bind_address (gint fd, const gchar * name, gboolean abstract,
    const gchar * display, const struct sockaddr_un *addr, socklen_t len,
    GError ** error)
{
  if (bind (fd, (const struct sockaddr *) addr, len) == 0)
    return TRUE;
  if (errno != EADDRINUSE) {
    set_create_error (error, display, errno);
    return FALSE;
  }

  if (abstract) {
    set_in_use_error (error, display);
    return FALSE;
  }
  if (!remove_stale_socket (name, display, addr, len, error))
    return FALSE;

  if (bind (fd, (const struct sockaddr *) addr, len) == 0)
    return TRUE;
  /* somebody else was faster */
  if (errno == EADDRINUSE)
    set_in_use_error (error, display);
  else
    set_create_error (error, display, errno);
  return FALSE;
}

/* Sets the mode of the socket file @path before anybody can connect, so
 * that the umask's mode never counts. Never follows a symbolic link:
 * whoever may write to the directory could have put one there in place of
 * our socket, and we might be root. */
static gboolean
set_mode (const gchar * path, const gchar * display, guint perms,
    GError ** error)
{
  gint err;

  if (fchmodat (AT_FDCWD, path, perms, AT_SYMLINK_NOFOLLOW) == 0)
    return TRUE;

  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "Could not set the permissions of the socket %s to %04o: %s.",
      display, perms, g_strerror (err));
  return FALSE;
}

static gboolean
start_listening (gint fd, const gchar * display, GError ** error)
{
  gint err;

  if (listen (fd, LISTEN_BACKLOG) == 0)
    return TRUE;

  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "Could not listen on %s: %s.", display, g_strerror (err));
  return FALSE;
}

typedef enum
{
  PUBLISH_OK,
  PUBLISH_FAILED,
  PUBLISH_UNSUPPORTED,
} PublishResult;

/* Gives the socket file @tmp its final name @name, which must not exist or
 * be a stale socket: a hard link, which never replaces a file. */
static PublishResult
publish (const gchar * tmp, const gchar * name, const gchar * display,
    const struct sockaddr_un *addr, socklen_t len, GError ** error)
{
  if (link (tmp, name) == 0)
    return PUBLISH_OK;
  if (errno != EEXIST) {
    GST_DEBUG ("cannot link %s to %s: %s", tmp, display, g_strerror (errno));
    return PUBLISH_UNSUPPORTED;
  }

  if (!remove_stale_socket (name, display, addr, len, error))
    return PUBLISH_FAILED;
  if (link (tmp, name) == 0)
    return PUBLISH_OK;

  /* somebody else was faster */
  if (errno == EEXIST)
    set_in_use_error (error, display);
  else
    set_create_error (error, display, errno);
  return PUBLISH_FAILED;
}

/* Binds @fd to a new file next to @name. Returns its name, or NULL when
 * that name would not fit in a socket address or could not be bound. */
static gchar *
bind_temporary (gint fd, const gchar * name)
{
  guint attempt;

  for (attempt = 0; attempt < 8; attempt++) {
    gchar *tmp = g_strdup_printf ("%s.%08x", name, g_random_int ());
    struct sockaddr_un addr;
    socklen_t len;

    if (!gst_fdpass_socket_address_full (tmp, FALSE, &addr, &len)) {
      g_free (tmp);
      return NULL;
    }
    if (bind (fd, (const struct sockaddr *) &addr, len) == 0)
      return tmp;
    g_free (tmp);
    if (errno != EADDRINUSE)
      return NULL;
  }

  return NULL;
}

/* A socket listening on the file @name, which appears only once the socket
 * has its mode and listens: a client never finds a socket file that
 * refuses connections (which it would take for a socket of another type),
 * nor one with the mode of the umask. Returns -1 with @error set on
 * failure, or -1 without @error where the file system cannot link the
 * socket into place; then the caller binds @name itself. */
static gint
listen_on_path_linked (const gchar * name, const gchar * display,
    const struct sockaddr_un *addr, socklen_t len, guint perms, GError ** error)
{
  PublishResult published;
  gchar *tmp;
  gint fd;

  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;

  tmp = bind_temporary (fd, name);
  if (tmp == NULL) {
    close (fd);
    return -1;
  }

  if (!set_mode (tmp, display, perms, error) ||
      !start_listening (fd, display, error))
    published = PUBLISH_FAILED;
  else
    published = publish (tmp, name, display, addr, len, error);
  unlink (tmp);
  g_free (tmp);

  if (published != PUBLISH_OK) {
    close (fd);
    return -1;
  }

  return fd;
}

/* Binds @name itself, for an abstract name or where the file system cannot
 * link a socket: a client may find the name before the socket listens. */
static gint
listen_on_name (const gchar * name, gboolean abstract, const gchar * display,
    const struct sockaddr_un *addr, socklen_t len, guint perms, GError ** error)
{
  gint fd, err;

  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "Could not create a socket for %s: %s.", display, g_strerror (err));
    return -1;
  }

  if (!bind_address (fd, name, abstract, display, addr, len, error)) {
    close (fd);
    return -1;
  }

  if ((!abstract && !set_mode (name, display, perms, error)) ||
      !start_listening (fd, display, error)) {
    if (!abstract)
      unlink (name);
    close (fd);
    return -1;
  }

  return fd;
}

/* Creates the socket, sets the mode of its file, listens. */
static gint
listen_on (const gchar * name, gboolean abstract, const gchar * display,
    guint perms, GError ** error)
{
  struct sockaddr_un addr;
  socklen_t len;
  GError *err = NULL;
  gint fd = -1;

  if (name[0] == '\0') {
    if (abstract)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "The abstract socket name \"%s\" is empty: give a name.", display);
    else
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "The socket path \"%s\" is empty: give a file name or @name.",
          display);
    return -1;
  }
  if (!gst_fdpass_socket_address_full (name, abstract, &addr, &len)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "The socket %s \"%s\" is too long: a Unix socket address holds at "
        "most %u bytes.", abstract ? "name" : "path", display,
        (guint) sizeof (addr.sun_path) - 1);
    return -1;
  }

  if (!abstract) {
    fd = listen_on_path_linked (name, display, &addr, len, perms, &err);
    if (err) {
      g_propagate_error (error, err);
      return -1;
    }
  }
  if (fd < 0)
    fd = listen_on_name (name, abstract, display, &addr, len, perms, error);
  if (fd < 0)
    return -1;

  if (abstract)
    GST_DEBUG ("listening on %s", display);
  else
    GST_DEBUG ("listening on %s, mode %04o", display, perms);

  return fd;
}

/**
 * gst_fdpass_socket_listen_full:
 * @name: a filesystem path, or a name in the abstract namespace
 * @abstract: whether @name is in the abstract namespace
 * @perms: the permission bits (at most 0777) the socket file gets, e.g.
 *     0600 to let only this user (and root) connect, 0660 for this user's
 *     group too; unused for an abstract name
 * @created_path: (out) (optional) (transfer full) (nullable): the socket
 *     file to unlink when the listener closes, %NULL for an abstract name
 * @error: return location for a #GError, or %NULL
 *
 * Creates a non-blocking, close-on-exec SOCK_SEQPACKET socket listening on
 * @name.
 *
 * A socket file at @name that nobody serves (left behind by a process that
 * died) is replaced. A socket that another process serves, or a file that
 * is not a socket, is left alone and the call fails.
 *
 * The socket file gets the mode @perms before the socket listens, whatever
 * the umask, so no client can connect in between. It is bound under a
 * temporary name next to @name and linked to @name once it listens, so a
 * client never finds a socket file at @name that refuses connections
 * (where the file system cannot link a socket, or the temporary name would
 * be too long, @name is bound directly). Connecting also needs
 * search permission on every directory above the file. Abstract names have
 * no file and no permissions: any process in the same network namespace may
 * connect to them, so a listener there must check its peers with
 * gst_fdpass_socket_get_peer() and gst_fdpass_peer_is_allowed().
 *
 * On failure @error holds a sentence a person can act on, in the
 * %G_IO_ERROR domain: %G_IO_ERROR_INVALID_ARGUMENT for a name that is empty
 * or too long, %G_IO_ERROR_ADDRESS_IN_USE when another process serves
 * @name, %G_IO_ERROR_EXISTS when a file that is not a socket is in the way,
 * else the code of the system error. Messages write an abstract name as
 * `@name`.
 *
 * Returns: the listening socket, or -1 on failure
 */
gint
gst_fdpass_socket_listen_full (const gchar * name, gboolean abstract,
    guint perms, gchar ** created_path, GError ** error)
{
  gchar *display;
  gint fd;

  g_return_val_if_fail (name != NULL, -1);
  g_return_val_if_fail ((perms & ~0777u) == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (created_path)
    *created_path = NULL;

  display = abstract ? g_strconcat ("@", name, NULL) : g_strdup (name);
  fd = listen_on (name, abstract, display, perms, error);
  g_free (display);

  if (fd >= 0 && created_path && !abstract)
    *created_path = g_strdup (name);

  return fd;
}

/**
 * gst_fdpass_socket_listen:
 * @path: a filesystem path, or `@name` for a name in the abstract namespace
 * @perms: the permission bits (at most 0777) the socket file gets; unused
 *     for an abstract name
 * @created_path: (out) (optional) (transfer full) (nullable): the socket
 *     file to unlink when the listener closes, %NULL for an abstract name
 * @error: return location for a #GError, or %NULL
 *
 * Like gst_fdpass_socket_listen_full(), with a leading '@' naming a socket
 * in the abstract namespace.
 *
 * Returns: the listening socket, or -1 on failure
 */
gint
gst_fdpass_socket_listen (const gchar * path, guint perms,
    gchar ** created_path, GError ** error)
{
  g_return_val_if_fail (path != NULL, -1);

  if (path[0] == '@')
    return gst_fdpass_socket_listen_full (path + 1, TRUE, perms,
        created_path, error);

  return gst_fdpass_socket_listen_full (path, FALSE, perms, created_path,
      error);
}

/* peer credentials */

/* The supplementary groups of the peer of @fd, or where the kernel cannot
 * tell them, its primary group. */
static void
peer_get_groups (gint fd, GstFdPassPeer * peer)
{
#ifdef SO_PEERGROUPS
  gid_t stack[64];
  gid_t *list = stack;
  socklen_t len = sizeof (stack);
  gint ret;
  guint i;

  ret = getsockopt (fd, SOL_SOCKET, SO_PEERGROUPS, list, &len);
  if (ret < 0 && errno == ERANGE) {
    /* the kernel said how much room it needs */
    list = g_malloc (len);
    ret = getsockopt (fd, SOL_SOCKET, SO_PEERGROUPS, list, &len);
  }

  if (ret == 0) {
    peer->n_groups = len / sizeof (gid_t);
    peer->groups = g_new (guint, peer->n_groups);
    for (i = 0; i < peer->n_groups; i++)
      peer->groups[i] = list[i];
  }
  if (list != stack)
    g_free (list);
  if (ret == 0)
    return;
#endif

  /* before Linux 4.13 */
  peer->n_groups = 1;
  peer->groups = g_new (guint, 1);
  peer->groups[0] = peer->gid;
}

/**
 * gst_fdpass_socket_get_peer:
 * @fd: a connected Unix socket
 * @peer: (out caller-allocates): the peer's credentials
 *
 * Asks the kernel who is at the other end of @fd (SO_PEERCRED): its pid,
 * user and group when it connected, and its supplementary groups
 * (SO_PEERGROUPS) where the kernel tells them. The peer cannot lie about
 * these. Free what @peer holds with gst_fdpass_peer_clear() after a
 * success; after a failure it holds nothing.
 *
 * Returns: %FALSE with errno set when @fd is not a connected Unix socket
 */
gboolean
gst_fdpass_socket_get_peer (gint fd, GstFdPassPeer * peer)
{
  struct ucred cred;
  socklen_t len = sizeof (cred);

  g_return_val_if_fail (peer != NULL, FALSE);

  memset (peer, 0, sizeof (*peer));
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    return FALSE;
  /* a socket with no peer, a listening one say, has no credentials */
  if (len != sizeof (cred) || cred.uid == (uid_t) - 1 ||
      cred.gid == (gid_t) - 1) {
    errno = ENOTCONN;
    return FALSE;
  }

  peer->pid = cred.pid;
  peer->uid = cred.uid;
  peer->gid = cred.gid;
  peer_get_groups (fd, peer);

  return TRUE;
}

/**
 * gst_fdpass_peer_clear:
 * @peer: a #GstFdPassPeer filled by gst_fdpass_socket_get_peer()
 *
 * Frees what @peer holds and resets it. Clearing it twice is harmless.
 */
void
gst_fdpass_peer_clear (GstFdPassPeer * peer)
{
  g_return_if_fail (peer != NULL);

  g_free (peer->groups);
  memset (peer, 0, sizeof (*peer));
}

static gboolean
id_is_listed (guint id, const guint * ids, guint n_ids)
{
  guint i;

  for (i = 0; i < n_ids; i++) {
    if (ids[i] == id)
      return TRUE;
  }

  return FALSE;
}

/**
 * gst_fdpass_peer_is_allowed:
 * @peer: the credentials of a peer
 * @uids: (array length=n_uids) (nullable): users allowed to connect
 * @n_uids: number of entries in @uids
 * @gids: (array length=n_gids) (nullable): groups allowed to connect
 * @n_gids: number of entries in @gids
 *
 * Decides whether @peer may connect: a peer of the same (effective) user
 * as this process always may; any other one only when its user is in
 * @uids, or its primary group or one of its supplementary groups is in
 * @gids. With empty lists, only this process's own user is allowed.
 *
 * Root is not special: add uid 0 to @uids to let processes running as
 * root in. Peers from a user namespace that does not map their user into
 * ours show up as the overflow user (usually 65534, nobody): listing that
 * user lets all of them in.
 *
 * Returns: %TRUE when @peer may connect
 */
gboolean
gst_fdpass_peer_is_allowed (const GstFdPassPeer * peer, const guint * uids,
    guint n_uids, const guint * gids, guint n_gids)
{
  guint i;

  g_return_val_if_fail (peer != NULL, FALSE);
  g_return_val_if_fail (uids != NULL || n_uids == 0, FALSE);
  g_return_val_if_fail (gids != NULL || n_gids == 0, FALSE);

  if (peer->uid == geteuid ())
    return TRUE;
  if (id_is_listed (peer->uid, uids, n_uids))
    return TRUE;
  if (id_is_listed (peer->gid, gids, n_gids))
    return TRUE;
  for (i = 0; i < peer->n_groups; i++) {
    if (id_is_listed (peer->groups[i], gids, n_gids))
      return TRUE;
  }

  return FALSE;
}

/**
 * gst_fdpass_peer_to_string:
 * @peer: the credentials of a peer
 *
 * Describes @peer for logs, e.g. "pid 123 uid 1000 gid 1000", followed by
 * " groups 4,27,1000" when it has supplementary groups.
 *
 * Returns: (transfer full): a newly allocated string
 */
gchar *
gst_fdpass_peer_to_string (const GstFdPassPeer * peer)
{
  GString *s;
  guint i;

  g_return_val_if_fail (peer != NULL, NULL);

  s = g_string_new (NULL);
  g_string_append_printf (s, "pid %ld uid %u gid %u", (glong) peer->pid,
      peer->uid, peer->gid);
  for (i = 0; i < peer->n_groups; i++)
    g_string_append_printf (s, "%s%u", i == 0 ? " groups " : ",",
        peer->groups[i]);

  return g_string_free (s, FALSE);
}

/* messages with file descriptors */

/* Takes the descriptors of the SCM_RIGHTS messages in @msg: as many as fit
 * into @fds, the others are closed. Returns how many @fds holds. */
static guint
take_fds (struct msghdr *msg, gint * fds, guint max_fds,
    GstFdPassRecvFlags * flags)
{
  struct cmsghdr *cmsg;
  guint n = 0;

  for (cmsg = CMSG_FIRSTHDR (msg); cmsg; cmsg = CMSG_NXTHDR (msg, cmsg)) {
    guint i, count;

    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
        cmsg->cmsg_len < CMSG_LEN (0))
      continue;

    count = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint);
    for (i = 0; i < count; i++) {
      gint fd;

      memcpy (&fd, CMSG_DATA (cmsg) + i * sizeof (gint), sizeof (gint));
      if (n < max_fds) {
        fds[n++] = fd;
      } else {
        close (fd);
        *flags |= GST_FDPASS_RECV_FLAG_FDS_DROPPED;
      }
    }
  }

  return n;
}

/**
 * gst_fdpass_socket_receive:
 * @fd: a non-blocking connected Unix socket
 * @buf: (out caller-allocates) (array length=size): where the bytes go
 * @size: size of @buf; on a SOCK_SEQPACKET socket, at least the largest
 *     message, or the rest of a larger one is lost
 * @fds: (out caller-allocates) (array length=max_fds) (nullable): where the
 *     received file descriptors go, or %NULL to accept none
 * @max_fds: room in @fds
 * @n_fds: (out) (optional): how many descriptors @fds holds now
 * @flags: (out) (optional): what went wrong with the message, if anything
 *
 * One recvmsg() without blocking, retried when a signal interrupts it,
 * with room for %GST_FDPASS_MAX_FDS descriptors (close-on-exec). Every
 * received descriptor that does not fit into @fds is closed: all of them
 * when @fds is %NULL, for a reader that expects none.
 *
 * When the message carried more descriptors than one message may
 * (%GST_FDPASS_RECV_FLAG_FDS_TRUNCATED), all that came are closed and
 * @n_fds is 0. A packet larger than @size is reported with
 * %GST_FDPASS_RECV_FLAG_TRUNCATED; the descriptors that came with it are
 * the caller's. When 0 is returned, no descriptors are.
 *
 * Returns: the number of bytes received, 0 at the end of the stream (or
 * for an empty packet), -1 with errno set on failure (EAGAIN when there is
 * nothing to read)
 */
gssize
gst_fdpass_socket_receive (gint fd, guint8 * buf, gsize size, gint * fds,
    guint max_fds, guint * n_fds, GstFdPassRecvFlags * flags)
{
  GstFdPassRecvFlags f = GST_FDPASS_RECV_FLAG_NONE;
  ControlBuffer control;
  struct msghdr msg;
  struct iovec iov;
  gssize ret;
  guint n;

  if (n_fds)
    *n_fds = 0;
  if (flags)
    *flags = GST_FDPASS_RECV_FLAG_NONE;
  if (fds == NULL)
    max_fds = 0;

  iov.iov_base = buf;
  iov.iov_len = size;
  memset (&msg, 0, sizeof (msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof (control.buf);

  do {
    ret = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (ret < 0 && errno == EINTR);
  if (ret < 0)
    return -1;

  n = take_fds (&msg, fds, max_fds, &f);
  if (msg.msg_flags & MSG_CTRUNC) {
    /* an incomplete set of descriptors is of no use */
    gst_fdpass_close_fds (fds, n);
    n = 0;
    f |= GST_FDPASS_RECV_FLAG_FDS_TRUNCATED;
  }
  if (msg.msg_flags & MSG_TRUNC)
    f |= GST_FDPASS_RECV_FLAG_TRUNCATED;
  if (ret == 0) {
    gst_fdpass_close_fds (fds, n);
    n = 0;
  }

  if (n_fds)
    *n_fds = n;
  if (flags)
    *flags = f;

  return ret;
}

/**
 * gst_fdpass_socket_send:
 * @fd: a non-blocking connected Unix socket
 * @data: (array length=size): the bytes to send
 * @size: how many; at least 1 when @n_fds is not 0
 * @fds: (array length=n_fds) (nullable): file descriptors to pass along
 *     with the first byte
 * @n_fds: number of entries in @fds, at most %GST_FDPASS_MAX_FDS
 *
 * One sendmsg() without blocking, retried when a signal interrupts it. The
 * descriptors go as one SCM_RIGHTS message; they stay open here. A peer
 * that went away is an EPIPE error, never a SIGPIPE.
 *
 * On a stream socket fewer bytes than @size may be sent: the descriptors
 * went with the first of them, so send the rest without them.
 *
 * Returns: the number of bytes sent, or -1 with errno set on failure
 * (EAGAIN when the socket buffer is full)
 */
gssize
gst_fdpass_socket_send (gint fd, const guint8 * data, gsize size,
    const gint * fds, guint n_fds)
{
  ControlBuffer control;
  struct msghdr msg;
  struct iovec iov;
  gssize ret;

  g_return_val_if_fail (fds != NULL || n_fds == 0, -1);

  if (n_fds > GST_FDPASS_MAX_FDS) {
    g_critical ("%s: %u file descriptors, but at most %d fit in a message",
        G_STRFUNC, n_fds, GST_FDPASS_MAX_FDS);
    errno = EINVAL;
    return -1;
  }

  iov.iov_base = (gpointer) data;
  iov.iov_len = size;
  memset (&msg, 0, sizeof (msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;

  if (n_fds > 0) {
    struct cmsghdr *cmsg;

    memset (&control, 0, sizeof (control));
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE (n_fds * sizeof (gint));
    cmsg = CMSG_FIRSTHDR (&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN (n_fds * sizeof (gint));
    memcpy (CMSG_DATA (cmsg), fds, n_fds * sizeof (gint));
  }

  do {
    ret = sendmsg (fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (ret < 0 && errno == EINTR);

  return ret;
}

/**
 * gst_fdpass_close_fds:
 * @fds: (array length=n) (nullable): file descriptors
 * @n: number of entries in @fds
 *
 * Closes every descriptor in @fds that is not -1 and sets it to -1, so
 * that closing twice is harmless.
 */
void
gst_fdpass_close_fds (gint * fds, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    if (fds[i] >= 0) {
      close (fds[i]);
      fds[i] = -1;
    }
  }
}
