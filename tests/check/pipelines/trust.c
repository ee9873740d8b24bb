/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * trust.c: what a buggy or hostile peer, or another local user, can do to
 * fdpay ! unixsocketsink and to unixsocketsrc ! fddepay
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

/* The threat model: the process at the other end of the socket may be
 * buggy or hostile, and other local users exist. Producers run in the test
 * process (gst_parse_launch). Receivers are the test itself, speaking the
 * protocol over raw sockets with fdpass-peer.h, or pipelines of the
 * elements; a forked child takes another user's identity where that
 * matters.
 *
 * Every frame that goes into an fdpay is recorded with the CRC-32 of its
 * bytes, by pts. A receiver checks each frame it gets against that record,
 * records the CRC of the mapping it got, and checks again after the
 * producer made many more frames: memory a receiver may still read must
 * never be written again, whatever the receiver announced or did. The
 * sources draw a moving picture, so a recycled buffer holds another
 * frame. Times in this file are only generous upper bounds for waits. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/check/gstcheck.h>
#include <gst/allocators/allocators.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../fdpass-check.h"
#include "../fdpass-peer.h"

/* generous: a loaded machine may be slow, but never this slow */
#define WAIT_MS 30000

#define WAIT_FOR(cond) G_STMT_START {                                   \
  gint64 _end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND; \
  while (!(cond)) {                                                     \
    fail_if (g_get_monotonic_time () > _end, "timed out waiting for "   \
        #cond);                                                         \
    g_usleep (G_TIME_SPAN_MILLISECOND);                                 \
  }                                                                     \
} G_STMT_END

/* small frames at a high rate: hundreds of frames in a second */
#define SMALL_CAPS "video/x-raw,format=I420,width=160,height=120," \
    "framerate=400/1"

/* a live, moving picture into fdpay, served by unixsocketsink at %s with
 * max-pending=%u */
#define MOVING_PRODUCER "videotestsrc is-live=true pattern=ball ! " \
    SMALL_CAPS " ! fdpay ! unixsocketsink name=sink path=%s max-pending=%u"

/* frames a receiver holds, and how many more the producer makes while it
 * holds them */
#define N_HELD 40
#define N_MORE 150

/* the identity of an unprivileged user and its group (nobody, nogroup) */
#define OTHER_UID 65534
#define OTHER_GID 65534

/* One directory for the sockets of all tests, made and removed by main ().
 * Another user must be able to reach a socket in it by its name. */
static gchar *socket_dir;

static gchar *
new_socket_path (void)
{
  static guint n = 0;

  fail_unless (socket_dir != NULL);
  /* each test runs in a process of its own */
  return g_strdup_printf ("%s/%d-%u.sock", socket_dir, (gint) getpid (), n++);
}

/* producers */

typedef struct
{
  GMutex lock;
  GCond cond;

  GstElement *pipeline;
  /* the unixsocketsink, if any */
  GstElement *sink;

  /* every frame that went into any fdpay: pts -> GArray of Made */
  GHashTable *made;
  guint n_frames;
  /* the largest file a buffer message of fdpay named */
  guint64 file_size;

  /* the clients the sink removed, in order: "<id> <reason>" */
  GPtrArray *removed;
} Producer;

/* a frame that went into fdpay number @pay (from 1, in the order of the
 * pipeline's elements) */
typedef struct
{
  guint32 crc;
  guint pay;
} Made;

typedef struct
{
  Producer *producer;
  guint pay;
} PayProbe;

static GstPadProbeReturn
producer_record_frame (GstPad * pad, GstPadProbeInfo * info, PayProbe * pp)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  Producer *p = pp->producer;
  guint64 pts = GST_BUFFER_PTS (buf);
  Made made = { fdpass_check_crc32_buffer (buf), pp->pay };
  GArray *frames;

  g_mutex_lock (&p->lock);
  frames = g_hash_table_lookup (p->made, &pts);
  if (frames == NULL) {
    frames = g_array_new (FALSE, FALSE, sizeof (Made));
    g_hash_table_insert (p->made, g_memdup2 (&pts, sizeof (pts)), frames);
  }
  g_array_append_val (frames, made);
  p->n_frames++;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);

  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
producer_record_message (GstPad * pad, GstPadProbeInfo * info, Producer * p)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstFdPassBufferInfo *binfo = g_new0 (GstFdPassBufferInfo, 1);
  GstFdPassHeader header;
  GstMapInfo map;
  guint i;

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    if (gst_fdpass_header_parse (map.data, map.size, &header, NULL) &&
        header.type == GST_FDPASS_MESSAGE_BUFFER &&
        gst_fdpass_buffer_parse (&header, map.data + GST_FDPASS_HEADER_SIZE,
            map.size - GST_FDPASS_HEADER_SIZE, binfo, NULL)) {
      g_mutex_lock (&p->lock);
      for (i = 0; i < binfo->n_fds; i++)
        p->file_size = MAX (p->file_size, binfo->fds[i].size);
      g_mutex_unlock (&p->lock);
    }
    gst_buffer_unmap (buf, &map);
  }
  g_free (binfo);

  return GST_PAD_PROBE_OK;
}

static void
producer_client_removed (GstElement * sink, guint id, const gchar * reason,
    Producer * p)
{
  g_mutex_lock (&p->lock);
  g_ptr_array_add (p->removed, g_strdup_printf ("%u %s", id, reason));
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static Producer *
producer_new (const gchar * desc)
{
  Producer *p = g_new0 (Producer, 1);
  GError *err = NULL;
  GstIterator *it;
  GValue v = G_VALUE_INIT;
  guint n_pays = 0;

  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->made = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      (GDestroyNotify) g_array_unref);
  p->removed = g_ptr_array_new_with_free_func (g_free);

  p->pipeline = gst_parse_launch (desc, &err);
  fail_unless (p->pipeline != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "");
  fdpass_check_track_pipeline (p->pipeline);
  p->sink = gst_bin_get_by_name (GST_BIN (p->pipeline), "sink");
  if (p->sink && g_signal_lookup ("client-removed", G_OBJECT_TYPE (p->sink)))
    g_signal_connect (p->sink, "client-removed",
        G_CALLBACK (producer_client_removed), p);

  it = gst_bin_iterate_all_by_element_factory_name (GST_BIN (p->pipeline),
      "fdpay");
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *pay = g_value_get_object (&v);
    PayProbe *pp = g_new0 (PayProbe, 1);
    GstPad *pad;

    pp->producer = p;
    pp->pay = ++n_pays;
    pad = gst_element_get_static_pad (pay, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
        (GstPadProbeCallback) producer_record_frame, pp, g_free);
    gst_object_unref (pad);
    pad = gst_element_get_static_pad (pay, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
        (GstPadProbeCallback) producer_record_message, p, NULL);
    gst_object_unref (pad);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);

  return p;
}

static void
producer_set_state (Producer * p, GstState state)
{
  fail_if (gst_element_set_state (p->pipeline, state) ==
      GST_STATE_CHANGE_FAILURE);
}

static void
producer_assert_no_error (Producer * p)
{
  gchar *err = fdpass_check_pop_bus_error (p->pipeline);

  fail_if (err != NULL, "the producer failed: %s", err);
}

