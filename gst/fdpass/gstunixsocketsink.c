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
 * SCM_RIGHTS. It listens on #GstUnixSocketSink:socket-path (a
 * SOCK_SEQPACKET socket; see #GstUnixSocketSink:socket-type for the
 * abstract namespace) or uses the socket given in #GstUnixSocketSink:fd.
 * Clients may connect and leave at any time: each one first gets the
 * current HELLO, CAPS and SEGMENT messages, then every frame rendered from
 * the moment it is accepted. The element's I/O thread accepts a client as
 * soon as it connects. Before the first frame, and whenever no client is
 * connected, the sink also accepts the clients still waiting in the listen
 * backlog before the frame goes out: consumers started before the producer
 * get every frame from the first, even when several connect at once.
 * Without clients, frames are dropped, unless
 * #GstUnixSocketSink:wait-for-connection holds them until one connects.
 * #GstUnixSocketSink::remove disconnects a client and
 * #GstUnixSocketSink::get-stats tells about one, like #multisocketsink's
 * signals of the same names.
 *
 * ## Who may connect
 *
 * Only processes of the sink's own user get frames: the credentials of
 * every accepted client (SO_PEERCRED) are checked, for path and abstract
 * sockets alike, and other users are refused unless their uid is listed in
 * #GstUnixSocketSink:allowed-uids or their group in
 * #GstUnixSocketSink:allowed-gids. A socket file gets the mode of
 * #GstUnixSocketSink:perms (0600 by default) before anybody can connect.
 * Refused connections are counted in #GstUnixSocketSink:stats and logged.
 * A socket given in #GstUnixSocketSink:fd that is already connected is the
 * application's choice and is not checked.
 *
 * ## Frames are never written while a receiver may read them
 *
 * Unlike #multisocketsink it reads what clients write back. A client whose
 * HELLO announces the RELEASE feature (such as #unixsocketsrc in front of
 * #fddepay) tells the sink which frames it is done with; the sink keeps its
 * reference to each frame until every client it was sent to released it.
 * The sink answers fdpay's release query, so fdpay ties each frame to its
 * message and the frame's memory goes back to its pool exactly then.
 *
 * Every other way a frame can leave makes it the receiver's for good: a
 * frame written to a client that does not send releases (a plain
 * #socketsrc, a client whose HELLO did not arrive yet or lacks RELEASE),
 * and the frames a client still held when it was disconnected or went
 * away, are marked exported (gst_fdpass_memory_mark_exported()): their
 * memory is never written again, the client may map it as long as it
 * likes, and the producer allocates fresh memory instead. The frames a
 * client that does not release has not read from its socket yet still
 * count against #GstUnixSocketSink:max-pending for it.
 *
 * Each connection has its own buffer ids (the sink rewrites them), so
 * several fdpay elements feeding one sink never mix up their frames.
 *
 * ## Bounded memory
 *
 * One client never stalls the others or upstream: a client may hold at
 * most #GstUnixSocketSink:max-pending frames (queued for it, sent and not
 * released, or not yet read), after which
 * #GstUnixSocketSink:slow-client-policy applies: new frames are not sent to
 * it (the default), or it is disconnected, or, only when `block` is chosen
 * explicitly, the sink waits for it. All clients together may make the
 * sink hold at most #GstUnixSocketSink:max-held-bytes of frames: beyond
 * that, the client holding the oldest frame is disconnected (or, with
 * `block`, the sink waits). #GstUnixSocketSink:timeout disconnects clients
 * that stopped releasing or reading altogether, and
 * #GstUnixSocketSink:max-clients bounds the connections. So the frames the
 * sink holds for its clients take at most
 * min (max-held-bytes + one frame, max-clients × max-pending frames) of
 * memory, and the frames in flight to clients that do not release at most
 * max-clients × max-pending frames more (held by the kernel until they are
 * read). A client the sink disconnects can still read what is in its
 * socket: the frames it held are exported, its socket is closed.
 *
 * ## Kept files
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
 * ## Threads
 *
 * The state of each connection lives in a socket-free #GstFdPassSession;
 * this element owns the sockets. Socket I/O happens in a thread of the
 * element that runs its own #GMainContext. The streaming thread writes a
 * frame itself only to a client that has nothing else queued, with a
 * non-blocking sendmsg(), so that a client that keeps up costs no thread
 * switch per frame; anything that does not fit into the socket is left to
 * the I/O thread. With a live source, it then gives up the CPU for a
 * moment (#GstUnixSocketSink:yield-after-send), before it reads releases,
 * so that a receiver that the frame woke on this CPU reads it before the
 * source makes the next one. Releases do not wake a thread up either: the
 * streaming thread reads them in batches, when a client holds a few
 * frames, and waits for them in poll() itself when it has to (`block`),
 * so that a frame is freed in the thread that made it. The I/O thread
 * reads them when no frame went out for 100 ms, so that the frames of a
 * stream that stopped go back too, and before it gives up on a client
 * for its #GstUnixSocketSink:timeout. New clients are
 * the I/O thread's too, once frames flow to a client. Without clients,
 * frames are simply dropped (unless #GstUnixSocketSink:wait-for-connection
 * is set), so the sink prerolls and plays without anybody connected. Like
 * #multisocketsink, the sink keeps #GstBaseSink:sync at %TRUE, so that a
 * file or a non-live test source is served at its real rate instead of as
 * fast as the CPU allows; with a live source, or to let the receivers do
 * all the pacing, set `sync=false`. #GstBaseSink:enable-last-sample is
 * %FALSE by default, since the last sample would keep a frame from being
 * recycled.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,width=3840,height=2160 ! fdpay ! unixsocketsink socket-path=/tmp/v.sock
 * ]| Offers 4K frames at /tmp/v.sock, to be shown with
 * |[
 * gst-launch-1.0 unixsocketsrc socket-path=/tmp/v.sock ! fddepay ! videoconvert ! autovideosink
 * ]|
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! fdpay ! unixsocketsink socket-path=video socket-type=abstract wait-for-connection=true
 * ]| Serves 300 frames under the abstract name `video` (`@video` for
 * unixsocketsrc), from the first one on to the first client that
 * connects.
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
#include <gio/gio.h>
#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

GST_DEBUG_CATEGORY_STATIC (gst_unix_socket_sink_debug);
#define GST_CAT_DEFAULT gst_unix_socket_sink_debug

#define DEFAULT_PATH NULL
#define DEFAULT_SOCKET_TYPE G_UNIX_SOCKET_ADDRESS_PATH
#define DEFAULT_WAIT_FOR_CONNECTION FALSE
#define DEFAULT_YIELD_AFTER_SEND TRUE
#define DEFAULT_FD -1
#define DEFAULT_MAX_CLIENTS 16
#define DEFAULT_MAX_PENDING 8
#define DEFAULT_MAX_HELD_BYTES (256 * 1024 * 1024)
#define DEFAULT_SLOW_CLIENT_POLICY GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DROP
#define DEFAULT_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_PERMS 0600

/* the largest message, so that a SOCK_SEQPACKET read is never truncated */
#define READ_SIZE (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD)
/* reads per client and wakeup, so that one chatty client cannot starve
 * the others */
#define MAX_READS_PER_DISPATCH 16
/* The I/O thread looks at every client this often: reads what it wrote
 * back and checks its timeout (see Threads) */
#define CHECK_INTERVAL (100 * G_TIME_SPAN_MILLISECOND)
/* The streaming thread reads the releases of a client once it holds this
 * many frames: few enough that what it wrote back fits in its socket
 * whatever max-pending is */
#define RELEASE_READ_BATCH 4
/* files we ask one client to keep at most, whatever it offers */
#define MAX_KEPT_FILES 64
/* what we add to the producer's hello: we read releases, and keep track of
 * the files each client keeps */
#define SINK_FEATURES (GST_FDPASS_FEATURE_RELEASE | GST_FDPASS_FEATURE_FILES)

enum
{
  PROP_0,
  PROP_SOCKET_PATH,
  PROP_PATH,
  PROP_SOCKET_TYPE,
  PROP_FD,
  PROP_MAX_CLIENTS,
  PROP_MAX_PENDING,
  PROP_MAX_HELD_BYTES,
  PROP_SLOW_CLIENT_POLICY,
  PROP_TIMEOUT,
  PROP_PERMS,
  PROP_ALLOWED_UIDS,
  PROP_ALLOWED_GIDS,
  PROP_STATS,
  PROP_WAIT_FOR_CONNECTION,
  PROP_YIELD_AFTER_SEND,
};

enum
{
  SIGNAL_CLIENT_ADDED,
  SIGNAL_CLIENT_REMOVED,
  SIGNAL_REMOVE,
  SIGNAL_GET_STATS,
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

struct _Client
{
  GstUnixSocketSink *sink;
  guint id;
  gint fd;
  gboolean seqpacket;
  ClientSource *source;
  GIOCondition events;
  /* who is at the other end, when it was accepted */
  gint pid;
  gint uid;

  /* protected by the sink's lock */
  GstFdPassSession *session;
  const gchar *remove_reason;   /* set when the client is going away */
  guint64 dropped;
};

/* a client-added (no reason) or client-removed signal to emit */
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
  GUnixSocketAddressType socket_type;
  gint fd;
  guint max_clients;
  guint max_pending;
  guint64 max_held_bytes;
  GstUnixSocketSinkSlowClientPolicy policy;
  GstClockTime timeout;
  guint perms;
  GArray *allowed_uids;
  GArray *allowed_gids;
  gboolean wait_for_connection;
  gboolean yield_after_send;

