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
 * @see_also: fddepay, fdpay, unixsocketsink, socketsrc
 *
 * unixsocketsrc connects to a Unix socket (or uses one it is given) and
 * pushes the fdpass messages it reads, with the file descriptors that came
 * along as SCM_RIGHTS in a #GstNetControlMessageMeta, as #socketsrc does:
 * put #fddepay behind it.
 *
 * The caps of its source pad are `application/x-fdpass`, with the caps of
 * the sender's media as a string in the `media-caps` field, so that
 * `gst-launch-1.0 -v` shows what the sender sends. Data is held back until
 * the sender's first CAPS message has arrived, so that the first caps
 * already carry them; when the sender changes its caps, the caps follow.
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
 * otherwise. #GstUnixSocketSrc:socket-path names it, a file or, with
 * #GstUnixSocketSrc:socket-type `abstract`, a name in the abstract
 * namespace. When nobody listens there yet, the element tries again every
 * #GstUnixSocketSrc:retry-interval, #GstUnixSocketSrc:retry times (forever
 * by default), and posts a warning message on the bus at the first failed
 * attempt and then every few seconds while it keeps trying. For a file, it
 * also watches the directory and tries again as soon as the socket appears
 * there, so that a receiver waiting for its sender connects before the
 * sender's first frame.
 *
 * The stream ends when the sender sends its EOS message. A sender that
 * closes the connection without one (it crashed, or was killed) is an
 * error; with #GstUnixSocketSrc:reconnect it is a warning, and the element
 * connects again.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -v unixsocketsrc socket-path=/tmp/video.sock ! fddepay ! videoconvert ! autovideosink
 * ]| Shows the frames a `fdpay ! unixsocketsink` (or any fdpass sender)
 * offers at /tmp/video.sock.
 * |[
 * gst-launch-1.0 unixsocketsrc socket-path=video socket-type=abstract reconnect=true ! fddepay ! fakesink
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
#include <gst/base/gstqueuearray.h>
#include <gst/net/net.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>

GST_DEBUG_CATEGORY_STATIC (gst_unix_socket_src_debug);
#define GST_CAT_DEFAULT gst_unix_socket_src_debug

#define DEFAULT_SOCKET_PATH NULL
#define DEFAULT_SOCKET_TYPE G_UNIX_SOCKET_ADDRESS_PATH
#define DEFAULT_FD -1
#define DEFAULT_RETRY -1
#define DEFAULT_RETRY_INTERVAL (100 * GST_MSECOND)
#define MIN_RETRY_INTERVAL GST_MSECOND
#define DEFAULT_RECONNECT FALSE
#define DEFAULT_IS_LIVE FALSE

/* while nobody listens, a warning message at the first failed attempt and
 * then at most one every this many microseconds */
#define RETRY_WARNING_INTERVAL (5 * G_TIME_SPAN_SECOND)

/* a SOCK_SEQPACKET read must hold the largest message: the rest of a
 * packet is lost otherwise */
#define SEQPACKET_READ_SIZE (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD)
#define STREAM_READ_SIZE (64 * 1024)

/* releases queued for a sender that does not read them are dropped beyond
 * this many bytes */
#define MAX_QUEUED_OUTPUT (1024 * 1024)
/* releases taken and sent at once, in one message */
#define RELEASE_BATCH 64

/* what is held back waiting for the sender's first caps: a HELLO and a
 * segment are a few dozen bytes, so this is only reached by a sender that
 * never sends caps */
#define MAX_HELD_BYTES (4 * (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD))

#define FDPASS_CAPS_NAME "application/x-fdpass"

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
  GUnixSocketAddressType socket_type;
  gint fd;
  gint retry;
  GstClockTime retry_interval;
  gboolean reconnect;

  /* the caps of the source pad (application/x-fdpass with media-caps),
   * NULL before the first ones; protected by the object lock */
  GstCaps *caps;

  /* statistics, protected by the object lock */
  guint64 n_bytes;
  guint64 n_reads;
  guint64 n_fds;
  guint64 n_releases;
  guint64 n_reconnects;
  guint64 n_connect_failures;

  GCancellable *cancellable;
  GPollFD cancel_pollfd;
  gboolean have_cancel_pollfd;

  /* streaming thread only */
  gint sock;
  gboolean seqpacket;
  gboolean connected_before;
  /* what we are connected to, for messages */
  gchar *peer_name;
  GstFdPassReleaseChannel *channel;
  GQueue out_queue;
  gsize out_offset;
  gsize out_bytes;
  guint8 *scratch;
  /* made while waiting for the next message, for the bytes of a buffer
   * message (or any other that fits), so that the allocation is not part
   * of a frame's latency */
  GstBuffer *next_message;
  gsize next_message_size;

  /* streaming thread only: what we follow of the messages the sender
   * sends, across reads, to see its caps and its EOS message */
  guint8 header_bytes[GST_FDPASS_HEADER_SIZE];
  gsize header_len;
  GstFdPassHeader header;
  gsize payload_left;
  GByteArray *caps_payload;
  /* the sender's last media caps, of this or an earlier connection */
  GstCaps *sender_caps;
  /* the last message of this connection was EOS */
  gboolean got_eos;
  /* the sender closed the connection with data of ours unread, which a
   * read reported before what the sender had sent (see _read()) */
  gboolean peer_reset;
  /* a BUFFER or EOS message came before any caps */
  gboolean data_before_caps;

  /* streaming thread only: buffers to push (GstBuffer) and caps to set
   * before the buffers behind them (GstCaps), in order, after
   * @front_caps; and whether they are held back until the sender's first
   * caps */
  GstCaps *front_caps;
  GstQueueArray *pending;
  gsize held_bytes;
  gboolean waiting_for_caps;
};

