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

/* fdpay payload=inline over upstream's network elements, on 127.0.0.1:
 * tcpserversink → tcpclientsrc and srtsink → srtsrc. Every frame that
 * arrives must have the CRC of the source's frame of the same index (the
 * moving ball makes each frame different), the caps the source
 * negotiated, and (over TCP) the sender's timestamps; a receiver that
 * connects late or again starts on a frame, with the caps. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../fdpass-check.h"

#define FPS 30
/* run as a receiver process: the pipeline description in this variable */
#define RECEIVER_ENV "FDPASS_TEST_NETWORK_RECEIVER"
#define CAPS_FMT "video/x-raw, format=(string)I420, width=(int)%d, " \
    "height=(int)%d, framerate=(fraction)30/1"

typedef struct
{
  /* the source's frame number (its buffer offset), and its timestamp */
  guint64 index;
  GstClockTime pts;
  guint32 crc;
  gboolean fd_memory;
  GstCaps *caps;
} Frame;

typedef struct
{
  GstElement *pipeline;
  GMutex lock;
  GArray *frames;               /* of Frame */
} Receiver;

static void
frame_clear (Frame * f)
{
  gst_caps_unref (f->caps);
}

static GstFlowReturn
new_sample (GstAppSink * appsink, gpointer user_data)
{
  Receiver *r = user_data;
  GstSample *sample = gst_app_sink_pull_sample (appsink);
  GstBuffer *buf = gst_sample_get_buffer (sample);
  Frame f;

  f.index = GST_BUFFER_OFFSET (buf);
  f.pts = GST_BUFFER_PTS (buf);
  f.crc = fdpass_check_crc32_buffer (buf);
  f.fd_memory = gst_buffer_n_memory (buf) == 1 &&
      gst_is_fd_memory (gst_buffer_peek_memory (buf, 0));
  f.caps = gst_caps_ref (gst_sample_get_caps (sample));
  gst_sample_unref (sample);

  g_mutex_lock (&r->lock);
  g_array_append_val (r->frames, f);
  g_mutex_unlock (&r->lock);

  return GST_FLOW_OK;
}

static void
receiver_start (Receiver * r, const gchar * src_desc)
{
  GstAppSinkCallbacks callbacks = { NULL, NULL, new_sample };
  gchar *desc = g_strdup_printf ("%s ! fddepay ! appsink name=out "
      "sync=false", src_desc);
  GstElement *sink;

  memset (r, 0, sizeof (*r));
  g_mutex_init (&r->lock);
  r->frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  g_array_set_clear_func (r->frames, (GDestroyNotify) frame_clear);
  r->pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (r->pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (r->pipeline), "out");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, r, NULL);
  gst_object_unref (sink);
  fail_unless (gst_element_set_state (r->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
}

static guint
receiver_n_frames (Receiver * r)
{
  guint n;

  g_mutex_lock (&r->lock);
  n = r->frames->len;
  g_mutex_unlock (&r->lock);

  return n;
}

static void
receiver_wait (Receiver * r, guint n)
{
  gint64 end = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  while (receiver_n_frames (r) < n && g_get_monotonic_time () < end)
    g_usleep (5000);
  fail_unless (receiver_n_frames (r) >= n, "%u of %u frames",
      receiver_n_frames (r), n);
}

static void
receiver_stop (Receiver * r)
{
  gst_element_set_state (r->pipeline, GST_STATE_NULL);
  gst_object_unref (r->pipeline);
}

static void
receiver_clear (Receiver * r)
{
  g_array_unref (r->frames);
  g_mutex_clear (&r->lock);
}

typedef struct
{
  GstElement *pipeline;
  GstElement *filter;
  GstElement *sink;
  gint port;
  /* the CRC of each frame fdpay got, by its offset */
  GMutex lock;
  GHashTable *crcs;
} Sender;

static GstPadProbeReturn
sender_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Sender *s = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint32 crc = fdpass_check_crc32_buffer (buf);

  g_mutex_lock (&s->lock);
  g_hash_table_insert (s->crcs, GUINT_TO_POINTER (GST_BUFFER_OFFSET (buf)),
      GUINT_TO_POINTER (crc));
  g_mutex_unlock (&s->lock);

  return GST_PAD_PROBE_OK;
}

