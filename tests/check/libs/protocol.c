/* GStreamer fd passing library
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * protocol.c: unit tests for the fdpass wire protocol
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
#include <gst/video/video.h>
#include <gst/fdpass/fdpass.h>

#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../fdpass-check.h"

/* Layout of the wire protocol (gstfdpassprotocol.c), counted from the
 * start of the message, header included. */
#define HDR 16
#define BUF_FIXED 56
#define FD_ENTRY 32
#define MEM_ENTRY 24
#define EXT_HDR 8
#define VIDEO_EXT 72

#define PAYLOAD_SIZE_OFFSET 12
#define BUF_N_FDS_OFFSET (HDR + 52)
#define BUF_N_MEMORIES_OFFSET (HDR + 54)
#define FD_OFFSET(i) (HDR + BUF_FIXED + (i) * FD_ENTRY)
#define MEM_OFFSET(n_fds, i) (FD_OFFSET (n_fds) + (i) * MEM_ENTRY)
#define EXT_OFFSET(n_fds, n_mems) (MEM_OFFSET (n_fds, n_mems))

/* helpers */

/* takes ownership of @msg and returns a copy of its bytes */
static guint8 *
message_bytes (GstBuffer * msg, gsize * size)
{
  GstMapInfo map;
  guint8 *data;

  fail_unless (msg != NULL);
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  data = g_memdup2 (map.data, map.size);
  *size = map.size;
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);

  return data;
}

static void
check_error (GError ** err, gint code)
{
  fail_unless (*err != NULL, "no error set");
  fail_unless (g_error_matches (*err, GST_FDPASS_ERROR, code),
      "expected fdpass error %d, got %s %d: %s", code,
      g_quark_to_string ((*err)->domain), (*err)->code, (*err)->message);
  GST_LOG ("expected error: %s", (*err)->message);
  g_clear_error (err);
}

/* checks the header of a complete message */
static void
parse_header (const guint8 * data, gsize size, guint type, guint n_fds,
    GstFdPassHeader * header)
{
  GError *err = NULL;

  fail_unless (gst_fdpass_header_parse (data, size, header, &err),
      "%s", err ? err->message : "");
  fail_unless (err == NULL);
  fail_unless_equals_int (header->type, type);
  fail_unless_equals_int (header->n_fds, n_fds);
  fail_unless_equals_int (header->flags, 0);
  fail_unless_equals_uint64 (header->payload_size, size - HDR);
}

static void
set_payload_size (guint8 * data, gsize size)
{
  GST_WRITE_UINT32_LE (data + PAYLOAD_SIZE_OFFSET, size - HDR);
}

/* a buffer description using every field */
static void
make_buffer_info (GstFdPassBufferInfo * info, guint n_fds, guint n_memories,
    guint n_planes)
{
  guint i;

  memset (info, 0, sizeof (*info));
  info->id = G_GUINT64_CONSTANT (0x0102030405060708);
  info->pts = 3 * GST_SECOND + 1;
  info->dts = GST_CLOCK_TIME_NONE;
  info->duration = 40 * GST_MSECOND;
  info->offset = 17;
  info->offset_end = GST_BUFFER_OFFSET_NONE;
  info->flags = GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_DELTA_UNIT |
      GST_BUFFER_FLAG_MARKER;

  info->n_fds = n_fds;
  for (i = 0; i < n_fds; i++) {
    info->fds[i].kind = (i % 2) ? GST_FDPASS_FD_KIND_DMABUF :
        GST_FDPASS_FD_KIND_FILE;
    info->fds[i].dev = 0x1000 + i;
    info->fds[i].ino = G_MAXUINT64 - i;
    info->fds[i].size = ((guint64) i + 1) << 32;
  }

  info->n_memories = n_memories;
  for (i = 0; i < n_memories; i++) {
    info->memories[i].fd_index = i % MAX (n_fds, 1);
    info->memories[i].offset = i * G_GUINT64_CONSTANT (4096);
    info->memories[i].size = 1000 + i;
  }

  if (n_planes == 0)
    return;

  info->has_video_meta = TRUE;
  info->video.flags = GST_VIDEO_FRAME_FLAG_INTERLACED |
      GST_VIDEO_FRAME_FLAG_TFF;
  info->video.width = 1920;
  info->video.height = 1080;
  info->video.n_planes = n_planes;
  switch (n_planes) {
    case 2:
      info->video.format = GST_VIDEO_FORMAT_NV12;
      info->video.offset[1] = 2048 * 1088;
      info->video.stride[0] = info->video.stride[1] = 2048;
      break;
    case 3:
      info->video.format = GST_VIDEO_FORMAT_I420;
      info->video.offset[1] = 2048 * 1088;
      info->video.offset[2] = 2048 * 1088 + 1024 * 544;
      info->video.stride[0] = 2048;
      info->video.stride[1] = info->video.stride[2] = 1024;
      break;
    case 4:
      info->video.format = GST_VIDEO_FORMAT_A420;
      for (i = 0; i < 4; i++) {
        info->video.offset[i] = G_GUINT64_CONSTANT (1) << (33 + i);
        info->video.stride[i] = -1920 + i;
      }
      break;
    default:
      info->video.format = GST_VIDEO_FORMAT_GRAY8;
      info->video.stride[0] = 1920;
      break;
  }
}

static void
assert_buffer_info_equal (const GstFdPassBufferInfo * a,
    const GstFdPassBufferInfo * b)
{
  guint i;

  fail_unless_equals_uint64 (a->id, b->id);
  fail_unless_equals_uint64 (a->pts, b->pts);
  fail_unless_equals_uint64 (a->dts, b->dts);
  fail_unless_equals_uint64 (a->duration, b->duration);
  fail_unless_equals_uint64 (a->offset, b->offset);
  fail_unless_equals_uint64 (a->offset_end, b->offset_end);
  fail_unless_equals_int (a->flags, b->flags);

  fail_unless_equals_int (a->n_fds, b->n_fds);
  for (i = 0; i < a->n_fds; i++) {
    fail_unless_equals_int (a->fds[i].kind, b->fds[i].kind);
    fail_unless_equals_int (a->fds[i].flags, b->fds[i].flags);
    fail_unless_equals_uint64 (a->fds[i].dev, b->fds[i].dev);
    fail_unless_equals_uint64 (a->fds[i].ino, b->fds[i].ino);
    fail_unless_equals_uint64 (a->fds[i].size, b->fds[i].size);
  }

  fail_unless_equals_int (a->n_memories, b->n_memories);
  for (i = 0; i < a->n_memories; i++) {
    fail_unless_equals_int (a->memories[i].fd_index, b->memories[i].fd_index);
    fail_unless_equals_uint64 (a->memories[i].offset, b->memories[i].offset);
    fail_unless_equals_uint64 (a->memories[i].size, b->memories[i].size);
  }

  fail_unless_equals_int (a->has_video_meta, b->has_video_meta);
  if (a->has_video_meta) {
    fail_unless_equals_int (a->video.format, b->video.format);
    fail_unless_equals_int (a->video.flags, b->video.flags);
    fail_unless_equals_int (a->video.width, b->video.width);
    fail_unless_equals_int (a->video.height, b->video.height);
    fail_unless_equals_int (a->video.n_planes, b->video.n_planes);
    for (i = 0; i < GST_VIDEO_MAX_PLANES; i++) {
      fail_unless_equals_uint64 (a->video.offset[i], b->video.offset[i]);
      fail_unless_equals_int (a->video.stride[i], b->video.stride[i]);
    }
  }
}

static guint8 *
encode_buffer (const GstFdPassBufferInfo * info, gsize * size)
{
  return message_bytes (gst_fdpass_message_new_buffer (info), size);
}

/* parses a complete buffer message and compares it with @expected */
static void
check_buffer_parses_to (const guint8 * data, gsize size,
    const GstFdPassBufferInfo * expected)
{
  GstFdPassBufferInfo parsed;
  GstFdPassHeader header;
  GError *err = NULL;

  parse_header (data, size, GST_FDPASS_MESSAGE_BUFFER,
      gst_fdpass_buffer_info_n_attached (expected), &header);
  fail_unless (gst_fdpass_buffer_parse (&header, data + HDR,
          header.payload_size, &parsed, &err), "%s", err ? err->message : "");
  fail_unless (err == NULL);
  assert_buffer_info_equal (&parsed, expected);
}

/* the largest GstVideoFormat value of the GstVideo we run with */
static guint
last_video_format (void)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_VIDEO_FORMAT);
  guint i, last = 0;

  for (i = 0; i < klass->n_values; i++)
    last = MAX (last, (guint) klass->values[i].value);
  g_type_class_unref (klass);

  return last;
}

/* expects the buffer message in @data to be rejected with @code */
static void
check_buffer_fails (const guint8 * data, gsize size, gint code)
{
  GstFdPassBufferInfo parsed;
  GstFdPassHeader header;
  GError *err = NULL;

  fail_unless (gst_fdpass_header_parse (data, size, &header, NULL));
  fail_unless_equals_uint64 (header.payload_size, size - HDR);
  fail_if (gst_fdpass_buffer_parse (&header, data + HDR, size - HDR,
          &parsed, &err));
  check_error (&err, code);
  /* and without an error location */
  fail_if (gst_fdpass_buffer_parse (&header, data + HDR, size - HDR,
          &parsed, NULL));
}

/* round trips */

GST_START_TEST (test_hello_round_trip)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR, 7,
    GST_FDPASS_FEATURE_RELEASE | GST_FDPASS_FEATURE_FILES | 0x80000000u, 33
  };
  GstFdPassHello parsed;
  GstFdPassHeader header;
  GError *err = NULL;
  guint8 *data;
  gsize size;

  data = message_bytes (gst_fdpass_message_new_hello (&hello), &size);
  fail_unless_equals_int (size, HDR + 12);
  parse_header (data, size, GST_FDPASS_MESSAGE_HELLO, 0, &header);

  memset (&parsed, 0xff, sizeof (parsed));
  fail_unless (gst_fdpass_hello_parse (data + HDR, header.payload_size,
          &parsed, &err));
  fail_unless (err == NULL);
  fail_unless_equals_int (parsed.version_major, GST_FDPASS_VERSION_MAJOR);
  fail_unless_equals_int (parsed.version_minor, 7);
  fail_unless_equals_int (parsed.features, hello.features);
  fail_unless_equals_int (parsed.max_files, 33);

  /* a 1.0 hello ends after the features: such a peer keeps no files */
  memset (&parsed, 0xff, sizeof (parsed));
  fail_unless (gst_fdpass_hello_parse (data + HDR, 8, &parsed, &err));
  fail_unless_equals_int (parsed.features, hello.features);
  fail_unless_equals_int (parsed.max_files, 0);
  g_free (data);
}

GST_END_TEST;