enum
{
  PROP_0,
  PROP_PATH,
  PROP_SOCKET_PATH,
  PROP_SOCKET_TYPE,
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
    GST_STATIC_CAPS (FDPASS_CAPS_NAME));

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
gst_unix_socket_src_count_releases (GstUnixSocketSrc * self, guint n_ids)
{
  if (n_ids == 0)
    return;

  GST_LOG_OBJECT (self, "sent %u releases", n_ids);
  GST_OBJECT_LOCK (self);
  self->n_releases += n_ids;
  GST_OBJECT_UNLOCK (self);
}

/* Sends the message of @size bytes at @data, or queues a copy for what the
 * socket does not take now. */
static void
gst_unix_socket_src_send_message (GstUnixSocketSrc * self,
    const guint8 * data, gsize size, guint n_ids)
{
  OutMessage *out;
  gssize written = 0;

  /* with nothing queued before it, which is how the release of each frame
   * goes out, it is written at once, and nothing is allocated */
  if (g_queue_is_empty (&self->out_queue) && self->sock >= 0) {
    written = gst_fdpass_socket_send (self->sock, data, size, NULL, 0);

    if (written < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        GST_DEBUG_OBJECT (self, "cannot write to the sender (%s), dropping "
            "a message of %" G_GSIZE_FORMAT " bytes (%u releases)",
            g_strerror (errno), size, n_ids);
        return;
      }
      written = 0;
    } else if ((gsize) written == size) {
      gst_unix_socket_src_count_releases (self, n_ids);
      return;
    }
  }

  if (written == 0 && self->out_bytes + size > MAX_QUEUED_OUTPUT) {
    GST_WARNING_OBJECT (self, "the sender does not read what we send, "
        "dropping a message of %" G_GSIZE_FORMAT " bytes (%u releases)", size,
        n_ids);
    return;
  }

  out = g_new0 (OutMessage, 1);
  out->message = gst_buffer_new_memdup (data, size);
  out->n_ids = n_ids;
  g_queue_push_tail (&self->out_queue, out);
  self->out_bytes += size;
  /* part of it went out, so the queue was empty: the rest goes first */
  if (written > 0)
    self->out_offset = written;
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
      gst_unix_socket_src_count_releases (self, out->n_ids);
      out_message_free (out);
    }
  }
}

/* Sends what downstream released since the last time, RELEASE_BATCH ids
 * to a message. */
static void
gst_unix_socket_src_take_releases (GstUnixSocketSrc * self)
{
  guint64 ids[RELEASE_BATCH];
  guint8 message[GST_FDPASS_RELEASE_MESSAGE_SIZE (RELEASE_BATCH)];
  guint n;

  if (self->channel == NULL)
    return;

  do {
    gsize size;

    n = gst_fdpass_release_channel_take (self->channel, ids, RELEASE_BATCH);
    if (n == 0)
      break;
    size = gst_fdpass_release_write (ids, n, message, sizeof (message));
    g_assert (size > 0);
    gst_unix_socket_src_send_message (self, message, size, n);
  } while (n == RELEASE_BATCH);
}

/* caps and buffers on their way downstream */

/* The caps of the source pad for the sender's caps @media, or without
 * media-caps for %NULL. */
static GstCaps *
make_src_caps (const GstCaps * media)
{
  GstCaps *caps = gst_caps_new_empty_simple (FDPASS_CAPS_NAME);

  if (media) {
    gchar *str = gst_caps_to_string (media);

    gst_caps_set_simple (caps, "media-caps", G_TYPE_STRING, str, NULL);
    g_free (str);
  }

  return caps;
}

static void
gst_unix_socket_src_clear_pending (GstUnixSocketSrc * self)
{
  GstMiniObject *obj;

  gst_clear_caps (&self->front_caps);
  while ((obj = gst_queue_array_pop_head (self->pending)))
    gst_mini_object_unref (obj);
  self->held_bytes = 0;
}

/* Releases what was held back for the sender's first caps, behind
 * @caps. */
static void
gst_unix_socket_src_stop_waiting (GstUnixSocketSrc * self, GstCaps * caps)
{
  GST_DEBUG_OBJECT (self, "releasing %u buffers (%" G_GSIZE_FORMAT " bytes) "
      "held back for the sender's caps",
      gst_queue_array_get_length (self->pending), self->held_bytes);
  /* nothing can be in front while we wait */
  g_warn_if_fail (self->front_caps == NULL);
  gst_caps_take (&self->front_caps, caps);
  self->waiting_for_caps = FALSE;
  self->data_before_caps = FALSE;
  self->held_bytes = 0;
}

static void
gst_unix_socket_src_queue_buffer (GstUnixSocketSrc * self, GstBuffer * buf)
{
  gst_queue_array_push_tail (self->pending, buf);
  if (self->waiting_for_caps)
    self->held_bytes += gst_buffer_get_size (buf);
}

/* @caps apply to the bytes that come after those queued so far; the first
 * ones apply to everything. */
