/* GStreamer fd passing example: the analysis process
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

/* fdpass-analyze --fd N [--snapshot-dir DIR] [--sample-interval MS]
 *     [--max-memory MB] [--watchdog SECONDS] [--seqpacket] [--hysteresis N]
 *     [--still-hold SECONDS] [--frozen-samples N]
 *
 * Receives decoded frames on the connected Unix socket N (inherited from
 * the parent, stream or seqpacket, the sender runs fdpay ! multisocketsink
 * or unixsocketsink) with
 *
 *   unixsocketsrc fd=N ! fddepay ! appsink
 *
 * and reads them in place (GstVideoFrame mapped read-only on the sender's
 * memfds: no copy). One frame per sample interval of stream time goes
 * through the detectors of fdpass-analysis.c and the state machine; each
 * state change is one JSON line on stdout:
 *
 *   {"state":"bars","start":2.000,"wall_time":"2026-11-23T20:00:00.123Z",
 *    "evidence":{"pattern":"smpte","score":0.995,"mean_luma":121.03,
 *    "luma_stddev":78.04,"dark_fraction":0.185,"hash_distance":31,
 *    "cell_delta":150.2,"samples":3},"snapshot":"DIR/0002-bars.png"}
 *
 * (one line; "start" is the stream time in seconds of the first sample of
 * the run that made the change (for "still" the sample before it, which
 * already showed the picture), "wall_time" when that sample arrived, the
 * evidence is the run's first sample's, and so is the PNG snapshot;
 * "samples" the length of the run; "pattern" and
 * "hash_distance" are null when there are none, "snapshot" without
 * --snapshot-dir or when writing failed). At the end of the stream:
 *
 *   {"event":"eos","end":7.967}
 *
 * with the stream time of the last frame, and exit status 0.
 *
 * Across hosts: on the analysis host, `fdpass-analyze --listen [HOST:]PORT`
 * accepts TCP connections, one after the other, each served by a child
 * process that reads inline frames (fdpay payload=inline) with
 *
 *   socketsrc ! fddepay ! appsink
 *
 * and writes its JSON lines back on the connection (--once: one
 * connection, then exit with its status). On the sending host,
 * `fdpass-analyze --fd N --forward HOST:PORT` analyses nothing: it runs
 *
 *   unixsocketsrc fd=N ! fddepay ! fdpay payload=inline ! fdsink
 *
 * onto a connection to HOST:PORT and prints the lines that come back, so
 * that whoever started it (the HLS demo with --remote) reads them as it
 * would read a local analysis. It exits with 0 when the stream ended and
 * the analysis host closed the connection.
 *
 * Limits: --max-memory caps the address space (RLIMIT_AS, not the resident
 * size: GStreamer's threads and the mapped frames count in full) and
 * --watchdog ends the process with status 3, after printing
 * {"event":"watchdog",...} on stderr, when no frame arrived for that many
 * seconds (counted from the start until the first frame). Errors: a
 * message on stderr and status 1; bad options: status 2.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/gst.h>
#include <gst/app/app.h>
#include <gst/video/video.h>

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fdpass-analysis.h"
#include "fdpass-analysis-gst.h"

#define PROGRAM_NAME "fdpass-analyze"

#define EXIT_ERROR 1
#define EXIT_USAGE 2
#define EXIT_WATCHDOG 3

/* command line */
static gint opt_fd = -1;
static gchar *opt_snapshot_dir = NULL;
static gint opt_sample_interval = FDPASS_DEFAULT_SAMPLE_INTERVAL_MS;
static gint opt_max_memory = 1024;
static gdouble opt_watchdog = 5.0;
static gboolean opt_seqpacket = FALSE;
static gint opt_hysteresis = FDPASS_DEFAULT_HYSTERESIS;
static gdouble opt_still_hold = FDPASS_DEFAULT_STILL_HOLD;
static gint opt_frozen_samples = FDPASS_DEFAULT_FROZEN_SAMPLES;
static gchar *opt_listen = NULL;
static gchar *opt_forward = NULL;
static gboolean opt_once = FALSE;
/* the frames come inline over TCP (--listen) */
static gboolean tcp_source = FALSE;

