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
 * SECTION:element-unixsocketsink
 * @title: unixsocketsink
 * @see_also: fdpay, unixsocketsrc, multisocketsink
 *
 * unixsocketsink serves the messages of #fdpay to any number of clients
 * over a Unix socket, passing the file descriptors of every frame as
 * SCM_RIGHTS. It listens on #GstUnixSocketSink:path (a SOCK_SEQPACKET
 * socket; a leading `@` names a socket in the abstract namespace) or uses
 * the socket given in #GstUnixSocketSink:fd. Clients may connect and leave
 * at any time: each one first gets the current HELLO and CAPS messages,
 * then every frame from then on.
 *
 * Unlike #multisocketsink it reads what clients write back. A client whose
 * HELLO announces the RELEASE feature (such as #unixsocketsrc) tells the
 * sink which frames it is done with; the sink keeps its reference to each
 * frame message until every client it was sent to released it or went
 * away. The sink answers fdpay's release query, so fdpay ties each frame to
 * its message and the frame's memory goes back to its pool exactly then.
 * Clients that never announced releases (a plain #socketsrc, say) cannot
 * release: once written to their socket, a frame no longer counts against
 * #GstUnixSocketSink:max-pending for them, and the sink keeps only the
 * last max-pending frames written to such a client alive, so its memory is
 * reused after that many newer frames. The same holds for frames written
 * to a client before its HELLO arrived.
 *
 * One client never stalls the others or upstream: a client may hold at
 * most #GstUnixSocketSink:max-pending frames (queued for it or sent and
 * not released), after which #GstUnixSocketSink:slow-client-policy
 * applies: new frames are not sent to it (the default), or it is
 * disconnected, or, only when `block` is chosen explicitly, the sink waits
 * for it. #GstUnixSocketSink:timeout disconnects clients that stopped
 * releasing altogether. A client the sink disconnects may still be alive
 * and read the frames already in its socket: its socket is shut down for
 * writing, and the frames it holds are kept (and its releases honoured)
 * until it closes its end.
 *
 * A client that offers to keep files (the FILES feature of protocol 1.1,
 * which #unixsocketsrc offers when #fddepay is behind it) gets the file
 * descriptor of each memfd once: later frames in the same memfd only name
 * it, so a recycled frame costs no descriptor passing at all. The sink
 * keeps track of the files each client keeps, and tells it to forget the
 * least recently used one before it would keep more than it offered. The
 * `fds` and `kept-file-references` counters of #GstUnixSocketSink:stats
 * show how many descriptors were passed and how many were not needed.
 *
 * Socket I/O happens in a thread of the element that runs its own
 * #GMainContext. The streaming thread writes a frame itself only to a
 * client that has nothing else queued, with a non-blocking sendmsg(), so
 * that a client that keeps up costs no thread switch per frame; anything
 * that does not fit into the socket is left to the I/O thread. Without
 * clients, frames are simply dropped, so the sink prerolls and plays
 * without anybody connected. Like #multisocketsink, the sink keeps
 * #GstBaseSink:sync at %TRUE, so that a file or a non-live test source is
 * served at its real rate instead of as fast as the CPU allows; with a live
 * source, or to let the receivers do all the pacing, set `sync=false`.
 * #GstBaseSink:enable-last-sample is %FALSE by default, since the last
 * sample would keep a frame from being recycled.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,width=3840,height=2160 ! fdpay ! unixsocketsink path=/tmp/v.sock
 * ]| Offers 4K frames at /tmp/v.sock, to be shown with
 * |[
 * gst-launch-1.0 unixsocketsrc path=/tmp/v.sock ! fddepay ! videoconvert ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstunixsocketsink.h"
#include "gstfdpasssocket.h"
#include "gstfdpasselements.h"
#include "gstfdpassquery.h"

#include <gst/fdpass/fdpass.h>
#include <gst/net/net.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixfdmessage.h>
#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

GST_DEBUG_CATEGORY_STATIC (gst_unix_socket_sink_debug);
#define GST_CAT_DEFAULT gst_unix_socket_sink_debug

#define DEFAULT_PATH NULL
#define DEFAULT_FD -1
#define DEFAULT_MAX_CLIENTS 0
#define DEFAULT_MAX_PENDING 8
#define DEFAULT_SLOW_CLIENT_POLICY GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DROP
#define DEFAULT_TIMEOUT 0

#define LISTEN_BACKLOG 16

/* the largest message, so that a SOCK_SEQPACKET read is never truncated */
#define READ_SIZE (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD)
/* reads per client and wakeup, so that one chatty client cannot starve
 * the others */
#define MAX_READS_PER_DISPATCH 16
/* files we ask one client to keep at most, whatever it offers */
#define MAX_KEPT_FILES 64
/* what we add to the producer's hello: we read releases, and keep track of
 * the files each client keeps */
#define SINK_FEATURES (GST_FDPASS_FEATURE_RELEASE | GST_FDPASS_FEATURE_FILES)

/* layout of a buffer message, see docs/wire-protocol.md */
#define BUFFER_N_FDS_OFFSET (GST_FDPASS_HEADER_SIZE + 52)
#define BUFFER_FD_TABLE_OFFSET (GST_FDPASS_HEADER_SIZE + 56)
#define FD_ENTRY_SIZE 32

enum
{
  PROP_0,
  PROP_PATH,
  PROP_FD,
  PROP_MAX_CLIENTS,
  PROP_MAX_PENDING,
  PROP_SLOW_CLIENT_POLICY,
  PROP_TIMEOUT,
  PROP_STATS,
};

enum
{
  SIGNAL_CLIENT_ADDED,
  SIGNAL_CLIENT_REMOVED,
  LAST_SIGNAL
};

static guint gst_unix_socket_sink_signals[LAST_SIGNAL] = { 0 };

typedef struct _Client Client;

typedef struct
{
  GSource source;
  Client *client;
  gpointer tag;
} ClientSource;

typedef struct
{
  GstBuffer *buf;
  guint16 type;
  guint64 id;
  /* what goes on the wire when it differs from @buf, for a client that
   * keeps files: forget messages, then @buf with its fd table flagged */
  guint8 *wire;
  gsize wire_size;
  /* where @buf starts in @wire; forget messages before it go in writes of
   * their own, so that each message is one packet on SOCK_SEQPACKET */
  gsize wire_start;
  /* the fd table entries whose descriptors are attached, when @wire */
  guint32 attach;
} QueuedMessage;

typedef struct
{
  guint64 dev;
  guint64 ino;
} KeptFile;

struct _Client
{
  GstUnixSocketSink *sink;
  guint id;
  gint fd;
  gboolean seqpacket;
  ClientSource *source;
  GIOCondition events;

  /* everything below is protected by the sink's lock */
  GQueue queue;                 /* of QueuedMessage */
  guint n_queued_frames;
  gsize send_offset;            /* bytes of the head written (SOCK_STREAM) */
  GHashTable *unreleased;       /* id -> message buffer */
  GQueue written;               /* last frames written to a client that
                                 * does not release, newest last */
  GByteArray *input;
  gboolean can_release;
  const gchar *remove_reason;   /* set when the client is going away */
  /* we disconnected it while it may still read what is in its socket and
   * map those frames: its frames are kept until it closes its end */
  gboolean lingering;
  gboolean announced;
  gboolean got_hello;
  /* files the client keeps for us (FILES feature), least recently used
   * first, at most max_files */
  guint max_files;
  GArray *kept;

  guint64 sent;
  guint64 released;
  guint64 dropped;
  guint64 bytes;
  guint64 fds;
  guint64 kept_refs;
  /* monotonic time of the last release (or write, for clients that do not
   * release), or of when the client got its first pending frame */
  gint64 last_progress;
};

typedef struct
{
  guint id;
  const gchar *reason;
} ClientEvent;

struct _GstUnixSocketSink
{
  GstBaseSink parent;

  /* properties, protected by the object lock */
  gchar *path;
  gint fd;
  guint max_clients;
  guint max_pending;
  GstUnixSocketSinkSlowClientPolicy policy;
  GstClockTime timeout;

  /* set up in start(), torn down in stop() */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSource *listen_source;
  GSource *wakeup_source;
  gint listen_fd;
  gboolean listen_seqpacket;
  gint adopt_fd;
  gboolean adopt_seqpacket;
  guint adopted_id;
  gchar *created_path;
  guint8 *scratch;              /* I/O thread only */

  /* protected by lock; lock order: lock, then the object lock */
  GMutex lock;
  GCond cond;
  GList *clients;
  guint n_clients;
  guint next_client_id;
  gboolean flushing;
  /* the I/O thread will wake up for the next client timeout by itself */
  gboolean timeout_armed;
  GstBuffer *default_hello;
  GstBuffer *hello_msg;
  GstBuffer *caps_msg;

  guint64 n_frames;
  guint64 n_sent;
  guint64 n_released;
  guint64 n_dropped;
  guint64 n_bytes;
  guint64 n_fds;
  guint64 n_kept_refs;
  guint64 n_accepted;
  guint64 n_removed;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-fdpass"));

GType
gst_unix_socket_sink_slow_client_policy_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DROP,
        "Do not send new frames to the client until it releases some", "drop"},
    {GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DISCONNECT, "Disconnect the client",
        "disconnect"},
    {GST_UNIX_SOCKET_SINK_SLOW_CLIENT_BLOCK,
        "Wait for the client, stalling the pipeline", "block"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstUnixSocketSinkSlowClientPolicy",
        values);
    g_once_init_leave (&id, tmp);
  }

  return (GType) id;
}

