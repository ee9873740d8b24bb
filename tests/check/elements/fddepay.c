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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/fdpass/fdpass.h>
#include <gst/allocators/allocators.h>
#include <gst/net/net.h>
#include <gst/video/video.h>
#include <gio/gunixfdmessage.h>

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../fdpass-check.h"

#define VIDEO_CAPS_STR "video/x-raw, format=(string)I420, width=(int)64, " \
    "height=(int)48, framerate=(fraction)25/1"
#define FRAME_SIZE (64 * 48 * 3 / 2)
#define N_FRAMES 3
#define MAX_MESSAGES 16

/* helpers */

static guint64
get_stat (GstElement * element, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 val = G_MAXUINT64;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &val),
      "no uint64 field %s in %" GST_PTR_FORMAT, field, s);
  gst_structure_free (s);

  return val;
}

static guint8
pattern_byte (gsize i, guint seed)
{
  return (guint8) ((i * 13 + seed * 101 + (i >> 9)) & 0xff);
}

static void
fill_pattern (guint8 * data, gsize size, guint seed)
{
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = pattern_byte (i, seed);
}

static gboolean
buffer_has_pattern (GstBuffer * buf, guint seed)
{
  GstMapInfo map;
  gboolean ok = TRUE;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < map.size && ok; i++)
    ok = map.data[i] == pattern_byte (i, seed);
  gst_buffer_unmap (buf, &map);

  return ok;
}

/* A sealed memfd of @size bytes holding the pattern of @seed. */
static gint
make_memfd (gsize size, guint seed)
{
  gint fd = memfd_create ("fddepay-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  guint8 *data;

  fail_unless (fd >= 0);
  fail_unless (ftruncate (fd, size) == 0);
  if (size > 0) {
    data = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    fail_unless (data != MAP_FAILED);
    fill_pattern (data, size, seed);
    munmap (data, size);
  }
  fail_unless (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);

  return fd;
}

static void
fd_get_identity (gint fd, guint64 * dev, guint64 * ino)
{
  struct stat st;

  fail_unless (fstat (fd, &st) == 0);
  *dev = st.st_dev;
  *ino = st.st_ino;
}

/* Attaches a duplicate of each fd of @fds to @buf, as socketsrc does with
 * the SCM_RIGHTS it receives. */
static void
attach_fds (GstBuffer * buf, const gint * fds, guint n_fds)
{
  GSocketControlMessage *cmsg = g_unix_fd_message_new ();
  GError *err = NULL;
  guint i;

  for (i = 0; i < n_fds; i++)
    fail_unless (g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (cmsg),
            fds[i], &err), "%s", err ? err->message : "");
  gst_buffer_add_net_control_message_meta (buf, cmsg);
  g_object_unref (cmsg);
}

static GstBuffer *
make_hello (guint16 major)
{
  GstFdPassHello hello = { major, GST_FDPASS_VERSION_MINOR, 0 };

  return gst_fdpass_message_new_hello (&hello);
}

static GstBuffer *
make_hello_features (guint32 features)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, features, 0
  };

  return gst_fdpass_message_new_hello (&hello);
}

static GstBuffer *
make_caps (const gchar * caps_str)
{
  GstCaps *caps = gst_caps_from_string (caps_str);
  GstBuffer *msg = gst_fdpass_message_new_caps (caps);

  gst_caps_unref (caps);
  return msg;
}

/* A buffer message describing @size bytes at @offset of @fd, whose fd
 * entry has @fd_flags. */
static GstBuffer *
make_buffer_msg_flags (gint fd, guint64 offset, guint64 size,
    GstClockTime pts, guint32 fd_flags)
{
  GstFdPassBufferInfo info;

  memset (&info, 0, sizeof (info));
  info.id = pts / GST_MSECOND + 1;
  info.pts = pts;
  info.dts = GST_CLOCK_TIME_NONE;
  info.duration = 40 * GST_MSECOND;
  info.offset = GST_BUFFER_OFFSET_NONE;
  info.offset_end = GST_BUFFER_OFFSET_NONE;
  info.flags = 0;
  info.n_fds = 1;
  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &info.fds[0]));
  info.fds[0].flags = fd_flags;
  info.n_memories = 1;
  info.memories[0].fd_index = 0;
  info.memories[0].offset = offset;
  info.memories[0].size = size;

  return gst_fdpass_message_new_buffer (&info);
}

static GstBuffer *
make_buffer_msg (gint fd, guint64 offset, guint64 size, GstClockTime pts)
{
  return make_buffer_msg_flags (fd, offset, size, pts, 0);
}

/* A buffer message of @size bytes of @fd with an I420 64x48 video meta. */
static GstBuffer *
make_video_buffer_msg (gint fd, guint64 size, const guint64 * offsets,
    const gint32 * strides)
{
  GstFdPassBufferInfo info;
  GstBuffer *msg;
  GstMapInfo map;
  guint i;

  msg = make_buffer_msg (fd, 0, size, 0);
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  {
    GstFdPassHeader header;

    fail_unless (gst_fdpass_header_parse (map.data, map.size, &header, NULL));
    fail_unless (gst_fdpass_buffer_parse (&header,
            map.data + GST_FDPASS_HEADER_SIZE, header.payload_size, &info,
            NULL));
  }
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);

  info.has_video_meta = TRUE;
  info.video.format = GST_VIDEO_FORMAT_I420;
  info.video.flags = 0;
  info.video.width = 64;
  info.video.height = 48;
  info.video.n_planes = 3;
  for (i = 0; i < 3; i++) {
    info.video.offset[i] = offsets[i];
    info.video.stride[i] = strides[i];
  }

  return gst_fdpass_message_new_buffer (&info);
}

/* A stream of messages as bytes, plus where each message starts and ends
 * and which fd (or -1) goes with it. */
typedef struct
{
  GByteArray *data;
  guint n_msgs;
  gsize start[MAX_MESSAGES];
  gsize end[MAX_MESSAGES];
  gint fd[MAX_MESSAGES];
} Stream;

static Stream *
stream_new (void)
{
  Stream *s = g_new0 (Stream, 1);

  s->data = g_byte_array_new ();
  return s;
}

static void
stream_free (Stream * s)
{
  g_byte_array_unref (s->data);
  g_free (s);
}

/* Appends @msg (transfer full) and the fd that goes with it (not owned). */
static void
stream_add (Stream * s, GstBuffer * msg, gint fd)
{
  GstMapInfo map;

  fail_unless (s->n_msgs < MAX_MESSAGES);
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  s->start[s->n_msgs] = s->data->len;
  g_byte_array_append (s->data, map.data, map.size);
  s->end[s->n_msgs] = s->data->len;
  s->fd[s->n_msgs] = fd;
  s->n_msgs++;
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
}

/* hello, caps and N_FRAMES buffer messages of the memfds in @fds */
static Stream *
stream_new_valid (const gint * fds)
{
  Stream *s = stream_new ();
  guint i;

  stream_add (s, make_hello (GST_FDPASS_VERSION_MAJOR), -1);
  stream_add (s, make_caps (VIDEO_CAPS_STR), -1);
  for (i = 0; i < N_FRAMES; i++)
    stream_add (s, make_buffer_msg (fds[i], 0, FRAME_SIZE,
            i * 40 * GST_MSECOND), fds[i]);

  return s;
}

typedef struct
{
  gsize pos;
  gint fd;
} Attachment;

/* Pushes bytes [@from, @to) of @s in pieces of @piece_size bytes (0: one
 * piece), attaching each fd of @att to the piece holding byte @att[].pos.
 * Stops at the first flow return that is not OK. */
static GstFlowReturn
push_bytes (GstHarness * h, Stream * s, gsize from, gsize to,
    gsize piece_size, const Attachment * att, guint n_att)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize pos = from;

  if (piece_size == 0)
    piece_size = to - from;

  while (pos < to && ret == GST_FLOW_OK) {
    gsize len = MIN (piece_size, to - pos);
    GstBuffer *buf = gst_buffer_new_memdup (s->data->data + pos, len);
    gsize p;
    guint i;

    /* in stream order, as the kernel would deliver them */
    for (p = pos; p < pos + len; p++) {
      for (i = 0; i < n_att; i++) {
        if (att[i].pos == p)
          attach_fds (buf, &att[i].fd, 1);
      }
    }
    ret = gst_harness_push (h, buf);
    pos += len;
  }

  return ret;
}

static GstFlowReturn
push_stream (GstHarness * h, Stream * s, gsize piece_size,
    const Attachment * att, guint n_att)
{
  return push_bytes (h, s, 0, s->data->len, piece_size, att, n_att);
}

/* the fd of every message on the first byte of the message */
static guint
attach_at_start (Stream * s, Attachment * att)
{
  guint i, n = 0;

  for (i = 0; i < s->n_msgs; i++) {
    if (s->fd[i] >= 0) {
      att[n].pos = s->start[i];
      att[n].fd = s->fd[i];
      n++;
    }
  }
  return n;
}

static GstHarness *
new_depay_harness (GstBus ** bus)
{
  GstHarness *h = gst_harness_new ("fddepay");

  gst_harness_set_src_caps_str (h, "application/x-fdpass");
  if (bus) {
    *bus = gst_bus_new ();
    gst_element_set_bus (h->element, *bus);
  }
  return h;
}

static void
teardown_depay_harness (GstHarness * h, GstBus * bus)
{
  if (bus) {
    gst_element_set_bus (h->element, NULL);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
  }
  gst_harness_teardown (h);
}

static void
make_frames (gint * fds)
{
  guint i;

  for (i = 0; i < N_FRAMES; i++)
    fds[i] = make_memfd (FRAME_SIZE, i);
}

static void
close_frames (gint * fds)
{
  guint i;

  for (i = 0; i < N_FRAMES; i++)
    close (fds[i]);
}

/* pulls the N_FRAMES frames of stream_new_valid() and checks them */
static void
check_frames (GstHarness * h, const gint * fds)
{
  guint i;

  for (i = 0; i < N_FRAMES; i++) {
    GstBuffer *buf = gst_harness_pull (h);
    GstMemory *mem;
    guint64 dev, ino;
    struct stat st;

    fail_unless (buf != NULL);
    fail_unless_equals_int (gst_buffer_get_size (buf), FRAME_SIZE);
    fail_unless (buffer_has_pattern (buf, i), "frame %u has wrong data", i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * 40 * GST_MSECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), 40 * GST_MSECOND);

    mem = gst_buffer_peek_memory (buf, 0);
    fail_unless (gst_is_fd_memory (mem));
    fd_get_identity (fds[i], &dev, &ino);
    fail_unless (fstat (gst_fd_memory_get_fd (mem), &st) == 0);
    fail_unless_equals_uint64 (st.st_ino, ino);
    fail_unless_equals_uint64 (st.st_dev, dev);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
}

static void
expect_error (GstBus * bus, GQuark domain, gint code)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *dbg = NULL;

  fail_unless (msg != NULL, "no error message was posted");
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("expected error: %s (%s)", err->message, dbg);
  if (domain != 0)
    fail_unless (g_error_matches (err, domain, code), "unexpected error %s "
        "(%s)", err->message, dbg);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
}

/* tests */

/* fdpay and fddepay back to back, in two harnesses so that the messages
 * in between can be looked at. */
