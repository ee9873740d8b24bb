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
#include <gst/fdpass/fdpass.h>
#include <gst/allocators/allocators.h>
#include <gst/net/net.h>
#include <gst/video/video.h>
#include <gio/gunixfdmessage.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../fdpass-check.h"
#include "../../../gst/fdpass/gstfdpassquery.h"

#define VIDEO_CAPS_STR "video/x-raw, format=(string)I420, width=(int)64, " \
    "height=(int)48, framerate=(fraction)25/1"
#define VIDEO_CAPS_STR_SMALL "video/x-raw, format=(string)I420, " \
    "width=(int)32, height=(int)24, framerate=(fraction)25/1"
/* I420 64x48: Y 64x48, U and V 32x24 */
#define FRAME_SIZE (64 * 48 * 3 / 2)

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

static void
fill_pattern (guint8 * data, gsize size, guint seed)
{
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = (guint8) ((i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

static gboolean
check_pattern (const guint8 * data, gsize size, guint seed)
{
  gsize i;

  for (i = 0; i < size; i++) {
    if (data[i] != (guint8) ((i * 31 + seed * 7 + (i >> 8)) & 0xff))
      return FALSE;
  }
  return TRUE;
}

static GstBuffer *
new_pattern_buffer (gsize size, guint seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  fill_pattern (map.data, map.size, seed);
  gst_buffer_unmap (buf, &map);

  return buf;
}

static void
fill_buffer_pattern (GstBuffer * buf, guint seed)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  fill_pattern (map.data, map.size, seed);
  gst_buffer_unmap (buf, &map);
}

/* Parses a whole message buffer. Fills @header and, depending on the type,
 * @info or @caps (either may be NULL). */
static void
parse_message (GstBuffer * msg, GstFdPassHeader * header,
    GstFdPassBufferInfo * info, GstCaps ** caps)
{
  GError *err = NULL;
  GstMapInfo map;
  const guint8 *payload;

  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  fail_unless (gst_fdpass_header_parse (map.data, map.size, header, &err),
      "invalid header: %s", err ? err->message : "");
  fail_unless_equals_int (map.size,
      GST_FDPASS_HEADER_SIZE + header->payload_size);
  payload = map.data + GST_FDPASS_HEADER_SIZE;

  switch (header->type) {
    case GST_FDPASS_MESSAGE_HELLO:{
      GstFdPassHello hello;

      fail_unless (gst_fdpass_hello_parse (payload, header->payload_size,
              &hello, &err));
      fail_unless_equals_int (hello.version_major, GST_FDPASS_VERSION_MAJOR);
      break;
    }
    case GST_FDPASS_MESSAGE_CAPS:
      if (caps) {
        *caps = gst_fdpass_caps_parse (payload, header->payload_size, &err);
        fail_unless (*caps != NULL, "invalid caps: %s",
            err ? err->message : "");
      }
      break;
    case GST_FDPASS_MESSAGE_BUFFER:
      if (info) {
        fail_unless (gst_fdpass_buffer_parse (header, payload,
                header->payload_size, info, &err),
            "invalid buffer message: %s", err ? err->message : "");
      }
      break;
    case GST_FDPASS_MESSAGE_EOS:
      fail_unless_equals_int (header->payload_size, 0);
      break;
    case GST_FDPASS_MESSAGE_SEGMENT:{
      GstSegment segment;

      fail_unless (gst_fdpass_segment_parse (payload, header->payload_size,
              &segment, &err), "invalid segment: %s", err ? err->message : "");
      break;
    }
    default:
      fail ("unexpected message type %u", header->type);
      break;
  }

  gst_buffer_unmap (msg, &map);
}

static guint
message_type (GstBuffer * msg)
{
  GstFdPassHeader header;

  parse_message (msg, &header, NULL, NULL);
  return header.type;
}

/* Returns the fds attached to @msg (transfer none), and their number in
 * @n_fds; NULL and 0 when there are none. */
static const gint *
message_peek_fds (GstBuffer * msg, gint * n_fds)
{
  GstNetControlMessageMeta *meta;
  GUnixFDList *list;
  gpointer state = NULL;
  guint n_metas = 0;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta_filtered (msg, &state,
              GST_NET_CONTROL_MESSAGE_META_API_TYPE)))
    n_metas++;
  fail_unless (n_metas <= 1, "%u control message metas", n_metas);

  meta = (GstNetControlMessageMeta *) gst_buffer_get_meta (msg,
      GST_NET_CONTROL_MESSAGE_META_API_TYPE);
  if (meta == NULL) {
    *n_fds = 0;
    return NULL;
  }

  fail_unless (G_IS_UNIX_FD_MESSAGE (meta->message));
  list = g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (meta->message));
  return g_unix_fd_list_peek_fds (list, n_fds);
}

static void
fd_get_identity (gint fd, guint64 * dev, guint64 * ino)
{
  struct stat st;

  fail_unless (fstat (fd, &st) == 0);
  *dev = st.st_dev;
  *ino = st.st_ino;
}


/* The one fd of buffer message @msg is a read-only memfd holding @size
 * bytes of pattern @seed, and the file of @mem when it is not NULL. */
static void
check_message_read_only (GstBuffer * msg, GstMemory * mem, gsize size,
    guint seed)
{
  GstFdPassHeader header;
  GstFdPassBufferInfo info;
  const gchar *problem;
  const gint *fds;
  guint8 *data;
  struct stat st;
  gint n_fds;

  parse_message (msg, &header, &info, NULL);
  fds = message_peek_fds (msg, &n_fds);
  fail_unless_equals_int (n_fds, 1);
  fail_unless (fdpass_check_fd_is_memfd (fds[0]));
  fail_unless (fstat (fds[0], &st) == 0);
  fail_unless_equals_uint64 (st.st_dev, info.fds[0].dev);
  fail_unless_equals_uint64 (st.st_ino, info.fds[0].ino);
  if (mem) {
    guint64 dev, ino;

    fd_get_identity (gst_fd_memory_get_fd (mem), &dev, &ino);
    fail_unless_equals_uint64 (st.st_dev, dev);
    fail_unless_equals_uint64 (st.st_ino, ino);
  }

  problem = fdpass_check_receiver_write_problem (fds[0]);
  fail_unless (problem == NULL, "%s", problem);

  /* an honest receiver reads the frame */
  data = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, fds[0], 0);
  fail_unless (data != MAP_FAILED);
  fail_unless_equals_uint64 (info.memories[0].size, size);
  fail_unless (check_pattern (data + info.memories[0].offset, size, seed));
  munmap (data, st.st_size);
}

/* Pulls the next buffer message, skipping header messages. */
static GstBuffer *
pull_buffer_message (GstHarness * h)
{
  GstBuffer *msg;

  while ((msg = gst_harness_pull (h))) {
    guint type = message_type (msg);

    if (type == GST_FDPASS_MESSAGE_BUFFER)
      return msg;
    fail_unless (type == GST_FDPASS_MESSAGE_HELLO ||
        type == GST_FDPASS_MESSAGE_CAPS ||
        type == GST_FDPASS_MESSAGE_SEGMENT, "unexpected message type %u",
        type);
    gst_buffer_unref (msg);
  }
  fail ("no buffer message");
  return NULL;
}

static GstHarness *
new_video_harness (void)
{
  GstHarness *h = gst_harness_new ("fdpay");

  gst_harness_set_src_caps_str (h, VIDEO_CAPS_STR);
  return h;
}

/* Runs an ALLOCATION query on fdpay's sink pad, as an upstream element
 * would. */
static GstQuery *
query_allocation (GstHarness * h, const gchar * caps_str)
{
  GstCaps *caps = gst_caps_from_string (caps_str);
  GstQuery *query = gst_query_new_allocation (caps, TRUE);

  fail_unless (gst_pad_peer_query (h->srcpad, query));
  gst_caps_unref (caps);

  return query;
}

/* Takes the pool fdpay proposes for the video caps and activates it. */
static GstBufferPool *
get_proposed_pool (GstHarness * h)
{
  GstQuery *query = query_allocation (h, VIDEO_CAPS_STR);
  GstBufferPool *pool = NULL;
  guint size, min, max;

  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
  gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  fail_unless (pool != NULL);
  gst_query_unref (query);

  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  return pool;
}

