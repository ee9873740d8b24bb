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

/* The parent of the main job. It pulls an HLS stream and decodes it,
 *
 *   <uri src> ! typefind ! hlsdemux ! decodebin ! videoconvert !
 *       video/x-raw,format={I420,NV12} ! fdpay ! multisocketsink sync=false
 *
 * and hands the decoded frames, as memfds, to an analysis process
 * (fdpass-analyze) that it spawns with one end of a socketpair as fd 3. The
 * analysis process prints one JSON line per state change on its stdout; the
 * parent collects them into a timeline.
 *
 * Supervision: when the analysis process exits before the end of the
 * stream (crash, SIGKILL, its own watchdog, its memory limit), or stops
 * reading its socket for HANG_SECONDS, the parent drops its socket from the
 * sink, kills it if needed and starts a new one after a backoff (100 ms,
 * doubled up to 2 s). Frames keep flowing meanwhile: with no client,
 * multisocketsink drops them. A new analysis process joins mid-stream: the
 * sink sends it fdpay's HELLO and CAPS (the streamheader) first.
 *
 * Flow control: multisocketsink never blocks its upstream, so a decoder
 * faster than the analysis (always the case for a VOD stream read with
 * sync=false) would make it queue without bound. A pad probe on the sink
 * keeps at most CREDIT_FRAMES frames in flight to the analysis process
 * (counted with multisocketsink's send-dispatched events) and waits at most
 * CREDIT_WAIT_MS per frame for it: a healthy analysis process paces a VOD
 * stream, a stuck one costs only that wait until it is killed. On top of
 * that, units-soft-max with recover-policy=latest bounds the sink's queue
 * for any client, so the parent's memory stays flat whatever the child
 * does.
 *
 * With no URL argument the parent first makes its own stream with
 * GStreamer (black 4 s, SMPTE bars 4 s, a moving ball 4 s, black 4 s,
 * 640x360 at 25 fps, H.264 in MPEG-TS segments of 1 s, a VOD playlist) and
 * serves it over HTTP on 127.0.0.1 from a thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/gst.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#define PROGRAM_NAME "fdpass-hls-demo"
#define ANALYZER_FD 3

#ifndef FDPASS_ANALYZE_PATH
#define FDPASS_ANALYZE_PATH "fdpass-analyze"
#endif

/* frames in flight to the analysis process before the sender waits */
#define CREDIT_FRAMES 8
/* the longest the sender waits for the analysis process, per frame */
#define CREDIT_WAIT_MS 200
/* frames the sink queues for a client before it skips to the newest */
#define SINK_SOFT_MAX 50
/* no frame read by the analysis process for this long while frames wait:
 * it is hung */
#define HANG_SECONDS 5
/* the same before its first frame: it may have to build its plugin
 * registry first */
#define STARTUP_SECONDS 20
/* how long a finished or disconnected analysis process may take to exit */
#define EXIT_GRACE_SECONDS 10
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* an analysis process that ran this long resets the backoff */
#define BACKOFF_RESET_SECONDS 10

/* the generated stream */
#define GEN_WIDTH 640
#define GEN_HEIGHT 360
#define GEN_FPS 25
#define GEN_STRETCH_SECONDS 4

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
  {"realtime", 0, 0, G_OPTION_ARG_NONE, &opt_realtime,
      "Send frames at the pace of their timestamps (multisocketsink "
        "sync=true), as a live stream would arrive", NULL},
  {"seqpacket", 0, 0, G_OPTION_ARG_NONE, &opt_seqpacket,
      "Use a SOCK_SEQPACKET socketpair instead of SOCK_STREAM", NULL},
  {"watchdog", 0, 0, G_OPTION_ARG_INT, &opt_watchdog,
      "The analysis process exits when it gets no frame for this long "
        "(default: 15)", "SECONDS"},
  {"max-memory", 0, 0, G_OPTION_ARG_INT, &opt_max_memory,
      "Memory limit of the analysis process (default: its own)", "MB"},
  {"timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
      "Give up when the first video frame takes longer than this "
        "(default: 20)", "SECONDS"},
  {"report-fds", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_report_fds,
      "Print the number of open file descriptors at start and end", NULL},
  {NULL}
};

/* --- small helpers ------------------------------------------------------- */

static gint
count_open_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  gint n = 0;

  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);

  /* the directory's own fd */
  return n - 1;
}

/* The open fd count once GLib's helper threads have closed what they were
 * closing (the pipe of a child that just exited, say): the same count twice
 * in a row, 20 ms apart. */
static gint
count_settled_fds (void)
{
  gint prev = count_open_fds (), n = prev, i;

  for (i = 0; i < 50; i++) {
    g_usleep (20 * 1000);
    n = count_open_fds ();
    if (n == prev)
      break;
    prev = n;
  }

  return n;
}

static void
json_append_string (GString * s, const gchar * str)
{
  const gchar *p;

  if (str == NULL) {
    g_string_append (s, "null");
    return;
  }

  g_string_append_c (s, '"');
  for (p = str; *p; p++) {
    guchar c = *p;

    if (c == '"' || c == '\\')
      g_string_append_printf (s, "\\%c", c);
    else if (c == '\n')
      g_string_append (s, "\\n");
    else if (c < 0x20)
      g_string_append_printf (s, "\\u%04x", c);
    else
      g_string_append_c (s, c);
  }
  g_string_append_c (s, '"');
}

/* A minimal reader for the flat JSON objects of the analysis process:
 * returns the raw text of the value of a top-level key, or NULL. */
static const gchar *
json_skip_value (const gchar * p)
{
  gint depth = 0;
  gboolean in_string = FALSE;

  for (; *p; p++) {
    if (in_string) {
      if (*p == '\\' && p[1])
        p++;
      else if (*p == '"') {
        in_string = FALSE;
        if (depth == 0)
          return p + 1;
      }
      continue;
    }
    switch (*p) {
      case '"':
        in_string = TRUE;
        break;
      case '{':
      case '[':
        depth++;
        break;
      case '}':
      case ']':
        if (depth == 0)
          return p;
        if (--depth == 0)
          return p + 1;
        break;
      case ',':
        if (depth == 0)
          return p;
        break;
      default:
        break;
    }
  }

  return p;
}

static gchar *
json_get_raw (const gchar * line, const gchar * key)
{
  const gchar *p = line;
  gsize key_len = strlen (key);

  while (g_ascii_isspace (*p))
    p++;
  if (*p++ != '{')
    return NULL;

  while (*p) {
    const gchar *k, *v, *end;

    while (g_ascii_isspace (*p) || *p == ',')
      p++;
    if (*p != '"')
      return NULL;
    k = ++p;
    while (*p && *p != '"') {
      if (*p == '\\' && p[1])
        p++;
      p++;
    }
    if (*p != '"')
      return NULL;
    end = p++;
    while (g_ascii_isspace (*p))
      p++;
    if (*p++ != ':')
      return NULL;
    while (g_ascii_isspace (*p))
      p++;
    v = p;
    p = json_skip_value (p);
    if ((gsize) (end - k) == key_len && strncmp (k, key, key_len) == 0) {
      const gchar *e = p;

      while (e > v && g_ascii_isspace (e[-1]))
        e--;
      return g_strndup (v, e - v);
    }
    if (*p == '}' || *p == '\0')
      return NULL;
  }

  return NULL;
}