static gboolean
sender_crc (Sender * s, guint64 offset, guint32 * crc)
{
  gpointer value = NULL;
  gboolean found;

  g_mutex_lock (&s->lock);
  found = g_hash_table_lookup_extended (s->crcs, GUINT_TO_POINTER (offset),
      NULL, &value);
  g_mutex_unlock (&s->lock);
  *crc = GPOINTER_TO_UINT (value);

  return found;
}

/* Frames [from, to) of @r: each with the bytes of the frame of its index
 * that fdpay got, at @width x @height, in memfd-backed memory, the indices
 * contiguous, and with @check_pts the timestamps the live source gave them:
 * a frame period apart. Returns the index of the first. */
static guint64
check_frames (Receiver * r, guint from, guint to, Sender * s, gint width,
    gint height, gboolean check_pts)
{
  guint64 first_index = G_MAXUINT64;
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  guint i;

  g_mutex_lock (&r->lock);
  fail_unless (to <= r->frames->len);
  for (i = from; i < to; i++)
    GST_INFO ("frame %u: index %" G_GUINT64_FORMAT " pts %" GST_TIME_FORMAT
        " crc %08x", i, g_array_index (r->frames, Frame, i).index,
        GST_TIME_ARGS (g_array_index (r->frames, Frame, i).pts),
        g_array_index (r->frames, Frame, i).crc);
  for (i = from; i < to; i++) {
    Frame *f = &g_array_index (r->frames, Frame, i);
    GstVideoInfo vinfo;
    guint64 expected;
    guint32 crc;

    fail_unless (f->index != GST_BUFFER_OFFSET_NONE, "frame %u lost its "
        "offset", i);
    fail_unless (GST_CLOCK_TIME_IS_VALID (f->pts));
    if (first_index == G_MAXUINT64) {
      first_index = f->index;
      first_pts = f->pts;
    }
    fail_unless_equals_uint64 (f->index, first_index + (i - from));
    /* to the nanosecond, give or take the rounding of a source that
     * started its count again */
    expected = gst_util_uint64_scale (f->index - first_index, GST_SECOND, FPS);
    fail_unless (!check_pts || (f->pts - first_pts + 1 >= expected &&
            f->pts - first_pts <= expected + 1), "frame %" G_GUINT64_FORMAT
        " at %" GST_TIME_FORMAT ", %" G_GUINT64_FORMAT " ns after frame %"
        G_GUINT64_FORMAT, f->index, GST_TIME_ARGS (f->pts),
        f->pts - first_pts, first_index);
    fail_unless (sender_crc (s, f->index, &crc), "frame %" G_GUINT64_FORMAT
        " was never sent", f->index);
    fail_unless (f->crc == crc, "frame %" G_GUINT64_FORMAT ": CRC %08x, "
        "fdpay got %08x", f->index, f->crc, crc);
    fail_unless (f->fd_memory, "frame %u is not in a memfd", i);
    fail_unless (gst_video_info_from_caps (&vinfo, f->caps));
    fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&vinfo), width);
    fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&vinfo), height);
    fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&vinfo),
        GST_VIDEO_FORMAT_I420);
  }
  g_mutex_unlock (&r->lock);

  return first_index;
}

/* a live source (so that receivers can join while it runs) of @n frames,
 * then @tail, which names its sink "sink" */
static void
sender_start_full (Sender * s, const gchar * pattern, guint n, gint width,
    gint height, const gchar * tail)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true pattern=%s "
      "num-buffers=%u ! capsfilter name=filter caps=\"" CAPS_FMT "\" ! %s",
      pattern, n, width, height, tail);
  GstPad *pad;

  s->pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (s->pipeline != NULL);
  s->filter = gst_bin_get_by_name (GST_BIN (s->pipeline), "filter");
  s->sink = gst_bin_get_by_name (GST_BIN (s->pipeline), "sink");
  g_mutex_init (&s->lock);
  s->crcs = g_hash_table_new (NULL, NULL);
  pad = gst_element_get_static_pad (s->filter, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sender_probe, s, NULL);
  gst_object_unref (pad);
  fail_unless (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (s->sink),
          "current-port")) {
    gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

    do {
      g_object_get (s->sink, "current-port", &s->port, NULL);
      if (s->port <= 0)
        g_usleep (1000);
    } while (s->port <= 0 && g_get_monotonic_time () < end);
    fail_unless (s->port > 0);
  }
}