  /* whether upstream is live: -1 until render() asked (streaming thread) */
  gint upstream_live;

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
  gchar *created_path;
  guint8 *scratch;              /* for reads, protected by lock */

  /* protected by lock; lock order: lock, then the object lock */
  GMutex lock;
  GCond cond;
  /* threads waiting on cond: a broadcast nobody waits for would still be
   * a futex() call, for every frame written and every release read */
  guint n_waiters;
  /* render() waiting for releases in poll(): an eventfd that interrupts
   * the wait, then the sockets of the clients that send them */
  gint wake_fd;
  GArray *pollfds;              /* of struct pollfd */
  gboolean polling;
  gboolean poll_signaled;
  GList *clients;
  guint n_clients;
  guint next_client_id;
  /* the signals to emit, in order; the I/O thread emits them */
  GArray *events;
  /* set by unlock(), cleared by unlock_stop(), which GstBaseSink calls
   * only once render() returned or waits for preroll */
  gboolean flushing;
  /* the I/O thread will wake up by itself to look at the clients */
  gboolean timer_armed;
  /* a frame was rendered since start(): from then on, while clients are
   * connected, only the I/O thread accepts new ones (an accept() that
   * finds nothing costs a system call per frame) */
  gboolean rendered;
  /* the I/O thread will wake up at once */
  gboolean wake_pending;
  GstBuffer *default_hello;
  GstBuffer *hello_msg;
  GstBuffer *caps_msg;
  GstBuffer *segment_msg;
  /* the frames clients hold, and their memory */
  guint held_frames;
  guint64 held_bytes;

  guint64 n_frames;
  /* n_frames when the I/O thread last looked at the clients */
  guint64 checked_frames;
  guint64 n_dropped;
  guint64 n_accepted;
  guint64 n_refused;
  guint64 n_removed;
  /* totals of the clients that are gone */
  guint64 n_sent_gone;
  guint64 n_released_gone;
  guint64 n_bytes_gone;
  guint64 n_fds_gone;
  guint64 n_kept_refs_gone;
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

/* Reads the type of message @buf. */
static gboolean
message_get_type (GstBuffer * buf, guint16 * type)
{
  guint8 data[GST_FDPASS_HEADER_SIZE];
  GstFdPassHeader header;
  gsize size;

  size = gst_buffer_extract (buf, 0, data, sizeof (data));
  if (!gst_fdpass_header_parse (data, size, &header, NULL))
    return FALSE;

  if (gst_buffer_get_size (buf) != GST_FDPASS_HEADER_SIZE + header.payload_size)
    return FALSE;

  *type = header.type;
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

/* frames held for clients; called with the lock held, since the clients'
 * sessions drop their frames only then */
static void
frame_held_gone (gpointer user_data, GstMiniObject * obj)
{
  GstUnixSocketSink *self = user_data;

  self->held_frames--;
  self->held_bytes -= gst_fdpass_frame_get_size ((GstFdPassFrame *) obj);
}

static void
gst_unix_socket_sink_hold_frame (GstUnixSocketSink * self,
    GstFdPassFrame * frame)
{
  self->held_frames++;
  self->held_bytes += gst_fdpass_frame_get_size (frame);
  gst_mini_object_weak_ref (GST_MINI_OBJECT_CAST (frame), frame_held_gone,
      self);
}

/* clients; everything here is called with the lock held */

static void
client_queue_headers (GstUnixSocketSink * self, Client * c)
{
  gst_fdpass_session_queue_message (c->session, self->hello_msg);
  if (self->caps_msg)
    gst_fdpass_session_queue_message (c->session, self->caps_msg);
  if (self->segment_msg)
    gst_fdpass_session_queue_message (c->session, self->segment_msg);
}

/* lock held */
static void
gst_unix_socket_sink_wake (GstUnixSocketSink * self)
{
  if (self->wakeup_source) {
    g_source_set_ready_time (self->wakeup_source, 0);
    self->wake_pending = TRUE;
  }
}

/* lock held: wakes the threads waiting on cond or in poll, if any */
static void
gst_unix_socket_sink_signal (GstUnixSocketSink * self)
{
  if (self->n_waiters > 0)
    g_cond_broadcast (&self->cond);
  if (self->polling && !self->poll_signaled) {
    guint64 one = 1;

    if (write (self->wake_fd, &one, sizeof (one)) != sizeof (one))
      GST_WARNING_OBJECT (self, "could not interrupt poll(): %s",
          g_strerror (errno));
    self->poll_signaled = TRUE;
  }
}

/* lock held: waits on cond until @end (monotonic time) */
static void
gst_unix_socket_sink_cond_wait (GstUnixSocketSink * self, gint64 end)
{
  self->n_waiters++;
  g_cond_wait_until (&self->cond, &self->lock, end);
  self->n_waiters--;
}

/* We give up on @c: whatever it may still map becomes its own, the rest
 * is dropped, and the I/O thread closes its socket. A client we
 * disconnect can still read what is in its socket already. */
static void
client_remove (GstUnixSocketSink * self, Client * c, const gchar * reason)
{
  if (c->remove_reason)
    return;

  GST_DEBUG_OBJECT (self, "removing client %u: %s", c->id, reason);
  c->remove_reason = reason;
  gst_fdpass_session_close (c->session);
  gst_unix_socket_sink_signal (self);
  /* the I/O thread reaps it */
  gst_unix_socket_sink_wake (self);
}

static gboolean
client_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data);

static GSourceFuncs client_source_funcs = {
  NULL, NULL, client_source_dispatch, NULL
};

static Client *
client_new (GstUnixSocketSink * self, gint fd, gboolean seqpacket, gint pid,
    gint uid)
{
  Client *c = g_new0 (Client, 1);
  ClientEvent ev = { 0, NULL };

  c->sink = self;
  c->id = ++self->next_client_id;
  c->fd = fd;
  c->seqpacket = seqpacket;
  c->pid = pid;
  c->uid = uid;
  c->session = gst_fdpass_session_new (MAX_KEPT_FILES);

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
  if (self->wakeup_source && !self->timer_armed && !self->wake_pending) {
    g_source_set_ready_time (self->wakeup_source,
        g_get_monotonic_time () + CHECK_INTERVAL);
    self->timer_armed = TRUE;
  }

  ev.id = c->id;
  g_array_append_val (self->events, ev);

  return c;
}

static guint64
stats_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  gst_structure_get_uint64 (s, field, &v);
  return v;
}

static void
client_free (GstUnixSocketSink * self, Client * c)
{
  GstStructure *stats = gst_fdpass_session_get_stats (c->session);

  /* the totals keep counting what it got */
  self->n_sent_gone += stats_u64 (stats, "sent");
  self->n_released_gone += stats_u64 (stats, "released");
  self->n_bytes_gone += stats_u64 (stats, "bytes");
  self->n_fds_gone += stats_u64 (stats, "fds");
  self->n_kept_refs_gone += stats_u64 (stats, "kept-file-references");
  gst_structure_free (stats);

  g_source_destroy ((GSource *) c->source);
  g_source_unref ((GSource *) c->source);
  close (c->fd);
  gst_fdpass_session_unref (c->session);
  g_free (c);
}

/* Lock held: frees the clients marked for removal, queueing their
 * client-removed signals. Only the I/O thread, which watches the clients'
 * sockets, frees them. */
static void
gst_unix_socket_sink_reap (GstUnixSocketSink * self)
{
  GList *l = self->clients;

  while (l) {
    GList *next = l->next;
    Client *c = l->data;

    if (c->remove_reason) {
      ClientEvent ev = { c->id, c->remove_reason };

      g_array_append_val (self->events, ev);
      self->n_clients--;
      self->n_removed++;
      self->clients = g_list_delete_link (self->clients, l);
      client_free (self, c);
    }
    l = next;
  }
}

/* I/O thread, lock not held: emits client-added and client-removed for
 * the clients that came and went, in that order. */
static void
gst_unix_socket_sink_emit_events (GstUnixSocketSink * self)
{
  GArray *events;
  guint i;

  g_mutex_lock (&self->lock);
  if (self->events->len == 0) {
    g_mutex_unlock (&self->lock);
    return;
  }
  events = self->events;
  self->events = g_array_new (FALSE, FALSE, sizeof (ClientEvent));
  g_mutex_unlock (&self->lock);

  for (i = 0; i < events->len; i++) {
    ClientEvent *ev = &g_array_index (events, ClientEvent, i);

    if (ev->reason == NULL)
      g_signal_emit (self, gst_unix_socket_sink_signals[SIGNAL_CLIENT_ADDED],
          0, ev->id);
    else
      g_signal_emit (self,
          gst_unix_socket_sink_signals[SIGNAL_CLIENT_REMOVED], 0, ev->id,
          ev->reason);
  }
  g_array_unref (events);
}

/* I/O thread: reads what @c wrote, without blocking. */
static void
client_read (GstUnixSocketSink * self, Client * c)
{
  guint i;

  for (i = 0; i < MAX_READS_PER_DISPATCH && !c->remove_reason; i++) {
    GstFdPassRecvFlags flags;
    GError *err = NULL;
    guint pending;
    gssize n;

    /* clients have no business sending us file descriptors: any are
     * closed */
    n = gst_fdpass_socket_receive (c->fd, self->scratch, READ_SIZE, NULL, 0,
        NULL, &flags);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        GST_DEBUG_OBJECT (self, "client %u: read failed: %s", c->id,
            g_strerror (errno));
        /* a client that closes with frames it did not read leaves
         * ECONNRESET, not end of file, behind: it closed all the same */
        client_remove (self, c, errno == ECONNRESET ? "closed" : "error");
      }
      return;
    }

    if (n == 0) {
      client_remove (self, c, "closed");
      return;
    }
    if (flags & GST_FDPASS_RECV_FLAG_TRUNCATED) {
      GST_WARNING_OBJECT (self, "client %u sent a packet larger than %u "
          "bytes, disconnecting it", c->id, READ_SIZE);
      client_remove (self, c, "malformed message");
      return;
    }

    pending = gst_fdpass_session_get_pending (c->session);
    if (!gst_fdpass_session_receive (c->session, self->scratch, n, &err)) {
      GST_WARNING_OBJECT (self, "client %u sent a malformed message, "
          "disconnecting it: %s", c->id, err->message);
      g_clear_error (&err);
      client_remove (self, c, "malformed message");
      return;
    }
    /* a render() blocked on this client looks again */
    if (gst_fdpass_session_get_pending (c->session) < pending)
      gst_unix_socket_sink_signal (self);
  }
}

