/* GStreamer fd passing example: HLS stream, isolated analysis process
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

/* The parent of the main job. It pulls an HLS stream and decodes it
 * (pipeline.c),
 *
 *   <uri src> ! typefind ! hlsdemux ! decodebin ! concat ! videoconvert !
 *       video/x-raw,format={I420,NV12} ! fdpay ! multisocketsink sync=false
 *
 * (--demux hlsdemux2 for adaptivedemux2's demuxer; a decodebin per variant
 * hlsdemux switches to, unless --variant pins one) and hands the decoded frames, as memfds, to an analysis process
 * (fdpass-analyze) that it spawns with one end of a socketpair as fd 3,
 * restarts when it crashes or hangs, and kills when it must
 * (supervisor.c). The analysis process prints one JSON line per state
 * change on its stdout; the parent collects them into a timeline, shows
 * them as they come and at the end prints the timeline and writes
 * summary.json (report.c).
 *
 * A live stream's playlists reach the demuxer through a relay on
 * 127.0.0.1 (relay.c), so that it also plays the segments that come with
 * #EXT-X-ENDLIST.
 *
 * With no URL argument the parent first makes its own stream with
 * GStreamer (generator.c: black 4 s, SMPTE bars 4 s, a moving ball 4 s,
 * black 4 s, 640x360 at 25 fps, H.264 in MPEG-TS segments of 1 s, a VOD
 * playlist) and serves it over HTTP on 127.0.0.1 from a thread
 * (server.c).
 *
 * This file holds the options and the wiring: it starts the parts, and
 * stops them when the stream ends, fails or is interrupted. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "diagnosis.h"
#include "fds.h"
#include "generator.h"
#include "pipeline.h"
#include "relay.h"
#include "report.h"
#include "server.h"
#include "supervisor.h"

#include <gst/gst.h>
#include <gio/gio.h>
#include <glib-unix.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef FDPASS_ANALYZE_PATH
#define FDPASS_ANALYZE_PATH "fdpass-analyze"
#endif

/* how long after the end of the stream the analysis process may take to
 * finish before we stop without it */
#define EOS_GRACE_SECONDS 20

/* command line */
static gchar *opt_analyzer = NULL;
static gchar *opt_snapshot_dir = NULL;
static gint opt_max_restarts = 10;
static gboolean opt_keep = FALSE;
static gboolean opt_quiet = FALSE;
static gboolean opt_realtime = FALSE;
static gboolean opt_seqpacket = FALSE;
static gint opt_watchdog = 15;
static gint opt_max_memory = 0;
static gint opt_timeout = 20;
static gboolean opt_report_fds = FALSE;
static gboolean opt_json = FALSE;
static gint opt_http_timeout = 10;
static gchar *opt_demux = NULL;
static gchar *opt_variant = NULL;
static gboolean opt_no_relay = FALSE;
static gint opt_max_timeline = 10000;
static gchar *opt_remote = NULL;