static gint
pool_buffer_fd (GstBuffer * buf)
{
  GstMemory *mem;

  fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
  mem = gst_buffer_peek_memory (buf, 0);
  fail_unless (gst_is_fd_memory (mem));
  return gst_fd_memory_get_fd (mem);
}

/* tests */

GST_START_TEST (test_headers)
{
  GstHarness *h = new_video_harness ();
  GstCaps *incaps = gst_caps_from_string (VIDEO_CAPS_STR);
  GstCaps *smallcaps = gst_caps_from_string (VIDEO_CAPS_STR_SMALL);
  GstCaps *srccaps, *caps = NULL;
  const GstStructure *s;
  const GValue *sh;
  GstBuffer *hello, *capsmsg, *segmsg, *msg;
  GstFdPassHeader header;
  GstFdPassBufferInfo info;

  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 0)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 4);

  hello = gst_harness_pull (h);
  parse_message (hello, &header, NULL, NULL);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_HELLO);
  fail_unless_equals_int (header.n_fds, 0);
  fail_unless (GST_BUFFER_FLAG_IS_SET (hello, GST_BUFFER_FLAG_HEADER));

  capsmsg = gst_harness_pull (h);
  parse_message (capsmsg, &header, NULL, &caps);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_CAPS);
  fail_unless (GST_BUFFER_FLAG_IS_SET (capsmsg, GST_BUFFER_FLAG_HEADER));
  fail_unless (gst_caps_is_equal (caps, incaps), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);

  /* the harness's segment */
  segmsg = gst_harness_pull (h);
  parse_message (segmsg, &header, NULL, NULL);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_SEGMENT);
  fail_unless (GST_BUFFER_FLAG_IS_SET (segmsg, GST_BUFFER_FLAG_HEADER));

  msg = gst_harness_pull (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_BUFFER);
  fail_if (GST_BUFFER_FLAG_IS_SET (msg, GST_BUFFER_FLAG_HEADER));
  gst_buffer_unref (msg);

  /* the same three headers are the streamheader of the source caps */
  srccaps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (srccaps != NULL);
  fail_unless_equals_int (gst_caps_get_size (srccaps), 1);
  s = gst_caps_get_structure (srccaps, 0);
  fail_unless (gst_structure_has_name (s, "application/x-fdpass"));
  sh = gst_structure_get_value (s, "streamheader");
  fail_unless (sh != NULL && GST_VALUE_HOLDS_ARRAY (sh));
  fail_unless_equals_int (gst_value_array_get_size (sh), 3);
  {
    GstBuffer *sh0 = gst_value_get_buffer (gst_value_array_get_value (sh, 0));
    GstBuffer *sh1 = gst_value_get_buffer (gst_value_array_get_value (sh, 1));
    GstBuffer *sh2 = gst_value_get_buffer (gst_value_array_get_value (sh, 2));
    GstMapInfo map;

    fail_unless (gst_buffer_map (hello, &map, GST_MAP_READ));
    fail_unless_equals_int (gst_buffer_get_size (sh0), map.size);
    fail_unless (gst_buffer_memcmp (sh0, 0, map.data, map.size) == 0);
    gst_buffer_unmap (hello, &map);

    fail_unless (gst_buffer_map (capsmsg, &map, GST_MAP_READ));
    fail_unless_equals_int (gst_buffer_get_size (sh1), map.size);
    fail_unless (gst_buffer_memcmp (sh1, 0, map.data, map.size) == 0);
    gst_buffer_unmap (capsmsg, &map);

    fail_unless (gst_buffer_map (segmsg, &map, GST_MAP_READ));
    fail_unless_equals_int (gst_buffer_get_size (sh2), map.size);
    fail_unless (gst_buffer_memcmp (sh2, 0, map.data, map.size) == 0);
    gst_buffer_unmap (segmsg, &map);
  }
  gst_caps_unref (srccaps);
  gst_buffer_unref (hello);
  gst_buffer_unref (capsmsg);
  gst_buffer_unref (segmsg);

  /* no headers for the next buffer with the same caps (the
   * NEED_RECONFIGURE flag set when the pads were linked must not send them
   * again) */
  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 1)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  msg = gst_harness_pull (h);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_BUFFER);
  gst_buffer_unref (msg);

  /* a caps change sends the new caps before the next buffer */
  gst_harness_set_src_caps (h, gst_caps_ref (smallcaps));
  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (32 * 24 * 3 / 2, 2)), GST_FLOW_OK);
  msg = gst_harness_pull (h);
  if (message_type (msg) == GST_FDPASS_MESSAGE_HELLO) {
    gst_buffer_unref (msg);
    msg = gst_harness_pull (h);
  }
  caps = NULL;
  parse_message (msg, &header, NULL, &caps);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_CAPS);
  fail_unless (gst_caps_is_equal (caps, smallcaps), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  gst_buffer_unref (msg);

  /* the segment, unchanged, goes with the other headers */
  msg = gst_harness_pull (h);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_SEGMENT);
  gst_buffer_unref (msg);

  msg = gst_harness_pull (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_BUFFER);
  fail_unless_equals_int (info.memories[0].size, 32 * 24 * 3 / 2);
  gst_buffer_unref (msg);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  /* and the streamheader follows */
  srccaps = gst_pad_get_current_caps (h->sinkpad);
  sh = gst_structure_get_value (gst_caps_get_structure (srccaps, 0),
      "streamheader");
  fail_unless_equals_int (gst_value_array_get_size (sh), 3);
  {
    GstBuffer *sh1 = gst_value_get_buffer (gst_value_array_get_value (sh, 1));

    caps = NULL;
    parse_message (sh1, &header, NULL, &caps);
    fail_unless (gst_caps_is_equal (caps, smallcaps));
    gst_caps_unref (caps);
  }
  gst_caps_unref (srccaps);

  gst_caps_unref (incaps);
  gst_caps_unref (smallcaps);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_copy_path)
{
  GstHarness *h = new_video_harness ();
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, 64 * 48, 64 * 48 + 32 * 24, 0 };
  gint strides[GST_VIDEO_MAX_PLANES] = { 64, 32, 32, 0 };
  GstBufferFlags flags = GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_DELTA_UNIT
      | GST_BUFFER_FLAG_MARKER;
  GstFdPassHeader header;
  GstFdPassBufferInfo info;
  GstBuffer *buf, *msg;
  const gint *fds;
  gint n_fds, seals;
  struct stat st;
  guint8 *data;
  guint i;

  buf = new_pattern_buffer (FRAME_SIZE, 42);
  GST_BUFFER_PTS (buf) = 10 * GST_SECOND;
  GST_BUFFER_DTS (buf) = 9 * GST_SECOND;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  GST_BUFFER_OFFSET (buf) = 250;
  GST_BUFFER_OFFSET_END (buf) = 251;
  GST_BUFFER_FLAG_SET (buf, flags);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_I420, 64, 48, 3, offsets, strides);

  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);

  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_BUFFER);
  fail_unless_equals_int (header.n_fds, 1);
  fail_unless_equals_int (info.n_fds, 1);
  fail_unless_equals_int (info.n_memories, 1);
  fail_unless_equals_int (info.memories[0].fd_index, 0);
  fail_unless_equals_int (info.memories[0].size, FRAME_SIZE);
  fail_unless_equals_uint64 (info.pts, 10 * GST_SECOND);
  fail_unless_equals_uint64 (info.dts, 9 * GST_SECOND);
  fail_unless_equals_uint64 (info.duration, 40 * GST_MSECOND);
  fail_unless_equals_uint64 (info.offset, 250);
  fail_unless_equals_uint64 (info.offset_end, 251);
  fail_unless_equals_int (info.flags & flags, flags);
  fail_unless (GST_BUFFER_FLAG_IS_SET (msg, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (msg), 10 * GST_SECOND);

  fail_unless (info.has_video_meta);
  fail_unless_equals_int (info.video.format, GST_VIDEO_FORMAT_I420);
  fail_unless_equals_int (info.video.width, 64);
  fail_unless_equals_int (info.video.height, 48);
  fail_unless_equals_int (info.video.n_planes, 3);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_uint64 (info.video.offset[i], offsets[i]);
    fail_unless_equals_int (info.video.stride[i], strides[i]);
  }

  fds = message_peek_fds (msg, &n_fds);
  fail_unless_equals_int (n_fds, 1);
  fail_unless (fdpass_check_fd_is_memfd (fds[0]));
  fail_unless (fstat (fds[0], &st) == 0);
  fail_unless (S_ISREG (st.st_mode));
  fail_unless_equals_uint64 (st.st_ino, info.fds[0].ino);
  fail_unless_equals_uint64 (st.st_dev, info.fds[0].dev);
  fail_unless ((guint64) st.st_size >= info.memories[0].offset + FRAME_SIZE);

  seals = fcntl (fds[0], F_GET_SEALS);
  fail_unless (seals >= 0);
  fail_unless ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) ==
      (F_SEAL_SHRINK | F_SEAL_GROW), "seals 0x%x", seals);
  /* a receiver cannot shrink it under another receiver's feet */
  fail_unless (ftruncate (fds[0], 0) < 0);

  data = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, fds[0], 0);
  fail_unless (data != MAP_FAILED);
  fail_unless (check_pattern (data + info.memories[0].offset, FRAME_SIZE, 42));
  munmap (data, st.st_size);

  fail_unless_equals_uint64 (get_stat (h->element, "buffers"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "bytes"), FRAME_SIZE);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 0);

  gst_buffer_unref (msg);

  /* without video meta there is none in the message */
  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 43)), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_if (info.has_video_meta);
  fail_unless_equals_uint64 (info.pts, GST_CLOCK_TIME_NONE);
  gst_buffer_unref (msg);

  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 2);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* A buffer of two system memories is copied into one memfd, in order. */