static gchar *
json_get_string (const gchar * line, const gchar * key)
{
  gchar *raw = json_get_raw (line, key);
  GString *s;
  const gchar *p;

  if (raw == NULL || raw[0] != '"') {
    g_free (raw);
    return NULL;
  }

  s = g_string_new (NULL);
  for (p = raw + 1; *p && *p != '"'; p++) {
    if (*p == '\\' && p[1]) {
      p++;
      switch (*p) {
        case 'n':
          g_string_append_c (s, '\n');
          break;
        case 't':
          g_string_append_c (s, '\t');
          break;
        case 'u':
          /* not needed for our keys: keep it visible */
          g_string_append (s, "\\u");
          break;
        default:
          g_string_append_c (s, *p);
          break;
      }
    } else {
      g_string_append_c (s, *p);
    }
  }
  g_free (raw);

  return g_string_free (s, FALSE);
}

static gboolean
json_get_double (const gchar * line, const gchar * key, gdouble * value)
{
  gchar *raw = json_get_raw (line, key);
  gchar *end = NULL;
  gboolean ok = FALSE;

  if (raw != NULL) {
    *value = g_ascii_strtod (raw, &end);
    ok = end != raw;
  }
  g_free (raw);

  return ok;
}

/* The evidence object of a state line, shortened to what matters for the
 * state: {"mean_luma":16.00,...} -> mean_luma=16.00 ... */
static gchar *
summarize_evidence (const gchar * state, const gchar * raw)
{
  static const gchar *black_keys[] = { "mean_luma", "luma_stddev",
    "dark_fraction", NULL
  };
  static const gchar *bars_keys[] = { "pattern", "score", NULL };
  static const gchar *motion_keys[] = { "hash_distance", "cell_delta",
    "mean_luma", NULL
  };
  const gchar **keys;
  GString *s = g_string_new (NULL);
  guint i;

  if (raw == NULL || state == NULL)
    return g_string_free (s, FALSE);

  if (strcmp (state, "black") == 0)
    keys = black_keys;
  else if (strcmp (state, "bars") == 0)
    keys = bars_keys;
  else
    keys = motion_keys;

  for (i = 0; keys[i]; i++) {
    gchar *value = json_get_raw (raw, keys[i]);

    if (value && strcmp (value, "null") != 0) {
      g_strdelimit (value, "\"", ' ');
      g_strstrip (value);
      g_string_append_printf (s, "%s%s=%s", s->len ? " " : "", keys[i], value);
    }
    g_free (value);
  }
  if (s->len > 60) {
    g_string_truncate (s, 57);
    g_string_append (s, "...");
  }

  return g_string_free (s, FALSE);
}

/* --- the HTTP server for the generated stream ---------------------------- */

typedef struct
{
  gchar *root;
  GMainContext *context;
  GMainLoop *loop;
  GSocketService *service;
  GThread *thread;
  guint16 port;
} Server;

static const gchar *
content_type_for (const gchar * name)
{
  if (g_str_has_suffix (name, ".m3u8"))
    return "application/vnd.apple.mpegurl";
  if (g_str_has_suffix (name, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (name, ".txt"))
    return "text/plain";
  return "application/octet-stream";
}

static void
server_respond (GOutputStream * out, const gchar * status,
    const gchar * type, const gchar * body, gsize size)
{
  gchar *head;

  head = g_strdup_printf ("HTTP/1.1 %s\r\nContent-Type: %s\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
      status, type, size);
  if (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL)
      && body != NULL)
    g_output_stream_write_all (out, body, size, NULL, NULL, NULL);
  g_free (head);
}

/* In a thread of the service's pool: one request per connection. */
static gboolean
server_run (GThreadedSocketService * service, GSocketConnection * conn,
    GObject * source_object, gpointer user_data)
{
  Server *server = user_data;
  GDataInputStream *in;
  GOutputStream *out;
  gchar *line, *path = NULL, *name, *file, *data = NULL;
  gchar **parts = NULL;
  gsize size = 0;
  guint n_headers = 0;

  g_socket_set_timeout (g_socket_connection_get_socket (conn), 10);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in),
      FALSE);
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));

  line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (line == NULL)
    goto done;
  g_strchomp (line);
  parts = g_strsplit (line, " ", 3);
  g_free (line);

  /* the headers: read and ignore */
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL))) {
    gboolean end = g_strchomp (line)[0] == '\0';

    g_free (line);
    if (end || ++n_headers > 100)
      break;
  }

  if (g_strv_length (parts) < 2 || strcmp (parts[0], "GET") != 0) {
    server_respond (out, "405 Method Not Allowed", "text/plain",
        "GET only\n", 9);
    goto done;
  }

  /* a plain file name in the root directory, nothing else */
  path = g_strndup (parts[1], strcspn (parts[1], "?#"));
  name = g_uri_unescape_string (path[0] == '/' ? path + 1 : path, "/");
  if (name == NULL || name[0] == '\0' || name[0] == '.' ||
      strchr (name, '/') != NULL) {
    g_free (name);
    server_respond (out, "404 Not Found", "text/plain", "not found\n", 10);
    goto done;
  }
  file = g_build_filename (server->root, name, NULL);
  if (g_file_get_contents (file, &data, &size, NULL))
    server_respond (out, "200 OK", content_type_for (name), data, size);
  else
    server_respond (out, "404 Not Found", "text/plain", "not found\n", 10);
  g_free (file);
  g_free (name);

done:
  g_free (data);
  g_free (path);
  g_strfreev (parts);
  g_object_unref (in);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);

  return TRUE;
}

static gpointer
server_thread (gpointer user_data)
{
  Server *server = user_data;

  g_main_context_push_thread_default (server->context);
  g_main_loop_run (server->loop);
  g_main_context_pop_thread_default (server->context);

  return NULL;
}

static Server *
server_start (const gchar * root, GError ** error)
{
  Server *server = g_new0 (Server, 1);
  GInetAddress *loopback;
  GSocketAddress *addr, *effective = NULL;
  gboolean ok;

  server->root = g_strdup (root);
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);

  /* the service accepts in the context that is the thread default when
   * it starts listening: the server thread's */
  g_main_context_push_thread_default (server->context);
  server->service = g_threaded_socket_service_new (4);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (loopback, 0);
  ok = g_socket_listener_add_address (G_SOCKET_LISTENER (server->service),
      addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
      error);
  g_object_unref (addr);
  g_object_unref (loopback);
  if (ok) {
    server->port =
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    g_object_unref (effective);
    g_signal_connect (server->service, "run", G_CALLBACK (server_run), server);
    g_socket_service_start (server->service);
  }
  g_main_context_pop_thread_default (server->context);

  if (!ok) {
    g_object_unref (server->service);
    g_main_loop_unref (server->loop);
    g_main_context_unref (server->context);
    g_free (server->root);
    g_free (server);
    return NULL;
  }

  server->thread = g_thread_new ("http-server", server_thread, server);

  return server;
}

static void
server_stop (Server * server)
{
  if (server == NULL)
    return;

  g_main_loop_quit (server->loop);
  g_thread_join (server->thread);

  g_main_context_push_thread_default (server->context);
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_object_unref (server->service);
  /* let the cancelled accept finish, releasing its references */
  while (g_main_context_iteration (server->context, FALSE));
  g_main_context_pop_thread_default (server->context);

  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_free (server->root);
  g_free (server);
}

/* --- generating the known stream ----------------------------------------- */

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
  guint64 per_stretch = GEN_STRETCH_SECONDS * GEN_FPS;

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