/* how long EOS waits for the clients to be sent what is queued for them */
#define EOS_DRAIN_TIMEOUT (2 * G_TIME_SPAN_SECOND)

#define gst_unix_socket_sink_parent_class parent_class
G_DEFINE_TYPE (GstUnixSocketSink, gst_unix_socket_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (unixsocketsink, "unixsocketsink",
    GST_RANK_NONE, GST_TYPE_UNIX_SOCKET_SINK, fdpass_element_init (plugin));

/* message helpers */

/* Reads the type and, for buffer messages, the id of message @buf. */
static gboolean
message_get_info (GstBuffer * buf, guint16 * type, guint64 * id)
{
  guint8 data[GST_FDPASS_HEADER_SIZE + 8];
  GstFdPassHeader header;
  gsize size;

  size = gst_buffer_extract (buf, 0, data, sizeof (data));
  if (!gst_fdpass_header_parse (data, size, &header, NULL))
    return FALSE;

  if (gst_buffer_get_size (buf) != GST_FDPASS_HEADER_SIZE + header.payload_size)
    return FALSE;

  *type = header.type;
  *id = 0;
  if (header.type == GST_FDPASS_MESSAGE_BUFFER) {
    if (size < GST_FDPASS_HEADER_SIZE + 8)
      return FALSE;
    *id = GST_READ_UINT64_LE (data + GST_FDPASS_HEADER_SIZE);
  }

  return TRUE;
}

/* Clients only send releases to a sender that announces them, and we keep
 * track of the files clients keep: returns @hello with the release and
 * files features added, or a ref to @hello. */
static GstBuffer *
hello_with_features (GstBuffer * hello)
{
  GstFdPassHeader header;
  GstFdPassHello h;
  GstMapInfo map;
  GstBuffer *ret = NULL;

  if (!gst_buffer_map (hello, &map, GST_MAP_READ))
    return gst_buffer_ref (hello);

  if (gst_fdpass_header_parse (map.data, map.size, &header, NULL) &&
      gst_fdpass_hello_parse (map.data + GST_FDPASS_HEADER_SIZE,
          map.size - GST_FDPASS_HEADER_SIZE, &h, NULL) &&
      (h.features & SINK_FEATURES) != SINK_FEATURES) {
    h.features |= SINK_FEATURES;
    h.max_files = 0;
    ret = gst_fdpass_message_new_hello (&h);
    GST_BUFFER_FLAGS (ret) = GST_BUFFER_FLAGS (hello);
  }
  gst_buffer_unmap (hello, &map);

  return ret ? ret : gst_buffer_ref (hello);
}

static gboolean
buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo map;
  gboolean ret;

  if (a == b)
    return TRUE;
  if (gst_buffer_get_size (a) != gst_buffer_get_size (b))
    return FALSE;
  if (!gst_buffer_map (a, &map, GST_MAP_READ))
    return FALSE;
  ret = gst_buffer_memcmp (b, 0, map.data, map.size) == 0;
  gst_buffer_unmap (a, &map);

  return ret;
}

/* clients; everything here is called with the lock held */

static guint
client_pending (Client * c)
{
  return c->n_queued_frames + g_hash_table_size (c->unreleased);
}

static void
queued_message_free (QueuedMessage * m)
{
  gst_buffer_unref (m->buf);
  g_free (m->wire);
  g_free (m);
}

static void
client_queue (Client * c, GstBuffer * buf, guint16 type, guint64 id)
{
  QueuedMessage *m = g_new0 (QueuedMessage, 1);

  m->buf = gst_buffer_ref (buf);
  m->type = type;
  m->id = id;
  g_queue_push_tail (&c->queue, m);

  if (type == GST_FDPASS_MESSAGE_BUFFER) {
    if (client_pending (c) == 0)
      c->last_progress = g_get_monotonic_time ();
    c->n_queued_frames++;
  }
}

static void
client_queue_headers (GstUnixSocketSink * self, Client * c)
{
  client_queue (c, self->hello_msg, GST_FDPASS_MESSAGE_HELLO, 0);
  if (self->caps_msg)
    client_queue (c, self->caps_msg, GST_FDPASS_MESSAGE_CAPS, 0);
}

/* Drops every message queued for @c and every frame it did not release:
 * those go back to the producer as far as this client is concerned. */
static void
client_drop_all (Client * c)
{
  QueuedMessage *m;
  GstBuffer *buf;

  while ((m = g_queue_pop_head (&c->queue)))
    queued_message_free (m);
  c->n_queued_frames = 0;
  c->send_offset = 0;
  g_hash_table_remove_all (c->unreleased);
  while ((buf = g_queue_pop_head (&c->written)))
    gst_buffer_unref (buf);
}

/* Drops only what was never written to @c. */
static void
client_drop_queue (Client * c)
{
  QueuedMessage *m;

  while ((m = g_queue_pop_head (&c->queue)))
    queued_message_free (m);
  c->n_queued_frames = 0;
  c->send_offset = 0;
}

/* @peer_alive: we disconnect a client that may still read the messages
 * already in its socket, and map their frames. */
static void
client_mark_remove_full (GstUnixSocketSink * self, Client * c,
    const gchar * reason, gboolean peer_alive)
{
  if (c->remove_reason)
    return;

  GST_DEBUG_OBJECT (self, "removing client %u: %s", c->id, reason);
  c->remove_reason = reason;
  if (peer_alive && (g_hash_table_size (c->unreleased) > 0 ||
          !g_queue_is_empty (&c->written))) {
    client_drop_queue (c);
    c->lingering = TRUE;
  } else {
    client_drop_all (c);
  }
  g_cond_broadcast (&self->cond);
}

static void
client_mark_remove (GstUnixSocketSink * self, Client * c, const gchar * reason)
{
  client_mark_remove_full (self, c, reason, FALSE);
}

/* the peer of a lingering client is gone: its frames are free */
static void
client_end_linger (Client * c)
{
  c->lingering = FALSE;
  client_drop_all (c);
}

static gboolean
client_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data);

static GSourceFuncs client_source_funcs = {
  NULL, NULL, client_source_dispatch, NULL
};

static Client *
client_new (GstUnixSocketSink * self, gint fd, gboolean seqpacket)
{
  Client *c = g_new0 (Client, 1);

  c->sink = self;
  c->id = ++self->next_client_id;
  c->fd = fd;
  c->seqpacket = seqpacket;
  g_queue_init (&c->queue);
  g_queue_init (&c->written);
  c->unreleased = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      (GDestroyNotify) gst_buffer_unref);
  c->input = g_byte_array_new ();
  c->kept = g_array_new (FALSE, FALSE, sizeof (KeptFile));
  c->last_progress = g_get_monotonic_time ();

  c->source = (ClientSource *) g_source_new (&client_source_funcs,
      sizeof (ClientSource));
  c->source->client = c;
  c->events = G_IO_IN | G_IO_ERR | G_IO_HUP;
  c->source->tag = g_source_add_unix_fd ((GSource *) c->source, fd, c->events);
  g_source_attach ((GSource *) c->source, self->context);

  self->clients = g_list_append (self->clients, c);
  self->n_clients++;
  self->n_accepted++;
  client_queue_headers (self, c);

  return c;
}