static GOptionEntry entries[] = {
  {"analyzer", 0, 0, G_OPTION_ARG_FILENAME, &opt_analyzer,
      "The analysis program (default: " FDPASS_ANALYZE_PATH ")", "PATH"},
  {"snapshot-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_snapshot_dir,
      "Where the analysis writes its snapshots and the parent its "
        "summary.json (default: a new temporary directory)", "DIR"},
  {"max-restarts", 0, 0, G_OPTION_ARG_INT, &opt_max_restarts,
        "Give up after restarting the analysis process N times (default: 10, "
        "-1: never)",
      "N"},
  {"keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep,
      "Keep the generated stream's directory", NULL},
  {"quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet,
      "No progress line and no live state lines", NULL},
  {"json", 0, 0, G_OPTION_ARG_NONE, &opt_json,
      "Print state changes and events as JSON lines on stdout as they "
        "happen, and a last \"end\" line, instead of the timeline "
        "(see README.md)", NULL},
  {"realtime", 0, 0, G_OPTION_ARG_NONE, &opt_realtime,
      "Send frames at the pace of their timestamps (multisocketsink "
        "sync=true), as a live stream would arrive", NULL},
  {"seqpacket", 0, 0, G_OPTION_ARG_NONE, &opt_seqpacket,
      "Use a SOCK_SEQPACKET socketpair instead of SOCK_STREAM", NULL},
  {"remote", 0, 0, G_OPTION_ARG_STRING, &opt_remote,
      "Analyse on another host, where fdpass-analyze --listen PORT runs: "
        "the supervised local process forwards the frames there, inline "
        "over TCP, and relays its results", "HOST:PORT"},
  {"watchdog", 0, 0, G_OPTION_ARG_INT, &opt_watchdog,
      "The analysis process exits when it gets no frame for this long "
        "(default: 15)", "SECONDS"},
  {"max-memory", 0, 0, G_OPTION_ARG_INT, &opt_max_memory,
      "Memory limit of the analysis process (default: its own)", "MB"},
  {"timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
      "Give up when the first video frame takes longer than this "
        "(default: 20)", "SECONDS"},
  {"http-timeout", 0, 0, G_OPTION_ARG_INT, &opt_http_timeout,
      "Give up on an HTTP request (playlist or segment) when the server "
        "does not answer for this long (default: 10, 0: souphttpsrc's "
        "default)", "SECONDS"},
  {"demux", 0, 0, G_OPTION_ARG_STRING, &opt_demux,
      "The HLS demuxer: hlsdemux (the default) or hlsdemux2", "NAME"},
  {"variant", 0, 0, G_OPTION_ARG_STRING, &opt_variant,
        "Analyse this variant of a master playlist: its position in the "
        "playlist (from 0), its resolution or its bandwidth in bit/s "
        "(default: follow the demuxer's switches)",
      "N|WIDTHxHEIGHT|BANDWIDTH"},
  {"no-relay", 0, 0, G_OPTION_ARG_NONE, &opt_no_relay,
      "Let the demuxer fetch a live stream's playlists itself (GStreamer "
        "1.22's demuxers then miss the segments that come with "
        "#EXT-X-ENDLIST)", NULL},
  {"max-timeline", 0, 0, G_OPTION_ARG_INT, &opt_max_timeline,
        "Keep the last N state changes for the timeline at the end and "
        "summary.json (older ones were shown as they came; default: 10000)",
      "N"},
  {"report-fds", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_report_fds,
      "Print the number of open file descriptors at start and end", NULL},
  {NULL}
};

typedef struct
{
  GMainLoop *loop;
  Pipeline *pipeline;
  Relay *relay;
  Supervisor *supervisor;
  Report *report;

  gchar *uri;
  gchar *snapshot_dir;

  guint progress_source;
  guint first_frame_source;
  guint eos_grace_source;

  gboolean stopping;
  gboolean interrupted;
  gboolean pipeline_eos;
  gboolean failed;
  gchar *error;
} App;

/* --- stopping ------------------------------------------------------------ */

static gboolean
quit_loop (gpointer user_data)
{
  App *app = user_data;

  g_main_loop_quit (app->loop);

  return G_SOURCE_REMOVE;
}

/* Stop everything; the loop ends once no analysis process is left. */
static void
app_stop (App * app)
{
  if (!app->stopping) {
    app->stopping = TRUE;
    pipeline_set_flushing (app->pipeline);
  }

  if (!supervisor_stop (app->supervisor, app->failed))
    g_idle_add (quit_loop, app);
}

static void
app_fail (App * app, const gchar * message)
{
  /* the relay's URIs mean nothing to the user: name the origin's */
  if (app->error == NULL)
    app->error = app->relay ? relay_translate (app->relay, message) :
        g_strdup (message);
  app->failed = TRUE;
  app_stop (app);
}

static void
on_supervisor_done (const gchar * error, gpointer user_data)
{
  App *app = user_data;

  if (error)
    app_fail (app, error);
  else
    app_stop (app);
}

static gboolean
on_interrupt (gpointer user_data)
{
  App *app = user_data;

  if (!app->stopping) {
    report_clear_progress (app->report);
    g_printerr ("%s: interrupted\n", PROGRAM_NAME);
    app->interrupted = TRUE;
    app_stop (app);
  }

  return G_SOURCE_CONTINUE;
}