static void
check_caps_round_trip (GstCaps * caps)
{
  GstFdPassHeader header;
  GError *err = NULL;
  GstCaps *parsed;
  guint8 *data;
  gsize size;

  data = message_bytes (gst_fdpass_message_new_caps (caps), &size);
  parse_header (data, size, GST_FDPASS_MESSAGE_CAPS, 0, &header);
  /* a NUL-terminated string */
  fail_unless_equals_int (data[size - 1], '\0');
  fail_unless_equals_int (strlen ((const gchar *) data + HDR),
      header.payload_size - 1);

  parsed = gst_fdpass_caps_parse (data + HDR, header.payload_size, &err);
  fail_unless (parsed != NULL, "%s", err ? err->message : "");
  fail_unless (err == NULL);
  fail_unless (gst_caps_is_equal (parsed, caps), "%" GST_PTR_FORMAT
      " != %" GST_PTR_FORMAT, parsed, caps);
  fail_unless (gst_caps_is_fixed (parsed));

  gst_caps_unref (parsed);
  gst_caps_unref (caps);
  g_free (data);
}

GST_START_TEST (test_caps_round_trip)
{
  GstStructure *s;
  GstCaps *caps;
  guint i;

  check_caps_round_trip (gst_caps_from_string ("video/x-raw, format=NV12, "
          "width=1920, height=1080, framerate=30000/1001, "
          "pixel-aspect-ratio=1/1, interlace-mode=progressive, "
          "colorimetry=bt709"));
  check_caps_round_trip (gst_caps_from_string ("video/x-raw("
          GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY "), format=I420, width=2, "
          "height=2, framerate=0/1"));

  /* many fields of many types, including strings that need escaping */
  caps = gst_caps_new_empty_simple ("application/x-fdpass-test");
  s = gst_caps_get_structure (caps, 0);
  for (i = 0; i < 200; i++) {
    gchar *name = g_strdup_printf ("field-%u", i);
    gchar *str;

    switch (i % 6) {
      case 0:
        gst_structure_set (s, name, G_TYPE_INT, -(gint) i * 1000, NULL);
        break;
      case 1:
        str = g_strdup_printf ("a \"quoted\" string, with; punctuation "
            "= and \\ backslash %u \xc3\xa9", i);
        gst_structure_set (s, name, G_TYPE_STRING, str, NULL);
        g_free (str);
        break;
      case 2:
        gst_structure_set (s, name, G_TYPE_BOOLEAN, i % 4 == 2, NULL);
        break;
      case 3:
        gst_structure_set (s, name, GST_TYPE_FRACTION, i, i + 1, NULL);
        break;
      case 4:
        gst_structure_set (s, name, G_TYPE_UINT64, G_MAXUINT64 - i, NULL);
        break;
      default:
        gst_structure_set (s, name, G_TYPE_DOUBLE, i + 0.5, NULL);
        break;
    }
    g_free (name);
  }
  fail_unless (gst_caps_is_fixed (caps));
  check_caps_round_trip (caps);
}

GST_END_TEST;

GST_START_TEST (test_buffer_round_trip)
{
  /* n_fds, n_memories, n_planes */
  const guint shapes[][3] = {
    {0, 0, 0},
    {1, 1, 0},
    {1, 1, 2},
    {1, 4, 2},
    {3, 3, 3},
    {3, 7, 1},
    {2, 5, 4},
    {GST_FDPASS_MAX_FDS, GST_FDPASS_MAX_MEMORIES, 3},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (shapes); i++) {
    GstFdPassBufferInfo info;
    guint8 *data;
    gsize size, expected_size;

    make_buffer_info (&info, shapes[i][0], shapes[i][1], shapes[i][2]);
    data = encode_buffer (&info, &size);
    expected_size = HDR + BUF_FIXED + info.n_fds * FD_ENTRY +
        info.n_memories * MEM_ENTRY +
        (info.has_video_meta ? EXT_HDR + VIDEO_EXT : 0);
    fail_unless_equals_uint64 (size, expected_size);
    check_buffer_parses_to (data, size, &info);
    g_free (data);
  }
}

GST_END_TEST;

GST_START_TEST (test_buffer_round_trip_extremes)
{
  GstFdPassBufferInfo info;
  guint8 *data;
  gsize size;

  /* no timestamps at all */
  make_buffer_info (&info, 1, 2, 2);
  info.pts = info.dts = info.duration = GST_CLOCK_TIME_NONE;
  info.offset = info.offset_end = GST_BUFFER_OFFSET_NONE;
  info.flags = 0;
  data = encode_buffer (&info, &size);
  check_buffer_parses_to (data, size, &info);
  g_free (data);

  /* every field at its maximum that is still valid */
  make_buffer_info (&info, 2, 2, 3);
  info.id = G_MAXUINT64;
  info.pts = info.dts = info.duration = 0;
  info.offset = info.offset_end = 0;
  info.flags = G_MAXUINT32;
  info.fds[1].dev = info.fds[1].ino = info.fds[1].size = G_MAXUINT64;
  info.memories[0].offset = 0;
  info.memories[0].size = G_MAXSSIZE;
  info.memories[1].fd_index = 1;
  info.memories[1].offset = G_MAXSSIZE;
  info.memories[1].size = 0;
  info.video.width = info.video.height = G_MAXINT;
  info.video.stride[0] = G_MININT32;
  info.video.stride[3] = G_MAXINT32;
  info.video.offset[3] = G_MAXUINT64;
  data = encode_buffer (&info, &size);
  check_buffer_parses_to (data, size, &info);
  g_free (data);
}

GST_END_TEST;

GST_START_TEST (test_buffer_video_meta_helpers)
{
  gsize offset[GST_VIDEO_MAX_PLANES] = { 64, 64 + 336 * 242, 0, 0 };
  gint stride[GST_VIDEO_MAX_PLANES] = { 336, 336, 0, 0 };
  GstFdPassBufferInfo info, parsed;
  GstFdPassHeader header;
  GstVideoMeta *meta, *copy;
  GstBuffer *buf, *out;
  guint8 *data;
  gsize size;
  guint i;

  buf = gst_buffer_new ();
  meta = gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_RFF,
      GST_VIDEO_FORMAT_NV12, 322, 242, 2, offset, stride);
  fail_unless (meta != NULL);

  make_buffer_info (&info, 1, 1, 0);
  fail_unless (gst_fdpass_buffer_info_set_video_meta (&info, meta));
  fail_unless (info.has_video_meta);

  data = encode_buffer (&info, &size);
  parse_header (data, size, GST_FDPASS_MESSAGE_BUFFER, 1, &header);
  fail_unless (gst_fdpass_buffer_parse (&header, data + HDR,
          header.payload_size, &parsed, NULL));
  assert_buffer_info_equal (&parsed, &info);

  out = gst_buffer_new ();
  copy = gst_fdpass_buffer_info_add_video_meta (&parsed, out);
  fail_unless (copy != NULL);
  fail_unless (gst_buffer_get_video_meta (out) == copy);
  fail_unless_equals_int (copy->flags, GST_VIDEO_FRAME_FLAG_RFF);
  fail_unless_equals_int (copy->format, GST_VIDEO_FORMAT_NV12);
  fail_unless_equals_int (copy->width, 322);
  fail_unless_equals_int (copy->height, 242);
  fail_unless_equals_int (copy->n_planes, 2);
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++) {
    fail_unless_equals_uint64 (copy->offset[i], offset[i]);
    fail_unless_equals_int (copy->stride[i], stride[i]);
  }

  gst_buffer_unref (out);
  gst_buffer_unref (buf);
  g_free (data);
}

GST_END_TEST;

GST_START_TEST (test_eos_round_trip)
{
  GstFdPassHeader header;
  guint8 *data;
  gsize size;

  data = message_bytes (gst_fdpass_message_new_eos (), &size);
  fail_unless_equals_int (size, HDR);
  parse_header (data, size, GST_FDPASS_MESSAGE_EOS, 0, &header);
  fail_unless_equals_int (header.payload_size, 0);
  g_free (data);
}

GST_END_TEST;

static void
check_release_round_trip (guint n_ids)
{
  GstFdPassHeader header;
  guint64 *ids, *parsed = NULL;
  GError *err = NULL;
  guint8 *data, *written;
  gsize size;
  guint i, n_parsed = G_MAXUINT;

  ids = g_new (guint64, MAX (n_ids, 1));
  for (i = 0; i < n_ids; i++)
    ids[i] = G_MAXUINT64 - i * G_GUINT64_CONSTANT (0x10001);

  data = message_bytes (gst_fdpass_message_new_release (n_ids ? ids : NULL,
          n_ids), &size);
  fail_unless_equals_uint64 (size, HDR + 8 + n_ids * 8);
  parse_header (data, size, GST_FDPASS_MESSAGE_RELEASE, 0, &header);

  fail_unless (gst_fdpass_release_parse (data + HDR, header.payload_size,
          &parsed, &n_parsed, &err));
  fail_unless (err == NULL);
  fail_unless_equals_int (n_parsed, n_ids);
  fail_unless (parsed != NULL);
  for (i = 0; i < n_ids; i++)
    fail_unless_equals_uint64 (parsed[i], ids[i]);

  /* the same bytes into memory of the caller's, which must have room for
   * all of them */
  fail_unless_equals_uint64 (GST_FDPASS_RELEASE_MESSAGE_SIZE (n_ids), size);
  written = g_malloc (size + 1);
  memset (written, 0xaa, size + 1);
  fail_unless_equals_uint64 (gst_fdpass_release_write (n_ids ? ids : NULL,
          n_ids, written, size - 1), 0);
  fail_unless_equals_int (written[0], 0xaa);
  fail_unless_equals_uint64 (gst_fdpass_release_write (n_ids ? ids : NULL,
          n_ids, written, size + 1), size);
  fail_unless (memcmp (written, data, size) == 0);
  fail_unless_equals_int (written[size], 0xaa);

  g_free (written);
  g_free (parsed);
  g_free (ids);
  g_free (data);
}

GST_START_TEST (test_release_round_trip)
{
  check_release_round_trip (0);
  check_release_round_trip (1);
  check_release_round_trip (2);
  check_release_round_trip (GST_FDPASS_MAX_RELEASE_IDS);
}

GST_END_TEST;

/* files kept by the receiver: entries with a descriptor and the keep flag,
 * entries naming a kept file without one */