static void
client_free (Client * c)
{
  g_source_destroy ((GSource *) c->source);
  g_source_unref ((GSource *) c->source);
  close (c->fd);
  client_drop_all (c);
  g_hash_table_unref (c->unreleased);
  g_byte_array_unref (c->input);
  g_array_unref (c->kept);
  g_free (c);
}

/* I/O thread: frees the clients marked for removal, remembering them in
 * @events for the client-removed signal. */
static void
gst_unix_socket_sink_reap (GstUnixSocketSink * self, GArray * events)
{
  GList *l = self->clients;

  while (l) {
    GList *next = l->next;
    Client *c = l->data;

    if (c->remove_reason && !c->announced) {
      ClientEvent ev = { c->id, c->remove_reason };

      g_array_append_val (events, ev);
      c->announced = TRUE;
      self->n_clients--;
      self->n_removed++;

      if (c->lingering) {
        /* it reads what is queued in its socket, then the end of the
         * stream; we keep reading its releases until it closes */
        GST_DEBUG_OBJECT (self, "client %u holds %u frames, keeping them "
            "until it closes its socket", c->id,
            g_hash_table_size (c->unreleased) +
            g_queue_get_length (&c->written));
        shutdown (c->fd, SHUT_WR);
        c->events = G_IO_IN | G_IO_ERR | G_IO_HUP;
        g_source_modify_unix_fd ((GSource *) c->source, c->source->tag,
            c->events);
      }
    }
    if (c->remove_reason && !c->lingering) {
      self->clients = g_list_delete_link (self->clients, l);
      client_free (c);
    }
    l = next;
  }
}

static void
gst_unix_socket_sink_emit (GstUnixSocketSink * self, GArray * added,
    GArray * removed)
{
  guint i;

  for (i = 0; added && i < added->len; i++) {
    ClientEvent *ev = &g_array_index (added, ClientEvent, i);

    g_signal_emit (self, gst_unix_socket_sink_signals[SIGNAL_CLIENT_ADDED], 0,
        ev->id);
  }
  for (i = 0; removed && i < removed->len; i++) {
    ClientEvent *ev = &g_array_index (removed, ClientEvent, i);

    g_signal_emit (self, gst_unix_socket_sink_signals[SIGNAL_CLIENT_REMOVED],
        0, ev->id, ev->reason);
  }
}

static void
client_handle_release (GstUnixSocketSink * self, Client * c,
    const guint64 * ids, guint n_ids)
{
  guint i, n = 0;

  for (i = 0; i < n_ids; i++) {
    if (g_hash_table_remove (c->unreleased, &ids[i]))
      n++;
    else
      GST_LOG_OBJECT (self, "client %u released unknown id %" G_GUINT64_FORMAT,
          c->id, ids[i]);
  }

  if (n > 0) {
    GST_LOG_OBJECT (self, "client %u released %u frames", c->id, n);
    c->released += n;
    self->n_released += n;
    c->last_progress = g_get_monotonic_time ();
    g_cond_broadcast (&self->cond);
  }
}

/* Handles the complete messages in the input of @c. */
static void
client_parse_input (GstUnixSocketSink * self, Client * c)
{
  GError *err = NULL;
  gsize pos = 0;

  while (c->input->len - pos >= GST_FDPASS_HEADER_SIZE) {
    const guint8 *data = c->input->data + pos;
    const guint8 *payload = data + GST_FDPASS_HEADER_SIZE;
    GstFdPassHeader header;

    if (!gst_fdpass_header_parse (data, GST_FDPASS_HEADER_SIZE, &header, &err))
      goto malformed;
    if (c->input->len - pos < GST_FDPASS_HEADER_SIZE + header.payload_size)
      break;

    switch (header.type) {
      case GST_FDPASS_MESSAGE_HELLO:{
        GstFdPassHello hello;

        if (!gst_fdpass_hello_parse (payload, header.payload_size, &hello,
                &err))
          goto malformed;
        c->can_release = (hello.features & GST_FDPASS_FEATURE_RELEASE) != 0;
        /* what the client keeps depends on what we asked it to keep since
         * the first hello, which later ones do not change */
        if (!c->got_hello && (hello.features & GST_FDPASS_FEATURE_FILES))
          c->max_files = MIN (hello.max_files, MAX_KEPT_FILES);
        c->got_hello = TRUE;
        GST_DEBUG_OBJECT (self, "client %u speaks %u.%u, %s releases, keeps "
            "%u files", c->id, hello.version_major, hello.version_minor,
            c->can_release ? "sends" : "does not send", c->max_files);
        break;
      }
      case GST_FDPASS_MESSAGE_RELEASE:{
        guint64 *ids;
        guint n_ids;

        if (!gst_fdpass_release_parse (payload, header.payload_size, &ids,
                &n_ids, &err))
          goto malformed;
        client_handle_release (self, c, ids, n_ids);
        g_free (ids);
        break;
      }
      default:
        GST_LOG_OBJECT (self, "client %u: skipping message of type %u", c->id,
            header.type);
        break;
    }
    pos += GST_FDPASS_HEADER_SIZE + header.payload_size;
  }

  g_byte_array_remove_range (c->input, 0, pos);
  return;

malformed:
  GST_ELEMENT_WARNING (self, STREAM, DECODE, (NULL),
      ("client %u sent a malformed message: %s", c->id, err->message));
  g_clear_error (&err);
  if (c->lingering)
    client_end_linger (c);
  else
    client_mark_remove_full (self, c, "malformed message", TRUE);
}

static void
close_control_fds (struct msghdr *msg)
{
  struct cmsghdr *cmsg;

  for (cmsg = CMSG_FIRSTHDR (msg); cmsg; cmsg = CMSG_NXTHDR (msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      gsize n = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint);
      gint *fds = (gint *) CMSG_DATA (cmsg);
      gsize i;

      for (i = 0; i < n; i++)
        close (fds[i]);
    }
  }
}

