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
 * SECTION:element-fdpay
 * @title: fdpay
 * @see_also: fddepay, multisocketsink, socketsrc
 *
 * fdpay turns every buffer into a small message whose memory travels as
 * file descriptors: the message bytes describe the buffer (timestamps,
 * flags, video meta, which part of which file holds each memory) and the
 * file descriptors ride on the message buffer in a
 * #GstNetControlMessageMeta, which #multisocketsink sends as SCM_RIGHTS
 * ancillary data over a Unix socket. #fddepay in the receiving process
 * turns the messages back into buffers that map the same pages.
 *
 * fdpay answers the ALLOCATION query with a #GstTmpFileAllocator and a video
 * buffer pool using it, so decoders write their frames straight into
 * memfds.
 *
 * A decoder may still copy a frame once on its way to fdpay. avdec
 * (GStreamer 1.22 to 1.29 at least) keeps each frame mapped for writing for
 * as long as libav references it, and #GstVideoDecoder makes every output
 * buffer writable before pushing it: a reference frame is then held twice,
 * and its memory, locked for writing, cannot be shared by the second
 * buffer, so gst_buffer_copy_into() copies it with gst_memory_copy(). That
 * copy is allocated by the allocator of the memory copied, fdpay's, so it
 * is a memfd that fdpay sends as it is: one copy of each frame libav still
 * references when it is output (28 of 30 frames of an H.264 stream without
 * B-frames), never two. fdpay cannot take the pool's memory instead: the
 * decoder that holds it mapped for writing may write it again, and a frame
 * must not change while a receiver maps it.
 *
 * Memory that has been sent is never written again while a receiver may
 * map it. So fdpay sends memory backed by a file descriptor (#GstFdMemory:
 * memfds, temporary files, DMA buffers) without a copy only when it can
 * vouch for that:
 *
 * - the memory is of the pool fdpay proposed, which never hands out again
 *   a buffer that a receiver may still map;
 * - or it is in no pool, no other buffer holds it, and no allocator keeps
 *   it for reuse once freed (the #GstTmpFileAllocator does not keep memory
 *   that a receiver may still map);
 * - or #GstFdPay:zero-copy-foreign-pools is set, at the user's risk.
 *
 * Anything else, memory of another pool (a hardware decoder's, say) even
 * when the sink downstream reports releases, is copied once into a memfd.
 *
 * Receivers cannot write what they get: fdpay passes a file descriptor
 * opened read-only on the file (once per file, kept with the memory), so
 * a receiver cannot map it writable nor write() it. The memfds of the
 * #GstTmpFileAllocator are also sealed with F_SEAL_FUTURE_WRITE (Linux 5.1
 * and later), so that even a receiver that opens `/proc/self/fd/N` again
 * for writing cannot write them, while fdpay's upstream keeps writing its
 * next frames through the mapping it already has. Other files are only
 * protected by the read-only file descriptor. A DMA buffer cannot be
 * opened again and is passed with the access mode its exporter gave it.
 *
 * With a #multisocketsink downstream, frames are reused too when its
 * #GstMultiSocketSink:send-messages is %TRUE and so is that of the
 * receivers' #socketsrc: #fddepay then sends its releases upstream, the
 * socket carries them back, and fdpay follows the sink's clients (through
 * its signals) to reuse a frame once every client that may map it released
 * it. A client that does not release (no send-messages) gets frames that
 * are never reused, as does everybody while it is connected.
 *
 * Memory does not pile up: the pool fdpay proposes keeps at most eight free
 * buffers (or its minimum, when larger) and frees the others when they come
 * back, and with a sink that reports releases the allocator keeps at most
 * four freed memfds for reuse. `memfds-alive` in
 * #GstFdPay:stats tells how many memfds fdpay's allocator holds.
 *
 * The caps travel in-band as a message before the first buffer and on every
 * change, and also as `streamheader` on the source caps, so that
 * #multisocketsink sends them to every client that joins later. So does the
 * input segment (in time format): #fddepay gives its buffers the same
 * segment, and the receiver computes the sender's stream time and running
 * time from the same timestamps.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! fdpay ! fddepay ! autovideosink
 * ]| A loop-back in one process.
 *
 * Between two processes, create a socketpair, add one end to
 * #multisocketsink with the #GstMultiSocketSink::add signal and give the
 * other one to #socketsrc (see `examples/fdpass-two-process.c`), with
 * send-messages=true on both so that frames are recycled:
 * |[
 * ... ! fdpay ! multisocketsink send-messages=true sync=false
 * socketsrc send-messages=true ! fddepay ! ...
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstfdpay.h"
#include "gstfdpaypool.h"
#include "gstfdpaypeers.h"
#include "gstfdpasselements.h"
#include "gstfdpassquery.h"

#include <gst/fdpass/fdpass.h>
#include <gst/allocators/allocators.h>
#include <gst/net/net.h>
#include <gst/video/video.h>
#include <gio/gunixfdmessage.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

GST_DEBUG_CATEGORY_STATIC (gst_fd_pay_debug);
#define GST_CAT_DEFAULT gst_fd_pay_debug

struct _GstFdPay
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GstAllocator *allocator;

  /* streaming thread only */
  GstCaps *caps;
  /* room for the next buffer message, made once the previous frame went
   * out, so that the allocation is not part of a frame's latency, at the
   * size of that frame's message: the next one is usually as large */
  GstBuffer *next_msg;
  gsize next_msg_size;
  GstBuffer *hello_msg;
  GstBuffer *caps_msg;
  GstBuffer *segment_msg;
  gboolean headers_pending;
  guint64 next_id;
  /* downstream keeps each message until every receiver released it, and
   * how many frames a receiver holds at most */
  gboolean downstream_releases;
  guint downstream_max_pending;
  /* of the input, to send the stream time of each buffer */
  GstSegment segment;

  /* a multisocketsink downstream that hands us what its clients write
   * (send-messages), the handlers we connected to it, and its clients;
   * set from the streaming and state change threads, @peers read under
   * the object lock by the thread of the sink's events */
  GstElement *watched_sink;
  gulong watch_handlers[4];
  GstFdPayPeers *peers;

  /* of the current caps: the frames go inline (payload=inline) */
  gboolean inline_payload;

  /* protected by the object lock */
  gboolean zero_copy_foreign_pools;
  GstFdPayPayload payload;
  guint64 wait_for_release;
  guint64 n_buffers;
  guint64 n_bytes;
  guint64 n_copies;
  guint64 n_zero_copy;
  guint64 n_inline;
  guint64 n_files_reused;
};

enum
{
  PROP_0,
  PROP_ZERO_COPY_FOREIGN_POOLS,
  PROP_STATS,
  PROP_PAYLOAD,
  PROP_WAIT_FOR_RELEASE,
};

#define DEFAULT_ZERO_COPY_FOREIGN_POOLS FALSE
#define DEFAULT_PAYLOAD GST_FD_PAY_PAYLOAD_FD
#define DEFAULT_WAIT_FOR_RELEASE 0

GType
gst_fd_pay_payload_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_FD_PAY_PAYLOAD_FD, "The frames stay in shared memory: messages "
          "pass file descriptors (one machine, Unix sockets)", "fd"},
    {GST_FD_PAY_PAYLOAD_INLINE, "The bytes of each frame follow its message "
          "(any byte stream: TCP, SRT, pipes)", "inline"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstFdPayPayload", values);

    g_once_init_leave (&type, t);
  }

  return type;
}