GST_START_TEST (test_copy_path_multi_memory)
{
  GstHarness *h = gst_harness_new ("fdpay");
  GstFdPassHeader header;
  GstFdPassBufferInfo info;
  GstBuffer *buf, *part, *msg;
  const gint *fds;
  gint n_fds;
  guint8 *data;
  struct stat st;

  gst_harness_set_src_caps_str (h, "application/octet-stream");

  buf = new_pattern_buffer (1000, 5);
  part = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, 0, 300);
  gst_buffer_append (part, gst_buffer_copy_region (buf,
          GST_BUFFER_COPY_MEMORY, 300, 700));
  gst_buffer_unref (buf);
  buf = gst_buffer_copy_deep (part);
  gst_buffer_unref (part);
  fail_unless_equals_int (gst_buffer_n_memory (buf), 2);

  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 4);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (info.n_fds, 1);
  fail_unless_equals_int (info.n_memories, 1);
  fail_unless_equals_uint64 (info.memories[0].size, 1000);

  fds = message_peek_fds (msg, &n_fds);
  fail_unless_equals_int (n_fds, 1);
  fail_unless (fstat (fds[0], &st) == 0);
  data = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, fds[0], 0);
  fail_unless (data != MAP_FAILED);
  fail_unless (check_pattern (data + info.memories[0].offset, 1000, 5));
  munmap (data, st.st_size);
  gst_buffer_unref (msg);

  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_zero_copy_path)
{
  GstHarness *h = new_video_harness ();
  GstBufferPool *pool = get_proposed_pool (h);
  const guint n_frames = 5;
  guint i;

  for (i = 0; i < n_frames; i++) {
    GstBuffer *buf = NULL, *msg;
    GstFdPassHeader header;
    GstFdPassBufferInfo info;
    guint64 dev, ino;
    const gint *fds;
    gint n_fds;
    gsize mem_offset;
    guint8 *data;
    struct stat st;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    fail_unless (gst_is_tmp_file_memory (gst_buffer_peek_memory (buf, 0)));
    fd_get_identity (pool_buffer_fd (buf), &dev, &ino);
    mem_offset = gst_buffer_peek_memory (buf, 0)->offset;
    fill_buffer_pattern (buf, 100 + i);
    GST_BUFFER_PTS (buf) = i * 40 * GST_MSECOND;

    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    msg = pull_buffer_message (h);
    parse_message (msg, &header, &info, NULL);
    fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_BUFFER);
    fail_unless_equals_int (info.n_fds, 1);
    fail_unless_equals_int (info.n_memories, 1);
    fail_unless_equals_uint64 (info.fds[0].ino, ino);
    fail_unless_equals_uint64 (info.fds[0].dev, dev);
    fail_unless_equals_uint64 (info.memories[0].offset, mem_offset);
    fail_unless_equals_uint64 (info.memories[0].size, FRAME_SIZE);
    fail_unless_equals_uint64 (info.pts, i * 40 * GST_MSECOND);
    /* the pool adds a video meta, which travels along */
    fail_unless (info.has_video_meta);
    fail_unless_equals_int (info.video.width, 64);

    /* the fd in the message is the very file the pool allocated */
    fds = message_peek_fds (msg, &n_fds);
    fail_unless_equals_int (n_fds, 1);
    fail_unless (fstat (fds[0], &st) == 0);
    fail_unless_equals_uint64 (st.st_ino, ino);
    fail_unless_equals_uint64 (st.st_dev, dev);
    fail_unless (fdpass_check_fd_is_memfd (fds[0]));

    data = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, fds[0], 0);
    fail_unless (data != MAP_FAILED);
    fail_unless (check_pattern (data + mem_offset, FRAME_SIZE, 100 + i));
    munmap (data, st.st_size);
    gst_buffer_unref (msg);
  }

  fail_unless_equals_uint64 (get_stat (h->element, "buffers"), n_frames);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 0);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"),
      n_frames);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* fd-backed memory of a pool fdpay did not propose is copied: that pool
 * would overwrite it while a receiver maps it. */
GST_START_TEST (test_foreign_pool_copied)
{
  GstHarness *h = new_video_harness ();
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstBufferPool *pool = gst_video_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string (VIDEO_CAPS_STR);
  GstBuffer *buf = NULL, *msg;
  GstFdPassBufferInfo info;
  GstFdPassHeader header;
  guint64 dev, ino;

  gst_buffer_pool_config_set_params (config, caps, FRAME_SIZE, 0, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fd_get_identity (pool_buffer_fd (buf), &dev, &ino);
  fill_buffer_pattern (buf, 7);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (info.n_fds, 1);
  fail_if (info.fds[0].ino == ino && info.fds[0].dev == dev);
  gst_buffer_unref (msg);

  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 0);

  /* unless the user takes the risk */
  g_object_set (h->element, "zero-copy-foreign-pools", TRUE, NULL);
  buf = NULL;
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fd_get_identity (pool_buffer_fd (buf), &dev, &ino);
  fill_buffer_pattern (buf, 8);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (info.n_fds, 1);
  fail_unless_equals_uint64 (info.fds[0].ino, ino);
  fail_unless_equals_uint64 (info.fds[0].dev, dev);
  gst_buffer_unref (msg);

  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 1);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A copy of a buffer of a foreign pool shares its memory, but has no pool:
 * the pool gets the memory back once the original is released and writes
 * the next frame into it, while the receiver may still map it.
 * fdpay must copy it. */
