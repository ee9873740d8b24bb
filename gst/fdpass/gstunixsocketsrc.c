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

/**
 * SECTION:element-unixsocketsrc
 * @title: unixsocketsrc
 * @see_also: fddepay, fdpay, socketsrc
 *
 * unixsocketsrc connects to a Unix socket (or uses one it is given) and
 * pushes what it reads, with the file descriptors that came along as
 * SCM_RIGHTS in a #GstNetControlMessageMeta, exactly like #socketsrc does:
 * put #fddepay behind it.
 *
 * Unlike #socketsrc it also talks back. Right after connecting it sends a
 * HELLO that announces what the element downstream honours, which it asks
 * with a query that #fddepay answers: release messages, and how many files
 * that element keeps for the sender, so that the sender passes the file
 * descriptor of each memfd only once per connection. While the stream runs
 * it tells the sender which frames the pipeline is done with: #fddepay
 * marks the memory of every frame it outputs, and when the last buffer
 * using that memory is freed, in whatever thread, the frame's id is queued
 * and this element's streaming thread sends a RELEASE message. Releases
 * are only sent to a sender whose own HELLO announced them. Behind any
 * other element (`unixsocketsrc ! filesink`, say) the HELLO announces
 * nothing, and the sender gives every frame to this receiver for good.
 *
 * The socket is SOCK_SEQPACKET when the listener accepts that, SOCK_STREAM
 * otherwise. When nothing listens at #GstUnixSocketSrc:path yet, the
 * element tries again every #GstUnixSocketSrc:retry-interval milliseconds,
 * #GstUnixSocketSrc:retry times (forever by default). When the sender
 * closes the connection without sending an EOS message, the element ends
 * the stream, or connects again if #GstUnixSocketSrc:reconnect is set.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 unixsocketsrc path=/tmp/video.sock ! fddepay ! videoconvert ! autovideosink
 * ]| Shows the frames a `fdpay ! unixsocketsink` (or any fdpass sender)
 * offers at /tmp/video.sock.
 * |[
 * gst-launch-1.0 unixsocketsrc path=@video reconnect=true ! fddepay ! fakesink
 * ]| Uses the abstract socket "video" and keeps going when the sender
 * restarts.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstunixsocketsrc.h"
#include "gstfdpasssocket.h"
#include "gstfdpasselements.h"
#include "gstfdpassrelease.h"
#include "gstfdpassquery.h"

#include <gst/fdpass/fdpass.h>
#include <gst/net/net.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixfdmessage.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

GST_DEBUG_CATEGORY_STATIC (gst_unix_socket_src_debug);
#define GST_CAT_DEFAULT gst_unix_socket_src_debug

#define DEFAULT_PATH NULL
#define DEFAULT_FD -1
#define DEFAULT_RETRY -1
#define DEFAULT_RETRY_INTERVAL 100
#define DEFAULT_RECONNECT FALSE
#define DEFAULT_IS_LIVE FALSE

/* a SOCK_SEQPACKET read must hold the largest message: the rest of a
 * packet is lost otherwise */
#define SEQPACKET_READ_SIZE (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD)
#define STREAM_READ_SIZE (64 * 1024)

/* releases queued for a sender that does not read them are dropped beyond
 * this many bytes */
#define MAX_QUEUED_OUTPUT (1024 * 1024)

typedef struct
{
  GstBuffer *message;
  guint n_ids;
} OutMessage;

struct _GstUnixSocketSrc
{
  GstPushSrc parent;

  /* properties, protected by the object lock */
  gchar *path;
  gint fd;
  gint retry;
  guint retry_interval;
  gboolean reconnect;

  /* statistics, protected by the object lock */
  guint64 n_bytes;
  guint64 n_reads;
  guint64 n_fds;
  guint64 n_releases;
  guint64 n_reconnects;

  GCancellable *cancellable;
  GPollFD cancel_pollfd;
  gboolean have_cancel_pollfd;

  /* streaming thread only */
  gint sock;
  gboolean seqpacket;
  gboolean connected_before;
  GstFdPassReleaseChannel *channel;
  GQueue out_queue;
  gsize out_offset;
  gsize out_bytes;
  guint8 *scratch;
};