static void
run_roundtrip (gboolean zero_copy)
{
  GstHarness *pay = gst_harness_new ("fdpay");
  GstHarness *depay = new_depay_harness (NULL);
  GstCaps *caps = gst_caps_from_string (VIDEO_CAPS_STR);
  /* unusual strides, so that the meta cannot be guessed from the caps */
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, 128 * 48, 128 * 48 + 64 * 24 };
  gint strides[GST_VIDEO_MAX_PLANES] = { 128, 64, 64 };
  gsize size = 128 * 48 + 64 * 24 * 2;
  GstBufferFlags flags = GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_MARKER |
      GST_BUFFER_FLAG_DELTA_UNIT;
  GstBufferPool *pool = NULL;
  GstBuffer *in, *msg, *out;
  GstVideoMeta *vmeta;
  GstMemory *mem;
  GstMapInfo map;
  GstCaps *outcaps;
  GstEvent *event;
  gboolean got_segment = FALSE;
  guint64 sent_ino = 0, sent_dev = 0;
  struct stat st;
  guint i, p;

  gst_harness_set_src_caps (pay, gst_caps_ref (caps));

  if (zero_copy) {
    GstQuery *query = gst_query_new_allocation (caps, TRUE);

    fail_unless (gst_pad_peer_query (pay->srcpad, query));
    fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
    gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
    gst_query_unref (query);
    fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  }

  for (i = 0; i < 4; i++) {
    if (zero_copy) {
      in = NULL;
      fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &in,
              NULL), GST_FLOW_OK);
      vmeta = gst_buffer_get_video_meta (in);
      fail_unless (vmeta != NULL);
      for (p = 0; p < 3; p++) {
        offsets[p] = vmeta->offset[p];
        strides[p] = vmeta->stride[p];
      }
      size = gst_buffer_get_size (in);
    } else {
      in = gst_buffer_new_allocate (NULL, size, NULL);
      gst_buffer_add_video_meta_full (in, GST_VIDEO_FRAME_FLAG_NONE,
          GST_VIDEO_FORMAT_I420, 64, 48, 3, offsets, strides);
    }
    fail_unless (gst_buffer_map (in, &map, GST_MAP_WRITE));
    fill_pattern (map.data, map.size, 50 + i);
    gst_buffer_unmap (in, &map);
    GST_BUFFER_PTS (in) = (i + 1) * GST_SECOND;
    GST_BUFFER_DTS (in) = i * GST_SECOND;
    GST_BUFFER_DURATION (in) = GST_SECOND;
    GST_BUFFER_OFFSET (in) = i;
    GST_BUFFER_OFFSET_END (in) = i + 1;
    GST_BUFFER_FLAGS (in) = i == 0 ? flags : GST_BUFFER_FLAG_DELTA_UNIT;

    fail_unless_equals_int (gst_harness_push (pay, in), GST_FLOW_OK);

    /* move the messages over, remembering the file the frame went in */
    while ((msg = gst_harness_try_pull (pay))) {
      GstNetControlMessageMeta *meta = (GstNetControlMessageMeta *)
          gst_buffer_get_meta (msg, GST_NET_CONTROL_MESSAGE_META_API_TYPE);

      if (meta) {
        GUnixFDList *list =
            g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (meta->message));

        fail_unless_equals_int (g_unix_fd_list_get_length (list), 1);
        fd_get_identity (g_unix_fd_list_peek_fds (list, NULL)[0], &sent_dev,
            &sent_ino);
      }
      fail_unless_equals_int (gst_harness_push (depay, msg), GST_FLOW_OK);
    }

    out = gst_harness_pull (depay);
    fail_unless (out != NULL);
    fail_unless_equals_int (gst_buffer_get_size (out), size);
    fail_unless (buffer_has_pattern (out, 50 + i));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), (i + 1) * GST_SECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DTS (out), i * GST_SECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), GST_SECOND);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), i);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (out), i + 1);
    fail_unless_equals_int (GST_BUFFER_FLAGS (out),
        i == 0 ? flags : GST_BUFFER_FLAG_DELTA_UNIT);

    vmeta = gst_buffer_get_video_meta (out);
    fail_unless (vmeta != NULL);
    fail_unless_equals_int (vmeta->format, GST_VIDEO_FORMAT_I420);
    fail_unless_equals_int (vmeta->width, 64);
    fail_unless_equals_int (vmeta->height, 48);
    fail_unless_equals_int (vmeta->n_planes, 3);
    for (p = 0; p < 3; p++) {
      fail_unless_equals_uint64 (vmeta->offset[p], offsets[p]);
      fail_unless_equals_int (vmeta->stride[p], strides[p]);
    }

    /* the very file the sender wrote, mapped read-only */
    fail_unless_equals_int (gst_buffer_n_memory (out), 1);
    mem = gst_buffer_peek_memory (out, 0);
    fail_unless (gst_is_fd_memory (mem));
    fail_unless (fstat (gst_fd_memory_get_fd (mem), &st) == 0);
    fail_unless_equals_uint64 (st.st_ino, sent_ino);
    fail_unless_equals_uint64 (st.st_dev, sent_dev);
    fail_unless (GST_MEMORY_IS_READONLY (mem));
    fail_if (gst_memory_map (mem, &map, GST_MAP_WRITE));

    /* writing to the buffer writes to a private copy, never to the file */
    gst_memory_ref (mem);
    fail_unless (gst_buffer_map (out, &map, GST_MAP_WRITE));
    memset (map.data, 0xff, map.size);
    gst_buffer_unmap (out, &map);
    fail_unless (gst_buffer_peek_memory (out, 0) != mem);
    fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
    fail_unless (map.data[0] == pattern_byte (0, 50 + i));
    fail_unless (map.data[map.size - 1] == pattern_byte (map.size - 1, 50 + i));
    gst_memory_unmap (mem, &map);
    gst_memory_unref (mem);
    gst_buffer_unref (out);
  }

  outcaps = gst_pad_get_current_caps (depay->sinkpad);
  fail_unless (outcaps != NULL);
  fail_unless (gst_caps_is_equal (outcaps, caps), "%" GST_PTR_FORMAT, outcaps);
  gst_caps_unref (outcaps);

  while ((event = gst_harness_try_pull_event (depay))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      fail_unless_equals_int (segment->format, GST_FORMAT_TIME);
      got_segment = TRUE;
    }
    gst_event_unref (event);
  }
  fail_unless (got_segment);

  fail_unless_equals_uint64 (get_stat (pay->element, zero_copy ?
          "zero-copy-buffers" : "copies"), 4);
  fail_unless_equals_uint64 (get_stat (depay->element, "buffers"), 4);
  fail_unless_equals_uint64 (get_stat (depay->element, "dropped-fds"), 0);

  if (pool) {
    fail_unless (gst_buffer_pool_set_active (pool, FALSE));
    gst_object_unref (pool);
  }
  gst_caps_unref (caps);
  gst_harness_teardown (pay);
  gst_harness_teardown (depay);
}

GST_START_TEST (test_roundtrip_copy)
{
  guint before = fdpass_check_count_open_fds ();

  run_roundtrip (FALSE);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

GST_START_TEST (test_roundtrip_zero_copy)
{
  guint before = fdpass_check_count_open_fds ();

  run_roundtrip (TRUE);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

/* The segment goes out before the first buffer, after the caps. */
static GstPadProbeReturn
record_order (GstPad * pad, GstPadProbeInfo * info, GString * log)
{
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    g_string_append (log, "buffer ");
  else
    g_string_append_printf (log, "%s ",
        GST_EVENT_TYPE_NAME (GST_PAD_PROBE_INFO_EVENT (info)));
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_event_order)
{
  GstHarness *h = new_depay_harness (NULL);
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  GString *log = g_string_new (NULL);
  Attachment att[N_FRAMES];
  gint fds[N_FRAMES];
  GstEvent *event;
  Stream *s;

  make_frames (fds);
  s = stream_new_valid (fds);
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, (GstPadProbeCallback) record_order,
      log, NULL);

  fail_unless_equals_int (push_stream (h, s, 0, att, attach_at_start (s,
              att)), GST_FLOW_OK);
  /* stream-start went through when the harness set up its caps */
  event = gst_pad_get_sticky_event (srcpad, GST_EVENT_STREAM_START, 0);
  fail_unless (event != NULL);
  gst_event_unref (event);
  fail_unless_equals_string (log->str, "caps segment buffer buffer buffer ");
  check_frames (h, fds);

  g_string_free (log, TRUE);
  gst_object_unref (srcpad);
  stream_free (s);
  close_frames (fds);
  teardown_depay_harness (h, NULL);
}

GST_END_TEST;

typedef enum
{
  ATTACH_START,                 /* first byte of the message */
  ATTACH_EARLIER,               /* last byte of the message before */
  ATTACH_LATER,                 /* a byte in the middle of the message */
  ATTACH_LAST,                  /* the byte that completes the message */
} AttachMode;

static void
run_framing (gsize piece_size, AttachMode mode)
{
  guint before = fdpass_check_count_open_fds ();
  GstHarness *h = new_depay_harness (NULL);
  Attachment att[N_FRAMES];
  gint fds[N_FRAMES];
  guint i, n = 0;
  Stream *s;

  make_frames (fds);
  s = stream_new_valid (fds);
  for (i = 0; i < s->n_msgs; i++) {
    if (s->fd[i] < 0)
      continue;
    switch (mode) {
      case ATTACH_START:
        att[n].pos = s->start[i];
        break;
      case ATTACH_EARLIER:
        att[n].pos = s->start[i] - 1;
        break;
      case ATTACH_LATER:
        att[n].pos = (s->start[i] + s->end[i]) / 2;
        break;
      case ATTACH_LAST:
        att[n].pos = s->end[i] - 1;
        break;
    }
    att[n].fd = s->fd[i];
    n++;
  }

  fail_unless_equals_int (push_stream (h, s, piece_size, att, n), GST_FLOW_OK);
  check_frames (h, fds);
  fail_unless_equals_uint64 (get_stat (h->element, "buffers"), N_FRAMES);
  fail_unless_equals_uint64 (get_stat (h->element, "dropped-fds"), 0);

  stream_free (s);
  close_frames (fds);
  teardown_depay_harness (h, NULL);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_START_TEST (test_framing_bytewise)
{
  run_framing (1, ATTACH_START);
  run_framing (1, ATTACH_EARLIER);
  run_framing (1, ATTACH_LATER);
  run_framing (1, ATTACH_LAST);
}

GST_END_TEST;

GST_START_TEST (test_framing_odd_pieces)
{
  run_framing (7, ATTACH_START);
  run_framing (7, ATTACH_LATER);
  run_framing (100, ATTACH_EARLIER);
  run_framing (100, ATTACH_LAST);
}

GST_END_TEST;

GST_START_TEST (test_framing_merged)
{
  run_framing (0, ATTACH_START);
  run_framing (0, ATTACH_LAST);
}

GST_END_TEST;

/* multisocketsink sends the fds again with the rest of a message after a
 * partial write; a peer may also send fds nobody asked for. */
GST_START_TEST (test_duplicate_and_stray_fds)
{
  guint before = fdpass_check_count_open_fds ();
  GstHarness *h = new_depay_harness (NULL);
  Attachment att[3 * N_FRAMES + 1];
  gint fds[N_FRAMES], stray;
  guint i, n;
  Stream *s;

  make_frames (fds);
  stray = make_memfd (FRAME_SIZE, 99);
  s = stream_new_valid (fds);
  stream_add (s, gst_fdpass_message_new_eos (), -1);

  n = attach_at_start (s, att);
  fail_unless_equals_int (n, N_FRAMES);
  for (i = 0; i < s->n_msgs; i++) {
    if (s->fd[i] < 0)
      continue;
    /* the retry: same fd, later piece of the same message */
    att[n].pos = s->start[i] + 40;
    att[n].fd = s->fd[i];
    n++;
  }
  /* a stray in the middle of the second buffer message */
  att[n].pos = s->start[3] + 20;
  att[n].fd = stray;
  n++;

  fail_unless_equals_int (push_stream (h, s, 1, att, n), GST_FLOW_EOS);
  check_frames (h, fds);
  fail_unless_equals_uint64 (get_stat (h->element, "buffers"), N_FRAMES);
  fail_unless_equals_uint64 (get_stat (h->element, "dropped-fds"),
      N_FRAMES + 1);

  stream_free (s);
  close_frames (fds);
  close (stray);
  teardown_depay_harness (h, NULL);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

/* hostile input */

typedef struct
{
  guint fds_before;
  GstHarness *h;
  GstBus *bus;
} Hostile;

static void
hostile_begin (Hostile * t)
{
  t->fds_before = fdpass_check_count_open_fds ();
  t->h = new_depay_harness (&t->bus);
}

/* pushes the hello, announcing @features, and caps messages */
static void
hostile_push_headers_with (Hostile * t, guint32 features)
{
  fail_unless_equals_int (gst_harness_push (t->h,
          make_hello_features (features)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (t->h, make_caps (VIDEO_CAPS_STR)),
      GST_FLOW_OK);
}

static void
hostile_push_headers (Hostile * t)
{
  hostile_push_headers_with (t, 0);
}

static void
hostile_end (Hostile * t)
{
  fail_unless_equals_int (gst_harness_buffers_in_queue (t->h), 0);
  teardown_depay_harness (t->h, t->bus);
  fail_unless_equals_int (fdpass_check_count_open_fds (), t->fds_before);
}

static GstBuffer *
header_only (guint32 magic, guint16 type, guint16 n_fds, guint32 payload)
{
  guint8 data[GST_FDPASS_HEADER_SIZE];

  GST_WRITE_UINT32_LE (data, magic);
  GST_WRITE_UINT16_LE (data + 4, type);
  GST_WRITE_UINT16_LE (data + 6, n_fds);
  GST_WRITE_UINT32_LE (data + 8, 0);
  GST_WRITE_UINT32_LE (data + 12, payload);

  return gst_buffer_new_memdup (data, sizeof (data));
}

GST_START_TEST (test_hostile_bad_magic)
{
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  fd = make_memfd (FRAME_SIZE, 0);
  buf = header_only (0x12345678, GST_FDPASS_MESSAGE_BUFFER, 1, 100);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_payload_too_large)
{
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_memfd (FRAME_SIZE, 0);
  /* only the header: fddepay must not wait for (or allocate) the rest */
  buf = header_only (GST_FDPASS_MAGIC, GST_FDPASS_MESSAGE_BUFFER, 1,
      GST_FDPASS_MAX_PAYLOAD + 1);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  buf = header_only (GST_FDPASS_MAGIC, GST_FDPASS_MESSAGE_CAPS, 0, G_MAXUINT32);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_hello_version)
{
  Hostile t;

  hostile_begin (&t);
  fail_unless_equals_int (gst_harness_push (t.h, make_hello (2)),
      GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_buffer_before_caps)
{
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  fd = make_memfd (FRAME_SIZE, 0);

  /* without anything before */
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_NOT_NEGOTIATED);
  expect_error (t.bus, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);

  /* after a hello */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_hello (GST_FDPASS_VERSION_MAJOR)), GST_FLOW_OK);
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_NOT_NEGOTIATED);
  expect_error (t.bus, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_pipe_fd)
{
  Hostile t;
  GstBuffer *buf;
  gint p[2];

  hostile_begin (&t);
  hostile_push_headers (&t);
  fail_unless (pipe2 (p, O_CLOEXEC) == 0);
  /* the identity matches: only the file type gives it away */
  buf = make_buffer_msg (p[0], 0, FRAME_SIZE, 0);
  attach_fds (buf, &p[0], 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (p[0]);
  close (p[1]);
  hostile_end (&t);
}

GST_END_TEST;

/* kept files (protocol 1.1, FILES feature) */

static gint make_unsealed_memfd (gsize size, guint seed);

/* The @n-th buffer message, of the whole @fd, whose fd entry has @flags;
 * the fd is attached unless the file is named as kept. */
static GstBuffer *
make_kept_msg (gint fd, guint32 flags, guint64 n)
{
  GstBuffer *msg = make_buffer_msg_flags (fd, 0, FRAME_SIZE,
      n * 40 * GST_MSECOND, flags);

  if (!(flags & GST_FDPASS_FD_FLAG_KEPT))
    attach_fds (msg, &fd, 1);
  return msg;
}

static GstBuffer *
make_forget_msg (gint fd)
{
  GstFdPassFdInfo file;

  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &file));
  return gst_fdpass_message_new_forget (&file, 1);
}

static void
rewrite_pattern (gint fd, guint seed)
{
  guint8 *data = mmap (NULL, FRAME_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
      fd, 0);

  fail_unless (data != MAP_FAILED);
  fill_pattern (data, FRAME_SIZE, seed);
  munmap (data, FRAME_SIZE);
}

/* what fddepay tells a source about itself: it releases, and how many
 * files it keeps */
static guint
query_max_files (GstHarness * h)
{
  GstQuery *query = gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_new ("fdpass-receiver", "releases", G_TYPE_BOOLEAN, FALSE,
          "max-files", G_TYPE_UINT, 0, NULL));
  gboolean releases = FALSE;
  guint max_files = 0;

  fail_unless (gst_pad_peer_query (h->srcpad, query));
  fail_unless (gst_structure_get_boolean (gst_query_get_structure (query),
          "releases", &releases));
  fail_unless (releases);
  fail_unless (gst_structure_get_uint (gst_query_get_structure (query),
          "max-files", &max_files));
  gst_query_unref (query);
  return max_files;
}