static void
gst_unix_socket_src_queue_caps (GstUnixSocketSrc * self, GstCaps * caps)
{
  if (self->waiting_for_caps)
    gst_unix_socket_src_stop_waiting (self, caps);
  else
    gst_queue_array_push_tail (self->pending, caps);
}

/* A sender that sends frames or ends its stream before its caps, or sends
 * more than a few messages without any, does not get its data held back
 * any longer: plain application/x-fdpass caps, and fddepay says what is
 * wrong with the stream. */
static void
gst_unix_socket_src_check_waiting (GstUnixSocketSrc * self)
{
  if (!self->waiting_for_caps)
    return;

  if (self->data_before_caps || self->held_bytes > MAX_HELD_BYTES) {
    GST_WARNING_OBJECT (self, "%s before any caps, pushing without "
        "media-caps", self->data_before_caps ? "the sender sent data or EOS"
        : "too much data");
    gst_unix_socket_src_stop_waiting (self, make_src_caps (NULL));
  }
}

/* Sets @caps (transfer full) on the source pad. */
static GstFlowReturn
gst_unix_socket_src_push_caps (GstUnixSocketSrc * self, GstCaps * caps)
{
  GST_OBJECT_LOCK (self);
  gst_caps_replace (&self->caps, caps);
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  if (gst_base_src_set_caps (GST_BASE_SRC (self), caps)) {
    gst_caps_unref (caps);
    return GST_FLOW_OK;
  }

  if (GST_PAD_IS_FLUSHING (GST_BASE_SRC_PAD (self))) {
    /* set again before the next buffer */
    self->front_caps = caps;
    return GST_FLOW_FLUSHING;
  }

  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
      ("downstream did not accept %" GST_PTR_FORMAT, caps));
  gst_caps_unref (caps);
  return GST_FLOW_NOT_NEGOTIATED;
}

/* The next buffer to push, if any, after setting the caps queued in front
 * of it. */
static GstFlowReturn
gst_unix_socket_src_pop_pending (GstUnixSocketSrc * self, GstBuffer ** outbuf)
{
  GstMiniObject *obj;

  *outbuf = NULL;
  while ((obj = self->front_caps ?
          GST_MINI_OBJECT_CAST (g_steal_pointer (&self->front_caps)) :
          gst_queue_array_pop_head (self->pending))) {
    GstFlowReturn ret;

    if (GST_IS_BUFFER (obj)) {
      *outbuf = GST_BUFFER_CAST (obj);
      return GST_FLOW_OK;
    }

    ret = gst_unix_socket_src_push_caps (self, GST_CAPS_CAST (obj));
    if (ret != GST_FLOW_OK)
      return ret;
  }

  return GST_FLOW_OK;
}

/* following the sender's messages */

static void
gst_unix_socket_src_reset_scanner (GstUnixSocketSrc * self)
{
  self->header_len = 0;
  self->payload_left = 0;
  g_byte_array_set_size (self->caps_payload, 0);
  self->got_eos = FALSE;
  self->data_before_caps = FALSE;
}

/* The header of a message is complete. */
static gboolean
gst_unix_socket_src_message_start (GstUnixSocketSrc * self)
{
  GError *err = NULL;

  if (!gst_fdpass_header_parse (self->header_bytes, GST_FDPASS_HEADER_SIZE,
          &self->header, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The received data is not an fdpass stream."), ("from %s: %s",
            self->peer_name, err->message));
    g_clear_error (&err);
    return FALSE;
  }

  self->payload_left = self->header.payload_size;
  if (self->waiting_for_caps &&
      (self->header.type == GST_FDPASS_MESSAGE_BUFFER ||
          self->header.type == GST_FDPASS_MESSAGE_EOS))
    self->data_before_caps = TRUE;

  return TRUE;
}

/* A message is complete. Returns the new caps of the source pad when it
 * changed the sender's caps. */
static GstCaps *
gst_unix_socket_src_message_done (GstUnixSocketSrc * self)
{
  GError *err = NULL;
  GstCaps *media;

  self->got_eos = (self->header.type == GST_FDPASS_MESSAGE_EOS);
  if (self->header.type != GST_FDPASS_MESSAGE_CAPS)
    return NULL;

  media = gst_fdpass_caps_parse (self->caps_payload->data,
      self->caps_payload->len, &err);
  g_byte_array_set_size (self->caps_payload, 0);
  if (media == NULL) {
    /* fddepay reports it when it gets there */
    GST_WARNING_OBJECT (self, "invalid caps from the sender: %s", err->message);
    g_clear_error (&err);
    return NULL;
  }

  if (self->sender_caps && gst_caps_is_equal (media, self->sender_caps)) {
    gst_caps_unref (media);
    return NULL;
  }

  GST_DEBUG_OBJECT (self, "the sender's caps are %" GST_PTR_FORMAT, media);
  gst_caps_take (&self->sender_caps, media);
  return make_src_caps (self->sender_caps);
}

/* Follows the messages in @size bytes of @data, whose framing may start
 * in an earlier read and end in a later one. Stops after a CAPS message
 * that changes the caps, which it returns in @caps, so that they can be
 * set before the bytes that follow. Returns how many bytes it looked at,
 * at least 1, or -1 after posting an error for bytes that are not an
 * fdpass stream. */