static gboolean
generate_stream (const gchar * dir, GError ** error)
{
  Generator gen = { NULL, 0 };
  GstElement *pipeline;
  GstMessage *msg;
  GstBus *bus;
  GstPad *pad;
  gchar *desc, *seg, *playlist, *contents = NULL;
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
      4 * GEN_STRETCH_SECONDS * GEN_FPS, GEN_WIDTH, GEN_HEIGHT, GEN_FPS,
      GEN_FPS, seg, playlist);
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

  /* a VOD playlist ends with ENDLIST; hlssink writes it on EOS, but make
   * sure of it */
  if (ok && !g_file_get_contents (playlist, &contents, NULL, error))
    ok = FALSE;
  if (ok && strstr (contents, "#EXT-X-ENDLIST") == NULL) {
    gchar *fixed = g_strconcat (contents, "#EXT-X-ENDLIST\n", NULL);

    ok = g_file_set_contents (playlist, fixed, -1, error);
    g_free (fixed);
  }
  g_free (contents);
  g_free (playlist);

  return ok;
}

/* --- the parent ---------------------------------------------------------- */

typedef struct _App App;

typedef struct
{
  gdouble start;
  gchar *state;
  gchar *evidence;
  gchar *snapshot;
  guint instance;
  /* a restart note, not a state */
  gchar *note;
} TimelineEntry;

typedef struct
{
  App *app;
  guint instance;
  GSubprocess *proc;
  gchar *pid;
  GSocket *socket;
  GDataInputStream *out;
  GCancellable *cancellable;
  gint64 started;

  gboolean stdout_done;
  gboolean exited;
  gboolean in_sink;
  gboolean eos_delivered;
  gboolean saw_eos;
  gboolean killed_by_us;
  gchar *kill_reason;
  guint kill_timeout;
} Analyzer;

struct _App
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *demux;
  GstElement *decodebin;
  GstElement *convert;
  GstElement *pay;
  GstElement *sink;

  gchar *uri;
  gchar *snapshot_dir;

  Analyzer *analyzer;
  guint n_instances;
  guint restarts;
  guint backoff_ms;
  guint restart_source;
  guint progress_source;
  guint watch_source;
  guint first_frame_source;
  guint eos_grace_source;

  GPtrArray *timeline;
  gchar *current_state;
  gdouble end_time;

  gboolean stopping;
  gboolean interrupted;
  gboolean pipeline_eos;
  gboolean failed;
  gchar *error;
  gboolean have_video;
  gboolean progress_shown;

  /* set from streaming threads */
  GMutex lock;
  GCond cond;
  gchar *bad_type;
  gboolean client_active;
  gboolean flushing;
  guint64 credit_sent;
  guint64 credit_done;
  guint64 frames;
  guint64 delivered;
  GstClockTime position;

  /* the hang check, in the main thread */
  guint64 last_done;
  gint64 last_done_change;
};

static void start_analyzer (App * app);
static void app_stop (App * app);

static void
app_fail (App * app, const gchar * format, ...)
{
  va_list args;

  if (app->error == NULL) {
    va_start (args, format);
    app->error = g_strdup_vprintf (format, args);
    va_end (args);
  }
  app->failed = TRUE;
  app_stop (app);
}

static void
clear_progress (App * app)
{
  if (app->progress_shown) {
    g_printerr ("\r\033[K");
    app->progress_shown = FALSE;
  }
}

static gboolean
show_progress (gpointer user_data)
{
  App *app = user_data;
  guint64 frames, delivered;
  GstClockTime pos;

  g_mutex_lock (&app->lock);
  frames = app->frames;
  delivered = app->delivered;
  pos = app->position;
  g_mutex_unlock (&app->lock);

  g_printerr ("\r\033[K%s t=%.1fs frames=%" G_GUINT64_FORMAT " sent=%"
      G_GUINT64_FORMAT " restarts=%u state=%s", PROGRAM_NAME,
      GST_CLOCK_TIME_IS_VALID (pos) ? pos / (gdouble) GST_SECOND : 0.0,
      frames, delivered, app->restarts,
      app->current_state ? app->current_state : "-");
  app->progress_shown = TRUE;

  return G_SOURCE_CONTINUE;
}

static void
timeline_entry_free (gpointer data)
{
  TimelineEntry *e = data;

  g_free (e->state);
  g_free (e->evidence);
  g_free (e->snapshot);
  g_free (e->note);
  g_free (e);
}

static gdouble
current_stream_time (App * app)
{
  GstClockTime pos;

  g_mutex_lock (&app->lock);
  pos = app->position;
  g_mutex_unlock (&app->lock);

  return GST_CLOCK_TIME_IS_VALID (pos) ? pos / (gdouble) GST_SECOND : 0.0;
}

static void
handle_analyzer_line (Analyzer * an, const gchar * line)
{
  App *app = an->app;
  gchar *state, *event;
  gdouble t;

  event = json_get_string (line, "event");
  if (g_strcmp0 (event, "eos") == 0) {
    an->saw_eos = TRUE;
    if (json_get_double (line, "end", &t))
      app->end_time = t;
  }
  g_free (event);

  state = json_get_string (line, "state");
  if (state != NULL && json_get_double (line, "start", &t)) {
    TimelineEntry *last = NULL;
    guint i;

    /* the last state entry: a new process reports the state it joins in,
     * which continues the one before the restart */
    for (i = app->timeline->len; i > 0 && last == NULL; i--) {
      TimelineEntry *e = g_ptr_array_index (app->timeline, i - 1);

      if (e->state)
        last = e;
    }
    if (last == NULL || last->instance == an->instance ||
        strcmp (last->state, state) != 0) {
      TimelineEntry *e = g_new0 (TimelineEntry, 1);
      gchar *raw = json_get_raw (line, "evidence");

      e->start = t;
      e->state = g_strdup (state);
      e->evidence = raw;
      e->snapshot = json_get_string (line, "snapshot");
      e->instance = an->instance;
      g_ptr_array_add (app->timeline, e);

      if (!opt_quiet) {
        gchar *sum = summarize_evidence (state, raw);

        clear_progress (app);
        g_printerr ("%s: %8.3f s  %-6s %s\n", PROGRAM_NAME, t, state, sum);
        g_free (sum);
      }
    }
    g_free (app->current_state);
    app->current_state = g_strdup (state);
  }
  g_free (state);
}

static void analyzer_check_done (Analyzer * an);

static void
on_analyzer_line (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Analyzer *an = user_data;
  GError *err = NULL;
  gchar *line;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM
      (source), res, NULL, &err);
  if (line == NULL) {
    if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_printerr ("%s: reading the analysis output failed: %s\n",
          PROGRAM_NAME, err->message);
    g_clear_error (&err);
    an->stdout_done = TRUE;
    analyzer_check_done (an);
    return;
  }

  handle_analyzer_line (an, line);
  g_free (line);

  g_data_input_stream_read_line_async (an->out, G_PRIORITY_DEFAULT,
      an->cancellable, on_analyzer_line, an);
}

static void
on_analyzer_exited (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Analyzer *an = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  an->exited = TRUE;
  analyzer_check_done (an);
}

static void
analyzer_remove_from_sink (Analyzer * an)
{
  App *app = an->app;

  g_mutex_lock (&app->lock);
  app->client_active = FALSE;
  g_cond_broadcast (&app->cond);
  g_mutex_unlock (&app->lock);

  if (an->in_sink) {
    an->in_sink = FALSE;
    /* on_client_socket_removed() closes it */
    g_signal_emit_by_name (app->sink, "remove", an->socket);
  }
  if (!g_socket_is_closed (an->socket))
    g_socket_close (an->socket, NULL);
}

