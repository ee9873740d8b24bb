/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * fdpass-peer.h: a test-only fdpass peer speaking the wire protocol of
 * docs/wire-protocol.md over raw sockets
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

/* One end of an fdpass connection, driven by a test: a CLIENT that
 * connects to a sender (unixsocketsink), announces what it likes in its
 * HELLO, receives messages with their file descriptors, maps frames and
 * releases them whenever it wants to, or never; and a SENDER that listens
 * on a path, accepts a receiver (unixsocketsrc) and sends it HELLO, CAPS
 * and BUFFER messages with whatever descriptors and fields a test chose,
 * reading the receiver's HELLO and releases.
 *
 * Everything is done with plain sockets and the library's encoders and
 * parsers only, the way a program without GStreamer would, so that the
 * elements are tested against the protocol and not against themselves.
 * Received messages are framed and their descriptors matched to the fd
 * table by (dev, ino) as section 5 describes, so stream sockets work as
 * well as seqpacket ones, and so do senders that pass a descriptor twice
 * (multisocketsink after a partial write).
 *
 * Nothing here asserts: functions report failure and tests decide. Every
 * descriptor received is owned by exactly one place (the peer's queue of
 * unclaimed descriptors or a message) and closed exactly once. */

#ifndef __FDPASS_PEER_H__
#define __FDPASS_PEER_H__

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <glib.h>
#include <gst/gst.h>
#include <gst/fdpass/fdpass.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fdpass-check.h"

/* the largest message, so that a SOCK_SEQPACKET read is never truncated */
#define FDPASS_PEER_READ_SIZE (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD)

typedef struct
{
  gint sock;
  gboolean seqpacket;
  /* bytes received that do not make a whole message yet */
  GByteArray *input;
  /* descriptors received and not claimed by a message yet, oldest first */
  GArray *fds;
  guint8 *scratch;
} FdPassPeer;

typedef enum
{
  FDPASS_PEER_MESSAGE,          /* a whole message was received */
  FDPASS_PEER_EOF,              /* the other end closed the connection */
  FDPASS_PEER_TIMEOUT,          /* nothing came in time */
  FDPASS_PEER_ERROR,            /* a system call failed (errno) or the
                                 * message is invalid */
} FdPassPeerResult;

typedef struct
{
  GstFdPassHeader header;
  /* header.payload_size bytes */
  guint8 *payload;
  /* BUFFER messages only: what the message says, and the descriptor of
   * each fd table entry, -1 for entries flagged KEPT; owned by the
   * message */
  GstFdPassBufferInfo info;
  gint fds[GST_FDPASS_MAX_FDS];
} FdPassPeerMessage;

/* A frame as a client sees it: one read-only mapping per file, from the
 * start of the file to the end of its last memory. */
typedef struct
{
  guint64 id;
  GstClockTime pts;
  guint n_memories;
  GstFdPassMemInfo memories[GST_FDPASS_MAX_MEMORIES];
  guint n_maps;
  guint8 *maps[GST_FDPASS_MAX_FDS];
  gsize map_sizes[GST_FDPASS_MAX_FDS];
  gsize size;
  /* the CRC-32 of the frame when it was mapped */
  guint32 crc;
} FdPassPeerFrame;

/* connections */

/* Fills @addr for @path; a leading '@' names an abstract socket. */
static inline gboolean
fdpass_peer_make_address (const gchar * path, struct sockaddr_un *addr,
    socklen_t * len)
{
  gsize n = strlen (path);

  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;
  if (n == 0 || n >= sizeof (addr->sun_path)) {
    errno = ENAMETOOLONG;
    return FALSE;
  }
  if (path[0] == '@') {
    /* no NUL: the name is what the length says */
    memcpy (addr->sun_path + 1, path + 1, n - 1);
    *len = offsetof (struct sockaddr_un, sun_path) + n;
  } else {
    memcpy (addr->sun_path, path, n);
    *len = offsetof (struct sockaddr_un, sun_path) + n + 1;
  }

  return TRUE;
}

/* Makes a peer of the connected socket @sock, which it owns from then
 * on. */
