/* gst-fdpass fuzzing: the seed corpora
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

/* usage: fuzz-make-corpus [--check] CORPUS_DIR
 *
 * Writes the seed inputs of the harnesses, valid messages made by the
 * protocol builder of libgstfdpass, into CORPUS_DIR/protocol/ and
 * CORPUS_DIR/fddepay/ (tests/fuzz/corpus/ in the source tree holds the
 * result). With --check, writes nothing and fails when a file there is
 * missing or differs: the test fuzz/corpus-current runs that, so that the
 * seeds follow the protocol when it changes. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/fdpass/fdpass.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fuzz-fddepay.h"

/* the first byte of a protocol seed chooses the parser (fuzz-protocol.c) */
enum
{
  TARGET_HEADER,
  TARGET_HELLO,
  TARGET_CAPS,
  TARGET_BUFFER,
  TARGET_RELEASE,
  TARGET_FORGET,
  TARGET_STREAM,
  TARGET_SEGMENT,
};

#define VIDEO_CAPS "video/x-raw, format=(string)I420, width=(int)64, " \
    "height=(int)48, framerate=(fraction)25/1"
#define FRAME_SIZE (64 * 48 * 3 / 2)

static gboolean check_only;
static guint n_written, n_differ;

static void
output (const gchar * dir, const gchar * name, GByteArray * bytes)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *old = NULL;
  gsize old_len = 0;
  GError *err = NULL;

  if (check_only) {
    if (!g_file_get_contents (path, &old, &old_len, NULL) ||
        old_len != bytes->len || memcmp (old, bytes->data, old_len) != 0) {
      g_printerr ("%s is not what fuzz-make-corpus makes\n", path);
      n_differ++;
    }
    g_free (old);
  } else {
    if (g_mkdir_with_parents (dir, 0755) < 0 ||
        !g_file_set_contents (path, (const gchar *) bytes->data, bytes->len,
            &err)) {
      g_printerr ("cannot write %s: %s\n", path, err ? err->message : "");
      exit (1);
    }
    n_written++;
  }

  g_free (path);
  g_byte_array_unref (bytes);
}

/* Appends the bytes of @msg (transfer full) to @to. */
static void
append_msg (GByteArray * to, GstBuffer * msg)
{
  GstMapInfo map;

  g_assert (msg != NULL);
  gst_buffer_map (msg, &map, GST_MAP_READ);
  g_byte_array_append (to, map.data, map.size);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
}

static GstBuffer *
hello_msg (guint32 features, guint32 max_files)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, features, max_files
  };

  return gst_fdpass_message_new_hello (&hello);
}

/* what tsdemux gives after a seek: timestamps from the PCR, a stream
 * time, a base, a rate */
static GstBuffer *
segment_msg (void)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = 3600 * GST_SECOND;
  segment.stop = 3700 * GST_SECOND;
  segment.time = 60 * GST_SECOND;
  segment.base = 10 * GST_SECOND;
  segment.rate = 2.0;
  segment.flags = GST_SEGMENT_FLAG_RESET;

  return gst_fdpass_message_new_segment (&segment);
}

static GstBuffer *
caps_msg (const gchar * str)
{
  GstCaps *caps = gst_caps_from_string (str);
  GstBuffer *msg = gst_fdpass_message_new_caps (caps);

  gst_caps_unref (caps);
  return msg;
}

/* A frame of @n_memories memories of @size bytes each, all in one file.
 * The fd table entry names file @file_index of the fddepay harness's run
 * (fuzz-fddepay.h); its inode is a placeholder the harness replaces. */
static void
frame_info (GstFdPassBufferInfo * info, guint64 id, guint file_index,
    guint n_memories, guint64 size)
{
  guint i;

  memset (info, 0, sizeof (*info));
  info->id = id;
  info->pts = id * 40 * GST_MSECOND;
  info->dts = GST_CLOCK_TIME_NONE;
  info->duration = 40 * GST_MSECOND;
  info->offset = GST_BUFFER_OFFSET_NONE;
  info->offset_end = GST_BUFFER_OFFSET_NONE;
  info->n_fds = 1;
  info->fds[0].kind = GST_FDPASS_FD_KIND_FILE;
  info->fds[0].dev = file_index;
  info->fds[0].ino = 1;
  info->fds[0].size = size * n_memories;
  info->n_memories = n_memories;
  for (i = 0; i < n_memories; i++) {
    info->memories[i].fd_index = 0;
    info->memories[i].offset = i * size;
    info->memories[i].size = size;
  }
}