static gboolean
on_eos_grace_timeout (gpointer user_data)
{
  App *app = user_data;

  app->eos_grace_source = 0;
  app_stop (app);

  return G_SOURCE_REMOVE;
}

static gboolean
on_first_frame_timeout (gpointer user_data)
{
  App *app = user_data;
  PipelineStats stats;

  app->first_frame_source = 0;
  pipeline_get_stats (app->pipeline, &stats);
  if (stats.frames == 0) {
    gchar *message = g_strdup_printf ("no video frame within %d s from %s",
        opt_timeout, app->uri);

    app_fail (app, message);
    g_free (message);
  }

  return G_SOURCE_REMOVE;
}

static gboolean
show_progress (gpointer user_data)
{
  App *app = user_data;
  PipelineStats stats;

  pipeline_get_stats (app->pipeline, &stats);
  report_show_progress (app->report, stats.position, stats.frames,
      stats.delivered, supervisor_get_restarts (app->supervisor));

  return G_SOURCE_CONTINUE;
}

/* --- from the pipeline --------------------------------------------------- */

static void
on_pipeline_eos (gpointer user_data)
{
  App *app = user_data;

  app->pipeline_eos = TRUE;
  /* the analysis process exits after the EOS message; without one, we are
   * done */
  if (!supervisor_stream_ended (app->supervisor))
    app_stop (app);
  else if (!app->eos_grace_source)
    app->eos_grace_source = g_timeout_add_seconds (EOS_GRACE_SECONDS,
        on_eos_grace_timeout, app);
}

static void
on_pipeline_error (const gchar * message, gpointer user_data)
{
  app_fail (user_data, message);
}

static void
on_pipeline_eos_delivered (gpointer user_data)
{
  App *app = user_data;

  supervisor_eos_delivered (app->supervisor);
}

static void
on_pipeline_client_removed (GSocket * socket, gpointer user_data)
{
  App *app = user_data;

  supervisor_client_removed (app->supervisor, socket);
}

static void
on_pipeline_variants (GPtrArray * variants, gint pinned, gpointer user_data)
{
  App *app = user_data;

  report_variants (app->report, variants, pinned);
}

static void
on_pipeline_variant (const PipelineVariant * variant, gpointer user_data)
{
  App *app = user_data;

  report_variant (app->report, variant);
}

static void
on_pipeline_playlist (const MediaPlaylist * playlist,
    const Segment * segment, gpointer user_data)
{
  App *app = user_data;

  report_playlist (app->report, playlist, segment);
}

static const PipelineCallbacks pipeline_callbacks = {
  on_pipeline_eos,
  on_pipeline_error,
  on_pipeline_eos_delivered,
  on_pipeline_client_removed,
  on_pipeline_variants,
  on_pipeline_variant,
  on_pipeline_playlist,
};

/* --- the run ------------------------------------------------------------- */

/* A failure before the stream plays: @message (taken) goes to stderr
 * after @prefix and is kept for the end line. */
static void
app_early_error (App * app, const gchar * prefix, gchar * message)
{
  g_printerr ("%s: %s%s\n", PROGRAM_NAME, prefix, message);
  g_free (app->error);
  app->error = message;
}

/* The URI to play: @url, a file name, or (NULL) the generated stream,
 * served by a new *server from *gen_dir. Returns the exit status on
 * failure, 0 on success. */