GST_START_TEST (test_foreign_pool_buffer_copy)
{
  GstHarness *h = new_video_harness ();
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstBufferPool *pool = gst_video_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string (VIDEO_CAPS_STR);
  GstBuffer *buf = NULL, *copy, *msg;
  GstFdPassBufferInfo info;
  GstFdPassHeader header;
  const gint *fds;
  gint n_fds, held_fd;
  guint8 *held;
  struct stat st;

  gst_buffer_pool_config_set_params (config, caps, FRAME_SIZE, 1, 1);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  /* what gst_buffer_make_writable() does to a buffer also held elsewhere,
   * by a tee branch say */
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fill_buffer_pattern (buf, 1);
  copy = gst_buffer_copy (buf);
  fail_unless (copy->pool == NULL);
  fail_unless (gst_buffer_peek_memory (copy, 0) ==
      gst_buffer_peek_memory (buf, 0));

  fail_unless_equals_int (gst_harness_push (h, copy), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fds = message_peek_fds (msg, &n_fds);
  fail_unless_equals_int (n_fds, 1);
  held_fd = dup (fds[0]);
  gst_buffer_unref (msg);
  fail_unless (fstat (held_fd, &st) == 0);
  held = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, held_fd, 0);
  fail_unless (held != MAP_FAILED);

  /* the original goes back to its pool, which hands it out again */
  gst_buffer_unref (buf);
  buf = NULL;
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fill_buffer_pattern (buf, 2);
  gst_buffer_unref (buf);

  fail_unless (check_pattern (held + info.memories[0].offset, FRAME_SIZE, 1),
      "the frame the receiver holds was overwritten by its pool");
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);

  munmap (held, st.st_size);
  close (held_fd);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_allocation_query)
{
  GstHarness *h = new_video_harness ();
  GstQuery *query;
  GstBufferPool *pool = NULL;
  GstAllocator *allocator = NULL;
  GstAllocationParams params;
  GstStructure *config;
  GstCaps *caps = NULL;
  guint size, min, max, idx;

  /* video caps: a video pool of our allocator, the allocator, video meta */
  query = query_allocation (h, VIDEO_CAPS_STR);

  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
  gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  fail_unless (pool != NULL);
  fail_unless (GST_IS_VIDEO_BUFFER_POOL (pool));
  fail_unless (G_OBJECT_TYPE (pool) != GST_TYPE_VIDEO_BUFFER_POOL);
  fail_unless_equals_int (size, FRAME_SIZE);
  /* avdec and friends need a pool that can grow */
  fail_unless (max == 0 || max >= 32, "max %u", max);

  config = gst_buffer_pool_get_config (pool);
  fail_unless (gst_buffer_pool_config_get_allocator (config, &allocator, NULL));
  fail_unless (GST_IS_TMP_FILE_ALLOCATOR (allocator));
  fail_unless (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_VIDEO_META));
  fail_unless (gst_buffer_pool_config_get_params (config, &caps, &size, &min,
          &max));
  fail_unless_equals_int (size, FRAME_SIZE);
  gst_structure_free (config);
  fail_unless (gst_buffer_pool_has_option (pool,
          GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT));
  gst_object_unref (pool);

  fail_unless (gst_query_get_n_allocation_params (query) >= 1);
  gst_query_parse_nth_allocation_param (query, 0, &allocator, &params);
  fail_unless (allocator != NULL);
  fail_unless (GST_IS_TMP_FILE_ALLOCATOR (allocator));
  gst_object_unref (allocator);

  fail_unless (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE,
          &idx));
  gst_query_unref (query);

  /* not video: only the allocator */
  query = query_allocation (h, "application/octet-stream");
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 0);
  fail_unless_equals_int (gst_query_get_n_allocation_params (query), 1);
  gst_query_parse_nth_allocation_param (query, 0, &allocator, &params);
  fail_unless (GST_IS_TMP_FILE_ALLOCATOR (allocator));
  gst_object_unref (allocator);
  fail_if (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE,
          NULL));
  gst_query_unref (query);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* A receiver may keep a frame mapped for as long as it likes: the pool must
 * never hand out that memory again. */
GST_START_TEST (test_held_frame_not_recycled)
{
  GstHarness *h = new_video_harness ();
  GstBufferPool *pool = get_proposed_pool (h);
  GstBuffer *buf = NULL, *msg;
  GstFdPassHeader header;
  GstFdPassBufferInfo info;
  guint64 dev0, ino0;
  GHashTable *inodes;
  const gint *fds;
  gint n_fds, held_fd;
  gsize held_offset;
  guint8 *held;
  struct stat st;
  guint i;

  inodes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  /* frame 0 */
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fd_get_identity (pool_buffer_fd (buf), &dev0, &ino0);
  fill_buffer_pattern (buf, 0);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_uint64 (info.fds[0].ino, ino0);
  held_offset = info.memories[0].offset;

  /* keep it as a receiver would: its own fd, mapped read-only */
  fds = message_peek_fds (msg, &n_fds);
  fail_unless_equals_int (n_fds, 1);
  held_fd = dup (fds[0]);
  fail_unless (held_fd >= 0);
  gst_buffer_unref (msg);
  fail_unless (fstat (held_fd, &st) == 0);
  held = mmap (NULL, st.st_size, PROT_READ, MAP_SHARED, held_fd, 0);
  fail_unless (held != MAP_FAILED);
  fail_unless (check_pattern (held + held_offset, FRAME_SIZE, 0));

  /* 50 more frames from the same pool, each its own pattern */
  for (i = 1; i <= 50; i++) {
    guint64 dev, ino;
    gint64 *key;

    buf = NULL;
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    fd_get_identity (pool_buffer_fd (buf), &dev, &ino);
    /* sent buffers are discarded, never handed out again */
    fail_if (dev == dev0 && ino == ino0, "frame %u reuses frame 0's file", i);
    key = g_new (gint64, 1);
    *key = ino;
    fail_if (g_hash_table_contains (inodes, key),
        "frame %u reuses the file of an earlier frame", i);
    g_hash_table_add (inodes, key);

    fill_buffer_pattern (buf, i);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    msg = pull_buffer_message (h);
    parse_message (msg, &header, &info, NULL);
    fail_unless_equals_uint64 (info.fds[0].ino, ino);
    gst_buffer_unref (msg);

    fail_unless (check_pattern (held + held_offset, FRAME_SIZE, 0),
        "frame 0 was overwritten by frame %u", i);
  }

  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 51);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 0);

  munmap (held, st.st_size);
  close (held_fd);
  g_hash_table_destroy (inodes);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
on_pad_added (GstElement * decodebin, GstPad * pad, GstElement * pay)
{
  GstPad *sinkpad = gst_element_get_static_pad (pay, "sink");

  if (!gst_pad_is_linked (sinkpad))
    fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
}

static GstPadProbeReturn
count_pooled (GstPad * pad, GstPadProbeInfo * info, guint * n_pooled)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (buf->pool && g_str_equal (G_OBJECT_TYPE_NAME (buf->pool),
          "GstFdPayPool"))
    (*n_pooled)++;
  return GST_PAD_PROBE_OK;
}

/* A decoder that writes into the pool fdpay proposes makes the whole path
 * zero copy.
 *
 * With GStreamer 1.22, avdec keeps the frames libav still references mapped
 * for writing, so when GstVideoDecoder makes such an output buffer writable
 * (gst_video_decoder_finish_frame() -> gst_buffer_make_writable()) the
 * memory cannot be shared and is copied with gst_memory_copy(), that is
 * into a fresh memfd of our allocator. Only frames that libav no longer
 * references reach fdpay as the pool's own buffers. fdpay itself copies
 * nothing either way, which is what the stats count. */
GST_START_TEST (test_decodebin_zero_copy)
{
  const gchar *needed[] = { "x264enc", "h264parse", "avdec_h264" };
  GstElement *pipeline, *decodebin, *pay;
  GstMessage *msg;
  GError *err = NULL;
  GstBus *bus;
  GstPad *sinkpad;
  guint i, n_pooled = 0;

  /* libav's dependencies use instructions that valgrind does not know
   * (libhwy's rdtscp) and die of SIGILL when the decoder is loaded */
  if (g_strrstr (GST_STR_NULL (g_getenv ("LD_PRELOAD")), "vgpreload")) {
    g_printerr ("test_decodebin_zero_copy: under valgrind, skipping\n");
    return;
  }

  for (i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *f = gst_element_factory_find (needed[i]);

    if (f == NULL) {
      GST_WARNING ("%s not available, skipping", needed[i]);
      g_printerr ("test_decodebin_zero_copy: %s not available, skipping\n",
          needed[i]);
      return;
    }
    gst_object_unref (f);
  }

  pipeline = gst_parse_launch ("videotestsrc num-buffers=30 ! "
      "video/x-raw,width=320,height=240,format=I420,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=10 ! "
      "h264parse ! decodebin name=dec  fdpay name=pay ! fakesink", &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  decodebin = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), pay);
  sinkpad = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) count_pooled, &n_pooled, NULL);
  gst_object_unref (sinkpad);

  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg), err->message,
        dbg);
  }
  gst_message_unref (msg);

  fail_unless_equals_uint64 (get_stat (pay, "buffers"), 30);
  /* the decoder's frames may be padded */
  fail_unless (get_stat (pay, "bytes") >= 30 * 320 * 240 * 3 / 2);
  fail_unless_equals_uint64 (get_stat (pay, "copies"), 0);
  fail_unless_equals_uint64 (get_stat (pay, "zero-copy-buffers"), 30);
  /* the decoder did render into our pool */
  GST_INFO ("%u of 30 frames came straight from the proposed pool", n_pooled);
  fail_unless (n_pooled >= 1);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (decodebin);
  gst_object_unref (pay);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static GstPadProbeReturn
