/* gst-fdpass fuzzing: fddepay fed bytes and file descriptors
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

/* fddepay, from the build directory, in a GstHarness, fed what a hostile
 * sender could send: the input (fuzz-fddepay.h) becomes chunks of bytes
 * with memfds, regular files and pipes attached, of sizes and seals the
 * input chooses, made anew for each run.
 *
 * Besides crashes, sanitizer reports and GLib criticals or warnings
 * (fuzz-common.h), the harness aborts when a run leaves a file descriptor
 * open once the harness is torn down and its own files closed, and it
 * reads every byte of every buffer fddepay pushes, through the video meta
 * when there is one, after the sender had the chance to truncate its files
 * (FDDEPAY_OP_SHRINK_AFTER): a frame fddepay lets downstream read beyond its
 * file dies of SIGBUS or SIGSEGV here. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/fdpass/fdpass.h>
#include <gst/net/net.h>
#include <gst/video/video.h>
#include <gio/gunixfdmessage.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fuzz-common.h"
#include "fuzz-fddepay.h"

typedef struct
{
  gint fd;
  guint64 dev;
  guint64 ino;
} FuzzFile;

typedef struct
{
  GstHarness *h;
  guint8 options;
  FuzzFile files[FDDEPAY_MAX_FILES];
  guint n_files;
  guint64 bytes_read;
} FuzzRun;

static GType release_channel_type;

static void
fuzz_file_init (FuzzFile * file, gint fd)
{
  struct stat st;

  file->fd = fd;
  file->dev = file->ino = 0;
  if (fd >= 0 && fstat (fd, &st) == 0) {
    file->dev = st.st_dev;
    file->ino = st.st_ino;
  }
}

static gint
make_memfd (guint8 spec, gsize size)
{
  gint fd = memfd_create ("fuzz-fddepay", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  gint seals = 0;

  if (fd < 0)
    return -1;
  if (ftruncate (fd, size) < 0) {
    close (fd);
    return -1;
  }
  if (spec & FDDEPAY_FILE_SEAL_SIZE)
    seals |= F_SEAL_SHRINK | F_SEAL_GROW;
  if (spec & FDDEPAY_FILE_SEAL_WRITE)
    seals |= F_SEAL_WRITE;
  if (seals && fcntl (fd, F_ADD_SEALS, seals) < 0) {
    close (fd);
    return -1;
  }

  return fd;
}

static gint
make_regular_file (gsize size)
{
  gint fd = open (g_get_tmp_dir (), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0) {
    gchar *path = g_build_filename (g_get_tmp_dir (), "fuzz-fddepay-XXXXXX",
        NULL);

    fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
      unlink (path);
    g_free (path);
  }
  if (fd >= 0 && ftruncate (fd, size) < 0) {
    close (fd);
    fd = -1;
  }

  return fd;
}

/* A new file of @spec, or another descriptor of an earlier one; -1 when
 * none could be made (the chunk goes without it). */
static gint
make_file (FuzzRun * run, guint8 spec, guint16 size_units)
{
  gsize size = (gsize) size_units * FDDEPAY_SIZE_UNIT;
  gint fds[2];

  switch (spec & FDDEPAY_FILE_KIND_MASK) {
    case FDDEPAY_FILE_MEMFD:
      return make_memfd (spec, size);
    case FDDEPAY_FILE_REGULAR:
      return make_regular_file (size);
    case FDDEPAY_FILE_PIPE:
      if (pipe2 (fds, O_CLOEXEC) < 0)
        return -1;
      close (fds[1]);
      return fds[0];
    case FDDEPAY_FILE_AGAIN:
    default:
      if (run->n_files == 0)
        return make_memfd (spec, size);
      return fcntl (run->files[size_units % run->n_files].fd,
          F_DUPFD_CLOEXEC, 0);
  }
}