static gssize
gst_unix_socket_src_scan (GstUnixSocketSrc * self, const guint8 * data,
    gsize size, GstCaps ** caps)
{
  gsize pos = 0;

  *caps = NULL;
  while (pos < size && *caps == NULL) {
    gsize n;

    if (self->header_len < GST_FDPASS_HEADER_SIZE) {
      n = MIN (GST_FDPASS_HEADER_SIZE - self->header_len, size - pos);
      memcpy (self->header_bytes + self->header_len, data + pos, n);
      self->header_len += n;
      pos += n;
      if (self->header_len < GST_FDPASS_HEADER_SIZE)
        break;
      if (!gst_unix_socket_src_message_start (self))
        return -1;
    }

    n = MIN (self->payload_left, size - pos);
    if (self->header.type == GST_FDPASS_MESSAGE_CAPS)
      g_byte_array_append (self->caps_payload, data + pos, n);
    pos += n;
    self->payload_left -= n;

    if (self->payload_left == 0) {
      self->header_len = 0;
      *caps = gst_unix_socket_src_message_done (self);
    }
  }

  return pos;
}

/* connecting */

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
  g_clear_pointer (&self->peer_name, g_free);
  self->peer_reset = FALSE;
}

/* What connect_to_path() takes for @path: with the abstract socket type,
 * @path is a name in the abstract namespace, written `@name` there. %NULL
 * without a path. */
static gchar *
socket_address (const gchar * path, GUnixSocketAddressType type)
{
  if (path == NULL || path[0] == '\0')
    return NULL;
  if (type == G_UNIX_SOCKET_ADDRESS_ABSTRACT)
    return g_strconcat ("@", path, NULL);
  return g_strdup (path);
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

  *err = 0;
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
    /* a SOCK_SEQPACKET socket bound but not listening yet refuses the
     * connection, and one of the other type does not fit: nobody listens
     * yet, try again later */
    if (e != EPROTOTYPE || *err != ECONNREFUSED)
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

/* An inotify descriptor that becomes readable when a file named like the
 * last component of @path is created in (or moved into) its directory, or
 * -1 when that cannot be watched (an abstract socket, no such directory). */
static gint
watch_path (const gchar * path)
{
  gchar *dir;
  gint fd;

  if (path[0] == '@')
    return -1;
  fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return -1;
  dir = g_path_get_dirname (path);
  if (inotify_add_watch (fd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
    close (fd);
    fd = -1;
  }
  g_free (dir);

  return fd;
}

/* Whether the events waiting on @watch_fd name @base. Reads them all. */
static gboolean
watch_saw (gint watch_fd, const gchar * base)
{
  /* aligned for the events */
  union
  {
    struct inotify_event ev;
    gchar buf[4096];
  } u;
  gboolean seen = FALSE;
  gssize len;

  while ((len = read (watch_fd, u.buf, sizeof (u.buf))) > 0) {
    gssize off = 0;

    while (off + (gssize) sizeof (struct inotify_event) <= len) {
      const struct inotify_event *ev =
          (const struct inotify_event *) (u.buf + off);

      if (ev->len > 0 && strcmp (ev->name, base) == 0)
        seen = TRUE;
      off += sizeof (struct inotify_event) + ev->len;
    }
  }

  return seen;
}

/* Waits @interval, until unlock(), or until the socket named @base
 * appears (events on @watch_fd, when not -1). Returns FALSE when
 * flushing. */
static gboolean
gst_unix_socket_src_wait (GstUnixSocketSrc * self, GstClockTime interval,
    gint watch_fd, const gchar * base)
{
  gint64 end = g_get_monotonic_time () + interval / GST_USECOND;
  struct pollfd pfd[2];

  pfd[0].fd = self->cancel_pollfd.fd;
  pfd[0].events = POLLIN;
  pfd[1].fd = watch_fd;
  pfd[1].events = POLLIN;

  for (;;) {
    gint64 left = end - g_get_monotonic_time ();
    gint ms = (gint) MIN ((MAX (left, 0) + 999) / 1000, G_MAXINT);

    pfd[0].revents = pfd[1].revents = 0;
    if (poll (pfd, watch_fd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR)
      GST_WARNING_OBJECT (self, "poll failed: %s", g_strerror (errno));
    if (g_cancellable_is_cancelled (self->cancellable))
      return FALSE;
    /* another file of the directory: keep waiting */
    if (pfd[1].revents == 0 || watch_saw (watch_fd, base))
      break;
    if (left <= 0)
      break;
  }

  return TRUE;
}

/* Connects to @address, trying again while nobody listens there: with a
 * warning message on the bus at the first failed attempt, and then every
 * RETRY_WARNING_INTERVAL. */
static GstFlowReturn
gst_unix_socket_src_connect_path (GstUnixSocketSrc * self,
    const gchar * address, gint retry, GstClockTime interval)
{
  gint64 last_warning = 0;
  gboolean warned = FALSE;
  gint attempts = 0, watch_fd;
  gchar *base = g_path_get_basename (address);
  GstFlowReturn ret = GST_FLOW_OK;

  /* watched from before the first attempt, so that a socket appearing
   * right after it failed still ends the wait */
  watch_fd = watch_path (address);

  for (;;) {
    gint64 now;
    gint err = 0;

    if (g_cancellable_is_cancelled (self->cancellable)) {
      ret = GST_FLOW_FLUSHING;
      break;
    }

    self->sock = connect_to_path (address, &self->seqpacket, &err);
    if (self->sock >= 0)
      break;

    GST_OBJECT_LOCK (self);
    self->n_connect_failures++;
    GST_OBJECT_UNLOCK (self);

    /* nobody listens (yet), or the listener's backlog is full */
    if ((err != ENOENT && err != ECONNREFUSED && err != EAGAIN) ||
        (retry >= 0 && attempts >= retry)) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not connect to %s: %s", address, g_strerror (err)),
          ("gave up after %d attempts", attempts + 1));
      ret = GST_FLOW_ERROR;
      break;
    }
    attempts++;

    now = g_get_monotonic_time ();
    if (!warned || now - last_warning >= RETRY_WARNING_INTERVAL) {
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
          ("Could not connect to %s: %s. Waiting for a sender to listen "
              "there.", address, g_strerror (err)),
          ("attempt %d failed, trying again every %" GST_TIME_FORMAT,
              attempts, GST_TIME_ARGS (interval)));
      warned = TRUE;
      last_warning = now;
    }

    GST_DEBUG_OBJECT (self, "could not connect to %s (%s), trying again in %"
        GST_TIME_FORMAT, address, g_strerror (err), GST_TIME_ARGS (interval));
    if (!gst_unix_socket_src_wait (self, interval, watch_fd, base)) {
      ret = GST_FLOW_FLUSHING;
      break;
    }
  }
  if (watch_fd >= 0)
    close (watch_fd);
  g_free (base);
  if (ret != GST_FLOW_OK)
    return ret;

  GST_DEBUG_OBJECT (self, "connected to %s with a %s socket", address,
      self->seqpacket ? "SOCK_SEQPACKET" : "SOCK_STREAM");
  if (warned) {
    GST_INFO_OBJECT (self, "connected to %s after %d failed attempts",
        address, attempts);
    GST_ELEMENT_INFO (self, RESOURCE, OPEN_READ, ("Connected to %s.",
            address), ("connected to %s after %d failed attempts", address,
            attempts));
  }

  return GST_FLOW_OK;
}