/* What we know of the file of an fd memory, kept on the memory that owns
 * the file (not on shares of it): pooled and recycled memories come back
 * with every frame, their file does not change. */
typedef struct
{
  GstFdPassFdInfo info;
  /* the fd that messages pass: one opened read-only on the same file, or
   * the memory's own fd where the file cannot be opened again (see
   * gst_fd_pay_file_get_fd()) */
  gint fd;
  /* whether @fd is ours to close */
  gboolean own_fd;
  /* a control message holding @fd, made once, for messages with this file
   * only (see gst_fd_pay_memory_control_message()). It owns our read-only
   * fd once made, or holds a duplicate of the memory's fd. */
  GSocketControlMessage *cmsg;
  gboolean fd_in_cmsg;
  /* a message passed the file already: sending it again is a reuse */
  gboolean sent;
} GstFdPayFile;

static GQuark file_quark;
/* two elements (after a tee) may look up the same memory at once */
G_LOCK_DEFINE_STATIC (file_lock);

static void
gst_fd_pay_file_free (GstFdPayFile * file)
{
  /* closes the read-only fd when it holds it, or once a sink that still
   * holds the message lets go of it */
  g_clear_object (&file->cmsg);
  if (file->own_fd)
    close (file->fd);
  g_free (file);
}

/* The fd to pass for @file, or -1 when a receiver in this process took it
 * out of the shared control message (which only a sink that sends the fds
 * of the message as they are may be given). */
static gint
gst_fd_pay_file_get_fd (const GstFdPayFile * file)
{
  GUnixFDList *list;
  const gint *fds;
  gint n_fds;

  if (!file->fd_in_cmsg)
    return file->fd;

  list = g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (file->cmsg));
  fds = g_unix_fd_list_peek_fds (list, &n_fds);

  return n_fds == 1 ? fds[0] : -1;
}

/* freed memfds kept for reuse when receivers release frames (the copy
 * path): a frame goes back to the cache when released and out again with
 * the next one, so one or two are enough for a steady stream, a few more
 * absorb jitter. The rest of a burst is closed as it comes back. */
#define RELEASE_MAX_CACHED 4

/* frames waiting for the releases of multisocketsink's clients: more than
 * a receiver holds in a steady stream (one or two), fewer than the free
 * buffers fdpay's pool keeps; older ones are exported */
#define PEERS_MAX_PENDING 8

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-fdpass"));

static GstStaticCaps preferred_caps =
GST_STATIC_CAPS ("video/x-raw, format = (string) { NV12, I420 }");

#define gst_fd_pay_parent_class parent_class
G_DEFINE_TYPE (GstFdPay, gst_fd_pay, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fdpay, "fdpay", GST_RANK_NONE,
    GST_TYPE_FD_PAY, fdpass_element_init (plugin));

static void
gst_fd_pay_reset (GstFdPay * self)
{
  gst_clear_caps (&self->caps);
  gst_clear_buffer (&self->next_msg);
  self->next_msg_size = GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE;
  gst_clear_buffer (&self->hello_msg);
  gst_clear_buffer (&self->caps_msg);
  gst_clear_buffer (&self->segment_msg);
  self->headers_pending = FALSE;
  self->downstream_releases = FALSE;
  self->downstream_max_pending = 0;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  /* cached memories keep the allocator alive, and nobody releases them
   * any more */
  g_object_set (self->allocator, "max-cached", 0, NULL);
}

static GstStructure *
gst_fd_pay_get_stats (GstFdPay * self)
{
  GstStructure *s;
  guint64 created = 0, freed = 0, alive = 0;

  g_object_get (self->allocator, "files-created", &created, "files-freed",
      &freed, "files-alive", &alive, NULL);

  GST_OBJECT_LOCK (self);
  s = gst_structure_new ("application/x-fdpay-stats",
      "buffers", G_TYPE_UINT64, self->n_buffers,
      "bytes", G_TYPE_UINT64, self->n_bytes,
      "copies", G_TYPE_UINT64, self->n_copies,
      "zero-copy-buffers", G_TYPE_UINT64, self->n_zero_copy,
      "inline-buffers", G_TYPE_UINT64, self->n_inline,
      "memfds-created", G_TYPE_UINT64, created,
      "memfds-reused", G_TYPE_UINT64, self->n_files_reused,
      "memfds-freed", G_TYPE_UINT64, freed,
      "memfds-alive", G_TYPE_UINT64, alive, NULL);
  GST_OBJECT_UNLOCK (self);

  return s;
}

/* Our caps: the header messages (hello, caps and, once there is one,
 * segment) as streamheader. They also go out in-band before the next
 * buffer. */
static gboolean
gst_fd_pay_update_src_caps (GstFdPay * self)
{
  GstBuffer *headers[] = { self->hello_msg, self->caps_msg, self->segment_msg };
  GValue array = G_VALUE_INIT;
  GValue value = G_VALUE_INIT;
  GstCaps *srccaps;
  gboolean ret;
  guint i;

  g_value_init (&array, GST_TYPE_ARRAY);
  g_value_init (&value, GST_TYPE_BUFFER);
  for (i = 0; i < G_N_ELEMENTS (headers) && headers[i]; i++) {
    gst_value_set_buffer (&value, headers[i]);
    gst_value_array_append_value (&array, &value);
  }
  g_value_unset (&value);

  srccaps = gst_caps_new_empty_simple ("application/x-fdpass");
  gst_structure_take_value (gst_caps_get_structure (srccaps, 0),
      "streamheader", &array);
  ret = gst_pad_set_caps (self->srcpad, srccaps);
  gst_caps_unref (srccaps);

  self->headers_pending = TRUE;

  return ret;
}

static void
on_sink_add (GstElement * sink, GSocket * socket, GstFdPayPeers * peers)
{
  gst_fd_pay_peers_add (peers, socket);
}

static void
on_sink_add_full (GstElement * sink, GSocket * socket, gint sync_method,
    gint min_format, guint64 min_value, gint max_format, guint64 max_value,
    GstFdPayPeers * peers)
{
  gst_fd_pay_peers_add (peers, socket);
}

static void
on_sink_client_socket_removed (GstElement * sink, GSocket * socket,
    GstFdPayPeers * peers)
{
  gst_fd_pay_peers_remove (peers, socket);
}

static void
peers_closure_notify (gpointer data, GClosure * closure)
{
  gst_fd_pay_peers_unref (data);
}

static void
gst_fd_pay_unwatch_sink (GstFdPay * self)
{
  GstFdPayPeers *peers;
  guint i;

  if (self->watched_sink == NULL)
    return;

  for (i = 0; i < G_N_ELEMENTS (self->watch_handlers); i++) {
    if (self->watch_handlers[i])
      g_signal_handler_disconnect (self->watched_sink, self->watch_handlers[i]);
    self->watch_handlers[i] = 0;
  }
  gst_clear_object (&self->watched_sink);

  GST_OBJECT_LOCK (self);
  peers = g_steal_pointer (&self->peers);
  GST_OBJECT_UNLOCK (self);
  gst_fd_pay_peers_close (peers);
  gst_fd_pay_peers_unref (peers);
}