/* I/O thread: reads what @c wrote, without blocking. */
static void
client_read (GstUnixSocketSink * self, Client * c)
{
  guint i;

  for (i = 0; i < MAX_READS_PER_DISPATCH && (!c->remove_reason ||
          c->lingering); i++) {
    union
    {
      struct cmsghdr hdr;
      gchar buf[CMSG_SPACE (GST_FDPASS_MAX_FDS * sizeof (gint))];
    }
    control;
    struct msghdr msg;
    struct iovec iov;
    gssize n;

    iov.iov_base = self->scratch;
    iov.iov_len = READ_SIZE;
    memset (&msg, 0, sizeof (msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &control;
    msg.msg_controllen = sizeof (control);

    n = recvmsg (c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        GST_DEBUG_OBJECT (self, "client %u: read failed: %s", c->id,
            g_strerror (errno));
        if (c->lingering)
          client_end_linger (c);
        else
          client_mark_remove (self, c, "error");
      }
      return;
    }
    /* clients have no business sending us file descriptors */
    close_control_fds (&msg);

    if (n == 0) {
      if (c->lingering)
        client_end_linger (c);
      else
        client_mark_remove (self, c, "closed");
      return;
    }
    if (c->seqpacket && (msg.msg_flags & MSG_TRUNC)) {
      GST_ELEMENT_WARNING (self, STREAM, DECODE, (NULL),
          ("client %u sent a packet larger than %u bytes", c->id, READ_SIZE));
      if (c->lingering)
        client_end_linger (c);
      else
        client_mark_remove_full (self, c, "malformed message", TRUE);
      return;
    }

    g_byte_array_append (c->input, self->scratch, n);
    client_parse_input (self, c);
  }
}

static void
client_update_events (Client * c)
{
  GIOCondition events = G_IO_IN | G_IO_ERR | G_IO_HUP;

  if (!g_queue_is_empty (&c->queue))
    events |= G_IO_OUT;

  if (events != c->events) {
    c->events = events;
    g_source_modify_unix_fd ((GSource *) c->source, c->source->tag, events);
  }
}

static gint
client_find_kept (Client * c, guint64 dev, guint64 ino)
{
  guint i;

  for (i = 0; i < c->kept->len; i++) {
    KeptFile *k = &g_array_index (c->kept, KeptFile, i);

    if (k->dev == dev && k->ino == ino)
      return i;
  }

  return -1;
}

/* Lock held: when @c keeps files, decides before the first byte of buffer
 * message @m is written which of its files go as descriptors (and are to be
 * kept) and which the client keeps already, and prepares the bytes to send
 * in m->wire. The decision is final: the client learns it with those bytes. */
static void
client_prepare_wire (GstUnixSocketSink * self, Client * c, QueuedMessage * m,
    const guint8 * data, gsize size)
{
  guint32 flags[GST_FDPASS_MAX_FDS];
  GstFdPassFdInfo forget[GST_FDPASS_MAX_FDS];
  GstBuffer *forget_msg = NULL;
  gsize forget_size = 0;
  guint i, n_fds, n_forget = 0, n_attached = 0, n_ref = 0, n_new = 0;
  gboolean changed = FALSE;

  if (size < BUFFER_FD_TABLE_OFFSET)
    return;
  n_fds = GST_READ_UINT16_LE (data + BUFFER_N_FDS_OFFSET);
  /* what fdpay made: one descriptor per entry, none kept */
  if (n_fds == 0 || n_fds > GST_FDPASS_MAX_FDS ||
      GST_READ_UINT16_LE (data + 6) != n_fds ||
      size < BUFFER_FD_TABLE_OFFSET + n_fds * FD_ENTRY_SIZE)
    return;

  /* files this message needs that the client keeps are used most recently,
   * and are not the ones to forget */
  for (i = 0; i < n_fds; i++) {
    const guint8 *e = data + BUFFER_FD_TABLE_OFFSET + i * FD_ENTRY_SIZE;
    gint k;

    flags[i] = GST_FDPASS_FD_FLAG_NONE;
    if (GST_READ_UINT32_LE (e) != GST_FDPASS_FD_KIND_FILE)
      continue;
    k = client_find_kept (c, GST_READ_UINT64_LE (e + 8),
        GST_READ_UINT64_LE (e + 16));
    if (k >= 0) {
      KeptFile kf = g_array_index (c->kept, KeptFile, k);

      g_array_remove_index (c->kept, k);
      g_array_append_val (c->kept, kf);
      flags[i] = GST_FDPASS_FD_FLAG_KEPT;
      n_ref++;
    } else {
      n_new++;
    }
  }

  /* a message needing more files than the client keeps sends the new ones
   * as before, without asking to keep them */
  for (i = 0; i < n_fds && n_ref + n_new <= c->max_files; i++) {
    const guint8 *e = data + BUFFER_FD_TABLE_OFFSET + i * FD_ENTRY_SIZE;
    KeptFile kf;

    if (flags[i] != GST_FDPASS_FD_FLAG_NONE ||
        GST_READ_UINT32_LE (e) != GST_FDPASS_FD_KIND_FILE)
      continue;

    if (c->kept->len >= c->max_files) {
      KeptFile *old = &g_array_index (c->kept, KeptFile, 0);

      memset (&forget[n_forget], 0, sizeof (forget[n_forget]));
      forget[n_forget].dev = old->dev;
      forget[n_forget].ino = old->ino;
      n_forget++;
      g_array_remove_index (c->kept, 0);
    }
    kf.dev = GST_READ_UINT64_LE (e + 8);
    kf.ino = GST_READ_UINT64_LE (e + 16);
    g_array_append_val (c->kept, kf);
    flags[i] = GST_FDPASS_FD_FLAG_KEEP;
  }

  m->attach = 0;
  for (i = 0; i < n_fds; i++) {
    if (flags[i] != GST_FDPASS_FD_FLAG_NONE)
      changed = TRUE;
    if (flags[i] != GST_FDPASS_FD_FLAG_KEPT) {
      m->attach |= 1u << i;
      n_attached++;
    }
  }
  if (!changed)
    return;

  if (n_forget > 0) {
    forget_msg = gst_fdpass_message_new_forget (forget, n_forget);
    forget_size = gst_buffer_get_size (forget_msg);
    GST_LOG_OBJECT (self, "client %u: forgetting %u files", c->id, n_forget);
  }

  m->wire_size = forget_size + size;
  m->wire_start = forget_size;
  m->wire = g_malloc (m->wire_size);
  if (forget_msg) {
    gst_buffer_extract (forget_msg, 0, m->wire, forget_size);
    gst_buffer_unref (forget_msg);
  }
  memcpy (m->wire + forget_size, data, size);
  GST_WRITE_UINT16_LE (m->wire + forget_size + 6, n_attached);
  for (i = 0; i < n_fds; i++) {
    GST_WRITE_UINT32_LE (m->wire + forget_size + BUFFER_FD_TABLE_OFFSET +
        i * FD_ENTRY_SIZE + 4, flags[i]);
  }
  c->kept_refs += n_ref;
  self->n_kept_refs += n_ref;
}

/* One sendmsg() of the head of the queue of @c. Returns FALSE when nothing
 * more can be written now. */
static gboolean
client_write_one (GstUnixSocketSink * self, Client * c)
{
  union
  {
    struct cmsghdr hdr;
    gchar buf[CMSG_SPACE (GST_FDPASS_MAX_FDS * sizeof (gint))];
  }
  control;
  QueuedMessage *m = g_queue_peek_head (&c->queue);
  GstNetControlMessageMeta *meta;
  gint attached[GST_FDPASS_MAX_FDS];
  guint n_attached = 0;
  const guint8 *data;
  struct msghdr msg;
  struct iovec iov;
  GstMapInfo map;
  gsize total, start;
  gssize n;

  if (!gst_buffer_map (m->buf, &map, GST_MAP_READ)) {
    GST_WARNING_OBJECT (self, "cannot map message %" GST_PTR_FORMAT, m->buf);
    g_queue_pop_head (&c->queue);
    if (m->type == GST_FDPASS_MESSAGE_BUFFER)
      c->n_queued_frames--;
    queued_message_free (m);
    return TRUE;
  }

  if (c->send_offset == 0 && m->wire == NULL && c->max_files > 0 &&
      m->type == GST_FDPASS_MESSAGE_BUFFER)
    client_prepare_wire (self, c, m, map.data, map.size);

  data = m->wire ? m->wire : map.data;
  total = m->wire ? m->wire_size : map.size;
  start = m->wire ? m->wire_start : 0;
  iov.iov_base = (guint8 *) data + c->send_offset;
  iov.iov_len = (c->send_offset < start ? start : total) - c->send_offset;
  memset (&msg, 0, sizeof (msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;

  /* the fds go with the first byte of the message */
  meta = gst_buffer_get_net_control_message_meta (m->buf);
  if (c->send_offset == start && meta &&
      G_IS_UNIX_FD_MESSAGE (meta->message)) {
    GUnixFDList *list =
        g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (meta->message));
    gint i, n_fds = 0;
    const gint *fds = g_unix_fd_list_peek_fds (list, &n_fds);

    if (n_fds > GST_FDPASS_MAX_FDS)
      n_fds = 0;
    for (i = 0; i < n_fds; i++) {
      if (m->wire == NULL || (m->attach & (1u << i)))
        attached[n_attached++] = fds[i];
    }
  }
  if (n_attached > 0) {
    struct cmsghdr *cmsg;

    memset (&control, 0, sizeof (control));
    msg.msg_control = &control;
    msg.msg_controllen = CMSG_SPACE (n_attached * sizeof (gint));
    cmsg = CMSG_FIRSTHDR (&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN (n_attached * sizeof (gint));
    memcpy (CMSG_DATA (cmsg), attached, n_attached * sizeof (gint));
  }

  do {
    n = sendmsg (c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  gst_buffer_unmap (m->buf, &map);

  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return FALSE;
    GST_DEBUG_OBJECT (self, "client %u: write failed: %s", c->id,
        g_strerror (errno));
    client_mark_remove (self, c, errno == EPIPE ? "closed" : "error");
    return FALSE;
  }

  c->bytes += n;
  self->n_bytes += n;
  if (c->send_offset == start) {
    c->fds += n_attached;
    self->n_fds += n_attached;
  }
  c->send_offset += n;
  if (c->send_offset < total)
    return TRUE;

  /* the whole message is out */
  c->send_offset = 0;
  g_queue_pop_head (&c->queue);
  if (m->type == GST_FDPASS_MESSAGE_BUFFER) {
    c->n_queued_frames--;
    c->sent++;
    self->n_sent++;
    if (c->can_release) {
      guint64 *key = g_new (guint64, 1);

      *key = m->id;
      if (g_hash_table_size (c->unreleased) == 0)
        c->last_progress = g_get_monotonic_time ();
      g_hash_table_replace (c->unreleased, key, m->buf);
      m->buf = NULL;
    } else {
      guint keep;

      /* it cannot tell us when it is done: give it the time of
       * max-pending newer frames before the memory may be reused */
      GST_OBJECT_LOCK (self);
      keep = self->max_pending;
      GST_OBJECT_UNLOCK (self);
      g_queue_push_tail (&c->written, m->buf);
      m->buf = NULL;
      while (g_queue_get_length (&c->written) > keep)
        gst_buffer_unref (g_queue_pop_head (&c->written));

      c->last_progress = g_get_monotonic_time ();
      g_cond_broadcast (&self->cond);
    }
  }
  if (m->buf)
    gst_buffer_unref (m->buf);
  g_free (m->wire);
  g_free (m);

  return TRUE;
}

/* Lock held: writes what is queued for @c until the socket is full.
 * Returns TRUE when something is left or the client failed, which is the
 * I/O thread's business. */
static gboolean
client_flush (GstUnixSocketSink * self, Client * c)
{
  while (!c->remove_reason && !g_queue_is_empty (&c->queue)) {
    if (!client_write_one (self, c))
      break;
  }

  return c->remove_reason != NULL || !g_queue_is_empty (&c->queue);
}

/* I/O thread */
static void
client_write (GstUnixSocketSink * self, Client * c)
{
  client_flush (self, c);
  if (!c->remove_reason)
    client_update_events (c);
}

static gboolean
client_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  ClientSource *cs = (ClientSource *) source;
  Client *c = cs->client;
  GstUnixSocketSink *self = c->sink;
  GIOCondition revents = g_source_query_unix_fd (source, cs->tag);
  GArray *removed = g_array_new (FALSE, FALSE, sizeof (ClientEvent));

  g_mutex_lock (&self->lock);
  /* read first: a hello that is already there decides how frames are
   * accounted for */
  if (revents & (G_IO_IN | G_IO_ERR | G_IO_HUP))
    client_read (self, c);
  if (revents & G_IO_OUT)
    client_write (self, c);
  gst_unix_socket_sink_reap (self, removed);
  g_mutex_unlock (&self->lock);

  gst_unix_socket_sink_emit (self, NULL, removed);
  g_array_unref (removed);

  return G_SOURCE_CONTINUE;
}

/* I/O thread, lock held: adds a connected client. */
static void
gst_unix_socket_sink_add_client (GstUnixSocketSink * self, gint fd,
    gboolean seqpacket, GArray * added)
{
  ClientEvent ev;
  Client *c;

  c = client_new (self, fd, seqpacket);
  GST_DEBUG_OBJECT (self, "new client %u on socket %d (%s)", c->id, fd,
      seqpacket ? "SOCK_SEQPACKET" : "SOCK_STREAM");

  ev.id = c->id;
  ev.reason = NULL;
  g_array_append_val (added, ev);

  client_read (self, c);
  client_write (self, c);
}

static gboolean
gst_unix_socket_sink_accept (gint fd, GIOCondition condition,
    gpointer user_data)
{
  GstUnixSocketSink *self = user_data;
  GArray *added = g_array_new (FALSE, FALSE, sizeof (ClientEvent));
  GArray *removed = g_array_new (FALSE, FALSE, sizeof (ClientEvent));
  guint max_clients;

  GST_OBJECT_LOCK (self);
  max_clients = self->max_clients;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  for (;;) {
    gint cfd = accept4 (fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        GST_WARNING_OBJECT (self, "accept failed: %s", g_strerror (errno));
      break;
    }

    if (max_clients > 0 && self->n_clients >= max_clients) {
      GST_DEBUG_OBJECT (self, "already %u clients, closing the new "
          "connection", self->n_clients);
      close (cfd);
      continue;
    }

    gst_unix_socket_sink_add_client (self, cfd, self->listen_seqpacket, added);
  }
  gst_unix_socket_sink_reap (self, removed);
  g_mutex_unlock (&self->lock);

  gst_unix_socket_sink_emit (self, added, removed);
  g_array_unref (added);
  g_array_unref (removed);

  return G_SOURCE_CONTINUE;
}

/* I/O thread: announces the client of the fd property, which start()
 * added so that it gets the very first frame. */
static gboolean
gst_unix_socket_sink_announce (gpointer user_data)
{
  GstUnixSocketSink *self = user_data;
  GArray *added = g_array_new (FALSE, FALSE, sizeof (ClientEvent));
  ClientEvent ev = { 0, NULL };

  g_mutex_lock (&self->lock);
  ev.id = self->adopted_id;
  g_mutex_unlock (&self->lock);

  g_array_append_val (added, ev);
  gst_unix_socket_sink_emit (self, added, NULL);
  g_array_unref (added);

  return G_SOURCE_REMOVE;
}

/* The wakeup source is ready when the streaming thread queued something
 * (ready time 0) or when the next client may time out. */
static gboolean
gst_unix_socket_sink_wakeup (gpointer user_data)
{
  GstUnixSocketSink *self = user_data;
  GArray *removed = g_array_new (FALSE, FALSE, sizeof (ClientEvent));
  GstClockTime timeout;
  gint64 now, next = -1;
  GList *l;

  GST_OBJECT_LOCK (self);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  now = g_get_monotonic_time ();
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (c->remove_reason)
      continue;

    if (!g_queue_is_empty (&c->queue)) {
      client_read (self, c);
      client_write (self, c);
    }

    if (timeout > 0 && !c->remove_reason && client_pending (c) > 0) {
      gint64 deadline = c->last_progress + GST_TIME_AS_USECONDS (timeout);

      if (deadline <= now) {
        GST_INFO_OBJECT (self, "client %u released nothing for %"
            GST_TIME_FORMAT, c->id, GST_TIME_ARGS (timeout));
        client_mark_remove_full (self, c, "timeout", TRUE);
      } else if (next < 0 || deadline < next) {
        next = deadline;
      }
    }
  }
  gst_unix_socket_sink_reap (self, removed);
  /* under the lock, so that a wakeup from render() is never lost */
  g_source_set_ready_time (self->wakeup_source, next);
  self->timeout_armed = next >= 0;
  g_mutex_unlock (&self->lock);

  gst_unix_socket_sink_emit (self, NULL, removed);
  g_array_unref (removed);

  return G_SOURCE_CONTINUE;
}

static gboolean
wakeup_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs wakeup_source_funcs = {
  NULL, NULL, wakeup_source_dispatch, NULL
};

/* lock held */
static void
gst_unix_socket_sink_wake (GstUnixSocketSink * self)
{
  if (self->wakeup_source)
    g_source_set_ready_time (self->wakeup_source, 0);
}

/* I/O thread: the last thing it does. */
static gboolean
gst_unix_socket_sink_shutdown (gpointer user_data)
{
  GstUnixSocketSink *self = user_data;
  GArray *removed = g_array_new (FALSE, FALSE, sizeof (ClientEvent));
  GList *l;

  /* take the socket away first: a receiver that reconnects at once then
   * finds nothing instead of a listener about to drop it */
  if (self->listen_source) {
    g_source_destroy (self->listen_source);
    g_clear_pointer (&self->listen_source, g_source_unref);
  }
  if (self->listen_fd >= 0) {
    close (self->listen_fd);
    self->listen_fd = -1;
  }
  if (self->created_path) {
    GST_DEBUG_OBJECT (self, "removing %s", self->created_path);
    unlink (self->created_path);
    g_clear_pointer (&self->created_path, g_free);
  }

  g_mutex_lock (&self->lock);
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    /* best effort: the EOS message, say, may still be queued */
    if (!c->remove_reason)
      client_write (self, c);
    client_mark_remove (self, c, "stopped");
    c->lingering = FALSE;
  }
  gst_unix_socket_sink_reap (self, removed);
  g_mutex_unlock (&self->lock);

  gst_unix_socket_sink_emit (self, NULL, removed);
  g_array_unref (removed);

  g_main_loop_quit (self->loop);

  return G_SOURCE_REMOVE;
}

static gpointer
gst_unix_socket_sink_thread (gpointer user_data)
{
  GstUnixSocketSink *self = user_data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);

  return NULL;
}