/* Sends the HELLO, announcing only what the element downstream honours:
 * behind anything but a depayloader that marks its buffers, no frame would
 * ever be released, and the sender must not wait for releases or recycle
 * the frames it sends us. */
static void
gst_unix_socket_src_send_hello (GstUnixSocketSrc * self)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, GST_FDPASS_FEATURE_NONE, 0
  };
  gboolean releases = FALSE;
  GstBuffer *message;
  GstMapInfo map;
  GstQuery *query;

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

  message = gst_fdpass_message_new_hello (&hello);
  if (gst_buffer_map (message, &map, GST_MAP_READ)) {
    gst_unix_socket_src_send_message (self, map.data, map.size, 0);
    gst_buffer_unmap (message, &map);
  }
  gst_buffer_unref (message);
  gst_unix_socket_src_flush_output (self);
}

static GstFlowReturn
gst_unix_socket_src_connect (GstUnixSocketSrc * self)
{
  GstClockTime interval;
  GstFlowReturn ret;
  gchar *address;
  gint fd, retry;

  GST_OBJECT_LOCK (self);
  address = socket_address (self->path, self->socket_type);
  /* we own the given socket: it is used once */
  fd = self->fd;
  self->fd = -1;
  retry = self->retry;
  interval = self->retry_interval;
  GST_OBJECT_UNLOCK (self);

  if (fd >= 0) {
    g_free (address);
    if (!gst_unix_socket_src_use_fd (self, fd))
      return GST_FLOW_ERROR;
    GST_DEBUG_OBJECT (self, "using inherited socket %d", fd);
    self->peer_name = g_strdup_printf ("the socket of fd %d", fd);
  } else if (address == NULL) {
    if (self->connected_before) {
      GST_DEBUG_OBJECT (self, "no path to connect to again, ending");
      return GST_FLOW_EOS;
    }
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No socket to read from: set the socket-path or the fd property."),
        (NULL));
    return GST_FLOW_ERROR;
  } else {
    ret = gst_unix_socket_src_connect_path (self, address, retry, interval);
    if (ret != GST_FLOW_OK) {
      g_free (address);
      return ret;
    }
    self->peer_name = address;
  }

  if (self->connected_before) {
    GST_OBJECT_LOCK (self);
    self->n_reconnects++;
    GST_OBJECT_UNLOCK (self);
  }
  self->connected_before = TRUE;
  gst_unix_socket_src_reset_scanner (self);

  /* a new connection, a new byte stream and a new set of buffer ids:
   * downstream learns where to send releases before any of its data */
  self->channel = gst_fdpass_release_channel_new ();
  gst_pad_push_event (GST_BASE_SRC_PAD (self),
      gst_fdpass_release_channel_event_new (self->channel));

  gst_unix_socket_src_send_hello (self);

  return GST_FLOW_OK;
}

/* reading */

/* Queues the @n bytes read, cut where the caps change, the descriptors
 * that came with them in @fdmsg (transfer full) on the first piece. */