static gint
app_prepare_uri (App * app, const gchar * url, Server ** server,
    gchar ** gen_dir)
{
  GError *err = NULL;

  if (url == NULL) {
    gint64 t0 = g_get_monotonic_time ();

    *gen_dir = g_dir_make_tmp ("fdpass-hls-XXXXXX", &err);
    if (*gen_dir == NULL || !generator_make_stream (*gen_dir, &err)) {
      app_early_error (app, "", g_strdup_printf ("cannot generate the test "
              "stream: %s", err->message));
      g_clear_error (&err);
      return 1;
    }
    *server = server_start (*gen_dir, &err);
    if (*server == NULL) {
      app_early_error (app, "", g_strdup_printf ("cannot serve the test "
              "stream: %s", err->message));
      g_clear_error (&err);
      return 1;
    }
    app->uri = g_strdup_printf ("http://127.0.0.1:%u/index.m3u8",
        server_get_port (*server));
    g_printerr ("%s: generated %d s of video (black, bars, moving, black; "
        "%d s each) in %s in %.1f s, serving %s\n", PROGRAM_NAME,
        GENERATOR_N_STRETCHES * GENERATOR_STRETCH_SECONDS,
        GENERATOR_STRETCH_SECONDS, *gen_dir,
        (g_get_monotonic_time () - t0) / (gdouble) G_USEC_PER_SEC, app->uri);
  } else if (gst_uri_is_valid (url)) {
    app->uri = g_strdup (url);
  } else {
    app->uri = gst_filename_to_uri (url, &err);
    if (app->uri == NULL) {
      app_early_error (app, "", g_strdup_printf ("%s is neither a URL nor "
              "a file: %s", url, err->message));
      g_clear_error (&err);
      return 2;
    }
  }

  if (!diagnosis_check_reachable (app->uri, &err)) {
    app_early_error (app, "error: ", g_strdup_printf ("cannot connect to "
            "%s: %s", app->uri, err->message));
    g_clear_error (&err);
    return 1;
  }

  return 0;
}

static gboolean
app_prepare_snapshot_dir (App * app)
{
  GError *err = NULL;

  if (opt_snapshot_dir)
    app->snapshot_dir = g_strdup (opt_snapshot_dir);
  else
    app->snapshot_dir = g_dir_make_tmp ("fdpass-snapshots-XXXXXX", &err);
  if (app->snapshot_dir == NULL ||
      g_mkdir_with_parents (app->snapshot_dir, 0755) < 0) {
    app_early_error (app, "", g_strdup_printf ("cannot create the snapshot "
            "directory: %s", err ? err->message : g_strerror (errno)));
    g_clear_error (&err);
    return FALSE;
  }
  g_printerr ("%s: snapshots go to %s\n", PROGRAM_NAME, app->snapshot_dir);

  return TRUE;
}

/* Plays the stream to its end (or an error, or an interruption). */
static void
app_play (App * app)
{
  guint sigint_source, sigterm_source;

  app->loop = g_main_loop_new (NULL, FALSE);
  report_started (app->report, app->uri, app->snapshot_dir, opt_demux,
      opt_variant);

  /* the analysis process starts with the pipeline: multisocketsink takes
   * clients from READY on */
  pipeline_set_state (app->pipeline, GST_STATE_READY);
  supervisor_start (app->supervisor);
  sigint_source = g_unix_signal_add (SIGINT, on_interrupt, app);
  sigterm_source = g_unix_signal_add (SIGTERM, on_interrupt, app);
  if (opt_timeout > 0)
    app->first_frame_source = g_timeout_add_seconds (opt_timeout,
        on_first_frame_timeout, app);
  if (!opt_quiet && !opt_json && isatty (STDERR_FILENO))
    app->progress_source = g_timeout_add (250, show_progress, app);

  if (!app->stopping && !pipeline_set_state (app->pipeline, GST_STATE_PLAYING)) {
    gchar *message = g_strdup_printf ("cannot start the pipeline for %s",
        app->uri);

    app_fail (app, message);
    g_free (message);
  }

  g_main_loop_run (app->loop);

  /* whatever is left: no process, no pending callback */
  supervisor_shutdown (app->supervisor);
  pipeline_shutdown (app->pipeline);

  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);
  if (app->progress_source)
    g_source_remove (app->progress_source);
  if (app->first_frame_source)
    g_source_remove (app->first_frame_source);
  if (app->eos_grace_source)
    g_source_remove (app->eos_grace_source);
  /* the socket-removed notifications of the teardown */
  while (g_main_context_iteration (NULL, FALSE));
  report_clear_progress (app->report);
}