/* The I/O thread watches a client for what it writes until its hello
 * says that it releases frames (the hello decides how its frames are
 * accounted for); from then on, its releases are read when they are
 * needed, by the streaming thread, or by the I/O thread once frames
 * stopped (gst_unix_socket_sink_wakeup()), so that a client that keeps
 * up wakes up no thread of ours per release. A client that closes its
 * connection is noticed at once anyway: poll() reports a hang-up whatever
 * it was asked for. */
static void
client_update_events (Client * c)
{
  GIOCondition events = G_IO_ERR | G_IO_HUP;

  if (!gst_fdpass_session_releases (c->session))
    events |= G_IO_IN;
  if (gst_fdpass_session_get_queued (c->session) > 0)
    events |= G_IO_OUT;

  if (events != c->events) {
    c->events = events;
    g_source_modify_unix_fd ((GSource *) c->source, c->source->tag, events);
  }
}

/* One sendmsg() of what the session of @c has to write next. Returns
 * FALSE when nothing more can be written now. */
static gboolean
client_write_one (GstUnixSocketSink * self, Client * c)
{
  GstFdPassSessionOutput out;
  gssize n;

  if (!gst_fdpass_session_get_output (c->session, &out))
    return FALSE;

  n = gst_fdpass_socket_send (c->fd, out.data, out.size, out.fds, out.n_fds);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return FALSE;
    GST_DEBUG_OBJECT (self, "client %u: write failed: %s", c->id,
        g_strerror (errno));
    client_remove (self, c, errno == EPIPE ||
        errno == ECONNRESET ? "closed" : "error");
    return FALSE;
  }

  gst_fdpass_session_output_done (c->session, n);
  /* EOS waits for the queues to drain */
  gst_unix_socket_sink_signal (self);

  return TRUE;
}

/* Lock held: writes what is queued for @c until the socket is full.
 * Returns TRUE when something is left or the client failed, which is the
 * I/O thread's business. */
static gboolean
client_flush (GstUnixSocketSink * self, Client * c)
{
  while (!c->remove_reason && client_write_one (self, c));

  return c->remove_reason != NULL ||
      gst_fdpass_session_get_queued (c->session) > 0;
}

/* I/O thread */
static void
client_write (GstUnixSocketSink * self, Client * c)
{
  client_flush (self, c);
  if (!c->remove_reason)
    client_update_events (c);
}

/* Frames written to a client that does not release are pending until it
 * read them: once its socket holds nothing unread, they are in its
 * hands. */
static void
client_check_caught_up (Client * c)
{
  gint unread = 0;

  if (gst_fdpass_session_get_in_flight (c->session) > 0 &&
      ioctl (c->fd, SIOCOUTQ, &unread) == 0 && unread == 0)
    gst_fdpass_session_peer_caught_up (c->session);
}

/* Lock held: the frames @c holds. At the limit, what it wrote back may
 * already be waiting in its socket: read it first, whatever thread this
 * is, rather than drop a frame for a client that released in time. */
static guint
client_get_pending (GstUnixSocketSink * self, Client * c, guint max_pending)
{
  guint pending;

  client_check_caught_up (c);
  pending = gst_fdpass_session_get_pending (c->session);
  if (pending < max_pending)
    return pending;

  client_read (self, c);
  client_check_caught_up (c);

  return gst_fdpass_session_get_pending (c->session);
}

static gboolean
client_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  ClientSource *cs = (ClientSource *) source;
  Client *c = cs->client;
  GstUnixSocketSink *self = c->sink;
  GIOCondition revents = g_source_query_unix_fd (source, cs->tag);

  g_mutex_lock (&self->lock);
  /* read first: a hello that is already there decides how frames are
   * accounted for */
  if (revents & (G_IO_IN | G_IO_ERR | G_IO_HUP))
    client_read (self, c);
  if ((revents & G_IO_OUT) && !c->remove_reason)
    client_flush (self, c);
  if (!c->remove_reason)
    client_update_events (c);
  gst_unix_socket_sink_reap (self);
  g_mutex_unlock (&self->lock);

  gst_unix_socket_sink_emit_events (self);

  return G_SOURCE_CONTINUE;
}

/* Whether @peer may get frames: a process of our own user, or one the
 * allowed-uids or allowed-gids let in. */
static gboolean
gst_unix_socket_sink_peer_allowed (GstUnixSocketSink * self,
    const GstFdPassPeer * peer)
{
  gboolean allowed;

  GST_OBJECT_LOCK (self);
  allowed = gst_fdpass_peer_is_allowed (peer,
      (const guint *) self->allowed_uids->data, self->allowed_uids->len,
      (const guint *) self->allowed_gids->data, self->allowed_gids->len);
  GST_OBJECT_UNLOCK (self);

  return allowed;
}

/* Lock held: adds a connected client and greets it: its headers are
 * written before anything else. */
static void
gst_unix_socket_sink_add_client (GstUnixSocketSink * self, gint fd,
    gboolean seqpacket, const GstFdPassPeer * peer)
{
  Client *c;

  c = client_new (self, fd, seqpacket, peer->pid, peer->uid);
  GST_DEBUG_OBJECT (self, "new client %u on socket %d (%s), pid %d uid %d",
      c->id, fd, seqpacket ? "SOCK_SEQPACKET" : "SOCK_STREAM", c->pid, c->uid);

  /* its hello, usually there already, tells how frames are accounted for */
  client_read (self, c);
  if (!c->remove_reason)
    client_write (self, c);
}

/* Lock held: the clients that are not on their way out. */
static guint
gst_unix_socket_sink_n_live_clients (GstUnixSocketSink * self)
{
  guint n = 0;
  GList *l;

  for (l = self->clients; l; l = l->next) {
    if (((Client *) l->data)->remove_reason == NULL)
      n++;
  }

  return n;
}

/* Lock held: whether a new connection on @fd, from @peer, may become a
 * client. */
static gboolean
gst_unix_socket_sink_admit (GstUnixSocketSink * self, gint fd,
    guint max_clients, GstFdPassPeer * peer)
{
  guint n_live;
  gchar *who;

  if (!gst_fdpass_socket_get_peer (fd, peer)) {
    GST_WARNING_OBJECT (self, "cannot tell who connected, refusing: %s",
        g_strerror (errno));
    self->n_refused++;
    return FALSE;
  }

  if (!gst_unix_socket_sink_peer_allowed (self, peer)) {
    /* logged, and counted in the stats: another user could flood the bus
     * with one message per attempt otherwise */
    who = gst_fdpass_peer_to_string (peer);
    GST_WARNING_OBJECT (self, "refusing %s: only uid %u, allowed-uids and "
        "allowed-gids may connect", who, (guint) geteuid ());
    g_free (who);
    self->n_refused++;
    return FALSE;
  }

  /* clients that are leaving do not count */
  n_live = gst_unix_socket_sink_n_live_clients (self);
  if (max_clients > 0 && n_live >= max_clients) {
    GST_INFO_OBJECT (self, "already %u clients, closing the connection of "
        "pid %d", n_live, (gint) peer->pid);
    self->n_refused++;
    return FALSE;
  }

  return TRUE;
}

/* Lock held: accepts every connection waiting in the listen backlog,
 * without blocking. The I/O thread calls it when a client connects, and
 * render() before the first frame and while nobody is connected, so that
 * a client that connected before such a frame gets it. Returns the number
 * of clients added. */
static guint
gst_unix_socket_sink_accept_pending (GstUnixSocketSink * self)
{
  guint max_clients, n_added = 0;

  if (self->listen_fd < 0)
    return 0;

  GST_OBJECT_LOCK (self);
  max_clients = self->max_clients;
  GST_OBJECT_UNLOCK (self);

  for (;;) {
    gint cfd = accept4 (self->listen_fd, NULL, NULL,
        SOCK_CLOEXEC | SOCK_NONBLOCK);
    GstFdPassPeer peer = { 0, };

    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        GST_WARNING_OBJECT (self, "accept failed: %s", g_strerror (errno));
      break;
    }

    /* a refused peer sees the end of the stream at once, instead of
     * hanging in the listen backlog */
    if (gst_unix_socket_sink_admit (self, cfd, max_clients, &peer)) {
      gst_unix_socket_sink_add_client (self, cfd, self->listen_seqpacket,
          &peer);
      n_added++;
    } else {
      close (cfd);
    }
    gst_fdpass_peer_clear (&peer);
  }

  if (n_added > 0)
    /* a render() waiting for a client looks again */
    gst_unix_socket_sink_signal (self);

  return n_added;
}