GST_START_TEST (test_kept_files)
{
  Hostile t;
  GstBuffer *out;
  gint fd, fd2;
  guint64 dev, ino;
  guint base;
  struct stat st;

  hostile_begin (&t);
  /* what unixsocketsrc announces for us */
  fail_unless_equals_int (query_max_files (t.h), 32);

  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_FILES);
  base = fdpass_check_count_open_fds ();

  /* the sender passes the file once and asks us to keep it */
  fd = make_memfd (FRAME_SIZE, 1);
  fd_get_identity (fd, &dev, &ino);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEEP, 1)), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (out, 1));
  gst_buffer_unref (out);

  /* then names it without a descriptor: we map the very same file, which
   * the sender has written again */
  rewrite_pattern (fd, 2);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEPT, 2)), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (out, 2));
  fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)));
  fail_unless (fstat (gst_fd_memory_get_fd (gst_buffer_peek_memory (out, 0)),
          &st) == 0);
  fail_unless_equals_uint64 (st.st_ino, ino);
  fail_unless_equals_uint64 (st.st_dev, dev);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (get_stat (t.h->element, "kept-file-references"),
      1);
  fail_unless_equals_uint64 (get_stat (t.h->element, "mappings-created"), 1);
  fail_unless_equals_uint64 (get_stat (t.h->element, "dropped-fds"), 0);

  /* we hold the file: a message naming it works after the sender closed
   * its own descriptor (we keep the identity to name it) */
  fd2 = dup (fd);
  close (fd);
  rewrite_pattern (fd2, 3);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd2, GST_FDPASS_FD_FLAG_KEPT, 3)), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (out, 3));
  gst_buffer_unref (out);
  close (fd2);
  /* our descriptor of it: one more than before the test */
  fail_unless_equals_int (fdpass_check_count_open_fds (), base + 1);

  /* the sender forgets it: we close it, and may not be asked for it again */
  fd = make_memfd (FRAME_SIZE, 4);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_forget_msg (fd)), GST_FLOW_OK);
  fail_unless_equals_int (fdpass_check_count_open_fds (), base + 2);
  close (fd);
  {
    /* forget the first file, by its identity */
    GstFdPassFdInfo file = { 0, 0, dev, ino, 0 };

    fail_unless_equals_int (gst_harness_push (t.h,
            gst_fdpass_message_new_forget (&file, 1)), GST_FLOW_OK);
  }
  fail_unless_equals_int (fdpass_check_count_open_fds (), base);

  fd = make_memfd (FRAME_SIZE, 5);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEPT, 4)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);

  hostile_end (&t);
}

GST_END_TEST;

/* A file we do not map because it could shrink is kept as a descriptor and
 * read again each time the sender names it. */
GST_START_TEST (test_kept_unsealed_file)
{
  Hostile t;
  GstBuffer *out;
  guint base;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_FILES);
  base = fdpass_check_count_open_fds ();

  fd = make_unsealed_memfd (FRAME_SIZE, 1);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEEP, 1)), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_if (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)));
  fail_unless (buffer_has_pattern (out, 1));
  gst_buffer_unref (out);
  /* asked again to keep it: still one descriptor of it */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEEP, 2)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));
  fail_unless_equals_int (fdpass_check_count_open_fds (), base + 2);

  rewrite_pattern (fd, 2);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEPT, 3)), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (out, 2));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (get_stat (t.h->element, "unsealed-copies"), 3);
  fail_unless_equals_uint64 (get_stat (t.h->element, "mappings-created"), 0);

  /* the sender shrinks it: a clear error, not a SIGBUS */
  fail_unless (ftruncate (fd, FRAME_SIZE / 2) == 0);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEPT, 4)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  fail_unless_equals_int (gst_harness_push (t.h, make_forget_msg (fd)),
      GST_FLOW_OK);
  close (fd);
  fail_unless_equals_int (fdpass_check_count_open_fds (), base);
  hostile_end (&t);
}

GST_END_TEST;

/* A sender may not make us keep more files than we offered, nor name files
 * it never passed. */
GST_START_TEST (test_hostile_kept_files)
{
  Hostile t;
  GstBuffer *out;
  gint fds[33], fd;
  guint i, base;

  hostile_begin (&t);
  hostile_push_headers_with (&t, 0);
  base = fdpass_check_count_open_fds ();

  /* keeping files is a feature the sender must announce */
  fd = make_memfd (FRAME_SIZE, 0);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEEP, 1)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);
  fail_unless_equals_int (fdpass_check_count_open_fds (), base);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_hello_features (GST_FDPASS_FEATURE_FILES)), GST_FLOW_OK);

  /* a file it never passed */
  fd = make_memfd (FRAME_SIZE, 0);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEPT, 1)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  /* or passed without asking to keep it */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_NONE, 2)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEPT, 3)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);

  /* 32 files are fine, the 33rd is one too many */
  for (i = 0; i < G_N_ELEMENTS (fds); i++) {
    fds[i] = make_memfd (FRAME_SIZE, i);
    if (i < 32) {
      fail_unless_equals_int (gst_harness_push (t.h,
              make_kept_msg (fds[i], GST_FDPASS_FD_FLAG_KEEP, 10 + i)),
          GST_FLOW_OK);
      out = gst_harness_pull (t.h);
      fail_unless (buffer_has_pattern (out, i));
      gst_buffer_unref (out);
    } else {
      fail_unless_equals_int (gst_harness_push (t.h,
              make_kept_msg (fds[i], GST_FDPASS_FD_FLAG_KEEP, 10 + i)),
          GST_FLOW_ERROR);
      expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
    }
  }
  /* asking again to keep a file we keep is no new file */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fds[0], GST_FDPASS_FD_FLAG_KEEP, 50)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));
  fail_unless_equals_uint64 (get_stat (t.h->element, "mappings-created"), 33);
  for (i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);

  /* a sender that no longer announces files: we close them all */
  fail_unless_equals_int (fdpass_check_count_open_fds (), base + 32);
  fail_unless_equals_int (gst_harness_push (t.h, make_hello_features (0)),
      GST_FLOW_OK);
  fail_unless_equals_int (fdpass_check_count_open_fds (), base);

  hostile_end (&t);
}

GST_END_TEST;

/* A file that is not a memfd sealed against shrinking could be truncated by
 * the sender while we map it (SIGBUS): by default its contents are read
 * instead; allow-unsealed maps it. */
static gint
make_unsealed_memfd (gsize size, guint seed)
{
  gint fd = memfd_create ("fddepay-unsealed", MFD_CLOEXEC);
  guint8 *data;

  fail_unless (fd >= 0);
  fail_unless (ftruncate (fd, size) == 0);
  data = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  fail_unless (data != MAP_FAILED);
  fill_pattern (data, size, seed);
  munmap (data, size);

  return fd;
}

GST_START_TEST (test_unsealed_file_is_copied)
{
  Hostile t;
  GstBuffer *buf, *out;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);

  fd = make_unsealed_memfd (FRAME_SIZE, 3);
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (out != NULL);
  fail_if (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)));
  fail_unless (buffer_has_pattern (out, 3));
  fail_unless_equals_uint64 (get_stat (t.h->element, "unsealed-copies"), 1);

  /* the sender truncates its file: the frame we hold is unaffected */
  fail_unless (ftruncate (fd, 0) == 0);
  fail_unless (buffer_has_pattern (out, 3));
  gst_buffer_unref (out);
  close (fd);

  /* a trusted sender: the file is mapped */
  g_object_set (t.h->element, "allow-unsealed", TRUE, NULL);
  fd = make_unsealed_memfd (FRAME_SIZE, 4);
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)));
  fail_unless (buffer_has_pattern (out, 4));
  fail_unless_equals_uint64 (get_stat (t.h->element, "unsealed-copies"), 1);
  gst_buffer_unref (out);
  close (fd);

  /* sealed memfds are always mapped */
  g_object_set (t.h->element, "allow-unsealed", FALSE, NULL);
  fd = make_memfd (FRAME_SIZE, 5);
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)));
  fail_unless (buffer_has_pattern (out, 5));
  gst_buffer_unref (out);
  close (fd);

  hostile_end (&t);
}

GST_END_TEST;

/* The segment starts at the sender's first timestamp and puts it at the
 * current running time: a receiver joining a stream that has been running
 * for a while plays at once, and buffers keep the sender's timestamps. */
GST_START_TEST (test_segment_starts_at_first_frame)
{
  Hostile t;
  GstTestClock *clock;
  const GstSegment *segment = NULL;
  GstEvent *event, *seg_event = NULL;
  GstBuffer *buf, *out;
  gint fd;

  hostile_begin (&t);
  gst_harness_use_testclock (t.h);
  clock = gst_harness_get_testclock (t.h);
  gst_element_set_base_time (t.h->element, 2 * GST_SECOND);
  gst_test_clock_set_time (clock, 7 * GST_SECOND);
  hostile_push_headers (&t);

  fd = make_memfd (FRAME_SIZE, 1);
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 60 * GST_SECOND);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 60 * GST_SECOND);

  while ((event = gst_harness_try_pull_event (t.h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_clear_event (&seg_event);
      seg_event = event;
    } else {
      gst_event_unref (event);
    }
  }
  fail_unless (seg_event != NULL);
  gst_event_parse_segment (seg_event, &segment);
  fail_unless_equals_int (segment->format, GST_FORMAT_TIME);
  fail_unless_equals_uint64 (segment->start, 60 * GST_SECOND);
  fail_unless_equals_uint64 (segment->time, 60 * GST_SECOND);
  /* the first frame plays now: at running time 7 s - 2 s */
  fail_unless_equals_uint64 (gst_segment_to_running_time (segment,
          GST_FORMAT_TIME, GST_BUFFER_PTS (out)), 5 * GST_SECOND);
  /* and stream time is the sender's */
  fail_unless_equals_uint64 (gst_segment_to_stream_time (segment,
          GST_FORMAT_TIME, GST_BUFFER_PTS (out)), 60 * GST_SECOND);

  gst_event_unref (seg_event);
  gst_buffer_unref (out);
  gst_object_unref (clock);
  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* With the sender's stream time, the segment maps timestamps to it (an
 * encoder's 1000 hour offset does not show in stream time), and a jump of
 * the sender's stream time starts a new segment. */
static GstBuffer *
make_buffer_msg_stream_time (gint fd, GstClockTime pts,
    GstClockTime stream_time)
{
  GstFdPassBufferInfo info;

  memset (&info, 0, sizeof (info));
  info.id = stream_time / GST_MSECOND + 1;
  info.pts = pts;
  info.dts = GST_CLOCK_TIME_NONE;
  info.duration = 40 * GST_MSECOND;
  info.offset = GST_BUFFER_OFFSET_NONE;
  info.offset_end = GST_BUFFER_OFFSET_NONE;
  info.n_fds = 1;
  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &info.fds[0]));
  info.n_memories = 1;
  info.memories[0].size = FRAME_SIZE;
  info.has_stream_time = TRUE;
  info.stream_time = stream_time;

  return gst_fdpass_message_new_buffer (&info);
}

static GstEvent *
pull_last_segment (GstHarness * h)
{
  GstEvent *event, *seg = NULL;

  while ((event = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_clear_event (&seg);
      seg = event;
    } else {
      gst_event_unref (event);
    }
  }
  return seg;
}