GST_START_TEST (test_buffer_kept_files_round_trip)
{
  GstFdPassBufferInfo info;
  guint8 *data;
  gsize size;

  make_buffer_info (&info, 4, 4, 2);
  info.fds[0].flags = GST_FDPASS_FD_FLAG_KEPT;
  info.fds[1].flags = GST_FDPASS_FD_FLAG_NONE;
  info.fds[2].flags = GST_FDPASS_FD_FLAG_KEEP;
  info.fds[3].kind = GST_FDPASS_FD_KIND_FILE;
  info.fds[3].flags = GST_FDPASS_FD_FLAG_KEPT;
  fail_unless_equals_int (gst_fdpass_buffer_info_n_attached (&info), 2);

  data = encode_buffer (&info, &size);
  /* the header counts the attached descriptors, the body every entry */
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 6), 2);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + BUF_N_FDS_OFFSET), 4);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + FD_OFFSET (0) + 4),
      GST_FDPASS_FD_FLAG_KEPT);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + FD_OFFSET (2) + 4),
      GST_FDPASS_FD_FLAG_KEEP);
  check_buffer_parses_to (data, size, &info);
  g_free (data);

  /* every file kept: no descriptor at all */
  make_buffer_info (&info, 1, 1, 1);
  info.fds[0].flags = GST_FDPASS_FD_FLAG_KEPT;
  data = encode_buffer (&info, &size);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 6), 0);
  check_buffer_parses_to (data, size, &info);
  g_free (data);
}

GST_END_TEST;

static void
check_forget_round_trip (guint n_files)
{
  GstFdPassFdInfo *files, *parsed = NULL;
  GstFdPassHeader header;
  GError *err = NULL;
  guint8 *data;
  gsize size;
  guint i, n_parsed = G_MAXUINT;

  files = g_new0 (GstFdPassFdInfo, MAX (n_files, 1));
  for (i = 0; i < n_files; i++) {
    files[i].dev = G_MAXUINT64 - i;
    files[i].ino = G_GUINT64_CONSTANT (0x123456789) * (i + 1);
    /* not on the wire */
    files[i].size = 77;
    files[i].kind = GST_FDPASS_FD_KIND_DMABUF;
  }

  data = message_bytes (gst_fdpass_message_new_forget (n_files ? files : NULL,
          n_files), &size);
  fail_unless_equals_uint64 (size, HDR + 8 + n_files * 16);
  parse_header (data, size, GST_FDPASS_MESSAGE_FORGET, 0, &header);
  fail_unless_equals_int (data[4], 6);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + HDR), n_files);
  if (n_files > 0) {
    fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 8),
        files[0].dev);
    fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 16),
        files[0].ino);
  }

  fail_unless (gst_fdpass_forget_parse (data + HDR, header.payload_size,
          &parsed, &n_parsed, &err));
  fail_unless (err == NULL);
  fail_unless_equals_int (n_parsed, n_files);
  fail_unless (parsed != NULL);
  for (i = 0; i < n_files; i++) {
    fail_unless_equals_uint64 (parsed[i].dev, files[i].dev);
    fail_unless_equals_uint64 (parsed[i].ino, files[i].ino);
    fail_unless_equals_uint64 (parsed[i].size, 0);
  }

  g_free (parsed);
  g_free (files);
  g_free (data);
}

GST_START_TEST (test_forget_round_trip)
{
  check_forget_round_trip (0);
  check_forget_round_trip (1);
  check_forget_round_trip (3);
  check_forget_round_trip (GST_FDPASS_MAX_FORGET_FILES);
}

GST_END_TEST;

GST_START_TEST (test_forget_rejects)
{
  GstFdPassFdInfo files[2] = { {0, 0, 1, 2, 0}, {0, 0, 3, 4, 0}
  };
  GstFdPassFdInfo *parsed = NULL;
  guint n_parsed = 12345;
  GError *err = NULL;
  guint8 *data;
  gsize size, i;

  data = message_bytes (gst_fdpass_message_new_forget (files, 2), &size);

  /* truncated */
  for (i = 0; i < size - HDR; i++) {
    guint8 *prefix = g_memdup2 (data + HDR, i);

    fail_if (gst_fdpass_forget_parse (prefix, i, &parsed, &n_parsed, &err));
    check_error (&err, GST_FDPASS_ERROR_INVALID);
    fail_unless (parsed == NULL);
    fail_unless_equals_int (n_parsed, 12345);
    g_free (prefix);
  }

  /* too many files */
  GST_WRITE_UINT32_LE (data + HDR, GST_FDPASS_MAX_FORGET_FILES + 1);
  fail_if (gst_fdpass_forget_parse (data + HDR, size - HDR, &parsed,
          &n_parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);
  GST_WRITE_UINT32_LE (data + HDR, G_MAXUINT32);
  fail_if (gst_fdpass_forget_parse (data + HDR, size - HDR, &parsed,
          &n_parsed, NULL));
  fail_unless (parsed == NULL);

  /* a forget message carries no descriptors */
  GST_WRITE_UINT32_LE (data + HDR, 2);
  GST_WRITE_UINT16_LE (data + 6, 1);
  {
    GstFdPassHeader header;

    fail_if (gst_fdpass_header_parse (data, size, &header, &err));
    check_error (&err, GST_FDPASS_ERROR_INVALID);
  }

  g_free (data);
}

GST_END_TEST;

GST_START_TEST (test_fd_info_from_fd)
{
  GstFdPassFdInfo info;
  struct stat st;
  gint fd;

  fd = memfd_create ("fdpass-protocol-test", MFD_CLOEXEC);
  fail_unless (fd >= 0);
  fail_unless (ftruncate (fd, 12345) == 0);
  fail_unless (fstat (fd, &st) == 0);

  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE, &info));
  fail_unless_equals_int (info.kind, GST_FDPASS_FD_KIND_FILE);
  fail_unless_equals_uint64 (info.dev, st.st_dev);
  fail_unless_equals_uint64 (info.ino, st.st_ino);
  fail_unless_equals_uint64 (info.size, 12345);
  close (fd);

  /* a closed fd */
  fail_if (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE, &info));
}

GST_END_TEST;

/* byte layout */

GST_START_TEST (test_header_layout)
{
  GstFdPassHello hello = { 1, 2, 3, 0x01020304 };
  guint8 *data;
  gsize size;

  data = message_bytes (gst_fdpass_message_new_hello (&hello), &size);
  fail_unless_equals_int (size, 28);
  fail_unless_equals_int (data[0], 'F');
  fail_unless_equals_int (data[1], 'D');
  fail_unless_equals_int (data[2], 'P');
  fail_unless_equals_int (data[3], 'S');
  fail_unless_equals_int (GST_READ_UINT32_LE (data), GST_FDPASS_MAGIC);
  /* type, n_fds, flags, payload size */
  fail_unless_equals_int (data[4], GST_FDPASS_MESSAGE_HELLO);
  fail_unless_equals_int (data[5], 0);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 6), 0);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + 8), 0);
  fail_unless_equals_int (data[12], 12);
  fail_unless_equals_int (data[13], 0);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + 12), 12);
  /* hello payload: u16 major, u16 minor, u32 features, u32 max files */
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 16), 1);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 18), 2);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + 20), 3);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + 24), 0x01020304);
  g_free (data);

  data = message_bytes (gst_fdpass_message_new_eos (), &size);
  fail_unless_equals_int (size, 16);
  fail_unless (memcmp (data, "FDPS\x04\x00\x00\x00\x00\x00\x00\x00"
          "\x00\x00\x00\x00", 16) == 0);
  g_free (data);
}

GST_END_TEST;

GST_START_TEST (test_buffer_layout)
{
  GstFdPassBufferInfo info;
  guint8 *data, *ext;
  gsize size;
  guint i;

  make_buffer_info (&info, 3, 2, 3);
  info.memories[1].fd_index = 2;
  info.memories[1].offset = G_GUINT64_CONSTANT (0x1122334455667788);
  info.memories[1].size = 0x99;
  data = encode_buffer (&info, &size);

  fail_unless_equals_int (size, HDR + BUF_FIXED + 3 * FD_ENTRY +
      2 * MEM_ENTRY + EXT_HDR + VIDEO_EXT);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 4),
      GST_FDPASS_MESSAGE_BUFFER);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 6), 3);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + 12), size - HDR);

  /* fixed part: id, pts, dts, duration, offset, offset_end (u64), flags
   * (u32), n_fds (u16), n_memories (u16) */
  for (i = 0; i < 8; i++)
    fail_unless_equals_int (data[HDR + i], 8 - i);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 8), info.pts);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 16), G_MAXUINT64);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 24),
      info.duration);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 32), 17);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 40), G_MAXUINT64);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + HDR + 48), info.flags);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + BUF_N_FDS_OFFSET), 3);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + BUF_N_MEMORIES_OFFSET), 2);

  /* fd entries: u32 kind, u32 reserved, u64 dev, ino, size */
  for (i = 0; i < 3; i++) {
    const guint8 *fd = data + FD_OFFSET (i);

    fail_unless_equals_int (GST_READ_UINT32_LE (fd), info.fds[i].kind);
    fail_unless_equals_int (GST_READ_UINT32_LE (fd + 4), 0);
    fail_unless_equals_uint64 (GST_READ_UINT64_LE (fd + 8), 0x1000 + i);
    fail_unless_equals_uint64 (GST_READ_UINT64_LE (fd + 16), G_MAXUINT64 - i);
    fail_unless_equals_uint64 (GST_READ_UINT64_LE (fd + 24),
        ((guint64) i + 1) << 32);
  }
  fail_unless_equals_int (data[FD_OFFSET (1)], GST_FDPASS_FD_KIND_DMABUF);

  /* memory entries: u32 fd_index, u32 reserved, u64 offset, u64 size */
  fail_unless_equals_int (GST_READ_UINT32_LE (data + MEM_OFFSET (3, 0)), 0);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + MEM_OFFSET (3, 1)), 2);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + MEM_OFFSET (3, 1) + 4), 0);
  fail_unless_equals_int (data[MEM_OFFSET (3, 1) + 8], 0x88);
  fail_unless_equals_int (data[MEM_OFFSET (3, 1) + 15], 0x11);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + MEM_OFFSET (3, 1) +
          16), 0x99);

  /* video meta extension: u16 type 1, u16 reserved, u32 length 72, then
   * u32 format, flags, width, height, n_planes, reserved, u64 offset[4],
   * i32 stride[4] */
  ext = data + EXT_OFFSET (3, 2);
  fail_unless_equals_int (GST_READ_UINT16_LE (ext), 1);
  fail_unless_equals_int (GST_READ_UINT16_LE (ext + 2), 0);
  fail_unless_equals_int (GST_READ_UINT32_LE (ext + 4), VIDEO_EXT);
  ext += EXT_HDR;
  fail_unless_equals_int (GST_READ_UINT32_LE (ext), GST_VIDEO_FORMAT_I420);
  fail_unless_equals_int (GST_READ_UINT32_LE (ext + 4), info.video.flags);
  fail_unless_equals_int (GST_READ_UINT32_LE (ext + 8), 1920);
  fail_unless_equals_int (GST_READ_UINT32_LE (ext + 12), 1080);
  fail_unless_equals_int (GST_READ_UINT32_LE (ext + 16), 3);
  fail_unless_equals_int (GST_READ_UINT32_LE (ext + 20), 0);
  for (i = 0; i < 4; i++) {
    fail_unless_equals_uint64 (GST_READ_UINT64_LE (ext + 24 + i * 8),
        info.video.offset[i]);
    fail_unless_equals_int ((gint32) GST_READ_UINT32_LE (ext + 56 + i * 4),
        info.video.stride[i]);
  }
  fail_unless (ext + VIDEO_EXT == data + size);

  g_free (data);
}