static gboolean
analyzer_kill_timeout (gpointer user_data)
{
  Analyzer *an = user_data;

  an->kill_timeout = 0;
  if (!an->exited) {
    an->killed_by_us = TRUE;
    g_subprocess_force_exit (an->proc);
  }

  return G_SOURCE_REMOVE;
}

static void
analyzer_kill (Analyzer * an, const gchar * reason)
{
  if (an->exited || an->killed_by_us)
    return;

  if (an->kill_reason == NULL)
    an->kill_reason = g_strdup (reason);
  if (!an->app->stopping) {
    clear_progress (an->app);
    g_printerr ("%s: killing the analysis process (pid %s): %s\n",
        PROGRAM_NAME, an->pid, reason);
  }
  an->killed_by_us = TRUE;
  g_subprocess_force_exit (an->proc);
}

static void
analyzer_free (Analyzer * an)
{
  if (an->kill_timeout)
    g_source_remove (an->kill_timeout);
  g_clear_object (&an->cancellable);
  g_clear_object (&an->out);
  g_clear_object (&an->proc);
  g_clear_object (&an->socket);
  g_free (an->pid);
  g_free (an->kill_reason);
  g_free (an);
}

static gchar *
describe_exit (Analyzer * an)
{
  if (g_subprocess_get_if_signaled (an->proc)) {
    gint sig = g_subprocess_get_term_sig (an->proc);

    return g_strdup_printf ("killed by signal %d (%s)%s%s", sig,
        g_strsignal (sig), an->kill_reason ? ": " : "",
        an->kill_reason ? an->kill_reason : "");
  }
  if (g_subprocess_get_if_exited (an->proc)) {
    gint status = g_subprocess_get_exit_status (an->proc);

    if (status == 3)
      return g_strdup ("exited with status 3 (its watchdog: no frames)");
    return g_strdup_printf ("exited with status %d", status);
  }

  return g_strdup ("ended");
}

static gboolean
restart_analyzer (gpointer user_data)
{
  App *app = user_data;

  app->restart_source = 0;
  start_analyzer (app);

  return G_SOURCE_REMOVE;
}

/* Both the exit status and the end of its output are in: decide. */
static void
analyzer_check_done (Analyzer * an)
{
  App *app = an->app;
  gboolean finished;
  gchar *why;

  if (!an->exited || !an->stdout_done)
    return;

  analyzer_remove_from_sink (an);
  if (app->analyzer == an)
    app->analyzer = NULL;

  finished = an->saw_eos && g_subprocess_get_if_exited (an->proc) &&
      g_subprocess_get_exit_status (an->proc) == 0;

  if (finished || app->stopping || app->pipeline_eos) {
    if (!finished && !app->stopping) {
      why = describe_exit (an);
      clear_progress (app);
      g_printerr ("%s: the analysis process %s at the end of the stream\n",
          PROGRAM_NAME, why);
      g_free (why);
    }
    analyzer_free (an);
    app_stop (app);
    return;
  }

  /* it went away in the middle of the stream: note it, start another */
  why = describe_exit (an);
  clear_progress (app);
  g_printerr ("%s: the analysis process (pid %s) %s; restarting it in "
      "%u ms\n", PROGRAM_NAME, an->pid, why, app->backoff_ms);
  {
    TimelineEntry *e = g_new0 (TimelineEntry, 1);

    e->start = current_stream_time (app);
    e->note = g_strdup_printf ("analysis process restarted: %s", why);
    e->instance = an->instance;
    g_ptr_array_add (app->timeline, e);
  }
  g_free (why);

  if (g_get_monotonic_time () - an->started >
      BACKOFF_RESET_SECONDS * G_USEC_PER_SEC)
    app->backoff_ms = BACKOFF_MIN_MS;
  analyzer_free (an);

  app->restarts++;
  if (opt_max_restarts >= 0 && app->restarts > (guint) opt_max_restarts) {
    app_fail (app, "the analysis process failed %u times; giving up",
        app->restarts);
    return;
  }

  app->restart_source = g_timeout_add (app->backoff_ms, restart_analyzer, app);
  app->backoff_ms = MIN (app->backoff_ms * 2, BACKOFF_MAX_MS);
}

static void
start_analyzer (App * app)
{
  GSubprocessLauncher *launcher;
  GPtrArray *args;
  Analyzer *an;
  GError *err = NULL;
  gchar *dir;
  gint sv[2];

  if (app->stopping || app->pipeline_eos)
    return;

  if (socketpair (AF_UNIX, (opt_seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) |
          SOCK_CLOEXEC, 0, sv) < 0) {
    app_fail (app, "socketpair() failed: %s", g_strerror (errno));
    return;
  }

  an = g_new0 (Analyzer, 1);
  an->app = app;
  an->instance = app->n_instances++;
  an->socket = g_socket_new_from_fd (sv[0], &err);
  if (an->socket == NULL) {
    close (sv[0]);
    close (sv[1]);
    g_free (an);
    app_fail (app, "cannot use the socketpair: %s", err->message);
    g_clear_error (&err);
    return;
  }

  /* each process numbers its snapshots from 1: one directory each */
  if (an->instance == 0)
    dir = g_strdup (app->snapshot_dir);
  else
    dir = g_strdup_printf ("%s/restart-%u", app->snapshot_dir, an->instance);
  g_mkdir_with_parents (dir, 0755);

  args = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (args, g_strdup (opt_analyzer));
  g_ptr_array_add (args, g_strdup ("--fd"));
  g_ptr_array_add (args, g_strdup_printf ("%d", ANALYZER_FD));
  g_ptr_array_add (args, g_strdup ("--snapshot-dir"));
  g_ptr_array_add (args, dir);
  if (opt_watchdog > 0) {
    g_ptr_array_add (args, g_strdup ("--watchdog"));
    g_ptr_array_add (args, g_strdup_printf ("%d", opt_watchdog));
  }
  if (opt_max_memory > 0) {
    g_ptr_array_add (args, g_strdup ("--max-memory"));
    g_ptr_array_add (args, g_strdup_printf ("%d", opt_max_memory));
  }
  if (opt_seqpacket)
    g_ptr_array_add (args, g_strdup ("--seqpacket"));
  g_ptr_array_add (args, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "FDPASS_FD",
      G_STRINGIFY (ANALYZER_FD), TRUE);
  /* the launcher owns the child's end and closes our copy */
  g_subprocess_launcher_take_fd (launcher, sv[1], ANALYZER_FD);
  an->proc = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) args->pdata, &err);
  g_object_unref (launcher);
  g_ptr_array_unref (args);

  if (an->proc == NULL) {
    g_socket_close (an->socket, NULL);
    analyzer_free (an);
    app_fail (app, "cannot start the analysis program %s: %s", opt_analyzer,
        err->message);
    g_clear_error (&err);
    return;
  }

  an->pid = g_strdup (g_subprocess_get_identifier (an->proc));
  an->started = g_get_monotonic_time ();
  an->cancellable = g_cancellable_new ();
  an->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (an->proc));
  app->analyzer = an;

  clear_progress (app);
  g_printerr ("%s: analyzer pid %s\n", PROGRAM_NAME, an->pid);

  g_mutex_lock (&app->lock);
  app->credit_sent = app->credit_done = 0;
  app->client_active = TRUE;
  g_mutex_unlock (&app->lock);
  app->last_done = 0;
  app->last_done_change = g_get_monotonic_time ();

  an->in_sink = TRUE;
  g_signal_emit_by_name (app->sink, "add", an->socket);

  g_data_input_stream_read_line_async (an->out, G_PRIORITY_DEFAULT,
      an->cancellable, on_analyzer_line, an);
  g_subprocess_wait_async (an->proc, NULL, on_analyzer_exited, an);
}

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
    g_mutex_lock (&app->lock);
    app->flushing = TRUE;
    g_cond_broadcast (&app->cond);
    g_mutex_unlock (&app->lock);
    if (app->restart_source) {
      g_source_remove (app->restart_source);
      app->restart_source = 0;
    }
  }

  if (app->analyzer) {
    Analyzer *an = app->analyzer;

    /* a clean end: it has the EOS and exits by itself */
    if (app->failed || !an->eos_delivered)
      analyzer_kill (an, "stopping");
    else if (!an->kill_timeout)
      an->kill_timeout = g_timeout_add_seconds (EXIT_GRACE_SECONDS,
          analyzer_kill_timeout, an);
    return;
  }

  g_idle_add (quit_loop, app);
}