record_dataflow (GstPad * pad, GstPadProbeInfo * info, GString * log)
{
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    g_string_append_printf (log, "buffer:%u ",
        message_type (GST_PAD_PROBE_INFO_BUFFER (info)));
  } else if (GST_PAD_PROBE_INFO_TYPE (info) &
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      g_string_append (log, "eos ");
  }
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_eos)
{
  GstHarness *h = new_video_harness ();
  GString *log = g_string_new (NULL);
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  GstBuffer *msg;
  GstEvent *event;
  gboolean got_eos = FALSE;

  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      (GstPadProbeCallback) record_dataflow, log, NULL);

  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 0)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  fail_unless_equals_string (log->str, "buffer:1 buffer:2 buffer:7 buffer:3 "
      "buffer:4 eos ");

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 5);
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));
  msg = gst_harness_pull (h);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_EOS);
  fail_unless_equals_int (gst_buffer_get_size (msg), GST_FDPASS_HEADER_SIZE);
  gst_buffer_unref (msg);

  while ((event = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      got_eos = TRUE;
    gst_event_unref (event);
  }
  fail_unless (got_eos);

  gst_object_unref (srcpad);
  g_string_free (log, TRUE);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* EOS before any buffer still gets the headers out first, so that the
 * receiver knows what stream ended. */
GST_START_TEST (test_eos_without_buffers)
{
  GstHarness *h = new_video_harness ();
  GstBuffer *msg;

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 4);
  msg = gst_harness_pull (h);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_HELLO);
  gst_buffer_unref (msg);
  msg = gst_harness_pull (h);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_CAPS);
  gst_buffer_unref (msg);
  msg = gst_harness_pull (h);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_SEGMENT);
  gst_buffer_unref (msg);
  msg = gst_harness_pull (h);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_EOS);
  gst_buffer_unref (msg);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_not_negotiated)
{
  GstHarness *h = gst_harness_new ("fdpay");
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (h->element, bus);

  {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  }
  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (100, 0)), GST_FLOW_NOT_NEGOTIATED);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_empty_buffer)
{
  GstHarness *h = new_video_harness ();
  GstFdPassHeader header;
  GstFdPassBufferInfo info;
  GstBuffer *buf, *msg;
  gint n_fds = -1;

  buf = gst_buffer_new ();
  GST_BUFFER_PTS (buf) = 5 * GST_SECOND;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 4);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_BUFFER);
  fail_unless_equals_int (header.n_fds, 0);
  fail_unless_equals_int (info.n_fds, 0);
  fail_unless_equals_int (info.n_memories, 0);
  fail_unless_equals_uint64 (info.pts, 5 * GST_SECOND);
  fail_unless (message_peek_fds (msg, &n_fds) == NULL);
  fail_unless_equals_int (n_fds, 0);
  gst_buffer_unref (msg);

  /* a zero-sized memory is not worth a file either */
  buf = gst_buffer_new_allocate (NULL, 0, NULL);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (info.n_fds, 0);
  fail_unless_equals_int (info.n_memories, 0);
  gst_buffer_unref (msg);

  fail_unless_equals_uint64 (get_stat (h->element, "buffers"), 2);
  fail_unless_equals_uint64 (get_stat (h->element, "bytes"), 0);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 0);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_fd_leak)
{
  GstHarness *h;
  guint before, after, i;

  before = fdpass_check_count_open_fds ();

  h = new_video_harness ();
  for (i = 0; i < 1000; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, FRAME_SIZE, NULL);

    gst_buffer_memset (buf, 0, i & 0xff, FRAME_SIZE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    while ((buf = gst_harness_try_pull (h)))
      gst_buffer_unref (buf);

    if (i == 500)
      fail_unless (fdpass_check_count_open_fds () <= before + 8,
          "%u fds open after 500 buffers, %u before",
          fdpass_check_count_open_fds (), before);
  }
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1000);
  gst_harness_teardown (h);

  after = fdpass_check_count_open_fds ();
  fail_unless_equals_int (after, before);
}

GST_END_TEST;

/* release mode: the sink downstream tells fdpay when receivers are done */

static GstPadProbeReturn
answer_release_query (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (!gst_fdpass_query_is_release (query))
    return GST_PAD_PROBE_OK;

  gst_fdpass_release_query_set_supported (query, TRUE);
  return GST_PAD_PROBE_HANDLED;
}

static GstHarness *
new_release_harness (void)
{
  GstHarness *h = gst_harness_new ("fdpay");

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      answer_release_query, NULL, NULL);
  gst_harness_set_src_caps_str (h, VIDEO_CAPS_STR);
  return h;
}

static guint32
pull_hello_features (GstHarness * h)
{
  GstBuffer *msg = gst_harness_pull (h);
  GstFdPassHello hello;
  GstMapInfo map;

  fail_unless (msg != NULL);
  fail_unless_equals_int (message_type (msg), GST_FDPASS_MESSAGE_HELLO);
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  fail_unless (gst_fdpass_hello_parse (map.data + GST_FDPASS_HEADER_SIZE,
          map.size - GST_FDPASS_HEADER_SIZE, &hello, NULL));
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);

  return hello.features;
}

/* maps the memfd of a buffer message read-only, as a receiver would */
static guint8 *
map_message (GstBuffer * msg, gint * fd, gsize * maplen, gsize * offset)
{
  GstFdPassHeader header;
  GstFdPassBufferInfo info;
  const gint *fds;
  gint n_fds;
  struct stat st;
  guint8 *data;

  parse_message (msg, &header, &info, NULL);
  fds = message_peek_fds (msg, &n_fds);
  fail_unless_equals_int (n_fds, 1);
  *fd = dup (fds[0]);
  fail_unless (fstat (*fd, &st) == 0);
  *maplen = st.st_size;
  *offset = info.memories[0].offset;
  data = mmap (NULL, *maplen, PROT_READ, MAP_SHARED, *fd, 0);
  fail_unless (data != MAP_FAILED);

  return data;
}

GST_START_TEST (test_release_copy_path_reuses_memfds)
{
  GstHarness *h = new_release_harness ();
  guint fds_before = fdpass_check_count_open_fds ();
  guint i;

  for (i = 0; i < 100; i++) {
    GstBuffer *msg;
    gsize maplen, offset;
    guint8 *data;
    gint fd;

    fail_unless_equals_int (gst_harness_push (h,
            new_pattern_buffer (FRAME_SIZE, i)), GST_FLOW_OK);
    if (i == 0)
      fail_unless (pull_hello_features (h) & GST_FDPASS_FEATURE_RELEASE);
    msg = pull_buffer_message (h);
    /* the message keeps the frame alive until it is released */
    fail_unless (gst_buffer_get_parent_buffer_meta (msg) != NULL);
    data = map_message (msg, &fd, &maplen, &offset);
    fail_unless (check_pattern (data + offset, FRAME_SIZE, i));
    munmap (data, maplen);
    close (fd);
    /* released by every receiver */
    gst_buffer_unref (msg);
  }

  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 100);
  /* steady state: the same memfd goes round */
  fail_unless (get_stat (h->element, "memfds-created") <= 2);
  fail_unless (get_stat (h->element, "memfds-reused") >= 98);

  gst_harness_teardown (h);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_END_TEST;

