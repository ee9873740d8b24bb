/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * socketpair.c: fdpay ! multisocketsink and socketsrc ! fddepay in one
 * process, connected by a Unix socketpair
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
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/allocators/allocators.h>
#include <gst/base/gstbytewriter.h>
#include <gst/net/net.h>
#include <gst/video/video.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>
#include <gio/gunixfdmessage.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "../fdpass-check.h"

/* a message type no version of the protocol uses; receivers skip it */
#define UNKNOWN_MESSAGE_TYPE 0x7ff0

/* multisocketsink maps at most this many memories per sendmsg() */
#define MULTISOCKETSINK_MAX_VECTORS 8

#define WAIT_TIMEOUT (60 * GST_SECOND)

static guint64
read_vm_rss_kb (void)
{
  gchar *status = NULL, *line;
  guint64 kb = 0;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;

  line = strstr (status, "VmRSS:");
  if (line)
    kb = g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
  g_free (status);

  return kb;
}

static guint64
get_stat (GstElement * element, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 val = G_MAXUINT64;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &val), "no %s in %"
      GST_PTR_FORMAT, field, s);
  gst_structure_free (s);

  return val;
}

/* What each side saw of one frame */
typedef struct
{
  GstClockTime pts;
  guint32 crc;
  gsize size;
  gboolean has_video_meta;

  /* sender: the file of the input memory, when it is fd memory;
   * receiver: the file of the output memory */
  gboolean is_fd;
  gboolean readonly;
  /* receiver: whether the file is a memfd, and what the receiver could do
   * to it that it should not (NULL: nothing) */
  gboolean is_memfd;
  const gchar *write_problem;
  guint n_memory;
  guint64 dev;
  guint64 ino;

  /* sender: the file the buffer message passes, from the fd attached to
   * the message */
  guint64 msg_dev;
  guint64 msg_ino;
} Frame;

typedef struct
{
  GMutex lock;
  GCond cond;

  /* configuration */
  guint window;                 /* frames sent but not received, 0: any */
  guint n_slow;                 /* first frames the receiver is slow on */
  gsize padding;                /* unknown message bytes after each buffer
                                 * message */
  guint split;                  /* memories to split buffer messages in */
  guint blocksize;              /* of socketsrc, 0: its default */

  /* sender */
  GArray *sent;                 /* Frame */
  guint n_messages;
  guint n_message_errors;
  GstCaps *sent_caps;
  GHashTable *crc_by_ino;       /* ino -> crc, for the cycles */

  /* receiver */
  GArray *received;             /* Frame */
  GstCaps *received_caps;

  /* multisocketsink */
  guint n_removed;
  gboolean stopping;
} Transfer;

static void
transfer_init (Transfer * t)
{
  memset (t, 0, sizeof (Transfer));
  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->sent = g_array_new (FALSE, TRUE, sizeof (Frame));
  t->received = g_array_new (FALSE, TRUE, sizeof (Frame));
  t->crc_by_ino = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      NULL);
}

static void
transfer_clear (Transfer * t)
{
  g_array_unref (t->sent);
  g_array_unref (t->received);
  g_hash_table_unref (t->crc_by_ino);
  gst_clear_caps (&t->sent_caps);
  gst_clear_caps (&t->received_caps);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
}

/* sender side: fdpay's input */
static GstPadProbeReturn
pay_sink_probe (GstPad * pad, GstPadProbeInfo * info, Transfer * t)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMemory *mem;
  Frame f = { 0, };

  f.pts = GST_BUFFER_PTS (buf);
  f.crc = fdpass_check_crc32_buffer (buf);
  f.size = gst_buffer_get_size (buf);
  f.has_video_meta = gst_buffer_get_video_meta (buf) != NULL;
  f.n_memory = gst_buffer_n_memory (buf);
  mem = gst_buffer_peek_memory (buf, 0);
  f.is_fd = gst_is_fd_memory (mem);
  if (f.is_fd)
    fdpass_check_stat_fd (gst_fd_memory_get_fd (mem), &f.dev, &f.ino);

  g_mutex_lock (&t->lock);
  if (t->sent_caps == NULL)
    t->sent_caps = gst_pad_get_current_caps (pad);

  /* keep the number of frames in flight bounded */
  if (t->window > 0) {
    gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (!t->stopping && t->sent->len - t->received->len >= t->window) {
      if (!g_cond_wait_until (&t->cond, &t->lock, end))
        break;
    }
  }
  g_array_append_val (t->sent, f);
  g_mutex_unlock (&t->lock);

  return GST_PAD_PROBE_OK;
}