enum
{
  PROP_0,
  PROP_PATH,
  PROP_FD,
  PROP_RETRY,
  PROP_RETRY_INTERVAL,
  PROP_RECONNECT,
  PROP_IS_LIVE,
  PROP_STATS,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define gst_unix_socket_src_parent_class parent_class
G_DEFINE_TYPE (GstUnixSocketSrc, gst_unix_socket_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (unixsocketsrc, "unixsocketsrc",
    GST_RANK_NONE, GST_TYPE_UNIX_SOCKET_SRC, fdpass_element_init (plugin));

static void
out_message_free (gpointer data)
{
  OutMessage *out = data;

  gst_buffer_unref (out->message);
  g_free (out);
}

static void
gst_unix_socket_src_clear_output (GstUnixSocketSrc * self)
{
  g_queue_clear_full (&self->out_queue, out_message_free);
  self->out_offset = 0;
  self->out_bytes = 0;
}

static void
gst_unix_socket_src_queue_message (GstUnixSocketSrc * self,
    GstBuffer * message, guint n_ids)
{
  OutMessage *out;
  gsize size = gst_buffer_get_size (message);

  if (self->out_bytes + size > MAX_QUEUED_OUTPUT) {
    GST_WARNING_OBJECT (self, "the sender does not read what we send, "
        "dropping a message of %" G_GSIZE_FORMAT " bytes (%u releases)", size,
        n_ids);
    gst_buffer_unref (message);
    return;
  }

  out = g_new0 (OutMessage, 1);
  out->message = message;
  out->n_ids = n_ids;
  g_queue_push_tail (&self->out_queue, out);
  self->out_bytes += size;
}

/* Writes as much of the queued messages as the socket takes without
 * blocking. A sender that does not read must never block us. */
static void
gst_unix_socket_src_flush_output (GstUnixSocketSrc * self)
{
  OutMessage *out;

  while ((out = g_queue_peek_head (&self->out_queue))) {
    GstMapInfo map;
    gssize n;

    if (!gst_buffer_map (out->message, &map, GST_MAP_READ)) {
      g_queue_pop_head (&self->out_queue);
      out_message_free (out);
      continue;
    }
    n = gst_fdpass_socket_send (self->sock, map.data + self->out_offset,
        map.size - self->out_offset, NULL, 0);
    gst_buffer_unmap (out->message, &map);

    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return;
      GST_DEBUG_OBJECT (self, "cannot write to the sender (%s), dropping %u "
          "queued messages", g_strerror (errno),
          g_queue_get_length (&self->out_queue));
      gst_unix_socket_src_clear_output (self);
      return;
    }

    self->out_offset += n;
    if (self->out_offset == map.size) {
      g_queue_pop_head (&self->out_queue);
      self->out_offset = 0;
      self->out_bytes -= map.size;
      if (out->n_ids > 0) {
        GST_LOG_OBJECT (self, "sent %u releases", out->n_ids);
        GST_OBJECT_LOCK (self);
        self->n_releases += out->n_ids;
        GST_OBJECT_UNLOCK (self);
      }
      out_message_free (out);
    }
  }
}

static void
gst_unix_socket_src_take_releases (GstUnixSocketSrc * self)
{
  guint64 *ids;
  guint n_ids, i;

  if (self->channel == NULL ||
      !gst_fdpass_release_channel_take (self->channel, &ids, &n_ids))
    return;

  for (i = 0; i < n_ids; i += GST_FDPASS_MAX_RELEASE_IDS) {
    guint n = MIN (n_ids - i, GST_FDPASS_MAX_RELEASE_IDS);

    gst_unix_socket_src_queue_message (self,
        gst_fdpass_message_new_release (ids + i, n), n);
  }
  g_free (ids);
}

static void
gst_unix_socket_src_disconnect (GstUnixSocketSrc * self)
{
  if (self->sock >= 0) {
    GST_DEBUG_OBJECT (self, "closing socket %d", self->sock);
    close (self->sock);
    self->sock = -1;
  }
  if (self->channel) {
    /* frames of this connection still in use can no longer be released */
    gst_fdpass_release_channel_close (self->channel);
    g_clear_object (&self->channel);
  }
  gst_unix_socket_src_clear_output (self);
}

/* Connects a new socket to @path, SOCK_SEQPACKET if the listener is one,
 * else SOCK_STREAM. Returns the socket, or -1 with @err set. */
static gint
connect_to_path (const gchar * path, gboolean * seqpacket, gint * err)
{
  static const gint types[] = { SOCK_SEQPACKET, SOCK_STREAM };
  struct sockaddr_un addr;
  socklen_t addr_len;
  guint i;

  if (!gst_fdpass_socket_address (path, &addr, &addr_len)) {
    *err = ENAMETOOLONG;
    return -1;
  }

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    gint sock, e;

    sock = socket (AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sock < 0) {
      *err = errno;
      return -1;
    }

    if (connect (sock, (struct sockaddr *) &addr, addr_len) == 0) {
      *seqpacket = (types[i] == SOCK_SEQPACKET);
      return sock;
    }

    e = errno;
    close (sock);
    *err = e;
    /* the listener is a socket of another type; abstract sockets of
     * another type are not even found */
    if (types[i] == SOCK_SEQPACKET && (e == EPROTOTYPE || e == ECONNREFUSED))
      continue;
    return -1;
  }