static inline FdPassPeer *
fdpass_peer_new (gint sock)
{
  FdPassPeer *p = g_new0 (FdPassPeer, 1);
  gint type = 0;
  socklen_t len = sizeof (type);

  p->sock = sock;
  if (getsockopt (sock, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
    p->seqpacket = type == SOCK_SEQPACKET;
  p->input = g_byte_array_new ();
  p->fds = g_array_new (FALSE, FALSE, sizeof (gint));
  p->scratch = g_malloc (FDPASS_PEER_READ_SIZE);

  return p;
}

/* Connects to @path with a SOCK_SEQPACKET socket, or a SOCK_STREAM one
 * when the listener is of that type, as unixsocketsrc does. Returns NULL
 * with errno set when nobody could be reached. */
static inline FdPassPeer *
fdpass_peer_connect (const gchar * path)
{
  static const gint types[] = { SOCK_SEQPACKET, SOCK_STREAM };
  struct sockaddr_un addr;
  socklen_t len;
  guint i;

  if (!fdpass_peer_make_address (path, &addr, &len))
    return NULL;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    gint sock = socket (AF_UNIX, types[i] | SOCK_CLOEXEC, 0), err;

    if (sock < 0)
      return NULL;
    if (connect (sock, (struct sockaddr *) &addr, len) == 0)
      return fdpass_peer_new (sock);
    err = errno;
    close (sock);
    errno = err;
    /* a listener of another type; abstract sockets of another type are
     * not even found */
    if (err != EPROTOTYPE && err != ECONNREFUSED)
      return NULL;
  }

  return NULL;
}

/* A SOCK_SEQPACKET socket listening on @path (a stale file there is
 * replaced), for a test-only sender. Returns -1 with errno set. */
static inline gint
fdpass_peer_listen (const gchar * path)
{
  struct sockaddr_un addr;
  socklen_t len;
  gint fd, err;

  if (!fdpass_peer_make_address (path, &addr, &len))
    return -1;
  if (path[0] != '@')
    unlink (path);

  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (bind (fd, (struct sockaddr *) &addr, len) < 0 || listen (fd, 4) < 0) {
    err = errno;
    close (fd);
    errno = err;
    return -1;
  }

  return fd;
}

/* Accepts one receiver on @listen_fd, waiting at most @timeout_ms. */
static inline FdPassPeer *
fdpass_peer_accept (gint listen_fd, gint timeout_ms)
{
  struct pollfd pfd = { listen_fd, POLLIN, 0 };
  gint sock;

  if (poll (&pfd, 1, timeout_ms) != 1) {
    errno = ETIMEDOUT;
    return NULL;
  }
  sock = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (sock < 0)
    return NULL;

  return fdpass_peer_new (sock);
}

static inline void
fdpass_peer_close_fds (const gint * fds, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    if (fds[i] >= 0)
      close (fds[i]);
  }
}

/* Closes the connection and every descriptor received and not claimed. */
static inline void
fdpass_peer_free (FdPassPeer * p)
{
  if (p == NULL)
    return;

  fdpass_peer_close_fds ((const gint *) p->fds->data, p->fds->len);
  g_array_unref (p->fds);
  g_byte_array_unref (p->input);
  g_free (p->scratch);
  close (p->sock);
  g_free (p);
}

/* sending */

/* Sends the bytes of @msg (consumed) with @n_fds descriptors attached to
 * the first byte, as SCM_RIGHTS; the descriptors stay the caller's. On a
 * stream socket, a partial write is completed without them. */
static inline gboolean
fdpass_peer_send_with_fds (FdPassPeer * p, GstBuffer * msg, const gint * fds,
    guint n_fds)
{
  GstMapInfo map;
  gsize done = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (n_fds <= GST_FDPASS_MAX_FDS, FALSE);

  if (!gst_buffer_map (msg, &map, GST_MAP_READ)) {
    gst_buffer_unref (msg);
    errno = EINVAL;
    return FALSE;
  }

  while (ok && done < map.size) {
    gssize n = fdpass_check_sendmsg (p->sock, map.data + done,
        map.size - done, fds, done == 0 ? n_fds : 0);

    if (n <= 0)
      ok = FALSE;
    else
      done += n;
  }

  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);

  return ok;
}

static inline gboolean
fdpass_peer_send (FdPassPeer * p, GstBuffer * msg)
{
  return fdpass_peer_send_with_fds (p, msg, NULL, 0);
}

/* A HELLO of protocol 1.1 with @features (GstFdPassFeatures); @max_files
 * goes with GST_FDPASS_FEATURE_FILES. */
static inline gboolean
fdpass_peer_send_hello (FdPassPeer * p, guint32 features, guint32 max_files)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, features, max_files
  };

  return fdpass_peer_send (p, gst_fdpass_message_new_hello (&hello));
}

static inline gboolean
fdpass_peer_send_release (FdPassPeer * p, const guint64 * ids, guint n_ids)
{
  return fdpass_peer_send (p, gst_fdpass_message_new_release (ids, n_ids));
}