static GstFlowReturn
gst_unix_socket_src_queue_read (GstUnixSocketSrc * self, gsize n,
    GSocketControlMessage * fdmsg)
{
  gsize pos = 0;

  while (pos < n) {
    GstCaps *caps;
    GstBuffer *buf;
    gssize used;

    used = gst_unix_socket_src_scan (self, self->scratch + pos, n - pos, &caps);
    if (used < 0) {
      /* closes the descriptors nobody took */
      g_clear_object (&fdmsg);
      return GST_FLOW_ERROR;
    }

    /* the buffer and its bytes in one allocation, made already for a
     * buffer message */
    if (self->next_message &&
        gst_buffer_get_size (self->next_message) >= (gsize) used) {
      buf = g_steal_pointer (&self->next_message);
      if (gst_buffer_get_size (buf) != (gsize) used)
        gst_buffer_set_size (buf, used);
    } else {
      buf = gst_buffer_new_allocate (NULL, used, NULL);
    }
    /* the next one is made at the size of this one: the buffer messages
     * of a stream are usually all as large */
    if (self->seqpacket && self->header.type == GST_FDPASS_MESSAGE_BUFFER &&
        used <= GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE)
      self->next_message_size = used;
    gst_buffer_fill (buf, 0, self->scratch + pos, used);
    if (fdmsg) {
      gst_buffer_add_net_control_message_meta (buf, fdmsg);
      g_clear_object (&fdmsg);
    }
    gst_unix_socket_src_queue_buffer (self, buf);
    if (caps)
      gst_unix_socket_src_queue_caps (self, caps);
    pos += used;
  }

  gst_unix_socket_src_check_waiting (self);
  return GST_FLOW_OK;
}

/* One recvmsg(). Returns OK, having queued what it read, if anything; EOS
 * when the connection ended, with @close_errno 0 for an orderly shutdown,
 * else the error that ended it. */
static GstFlowReturn
gst_unix_socket_src_read (GstUnixSocketSrc * self, gint * close_errno)
{
  gint fds[GST_FDPASS_MAX_FDS];
  guint n_fds = 0;
  GstFdPassRecvFlags flags;
  GSocketControlMessage *fdmsg = NULL;
  gssize n;

  *close_errno = 0;
  n = gst_fdpass_socket_receive (self->sock, self->scratch,
      self->seqpacket ? SEQPACKET_READ_SIZE : STREAM_READ_SIZE, fds,
      G_N_ELEMENTS (fds), &n_fds, &flags);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return GST_FLOW_OK;
    if (errno == ECONNRESET && !self->peer_reset) {
      /* The sender closed its end with data of ours unread (releases it
       * did not read before its EOS, say). A seqpacket socket reports that
       * once, before the messages still queued for us: they are read next,
       * up to the end of the connection. */
      GST_DEBUG_OBJECT (self, "connection reset by the sender, reading what "
          "it sent before");
      self->peer_reset = TRUE;
      return GST_FLOW_OK;
    }
    if (errno == ECONNRESET) {
      *close_errno = ECONNRESET;
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
    *close_errno = self->peer_reset ? ECONNRESET : 0;
    return GST_FLOW_EOS;
  }

  if (n_fds > 0) {
    GUnixFDList *list = g_unix_fd_list_new_from_array (fds, n_fds);

    fdmsg = g_unix_fd_message_new_with_fd_list (list);
    g_object_unref (list);
  }

  GST_LOG_OBJECT (self, "read %" G_GSSIZE_FORMAT " bytes and %u fds", n, n_fds);

  GST_OBJECT_LOCK (self);
  self->n_bytes += n;
  self->n_reads++;
  self->n_fds += n_fds;
  GST_OBJECT_UNLOCK (self);

  return gst_unix_socket_src_queue_read (self, n, fdmsg);
}

/* The connection ended. After the sender's EOS message that is the end of
 * the stream; without one, the sender crashed or was killed: an error, or
 * with reconnect a warning, and then OK to connect again. */
static GstFlowReturn
gst_unix_socket_src_connection_ended (GstUnixSocketSrc * self, gint close_errno)
{
  const gchar *how = close_errno ? g_strerror (close_errno) : "end of file";
  gboolean reconnect;
  GstFlowReturn ret;

  if (self->got_eos) {
    GST_DEBUG_OBJECT (self, "the sender ended the stream and closed the "
        "connection");
    gst_unix_socket_src_disconnect (self);
    return GST_FLOW_EOS;
  }

  /* what was held back for the caps belongs to a sender that is gone */
  if (self->waiting_for_caps)
    gst_unix_socket_src_clear_pending (self);

  GST_OBJECT_LOCK (self);
  reconnect = self->reconnect && self->path != NULL && self->path[0];
  GST_OBJECT_UNLOCK (self);

  if (reconnect) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The sender closed the connection without ending the stream (it "
            "may have crashed). Connecting again."),
        ("%s: %s before an EOS message", self->peer_name, how));
    ret = GST_FLOW_OK;
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("The sender closed the connection without ending the stream (it "
            "may have crashed)."),
        ("%s: %s before an EOS message", self->peer_name, how));
    ret = GST_FLOW_ERROR;
  }

  gst_unix_socket_src_disconnect (self);
  return ret;
}

/* Waits until the socket can be read, or written to when releases are
 * queued, or releases come in, or unlock(). Sets @readable when there is
 * something to read (or the connection ended). */