  return -1;
}

/* Takes over the socket set with the fd property. */
static gboolean
gst_unix_socket_src_use_fd (GstUnixSocketSrc * self, gint fd)
{
  gint type = 0, flags;
  socklen_t len = sizeof (type);

  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("File descriptor %d is not a socket.", fd), GST_ERROR_SYSTEM);
    close (fd);
    return FALSE;
  }
  if (type != SOCK_STREAM && type != SOCK_SEQPACKET) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("File descriptor %d is not a stream or seqpacket socket.", fd),
        ("socket type %d", type));
    close (fd);
    return FALSE;
  }

  flags = fcntl (fd, F_GETFL);
  if (flags >= 0)
    fcntl (fd, F_SETFL, flags | O_NONBLOCK);
  flags = fcntl (fd, F_GETFD);
  if (flags >= 0)
    fcntl (fd, F_SETFD, flags | FD_CLOEXEC);

  self->sock = fd;
  self->seqpacket = (type == SOCK_SEQPACKET);
  return TRUE;
}

/* Waits @ms milliseconds or until unlock(). Returns FALSE when flushing. */
static gboolean
gst_unix_socket_src_wait (GstUnixSocketSrc * self, guint ms)
{
  struct pollfd pfd;

  pfd.fd = self->cancel_pollfd.fd;
  pfd.events = POLLIN;
  pfd.revents = 0;

  if (poll (&pfd, 1, ms) < 0 && errno != EINTR)
    GST_WARNING_OBJECT (self, "poll failed: %s", g_strerror (errno));

  return !g_cancellable_is_cancelled (self->cancellable);
}

static GstFlowReturn
gst_unix_socket_src_connect (GstUnixSocketSrc * self)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, GST_FDPASS_FEATURE_NONE, 0
  };
  gboolean releases = FALSE;
  GstQuery *query;
  gchar *path;
  gint fd, retry, attempts = 0;
  guint interval;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->path);
  /* we own the given socket: it is used once */
  fd = self->fd;
  self->fd = -1;
  retry = self->retry;
  interval = self->retry_interval;
  GST_OBJECT_UNLOCK (self);

  if (fd >= 0) {
    if (!gst_unix_socket_src_use_fd (self, fd)) {
      g_free (path);
      return GST_FLOW_ERROR;
    }
    GST_DEBUG_OBJECT (self, "using inherited socket %d", fd);
  } else if (path == NULL || path[0] == '\0') {
    g_free (path);
    if (self->connected_before) {
      GST_DEBUG_OBJECT (self, "no path to connect to again, ending");
      return GST_FLOW_EOS;
    }
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No socket to read from: set the path or the fd property."), (NULL));
    return GST_FLOW_ERROR;
  } else {
    for (;;) {
      gint err = 0;

      if (g_cancellable_is_cancelled (self->cancellable)) {
        g_free (path);
        return GST_FLOW_FLUSHING;
      }

      self->sock = connect_to_path (path, &self->seqpacket, &err);
      if (self->sock >= 0)
        break;

      /* nobody listens (yet), or the listener's backlog is full */
      if ((err != ENOENT && err != ECONNREFUSED && err != EAGAIN) ||
          (retry >= 0 && attempts >= retry)) {
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
            ("Could not connect to %s: %s", path, g_strerror (err)),
            ("gave up after %d attempts", attempts + 1));
        g_free (path);
        return GST_FLOW_ERROR;
      }

      attempts++;
      GST_DEBUG_OBJECT (self, "could not connect to %s (%s), trying again in "
          "%u ms", path, g_strerror (err), interval);
      if (!gst_unix_socket_src_wait (self, interval)) {
        g_free (path);
        return GST_FLOW_FLUSHING;
      }
    }
    GST_DEBUG_OBJECT (self, "connected to %s with a %s socket", path,
        self->seqpacket ? "SOCK_SEQPACKET" : "SOCK_STREAM");
  }
  g_free (path);

  if (self->connected_before) {
    GST_OBJECT_LOCK (self);
    self->n_reconnects++;
    GST_OBJECT_UNLOCK (self);
  }
  self->connected_before = TRUE;

  /* a new connection, a new byte stream and a new set of buffer ids:
   * downstream learns where to send releases before any of its data */
  self->channel = gst_fdpass_release_channel_new ();
  gst_pad_push_event (GST_BASE_SRC_PAD (self),
      gst_fdpass_release_channel_event_new (self->channel));

  /* announce only what the element downstream honours: behind anything
   * but a depayloader that marks its buffers, no frame would ever be
   * released, and the sender must not wait for releases or recycle the
   * frames it sends us */
  query = gst_fdpass_receiver_query_new ();
  if (gst_pad_peer_query (GST_BASE_SRC_PAD (self), query))
    gst_fdpass_receiver_query_parse (query, &releases, &hello.max_files);
  gst_query_unref (query);
  if (releases)
    hello.features |= GST_FDPASS_FEATURE_RELEASE;
  if (hello.max_files > 0)
    hello.features |= GST_FDPASS_FEATURE_FILES;
  GST_DEBUG_OBJECT (self, "downstream %s releases and keeps %u files",
      releases ? "sends" : "does not send", hello.max_files);

  gst_unix_socket_src_queue_message (self,
      gst_fdpass_message_new_hello (&hello), 0);
  gst_unix_socket_src_flush_output (self);

  return GST_FLOW_OK;
}