static void
add_i420_meta (GstFdPassBufferInfo * info)
{
  info->has_video_meta = TRUE;
  info->video.format = GST_VIDEO_FORMAT_I420;
  info->video.width = 64;
  info->video.height = 48;
  info->video.n_planes = 3;
  info->video.offset[0] = 0;
  info->video.offset[1] = 64 * 48;
  info->video.offset[2] = 64 * 48 + 32 * 24;
  info->video.stride[0] = 64;
  info->video.stride[1] = 32;
  info->video.stride[2] = 32;
}

/* protocol seeds: the selector byte, then what that parser gets */

static GByteArray *
protocol_seed (guint8 target)
{
  GByteArray *seed = g_byte_array_new ();

  g_byte_array_append (seed, &target, 1);
  return seed;
}

/* The payload of @msg (transfer full), after the selector. */
static void
protocol_payload (const gchar * dir, const gchar * name, guint8 target,
    GstBuffer * msg)
{
  GByteArray *seed = protocol_seed (target);
  GstMapInfo map;

  gst_buffer_map (msg, &map, GST_MAP_READ);
  g_byte_array_append (seed, map.data + GST_FDPASS_HEADER_SIZE,
      map.size - GST_FDPASS_HEADER_SIZE);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
  output (dir, name, seed);
}

/* A buffer message for TARGET_BUFFER: the header's fd count, the payload. */
static void
protocol_buffer (const gchar * dir, const gchar * name,
    const GstFdPassBufferInfo * info)
{
  GByteArray *seed = protocol_seed (TARGET_BUFFER);
  guint8 n_fds = gst_fdpass_buffer_info_n_attached (info);
  GstBuffer *msg = gst_fdpass_message_new_buffer (info);
  GstMapInfo map;

  g_byte_array_append (seed, &n_fds, 1);
  gst_buffer_map (msg, &map, GST_MAP_READ);
  g_byte_array_append (seed, map.data + GST_FDPASS_HEADER_SIZE,
      map.size - GST_FDPASS_HEADER_SIZE);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
  output (dir, name, seed);
}

static void
protocol_stream (const gchar * dir, const gchar * name, GstBuffer * msg)
{
  GByteArray *seed = protocol_seed (TARGET_STREAM);

  append_msg (seed, msg);
  output (dir, name, seed);
}

static void
make_protocol_corpus (const gchar * dir)
{
  GstFdPassBufferInfo info;
  GstFdPassFdInfo files[2] = { {0, 0, 1, 100, 0}, {0, 0, 1, 101, 0} };
  guint64 ids[3] = { 1, 2, G_MAXUINT64 };
  GByteArray *seed;

  seed = protocol_seed (TARGET_HEADER);
  append_msg (seed, gst_fdpass_message_new_eos ());
  output (dir, "header", seed);

  protocol_payload (dir, "hello", TARGET_HELLO,
      hello_msg (GST_FDPASS_FEATURE_RELEASE | GST_FDPASS_FEATURE_FILES, 32));
  protocol_payload (dir, "caps", TARGET_CAPS, caps_msg (VIDEO_CAPS));
  protocol_payload (dir, "caps-features", TARGET_CAPS,
      caps_msg ("video/x-raw(memory:SystemMemory), format=(string)NV12, "
          "width=(int)1920, height=(int)1080, interlace-mode=(string)"
          "progressive, colorimetry=(string)bt709, framerate=(fraction)"
          "30000/1001"));

  frame_info (&info, 1, 0, 1, FRAME_SIZE);
  protocol_buffer (dir, "buffer", &info);

  frame_info (&info, 2, 0, 3, 4096);
  add_i420_meta (&info);
  info.has_stream_time = TRUE;
  info.stream_time = 3600 * GST_SECOND;
  info.n_fds = 3;
  info.fds[1] = info.fds[0];
  info.fds[1].flags = GST_FDPASS_FD_FLAG_KEEP;
  info.fds[2] = info.fds[0];
  info.fds[2].flags = GST_FDPASS_FD_FLAG_KEPT;
  info.fds[2].kind = GST_FDPASS_FD_KIND_FILE;
  info.memories[1].fd_index = 1;
  info.memories[2].fd_index = 2;
  protocol_buffer (dir, "buffer-meta-kept", &info);

  protocol_payload (dir, "release", TARGET_RELEASE,
      gst_fdpass_message_new_release (ids, G_N_ELEMENTS (ids)));
  protocol_payload (dir, "forget", TARGET_FORGET,
      gst_fdpass_message_new_forget (files, G_N_ELEMENTS (files)));

  protocol_stream (dir, "stream-hello", hello_msg (0, 0));
  protocol_stream (dir, "stream-caps", caps_msg (VIDEO_CAPS));
  frame_info (&info, 3, 0, 2, 1024);
  info.fds[0].kind = GST_FDPASS_FD_KIND_DMABUF;
  protocol_stream (dir, "stream-buffer", gst_fdpass_message_new_buffer (&info));
  protocol_stream (dir, "stream-eos", gst_fdpass_message_new_eos ());
  protocol_stream (dir, "stream-release",
      gst_fdpass_message_new_release (ids, 1));
  protocol_stream (dir, "stream-forget",
      gst_fdpass_message_new_forget (files, 1));

  protocol_payload (dir, "segment", TARGET_SEGMENT, segment_msg ());
  protocol_stream (dir, "stream-segment", segment_msg ());
}