/* socket setup */

/* Does a process accept connections on @addr? */
static gboolean
address_is_served (const struct sockaddr_un *addr, socklen_t len)
{
  static const gint types[] = { SOCK_SEQPACKET, SOCK_STREAM };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    gint fd, ret, err;

    fd = socket (AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
      return TRUE;
    ret = connect (fd, (const struct sockaddr *) addr, len);
    err = errno;
    close (fd);

    if (ret == 0 || err == EAGAIN || err == EINPROGRESS)
      return TRUE;
    if (err != EPROTOTYPE)
      return FALSE;
  }

  return FALSE;
}

static gboolean
gst_unix_socket_sink_listen (GstUnixSocketSink * self, const gchar * path)
{
  struct sockaddr_un addr;
  socklen_t len;
  gboolean abstract = path[0] == '@';
  gint fd;

  if (!gst_fdpass_socket_address (path, &addr, &len)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The socket path \"%s\" is too long.", path), (NULL));
    return FALSE;
  }

  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not create a socket."), GST_ERROR_SYSTEM);
    return FALSE;
  }

  if (bind (fd, (struct sockaddr *) &addr, len) < 0) {
    struct stat st;

    if (errno != EADDRINUSE)
      goto bind_failed;

    if (abstract || address_is_served (&addr, len))
      goto in_use;

    /* a socket file left behind by a process that is gone */
    if (lstat (path, &st) < 0 || !S_ISSOCK (st.st_mode)) {
      errno = EADDRINUSE;
      goto bind_failed;
    }
    GST_INFO_OBJECT (self, "replacing the stale socket %s", path);
    if (unlink (path) < 0 && errno != ENOENT)
      goto bind_failed;
    if (bind (fd, (struct sockaddr *) &addr, len) < 0)
      goto bind_failed;
  }

  if (listen (fd, LISTEN_BACKLOG) < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not listen on %s.", path), GST_ERROR_SYSTEM);
    close (fd);
    if (!abstract)
      unlink (path);
    return FALSE;
  }

  GST_DEBUG_OBJECT (self, "listening on %s", path);
  self->listen_fd = fd;
  self->listen_seqpacket = TRUE;
  if (!abstract)
    self->created_path = g_strdup (path);

  return TRUE;