/* One recvmsg(). Returns OK with *outbuf set, or with NULL when there was
 * nothing to read after all, EOS on end of file. */
static GstFlowReturn
gst_unix_socket_src_read (GstUnixSocketSrc * self, GstBuffer ** outbuf)
{
  gint fds[GST_FDPASS_MAX_FDS];
  guint n_fds = 0;
  GstFdPassRecvFlags flags;
  GstBuffer *buf;
  gssize n;

  *outbuf = NULL;

  n = gst_fdpass_socket_receive (self->sock, self->scratch,
      self->seqpacket ? SEQPACKET_READ_SIZE : STREAM_READ_SIZE, fds,
      G_N_ELEMENTS (fds), &n_fds, &flags);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return GST_FLOW_OK;
    if (errno == ECONNRESET) {
      GST_DEBUG_OBJECT (self, "connection reset by the sender");
      return GST_FLOW_EOS;
    }
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not read from the socket."), GST_ERROR_SYSTEM);
    return GST_FLOW_ERROR;
  }

  if (flags & GST_FDPASS_RECV_FLAG_FDS_TRUNCATED) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("The sender passed more file descriptors than can be received."),
        ("ancillary data truncated (MSG_CTRUNC): one message carried more "
            "than %d file descriptors, or this process hit its limit of open "
            "files (RLIMIT_NOFILE, see ulimit -n)", GST_FDPASS_MAX_FDS));
    return GST_FLOW_ERROR;
  }

  if (self->seqpacket && (flags & GST_FDPASS_RECV_FLAG_TRUNCATED)) {
    gst_fdpass_close_fds (fds, n_fds);
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The sender sent a message larger than the fdpass protocol allows."),
        ("packet truncated (MSG_TRUNC) to %u bytes",
            (guint) SEQPACKET_READ_SIZE));
    return GST_FLOW_ERROR;
  }

  if (n == 0) {
    GST_DEBUG_OBJECT (self, "the sender closed the connection");
    return GST_FLOW_EOS;
  }

  buf = gst_buffer_new_memdup (self->scratch, n);
  if (n_fds > 0) {
    GUnixFDList *list = g_unix_fd_list_new_from_array (fds, n_fds);
    GSocketControlMessage *cmsg_obj = g_unix_fd_message_new_with_fd_list (list);

    gst_buffer_add_net_control_message_meta (buf, cmsg_obj);
    g_object_unref (cmsg_obj);
    g_object_unref (list);
  }

  GST_LOG_OBJECT (self, "read %" G_GSSIZE_FORMAT " bytes and %u fds", n, n_fds);

  GST_OBJECT_LOCK (self);
  self->n_bytes += n;
  self->n_reads++;
  self->n_fds += n_fds;
  GST_OBJECT_UNLOCK (self);

  *outbuf = buf;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_unix_socket_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (psrc);
  GstFlowReturn ret;

  for (;;) {
    struct pollfd pfd[3];
    gboolean reconnect;

    if (g_cancellable_is_cancelled (self->cancellable))
      return GST_FLOW_FLUSHING;

    if (self->sock < 0) {
      ret = gst_unix_socket_src_connect (self);
      if (ret != GST_FLOW_OK)
        return ret;
    }

    gst_unix_socket_src_take_releases (self);
    gst_unix_socket_src_flush_output (self);

    pfd[0].fd = self->sock;
    pfd[0].events = POLLIN;
    if (!g_queue_is_empty (&self->out_queue))
      pfd[0].events |= POLLOUT;
    pfd[1].fd = gst_fdpass_release_channel_get_fd (self->channel);
    pfd[1].events = POLLIN;
    pfd[2].fd = self->cancel_pollfd.fd;
    pfd[2].events = POLLIN;
    pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;

    if (poll (pfd, G_N_ELEMENTS (pfd), -1) < 0) {
      if (errno == EINTR)
        continue;
      GST_ELEMENT_ERROR (self, RESOURCE, READ, (NULL), ("poll failed: %s",
              g_strerror (errno)));
      return GST_FLOW_ERROR;
    }

    /* releases from now on are taken before the next poll() */
    gst_fdpass_release_channel_woke (self->channel);

    if (g_cancellable_is_cancelled (self->cancellable))
      return GST_FLOW_FLUSHING;

    if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
      continue;

    ret = gst_unix_socket_src_read (self, outbuf);
    if (ret == GST_FLOW_OK && *outbuf)
      return GST_FLOW_OK;
    if (ret == GST_FLOW_OK)
      continue;

    gst_unix_socket_src_disconnect (self);
    if (ret != GST_FLOW_EOS)
      return ret;

    GST_OBJECT_LOCK (self);
    reconnect = self->reconnect && self->path != NULL && self->path[0];
    GST_OBJECT_UNLOCK (self);

    if (!reconnect)
      return GST_FLOW_EOS;
    GST_INFO_OBJECT (self, "the sender went away, connecting again");
  }
}