/* I/O thread: the listening socket is readable. */
static gboolean
gst_unix_socket_sink_accept (gint fd, GIOCondition condition,
    gpointer user_data)
{
  GstUnixSocketSink *self = user_data;

  g_mutex_lock (&self->lock);
  gst_unix_socket_sink_accept_pending (self);
  gst_unix_socket_sink_reap (self);
  g_mutex_unlock (&self->lock);

  gst_unix_socket_sink_emit_events (self);

  return G_SOURCE_CONTINUE;
}

/* when @c times out unless it makes progress first */
static gint64
client_get_deadline (Client * c, GstClockTime timeout)
{
  return gst_fdpass_session_get_last_progress (c->session) +
      GST_TIME_AS_USECONDS (timeout);
}

/* Lock held: disconnects @c if it made no progress (released or read
 * nothing) for @timeout while holding frames. Returns its deadline
 * otherwise, or -1. */
static gint64
client_check_timeout (GstUnixSocketSink * self, Client * c,
    GstClockTime timeout, gint64 now)
{
  gint64 deadline;

  client_check_caught_up (c);
  if (timeout == 0 || gst_fdpass_session_get_pending (c->session) == 0)
    return -1;

  deadline = client_get_deadline (c, timeout);
  if (deadline <= now && gst_fdpass_session_releases (c->session)) {
    /* its releases may be waiting unread while frames flow */
    client_read (self, c);
    if (c->remove_reason || gst_fdpass_session_get_pending (c->session) == 0)
      return -1;
    deadline = client_get_deadline (c, timeout);
  }
  if (deadline > now)
    return deadline;

  GST_INFO_OBJECT (self, "client %u released or read nothing for %"
      GST_TIME_FORMAT ", disconnecting it", c->id, GST_TIME_ARGS (timeout));
  client_remove (self, c, "timeout");
  return -1;
}

/* The wakeup source is ready when the streaming thread queued something
 * (ready time 0), every CHECK_INTERVAL while there are clients, and when
 * the next client may time out. */
static gboolean
gst_unix_socket_sink_wakeup (gpointer user_data)
{
  GstUnixSocketSink *self = user_data;
  GstClockTime timeout;
  gint64 now, next = -1;
  gboolean stream_idle;
  GList *l;

  GST_OBJECT_LOCK (self);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  self->wake_pending = FALSE;
  /* While frames go out, the streaming thread reads releases (see
   * Threads): the frames they free then go back to the allocator of the
   * thread that made them, where glibc reuses them without taking a lock,
   * instead of filling the cache of this thread. */
  stream_idle = self->n_frames == self->checked_frames;
  self->checked_frames = self->n_frames;
  now = g_get_monotonic_time ();
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;
    gint64 deadline;

    if (c->remove_reason)
      continue;

    if (stream_idle || !gst_fdpass_session_releases (c->session))
      client_read (self, c);
    if (!c->remove_reason && gst_fdpass_session_get_queued (c->session) > 0)
      client_write (self, c);
    if (c->remove_reason)
      continue;

    deadline = client_check_timeout (self, c, timeout, now);
    if (deadline < 0 || deadline > now + CHECK_INTERVAL)
      deadline = now + CHECK_INTERVAL;
    if (next < 0 || deadline < next)
      next = deadline;
  }
  gst_unix_socket_sink_reap (self);
  /* under the lock, so that a wakeup from render() is never lost */
  g_source_set_ready_time (self->wakeup_source, next);
  self->timer_armed = next >= 0;
  g_mutex_unlock (&self->lock);

  /* also the clients render() accepted */
  gst_unix_socket_sink_emit_events (self);

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

/* I/O thread: the last thing it does. */
static gboolean
gst_unix_socket_sink_shutdown (gpointer user_data)
{
  GstUnixSocketSink *self = user_data;
  GList *l;

  /* take the socket away first: a receiver that reconnects at once then
   * finds nothing instead of a listener about to drop it. The file goes
   * before the socket closes: a file without a listener refuses
   * connections, which a receiver could take for a socket of another
   * type. */
  if (self->listen_source) {
    g_source_destroy (self->listen_source);
    g_clear_pointer (&self->listen_source, g_source_unref);
  }
  g_mutex_lock (&self->lock);
  if (self->created_path) {
    GST_DEBUG_OBJECT (self, "removing %s", self->created_path);
    unlink (self->created_path);
    g_clear_pointer (&self->created_path, g_free);
  }
  if (self->listen_fd >= 0) {
    close (self->listen_fd);
    self->listen_fd = -1;
  }

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    /* best effort: the EOS message, say, may still be queued */
    if (!c->remove_reason)
      client_write (self, c);
    client_remove (self, c, "stopped");
  }
  gst_unix_socket_sink_reap (self);
  g_mutex_unlock (&self->lock);

  gst_unix_socket_sink_emit_events (self);

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

/* Listens on @name, a path (where a leading '@' still names an abstract
 * socket) or an abstract name, as @type says. */
static gboolean
gst_unix_socket_sink_listen (GstUnixSocketSink * self, const gchar * name,
    GUnixSocketAddressType type, guint perms)
{
  GError *err = NULL;
  gint fd;

  if (type == G_UNIX_SOCKET_ADDRESS_PATH) {
    fd = gst_fdpass_socket_listen (name, perms, &self->created_path, &err);
  } else if (type == G_UNIX_SOCKET_ADDRESS_ABSTRACT) {
    fd = gst_fdpass_socket_listen_full (name, TRUE, perms, NULL, &err);
  } else {
    GEnumClass *klass = g_type_class_ref (G_TYPE_UNIX_SOCKET_ADDRESS_TYPE);
    GEnumValue *value = g_enum_get_value (klass, type);

    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The socket-type \"%s\" is not supported: use \"path\" or "
            "\"abstract\".", value ? value->value_nick : "?"), (NULL));
    g_type_class_unref (klass);
    return FALSE;
  }

  if (fd < 0) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message),
          (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("%s", err->message),
          (NULL));
    g_clear_error (&err);
    return FALSE;
  }

  GST_DEBUG_OBJECT (self, "listening on %s%s", type ==
      G_UNIX_SOCKET_ADDRESS_ABSTRACT ? "abstract name " : "", name);
  self->listen_fd = fd;
  self->listen_seqpacket = TRUE;

  return TRUE;
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
  GUnixSocketAddressType type;
  gchar *path;
  guint perms;
  gint fd;
  gboolean ok;

  self->upstream_live = -1;
  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->wake_fd < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("eventfd() failed: %s", g_strerror (errno)));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->path);
  type = self->socket_type;
  perms = self->perms;
  /* we own the given socket; it is used once */
  fd = self->fd;
  self->fd = -1;
  GST_OBJECT_UNLOCK (self);

  if (fd >= 0) {
    ok = gst_unix_socket_sink_use_fd (self, fd);
  } else if (path && path[0] != '\0') {
    ok = gst_unix_socket_sink_listen (self, path, type, perms);
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No socket to serve: set the socket-path or the fd property."),
        (NULL));
    ok = FALSE;
  }
  g_free (path);
  if (!ok) {
    /* stop() is not called when start() fails */
    close (self->wake_fd);
    self->wake_fd = -1;
    return FALSE;
  }

  self->scratch = g_malloc (READ_SIZE);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  gst_buffer_replace (&self->hello_msg, self->default_hello);
  gst_clear_buffer (&self->caps_msg);
  gst_clear_buffer (&self->segment_msg);

  self->wakeup_source = g_source_new (&wakeup_source_funcs, sizeof (GSource));
  g_source_set_callback (self->wakeup_source, gst_unix_socket_sink_wakeup,
      self, NULL);
  g_source_set_ready_time (self->wakeup_source, -1);
  self->wake_pending = FALSE;
  self->timer_armed = FALSE;
  g_source_attach (self->wakeup_source, self->context);
  g_mutex_unlock (&self->lock);

  if (self->listen_fd >= 0) {
    self->listen_source = g_unix_fd_source_new (self->listen_fd, G_IO_IN);
    g_source_set_callback (self->listen_source,
        (GSourceFunc) gst_unix_socket_sink_accept, self, NULL);
    g_source_attach (self->listen_source, self->context);
  }
  if (self->adopt_fd >= 0) {
    GstFdPassPeer peer = { 0, };
    Client *c;

    /* the application chose this peer: who it is only goes in the stats */
    if (!gst_fdpass_socket_get_peer (self->adopt_fd, &peer))
      peer.uid = (guint) - 1;

    g_mutex_lock (&self->lock);
    c = client_new (self, self->adopt_fd, self->adopt_seqpacket, peer.pid,
        peer.uid);
    gst_fdpass_peer_clear (&peer);
    self->adopt_fd = -1;
    GST_DEBUG_OBJECT (self, "client %u on connected socket", c->id);
    client_write (self, c);
    g_mutex_unlock (&self->lock);
  }

  /* Clients that connected before we started (to a listening socket given
   * in the fd property) get everything from the first frame on, and so do
   * those render() finds in the backlog before the first frame. */
  g_mutex_lock (&self->lock);
  self->rendered = FALSE;
  gst_unix_socket_sink_accept_pending (self);
  /* the I/O thread announces the clients */
  gst_unix_socket_sink_wake (self);
  g_mutex_unlock (&self->lock);

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
  gst_clear_buffer (&self->segment_msg);
  g_array_set_size (self->events, 0);
  g_mutex_unlock (&self->lock);

  if (self->listen_source) {
    g_source_destroy (self->listen_source);
    g_clear_pointer (&self->listen_source, g_source_unref);
  }
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  if (self->created_path) {
    GST_DEBUG_OBJECT (self, "removing %s", self->created_path);
    unlink (self->created_path);
    g_clear_pointer (&self->created_path, g_free);
  }
  if (self->listen_fd >= 0) {
    close (self->listen_fd);
    self->listen_fd = -1;
  }
  g_clear_pointer (&self->scratch, g_free);
  if (self->wake_fd >= 0) {
    close (self->wake_fd);
    self->wake_fd = -1;
  }

  return TRUE;
}

