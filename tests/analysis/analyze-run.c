/* GStreamer fd passing example: end-to-end test of fdpass-analyze
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

/* analysis-run /path/to/fdpass-analyze
 *
 * timeline: this process plays 12 s of video (black, SMPTE bars, the moving
 *   ball, the ball frozen, black, a dim noisy moving scene; 2 s each)
 *   through x264enc ! avdec_h264 ! fdpay ! multisocketsink into a
 *   socketpair whose other end is fd 3 of fdpass-analyze, and checks its
 *   JSON lines: black at 0, bars (smpte) at 2, live at 4, still at 6,
 *   black at 8, live at 10, each dated within one sample interval (100 ms)
 *   of the first frame of the new state, the still picture known 0.5 s
 *   later, then the end of stream; every snapshot is a PNG.
 * memory: the same with --max-memory 256.
 * watchdog: a live source is paused without closing the socket: the
 *   analyzer must exit with status 3 soon after --watchdog 2 seconds.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <gst/video/video.h>

#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const gchar *analyzer_path;

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  GSocket *socket;
  GSubprocess *child;
  gchar *snapshot_dir;
} Run;

static void
on_client_socket_removed (GstElement * sink, GSocket * socket,
    gpointer user_data)
{
  if (!g_socket_is_closed (socket))
    g_socket_close (socket, NULL);
}

#define SEGMENT_FRAMES 60
#define FPS 30

typedef enum
{
  PICTURE_PATTERN,              /* what videotestsrc draws */
  PICTURE_FROZEN,               /* the segment's first frame, again */
  PICTURE_DIM,                  /* a dim noisy scene that moves */
} Picture;

static const struct
{
  const gchar *pattern;
  Picture picture;
} segments[] = {
  {"black", PICTURE_PATTERN}, {"smpte", PICTURE_PATTERN},
  {"ball", PICTURE_PATTERN}, {"ball", PICTURE_FROZEN},
  {"black", PICTURE_PATTERN}, {"black", PICTURE_DIM},
};

typedef struct
{
  guint count;
  GstBuffer *frozen;
} Script;

/* luma about 45 (25..65) in broad waves moving 12 pixels a frame, with
 * noise; neutral chroma */
static void
draw_dim (GstBuffer * buf, GstCaps * caps, guint index)
{
  GstVideoInfo info;
  GstVideoFrame vf;
  guint x, y, p;

  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_assert_true (gst_video_frame_map (&vf, &info, buf, GST_MAP_WRITE));
  for (y = 0; y < GST_VIDEO_FRAME_HEIGHT (&vf); y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&vf, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&vf, 0);

    for (x = 0; x < GST_VIDEO_FRAME_WIDTH (&vf); x++)
      row[x] = 45 + 20 * sin ((x + 12.0 * index) * 2 * G_PI / 320) +
          g_random_int_range (-8, 9);
  }
  for (p = 1; p < 3; p++)
    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&vf, p); y++)
      memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&vf, p) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&vf, p), 128,
          GST_VIDEO_FRAME_COMP_WIDTH (&vf, p));
  gst_video_frame_unmap (&vf);
}

/* plays the segments: sets the pattern for the next frame, freezes or
 * draws this one */
static GstPadProbeReturn
play_script (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Script *script = user_data;
  guint index = script->count++;
  guint segment = MIN (index / SEGMENT_FRAMES, G_N_ELEMENTS (segments) - 1);
  guint next = (index + 1) / SEGMENT_FRAMES;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if ((index + 1) % SEGMENT_FRAMES == 0 && next < G_N_ELEMENTS (segments)) {
    GstElement *src = GST_ELEMENT (gst_pad_get_parent (pad));

    gst_util_set_object_arg (G_OBJECT (src), "pattern", segments[next].pattern);
    gst_object_unref (src);
  }

  switch (segments[segment].picture) {
    case PICTURE_FROZEN:
      if (script->frozen == NULL) {
        script->frozen = gst_buffer_copy_deep (buf);
      } else {
        GstMapInfo map;

        buf = gst_buffer_make_writable (buf);
        g_assert_true (gst_buffer_map (script->frozen, &map, GST_MAP_READ));
        g_assert_cmpuint (gst_buffer_fill (buf, 0, map.data, map.size), ==,
            map.size);
        gst_buffer_unmap (script->frozen, &map);
      }
      break;
    case PICTURE_DIM:{
      GstCaps *caps = gst_pad_get_current_caps (pad);

      buf = gst_buffer_make_writable (buf);
      draw_dim (buf, caps, index);
      gst_caps_unref (caps);
      break;
    }
    default:
      break;
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;

  return GST_PAD_PROBE_OK;
}

/* fdpay sends buffer timestamps, not the segment: x264enc's output segment
 * starts at 1000 hours, with stream time 0 there. Stamp the frames with
 * their stream time so that the receiver sees the timeline we expect. */
static GstPadProbeReturn
restamp (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstSegment *segment = user_data;
  GstBuffer *buf;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    GstSegment plain;

    if (GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
      return GST_PAD_PROBE_OK;
    gst_event_copy_segment (event, segment);
    gst_segment_init (&plain, GST_FORMAT_TIME);
    gst_event_unref (event);
    GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_segment (&plain);
    return GST_PAD_PROBE_OK;
  }

  buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_BUFFER_PTS (buf) = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_PAD_PROBE_INFO_DATA (info) = buf;

  return GST_PAD_PROBE_OK;
}

/* starts the analyzer on one end of a socketpair and prepares the
 * pipeline for the other */
static void
run_start (Run * run, const gchar * desc, const gchar * const *extra_args,
    GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher;
  GPtrArray *argv;
  GError *err = NULL;
  gint fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds),
      ==, 0);

  run->snapshot_dir = g_dir_make_tmp ("fdpass-analyze-XXXXXX", &err);
  g_assert_no_error (err);

  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) analyzer_path);
  g_ptr_array_add (argv, (gpointer) "--fd");
  g_ptr_array_add (argv, (gpointer) "3");
  g_ptr_array_add (argv, (gpointer) "--snapshot-dir");
  g_ptr_array_add (argv, run->snapshot_dir);
  for (; extra_args && *extra_args; extra_args++)
    g_ptr_array_add (argv, (gpointer) * extra_args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | flags);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  run->child = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, &err);
  g_assert_no_error (err);
  g_object_unref (launcher);
  g_ptr_array_unref (argv);

  run->socket = g_socket_new_from_fd (fds[0], &err);
  g_assert_no_error (err);

  run->pipeline = gst_parse_launch (desc, &err);
  g_assert_no_error (err);
  run->sink = gst_bin_get_by_name (GST_BIN (run->pipeline), "sink");
  g_signal_connect (run->sink, "client-socket-removed",
      G_CALLBACK (on_client_socket_removed), NULL);
  /* the client must be there before the first frame */
  gst_element_set_state (run->pipeline, GST_STATE_READY);
  g_signal_emit_by_name (run->sink, "add", run->socket);
}