static void
write_u64_le (guint8 * p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

/* Writes the identity of one of the run's files over @entry, a dev and an
 * inode: the low byte of the dev picks the file. */
static void
name_file (FuzzRun * run, guint8 * entry)
{
  const FuzzFile *file = &run->files[entry[0] % run->n_files];

  write_u64_le (entry, file->dev);
  write_u64_le (entry + 8, file->ino);
}

/* Names files of the run in the buffer and forget messages that lie whole
 * in @data: each fd table entry of a buffer message and each entry of a
 * forget message. The offsets are those of docs/wire-protocol.md. */
static void
name_files (FuzzRun * run, guint8 * data, gsize size)
{
  gsize pos = 0;

  while (run->n_files > 0 && pos + GST_FDPASS_HEADER_SIZE <= size) {
    guint8 *msg = data + pos;
    guint32 magic = GST_READ_UINT32_LE (msg);
    guint16 type = GST_READ_UINT16_LE (msg + 4);
    /* in 64 bits: a payload size near 2^32 must not wrap to 0 */
    gsize total = GST_FDPASS_HEADER_SIZE +
        (gsize) GST_READ_UINT32_LE (msg + 12);
    gsize n, i;

    if (magic != GST_FDPASS_MAGIC || total > size - pos)
      return;

    if (type == GST_FDPASS_MESSAGE_BUFFER && total >= 16 + 56) {
      /* fd table entries: kind, flags, dev, ino, size */
      n = GST_READ_UINT16_LE (msg + 16 + 52);
      for (i = 0; i < n && 16 + 56 + (i + 1) * 32 <= total; i++)
        name_file (run, msg + 16 + 56 + i * 32 + 8);
    } else if (type == GST_FDPASS_MESSAGE_FORGET && total >= 16 + 8) {
      /* entries: dev, ino */
      n = GST_READ_UINT32_LE (msg + 16);
      for (i = 0; i < n && 16 + 8 + (i + 1) * 16 <= total; i++)
        name_file (run, msg + 16 + 8 + i * 16);
    }
    pos += total;
  }
}

static void
attach_fds (GstBuffer * buf, const gint * fds, guint n_fds)
{
  GSocketControlMessage *cmsg;
  guint i;

  if (n_fds == 0)
    return;

  cmsg = g_unix_fd_message_new ();
  for (i = 0; i < n_fds; i++) {
    if (!g_unix_fd_message_append_fd (G_UNIX_FD_MESSAGE (cmsg), fds[i],
            NULL))
      abort ();
  }
  gst_buffer_add_net_control_message_meta (buf, cmsg);
  g_object_unref (cmsg);
}

/* Reads every byte of @mem; whatever fddepay mapped must be readable. */
static guint64
touch_memory (GstMemory * mem)
{
  GstMapInfo map;
  guint64 sum = 0;
  gsize i;

  if (!gst_memory_map (mem, &map, GST_MAP_READ))
    return 0;
  for (i = 0; i < map.size; i++)
    sum += map.data[i];
  gst_memory_unmap (mem, &map);

  return sum;
}

/* Reads every pixel row of every plane, as a video element downstream
 * would, through the buffer's video meta. */
static guint64
touch_video_frame (GstBuffer * buf, GstVideoMeta * meta)
{
  const GstVideoFormatInfo *finfo = gst_video_format_get_info (meta->format);
  guint64 sum = 0;
  guint p;

  if (finfo == NULL || GST_VIDEO_FORMAT_INFO_IS_TILED (finfo))
    return 0;

  for (p = 0; p < meta->n_planes && p < GST_VIDEO_FORMAT_INFO_N_PLANES (finfo);
      p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    GstMapInfo map;
    gpointer data;
    gint stride;
    guint rows, row_bytes, r, x;

    gst_video_format_info_component (finfo, p, comp);
    rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], meta->height);
    row_bytes = GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0],
        meta->width) * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]);

    if (!gst_video_meta_map (meta, p, &map, &data, &stride, GST_MAP_READ))
      continue;
    for (r = 0; r < rows; r++) {
      const guint8 *row = (const guint8 *) data + (gssize) r * stride;

      for (x = 0; x < row_bytes; x++)
        sum += row[x];
    }
    gst_video_meta_unmap (meta, p, &map);
  }

  return sum;
}

static void
drain_output (FuzzRun * run)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (run->h))) {
    GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
    guint i;

    for (i = 0; i < gst_buffer_n_memory (buf); i++)
      run->bytes_read += touch_memory (gst_buffer_peek_memory (buf, i));
    if (meta)
      run->bytes_read += touch_video_frame (buf, meta);
    gst_buffer_unref (buf);
  }
}

/* What unixsocketsrc sends before the data of each connection. */
static void
push_release_channel (FuzzRun * run)
{
  GObject *channel = g_object_new (release_channel_type, NULL);

  gst_harness_push_event (run->h,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
          gst_structure_new ("fdpass-release-channel", "channel",
              G_TYPE_OBJECT, channel, NULL)));
  g_object_unref (channel);
}

