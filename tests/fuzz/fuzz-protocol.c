/* gst-fdpass fuzzing: the parsers of the wire protocol
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

/* Every parser of gstfdpassprotocol.c on arbitrary bytes. The first byte
 * of the input chooses the parser (FuzzTarget), the rest is what it
 * parses:
 *
 *   HEADER   gst_fdpass_header_parse() on the bytes
 *   HELLO    gst_fdpass_hello_parse() on the bytes as a payload
 *   CAPS     gst_fdpass_caps_parse() on the bytes as a payload
 *   BUFFER   gst_fdpass_buffer_parse(): the second byte is the header's fd
 *            count, the rest the payload (the header announces its size)
 *   RELEASE  gst_fdpass_release_parse() on the bytes as a payload
 *   FORGET   gst_fdpass_forget_parse() on the bytes as a payload
 *   SEGMENT  gst_fdpass_segment_parse() on the bytes as a payload, and what
 *            fddepay does with an accepted segment
 *   STREAM   the bytes as a receiver gets them: a header, then the parser
 *            of the type it names on the payload it announces
 *
 * Besides crashes, sanitizer reports and GLib criticals or warnings
 * (fuzz-common.h), the harness aborts when a parser breaks its contract:
 * a result without an error set in the GST_FDPASS_ERROR domain, or an
 * accepted message beyond the limits the parser promises to check. An
 * accepted message must also survive a round trip: encoded again with the
 * protocol builder and parsed, it gives the same message, and encoding that
 * gives the same bytes. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/fdpass/fdpass.h>
#include <string.h>

#include "fuzz-common.h"

typedef enum
{
  TARGET_HEADER,
  TARGET_HELLO,
  TARGET_CAPS,
  TARGET_BUFFER,
  TARGET_RELEASE,
  TARGET_FORGET,
  TARGET_STREAM,
  TARGET_SEGMENT,
  N_TARGETS
} FuzzTarget;

#define CHECK(cond) G_STMT_START { \
  if (!(cond)) { \
    fprintf (stderr, "\nfdpass-fuzz: %s:%d: contract broken: %s\n", \
        __FILE__, __LINE__, #cond); \
    abort (); \
  } \
} G_STMT_END

/* The parser's verdict and its error agree. Frees the error. */
static void
check_result (gboolean ok, GError * err)
{
  if (ok) {
    CHECK (err == NULL);
  } else {
    CHECK (err != NULL);
    CHECK (err->domain == GST_FDPASS_ERROR);
    CHECK (err->message != NULL);
    g_error_free (err);
  }
}

/* The bytes of @msg (transfer full), and their size in @size. */
static guint8 *
take_bytes (GstBuffer * msg, gsize * size)
{
  guint8 *data;

  CHECK (msg != NULL);
  *size = gst_buffer_get_size (msg);
  data = g_malloc (*size);
  gst_buffer_extract (msg, 0, data, *size);
  gst_buffer_unref (msg);

  return data;
}

/* Parses the header of the encoded @msg, which must be valid, of @type,
 * with the header flags @flags, and announce exactly the bytes that follow.
 * Returns the payload. */
static const guint8 *
check_encoded_header (const guint8 * msg, gsize size, guint type,
    guint flags, GstFdPassHeader * header)
{
  CHECK (gst_fdpass_header_parse (msg, size, header, NULL));
  CHECK (header->type == type);
  CHECK (header->flags == flags);
  CHECK (size == GST_FDPASS_HEADER_SIZE + header->payload_size);

  return msg + GST_FDPASS_HEADER_SIZE;
}

static void
fuzz_header (const guint8 * data, gsize size)
{
  GstFdPassHeader header;
  GError *err = NULL;
  gboolean ok = gst_fdpass_header_parse (data, size, &header, &err);

  check_result (ok, err);
  if (!ok)
    return;

  CHECK (size >= GST_FDPASS_HEADER_SIZE);
  CHECK (header.payload_size <= GST_FDPASS_MAX_PAYLOAD);
  CHECK (header.n_fds <= GST_FDPASS_MAX_FDS);
  if (header.type >= GST_FDPASS_MESSAGE_HELLO &&
      header.type <= GST_FDPASS_MESSAGE_FORGET &&
      header.type != GST_FDPASS_MESSAGE_BUFFER)
    CHECK (header.n_fds == 0);
}