/* fddepay seeds (fuzz-fddepay.h) */

typedef struct
{
  GByteArray *bytes;
  GByteArray *chunk;
  guint8 op;
  guint n_files;
  guint8 specs[FDDEPAY_OP_N_FILES_MASK];
  guint16 sizes[FDDEPAY_OP_N_FILES_MASK];
} Seed;

static void
seed_init (Seed * s, guint8 options)
{
  memset (s, 0, sizeof (*s));
  s->bytes = g_byte_array_new ();
  g_byte_array_append (s->bytes, &options, 1);
}

/* Starts a chunk: messages go into it with seed_msg(), files with
 * seed_file(). */
static void
seed_chunk (Seed * s, guint8 op)
{
  g_assert (s->chunk == NULL);
  s->chunk = g_byte_array_new ();
  s->op = op;
  s->n_files = 0;
}

static void
seed_msg (Seed * s, GstBuffer * msg)
{
  append_msg (s->chunk, msg);
}

static void
seed_file (Seed * s, guint8 spec, gsize size)
{
  g_assert (s->n_files < FDDEPAY_OP_N_FILES_MASK);
  s->specs[s->n_files] = spec;
  s->sizes[s->n_files] = (size + FDDEPAY_SIZE_UNIT - 1) / FDDEPAY_SIZE_UNIT;
  s->n_files++;
}

static void
seed_end_chunk (Seed * s)
{
  guint8 op = s->op | s->n_files, hdr[3];
  guint i;

  g_assert (s->chunk->len <= G_MAXUINT16);
  hdr[0] = op;
  hdr[1] = s->chunk->len & 0xff;
  hdr[2] = s->chunk->len >> 8;
  g_byte_array_append (s->bytes, hdr, 3);
  g_byte_array_append (s->bytes, s->chunk->data, s->chunk->len);
  for (i = 0; i < s->n_files; i++) {
    hdr[0] = s->specs[i];
    hdr[1] = s->sizes[i] & 0xff;
    hdr[2] = s->sizes[i] >> 8;
    g_byte_array_append (s->bytes, hdr, 3);
  }
  g_byte_array_unref (s->chunk);
  s->chunk = NULL;
}

static void
seed_output (Seed * s, const gchar * dir, const gchar * name)
{
  g_assert (s->chunk == NULL);
  output (dir, name, s->bytes);
  s->bytes = NULL;
}

/* hello and caps, as one chunk without files */
static void
seed_start (Seed * s, guint32 features)
{
  seed_chunk (s, 0);
  seed_msg (s, hello_msg (features,
          (features & GST_FDPASS_FEATURE_FILES) ? 32 : 0));
  seed_msg (s, caps_msg (VIDEO_CAPS));
  seed_end_chunk (s);
}