static inline gboolean
fdpass_peer_send_caps (FdPassPeer * p, const gchar * caps_string)
{
  GstCaps *caps = gst_caps_from_string (caps_string);
  GstBuffer *msg;

  if (caps == NULL) {
    errno = EINVAL;
    return FALSE;
  }
  msg = gst_fdpass_message_new_caps (caps);
  gst_caps_unref (caps);

  return msg != NULL && fdpass_peer_send (p, msg);
}

/* A BUFFER message saying what @info says, whatever that is, with @fds
 * attached: one for each entry of the fd table not flagged KEPT. */
static inline gboolean
fdpass_peer_send_buffer (FdPassPeer * p, const GstFdPassBufferInfo * info,
    const gint * fds)
{
  GstBuffer *msg = gst_fdpass_message_new_buffer (info);

  if (msg == NULL) {
    errno = EINVAL;
    return FALSE;
  }

  return fdpass_peer_send_with_fds (p, msg, fds,
      gst_fdpass_buffer_info_n_attached (info));
}

static inline gboolean
fdpass_peer_send_eos (FdPassPeer * p)
{
  return fdpass_peer_send (p, gst_fdpass_message_new_eos ());
}

/* receiving */

static inline void
fdpass_peer_message_init (FdPassPeerMessage * m)
{
  guint i;

  memset (m, 0, sizeof (*m));
  for (i = 0; i < GST_FDPASS_MAX_FDS; i++)
    m->fds[i] = -1;
}

/* Frees the payload and closes the descriptors the message still owns. */
static inline void
fdpass_peer_message_clear (FdPassPeerMessage * m)
{
  fdpass_peer_close_fds (m->fds, GST_FDPASS_MAX_FDS);
  g_free (m->payload);
  fdpass_peer_message_init (m);
}

/* Takes descriptors from the front of the queue until one is the file
 * @dev, @ino, closing the ones before it (duplicates and strays). Returns
 * -1 when the queue runs empty. */
static inline gint
fdpass_peer_claim_fd (FdPassPeer * p, guint64 dev, guint64 ino)
{
  while (p->fds->len > 0) {
    gint fd = g_array_index (p->fds, gint, 0);
    guint64 d, i;

    g_array_remove_index (p->fds, 0);
    if (fdpass_check_stat_fd (fd, &d, &i) && d == dev && i == ino)
      return fd;
    close (fd);
  }

  return -1;
}

/* Moves the first whole message of the input into @m. Returns
 * FDPASS_PEER_TIMEOUT when there is none yet. */
static inline FdPassPeerResult
fdpass_peer_take_message (FdPassPeer * p, FdPassPeerMessage * m)
{
  GstFdPassHeader header;
  gsize total;
  guint i;

  if (p->input->len < GST_FDPASS_HEADER_SIZE)
    return FDPASS_PEER_TIMEOUT;
  if (!gst_fdpass_header_parse (p->input->data, p->input->len, &header, NULL)) {
    errno = EPROTO;
    return FDPASS_PEER_ERROR;
  }
  total = GST_FDPASS_HEADER_SIZE + header.payload_size;
  if (p->input->len < total)
    return FDPASS_PEER_TIMEOUT;

  fdpass_peer_message_init (m);
  m->header = header;
  m->payload = g_memdup2 (p->input->data + GST_FDPASS_HEADER_SIZE,
      header.payload_size);
  g_byte_array_remove_range (p->input, 0, total);

  if (header.type != GST_FDPASS_MESSAGE_BUFFER)
    return FDPASS_PEER_MESSAGE;

  if (!gst_fdpass_buffer_parse (&header, m->payload, header.payload_size,
          &m->info, NULL)) {
    fdpass_peer_message_clear (m);
    errno = EPROTO;
    return FDPASS_PEER_ERROR;
  }
  for (i = 0; i < m->info.n_fds; i++) {
    const GstFdPassFdInfo *fd = &m->info.fds[i];

    if (fd->flags & GST_FDPASS_FD_FLAG_KEPT)
      continue;
    m->fds[i] = fdpass_peer_claim_fd (p, fd->dev, fd->ino);
    if (m->fds[i] < 0) {
      fdpass_peer_message_clear (m);
      errno = EBADF;
      return FDPASS_PEER_ERROR;
    }
  }

  return FDPASS_PEER_MESSAGE;
}

/* Reads what the socket has, waiting at most @timeout_ms (-1: forever)
 * for something to come. */