static gboolean
gst_unix_socket_src_start (GstBaseSrc * bsrc)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);

  if (!g_cancellable_make_pollfd (self->cancellable, &self->cancel_pollfd)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, (NULL),
        ("could not create a file descriptor to wake up the streaming "
            "thread"));
    return FALSE;
  }
  self->have_cancel_pollfd = TRUE;
  self->scratch = g_malloc (MAX (SEQPACKET_READ_SIZE, STREAM_READ_SIZE));
  self->connected_before = FALSE;

  GST_OBJECT_LOCK (self);
  self->n_bytes = self->n_reads = self->n_fds = 0;
  self->n_releases = self->n_reconnects = 0;
  GST_OBJECT_UNLOCK (self);

  return TRUE;
}

static gboolean
gst_unix_socket_src_stop (GstBaseSrc * bsrc)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);

  gst_unix_socket_src_disconnect (self);
  g_clear_pointer (&self->scratch, g_free);
  if (self->have_cancel_pollfd) {
    g_cancellable_release_fd (self->cancellable);
    self->have_cancel_pollfd = FALSE;
  }

  return TRUE;
}

static gboolean
gst_unix_socket_src_unlock (GstBaseSrc * bsrc)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);

  GST_DEBUG_OBJECT (self, "unlock");
  g_cancellable_cancel (self->cancellable);

  return TRUE;
}

static gboolean
gst_unix_socket_src_unlock_stop (GstBaseSrc * bsrc)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);

  GST_DEBUG_OBJECT (self, "unlock stop");
  g_cancellable_reset (self->cancellable);

  return TRUE;
}