static void
push_chunk (FuzzRun * run, FuzzInput * in)
{
  guint8 op = fuzz_input_u8 (in);
  gsize len = fuzz_input_u16 (in);
  const guint8 *bytes = fuzz_input_bytes (in, &len);
  guint n_specs = op & FDDEPAY_OP_N_FILES_MASK, n_fds = 0, first_file, i;
  gint fds[FDDEPAY_OP_N_FILES_MASK];
  GstBuffer *buf, *head = NULL;
  GstMapInfo map;

  first_file = run->n_files;
  for (i = 0; i < n_specs; i++) {
    guint8 spec = fuzz_input_u8 (in);
    guint16 size_units = fuzz_input_u16 (in);
    gint fd;

    if (run->n_files == FDDEPAY_MAX_FILES)
      break;
    fd = make_file (run, spec, size_units);
    if (fd < 0)
      continue;
    fuzz_file_init (&run->files[run->n_files++], fd);
    fds[n_fds++] = fd;
  }

  if (op & FDDEPAY_OP_NEW_CONNECTION)
    push_release_channel (run);
  if (op & FDDEPAY_OP_FLUSH) {
    GstSegment segment;

    gst_harness_push_event (run->h, gst_event_new_flush_start ());
    gst_harness_push_event (run->h, gst_event_new_flush_stop (TRUE));
    /* the flush dropped the segment upstream of fddepay */
    gst_segment_init (&segment, GST_FORMAT_BYTES);
    gst_harness_push_event (run->h, gst_event_new_segment (&segment));
  }

  buf = gst_buffer_new_allocate (NULL, len, NULL);
  if (len > 0) {
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    memcpy (map.data, bytes, len);
    if (op & FDDEPAY_OP_NAME_FILES)
      name_files (run, map.data, len);
    gst_buffer_unmap (buf, &map);
  }

  if ((op & FDDEPAY_OP_SPLIT) && len >= 2) {
    head = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, 0, len / 2);
    gst_buffer_resize (buf, len / 2, len - len / 2);
  }
  attach_fds (buf, fds, n_fds);

  if (head)
    gst_harness_push (run->h, head);
  gst_harness_push (run->h, buf);

  /* with allow-unsealed, fddepay maps unsealed files: truncating them
   * then kills the receiver by design (see its documentation) */
  if ((op & FDDEPAY_OP_SHRINK_AFTER) &&
      !(run->options & FDDEPAY_OPT_ALLOW_UNSEALED)) {
    /* fails on the files sealed against it, and on pipes */
    for (i = first_file; i < run->n_files; i++)
      (void) ftruncate (run->files[i].fd, 0);
  }
  drain_output (run);

  if (op & FDDEPAY_OP_EOS)
    gst_harness_push_event (run->h, gst_event_new_eos ());
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const gchar *plugin_path = g_getenv ("FDPASS_FUZZ_PLUGIN");
  GstPlugin *plugin;
  GstHarness *h;
  GError *err = NULL;
  GObject *obj;

  if (plugin_path == NULL)
    plugin_path = FDPASS_PLUGIN_PATH;

  /* only our plugin, loaded by hand: no registry, no gst-plugin-scanner
   * (which could not load a sanitized plugin) */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  g_setenv ("GST_REGISTRY_UPDATE", "no", TRUE);
  gst_init (NULL, NULL);

  plugin = gst_plugin_load_file (plugin_path, &err);
  if (plugin == NULL) {
    fprintf (stderr, "fdpass-fuzz: cannot load %s: %s\n", plugin_path,
        err->message);
    abort ();
  }
  gst_object_unref (plugin);

  /* the type of the release channel is internal to the plugin: have
   * fddepay register it, by showing it an event with something else */
  h = gst_harness_new ("fddepay");
  gst_harness_set_src_caps_str (h, "application/x-fdpass");
  obj = g_object_new (G_TYPE_OBJECT, NULL);
  gst_harness_push_event (h,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
          gst_structure_new ("fdpass-release-channel", "channel",
              G_TYPE_OBJECT, obj, NULL)));
  g_object_unref (obj);
  gst_harness_teardown (h);
  release_channel_type = g_type_from_name ("GstFdPassReleaseChannel");
  if (release_channel_type == 0) {
    fprintf (stderr, "fdpass-fuzz: no GstFdPassReleaseChannel type\n");
    abort ();
  }

  fuzz_make_warnings_fatal ();

  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  FuzzInput in = { data, size, 0 };
  FuzzRun run = { NULL, };
  guint fds_before, fds_after, i;

  if (size < 1)
    return 0;

  fds_before = fuzz_count_open_fds ();

  run.options = fuzz_input_u8 (&in);
  run.h = gst_harness_new ("fddepay");
  g_object_set (run.h->element, "allow-unsealed",
      (run.options & FDDEPAY_OPT_ALLOW_UNSEALED) != 0, NULL);
  gst_harness_set_src_caps_str (run.h, "application/x-fdpass");
  if (run.options & FDDEPAY_OPT_RELEASE_CHANNEL)
    push_release_channel (&run);

  while (!fuzz_input_done (&in))
    push_chunk (&run, &in);

  gst_harness_teardown (run.h);
  for (i = 0; i < run.n_files; i++)
    close (run.files[i].fd);

  fds_after = fuzz_count_open_fds ();
  if (fds_after != fds_before) {
    fprintf (stderr, "\nfdpass-fuzz: %u file descriptors open before the "
        "run, %u after it: fddepay leaked or closed one too many\n",
        fds_before, fds_after);
    abort ();
  }

  return 0;
}