bind_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not create the socket %s.", path), GST_ERROR_SYSTEM);
    close (fd);
    return FALSE;
  }
in_use:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Another process is already serving %s.", path),
        ("bind: %s", g_strerror (EADDRINUSE)));
    close (fd);
    return FALSE;
  }
}

/* Takes over the socket given in the fd property. */
static gboolean
gst_unix_socket_sink_use_fd (GstUnixSocketSink * self, gint fd)
{
  gint type = 0, listening = 0, flags;
  socklen_t len = sizeof (type);

  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("File descriptor %d is not a socket.", fd), GST_ERROR_SYSTEM);
    close (fd);
    return FALSE;
  }
  if (type != SOCK_STREAM && type != SOCK_SEQPACKET) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("File descriptor %d is not a stream or seqpacket socket.", fd),
        ("socket type %d", type));
    close (fd);
    return FALSE;
  }
  len = sizeof (listening);
  if (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
    listening = 0;

  flags = fcntl (fd, F_GETFL);
  if (flags >= 0)
    fcntl (fd, F_SETFL, flags | O_NONBLOCK);
  flags = fcntl (fd, F_GETFD);
  if (flags >= 0)
    fcntl (fd, F_SETFD, flags | FD_CLOEXEC);

  if (listening) {
    GST_DEBUG_OBJECT (self, "accepting clients on listening socket %d", fd);
    self->listen_fd = fd;
    self->listen_seqpacket = (type == SOCK_SEQPACKET);
  } else {
    GST_DEBUG_OBJECT (self, "serving connected socket %d", fd);
    self->adopt_fd = fd;
    self->adopt_seqpacket = (type == SOCK_SEQPACKET);
  }

  return TRUE;
}

/* GstBaseSink */

static gboolean
gst_unix_socket_sink_start (GstBaseSink * bsink)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);
  GSource *source;
  gchar *path;
  gint fd;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->path);
  /* we own the given socket; it is used once */
  fd = self->fd;
  self->fd = -1;
  GST_OBJECT_UNLOCK (self);

  if (fd >= 0) {
    ok = gst_unix_socket_sink_use_fd (self, fd);
  } else if (path && path[0] != '\0') {
    ok = gst_unix_socket_sink_listen (self, path);
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No socket to serve: set the path or the fd property."), (NULL));
    ok = FALSE;
  }
  g_free (path);
  if (!ok)
    return FALSE;

  self->scratch = g_malloc (READ_SIZE);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  gst_buffer_replace (&self->hello_msg, self->default_hello);
  gst_clear_buffer (&self->caps_msg);

  self->wakeup_source = g_source_new (&wakeup_source_funcs, sizeof (GSource));
  g_source_set_callback (self->wakeup_source, gst_unix_socket_sink_wakeup,
      self, NULL);
  g_source_set_ready_time (self->wakeup_source, -1);
  g_source_attach (self->wakeup_source, self->context);
  g_mutex_unlock (&self->lock);

  if (self->listen_fd >= 0) {
    self->listen_source = g_unix_fd_source_new (self->listen_fd, G_IO_IN);
    g_source_set_callback (self->listen_source,
        (GSourceFunc) gst_unix_socket_sink_accept, self, NULL);
    g_source_attach (self->listen_source, self->context);
  }
  if (self->adopt_fd >= 0) {
    Client *c;

    g_mutex_lock (&self->lock);
    c = client_new (self, self->adopt_fd, self->adopt_seqpacket);
    self->adopted_id = c->id;
    self->adopt_fd = -1;
    /* the I/O thread writes the headers as soon as it runs */
    gst_unix_socket_sink_wake (self);
    g_mutex_unlock (&self->lock);
    GST_DEBUG_OBJECT (self, "client %u on connected socket", c->id);

    source = g_idle_source_new ();
    g_source_set_callback (source, gst_unix_socket_sink_announce, self, NULL);
    g_source_attach (source, self->context);
    g_source_unref (source);
  }

  self->thread = g_thread_new ("unixsocketsink", gst_unix_socket_sink_thread,
      self);

  return TRUE;
}

static gboolean
gst_unix_socket_sink_stop (GstBaseSink * bsink)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);

  if (self->thread) {
    GSource *source = g_idle_source_new ();

    g_source_set_callback (source, gst_unix_socket_sink_shutdown, self, NULL);
    g_source_attach (source, self->context);
    g_source_unref (source);
    g_thread_join (self->thread);
    self->thread = NULL;
  }

  g_mutex_lock (&self->lock);
  if (self->wakeup_source) {
    g_source_destroy (self->wakeup_source);
    g_source_unref (self->wakeup_source);
    self->wakeup_source = NULL;
  }
  gst_clear_buffer (&self->caps_msg);
  g_mutex_unlock (&self->lock);

  if (self->listen_source) {
    g_source_destroy (self->listen_source);
    g_clear_pointer (&self->listen_source, g_source_unref);
  }
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  if (self->listen_fd >= 0) {
    close (self->listen_fd);
    self->listen_fd = -1;
  }
  if (self->created_path) {
    GST_DEBUG_OBJECT (self, "removing %s", self->created_path);
    unlink (self->created_path);
    g_clear_pointer (&self->created_path, g_free);
  }
  g_clear_pointer (&self->scratch, g_free);

  return TRUE;
}

static gboolean
gst_unix_socket_sink_unlock (GstBaseSink * bsink)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return TRUE;
}

static gboolean
gst_unix_socket_sink_unlock_stop (GstBaseSink * bsink)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);

  return TRUE;
}

/* lock held: stores a HELLO or CAPS message, sending it to every client when
 * it differs from the current one */