GST_END_TEST;

GST_START_TEST (test_caps_and_release_layout)
{
  guint64 ids[2] = { 1, G_GUINT64_CONSTANT (0xa0b0c0d0e0f00102) };
  GstCaps *caps;
  guint8 *data;
  gsize size;

  caps = gst_caps_from_string ("video/x-raw, width=(int)2");
  data = message_bytes (gst_fdpass_message_new_caps (caps), &size);
  gst_caps_unref (caps);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 4),
      GST_FDPASS_MESSAGE_CAPS);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + 12), size - HDR);
  fail_unless_equals_string ((const gchar *) data + HDR,
      "video/x-raw, width=(int)2");
  g_free (data);

  /* u32 count, u32 reserved, u64 ids */
  data = message_bytes (gst_fdpass_message_new_release (ids, 2), &size);
  fail_unless_equals_int (size, HDR + 8 + 16);
  fail_unless_equals_int (GST_READ_UINT16_LE (data + 4),
      GST_FDPASS_MESSAGE_RELEASE);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + HDR), 2);
  fail_unless_equals_int (GST_READ_UINT32_LE (data + HDR + 4), 0);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (data + HDR + 8), 1);
  fail_unless_equals_int (data[HDR + 16], 0x02);
  fail_unless_equals_int (data[HDR + 23], 0xa0);
  g_free (data);
}

GST_END_TEST;

/* malformed input */

GST_START_TEST (test_header_rejects)
{
  GstFdPassHeader header;
  GError *err = NULL;
  guint8 *data, orig[HDR];
  gsize size, i;
  const guint types_without_fds[] = {
    GST_FDPASS_MESSAGE_HELLO, GST_FDPASS_MESSAGE_CAPS,
    GST_FDPASS_MESSAGE_EOS, GST_FDPASS_MESSAGE_RELEASE
  };

  data = message_bytes (gst_fdpass_message_new_eos (), &size);
  memcpy (orig, data, HDR);

  /* truncated */
  fail_if (gst_fdpass_header_parse (NULL, 0, &header, &err));
  check_error (&err, GST_FDPASS_ERROR_INVALID);
  for (i = 0; i < HDR; i++) {
    fail_if (gst_fdpass_header_parse (data, i, &header, &err));
    check_error (&err, GST_FDPASS_ERROR_INVALID);
  }

  /* bad magic */
  for (i = 0; i < 4; i++) {
    memcpy (data, orig, HDR);
    data[i] ^= 0x20;
    fail_if (gst_fdpass_header_parse (data, HDR, &header, &err));
    check_error (&err, GST_FDPASS_ERROR_INVALID);
  }
  memcpy (data, "SPDF", 4);
  fail_if (gst_fdpass_header_parse (data, HDR, &header, &err));
  check_error (&err, GST_FDPASS_ERROR_INVALID);
  fail_if (gst_fdpass_header_parse (data, HDR, &header, NULL));

  /* payload too large; the limit itself is fine */
  memcpy (data, orig, HDR);
  GST_WRITE_UINT32_LE (data + 12, GST_FDPASS_MAX_PAYLOAD);
  fail_unless (gst_fdpass_header_parse (data, HDR, &header, NULL));
  fail_unless_equals_int (header.payload_size, GST_FDPASS_MAX_PAYLOAD);
  GST_WRITE_UINT32_LE (data + 12, GST_FDPASS_MAX_PAYLOAD + 1);
  fail_if (gst_fdpass_header_parse (data, HDR, &header, &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);
  GST_WRITE_UINT32_LE (data + 12, G_MAXUINT32);
  fail_if (gst_fdpass_header_parse (data, HDR, &header, &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);

  /* too many fds; the limit itself is fine */
  memcpy (data, orig, HDR);
  GST_WRITE_UINT16_LE (data + 4, GST_FDPASS_MESSAGE_BUFFER);
  GST_WRITE_UINT16_LE (data + 6, GST_FDPASS_MAX_FDS);
  fail_unless (gst_fdpass_header_parse (data, HDR, &header, NULL));
  fail_unless_equals_int (header.n_fds, GST_FDPASS_MAX_FDS);
  GST_WRITE_UINT16_LE (data + 6, GST_FDPASS_MAX_FDS + 1);
  fail_if (gst_fdpass_header_parse (data, HDR, &header, &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);
  GST_WRITE_UINT16_LE (data + 6, G_MAXUINT16);
  fail_if (gst_fdpass_header_parse (data, HDR, &header, &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);

  /* fds on messages that cannot carry any */
  for (i = 0; i < G_N_ELEMENTS (types_without_fds); i++) {
    memcpy (data, orig, HDR);
    GST_WRITE_UINT16_LE (data + 4, types_without_fds[i]);
    GST_WRITE_UINT16_LE (data + 6, 1);
    fail_if (gst_fdpass_header_parse (data, HDR, &header, &err));
    check_error (&err, GST_FDPASS_ERROR_INVALID);
  }

  /* an unknown type is accepted (and skipped by its length), fds and all */
  memcpy (data, orig, HDR);
  GST_WRITE_UINT16_LE (data + 4, 77);
  GST_WRITE_UINT16_LE (data + 6, 2);
  GST_WRITE_UINT32_LE (data + 12, 100);
  fail_unless (gst_fdpass_header_parse (data, HDR, &header, NULL));
  fail_unless_equals_int (header.type, 77);
  fail_unless_equals_int (header.n_fds, 2);
  fail_unless_equals_int (header.payload_size, 100);

  g_free (data);
}

GST_END_TEST;

/* every prefix of a valid buffer message but the full one */
GST_START_TEST (test_buffer_truncated)
{
  GstFdPassBufferInfo info, parsed;
  GstFdPassHeader header;
  GError *err = NULL;
  guint8 *data;
  gsize size, len, ext_start;

  make_buffer_info (&info, 3, 3, 3);
  data = encode_buffer (&info, &size);
  ext_start = EXT_OFFSET (3, 3);

  for (len = 0; len < size; len++) {
    /* a copy of exactly @len bytes, so that valgrind sees any overread */
    guint8 *prefix = g_memdup2 (data, len);

    if (len < HDR) {
      fail_if (gst_fdpass_header_parse (prefix, len, &header, &err));
      check_error (&err, GST_FDPASS_ERROR_INVALID);
      g_free (prefix);
      continue;
    }

    /* the header is intact and announces the full payload */
    fail_unless (gst_fdpass_header_parse (prefix, len, &header, NULL));
    fail_unless_equals_uint64 (header.payload_size, size - HDR);

    if (len == ext_start) {
      /* a payload cut exactly between the memory table and the first
       * extension block would lose the video meta; it must be rejected
       * because it is shorter than the header says (see also
       * test_buffer_payload_size_mismatch) */
      if (gst_fdpass_buffer_parse (&header, prefix + HDR, len - HDR, &parsed,
              &err)) {
        fail_if (parsed.has_video_meta);
        parsed.has_video_meta = TRUE;
        parsed.video = info.video;
        assert_buffer_info_equal (&parsed, &info);
      } else {
        check_error (&err, GST_FDPASS_ERROR_INVALID);
      }
      g_free (prefix);
      continue;
    }

    fail_if (gst_fdpass_buffer_parse (&header, prefix + HDR, len - HDR,
            &parsed, &err), "prefix of %" G_GSIZE_FORMAT " bytes accepted",
        len);
    check_error (&err, GST_FDPASS_ERROR_INVALID);
    g_free (prefix);
  }

  g_free (data);
}

GST_END_TEST;

/* gst_fdpass_buffer_parse() checks @size against header->payload_size */
GST_START_TEST (test_buffer_payload_size_mismatch)
{
  GstFdPassBufferInfo info, parsed;
  GstFdPassHeader header;
  GError *err = NULL;
  guint8 *data, *longer;
  gsize size;

  make_buffer_info (&info, 3, 3, 3);
  data = encode_buffer (&info, &size);
  parse_header (data, size, GST_FDPASS_MESSAGE_BUFFER, 3, &header);

  /* shorter than announced, at a block boundary */
  fail_if (gst_fdpass_buffer_parse (&header, data + HDR,
          EXT_OFFSET (3, 3) - HDR, &parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_INVALID);

  /* longer than announced */
  longer = g_malloc0 (size + EXT_HDR);
  memcpy (longer, data, size);
  GST_WRITE_UINT16_LE (longer + size, 99);
  fail_if (gst_fdpass_buffer_parse (&header, longer + HDR,
          size + EXT_HDR - HDR, &parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_INVALID);

  g_free (longer);
  g_free (data);
}

GST_END_TEST;

GST_START_TEST (test_buffer_rejects)
{
  GstFdPassBufferInfo info, parsed;
  GstFdPassHeader header;
  GError *err = NULL;
  guint8 *orig, *data, *ext;
  gsize size;

  make_buffer_info (&info, 2, 2, 2);
  orig = encode_buffer (&info, &size);
  data = g_malloc (size);
  ext = data + EXT_OFFSET (2, 2) + EXT_HDR;

#define RESET() memcpy (data, orig, size)

  /* a file cannot be both attached and kept already, and only files can
   * be kept */
  RESET ();
  GST_WRITE_UINT32_LE (data + FD_OFFSET (0) + 4,
      GST_FDPASS_FD_FLAG_KEEP | GST_FDPASS_FD_FLAG_KEPT);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  fail_unless_equals_int (info.fds[1].kind, GST_FDPASS_FD_KIND_DMABUF);
  GST_WRITE_UINT32_LE (data + FD_OFFSET (1) + 4, GST_FDPASS_FD_FLAG_KEEP);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  /* a kept file comes without a descriptor: the header must not count it */
  RESET ();
  GST_WRITE_UINT32_LE (data + FD_OFFSET (0) + 4, GST_FDPASS_FD_FLAG_KEPT);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_FD);
  GST_WRITE_UINT16_LE (data + 6, 1);
  fail_unless (gst_fdpass_header_parse (data, size, &header, NULL));
  fail_unless (gst_fdpass_buffer_parse (&header, data + HDR, size - HDR,
          &parsed, NULL));
  fail_unless_equals_int (parsed.fds[0].flags, GST_FDPASS_FD_FLAG_KEPT);
  /* unknown flag bits are reserved and ignored */
  RESET ();
  GST_WRITE_UINT32_LE (data + FD_OFFSET (0) + 4, 0xfff0);
  fail_unless (gst_fdpass_header_parse (data, size, &header, NULL));
  fail_unless (gst_fdpass_buffer_parse (&header, data + HDR, size - HDR,
          &parsed, NULL));
  fail_unless_equals_int (parsed.fds[0].flags, 0);

  /* fd count in the payload differs from the header */
  RESET ();
  GST_WRITE_UINT16_LE (data + BUF_N_FDS_OFFSET, 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_FD);
  RESET ();
  GST_WRITE_UINT16_LE (data + 6, 3);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_FD);
  RESET ();
  GST_WRITE_UINT16_LE (data + 6, 0);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_FD);

  /* more fds than allowed, with a header that agrees (bypassing
   * gst_fdpass_header_parse(), which would refuse it) */
  RESET ();
  GST_WRITE_UINT16_LE (data + BUF_N_FDS_OFFSET, GST_FDPASS_MAX_FDS + 1);
  header.type = GST_FDPASS_MESSAGE_BUFFER;
  header.n_fds = GST_FDPASS_MAX_FDS + 1;
  header.flags = 0;
  header.payload_size = size - HDR;
  fail_if (gst_fdpass_buffer_parse (&header, data + HDR, size - HDR, &parsed,
          &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);

  /* too many memories */
  RESET ();
  GST_WRITE_UINT16_LE (data + BUF_N_MEMORIES_OFFSET,
      GST_FDPASS_MAX_MEMORIES + 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_TOO_LARGE);
  RESET ();
  GST_WRITE_UINT16_LE (data + BUF_N_MEMORIES_OFFSET, G_MAXUINT16);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_TOO_LARGE);

  /* memory naming a missing fd */
  RESET ();
  GST_WRITE_UINT32_LE (data + MEM_OFFSET (2, 1), 2);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (data + MEM_OFFSET (2, 0), G_MAXUINT32);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);

  /* offset + size overflowing or not fitting in memory */
  RESET ();
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 0) + 8, G_MAXUINT64);
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 0) + 16, 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_TOO_LARGE);
  RESET ();
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 1) + 8, 1);
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 1) + 16, G_MAXUINT64);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_TOO_LARGE);
  RESET ();
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 1) + 8, G_MAXSSIZE);
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 1) + 16, 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_TOO_LARGE);
  RESET ();
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 1) + 8,
      G_GUINT64_CONSTANT (1) << 63);
  GST_WRITE_UINT64_LE (data + MEM_OFFSET (2, 1) + 16,
      G_GUINT64_CONSTANT (1) << 63);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_TOO_LARGE);

  /* unknown fd kind */
  RESET ();
  GST_WRITE_UINT32_LE (data + FD_OFFSET (1), 2);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (data + FD_OFFSET (0), G_MAXUINT32);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);

  /* video meta: plane count, format, size */
  RESET ();
  GST_WRITE_UINT32_LE (ext + 16, 0);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext + 16, GST_VIDEO_MAX_PLANES + 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext + 16, G_MAXUINT32);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext, GST_VIDEO_FORMAT_UNKNOWN);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext, 100000);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext, G_MAXUINT32);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  /* the value after the last format this GstVideo knows; the last one is
   * accepted */
  RESET ();
  GST_WRITE_UINT32_LE (ext, last_video_format () + 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext, last_video_format ());
  parse_header (data, size, GST_FDPASS_MESSAGE_BUFFER, 2, &header);
  fail_unless (gst_fdpass_buffer_parse (&header, data + HDR, size - HDR,
          &parsed, NULL));
  fail_unless_equals_int (parsed.video.format, last_video_format ());
  RESET ();
  GST_WRITE_UINT32_LE (ext + 8, 0);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext + 12, 0);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext + 8, (guint32) G_MAXINT + 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);

  /* video meta extension shorter than the meta */
  RESET ();
  GST_WRITE_UINT32_LE (ext - 4, VIDEO_EXT - 1);
  set_payload_size (data, size - 1);
  check_buffer_fails (data, size - 1, GST_FDPASS_ERROR_INVALID);

  /* extension longer than what is left */
  RESET ();
  GST_WRITE_UINT32_LE (ext - 4, VIDEO_EXT + 1);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);
  RESET ();
  GST_WRITE_UINT32_LE (ext - 4, G_MAXUINT32);
  check_buffer_fails (data, size, GST_FDPASS_ERROR_INVALID);

  g_free (data);

  /* two video metas */
  data = g_malloc (size + EXT_HDR + VIDEO_EXT);
  memcpy (data, orig, size);
  memcpy (data + size, orig + EXT_OFFSET (2, 2), EXT_HDR + VIDEO_EXT);
  set_payload_size (data, size + EXT_HDR + VIDEO_EXT);
  check_buffer_fails (data, size + EXT_HDR + VIDEO_EXT,
      GST_FDPASS_ERROR_INVALID);
  g_free (data);

  /* the parser did not change anything on the way: the original still
   * parses */
  check_buffer_parses_to (orig, size, &info);
  g_free (orig);

  /* too many memories also when the table would be complete */
  make_buffer_info (&info, 1, GST_FDPASS_MAX_MEMORIES, 0);
  orig = encode_buffer (&info, &size);
  data = g_malloc0 (size + MEM_ENTRY);
  memcpy (data, orig, size);
  GST_WRITE_UINT16_LE (data + BUF_N_MEMORIES_OFFSET,
      GST_FDPASS_MAX_MEMORIES + 1);
  set_payload_size (data, size + MEM_ENTRY);
  check_buffer_fails (data, size + MEM_ENTRY, GST_FDPASS_ERROR_TOO_LARGE);
  g_free (data);
  g_free (orig);

  /* memories without any fd */
  make_buffer_info (&info, 1, 1, 0);
  orig = encode_buffer (&info, &size);
  GST_WRITE_UINT16_LE (orig + 6, 0);
  GST_WRITE_UINT16_LE (orig + BUF_N_FDS_OFFSET, 0);
  memmove (orig + FD_OFFSET (0), orig + FD_OFFSET (1), MEM_ENTRY);
  set_payload_size (orig, size - FD_ENTRY);
  check_buffer_fails (orig, size - FD_ENTRY, GST_FDPASS_ERROR_INVALID);
  g_free (orig);