/* An fdpass message of a type nobody knows, @size bytes in all */
static GstMemory *
make_unknown_message (gsize size)
{
  GstByteWriter bw;
  GstBuffer *buf;
  GstMemory *mem;

  g_assert (size >= GST_FDPASS_HEADER_SIZE);

  gst_byte_writer_init_with_size (&bw, size, TRUE);
  gst_byte_writer_put_uint32_le (&bw, GST_FDPASS_MAGIC);
  gst_byte_writer_put_uint16_le (&bw, UNKNOWN_MESSAGE_TYPE);
  gst_byte_writer_put_uint16_le (&bw, 0);
  gst_byte_writer_put_uint32_le (&bw, 0);
  gst_byte_writer_put_uint32_le (&bw, size - GST_FDPASS_HEADER_SIZE);
  gst_byte_writer_fill (&bw, 0xa5, size - GST_FDPASS_HEADER_SIZE);

  buf = gst_byte_writer_reset_and_get_buffer (&bw);
  mem = gst_buffer_get_all_memory (buf);
  gst_buffer_unref (buf);

  return mem;
}

/* The same bytes and metas as @msg in @n memories */
static GstBuffer *
split_message (GstBuffer * msg, guint n)
{
  GstBuffer *out = gst_buffer_new ();
  GstMapInfo map;
  gsize chunk, pos;

  gst_buffer_copy_into (out, msg, GST_BUFFER_COPY_METADATA, 0, -1);

  gst_buffer_map (msg, &map, GST_MAP_READ);
  chunk = (map.size + n - 1) / n;
  for (pos = 0; pos < map.size; pos += chunk) {
    gsize len = MIN (chunk, map.size - pos);

    gpointer data = g_memdup2 (map.data + pos, len);

    gst_buffer_append_memory (out,
        gst_memory_new_wrapped (0, data, len, 0, len, data, g_free));
  }
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);

  return out;
}

/* sender side: fdpay's output. Records the file each buffer message passes
 * and optionally makes the message harder to send. */
static GstPadProbeReturn
pay_src_probe (GstPad * pad, GstPadProbeInfo * info, Transfer * t)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstFdPassBufferInfo binfo;
  gboolean ok;
  gint ret;
  guint64 dev = 0, ino = 0;

  ret = fdpass_check_parse_frame_message (buf, &binfo, &dev, &ino);
  if (ret < 0)
    return GST_PAD_PROBE_OK;
  ok = ret > 0;

  g_mutex_lock (&t->lock);
  if (ok && t->n_messages < t->sent->len) {
    Frame *f = &g_array_index (t->sent, Frame, t->n_messages);

    if (f->pts != binfo.pts)
      t->n_message_errors++;
    f->msg_dev = dev;
    f->msg_ino = ino;
    g_hash_table_insert (t->crc_by_ino, g_memdup2 (&ino, sizeof (ino)),
        GUINT_TO_POINTER (f->crc));
  } else {
    t->n_message_errors++;
  }
  t->n_messages++;
  g_mutex_unlock (&t->lock);

  if (t->padding > 0) {
    buf = gst_buffer_make_writable (buf);
    gst_buffer_append_memory (buf, make_unknown_message (t->padding));
  }
  if (t->split > 1)
    buf = split_message (buf, t->split);
  GST_PAD_PROBE_INFO_DATA (info) = buf;

  return GST_PAD_PROBE_OK;
}

static void
client_socket_removed (GstElement * sink, GSocket * socket, Transfer * t)
{
  g_mutex_lock (&t->lock);
  t->n_removed++;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
}


/* receiver side */
static GstFlowReturn
new_sample (GstAppSink * appsink, gpointer user_data)
{
  Transfer *t = user_data;
  GstSample *sample;
  GstBuffer *buf;
  GstMemory *mem;
  Frame f = { 0, };
  gboolean slow;

  sample = gst_app_sink_pull_sample (appsink);
  if (sample == NULL)
    return GST_FLOW_FLUSHING;

  buf = gst_sample_get_buffer (sample);
  f.pts = GST_BUFFER_PTS (buf);
  f.crc = fdpass_check_crc32_buffer (buf);
  f.size = gst_buffer_get_size (buf);
  f.has_video_meta = gst_buffer_get_video_meta (buf) != NULL;
  f.n_memory = gst_buffer_n_memory (buf);
  mem = gst_buffer_peek_memory (buf, 0);
  f.is_fd = gst_is_fd_memory (mem);
  f.readonly = GST_MEMORY_IS_READONLY (mem);
  if (f.is_fd) {
    gint fd = gst_fd_memory_get_fd (mem);

    fdpass_check_stat_fd (fd, &f.dev, &f.ino);
    f.is_memfd = fdpass_check_fd_is_memfd (fd);
    f.write_problem = fdpass_check_receiver_write_problem (fd);
  }

  g_mutex_lock (&t->lock);
  if (t->received_caps == NULL)
    t->received_caps = gst_caps_ref (gst_sample_get_caps (sample));
  slow = t->received->len < t->n_slow;
  g_mutex_unlock (&t->lock);

  /* while the sender goes on filling the socket */
  if (slow)
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);

  g_mutex_lock (&t->lock);
  g_array_append_val (t->received, f);
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);

  gst_sample_unref (sample);

  return GST_FLOW_OK;
}