/* multisocketsink writes each message to its clients and drops it. With
 * send-messages=true it also reads what they write back (socketsrc
 * send-messages=true writes what fddepay sends upstream) and pushes it to
 * us in GstNetworkMessage events: then we learn which clients release
 * which frames, and their memory can be reused, as with unixsocketsink.
 * Clients are followed through the sink's signals: its action signals
 * "add" and "add-full" call our handlers before the sink has the client,
 * so that no frame can reach a client we do not know of. Returns whether
 * the sink after us is such a multisocketsink. */
static gboolean
gst_fd_pay_watch_sink (GstFdPay * self)
{
  GType type = g_type_from_name ("GstMultiSocketSink");
  GstElement *sink = NULL;
  GstFdPayPeers *peers;
  gboolean send_messages = FALSE;
  guint n_clients = 0;
  GstPad *peer;

  peer = gst_pad_get_peer (self->srcpad);
  if (peer) {
    sink = gst_pad_get_parent_element (peer);
    gst_object_unref (peer);
  }
  if (sink && type && g_type_is_a (G_OBJECT_TYPE (sink), type))
    g_object_get (sink, "send-messages", &send_messages, NULL);
  if (!send_messages)
    gst_clear_object (&sink);

  if (sink && sink == self->watched_sink) {
    gst_object_unref (sink);
    return TRUE;
  }

  gst_fd_pay_unwatch_sink (self);
  if (sink == NULL)
    return FALSE;

  /* clients it has already cannot be told apart from later ones: while
   * they are there, no frame is reused */
  g_object_get (sink, "num-handles", &n_clients, NULL);
  GST_DEBUG_OBJECT (self, "reading the releases of %" GST_PTR_FORMAT
      "'s clients (%u already there)", sink, n_clients);
  peers = gst_fd_pay_peers_new (PEERS_MAX_PENDING, n_clients);

  self->watch_handlers[0] = g_signal_connect_data (sink, "add",
      G_CALLBACK (on_sink_add), gst_fd_pay_peers_ref (peers),
      peers_closure_notify, 0);
  self->watch_handlers[1] = g_signal_connect_data (sink, "add-full",
      G_CALLBACK (on_sink_add_full), gst_fd_pay_peers_ref (peers),
      peers_closure_notify, 0);
  /* clients a subclass adds by itself */
  self->watch_handlers[2] = g_signal_connect_data (sink, "client-added",
      G_CALLBACK (on_sink_add), gst_fd_pay_peers_ref (peers),
      peers_closure_notify, 0);
  self->watch_handlers[3] = g_signal_connect_data (sink,
      "client-socket-removed", G_CALLBACK (on_sink_client_socket_removed),
      gst_fd_pay_peers_ref (peers), peers_closure_notify, 0);
  self->watched_sink = sink;

  GST_OBJECT_LOCK (self);
  self->peers = peers;
  GST_OBJECT_UNLOCK (self);

  return TRUE;
}

/* Stores new input caps and prepares the header messages (hello and caps)
 * that go out before the next buffer and as streamheader on our caps. */
static gboolean
gst_fd_pay_set_caps (GstFdPay * self, GstCaps * caps)
{
  GstFdPassHello hello = {
    GST_FDPASS_VERSION_MAJOR, GST_FDPASS_VERSION_MINOR,
    GST_FDPASS_FEATURE_NONE
  };
  GstQuery *query;
  GstBuffer *caps_msg;

  caps_msg = gst_fdpass_message_new_caps (caps);
  if (caps_msg == NULL) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The caps are too large to be sent."),
        ("caps larger than %u bytes: %" GST_PTR_FORMAT,
            GST_FDPASS_MAX_PAYLOAD, caps));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  self->inline_payload = self->payload == GST_FD_PAY_PAYLOAD_INLINE;
  GST_OBJECT_UNLOCK (self);

  /* frames on the wire are nobody's memory: nothing to release */
  if (self->inline_payload) {
    hello.features = GST_FDPASS_FEATURE_INLINE;
    self->downstream_releases = FALSE;
    self->downstream_max_pending = 0;
    gst_fd_pay_unwatch_sink (self);
    g_object_set (self->allocator, "max-cached", 0, NULL);
    goto headers;
  }

  /* with a sink that tells us when the receivers are done with a frame,
   * its memory can be reused afterwards */
  query = gst_fdpass_release_query_new ();
  self->downstream_releases = gst_pad_peer_query (self->srcpad, query) &&
      gst_fdpass_release_query_get_supported (query);
  self->downstream_max_pending = self->downstream_releases ?
      gst_fdpass_release_query_get_max_pending (query) : 0;
  gst_query_unref (query);
  GST_DEBUG_OBJECT (self, "downstream %s releases",
      self->downstream_releases ? "reports" : "does not report");
  if (self->downstream_releases) {
    gst_fd_pay_unwatch_sink (self);
    hello.features |= GST_FDPASS_FEATURE_RELEASE;
  } else if (gst_fd_pay_watch_sink (self)) {
    hello.features |= GST_FDPASS_FEATURE_RELEASE;
    self->downstream_max_pending = PEERS_MAX_PENDING;
  }
  g_object_set (self->allocator, "max-cached",
      (hello.features & GST_FDPASS_FEATURE_RELEASE) ? RELEASE_MAX_CACHED : 0,
      NULL);

headers:
  gst_clear_buffer (&self->hello_msg);
  gst_clear_buffer (&self->caps_msg);
  self->hello_msg = gst_fdpass_message_new_hello (&hello);
  self->caps_msg = caps_msg;
  GST_BUFFER_FLAG_SET (self->hello_msg, GST_BUFFER_FLAG_HEADER);
  GST_BUFFER_FLAG_SET (self->caps_msg, GST_BUFFER_FLAG_HEADER);

  gst_caps_replace (&self->caps, caps);

  return gst_fd_pay_update_src_caps (self);
}

/* A new segment: its message goes out before the next buffer, and in the
 * streamheader for receivers that join later. */
static gboolean
gst_fd_pay_set_segment (GstFdPay * self, const GstSegment * segment)
{
  GstBuffer *msg = gst_fdpass_message_new_segment (segment);

  if (msg == NULL) {
    /* not in time: the receiver makes its own segment */
    GST_DEBUG_OBJECT (self, "not sending a segment in %s format",
        gst_format_get_name (segment->format));
  } else if (self->segment_msg && fdpass_buffers_equal (self->segment_msg, msg)) {
    gst_buffer_unref (msg);
    return TRUE;
  } else {
    GST_BUFFER_FLAG_SET (msg, GST_BUFFER_FLAG_HEADER);
  }

  gst_clear_buffer (&self->segment_msg);
  self->segment_msg = msg;

  /* before caps, the caps event sets the streamheader */
  if (self->caps == NULL)
    return TRUE;

  return gst_fd_pay_update_src_caps (self);
}

static GstFlowReturn
gst_fd_pay_push_headers (GstFdPay * self)
{
  GstFlowReturn ret;

  GST_DEBUG_OBJECT (self, "pushing the header messages");

  self->headers_pending = FALSE;
  ret = gst_pad_push (self->srcpad, gst_buffer_ref (self->hello_msg));
  if (ret == GST_FLOW_OK)
    ret = gst_pad_push (self->srcpad, gst_buffer_ref (self->caps_msg));
  if (ret == GST_FLOW_OK && self->segment_msg)
    ret = gst_pad_push (self->srcpad, gst_buffer_ref (self->segment_msg));

  return ret;
}