static void
fuzz_hello (const guint8 * data, gsize size)
{
  GstFdPassHello hello, again;
  GstFdPassHeader header;
  GError *err = NULL;
  const guint8 *payload;
  guint8 *msg;
  gsize msg_size;
  gboolean ok = gst_fdpass_hello_parse (data, size, &hello, &err);

  check_result (ok, err);
  if (!ok)
    return;

  CHECK (hello.version_major == GST_FDPASS_VERSION_MAJOR);

  msg = take_bytes (gst_fdpass_message_new_hello (&hello), &msg_size);
  payload = check_encoded_header (msg, msg_size, GST_FDPASS_MESSAGE_HELLO, 0,
      &header);
  CHECK (gst_fdpass_hello_parse (payload, header.payload_size, &again, NULL));
  CHECK (again.version_major == hello.version_major);
  CHECK (again.version_minor == hello.version_minor);
  CHECK (again.features == hello.features);
  CHECK (again.max_files == hello.max_files);
  g_free (msg);
}

static void
fuzz_caps (const guint8 * data, gsize size)
{
  GstFdPassHeader header;
  GstCaps *caps, *again;
  GstBuffer *encoded;
  GError *err = NULL;
  const guint8 *payload;
  const gchar *name;
  gboolean special;
  guint8 *msg;
  gsize msg_size;

  caps = gst_fdpass_caps_parse (data, size, &err);
  check_result (caps != NULL, err);
  if (caps == NULL)
    return;

  CHECK (gst_caps_is_fixed (caps));

  /* What a receiver accepted, a sender sends in a way it accepts again;
   * except for a structure without fields named like GStreamer's special
   * caps strings: it serializes to "NONE", the empty caps (see
   * crashes/README.md). */
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  special = gst_structure_n_fields (gst_caps_get_structure (caps, 0)) == 0 &&
      (g_str_equal (name, "NONE") || g_str_equal (name, "ANY") ||
      g_str_equal (name, "EMPTY"));
  encoded = special ? NULL : gst_fdpass_message_new_caps (caps);
  if (encoded) {
    msg = take_bytes (encoded, &msg_size);
    payload = check_encoded_header (msg, msg_size, GST_FDPASS_MESSAGE_CAPS, 0,
        &header);
    again = gst_fdpass_caps_parse (payload, header.payload_size, NULL);
    CHECK (again != NULL);
    CHECK (gst_caps_is_equal (again, caps));
    gst_caps_unref (again);
    g_free (msg);
  }
  gst_caps_unref (caps);
}