static gboolean
gst_unix_socket_sink_unlock (GstBaseSink * bsink)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  gst_unix_socket_sink_signal (self);
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

/* the messages a client gets on connecting, the current ones first */
static gboolean
is_header_type (guint16 type)
{
  return type == GST_FDPASS_MESSAGE_HELLO || type == GST_FDPASS_MESSAGE_CAPS ||
      type == GST_FDPASS_MESSAGE_SEGMENT;
}

/* Lock held: queues @msg, a message other than a frame, for every client,
 * and writes it right away where it fits, like a frame. */
static void
gst_unix_socket_sink_queue_message (GstUnixSocketSink * self, GstBuffer * msg)
{
  gboolean need_wake = FALSE;
  GList *l;

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (c->remove_reason)
      continue;
    gst_fdpass_session_queue_message (c->session, msg);
    if (client_flush (self, c))
      need_wake = TRUE;
  }
  if (need_wake)
    gst_unix_socket_sink_wake (self);
}

/* lock held: stores a HELLO, CAPS or SEGMENT message, sending it to every
 * client when it differs from the current one; clients that connect later
 * get the current ones first */
static void
gst_unix_socket_sink_store_header (GstUnixSocketSink * self, GstBuffer * buf,
    guint16 type)
{
  GstBuffer **slot;

  if (type == GST_FDPASS_MESSAGE_HELLO) {
    slot = &self->hello_msg;
    buf = hello_with_features (buf);
  } else if (type == GST_FDPASS_MESSAGE_CAPS) {
    slot = &self->caps_msg;
    buf = gst_buffer_ref (buf);
  } else {
    slot = &self->segment_msg;
    buf = gst_buffer_ref (buf);
  }

  if (*slot && fdpass_buffers_equal (*slot, buf)) {
    gst_buffer_unref (buf);
    return;
  }

  GST_DEBUG_OBJECT (self, "new %s message", type == GST_FDPASS_MESSAGE_HELLO ?
      "hello" : type == GST_FDPASS_MESSAGE_CAPS ? "caps" : "segment");
  gst_buffer_replace (slot, buf);
  gst_unix_socket_sink_queue_message (self, buf);
  gst_buffer_unref (buf);
}

static gboolean
gst_unix_socket_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *headers;
  guint i;

  /* a new stream, maybe from another source */
  self->upstream_live = -1;

  headers = gst_structure_get_value (s, "streamheader");
  if (headers == NULL || !GST_VALUE_HOLDS_ARRAY (headers))
    return TRUE;

  g_mutex_lock (&self->lock);
  for (i = 0; i < gst_value_array_get_size (headers); i++) {
    const GValue *v = gst_value_array_get_value (headers, i);
    GstBuffer *buf;
    guint16 type;

    if (!GST_VALUE_HOLDS_BUFFER (v))
      continue;
    buf = gst_value_get_buffer (v);
    if (!message_get_type (buf, &type))
      continue;
    if (is_header_type (type))
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

    if (c->remove_reason)
      continue;
    if (client_get_pending (self, c, max_pending) >= max_pending &&
        !c->remove_reason)
      return TRUE;
  }

  return FALSE;
}

/* Lock held: reads what the clients that release and hold at least
 * @min_pending frames wrote back, which nobody may have read yet (see
 * client_update_events()). Returns whether that released a frame. */
static gboolean
gst_unix_socket_sink_read_releases (GstUnixSocketSink * self, guint min_pending)
{
  gboolean released = FALSE;
  GList *l;

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;
    guint pending;

    if (c->remove_reason || !gst_fdpass_session_releases (c->session))
      continue;
    pending = gst_fdpass_session_get_pending (c->session);
    if (pending < min_pending)
      continue;
    client_read (self, c);
    if (c->remove_reason ||
        gst_fdpass_session_get_pending (c->session) < pending)
      released = TRUE;
  }

  return released;
}

/* Would the frames held for clients take more than @max_held bytes with
 * @size more? One frame always fits. */
static gboolean
held_over (GstUnixSocketSink * self, guint64 size, guint64 max_held)
{
  return self->held_bytes > 0 && self->held_bytes + size > max_held;
}

/* held_over(), once what the clients released is read */
static gboolean
gst_unix_socket_sink_over_budget (GstUnixSocketSink * self, guint64 size,
    guint64 max_held)
{
  if (!held_over (self, size, max_held))
    return FALSE;

  gst_unix_socket_sink_read_releases (self, 0);

  return held_over (self, size, max_held);
}

/* Has every connected client been sent everything queued for it? */
static gboolean
gst_unix_socket_sink_all_sent (GstUnixSocketSink * self)
{
  GList *l;

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (!c->remove_reason && gst_fdpass_session_get_queued (c->session) > 0)
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
      gst_unix_socket_sink_cond_wait (self,
          MIN (end, now + 20 * G_TIME_SPAN_MILLISECOND));
    }
    g_mutex_unlock (&self->lock);
  }

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* The client holding the oldest frame, or NULL when none holds one. */
static Client *
gst_unix_socket_sink_oldest_holder (GstUnixSocketSink * self)
{
  Client *oldest = NULL;
  guint64 oldest_seqnum = 0;
  GList *l;

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;
    guint64 seqnum;

    if (c->remove_reason ||
        !gst_fdpass_session_get_oldest_seqnum (c->session, &seqnum))
      continue;
    if (oldest == NULL || seqnum < oldest_seqnum) {
      oldest = c;
      oldest_seqnum = seqnum;
    }
  }

  return oldest;
}

/* Lock held: makes room for @size more bytes of frames within @max_held,
 * disconnecting the clients that hold the oldest frames. */
static void
gst_unix_socket_sink_make_room (GstUnixSocketSink * self, guint64 size,
    guint64 max_held)
{
  while (gst_unix_socket_sink_over_budget (self, size, max_held)) {
    Client *c = gst_unix_socket_sink_oldest_holder (self);

    if (c == NULL)
      break;
    GST_INFO_OBJECT (self, "clients hold %" G_GUINT64_FORMAT " bytes of "
        "frames, more would exceed max-held-bytes (%" G_GUINT64_FORMAT
        "): disconnecting client %u, which holds the oldest frame",
        self->held_bytes, max_held, c->id);
    client_remove (self, c, "memory");
  }
}

/* Lock held: waits until a client that releases wrote something, the
 * I/O thread signals, or @end (monotonic time). The streaming thread
 * waits for releases in poll() itself, so that each costs it a wakeup and
 * a read, and no thread switch through the I/O thread. */
static void
gst_unix_socket_sink_poll_wait (GstUnixSocketSink * self, gint64 end)
{
  gint64 now = g_get_monotonic_time ();
  struct pollfd pfd = { self->wake_fd, POLLIN, 0 };
  GList *l;

  /* what is in the sockets already would wake poll() at once, whether it
   * is what we wait for or not: read it, and look again if it helped */
  if (gst_unix_socket_sink_read_releases (self, 0))
    return;

  g_array_set_size (self->pollfds, 0);
  g_array_append_val (self->pollfds, pfd);
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (c->remove_reason || !gst_fdpass_session_releases (c->session))
      continue;
    pfd.fd = c->fd;
    g_array_append_val (self->pollfds, pfd);
  }

  /* a client removed meanwhile signals us (client_remove()) before the
   * I/O thread closes its socket */
  self->polling = TRUE;
  g_mutex_unlock (&self->lock);
  if (poll ((struct pollfd *) self->pollfds->data, self->pollfds->len,
          end > now ? (end - now + 999) / 1000 : 0) < 0 && errno != EINTR)
    GST_WARNING_OBJECT (self, "poll failed: %s", g_strerror (errno));
  g_mutex_lock (&self->lock);
  self->polling = FALSE;
  if (self->poll_signaled) {
    guint64 count;

    if (read (self->wake_fd, &count, sizeof (count)) != sizeof (count))
      GST_WARNING_OBJECT (self, "could not read the wakeup of poll(): %s",
          g_strerror (errno));
    self->poll_signaled = FALSE;
  }
}

/* Lock held, from render(): waits for the I/O thread or a client until
 * @end (monotonic time), in poll() for releases with @releases.
 * unlock() interrupts the wait: then, like any blocking render(), it waits
 * for PLAYING again or a flush in gst_base_sink_wait_preroll(). Returns
 * GST_FLOW_OK when the caller should look again. */
static GstFlowReturn
gst_unix_socket_sink_wait (GstUnixSocketSink * self, gint64 end,
    gboolean releases)
{
  GstFlowReturn ret;

  if (!self->flushing) {
    if (releases)
      gst_unix_socket_sink_poll_wait (self, end);
    else
      gst_unix_socket_sink_cond_wait (self, end);
  }
  if (!self->flushing)
    return GST_FLOW_OK;

  g_mutex_unlock (&self->lock);
  ret = gst_base_sink_wait_preroll (GST_BASE_SINK (self));
  g_mutex_lock (&self->lock);

  return ret;
}

static gboolean
gst_unix_socket_sink_get_wait_for_connection (GstUnixSocketSink * self)
{
  gboolean wait;

  GST_OBJECT_LOCK (self);
  wait = self->wait_for_connection;
  GST_OBJECT_UNLOCK (self);

  return wait;
}

/* Lock held, from render(): with wait-for-connection, holds the frame
 * until a client is connected (and greeted: its headers go before
 * anything else). */