/* fdpay payload=inline ! @sink_desc */
static void
sender_start (Sender * s, guint n, gint width, gint height,
    const gchar * sink_desc)
{
  gchar *tail = g_strdup_printf ("fdpay name=pay payload=inline ! %s "
      "name=sink", sink_desc);

  sender_start_full (s, "ball", n, width, height, tail);
  g_free (tail);
}

static void
sender_stop (Sender * s)
{
  gst_element_set_state (s->pipeline, GST_STATE_NULL);
  gst_object_unref (s->filter);
  gst_object_unref (s->sink);
  gst_object_unref (s->pipeline);
  g_hash_table_unref (s->crcs);
  g_mutex_clear (&s->lock);
}

static gchar *
tcp_src (Sender * s)
{
  return g_strdup_printf ("tcpclientsrc host=127.0.0.1 port=%d", s->port);
}

GST_START_TEST (test_tcp_frames)
{
  Receiver r;
  Sender s;
  gchar *src;

  sender_start (&s, 150, 320, 240, "tcpserversink host=127.0.0.1 port=0");
  src = tcp_src (&s);
  receiver_start (&r, src);
  receiver_wait (&r, 30);
  /* a receiver that joins a running stream starts on a frame boundary,
   * with the caps, and misses none from there */
  check_frames (&r, 0, 30, &s, 320, 240, TRUE);

  receiver_stop (&r);
  receiver_clear (&r);
  sender_stop (&s);
  g_free (src);
}

GST_END_TEST;

/* A receiver that goes away and connects again gets frames again, from a
 * later frame, while the sender keeps running. */
GST_START_TEST (test_tcp_reconnect)
{
  guint64 first, again;
  Receiver r;
  Sender s;
  gchar *src;

  sender_start (&s, 300, 320, 240, "tcpserversink host=127.0.0.1 port=0");
  src = tcp_src (&s);

  receiver_start (&r, src);
  receiver_wait (&r, 10);
  first = check_frames (&r, 0, 10, &s, 320, 240, TRUE);
  receiver_stop (&r);
  receiver_clear (&r);

  receiver_start (&r, src);
  receiver_wait (&r, 10);
  again = check_frames (&r, 0, 10, &s, 320, 240, TRUE);
  fail_unless (again >= first + 10, "the second connection started at %"
      G_GUINT64_FORMAT ", the first at %" G_GUINT64_FORMAT, again, first);
  receiver_stop (&r);
  receiver_clear (&r);

  sender_stop (&s);
  g_free (src);
}

GST_END_TEST;

/* The caps change in the middle of the stream: the receiver gets the new
 * caps with the first frame of the new size. */
GST_START_TEST (test_tcp_caps_change)
{
  GstCaps *caps;
  Receiver r;
  Sender s;
  gchar *src;
  guint i, switched = 0;

  sender_start (&s, 300, 320, 240, "tcpserversink host=127.0.0.1 port=0");
  src = tcp_src (&s);
  receiver_start (&r, src);
  receiver_wait (&r, 10);

  caps = gst_caps_from_string ("video/x-raw, format=I420, width=640, "
      "height=480, framerate=30/1");
  g_object_set (s.filter, "caps", caps, NULL);
  gst_caps_unref (caps);

  /* wait for ten frames of the new size */
  for (i = 0; i < 400; i++) {
    guint n_frames = receiver_n_frames (&r);

    g_mutex_lock (&r.lock);
    for (switched = 0; switched < n_frames; switched++) {
      Frame *f = &g_array_index (r.frames, Frame, switched);
      GstStructure *st = gst_caps_get_structure (f->caps, 0);
      gint width = 0;

      gst_structure_get_int (st, "width", &width);
      if (width == 640)
        break;
    }
    g_mutex_unlock (&r.lock);
    if (switched + 10 <= n_frames)
      break;
    g_usleep (10000);
  }
  fail_unless (switched > 0 && switched + 10 <= receiver_n_frames (&r));
  /* videotestsrc counts its timestamps again with new caps */
  check_frames (&r, 0, switched, &s, 320, 240, TRUE);
  check_frames (&r, switched, switched + 10, &s, 640, 480, FALSE);

  receiver_stop (&r);
  receiver_clear (&r);
  sender_stop (&s);
  g_free (src);
}