GST_START_TEST (test_segment_stream_time)
{
  const GstClockTime hours = 1000 * 3600 * GST_SECOND;
  const GstSegment *segment;
  GstEvent *seg;
  GstBuffer *buf, *out;
  Hostile t;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_memfd (FRAME_SIZE, 1);

  /* pts with an encoder's offset, stream time 2 s */
  buf = make_buffer_msg_stream_time (fd, hours + 2 * GST_SECOND,
      2 * GST_SECOND);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  seg = pull_last_segment (t.h);
  fail_unless (seg != NULL);
  gst_event_parse_segment (seg, &segment);
  fail_unless_equals_uint64 (gst_segment_to_stream_time (segment,
          GST_FORMAT_TIME, GST_BUFFER_PTS (out)), 2 * GST_SECOND);
  gst_event_unref (seg);
  gst_buffer_unref (out);

  /* the next frame continues: no new segment */
  buf = make_buffer_msg_stream_time (fd, hours + 2 * GST_SECOND +
      40 * GST_MSECOND, 2 * GST_SECOND + 40 * GST_MSECOND);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));
  fail_unless (pull_last_segment (t.h) == NULL);

  /* the sender's stream time jumps (a new segment there): a new one here */
  buf = make_buffer_msg_stream_time (fd, hours + 3 * GST_SECOND,
      30 * GST_SECOND);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  seg = pull_last_segment (t.h);
  fail_unless (seg != NULL);
  gst_event_parse_segment (seg, &segment);
  fail_unless_equals_uint64 (gst_segment_to_stream_time (segment,
          GST_FORMAT_TIME, GST_BUFFER_PTS (out)), 30 * GST_SECOND);
  gst_event_unref (seg);
  gst_buffer_unref (out);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* pushes a frame at @pts with the sender's @stream_time and returns the
 * new segment of the output, NULL when there is none */
static const GstSegment *
push_stream_time (Hostile * t, gint fd, GstClockTime pts,
    GstClockTime stream_time, GstEvent ** seg)
{
  const GstSegment *segment;
  GstBuffer *buf;

  buf = make_buffer_msg_stream_time (fd, pts, stream_time);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t->h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t->h));
  *seg = pull_last_segment (t->h);
  if (*seg == NULL)
    return NULL;
  gst_event_parse_segment (*seg, &segment);
  return segment;
}

/* The sender's segment (protocol 1.2): buffers get it, with the same
 * stream time and the sender's running time moved by one constant per
 * connection, so that the first frame plays now. */
static GstBuffer *
make_segment_msg (GstClockTime start, GstClockTime time, GstClockTime base,
    gdouble rate)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = start;
  segment.time = time;
  segment.base = base;
  segment.rate = rate;
  segment.position = start;

  return gst_fdpass_message_new_segment (&segment);
}

static GstBuffer *
make_hello_minor (guint16 minor)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR, minor, 0, 0 };

  return gst_fdpass_message_new_hello (&hello);
}

/* pushes a frame at @pts and returns the segment of the output, a new one
 * or (when @seg is not NULL) the last one */
static GstClockTime
push_frame_at (Hostile * t, gint fd, GstClockTime pts, GstEvent ** seg)
{
  GstEvent *event;
  GstBuffer *buf, *out;
  GstClockTime out_pts;

  buf = make_buffer_msg (fd, 0, FRAME_SIZE, pts);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t->h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t->h);
  out_pts = GST_BUFFER_PTS (out);
  gst_buffer_unref (out);
  event = pull_last_segment (t->h);
  if (event) {
    gst_clear_event (seg);
    *seg = event;
  }
  return out_pts;
}

static GstClockTime
running_time_of (GstEvent * seg, GstClockTime pts)
{
  const GstSegment *segment;

  gst_event_parse_segment (seg, &segment);
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
}

static GstClockTime
stream_time_of (GstEvent * seg, GstClockTime pts)
{
  const GstSegment *segment;

  gst_event_parse_segment (seg, &segment);
  return gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
}