static GstFlowReturn
gst_unix_socket_sink_wait_for_client (GstUnixSocketSink * self)
{
  GstFlowReturn ret = GST_FLOW_OK;

  while (ret == GST_FLOW_OK &&
      gst_unix_socket_sink_n_live_clients (self) == 0 &&
      gst_unix_socket_sink_get_wait_for_connection (self)) {
    GST_LOG_OBJECT (self, "waiting for a client to connect");
    /* accept() and property changes signal the condition; the timeout
     * only bounds what a lost wakeup could cost */
    ret = gst_unix_socket_sink_wait (self,
        g_get_monotonic_time () + G_TIME_SPAN_SECOND, FALSE);
  }

  return ret;
}

typedef struct
{
  GstUnixSocketSinkSlowClientPolicy policy;
  guint max_pending;
  guint64 max_held;
} Limits;

/* Lock held: queues @frame for every client that may take it, applying the
 * slow client policy to the others, and writes it right away to the
 * clients that have nothing else queued. With @yield (a live stream), once
 * it wrote the frame to a client, gives up the CPU before it reads
 * releases. */
static GstFlowReturn
gst_unix_socket_sink_send_frame (GstUnixSocketSink * self,
    GstFdPassFrame * frame, const Limits * limits, gboolean yield)
{
  guint64 size = gst_fdpass_frame_get_size (frame);
  gboolean need_wake, queued = FALSE;
  guint n_written = 0;
  GstFlowReturn ret = GST_FLOW_OK;
  GList *l;

  if (limits->policy == GST_UNIX_SOCKET_SINK_SLOW_CLIENT_BLOCK) {
    while (ret == GST_FLOW_OK &&
        (gst_unix_socket_sink_is_full (self, limits->max_pending) ||
            gst_unix_socket_sink_over_budget (self, size, limits->max_held))) {
      GST_LOG_OBJECT (self, "waiting for a client to release a frame");
      /* clients that do not release are polled for what they read */
      ret = gst_unix_socket_sink_wait (self,
          g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND, TRUE);
    }
    if (ret != GST_FLOW_OK)
      return ret;
  }

  self->n_frames++;
  need_wake = FALSE;
  gst_unix_socket_sink_make_room (self, size, limits->max_held);

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;
    guint pending;
    gboolean idle;

    if (c->remove_reason)
      continue;

    pending = client_get_pending (self, c, limits->max_pending);
    if (c->remove_reason)
      continue;
    if (pending >= limits->max_pending) {
      if (limits->policy == GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DISCONNECT) {
        GST_INFO_OBJECT (self, "client %u holds %u frames, disconnecting it",
            c->id, pending);
        client_remove (self, c, "slow");
      } else {
        GST_LOG_OBJECT (self, "client %u holds %u frames, not sending it "
            "this one", c->id, pending);
        c->dropped++;
        self->n_dropped++;
      }
      continue;
    }

    /* a client with nothing else queued gets the frame right away, from
     * this thread: one that keeps up then costs one sendmsg() per frame
     * and no wakeup of the I/O thread. The rest is left to that thread. */
    idle = gst_fdpass_session_get_queued (c->session) == 0;
    gst_fdpass_session_queue_frame (c->session, frame);
    queued = TRUE;
    if (!idle || client_flush (self, c))
      need_wake = TRUE;
    else
      n_written++;
  }

  if (queued)
    gst_unix_socket_sink_hold_frame (self, frame);
  if (need_wake)
    gst_unix_socket_sink_wake (self);

  /* a receiver that waited for this frame was woken on this CPU (Linux
   * wakes the reader of a Unix socket where the writer runs, expecting the
   * writer to block next). A live source does not block: it makes its next
   * frame first, and the receiver would wait for that, and for the releases
   * read below. The frame is held already, so the lock may go meanwhile. */
  if (n_written > 0 && yield) {
    g_mutex_unlock (&self->lock);
    g_thread_yield ();
    g_mutex_lock (&self->lock);
  }

  /* the releases of the clients that hold a few frames now, once the
   * frame is on its way rather than before */
  gst_unix_socket_sink_read_releases (self, RELEASE_READ_BATCH);

  return GST_FLOW_OK;
}

/* Streaming thread: whether upstream is live, asked once per stream. */
static gboolean
gst_unix_socket_sink_upstream_is_live (GstUnixSocketSink * self)
{
  if (G_UNLIKELY (self->upstream_live < 0)) {
    GstQuery *query = gst_query_new_latency ();
    gboolean live = FALSE;

    if (gst_pad_peer_query (GST_BASE_SINK_PAD (self), query))
      gst_query_parse_latency (query, &live, NULL, NULL);
    gst_query_unref (query);

    GST_DEBUG_OBJECT (self, "upstream is %slive", live ? "" : "not ");
    self->upstream_live = live;
  }

  return self->upstream_live;
}

static GstFlowReturn
gst_unix_socket_sink_render (GstBaseSink * bsink, GstBuffer * buf)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);
  GstFdPassFrame *frame;
  GstFlowReturn ret;
  GError *err = NULL;
  Limits limits;
  gboolean yield;
  guint16 type;

  if (!message_get_type (buf, &type))
    goto invalid;

  GST_OBJECT_LOCK (self);
  limits.policy = self->policy;
  limits.max_pending = MAX (self->max_pending, 1);
  limits.max_held = self->max_held_bytes;
  yield = self->yield_after_send;
  GST_OBJECT_UNLOCK (self);

  if (type == GST_FDPASS_MESSAGE_BUFFER) {
    frame = gst_fdpass_frame_new (buf, &err);
    if (frame == NULL)
      goto invalid_frame;

    /* a stream that runs as fast as it can is not held back */
    yield = yield && gst_unix_socket_sink_upstream_is_live (self);

    g_mutex_lock (&self->lock);
    /* clients that connected before the first frame, or while nobody was
     * connected, get this frame even when the I/O thread has not accepted
     * them yet */
    if (self->n_clients == 0 || !self->rendered) {
      if (gst_unix_socket_sink_accept_pending (self) > 0)
        gst_unix_socket_sink_wake (self);
    }
    self->rendered = TRUE;
    ret = gst_unix_socket_sink_wait_for_client (self);
    if (ret == GST_FLOW_OK)
      ret = gst_unix_socket_sink_send_frame (self, frame, &limits, yield);
    /* under the lock: the last ref may be ours */
    gst_fdpass_frame_unref (frame);
    g_mutex_unlock (&self->lock);

    return ret;
  }

  g_mutex_lock (&self->lock);
  if (is_header_type (type)) {
    gst_unix_socket_sink_store_header (self, buf, type);
  } else {
    /* EOS and anything else goes to everybody, whatever they hold */
    gst_unix_socket_sink_queue_message (self, buf);
  }
  g_mutex_unlock (&self->lock);

  return GST_FLOW_OK;

invalid:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
        ("input buffer %" GST_PTR_FORMAT " is not an fdpass message", buf));
    return GST_FLOW_ERROR;
  }
invalid_frame:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("unixsocketsink can only send the buffer messages of fdpay."),
        ("%s", err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_unix_socket_sink_query (GstBaseSink * bsink, GstQuery * query)
{
  if (gst_fdpass_query_is_release (query)) {
    /* we keep each message buffer until its frame was released, or make it
     * the receiver's for good */
    GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (bsink);
    guint max_pending;

    GST_OBJECT_LOCK (self);
    max_pending = self->max_pending;
    GST_OBJECT_UNLOCK (self);
    gst_fdpass_release_query_set_supported (query, TRUE);
    gst_fdpass_release_query_set_max_pending (query, max_pending);
    return TRUE;
  }

  return GST_BASE_SINK_CLASS (parent_class)->query (bsink, query);
}

/* Lock held: the stats of @c, one structure of the clients array of the
 * stats property. */
static GstStructure *
client_get_stats (Client * c)
{
  GstStructure *cs;

  if (!c->remove_reason)
    client_check_caught_up (c);
  cs = gst_fdpass_session_get_stats (c->session);
  gst_structure_set_name (cs, "client");
  gst_structure_set (cs, "id", G_TYPE_UINT, c->id,
      "pid", G_TYPE_INT, c->pid, "uid", G_TYPE_INT, c->uid,
      "dropped", G_TYPE_UINT64, c->dropped, NULL);

  return cs;
}

static GstStructure *
gst_unix_socket_sink_get_stats (GstUnixSocketSink * self)
{
  GstStructure *s;
  GValue array = G_VALUE_INIT;
  GValue value = G_VALUE_INIT;
  guint64 sent, released, bytes, fds, kept_refs;
  GList *l;

  g_value_init (&array, GST_TYPE_ARRAY);

  g_mutex_lock (&self->lock);
  /* the numbers as they are, not as of the last read */
  gst_unix_socket_sink_read_releases (self, 0);
  sent = self->n_sent_gone;
  released = self->n_released_gone;
  bytes = self->n_bytes_gone;
  fds = self->n_fds_gone;
  kept_refs = self->n_kept_refs_gone;
  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;
    GstStructure *cs = client_get_stats (c);

    sent += stats_u64 (cs, "sent");
    released += stats_u64 (cs, "released");
    bytes += stats_u64 (cs, "bytes");
    fds += stats_u64 (cs, "fds");
    kept_refs += stats_u64 (cs, "kept-file-references");
    if (c->remove_reason) {
      gst_structure_free (cs);
      continue;
    }

    g_value_init (&value, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&value, cs);
    gst_value_array_append_and_take_value (&array, &value);
  }

  s = gst_structure_new ("application/x-unixsocketsink-stats",
      "n-clients", G_TYPE_UINT, self->n_clients,
      "clients-added", G_TYPE_UINT64, self->n_accepted,
      "clients-removed", G_TYPE_UINT64, self->n_removed,
      "clients-refused", G_TYPE_UINT64, self->n_refused,
      "frames", G_TYPE_UINT64, self->n_frames,
      "sent", G_TYPE_UINT64, sent,
      "released", G_TYPE_UINT64, released,
      "dropped", G_TYPE_UINT64, self->n_dropped,
      "bytes", G_TYPE_UINT64, bytes,
      "fds", G_TYPE_UINT64, fds,
      "kept-file-references", G_TYPE_UINT64, kept_refs,
      "held-frames", G_TYPE_UINT, self->held_frames,
      "held-bytes", G_TYPE_UINT64, self->held_bytes, NULL);
  g_mutex_unlock (&self->lock);

  gst_structure_take_value (s, "clients", &array);

  return s;
}