GST_END_TEST;

static gint
free_udp_port (void)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  GInetAddress *any = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (any, 0);
  GSocketAddress *bound;
  gint port;

  fail_unless (g_socket_bind (socket, addr, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (any);
  g_object_unref (socket);

  return port;
}

/* Over SRT, when the Debian package provides it. srtsrc timestamps what it
 * receives: frames take their arrival time there (see fddepay). */
GST_START_TEST (test_srt_frames)
{
  Receiver r;
  Sender s;
  gchar *sink, *src;
  gint port;

  if (!gst_registry_check_feature_version (gst_registry_get (), "srtsink", 1,
          0, 0)) {
    GST_INFO ("no srtsink, skipping");
    return;
  }

  port = free_udp_port ();
  sink = g_strdup_printf ("srtsink uri=srt://127.0.0.1:%d?mode=listener "
      "wait-for-connection=false", port);
  src = g_strdup_printf ("srtsrc uri=srt://127.0.0.1:%d?mode=caller", port);
  sender_start (&s, 150, 320, 240, sink);
  receiver_start (&r, src);
  receiver_wait (&r, 20);
  check_frames (&r, 0, 20, &s, 320, 240, FALSE);

  receiver_stop (&r);
  receiver_clear (&r);
  sender_stop (&s);
  g_free (sink);
  g_free (src);
}

GST_END_TEST;

static GstElement *
start_pipeline (const gchar * desc)
{
  GstElement *pipeline = gst_parse_launch (desc, NULL);

  fail_unless (pipeline != NULL, "%s", desc);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  return pipeline;
}

static void
stop_pipeline (GstElement * pipeline)
{
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* The relay of the README: frames shared in memfds on one machine go
 * inline over TCP, and are shared in memfds again on the other side:
 *
 *   producer:  ... ! fdpay ! unixsocketsink socket-path=A
 *   relay:     unixsocketsrc socket-path=A ! fddepay ! fdpay payload=inline
 *                  ! tcpserversink
 *   far side:  tcpclientsrc ! fddepay ! fdpay ! unixsocketsink socket-path=B
 *   consumer:  unixsocketsrc socket-path=B ! fddepay ! ...
 *
 * The far side's fddepay writes the frames into the pool its fdpay
 * proposes, so that fdpay shares them without a copy. */
GST_START_TEST (test_relay)
{
  gchar *dir = g_dir_make_tmp ("fdpass-relay-XXXXXX", NULL);
  gchar *a = g_build_filename (dir, "a.sock", NULL);
  gchar *b = g_build_filename (dir, "b.sock", NULL);
  GstElement *relay, *far, *tcp, *farpay;
  GstStructure *stats;
  guint64 buffers = 0, copies = 1, zero_copy = 0;
  gchar *desc;
  Receiver r;
  Sender s;
  gint port = 0;
  gint64 end;

  desc = g_strdup_printf ("fdpay ! unixsocketsink name=sink socket-path=%s", a);
  sender_start_full (&s, "ball", 300, 320, 240, desc);
  g_free (desc);

  desc = g_strdup_printf ("unixsocketsrc socket-path=%s ! fddepay ! "
      "fdpay payload=inline ! tcpserversink name=tcp host=127.0.0.1 port=0", a);
  relay = start_pipeline (desc);
  g_free (desc);
  tcp = gst_bin_get_by_name (GST_BIN (relay), "tcp");
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (port <= 0 && g_get_monotonic_time () < end) {
    g_object_get (tcp, "current-port", &port, NULL);
    g_usleep (1000);
  }
  fail_unless (port > 0);

  desc = g_strdup_printf ("tcpclientsrc host=127.0.0.1 port=%d ! fddepay ! "
      "fdpay name=farpay ! unixsocketsink socket-path=%s", port, b);
  far = start_pipeline (desc);
  g_free (desc);
  farpay = gst_bin_get_by_name (GST_BIN (far), "farpay");

  desc = g_strdup_printf ("unixsocketsrc socket-path=%s", b);
  receiver_start (&r, desc);
  g_free (desc);
  receiver_wait (&r, 20);
  check_frames (&r, 0, 20, &s, 320, 240, TRUE);

  g_object_get (farpay, "stats", &stats, NULL);
  gst_structure_get (stats, "buffers", G_TYPE_UINT64, &buffers,
      "copies", G_TYPE_UINT64, &copies,
      "zero-copy-buffers", G_TYPE_UINT64, &zero_copy, NULL);
  gst_structure_free (stats);
  GST_INFO ("far side fdpay: %" G_GUINT64_FORMAT " buffers, %"
      G_GUINT64_FORMAT " copies, %" G_GUINT64_FORMAT " zero-copy", buffers,
      copies, zero_copy);
  fail_unless (buffers >= 20);
  fail_unless_equals_uint64 (copies, 0);
  fail_unless_equals_uint64 (zero_copy, buffers);

  receiver_stop (&r);
  receiver_clear (&r);
  gst_object_unref (farpay);
  stop_pipeline (far);
  gst_object_unref (tcp);
  stop_pipeline (relay);
  sender_stop (&s);
  g_unlink (a);
  g_unlink (b);
  g_rmdir (dir);
  g_free (a);
  g_free (b);
  g_free (dir);
}

GST_END_TEST;

/* A client that connected and stopped reading. */
static GSocket *
stalled_client (gint port)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);

  /* a small window: the sender's queue fills, not the kernel's buffers */
  fail_unless (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 4096, NULL));
  fail_unless (g_socket_connect (socket, addr, NULL, NULL));
  g_object_unref (addr);
  g_object_unref (lo);

  return socket;
}