/* multisocketsink's sink pad, in the streaming thread: count the frames
 * in flight to the analysis process and wait for it when there are too
 * many. */
static GstPadProbeReturn
on_sink_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstFdPassHeader header;
  GstMapInfo map;
  gboolean is_frame = FALSE;
  gint64 deadline;

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    is_frame = gst_fdpass_header_parse (map.data, map.size, &header, NULL)
        && header.type == GST_FDPASS_MESSAGE_BUFFER;
    gst_buffer_unmap (buf, &map);
  }
  if (!is_frame)
    return GST_PAD_PROBE_OK;

  deadline = g_get_monotonic_time () + CREDIT_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&app->lock);
  while (app->client_active && !app->flushing &&
      app->credit_sent > app->credit_done + CREDIT_FRAMES) {
    if (!g_cond_wait_until (&app->cond, &app->lock, deadline))
      break;
  }
  if (app->client_active)
    app->credit_sent++;
  g_mutex_unlock (&app->lock);

  return GST_PAD_PROBE_OK;
}

static gboolean
on_eos_delivered (gpointer user_data)
{
  App *app = user_data;
  Analyzer *an = app->analyzer;

  /* everything is written: close our end so that it sees the end even if
   * it ignores the EOS message */
  if (an && !an->eos_delivered) {
    an->eos_delivered = TRUE;
    analyzer_remove_from_sink (an);
    if (!an->kill_timeout)
      an->kill_timeout = g_timeout_add_seconds (EXIT_GRACE_SECONDS,
          analyzer_kill_timeout, an);
  }

  return G_SOURCE_REMOVE;
}

/* GstNetworkMessageDispatched: multisocketsink wrote a message completely. */
static GstPadProbeReturn
on_sink_upstream_event (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  App *app = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);
  GstFdPassHeader header;
  GstBuffer *buf = NULL;
  GstMapInfo map;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM || s == NULL ||
      !gst_structure_has_name (s, "GstNetworkMessageDispatched"))
    return GST_PAD_PROBE_OK;

  if (gst_structure_get (s, "buffer", GST_TYPE_BUFFER, &buf, NULL) &&
      gst_buffer_map (buf, &map, GST_MAP_READ)) {
    if (gst_fdpass_header_parse (map.data, map.size, &header, NULL)) {
      if (header.type == GST_FDPASS_MESSAGE_BUFFER) {
        g_mutex_lock (&app->lock);
        app->credit_done++;
        app->delivered++;
        g_cond_broadcast (&app->cond);
        g_mutex_unlock (&app->lock);
      } else if (header.type == GST_FDPASS_MESSAGE_EOS) {
        g_main_context_invoke (NULL, on_eos_delivered, app);
      }
    }
    gst_buffer_unmap (buf, &map);
  }
  gst_clear_buffer (&buf);

  return GST_PAD_PROBE_DROP;
}

typedef struct
{
  App *app;
  GSocket *socket;
} RemovedSocket;

static gboolean
on_socket_removed_main (gpointer user_data)
{
  RemovedSocket *rs = user_data;
  App *app = rs->app;
  Analyzer *an = app->analyzer;

  /* the sink dropped the client by itself: the analysis process closed
   * its end, or the socket failed. Let it exit by itself, else kill it. */
  if (an && an->socket == rs->socket && an->in_sink) {
    an->in_sink = FALSE;
    g_mutex_lock (&app->lock);
    app->client_active = FALSE;
    g_cond_broadcast (&app->cond);
    g_mutex_unlock (&app->lock);
    if (!an->exited && !an->kill_timeout)
      an->kill_timeout = g_timeout_add_seconds (an->eos_delivered ?
          EXIT_GRACE_SECONDS : 2, analyzer_kill_timeout, an);
  }
  g_object_unref (rs->socket);
  g_free (rs);

  return G_SOURCE_REMOVE;
}

/* multisocketsink let go of a socket: we removed it, or it dropped it. */
static void
on_client_socket_removed (GstElement * sink, GSocket * socket,
    gpointer user_data)
{
  RemovedSocket *rs = g_new0 (RemovedSocket, 1);

  if (!g_socket_is_closed (socket))
    g_socket_close (socket, NULL);

  rs->app = user_data;
  rs->socket = g_object_ref (socket);
  g_main_context_invoke (NULL, on_socket_removed_main, rs);
}

/* Every second: is the analysis process still reading? */
static gboolean
watch_analyzer (gpointer user_data)
{
  App *app = user_data;
  Analyzer *an = app->analyzer;
  guint64 sent, done;
  gint64 now = g_get_monotonic_time ();

  if (an == NULL || !an->in_sink || an->exited)
    return G_SOURCE_CONTINUE;

  g_mutex_lock (&app->lock);
  sent = app->credit_sent;
  done = app->credit_done;
  g_mutex_unlock (&app->lock);

  if (done != app->last_done || sent <= done + CREDIT_FRAMES) {
    app->last_done = done;
    app->last_done_change = now;
  } else if (now - app->last_done_change > (done > 0 ? HANG_SECONDS :
          STARTUP_SECONDS) * G_USEC_PER_SEC) {
    gchar *reason = g_strdup_printf ("it read no frame for %d s",
        done > 0 ? HANG_SECONDS : STARTUP_SECONDS);

    analyzer_kill (an, reason);
    g_free (reason);
  }

  return G_SOURCE_CONTINUE;
}

/* fdpay's sink pad: frames decoded, and where the stream is */
static GstPadProbeReturn
on_pay_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEvent *seg_event;
  GstClockTime pos = GST_CLOCK_TIME_NONE;

  seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (seg_event && GST_BUFFER_PTS_IS_VALID (buf)) {
    const GstSegment *segment;

    gst_event_parse_segment (seg_event, &segment);
    pos = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
  }
  gst_clear_event (&seg_event);

  g_mutex_lock (&app->lock);
  app->frames++;
  if (GST_CLOCK_TIME_IS_VALID (pos))
    app->position = pos;
  g_mutex_unlock (&app->lock);

  return GST_PAD_PROBE_OK;
}

static gboolean
on_first_frame_timeout (gpointer user_data)
{
  App *app = user_data;
  guint64 frames;

  app->first_frame_source = 0;
  g_mutex_lock (&app->lock);
  frames = app->frames;
  g_mutex_unlock (&app->lock);
  if (frames == 0)
    app_fail (app, "no video frame within %d s from %s", opt_timeout, app->uri);

  return G_SOURCE_REMOVE;
}