/* The checks gst_fdpass_buffer_parse() promises for an accepted message. */
static void
check_buffer_info (const GstFdPassHeader * header,
    const GstFdPassBufferInfo * info)
{
  guint i;

  CHECK (info->n_fds <= GST_FDPASS_MAX_FDS);
  CHECK (info->n_memories <= GST_FDPASS_MAX_MEMORIES);
  CHECK (gst_fdpass_buffer_info_n_attached (info) == header->n_fds);

  for (i = 0; i < info->n_fds; i++) {
    const GstFdPassFdInfo *fd = &info->fds[i];

    CHECK (fd->kind == GST_FDPASS_FD_KIND_FILE ||
        fd->kind == GST_FDPASS_FD_KIND_DMABUF);
    CHECK ((fd->flags & ~(GST_FDPASS_FD_FLAG_KEEP |
                GST_FDPASS_FD_FLAG_KEPT)) == 0);
    CHECK (fd->flags != (GST_FDPASS_FD_FLAG_KEEP | GST_FDPASS_FD_FLAG_KEPT));
    CHECK (fd->flags == 0 || fd->kind == GST_FDPASS_FD_KIND_FILE);
  }

  for (i = 0; i < info->n_memories; i++) {
    const GstFdPassMemInfo *mem = &info->memories[i];

    /* an inline message (1.3) has no fds: its memories are the data after
     * it, one after the other */
    if (header->flags & GST_FDPASS_HEADER_FLAG_INLINE) {
      CHECK (info->n_fds == 0);
      CHECK (mem->fd_index == GST_FDPASS_INLINE_FD_INDEX);
      CHECK (mem->offset == (i == 0 ? 0 : info->memories[i - 1].offset +
              info->memories[i - 1].size));
    } else {
      CHECK (mem->fd_index < info->n_fds);
    }
    CHECK (mem->offset <= G_MAXSSIZE);
    CHECK (mem->size <= G_MAXSSIZE - mem->offset);
  }

  if (info->has_video_meta) {
    CHECK (info->video.n_planes >= 1);
    CHECK (info->video.n_planes <= GST_VIDEO_MAX_PLANES);
    CHECK (info->video.width >= 1 && info->video.width <= G_MAXINT);
    CHECK (info->video.height >= 1 && info->video.height <= G_MAXINT);
    CHECK (gst_video_format_get_info (info->video.format) != NULL);
  }
}

static gboolean
buffer_info_equal (const GstFdPassBufferInfo * a, const GstFdPassBufferInfo * b)
{
  guint i;

  if (a->id != b->id || a->pts != b->pts || a->dts != b->dts ||
      a->duration != b->duration || a->offset != b->offset ||
      a->offset_end != b->offset_end || a->flags != b->flags ||
      a->n_fds != b->n_fds || a->n_memories != b->n_memories ||
      a->has_video_meta != b->has_video_meta ||
      a->has_stream_time != b->has_stream_time)
    return FALSE;

  for (i = 0; i < a->n_fds; i++) {
    if (a->fds[i].kind != b->fds[i].kind ||
        a->fds[i].flags != b->fds[i].flags ||
        a->fds[i].dev != b->fds[i].dev || a->fds[i].ino != b->fds[i].ino ||
        a->fds[i].size != b->fds[i].size)
      return FALSE;
  }
  for (i = 0; i < a->n_memories; i++) {
    if (a->memories[i].fd_index != b->memories[i].fd_index ||
        a->memories[i].offset != b->memories[i].offset ||
        a->memories[i].size != b->memories[i].size)
      return FALSE;
  }
  if (a->has_video_meta) {
    const GstFdPassVideoInfo *va = &a->video, *vb = &b->video;

    if (va->format != vb->format || va->flags != vb->flags ||
        va->width != vb->width || va->height != vb->height ||
        va->n_planes != vb->n_planes)
      return FALSE;
    for (i = 0; i < GST_VIDEO_MAX_PLANES; i++) {
      if (va->offset[i] != vb->offset[i] || va->stride[i] != vb->stride[i])
        return FALSE;
    }
  }
  if (a->has_stream_time && a->stream_time != b->stream_time)
    return FALSE;

  return TRUE;
}

static void
check_buffer_round_trip (const GstFdPassBufferInfo * info)
{
  GstFdPassBufferInfo again;
  GstFdPassHeader header;
  const guint8 *payload;
  guint8 *msg, *msg2;
  gsize msg_size, msg2_size;

  msg = take_bytes (gst_fdpass_message_new_buffer (info), &msg_size);
  /* memories inline (1.3): the data follows the message */
  payload = check_encoded_header (msg, msg_size, GST_FDPASS_MESSAGE_BUFFER,
      info->n_memories > 0 &&
      info->memories[0].fd_index == GST_FDPASS_INLINE_FD_INDEX ?
      GST_FDPASS_HEADER_FLAG_INLINE : 0, &header);
  CHECK (gst_fdpass_buffer_parse (&header, payload, header.payload_size,
          &again, NULL));
  CHECK (buffer_info_equal (info, &again));

  msg2 = take_bytes (gst_fdpass_message_new_buffer (&again), &msg2_size);
  CHECK (msg2_size == msg_size && memcmp (msg, msg2, msg_size) == 0);
  g_free (msg2);
  g_free (msg);
}