static void
on_client_removed (GstElement * sink, GSocket * socket, gint status,
    gint * n_removed)
{
  g_atomic_int_inc (n_removed);
}

/* What bounds the sender's memory for a remote client that stopped
 * reading (README, "Across machines"): with units-max, tcpserversink drops
 * the client once that many frames wait for it; with units-soft-max and
 * recover-policy=latest it keeps the client and skips it to the newest
 * frame. Either way no more than that many frames wait in the sender.
 * (Without either, they pile up for as long as the client is there: the
 * bench's stopped-consumer run.) */
GST_START_TEST (test_tcp_stalled_client_bounded)
{
  const gchar *configs[] = {
    "tcpserversink host=127.0.0.1 port=0 unit-format=buffers units-max=30",
    "tcpserversink host=127.0.0.1 port=0 unit-format=buffers "
        "units-soft-max=30 recover-policy=latest",
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (configs); c++) {
    Sender s;
    GSocket *client;
    gint n_removed = 0;
    guint queued, max_queued = 0, i;
    guint64 buffers = 0;

    sender_start (&s, 600, 640, 480, configs[c]);
    g_signal_connect (s.sink, "client-removed",
        G_CALLBACK (on_client_removed), &n_removed);
    client = stalled_client (s.port);

    /* until the sender made 150 frames (5 s) */
    for (i = 0; i < 4000 && buffers < 150; i++) {
      GstStructure *stats;
      GstElement *pay = gst_bin_get_by_name (GST_BIN (s.pipeline), "pay");

      g_object_get (s.sink, "buffers-queued", &queued, NULL);
      max_queued = MAX (max_queued, queued);
      if (pay) {
        g_object_get (pay, "stats", &stats, NULL);
        gst_structure_get_uint64 (stats, "buffers", &buffers);
        gst_structure_free (stats);
        gst_object_unref (pay);
      }
      g_usleep (5000);
    }
    GST_INFO ("%s: at most %u frames queued, client removed %d times",
        configs[c], max_queued, g_atomic_int_get (&n_removed));
    fail_unless (buffers >= 150);
    /* the frames the limit allows, the one being added and the stream
     * header */
    fail_unless (max_queued <= 33, "%u frames queued", max_queued);
    /* units-max drops the client, recover-policy keeps it */
    fail_unless_equals_int (g_atomic_int_get (&n_removed), c == 0 ? 1 : 0);

    g_object_unref (client);
    sender_stop (&s);
  }
}