static gboolean
on_not_hls (gpointer user_data)
{
  App *app = user_data;
  gchar *bad_type;

  g_mutex_lock (&app->lock);
  bad_type = g_strdup (app->bad_type);
  g_mutex_unlock (&app->lock);
  app_fail (app, "%s is not an HLS playlist (its content is %s)", app->uri,
      bad_type);
  g_free (bad_type);

  return G_SOURCE_REMOVE;
}

static void
on_have_type (GstElement * typefind, guint probability, GstCaps * caps,
    gpointer user_data)
{
  App *app = user_data;
  const GstStructure *s = gst_caps_get_structure (caps, 0);

  if (!gst_structure_has_name (s, "application/x-hls")) {
    g_mutex_lock (&app->lock);
    g_free (app->bad_type);
    app->bad_type = g_strdup (gst_structure_get_name (s));
    g_mutex_unlock (&app->lock);
    /* it may not fail by itself: typefind just cannot link */
    g_main_context_invoke (NULL, on_not_hls, app);
  }
}

static void
on_demux_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  App *app = user_data;
  GstPad *sinkpad = gst_element_get_static_pad (app->decodebin, "sink");

  if (!gst_pad_is_linked (sinkpad)) {
    gst_pad_link (pad, sinkpad);
  } else {
    /* another rendition: not ours */
    GstElement *fake = gst_element_factory_make ("fakesink", NULL);
    GstPad *fpad;

    g_object_set (fake, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (app->pipeline), fake);
    gst_element_sync_state_with_parent (fake);
    fpad = gst_element_get_static_pad (fake, "sink");
    gst_pad_link (pad, fpad);
    gst_object_unref (fpad);
  }
  gst_object_unref (sinkpad);
}

static void
on_decodebin_pad_added (GstElement * decodebin, GstPad * pad,
    gpointer user_data)
{
  App *app = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstPad *sinkpad;
  gboolean video = FALSE;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps && !gst_caps_is_empty (caps))
    video = g_str_has_prefix (gst_structure_get_name
        (gst_caps_get_structure (caps, 0)), "video/");
  gst_clear_caps (&caps);

  sinkpad = gst_element_get_static_pad (app->convert, "sink");
  if (video && !gst_pad_is_linked (sinkpad)) {
    if (gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK) {
      g_mutex_lock (&app->lock);
      app->have_video = TRUE;
      g_mutex_unlock (&app->lock);
    }
  } else {
    GstElement *fake = gst_element_factory_make ("fakesink", NULL);
    GstPad *fpad;

    g_object_set (fake, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (app->pipeline), fake);
    gst_element_sync_state_with_parent (fake);
    fpad = gst_element_get_static_pad (fake, "sink");
    gst_pad_link (pad, fpad);
    gst_object_unref (fpad);
  }
  gst_object_unref (sinkpad);
}

static gboolean
on_no_video (gpointer user_data)
{
  App *app = user_data;

  app_fail (app, "the stream %s has no video", app->uri);

  return G_SOURCE_REMOVE;
}

static void
on_decodebin_no_more_pads (GstElement * decodebin, gpointer user_data)
{
  App *app = user_data;
  gboolean have_video;

  g_mutex_lock (&app->lock);
  have_video = app->have_video;
  g_mutex_unlock (&app->lock);

  if (!have_video)
    g_main_context_invoke (NULL, on_no_video, app);
}

static gchar *
last_line (const gchar * text)
{
  gchar *copy, *nl;

  if (text == NULL)
    return NULL;
  copy = g_strstrip (g_strdup (text));
  nl = strrchr (copy, '\n');
  if (nl) {
    gchar *tail = g_strdup (nl + 1);

    g_free (copy);
    return tail;
  }
  return copy;
}

static gboolean
on_interrupt (gpointer user_data)
{
  App *app = user_data;

  if (!app->stopping) {
    clear_progress (app);
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
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  App *app = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      app->pipeline_eos = TRUE;
      if (app->restart_source) {
        g_source_remove (app->restart_source);
        app->restart_source = 0;
      }
      /* the analysis process exits after the EOS message; without one,
       * we are done */
      if (app->analyzer == NULL)
        app_stop (app);
      else if (!app->eos_grace_source)
        app->eos_grace_source = g_timeout_add_seconds (EXIT_GRACE_SECONDS * 2,
            on_eos_grace_timeout, app);
      break;
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *debug = NULL, *detail, *bad_type;
      guint64 frames;

      gst_message_parse_error (msg, &err, &debug);
      detail = last_line (debug);
      g_mutex_lock (&app->lock);
      bad_type = g_strdup (app->bad_type);
      frames = app->frames;
      g_mutex_unlock (&app->lock);

      if (bad_type)
        app_fail (app, "%s is not an HLS playlist (its content is %s)",
            app->uri, bad_type);
      else if (g_error_matches (err, GST_STREAM_ERROR,
              GST_STREAM_ERROR_TYPE_NOT_FOUND) && frames == 0)
        app_fail (app, "%s is not an HLS playlist (unrecognised content)",
            app->uri);
      else if (frames == 0 && g_error_matches (err, GST_STREAM_ERROR,
              GST_STREAM_ERROR_FAILED) && GST_MESSAGE_SRC (msg) &&
          GST_IS_URI_HANDLER (GST_MESSAGE_SRC (msg)))
        app_fail (app, "cannot read %s: no data (connection refused or "
            "closed?)", app->uri);
      else if (frames == 0 && GST_MESSAGE_SRC (msg) &&
          GST_IS_URI_HANDLER (GST_MESSAGE_SRC (msg)))
        app_fail (app, "cannot read %s: %s (%s)", app->uri, err->message,
            detail ? detail : "no details");
      else
        app_fail (app, "error from %s: %s (%s)",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
            detail ? detail : "no details");
      g_free (bad_type);
      g_free (detail);
      g_free (debug);
      g_clear_error (&err);
      break;
    }
    default:
      break;
  }

  return G_SOURCE_CONTINUE;
}

static gboolean
build_pipeline (App * app, GError ** error)
{
  GstElement *src, *typefind, *filter;
  GstCaps *caps;
  GstPad *pad;

  src = gst_element_make_from_uri (GST_URI_SRC, app->uri, "src", error);
  if (src == NULL)
    return FALSE;

  app->pipeline = gst_pipeline_new ("hls-demo");
  typefind = gst_element_factory_make ("typefind", NULL);
  app->demux = gst_element_factory_make ("hlsdemux", NULL);
  app->decodebin = gst_element_factory_make ("decodebin", NULL);
  app->convert = gst_element_factory_make ("videoconvert", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  app->pay = gst_element_factory_make ("fdpay", NULL);
  app->sink = gst_element_factory_make ("multisocketsink", NULL);
  if (!typefind || !app->demux || !app->decodebin || !app->convert ||
      !filter || !app->pay || !app->sink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "missing element (need typefind, hlsdemux, decodebin, videoconvert, "
        "capsfilter, fdpay and multisocketsink; is GST_PLUGIN_PATH set?)");
    gst_object_unref (src);
    gst_clear_object (&typefind);
    gst_clear_object (&filter);
    return FALSE;
  }

  /* the analysis reads I420 and NV12; for those videoconvert is passthrough
   * and the decoder still writes into fdpay's memfds */
  caps = gst_caps_from_string ("video/x-raw,format={I420,NV12}");
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);

  /* a client that falls SINK_SOFT_MAX frames behind skips to the newest
   * frame: the queue, and so our memory, is bounded */
  g_object_set (app->sink, "sync", opt_realtime, "send-dispatched", TRUE,
      "unit-format", GST_FORMAT_BUFFERS, "units-soft-max",
      (gint64) SINK_SOFT_MAX, NULL);
  gst_util_set_object_arg (G_OBJECT (app->sink), "recover-policy", "latest");
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (src), "retries"))
    g_object_set (src, "retries", 1, NULL);

  gst_bin_add_many (GST_BIN (app->pipeline), src, typefind, app->demux,
      app->decodebin, app->convert, filter, app->pay, app->sink, NULL);
  if (!gst_element_link_many (src, typefind, app->demux, NULL) ||
      !gst_element_link_many (app->convert, filter, app->pay, app->sink,
          NULL)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link the pipeline");
    return FALSE;
  }

  g_signal_connect (typefind, "have-type", G_CALLBACK (on_have_type), app);
  g_signal_connect (app->demux, "pad-added", G_CALLBACK (on_demux_pad_added),
      app);
  g_signal_connect (app->decodebin, "pad-added",
      G_CALLBACK (on_decodebin_pad_added), app);
  g_signal_connect (app->decodebin, "no-more-pads",
      G_CALLBACK (on_decodebin_no_more_pads), app);
  g_signal_connect (app->sink, "client-socket-removed",
      G_CALLBACK (on_client_socket_removed), app);

  pad = gst_element_get_static_pad (app->pay, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_pay_buffer, app, NULL);
  gst_object_unref (pad);

  pad = gst_element_get_static_pad (app->sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_sink_buffer, app, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      on_sink_upstream_event, app, NULL);
  gst_object_unref (pad);

  return TRUE;
}