static GstElement *
make_receiver (GSocket * socket, guint blocksize, Transfer * t)
{
  GstAppSinkCallbacks callbacks = { NULL, };
  GstElement *pipeline, *src, *sink;
  GError *err = NULL;

  /* no caps on socketsrc: fddepay finds its way without them */
  pipeline = gst_parse_launch ("socketsrc name=src ! fddepay name=depay ! "
      "appsink name=sink sync=false", &err);
  fail_unless (pipeline != NULL && err == NULL, "%s", err ? err->message : "");

  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "socket", socket, NULL);
  if (blocksize > 0)
    g_object_set (src, "blocksize", blocksize, NULL);
  gst_object_unref (src);

  if (t) {
    sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
    callbacks.new_sample = new_sample;
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, t, NULL);
    gst_object_unref (sink);
  }

  return pipeline;
}

static GstElement *
make_sender (const gchar * src_desc, gint width, gint height, gint fps,
    Transfer * t)
{
  GstElement *pipeline, *pay, *sink;
  GError *err = NULL;
  GstPad *pad;
  gchar *desc;

  desc = g_strdup_printf ("%s ! video/x-raw,format=I420,width=%d,height=%d,"
      "framerate=%d/1 ! fdpay name=pay ! multisocketsink name=sink sync=false",
      src_desc, width, height, fps);
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (pipeline != NULL && err == NULL, "%s", err ? err->message : "");

  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  pad = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) pay_sink_probe, t, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (pay, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) pay_src_probe, t, NULL);
  gst_object_unref (pad);
  gst_object_unref (pay);

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "client-socket-removed",
      G_CALLBACK (client_socket_removed), t);
  gst_object_unref (sink);

  return pipeline;
}

static void
make_socketpair (gint type, gint sndbuf, GSocket ** sender, GSocket ** receiver)
{
  GError *err = NULL;
  gint sv[2];

  fail_unless_equals_int (socketpair (AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
  if (sndbuf > 0)
    fail_unless_equals_int (setsockopt (sv[0], SOL_SOCKET, SO_SNDBUF,
            &sndbuf, sizeof (sndbuf)), 0);

  *sender = g_socket_new_from_fd (sv[0], &err);
  fail_unless (*sender != NULL, "%s", err ? err->message : "");
  *receiver = g_socket_new_from_fd (sv[1], &err);
  fail_unless (*receiver != NULL, "%s", err ? err->message : "");
}

static void
close_socket (GSocket * socket)
{
  g_socket_close (socket, NULL);
  g_object_unref (socket);
}

static void
assert_no_error (GstElement * pipeline)
{
  gchar *err = fdpass_check_pop_bus_error (pipeline);

  fail_if (err != NULL, "%s", err);
}

static void
wait_for_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS from %s", GST_ELEMENT_NAME (pipeline));
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg), err->message,
        GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
}

typedef struct
{
  guint64 pay_buffers;
  guint64 pay_copies;
  guint64 pay_zero_copy;
  guint64 depay_buffers;
  guint64 depay_dropped_fds;
} Stats;

/* Sends @n_frames frames of @width x @height from one pipeline to the other
 * over a socketpair of @type and waits for all of them. */