#undef RESET
}

GST_END_TEST;

GST_START_TEST (test_buffer_unknown_extensions_skipped)
{
  GstFdPassBufferInfo info;
  guint8 *orig, *data, *p;
  gsize size, new_size;

  make_buffer_info (&info, 2, 3, 3);
  orig = encode_buffer (&info, &size);

  /* an empty block of type 100 and a 13 byte block of type 99 at the end */
  new_size = size + EXT_HDR + EXT_HDR + 13;
  data = g_malloc0 (new_size);
  memcpy (data, orig, size);
  p = data + size;
  GST_WRITE_UINT16_LE (p, 100);
  GST_WRITE_UINT32_LE (p + 4, 0);
  p += EXT_HDR;
  GST_WRITE_UINT16_LE (p, 99);
  GST_WRITE_UINT16_LE (p + 2, 0xffff);
  GST_WRITE_UINT32_LE (p + 4, 13);
  memset (p + EXT_HDR, 0xee, 13);
  set_payload_size (data, new_size);
  check_buffer_parses_to (data, new_size, &info);
  g_free (data);

  /* the same block in front of the video meta */
  new_size = size + EXT_HDR + 13;
  data = g_malloc0 (new_size);
  memcpy (data, orig, EXT_OFFSET (2, 3));
  p = data + EXT_OFFSET (2, 3);
  GST_WRITE_UINT16_LE (p, 99);
  GST_WRITE_UINT32_LE (p + 4, 13);
  memset (p + EXT_HDR, 0x01, 13);
  memcpy (p + EXT_HDR + 13, orig + EXT_OFFSET (2, 3), EXT_HDR + VIDEO_EXT);
  set_payload_size (data, new_size);
  check_buffer_parses_to (data, new_size, &info);
  g_free (data);

  /* a longer video meta (from a later minor version) keeps its known
   * fields */
  new_size = size + 16;
  data = g_malloc0 (new_size);
  memcpy (data, orig, size);
  GST_WRITE_UINT32_LE (data + EXT_OFFSET (2, 3) + 4, VIDEO_EXT + 16);
  memset (data + size, 0x77, 16);
  set_payload_size (data, new_size);
  check_buffer_parses_to (data, new_size, &info);
  g_free (data);

  g_free (orig);
}

GST_END_TEST;