/* the memory that owns the file of @mem: shares have their parent's */
static GstMemory *
root_memory (GstMemory * mem)
{
  while (mem->parent)
    mem = mem->parent;

  return mem;
}

/* A new read-only file description of the file behind @fd, whose identity
 * is @st, or -1 when @fd is to be passed as it is: it is read-only already,
 * or the file cannot be opened again (a DMA buffer, whose anonymous inode
 * refuses it). A receiver cannot write a file through a read-only fd; a
 * memfd of GstTmpFileAllocator also refuses writes through the fd that a
 * receiver opens itself from it, because of its F_SEAL_FUTURE_WRITE. */
static gint
gst_fd_pay_open_read_only (GstFdPay * self, gint fd, const struct stat *st)
{
  gchar path[32];
  struct stat ro_st;
  gint flags, ro;

  flags = fcntl (fd, F_GETFL);
  if (flags >= 0 && (flags & O_ACCMODE) == O_RDONLY)
    return -1;

  g_snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
  do {
    ro = open (path, O_RDONLY | O_CLOEXEC);
  } while (ro < 0 && errno == EINTR);

  if (ro < 0) {
    GST_DEBUG_OBJECT (self, "cannot open fd %d again read-only (%s), "
        "passing it with the access mode it has", fd, g_strerror (errno));
    return -1;
  }

  /* where /proc is not the proc file system of this process */
  if (fstat (ro, &ro_st) < 0 || ro_st.st_dev != st->st_dev ||
      ro_st.st_ino != st->st_ino) {
    GST_DEBUG_OBJECT (self, "%s is not the file of fd %d, passing the fd "
        "with the access mode it has", path, fd);
    close (ro);
    return -1;
  }

  return ro;
}

/* What we know of the file of fd memory @mem, found the first time only,
 * or %NULL when it cannot be sent. */
static const GstFdPayFile *
gst_fd_pay_memory_get_file (GstFdPay * self, GstMemory * mem)
{
  GstMiniObject *owner = GST_MINI_OBJECT_CAST (root_memory (mem));
  GstFdPayFile *file;
  struct stat st;
  gint fd;

  G_LOCK (file_lock);
  file = gst_mini_object_get_qdata (owner, file_quark);
  if (file)
    goto done;

  fd = gst_fd_memory_get_fd (mem);
  if (fd < 0 || fstat (fd, &st) < 0)
    goto done;

  file = g_new0 (GstFdPayFile, 1);
  if (gst_is_dmabuf_memory (mem)) {
    file->info.kind = GST_FDPASS_FD_KIND_DMABUF;
  } else if (S_ISREG (st.st_mode)) {
    file->info.kind = GST_FDPASS_FD_KIND_FILE;
  } else {
    GST_LOG_OBJECT (self, "fd %d of memory %p is not a regular file", fd, mem);
    g_clear_pointer (&file, g_free);
    goto done;
  }
  file->info.dev = st.st_dev;
  file->info.ino = st.st_ino;
  /* informational: a memfd keeps its size, sealed or not */
  file->info.size = st.st_size;

  file->fd = gst_fd_pay_open_read_only (self, fd, &st);
  file->own_fd = file->fd >= 0;
  if (!file->own_fd)
    file->fd = fd;

  gst_mini_object_set_qdata (owner, file_quark, file,
      (GDestroyNotify) gst_fd_pay_file_free);

done:
  G_UNLOCK (file_lock);
  return file;
}

/* Notes that a message passes the file of @mem, which was looked up with
 * gst_fd_pay_memory_get_file(). Returns whether one did before. */
static gboolean
gst_fd_pay_memory_mark_sent (GstMemory * mem)
{
  GstFdPayFile *file;
  gboolean sent;

  G_LOCK (file_lock);
  file = gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (root_memory (mem)),
      file_quark);
  sent = file->sent;
  file->sent = TRUE;
  G_UNLOCK (file_lock);

  return sent;
}

/* May @mem of @buf be sent as it is? It must be backed by a file
 * descriptor that a receiver can map, and nobody may write it again while
 * a receiver may map it: the memory is of a pool of ours, which never
 * reuses what a receiver may hold, or nobody but @buf holds it and nothing
 * recycles it once freed (our allocator does not recycle what a receiver
 * may hold either), or the user accepted the risk with
 * zero-copy-foreign-pools. */
static gboolean
gst_fd_pay_memory_is_sendable (GstFdPay * self, GstBuffer * buf,
    GstMemory * mem, gboolean foreign_pools_ok)
{
  if (!gst_is_fd_memory (mem)) {
    GST_LOG_OBJECT (self, "memory %p of allocator %s is not fd-backed", mem,
        mem->allocator ? mem->allocator->mem_type : "(none)");
    return FALSE;
  }

  if (foreign_pools_ok)
    return TRUE;

  /* another pool reuses the memory once the buffer comes back, whatever
   * the receivers are doing with it */
  if (buf->pool) {
    if (GST_IS_FD_PAY_POOL (buf->pool))
      return TRUE;
    GST_LOG_OBJECT (self, "buffer %p comes from foreign pool %"
        GST_PTR_FORMAT, buf, buf->pool);
    return FALSE;
  }

  /* a copy of a buffer of our pool, sharing its memory */
  if (gst_fd_pay_pool_owns (mem))
    return TRUE;

  /* a copy of a pooled buffer has no pool but shares its memory with the
   * original, which its pool recycles once released. Only one buffer holds
   * memory that can be locked for writing. */
  if (!gst_memory_lock (mem, GST_LOCK_FLAG_WRITE)) {
    GST_LOG_OBJECT (self, "memory %p is shared with another buffer", mem);
    return FALSE;
  }
  gst_memory_unlock (mem, GST_LOCK_FLAG_WRITE);

  /* a dispose hook can keep the memory for reuse when we drop it, as a
   * pool would */
  if (GST_MINI_OBJECT_CAST (mem)->dispose && !gst_is_tmp_file_memory (mem)) {
    GST_LOG_OBJECT (self, "memory %p of allocator %s may be recycled by "
        "its allocator", mem, mem->allocator->mem_type);
    return FALSE;
  }

  return TRUE;
}

/* The fd table index of the file of fd memory @mem, added when new, or -1.
 * @fds gets the fd to pass for each file, @mems the first memory of each
 * file. */
static gint
find_or_add_fd (GstFdPay * self, GstFdPassBufferInfo * info, gint * fds,
    GstMemory ** mems, GstMemory * mem)
{
  const GstFdPayFile *file;
  gint fd = gst_fd_memory_get_fd (mem);
  guint i;

  for (i = 0; i < info->n_fds; i++) {
    if (gst_fd_memory_get_fd (mems[i]) == fd)
      return i;
  }

  if (info->n_fds >= GST_FDPASS_MAX_FDS)
    return -1;

  file = gst_fd_pay_memory_get_file (self, mem);
  if (file == NULL)
    return -1;

  info->fds[i] = file->info;
  G_LOCK (file_lock);
  fds[i] = gst_fd_pay_file_get_fd (file);
  G_UNLOCK (file_lock);
  if (fds[i] < 0)
    return -1;
  mems[i] = mem;
  info->n_fds++;
  return i;
}