/* The verdict, the timeline and summary.json; returns the exit status. */
static gint
app_finish (App * app)
{
  ReportResult result = { 0, };
  PipelineStats stats;
  guint n_states = report_count_states (app->report);

  if (!app->error && !app->pipeline_eos && !app->interrupted) {
    app->error = pipeline_explain_stop (app->pipeline);
    app->failed = app->error != NULL;
  }

  pipeline_get_stats (app->pipeline, &stats);
  result.ok = !app->failed && app->pipeline_eos && n_states > 0;
  result.exit_status = result.ok ? 0 : app->interrupted ? 130 : 1;
  result.eos = app->pipeline_eos;
  result.frames = stats.frames;
  result.delivered = stats.delivered;
  result.copies = stats.copies;
  result.memfds_created = stats.memfds_created;
  result.memfds_reused = stats.memfds_reused;
  result.restarts = supervisor_get_restarts (app->supervisor);
  result.error = app->error;

  if (app->error)
    result.message = app->error;
  else if (!app->pipeline_eos && !app->interrupted)
    result.message = "the stream did not reach its end";
  else if (n_states == 0)
    result.message = "the analysis detected nothing";
  if (result.message)
    g_printerr ("%s: error: %s\n", PROGRAM_NAME, result.message);

  report_finish (app->report, app->snapshot_dir, &result);

  return result.exit_status;
}

static gint
run (const gchar * url)
{
  App app = { NULL, };
  SupervisorOptions sup_options = { NULL, };
  PipelineOptions pipe_options = { NULL, };
  Server *server = NULL;
  gchar *gen_dir = NULL;
  GError *err = NULL;
  gint ret;

  app.report = report_new (opt_quiet, opt_json, opt_max_timeline);
  if (!g_file_test (opt_analyzer, G_FILE_TEST_IS_EXECUTABLE)) {
    app_early_error (&app, "", g_strdup_printf ("the analysis program %s is "
            "missing (build it, or give --analyzer PATH)", opt_analyzer));
    ret = 1;
    goto out;
  }

  ret = app_prepare_uri (&app, url, &server, &gen_dir);
  if (ret != 0)
    goto out;
  if (!app_prepare_snapshot_dir (&app)) {
    ret = 1;
    goto out;
  }

  /* a live stream's playlists go through the relay (relay.c) */
  if (url != NULL && !opt_no_relay && (g_str_has_prefix (app.uri, "http://")
          || g_str_has_prefix (app.uri, "https://")) &&
      relay_stream_is_live (app.uri, MAX (opt_http_timeout, 1))) {
    app.relay = relay_new (app.uri, MAX (opt_http_timeout, 1), &err);
    if (app.relay == NULL) {
      app_early_error (&app, "", g_strdup_printf ("cannot relay the live "
              "playlists of %s: %s", app.uri, err->message));
      g_clear_error (&err);
      ret = 1;
      goto out;
    }
    g_printerr ("%s: live stream: the demuxer reads its playlists through "
        "%s\n", PROGRAM_NAME, relay_get_uri (app.relay));
  }

  pipe_options.demux = opt_demux;
  pipe_options.variant = opt_variant;
  pipe_options.realtime = opt_realtime;
  pipe_options.http_timeout = MAX (opt_http_timeout, 0);
  if (app.relay) {
    pipe_options.get_media_playlist = relay_get_media_playlist;
    pipe_options.media_playlist_data = app.relay;
  }
  app.pipeline = pipeline_new (app.relay ? relay_get_uri (app.relay) :
      app.uri, &pipe_options, &pipeline_callbacks, &app, &err);
  if (app.pipeline == NULL) {
    app_early_error (&app, "", g_strdup_printf ("cannot build the pipeline "
            "for %s: %s", app.uri, err->message));
    g_clear_error (&err);
    ret = 1;
    goto out;
  }

  sup_options.analyzer = opt_analyzer;
  sup_options.snapshot_dir = app.snapshot_dir;
  sup_options.max_restarts = opt_max_restarts;
  sup_options.watchdog = opt_watchdog;
  sup_options.max_memory = opt_max_memory;
  sup_options.seqpacket = opt_seqpacket;
  sup_options.remote = opt_remote;
  app.supervisor = supervisor_new (&sup_options, app.pipeline, app.report,
      on_supervisor_done, &app);

  app_play (&app);
  ret = app_finish (&app);
  g_clear_pointer (&app.report, report_free);

out:
  if (app.report) {
    ReportResult result = { 0, };

    /* it failed before it played: only --json has something to say */
    result.exit_status = ret;
    result.error = result.message = app.error;
    report_finish (app.report, NULL, &result);
  }
  server_stop (server);
  if (gen_dir) {
    if (opt_keep)
      g_printerr ("%s: kept the generated stream in %s\n", PROGRAM_NAME,
          gen_dir);
    else
      generator_remove_stream (gen_dir);
  }
  g_free (gen_dir);
  supervisor_free (app.supervisor);
  pipeline_free (app.pipeline);
  relay_free (app.relay);
  report_free (app.report);
  g_clear_pointer (&app.loop, g_main_loop_unref);
  g_free (app.error);
  g_free (app.uri);
  g_free (app.snapshot_dir);

  return ret;
}