GST_END_TEST;

/* A receiver in a process of its own, so that it can be stopped as a
 * whole: its pipeline and the transport's own threads (libsrt's). */
static gint
receiver_process_main (void)
{
  GstElement *pipeline;
  GError *err = NULL;
  GstBus *bus;
  GstMessage *msg;

  gst_init (NULL, NULL);
  pipeline = gst_parse_launch (g_getenv (RECEIVER_ENV), &err);
  if (pipeline == NULL) {
    g_printerr ("receiver: %s\n", err ? err->message : "no pipeline");
    return 3;
  }
  g_clear_error (&err);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  return 0;
}

static void
receiver_process_setup (gpointer user_data)
{
  /* never outlives a test that failed half-way */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GPid
receiver_process_start (const gchar * desc)
{
  gchar *argv[2] = { NULL, NULL };
  GError *err = NULL;
  gchar **envp;
  GPid pid;

  argv[0] = g_file_read_link ("/proc/self/exe", &err);
  fail_unless (argv[0] != NULL, "%s", err ? err->message : "");
  envp = g_environ_setenv (g_get_environ (), RECEIVER_ENV, desc, TRUE);
  fail_unless (g_spawn_async (NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
          receiver_process_setup, NULL, &pid, &err),
      "could not start a receiver: %s", err ? err->message : "");
  g_strfreev (envp);
  g_free (argv[0]);

  return pid;
}

static void
receiver_process_kill (GPid pid)
{
  gint status;

  kill (pid, SIGKILL);
  fail_unless (waitpid (pid, &status, 0) == pid);
  g_spawn_close_pid (pid);
}

static guint64
read_vm_rss_kb (void)
{
  gchar *status = NULL, *line;
  guint64 kb = 0;

  fail_unless (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  fail_unless (line != NULL);
  kb = g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
  g_free (status);

  return kb;
}

static guint64
sender_n_frames (Sender * s)
{
  GstElement *pay = gst_bin_get_by_name (GST_BIN (s->pipeline), "pay");
  GstStructure *stats;
  guint64 buffers = 0;

  g_object_get (pay, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "buffers", &buffers);
  gst_structure_free (stats);
  gst_object_unref (pay);

  return buffers;
}

/* srtsink's caller-added and caller-removed */
static void
on_caller_counted (GstElement * sink, gint sock, GSocketAddress * addr,
    gint * n)
{
  g_atomic_int_inc (n);
}

/* What bounds the sender's memory for an SRT receiver that stopped (the
 * whole process, SIGSTOP): srtsink writes each frame into libsrt's send
 * buffer without waiting (its sockets are non-blocking) and lets go of the
 * buffer, so nothing queues in GStreamer; the send buffer is bounded by
 * the URI's sndbuf (libsrt's default: 8192 packets, about 12 MB), and once
 * it is full, srtsink drops the receiver. The sender goes on at its pace
 * meanwhile, and its memory grows by no more than the send buffer, where
 * 5 s of these frames are 69 MB. */
GST_START_TEST (test_srt_stalled_receiver_bounded)
{
  /* the send buffer asked for, 0 for libsrt's default; KiB */
  const guint sndbufs[] = { 2048, 0 };
  guint c;

  if (!gst_registry_check_feature_version (gst_registry_get (), "srtsink", 1,
          0, 0)) {
    GST_INFO ("no srtsink, skipping");
    return;
  }

  for (c = 0; c < G_N_ELEMENTS (sndbufs); c++) {
    guint64 bound_kb = sndbufs[c] ? sndbufs[c] : 8192 * 1500 / 1024;
    guint64 rss_before, rss, rss_max = 0, frames_before, frames;
    gint n_added = 0, n_removed = 0, port = free_udp_port ();
    gchar *sink, *src, *opt;
    gint64 end;
    GPid pid;
    Sender s;

    opt = sndbufs[c] ? g_strdup_printf ("&sndbuf=%u", sndbufs[c] * 1024) :
        g_strdup ("");
    sink = g_strdup_printf ("srtsink uri=\"srt://127.0.0.1:%d?mode=listener"
        "%s\" wait-for-connection=false", port, opt);
    src = g_strdup_printf ("srtsrc uri=srt://127.0.0.1:%d?mode=caller ! "
        "fddepay ! fakesink", port);
    sender_start (&s, 600, 640, 480, sink);
    g_signal_connect (s.sink, "caller-added", G_CALLBACK (on_caller_counted),
        &n_added);
    g_signal_connect (s.sink, "caller-removed",
        G_CALLBACK (on_caller_counted), &n_removed);
    pid = receiver_process_start (src);

    /* connected, and a second of frames went through */
    end = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
    while (g_atomic_int_get (&n_added) == 0 && g_get_monotonic_time () < end)
      g_usleep (10000);
    fail_unless_equals_int (g_atomic_int_get (&n_added), 1);
    g_usleep (G_USEC_PER_SEC);
    fail_unless_equals_int (g_atomic_int_get (&n_removed), 0);

    rss_before = read_vm_rss_kb ();
    frames_before = sender_n_frames (&s);
    fail_unless (kill (pid, SIGSTOP) == 0);
    /* 5 s, 150 frames of 450 KiB */
    end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
    while (g_get_monotonic_time () < end) {
      rss = read_vm_rss_kb ();
      rss_max = MAX (rss_max, rss);
      g_usleep (50000);
    }
    frames = sender_n_frames (&s) - frames_before;
    GST_INFO ("sndbuf %u KiB: %" G_GUINT64_FORMAT " frames sent while the "
        "receiver was stopped, RSS %" G_GUINT64_FORMAT " KiB before, at most %"
        G_GUINT64_FORMAT " KiB, receiver removed %d times", sndbufs[c],
        frames, rss_before, rss_max, g_atomic_int_get (&n_removed));

    /* the sender kept its pace (give or take a loaded machine) */
    fail_unless (frames >= 120, "%" G_GUINT64_FORMAT " frames", frames);
    /* the send buffer, and some slack for the rest of the process; not
     * under ASan, whose quarantine keeps what was freed resident */
#ifndef __SANITIZE_ADDRESS__
    fail_unless (rss_max <= rss_before + bound_kb + 4096, "RSS %"
        G_GUINT64_FORMAT " KiB, was %" G_GUINT64_FORMAT, rss_max, rss_before);
#endif
    /* it filled, and the receiver was dropped */
    fail_unless_equals_int (g_atomic_int_get (&n_removed), 1);

    receiver_process_kill (pid);
    sender_stop (&s);
    g_free (opt);
    g_free (sink);
    g_free (src);
  }
}

GST_END_TEST;

static Suite *
network_suite (void)
{
  Suite *s = suite_create ("network");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tcp_frames);
  tcase_add_test (tc, test_tcp_reconnect);
  tcase_add_test (tc, test_tcp_caps_change);
  tcase_add_test (tc, test_srt_frames);
  tcase_add_test (tc, test_relay);
  tcase_add_test (tc, test_tcp_stalled_client_bounded);
  tcase_add_test (tc, test_srt_stalled_receiver_bounded);

  return s;
}

/* Like GST_CHECK_MAIN, but the same program is also a receiver process. */
int
main (int argc, char **argv)
{
  if (g_getenv (RECEIVER_ENV) != NULL)
    return receiver_process_main ();

  gst_check_init (&argc, &argv);

  return gst_check_run_suite (network_suite (), "network", __FILE__);
}