static void
fuzz_buffer (const GstFdPassHeader * header, const guint8 * data, gsize size)
{
  GstFdPassBufferInfo info;
  GError *err = NULL;
  gboolean ok = gst_fdpass_buffer_parse (header, data, size, &info, &err);

  check_result (ok, err);
  if (!ok)
    return;

  CHECK (size == header->payload_size);
  check_buffer_info (header, &info);
  check_buffer_round_trip (&info);
}

static void
fuzz_release (const guint8 * data, gsize size)
{
  GstFdPassHeader header;
  guint64 *ids = NULL, *again = NULL;
  guint n_ids = 0, n_again = 0;
  GError *err = NULL;
  const guint8 *payload;
  guint8 *msg;
  gsize msg_size;
  gboolean ok;

  ok = gst_fdpass_release_parse (data, size, &ids, &n_ids, &err);
  check_result (ok, err);
  if (!ok) {
    CHECK (ids == NULL);
    return;
  }

  CHECK (ids != NULL);
  CHECK (n_ids <= GST_FDPASS_MAX_RELEASE_IDS);
  CHECK (8 + (gsize) n_ids * 8 <= size);

  msg = take_bytes (gst_fdpass_message_new_release (ids, n_ids), &msg_size);
  payload = check_encoded_header (msg, msg_size, GST_FDPASS_MESSAGE_RELEASE, 0,
      &header);
  CHECK (gst_fdpass_release_parse (payload, header.payload_size, &again,
          &n_again, NULL));
  CHECK (n_again == n_ids);
  CHECK (memcmp (again, ids, n_ids * sizeof (guint64)) == 0);
  g_free (again);
  g_free (msg);
  g_free (ids);
}

static void
fuzz_forget (const guint8 * data, gsize size)
{
  GstFdPassHeader header;
  GstFdPassFdInfo *files = NULL, *again = NULL;
  guint n_files = 0, n_again = 0, i;
  GError *err = NULL;
  const guint8 *payload;
  guint8 *msg;
  gsize msg_size;
  gboolean ok;

  ok = gst_fdpass_forget_parse (data, size, &files, &n_files, &err);
  check_result (ok, err);
  if (!ok) {
    CHECK (files == NULL);
    return;
  }

  CHECK (files != NULL);
  CHECK (n_files <= GST_FDPASS_MAX_FORGET_FILES);
  CHECK (8 + (gsize) n_files * 16 <= size);

  msg = take_bytes (gst_fdpass_message_new_forget (files, n_files), &msg_size);
  payload = check_encoded_header (msg, msg_size, GST_FDPASS_MESSAGE_FORGET, 0,
      &header);
  CHECK (gst_fdpass_forget_parse (payload, header.payload_size, &again,
          &n_again, NULL));
  CHECK (n_again == n_files);
  for (i = 0; i < n_files; i++) {
    CHECK (again[i].dev == files[i].dev);
    CHECK (again[i].ino == files[i].ino);
  }
  g_free (again);
  g_free (msg);
  g_free (files);
}