static void
run_transfer (Transfer * t, gint type, guint n_frames, gint width,
    gint height, gint sndbuf, Stats * stats)
{
  GstElement *sender, *receiver, *sink, *pay, *depay, *src;
  GSocket *ssock, *rsock;
  GstPad *pad;
  GstCaps *caps;
  gchar *src_desc;

  make_socketpair (type, sndbuf, &ssock, &rsock);

  receiver = make_receiver (rsock, t->blocksize, t);
  src_desc = g_strdup_printf ("videotestsrc pattern=ball num-buffers=%u",
      n_frames);
  sender = make_sender (src_desc, width, height, 30, t);
  g_free (src_desc);

  fail_unless (gst_element_set_state (receiver, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* multisocketsink is started in PAUSED and renders nothing before
   * PLAYING: the client sees every frame */
  fail_unless (gst_element_set_state (sender, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  sink = gst_bin_get_by_name (GST_BIN (sender), "sink");
  g_signal_emit_by_name (sink, "add", ssock);
  fail_unless (gst_element_set_state (sender, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  /* fddepay forwards the EOS message of fdpay */
  wait_for_eos (receiver);
  assert_no_error (sender);

  pay = gst_bin_get_by_name (GST_BIN (sender), "pay");
  depay = gst_bin_get_by_name (GST_BIN (receiver), "depay");
  src = gst_bin_get_by_name (GST_BIN (receiver), "src");

  /* socketsrc had no caps to announce */
  pad = gst_element_get_static_pad (src, "src");
  caps = gst_pad_get_current_caps (pad);
  fail_unless (caps == NULL, "socketsrc has caps %" GST_PTR_FORMAT, caps);
  gst_object_unref (pad);

  g_mutex_lock (&t->lock);
  t->stopping = TRUE;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);

  fail_unless_equals_int (gst_element_set_state (sender, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (receiver, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  stats->pay_buffers = get_stat (pay, "buffers");
  stats->pay_copies = get_stat (pay, "copies");
  stats->pay_zero_copy = get_stat (pay, "zero-copy-buffers");
  stats->depay_buffers = get_stat (depay, "buffers");
  stats->depay_dropped_fds = get_stat (depay, "dropped-fds");
  GST_INFO ("fdpay: %" G_GUINT64_FORMAT " buffers, %" G_GUINT64_FORMAT
      " copies, %" G_GUINT64_FORMAT " zero copy; fddepay: %" G_GUINT64_FORMAT
      " buffers, %" G_GUINT64_FORMAT " dropped fds", stats->pay_buffers,
      stats->pay_copies, stats->pay_zero_copy, stats->depay_buffers,
      stats->depay_dropped_fds);

  gst_object_unref (src);
  gst_object_unref (depay);
  gst_object_unref (pay);
  gst_object_unref (sink);
  gst_object_unref (sender);
  gst_object_unref (receiver);
  close_socket (ssock);
  close_socket (rsock);
}

/* Everything the receiver got is what the sender sent, read from the very
 * files the sender wrote. */
static void
check_transfer (Transfer * t, guint n_frames, const Stats * stats)
{
  guint i, n_distinct = 0;
  GHashTable *crcs;

  fail_unless_equals_int (t->n_message_errors, 0);
  fail_unless_equals_int (t->sent->len, n_frames);
  fail_unless_equals_int (t->n_messages, n_frames);
  fail_unless_equals_int (t->received->len, n_frames);

  fail_unless (t->sent_caps != NULL);
  fail_unless (t->received_caps != NULL);
  fail_unless (gst_caps_is_equal (t->sent_caps, t->received_caps),
      "sent %" GST_PTR_FORMAT ", received %" GST_PTR_FORMAT, t->sent_caps,
      t->received_caps);

  crcs = g_hash_table_new (NULL, NULL);
  for (i = 0; i < n_frames; i++) {
    Frame *s = &g_array_index (t->sent, Frame, i);
    Frame *r = &g_array_index (t->received, Frame, i);

    fail_unless_equals_uint64 (r->pts, s->pts);
    fail_unless (GST_CLOCK_TIME_IS_VALID (r->pts));
    if (i > 0)
      fail_unless (r->pts > g_array_index (t->received, Frame, i - 1).pts);
    fail_unless_equals_uint64 (r->size, s->size);
    fail_unless (r->crc == s->crc, "frame %u: crc %08x, sent %08x", i,
        r->crc, s->crc);
    fail_unless_equals_int (r->has_video_meta, s->has_video_meta);

    /* the receiver maps the sender's memfd, read-only, and could not
     * write it if it wanted to: what it reads (the crc above) is what the
     * sender wrote */
    fail_unless (r->is_fd, "frame %u is not fd memory", i);
    fail_unless (r->readonly, "frame %u is writable", i);
    fail_unless (r->is_memfd, "frame %u is not in a memfd", i);
    fail_unless (r->write_problem == NULL, "frame %u: %s", i, r->write_problem);
    fail_unless_equals_int (r->n_memory, 1);
    fail_unless (s->msg_ino != 0);
    fail_unless_equals_uint64 (r->dev, s->msg_dev);
    fail_unless_equals_uint64 (r->ino, s->msg_ino);
    /* and each frame has a file of its own */
    if (i > 0)
      fail_unless (s->msg_ino != g_array_index (t->sent, Frame, i - 1).msg_ino);

    /* zero copy: the passed file is the one the source wrote into */
    if (stats->pay_zero_copy == n_frames) {
      fail_unless (s->is_fd);
      fail_unless_equals_uint64 (s->ino, s->msg_ino);
      fail_unless_equals_uint64 (s->dev, s->msg_dev);
    }

    g_hash_table_add (crcs, GUINT_TO_POINTER (r->crc));
  }
  n_distinct = g_hash_table_size (crcs);
  g_hash_table_unref (crcs);

  /* the content moves, so a shuffled or repeated frame would show */
  fail_unless (n_distinct > n_frames / 2, "only %u different frames",
      n_distinct);

  fail_unless_equals_uint64 (stats->pay_buffers, n_frames);
  fail_unless_equals_uint64 (stats->depay_buffers, n_frames);
  fail_unless_equals_uint64 (stats->pay_copies + stats->pay_zero_copy,
      n_frames);
}

static void
check_stream (gint type)
{
  Transfer t;
  Stats stats;
  guint fds_before;

  fds_before = fdpass_check_count_open_fds ();

  transfer_init (&t);
  t.window = 16;
  run_transfer (&t, type, 60, 320, 240, 0, &stats);
  check_transfer (&t, 60, &stats);

  /* videotestsrc draws into the memfds of the pool fdpay proposes */
  fail_unless_equals_uint64 (stats.pay_zero_copy, 60);
  fail_unless_equals_uint64 (stats.pay_copies, 0);
  /* every message went out in one piece: no fd arrived twice */
  fail_unless_equals_uint64 (stats.depay_dropped_fds, 0);
  transfer_clear (&t);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_START_TEST (test_stream)
{
  check_stream (SOCK_STREAM);
}

GST_END_TEST;

GST_START_TEST (test_seqpacket)
{
  check_stream (SOCK_SEQPACKET);
}

GST_END_TEST;

/* A socket send buffer smaller than one message: the kernel takes a part of
 * each message, and multisocketsink sends the rest with the fds once more.
 * fddepay must close the copies and still get every frame right. The
 * messages are made large by an unknown message after each buffer message,
 * which receivers skip. */
GST_START_TEST (test_partial_writes_stream)
{
  Transfer t;
  Stats stats;
  guint fds_before;

  fds_before = fdpass_check_count_open_fds ();

  transfer_init (&t);
  t.window = 16;
  t.n_slow = 10;
  t.padding = 16 * 1024;
  /* the kernel doubles it and raises it to its minimum, about 4.5 kB */
  run_transfer (&t, SOCK_STREAM, 60, 320, 240, 1024, &stats);
  check_transfer (&t, 60, &stats);

  GST_INFO ("%" G_GUINT64_FORMAT " duplicate fds dropped",
      stats.depay_dropped_fds);
  fail_unless (stats.depay_dropped_fds > 0,
      "no partial write happened, the test proves nothing");
  transfer_clear (&t);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_END_TEST;

/* A seqpacket socket delivers each message as one record, and a read
 * shorter than the record loses the rest of it. socketsrc reads 4096 bytes
 * at a time by default, less than the largest message fdpay may send (caps
 * can take up to GST_FDPASS_MAX_PAYLOAD bytes): with its blocksize raised to
 * the largest message, messages of 16 kB go through. */
GST_START_TEST (test_large_messages_seqpacket)
{
  Transfer t;
  Stats stats;
  guint fds_before;

  fds_before = fdpass_check_count_open_fds ();

  transfer_init (&t);
  t.window = 16;
  t.padding = 16 * 1024;
  t.blocksize = GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD;
  run_transfer (&t, SOCK_SEQPACKET, 60, 320, 240, 0, &stats);
  check_transfer (&t, 60, &stats);

  /* records are never cut, so no fd is sent twice */
  fail_unless_equals_uint64 (stats.depay_dropped_fds, 0);
  transfer_clear (&t);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_END_TEST;

/* multisocketsink sends at most 8 memories per sendmsg() and attaches the
 * fds to each, so a message in 12 memories carries its fd twice. */
static void
check_split_message (gint type)
{
  Transfer t;
  Stats stats;
  guint fds_before;

  fds_before = fdpass_check_count_open_fds ();

  transfer_init (&t);
  t.window = 16;
  t.split = 12;
  run_transfer (&t, type, 60, 160, 120, 0, &stats);
  check_transfer (&t, 60, &stats);

  GST_INFO ("%" G_GUINT64_FORMAT " duplicate fds dropped",
      stats.depay_dropped_fds);
  if (type == SOCK_SEQPACKET) {
    /* one extra copy of the fd of each frame, each one closed */
    fail_unless_equals_uint64 (stats.depay_dropped_fds, 60);
  } else {
    fail_unless (stats.depay_dropped_fds >= 60);
  }
  transfer_clear (&t);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_START_TEST (test_split_message_stream)
{
  G_STATIC_ASSERT (12 > MULTISOCKETSINK_MAX_VECTORS);
  check_split_message (SOCK_STREAM);
}

GST_END_TEST;

GST_START_TEST (test_split_message_seqpacket)
{
  check_split_message (SOCK_SEQPACKET);
}

GST_END_TEST;

GST_START_TEST (test_fd_leak_frames)
{
  Transfer t;
  Stats stats;
  guint fds_before, fds_after;
  guint64 rss_before, rss_after;

  /* first use sets up process-wide state */
  transfer_init (&t);
  run_transfer (&t, SOCK_STREAM, 5, 160, 120, 0, &stats);
  transfer_clear (&t);

  fds_before = fdpass_check_count_open_fds ();
  rss_before = read_vm_rss_kb ();

  transfer_init (&t);
  t.window = 32;
  run_transfer (&t, SOCK_STREAM, 1000, 160, 120, 0, &stats);
  check_transfer (&t, 1000, &stats);
  transfer_clear (&t);

  fds_after = fdpass_check_count_open_fds ();
  rss_after = read_vm_rss_kb ();
  GST_INFO ("fds %u -> %u, VmRSS %" G_GUINT64_FORMAT " kB -> %"
      G_GUINT64_FORMAT " kB", fds_before, fds_after, rss_before, rss_after);

  fail_unless_equals_int (fds_after, fds_before);
  /* 1000 frames are 28 MB: holding on to them all would show */
  if (rss_before > 0 && rss_after > 0)
    fail_unless (rss_after < rss_before + 24 * 1024,
        "VmRSS grew from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " kB",
        rss_before, rss_after);
}

GST_END_TEST;

/* One client: a new socketpair, added to the running multisocketsink, a few
 * frames through a new receiver, then removed and everything closed. */
static void
run_cycle (Transfer * t, GstElement * sink, guint cycle)
{
  GstElement *receiver, *appsink;
  GSocket *ssock, *rsock;
  guint n_removed, i;
  gint64 end;

  make_socketpair (SOCK_STREAM, 0, &ssock, &rsock);
  receiver = make_receiver (rsock, 0, NULL);
  appsink = gst_bin_get_by_name (GST_BIN (receiver), "sink");
  g_object_set (appsink, "max-buffers", 4, "drop", TRUE, NULL);

  fail_unless (gst_element_set_state (receiver, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  g_mutex_lock (&t->lock);
  n_removed = t->n_removed;
  g_mutex_unlock (&t->lock);

  g_signal_emit_by_name (sink, "add", ssock);

  for (i = 0; i < 3; i++) {
    GstSample *sample;
    GstBuffer *buf;
    GstMemory *mem;
    guint64 dev, ino;
    gpointer crc;

    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (appsink),
        WAIT_TIMEOUT);
    fail_unless (sample != NULL, "cycle %u: no frame %u", cycle, i);
    buf = gst_sample_get_buffer (sample);
    mem = gst_buffer_peek_memory (buf, 0);
    fail_unless (gst_is_fd_memory (mem));
    fail_unless (fdpass_check_stat_fd (gst_fd_memory_get_fd (mem), &dev, &ino));

    g_mutex_lock (&t->lock);
    fail_unless (g_hash_table_lookup_extended (t->crc_by_ino, &ino, NULL,
            &crc), "cycle %u: inode %" G_GUINT64_FORMAT " was never sent",
        cycle, ino);
    g_mutex_unlock (&t->lock);
    fail_unless (GPOINTER_TO_UINT (crc) == fdpass_check_crc32_buffer (buf));
    gst_sample_unref (sample);
  }

  /* remove at once, or after sending what is queued for the client */
  g_signal_emit_by_name (sink, cycle % 2 ? "remove-flush" : "remove", ssock);

  end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&t->lock);
  while (t->n_removed == n_removed) {
    if (!g_cond_wait_until (&t->cond, &t->lock, end))
      break;
  }
  fail_unless_equals_int (t->n_removed, n_removed + 1);
  g_mutex_unlock (&t->lock);

  /* multisocketsink does not close the sockets it is given */
  close_socket (ssock);

  fail_unless_equals_int (gst_element_set_state (receiver, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  assert_no_error (receiver);
  gst_object_unref (appsink);
  gst_object_unref (receiver);
  close_socket (rsock);
}

static void
run_cycles (guint n_cycles)
{
  GstElement *sender, *sink, *pay;
  Transfer t;
  guint i;

  transfer_init (&t);

  sender = make_sender ("videotestsrc is-live=true pattern=ball", 64, 48,
      200, &t);
  sink = gst_bin_get_by_name (GST_BIN (sender), "sink");
  fail_unless (gst_element_set_state (sender, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  for (i = 0; i < n_cycles; i++)
    run_cycle (&t, sink, i);

  assert_no_error (sender);
  fail_unless_equals_int (g_hash_table_size (t.crc_by_ino), t.n_messages);
  fail_unless_equals_int (t.n_message_errors, 0);

  fail_unless_equals_int (gst_element_set_state (sender, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  pay = gst_bin_get_by_name (GST_BIN (sender), "pay");
  fail_unless_equals_uint64 (get_stat (pay, "copies"), 0);
  gst_object_unref (pay);

  gst_object_unref (sink);
  gst_object_unref (sender);
  transfer_clear (&t);
}

GST_START_TEST (test_fd_leak_cycles)
{
  guint fds_before, fds_after;
  guint64 rss_before, rss_after;

  run_cycles (1);

  fds_before = fdpass_check_count_open_fds ();
  rss_before = read_vm_rss_kb ();

  run_cycles (100);

  fds_after = fdpass_check_count_open_fds ();
  rss_after = read_vm_rss_kb ();
  GST_INFO ("fds %u -> %u, VmRSS %" G_GUINT64_FORMAT " kB -> %"
      G_GUINT64_FORMAT " kB", fds_before, fds_after, rss_before, rss_after);

  fail_unless_equals_int (fds_after, fds_before);
  if (rss_before > 0 && rss_after > 0)
    fail_unless (rss_after < rss_before + 24 * 1024,
        "VmRSS grew from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " kB",
        rss_before, rss_after);
}

GST_END_TEST;

/* The sender's segment crosses the socket (protocol 1.2), on the user's
 * path: fdpay ! multisocketsink, socketsrc ! fddepay. An encoder's
 * timestamps (from 1000 hours), a stream time, a rate: the receiver's
 * buffers have the sender's stream time and rate, and the sender's
 * distances in running time; a new segment upstream of the sender (a seek)
 * follows. */
static void
push_frame_in_segment (GstElement * appsrc, const GstSegment * segment,
    GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16 * 16, NULL);
  GstCaps *caps = gst_caps_from_string ("video/x-raw, format=GRAY8, "
      "width=16, height=16, framerate=25/1");
  GstSample *sample;

  gst_buffer_memset (buf, 0, pts / GST_MSECOND, 16 * 16);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  sample = gst_sample_new (buf, caps, segment, NULL);
  fail_unless_equals_int (gst_app_src_push_sample (GST_APP_SRC (appsrc),
          sample), GST_FLOW_OK);
  gst_sample_unref (sample);
  gst_buffer_unref (buf);
  gst_caps_unref (caps);
}

static GstSample *
pull_sample_checked (GstElement * appsink)
{
  GstSample *sample =
      gst_app_sink_try_pull_sample (GST_APP_SINK (appsink), WAIT_TIMEOUT);

  fail_unless (sample != NULL, "no frame arrived");
  return sample;
}

GST_START_TEST (test_sender_segment)
{
  const GstClockTime hours = 1000 * 3600 * GST_SECOND;
  GstElement *sender, *receiver, *appsrc, *appsink, *msink;
  GSocket *tx, *rx;
  GstSegment segment;
  GstSample *s1, *s2, *s3;
  const GstSegment *seg1, *seg2, *seg3;
  GstClockTime pts1, pts2, pts3;
  GError *err = NULL;

  make_socketpair (SOCK_STREAM, 0, &tx, &rx);
  sender = gst_parse_launch ("appsrc name=src format=time "
      "handle-segment-change=true ! fdpay ! multisocketsink name=sink "
      "sync=false", &err);
  fail_unless (sender != NULL, "%s", err ? err->message : "");
  appsrc = gst_bin_get_by_name (GST_BIN (sender), "src");
  msink = gst_bin_get_by_name (GST_BIN (sender), "sink");
  receiver = gst_parse_launch ("socketsrc name=src ! fddepay ! "
      "appsink name=sink sync=false", &err);
  fail_unless (receiver != NULL, "%s", err ? err->message : "");
  appsink = gst_bin_get_by_name (GST_BIN (receiver), "sink");
  {
    GstElement *src = gst_bin_get_by_name (GST_BIN (receiver), "src");

    g_object_set (src, "socket", rx, NULL);
    gst_object_unref (src);
  }

  fail_unless (gst_element_set_state (sender, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_set_state (receiver, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_signal_emit_by_name (msink, "add", tx);

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = hours;
  segment.time = 5 * GST_SECOND;
  segment.rate = 2.0;
  segment.position = hours;
  push_frame_in_segment (appsrc, &segment, hours);
  push_frame_in_segment (appsrc, &segment, hours + 400 * GST_MSECOND);

  s1 = pull_sample_checked (appsink);
  s2 = pull_sample_checked (appsink);
  seg1 = gst_sample_get_segment (s1);
  seg2 = gst_sample_get_segment (s2);
  pts1 = GST_BUFFER_PTS (gst_sample_get_buffer (s1));
  pts2 = GST_BUFFER_PTS (gst_sample_get_buffer (s2));
  fail_unless_equals_uint64 (pts1, hours);
  fail_unless_equals_float (seg1->rate, 2.0);
  fail_unless_equals_uint64 (gst_segment_to_stream_time (seg1,
          GST_FORMAT_TIME, pts1), 5 * GST_SECOND);
  fail_unless_equals_uint64 (gst_segment_to_stream_time (seg2,
          GST_FORMAT_TIME, pts2), 5 * GST_SECOND + 400 * GST_MSECOND);
  /* 400 ms of timestamps at double rate: 200 ms of running time */
  fail_unless_equals_uint64 (gst_segment_to_running_time (seg2,
          GST_FORMAT_TIME, pts2) - gst_segment_to_running_time (seg1,
          GST_FORMAT_TIME, pts1), 200 * GST_MSECOND);

  /* a seek upstream of the sender: stream time 60 s, normal rate, 1 s of
   * running time after the start */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = hours + 60 * GST_SECOND;
  segment.time = 60 * GST_SECOND;
  segment.base = GST_SECOND;
  segment.position = segment.start;
  push_frame_in_segment (appsrc, &segment, segment.start);
  s3 = pull_sample_checked (appsink);
  seg3 = gst_sample_get_segment (s3);
  pts3 = GST_BUFFER_PTS (gst_sample_get_buffer (s3));
  fail_unless_equals_float (seg3->rate, 1.0);
  fail_unless_equals_uint64 (gst_segment_to_stream_time (seg3,
          GST_FORMAT_TIME, pts3), 60 * GST_SECOND);
  fail_unless_equals_uint64 (gst_segment_to_running_time (seg3,
          GST_FORMAT_TIME, pts3) - gst_segment_to_running_time (seg1,
          GST_FORMAT_TIME, pts1), GST_SECOND);

  gst_sample_unref (s1);
  gst_sample_unref (s2);
  gst_sample_unref (s3);
  assert_no_error (sender);
  assert_no_error (receiver);
  fail_unless_equals_int (gst_element_set_state (sender, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (receiver, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (appsrc);
  gst_object_unref (msink);
  gst_object_unref (appsink);
  gst_object_unref (sender);
  gst_object_unref (receiver);
  close_socket (tx);
  close_socket (rx);
}

GST_END_TEST;

static Suite *
socketpair_suite (void)
{
  Suite *s = suite_create ("socketpair");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_test (tc_chain, test_stream);
  tcase_add_test (tc_chain, test_seqpacket);
  tcase_add_test (tc_chain, test_partial_writes_stream);
  tcase_add_test (tc_chain, test_large_messages_seqpacket);
  tcase_add_test (tc_chain, test_split_message_stream);
  tcase_add_test (tc_chain, test_split_message_seqpacket);
  tcase_add_test (tc_chain, test_fd_leak_frames);
  tcase_add_test (tc_chain, test_fd_leak_cycles);
  tcase_add_test (tc_chain, test_sender_segment);

  return s;
}

GST_CHECK_MAIN (socketpair);