static inline FdPassPeerResult
fdpass_peer_read (FdPassPeer * p, gint timeout_ms)
{
  union
  {
    struct cmsghdr hdr;
    gchar buf[CMSG_SPACE (GST_FDPASS_MAX_FDS * sizeof (gint))];
  }
  control;
  struct pollfd pfd = { p->sock, POLLIN, 0 };
  struct cmsghdr *cmsg;
  struct msghdr mh;
  struct iovec iov;
  gssize n;
  gint ret;

  do {
    ret = poll (&pfd, 1, timeout_ms);
  } while (ret < 0 && errno == EINTR);
  if (ret < 0)
    return FDPASS_PEER_ERROR;
  if (ret == 0)
    return FDPASS_PEER_TIMEOUT;

  iov.iov_base = p->scratch;
  iov.iov_len = FDPASS_PEER_READ_SIZE;
  memset (&mh, 0, sizeof (mh));
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = &control;
  mh.msg_controllen = sizeof (control);
  do {
    n = recvmsg (p->sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return (errno == EAGAIN) ? FDPASS_PEER_TIMEOUT : FDPASS_PEER_ERROR;

  for (cmsg = CMSG_FIRSTHDR (&mh); cmsg; cmsg = CMSG_NXTHDR (&mh, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      g_array_append_vals (p->fds, CMSG_DATA (cmsg),
          (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint));
  }
  if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
    errno = EMSGSIZE;
    return FDPASS_PEER_ERROR;
  }
  if (n == 0)
    return FDPASS_PEER_EOF;

  g_byte_array_append (p->input, p->scratch, n);
  return FDPASS_PEER_MESSAGE;
}

/* Receives the next message into @m (to be cleared with
 * fdpass_peer_message_clear()), waiting at most @timeout_ms (-1: forever,
 * 0: only what was received already). */
static inline FdPassPeerResult
fdpass_peer_recv (FdPassPeer * p, FdPassPeerMessage * m, gint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;) {
    FdPassPeerResult res = fdpass_peer_take_message (p, m);
    gint wait = timeout_ms;

    if (res != FDPASS_PEER_TIMEOUT)
      return res;

    if (timeout_ms > 0)
      wait = MAX (0, (end - g_get_monotonic_time ()) / 1000);
    res = fdpass_peer_read (p, wait);
    if (res != FDPASS_PEER_MESSAGE)
      return res;
  }
}

/* Receives messages until one of @type comes; those of other types are
 * dropped. */
static inline FdPassPeerResult
fdpass_peer_recv_type (FdPassPeer * p, guint16 type, FdPassPeerMessage * m,
    gint timeout_ms)
{
  for (;;) {
    FdPassPeerResult res = fdpass_peer_recv (p, m, timeout_ms);

    if (res != FDPASS_PEER_MESSAGE || m->header.type == type)
      return res;
    fdpass_peer_message_clear (m);
  }
}

/* A sender reads what its receiver wrote back, waiting at most @timeout_ms
 * for the first message and taking whatever else came with it: @hello is
 * filled when a HELLO came (and *@got_hello set), and the ids of RELEASE
 * messages are appended to @ids (of guint64). Returns FDPASS_PEER_TIMEOUT
 * when nothing came. */
static inline FdPassPeerResult
fdpass_peer_recv_replies (FdPassPeer * p, GstFdPassHello * hello,
    gboolean * got_hello, GArray * ids, gint timeout_ms)
{
  FdPassPeerResult ret = FDPASS_PEER_TIMEOUT;

  for (;;) {
    FdPassPeerMessage m;
    FdPassPeerResult res = fdpass_peer_recv (p, &m, timeout_ms);

    if (res != FDPASS_PEER_MESSAGE)
      return res == FDPASS_PEER_TIMEOUT ? ret : res;
    ret = FDPASS_PEER_MESSAGE;
    timeout_ms = 0;

    if (m.header.type == GST_FDPASS_MESSAGE_HELLO && hello) {
      if (gst_fdpass_hello_parse (m.payload, m.header.payload_size, hello,
              NULL) && got_hello)
        *got_hello = TRUE;
    } else if (m.header.type == GST_FDPASS_MESSAGE_RELEASE && ids) {
      guint64 *got;
      guint n;

      if (gst_fdpass_release_parse (m.payload, m.header.payload_size, &got,
              &n, NULL)) {
        g_array_append_vals (ids, got, n);
        g_free (got);
      }
    }
    fdpass_peer_message_clear (&m);
  }
}

/* frames */

/* CRC-32 of the frame's memories, concatenated, as they are now. */
static inline guint32
fdpass_peer_frame_crc (const FdPassPeerFrame * f)
{
  guint8 *data, *pos;
  guint32 crc;
  guint i;

  if (f->n_memories == 1)
    return fdpass_check_crc32 (f->maps[f->memories[0].fd_index] +
        f->memories[0].offset, f->memories[0].size);

  pos = data = g_malloc (MAX (f->size, 1));
  for (i = 0; i < f->n_memories; i++) {
    const GstFdPassMemInfo *mem = &f->memories[i];

    memcpy (pos, f->maps[mem->fd_index] + mem->offset, mem->size);
    pos += mem->size;
  }
  crc = fdpass_check_crc32 (data, f->size);
  g_free (data);

  return crc;
}

static inline void
fdpass_peer_frame_unmap (FdPassPeerFrame * f)
{
  guint i;

  for (i = 0; i < f->n_maps; i++) {
    if (f->maps[i])
      munmap (f->maps[i], f->map_sizes[i]);
  }
  memset (f, 0, sizeof (*f));
}

/* Maps the frame of BUFFER message @m read-only, shared, as a receiver
 * must (after the checks of section 6 that make that safe), and records
 * its id, pts and CRC. The message keeps its descriptors: a mapping stays
 * valid once they are closed. */
static inline gboolean
fdpass_peer_frame_map (FdPassPeerFrame * f, const FdPassPeerMessage * m)
{
  guint64 needed[GST_FDPASS_MAX_FDS] = { 0, };
  guint i;

  memset (f, 0, sizeof (*f));
  if (m->header.type != GST_FDPASS_MESSAGE_BUFFER)
    return FALSE;

  f->id = m->info.id;
  f->pts = m->info.pts;
  f->n_memories = m->info.n_memories;
  for (i = 0; i < m->info.n_memories; i++) {
    const GstFdPassMemInfo *mem = &m->info.memories[i];

    f->memories[i] = *mem;
    f->size += mem->size;
    needed[mem->fd_index] = MAX (needed[mem->fd_index],
        mem->offset + mem->size);
  }

  f->n_maps = m->info.n_fds;
  for (i = 0; i < m->info.n_fds; i++) {
    struct stat st;
    gpointer data;

    if (needed[i] == 0)
      continue;
    if (m->fds[i] < 0 || fstat (m->fds[i], &st) < 0 || !S_ISREG (st.st_mode) ||
        (guint64) st.st_size < needed[i])
      goto failed;
    data = mmap (NULL, needed[i], PROT_READ, MAP_SHARED, m->fds[i], 0);
    if (data == MAP_FAILED)
      goto failed;
    f->maps[i] = data;
    f->map_sizes[i] = needed[i];
  }

  f->crc = fdpass_peer_frame_crc (f);
  return TRUE;

failed:
  fdpass_peer_frame_unmap (f);
  return FALSE;
}

/* test-only senders: files to pass */

/* A memfd of @file_size bytes starting with the @size bytes of @data
 * (the rest reads as zeroes), sealed with @seals (F_SEAL_*; 0: none).
 * Returns -1 with errno set. */
static inline gint
fdpass_peer_memfd_new (const guint8 * data, gsize size, gsize file_size,
    guint seals)
{
  gint fd = memfd_create ("fdpass-peer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  gint err;

  if (fd < 0)
    return -1;
  if (ftruncate (fd, file_size) < 0)
    goto failed;
  if (size > 0 && pwrite (fd, data, size, 0) != (gssize) size)
    goto failed;
  if (seals && fcntl (fd, F_ADD_SEALS, seals) < 0)
    goto failed;

  return fd;

failed:
  err = errno;
  close (fd);
  errno = err;
  return -1;
}

/* Describes a buffer with one memory, @offset and @size into the file of
 * @fd, labelled @kind whatever @fd really is. */
static inline gboolean
fdpass_peer_buffer_info_init (GstFdPassBufferInfo * info, guint64 id,
    GstClockTime pts, gint fd, GstFdPassFdKind kind, guint64 offset,
    guint64 size)
{
  memset (info, 0, sizeof (*info));
  info->id = id;
  info->pts = pts;
  info->dts = GST_CLOCK_TIME_NONE;
  info->duration = GST_CLOCK_TIME_NONE;
  info->offset = GST_BUFFER_OFFSET_NONE;
  info->offset_end = GST_BUFFER_OFFSET_NONE;
  info->n_fds = 1;
  info->n_memories = 1;
  info->memories[0].fd_index = 0;
  info->memories[0].offset = offset;
  info->memories[0].size = size;

  return gst_fdpass_fd_info_from_fd (fd, kind, &info->fds[0]);
}

#endif /* __FDPASS_PEER_H__ */