/* Describes the memories of @buf as they are. Returns FALSE when any of them
 * cannot be sent without a copy. */
static gboolean
gst_fd_pay_describe_zero_copy (GstFdPay * self, GstBuffer * buf,
    GstFdPassBufferInfo * info, gint * fds, GstMemory ** mems)
{
  gboolean foreign_pools_ok;
  guint i, n;

  /* not even when downstream reports releases: a foreign pool reuses the
   * memory as soon as the message lets go of the buffer, and a receiver
   * that does not release, or disconnects while holding the frame, still
   * maps it then */
  GST_OBJECT_LOCK (self);
  foreign_pools_ok = self->zero_copy_foreign_pools;
  GST_OBJECT_UNLOCK (self);

  n = gst_buffer_n_memory (buf);
  if (n > GST_FDPASS_MAX_MEMORIES)
    return FALSE;

  info->n_fds = 0;
  info->n_memories = 0;
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, i);
    gint idx;

    if (mem->size == 0)
      continue;

    if (!gst_fd_pay_memory_is_sendable (self, buf, mem, foreign_pools_ok))
      return FALSE;

    idx = find_or_add_fd (self, info, fds, mems, mem);
    if (idx < 0)
      return FALSE;

    /* a GstFdMemory maps its file from offset 0, so the memory offset is
     * the offset in the file */
    info->memories[info->n_memories].fd_index = idx;
    info->memories[info->n_memories].offset = mem->offset;
    info->memories[info->n_memories].size = mem->size;
    info->n_memories++;
  }

  return TRUE;
}

/* Copies @buf into one new memfd. Returns the memory, whose fd is the only
 * one of the message. */
static GstMemory *
gst_fd_pay_copy_into_memfd (GstFdPay * self, GstBuffer * buf,
    GstFdPassBufferInfo * info, gint * fds, GstMemory ** mems)
{
  GstMemory *mem;
  GstMapInfo map;
  gsize size = gst_buffer_get_size (buf);

  mem = gst_allocator_alloc (self->allocator, size, NULL);
  if (mem == NULL)
    return NULL;

  if (!gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    gst_memory_unref (mem);
    return NULL;
  }
  gst_buffer_extract (buf, 0, map.data, size);
  gst_memory_unmap (mem, &map);

  info->n_fds = 0;
  info->n_memories = 0;
  if (find_or_add_fd (self, info, fds, mems, mem) != 0) {
    gst_memory_unref (mem);
    return NULL;
  }
  info->memories[0].fd_index = 0;
  info->memories[0].offset = mem->offset;
  info->memories[0].size = mem->size;
  info->n_memories = 1;

  return mem;
}

/* A control message with a duplicate of each of the @n_fds @fds. */
static GSocketControlMessage *
control_message_new (const gint * fds, guint n_fds, GError ** err)
{
  GUnixFDList *fd_list = g_unix_fd_list_new ();
  GSocketControlMessage *cmsg;
  guint i;

  for (i = 0; i < n_fds; i++) {
    if (g_unix_fd_list_append (fd_list, fds[i], err) < 0) {
      g_object_unref (fd_list);
      return NULL;
    }
  }
  cmsg = g_unix_fd_message_new_with_fd_list (fd_list);
  g_object_unref (fd_list);

  return cmsg;
}

/* The control message of a message whose only file is that of @mem, made
 * once for the life of the file. Only for a sink that answers the release
 * query (unixsocketsink): it sends the fds of the message as they are,
 * where a receiver in this process (fddepay) would take them out of the
 * message, which is then shared with every later frame of @mem. */
static GSocketControlMessage *
gst_fd_pay_memory_control_message (GstMemory * mem, GError ** err)
{
  GstFdPayFile *file;
  GSocketControlMessage *cmsg;

  G_LOCK (file_lock);
  file = gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (root_memory (mem)),
      file_quark);
  g_assert (file != NULL);
  if (file->cmsg == NULL && file->own_fd) {
    GUnixFDList *list = g_unix_fd_list_new_from_array (&file->fd, 1);

    /* the message takes our read-only fd: no third fd for the file */
    file->cmsg = g_unix_fd_message_new_with_fd_list (list);
    g_object_unref (list);
    file->own_fd = FALSE;
    file->fd_in_cmsg = TRUE;
  } else if (file->cmsg == NULL) {
    file->cmsg = control_message_new (&file->fd, 1, err);
  }
  cmsg = file->cmsg ? g_object_ref (file->cmsg) : NULL;
  G_UNLOCK (file_lock);

  return cmsg;
}

/* The id, timestamps, offsets, flags, stream time and video meta of @buf
 * into @info; its memories are the caller's to describe. */
static void
gst_fd_pay_describe_buffer (GstFdPay * self, GstBuffer * buf,
    GstFdPassBufferInfo * info)
{
  GstVideoMeta *vmeta;

  info->id = self->next_id++;
  info->pts = GST_BUFFER_PTS (buf);
  info->dts = GST_BUFFER_DTS (buf);
  info->duration = GST_BUFFER_DURATION (buf);
  info->offset = GST_BUFFER_OFFSET (buf);
  info->offset_end = GST_BUFFER_OFFSET_END (buf);
  info->flags = GST_BUFFER_FLAGS (buf);
  if (self->segment.format == GST_FORMAT_TIME) {
    info->stream_time = gst_segment_to_stream_time (&self->segment,
        GST_FORMAT_TIME, info->pts);
    info->has_stream_time = GST_CLOCK_TIME_IS_VALID (info->stream_time);
  }

  vmeta = gst_buffer_get_video_meta (buf);
  if (vmeta && !gst_fdpass_buffer_info_set_video_meta (info, vmeta))
    GST_WARNING_OBJECT (self, "cannot describe video meta, dropping it");
}

/* The buffer message of @info, with the timestamps of @buf for the sink */
static GstBuffer *
gst_fd_pay_message_new (GstFdPay * self, GstBuffer * buf,
    const GstFdPassBufferInfo * info)
{
  GstBuffer *msg = NULL;
  GstMapInfo map;

  if (self->next_msg && gst_buffer_map (self->next_msg, &map, GST_MAP_WRITE)) {
    gsize size = gst_fdpass_buffer_info_write (info, map.data, map.size);

    gst_buffer_unmap (self->next_msg, &map);
    if (size > 0) {
      msg = g_steal_pointer (&self->next_msg);
      if (size != map.size)
        gst_buffer_set_size (msg, size);
    } else {
      /* too small for this one */
      gst_clear_buffer (&self->next_msg);
    }
  }
  if (msg == NULL)
    msg = gst_fdpass_message_new_buffer (info);
  self->next_msg_size = gst_buffer_get_size (msg);

  GST_BUFFER_PTS (msg) = info->pts;
  GST_BUFFER_DTS (msg) = info->dts;
  GST_BUFFER_DURATION (msg) = info->duration;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    GST_BUFFER_FLAG_SET (msg, GST_BUFFER_FLAG_DISCONT);

  return msg;
}

/* The bytes of an inline frame: the memories of the input buffer, mapped
 * for as long as the message lives, without a copy. The input buffer goes
 * back to its pool once the sink wrote the message. */