GST_START_TEST (test_sender_segment)
{
  /* what tsdemux gives for an ffmpeg stream: pts from 1.4 s (the PCR is
   * at 0.7 s), stream time 0 at the PCR; the sender has run for 10 s */
  const GstClockTime start = 700 * GST_MSECOND;
  GstTestClock *clock;
  GstEvent *seg = NULL, *first;
  GstClockTime pts;
  Hostile t;
  gint fd;

  hostile_begin (&t);
  gst_harness_use_testclock (t.h);
  clock = gst_harness_get_testclock (t.h);
  gst_element_set_base_time (t.h->element, 2 * GST_SECOND);
  gst_test_clock_set_time (clock, 7 * GST_SECOND);
  hostile_push_headers (&t);
  fail_unless_equals_int (gst_harness_push (t.h, make_segment_msg (start, 0,
              10 * GST_SECOND, 1.0)), GST_FLOW_OK);
  fd = make_memfd (FRAME_SIZE, 1);

  pts = push_frame_at (&t, fd, 1400 * GST_MSECOND, &seg);
  fail_unless (seg != NULL);
  fail_unless_equals_uint64 (pts, 1400 * GST_MSECOND);
  /* the sender's stream time */
  fail_unless_equals_uint64 (stream_time_of (seg, pts), 700 * GST_MSECOND);
  /* the first frame plays now: at running time 7 s - 2 s */
  fail_unless_equals_uint64 (running_time_of (seg, pts), 5 * GST_SECOND);
  first = gst_event_ref (seg);

  /* the next frames keep the sender's distances, in the same segment */
  pts = push_frame_at (&t, fd, 2400 * GST_MSECOND, &seg);
  fail_unless (seg == first);
  fail_unless_equals_uint64 (stream_time_of (seg, pts), 1700 * GST_MSECOND);
  fail_unless_equals_uint64 (running_time_of (seg, pts), 6 * GST_SECOND);
  gst_event_unref (first);

  /* the same segment again changes nothing */
  fail_unless_equals_int (gst_harness_push (t.h, make_segment_msg (start, 0,
              10 * GST_SECOND, 1.0)), GST_FLOW_OK);
  first = gst_event_ref (seg);
  push_frame_at (&t, fd, 2440 * GST_MSECOND, &seg);
  fail_unless (seg == first);
  gst_event_unref (first);

  /* a new segment upstream of the sender (a seek to 60 s at double rate,
   * 3 s of running time later): its stream time, and the running time
   * moved by the same constant */
  fail_unless_equals_int (gst_harness_push (t.h, make_segment_msg (60 *
              GST_SECOND, 60 * GST_SECOND, 13 * GST_SECOND, 2.0)),
      GST_FLOW_OK);
  pts = push_frame_at (&t, fd, 62 * GST_SECOND, &seg);
  fail_unless_equals_uint64 (stream_time_of (seg, pts), 62 * GST_SECOND);
  /* the sender's first frame was at 10.7 s of its running time and 5 s of
   * ours; this one is at 13 s + 2 s / 2 = 14 s there: 8.3 s here */
  fail_unless_equals_uint64 (running_time_of (seg, pts),
      14 * GST_SECOND - (10 * GST_SECOND + 700 * GST_MSECOND - 5 * GST_SECOND));
  {
    const GstSegment *segment;

    gst_event_parse_segment (seg, &segment);
    fail_unless_equals_float (segment->rate, 2.0);
  }

  gst_clear_event (&seg);
  gst_object_unref (clock);
  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* sender-running-time=true: the sender's running time as it is */
GST_START_TEST (test_sender_segment_running_time)
{
  GstTestClock *clock;
  GstEvent *seg = NULL;
  GstClockTime pts;
  Hostile t;
  gint fd;

  hostile_begin (&t);
  g_object_set (t.h->element, "sender-running-time", TRUE, NULL);
  gst_harness_use_testclock (t.h);
  clock = gst_harness_get_testclock (t.h);
  gst_test_clock_set_time (clock, 7 * GST_SECOND);
  hostile_push_headers (&t);
  fail_unless_equals_int (gst_harness_push (t.h, make_segment_msg (GST_SECOND,
              0, 10 * GST_SECOND, 1.0)), GST_FLOW_OK);
  fd = make_memfd (FRAME_SIZE, 1);

  pts = push_frame_at (&t, fd, 3 * GST_SECOND, &seg);
  fail_unless_equals_uint64 (running_time_of (seg, pts), 12 * GST_SECOND);
  fail_unless_equals_uint64 (stream_time_of (seg, pts), 2 * GST_SECOND);

  gst_clear_event (&seg);
  gst_object_unref (clock);
  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* A segment message from a sender that announced 1.1 is a type that
 * sender does not know: skipped, and the stream time comes from each
 * buffer as before. A later hello of 1.1 drops a segment a 1.2 sender
 * sent. */
GST_START_TEST (test_sender_segment_needs_1_2)
{
  const GstClockTime hours = 1000 * 3600 * GST_SECOND;
  GstEvent *seg = NULL;
  Hostile t;
  gint fd;

  hostile_begin (&t);
  fail_unless_equals_int (gst_harness_push (t.h, make_hello_minor (1)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (t.h, make_caps (VIDEO_CAPS_STR)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (t.h, make_segment_msg (0,
              50 * GST_SECOND, 0, 1.0)), GST_FLOW_OK);
  fd = make_memfd (FRAME_SIZE, 1);

  fail_unless (push_stream_time (&t, fd, hours + 2 * GST_SECOND,
          2 * GST_SECOND, &seg) != NULL);
  fail_unless_equals_uint64 (stream_time_of (seg, hours + 2 * GST_SECOND),
      2 * GST_SECOND);
  gst_clear_event (&seg);

  /* a 1.2 hello and a segment: that one counts */
  fail_unless_equals_int (gst_harness_push (t.h, make_hello_minor (2)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (t.h, make_segment_msg (hours,
              100 * GST_SECOND, 0, 1.0)), GST_FLOW_OK);
  push_frame_at (&t, fd, hours + 3 * GST_SECOND, &seg);
  fail_unless (seg != NULL);
  fail_unless_equals_uint64 (stream_time_of (seg, hours + 3 * GST_SECOND),
      103 * GST_SECOND);
  gst_clear_event (&seg);

  /* then a 1.1 hello again: back to the stream time of each buffer */
  fail_unless_equals_int (gst_harness_push (t.h, make_hello_minor (1)),
      GST_FLOW_OK);
  fail_unless (push_stream_time (&t, fd, hours + 4 * GST_SECOND,
          4 * GST_SECOND, &seg) != NULL);
  fail_unless_equals_uint64 (stream_time_of (seg, hours + 4 * GST_SECOND),
      4 * GST_SECOND);
  gst_clear_event (&seg);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* Segment messages no sender makes: a clear error, never a critical
 * (G_DEBUG=fatal-criticals in this suite) nor a segment event GStreamer
 * would refuse. */
static GstBuffer *
make_raw_segment_msg (guint32 format, gdouble rate, gdouble applied_rate,
    guint64 base, guint64 offset, guint64 start, guint64 stop, guint64 time,
    gsize size)
{
  guint8 data[GST_FDPASS_HEADER_SIZE + 80];
  guint8 *p = data + GST_FDPASS_HEADER_SIZE;

  g_assert (size <= 80);
  memset (data, 0, sizeof (data));
  GST_WRITE_UINT32_LE (data, GST_FDPASS_MAGIC);
  GST_WRITE_UINT16_LE (data + 4, GST_FDPASS_MESSAGE_SEGMENT);
  GST_WRITE_UINT32_LE (data + 12, size);
  GST_WRITE_UINT32_LE (p, 0xffffffff);  /* flags: unknown ones dropped */
  GST_WRITE_UINT32_LE (p + 4, format);
  GST_WRITE_DOUBLE_LE (p + 8, rate);
  GST_WRITE_DOUBLE_LE (p + 16, applied_rate);
  GST_WRITE_UINT64_LE (p + 24, base);
  GST_WRITE_UINT64_LE (p + 32, offset);
  GST_WRITE_UINT64_LE (p + 40, start);
  GST_WRITE_UINT64_LE (p + 48, stop);
  GST_WRITE_UINT64_LE (p + 56, time);
  GST_WRITE_UINT64_LE (p + 64, GST_CLOCK_TIME_NONE);
  GST_WRITE_UINT64_LE (p + 72, GST_CLOCK_TIME_NONE);

  return gst_buffer_new_memdup (data, GST_FDPASS_HEADER_SIZE + size);
}

GST_START_TEST (test_hostile_segment)
{
  const guint64 none = GST_CLOCK_TIME_NONE, big = (guint64) G_MAXINT64 + 1;
  struct
  {
    guint32 format;
    gdouble rate, applied_rate;
    guint64 base, start, stop, time;
    gsize size;
    guint64 offset;
  } bad[] = {
    {GST_FORMAT_BYTES, 1.0, 1.0, 0, 0, none, 0, 80},
    {GST_FORMAT_UNDEFINED, 1.0, 1.0, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, 0.0, 1.0, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, 0.0, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, NAN, 1.0, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, INFINITY, 1.0, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, -INFINITY, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, 1e-300, 1.0, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, none, 0, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, big, 0, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, none, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, big, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, 0, none, none, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, 10, 9, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, 0, big, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, 0, none, 0, 79},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, 0, none, 0, 0},
    /* found by the fuzzer: GStreamer asserts computing running times */
    {GST_FORMAT_TIME, -1.0, 1.0, 0, 0, none, 0, 80},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, 10, 20, 0, 80, 11},
    {GST_FORMAT_TIME, -2.0, 1.0, 0, 0, 5, 0, 80, 6},
    {GST_FORMAT_TIME, 1.0, 1.0, 0, 0, none, 0, 80, big},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    Hostile t;
    GstBuffer *msg = make_raw_segment_msg (bad[i].format, bad[i].rate,
        bad[i].applied_rate, bad[i].base, bad[i].offset, bad[i].start,
        bad[i].stop, bad[i].time, bad[i].size);

    GST_INFO ("bad segment %u", i);
    hostile_begin (&t);
    hostile_push_headers (&t);
    fail_unless_equals_int (gst_harness_push (t.h, msg), GST_FLOW_ERROR);
    expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
    hostile_end (&t);
  }

  /* the same with valid values: accepted, unknown flags dropped */
  {
    GstEvent *seg = NULL;
    const GstSegment *segment;
    Hostile t;
    gint fd;

    hostile_begin (&t);
    hostile_push_headers (&t);
    fail_unless_equals_int (gst_harness_push (t.h,
            make_raw_segment_msg (GST_FORMAT_TIME, -1.0, 1.0, 0, GST_SECOND,
                0, 10 * GST_SECOND, 0, 80)), GST_FLOW_OK);
    fd = make_memfd (FRAME_SIZE, 1);
    push_frame_at (&t, fd, 5 * GST_SECOND, &seg);
    fail_unless (seg != NULL);
    gst_event_parse_segment (seg, &segment);
    fail_unless_equals_float (segment->rate, -1.0);
    fail_unless_equals_uint64 (segment->stop, 10 * GST_SECOND);
    fail_unless_equals_uint64 (gst_segment_to_stream_time (segment,
            GST_FORMAT_TIME, 5 * GST_SECOND), 5 * GST_SECOND);
    fail_unless ((segment->flags & ~(GST_SEGMENT_FLAG_RESET |
                GST_SEGMENT_FLAG_TRICKMODE | GST_SEGMENT_FLAG_SEGMENT |
                GST_SEGMENT_FLAG_TRICKMODE_KEY_UNITS |
                GST_SEGMENT_FLAG_TRICKMODE_FORWARD_PREDICTED |
                GST_SEGMENT_FLAG_TRICKMODE_NO_AUDIO)) == 0);
    gst_clear_event (&seg);
    close (fd);
    hostile_end (&t);
  }
}

GST_END_TEST;

/* Stream times and timestamps far apart, from a hostile sender: no
 * arithmetic overflows (the fuzzer found one, undefined behaviour under
 * UBSan), the segment stays meaningful, and values beyond G_MAXINT64 count
 * as no stream time. */
GST_START_TEST (test_hostile_stream_time_far_apart)
{
  const GstSegment *segment;
  GstEvent *seg;
  Hostile t;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_memfd (FRAME_SIZE, 1);

  segment = push_stream_time (&t, fd, 0, G_MAXINT64, &seg);
  fail_unless (segment != NULL);
  fail_unless_equals_uint64 (segment->start, 0);
  fail_unless_equals_uint64 (segment->time, G_MAXINT64);
  gst_event_unref (seg);

  /* as far the other way: a jump, a new segment */
  segment = push_stream_time (&t, fd, G_MAXINT64, 0, &seg);
  fail_unless (segment != NULL);
  fail_unless_equals_uint64 (segment->start, G_MAXINT64);
  fail_unless_equals_uint64 (segment->time, 0);
  gst_event_unref (seg);

  /* beyond G_MAXINT64: no stream time, no jump */
  fail_unless (push_stream_time (&t, fd, G_MAXINT64,
          GST_CLOCK_TIME_NONE - 1, &seg) == NULL);
  fail_unless (push_stream_time (&t, fd, GST_CLOCK_TIME_NONE - 1, 0,
          &seg) == NULL);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_truncated_memfd)
{
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);

  /* a memfd shrunk after the message was made: mapping it would SIGBUS */
  fd = memfd_create ("fddepay-test", MFD_CLOEXEC);
  fail_unless (ftruncate (fd, FRAME_SIZE) == 0);
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  fail_unless (ftruncate (fd, 100) == 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  /* large enough, but not at that offset */
  fail_unless (ftruncate (fd, FRAME_SIZE) == 0);
  buf = make_buffer_msg (fd, 4096, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_missing_fd)
{
  Hostile t;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_memfd (FRAME_SIZE, 0);
  fail_unless_equals_int (gst_harness_push (t.h, make_buffer_msg (fd, 0,
              FRAME_SIZE, 0)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_wrong_inode)
{
  Hostile t;
  GstBuffer *buf;
  gint fd, other;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_memfd (FRAME_SIZE, 0);
  other = make_memfd (FRAME_SIZE, 1);
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &other, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);
  close (other);
  hostile_end (&t);
}

GST_END_TEST;

GST_START_TEST (test_hostile_fds_on_caps)
{
  Hostile t;
  GstBuffer *buf;
  GstMapInfo map;
  gint fd;

  hostile_begin (&t);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_hello (GST_FDPASS_VERSION_MAJOR)), GST_FLOW_OK);
  fd = make_memfd (FRAME_SIZE, 0);

  /* a caps message announcing a file descriptor */
  buf = make_caps (VIDEO_CAPS_STR);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  GST_WRITE_UINT16_LE (map.data + 6, 1);
  gst_buffer_unmap (buf, &map);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* A plane offset beyond the memory is an error (and the error path must not
 * touch the buffer it drops) */
GST_START_TEST (test_hostile_video_meta_offset)
{
  const guint64 offsets[] = { 0, 64 * 48, 64 * 48 + 32 * 24 };
  const gint32 strides[] = { 64, 32, 32 };
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);

  /* the last plane starts beyond the 1000 bytes of the memory */
  fd = make_memfd (1000, 0);
  buf = make_video_buffer_msg (fd, 1000, offsets, strides);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* Every plane must end within the memory: a video meta whose planes run
 * past it would make gst_video_frame_map() users read past the mapping */
GST_START_TEST (test_hostile_video_meta_plane_size)
{
  const guint64 offsets[] = { 0, 64 * 48, 64 * 48 + 32 * 24 };
  const gint32 strides[] = { 64, 32, 32 };
  const guint64 offsets_small[] = { 0, 10, 20 };
  const gint32 strides_huge[] = { 1 << 30, 32, 32 };
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_memfd (FRAME_SIZE, 0);

  /* all planes start inside the memory but the last one ends 8 bytes past
   * it */
  buf = make_video_buffer_msg (fd, FRAME_SIZE - 8, offsets, strides);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  /* a stride far larger than the memory */
  buf = make_video_buffer_msg (fd, FRAME_SIZE, offsets_small, strides_huge);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* fds that ride on a caps message without being announced are strays:
 * closed, counted, and the stream goes on. */
GST_START_TEST (test_unannounced_fds_on_caps)
{
  guint before = fdpass_check_count_open_fds ();
  GstHarness *h = new_depay_harness (NULL);
  Attachment att[N_FRAMES + 2];
  gint fds[N_FRAMES], stray;
  guint n;
  Stream *s;

  make_frames (fds);
  stray = make_memfd (FRAME_SIZE, 7);
  s = stream_new_valid (fds);
  n = attach_at_start (s, att);
  att[n].pos = s->start[1];
  att[n].fd = stray;
  n++;
  att[n].pos = s->start[1] + 1;
  att[n].fd = stray;
  n++;

  fail_unless_equals_int (push_stream (h, s, 0, att, n), GST_FLOW_OK);
  check_frames (h, fds);
  fail_unless_equals_uint64 (get_stat (h->element, "dropped-fds"), 2);

  stream_free (s);
  close (stray);
  close_frames (fds);
  teardown_depay_harness (h, NULL);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

GST_START_TEST (test_hostile_truncated_at_eos)
{
  guint before = fdpass_check_count_open_fds ();
  GstHarness *h = new_depay_harness (NULL);
  Attachment att[N_FRAMES];
  gint fds[N_FRAMES];
  GstEvent *event;
  gboolean got_eos = FALSE;
  Stream *s;
  guint n;

  make_frames (fds);
  s = stream_new_valid (fds);
  n = attach_at_start (s, att);

  /* everything up to the middle of the last buffer message */
  fail_unless_equals_int (push_bytes (h, s, 0,
          (s->start[4] + s->end[4]) / 2, 0, att, n), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  while ((event = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      got_eos = TRUE;
    gst_event_unref (event);
  }
  fail_unless (got_eos);
  fail_unless_equals_uint64 (get_stat (h->element, "dropped-fds"), 1);

  /* the frames received complete are fine */
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));

  stream_free (s);
  close_frames (fds);
  teardown_depay_harness (h, NULL);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

/* a sender that refuses to play by the rules */

/* Pushes a valid frame in a new sealed memfd and checks that it comes out
 * right: an error on one message does not stop the stream. */
static void
hostile_check_recovers (Hostile * t, guint seed)
{
  GstBuffer *buf;
  gint fd = make_memfd (FRAME_SIZE, seed);

  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t->h, buf), GST_FLOW_OK);
  buf = gst_harness_pull (t->h);
  fail_unless (buffer_has_pattern (buf, seed));
  gst_buffer_unref (buf);
  close (fd);
  fail_if (gst_bus_pop_filtered (t->bus, GST_MESSAGE_ERROR));
}

/* Like expect_error(), and the debug text of the error contains
 * @needle, to tell which check refused the message. */
static void
expect_error_with (GstBus * bus, GQuark domain, gint code,
    const gchar * needle)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *dbg = NULL;

  fail_unless (msg != NULL, "no error message was posted");
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("expected error: %s (%s)", err->message, dbg);
  fail_unless (g_error_matches (err, domain, code), "unexpected error %s "
      "(%s)", err->message, dbg);
  fail_unless (dbg != NULL && strstr (dbg, needle) != NULL,
      "error '%s' (%s) does not say '%s'", err->message, dbg, needle);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
}

/* The bytes of a caps message holding @str as it is: a hostile sender does
 * not need gst_caps_to_string() to write one. */
static GstBuffer *
make_raw_caps (const gchar * str)
{
  gsize len = strlen (str) + 1;
  guint8 *data = g_malloc (GST_FDPASS_HEADER_SIZE + len);

  GST_WRITE_UINT32_LE (data, GST_FDPASS_MAGIC);
  GST_WRITE_UINT16_LE (data + 4, GST_FDPASS_MESSAGE_CAPS);
  GST_WRITE_UINT16_LE (data + 6, 0);
  GST_WRITE_UINT32_LE (data + 8, 0);
  GST_WRITE_UINT32_LE (data + 12, len);
  memcpy (data + GST_FDPASS_HEADER_SIZE, str, len);

  return gst_buffer_new_wrapped (data, GST_FDPASS_HEADER_SIZE + len);
}

/* A buffer message of the memories @mems in the files @fds, each an entry
 * of @kind, with the fds attached. */
static GstBuffer *
make_memories_msg (const gint * fds, guint n_fds, GstFdPassFdKind kind,
    const GstFdPassMemInfo * mems, guint n_mems)
{
  GstFdPassBufferInfo info;
  GstBuffer *msg;
  guint i;

  memset (&info, 0, sizeof (info));
  info.id = 1;
  info.pts = 0;
  info.dts = GST_CLOCK_TIME_NONE;
  info.duration = 40 * GST_MSECOND;
  info.offset = GST_BUFFER_OFFSET_NONE;
  info.offset_end = GST_BUFFER_OFFSET_NONE;
  info.n_fds = n_fds;
  for (i = 0; i < n_fds; i++)
    fail_unless (gst_fdpass_fd_info_from_fd (fds[i], kind, &info.fds[i]));
  info.n_memories = n_mems;
  memcpy (info.memories, mems, n_mems * sizeof (GstFdPassMemInfo));

  msg = gst_fdpass_message_new_buffer (&info);
  fail_unless (msg != NULL);
  attach_fds (msg, fds, n_fds);

  return msg;
}

/* A sparse memfd of @size bytes, sealed against shrinking if @sealed: it
 * costs nothing until somebody reads it. */
static gint
make_sparse_memfd (guint64 size, gboolean sealed)
{
  gint fd = memfd_create ("fddepay-sparse", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  fail_unless (fd >= 0);
  fail_unless (ftruncate (fd, size) == 0, "ftruncate: %s", g_strerror (errno));
  if (sealed)
    fail_unless (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);

  return fd;
}

typedef enum
{
  LAYOUT_MAPPED,                /* sealed memfds */
  LAYOUT_READ,                  /* unsealed files, read */
  LAYOUT_MAPPED_UNSEALED,       /* unsealed files, allow-unsealed */
} LayoutPath;

#define LAYOUT_FILE_SIZE 8192
#define MAX_LAYOUT_MEMS 4

typedef struct
{
  const gchar *name;
  guint n_fds;
  guint n_mems;
  GstFdPassMemInfo mems[MAX_LAYOUT_MEMS];
} Layout;

static const Layout layouts[] = {
  {"in order", 1, 2, {{0, 0, 4096}, {0, 4096, 4096}}},
  {"reverse order", 1, 2, {{0, 4096, 4096}, {0, 0, 4096}}},
  {"overlapping", 1, 2, {{0, 0, 6000}, {0, 2000, 6000}}},
  {"same range twice", 1, 2, {{0, 0, 4096}, {0, 0, 4096}}},
  {"tail, then all", 1, 2, {{0, 4096, 4096}, {0, 0, 8192}}},
  {"all, then tail", 1, 2, {{0, 0, 8192}, {0, 4096, 4096}}},
  {"inside, then end", 1, 3, {{0, 100, 50}, {0, 8000, 192}, {0, 0, 1}}},
  {"two files", 2, 4, {{1, 4096, 4096}, {0, 0, 100}, {1, 0, 8192},
          {0, 50, 8000}}},
};

/* Every layout of memories in one file gives the bytes the message
 * describes, in whatever order and overlap: on the mapped path, on the
 * read path and on the mapped path of unsealed files. */
static void
run_memory_layouts (LayoutPath path)
{
  Hostile t;
  guint l, n_files = 0;

  hostile_begin (&t);
  g_object_set (t.h->element, "allow-unsealed",
      path == LAYOUT_MAPPED_UNSEALED, NULL);
  hostile_push_headers (&t);

  for (l = 0; l < G_N_ELEMENTS (layouts); l++) {
    const Layout *layout = &layouts[l];
    GByteArray *expected = g_byte_array_new ();
    guint8 *files[2];
    gint fds[2];
    GstBuffer *out;
    GstMapInfo map;
    guint i;

    for (i = 0; i < layout->n_fds; i++) {
      fds[i] = path == LAYOUT_MAPPED ? make_memfd (LAYOUT_FILE_SIZE, l + i) :
          make_unsealed_memfd (LAYOUT_FILE_SIZE, l + i);
      files[i] = g_malloc (LAYOUT_FILE_SIZE);
      fill_pattern (files[i], LAYOUT_FILE_SIZE, l + i);
    }
    for (i = 0; i < layout->n_mems; i++) {
      const GstFdPassMemInfo *mem = &layout->mems[i];

      g_byte_array_append (expected, files[mem->fd_index] + mem->offset,
          mem->size);
    }

    fail_unless_equals_int (gst_harness_push (t.h, make_memories_msg (fds,
                layout->n_fds, GST_FDPASS_FD_KIND_FILE, layout->mems,
                layout->n_mems)), GST_FLOW_OK);
    out = gst_harness_pull (t.h);
    fail_unless (out != NULL);
    fail_unless_equals_int (gst_buffer_n_memory (out), layout->n_mems);
    for (i = 0; i < layout->n_mems; i++) {
      GstMemory *mem = gst_buffer_peek_memory (out, i);

      fail_unless_equals_int (mem->size, layout->mems[i].size);
      fail_unless_equals_int (gst_is_fd_memory (mem), path != LAYOUT_READ);
    }
    /* (merges the memories) */
    fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
    fail_unless_equals_int (map.size, expected->len);
    fail_unless (memcmp (map.data, expected->data, map.size) == 0,
        "wrong bytes for layout '%s'", layout->name);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);

    for (i = 0; i < layout->n_fds; i++) {
      close (fds[i]);
      g_free (files[i]);
    }
    n_files += layout->n_fds;
    g_byte_array_unref (expected);
  }

  /* one copy of each file, whatever its memories */
  fail_unless_equals_uint64 (get_stat (t.h->element, "unsealed-copies"),
      path == LAYOUT_READ ? n_files : 0);
  fail_if (gst_bus_pop_filtered (t.bus, GST_MESSAGE_ERROR));
  hostile_end (&t);
}

GST_START_TEST (test_memory_layouts_mapped)
{
  run_memory_layouts (LAYOUT_MAPPED);
}

GST_END_TEST;

GST_START_TEST (test_memory_layouts_read)
{
  run_memory_layouts (LAYOUT_READ);
}

GST_END_TEST;

GST_START_TEST (test_memory_layouts_mapped_unsealed)
{
  run_memory_layouts (LAYOUT_MAPPED_UNSEALED);
}

GST_END_TEST;

/* Mapping a file shorter than offset + size raises SIGBUS when the end is
 * read: on the mapped path only the size check stands in the way (the read
 * path would also fail its short read). */
static void
run_short_file_mapped (gboolean sealed)
{
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  g_object_set (t.h->element, "allow-unsealed", !sealed, NULL);
  hostile_push_headers (&t);
  fd = sealed ? make_memfd (FRAME_SIZE, 0) :
      make_unsealed_memfd (FRAME_SIZE, 0);

  /* longer than the file */
  buf = make_buffer_msg (fd, 0, FRAME_SIZE + 4096, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "the message needs");

  /* as long as the file, but not at that offset */
  buf = make_buffer_msg (fd, 4096, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "the message needs");

  /* one byte too far, in the second of two memories */
  {
    const GstFdPassMemInfo mems[] = { {0, 0, 100}, {0, 100, FRAME_SIZE} };

    fail_unless_equals_int (gst_harness_push (t.h, make_memories_msg (&fd,
                1, GST_FDPASS_FD_KIND_FILE, mems, 2)), GST_FLOW_ERROR);
    expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "the message needs");
  }

  fail_unless_equals_uint64 (get_stat (t.h->element, "mappings-created"), 0);
  close (fd);
  hostile_check_recovers (&t, 1);
  hostile_end (&t);
}

GST_START_TEST (test_hostile_short_file_mapped)
{
  run_short_file_mapped (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_hostile_short_file_mapped_unsealed)
{
  run_short_file_mapped (FALSE);
}

GST_END_TEST;

/* A file labelled DMABUF skips the checks of regular files: it must be a
 * dma-buf. An unsealed memfd so labelled and truncated after sending
 * would kill the receiver with SIGBUS. */
GST_START_TEST (test_hostile_fake_dmabuf)
{
  const GstFdPassMemInfo mem = { 0, 0, FRAME_SIZE };
  Hostile t;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);

  fd = make_unsealed_memfd (FRAME_SIZE, 0);
  fail_unless_equals_int (gst_harness_push (t.h, make_memories_msg (&fd, 1,
              GST_FDPASS_FD_KIND_DMABUF, &mem, 1)), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "dma-buf");
  close (fd);

  /* sealed makes no difference: it is no dma-buf */
  fd = make_memfd (FRAME_SIZE, 0);
  fail_unless_equals_int (gst_harness_push (t.h, make_memories_msg (&fd, 1,
              GST_FDPASS_FD_KIND_DMABUF, &mem, 1)), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "dma-buf");
  close (fd);

  hostile_check_recovers (&t, 2);
  hostile_end (&t);
}

GST_END_TEST;

/* Sizes come from the sender, and a sparse file costs it nothing: every
 * buffer is bounded by what the caps describe before anything is read or
 * mapped. */
GST_START_TEST (test_hostile_huge_sizes)
{
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  /* 64x48 I420: buffers of up to 16 MiB */
  hostile_push_headers (&t);

  /* 1 GiB of an unsealed file would be read into memory */
  fd = make_sparse_memfd (G_GUINT64_CONSTANT (1) << 30, FALSE);
  buf = make_buffer_msg (fd, 0, G_GUINT64_CONSTANT (1) << 30, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "1073741824 bytes, the limit is 16777216 bytes");
  close (fd);

  /* 8 GiB made g_malloc() abort */
  fd = make_sparse_memfd (G_GUINT64_CONSTANT (8) << 30, FALSE);
  buf = make_buffer_msg (fd, 0, G_GUINT64_CONSTANT (8) << 30, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "8589934592 bytes, the limit is 16777216 bytes");
  close (fd);

  /* a small memory far into a file: reading the file up to it is as
   * costly */
  fd = make_sparse_memfd (32 << 20, FALSE);
  buf = make_buffer_msg (fd, 20 << 20, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "reach byte 20976128 of fd 0, the limit is 16777216 bytes");
  close (fd);

  /* many memories of one small file, larger than the limit together */
  fd = make_memfd (FRAME_SIZE, 0);
  {
    GstFdPassMemInfo mems[GST_FDPASS_MAX_MEMORIES];
    guint i;

    g_object_set (t.h->element, "max-buffer-size",
        (guint64) (4 * FRAME_SIZE), NULL);
    for (i = 0; i < G_N_ELEMENTS (mems); i++) {
      mems[i].fd_index = 0;
      mems[i].offset = 0;
      mems[i].size = FRAME_SIZE;
    }
    fail_unless_equals_int (gst_harness_push (t.h, make_memories_msg (&fd, 1,
                GST_FDPASS_FD_KIND_FILE, mems, 5)), GST_FLOW_ERROR);
    expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "its 5 memories hold 23040 bytes, the limit is 18432 bytes");
    fail_unless_equals_int (gst_harness_push (t.h, make_memories_msg (&fd, 1,
                GST_FDPASS_FD_KIND_FILE, mems, 4)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (t.h));
  }
  close (fd);

  /* nothing was read */
  fail_unless_equals_uint64 (get_stat (t.h->element, "unsealed-copies"), 0);
  g_object_set (t.h->element, "max-buffer-size", (guint64) 0, NULL);
  hostile_check_recovers (&t, 3);
  hostile_end (&t);
}

GST_END_TEST;

/* The sizes of the memories must not add up past 2^64, where they would
 * wrap to a small total. The protocol keeps each memory below 2^63, so it
 * takes three. */
GST_START_TEST (test_hostile_size_overflow)
{
  GstFdPassMemInfo mems[3];
  Hostile t;
  gint fd;
  guint i;

  hostile_begin (&t);
  hostile_push_headers (&t);
  /* no limit but the 64 bit range */
  g_object_set (t.h->element, "max-buffer-size", G_MAXUINT64, NULL);

  fd = make_memfd (FRAME_SIZE, 0);
  for (i = 0; i < G_N_ELEMENTS (mems); i++) {
    mems[i].fd_index = 0;
    mems[i].offset = 0;
    mems[i].size = G_MAXINT64;
  }
  fail_unless_equals_int (gst_harness_push (t.h, make_memories_msg (&fd, 1,
              GST_FDPASS_FD_KIND_FILE, mems, 3)), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "more than 2^64 bytes");
  close (fd);

  hostile_check_recovers (&t, 4);
  hostile_end (&t);
}

GST_END_TEST;

/* The limit follows the caps: larger raw video frames get more room, other
 * caps the fixed fallback, and max-buffer-size replaces both. Sealed
 * sparse memfds are mapped, never read, so this costs nothing. */
GST_START_TEST (test_max_buffer_size_from_caps)
{
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_sparse_memfd (64 << 20, TRUE);

  /* 64x48 video: 16 MiB */
  buf = make_buffer_msg (fd, 0, (16 << 20) + 1, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "the limit is 16777216 bytes");
  buf = make_buffer_msg (fd, 0, 16 << 20, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));

  /* 4096x2160 I420: 4 frames */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_caps ("video/x-raw, format=(string)I420, width=(int)4096, "
              "height=(int)2160, framerate=(fraction)25/1")), GST_FLOW_OK);
  buf = make_buffer_msg (fd, 0, 4 * 4096 * 2160 * 3 / 2 + 1, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "the limit is 53084160 bytes");
  buf = make_buffer_msg (fd, 0, 4 * 4096 * 2160 * 3 / 2, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));

  /* other caps: 256 MiB, more than the file */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_caps ("application/x-fdpass-test")), GST_FLOW_OK);
  buf = make_buffer_msg (fd, 0, 64 << 20, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));

  /* the property replaces the limit of any caps */
  g_object_set (t.h->element, "max-buffer-size", (guint64) 1000, NULL);
  buf = make_buffer_msg (fd, 0, 1001, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "the limit is 1000 bytes");
  buf = make_buffer_msg (fd, 0, 1000, 0);
  attach_fds (buf, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));

  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* Caps whose values would make gst_caps_from_string() g_critical(), or raw
 * video caps that describe no video, are an error: no critical here, and
 * none downstream. */