GST_START_TEST (test_release_held_frames_not_reused)
{
  GstHarness *h = new_release_harness ();
  GstBufferPool *pool = get_proposed_pool (h);
  GstBuffer *held[5];
  guint8 *held_data[5];
  gsize held_len[5], held_offset[5];
  gint held_fd[5];
  guint64 held_ino[5];
  guint64 created;
  guint i, j;

  for (i = 0; i < 25; i++) {
    GstBuffer *buf = NULL, *msg;
    guint64 dev, ino;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    fd_get_identity (pool_buffer_fd (buf), &dev, &ino);
    /* a frame a receiver still holds is never handed out again */
    for (j = 0; j < MIN (i, 5); j++)
      fail_if (ino == held_ino[j], "frame %u reuses held frame %u", i, j);
    fill_buffer_pattern (buf, i);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    msg = pull_buffer_message (h);

    if (i < 5) {
      held[i] = msg;
      held_ino[i] = ino;
      held_data[i] = map_message (msg, &held_fd[i], &held_len[i],
          &held_offset[i]);
    } else {
      gst_buffer_unref (msg);
    }

    for (j = 0; j < MIN (i + 1, 5); j++)
      fail_unless (check_pattern (held_data[j] + held_offset[j], FRAME_SIZE,
              j), "held frame %u overwritten by frame %u", j, i);
  }

  /* 5 held and at most a couple going round */
  created = get_stat (h->element, "memfds-created");
  fail_unless (created <= 8, "%" G_GUINT64_FORMAT " memfds", created);

  /* released: their memory goes back to the pool */
  for (j = 0; j < 5; j++) {
    munmap (held_data[j], held_len[j]);
    close (held_fd[j]);
    gst_buffer_unref (held[j]);
  }
  for (i = 0; i < 20; i++) {
    GstBuffer *buf = NULL;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    fill_buffer_pattern (buf, 100 + i);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    gst_buffer_unref (pull_buffer_message (h));
  }
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-created"), created);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 45);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 0);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A message holds its buffer until the receivers released it, but that
 * does not make a foreign pool safe: a receiver that never releases, or that
 * goes away while holding the frame, may still map it when the pool hands
 * it out again, and nothing stops that pool. Copied, unless the user takes
 * the risk. */
GST_START_TEST (test_release_foreign_pool_copied)
{
  GstHarness *h = new_release_harness ();
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstBufferPool *pool = gst_video_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string (VIDEO_CAPS_STR);
  GstBuffer *buf = NULL, *msg;
  GstFdPassBufferInfo info;
  GstFdPassHeader header;
  guint64 dev, ino;

  gst_buffer_pool_config_set_params (config, caps, FRAME_SIZE, 0, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fd_get_identity (pool_buffer_fd (buf), &dev, &ino);
  fill_buffer_pattern (buf, 7);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless (pull_hello_features (h) & GST_FDPASS_FEATURE_RELEASE);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_if (info.fds[0].ino == ino && info.fds[0].dev == dev);
  check_message_read_only (msg, NULL, FRAME_SIZE, 7);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 0);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);
  gst_buffer_unref (msg);

  g_object_set (h->element, "zero-copy-foreign-pools", TRUE, NULL);
  buf = NULL;
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fd_get_identity (pool_buffer_fd (buf), &dev, &ino);
  fill_buffer_pattern (buf, 8);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_uint64 (info.fds[0].ino, ino);
  fail_unless_equals_uint64 (info.fds[0].dev, dev);
  /* the message still holds the buffer until it is released */
  fail_unless (gst_buffer_get_parent_buffer_meta (msg) != NULL);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);
  gst_buffer_unref (msg);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Receivers get read-only file descriptors, and cannot write our memfds
 * even through a description they open again themselves: a hostile
 * receiver cannot change what the others see. */
GST_START_TEST (test_receiver_fd_read_only)
{
  GstHarness *h = new_video_harness ();
  GstBufferPool *pool = get_proposed_pool (h);
  guint fds_before = fdpass_check_count_open_fds ();
  GstBuffer *buf = NULL, *msg;
  GstMemory *mem;

  /* copied into a memfd */
  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 1)), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  check_message_read_only (msg, NULL, FRAME_SIZE, 1);
  gst_buffer_unref (msg);

  /* zero copy, from the pool fdpay proposed */
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fill_buffer_pattern (buf, 2);
  mem = gst_memory_ref (gst_buffer_peek_memory (buf, 0));
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  check_message_read_only (msg, mem, FRAME_SIZE, 2);
  gst_buffer_unref (msg);
  gst_memory_unref (mem);

  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 1);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 1);

  /* the read-only descriptions went with their memory */
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"), 0);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* With releases, frames go out again in the same memfds, which the sender
 * writes through its own mapping while the receivers still only read them. */
GST_START_TEST (test_release_receiver_fd_read_only)
{
  GstHarness *h = new_release_harness ();
  GstBufferPool *pool = get_proposed_pool (h);
  guint fds_before = fdpass_check_count_open_fds ();
  guint64 alive;
  guint i;

  for (i = 0; i < 6; i++) {
    GstBuffer *buf = NULL, *msg;
    GstMemory *mem;

    /* copied into a memfd of the allocator's cache */
    fail_unless_equals_int (gst_harness_push (h,
            new_pattern_buffer (FRAME_SIZE, i)), GST_FLOW_OK);
    if (i == 0)
      fail_unless (pull_hello_features (h) & GST_FDPASS_FEATURE_RELEASE);
    msg = pull_buffer_message (h);
    check_message_read_only (msg, NULL, FRAME_SIZE, i);
    gst_buffer_unref (msg);

    /* from the pool fdpay proposed */
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    fill_buffer_pattern (buf, 100 + i);
    mem = gst_memory_ref (gst_buffer_peek_memory (buf, 0));
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    msg = pull_buffer_message (h);
    check_message_read_only (msg, mem, FRAME_SIZE, 100 + i);
    gst_buffer_unref (msg);
    gst_memory_unref (mem);
  }

  /* one memfd each way went round */
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-created"), 2);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), 6);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 6);

  /* each memfd has its own fd and the read-only one, held by the control
   * message made once for it */
  alive = get_stat (h->element, "memfds-alive");
  fail_unless_equals_uint64 (alive, 2);
  fail_unless_equals_int (fdpass_check_count_open_fds (),
      fds_before + 2 * alive);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A file that cannot be opened again (a DMA buffer's anonymous inode; an
 * eventfd stands in for one here) is passed as it is. */
GST_START_TEST (test_unreopenable_fd_passed_as_is)
{
  GstHarness *h = new_video_harness ();
  GstAllocator *dmabuf_alloc = gst_dmabuf_allocator_new ();
  guint fds_before = fdpass_check_count_open_fds ();
  GstFdPassBufferInfo info;
  GstFdPassHeader header;
  GstBuffer *buf, *msg;
  const gint *fds;
  guint64 dev, ino, msg_dev, msg_ino;
  gint fd, n_fds;

  fd = eventfd (0, EFD_CLOEXEC);
  fail_unless (fd >= 0);
  fd_get_identity (fd, &dev, &ino);
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (dmabuf_alloc, fd,
          FRAME_SIZE));

  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_int (info.n_fds, 1);
  fail_unless_equals_int (info.fds[0].kind, GST_FDPASS_FD_KIND_DMABUF);
  fds = message_peek_fds (msg, &n_fds);
  fail_unless_equals_int (n_fds, 1);
  fd_get_identity (fds[0], &msg_dev, &msg_ino);
  fail_unless_equals_uint64 (msg_dev, dev);
  fail_unless_equals_uint64 (msg_ino, ino);
  /* with the access mode its exporter gave it */
  fail_unless_equals_int (fcntl (fds[0], F_GETFL) & O_ACCMODE, O_RDWR);
  gst_buffer_unref (msg);

  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"), 1);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);

  gst_object_unref (dmabuf_alloc);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* a dispose hook that keeps the first memory it sees for reuse, as the
 * allocators that pool by themselves do */
static GstMemory *recycled_memory;

static gboolean
recycling_dispose (GstMiniObject * obj)
{
  if (recycled_memory == NULL) {
    recycled_memory = gst_memory_ref (GST_MEMORY_CAST (obj));
    return FALSE;
  }
  return TRUE;
}

static void
release_recycled_memory (void)
{
  GST_MINI_OBJECT_CAST (recycled_memory)->dispose = NULL;
  gst_memory_unref (recycled_memory);
  recycled_memory = NULL;
}

static GstMemory *
new_memfd_memory (GstAllocator * fd_alloc, gsize size, guint seed)
{
  GstMemory *mem;
  GstMapInfo map;
  gint fd;

  fd = memfd_create ("fdpay-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  fail_unless (fd >= 0);
  fail_unless (ftruncate (fd, size) == 0);
  fail_unless (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
  mem = gst_fd_allocator_alloc (fd_alloc, fd, size, GST_FD_MEMORY_FLAG_NONE);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
  fill_pattern (map.data, map.size, seed);
  gst_memory_unmap (mem, &map);

  return mem;
}

/* Memory in no pool and in no other buffer is sent as it is, unless its
 * allocator may recycle it once freed, whatever receivers do with it. */
static void
check_unpooled_memory (GstHarness * h)
{
  GstAllocator *fd_alloc = gst_fd_allocator_new ();
  GstAllocator *tmp_alloc = gst_tmp_file_allocator_new ();
  GstBuffer *buf, *msg;
  GstMemory *mem;
  guint64 copies = get_stat (h->element, "copies");
  guint64 zero_copy = get_stat (h->element, "zero-copy-buffers");

  /* plain fd memory: freed with the buffer */
  mem = new_memfd_memory (fd_alloc, FRAME_SIZE, 1);
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, gst_memory_ref (mem));
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"),
      ++zero_copy);
  gst_buffer_unref (msg);
  gst_memory_unref (mem);

  /* memory of a GstTmpFileAllocator, which keeps no memory a receiver may
   * still map */
  g_object_set (tmp_alloc, "max-cached", 4, NULL);
  buf = gst_buffer_new_allocate (tmp_alloc, FRAME_SIZE, NULL);
  fill_buffer_pattern (buf, 2);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"),
      ++zero_copy);
  check_message_read_only (msg, NULL, FRAME_SIZE, 2);
  gst_buffer_unref (msg);
  g_object_set (tmp_alloc, "max-cached", 0, NULL);

  /* fd memory that its allocator recycles: copied */
  mem = new_memfd_memory (fd_alloc, FRAME_SIZE, 3);
  GST_MINI_OBJECT_CAST (mem)->dispose = recycling_dispose;
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, mem);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  fail_unless_equals_uint64 (get_stat (h->element, "copies"), ++copies);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"),
      zero_copy);
  check_message_read_only (msg, NULL, FRAME_SIZE, 3);
  gst_buffer_unref (msg);
  /* the copy lets go of the memory at once */
  fail_unless (recycled_memory == mem);
  release_recycled_memory ();

  /* unless the user takes the risk */
  g_object_set (h->element, "zero-copy-foreign-pools", TRUE, NULL);
  mem = new_memfd_memory (fd_alloc, FRAME_SIZE, 4);
  GST_MINI_OBJECT_CAST (mem)->dispose = recycling_dispose;
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, mem);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  fail_unless_equals_uint64 (get_stat (h->element, "zero-copy-buffers"),
      ++zero_copy);
  gst_buffer_unref (msg);
  fail_unless (recycled_memory == mem);
  release_recycled_memory ();
  g_object_set (h->element, "zero-copy-foreign-pools", FALSE, NULL);

  fail_unless_equals_uint64 (get_stat (h->element, "copies"), copies);
  gst_object_unref (tmp_alloc);
  gst_object_unref (fd_alloc);
}