static void
gst_unix_socket_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (object);

  switch (prop_id) {
    case PROP_PATH:
      GST_OBJECT_LOCK (self);
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "path can only be changed in the NULL or "
            "READY state");
      } else {
        g_free (self->path);
        self->path = g_value_dup_string (value);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FD:
      GST_OBJECT_LOCK (self);
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "fd can only be changed in the NULL or "
            "READY state");
      } else {
        /* we own the previous one, which was never used */
        if (self->fd >= 0 && self->fd != g_value_get_int (value))
          close (self->fd);
        self->fd = g_value_get_int (value);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RETRY:
      GST_OBJECT_LOCK (self);
      self->retry = g_value_get_int (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RETRY_INTERVAL:
      GST_OBJECT_LOCK (self);
      self->retry_interval = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RECONNECT:
      GST_OBJECT_LOCK (self);
      self->reconnect = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_IS_LIVE:
      gst_base_src_set_live (GST_BASE_SRC (self), g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_unix_socket_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (object);

  switch (prop_id) {
    case PROP_PATH:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->path);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FD:
      GST_OBJECT_LOCK (self);
      g_value_set_int (value, self->fd);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RETRY:
      GST_OBJECT_LOCK (self);
      g_value_set_int (value, self->retry);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RETRY_INTERVAL:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->retry_interval);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RECONNECT:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->reconnect);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_IS_LIVE:
      g_value_set_boolean (value, gst_base_src_is_live (GST_BASE_SRC (self)));
      break;
    case PROP_STATS:
      GST_OBJECT_LOCK (self);
      g_value_take_boxed (value,
          gst_structure_new ("application/x-unixsocketsrc-stats",
              "bytes", G_TYPE_UINT64, self->n_bytes,
              "reads", G_TYPE_UINT64, self->n_reads,
              "fds", G_TYPE_UINT64, self->n_fds,
              "releases-sent", G_TYPE_UINT64, self->n_releases,
              "reconnects", G_TYPE_UINT64, self->n_reconnects, NULL));
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_unix_socket_src_finalize (GObject * object)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (object);

  /* a given socket that was never used is still ours */
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);
  g_object_unref (self->cancellable);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_unix_socket_src_class_init (GstUnixSocketSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_unix_socket_src_set_property;
  gobject_class->get_property = gst_unix_socket_src_get_property;
  gobject_class->finalize = gst_unix_socket_src_finalize;

  g_object_class_install_property (gobject_class, PROP_PATH,
      g_param_spec_string ("path", "Path",
          "Filesystem path of the Unix socket to connect to; a leading '@' "
          "names a socket in the abstract namespace", DEFAULT_PATH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_FD,
      g_param_spec_int ("fd", "File descriptor",
          "A connected Unix stream or seqpacket socket to read from instead "
          "of connecting to the path, e.g. one inherited from the parent "
          "process (-1 = none). The element owns it from then on and closes "
          "it when the connection ends or the element stops; the property "
          "reads -1 once the socket is in use", -1, G_MAXINT, DEFAULT_FD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_RETRY,
      g_param_spec_int ("retry", "Retry",
          "How many more times to try connecting to the path when nobody "
          "listens there (-1 = keep trying, 0 = fail at once)", -1, G_MAXINT,
          DEFAULT_RETRY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_RETRY_INTERVAL,
      g_param_spec_uint ("retry-interval", "Retry interval",
          "Time between two connection attempts, in milliseconds", 1,
          G_MAXINT, DEFAULT_RETRY_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_RECONNECT,
      g_param_spec_boolean ("reconnect", "Reconnect",
          "When the sender closes the connection without an EOS message, "
          "connect to the path again (following retry) instead of ending the "
          "stream", DEFAULT_RECONNECT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live",
          "Act as a live source", DEFAULT_IS_LIVE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since the element started: bytes and fds read, reads, "
          "releases-sent (buffer ids released to the sender), reconnects",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);

  gst_element_class_set_static_metadata (element_class,
      "Unix socket source", "Source/Network",
      "Receives fdpass messages with their file descriptors from a Unix "
      "socket and tells the sender when frames are released",
      "gst-fdpass contributors");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_unix_socket_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_unix_socket_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_unix_socket_src_unlock);
  basesrc_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_unix_socket_src_unlock_stop);

  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_unix_socket_src_create);

  GST_DEBUG_CATEGORY_INIT (gst_unix_socket_src_debug, "unixsocketsrc", 0,
      "Unix socket source");
}

static void
gst_unix_socket_src_init (GstUnixSocketSrc * self)
{
  self->path = g_strdup (DEFAULT_PATH);
  self->fd = DEFAULT_FD;
  self->retry = DEFAULT_RETRY;
  self->retry_interval = DEFAULT_RETRY_INTERVAL;
  self->reconnect = DEFAULT_RECONNECT;
  self->sock = -1;
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->out_queue);
}