GST_START_TEST (test_hello_rejects)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, GST_FDPASS_FEATURE_RELEASE
  };
  GstFdPassHello parsed;
  GstFdPassHeader header;
  GError *err = NULL;
  guint8 *data, *longer;
  gsize size, i;

  data = message_bytes (gst_fdpass_message_new_hello (&hello), &size);

  /* truncated; the max files field of 1.1 is optional */
  for (i = 0; i < 8; i++) {
    guint8 *prefix = g_memdup2 (data + HDR, i);

    fail_if (gst_fdpass_hello_parse (prefix, i, &parsed, &err));
    check_error (&err, GST_FDPASS_ERROR_INVALID);
    g_free (prefix);
  }

  /* another major version */
  GST_WRITE_UINT16_LE (data + HDR, 2);
  fail_if (gst_fdpass_hello_parse (data + HDR, size - HDR, &parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_VERSION);
  GST_WRITE_UINT16_LE (data + HDR, 0);
  fail_if (gst_fdpass_hello_parse (data + HDR, size - HDR, &parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_VERSION);
  GST_WRITE_UINT16_LE (data + HDR, G_MAXUINT16);
  fail_if (gst_fdpass_hello_parse (data + HDR, size - HDR, &parsed, NULL));

  /* another minor version and trailing bytes are fine: later versions
   * may append fields */
  GST_WRITE_UINT16_LE (data + HDR, GST_FDPASS_VERSION_MAJOR);
  GST_WRITE_UINT16_LE (data + HDR + 2, 99);
  longer = g_malloc (size + 20);
  memcpy (longer, data, size);
  memset (longer + size, 0xab, 20);
  set_payload_size (longer, size + 20);
  parse_header (longer, size + 20, GST_FDPASS_MESSAGE_HELLO, 0, &header);
  fail_unless (gst_fdpass_hello_parse (longer + HDR, size + 20 - HDR,
          &parsed, &err));
  fail_unless (err == NULL);
  fail_unless_equals_int (parsed.version_major, GST_FDPASS_VERSION_MAJOR);
  fail_unless_equals_int (parsed.version_minor, 99);
  fail_unless_equals_int (parsed.features, GST_FDPASS_FEATURE_RELEASE);

  g_free (longer);
  g_free (data);
}

GST_END_TEST;

static void
check_caps_fails (const gchar * payload, gsize size)
{
  GError *err = NULL;
  guint8 *copy = g_memdup2 (payload, size);

  fail_unless (gst_fdpass_caps_parse (copy, size, &err) == NULL);
  check_error (&err, GST_FDPASS_ERROR_INVALID);
  fail_unless (gst_fdpass_caps_parse (copy, size, NULL) == NULL);
  g_free (copy);
}

#define CHECK_CAPS_FAILS(literal) \
    check_caps_fails (literal, sizeof (literal))

GST_START_TEST (test_caps_rejects)
{
  /* no NUL terminator */
  check_caps_fails ("video/x-raw", strlen ("video/x-raw"));
  check_caps_fails ("", 0);
  /* embedded NUL */
  CHECK_CAPS_FAILS ("video/x-raw\0, width=(int)1");
  CHECK_CAPS_FAILS ("\0video/x-raw");
  /* not fixed */
  CHECK_CAPS_FAILS ("video/x-raw, width=[1,10]");
  CHECK_CAPS_FAILS ("video/x-raw, format={ NV12, I420 }");
  CHECK_CAPS_FAILS ("video/x-raw; video/x-bayer");
  CHECK_CAPS_FAILS ("ANY");
  CHECK_CAPS_FAILS ("EMPTY");
  CHECK_CAPS_FAILS ("");
  /* not caps */
  CHECK_CAPS_FAILS ("video/x-raw, width=(int)notanumber");
  CHECK_CAPS_FAILS ("#$%^&*");
  /* invalid UTF-8 */
  CHECK_CAPS_FAILS ("video/x-raw, name=(string)\"\xff\xfe\"");
  CHECK_CAPS_FAILS ("video/x-raw, name=(string)\"\xc3\"");
}

GST_END_TEST;

GST_START_TEST (test_release_rejects)
{
  guint64 ids[3] = { 1, 2, 3 };
  guint64 *parsed = NULL;
  guint n_parsed = 12345;
  GError *err = NULL;
  guint8 *data;
  gsize size, i;

  data = message_bytes (gst_fdpass_message_new_release (ids, 3), &size);

  /* truncated */
  for (i = 0; i < size - HDR; i++) {
    guint8 *prefix = g_memdup2 (data + HDR, i);

    fail_if (gst_fdpass_release_parse (prefix, i, &parsed, &n_parsed, &err));
    check_error (&err, GST_FDPASS_ERROR_INVALID);
    fail_unless (parsed == NULL);
    fail_unless_equals_int (n_parsed, 12345);
    g_free (prefix);
  }

  /* too many ids */
  GST_WRITE_UINT32_LE (data + HDR, GST_FDPASS_MAX_RELEASE_IDS + 1);
  fail_if (gst_fdpass_release_parse (data + HDR, size - HDR, &parsed,
          &n_parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);
  GST_WRITE_UINT32_LE (data + HDR, G_MAXUINT32);
  fail_if (gst_fdpass_release_parse (data + HDR, size - HDR, &parsed,
          &n_parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_TOO_LARGE);
  /* more ids announced than present */
  GST_WRITE_UINT32_LE (data + HDR, 4);
  fail_if (gst_fdpass_release_parse (data + HDR, size - HDR, &parsed,
          &n_parsed, &err));
  check_error (&err, GST_FDPASS_ERROR_INVALID);
  fail_unless (parsed == NULL);

  /* fewer: the rest is trailing data */
  GST_WRITE_UINT32_LE (data + HDR, 2);
  fail_unless (gst_fdpass_release_parse (data + HDR, size - HDR, &parsed,
          &n_parsed, NULL));
  fail_unless_equals_int (n_parsed, 2);
  fail_unless_equals_uint64 (parsed[0], 1);
  fail_unless_equals_uint64 (parsed[1], 2);
  g_free (parsed);

  g_free (data);
}

GST_END_TEST;

/* In GStreamer 1.22 gst_caps_from_string() g_critical()s or g_warning()s on
 * some malformed strings, so a peer could make the receiver log criticals
 * (or abort under G_DEBUG=fatal-warnings). Each of these must be rejected
 * quietly. */
GST_START_TEST (test_caps_rejects_quietly)
{
  /* media type not starting with a letter: g_critical() */
  CHECK_CAPS_FAILS ("6ideo/x-raw, width=(int)1");
  CHECK_CAPS_FAILS ("-video, width=(int)1");
  /* a second structure with a bad name: g_critical() */
  CHECK_CAPS_FAILS ("video/x-raw, width=(int)1; 6x, a=(int)1");
  /* invalid caps features: g_warning() */
  CHECK_CAPS_FAILS ("video/x-raw(memory:System Memory), width=(int)1");
  CHECK_CAPS_FAILS ("video/x-raw( format=(string)NV12, width=(int)1");
  CHECK_CAPS_FAILS ("video/x-raw(-emory:SystemMemory), width=(int)1");
  /* 0.10 style raw video: g_warning() */
  CHECK_CAPS_FAILS ("video/x-raw-yuv, width=(int)1");
  /* found by the fuzzer: 0.10-style raw audio makes GStreamer warn, and
   * a structure named like special caps cannot be sent back */
  CHECK_CAPS_FAILS ("audio/x-raw-int, rate=(int)5");
  CHECK_CAPS_FAILS ("NONE,");
  CHECK_CAPS_FAILS ("ANY, a=(int)1");
  CHECK_CAPS_FAILS ("EMPTY");
  /* nested structure with trailing data: g_warning() */
  CHECK_CAPS_FAILS ("video/x-raw, s=(structure)\"foo;\\, a\\=(int)1;\"");
}

GST_END_TEST;

/* A caps message may only cast values to types whose deserializers cannot
 * be made to assert: in 1.22 "(buffer)zz" alone makes gst_caps_from_string()
 * g_critical(). Everything else is an error, whatever the value. */
GST_START_TEST (test_caps_rejects_unsafe_types)
{
  /* the report: a buffer that is not hex */
  CHECK_CAPS_FAILS ("video/x-raw, format=(buffer)zz");
  CHECK_CAPS_FAILS ("video/x-raw, format=(buffer)");
  CHECK_CAPS_FAILS ("video/x-raw, format=( buffer )zz");
  CHECK_CAPS_FAILS ("video/x-raw, format=(GstBuffer)zz");
  /* even when the value would deserialize fine */
  CHECK_CAPS_FAILS ("video/x-raw, streamheader=(buffer)00ff");
  CHECK_CAPS_FAILS ("video/x-raw, streamheader=(buffer)< 00, 01 >");
  /* nested structures and caps */
  CHECK_CAPS_FAILS ("video/x-raw, s=(structure)\"s, b=(buffer)zz;\"");
  CHECK_CAPS_FAILS ("video/x-raw, s=(GstStructure)\"s;\"");
  CHECK_CAPS_FAILS ("video/x-raw, c=(caps)\"video/x-raw\"");
  CHECK_CAPS_FAILS ("video/x-raw, c=(GstCaps)\"video/x-raw\"");
  CHECK_CAPS_FAILS ("video/x-raw, f=(GstCapsFeatures)\"memory:X\"");
  /* other boxed and object types */
  CHECK_CAPS_FAILS ("video/x-raw, s=(sample)zz");
  CHECK_CAPS_FAILS ("video/x-raw, s=(GstSample)zz");
  CHECK_CAPS_FAILS ("video/x-raw, t=(taglist)\"taglist, title=(string)x;\"");
  CHECK_CAPS_FAILS ("video/x-raw, t=(GstTagList)\"taglist;\"");
  CHECK_CAPS_FAILS ("video/x-raw, d=(date)2024-99-99");
  CHECK_CAPS_FAILS ("video/x-raw, d=(GDate)2024-01-01");
  CHECK_CAPS_FAILS ("video/x-raw, d=(datetime)garbage");
  CHECK_CAPS_FAILS ("video/x-raw, d=(GstDateTime)2024-01-01T00:00:00Z");
  CHECK_CAPS_FAILS ("video/x-raw, s=(GstSegment)x");
  CHECK_CAPS_FAILS ("video/x-raw, t=(type)GstBuffer");
  CHECK_CAPS_FAILS ("video/x-raw, t=(GType)gint");
  CHECK_CAPS_FAILS ("video/x-raw, o=(GObject)x");
  CHECK_CAPS_FAILS ("video/x-raw, o=(GstElement)fakesink");
  CHECK_CAPS_FAILS ("video/x-raw, o=(gpointer)0x1234");
  /* enums and plain flags, and flag sets nobody registered */
  CHECK_CAPS_FAILS ("video/x-raw, f=(GstVideoFormat)I420");
  CHECK_CAPS_FAILS ("video/x-raw, f=(GstVideoMultiviewFlags)half-aspect");
  CHECK_CAPS_FAILS ("video/x-raw, f=(GstNoSuchFlagsSet)0:ffffffff");
  CHECK_CAPS_FAILS ("video/x-raw, f=(nosuchtype)1");
  /* casts to containers */
  CHECK_CAPS_FAILS ("video/x-raw, a=(array)< (int)1 >");
  CHECK_CAPS_FAILS ("video/x-raw, a=(GstValueArray)< 1 >");
  CHECK_CAPS_FAILS ("video/x-raw, a=(list){ (int)1 }");
  /* casts inside arrays */
  CHECK_CAPS_FAILS ("video/x-raw, a=< (int)1, (buffer)zz >");
  CHECK_CAPS_FAILS ("video/x-raw, a=(int)< 1, < (buffer)zz > >");
  /* malformed casts */
  CHECK_CAPS_FAILS ("video/x-raw, a=(int");
  CHECK_CAPS_FAILS ("video/x-raw, a=()1");
  CHECK_CAPS_FAILS ("video/x-raw, a=(in t)1");
  CHECK_CAPS_FAILS ("video/x-raw, a=(int)(buffer)zz");
  CHECK_CAPS_FAILS ("video/x-raw, a=(string)\"unterminated");
  /* lists and ranges are never fixed, and reversed bounds g_critical() */
  CHECK_CAPS_FAILS ("video/x-raw, a=[ 2, 1 ]");
  CHECK_CAPS_FAILS ("video/x-raw, a=[ 1, 10, 3 ]");
  CHECK_CAPS_FAILS ("video/x-raw, a=(gint64)[ 2, 1 ]");
  CHECK_CAPS_FAILS ("video/x-raw, a=[ 1.0, 0.5 ]");
  CHECK_CAPS_FAILS ("video/x-raw, a=(fraction)[ 1/2, -2147483648/1 ]");
  CHECK_CAPS_FAILS ("video/x-raw, a={ (buffer)zz }");
  CHECK_CAPS_FAILS ("video/x-raw, a=(fraction){ 1/2, -2147483648/1 }");
  /* fractions gst_value_set_fraction() g_critical()s on */
  CHECK_CAPS_FAILS ("video/x-raw, framerate=(fraction)-2147483648/1");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=(fraction)2147483648/1");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=(fraction)+2147483648/1");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=(fraction) -2147483648/1");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=(fraction)1/-2147483648");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=(fraction)2147483648");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=(GstFraction)99999999999/1");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=-2147483648/1");
  CHECK_CAPS_FAILS ("video/x-raw, framerate=1/2147483648");
  CHECK_CAPS_FAILS ("video/x-raw, a=(fraction)< 1/2, -2147483648/1 >");
  CHECK_CAPS_FAILS ("video/x-raw, a=(fraction)< (int)1, -2147483648/1 >");
  CHECK_CAPS_FAILS ("video/x-raw, a=(fraction)< < 1/2, 2147483648 > >");
  /* strings that come out NULL */
  CHECK_CAPS_FAILS ("video/x-raw, format=NULL");
  CHECK_CAPS_FAILS ("video/x-raw, format=(string)NULL");
  CHECK_CAPS_FAILS ("video/x-raw, format=(gchararray)NULL");
  CHECK_CAPS_FAILS ("video/x-raw, a=< NULL >");
  /* quoted values without a type: 1.22 g_warning()s when they read as
   * numbers */
  CHECK_CAPS_FAILS ("video/x-raw, a=\"\"");
  CHECK_CAPS_FAILS ("video/x-raw, a=\"5\"");
  CHECK_CAPS_FAILS ("video/x-raw, a=< \"5\" >");
  /* arrays nested too deep */
  CHECK_CAPS_FAILS ("video/x-raw, a=< < < < < < < < < 1 > > > > > > > > >");
  CHECK_CAPS_FAILS ("video/x-raw, a=1 >");
}