static GstFlowReturn
gst_unix_socket_src_poll (GstUnixSocketSrc * self, gboolean * readable)
{
  struct pollfd pfd[3];

  *readable = FALSE;

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
      return GST_FLOW_OK;
    GST_ELEMENT_ERROR (self, RESOURCE, READ, (NULL), ("poll failed: %s",
            g_strerror (errno)));
    return GST_FLOW_ERROR;
  }

  /* releases from now on are taken before the next poll() */
  gst_fdpass_release_channel_woke (self->channel);

  if (g_cancellable_is_cancelled (self->cancellable))
    return GST_FLOW_FLUSHING;

  *readable = (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_unix_socket_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (psrc);
  GstFlowReturn ret;

  *outbuf = NULL;

  for (;;) {
    gboolean readable;
    gint close_errno;

    if (!self->waiting_for_caps) {
      ret = gst_unix_socket_src_pop_pending (self, outbuf);
      if (ret != GST_FLOW_OK || *outbuf)
        return ret;
    }

    if (g_cancellable_is_cancelled (self->cancellable))
      return GST_FLOW_FLUSHING;

    if (self->sock < 0) {
      ret = gst_unix_socket_src_connect (self);
      if (ret != GST_FLOW_OK)
        return ret;
    }

    if (self->next_message &&
        gst_buffer_get_size (self->next_message) < self->next_message_size)
      gst_clear_buffer (&self->next_message);
    if (self->next_message == NULL)
      self->next_message =
          gst_buffer_new_allocate (NULL, self->next_message_size, NULL);

    ret = gst_unix_socket_src_poll (self, &readable);
    if (ret != GST_FLOW_OK)
      return ret;
    if (!readable)
      continue;

    ret = gst_unix_socket_src_read (self, &close_errno);
    if (ret == GST_FLOW_EOS)
      ret = gst_unix_socket_src_connection_ended (self, close_errno);
    else if (ret != GST_FLOW_OK)
      gst_unix_socket_src_disconnect (self);

    if (ret != GST_FLOW_OK)
      return ret;
  }
}

/* GstBaseSrc */

static gboolean
gst_unix_socket_src_start (GstBaseSrc * bsrc)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);
  GUnixSocketAddressType type;

  GST_OBJECT_LOCK (self);
  type = self->socket_type;
  GST_OBJECT_UNLOCK (self);

  if (type != G_UNIX_SOCKET_ADDRESS_PATH &&
      type != G_UNIX_SOCKET_ADDRESS_ABSTRACT) {
    GEnumClass *klass = g_type_class_ref (G_TYPE_UNIX_SOCKET_ADDRESS_TYPE);
    GEnumValue *value = g_enum_get_value (klass, type);

    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The socket-type \"%s\" is not supported: use \"path\" or "
            "\"abstract\".", value ? value->value_nick : "?"), (NULL));
    g_type_class_unref (klass);
    return FALSE;
  }

  if (!g_cancellable_make_pollfd (self->cancellable, &self->cancel_pollfd)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, (NULL),
        ("could not create a file descriptor to wake up the streaming "
            "thread"));
    return FALSE;
  }
  self->have_cancel_pollfd = TRUE;
  self->scratch = g_malloc (MAX (SEQPACKET_READ_SIZE, STREAM_READ_SIZE));
  self->next_message_size = GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE;
  self->connected_before = FALSE;
  self->waiting_for_caps = TRUE;
  gst_unix_socket_src_reset_scanner (self);

  GST_OBJECT_LOCK (self);
  self->n_bytes = self->n_reads = self->n_fds = 0;
  self->n_releases = self->n_reconnects = self->n_connect_failures = 0;
  GST_OBJECT_UNLOCK (self);

  return TRUE;
}

static gboolean
gst_unix_socket_src_stop (GstBaseSrc * bsrc)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);

  gst_unix_socket_src_disconnect (self);
  gst_unix_socket_src_clear_pending (self);
  gst_clear_buffer (&self->next_message);
  gst_clear_caps (&self->sender_caps);
  GST_OBJECT_LOCK (self);
  gst_clear_caps (&self->caps);
  GST_OBJECT_UNLOCK (self);
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

/* The caps come from the sender: once it sent them, those; before,
 * anything fdpass. */
static GstCaps *
gst_unix_socket_src_get_caps (GstBaseSrc * bsrc, GstCaps * filter)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);
  GstCaps *caps = NULL;

  GST_OBJECT_LOCK (self);
  if (self->caps)
    caps = gst_caps_ref (self->caps);
  GST_OBJECT_UNLOCK (self);

  if (caps == NULL)
    caps = gst_pad_get_pad_template_caps (GST_BASE_SRC_PAD (bsrc));

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (caps);
    caps = tmp;
  }

  return caps;
}

/* Nothing to choose: the caps are set when the sender's arrive, and only
 * set again here when downstream asks for a renegotiation. */
static gboolean
gst_unix_socket_src_negotiate (GstBaseSrc * bsrc)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (bsrc);
  GstCaps *caps = NULL;
  gboolean ret;

  GST_OBJECT_LOCK (self);
  if (self->caps)
    caps = gst_caps_ref (self->caps);
  GST_OBJECT_UNLOCK (self);

  if (caps == NULL)
    return TRUE;

  ret = gst_base_src_set_caps (bsrc, caps);
  gst_caps_unref (caps);
  return ret;
}

/* GObject */

/* Whether properties that start() reads may change now; warns if not.
 * Call with the object lock held. */
static gboolean
gst_unix_socket_src_may_change (GstUnixSocketSrc * self, GParamSpec * pspec)
{
  if (GST_STATE (self) <= GST_STATE_READY)
    return TRUE;

  GST_WARNING_OBJECT (self, "%s can only be changed in the NULL or READY "
      "state", g_param_spec_get_name (pspec));
  return FALSE;
}