GST_START_TEST (test_hostile_caps)
{
  static const gchar *bad[] = {
    "video/x-raw, format=(buffer)zz",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "framerate=(fraction)-2147483648/1",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "framerate=[ 30/1, 1/1 ]",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "s=(structure)\"s, b=(buffer)zz;\"",
    "video/x-raw, format=NULL, width=(int)64, height=(int)48",
    /* parsed fine, but no video */
    "video/x-raw, format=(string)I420, width=(int)0, height=(int)48",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)0",
    /* GstVideoInfo: a size of 2^64 - 4608 */
    "video/x-raw, format=(string)I420, width=(int)-64, height=(int)48",
    "video/x-raw, format=(string)ENCODED, width=(int)64, height=(int)48",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "views=(int)-1",
    "video/x-raw, format=(string)NOPE, width=(int)64, height=(int)48",
    "video/x-raw, width=(int)64, height=(int)48",
    "video/x-raw, format=(string)I420, width=(int)2147483647, "
        "height=(int)2147483647",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "framerate=(fraction)-25/1",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "framerate=(fraction)0/1, max-framerate=(fraction)-5/1",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "pixel-aspect-ratio=(fraction)0/1",
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "pixel-aspect-ratio=(fraction)-1/1",
    /* GstVideoInfo g_warning()s on it */
    "video/x-raw, format=(string)I420, width=(int)64, height=(int)48, "
        "multiview-mode=(string)garbage",
  };
  Hostile t;
  guint i;

  hostile_begin (&t);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_hello (GST_FDPASS_VERSION_MAJOR)), GST_FLOW_OK);

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstCaps *caps;

    fail_unless (gst_harness_push (t.h, make_raw_caps (bad[i])) ==
        GST_FLOW_ERROR, "caps '%s' accepted", bad[i]);
    expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
    /* nothing went downstream */
    caps = gst_pad_get_current_caps (t.h->sinkpad);
    fail_unless (caps == NULL);
  }

  /* what a decoder sends, multiview flags included, is fine */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_raw_caps ("video/x-raw, format=(string)I420, width=(int)64, "
              "height=(int)48, interlace-mode=(string)progressive, "
              "multiview-mode=(string)side-by-side, "
              "multiview-flags=(GstVideoMultiviewFlagsSet)0:ffffffff:/"
              "half-aspect, pixel-aspect-ratio=(fraction)1/1, "
              "chroma-site=(string)mpeg2, colorimetry=(string)bt709, "
              "framerate=(fraction)30000/1001")), GST_FLOW_OK);
  fail_if (gst_bus_pop_filtered (t.bus, GST_MESSAGE_ERROR));

  /* the sender can still get it right */
  fail_unless_equals_int (gst_harness_push (t.h,
          make_raw_caps (VIDEO_CAPS_STR)), GST_FLOW_OK);
  hostile_check_recovers (&t, 5);
  hostile_end (&t);
}