GST_END_TEST;

static void
check_caps_parses (const gchar * str)
{
  GError *err = NULL;
  GstCaps *caps, *expected;

  caps = gst_fdpass_caps_parse ((const guint8 *) str, strlen (str) + 1, &err);
  fail_unless (caps != NULL, "'%s' rejected: %s", str, err ? err->message : "");
  fail_unless (err == NULL);
  expected = gst_caps_from_string (str);
  fail_unless (gst_caps_is_equal (caps, expected), "%" GST_PTR_FORMAT
      " != %" GST_PTR_FORMAT, caps, expected);
  gst_caps_unref (expected);
  gst_caps_unref (caps);
}

/* Every basic type, by each name gst_caps_to_string() writes or
 * gst_caps_from_string() reads. */
GST_START_TEST (test_caps_accepts_basic_types)
{
  /* a decoder's caps, multiview flags included: the parser registers
   * their type, nobody else has yet */
  check_caps_parses ("video/x-raw, format=(string)NV12, width=(int)1920, "
      "height=(int)1080, interlace-mode=(string)progressive, "
      "multiview-mode=(string)mono, "
      "multiview-flags=(GstVideoMultiviewFlagsSet)0:ffffffff:/"
      "right-view-first/left-flipped/left-flopped/right-flipped/"
      "right-flopped/half-aspect/mixed-mono, "
      "pixel-aspect-ratio=(fraction)1/1, chroma-site=(string)mpeg2, "
      "colorimetry=(string)bt709, framerate=(fraction)30000/1001");

  check_caps_parses ("video/x-raw, a=(int)1, b=(i)-2, c=(uint)4294967295, "
      "d=(u)4, e=(gint)5, f=(guint)6, g=(gint64)-9223372036854775808, "
      "h=(guint64)18446744073709551615");
  check_caps_parses ("video/x-raw, a=(float)0.5, b=(f)1.5, c=(gfloat)2.5, "
      "d=(double)1e+300, e=(d)-3.5, f=(gdouble)4.5");
  check_caps_parses ("video/x-raw, a=(fraction)30000/1001, "
      "b=(GstFraction)-2147483647/2147483647, c=(fraction)0/1, "
      "d=(fraction)1/max");
  check_caps_parses ("video/x-raw, a=(boolean)true, b=(bool)false, "
      "c=(b)yes, d=(gboolean)no");
  check_caps_parses ("video/x-raw, a=(string)I420, b=(str)\"x y\", "
      "c=(s)\"(buffer)zz, { [ ; \\\" \", d=(gchararray)\"NULL\", "
      "e=(string)\"\"");
  check_caps_parses ("video/x-raw, a=(bitmask)0x3, b=(GstBitmask)0x0");
  check_caps_parses ("video/x-raw, a=(flagset)1:ffffffff, "
      "b=(GstFlagSet)0:ffffffff, "
      "c=(GstVideoMultiviewFlagsSet)0:ffffffff:/right-view-first");
  check_caps_parses ("video/x-raw, a=(int)< 1, 2 >, b=< (int)1, (string)x >, "
      "c=(fraction)< 1/2, < 3/4 > >, d=(guint64)< 18446744073709551615 >, "
      "e=< < < < < < < < 1 > > > > > > > >");
  /* values without a type */
  check_caps_parses ("video/x-raw, a=1, b=2.5, c=30/1, d=true, e=I420, "
      "f=1:ffffffff, g=99999999999.5, h=(string)< \"quoted\" >");
}

GST_END_TEST;

/* G_DEFINE_QUARK() stringifies its argument, which gst-indent mangles: the
 * quark must have its real name */
GST_START_TEST (test_error_quark)
{
  fail_unless_equals_string (g_quark_to_string (GST_FDPASS_ERROR),
      "gst-fdpass-error-quark");
}

GST_END_TEST;

/* fuzzing */

static void
check_parsed_buffer_limits (const GstFdPassHeader * header,
    const GstFdPassBufferInfo * info)
{
  guint i;

  fail_unless (info->n_fds <= GST_FDPASS_MAX_FDS);
  fail_unless_equals_int (info->n_fds, header->n_fds);
  fail_unless (info->n_memories <= GST_FDPASS_MAX_MEMORIES);
  for (i = 0; i < info->n_fds; i++)
    fail_unless (info->fds[i].kind == GST_FDPASS_FD_KIND_FILE ||
        info->fds[i].kind == GST_FDPASS_FD_KIND_DMABUF);
  for (i = 0; i < info->n_memories; i++) {
    const GstFdPassMemInfo *mem = &info->memories[i];

    fail_unless (mem->fd_index < info->n_fds);
    fail_unless (mem->offset <= G_MAXSSIZE);
    fail_unless (mem->size <= G_MAXSSIZE - mem->offset);
  }
  if (info->has_video_meta) {
    fail_unless (info->video.n_planes >= 1);
    fail_unless (info->video.n_planes <= GST_VIDEO_MAX_PLANES);
    fail_unless (info->video.width > 0 && info->video.width <= G_MAXINT);
    fail_unless (info->video.height > 0 && info->video.height <= G_MAXINT);
    fail_unless (gst_video_format_to_string (info->video.format) != NULL);
  }
}

/* gst_fdpass_caps_parse() must keep gst_caps_from_string() from logging
 * criticals and warnings on malformed input (see test_caps_rejects_quietly):
 * the fuzzer counts any that happen while a caps message is parsed, and
 * there must be none. */
static gboolean in_caps_parse = FALSE;
static guint n_caps_warnings = 0;

static gboolean
caps_warning_filter (const gchar * log_domain, GLogLevelFlags log_level,
    const gchar * message, gpointer user_data)
{
  if (!in_caps_parse)
    return FALSE;

  GST_INFO ("caps parser warned: %s", message);
  n_caps_warnings++;
  return TRUE;
}

/* parses @data like a receiver would; returns whether it was accepted */
static gboolean
parse_any (const guint8 * data, gsize size)
{
  GstFdPassHeader header;
  GError *err = NULL;
  gboolean ok = FALSE;

  if (!gst_fdpass_header_parse (data, size, &header, &err))
    goto done;

  fail_unless (header.payload_size <= GST_FDPASS_MAX_PAYLOAD);
  fail_unless (header.n_fds <= GST_FDPASS_MAX_FDS);
  if (header.payload_size > size - HDR)
    return FALSE;               /* a receiver waits for more */

  switch (header.type) {
    case GST_FDPASS_MESSAGE_HELLO:{
      GstFdPassHello hello;

      fail_unless_equals_int (header.n_fds, 0);
      ok = gst_fdpass_hello_parse (data + HDR, header.payload_size, &hello,
          &err);
      if (ok)
        fail_unless_equals_int (hello.version_major, GST_FDPASS_VERSION_MAJOR);
      break;
    }
    case GST_FDPASS_MESSAGE_CAPS:{
      GstCaps *caps;

      fail_unless_equals_int (header.n_fds, 0);
      in_caps_parse = TRUE;
      caps = gst_fdpass_caps_parse (data + HDR, header.payload_size, &err);
      in_caps_parse = FALSE;
      if (caps) {
        fail_unless (gst_caps_is_fixed (caps));
        gst_caps_unref (caps);
        ok = TRUE;
      }
      break;
    }
    case GST_FDPASS_MESSAGE_BUFFER:{
      GstFdPassBufferInfo info;

      ok = gst_fdpass_buffer_parse (&header, data + HDR, header.payload_size,
          &info, &err);
      if (ok)
        check_parsed_buffer_limits (&header, &info);
      break;
    }
    case GST_FDPASS_MESSAGE_RELEASE:{
      guint64 *ids = NULL;
      guint n_ids = 0;

      fail_unless_equals_int (header.n_fds, 0);
      ok = gst_fdpass_release_parse (data + HDR, header.payload_size, &ids,
          &n_ids, &err);
      if (ok) {
        fail_unless (ids != NULL);
        fail_unless (n_ids <= GST_FDPASS_MAX_RELEASE_IDS);
        fail_unless ((gsize) n_ids * 8 + 8 <= header.payload_size);
        g_free (ids);
      } else {
        fail_unless (ids == NULL);
      }
      break;
    }
    default:
      /* EOS and unknown types carry nothing to parse */
      ok = TRUE;
      break;
  }

done:
  if (ok) {
    fail_unless (err == NULL);
  } else {
    fail_unless (err != NULL);
    fail_unless (err->domain == GST_FDPASS_ERROR, "%s",
        g_quark_to_string (err->domain));
    g_clear_error (&err);
  }

  return ok;
}

GST_START_TEST (test_fuzz)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR, 0, 1 };
  guint64 ids[5] = { 1, 2, 3, G_MAXUINT64, 0 };
  GstFdPassBufferInfo info;
  GPtrArray *seeds;
  GArray *sizes;
  GstCheckLogFilter *filters[2];
  GRand *rand;
  GstCaps *caps;
  guint i, n_ok = 0, n_fail = 0;

  seeds = g_ptr_array_new_with_free_func (g_free);
  sizes = g_array_new (FALSE, FALSE, sizeof (gsize));