static GOptionEntry entries[] = {
  {"fd", 0, 0, G_OPTION_ARG_INT, &opt_fd,
      "The connected Unix socket to receive frames on (required)", "N"},
  {"snapshot-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_snapshot_dir,
      "Write a PNG of the frame behind each state change into DIR", "DIR"},
  {"sample-interval", 0, 0, G_OPTION_ARG_INT, &opt_sample_interval,
        "Analyse one frame per MS milliseconds of stream time (default: 100)",
      "MS"},
  {"max-memory", 0, 0, G_OPTION_ARG_INT, &opt_max_memory,
        "Address space limit in MiB (RLIMIT_AS; 0: none; default: 1024)",
      "MB"},
  {"watchdog", 0, 0, G_OPTION_ARG_DOUBLE, &opt_watchdog,
      "Exit with status 3 when no frame arrived for SECONDS (0: never; "
        "default: 5)", "SECONDS"},
  {"seqpacket", 0, 0, G_OPTION_ARG_NONE, &opt_seqpacket,
        "The socket is SOCK_SEQPACKET (checked; the type is detected anyway)",
      NULL},
  {"hysteresis", 0, 0, G_OPTION_ARG_INT, &opt_hysteresis,
      "Consecutive samples a new classification needs to change the state "
        "(default: 5)", "N"},
  {"still-hold", 0, 0, G_OPTION_ARG_DOUBLE, &opt_still_hold,
      "Seconds a static picture must last to count as \"still\" "
        "(default: 3)", "SECONDS"},
  {"frozen-samples", 0, 0, G_OPTION_ARG_INT, &opt_frozen_samples,
      "Consecutive samples of the very same picture that make it \"still\" "
        "at once (default: 5)", "N"},
  {"listen", 0, 0, G_OPTION_ARG_STRING, &opt_listen,
      "On the analysis host: accept TCP connections on [HOST:]PORT (0: any "
        "free port, printed on stderr), each a stream of inline frames; "
        "the JSON lines go back on the connection", "[HOST:]PORT"},
  {"once", 0, 0, G_OPTION_ARG_NONE, &opt_once,
      "With --listen: serve one connection, then exit with its status", NULL},
  {"forward", 0, 0, G_OPTION_ARG_STRING, &opt_forward,
      "Instead of analysing them, send the frames received on --fd inline "
        "to an analysis host (fdpass-analyze --listen) at HOST:PORT, and "
        "print the JSON lines it sends back", "HOST:PORT"},
  {NULL}
};

/* what a state change reports: the first sample of the run that made it,
 * and when the state began (for "still" the sample before it) */
typedef struct
{
  GstSample *sample;
  FdpassSampleResult result;
  GstClockTime time;
  gchar *wall;
  guint samples;                /* in the run when it made the change */
} RunEvidence;

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  GstBus *bus;

  GstCaps *caps;                /* of `info` */
  GstVideoInfo info;

  FdpassStateMachine sm;
  FdpassPHash prev_hash;
  gboolean have_prev_hash;
  FdpassPHash anchor_hash;      /* of the last sample that was not static */
  gboolean have_anchor_hash;

  /* sampling on the stream time grid */
  gboolean have_next;
  GstClockTime next_sample;
  GstClockTime last_time;       /* of the last frame, for the EOS line */
  gboolean have_last_time;

  /* the previous sample */
  GstClockTime prev_time;
  gchar *prev_wall;

  /* the first sample of each candidate state's run */
  RunEvidence runs[FDPASS_STATE_N_STATES];

  guint n_changes;
  guint64 n_frames;
  guint64 n_samples;
  gint64 last_frame_wall;       /* monotonic, us */
} Analyzer;

static gchar *
wall_time_now (void)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *base = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  gchar *str = g_strdup_printf ("%s.%03dZ", base,
      g_date_time_get_microsecond (now) / 1000);

  g_free (base);
  g_date_time_unref (now);
  return str;
}