static void
producer_free (Producer * p)
{
  fail_unless_equals_int (gst_element_set_state (p->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  fdpass_check_untrack_pipeline (p->pipeline);
  gst_clear_object (&p->sink);
  gst_object_unref (p->pipeline);
  g_hash_table_unref (p->made);
  g_ptr_array_unref (p->removed);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
}

static guint
producer_n_frames (Producer * p)
{
  guint n;

  g_mutex_lock (&p->lock);
  n = p->n_frames;
  g_mutex_unlock (&p->lock);

  return n;
}

static guint64
producer_file_size (Producer * p)
{
  guint64 size;

  g_mutex_lock (&p->lock);
  size = p->file_size;
  g_mutex_unlock (&p->lock);

  return size;
}

/* Waits until @n frames went into fdpay. */
static void
producer_wait_frames (Producer * p, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&p->lock);
  while (p->n_frames < n && g_cond_wait_until (&p->cond, &p->lock, end));
  fail_unless (p->n_frames >= n, "the producer is stuck at %u frames, "
      "waiting for %u", p->n_frames, n);
  g_mutex_unlock (&p->lock);
}

/* Which fdpay (from 1) got a frame of @pts with these bytes, 0 when none
 * did. */
static guint
producer_made_by (Producer * p, GstClockTime pts, guint32 crc)
{
  GArray *frames;
  guint i, ret = 0;

  g_mutex_lock (&p->lock);
  frames = g_hash_table_lookup (p->made, &pts);
  for (i = 0; frames && i < frames->len && ret == 0; i++) {
    if (g_array_index (frames, Made, i).crc == crc)
      ret = g_array_index (frames, Made, i).pay;
  }
  g_mutex_unlock (&p->lock);

  return ret;
}

/* Did the producer make a frame of @pts with these bytes? */
static gboolean
producer_made (Producer * p, GstClockTime pts, guint32 crc)
{
  return producer_made_by (p, pts, crc) > 0;
}

static guint
producer_n_removed_with (Producer * p, const gchar * reason)
{
  guint i, n = 0;

  g_mutex_lock (&p->lock);
  for (i = 0; i < p->removed->len; i++) {
    const gchar *r = strchr (g_ptr_array_index (p->removed, i), ' ') + 1;

    n += g_str_equal (r, reason);
  }
  g_mutex_unlock (&p->lock);

  return n;
}

/* A field of the sink's stats, or of its @idx-th client when @idx >= 0;
 * -1 when there is no such field or client. */
static gint64
sink_stat (GstElement * sink, gint idx, const gchar * field)
{
  const GstStructure *s;
  GstStructure *stats = NULL;
  gint64 ret = -1;
  guint64 u64;
  guint u;
  gboolean b;

  g_object_get (sink, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  s = stats;
  if (idx >= 0) {
    const GValue *clients = gst_structure_get_value (stats, "clients");

    s = NULL;
    if (clients && (guint) idx < gst_value_array_get_size (clients))
      s = gst_value_get_structure (gst_value_array_get_value (clients, idx));
  }
  if (s && gst_structure_get_uint64 (s, field, &u64))
    ret = u64;
  else if (s && gst_structure_get_uint (s, field, &u))
    ret = u;
  else if (s && gst_structure_get_boolean (s, field, &b))
    ret = b;
  gst_structure_free (stats);

  return ret;
}

/* raw clients */

static FdPassPeer *
client_connect (const gchar * path)
{
  FdPassPeer *c = fdpass_peer_connect (path);

  fail_unless (c != NULL, "cannot connect to %s: %s", path, g_strerror (errno));
  return c;
}

static void
client_send_hello (FdPassPeer * c, guint32 features, guint32 max_files)
{
  fail_unless (fdpass_peer_send_hello (c, features, max_files), "cannot send "
      "a hello: %s", g_strerror (errno));
}

static void
client_send_release (FdPassPeer * c, const guint64 * ids, guint n_ids)
{
  fail_unless (fdpass_peer_send_release (c, ids, n_ids), "cannot send a "
      "release: %s", g_strerror (errno));
}

static const gchar *
peer_result_name (FdPassPeerResult res)
{
  switch (res) {
    case FDPASS_PEER_MESSAGE:
      return "a message";
    case FDPASS_PEER_EOF:
      return "the end of the connection";
    case FDPASS_PEER_TIMEOUT:
      return "nothing";
    default:
      return g_strerror (errno);
  }
}

/* Receives the next buffer message for @c, checking the producer is still
 * fine while it waits. */
static void
client_recv_buffer (FdPassPeer * c, Producer * p, FdPassPeerMessage * m)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  FdPassPeerResult res;
  guint i;

  for (;;) {
    res = fdpass_peer_recv (c, m, 50);
    if (res == FDPASS_PEER_TIMEOUT) {
      producer_assert_no_error (p);
      fail_unless (g_get_monotonic_time () < end, "no frame came");
      continue;
    }
    fail_unless (res == FDPASS_PEER_MESSAGE, "waiting for a frame, got %s",
        peer_result_name (res));
    if (m->header.type == GST_FDPASS_MESSAGE_BUFFER)
      break;
    fdpass_peer_message_clear (m);
  }

  /* none of these receivers offers to keep files */
  for (i = 0; i < m->info.n_fds; i++)
    fail_unless_equals_int (m->info.fds[i].flags, 0);
}

/* Receives the next frame, maps it and checks it is a frame the producer
 * made, byte for byte. The mapping is all that is left of it. */
static void
client_recv_frame (FdPassPeer * c, Producer * p, FdPassPeerFrame * f)
{
  FdPassPeerMessage m;

  client_recv_buffer (c, p, &m);
  fail_unless (fdpass_peer_frame_map (f, &m), "cannot map frame %"
      G_GUINT64_FORMAT ": %s", m.info.id, g_strerror (errno));
  fdpass_peer_message_clear (&m);
  fail_unless (producer_made (p, f->pts, f->crc), "frame %" G_GUINT64_FORMAT
      " (pts %" GST_TIME_FORMAT ", crc %08x) does not have the bytes the "
      "producer made for that pts: it was written after it was sent",
      f->id, GST_TIME_ARGS (f->pts), f->crc);
}

/* Receives @n frames and keeps them mapped in @held. */
static void
client_hold_frames (FdPassPeer * c, Producer * p, GArray * held, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    FdPassPeerFrame f;

    client_recv_frame (c, p, &f);
    g_array_append_val (held, f);
  }
}

/* Every frame in @held still has the bytes it had when it was received. */
static void
check_held_frames (GArray * held, const gchar * who)
{
  guint i;

  fail_unless (held->len > 0);
  for (i = 0; i < held->len; i++) {
    FdPassPeerFrame *f = &g_array_index (held, FdPassPeerFrame, i);
    guint32 crc = fdpass_peer_frame_crc (f);

    fail_unless (crc == f->crc, "%s: frame %u of %u held (id %"
        G_GUINT64_FORMAT ", pts %" GST_TIME_FORMAT ") was written while the "
        "receiver could read it: crc %08x, %08x when it was received", who,
        i, held->len, f->id, GST_TIME_ARGS (f->pts), crc, f->crc);
  }
}

static void
held_frames_free (GArray * held)
{
  guint i;

  for (i = 0; i < held->len; i++)
    fdpass_peer_frame_unmap (&g_array_index (held, FdPassPeerFrame, i));
  g_array_unref (held);
}

/* Receives what @c has and releases every frame at once; a hostile client
 * releases each twice, and ids it never got. Returns the frames. */
static guint
client_release_available (FdPassPeer * c, gint timeout_ms, gboolean hostile)
{
  FdPassPeerMessage m;
  FdPassPeerResult res;
  guint n = 0;

  while ((res = fdpass_peer_recv (c, &m, timeout_ms)) == FDPASS_PEER_MESSAGE) {
    if (m.header.type == GST_FDPASS_MESSAGE_BUFFER) {
      guint64 id = m.info.id;

      client_send_release (c, &id, 1);
      if (hostile) {
        guint64 bogus[] = { id, 0, id + 1, id + 2, id + 1000000,
          G_MAXUINT64, G_MAXUINT64 - id
        };

        client_send_release (c, bogus, G_N_ELEMENTS (bogus));
        client_send_release (c, &id, 1);
      }
      n++;
    }
    fdpass_peer_message_clear (&m);
    timeout_ms = 0;
  }
  fail_unless (res == FDPASS_PEER_TIMEOUT, "releasing frames, got %s",
      peer_result_name (res));

  return n;
}

/* Whether the producer made @n frames yet; fails when it failed, or when
 * it did not in time. */
static gboolean
producer_reached (Producer * p, guint n, gint64 end)
{
  guint made = producer_n_frames (p);

  producer_assert_no_error (p);
  fail_unless (made >= n || g_get_monotonic_time () < end, "the producer is "
      "stuck at %u frames, waiting for %u", made, n);

  return made >= n;
}

/* Receives and releases frames until the producer made @n frames. */
static void
client_release_until (FdPassPeer * c, Producer * p, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!producer_reached (p, n, end))
    client_release_available (c, 20, FALSE);
}

/* Receives and drops frames until the producer made @n frames. */
static void
client_drop_until (FdPassPeer * c, Producer * p, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  FdPassPeerMessage m;

  while (!producer_reached (p, n, end)) {
    FdPassPeerResult res = fdpass_peer_recv (c, &m, 20);

    if (res == FDPASS_PEER_MESSAGE)
      fdpass_peer_message_clear (&m);
    else
      fail_unless (res == FDPASS_PEER_TIMEOUT, "got %s",
          peer_result_name (res));
  }
}

/* 1. Integrity: memory a receiver may still read is never written again. */

/* A receiver that does not announce releases gets frames for good: it
 * holds some, the producer recycles what it can meanwhile. */
static void
check_non_releasing_client (gboolean send_hello)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf (MOVING_PRODUCER, path, 128);
  Producer *p = producer_new (desc);
  GArray *held = g_array_new (FALSE, TRUE, sizeof (FdPassPeerFrame));
  FdPassPeer *c;

  producer_set_state (p, GST_STATE_PLAYING);
  c = client_connect (path);
  if (send_hello) {
    /* files, but no releases: the sender must not count on either */
    client_send_hello (c, GST_FDPASS_FEATURE_FILES, 32);
  }

  client_hold_frames (c, p, held, N_HELD);
  fail_unless_equals_int (sink_stat (p->sink, 0, "releases"), FALSE);
  fail_unless (sink_stat (p->sink, 0, "exported") >= N_HELD);

  /* without reading: what it has not read is its own too */
  producer_wait_frames (p, producer_n_frames (p) + N_MORE);
  check_held_frames (held, send_hello ? "hello without release" : "no hello");
  /* and so is what it reads now */
  client_hold_frames (c, p, held, 8);
  producer_wait_frames (p, producer_n_frames (p) + N_MORE);
  check_held_frames (held, send_hello ? "hello without release" : "no hello");
  producer_assert_no_error (p);

  fdpass_peer_free (c);
  held_frames_free (held);
  producer_free (p);
  g_free (desc);
  g_unlink (path);
  g_free (path);
}