typedef struct
{
  gint refcount;
  GstBuffer *buf;
  guint n_maps;
  GstMapInfo maps[GST_FDPASS_MAX_MEMORIES];
} GstFdPayInlineData;

static void
inline_data_unref (gpointer data)
{
  GstFdPayInlineData *d = data;
  guint i;

  if (!g_atomic_int_dec_and_test (&d->refcount))
    return;

  for (i = 0; i < d->n_maps; i++)
    gst_memory_unmap (d->maps[i].memory, &d->maps[i]);
  gst_buffer_unref (d->buf);
  g_free (d);
}

/* payload=inline: the message, then the bytes of the buffer. */
static GstFlowReturn
gst_fd_pay_push_inline (GstFdPay * self, GstBuffer * buf)
{
  GstFdPassBufferInfo info;
  GstFdPayInlineData *data;
  GstBuffer *msg;
  guint64 offset = 0;
  guint i, n;

  memset (&info, 0, sizeof (info));
  n = gst_buffer_n_memory (buf);
  if (n > GST_FDPASS_MAX_MEMORIES) {
    /* merges them, with a copy */
    GstBuffer *merged = gst_buffer_new ();

    gst_buffer_copy_into (merged, buf, GST_BUFFER_COPY_METADATA, 0, -1);
    gst_buffer_append_memory (merged, gst_buffer_get_all_memory (buf));
    gst_buffer_unref (buf);
    buf = merged;
    n = 1;
  }

  data = g_new0 (GstFdPayInlineData, 1);
  data->refcount = 1;
  data->buf = buf;
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, i);
    GstMapInfo *map = &data->maps[data->n_maps];

    if (mem->size == 0)
      continue;
    if (!gst_memory_map (mem, map, GST_MAP_READ)) {
      inline_data_unref (data);
      GST_ELEMENT_ERROR (self, RESOURCE, READ, (NULL),
          ("could not map memory %u of the buffer for reading", i));
      return GST_FLOW_ERROR;
    }
    data->n_maps++;

    info.memories[info.n_memories].fd_index = GST_FDPASS_INLINE_FD_INDEX;
    info.memories[info.n_memories].offset = offset;
    info.memories[info.n_memories].size = map->size;
    info.n_memories++;
    offset += map->size;
  }

  gst_fd_pay_describe_buffer (self, buf, &info);
  msg = gst_fd_pay_message_new (self, buf, &info);
  /* a network sink that starts clients on a key unit: every raw frame is
   * one, but a delta unit of the input stays one */
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    GST_BUFFER_FLAG_SET (msg, GST_BUFFER_FLAG_DELTA_UNIT);

  for (i = 0; i < data->n_maps; i++) {
    g_atomic_int_inc (&data->refcount);
    gst_buffer_append_memory (msg,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, data->maps[i].data,
            data->maps[i].size, 0, data->maps[i].size, data,
            inline_data_unref));
  }
  inline_data_unref (data);

  GST_LOG_OBJECT (self, "buffer %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
      " bytes inline", info.id, offset);

  GST_OBJECT_LOCK (self);
  self->n_buffers++;
  self->n_bytes += offset;
  self->n_inline++;
  GST_OBJECT_UNLOCK (self);

  return gst_pad_push (self->srcpad, msg);
}

static GstFlowReturn
gst_fd_pay_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstFdPay *self = GST_FD_PAY (parent);
  GstFdPassBufferInfo info;
  gint fds[GST_FDPASS_MAX_FDS];
  GstMemory *mems[GST_FDPASS_MAX_FDS];
  GstMemory *copy = NULL;
  GSocketControlMessage *cmsg = NULL;
  GstBuffer *msg;
  GError *err = NULL;
  gboolean zero_copy;
  gsize size;
  guint i, n_reused;
  GstFlowReturn ret;

  if (G_UNLIKELY (self->caps == NULL))
    goto not_negotiated;

  /* always clear the flag: the one set when the pads were linked would
   * send the headers again with the second buffer */
  if (gst_pad_check_reconfigure (self->srcpad)) {
    /* a new peer may (not) report releases */
    GstCaps *caps = gst_caps_ref (self->caps);
    gboolean ok = gst_fd_pay_set_caps (self, caps);

    gst_caps_unref (caps);
    if (!ok) {
      ret = GST_FLOW_NOT_NEGOTIATED;
      goto out;
    }
  }

  if (G_UNLIKELY (self->headers_pending)) {
    ret = gst_fd_pay_push_headers (self);
    if (ret != GST_FLOW_OK)
      goto out;
  }

  if (self->inline_payload)
    return gst_fd_pay_push_inline (self, buf);

  /* multisocketsink does not hold frames back: we may, for a while, rather
   * than give up reusing the oldest one */
  if (self->peers) {
    guint64 wait;

    GST_OBJECT_LOCK (self);
    wait = self->wait_for_release;
    GST_OBJECT_UNLOCK (self);
    if (wait > 0 && !gst_fd_pay_peers_wait (self->peers,
            g_get_monotonic_time () + wait / 1000))
      GST_LOG_OBJECT (self, "no release within %" GST_TIME_FORMAT,
          GST_TIME_ARGS (wait));
  }

  memset (&info, 0, sizeof (info));
  size = gst_buffer_get_size (buf);
  GST_LOG_OBJECT (self, "input %" GST_PTR_FORMAT " pool %" GST_PTR_FORMAT,
      buf, buf->pool);

  zero_copy = gst_fd_pay_describe_zero_copy (self, buf, &info, fds, mems);
  if (!zero_copy && size > 0) {
    copy = gst_fd_pay_copy_into_memfd (self, buf, &info, fds, mems);
    if (copy == NULL)
      goto copy_failed;
  }

  gst_fd_pay_describe_buffer (self, buf, &info);

  if (info.n_fds == 1 && self->downstream_releases) {
    cmsg = gst_fd_pay_memory_control_message (mems[0], &err);
  } else if (info.n_fds > 0) {
    cmsg = control_message_new (fds, info.n_fds, &err);
  }
  if (info.n_fds > 0 && cmsg == NULL)
    goto append_failed;

  msg = gst_fd_pay_message_new (self, buf, &info);

  if (cmsg) {
    gst_buffer_add_net_control_message_meta (msg, cmsg);
    g_object_unref (cmsg);
  }

  if (self->downstream_releases) {
    GstBuffer *holder;

    /* the frame lives as long as the message: until every receiver
     * released it; then its memory is reused */
    if (copy) {
      holder = gst_buffer_new ();
      gst_buffer_append_memory (holder, copy);
      copy = NULL;
    } else {
      holder = gst_buffer_ref (buf);
    }
    gst_buffer_add_parent_buffer_meta (msg, holder);
    gst_buffer_unref (holder);
  } else if (self->peers) {
    /* the frame waits for the releases of multisocketsink's clients, or
     * is exported */
    if (copy) {
      GstBuffer *holder = gst_buffer_new ();

      gst_buffer_append_memory (holder, g_steal_pointer (&copy));
      gst_fd_pay_peers_sent (self->peers, info.id, holder, msg);
      gst_buffer_unref (holder);
    } else if (zero_copy) {
      gst_fd_pay_peers_sent (self->peers, info.id, buf, msg);
    }
  } else if (zero_copy) {
    /* the receiver may map these at any time from now on */
    for (i = 0; i < gst_buffer_n_memory (buf); i++)
      gst_fdpass_memory_mark_exported (gst_buffer_peek_memory (buf, i));
  }

  GST_LOG_OBJECT (self, "buffer %" G_GUINT64_FORMAT ": %u memories in %u "
      "fds, %" G_GSIZE_FORMAT " bytes, %s", info.id, info.n_memories,
      info.n_fds, size, zero_copy ? "zero copy" : "copied");

  n_reused = 0;
  for (i = 0; i < info.n_fds; i++) {
    if (gst_fd_pay_memory_mark_sent (mems[i]))
      n_reused++;
  }

  GST_OBJECT_LOCK (self);
  self->n_buffers++;
  self->n_bytes += size;
  self->n_files_reused += n_reused;
  if (zero_copy)
    self->n_zero_copy++;
  else if (size > 0)
    self->n_copies++;
  GST_OBJECT_UNLOCK (self);

  if (copy)
    gst_memory_unref (copy);
  gst_buffer_unref (buf);

  ret = gst_pad_push (self->srcpad, msg);

  /* while waiting for the next frame */
  if (self->next_msg == NULL)
    self->next_msg = gst_buffer_new_allocate (NULL, self->next_msg_size, NULL);

  return ret;