static void
run_play (Run * run)
{
  g_assert_cmpint (gst_element_set_state (run->pipeline, GST_STATE_PLAYING),
      !=, GST_STATE_CHANGE_FAILURE);
}

static void
run_free (Run * run)
{
  GDir *dir = g_dir_open (run->snapshot_dir, 0, NULL);
  const gchar *name;

  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_object_unref (run->sink);
  gst_object_unref (run->pipeline);
  g_object_unref (run->socket);
  g_object_unref (run->child);

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename (run->snapshot_dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (run->snapshot_dir);
  g_free (run->snapshot_dir);
}

static gchar *
json_string (const gchar * line, const gchar * key)
{
  gchar *pattern = g_strdup_printf ("\"%s\":\"([^\"]*)\"", key);
  GRegex *re = g_regex_new (pattern, 0, 0, NULL);
  GMatchInfo *mi;
  gchar *value = NULL;

  if (g_regex_match (re, line, 0, &mi))
    value = g_match_info_fetch (mi, 1);
  g_match_info_free (mi);
  g_regex_unref (re);
  g_free (pattern);
  return value;
}

static gboolean
json_number (const gchar * line, const gchar * key, gdouble * value)
{
  gchar *pattern = g_strdup_printf ("\"%s\":(-?[0-9.]+)", key);
  GRegex *re = g_regex_new (pattern, 0, 0, NULL);
  GMatchInfo *mi;
  gboolean found = FALSE;

  if (g_regex_match (re, line, 0, &mi)) {
    gchar *str = g_match_info_fetch (mi, 1);

    *value = g_ascii_strtod (str, NULL);
    g_free (str);
    found = TRUE;
  }
  g_match_info_free (mi);
  g_regex_unref (re);
  g_free (pattern);
  return found;
}

static void
check_png (const gchar * path)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
    0x1a, '\n'
  };
  gchar *data;
  gsize len;
  GError *err = NULL;

  g_assert_true (g_file_get_contents (path, &data, &len, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (len, >, 100);
  g_assert_cmpmem (data, 8, signature, 8);
  g_free (data);
}

static void
timeline (const gchar * const *extra_args)
{
  static const struct
  {
    const gchar *state;
    gdouble start;
    const gchar *pattern;
  } expected[] = {
    {"black", 0.0, NULL}, {"bars", 2.0, "smpte"}, {"live", 4.0, NULL},
    {"still", 6.0, NULL}, {"black", 8.0, NULL}, {"live", 10.0, NULL},
  };
  const guint n_frames = SEGMENT_FRAMES * G_N_ELEMENTS (segments);
  Script script = { 0, };
  gchar *desc;
  Run run = { 0, };
  GstSegment segment;
  GstElement *src;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gchar *out = NULL, **lines;
  guint i, n_changes = 0;
  gboolean eos = FALSE;

  desc = g_strdup_printf ("videotestsrc name=src pattern=black "
      "num-buffers=%u ! video/x-raw,format=I420,width=640,height=360,"
      "framerate=%d/1 ! x264enc tune=zerolatency speed-preset=ultrafast "
      "bitrate=1500 ! h264parse ! avdec_h264 ! fdpay name=pay ! "
      "multisocketsink name=sink sync=false", n_frames, FPS);
  run_start (&run, desc, extra_args, G_SUBPROCESS_FLAGS_NONE);
  g_free (desc);
  src = gst_bin_get_by_name (GST_BIN (run.pipeline), "pay");
  pad = gst_element_get_static_pad (src, "sink");
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, restamp, &segment, NULL);
  gst_object_unref (pad);
  gst_object_unref (src);
  src = gst_bin_get_by_name (GST_BIN (run.pipeline), "src");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, play_script, &script,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (src);
  run_play (&run);

  bus = gst_element_get_bus (run.pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 50 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);

  /* let the sink write what it queued, then close our end */
  g_signal_emit_by_name (run.sink, "remove-flush", run.socket);

  g_assert_true (g_subprocess_communicate_utf8 (run.child, NULL, NULL, &out,
          NULL, &err));
  g_assert_no_error (err);
  g_print ("%s", out);
  g_assert_true (g_subprocess_get_if_exited (run.child));
  g_assert_cmpint (g_subprocess_get_exit_status (run.child), ==, 0);

  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] && lines[i][0]; i++) {
    gchar *state = json_string (lines[i], "state");
    gdouble value;

    if (state) {
      gchar *pattern, *snapshot;

      g_assert_cmpuint (n_changes, <, G_N_ELEMENTS (expected));
      g_assert_cmpstr (state, ==, expected[n_changes].state);
      g_assert_true (json_number (lines[i], "start", &value));
      g_print ("# %s at %.3f: %+.3f s from its first frame\n", state, value,
          value - expected[n_changes].start);
      /* dated at the first frame of the new state, give or take one
       * sample (100 ms) */
      g_assert_cmpfloat (ABS (value - expected[n_changes].start), <=, 0.1);
      g_assert_true (json_number (lines[i], "samples", &value));
      /* known 0.5 s (5 frozen samples) after it began */
      if (g_str_equal (state, "still"))
        g_assert_cmpfloat (value, <=, 5);
      g_assert_nonnull (strstr (lines[i], "\"wall_time\":\""));
      if (expected[n_changes].pattern) {
        pattern = json_string (lines[i], "pattern");
        g_assert_cmpstr (pattern, ==, expected[n_changes].pattern);
        g_free (pattern);
      }
      snapshot = json_string (lines[i], "snapshot");
      g_assert_nonnull (snapshot);
      check_png (snapshot);
      g_free (snapshot);
      g_free (state);
      n_changes++;
    } else {
      gchar *event = json_string (lines[i], "event");

      g_assert_cmpstr (event, ==, "eos");
      g_assert_true (json_number (lines[i], "end", &value));
      g_assert_cmpfloat (ABS (value - (n_frames - 1.0) / FPS), <, 0.05);
      g_assert_null (lines[i + 1] && lines[i + 1][0] ? lines[i + 1] : NULL);
      g_free (event);
      eos = TRUE;
    }
  }
  g_assert_cmpuint (n_changes, ==, G_N_ELEMENTS (expected));
  g_assert_true (eos);

  g_strfreev (lines);
  g_free (out);
  run_free (&run);
  gst_clear_buffer (&script.frozen);
}