/* action signals */

/* Lock held: the client @id, unless it is gone or on its way out. */
static Client *
gst_unix_socket_sink_find_client (GstUnixSocketSink * self, guint id)
{
  GList *l;

  for (l = self->clients; l; l = l->next) {
    Client *c = l->data;

    if (c->id == id && c->remove_reason == NULL)
      return c;
  }

  return NULL;
}

static void
gst_unix_socket_sink_remove_client (GstUnixSocketSink * self, guint id)
{
  Client *c;

  g_mutex_lock (&self->lock);
  c = gst_unix_socket_sink_find_client (self, id);
  if (c)
    client_remove (self, c, "removed");
  g_mutex_unlock (&self->lock);

  if (c == NULL)
    GST_WARNING_OBJECT (self, "cannot remove client %u: no such client", id);
}

static GstStructure *
gst_unix_socket_sink_get_client_stats (GstUnixSocketSink * self, guint id)
{
  GstStructure *s = NULL;
  Client *c;

  g_mutex_lock (&self->lock);
  c = gst_unix_socket_sink_find_client (self, id);
  if (c)
    s = client_get_stats (c);
  g_mutex_unlock (&self->lock);

  if (s == NULL)
    GST_INFO_OBJECT (self, "no stats for client %u: no such client", id);

  return s;
}

/* GObject */

static GArray *
id_array_from_value (const GValue * value)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i;

  for (i = 0; i < gst_value_array_get_size (value); i++) {
    const GValue *v = gst_value_array_get_value (value, i);
    guint id;

    if (G_VALUE_HOLDS_UINT (v))
      id = g_value_get_uint (v);
    else if (G_VALUE_HOLDS_INT (v) && g_value_get_int (v) >= 0)
      id = g_value_get_int (v);
    else
      continue;
    g_array_append_val (ids, id);
  }

  return ids;
}

static void
id_array_to_value (GArray * ids, GValue * value)
{
  guint i;

  for (i = 0; i < ids->len; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_UINT);
    g_value_set_uint (&v, g_array_index (ids, guint, i));
    gst_value_array_append_and_take_value (value, &v);
  }
}

static void
gst_unix_socket_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SOCKET_PATH:
    case PROP_PATH:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "cannot change the path while running");
        break;
      }
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_SOCKET_TYPE:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "cannot change the socket type while "
            "running");
        break;
      }
      self->socket_type = g_value_get_enum (value);
      break;
    case PROP_WAIT_FOR_CONNECTION:
      self->wait_for_connection = g_value_get_boolean (value);
      break;
    case PROP_YIELD_AFTER_SEND:
      self->yield_after_send = g_value_get_boolean (value);
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
    case PROP_MAX_HELD_BYTES:
      self->max_held_bytes = g_value_get_uint64 (value);
      break;
    case PROP_SLOW_CLIENT_POLICY:
      self->policy = g_value_get_enum (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_PERMS:
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_WARNING_OBJECT (self, "cannot change perms while running");
        break;
      }
      self->perms = g_value_get_uint (value);
      break;
    case PROP_ALLOWED_UIDS:
      g_array_unref (self->allowed_uids);
      self->allowed_uids = id_array_from_value (value);
      break;
    case PROP_ALLOWED_GIDS:
      g_array_unref (self->allowed_gids);
      self->allowed_gids = id_array_from_value (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  if (prop_id == PROP_TIMEOUT || prop_id == PROP_MAX_PENDING ||
      prop_id == PROP_SLOW_CLIENT_POLICY || prop_id == PROP_MAX_HELD_BYTES ||
      prop_id == PROP_WAIT_FOR_CONNECTION) {
    /* the I/O thread recomputes its deadlines, a blocked render() looks
     * again */
    g_mutex_lock (&self->lock);
    gst_unix_socket_sink_wake (self);
    gst_unix_socket_sink_signal (self);
    g_mutex_unlock (&self->lock);
  }
}