out:
  gst_buffer_unref (buf);
  return ret;

not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("fdpay received a buffer before caps"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
copy_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Could not allocate %" G_GSIZE_FORMAT " bytes of shareable memory.",
            size), ("copying the buffer into a memfd failed, see the "
            "fdpasstmpfile debug category"));
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
append_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not duplicate a file descriptor."), ("%s", err->message));
    g_clear_error (&err);
    if (copy)
      gst_memory_unref (copy);
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
}

/* unblocks a wait for releases, or lets it wait again */
static void
gst_fd_pay_set_flushing (GstFdPay * self, gboolean flushing)
{
  GstFdPayPeers *peers;

  GST_OBJECT_LOCK (self);
  peers = self->peers ? gst_fd_pay_peers_ref (self->peers) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (peers) {
    gst_fd_pay_peers_set_flushing (peers, flushing);
    gst_fd_pay_peers_unref (peers);
  }
}

static gboolean
gst_fd_pay_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstFdPay *self = GST_FD_PAY (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      gst_fd_pay_set_flushing (self, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_fd_pay_set_flushing (self, FALSE);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ret;

      gst_event_parse_caps (event, &caps);
      ret = gst_fd_pay_set_caps (self, caps);
      gst_event_unref (event);
      return ret;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      if (!gst_fd_pay_set_segment (self, &self->segment)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    case GST_EVENT_EOS:
      if (self->caps) {
        GstFlowReturn ret = GST_FLOW_OK;

        if (self->headers_pending)
          ret = gst_fd_pay_push_headers (self);
        if (ret == GST_FLOW_OK)
          ret = gst_pad_push (self->srcpad, gst_fdpass_message_new_eos ());
        if (ret != GST_FLOW_OK)
          GST_DEBUG_OBJECT (self, "pushing the EOS message returned %s",
              gst_flow_get_name (ret));
      }
      break;
    default:
      break;
  }

  return gst_pad_event_default (pad, parent, event);
}

/* What a client of multisocketsink wrote back (see gst_fd_pay_watch_sink()):
 * its HELLO and the ids it released. */
static gboolean
gst_fd_pay_handle_network_message (GstFdPay * self, GstEvent * event)
{
  const GstStructure *s = gst_event_get_structure (event);
  GstFdPayPeers *peers;
  GObject *socket = NULL;
  GstBuffer *buf = NULL;
  GError *err = NULL;
  GstMapInfo map;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  peers = self->peers ? gst_fd_pay_peers_ref (self->peers) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (peers == NULL)
    return FALSE;

  if (!gst_structure_get (s, "object", G_TYPE_OBJECT, &socket,
          "buffer", GST_TYPE_BUFFER, &buf, NULL) || !G_IS_SOCKET (socket) ||
      !gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_WARNING_OBJECT (self, "not a network message of multisocketsink: %"
        GST_PTR_FORMAT, s);
    ok = FALSE;
    goto out;
  }

  ok = gst_fd_pay_peers_receive (peers, socket, map.data, map.size, &err);
  gst_buffer_unmap (buf, &map);
  if (!ok) {
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("A receiver wrote something that is not an fdpass message; the "
            "frames it gets are not reused any more."),
        ("client socket %d of %" GST_PTR_FORMAT ": %s",
            g_socket_get_fd (G_SOCKET (socket)), self->watched_sink,
            err->message));
    g_clear_error (&err);
  }

out:
  g_clear_object (&socket);
  gst_clear_buffer (&buf);
  gst_fd_pay_peers_unref (peers);

  return TRUE;
}

static gboolean
gst_fd_pay_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstFdPay *self = GST_FD_PAY (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name (event, "GstNetworkMessage") &&
      gst_fd_pay_handle_network_message (self, event)) {
    gst_event_unref (event);
    return TRUE;
  }

  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_fd_pay_propose_allocation (GstFdPay * self, GstQuery * query)
{
  GstAllocationParams params;
  GstCaps *caps;
  GstVideoInfo vinfo;
  gboolean need_pool;

  gst_query_parse_allocation (query, &caps, &need_pool);
  if (caps == NULL)
    return FALSE;

  gst_allocation_params_init (&params);

  if (gst_video_info_from_caps (&vinfo, caps)) {
    if (need_pool) {
      GstBufferPool *pool = gst_fd_pay_pool_new ();
      GstStructure *config = gst_buffer_pool_get_config (pool);
      guint min_buffers = 0;

      /* with a sink that recycles, as many frames go round as receivers
       * may hold, the one being written and the one being sent: made at
       * once, they are all in use (and their pages in memory) after as
       * many frames, instead of one more memfd whenever a receiver lags a
       * little more than before */
      if (self->downstream_max_pending > 0)
        min_buffers = self->downstream_max_pending + 2;
      /* no maximum: decoders such as avdec replace pools that cannot grow
       * to hold their reference frames */
      gst_buffer_pool_config_set_params (config, caps, vinfo.size,
          min_buffers, 0);
      gst_buffer_pool_config_set_allocator (config, self->allocator, &params);
      gst_buffer_pool_config_add_option (config,
          GST_BUFFER_POOL_OPTION_VIDEO_META);
      if (!gst_buffer_pool_set_config (pool, config)) {
        GST_WARNING_OBJECT (self, "could not configure the proposed pool");
      } else {
        gst_query_add_allocation_pool (query, pool, vinfo.size, min_buffers, 0);
      }
      gst_object_unref (pool);
    }
    gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  }

  gst_query_add_allocation_param (query, self->allocator, &params);

  return TRUE;
}