GST_END_TEST;

/* fdpay attaches one control message to every frame of a memfd, and with
 * tee the same message buffer goes to other branches too (a sink that
 * sends it): fddepay must take duplicates, not the fds themselves. */
static void
check_message_keeps_fd (GSocketControlMessage * cmsg, gint expected_fd)
{
  GUnixFDList *list =
      g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (cmsg));
  guint64 dev, ino, exp_dev, exp_ino;
  gint fd;

  fail_unless_equals_int (g_unix_fd_list_get_length (list), 1);
  fd = g_unix_fd_list_peek_fds (list, NULL)[0];
  fail_unless (fcntl (fd, F_GETFD) >= 0, "fd %d was closed", fd);
  fd_get_identity (fd, &dev, &ino);
  fd_get_identity (expected_fd, &exp_dev, &exp_ino);
  fail_unless_equals_uint64 (dev, exp_dev);
  fail_unless_equals_uint64 (ino, exp_ino);
}

/* The number of the one fd in the control message of @buf. */
static gint
peek_attached_fd (GstBuffer * buf)
{
  GstNetControlMessageMeta *meta =
      gst_buffer_get_net_control_message_meta (buf);
  GUnixFDList *list =
      g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (meta->message));

  fail_unless_equals_int (g_unix_fd_list_get_length (list), 1);
  return g_unix_fd_list_peek_fds (list, NULL)[0];
}

static gint
buffer_get_fd (GstBuffer * buf)
{
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);

  fail_unless (gst_is_fd_memory (mem));
  return gst_fd_memory_get_fd (mem);
}

GST_START_TEST (test_shared_fd_message)
{
  GSocketControlMessage *cmsg;
  GstBuffer *buf, *out;
  Hostile t;
  guint base;
  gint fd, attached;

  hostile_begin (&t);
  hostile_push_headers (&t);
  base = fdpass_check_count_open_fds ();
  fd = make_memfd (FRAME_SIZE, 6);

  /* the control message is also somebody else's */
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &fd, 1);
  attached = peek_attached_fd (buf);
  cmsg = g_object_ref (gst_buffer_get_net_control_message_meta (buf)->message);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (out, 6));
  /* a duplicate of it, and the message still holds the fd */
  fail_unless (buffer_get_fd (out) != attached);
  check_message_keeps_fd (cmsg, fd);
  fail_unless_equals_int (g_unix_fd_list_peek_fds
      (g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (cmsg)), NULL)[0],
      attached);
  gst_buffer_unref (out);
  g_object_unref (cmsg);

  /* the message buffer is somebody else's too (tee) */
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 40 * GST_MSECOND);
  attach_fds (buf, &fd, 1);
  attached = peek_attached_fd (buf);
  gst_buffer_ref (buf);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (out, 6));
  fail_unless (buffer_get_fd (out) != attached);
  check_message_keeps_fd (gst_buffer_get_net_control_message_meta
      (buf)->message, fd);
  fail_unless_equals_int (peek_attached_fd (buf), attached);
  gst_buffer_unref (out);
  gst_buffer_unref (buf);

  /* ours alone (behind a source): the very fd is taken, not duplicated */
  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 80 * GST_MSECOND);
  attach_fds (buf, &fd, 1);
  attached = peek_attached_fd (buf);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  out = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (out, 6));
  fail_unless_equals_int (buffer_get_fd (out), attached);
  gst_buffer_unref (out);

  close (fd);
  fail_unless_equals_int (fdpass_check_count_open_fds (), base);
  fail_unless_equals_uint64 (get_stat (t.h->element, "dropped-fds"), 0);
  hostile_end (&t);
}

GST_END_TEST;

/* fdpay ! tee, with fddepay in one branch: the other branch still gets the
 * fds of every frame. */
GST_START_TEST (test_fdpay_tee_fddepay)
{
  guint before = fdpass_check_count_open_fds ();
  GstHarness *pay = gst_harness_new ("fdpay");
  GstHarness *depay = new_depay_harness (NULL);
  guint i;

  gst_harness_set_src_caps_str (pay, VIDEO_CAPS_STR);
  for (i = 0; i < 3; i++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, FRAME_SIZE, NULL);
    GstBuffer *msg, *out;
    GstMapInfo map;

    fail_unless (gst_buffer_map (in, &map, GST_MAP_WRITE));
    fill_pattern (map.data, map.size, 20 + i);
    gst_buffer_unmap (in, &map);
    fail_unless_equals_int (gst_harness_push (pay, in), GST_FLOW_OK);

    while ((msg = gst_harness_try_pull (pay))) {
      GstNetControlMessageMeta *meta =
          gst_buffer_get_net_control_message_meta (msg);
      GUnixFDList *list = NULL;
      gint fd = -1;

      /* what tee does: the same buffer to each branch */
      if (meta) {
        list = g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE
            (meta->message));
        fail_unless_equals_int (g_unix_fd_list_get_length (list), 1);
        fd = g_unix_fd_list_peek_fds (list, NULL)[0];
      }
      fail_unless_equals_int (gst_harness_push (depay,
              gst_buffer_ref (msg)), GST_FLOW_OK);
      if (meta) {
        fail_unless_equals_int (g_unix_fd_list_get_length (list), 1);
        fail_unless_equals_int (g_unix_fd_list_peek_fds (list, NULL)[0], fd);
        fail_unless (fcntl (fd, F_GETFD) >= 0);
      }
      gst_buffer_unref (msg);
    }

    out = gst_harness_pull (depay);
    fail_unless (buffer_has_pattern (out, 20 + i));
    gst_buffer_unref (out);
  }

  gst_harness_teardown (pay);
  gst_harness_teardown (depay);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

/* A file we keep mapped (allow-unsealed) that the sender grew afterwards:
 * the mapping no longer covers what it names. */
GST_START_TEST (test_hostile_kept_file_grew)
{
  const GstFdPassMemInfo mem = { 0, FRAME_SIZE, FRAME_SIZE };
  GstFdPassBufferInfo info;
  Hostile t;
  GstBuffer *buf;
  gint fd;

  hostile_begin (&t);
  g_object_set (t.h->element, "allow-unsealed", TRUE, NULL);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_FILES);

  fd = make_unsealed_memfd (FRAME_SIZE, 1);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEEP, 1)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (t.h));

  fail_unless (ftruncate (fd, 2 * FRAME_SIZE) == 0);
  memset (&info, 0, sizeof (info));
  info.id = 2;
  info.pts = info.dts = info.duration = GST_CLOCK_TIME_NONE;
  info.n_fds = 1;
  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &info.fds[0]));
  info.fds[0].flags = GST_FDPASS_FD_FLAG_KEPT;
  info.n_memories = 1;
  info.memories[0] = mem;
  buf = gst_fdpass_message_new_buffer (&info);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "are mapped");

  fail_unless_equals_int (gst_harness_push (t.h, make_forget_msg (fd)),
      GST_FLOW_OK);
  close (fd);
  hostile_end (&t);
}

GST_END_TEST;

/* The sender may not make us keep a mapping of a file larger than the
 * buffers we accept. */
GST_START_TEST (test_hostile_keep_huge_file)
{
  Hostile t;
  gint fd;

  hostile_begin (&t);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_FILES);

  fd = make_sparse_memfd (G_GUINT64_CONSTANT (8) << 30, TRUE);
  fail_unless_equals_int (gst_harness_push (t.h,
          make_kept_msg (fd, GST_FDPASS_FD_FLAG_KEEP, 1)), GST_FLOW_ERROR);
  expect_error_with (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "fd 0 is 8589934592 bytes, the limit is 16777216 bytes");
  close (fd);
  fail_unless_equals_uint64 (get_stat (t.h->element, "mappings-created"), 0);

  hostile_check_recovers (&t, 7);
  hostile_end (&t);
}

GST_END_TEST;