GST_START_TEST (test_integrity_no_hello)
{
  check_non_releasing_client (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_integrity_hello_without_release)
{
  check_non_releasing_client (TRUE);
}

GST_END_TEST;

/* The hello comes a second late: what came before is the receiver's for
 * good, what comes after waits for its releases. */
GST_START_TEST (test_integrity_late_hello)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf (MOVING_PRODUCER, path, 128);
  Producer *p = producer_new (desc);
  GArray *held = g_array_new (FALSE, TRUE, sizeof (FdPassPeerFrame));
  gint64 hello_time;
  FdPassPeer *c;

  producer_set_state (p, GST_STATE_PLAYING);
  c = client_connect (path);
  hello_time = g_get_monotonic_time () + G_TIME_SPAN_SECOND;

  client_hold_frames (c, p, held, N_HELD);
  client_drop_until (c, p, producer_n_frames (p) + 1);
  while (g_get_monotonic_time () < hello_time)
    client_drop_until (c, p, producer_n_frames (p) + 1);

  client_send_hello (c, GST_FDPASS_FEATURE_RELEASE, 0);
  WAIT_FOR (sink_stat (p->sink, 0, "releases") == TRUE);
  fail_unless (sink_stat (p->sink, 0, "exported") >= N_HELD);
  /* frames in its socket were sent before the hello, later ones after */
  client_hold_frames (c, p, held, N_HELD);

  /* it releases everything else: the producer recycles those */
  client_release_until (c, p, producer_n_frames (p) + N_MORE);
  check_held_frames (held, "late hello");
  fail_unless (sink_stat (p->sink, 0, "released") > 0);
  producer_assert_no_error (p);

  fdpass_peer_free (c);
  held_frames_free (held);
  producer_free (p);
  g_free (desc);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* socketsrc ! fddepay behind a socketpair served with the fd property:
 * socketsrc never writes, fddepay's buffers map the frames. */

typedef struct
{
  GMutex lock;
  Producer *producer;
  GPtrArray *buffers;
  GArray *crcs;
  guint n_wanted;
  guint n_seen;
  guint n_wrong;
} BufferKeeper;

static void
keeper_init (BufferKeeper * k, Producer * p, guint n_wanted)
{
  memset (k, 0, sizeof (*k));
  g_mutex_init (&k->lock);
  k->producer = p;
  k->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  k->crcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  k->n_wanted = n_wanted;
}

static void
keeper_clear (BufferKeeper * k)
{
  g_ptr_array_unref (k->buffers);
  g_array_unref (k->crcs);
  g_mutex_clear (&k->lock);
}

/* a fakesink's handoff: checks every frame and keeps the first ones */
static void
keeper_handoff (GstElement * fakesink, GstBuffer * buf, GstPad * pad,
    BufferKeeper * k)
{
  guint32 crc = fdpass_check_crc32_buffer (buf);
  gboolean ok = producer_made (k->producer, GST_BUFFER_PTS (buf), crc);

  g_mutex_lock (&k->lock);
  k->n_seen++;
  if (!ok)
    k->n_wrong++;
  if (k->buffers->len < k->n_wanted) {
    g_ptr_array_add (k->buffers, gst_buffer_ref (buf));
    g_array_append_val (k->crcs, crc);
  }
  g_mutex_unlock (&k->lock);
}

static guint
keeper_n_kept (BufferKeeper * k)
{
  guint n;

  g_mutex_lock (&k->lock);
  n = k->buffers->len;
  g_mutex_unlock (&k->lock);

  return n;
}

static void
keeper_check (BufferKeeper * k, const gchar * who)
{
  guint i;

  g_mutex_lock (&k->lock);
  fail_unless (k->n_seen > 0);
  fail_unless_equals_int (k->n_wrong, 0);
  for (i = 0; i < k->buffers->len; i++) {
    GstBuffer *buf = g_ptr_array_index (k->buffers, i);
    guint32 crc = fdpass_check_crc32_buffer (buf);

    fail_unless (crc == g_array_index (k->crcs, guint32, i), "%s: buffer %u "
        "of %u kept (pts %" GST_TIME_FORMAT ") was written while it was "
        "kept: crc %08x, %08x when it arrived", who, i, k->buffers->len,
        GST_TIME_ARGS (GST_BUFFER_PTS (buf)), crc,
        g_array_index (k->crcs, guint32, i));
  }
  g_mutex_unlock (&k->lock);
}

GST_START_TEST (test_integrity_socketsrc_fd)
{
  GstElement *receiver, *src, *fakesink;
  BufferKeeper k;
  GSocket *socket;
  GError *err = NULL;
  Producer *p;
  gchar *desc;
  gint sv[2];

  fail_unless (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  /* the sink owns sv[0] */
  desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      SMALL_CAPS " ! fdpay ! unixsocketsink name=sink fd=%d max-pending=128",
      sv[0]);
  p = producer_new (desc);
  g_free (desc);

  keeper_init (&k, p, N_HELD);
  receiver = gst_parse_launch ("socketsrc name=src ! fddepay ! "
      "fakesink name=fakesink sync=false signal-handoffs=true", NULL);
  fail_unless (receiver != NULL);
  fdpass_check_track_pipeline (receiver);
  src = gst_bin_get_by_name (GST_BIN (receiver), "src");
  fakesink = gst_bin_get_by_name (GST_BIN (receiver), "fakesink");
  /* the socket owns sv[1] */
  socket = g_socket_new_from_fd (sv[1], &err);
  fail_unless (socket != NULL, "%s", err ? err->message : "");
  g_object_set (src, "socket", socket, NULL);
  g_signal_connect (fakesink, "handoff", G_CALLBACK (keeper_handoff), &k);

  fail_if (gst_element_set_state (receiver, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  producer_set_state (p, GST_STATE_PLAYING);

  WAIT_FOR (keeper_n_kept (&k) == N_HELD);
  fail_unless_equals_int (sink_stat (p->sink, 0, "releases"), FALSE);
  producer_wait_frames (p, producer_n_frames (p) + N_MORE);
  keeper_check (&k, "socketsrc ! fddepay");
  producer_assert_no_error (p);
  {
    gchar *e = fdpass_check_pop_bus_error (receiver);

    fail_if (e != NULL, "%s", e);
  }

  /* the receiver checks frames against the producer's record until it
   * stops */
  fail_unless_equals_int (gst_element_set_state (receiver, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fdpass_check_untrack_pipeline (receiver);
  producer_free (p);
  keeper_clear (&k);
  gst_object_unref (src);
  gst_object_unref (fakesink);
  gst_object_unref (receiver);
  g_object_unref (socket);
}

GST_END_TEST;

/* A receiver that announced releases holds frames, releases none and goes
 * away: what it held is its own. */
GST_START_TEST (test_integrity_hold_and_disconnect)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf (MOVING_PRODUCER, path, 128);
  Producer *p = producer_new (desc);
  GArray *held = g_array_new (FALSE, TRUE, sizeof (FdPassPeerFrame));
  FdPassPeer *c;

  producer_set_state (p, GST_STATE_PLAYING);
  c = client_connect (path);
  client_send_hello (c, GST_FDPASS_FEATURE_RELEASE, 0);
  WAIT_FOR (sink_stat (p->sink, 0, "releases") == TRUE);
  client_hold_frames (c, p, held, N_HELD);

  fdpass_peer_free (c);
  WAIT_FOR (producer_n_removed_with (p, "closed") == 1);
  /* nobody is connected: the producer recycles every frame it makes */
  producer_wait_frames (p, producer_n_frames (p) + N_MORE);
  check_held_frames (held, "held and gone");
  fail_unless_equals_int (sink_stat (p->sink, -1, "held-frames"), 0);
  producer_assert_no_error (p);

  held_frames_free (held);
  producer_free (p);
  g_free (desc);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* Two fdpay elements feed one sink, both counting buffer ids from 1. A
 * receiver releases some frames by the ids it got and holds the others. */
GST_START_TEST (test_integrity_two_payloaders)
{
  gchar *path = new_socket_path ();
  GArray *held = g_array_new (FALSE, TRUE, sizeof (FdPassPeerFrame));
  GHashTable *ids = g_hash_table_new_full (g_int64_hash, g_int64_equal,
      g_free, NULL);
  guint n_from[3] = { 0, };
  FdPassPeer *c;
  Producer *p;
  gchar *desc;
  guint i;

  desc = g_strdup_printf ("funnel name=f ! unixsocketsink name=sink path=%s "
      "max-pending=200 "
      "videotestsrc is-live=true pattern=ball ! " SMALL_CAPS " ! fdpay ! f. "
      "videotestsrc is-live=true pattern=smpte horizontal-speed=3 ! "
      SMALL_CAPS " ! fdpay ! f.", path);
  p = producer_new (desc);
  g_free (desc);
  producer_set_state (p, GST_STATE_PLAYING);

  c = client_connect (path);
  client_send_hello (c, GST_FDPASS_FEATURE_RELEASE, 0);
  WAIT_FOR (sink_stat (p->sink, 0, "releases") == TRUE);

  for (i = 0; i < 2 * N_HELD; i++) {
    FdPassPeerFrame f;

    client_recv_frame (c, p, &f);
    fail_if (g_hash_table_contains (ids, &f.id), "id %" G_GUINT64_FORMAT
        " came twice on one connection", f.id);
    g_hash_table_add (ids, g_memdup2 (&f.id, sizeof (f.id)));
    n_from[producer_made_by (p, f.pts, f.crc)]++;
    if (i % 2 == 0) {
      g_array_append_val (held, f);
    } else {
      guint64 id = f.id;

      fdpass_peer_frame_unmap (&f);
      client_send_release (c, &id, 1);
    }
  }

  /* frames of both came, each right */
  fail_unless (n_from[1] > 0 && n_from[2] > 0, "%u frames of the first "
      "fdpay, %u of the second", n_from[1], n_from[2]);

  client_release_until (c, p, producer_n_frames (p) + N_MORE);
  check_held_frames (held, "two payloaders");
  producer_assert_no_error (p);

  fdpass_peer_free (c);
  held_frames_free (held);
  g_hash_table_unref (ids);
  producer_free (p);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* A receiver releases every frame twice, and ids it never got (some of
 * which the sink sends it later, some of which the sink gave another
 * receiver): another one that holds frames sees none of them change. */
GST_START_TEST (test_integrity_bogus_releases)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf (MOVING_PRODUCER, path, 200);
  Producer *p = producer_new (desc);
  GArray *held = g_array_new (FALSE, TRUE, sizeof (FdPassPeerFrame));
  FdPassPeer *victim, *hostile;
  guint target;
  gint64 end;

  producer_set_state (p, GST_STATE_PLAYING);
  victim = client_connect (path);
  client_send_hello (victim, GST_FDPASS_FEATURE_RELEASE, 0);
  WAIT_FOR (sink_stat (p->sink, 0, "releases") == TRUE);
  client_hold_frames (victim, p, held, N_HELD);

  /* it joins later: the ids it got name other frames than the victim's
   * same ids */
  hostile = client_connect (path);
  client_send_hello (hostile, GST_FDPASS_FEATURE_RELEASE, 0);
  WAIT_FOR (sink_stat (p->sink, 1, "releases") == TRUE);

  target = producer_n_frames (p) + N_MORE;
  end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while (!producer_reached (p, target, end)) {
    client_release_available (victim, 10, FALSE);
    client_release_available (hostile, 10, TRUE);
  }
  check_held_frames (held, "next to bogus releases");

  /* the hostile one is still served, and released no more than it got */
  fail_unless (sink_stat (p->sink, 1, "sent") > N_HELD);
  fail_unless (sink_stat (p->sink, 1, "released") <=
      sink_stat (p->sink, 1, "sent"));
  producer_assert_no_error (p);

  fdpass_peer_free (victim);
  fdpass_peer_free (hostile);
  held_frames_free (held);
  producer_free (p);
  g_free (desc);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* A receiver announces releases and stops reading until its socket is
 * full, so that the sink has decided the bytes of the next frame and waits
 * to write them; then it takes the announcement back and reads everything.
 * Every frame it got is its own, the one that was waiting included. */
GST_START_TEST (test_integrity_release_withdrawn)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf (MOVING_PRODUCER, path, 4000);
  Producer *p = producer_new (desc);
  GArray *held = g_array_new (FALSE, TRUE, sizeof (FdPassPeerFrame));
  FdPassPeerMessage m;
  FdPassPeer *c;
  gint64 n_sent, sent, exported;

  producer_set_state (p, GST_STATE_PLAYING);
  c = client_connect (path);
  client_send_hello (c, GST_FDPASS_FEATURE_RELEASE, 0);
  WAIT_FOR (sink_stat (p->sink, 0, "releases") == TRUE);
  /* frames wait in the sink: its socket is full, the sink sends nothing
   * more until the receiver reads (the sink queues new headers for a
   * moment when the stream starts, frames are sent after them) */
  WAIT_FOR (sink_stat (p->sink, 0, "sent") > 0 &&
      sink_stat (p->sink, 0, "queued") > 0);
  n_sent = sink_stat (p->sink, 0, "sent");

  client_send_hello (c, GST_FDPASS_FEATURE_NONE, 0);
  WAIT_FOR (sink_stat (p->sink, 0, "releases") == FALSE);

  /* it reads everything in its socket and the frames after it, holding
   * every one */
  while (held->len == 0 ||
      g_array_index (held, FdPassPeerFrame, held->len - 1).id <= n_sent + 8)
    client_hold_frames (c, p, held, 1);
  producer_wait_frames (p, producer_n_frames (p) + N_MORE);
  check_held_frames (held, "release withdrawn");

  /* once everything was sent and read: the sink gave it every frame for
   * good */
  producer_set_state (p, GST_STATE_PAUSED);
  do {
    while (fdpass_peer_recv (c, &m, 50) == FDPASS_PEER_MESSAGE)
      fdpass_peer_message_clear (&m);
  } while (sink_stat (p->sink, 0, "queued") > 0);
  sent = sink_stat (p->sink, 0, "sent");
  exported = sink_stat (p->sink, 0, "exported");
  fail_unless (exported >= sent, "%" G_GINT64_FORMAT " frames were sent to "
      "a receiver that does not release, %" G_GINT64_FORMAT " of them were "
      "exported", sent, exported);
  producer_assert_no_error (p);

  fdpass_peer_free (c);
  held_frames_free (held);
  producer_free (p);
  g_free (desc);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* 2. Frames are read-only for receivers. */

typedef struct
{
  guint n_frames;
  /* what a receiver could do to the frames, with how many it did it */
  guint mmap_shared_write;
  guint mprotect_write;
  guint write;
  guint punch_hole;
  guint reopen_write;
  guint reopen_mmap_write;
} WriteAttempts;

/* Whether a new writable shared mapping of @fd works. Nothing is written
 * through it. */
static gboolean
can_map_writable (gint fd, gsize size)
{
  gpointer data = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

  if (data == MAP_FAILED)
    return FALSE;
  munmap (data, size);
  return TRUE;
}

/* Whether write() works on @fd: writes back the first byte as it is. */
static gboolean
can_write (gint fd)
{
  guint8 byte;

  if (pread (fd, &byte, 1, 0) != 1)
    return FALSE;
  return pwrite (fd, &byte, 1, 0) == 1;
}

/* Tries every way to write the file of @fd a receiver has, none of them
 * changing a byte, and counts in @w those that worked. */
static void
try_to_write (gint fd, WriteAttempts * w)
{
  gsize page = sysconf (_SC_PAGESIZE);
  struct stat st;
  gpointer data;
  gchar *proc, *target;
  gint fd2;

  fail_unless (fstat (fd, &st) == 0 && st.st_size > 0);
  w->n_frames++;

  /* what fdpay passes: the reopen below is about memfds */
  proc = g_strdup_printf ("/proc/self/fd/%d", fd);
  target = g_file_read_link (proc, NULL);
  fail_unless (target && g_str_has_prefix (target, "/memfd:"), "fd %d is %s",
      fd, GST_STR_NULL (target));
  g_free (target);

  if (can_map_writable (fd, st.st_size))
    w->mmap_shared_write++;

  data = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  fail_unless (data != MAP_FAILED, "a receiver cannot map a frame: %s",
      g_strerror (errno));
  if (mprotect (data, st.st_size, PROT_READ | PROT_WRITE) == 0)
    w->mprotect_write++;
  munmap (data, st.st_size);

  if (can_write (fd))
    w->write++;

  /* a hole after the end of the file changes no byte of it */
  if (fallocate (fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
          (st.st_size + page - 1) / page * page, page) == 0)
    w->punch_hole++;

  /* a new open file description of the same file */
  fd2 = open (proc, O_RDWR | O_CLOEXEC);
  g_free (proc);
  if (fd2 >= 0) {
    if (can_write (fd2))
      w->reopen_write++;
    if (can_map_writable (fd2, st.st_size))
      w->reopen_mmap_write++;
    close (fd2);
  }
}

static void
check_write_attempts (const WriteAttempts * w, const gchar * who)
{
  fail_unless (w->n_frames > 0);
  fail_unless (w->mmap_shared_write + w->mprotect_write + w->write +
      w->punch_hole + w->reopen_write + w->reopen_mmap_write == 0,
      "%s: a receiver could write frames it got (of %u frames: "
      "mmap(PROT_WRITE, MAP_SHARED) worked on %u, mprotect(PROT_WRITE) on "
      "%u, write() on %u, fallocate(PUNCH_HOLE) on %u, and after opening "
      "/proc/self/fd/N with O_RDWR again write() on %u, a writable shared "
      "mapping on %u)", who, w->n_frames, w->mmap_shared_write,
      w->mprotect_write, w->write, w->punch_hole, w->reopen_write,
      w->reopen_mmap_write);
}

/* Receives @n frames on @c, checks them and tries to write their files. */
static void
client_try_to_write (FdPassPeer * c, Producer * p, guint n, WriteAttempts * w)
{
  guint i, j;

  for (i = 0; i < n; i++) {
    FdPassPeerMessage m;
    FdPassPeerFrame f;

    client_recv_buffer (c, p, &m);
    fail_unless (fdpass_peer_frame_map (&f, &m), "cannot map a frame: %s",
        g_strerror (errno));
    fail_unless (producer_made (p, f.pts, f.crc), "frame %" G_GUINT64_FORMAT
        " does not have the bytes the producer made", f.id);
    fdpass_peer_frame_unmap (&f);
    for (j = 0; j < m.info.n_fds; j++)
      try_to_write (m.fds[j], w);
    fdpass_peer_message_clear (&m);
  }
}

GST_START_TEST (test_readonly_unixsocketsink)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf (MOVING_PRODUCER, path, 8);
  Producer *p = producer_new (desc);
  WriteAttempts w = { 0, };
  GstElement *honest, *fakesink;
  BufferKeeper k;
  FdPassPeer *c;
  gchar *e;

  producer_set_state (p, GST_STATE_PLAYING);
  g_free (desc);

  /* an honest receiver checks every frame it gets */
  keeper_init (&k, p, 0);
  desc = g_strdup_printf ("unixsocketsrc path=%s ! fddepay ! "
      "fakesink name=fakesink sync=false signal-handoffs=true", path);
  honest = gst_parse_launch (desc, NULL);
  fail_unless (honest != NULL);
  fdpass_check_track_pipeline (honest);
  fakesink = gst_bin_get_by_name (GST_BIN (honest), "fakesink");
  g_signal_connect (fakesink, "handoff", G_CALLBACK (keeper_handoff), &k);
  fail_if (gst_element_set_state (honest, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  c = client_connect (path);
  client_try_to_write (c, p, 20, &w);
  /* the honest one saw frames during the attempts, and later ones */
  producer_wait_frames (p, producer_n_frames (p) + 40);

  check_write_attempts (&w, "unixsocketsink");
  e = fdpass_check_pop_bus_error (honest);
  fail_if (e != NULL, "%s", e);
  keeper_check (&k, "honest receiver");
  producer_assert_no_error (p);

  fdpass_peer_free (c);
  fail_unless_equals_int (gst_element_set_state (honest, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fdpass_check_untrack_pipeline (honest);
  keeper_clear (&k);
  gst_object_unref (fakesink);
  gst_object_unref (honest);
  producer_free (p);
  g_free (desc);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* fdpay ! multisocketsink: frames in the pool fdpay proposes, and frames
 * fdpay copies into memfds of its own. */
static void
check_readonly_multisocketsink (const gchar * upstream)
{
  WriteAttempts w = { 0, };
  GstElement *msink;
  GSocket *socket;
  GError *err = NULL;
  FdPassPeer *c;
  Producer *p;
  gchar *desc;
  gint sv[2];

  desc = g_strdup_printf ("%s ! fdpay ! multisocketsink name=msink "
      "sync=false", upstream);
  p = producer_new (desc);
  g_free (desc);
  msink = gst_bin_get_by_name (GST_BIN (p->pipeline), "msink");

  fail_unless (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  socket = g_socket_new_from_fd (sv[0], &err);
  fail_unless (socket != NULL, "%s", err ? err->message : "");
  c = fdpass_peer_new (sv[1]);

  producer_set_state (p, GST_STATE_PLAYING);
  g_signal_emit_by_name (msink, "add", socket);
  client_try_to_write (c, p, 20, &w);
  check_write_attempts (&w, upstream);
  producer_assert_no_error (p);

  g_signal_emit_by_name (msink, "remove", socket);
  producer_free (p);
  fdpass_peer_free (c);
  /* multisocketsink does not close the sockets it is given */
  g_object_unref (socket);
  gst_object_unref (msink);
}

GST_START_TEST (test_readonly_multisocketsink)
{
  check_readonly_multisocketsink ("videotestsrc is-live=true pattern=ball ! "
      SMALL_CAPS);
  check_readonly_multisocketsink ("videotestsrc is-live=true pattern=ball ! "
      SMALL_CAPS " ! identity drop-allocation=true");
}

GST_END_TEST;

/* 3. A hostile sender, end to end through unixsocketsrc. */

#define SENDER_CAPS "video/x-raw,format=I420,width=64,height=48," \
    "framerate=30/1"
#define SENDER_FRAME_SIZE (64 * 48 * 3 / 2)
#define MEMFD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static void
count_handoffs (GstElement * fakesink, GstBuffer * buf, GstPad * pad, gint * n)
{
  g_atomic_int_inc (n);
}

/* Sends a frame that is right for the caps, then @bad_info with @bad_fd,
 * and expects the receiving pipeline to fail on it. */
static void
check_hostile_sender (const GstFdPassBufferInfo * bad_info, gint bad_fd,
    const gchar * what)
{
  gchar *path = new_socket_path ();
  guint8 *frame = g_malloc (SENDER_FRAME_SIZE);
  GstFdPassBufferInfo *info = g_new0 (GstFdPassBufferInfo, 1);
  GArray *released = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstElement *pipeline, *fakesink;
  GstFdPassHello hello;
  gboolean got_hello = FALSE;
  FdPassPeer *s;
  GstMessage *msg;
  GstBus *bus;
  gint lfd, fd, n_handoffs = 0;
  gchar *desc;
  guint i;

  lfd = fdpass_peer_listen (path);
  fail_unless (lfd >= 0, "%s", g_strerror (errno));
  desc = g_strdup_printf ("unixsocketsrc path=%s ! fddepay ! "
      "fakesink name=fakesink sync=false signal-handoffs=true "
      "enable-last-sample=false", path);
  pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  fdpass_check_track_pipeline (pipeline);
  fakesink = gst_bin_get_by_name (GST_BIN (pipeline), "fakesink");
  g_signal_connect (fakesink, "handoff", G_CALLBACK (count_handoffs),
      &n_handoffs);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  s = fdpass_peer_accept (lfd, WAIT_MS);
  fail_unless (s != NULL, "the receiver did not connect");
  /* fddepay behind it releases frames and keeps files */
  while (!got_hello) {
    fail_unless_equals_int (fdpass_peer_recv_replies (s, &hello, &got_hello,
            NULL, WAIT_MS), FDPASS_PEER_MESSAGE);
  }
  fail_unless (hello.features & GST_FDPASS_FEATURE_RELEASE);

  fail_unless (fdpass_peer_send_hello (s, GST_FDPASS_FEATURE_RELEASE, 0));
  fail_unless (fdpass_peer_send_caps (s, SENDER_CAPS));

  /* a frame as it should be, which the receiver takes and releases */
  for (i = 0; i < SENDER_FRAME_SIZE; i++)
    frame[i] = i * 7;
  fd = fdpass_peer_memfd_new (frame, SENDER_FRAME_SIZE, SENDER_FRAME_SIZE,
      MEMFD_SEALS);
  fail_unless (fd >= 0);
  fail_unless (fdpass_peer_buffer_info_init (info, 1, 0, fd,
          GST_FDPASS_FD_KIND_FILE, 0, SENDER_FRAME_SIZE));
  fail_unless (fdpass_peer_send_buffer (s, info, &fd));
  close (fd);
  while (released->len == 0) {
    fail_unless_equals_int (fdpass_peer_recv_replies (s, NULL, NULL,
            released, WAIT_MS), FDPASS_PEER_MESSAGE);
  }
  fail_unless_equals_int (released->len, 1);
  fail_unless_equals_uint64 (g_array_index (released, guint64, 0), 1);
  fail_unless_equals_int (g_atomic_int_get (&n_handoffs), 1);

  fail_unless (fdpass_peer_send_buffer (s, bad_info, &bad_fd));
  fail_unless (fdpass_peer_send_eos (s));

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "%s: the receiving pipeline neither failed nor "
      "ended", what);
  fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "%s: the "
      "receiving pipeline took it (%d buffers) and ended without an error",
      what, g_atomic_int_get (&n_handoffs));
  {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    GST_INFO ("%s: %s: %s", what, GST_MESSAGE_SRC_NAME (msg), err->message);
    g_error_free (err);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_int (g_atomic_int_get (&n_handoffs), 1);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fdpass_check_untrack_pipeline (pipeline);
  fdpass_peer_free (s);
  close (lfd);
  gst_object_unref (fakesink);
  gst_object_unref (pipeline);
  g_unlink (path);
  g_free (path);
  g_array_unref (released);
  g_free (info);
  g_free (frame);
}

/* A memfd is not a DMA buffer, whatever the sender says. */
GST_START_TEST (test_hostile_sender_dmabuf_label)
{
  GstFdPassBufferInfo *info = g_new0 (GstFdPassBufferInfo, 1);
  guint8 *frame = g_malloc0 (SENDER_FRAME_SIZE);
  gint fd;

  fd = fdpass_peer_memfd_new (frame, SENDER_FRAME_SIZE, SENDER_FRAME_SIZE,
      MEMFD_SEALS);
  fail_unless (fd >= 0);
  fail_unless (fdpass_peer_buffer_info_init (info, 2, GST_SECOND / 30, fd,
          GST_FDPASS_FD_KIND_DMABUF, 0, SENDER_FRAME_SIZE));
  check_hostile_sender (info, fd, "a memfd labelled DMABUF");
  close (fd);
  g_free (info);
  g_free (frame);
}

GST_END_TEST;

/* 64x48 I420 frames are 4608 bytes: a frame of 64 MiB is not one of them,
 * even in a sealed file that holds that many (sparse: it costs the sender
 * nothing). */
GST_START_TEST (test_hostile_sender_size_beyond_caps)
{
  GstFdPassBufferInfo *info = g_new0 (GstFdPassBufferInfo, 1);
  gsize size = 64 * 1024 * 1024;
  gint fd;

  fd = fdpass_peer_memfd_new (NULL, 0, size, MEMFD_SEALS);
  fail_unless (fd >= 0);
  fail_unless (fdpass_peer_buffer_info_init (info, 2, GST_SECOND / 30, fd,
          GST_FDPASS_FD_KIND_FILE, 0, size));
  check_hostile_sender (info, fd, "a 64 MiB frame for 64x48 caps");
  close (fd);
  g_free (info);
}

GST_END_TEST;

/* 4. Access control. */

static guint
socket_mode (const gchar * path)
{
  struct stat st;

  fail_unless (stat (path, &st) == 0, "%s: %s", path, g_strerror (errno));
  fail_unless (S_ISSOCK (st.st_mode));
  return st.st_mode & 07777;
}

/* Starts a sink at a new path with @props and returns the mode of its
 * socket file. */
static guint
sink_socket_mode (const gchar * props)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf ("videotestsrc ! fdpay ! unixsocketsink "
      "name=sink path=%s %s", path, props);
  Producer *p = producer_new (desc);
  guint mode;

  /* the sink listens from PAUSED on */
  producer_set_state (p, GST_STATE_PAUSED);
  mode = socket_mode (path);
  producer_free (p);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (desc);
  g_free (path);

  return mode;
}

GST_START_TEST (test_access_socket_mode)
{
  mode_t old = umask (0);

  fail_unless_equals_int (sink_socket_mode (""), 0600);
  fail_unless_equals_int (sink_socket_mode ("perms=0660"), 0660);
  umask (0077);
  fail_unless_equals_int (sink_socket_mode ("perms=0666"), 0666);
  umask (old);
}

GST_END_TEST;

/* What the child of another user saw */
typedef enum
{
  OTHER_REFUSED = 0,            /* the connection ended before any message */
  OTHER_GOT_FRAME = 1,          /* HELLO, CAPS, then a frame it could map */
  OTHER_CONNECT_EACCES = 2,     /* the socket file's mode kept it out */
  OTHER_CONNECT_FAILED = 3,
  OTHER_SETUP_FAILED = 4,
  OTHER_GOT_MESSAGE = 5,        /* messages, then not the above */
  OTHER_TIMEOUT = 6,
  OTHER_READ_FAILED = 7,
} OtherResult;

static const gchar *other_result_names[] = {
  "refused", "got a frame", "connect: EACCES", "connect failed",
  "could not become the other user", "got messages but not a frame",
  "timed out", "read failed"
};

static guint8 other_buf[GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD];

/* In the forked child, which is another user: only system calls, no
 * locks. */
static OtherResult
other_user_connect (const gchar * path)
{
  union
  {
    struct cmsghdr hdr;
    gchar buf[CMSG_SPACE (GST_FDPASS_MAX_FDS * sizeof (gint))];
  }
  control;
  struct sockaddr_un addr;
  socklen_t len;
  guint n_messages = 0;
  gint sock;

  if (setgroups (0, NULL) < 0 || setgid (OTHER_GID) < 0 ||
      setuid (OTHER_UID) < 0 || getuid () != OTHER_UID)
    return OTHER_SETUP_FAILED;

  if (!fdpass_peer_make_address (path, &addr, &len))
    return OTHER_CONNECT_FAILED;
  sock = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return OTHER_CONNECT_FAILED;
  if (connect (sock, (struct sockaddr *) &addr, len) < 0)
    return errno == EACCES ? OTHER_CONNECT_EACCES : OTHER_CONNECT_FAILED;

  for (;;) {
    struct pollfd pfd = { sock, POLLIN, 0 };
    struct cmsghdr *cmsg;
    struct msghdr mh;
    struct iovec iov;
    gint fd = -1;
    guint16 type;
    gssize n;

    if (poll (&pfd, 1, WAIT_MS) != 1)
      return OTHER_TIMEOUT;
    iov.iov_base = other_buf;
    iov.iov_len = sizeof (other_buf);
    memset (&mh, 0, sizeof (mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = &control;
    mh.msg_controllen = sizeof (control);
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0)
      return OTHER_READ_FAILED;
    if (n == 0)
      return n_messages == 0 ? OTHER_REFUSED : OTHER_GOT_MESSAGE;
    if (n < GST_FDPASS_HEADER_SIZE ||
        GST_READ_UINT32_LE (other_buf) != GST_FDPASS_MAGIC)
      return OTHER_READ_FAILED;

    for (cmsg = CMSG_FIRSTHDR (&mh); cmsg; cmsg = CMSG_NXTHDR (&mh, cmsg)) {
      if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
          cmsg->cmsg_len >= CMSG_LEN (sizeof (gint)))
        memcpy (&fd, CMSG_DATA (cmsg), sizeof (gint));
    }

    type = GST_READ_UINT16_LE (other_buf + 4);
    if ((n_messages == 0 && type != GST_FDPASS_MESSAGE_HELLO) ||
        (n_messages == 1 && type != GST_FDPASS_MESSAGE_CAPS))
      return OTHER_GOT_MESSAGE;
    n_messages++;

    if (type == GST_FDPASS_MESSAGE_BUFFER) {
      struct stat st;
      gpointer data;

      if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) ||
          st.st_size <= 0)
        return OTHER_GOT_MESSAGE;
      data = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
      if (data == MAP_FAILED)
        return OTHER_GOT_MESSAGE;
      return OTHER_GOT_FRAME;
    }
  }
}

/* Forks a child that connects to @path as another user. */
static OtherResult
run_other_user (const gchar * path)
{
  gint64 end = g_get_monotonic_time () + 2 * WAIT_MS * G_TIME_SPAN_MILLISECOND;
  gint status;
  pid_t pid, ret;

  pid = fork ();
  fail_unless (pid >= 0, "fork: %s", g_strerror (errno));
  if (pid == 0) {
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    _exit (other_user_connect (path));
  }

  while ((ret = waitpid (pid, &status, WNOHANG)) == 0) {
    if (g_get_monotonic_time () > end) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      fail ("the other user's process did not finish");
    }
    g_usleep (G_TIME_SPAN_MILLISECOND);
  }
  fail_unless (ret == pid, "waitpid: %s", g_strerror (errno));
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) <= OTHER_READ_FAILED,
      "the other user's process died, status 0x%x", status);

  return WEXITSTATUS (status);
}

static gboolean
running_as_root (void)
{
  if (geteuid () == 0)
    return TRUE;

  g_print ("skipping: another user's connection needs root to become "
      "uid %d\n", OTHER_UID);
  return FALSE;
}

/* Neither a warning nor an error was posted, for any attempt. */
static void
check_bus_quiet (Producer * p)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg;

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  fail_if (msg != NULL, "%s on the bus", msg ?
      GST_MESSAGE_TYPE_NAME (msg) : "");
  gst_object_unref (bus);
}

/* A producer that makes frames, serving @path with @props. */
static Producer *
access_producer_new (const gchar * path, const gchar * props)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,format=I420,width=64,height=48,framerate=100/1 ! fdpay ! "
      "unixsocketsink name=sink path=%s %s", path, props);
  Producer *p = producer_new (desc);

  g_free (desc);
  /* another user must reach the socket file */
  fail_unless (chmod (socket_dir, 0711) == 0);
  return p;
}

static void
expect_other_user (const gchar * path, OtherResult expected)
{
  OtherResult res = run_other_user (path);

  fail_unless (res == expected, "uid %d at %s: %s, expected %s", OTHER_UID,
      path, other_result_names[res], other_result_names[expected]);
}

GST_START_TEST (test_access_other_user_refused)
{
  gchar *path = new_socket_path ();
  gchar *abstract = g_strdup_printf ("@gst-fdpass-trust-%d", (gint) getpid ());
  Producer *p, *pa;

  if (!running_as_root ())
    return;

  /* the mode of the file lets anybody connect: the credentials do not */
  p = access_producer_new (path, "perms=0666");
  producer_set_state (p, GST_STATE_PLAYING);
  producer_wait_frames (p, 5);
  expect_other_user (path, OTHER_REFUSED);
  expect_other_user (path, OTHER_REFUSED);
  WAIT_FOR (sink_stat (p->sink, -1, "clients-refused") == 2);
  fail_unless_equals_int (sink_stat (p->sink, -1, "clients-added"), 0);
  check_bus_quiet (p);

  /* an abstract socket has no mode at all */
  pa = access_producer_new (abstract, "");
  producer_set_state (pa, GST_STATE_PLAYING);
  producer_wait_frames (pa, 5);
  expect_other_user (abstract, OTHER_REFUSED);
  WAIT_FOR (sink_stat (pa->sink, -1, "clients-refused") == 1);
  fail_unless_equals_int (sink_stat (pa->sink, -1, "clients-added"), 0);
  check_bus_quiet (pa);

  /* the sink's own user is welcome */
  {
    FdPassPeer *c = client_connect (abstract);
    FdPassPeerFrame f;

    client_recv_frame (c, pa, &f);
    fdpass_peer_frame_unmap (&f);
    fdpass_peer_free (c);
  }

  producer_free (p);
  producer_free (pa);
  g_free (abstract);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_access_other_user_file_mode)
{
  gchar *path = new_socket_path ();
  Producer *p;
  mode_t old;

  if (!running_as_root ())
    return;

  /* 0600 by default, whatever the umask: another user cannot even
   * connect */
  old = umask (0);
  p = access_producer_new (path, "");
  producer_set_state (p, GST_STATE_PLAYING);
  umask (old);
  expect_other_user (path, OTHER_CONNECT_EACCES);
  fail_unless_equals_int (sink_stat (p->sink, -1, "clients-refused"), 0);
  check_bus_quiet (p);

  producer_free (p);
  g_free (path);
}

GST_END_TEST;

/* Allowed by uid, or by group, as gst-launch-1.0 would set it. */
static void
check_other_user_allowed (const gchar * property, const gchar * value)
{
  gchar *path = new_socket_path ();
  gchar *abstract = g_strdup_printf ("@gst-fdpass-trust-%d", (gint) getpid ());
  Producer *p, *pa;

  p = access_producer_new (path, "perms=0666");
  gst_util_set_object_arg (G_OBJECT (p->sink), property, value);
  pa = access_producer_new (abstract, "");
  gst_util_set_object_arg (G_OBJECT (pa->sink), property, value);
  producer_set_state (p, GST_STATE_PLAYING);
  producer_set_state (pa, GST_STATE_PLAYING);

  expect_other_user (path, OTHER_GOT_FRAME);
  expect_other_user (abstract, OTHER_GOT_FRAME);
  fail_unless_equals_int (sink_stat (p->sink, -1, "clients-refused"), 0);
  fail_unless_equals_int (sink_stat (pa->sink, -1, "clients-refused"), 0);
  fail_unless_equals_int (sink_stat (p->sink, -1, "clients-added"), 1);
  check_bus_quiet (p);
  check_bus_quiet (pa);

  producer_free (p);
  producer_free (pa);
  g_free (abstract);
  g_free (path);
}

GST_START_TEST (test_access_allowed_uids)
{
  if (running_as_root ())
    check_other_user_allowed ("allowed-uids", "<65534>");
}

GST_END_TEST;

GST_START_TEST (test_access_allowed_gids)
{
  if (running_as_root ())
    check_other_user_allowed ("allowed-gids", "<65534>");
}

GST_END_TEST;

/* 5. Bounded by default. */

typedef struct
{
  guint64 held_bytes;
  guint64 held_frames;
  guint64 n_clients;
  guint other_fds;
  guint memfds;
} Peak;

static void
peak_sample (Peak * peak, Producer * p)
{
  guint other, memfd;

  peak->held_bytes = MAX (peak->held_bytes, sink_stat (p->sink, -1,
          "held-bytes"));
  peak->held_frames = MAX (peak->held_frames, sink_stat (p->sink, -1,
          "held-frames"));
  peak->n_clients = MAX (peak->n_clients, sink_stat (p->sink, -1, "n-clients"));
  fdpass_check_count_fds (&other, &memfd);
  peak->other_fds = MAX (peak->other_fds, other);
  peak->memfds = MAX (peak->memfds, memfd);
}

/* The clients removed for memory were removed in the order they came,
 * the first one with id @first_id. */
static void
check_memory_removals (Producer * p, guint first_id)
{
  guint i, last = 0;

  g_mutex_lock (&p->lock);
  for (i = 0; i < p->removed->len; i++) {
    const gchar *r = g_ptr_array_index (p->removed, i);
    guint id = g_ascii_strtoull (r, NULL, 10);

    if (!g_str_equal (strchr (r, ' ') + 1, "memory"))
      continue;
    fail_unless (last > 0 || id == first_id, "client %u was the first to be "
        "removed for memory, not client %u", id, first_id);
    fail_unless (id > last, "client %u was removed for memory after client "
        "%u, which came later", id, last);
    last = id;
  }
  g_mutex_unlock (&p->lock);
}

#define N_IDLE_CLIENTS 50
#define IDLE_STAGGER_MS 20
/* the defaults of unixsocketsink */
#define DEFAULT_MAX_CLIENTS 16
#define DEFAULT_MAX_PENDING 8
#define DEFAULT_MAX_HELD_BYTES (256 * 1024 * 1024)

/* 50 clients that join one after the other and then do nothing: a third
 * sends nothing and never reads, a third announces releases and never
 * reads, a third announces releases and reads but never releases. */
static void
check_idle_clients (guint max_held_frames)
{
  gchar *path = new_socket_path ();
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=200/1 ! "
      "fdpay ! unixsocketsink name=sink path=%s", path);
  Producer *p = producer_new (desc);
  FdPassPeer *clients[N_IDLE_CLIENTS] = { NULL, };
  guint64 frame_size, bound_bytes, bound_frames;
  guint other_before, memfd_before, other_after, memfd_after, i, j;
  guint n_timed_out;
  Peak peak = { 0, };
  const gchar *variant;

  producer_set_state (p, GST_STATE_PLAYING);
  producer_wait_frames (p, 10);
  frame_size = producer_file_size (p);
  fail_unless (frame_size >= 320 * 240 * 3 / 2);
  if (max_held_frames > 0) {
    g_object_set (p->sink, "max-held-bytes", max_held_frames * frame_size,
        NULL);
    bound_bytes = (max_held_frames + 1) * frame_size;
    bound_frames = max_held_frames + 1;
    variant = "max-held-bytes of 20 frames";
  } else {
    bound_frames = DEFAULT_MAX_CLIENTS * DEFAULT_MAX_PENDING;
    bound_bytes = MIN (DEFAULT_MAX_HELD_BYTES + frame_size,
        bound_frames * frame_size);
    variant = "defaults";
  }

  /* whatever the sink and GLib set up for a first client, once */
  fdpass_peer_free (client_connect (path));
  WAIT_FOR (sink_stat (p->sink, -1, "clients-removed") == 1);
  fdpass_check_count_fds (&other_before, &memfd_before);

  for (i = 0; i < N_IDLE_CLIENTS; i++) {
    gint64 next = g_get_monotonic_time () +
        IDLE_STAGGER_MS * G_TIME_SPAN_MILLISECOND;

    clients[i] = client_connect (path);
    /* one the sink refused may be gone already */
    if (i % 3 != 0 && !fdpass_peer_send_hello (clients[i],
            GST_FDPASS_FEATURE_RELEASE, 0))
      fail_unless (errno == EPIPE || errno == ECONNRESET, "cannot send a "
          "hello: %s", g_strerror (errno));
    do {
      /* the readers read what they got, and close it */
      for (j = 2; j <= i; j += 3) {
        FdPassPeerMessage m;

        while (clients[j] && fdpass_peer_recv (clients[j], &m, 0) ==
            FDPASS_PEER_MESSAGE)
          fdpass_peer_message_clear (&m);
      }
      peak_sample (&peak, p);
      g_usleep (2 * G_TIME_SPAN_MILLISECOND);
    } while (g_get_monotonic_time () < next);
  }
  producer_wait_frames (p, producer_n_frames (p) + 50);
  peak_sample (&peak, p);
  producer_assert_no_error (p);

  n_timed_out = producer_n_removed_with (p, "timeout");
  g_print ("trust: %u idle clients, %s (%" G_GUINT64_FORMAT " byte frames): "
      "the sink held at most %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
      " bytes (bound %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
      " bytes); %" G_GUINT64_FORMAT " clients at once, %" G_GINT64_FORMAT
      " refused, %u removed for memory, %u timed out; memfds open %u -> at "
      "most %u, other fds %u -> at most %u (the %u client sockets "
      "included)\n", N_IDLE_CLIENTS, variant, frame_size, peak.held_frames,
      peak.held_bytes, bound_frames, bound_bytes, peak.n_clients,
      sink_stat (p->sink, -1, "clients-refused"),
      producer_n_removed_with (p, "memory"), n_timed_out, memfd_before,
      peak.memfds, other_before, peak.other_fds, N_IDLE_CLIENTS);

  fail_unless (peak.n_clients <= DEFAULT_MAX_CLIENTS);
  fail_unless (peak.held_frames <= bound_frames, "the sink held %"
      G_GUINT64_FORMAT " frames", peak.held_frames);
  fail_unless (peak.held_bytes <= bound_bytes, "the sink held %"
      G_GUINT64_FORMAT " bytes", peak.held_bytes);
  /* a frame alive has its memfd open twice here, in its memory and in
   * the control message fdpay keeps for it; frames that are not held are
   * closed once sent, or back in the pool (a few, with a live source) */
  fail_unless (peak.memfds <= memfd_before + 2 * (bound_frames +
          DEFAULT_MAX_PENDING), "%u memfds open", peak.memfds);
  if (max_held_frames > 0) {
    /* each time the one that holds the oldest frame: the clients that
     * release hold the first frames they got, so the one that came first.
     * The sink numbers its clients from 1, in the order it accepts them
     * (only the warm-up client came before): the first one it removes is
     * clients[1]. */
    fail_unless (producer_n_removed_with (p, "memory") > 0);
    check_memory_removals (p, 3);
  } else {
    /* only a client the sink gave up on (on a very slow machine) makes
     * room for another one */
    fail_unless (sink_stat (p->sink, -1, "clients-refused") + n_timed_out >=
        N_IDLE_CLIENTS - DEFAULT_MAX_CLIENTS);
    fail_unless_equals_int (producer_n_removed_with (p, "memory"), 0);
  }

  /* they all go away: the sink lets go of everything */
  for (i = 0; i < N_IDLE_CLIENTS; i++)
    fdpass_peer_free (clients[i]);
  WAIT_FOR (sink_stat (p->sink, -1, "n-clients") == 0);
  WAIT_FOR (sink_stat (p->sink, -1, "held-frames") == 0);
  fail_unless_equals_int (sink_stat (p->sink, -1, "held-bytes"), 0);
  producer_wait_frames (p, producer_n_frames (p) + 20);

  /* the sink's sockets are closed by its thread, a moment later */
  {
    gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

    do {
      fdpass_check_count_fds (&other_after, &memfd_after);
    } while (other_after > other_before && g_get_monotonic_time () < end &&
        (g_usleep (5 * G_TIME_SPAN_MILLISECOND), TRUE));
  }
  g_print ("trust: after the %u clients left: fds other than memfds %u -> "
      "%u, memfds %u -> %u\n", N_IDLE_CLIENTS, other_before, other_after,
      memfd_before, memfd_after);
  fail_unless_equals_int (other_after, other_before);
  /* Every frame a client got was its own for good and is closed here, or
   * in the frame's fdpay control message, once the sink let go of it (a
   * frame alive costs two fds). Frames no client got went back to fdpay's
   * pool, which keeps every buffer that comes back free; with a live
   * source only a few are free at once. */
  fail_unless (memfd_after <= memfd_before + DEFAULT_MAX_PENDING, "%u memfds "
      "open, %u before", memfd_after, memfd_before);
  producer_assert_no_error (p);

  producer_free (p);
  g_free (desc);
  g_unlink (path);
  g_free (path);
}