static void
print_bus_error (GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (msg, &err, &debug);
  g_printerr (PROGRAM_NAME ": error from %s: %s\n",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
  if (debug)
    g_printerr (PROGRAM_NAME ": debug: %s\n", debug);
  g_clear_error (&err);
  g_free (debug);
}

/* PNG of the sample through videoconvert ! pngenc: the only copy of the
 * frame this program makes. Returns the path, or NULL. */
static gchar *
write_snapshot (Analyzer * an, GstSample * sample, const gchar * state)
{
  GstCaps *caps;
  GstSample *png;
  GstBuffer *buf;
  GstMapInfo map;
  GError *err = NULL;
  gchar *name, *path;

  if (opt_snapshot_dir == NULL || sample == NULL)
    return NULL;

  caps = gst_caps_new_empty_simple ("image/png");
  png = gst_video_convert_sample (sample, caps, 5 * GST_SECOND, &err);
  gst_caps_unref (caps);
  if (png == NULL) {
    g_printerr (PROGRAM_NAME ": could not convert the snapshot: %s\n",
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return NULL;
  }

  name = g_strdup_printf ("%04u-%s.png", an->n_changes, state);
  path = g_build_filename (opt_snapshot_dir, name, NULL);
  g_free (name);

  buf = gst_sample_get_buffer (png);
  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    if (!g_file_set_contents (path, (const gchar *) map.data, map.size, &err)) {
      g_printerr (PROGRAM_NAME ": could not write the snapshot: %s\n",
          err->message);
      g_clear_error (&err);
      g_clear_pointer (&path, g_free);
    }
    gst_buffer_unmap (buf, &map);
  } else {
    g_clear_pointer (&path, g_free);
  }
  gst_sample_unref (png);

  return path;
}

static void
clear_run (RunEvidence * run)
{
  if (run->sample) {
    gst_sample_unref (run->sample);
    run->sample = NULL;
  }
  g_clear_pointer (&run->wall, g_free);
}

static void
clear_runs (Analyzer * an)
{
  guint i;

  for (i = 0; i < FDPASS_STATE_N_STATES; i++)
    clear_run (&an->runs[i]);
}

static void
report_change (Analyzer * an, const RunEvidence * run)
{
  const FdpassSampleResult *r = &run->result;
  const gchar *state = fdpass_stream_state_name (an->sm.state);
  GString *line = g_string_new (NULL);
  gchar *snapshot;

  an->n_changes++;
  snapshot = write_snapshot (an, run->sample, state);

  g_string_append_printf (line, "{\"state\":\"%s\",\"start\":%.3f,"
      "\"wall_time\":\"%s\",\"evidence\":{", state,
      (gdouble) run->time / GST_SECOND, run->wall);
  if (r->bars.pattern != FDPASS_BARS_NONE)
    g_string_append_printf (line, "\"pattern\":\"%s\",",
        fdpass_bars_pattern_name (r->bars.pattern));
  else
    g_string_append (line, "\"pattern\":null,");
  g_string_append_printf (line, "\"score\":%.3f,\"mean_luma\":%.2f,"
      "\"luma_stddev\":%.2f,\"dark_fraction\":%.3f,", r->bars.score,
      r->black.mean_luma, r->black.luma_stddev, r->black.dark_fraction);
  if (r->have_previous)
    g_string_append_printf (line, "\"hash_distance\":%u,\"cell_delta\":%.2f,",
        r->hash_distance, r->cell_delta);
  else
    g_string_append (line, "\"hash_distance\":null,\"cell_delta\":null,");
  g_string_append_printf (line, "\"samples\":%u},", run->samples);
  if (snapshot) {
    gchar *escaped = g_strescape (snapshot, NULL);

    g_string_append_printf (line, "\"snapshot\":\"%s\"}", escaped);
    g_free (escaped);
  } else {
    g_string_append (line, "\"snapshot\":null}");
  }

  fputs (line->str, stdout);
  fputc ('\n', stdout);
  fflush (stdout);

  g_string_free (line, TRUE);
  g_free (snapshot);
}

/* Returns FALSE on a fatal error. */
static gboolean
handle_sample (Analyzer * an, GstSample * sample)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  const GstSegment *segment = gst_sample_get_segment (sample);
  GstClockTime pts, t = GST_CLOCK_TIME_NONE;
  GstClockTime interval = (GstClockTime) opt_sample_interval * GST_MSECOND;
  FdpassAnalysisFrame frame;
  FdpassSampleResult result;
  GstVideoFrame vframe;
  gboolean changed;
  gchar *wall;
  guint i;

  if (buf == NULL || caps == NULL)
    return TRUE;

  an->n_frames++;
  an->last_frame_wall = g_get_monotonic_time ();

  pts = GST_BUFFER_PTS (buf);
  if (GST_CLOCK_TIME_IS_VALID (pts) && segment
      && segment->format == GST_FORMAT_TIME)
    t = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID (t))
    t = pts;
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return TRUE;                /* cannot place it on the time line */

  /* a jump back (new segment, looped stream): start the grid again */
  if (an->have_last_time && t < an->last_time)
    an->have_next = FALSE;
  an->last_time = t;
  an->have_last_time = TRUE;

  if (an->have_next && t < an->next_sample)
    return TRUE;
  if (!an->have_next)
    an->next_sample = t;
  while (an->next_sample <= t)
    an->next_sample += MAX (interval, 1);
  an->have_next = TRUE;

  if (an->caps == NULL || !gst_caps_is_equal (an->caps, caps)) {
    if (!gst_video_info_from_caps (&an->info, caps)) {
      g_printerr (PROGRAM_NAME ": not raw video: %" GST_PTR_FORMAT "\n", caps);
      return FALSE;
    }
    gst_caps_replace (&an->caps, caps);
  }

  /* read-only: the memory is the sender's memfd, mapped in place */
  if (!gst_video_frame_map (&vframe, &an->info, buf, GST_MAP_READ)) {
    g_printerr (PROGRAM_NAME ": could not map frame %" G_GUINT64_FORMAT "\n",
        an->n_frames);
    return FALSE;
  }
  if (!fdpass_analysis_frame_from_video_frame (&frame, &vframe)) {
    g_printerr (PROGRAM_NAME ": unsupported video format %s (I420, YV12, "
        "NV12 and NV21 are)\n", gst_video_format_to_string
        (GST_VIDEO_INFO_FORMAT (&an->info)));
    gst_video_frame_unmap (&vframe);
    return FALSE;
  }
  fdpass_analysis_analyze (&frame, an->have_prev_hash ? &an->prev_hash : NULL,
      &result);
  gst_video_frame_unmap (&vframe);

  if (an->have_anchor_hash)
    fdpass_analysis_check_drift (&an->anchor_hash, &result);
  if (result.klass != FDPASS_SAMPLE_STATIC
      && result.klass != FDPASS_SAMPLE_FROZEN) {
    an->anchor_hash = result.hash;
    an->have_anchor_hash = TRUE;
  }

  an->n_samples++;
  an->prev_hash = result.hash;
  an->have_prev_hash = TRUE;
  wall = wall_time_now ();

  changed = fdpass_state_machine_push (&an->sm, result.klass,
      (gdouble) t / GST_SECOND);

  /* keep the first sample of each run as the evidence of its state */
  for (i = 0; i < FDPASS_STATE_N_STATES; i++) {
    const FdpassStateRun *sr = &an->sm.runs[i];
    RunEvidence *run = &an->runs[i];

    if (!sr->active && !(changed && i == an->sm.state)) {
      clear_run (run);
    } else if (sr->count == 1) {
      gboolean from_previous = sr->start != (gdouble) t / GST_SECOND;

      clear_run (run);
      run->sample = gst_sample_ref (sample);
      run->result = result;
      run->time = from_previous ? an->prev_time : t;
      run->wall = g_strdup (from_previous ? an->prev_wall : wall);
    }
  }

  if (changed) {
    RunEvidence *run = &an->runs[an->sm.state];

    run->samples = an->sm.runs[an->sm.state].count;
    report_change (an, run);
    clear_run (run);
  }

  g_free (an->prev_wall);
  an->prev_wall = wall;
  an->prev_time = t;

  return TRUE;
}