static void
run_recovery (gboolean flush)
{
  Hostile t;
  Attachment att[N_FRAMES], pending;
  gint fds[N_FRAMES];
  guint n;
  Stream *s;

  hostile_begin (&t);
  make_frames (fds);
  s = stream_new_valid (fds);
  n = attach_at_start (s, att);

  /* a valid stream cut short by garbage, with the fd of the next frame
   * already received */
  pending.pos = s->start[3] - 1;
  pending.fd = fds[1];
  fail_unless_equals_int (push_bytes (t.h, s, 0, s->start[3], 0, att, n),
      GST_FLOW_OK);
  fail_unless_equals_int (push_bytes (t.h, s, s->start[3] - 1, s->start[3],
          0, &pending, 1), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (t.h,
          header_only (0xdeadbeef, 0, 0, 0)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  fail_unless_equals_int (gst_harness_buffers_in_queue (t.h), 1);
  gst_buffer_unref (gst_harness_pull (t.h));

  if (flush) {
    fail_unless (gst_harness_push_event (t.h, gst_event_new_flush_start ()));
    fail_unless (gst_harness_push_event (t.h, gst_event_new_flush_stop (TRUE)));
    {
      GstSegment segment;

      gst_segment_init (&segment, GST_FORMAT_TIME);
      fail_unless (gst_harness_push_event (t.h,
              gst_event_new_segment (&segment)));
    }
  } else {
    fail_unless_equals_int (gst_element_set_state (t.h->element,
            GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (t.h->element,
            GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  }

  /* the whole stream again, from the start */
  fail_unless_equals_int (push_stream (t.h, s, 1, att, n), GST_FLOW_OK);
  check_frames (t.h, fds);
  fail_if (gst_bus_pop_filtered (t.bus, GST_MESSAGE_ERROR));

  stream_free (s);
  close_frames (fds);
  hostile_end (&t);
}

GST_START_TEST (test_recover_after_flush)
{
  run_recovery (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_recover_after_ready)
{
  run_recovery (FALSE);
}

GST_END_TEST;

/* An error in one frame's fds does not keep the element from taking the
 * next messages. */
GST_START_TEST (test_recover_after_bad_frame)
{
  Hostile t;
  GstBuffer *buf;
  gint fd, other;

  hostile_begin (&t);
  hostile_push_headers (&t);
  fd = make_memfd (FRAME_SIZE, 0);
  other = make_memfd (FRAME_SIZE, 1);

  buf = make_buffer_msg (fd, 0, FRAME_SIZE, 0);
  attach_fds (buf, &other, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);

  buf = make_buffer_msg (other, 0, FRAME_SIZE, 0);
  attach_fds (buf, &other, 1);
  fail_unless_equals_int (gst_harness_push (t.h, buf), GST_FLOW_OK);
  buf = gst_harness_pull (t.h);
  fail_unless (buffer_has_pattern (buf, 1));
  gst_buffer_unref (buf);

  close (fd);
  close (other);
  hostile_end (&t);
}

GST_END_TEST;

static guint
count_eos_events (GstHarness * h)
{
  GstEvent *event;
  guint n = 0;

  while ((event = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      n++;
    gst_event_unref (event);
  }
  return n;
}

GST_START_TEST (test_eos_message)
{
  guint before = fdpass_check_count_open_fds ();
  GstHarness *h = new_depay_harness (NULL);
  Attachment att[N_FRAMES + 1];
  gint fds[N_FRAMES], late;
  GstBuffer *buf;
  guint n;
  Stream *s;

  make_frames (fds);
  late = make_memfd (FRAME_SIZE, 9);
  s = stream_new_valid (fds);
  stream_add (s, gst_fdpass_message_new_eos (), -1);
  n = attach_at_start (s, att);

  fail_unless_equals_int (push_stream (h, s, 0, att, n), GST_FLOW_EOS);
  check_frames (h, fds);
  fail_unless_equals_int (count_eos_events (h), 1);

  /* anything after it is refused, fds included */
  buf = make_buffer_msg (late, 0, FRAME_SIZE, 0);
  attach_fds (buf, &late, 1);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_EOS);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  /* the EOS event from upstream that follows is not sent a second time */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (count_eos_events (h), 0);

  stream_free (s);
  close_frames (fds);
  close (late);
  teardown_depay_harness (h, NULL);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

/* Without an EOS message, the EOS event goes through as usual. */
GST_START_TEST (test_eos_event_only)
{
  GstHarness *h = new_depay_harness (NULL);
  Attachment att[N_FRAMES];
  gint fds[N_FRAMES];
  Stream *s;

  make_frames (fds);
  s = stream_new_valid (fds);
  fail_unless_equals_int (push_stream (h, s, 0, att, attach_at_start (s,
              att)), GST_FLOW_OK);
  check_frames (h, fds);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (count_eos_events (h), 1);

  stream_free (s);
  close_frames (fds);
  teardown_depay_harness (h, NULL);
}

GST_END_TEST;

GST_START_TEST (test_fd_leak)
{
  guint before = fdpass_check_count_open_fds ();
  GstHarness *h = gst_harness_new_parse ("fdpay ! fddepay");
  guint i, during = 0;

  gst_harness_set_src_caps_str (h, VIDEO_CAPS_STR);

  for (i = 0; i < 1000; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, FRAME_SIZE, NULL);
    GstMapInfo map;

    fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
    fill_pattern (map.data, map.size, i);
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = i * 40 * GST_MSECOND;

    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    buf = gst_harness_pull (h);
    fail_unless (buf != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * 40 * GST_MSECOND);
    if (i % 100 == 0)
      fail_unless (buffer_has_pattern (buf, i));
    gst_buffer_unref (buf);
    fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

    if (i == 10)
      during = fdpass_check_count_open_fds ();
    else if (i > 10 && i % 100 == 0)
      fail_unless_equals_int (fdpass_check_count_open_fds (), during);
  }
  fail_unless_equals_int (fdpass_check_count_open_fds (), during);

  gst_harness_teardown (h);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;


/* Inline frames (protocol 1.3): a buffer message whose @n_memories
 * memories of @size bytes in all follow it, byte i of the data being
 * i * 7 + @seed; without the data when @with_data is FALSE. */
static GstBuffer *
make_inline_frame (guint64 id, gsize size, guint n_memories, guint8 seed,
    gboolean with_data)
{
  GstFdPassBufferInfo info;
  GstBuffer *msg;
  guint8 *data;
  gsize i, offset = 0;

  memset (&info, 0, sizeof (info));
  info.id = id;
  info.pts = id * 40 * GST_MSECOND;
  info.dts = GST_CLOCK_TIME_NONE;
  info.duration = 40 * GST_MSECOND;
  info.offset = GST_BUFFER_OFFSET_NONE;
  info.offset_end = GST_BUFFER_OFFSET_NONE;
  info.n_memories = n_memories;
  for (i = 0; i < n_memories; i++) {
    gsize part = i + 1 < n_memories ? size / n_memories : size - offset;

    info.memories[i].fd_index = GST_FDPASS_INLINE_FD_INDEX;
    info.memories[i].offset = offset;
    info.memories[i].size = part;
    offset += part;
  }
  msg = gst_fdpass_message_new_buffer (&info);

  if (with_data) {
    data = g_malloc (size);
    for (i = 0; i < size; i++)
      data[i] = i * 7 + seed;
    gst_buffer_append_memory (msg, gst_memory_new_wrapped (0, data, size, 0,
            size, data, g_free));
  }

  return msg;
}

static gboolean
check_inline_data (GstBuffer * buf, gsize size, guint8 seed)
{
  GstMapInfo map;
  gboolean ok = TRUE;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  ok = map.size == size;
  for (i = 0; ok && i < size; i++)
    ok = map.data[i] == (guint8) (i * 7 + seed);
  gst_buffer_unmap (buf, &map);

  return ok;
}

/* The @n frames of make_inline_frame (i + 1, FRAME_SIZE, ..., i, TRUE),
 * each in one memfd with its bytes and timestamp. */
static void
pull_inline_frames (GstHarness * h, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_harness_pull (h);

    fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
    fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (buf, 0)));
    fail_unless (check_inline_data (buf, FRAME_SIZE, i));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf),
        (i + 1) * 40 * GST_MSECOND);
    gst_buffer_unref (buf);
  }
}

/* Inline frames arrive in pieces of any size, and come out in memfds with
 * their bytes and timestamps. */
GST_START_TEST (test_inline_frames)
{
  GstHarness *h = new_depay_harness (NULL);
  GstBuffer *stream = gst_buffer_new ();
  GstMapInfo map;
  gsize pos;
  guint i;

  stream = gst_buffer_append (stream,
      make_hello_features (GST_FDPASS_FEATURE_INLINE));
  stream = gst_buffer_append (stream, make_caps (VIDEO_CAPS_STR));
  for (i = 0; i < 3; i++)
    stream = gst_buffer_append (stream, make_inline_frame (i + 1, FRAME_SIZE,
            i + 1, i, TRUE));

  /* in pieces of 1000 bytes, which cut messages and data anywhere */
  fail_unless (gst_buffer_map (stream, &map, GST_MAP_READ));
  for (pos = 0; pos < map.size; pos += 1000) {
    gsize n = MIN (1000, map.size - pos);

    fail_unless_equals_int (gst_harness_push (h,
            gst_buffer_new_memdup (map.data + pos, n)), GST_FLOW_OK);
  }
  gst_buffer_unmap (stream, &map);
  gst_buffer_unref (stream);

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 3);
  pull_inline_frames (h, 3);

  teardown_depay_harness (h, NULL);
}

GST_END_TEST;

/* Each message in a buffer of its own, as unixsocketsrc reads them, with
 * the data of an inline frame in the buffer after its message: the
 * messages are parsed where they are, the data goes through the
 * adapter. */
GST_START_TEST (test_inline_frames_one_message_per_buffer)
{
  GstHarness *h = new_depay_harness (NULL);
  guint i;

  fail_unless_equals_int (gst_harness_push (h,
          make_hello_features (GST_FDPASS_FEATURE_INLINE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, make_caps (VIDEO_CAPS_STR)),
      GST_FLOW_OK);

  for (i = 0; i < 3; i++) {
    GstBuffer *frame = make_inline_frame (i + 1, FRAME_SIZE, 1, i, TRUE);
    GstBuffer *msg = gst_buffer_copy_region (frame, GST_BUFFER_COPY_MEMORY,
        0, gst_buffer_get_size (frame) - FRAME_SIZE);
    GstBuffer *data = gst_buffer_copy_region (frame, GST_BUFFER_COPY_MEMORY,
        gst_buffer_get_size (frame) - FRAME_SIZE, FRAME_SIZE);

    gst_buffer_unref (frame);
    fail_unless_equals_int (gst_harness_push (h, msg), GST_FLOW_OK);
    /* nothing until the data came */
    fail_unless_equals_int (gst_harness_buffers_in_queue (h), i);
    fail_unless_equals_int (gst_harness_push (h, data), GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_buffers_in_queue (h), i + 1);
  }

  pull_inline_frames (h, 3);

  teardown_depay_harness (h, NULL);
}

GST_END_TEST;

/* Inline messages that break the rules of section 4.3.5 of the wire
 * protocol end the stream, before fddepay waits for or allocates data. */
GST_START_TEST (test_hostile_inline)
{
  GstFdPassBufferInfo info;
  Hostile t;
  GstBuffer *msg;
  gint fd;

  /* files with an inline message */
  hostile_begin (&t);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_INLINE);
  fd = make_memfd (FRAME_SIZE, 0);
  memset (&info, 0, sizeof (info));
  info.n_fds = 1;
  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &info.fds[0]));
  info.n_memories = 1;
  info.memories[0].fd_index = GST_FDPASS_INLINE_FD_INDEX;
  info.memories[0].size = FRAME_SIZE;
  msg = gst_fdpass_message_new_buffer (&info);
  attach_fds (msg, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, msg), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);
  hostile_end (&t);

  /* a gap between two memories */
  hostile_begin (&t);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_INLINE);
  memset (&info, 0, sizeof (info));
  info.n_memories = 2;
  info.memories[0].fd_index = GST_FDPASS_INLINE_FD_INDEX;
  info.memories[0].size = 100;
  info.memories[1].fd_index = GST_FDPASS_INLINE_FD_INDEX;
  info.memories[1].offset = 200;
  info.memories[1].size = 100;
  fail_unless_equals_int (gst_harness_push (t.h,
          gst_fdpass_message_new_buffer (&info)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  hostile_end (&t);

  /* a memory of a file after an inline one */
  hostile_begin (&t);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_INLINE);
  info.memories[1].fd_index = 0;
  info.memories[1].offset = 100;
  fail_unless_equals_int (gst_harness_push (t.h,
          gst_fdpass_message_new_buffer (&info)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  hostile_end (&t);

  /* an inline memory in a message without the flag */
  hostile_begin (&t);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_INLINE);
  fd = make_memfd (FRAME_SIZE, 0);
  memset (&info, 0, sizeof (info));
  info.n_fds = 1;
  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &info.fds[0]));
  info.n_memories = 2;
  info.memories[0].size = 100;
  info.memories[1].fd_index = GST_FDPASS_INLINE_FD_INDEX;
  info.memories[1].size = 100;
  msg = gst_fdpass_message_new_buffer (&info);
  attach_fds (msg, &fd, 1);
  fail_unless_equals_int (gst_harness_push (t.h, msg), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  close (fd);
  hostile_end (&t);

  /* more data than a buffer may have: refused before any of it came */
  hostile_begin (&t);
  hostile_push_headers_with (&t, GST_FDPASS_FEATURE_INLINE);
  fail_unless_equals_int (gst_harness_push (t.h, make_inline_frame (1,
              (gsize) 1 << 40, 1, 0, FALSE)), GST_FLOW_ERROR);
  expect_error (t.bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  hostile_end (&t);
}

GST_END_TEST;

/* The stream ends in the middle of an inline frame's data: a warning, no
 * buffer, EOS. */
GST_START_TEST (test_inline_truncated_at_eos)
{
  GstBus *bus;
  GstHarness *h = new_depay_harness (&bus);
  GstBuffer *frame = make_inline_frame (1, FRAME_SIZE, 1, 0, TRUE);
  GstMessage *msg;

  fail_unless_equals_int (gst_harness_push (h,
          make_hello_features (GST_FDPASS_FEATURE_INLINE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, make_caps (VIDEO_CAPS_STR)),
      GST_FLOW_OK);
  /* the message and half of the data */
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_copy_region (frame, GST_BUFFER_COPY_ALL, 0,
              gst_buffer_get_size (frame) - FRAME_SIZE / 2)), GST_FLOW_OK);
  gst_buffer_unref (frame);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  teardown_depay_harness (h, bus);
}

GST_END_TEST;

static Suite *
fddepay_suite (void)
{
  Suite *s = suite_create ("fddepay");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_test (tc_chain, test_roundtrip_copy);
  tcase_add_test (tc_chain, test_segment_starts_at_first_frame);
  tcase_add_test (tc_chain, test_segment_stream_time);
  tcase_add_test (tc_chain, test_sender_segment);
  tcase_add_test (tc_chain, test_sender_segment_running_time);
  tcase_add_test (tc_chain, test_sender_segment_needs_1_2);
  tcase_add_test (tc_chain, test_hostile_segment);
  tcase_add_test (tc_chain, test_hostile_stream_time_far_apart);
  tcase_add_test (tc_chain, test_unsealed_file_is_copied);
  tcase_add_test (tc_chain, test_kept_files);
  tcase_add_test (tc_chain, test_kept_unsealed_file);
  tcase_add_test (tc_chain, test_hostile_kept_files);
  tcase_add_test (tc_chain, test_roundtrip_zero_copy);
  tcase_add_test (tc_chain, test_event_order);
  tcase_add_test (tc_chain, test_framing_bytewise);
  tcase_add_test (tc_chain, test_framing_odd_pieces);
  tcase_add_test (tc_chain, test_framing_merged);
  tcase_add_test (tc_chain, test_duplicate_and_stray_fds);
  tcase_add_test (tc_chain, test_hostile_bad_magic);
  tcase_add_test (tc_chain, test_hostile_payload_too_large);
  tcase_add_test (tc_chain, test_hostile_hello_version);
  tcase_add_test (tc_chain, test_hostile_buffer_before_caps);
  tcase_add_test (tc_chain, test_hostile_pipe_fd);
  tcase_add_test (tc_chain, test_hostile_truncated_memfd);
  tcase_add_test (tc_chain, test_hostile_missing_fd);
  tcase_add_test (tc_chain, test_hostile_wrong_inode);
  tcase_add_test (tc_chain, test_hostile_fds_on_caps);
  tcase_add_test (tc_chain, test_hostile_video_meta_offset);
  tcase_add_test (tc_chain, test_hostile_video_meta_plane_size);
  tcase_add_test (tc_chain, test_unannounced_fds_on_caps);
  tcase_add_test (tc_chain, test_hostile_truncated_at_eos);
  tcase_add_test (tc_chain, test_recover_after_flush);
  tcase_add_test (tc_chain, test_recover_after_ready);
  tcase_add_test (tc_chain, test_recover_after_bad_frame);
  tcase_add_test (tc_chain, test_eos_message);
  tcase_add_test (tc_chain, test_eos_event_only);
  tcase_add_test (tc_chain, test_fd_leak);
  tcase_add_test (tc_chain, test_memory_layouts_mapped);
  tcase_add_test (tc_chain, test_memory_layouts_read);
  tcase_add_test (tc_chain, test_memory_layouts_mapped_unsealed);
  tcase_add_test (tc_chain, test_hostile_short_file_mapped);
  tcase_add_test (tc_chain, test_hostile_short_file_mapped_unsealed);
  tcase_add_test (tc_chain, test_hostile_fake_dmabuf);
  tcase_add_test (tc_chain, test_hostile_huge_sizes);
  tcase_add_test (tc_chain, test_hostile_size_overflow);
  tcase_add_test (tc_chain, test_max_buffer_size_from_caps);
  tcase_add_test (tc_chain, test_hostile_caps);
  tcase_add_test (tc_chain, test_shared_fd_message);
  tcase_add_test (tc_chain, test_fdpay_tee_fddepay);
  tcase_add_test (tc_chain, test_hostile_kept_file_grew);
  tcase_add_test (tc_chain, test_hostile_keep_huge_file);
  tcase_add_test (tc_chain, test_inline_frames);
  tcase_add_test (tc_chain, test_inline_frames_one_message_per_buffer);
  tcase_add_test (tc_chain, test_hostile_inline);
  tcase_add_test (tc_chain, test_inline_truncated_at_eos);

  return s;
}

GST_CHECK_MAIN (fddepay);