static void
test_timeline (void)
{
  timeline (NULL);
}

static void
test_memory_cap (void)
{
  const gchar *args[] = { "--max-memory", "256", NULL };

  timeline (args);
}

static void
test_watchdog (void)
{
  const gchar *args[] = { "--watchdog", "2", NULL };
  Run run = { 0, };
  GError *err = NULL;
  gchar *out = NULL, *errout = NULL;
  gint64 paused;

  run_start (&run, "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "fdpay ! multisocketsink name=sink sync=false", args,
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  run_play (&run);

  g_usleep (G_USEC_PER_SEC);
  /* stop sending, keep the socket open */
  gst_element_set_state (run.pipeline, GST_STATE_PAUSED);
  paused = g_get_monotonic_time ();

  g_assert_true (g_subprocess_communicate_utf8 (run.child, NULL, NULL, &out,
          &errout, &err));
  g_assert_no_error (err);
  g_print ("# exited %.1f s after the last frame\n%s%s",
      (g_get_monotonic_time () - paused) / (gdouble) G_USEC_PER_SEC, out,
      errout);
  g_assert_true (g_subprocess_get_if_exited (run.child));
  g_assert_cmpint (g_subprocess_get_exit_status (run.child), ==, 3);
  g_assert_nonnull (strstr (errout, "{\"event\":\"watchdog\""));
  /* watchdog + 2 s, and generous: 2 shared cores */
  g_assert_cmpint (g_get_monotonic_time () - paused, <, 10 * G_USEC_PER_SEC);

  g_free (out);
  g_free (errout);
  run_free (&run);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  if (argc < 2) {
    g_printerr ("usage: %s /path/to/fdpass-analyze\n", argv[0]);
    return 2;
  }
  analyzer_path = argv[1];

  g_test_add_func ("/analyze/timeline", test_timeline);
  g_test_add_func ("/analyze/memory-cap", test_memory_cap);
  g_test_add_func ("/analyze/watchdog", test_watchdog);

  return g_test_run ();
}