GST_START_TEST (test_unpooled_memory)
{
  GstHarness *h = new_video_harness ();

  check_unpooled_memory (h);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_release_unpooled_memory)
{
  GstHarness *h = new_release_harness ();

  check_unpooled_memory (h);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The pool fdpay proposes, configured with @min_buffers, not active */
static GstBufferPool *
get_proposed_pool_with_min (GstHarness * h, guint min_buffers)
{
  GstBufferPool *pool = get_proposed_pool (h);
  GstStructure *config;
  GstCaps *caps;
  guint size, max;

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  config = gst_buffer_pool_get_config (pool);
  fail_unless (gst_buffer_pool_config_get_params (config, &caps, &size, NULL,
          &max));
  gst_buffer_pool_config_set_params (config, caps, size, min_buffers, max);
  fail_unless (gst_buffer_pool_set_config (pool, config));

  return pool;
}

/* After a burst (receivers that held many frames, then went away), the
 * pool keeps @kept free buffers and frees the others with their memfds, of
 * which the allocator keeps @cached for reuse. @min_buffers are allocated
 * when the pool starts. */
static void
check_pool_burst (GstHarness * h, GstBufferPool * pool, guint min_buffers,
    guint kept, guint cached)
{
  const guint n = 40;
  GstBuffer *bufs[40];
  guint fds_before, i;
  guint64 created;

  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"), 0);
  fds_before = fdpass_check_count_open_fds ();
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"),
      min_buffers);

  for (i = 0; i < n; i++) {
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &bufs[i],
            NULL), GST_FLOW_OK);
    fill_buffer_pattern (bufs[i], i);
  }
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"), n);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + n);

  for (i = 0; i < n; i++)
    gst_buffer_unref (bufs[i]);
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"),
      kept + cached);
  fail_unless_equals_int (fdpass_check_count_open_fds (),
      fds_before + kept + cached);

  /* the next burst reuses those and creates the rest */
  created = get_stat (h->element, "memfds-created");
  for (i = 0; i < n; i++) {
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &bufs[i],
            NULL), GST_FLOW_OK);
    fill_buffer_pattern (bufs[i], i);
  }
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-created"),
      created + n - kept - cached);
  for (i = 0; i < n; i++)
    gst_buffer_unref (bufs[i]);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"), cached);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + cached);
}

GST_START_TEST (test_pool_burst_bounded)
{
  GstHarness *h;
  GstBufferPool *pool;

  /* as proposed: no minimum, eight free buffers kept */
  h = new_video_harness ();
  pool = get_proposed_pool_with_min (h, 0);
  check_pool_burst (h, pool, 0, 8, 0);
  gst_object_unref (pool);
  gst_harness_teardown (h);

  /* upstream asked for more: the minimum is kept */
  h = new_video_harness ();
  pool = get_proposed_pool_with_min (h, 10);
  check_pool_burst (h, pool, 10, 10, 0);
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* With releases the allocator also keeps a few freed memfds for reuse. */
GST_START_TEST (test_release_pool_burst_bounded)
{
  GstHarness *h = new_release_harness ();
  GstBufferPool *pool = get_proposed_pool_with_min (h, 0);

  check_pool_burst (h, pool, 0, 8, 4);
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The copy path with releases: 40 frames held at once, then released, leave
 * a few memfds for reuse, not 40. */
GST_START_TEST (test_release_copy_burst_bounded)
{
  GstHarness *h = new_release_harness ();
  guint fds_before = fdpass_check_count_open_fds ();
  GstBuffer *msgs[40];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (msgs); i++) {
    fail_unless_equals_int (gst_harness_push (h,
            new_pattern_buffer (FRAME_SIZE, i)), GST_FLOW_OK);
    msgs[i] = pull_buffer_message (h);
  }
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"), 40);

  for (i = 0; i < G_N_ELEMENTS (msgs); i++)
    gst_buffer_unref (msgs[i]);
  fail_unless_equals_uint64 (get_stat (h->element, "memfds-alive"), 4);
  /* each with its read-only fd, in the control message made for it */
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + 8);

  gst_harness_teardown (h);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_END_TEST;

/* each buffer message carries the stream time of its buffer */
GST_START_TEST (test_stream_time_sent)
{
  const GstClockTime hours = 1000 * 3600 * GST_SECOND;
  GstHarness *h = new_video_harness ();
  GstFdPassBufferInfo info;
  GstFdPassHeader header;
  GstSegment segment;
  GstBuffer *buf, *msg;

  /* an encoder's offset: timestamps from 1000 h, stream time from 0 */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = hours;
  segment.time = 0;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));

  buf = new_pattern_buffer (FRAME_SIZE, 1);
  GST_BUFFER_PTS (buf) = hours + 3 * GST_SECOND;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  msg = pull_buffer_message (h);
  parse_message (msg, &header, &info, NULL);
  fail_unless_equals_uint64 (info.pts, hours + 3 * GST_SECOND);
  fail_unless (info.has_stream_time);
  fail_unless_equals_uint64 (info.stream_time, 3 * GST_SECOND);
  gst_buffer_unref (msg);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* the next message of @h, which must be a segment message: its segment */