#define ADD_SEED(msg) G_STMT_START { \
    gsize s; \
    g_ptr_array_add (seeds, message_bytes (msg, &s)); \
    g_array_append_val (sizes, s); \
  } G_STMT_END

  ADD_SEED (gst_fdpass_message_new_hello (&hello));
  caps = gst_caps_from_string ("video/x-raw, format=NV12, width=64, "
      "height=48, framerate=30/1");
  ADD_SEED (gst_fdpass_message_new_caps (caps));
  gst_caps_unref (caps);
  /* casts, arrays and values of every accepted type, for the mutations to
   * turn into others */
  gst_video_multiview_flagset_get_type ();
  caps = gst_caps_from_string ("video/x-raw(memory:SystemMemory), "
      "format=(string)\"NV12\", width=(int)64, height=(uint)48, "
      "framerate=(fraction)< 30/1, -2147483647/1 >, a=(gint64)-1, "
      "b=(guint64)18446744073709551615, c=(double)0.5, d=(float)1.5, "
      "e=(boolean)true, f=(bitmask)0x3, g=(flagset)1:ffffffff, "
      "h=(GstVideoMultiviewFlagsSet)0:ffffffff:/half-aspect, "
      "i=(int)< < 1, 2 >, < 3 > >");
  fail_unless (caps != NULL);
  ADD_SEED (gst_fdpass_message_new_caps (caps));
  gst_caps_unref (caps);
  make_buffer_info (&info, 3, 4, 3);
  ADD_SEED (gst_fdpass_message_new_buffer (&info));
  make_buffer_info (&info, 1, 1, 2);
  ADD_SEED (gst_fdpass_message_new_buffer (&info));
  make_buffer_info (&info, 0, 0, 0);
  ADD_SEED (gst_fdpass_message_new_buffer (&info));
  ADD_SEED (gst_fdpass_message_new_eos ());
  ADD_SEED (gst_fdpass_message_new_release (ids, G_N_ELEMENTS (ids)));

#undef ADD_SEED

  /* every seed is valid to start with */
  for (i = 0; i < seeds->len; i++)
    fail_unless (parse_any (g_ptr_array_index (seeds, i),
            g_array_index (sizes, gsize, i)));

  filters[0] = gst_check_add_log_filter ("GStreamer", G_LOG_LEVEL_CRITICAL,
      g_regex_new (".*", 0, 0, NULL), caps_warning_filter, NULL, NULL);
  filters[1] = gst_check_add_log_filter ("GStreamer", G_LOG_LEVEL_WARNING,
      g_regex_new (".*", 0, 0, NULL), caps_warning_filter, NULL, NULL);
  n_caps_warnings = 0;

  rand = g_rand_new_with_seed (0xfd9a55);
  for (i = 0; i < 20000; i++) {
    guint seed = g_rand_int_range (rand, 0, seeds->len);
    gsize size = g_array_index (sizes, gsize, seed);
    guint8 *data = g_memdup2 (g_ptr_array_index (seeds, seed), size);
    guint n_flips = g_rand_int_range (rand, 1, 5), f;

    for (f = 0; f < n_flips; f++) {
      gsize pos = g_rand_int_range (rand, 0, size);

      if (g_rand_boolean (rand))
        data[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
      else
        data[pos] = g_rand_int_range (rand, 0, 256);
    }
    /* now and then also cut the message short */
    if (g_rand_int_range (rand, 0, 8) == 0)
      size = g_rand_int_range (rand, 0, size + 1);

    if (parse_any (data, size))
      n_ok++;
    else
      n_fail++;
    g_free (data);
  }
  g_rand_free (rand);

  gst_check_remove_log_filter (filters[0]);
  gst_check_remove_log_filter (filters[1]);

  GST_INFO ("%u mutated messages accepted, %u rejected", n_ok, n_fail);
  fail_unless_equals_int (n_caps_warnings, 0);
  /* both outcomes happen, so the loop exercised the checks */
  fail_unless (n_ok > 0);
  fail_unless (n_fail > 0);

  g_array_unref (sizes);
  g_ptr_array_unref (seeds);
}

GST_END_TEST;

/* the stream time extension (type 2): round trip, and malformed blocks */
GST_START_TEST (test_buffer_stream_time)
{
  GstFdPassBufferInfo info, parsed;
  GstFdPassHeader header;
  GError *err = NULL;
  GstMapInfo map;
  GstBuffer *msg;
  guint8 *copy;

  memset (&info, 0, sizeof (info));
  info.id = 7;
  info.pts = 3600 * GST_SECOND + 5;
  info.dts = GST_CLOCK_TIME_NONE;
  info.duration = GST_CLOCK_TIME_NONE;
  info.has_stream_time = TRUE;
  info.stream_time = 12 * GST_SECOND;

  msg = gst_fdpass_message_new_buffer (&info);
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  fail_unless (gst_fdpass_header_parse (map.data, map.size, &header, NULL));
  /* fixed part, then one 8 byte block */
  fail_unless_equals_int (header.payload_size, 56 + 8 + 8);
  fail_unless_equals_int (GST_READ_UINT16_LE (map.data + 16 + 56), 2);
  fail_unless_equals_int (GST_READ_UINT32_LE (map.data + 16 + 56 + 4), 8);
  fail_unless_equals_uint64 (GST_READ_UINT64_LE (map.data + 16 + 56 + 8),
      12 * GST_SECOND);
  fail_unless (gst_fdpass_buffer_parse (&header, map.data + 16,
          header.payload_size, &parsed, NULL));
  fail_unless (parsed.has_stream_time);
  fail_unless_equals_uint64 (parsed.stream_time, 12 * GST_SECOND);
  fail_unless_equals_uint64 (parsed.pts, info.pts);

  /* a block too short for its value */
  copy = g_memdup2 (map.data, map.size);
  GST_WRITE_UINT32_LE (copy + 16 + 56 + 4, 4);
  GST_WRITE_UINT32_LE (copy + 12, 56 + 8 + 4);
  header.payload_size = 56 + 8 + 4;
  fail_if (gst_fdpass_buffer_parse (&header, copy + 16, 56 + 8 + 4, &parsed,
          &err));
  fail_unless (g_error_matches (err, GST_FDPASS_ERROR,
          GST_FDPASS_ERROR_INVALID));
  g_clear_error (&err);
  g_free (copy);

  /* two of them */
  copy = g_malloc (map.size + 16);
  memcpy (copy, map.data, map.size);
  memcpy (copy + map.size, map.data + 16 + 56, 16);
  header.payload_size = 56 + 32;
  fail_if (gst_fdpass_buffer_parse (&header, copy + 16, 56 + 32, &parsed,
          &err));
  fail_unless (err != NULL);
  g_clear_error (&err);
  g_free (copy);

  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
}

GST_END_TEST;

/* Every name in caps becomes a GQuark for good: a peer sending caps with
 * new field names again and again may not grow the receiver for ever.
 * Names the process knows stay free. Last in the suite: it uses up the
 * process's budget of new names, which matters without CK_FORK. */
static gboolean
parse_caps_string (const gchar * str)
{
  GstCaps *caps = gst_fdpass_caps_parse ((const guint8 *) str,
      strlen (str) + 1, NULL);

  if (caps == NULL)
    return FALSE;
  gst_caps_unref (caps);
  return TRUE;
}

GST_START_TEST (test_caps_new_names_bounded)
{
  gchar *name, *str;
  guint i, accepted = 0;

  for (i = 0; i < 4000; i++) {
    name = g_strdup_printf ("hostile-field-%u-%s", i, i % 2 ? "x" : "y");
    str = g_strdup_printf ("video/x-raw, %s=(int)1", name);
    if (parse_caps_string (str)) {
      accepted++;
      fail_unless (g_quark_try_string (name) != 0);
    } else {
      fail_unless (g_quark_try_string (name) == 0);
    }
    g_free (str);
    g_free (name);
  }
  /* some were new names within the budget, the rest was refused */
  fail_unless (accepted > 0);
  fail_unless (accepted <= 1024);

  /* known names still pass */
  fail_unless (parse_caps_string ("video/x-raw, format=(string)I420, "
          "width=(int)64, height=(int)48, framerate=(fraction)30/1"));
  /* so do names accepted before */
  fail_unless (parse_caps_string ("video/x-raw, hostile-field-0-y=(int)2"));
  /* long names are refused before anything else */
  str = g_strdup_printf ("video/x-raw, %0200d=(int)1", 1);
  fail_if (parse_caps_string (str));
  g_free (str);
}

GST_END_TEST;

static Suite *
protocol_suite (void)
{
  Suite *s = suite_create ("protocol");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_test (tc_chain, test_hello_round_trip);
  tcase_add_test (tc_chain, test_caps_round_trip);
  tcase_add_test (tc_chain, test_buffer_round_trip);
  tcase_add_test (tc_chain, test_buffer_round_trip_extremes);
  tcase_add_test (tc_chain, test_buffer_video_meta_helpers);
  tcase_add_test (tc_chain, test_eos_round_trip);
  tcase_add_test (tc_chain, test_release_round_trip);
  tcase_add_test (tc_chain, test_buffer_kept_files_round_trip);
  tcase_add_test (tc_chain, test_forget_round_trip);
  tcase_add_test (tc_chain, test_forget_rejects);
  tcase_add_test (tc_chain, test_fd_info_from_fd);
  tcase_add_test (tc_chain, test_header_layout);
  tcase_add_test (tc_chain, test_buffer_layout);
  tcase_add_test (tc_chain, test_caps_and_release_layout);
  tcase_add_test (tc_chain, test_header_rejects);
  tcase_add_test (tc_chain, test_buffer_truncated);
  tcase_add_test (tc_chain, test_buffer_payload_size_mismatch);
  tcase_add_test (tc_chain, test_buffer_rejects);
  tcase_add_test (tc_chain, test_buffer_unknown_extensions_skipped);
  tcase_add_test (tc_chain, test_buffer_stream_time);
  tcase_add_test (tc_chain, test_hello_rejects);
  tcase_add_test (tc_chain, test_caps_rejects);
  tcase_add_test (tc_chain, test_release_rejects);
  tcase_add_test (tc_chain, test_caps_rejects_quietly);
  tcase_add_test (tc_chain, test_caps_rejects_unsafe_types);
  tcase_add_test (tc_chain, test_caps_accepts_basic_types);
  tcase_add_test (tc_chain, test_error_quark);
  tcase_add_test (tc_chain, test_fuzz);
  /* last: it uses up the budget of new caps names */
  tcase_add_test (tc_chain, test_caps_new_names_bounded);

  return s;
}

GST_CHECK_MAIN (protocol);