static void
gst_unix_socket_sink_store_header (GstUnixSocketSink * self, GstBuffer * buf,
    guint16 type)
{
  GstBuffer **slot;
  GList *l;

  if (type == GST_FDPASS_MESSAGE_HELLO) {
    slot = &self->hello_msg;
    buf = hello_with_features (buf);
  } else {
    slot = &self->caps_msg;
    buf = gst_buffer_ref (buf);
  }

  if (*slot && buffers_equal (*slot, buf)) {
    gst_buffer_unref (buf);
    return;
  }

  GST_DEBUG_OBJECT (self, "new %s message", type == GST_FDPASS_MESSAGE_HELLO ?
      "hello" : "caps");
  gst_buffer_replace (slot, buf);
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (!c->remove_reason)
      client_queue (c, buf, type, 0);
  }
  gst_buffer_unref (buf);
  gst_unix_socket_sink_wake (self);
}

static gboolean
gst_unix_socket_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *headers;
  guint i;

  headers = gst_structure_get_value (s, "streamheader");
  if (headers == NULL || !GST_VALUE_HOLDS_ARRAY (headers))
    return TRUE;

  g_mutex_lock (&self->lock);
  for (i = 0; i < gst_value_array_get_size (headers); i++) {
    const GValue *v = gst_value_array_get_value (headers, i);
    GstBuffer *buf;
    guint16 type;
    guint64 id;

    if (!GST_VALUE_HOLDS_BUFFER (v))
      continue;
    buf = gst_value_get_buffer (v);
    if (!message_get_info (buf, &type, &id))
      continue;
    if (type == GST_FDPASS_MESSAGE_HELLO || type == GST_FDPASS_MESSAGE_CAPS)
      gst_unix_socket_sink_store_header (self, buf, type);
  }
  g_mutex_unlock (&self->lock);

  return TRUE;
}

/* Is there a client that cannot take another frame? */
static gboolean
gst_unix_socket_sink_is_full (GstUnixSocketSink * self, guint max_pending)
{
  GList *l;

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (!c->remove_reason && client_pending (c) >= max_pending)
      return TRUE;
  }

  return FALSE;
}

/* Has every connected client been sent everything queued for it? */
static gboolean
gst_unix_socket_sink_all_sent (GstUnixSocketSink * self)
{
  GList *l;

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (!c->remove_reason && !g_queue_is_empty (&c->queue))
      return FALSE;
  }

  return TRUE;
}

/* At the end of the stream the last frames and the EOS message may still
 * be queued: give the clients a moment to get them before the pipeline
 * shuts down and closes their connections. */
static gboolean
gst_unix_socket_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    gint64 end = g_get_monotonic_time () + EOS_DRAIN_TIMEOUT;

    g_mutex_lock (&self->lock);
    gst_unix_socket_sink_wake (self);
    while (!self->flushing && !gst_unix_socket_sink_all_sent (self)) {
      gint64 now = g_get_monotonic_time ();

      if (now >= end) {
        GST_WARNING_OBJECT (self, "clients did not take everything before "
            "the end of the stream");
        break;
      }
      /* writes signal the condition; poll too, for the last one */
      g_cond_wait_until (&self->cond, &self->lock,
          MIN (end, now + 20 * G_TIME_SPAN_MILLISECOND));
    }
    g_mutex_unlock (&self->lock);
  }

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

static GstFlowReturn
gst_unix_socket_sink_render (GstBaseSink * bsink, GstBuffer * buf)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);
  GstUnixSocketSinkSlowClientPolicy policy;
  GstClockTime timeout;
  gboolean need_wake;
  guint max_pending;
  guint16 type;
  guint64 id;
  GList *l;

  if (!message_get_info (buf, &type, &id))
    goto invalid;

  GST_OBJECT_LOCK (self);
  policy = self->policy;
  max_pending = MAX (self->max_pending, 1);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  if (type == GST_FDPASS_MESSAGE_HELLO || type == GST_FDPASS_MESSAGE_CAPS) {
    gst_unix_socket_sink_store_header (self, buf, type);
    g_mutex_unlock (&self->lock);
    return GST_FLOW_OK;
  }

  if (type != GST_FDPASS_MESSAGE_BUFFER) {
    /* EOS and anything else goes to everybody, whatever they hold */
    for (l = self->clients; l; l = l->next) {
      Client *c = l->data;

      if (!c->remove_reason)
        client_queue (c, buf, type, id);
    }
    gst_unix_socket_sink_wake (self);
    g_mutex_unlock (&self->lock);
    return GST_FLOW_OK;
  }

  if (policy == GST_UNIX_SOCKET_SINK_SLOW_CLIENT_BLOCK) {
    while (!self->flushing && gst_unix_socket_sink_is_full (self, max_pending)) {
      GST_LOG_OBJECT (self, "waiting for a client to release a frame");
      g_cond_wait (&self->cond, &self->lock);
    }
    if (self->flushing) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_FLUSHING;
    }
  }

  self->n_frames++;
  /* a client that gets its first pending frame needs a timeout deadline,
   * which the I/O thread computes */
  need_wake = timeout > 0 && !self->timeout_armed;
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;
    gboolean idle;

    if (c->remove_reason)
      continue;

    if (client_pending (c) >= max_pending) {
      if (policy == GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DISCONNECT) {
        GST_INFO_OBJECT (self, "client %u holds %u frames, disconnecting it",
            c->id, client_pending (c));
        client_mark_remove_full (self, c, "slow", TRUE);
        /* the I/O thread reaps it */
        need_wake = TRUE;
      } else {
        GST_LOG_OBJECT (self, "client %u holds %u frames, not sending frame %"
            G_GUINT64_FORMAT, c->id, client_pending (c), id);
        c->dropped++;
        self->n_dropped++;
      }
      continue;
    }

    /* a client with nothing else queued gets the frame right away, from
     * this thread: one that keeps up then costs one sendmsg() per frame
     * and no wakeup of the I/O thread. The rest is left to that thread. */
    idle = g_queue_is_empty (&c->queue);
    client_queue (c, buf, type, id);
    if (!idle || client_flush (self, c))
      need_wake = TRUE;
  }
  if (need_wake)
    gst_unix_socket_sink_wake (self);
  g_mutex_unlock (&self->lock);

  return GST_FLOW_OK;

invalid:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
        ("input buffer %" GST_PTR_FORMAT " is not an fdpass message", buf));
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_unix_socket_sink_query (GstBaseSink * bsink, GstQuery * query)
{
  if (gst_fdpass_query_is_release (query)) {
    /* we keep each message buffer until its frame was released */
    gst_fdpass_release_query_set_supported (query, TRUE);
    return TRUE;
  }

  return GST_BASE_SINK_CLASS (parent_class)->query (bsink, query);
}

static GstStructure *
gst_unix_socket_sink_get_stats (GstUnixSocketSink * self)
{
  GstStructure *s;
  GValue array = G_VALUE_INIT;
  GValue value = G_VALUE_INIT;
  GList *l;

  g_value_init (&array, GST_TYPE_ARRAY);

  g_mutex_lock (&self->lock);
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (c->remove_reason)
      continue;

    g_value_init (&value, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&value, gst_structure_new ("client",
            "id", G_TYPE_UINT, c->id,
            "releases", G_TYPE_BOOLEAN, c->can_release,
            "pending", G_TYPE_UINT, client_pending (c),
            "queued", G_TYPE_UINT, g_queue_get_length (&c->queue),
            "sent", G_TYPE_UINT64, c->sent,
            "released", G_TYPE_UINT64, c->released,
            "dropped", G_TYPE_UINT64, c->dropped,
            "bytes", G_TYPE_UINT64, c->bytes,
            "fds", G_TYPE_UINT64, c->fds,
            "kept-files", G_TYPE_UINT, c->kept->len,
            "kept-file-references", G_TYPE_UINT64, c->kept_refs, NULL));
    gst_value_array_append_and_take_value (&array, &value);
  }

  s = gst_structure_new ("application/x-unixsocketsink-stats",
      "n-clients", G_TYPE_UINT, self->n_clients,
      "clients-added", G_TYPE_UINT64, self->n_accepted,
      "clients-removed", G_TYPE_UINT64, self->n_removed,
      "frames", G_TYPE_UINT64, self->n_frames,
      "sent", G_TYPE_UINT64, self->n_sent,
      "released", G_TYPE_UINT64, self->n_released,
      "dropped", G_TYPE_UINT64, self->n_dropped,
      "bytes", G_TYPE_UINT64, self->n_bytes,
      "fds", G_TYPE_UINT64, self->n_fds,
      "kept-file-references", G_TYPE_UINT64, self->n_kept_refs, NULL);
  g_mutex_unlock (&self->lock);

  gst_structure_take_value (s, "clients", &array);

  return s;
}