static void
gst_unix_socket_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_unix_socket_sink_get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SOCKET_PATH:
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_SOCKET_TYPE:
      g_value_set_enum (value, self->socket_type);
      break;
    case PROP_WAIT_FOR_CONNECTION:
      g_value_set_boolean (value, self->wait_for_connection);
      break;
    case PROP_YIELD_AFTER_SEND:
      g_value_set_boolean (value, self->yield_after_send);
      break;
    case PROP_FD:
      g_value_set_int (value, self->fd);
      break;
    case PROP_MAX_CLIENTS:
      g_value_set_uint (value, self->max_clients);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_MAX_HELD_BYTES:
      g_value_set_uint64 (value, self->max_held_bytes);
      break;
    case PROP_SLOW_CLIENT_POLICY:
      g_value_set_enum (value, self->policy);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_PERMS:
      g_value_set_uint (value, self->perms);
      break;
    case PROP_ALLOWED_UIDS:
      id_array_to_value (self->allowed_uids, value);
      break;
    case PROP_ALLOWED_GIDS:
      id_array_to_value (self->allowed_gids, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_unix_socket_sink_finalize (GObject * object)
{
  GstUnixSocketSink *self = GST_UNIX_SOCKET_SINK (object);

  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);
  g_array_unref (self->allowed_uids);
  g_array_unref (self->allowed_gids);
  gst_clear_buffer (&self->hello_msg);
  gst_clear_buffer (&self->caps_msg);
  gst_clear_buffer (&self->segment_msg);
  gst_clear_buffer (&self->default_hello);
  g_array_unref (self->events);
  g_array_unref (self->pollfds);
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
   * GstUnixSocketSink:socket-path:
   *
   * Where to listen: a file name, or with #GstUnixSocketSink:socket-type
   * `abstract`, a name in the abstract namespace. With the default
   * socket-type `path`, a name that starts with `@` still names a socket
   * in the abstract namespace, as #GstUnixSocketSink:path always did. A
   * socket file left behind by a process that died is replaced; a socket
   * another process serves is an error. The file is removed when the
   * element stops.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SOCKET_PATH,
      g_param_spec_string ("socket-path", "Socket path",
          "Path of the Unix socket to listen on, or its name with "
          "socket-type=abstract; with socket-type=path, a leading '@' names "
          "a socket in the abstract namespace", DEFAULT_PATH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstUnixSocketSink:path:
   *
   * The same as #GstUnixSocketSink:socket-path, under the name of earlier
   * versions.
   */
  g_object_class_install_property (gobject_class, PROP_PATH,
      g_param_spec_string ("path", "Path",
          "Alias of socket-path, kept for existing scripts", DEFAULT_PATH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstUnixSocketSink:socket-type:
   *
   * What #GstUnixSocketSink:socket-path names: a file (`path`, the
   * default, where a leading `@` names an abstract socket) or a name in
   * the abstract namespace (`abstract`, taken as it is: no `@` needed).
   * Abstract sockets have no file and no permissions, so only the peer
   * credentials decide who gets frames. Other types are refused when the
   * element starts.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SOCKET_TYPE,
      g_param_spec_enum ("socket-type", "Socket type",
          "What socket-path names: a file (path; a leading '@' names an "
          "abstract socket) or a name in the abstract namespace (abstract); "
          "other types are refused", G_TYPE_UNIX_SOCKET_ADDRESS_TYPE,
          DEFAULT_SOCKET_TYPE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstUnixSocketSink:wait-for-connection:
   *
   * Hold every frame while no client is connected, instead of dropping it:
   * the stream blocks until a client connected, passed the credentials
   * check and was sent the current headers, so that the first client
   * gets everything from the first frame on. Like any blocking sink, it
   * lets the pipeline change state or flush while waiting. A live source
   * upstream then drops or queues frames on its own.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_WAIT_FOR_CONNECTION,
      g_param_spec_boolean ("wait-for-connection", "Wait for a connection",
          "Block the stream while no client is connected, instead of "
          "dropping the frames", DEFAULT_WAIT_FOR_CONNECTION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:yield-after-send:
   *
   * With a live source upstream, give up the CPU for a moment after the
   * streaming thread wrote a frame to a client. Linux queues the thread
   * that a write to a Unix socket wakes up on the writer's CPU, on the
   * assumption that the writer is about to block; a live source does not,
   * it makes its next frame first, and a receiver that waited for this
   * frame would wait for that too. Yielding lets it read the frame first:
   * on a paced stream, that is most of the latency that passing a frame
   * costs (see docs/performance.md). When nothing else waits for the CPU,
   * it costs one system call per frame. A stream that is not live, which
   * runs as fast as the receivers take it, never yields.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_YIELD_AFTER_SEND,
      g_param_spec_boolean ("yield-after-send", "Yield after send",
          "With a live source, give up the CPU after writing a frame, so "
          "that a receiver woken on this CPU reads it before this thread "
          "makes the next one",
          DEFAULT_YIELD_AFTER_SEND,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:fd:
   *
   * A socket to use instead of #GstUnixSocketSink:socket-path, for a parent
   * process that spawns its consumer: a listening socket, on which clients
   * are accepted (and checked like on the path), or a connected one (a
   * socketpair end, say), which is served as the only client, whoever is
   * at its other end. The element takes ownership of the socket: it is
   * closed when the element stops (or is freed), and the property goes
   * back to -1 once the socket is in use.
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
   * listen backlog, and counted as `clients-refused` in the stats.
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
   * Frames one client may hold: queued for it, sent and not released yet,
   * or, for a client that does not release, sent and not read yet. This
   * bounds the memory a stuck client costs. The default of 8 covers a
   * receiver that keeps a frame on screen plus a few in a queue, about a
   * quarter of a second at 30 frames per second.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_PENDING,
      g_param_spec_uint ("max-pending", "Maximum pending frames",
          "Maximum number of frames queued for, held by or not yet read by "
          "one client before the slow-client-policy applies", 1, G_MAXUINT,
          DEFAULT_MAX_PENDING, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:max-held-bytes:
   *
   * Memory of the frames the sink holds for all its clients together
   * (queued for them, or sent and not released), each frame counted once
   * however many clients hold it. A new frame that would exceed it first
   * disconnects the clients holding the oldest frames, or waits with the
   * `block` policy. A single frame is always sent. With max-clients and
   * max-pending this bounds what the sink holds to
   * min (max-held-bytes + one frame, max-clients × max-pending frames).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_HELD_BYTES,
      g_param_spec_uint64 ("max-held-bytes", "Maximum held bytes",
          "Most bytes of frames held for all clients together before the "
          "clients holding the oldest frames are disconnected (or, with "
          "slow-client-policy=block, the sink waits)", 0, G_MAXUINT64,
          DEFAULT_MAX_HELD_BYTES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

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
   * A client that holds frames and made no progress for this long is
   * disconnected: it released none of them, or, for a client that does
   * not release, its socket still holds frames it did not read.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Disconnect a client that holds frames and released (or read) none "
          "for this many nanoseconds (0 = never)", 0, G_MAXUINT64,
          DEFAULT_TIMEOUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:perms:
   *
   * The mode of the socket file, set before the sink listens, whatever the
   * umask. Only the owner may connect by default; the peer credentials of
   * every client are checked as well (see
   * #GstUnixSocketSink:allowed-uids). Only path sockets have a mode: it is
   * not used for abstract sockets or a socket given in
   * #GstUnixSocketSink:fd.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_PERMS,
      g_param_spec_uint ("perms", "Permissions",
          "Permissions of the socket file, for path sockets only (e.g. "
          "0600 = owner only, 0660 = owner and group)", 0, 0777,
          DEFAULT_PERMS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstUnixSocketSink:allowed-uids:
   *
   * Users besides the sink's own that may receive frames, by uid, e.g.
   * `allowed-uids="<1000,1001>"` in gst-launch-1.0. Root is not special:
   * list uid 0 to allow it.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_ALLOWED_UIDS,
      gst_param_spec_array ("allowed-uids", "Allowed uids",
          "Users besides the sink's own that may connect, e.g. <1000,1001>",
          g_param_spec_uint ("uid", "uid", "A user id", 0, G_MAXUINT, 0,
              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:allowed-gids:
   *
   * Groups whose members may receive frames, by gid: a client is allowed
   * when its primary group or one of its supplementary groups (as the
   * kernel recorded them when it connected) is listed.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_ALLOWED_GIDS,
      gst_param_spec_array ("allowed-gids", "Allowed gids",
          "Groups whose processes may connect, by primary or supplementary "
          "group id, e.g. <44>", g_param_spec_uint ("gid", "gid", "A group id",
              0, G_MAXUINT, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink:stats:
   *
   * Totals since the element was created: `n-clients` connected now,
   * `clients-added`, `clients-removed`, `clients-refused` (other users,
   * over max-clients), `frames` rendered, frames `sent` (counted once per
   * client), `released` by clients, `dropped` (frames a connected client
   * did not get: counted once per client, see
   * #GstUnixSocketSink:slow-client-policy), `bytes` written, `fds`
   * passed, `kept-file-references` (files named without passing their
   * descriptor again), and now `held-frames` and `held-bytes`, the frames
   * held for clients and their memory.
   * `clients` is an array with one structure per client (named `client`,
   * as #GstUnixSocketSink::get-stats returns it): `id`, `pid` and `uid` of
   * its process (from SO_PEERCRED when it connected; pid 0 and uid -1
   * when the kernel could not tell), `releases` (whether it sends releases), `pending`,
   * `queued` and `in-flight` frames, its own `sent`, `released`,
   * `exported` (given to it for good), `dropped`, `bytes`, `fds`,
   * `kept-files` and `kept-file-references`.
   *
   * A client gets every frame rendered after it was accepted, and one
   * that waits in the listen backlog at the first frame gets that one too
   * (see above). Frames rendered before a client was accepted are not
   * counted as dropped for it; #GstUnixSocketSink:wait-for-connection
   * holds them until one connects.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Totals (n-clients, clients-added, -removed, -refused, frames, "
          "sent, released, dropped, bytes, fds passed, kept-file-references, "
          "held-frames, held-bytes) and one structure per client in the "
          "clients array (id, pid, uid, releases, pending, queued, in-flight, "
          "sent, released, exported, dropped, bytes, fds, kept-files, "
          "kept-file-references)", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstUnixSocketSink::client-added:
   * @sink: the sink
   * @id: the id of the new client
   *
   * A client connected. Emitted from the element's I/O thread, after the
   * headers were queued for the client (the first frames may already be
   * on their way to it).
   */
  gst_unix_socket_sink_signals[SIGNAL_CLIENT_ADDED] =
      g_signal_new ("client-added", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  /**
   * GstUnixSocketSink::client-removed:
   * @sink: the sink
   * @id: the id of the client
   * @reason: why: "closed", "error", "malformed message", "slow",
   *     "timeout", "memory" (max-held-bytes), "removed" (with
   *     #GstUnixSocketSink::remove) or "stopped"
   *
   * A client is gone; its socket is closed, the frames it released went
   * back to the producer and those it still held are its own. Emitted
   * from the element's I/O thread, also when the element stops (reason
   * "stopped").
   */
  gst_unix_socket_sink_signals[SIGNAL_CLIENT_REMOVED] =
      g_signal_new ("client-removed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
      G_TYPE_STRING);

  /**
   * GstUnixSocketSink::remove:
   * @sink: the sink
   * @id: the id of the client, as #GstUnixSocketSink::client-added gave it
   *
   * Disconnects a client, as the sink does with a slow one: what was
   * queued for it and not written yet is dropped, the frames it may still
   * map become its own (their memory is never written again) and its
   * socket is closed, so that it reads what is already in its socket and
   * then the end of the stream. #GstUnixSocketSink::client-removed
   * follows, from the element's I/O thread, with the reason "removed". An
   * unknown id, or a client already gone, is logged and ignored.
   *
   * Since: 0.2
   */
  gst_unix_socket_sink_signals[SIGNAL_REMOVE] =
      g_signal_new_class_handler ("remove", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_unix_socket_sink_remove_client), NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_UINT);

  /**
   * GstUnixSocketSink::get-stats:
   * @sink: the sink
   * @id: the id of the client
   *
   * The statistics of one client: the structure of the `clients` array of
   * #GstUnixSocketSink:stats, with its `id`, the `pid` and `uid` of its
   * process and its frame counters.
   *
   * Returns: (transfer full) (nullable): a #GstStructure named `client`,
   *     or %NULL when there is no such client
   *
   * Since: 0.2
   */
  gst_unix_socket_sink_signals[SIGNAL_GET_STATS] =
      g_signal_new_class_handler ("get-stats", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_unix_socket_sink_get_client_stats), NULL, NULL, NULL,
      GST_TYPE_STRUCTURE, 1, G_TYPE_UINT);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Unix socket fd passing sink", "Sink/Network",
      "Serves fdpass messages to the processes of permitted users over a "
      "Unix socket and recycles frames once every client released them",
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
  self->socket_type = DEFAULT_SOCKET_TYPE;
  self->wait_for_connection = DEFAULT_WAIT_FOR_CONNECTION;
  self->yield_after_send = DEFAULT_YIELD_AFTER_SEND;
  self->fd = DEFAULT_FD;
  self->max_clients = DEFAULT_MAX_CLIENTS;
  self->max_pending = DEFAULT_MAX_PENDING;
  self->max_held_bytes = DEFAULT_MAX_HELD_BYTES;
  self->policy = DEFAULT_SLOW_CLIENT_POLICY;
  self->timeout = DEFAULT_TIMEOUT;
  self->perms = DEFAULT_PERMS;
  self->allowed_uids = g_array_new (FALSE, FALSE, sizeof (guint));
  self->allowed_gids = g_array_new (FALSE, FALSE, sizeof (guint));
  self->listen_fd = -1;
  self->adopt_fd = -1;
  self->events = g_array_new (FALSE, FALSE, sizeof (ClientEvent));

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->wake_fd = -1;
  self->pollfds = g_array_new (FALSE, FALSE, sizeof (struct pollfd));

  /* until the producer's arrives, clients get a hello of our own */
  self->default_hello = gst_fdpass_message_new_hello (&hello);
  GST_BUFFER_FLAG_SET (self->default_hello, GST_BUFFER_FLAG_HEADER);
  self->hello_msg = gst_buffer_ref (self->default_hello);

  gst_base_sink_set_last_sample_enabled (GST_BASE_SINK (self), FALSE);
}