static gboolean
gst_fd_pay_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstFdPay *self = GST_FD_PAY (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      return gst_fd_pay_propose_allocation (self, query);
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      /* we take anything, whatever is downstream; among raw video, 8 bit
       * 4:2:0 first, so that an unconstrained upstream (videotestsrc)
       * does not pick its first, heaviest format */
      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *preferred = gst_static_caps_get (&preferred_caps);

        caps = gst_caps_intersect_full (filter, preferred,
            GST_CAPS_INTERSECT_FIRST);
        caps = gst_caps_merge (caps, gst_caps_ref (filter));
        gst_caps_unref (preferred);
      } else {
        caps = gst_caps_new_any ();
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:
      gst_query_set_accept_caps_result (query, TRUE);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstStateChangeReturn
gst_fd_pay_change_state (GstElement * element, GstStateChange transition)
{
  GstFdPay *self = GST_FD_PAY (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_fd_pay_set_flushing (self, FALSE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* before the streaming thread is stopped */
      gst_fd_pay_set_flushing (self, TRUE);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      /* before the application can add clients to a multisocketsink */
      gst_fd_pay_watch_sink (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_fd_pay_reset (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_fd_pay_unwatch_sink (self);
      break;
    default:
      break;
  }

  return ret;
}

static void
gst_fd_pay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstFdPay *self = GST_FD_PAY (object);

  switch (prop_id) {
    case PROP_PAYLOAD:
      GST_OBJECT_LOCK (self);
      self->payload = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_WAIT_FOR_RELEASE:
      GST_OBJECT_LOCK (self);
      self->wait_for_release = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ZERO_COPY_FOREIGN_POOLS:
      GST_OBJECT_LOCK (self);
      self->zero_copy_foreign_pools = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_fd_pay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstFdPay *self = GST_FD_PAY (object);

  switch (prop_id) {
    case PROP_PAYLOAD:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->payload);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_WAIT_FOR_RELEASE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->wait_for_release);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ZERO_COPY_FOREIGN_POOLS:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->zero_copy_foreign_pools);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_fd_pay_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_fd_pay_finalize (GObject * object)
{
  GstFdPay *self = GST_FD_PAY (object);

  gst_fd_pay_reset (self);
  gst_fd_pay_unwatch_sink (self);
  gst_object_unref (self->allocator);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_fd_pay_class_init (GstFdPayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_fd_pay_set_property;
  gobject_class->get_property = gst_fd_pay_get_property;
  gobject_class->finalize = gst_fd_pay_finalize;

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_fd_pay_change_state);

  /**
   * GstFdPay:zero-copy-foreign-pools:
   *
   * fd-backed buffers from a buffer pool that fdpay did not propose (a
   * v4l2 or other hardware pool, say), or whose allocator keeps freed
   * memory for reuse, are reused as soon as fdpay lets go of them, while a
   * receiver may still map the memory: with a sink that reports releases,
   * that is as soon as the receivers released the frame, but also when a
   * receiver that does not report releases, or went away, still maps it.
   * By default they are copied into a fresh memfd; set this to send them
   * as they are when the receivers are known to be done in time. The risk
   * is yours: a receiver may see a later frame in place of the one it got.
   */
  g_object_class_install_property (gobject_class, PROP_ZERO_COPY_FOREIGN_POOLS,
      g_param_spec_boolean ("zero-copy-foreign-pools",
          "Zero copy of foreign pools",
          "Send fd-backed memory of buffer pools or allocators that fdpay "
          "did not make without copying it, although they may overwrite it "
          "while a receiver still maps it",
          DEFAULT_ZERO_COPY_FOREIGN_POOLS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstFdPay:payload:
   *
   * What the buffer messages carry. `fd` (the default) passes the file
   * descriptors of the frames' memory: both processes share it, over a
   * Unix socket. `inline` puts the bytes of each frame after its message,
   * so that any byte stream carries the stream: `tcpserversink`,
   * `srtsink`, a pipe. #fddepay reads both; with `inline` it copies each
   * frame into memfd-backed memory of its own. A change applies from the
   * next caps on.
   */
  g_object_class_install_property (gobject_class, PROP_PAYLOAD,
      g_param_spec_enum ("payload", "Payload",
          "What the buffer messages carry: the file descriptors of the "
          "frames' shared memory (fd, over Unix sockets), or the bytes of "
          "each frame after its message (inline, over TCP, SRT or any byte "
          "stream)", GST_TYPE_FD_PAY_PAYLOAD, DEFAULT_PAYLOAD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstFdPay:wait-for-release:
   *
   * With #multisocketsink (send-messages=true), at most 8 frames wait for
   * the receivers' releases: multisocketsink never holds a sender back, so
   * when a receiver is slower than the sender, the oldest frame is given up
   * (exported: never reused) for each new one, which then costs a new
   * memfd. With a time here (in nanoseconds), fdpay waits that long at most
   * for a release before it sends the next frame, like unixsocketsink's
   * slow-client-policy=block: the sender goes at the receiver's pace, and
   * frames keep going round. A flush or a state change ends the wait.
   * 0 (the default) never waits.
   */
  g_object_class_install_property (gobject_class, PROP_WAIT_FOR_RELEASE,
      g_param_spec_uint64 ("wait-for-release", "Wait for release",
          "With multisocketsink send-messages=true: when 8 frames wait for "
          "the receivers' releases, how long to wait for one before sending "
          "the next frame (in ns); 0 never waits and gives the oldest up",
          0, G_MAXUINT64, DEFAULT_WAIT_FOR_RELEASE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstFdPay:stats:
   *
   * Counters since the element was created: `buffers` sent, payload
   * `bytes`, buffers that had to be `copies` into a memfd, and
   * `zero-copy-buffers` sent as they were, `inline-buffers` sent with
   * payload=inline. Then the files: `memfds-reused`
   * counts every time a message passed a file (memfd, temporary file or
   * DMA buffer) that an earlier message passed already, that is a frame
   * written into recycled memory; the memfds (or temporary files) of
   * fdpay's allocator, which its pool and copies use: `memfds-created`,
   * `memfds-freed` (closed once nobody used them any more) and
   * `memfds-alive` (open right now, those of its pool and those kept for
   * reuse included).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since the element was created: buffers and bytes sent, "
          "copies (buffers copied into a memfd), zero-copy-buffers (buffers "
          "sent without a copy), inline-buffers (sent with payload=inline), "
          "memfds-reused (files passed again for a new "
          "frame), memfds-created, memfds-freed and memfds-alive (memfds of "
          "fdpay's allocator created, closed, and open now)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  gst_element_class_set_static_metadata (element_class,
      "File descriptor payloader", "Codec/Payloader/Network",
      "Sends buffers as file descriptors plus a small header, without "
      "copying fd-backed memory", "gst-fdpass contributors");

  GST_DEBUG_CATEGORY_INIT (gst_fd_pay_debug, "fdpay", 0,
      "fd passing payloader");

  file_quark = g_quark_from_static_string ("GstFdPayFile");
  gst_type_mark_as_plugin_api (GST_TYPE_FD_PAY_PAYLOAD, 0);
}

static void
gst_fd_pay_init (GstFdPay * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_fd_pay_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_fd_pay_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_fd_pay_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_fd_pay_src_event));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->allocator = gst_tmp_file_allocator_new ();
  self->zero_copy_foreign_pools = DEFAULT_ZERO_COPY_FOREIGN_POOLS;
  self->payload = DEFAULT_PAYLOAD;
  self->wait_for_release = DEFAULT_WAIT_FOR_RELEASE;
  /* ids stay unique for the life of the element: a socket sink downstream
   * keeps its connections across state changes and releases name ids */
  self->next_id = 1;
  gst_fd_pay_reset (self);
}