static void
gst_unix_socket_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstUnixSocketSrc *self = GST_UNIX_SOCKET_SRC (object);

  switch (prop_id) {
    case PROP_PATH:
    case PROP_SOCKET_PATH:
      GST_OBJECT_LOCK (self);
      if (gst_unix_socket_src_may_change (self, pspec)) {
        g_free (self->path);
        self->path = g_value_dup_string (value);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SOCKET_TYPE:
      GST_OBJECT_LOCK (self);
      if (gst_unix_socket_src_may_change (self, pspec))
        self->socket_type = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FD:
      GST_OBJECT_LOCK (self);
      if (gst_unix_socket_src_may_change (self, pspec)) {
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
      self->retry_interval = g_value_get_uint64 (value);
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
    case PROP_SOCKET_PATH:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->path);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SOCKET_TYPE:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->socket_type);
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
      g_value_set_uint64 (value, self->retry_interval);
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
              "reconnects", G_TYPE_UINT64, self->n_reconnects,
              "connect-failures", G_TYPE_UINT64, self->n_connect_failures,
              NULL));
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
  g_byte_array_unref (self->caps_payload);
  g_object_unref (self->cancellable);
  gst_queue_array_free (self->pending);

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

  /**
   * GstUnixSocketSrc:socket-path:
   *
   * The Unix socket to connect to: a filesystem path, or with
   * #GstUnixSocketSrc:socket-type `abstract`, a name in the abstract
   * namespace. With the default socket type a leading '@' names an
   * abstract socket too, as #GstUnixSocketSrc:path always did.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SOCKET_PATH,
      g_param_spec_string ("socket-path", "Socket path",
          "The Unix socket to connect to: a filesystem path, or with "
          "socket-type=abstract a name in the abstract namespace. With "
          "socket-type=path, a leading '@' also names an abstract socket "
          "(\"@name\")", DEFAULT_SOCKET_PATH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_PATH,
      g_param_spec_string ("path", "Path",
          "Alias of socket-path, kept for existing scripts: setting either "
          "sets both", DEFAULT_SOCKET_PATH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstUnixSocketSrc:socket-type:
   *
   * What #GstUnixSocketSrc:socket-path names: `path`, a file (or an
   * `@name` in the abstract namespace), or `abstract`, a name in the
   * abstract namespace. Other types are refused when the element starts.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SOCKET_TYPE,
      g_param_spec_enum ("socket-type", "Socket type",
          "What socket-path names: path (a file, or @name for the abstract "
          "namespace) or abstract (a name in the abstract namespace); other "
          "types are refused", G_TYPE_UNIX_SOCKET_ADDRESS_TYPE,
          DEFAULT_SOCKET_TYPE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_FD,
      g_param_spec_int ("fd", "File descriptor",
          "A connected Unix stream or seqpacket socket to read from instead "
          "of connecting to socket-path, e.g. one inherited from the parent "
          "process (-1 = none). The element owns it from then on and closes "
          "it when the connection ends or the element stops; the property "
          "reads -1 once the socket is in use", -1, G_MAXINT, DEFAULT_FD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_RETRY,
      g_param_spec_int ("retry", "Retry",
          "How many more times to try connecting to socket-path when nobody "
          "listens there (-1 = keep trying, 0 = fail at once)", -1, G_MAXINT,
          DEFAULT_RETRY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSrc:retry-interval:
   *
   * Time between two attempts to connect, in nanoseconds. It was a number
   * of milliseconds (guint) before version 0.2.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_INTERVAL,
      g_param_spec_uint64 ("retry-interval", "Retry interval",
          "Time between two connection attempts, in nanoseconds (at least "
          "1 ms)", MIN_RETRY_INTERVAL, G_MAXUINT64, DEFAULT_RETRY_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_RECONNECT,
      g_param_spec_boolean ("reconnect", "Reconnect",
          "When the sender closes the connection without an EOS message, "
          "post a warning and connect to socket-path again (following "
          "retry) instead of failing with an error", DEFAULT_RECONNECT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live",
          "Act as a live source", DEFAULT_IS_LIVE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSrc:stats:
   *
   * Counters since the element started, all #guint64: `bytes` read,
   * `reads` (recvmsg calls that returned data), `fds` received,
   * `releases-sent` (buffer ids released to the sender), `reconnects`
   * (connections after the first) and `connect-failures` (attempts to
   * connect that failed).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since the element started (guint64): bytes (read), reads "
          "(recvmsg calls that returned data), fds (received), releases-sent "
          "(buffer ids released to the sender), reconnects (connections "
          "after the first), connect-failures (failed connection attempts)",
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
  basesrc_class->get_caps = GST_DEBUG_FUNCPTR (gst_unix_socket_src_get_caps);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_unix_socket_src_negotiate);

  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_unix_socket_src_create);

  GST_DEBUG_CATEGORY_INIT (gst_unix_socket_src_debug, "unixsocketsrc", 0,
      "Unix socket source");
}

static void
gst_unix_socket_src_init (GstUnixSocketSrc * self)
{
  self->path = g_strdup (DEFAULT_SOCKET_PATH);
  self->socket_type = DEFAULT_SOCKET_TYPE;
  self->fd = DEFAULT_FD;
  self->retry = DEFAULT_RETRY;
  self->retry_interval = DEFAULT_RETRY_INTERVAL;
  self->reconnect = DEFAULT_RECONNECT;
  self->sock = -1;
  self->cancellable = g_cancellable_new ();
  self->caps_payload = g_byte_array_new ();
  g_queue_init (&self->out_queue);
  self->pending = gst_queue_array_new (4);
}