GST_START_TEST (test_bounded_idle_clients)
{
  check_idle_clients (0);
}

GST_END_TEST;

GST_START_TEST (test_bounded_idle_clients_max_held_bytes)
{
  check_idle_clients (20);
}

GST_END_TEST;

/* 6. unixsocketsrc ! filesink records every frame: it announces nothing,
 * since nothing downstream would release frames. */
GST_START_TEST (test_record_every_frame)
{
  gchar *path = new_socket_path ();
  gchar *file = g_strdup_printf ("%s/%d.rec", socket_dir, (gint) getpid ());
  guint counts[GST_FDPASS_MESSAGE_FORGET + 1] = { 0, };
  GstElement *recorder;
  GstMessage *msg;
  Producer *p;
  GstBus *bus;
  gchar *desc, *contents;
  gsize size, pos;

  desc = g_strdup_printf ("videotestsrc num-buffers=60 pattern=ball ! "
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1 ! fdpay ! "
      "unixsocketsink name=sink path=%s sync=false slow-client-policy=block",
      path);
  p = producer_new (desc);
  g_free (desc);
  producer_set_state (p, GST_STATE_PAUSED);

  desc = g_strdup_printf ("unixsocketsrc path=%s ! filesink location=%s",
      path, file);
  recorder = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (recorder != NULL);
  fdpass_check_track_pipeline (recorder);
  fail_if (gst_element_set_state (recorder, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  WAIT_FOR (sink_stat (p->sink, -1, "n-clients") == 1);
  fail_unless_equals_int (sink_stat (p->sink, 0, "releases"), FALSE);

  producer_set_state (p, GST_STATE_PLAYING);
  bus = gst_element_get_bus (p->pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_int (sink_stat (p->sink, -1, "dropped"), 0);
  /* closes the connection: the recorder ends */
  producer_free (p);

  bus = gst_element_get_bus (recorder);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_MS * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (recorder, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fdpass_check_untrack_pipeline (recorder);
  gst_object_unref (recorder);

  fail_unless (g_file_get_contents (file, &contents, &size, NULL));
  for (pos = 0; pos < size;) {
    GstFdPassHeader header;

    fail_unless (gst_fdpass_header_parse ((guint8 *) contents + pos,
            size - pos, &header, NULL), "no message at byte %" G_GSIZE_FORMAT,
        pos);
    fail_unless (pos + GST_FDPASS_HEADER_SIZE + header.payload_size <= size);
    if (header.type < G_N_ELEMENTS (counts))
      counts[header.type]++;
    pos += GST_FDPASS_HEADER_SIZE + header.payload_size;
  }
  fail_unless (counts[GST_FDPASS_MESSAGE_HELLO] >= 1);
  fail_unless (counts[GST_FDPASS_MESSAGE_CAPS] >= 1);
  fail_unless_equals_int (counts[GST_FDPASS_MESSAGE_BUFFER], 60);
  fail_unless_equals_int (counts[GST_FDPASS_MESSAGE_EOS], 1);

  g_free (contents);
  g_unlink (file);
  g_free (file);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* 7. fdpay ! tee feeding unixsocketsink and an fddepay in the same
 * process. */

#define TEE_PRODUCER "videotestsrc is-live=true pattern=ball ! " SMALL_CAPS \
    " ! fdpay ! tee name=t ! queue ! unixsocketsink name=sink path=%s " \
    "max-pending=64  t. ! queue ! fddepay ! fakesink name=local sync=false " \
    "signal-handoffs=true"

static Producer *
tee_producer_new (const gchar * path, BufferKeeper * k, guint n_kept)
{
  gchar *desc = g_strdup_printf (TEE_PRODUCER, path);
  Producer *p = producer_new (desc);
  GstElement *local;

  g_free (desc);
  keeper_init (k, p, n_kept);
  local = gst_bin_get_by_name (GST_BIN (p->pipeline), "local");
  g_signal_connect (local, "handoff", G_CALLBACK (keeper_handoff), k);
  gst_object_unref (local);

  return p;
}

/* Both get the frames as they were made. */
GST_START_TEST (test_tee_both_correct)
{
  gchar *path = new_socket_path ();
  BufferKeeper k;
  FdPassPeer *c;
  Producer *p;
  guint i;

  p = tee_producer_new (path, &k, 0);
  producer_set_state (p, GST_STATE_PLAYING);
  c = client_connect (path);
  client_send_hello (c, GST_FDPASS_FEATURE_RELEASE, 0);

  for (i = 0; i < 60; i++) {
    FdPassPeerFrame f;
    guint64 id;

    client_recv_frame (c, p, &f);
    id = f.id;
    fdpass_peer_frame_unmap (&f);
    client_send_release (c, &id, 1);
  }
  keeper_check (&k, "fddepay next to the sink");
  producer_assert_no_error (p);

  fdpass_peer_free (c);
  producer_free (p);
  keeper_clear (&k);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* The local fddepay keeps frames while the remote receiver releases its
 * copies at once: the local ones must not change. */
GST_START_TEST (test_tee_local_frames_kept)
{
  gchar *path = new_socket_path ();
  BufferKeeper k;
  gint64 end;
  FdPassPeer *c;
  Producer *p;

  p = tee_producer_new (path, &k, N_HELD);
  producer_set_state (p, GST_STATE_PLAYING);
  c = client_connect (path);
  client_send_hello (c, GST_FDPASS_FEATURE_RELEASE, 0);
  WAIT_FOR (sink_stat (p->sink, 0, "releases") == TRUE);

  end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while (keeper_n_kept (&k) < N_HELD) {
    client_release_available (c, 20, FALSE);
    producer_assert_no_error (p);
    fail_unless (g_get_monotonic_time () < end, "the local fddepay is stuck "
        "at %u frames", keeper_n_kept (&k));
  }
  client_release_until (c, p, producer_n_frames (p) + N_MORE);
  keeper_check (&k, "fddepay next to the sink");
  producer_assert_no_error (p);

  fdpass_peer_free (c);
  producer_free (p);
  keeper_clear (&k);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

static Suite *
trust_suite (void)
{
  Suite *s = suite_create ("trust");
  TCase *tc_integrity = tcase_create ("integrity");
  TCase *tc_readonly = tcase_create ("readonly");
  TCase *tc_sender = tcase_create ("sender");
  TCase *tc_access = tcase_create ("access");
  TCase *tc_bounded = tcase_create ("bounded");

  suite_add_tcase (s, tc_integrity);
  tcase_add_checked_fixture (tc_integrity, NULL, fdpass_check_stop_pipelines);
  tcase_add_test (tc_integrity, test_integrity_no_hello);
  tcase_add_test (tc_integrity, test_integrity_hello_without_release);
  tcase_add_test (tc_integrity, test_integrity_late_hello);
  tcase_add_test (tc_integrity, test_integrity_socketsrc_fd);
  tcase_add_test (tc_integrity, test_integrity_hold_and_disconnect);
  tcase_add_test (tc_integrity, test_integrity_two_payloaders);
  tcase_add_test (tc_integrity, test_integrity_bogus_releases);
  tcase_add_test (tc_integrity, test_integrity_release_withdrawn);
  tcase_add_test (tc_integrity, test_record_every_frame);
  tcase_add_test (tc_integrity, test_tee_both_correct);
  tcase_add_test (tc_integrity, test_tee_local_frames_kept);

  suite_add_tcase (s, tc_readonly);
  tcase_add_checked_fixture (tc_readonly, NULL, fdpass_check_stop_pipelines);
  tcase_add_test (tc_readonly, test_readonly_unixsocketsink);
  tcase_add_test (tc_readonly, test_readonly_multisocketsink);

  suite_add_tcase (s, tc_sender);
  tcase_add_checked_fixture (tc_sender, NULL, fdpass_check_stop_pipelines);
  tcase_add_test (tc_sender, test_hostile_sender_dmabuf_label);
  tcase_add_test (tc_sender, test_hostile_sender_size_beyond_caps);

  suite_add_tcase (s, tc_access);
  tcase_add_checked_fixture (tc_access, NULL, fdpass_check_stop_pipelines);
  tcase_add_test (tc_access, test_access_socket_mode);
  tcase_add_test (tc_access, test_access_other_user_refused);
  tcase_add_test (tc_access, test_access_other_user_file_mode);
  tcase_add_test (tc_access, test_access_allowed_uids);
  tcase_add_test (tc_access, test_access_allowed_gids);

  suite_add_tcase (s, tc_bounded);
  tcase_add_checked_fixture (tc_bounded, NULL, fdpass_check_stop_pipelines);
  tcase_add_test (tc_bounded, test_bounded_idle_clients);
  tcase_add_test (tc_bounded, test_bounded_idle_clients_max_held_bytes);

  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;
  gint ret;

  gst_check_init (&argc, &argv);
  s = trust_suite ();

  socket_dir = g_dir_make_tmp ("fdpass-trust-XXXXXX", NULL);
  g_assert (socket_dir != NULL);
  ret = gst_check_run_suite (s, "trust", __FILE__);
  fdpass_check_remove_dir (&socket_dir);

  return ret;
}