/* --- the result ---------------------------------------------------------- */

static void
print_timeline (App * app, FILE * f)
{
  guint i, n_states = 0;

  fprintf (f, "\nDetected timeline of %s\n", app->uri);
  fprintf (f, "%9s  %-6s  %-60s  %s\n", "start (s)", "state", "evidence",
      "snapshot");
  for (i = 0; i < app->timeline->len; i++) {
    TimelineEntry *e = g_ptr_array_index (app->timeline, i);

    if (e->state) {
      gchar *sum = summarize_evidence (e->state, e->evidence);

      fprintf (f, "%9.3f  %-6s  %-60s  %s\n", e->start, e->state, sum,
          e->snapshot ? e->snapshot : "-");
      g_free (sum);
      n_states++;
    } else {
      fprintf (f, "%9.3f  %-6s  (%s)\n", e->start, "-", e->note);
    }
  }
  if (app->end_time >= 0)
    fprintf (f, "%9.3f  end\n", app->end_time);
  fprintf (f, "%u state change%s, %u restart%s of the analysis process\n",
      n_states, n_states == 1 ? "" : "s", app->restarts,
      app->restarts == 1 ? "" : "s");
}

static gboolean
write_summary (App * app, gboolean ok, guint64 frames, guint64 delivered)
{
  GString *s = g_string_new ("{\n  \"uri\": ");
  GError *err = NULL;
  gchar *path;
  guint i;
  gboolean first = TRUE;

  json_append_string (s, app->uri);
  g_string_append_printf (s, ",\n  \"ok\": %s,\n  \"eos\": %s,\n",
      ok ? "true" : "false", app->pipeline_eos ? "true" : "false");
  g_string_append_printf (s, "  \"frames_decoded\": %" G_GUINT64_FORMAT
      ",\n  \"frames_sent\": %" G_GUINT64_FORMAT ",\n  \"restarts\": %u,\n",
      frames, delivered, app->restarts);
  if (app->end_time >= 0) {
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf (s, "  \"end\": %s,\n",
        g_ascii_formatd (buf, sizeof (buf), "%.3f", app->end_time));
  }
  g_string_append (s, "  \"error\": ");
  json_append_string (s, app->error);
  g_string_append (s, ",\n  \"timeline\": [");
  for (i = 0; i < app->timeline->len; i++) {
    TimelineEntry *e = g_ptr_array_index (app->timeline, i);
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (!e->state)
      continue;
    g_string_append_printf (s, "%s\n    {\"start\": %s, \"state\": ",
        first ? "" : ",", g_ascii_formatd (buf, sizeof (buf), "%.3f",
            e->start));
    json_append_string (s, e->state);
    g_string_append_printf (s, ", \"evidence\": %s, \"snapshot\": ",
        e->evidence ? e->evidence : "null");
    json_append_string (s, e->snapshot);
    g_string_append_printf (s, ", \"analyzer\": %u}", e->instance);
    first = FALSE;
  }
  g_string_append (s, "\n  ],\n  \"restart_log\": [");
  first = TRUE;
  for (i = 0; i < app->timeline->len; i++) {
    TimelineEntry *e = g_ptr_array_index (app->timeline, i);
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (e->state)
      continue;
    g_string_append_printf (s, "%s\n    {\"at\": %s, \"reason\": ",
        first ? "" : ",", g_ascii_formatd (buf, sizeof (buf), "%.3f",
            e->start));
    json_append_string (s, e->note);
    g_string_append_c (s, '}');
    first = FALSE;
  }
  g_string_append (s, "\n  ]\n}\n");

  path = g_build_filename (app->snapshot_dir, "summary.json", NULL);
  if (!g_file_set_contents (path, s->str, s->len, &err)) {
    g_printerr ("%s: cannot write %s: %s\n", PROGRAM_NAME, path, err->message);
    g_clear_error (&err);
  } else {
    printf ("summary: %s\n", path);
  }
  g_free (path);
  g_string_free (s, TRUE);

  return TRUE;
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

/* souphttpsrc reports a refused connection as a bare flow error: try the
 * server first, for a clear message */
static gboolean
check_reachable (const gchar * uri, GError ** error)
{
  GSocketClient *client;
  GSocketConnection *conn;
  gchar *scheme = g_uri_parse_scheme (uri);
  gboolean http;

  http = scheme && (g_ascii_strcasecmp (scheme, "http") == 0 ||
      g_ascii_strcasecmp (scheme, "https") == 0);
  g_free (scheme);
  if (!http)
    return TRUE;

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect_to_uri (client, uri, 80, NULL, error);
  g_object_unref (client);
  if (conn == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);

  return TRUE;
}

static gint
run (const gchar * url)
{
  App app = { NULL, };
  Server *server = NULL;
  gchar *gen_dir = NULL;
  GError *err = NULL;
  GstBus *bus;
  guint64 frames, delivered;
  guint i, n_states = 0;
  guint sigint_source, sigterm_source;
  gboolean ok;
  gint ret;

  g_mutex_init (&app.lock);
  g_cond_init (&app.cond);
  app.timeline = g_ptr_array_new_with_free_func (timeline_entry_free);
  app.backoff_ms = BACKOFF_MIN_MS;
  app.end_time = -1;
  app.position = GST_CLOCK_TIME_NONE;

  if (!g_file_test (opt_analyzer, G_FILE_TEST_IS_EXECUTABLE)) {
    g_printerr ("%s: the analysis program %s is missing (build it, or "
        "give --analyzer PATH)\n", PROGRAM_NAME, opt_analyzer);
    ret = 1;
    goto out;
  }

  if (url == NULL) {
    gint64 t0 = g_get_monotonic_time ();

    gen_dir = g_dir_make_tmp ("fdpass-hls-XXXXXX", &err);
    if (gen_dir == NULL || !generate_stream (gen_dir, &err)) {
      g_printerr ("%s: cannot generate the test stream: %s\n", PROGRAM_NAME,
          err->message);
      g_clear_error (&err);
      ret = 1;
      goto out;
    }
    server = server_start (gen_dir, &err);
    if (server == NULL) {
      g_printerr ("%s: cannot serve the test stream: %s\n", PROGRAM_NAME,
          err->message);
      g_clear_error (&err);
      ret = 1;
      goto out;
    }
    app.uri = g_strdup_printf ("http://127.0.0.1:%u/index.m3u8", server->port);
    g_printerr ("%s: generated %d s of video (black, bars, moving, black; "
        "%d s each) in %s in %.1f s, serving %s\n", PROGRAM_NAME,
        4 * GEN_STRETCH_SECONDS, GEN_STRETCH_SECONDS, gen_dir,
        (g_get_monotonic_time () - t0) / (gdouble) G_USEC_PER_SEC, app.uri);
  } else if (gst_uri_is_valid (url)) {
    app.uri = g_strdup (url);
  } else {
    app.uri = gst_filename_to_uri (url, &err);
    if (app.uri == NULL) {
      g_printerr ("%s: %s is neither a URL nor a file: %s\n", PROGRAM_NAME,
          url, err->message);
      g_clear_error (&err);
      ret = 2;
      goto out;
    }
  }

  if (!check_reachable (app.uri, &err)) {
    g_printerr ("%s: error: cannot connect to %s: %s\n", PROGRAM_NAME,
        app.uri, err->message);
    g_clear_error (&err);
    ret = 1;
    goto out;
  }

  if (opt_snapshot_dir)
    app.snapshot_dir = g_strdup (opt_snapshot_dir);
  else
    app.snapshot_dir = g_dir_make_tmp ("fdpass-snapshots-XXXXXX", &err);
  if (app.snapshot_dir == NULL ||
      g_mkdir_with_parents (app.snapshot_dir, 0755) < 0) {
    g_printerr ("%s: cannot create the snapshot directory: %s\n",
        PROGRAM_NAME, err ? err->message : g_strerror (errno));
    g_clear_error (&err);
    ret = 1;
    goto out;
  }
  g_printerr ("%s: snapshots go to %s\n", PROGRAM_NAME, app.snapshot_dir);

  if (!build_pipeline (&app, &err)) {
    g_printerr ("%s: cannot build the pipeline for %s: %s\n", PROGRAM_NAME,
        app.uri, err->message);
    g_clear_error (&err);
    ret = 1;
    goto out;
  }

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus_message, &app);
  gst_object_unref (bus);

  /* the analysis process starts with the pipeline: multisocketsink takes
   * clients from READY on */
  gst_element_set_state (app.pipeline, GST_STATE_READY);
  start_analyzer (&app);
  app.watch_source = g_timeout_add_seconds (1, watch_analyzer, &app);
  sigint_source = g_unix_signal_add (SIGINT, on_interrupt, &app);
  sigterm_source = g_unix_signal_add (SIGTERM, on_interrupt, &app);
  if (opt_timeout > 0)
    app.first_frame_source = g_timeout_add_seconds (opt_timeout,
        on_first_frame_timeout, &app);
  if (!opt_quiet && isatty (STDERR_FILENO))
    app.progress_source = g_timeout_add (250, show_progress, &app);

  if (!app.stopping && gst_element_set_state (app.pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    app_fail (&app, "cannot start the pipeline for %s", app.uri);

  g_main_loop_run (app.loop);

  /* whatever is left: no process, no pending callback */
  while (app.analyzer) {
    analyzer_kill (app.analyzer, "stopping");
    g_main_context_iteration (NULL, TRUE);
  }

  g_mutex_lock (&app.lock);
  app.flushing = TRUE;
  app.client_active = FALSE;
  g_cond_broadcast (&app.cond);
  g_mutex_unlock (&app.lock);
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  bus = gst_element_get_bus (app.pipeline);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);

  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);
  if (app.progress_source)
    g_source_remove (app.progress_source);
  if (app.watch_source)
    g_source_remove (app.watch_source);
  if (app.first_frame_source)
    g_source_remove (app.first_frame_source);
  if (app.eos_grace_source)
    g_source_remove (app.eos_grace_source);
  if (app.restart_source)
    g_source_remove (app.restart_source);
  /* the socket-removed notifications of the teardown */
  while (g_main_context_iteration (NULL, FALSE));
  clear_progress (&app);

  g_mutex_lock (&app.lock);
  frames = app.frames;
  delivered = app.delivered;
  g_mutex_unlock (&app.lock);

  for (i = 0; i < app.timeline->len; i++)
    if (((TimelineEntry *) g_ptr_array_index (app.timeline, i))->state)
      n_states++;

  ok = !app.failed && app.pipeline_eos && n_states > 0;
  if (app.error)
    g_printerr ("%s: error: %s\n", PROGRAM_NAME, app.error);
  else if (!app.pipeline_eos && !app.interrupted)
    g_printerr ("%s: error: the stream did not reach its end\n", PROGRAM_NAME);
  else if (n_states == 0)
    g_printerr ("%s: error: the analysis detected nothing\n", PROGRAM_NAME);

  if (frames > 0 || n_states > 0) {
    print_timeline (&app, stdout);
    printf ("frames: %" G_GUINT64_FORMAT " decoded, %" G_GUINT64_FORMAT
        " sent to the analysis\n", frames, delivered);
    write_summary (&app, ok, frames, delivered);
    fflush (stdout);
  }

  ret = ok ? 0 : app.interrupted ? 130 : 1;

out:
  server_stop (server);
  if (gen_dir) {
    if (opt_keep)
      g_printerr ("%s: kept the generated stream in %s\n", PROGRAM_NAME,
          gen_dir);
    else
      remove_tree (gen_dir);
  }
  g_free (gen_dir);
  gst_clear_object (&app.pipeline);
  g_clear_pointer (&app.loop, g_main_loop_unref);
  g_ptr_array_unref (app.timeline);
  g_free (app.current_state);
  g_free (app.error);
  g_free (app.bad_type);
  g_free (app.uri);
  g_free (app.snapshot_dir);
  g_mutex_clear (&app.lock);
  g_cond_clear (&app.cond);

  return ret;
}