/* GObject */

static void
gst_unix_socket_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PATH:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "cannot change the path while running");
        break;
      }
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_FD:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "cannot change the fd while running");
        break;
      }
      self->fd = g_value_get_int (value);
      break;
    case PROP_MAX_CLIENTS:
      self->max_clients = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_uint (value);
      break;
    case PROP_SLOW_CLIENT_POLICY:
      self->policy = g_value_get_enum (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  if (prop_id == PROP_TIMEOUT || prop_id == PROP_MAX_PENDING ||
      prop_id == PROP_SLOW_CLIENT_POLICY) {
    /* the I/O thread recomputes its deadlines, a blocked render() looks
     * again */
    g_mutex_lock (&self->lock);
    gst_unix_socket_sink_wake (self);
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
}

static void
gst_unix_socket_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (object);

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
    case PROP_MAX_CLIENTS:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_clients);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_PENDING:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_pending);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SLOW_CLIENT_POLICY:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->policy);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TIMEOUT:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->timeout);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_unix_socket_sink_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_unix_socket_sink_finalize (GObject * object)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (object);

  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);
  gst_clear_buffer (&self->hello_msg);
  gst_clear_buffer (&self->caps_msg);
  gst_clear_buffer (&self->default_hello);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_unix_socket_sink_class_init (GstUnixSocketSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = gst_unix_socket_sink_set_property;
  gobject_class->get_property = gst_unix_socket_sink_get_property;
  gobject_class->finalize = gst_unix_socket_sink_finalize;

  /**
   * GstUnixSocketSink:path:
   *
   * Where to listen. A path that starts with `@` names a socket in the
   * abstract namespace. A socket file left behind by a process that died is
   * replaced; a path another process serves is an error. The file is
   * removed when the element stops.
   */
  g_object_class_install_property (gobject_class, PROP_PATH,
      g_param_spec_string ("path", "Path",
          "Path of the Unix socket to listen on; a leading '@' names a "
          "socket in the abstract namespace", DEFAULT_PATH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstUnixSocketSink:fd:
   *
   * A socket to use instead of #GstUnixSocketSink:path, for a parent
   * process that spawns its consumer: a listening socket, on which clients
   * are accepted, or a connected one (a socketpair end, say), which is
   * served as the only client. The element takes ownership of the socket:
   * it is closed when the element stops (or is freed), and the property
   * goes back to -1 once the socket is in use.
   */
  g_object_class_install_property (gobject_class, PROP_FD,
      g_param_spec_int ("fd", "File descriptor",
          "A listening or connected Unix socket to serve instead of the path; "
          "the element takes ownership and closes it when it stops (-1 = use "
          "the path)", -1, G_MAXINT, DEFAULT_FD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstUnixSocketSink:max-clients:
   *
   * Connections beyond this many clients are accepted and closed at once,
   * so that the peer sees the end of the stream instead of hanging in the
   * listen backlog.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_CLIENTS,
      g_param_spec_uint ("max-clients", "Maximum clients",
          "Maximum number of clients served at once; further connections are "
          "closed right after they are accepted (0 = unlimited)",
          0, G_MAXUINT, DEFAULT_MAX_CLIENTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:max-pending:
   *
   * Frames one client may hold: queued for it, or sent and not released
   * yet. This bounds the memory a stuck client costs. The default of 8
   * covers a receiver that keeps a frame on screen plus a few in a queue,
   * about a quarter of a second at 30 frames per second.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_PENDING,
      g_param_spec_uint ("max-pending", "Maximum pending frames",
          "Maximum number of frames queued for or held by one client before "
          "the slow-client-policy applies", 1, G_MAXUINT, DEFAULT_MAX_PENDING,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:slow-client-policy:
   *
   * What happens when a client holds #GstUnixSocketSink:max-pending frames
   * and a new one arrives. `block` stalls the pipeline, and so every other
   * client, until that client releases a frame or leaves.
   */
  g_object_class_install_property (gobject_class, PROP_SLOW_CLIENT_POLICY,
      g_param_spec_enum ("slow-client-policy", "Slow client policy",
          "What to do with a client that holds max-pending frames when a new "
          "frame arrives", GST_TYPE_UNIX_SOCKET_SINK_SLOW_CLIENT_POLICY,
          DEFAULT_SLOW_CLIENT_POLICY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:timeout:
   *
   * A client that holds frames and released none of them for this long is
   * disconnected. For clients that do not send releases, the time since
   * the last frame could be written to them counts.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Disconnect a client that holds frames and released none for this "
          "many nanoseconds (0 = never)", 0, G_MAXUINT64, DEFAULT_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:stats:
   *
   * Totals since the element was created: `n-clients` connected now,
   * `clients-added`, `clients-removed`, `frames` rendered, frames `sent`
   * (counted once per client), `released` by clients, `dropped` for slow
   * clients, and `bytes` written. `clients` is an array with one structure
   * per client: `id`, `releases` (whether it sends releases), `pending`
   * frames, `queued` messages, and its own `sent`, `released`, `dropped`
   * and `bytes`.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Totals (n-clients, frames, sent, released, dropped, bytes, fds "
          "passed, kept-file-references: files named without passing their "
          "fd again) and one structure per client in the clients array", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink::client-added:
   * @sink: the sink
   * @id: the id of the new client
   *
   * A client connected. Emitted from the element's I/O thread, after the
   * headers were queued for the client.
   */
  gst_unix_socket_sink_signals[SIGNAL_CLIENT_ADDED] =
      g_signal_new ("client-added", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  /**
   * GstUnixSocketSink::client-removed:
   * @sink: the sink
   * @id: the id of the client
   * @reason: why: "closed", "error", "malformed message", "slow",
   *     "timeout" or "stopped"
   *
   * A client is gone; its socket is closed and the frames it held are
   * released. Emitted from the element's I/O thread, also when the element
   * stops (reason "stopped").
   */
  gst_unix_socket_sink_signals[SIGNAL_CLIENT_REMOVED] =
      g_signal_new ("client-removed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
      G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Unix socket fd passing sink", "Sink/Network",
      "Serves fdpass messages to any number of clients over a Unix socket and "
      "recycles frames once every client released them",
      "gst-fdpass contributors");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_unix_socket_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_unix_socket_sink_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_unix_socket_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_unix_socket_sink_event);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_unix_socket_sink_set_caps);
  basesink_class->query = GST_DEBUG_FUNCPTR (gst_unix_socket_sink_query);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_unix_socket_sink_unlock);
  basesink_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_unix_socket_sink_unlock_stop);

  GST_DEBUG_CATEGORY_INIT (gst_unix_socket_sink_debug, "unixsocketsink", 0,
      "Unix socket fd passing sink");

  gst_type_mark_as_plugin_api (GST_TYPE_UNIX_SOCKET_SINK_SLOW_CLIENT_POLICY, 0);
}

static void
gst_unix_socket_sink_init (GstUnixSocketSink * self)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, SINK_FEATURES, 0
  };

  self->path = g_strdup (DEFAULT_PATH);
  self->fd = DEFAULT_FD;
  self->max_clients = DEFAULT_MAX_CLIENTS;
  self->max_pending = DEFAULT_MAX_PENDING;
  self->policy = DEFAULT_SLOW_CLIENT_POLICY;
  self->timeout = DEFAULT_TIMEOUT;
  self->listen_fd = -1;
  self->adopt_fd = -1;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);

  /* until the producer's arrives, clients get a hello of our own */
  self->default_hello = gst_fdpass_message_new_hello (&hello);
  GST_BUFFER_FLAG_SET (self->default_hello, GST_BUFFER_FLAG_HEADER);
  self->hello_msg = gst_buffer_ref (self->default_hello);

  gst_base_sink_set_last_sample_enabled (GST_BASE_SINK (self), FALSE);
}