int
main (int argc, char *argv[])
{
  GOptionContext *ctx;
  GError *err = NULL;
  gint fds_start, fds_end, ret;

  ctx = g_option_context_new ("[URL] - analyse an HLS stream in a separate, "
      "supervised process");
  g_option_context_set_summary (ctx,
      "Pulls an HLS stream, decodes it, and passes the decoded frames as "
      "memfds\n(fdpay ! multisocketsink) to an analysis process "
      "(fdpass-analyze) that judges\nthe stream: black, bars, live or "
      "still. A crashed, killed or hung analysis\nprocess is restarted "
      "while the stream goes on. Prints a progress line, the\nstate "
      "changes, and at the end the detected timeline.\n\n"
      "Without a URL it generates and serves a known stream: black 4 s, "
      "SMPTE bars\n4 s, moving content 4 s, black 4 s.");
  g_option_context_set_description (ctx,
      "Exit status: 0 when the stream reached its end and at least one "
      "state was\ndetected, 1 on errors (unreachable URL, not HLS, no "
      "video, ...), 2 on usage\nerrors.\n\n"
      "fdpay must be in the plugin path, e.g. "
      "GST_PLUGIN_PATH=<builddir>/gst/fdpass.\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr (PROGRAM_NAME ": %s\n", err->message);
    g_printerr ("Try '%s --help' for more information.\n", argv[0]);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (argc > 2) {
    g_printerr (PROGRAM_NAME ": unexpected argument '%s'\n", argv[2]);
    return 2;
  }
  if (opt_analyzer == NULL)
    opt_analyzer = g_strdup (FDPASS_ANALYZE_PATH);
  if (opt_demux == NULL)
    opt_demux = g_strdup ("hlsdemux");
  if (!g_str_equal (opt_demux, "hlsdemux") &&
      !g_str_equal (opt_demux, "hlsdemux2")) {
    g_printerr (PROGRAM_NAME ": --demux must be hlsdemux or hlsdemux2, not "
        "'%s'\n", opt_demux);
    return 2;
  }

  /* a dead analysis process must not kill us when we write to it */
  signal (SIGPIPE, SIG_IGN);

  if (opt_report_fds)
    fds_warm_up ();
  fds_start = opt_report_fds ? fds_count_settled () : fds_count ();
  if (opt_report_fds)
    g_printerr (PROGRAM_NAME ": open fds at start: %d\n", fds_start);

  ret = run (argc > 1 ? argv[1] : NULL);

  fds_end = opt_report_fds ? fds_count_settled () : fds_count ();
  if (opt_report_fds)
    g_printerr (PROGRAM_NAME ": open fds at end: %d\n", fds_end);

  g_free (opt_analyzer);
  g_free (opt_snapshot_dir);
  g_free (opt_demux);
  g_free (opt_variant);
  g_free (opt_remote);
  gst_deinit ();

  return ret;
}
