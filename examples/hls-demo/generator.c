/* GStreamer fd passing example: HLS demo, stream generator
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

/* Encodes the known stream into a directory:
 *
 *   videotestsrc ! x264enc ! h264parse ! mpegtsmux ! hlssink
 *
 * A buffer probe on videotestsrc switches its pattern at each stretch
 * boundary, so the content of each second is known exactly; the test
 * suite compares the detected timeline against it. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "generator.h"

#include <gst/gst.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  GstElement *src;
  guint64 n_frames;
} Generator;

/* After each frame of videotestsrc: the next frame gets the pattern of its
 * stretch. */
static GstPadProbeReturn
generator_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Generator *gen = user_data;
  guint64 next = ++gen->n_frames;
  guint64 per_stretch = GENERATOR_STRETCH_SECONDS * GENERATOR_FPS;

  if (next % per_stretch != 0)
    return GST_PAD_PROBE_OK;

  switch (next / per_stretch) {
    case 1:
      gst_util_set_object_arg (G_OBJECT (gen->src), "pattern", "smpte");
      break;
    case 2:
      /* the ball: white on a mid blue, neither black nor bars, moving */
      g_object_set (gen->src, "background-color", 0xff2050a0, NULL);
      gst_util_set_object_arg (G_OBJECT (gen->src), "pattern", "ball");
      break;
    default:
      /* the black pattern is drawn in the background colour */
      g_object_set (gen->src, "background-color", 0xff000000, NULL);
      gst_util_set_object_arg (G_OBJECT (gen->src), "pattern", "black");
      break;
  }

  return GST_PAD_PROBE_OK;
}

/* A VOD playlist ends with ENDLIST; hlssink writes it on EOS, but make
 * sure of it. */
static gboolean
generator_end_playlist (const gchar * playlist, GError ** error)
{
  gchar *contents = NULL;
  gboolean ok = TRUE;

  if (!g_file_get_contents (playlist, &contents, NULL, error))
    return FALSE;
  if (strstr (contents, "#EXT-X-ENDLIST") == NULL) {
    gchar *fixed = g_strconcat (contents, "#EXT-X-ENDLIST\n", NULL);

    ok = g_file_set_contents (playlist, fixed, -1, error);
    g_free (fixed);
  }
  g_free (contents);

  return ok;
}

/* Writes index.m3u8 and segment%05d.ts into @dir; blocks until done. */
gboolean
generator_make_stream (const gchar * dir, GError ** error)
{
  Generator gen = { NULL, 0 };
  GstElement *pipeline;
  GstMessage *msg;
  GstBus *bus;
  GstPad *pad;
  gchar *desc, *seg, *playlist;
  gboolean ok = TRUE;

  seg = g_build_filename (dir, "segment%05d.ts", NULL);
  playlist = g_build_filename (dir, "index.m3u8", NULL);
  desc = g_strdup_printf ("videotestsrc name=src pattern=black "
      "num-buffers=%d ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
      "x264enc speed-preset=ultrafast bitrate=1500 key-int-max=%d ! "
      "h264parse ! mpegtsmux ! hlssink location=\"%s\" "
      "playlist-location=\"%s\" target-duration=1 max-files=0 "
      "playlist-length=0",
      GENERATOR_N_STRETCHES * GENERATOR_STRETCH_SECONDS * GENERATOR_FPS,
      GENERATOR_WIDTH, GENERATOR_HEIGHT, GENERATOR_FPS, GENERATOR_FPS, seg,
      playlist);
  pipeline = gst_parse_launch (desc, error);
  g_free (desc);
  g_free (seg);
  if (pipeline == NULL) {
    g_free (playlist);
    return FALSE;
  }

  gen.src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  pad = gst_element_get_static_pad (gen.src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, generator_probe, &gen,
      NULL);
  gst_object_unref (pad);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    if (msg)
      gst_message_parse_error (msg, error, NULL);
    else
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "generating the stream took too long");
    ok = FALSE;
  }
  gst_clear_message (&msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (gen.src);
  gst_object_unref (pipeline);

  if (ok)
    ok = generator_end_playlist (playlist, error);
  g_free (playlist);

  return ok;
}

static void
remove_tree (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR)
        && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
      remove_tree (path);
    else
      g_unlink (path);
    g_free (path);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

/* Removes @dir, the stream and all. */
void
generator_remove_stream (const gchar * dir)
{
  remove_tree (dir);
}