static void
pull_segment_message (GstHarness * h, GstSegment * segment)
{
  GstBuffer *msg = gst_harness_pull (h);
  GstFdPassHeader header;
  GstMapInfo map;
  GError *err = NULL;

  fail_unless (msg != NULL);
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  fail_unless (gst_fdpass_header_parse (map.data, map.size, &header, &err));
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_SEGMENT);
  fail_unless_equals_int (header.n_fds, 0);
  fail_unless (gst_fdpass_segment_parse (map.data + GST_FDPASS_HEADER_SIZE,
          header.payload_size, segment, &err));
  gst_buffer_unmap (msg, &map);
  fail_unless (GST_BUFFER_FLAG_IS_SET (msg, GST_BUFFER_FLAG_HEADER));
  gst_buffer_unref (msg);
}

/* the segment of the input travels (protocol 1.2): in-band before the next
 * buffer when it changes, and as the last streamheader entry */
GST_START_TEST (test_segment_sent)
{
  GstHarness *h = new_video_harness ();
  GstSegment segment, got;
  GstBuffer *msg;
  GstCaps *srccaps;
  const GValue *sh;

  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 0)), GST_FLOW_OK);
  while ((msg = gst_harness_try_pull (h)))
    gst_buffer_unref (msg);

  /* what hlsdemux and tsdemux give: timestamps from the PCR, a stream time,
   * a base from the periods before, a rate */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = 3600 * GST_SECOND + 780 * GST_MSECOND;
  segment.stop = 3700 * GST_SECOND;
  segment.time = 62 * GST_SECOND;
  segment.base = 17 * GST_SECOND;
  segment.offset = 5 * GST_MSECOND;
  segment.rate = 2.0;
  segment.applied_rate = 0.5;
  segment.position = segment.start;
  segment.duration = 100 * GST_SECOND;
  segment.flags = GST_SEGMENT_FLAG_RESET | GST_SEGMENT_FLAG_TRICKMODE;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));

  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 1)), GST_FLOW_OK);
  fail_unless_equals_int (message_type (msg = gst_harness_pull (h)),
      GST_FDPASS_MESSAGE_HELLO);
  gst_buffer_unref (msg);
  fail_unless_equals_int (message_type (msg = gst_harness_pull (h)),
      GST_FDPASS_MESSAGE_CAPS);
  gst_buffer_unref (msg);
  pull_segment_message (h, &got);
  fail_unless (gst_segment_is_equal (&got, &segment),
      "sent %" GST_SEGMENT_FORMAT ", got %" GST_SEGMENT_FORMAT, &segment, &got);
  fail_unless_equals_uint64 (got.offset, segment.offset);
  fail_unless_equals_uint64 (got.base, segment.base);
  fail_unless_equals_int (got.flags, segment.flags);
  fail_unless_equals_uint64 (got.duration, segment.duration);
  fail_unless_equals_int (message_type (msg = gst_harness_pull (h)),
      GST_FDPASS_MESSAGE_BUFFER);
  gst_buffer_unref (msg);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  /* receivers that join later get it with the streamheader */
  srccaps = gst_pad_get_current_caps (h->sinkpad);
  sh = gst_structure_get_value (gst_caps_get_structure (srccaps, 0),
      "streamheader");
  fail_unless_equals_int (gst_value_array_get_size (sh), 3);
  {
    GstBuffer *sh2 = gst_value_get_buffer (gst_value_array_get_value (sh, 2));
    GstFdPassHeader header;
    GstMapInfo map;

    fail_unless (gst_buffer_map (sh2, &map, GST_MAP_READ));
    fail_unless (gst_fdpass_header_parse (map.data, map.size, &header, NULL));
    fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_SEGMENT);
    fail_unless (gst_fdpass_segment_parse (map.data + GST_FDPASS_HEADER_SIZE,
            header.payload_size, &got, NULL));
    fail_unless (gst_segment_is_equal (&got, &segment));
    gst_buffer_unmap (sh2, &map);
  }
  gst_caps_unref (srccaps);

  /* the same segment again changes nothing */
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 2)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  fail_unless_equals_int (message_type (msg = gst_harness_pull (h)),
      GST_FDPASS_MESSAGE_BUFFER);
  gst_buffer_unref (msg);

  /* a segment in bytes is not sent: the streamheader goes back to hello
   * and caps */
  gst_segment_init (&segment, GST_FORMAT_BYTES);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  fail_unless_equals_int (gst_harness_push (h,
          new_pattern_buffer (FRAME_SIZE, 3)), GST_FLOW_OK);
  while ((msg = gst_harness_try_pull (h))) {
    fail_if (message_type (msg) == GST_FDPASS_MESSAGE_SEGMENT);
    gst_buffer_unref (msg);
  }
  srccaps = gst_pad_get_current_caps (h->sinkpad);
  sh = gst_structure_get_value (gst_caps_get_structure (srccaps, 0),
      "streamheader");
  fail_unless_equals_int (gst_value_array_get_size (sh), 2);
  gst_caps_unref (srccaps);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* Loading the plugin registers the allocator under the name its header
 * gives, and what it allocates is fd memory. */
GST_START_TEST (test_allocator_registered)
{
  GstElement *pay = gst_element_factory_make ("fdpay", NULL);
  GstAllocator *allocator;
  GstMemory *mem;

  fail_unless (pay != NULL);
  allocator = gst_allocator_find (GST_ALLOCATOR_TMP_FILE);
  fail_unless (allocator != NULL);
  fail_unless (GST_IS_TMP_FILE_ALLOCATOR (allocator));
  mem = gst_allocator_alloc (allocator, 4096, NULL);
  fail_unless (mem != NULL);
  fail_unless (gst_is_fd_memory (mem));
  fail_unless (gst_fd_memory_get_fd (mem) >= 0);
  gst_memory_unref (mem);
  gst_object_unref (allocator);
  gst_object_unref (pay);
}

GST_END_TEST;

static Suite *
fdpay_suite (void)
{
  Suite *s = suite_create ("fdpay");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_test (tc_chain, test_headers);
  tcase_add_test (tc_chain, test_copy_path);
  tcase_add_test (tc_chain, test_copy_path_multi_memory);
  tcase_add_test (tc_chain, test_zero_copy_path);
  tcase_add_test (tc_chain, test_foreign_pool_copied);
  tcase_add_test (tc_chain, test_foreign_pool_buffer_copy);
  tcase_add_test (tc_chain, test_allocation_query);
  tcase_add_test (tc_chain, test_held_frame_not_recycled);
  tcase_add_test (tc_chain, test_decodebin_zero_copy);
  tcase_add_test (tc_chain, test_eos);
  tcase_add_test (tc_chain, test_eos_without_buffers);
  tcase_add_test (tc_chain, test_not_negotiated);
  tcase_add_test (tc_chain, test_empty_buffer);
  tcase_add_test (tc_chain, test_fd_leak);
  tcase_add_test (tc_chain, test_stream_time_sent);
  tcase_add_test (tc_chain, test_segment_sent);
  tcase_add_test (tc_chain, test_allocator_registered);
  tcase_add_test (tc_chain, test_release_copy_path_reuses_memfds);
  tcase_add_test (tc_chain, test_release_held_frames_not_reused);
  tcase_add_test (tc_chain, test_release_foreign_pool_copied);
  tcase_add_test (tc_chain, test_receiver_fd_read_only);
  tcase_add_test (tc_chain, test_release_receiver_fd_read_only);
  tcase_add_test (tc_chain, test_unreopenable_fd_passed_as_is);
  tcase_add_test (tc_chain, test_unpooled_memory);
  tcase_add_test (tc_chain, test_release_unpooled_memory);
  tcase_add_test (tc_chain, test_pool_burst_bounded);
  tcase_add_test (tc_chain, test_release_pool_burst_bounded);
  tcase_add_test (tc_chain, test_release_copy_burst_bounded);

  return s;
}

GST_CHECK_MAIN (fdpay);