static void
fuzz_segment (const guint8 * data, gsize size)
{
  GstFdPassHeader header;
  GstSegment segment, again;
  GError *err = NULL;
  GstEvent *event;
  const guint8 *payload;
  guint64 rt = 0;
  guint8 *msg;
  gsize msg_size;
  gboolean ok;

  ok = gst_fdpass_segment_parse (data, size, &segment, &err);
  check_result (ok, err);
  if (!ok)
    return;

  CHECK (segment.format == GST_FORMAT_TIME);
  CHECK (segment.rate != 0.0 && segment.applied_rate != 0.0);
  CHECK (segment.start <= G_MAXINT64 && segment.time <= G_MAXINT64);
  CHECK (segment.base <= G_MAXINT64 && segment.offset <= G_MAXINT64);
  CHECK (segment.stop == GST_CLOCK_TIME_NONE || segment.stop >= segment.start);

  /* what fddepay does with it, with warnings and criticals fatal */
  event = gst_event_new_segment (&segment);
  CHECK (event != NULL);
  gst_event_unref (event);
  gst_segment_to_running_time_full (&segment, GST_FORMAT_TIME, segment.start,
      &rt);
  gst_segment_to_stream_time (&segment, GST_FORMAT_TIME, segment.start);
  again = segment;
  gst_segment_offset_running_time (&again, GST_FORMAT_TIME, G_MININT64 / 2);
  again = segment;
  gst_segment_offset_running_time (&again, GST_FORMAT_TIME, G_MAXINT64 / 2);

  msg = take_bytes (gst_fdpass_message_new_segment (&segment), &msg_size);
  payload = check_encoded_header (msg, msg_size, GST_FDPASS_MESSAGE_SEGMENT, 0,
      &header);
  CHECK (gst_fdpass_segment_parse (payload, header.payload_size, &again, NULL));
  CHECK (gst_segment_is_equal (&again, &segment));
  CHECK (again.base == segment.base && again.offset == segment.offset &&
      again.flags == segment.flags && again.duration == segment.duration);
  g_free (msg);
}

/* A whole message as a receiver reads it from the socket. */
static void
fuzz_stream (const guint8 * data, gsize size)
{
  GstFdPassHeader header;
  const guint8 *payload;

  if (!gst_fdpass_header_parse (data, size, &header, NULL))
    return;
  /* a receiver waits for the rest of the payload */
  if (size - GST_FDPASS_HEADER_SIZE < header.payload_size)
    return;

  payload = data + GST_FDPASS_HEADER_SIZE;
  switch (header.type) {
    case GST_FDPASS_MESSAGE_HELLO:
      fuzz_hello (payload, header.payload_size);
      break;
    case GST_FDPASS_MESSAGE_CAPS:
      fuzz_caps (payload, header.payload_size);
      break;
    case GST_FDPASS_MESSAGE_BUFFER:
      fuzz_buffer (&header, payload, header.payload_size);
      break;
    case GST_FDPASS_MESSAGE_RELEASE:
      fuzz_release (payload, header.payload_size);
      break;
    case GST_FDPASS_MESSAGE_FORGET:
      fuzz_forget (payload, header.payload_size);
      break;
    case GST_FDPASS_MESSAGE_SEGMENT:
      fuzz_segment (payload, header.payload_size);
      break;
    default:
      /* EOS and unknown types carry nothing to parse */
      break;
  }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* no plugin is needed: keep gst_init() from looking for any */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  g_setenv ("GST_REGISTRY_UPDATE", "no", TRUE);
  gst_init (NULL, NULL);
  fuzz_make_warnings_fatal ();

  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  GstFdPassHeader header = { GST_FDPASS_MESSAGE_BUFFER, 0, 0, 0 };

  if (size < 1)
    return 0;

  switch (data[0] % N_TARGETS) {
    case TARGET_HEADER:
      fuzz_header (data + 1, size - 1);
      break;
    case TARGET_HELLO:
      fuzz_hello (data + 1, size - 1);
      break;
    case TARGET_CAPS:
      fuzz_caps (data + 1, size - 1);
      break;
    case TARGET_BUFFER:
      if (size < 2)
        return 0;
      header.n_fds = data[1];
      header.payload_size = size - 2;
      fuzz_buffer (&header, data + 2, size - 2);
      break;
    case TARGET_RELEASE:
      fuzz_release (data + 1, size - 1);
      break;
    case TARGET_FORGET:
      fuzz_forget (data + 1, size - 1);
      break;
    case TARGET_SEGMENT:
      fuzz_segment (data + 1, size - 1);
      break;
    case TARGET_STREAM:
      fuzz_stream (data + 1, size - 1);
      break;
  }

  return 0;
}