/* one frame in file @file_index, with the file when @spec is not -1 */
static void
seed_frame (Seed * s, guint8 op, guint64 id, guint file_index, gint spec,
    guint32 fd_flags)
{
  GstFdPassBufferInfo info;

  frame_info (&info, id, file_index, 1, FRAME_SIZE);
  info.fds[0].flags = fd_flags;
  add_i420_meta (&info);
  seed_chunk (s, op | FDDEPAY_OP_NAME_FILES);
  seed_msg (s, gst_fdpass_message_new_buffer (&info));
  if (spec >= 0)
    seed_file (s, spec, FRAME_SIZE);
  seed_end_chunk (s);
}

static void
seed_eos (Seed * s)
{
  seed_chunk (s, 0);
  seed_msg (s, gst_fdpass_message_new_eos ());
  seed_end_chunk (s);
}

static void
make_fddepay_corpus (const gchar * dir)
{
  GstFdPassBufferInfo info;
  GstFdPassFdInfo forget = { 0, 0, 0, 1, 0 };
  Seed s;

  /* a sealed memfd per frame, as fdpay sends them */
  seed_init (&s, 0);
  seed_start (&s, 0);
  seed_frame (&s, 0, 1, 0, FDDEPAY_FILE_MEMFD | FDDEPAY_FILE_SEAL_SIZE, 0);
  seed_frame (&s, 0, 2, 1, FDDEPAY_FILE_MEMFD | FDDEPAY_FILE_SEAL_SIZE, 0);
  seed_eos (&s);
  seed_output (&s, dir, "sealed-memfds");

  /* unsealed files are read, not mapped: then the sender truncates them */
  seed_init (&s, 0);
  seed_start (&s, 0);
  seed_frame (&s, FDDEPAY_OP_SHRINK_AFTER, 1, 0, FDDEPAY_FILE_REGULAR, 0);
  seed_frame (&s, FDDEPAY_OP_SHRINK_AFTER, 2, 1, FDDEPAY_FILE_MEMFD, 0);
  seed_output (&s, dir, "unsealed-shrunk");

  /* allow-unsealed maps them */
  seed_init (&s, FDDEPAY_OPT_ALLOW_UNSEALED);
  seed_start (&s, 0);
  seed_frame (&s, 0, 1, 0, FDDEPAY_FILE_REGULAR, 0);
  seed_output (&s, dir, "allow-unsealed");

  /* a recycling sender behind unixsocketsrc: the same memfd again */
  seed_init (&s, FDDEPAY_OPT_RELEASE_CHANNEL);
  seed_start (&s, GST_FDPASS_FEATURE_RELEASE);
  seed_frame (&s, 0, 1, 0, FDDEPAY_FILE_MEMFD | FDDEPAY_FILE_SEAL_SIZE, 0);
  seed_frame (&s, 0, 2, 0, FDDEPAY_FILE_AGAIN, 0);
  seed_frame (&s, FDDEPAY_OP_NEW_CONNECTION, 3, 0, FDDEPAY_FILE_AGAIN, 0);
  seed_output (&s, dir, "recycled");

  /* a frame inline (protocol 1.3): its bytes right after its message */
  seed_init (&s, 0);
  seed_start (&s, GST_FDPASS_FEATURE_INLINE);
  frame_info (&info, 1, 0, 1, FRAME_SIZE);
  info.n_fds = 0;
  info.memories[0].fd_index = GST_FDPASS_INLINE_FD_INDEX;
  add_i420_meta (&info);
  seed_chunk (&s, 0);
  seed_msg (&s, gst_fdpass_message_new_buffer (&info));
  {
    guint8 data[FRAME_SIZE];
    guint i;

    for (i = 0; i < FRAME_SIZE; i++)
      data[i] = i * 7;
    g_byte_array_append (s.chunk, data, FRAME_SIZE);
  }
  seed_end_chunk (&s);
  seed_eos (&s);
  seed_output (&s, dir, "inline");

  /* the sender's segment before its frames (protocol 1.2) */
  seed_init (&s, 0);
  seed_start (&s, 0);
  seed_chunk (&s, 0);
  seed_msg (&s, segment_msg ());
  seed_end_chunk (&s);
  seed_frame (&s, 0, 1, 0, FDDEPAY_FILE_MEMFD | FDDEPAY_FILE_SEAL_SIZE, 0);
  seed_output (&s, dir, "sender-segment");

  /* kept files: passed once, then named, then forgotten */
  seed_init (&s, FDDEPAY_OPT_RELEASE_CHANNEL);
  seed_start (&s, GST_FDPASS_FEATURE_RELEASE | GST_FDPASS_FEATURE_FILES);
  seed_frame (&s, 0, 1, 0, FDDEPAY_FILE_MEMFD | FDDEPAY_FILE_SEAL_SIZE,
      GST_FDPASS_FD_FLAG_KEEP);
  seed_frame (&s, 0, 2, 0, -1, GST_FDPASS_FD_FLAG_KEPT);
  seed_frame (&s, 0, 3, 1, FDDEPAY_FILE_REGULAR, GST_FDPASS_FD_FLAG_KEEP);
  seed_frame (&s, 0, 4, 1, -1, GST_FDPASS_FD_FLAG_KEPT);
  seed_chunk (&s, FDDEPAY_OP_NAME_FILES);
  seed_msg (&s, gst_fdpass_message_new_forget (&forget, 1));
  seed_end_chunk (&s);
  seed_output (&s, dir, "kept-files");

  /* two memories in one file, two files, a DMA buffer, a stream time;
   * split in two reads */
  seed_init (&s, 0);
  seed_start (&s, 0);
  frame_info (&info, 1, 0, 2, FRAME_SIZE / 2);
  info.n_fds = 2;
  info.fds[1] = info.fds[0];
  info.fds[1].dev = 1;
  info.fds[1].kind = GST_FDPASS_FD_KIND_DMABUF;
  info.memories[1].fd_index = 1;
  info.memories[1].offset = 0;
  info.has_stream_time = TRUE;
  info.stream_time = 10 * GST_SECOND;
  seed_chunk (&s, FDDEPAY_OP_NAME_FILES | FDDEPAY_OP_SPLIT);
  seed_msg (&s, gst_fdpass_message_new_buffer (&info));
  seed_file (&s, FDDEPAY_FILE_MEMFD | FDDEPAY_FILE_SEAL_SIZE, FRAME_SIZE);
  seed_file (&s, FDDEPAY_FILE_MEMFD | FDDEPAY_FILE_SEAL_SIZE |
      FDDEPAY_FILE_SEAL_WRITE, FRAME_SIZE);
  seed_end_chunk (&s);
  seed_output (&s, dir, "two-files");

  /* a pipe instead of a file; a flush; the stream again after EOS */
  seed_init (&s, 0);
  seed_start (&s, 0);
  seed_frame (&s, 0, 1, 0, FDDEPAY_FILE_PIPE, 0);
  seed_frame (&s, FDDEPAY_OP_FLUSH, 2, 1, FDDEPAY_FILE_MEMFD, 0);
  seed_frame (&s, FDDEPAY_OP_EOS, 3, 2, FDDEPAY_FILE_MEMFD, 0);
  seed_frame (&s, FDDEPAY_OP_FLUSH, 4, 3, FDDEPAY_FILE_MEMFD, 0);
  seed_output (&s, dir, "pipe-flush-eos");
}

int
main (int argc, char **argv)
{
  gchar *dir;

  gst_init (NULL, NULL);

  if (argc == 3 && strcmp (argv[1], "--check") == 0) {
    check_only = TRUE;
    argv++;
  } else if (argc != 2) {
    g_printerr ("usage: %s [--check] CORPUS_DIR\n", argv[0]);
    return 2;
  }

  dir = g_build_filename (argv[1], "protocol", NULL);
  make_protocol_corpus (dir);
  g_free (dir);
  dir = g_build_filename (argv[1], "fddepay", NULL);
  make_fddepay_corpus (dir);
  g_free (dir);

  if (check_only) {
    if (n_differ > 0) {
      g_printerr ("run fuzz-make-corpus %s to update the seeds\n", argv[1]);
      return 1;
    }
    g_print ("the seeds in %s are up to date\n", argv[1]);
  } else {
    g_print ("wrote %u seeds into %s\n", n_written, argv[1]);
  }

  return 0;
}