static void
watchdog_fired (Analyzer * an)
{
  gchar *wall = wall_time_now ();

  if (an->have_last_time)
    g_printerr ("{\"event\":\"watchdog\",\"timeout\":%.3f,\"frames\":%"
        G_GUINT64_FORMAT ",\"last\":%.3f,\"wall_time\":\"%s\"}\n",
        opt_watchdog, an->n_frames, (gdouble) an->last_time / GST_SECOND, wall);
  else
    g_printerr ("{\"event\":\"watchdog\",\"timeout\":%.3f,\"frames\":%"
        G_GUINT64_FORMAT ",\"last\":null,\"wall_time\":\"%s\"}\n",
        opt_watchdog, an->n_frames, wall);
  g_free (wall);
  fflush (stdout);
  fflush (stderr);

  /* no teardown: the pipeline may be what hangs */
  _exit (EXIT_WATCHDOG);
}

static gboolean
limit_memory (void)
{
  struct rlimit rl;

  if (opt_max_memory <= 0)
    return TRUE;

  /* every thread's malloc arena reserves 64 MiB or more of address space:
   * keep their number small so that the cap measures what we use */
  mallopt (M_ARENA_MAX, 2);

  rl.rlim_cur = rl.rlim_max = (rlim_t) opt_max_memory *1024 * 1024;
  if (setrlimit (RLIMIT_AS, &rl) != 0) {
    g_printerr (PROGRAM_NAME ": could not limit the memory to %d MiB: %s\n",
        opt_max_memory, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_socket (void)
{
  gint type = 0;
  socklen_t len = sizeof (type);

  if (fcntl (opt_fd, F_GETFD) < 0) {
    g_printerr (PROGRAM_NAME ": fd %d is not open\n", opt_fd);
    return FALSE;
  }
  if (getsockopt (opt_fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    g_printerr (PROGRAM_NAME ": fd %d is not a socket: %s\n", opt_fd,
        g_strerror (errno));
    return FALSE;
  }
  if (opt_seqpacket && type != SOCK_SEQPACKET)
    g_printerr (PROGRAM_NAME ": warning: --seqpacket given but fd %d is not "
        "SOCK_SEQPACKET, reading it as it is\n", opt_fd);
  /* keep it from children such as a snapshot helper */
  fcntl (opt_fd, F_SETFD, FD_CLOEXEC);
  return TRUE;
}

static gint
run (Analyzer * an)
{
  GstElement *src;
  GError *err = NULL;
  gint64 start = g_get_monotonic_time ();

  an->pipeline = gst_parse_launch (tcp_source ? "socketsrc name=src ! "
      "fddepay ! appsink name=sink sync=false max-buffers=4 caps=video/x-raw" :
      "unixsocketsrc name=src ! fddepay ! appsink name=sink sync=false "
      "max-buffers=4 caps=video/x-raw", &err);
  if (an->pipeline == NULL || err != NULL) {
    g_printerr (PROGRAM_NAME ": could not create the pipeline: %s\n",
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return EXIT_ERROR;
  }
  src = gst_bin_get_by_name (GST_BIN (an->pipeline), "src");
  if (tcp_source) {
    GSocket *socket = g_socket_new_from_fd (opt_fd, &err);

    if (socket == NULL) {
      g_printerr (PROGRAM_NAME ": fd %d: %s\n", opt_fd, err->message);
      g_clear_error (&err);
      gst_object_unref (src);
      return EXIT_ERROR;
    }
    g_object_set (src, "socket", socket, NULL);
    g_object_unref (socket);
  } else {
    g_object_set (src, "fd", opt_fd, NULL);
  }
  gst_object_unref (src);
  an->sink = gst_bin_get_by_name (GST_BIN (an->pipeline), "sink");
  an->bus = gst_element_get_bus (an->pipeline);

  if (gst_element_set_state (an->pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    GstMessage *msg = gst_bus_pop_filtered (an->bus, GST_MESSAGE_ERROR);

    if (msg) {
      print_bus_error (msg);
      gst_message_unref (msg);
    } else {
      g_printerr (PROGRAM_NAME ": could not start the pipeline\n");
    }
    return EXIT_ERROR;
  }

  an->last_frame_wall = start;
  for (;;) {
    GstSample *sample;
    GstMessage *msg;

    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (an->sink),
        100 * GST_MSECOND);
    if (sample) {
      gboolean ok = handle_sample (an, sample);

      gst_sample_unref (sample);
      /* a slow snapshot is not the sender's fault */
      an->last_frame_wall = g_get_monotonic_time ();
      if (!ok)
        return EXIT_ERROR;
    }

    msg = gst_bus_pop_filtered (an->bus, GST_MESSAGE_ERROR);
    if (msg) {
      print_bus_error (msg);
      gst_message_unref (msg);
      return EXIT_ERROR;
    }

    if (sample == NULL && gst_app_sink_is_eos (GST_APP_SINK (an->sink)))
      break;

    if (opt_watchdog > 0 && g_get_monotonic_time () - an->last_frame_wall >
        (gint64) (opt_watchdog * G_USEC_PER_SEC))
      watchdog_fired (an);
  }

  if (an->have_last_time)
    printf ("{\"event\":\"eos\",\"end\":%.3f}\n",
        (gdouble) an->last_time / GST_SECOND);
  else
    printf ("{\"event\":\"eos\",\"end\":null}\n");
  fflush (stdout);

  return 0;
}

/* --forward: copies what the analysis host writes back (its JSON lines)
 * to our stdout, until it closes the connection. */
static gpointer
relay_lines (gpointer data)
{
  gint fd = GPOINTER_TO_INT (data);
  gchar buf[4096];
  gssize n;

  while ((n = read (fd, buf, sizeof (buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0 && fwrite (buf, 1, n, stdout) != (gsize) n)
      break;
    fflush (stdout);
  }

  return GINT_TO_POINTER (n == 0);
}

/* --forward HOST:PORT: the frames of --fd go on inline over TCP, and the
 * analysis host's lines come back. The exit status is 0 when the stream
 * ended and the analysis host said so. */
static gint
forward (void)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GstElement *pipeline, *src, *sink;
  GstMessage *msg;
  GError *err = NULL;
  GThread *relay;
  gboolean eos;
  gint fd, ret = 0;

  conn = g_socket_client_connect_to_host (client, opt_forward, 0, NULL, &err);
  g_object_unref (client);
  if (conn == NULL) {
    g_printerr (PROGRAM_NAME ": cannot reach the analysis host %s: %s\n",
        opt_forward, err->message);
    g_clear_error (&err);
    return EXIT_ERROR;
  }
  fd = g_socket_get_fd (g_socket_connection_get_socket (conn));
  /* GSocket made it non-blocking; fdsink and the relay thread block */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);

  /* the local memfds, inline onto the connection */
  pipeline = gst_parse_launch ("unixsocketsrc name=src ! fddepay ! "
      "fdpay payload=inline ! fdsink name=sink sync=false", &err);
  if (pipeline == NULL || err != NULL) {
    g_printerr (PROGRAM_NAME ": could not create the pipeline: %s\n",
        err ? err->message : "unknown error");
    g_clear_error (&err);
    g_object_unref (conn);
    return EXIT_ERROR;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "fd", opt_fd, NULL);
  gst_object_unref (src);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "fd", fd, NULL);
  gst_object_unref (sink);

  relay = g_thread_new ("relay-lines", relay_lines, GINT_TO_POINTER (fd));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!eos) {
    print_bus_error (msg);
    ret = EXIT_ERROR;
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  /* the stream's EOS message went out: the analysis host finishes, says
   * so and closes the connection; on an error, close it now */
  if (eos)
    shutdown (fd, SHUT_WR);
  else
    shutdown (fd, SHUT_RDWR);
  if (!GPOINTER_TO_INT (g_thread_join (relay)) && ret == 0) {
    g_printerr (PROGRAM_NAME ": the connection to %s broke\n", opt_forward);
    ret = EXIT_ERROR;
  }
  g_object_unref (conn);

  return ret;
}

/* --listen [HOST:]PORT: each connection is served by a child process,
 * whose stdout is the connection, one after the other. */
static gint
listen_and_serve (GSocket ** accepted)
{
  GSocketListener *listener = g_socket_listener_new ();
  GSocketAddress *addr = NULL, *effective = NULL;
  GInetAddress *host;
  const gchar *colon = strrchr (opt_listen, ':');
  gchar *host_str = colon ? g_strndup (opt_listen, colon - opt_listen) :
      g_strdup ("0.0.0.0");
  guint64 port;
  GError *err = NULL;
  gint status = 0;

  if (!g_ascii_string_to_unsigned (colon ? colon + 1 : opt_listen, 10, 0,
          65535, &port, &err) ||
      (host = g_inet_address_new_from_string (host_str)) == NULL) {
    g_printerr (PROGRAM_NAME ": --listen wants [HOST:]PORT with a numeric "
        "host, not %s\n", opt_listen);
    g_clear_error (&err);
    g_free (host_str);
    g_object_unref (listener);
    return EXIT_USAGE;
  }
  addr = g_inet_socket_address_new (host, port);
  g_object_unref (host);
  g_free (host_str);
  if (!g_socket_listener_add_address (listener, addr, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &effective, &err)) {
    g_printerr (PROGRAM_NAME ": cannot listen on %s: %s\n", opt_listen,
        err->message);
    g_clear_error (&err);
    g_object_unref (addr);
    g_object_unref (listener);
    return EXIT_ERROR;
  }
  g_object_unref (addr);
  /* for whoever has to connect to a port chosen here */
  g_printerr (PROGRAM_NAME ": listening on port %u\n",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  g_object_unref (effective);

  for (;;) {
    GSocket *conn = g_socket_listener_accept_socket (listener, NULL, NULL,
        &err);
    pid_t pid;

    if (conn == NULL) {
      g_printerr (PROGRAM_NAME ": accept: %s\n", err->message);
      g_clear_error (&err);
      status = EXIT_ERROR;
      break;
    }
    pid = fork ();
    if (pid == 0) {
      /* the child analyses this connection */
      g_object_unref (listener);
      *accepted = conn;
      return -1;
    }
    g_object_unref (conn);
    if (pid < 0) {
      g_printerr (PROGRAM_NAME ": fork: %s\n", g_strerror (errno));
      status = EXIT_ERROR;
      break;
    }
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR);
    status = WIFEXITED (status) ? WEXITSTATUS (status) : EXIT_ERROR;
    if (opt_once)
      break;
  }

  g_object_unref (listener);
  return status;
}

int
main (int argc, char **argv)
{
  Analyzer an;
  GOptionContext *ctx;
  GError *err = NULL;
  gint ret;

  ctx = g_option_context_new ("- judge a stream of decoded frames received "
      "over a Unix socket");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr (PROGRAM_NAME ": %s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return EXIT_USAGE;
  }
  g_option_context_free (ctx);

  if (opt_listen) {
    GSocket *conn = NULL;

    ret = listen_and_serve (&conn);
    if (conn == NULL)
      return ret;
    /* in the child: read the frames from the connection, write the lines
     * to it */
    opt_fd = dup (g_socket_get_fd (conn));
    if (dup2 (opt_fd, STDOUT_FILENO) < 0) {
      g_printerr (PROGRAM_NAME ": dup2: %s\n", g_strerror (errno));
      return EXIT_ERROR;
    }
    g_object_unref (conn);
    /* each line goes out as it is written */
    setvbuf (stdout, NULL, _IOLBF, 0);
    tcp_source = TRUE;
  }

  if (opt_fd < 0) {
    g_printerr (PROGRAM_NAME ": --fd N (or --listen) is required\n");
    return EXIT_USAGE;
  }
  if (opt_forward)
    return check_socket ()? forward () : EXIT_ERROR;
  if (opt_sample_interval <= 0 || opt_hysteresis <= 0
      || opt_frozen_samples <= 0 || opt_max_memory < 0
      || opt_watchdog < 0 || opt_still_hold < 0) {
    g_printerr (PROGRAM_NAME ": option values must be positive\n");
    return EXIT_USAGE;
  }
  if (opt_snapshot_dir && g_mkdir_with_parents (opt_snapshot_dir, 0755) != 0) {
    g_printerr (PROGRAM_NAME ": cannot create %s: %s\n", opt_snapshot_dir,
        g_strerror (errno));
    return EXIT_ERROR;
  }
  if (!check_socket () || !limit_memory ())
    return EXIT_ERROR;

  memset (&an, 0, sizeof (an));
  fdpass_state_machine_init (&an.sm, opt_hysteresis, opt_still_hold,
      opt_frozen_samples);

  ret = run (&an);

  if (an.pipeline)
    gst_element_set_state (an.pipeline, GST_STATE_NULL);
  clear_runs (&an);
  g_free (an.prev_wall);
  gst_clear_caps (&an.caps);
  gst_clear_object (&an.bus);
  gst_clear_object (&an.sink);
  gst_clear_object (&an.pipeline);
  g_free (opt_snapshot_dir);

  return ret;
}