/* For --report-fds: GLib creates some file descriptors once per process,
 * on first use, and keeps them: the worker thread's context, the child
 * watcher, the task pool, the proxy resolver (and the settings it reads).
 * Create them before counting, so that the count at the end shows what
 * the run itself left open. */
static void
warm_up (void)
{
  GProxyResolver *resolver = g_proxy_resolver_get_default ();
  gchar **proxies;
  GSubprocess *proc;
  gchar *out = NULL;

  proxies = g_proxy_resolver_lookup (resolver, "http://127.0.0.1/", NULL, NULL);
  g_strfreev (proxies);

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL, "true", NULL);
  if (proc) {
    g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, NULL);
    g_free (out);
    g_object_unref (proc);
  }
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

  /* a dead analysis process must not kill us when we write to it */
  signal (SIGPIPE, SIG_IGN);

  if (opt_report_fds)
    warm_up ();
  fds_start = opt_report_fds ? count_settled_fds () : count_open_fds ();
  if (opt_report_fds)
    g_printerr (PROGRAM_NAME ": open fds at start: %d\n", fds_start);

  ret = run (argc > 1 ? argv[1] : NULL);

  fds_end = opt_report_fds ? count_settled_fds () : count_open_fds ();
  if (opt_report_fds)
    g_printerr (PROGRAM_NAME ": open fds at end: %d\n", fds_end);

  g_free (opt_analyzer);
  g_free (opt_snapshot_dir);
  gst_deinit ();

  return ret;
}
