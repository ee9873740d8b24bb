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
 * timeline: this process plays 8 s of video (black, SMPTE bars, the moving
 *   ball, black; 2 s each) through x264enc ! avdec_h264 ! fdpay !
 *   multisocketsink into a socketpair whose other end is fd 3 of
 *   fdpass-analyze, and checks its JSON lines: black at 0, bars (smpte) at
 *   2, live at 4, black at 6 (each within 0.5 s), then the end of stream;
 *   every snapshot is a PNG.
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

/* switches the pattern every 60 frames: black, smpte, ball, black */
static GstPadProbeReturn
switch_pattern (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  static const gchar *patterns[] = { "black", "smpte", "ball", "black" };
  guint *count = user_data;
  GstElement *src = GST_ELEMENT (gst_pad_get_parent (pad));

  (*count)++;
  if (*count % 60 == 0 && *count / 60 < G_N_ELEMENTS (patterns))
    gst_util_set_object_arg (G_OBJECT (src), "pattern", patterns[*count / 60]);
  gst_object_unref (src);

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
    {"black", 6.0, NULL},
  };
  Run run = { 0, };
  GstSegment segment;
  GstElement *src;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gchar *out = NULL, **lines;
  guint count = 0, i, n_changes = 0;
  gboolean eos = FALSE;

  run_start (&run, "videotestsrc name=src pattern=black num-buffers=240 ! "
      "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1500 ! "
      "h264parse ! avdec_h264 ! fdpay name=pay ! "
      "multisocketsink name=sink sync=false", extra_args,
      G_SUBPROCESS_FLAGS_NONE);
  src = gst_bin_get_by_name (GST_BIN (run.pipeline), "pay");
  pad = gst_element_get_static_pad (src, "sink");
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, restamp, &segment, NULL);
  gst_object_unref (pad);
  gst_object_unref (src);
  src = gst_bin_get_by_name (GST_BIN (run.pipeline), "src");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, switch_pattern, &count,
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
      g_assert_cmpfloat (ABS (value - expected[n_changes].start), <=, 0.5);
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
      g_assert_cmpfloat (ABS (value - 239.0 / 30), <, 0.05);
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
