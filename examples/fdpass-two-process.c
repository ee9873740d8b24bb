/* GStreamer fd passing example
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

/* Two processes, one socketpair, no copies.
 *
 * The producer (the default mode) creates a Unix socketpair, starts a
 * consumer process that gets the other end as file descriptor 3, and runs
 *
 *   videotestsrc ! video/x-raw,... ! fdpay ! multisocketsink send-messages=true
 *
 * with its end of the pair added to multisocketsink. The consumer (--consumer
 * --fd 3, the same program) runs
 *
 *   socketsrc send-messages=true ! fddepay ! fakesink
 *
 * and prints one line per frame with the CRC-32 of the bytes it reads from
 * the producer's memfds:
 *
 *   frame <index> pts=<ns|none> size=<bytes> crc32=<8 hex digits>
 *
 * followed by `received <n> frames`. examples/python/fdpass_consumer.py
 * prints the same lines without GStreamer; run it with --consumer-cmd.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/gst.h>
#include <gst/allocators/allocators.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define PROGRAM_NAME "fdpass-two-process"
#define CONSUMER_FD 3

#ifndef FDPASS_PYTHON_CONSUMER
#define FDPASS_PYTHON_CONSUMER "examples/python/fdpass_consumer.py"
#endif

/* command line */
static gboolean opt_consumer = FALSE;
static gint opt_fd = -1;
static gboolean opt_seqpacket = FALSE;
static gchar *opt_consumer_cmd = NULL;
static gint opt_num_buffers = 100;
static gint opt_width = 640;
static gint opt_height = 360;
static gchar *opt_pattern = NULL;
static gchar *opt_pipeline = NULL;
static gboolean opt_show_inode = FALSE;

static GOptionEntry entries[] = {
  {"consumer", 0, 0, G_OPTION_ARG_NONE, &opt_consumer,
      "Run as the consumer: receive frames on the socket given with --fd and "
        "print one line per frame", NULL},
  {"fd", 0, 0, G_OPTION_ARG_INT, &opt_fd,
      "Consumer: the file descriptor of the connected Unix socket "
        "(default: $FDPASS_FD)", "N"},
  {"show-inode", 0, 0, G_OPTION_ARG_NONE, &opt_show_inode,
      "Consumer: append dev=<st_dev> ino=<st_ino> of the file holding each "
        "frame (passed on to the consumer the producer starts)", NULL},
  {"seqpacket", 0, 0, G_OPTION_ARG_NONE, &opt_seqpacket,
      "Producer: use a SOCK_SEQPACKET socketpair instead of SOCK_STREAM", NULL},
  {"consumer-cmd", 0, 0, G_OPTION_ARG_STRING, &opt_consumer_cmd,
        "Producer: start this command line as the consumer instead of this "
        "program; it gets the socket as fd 3 and FDPASS_FD=3 in its "
        "environment (e.g. \"/usr/bin/python3 " FDPASS_PYTHON_CONSUMER "\")",
      "CMD"},
  {"num-buffers", 'n', 0, G_OPTION_ARG_INT, &opt_num_buffers,
      "Producer: number of frames to send (default: 100)", "N"},
  {"width", 0, 0, G_OPTION_ARG_INT, &opt_width,
      "Producer: frame width in pixels (default: 640)", "W"},
  {"height", 0, 0, G_OPTION_ARG_INT, &opt_height,
      "Producer: frame height in pixels (default: 360)", "H"},
  {"pattern", 0, 0, G_OPTION_ARG_STRING, &opt_pattern,
      "Producer: videotestsrc pattern (default: smpte)", "PATTERN"},
  {"pipeline", 0, 0, G_OPTION_ARG_STRING, &opt_pipeline,
      "Producer: a gst-launch description to use instead of the test source; "
        "it is linked to \"! fdpay ! multisocketsink\" and overrides "
        "--num-buffers, --width, --height and --pattern", "DESCRIPTION"},
  {NULL}
};

/* CRC-32 as in zlib, gzip and PNG: reflected polynomial 0xedb88320, initial
 * value and final xor 0xffffffff */
static guint32 crc_table[256];

static void
crc32_init (void)
{
  guint32 n, k, c;

  for (n = 0; n < 256; n++) {
    c = n;
    for (k = 0; k < 8; k++)
      c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

static guint32
crc32_compute (const guint8 * data, gsize size)
{
  guint32 crc = 0xffffffffu;
  gsize i;

  for (i = 0; i < size; i++)
    crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);

  return crc ^ 0xffffffffu;
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

/* --- consumer ------------------------------------------------------------ */

typedef struct
{
  guint n_frames;
  gboolean failed;
} Consumer;

static GstPadProbeReturn
consumer_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Consumer *consumer = user_data;
  GstBuffer *buf;
  GstMapInfo map;
  gchar pts[32];
  gchar inode[64] = "";

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gchar *str;

      gst_event_parse_caps (event, &caps);
      str = gst_caps_to_string (caps);
      g_printerr ("caps %s\n", str);
      g_free (str);
    }
    return GST_PAD_PROBE_OK;
  }

  buf = GST_PAD_PROBE_INFO_BUFFER (info);

  /* before mapping: mapping a buffer of several memories may merge them into
   * a copy */
  if (opt_show_inode) {
    GstMemory *mem;
    struct stat st;

    mem = gst_buffer_n_memory (buf) > 0 ? gst_buffer_peek_memory (buf, 0) :
        NULL;
    if (mem && gst_is_fd_memory (mem) &&
        fstat (gst_fd_memory_get_fd (mem), &st) == 0)
      g_snprintf (inode, sizeof (inode), " dev=%" G_GUINT64_FORMAT " ino=%"
          G_GUINT64_FORMAT, (guint64) st.st_dev, (guint64) st.st_ino);
    else
      g_strlcpy (inode, " dev=none ino=none", sizeof (inode));
  }

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_printerr (PROGRAM_NAME ": could not map frame %u\n", consumer->n_frames);
    consumer->failed = TRUE;
    return GST_PAD_PROBE_OK;
  }

  if (GST_BUFFER_PTS_IS_VALID (buf))
    g_snprintf (pts, sizeof (pts), "%" G_GUINT64_FORMAT, GST_BUFFER_PTS (buf));
  else
    g_strlcpy (pts, "none", sizeof (pts));

  printf ("frame %u pts=%s size=%" G_GSIZE_FORMAT " crc32=%08x%s\n",
      consumer->n_frames, pts, map.size, crc32_compute (map.data, map.size),
      inode);
  gst_buffer_unmap (buf, &map);

  consumer->n_frames++;

  return GST_PAD_PROBE_OK;
}

static gint
run_consumer (void)
{
  Consumer consumer = { 0, FALSE };
  GstElement *pipeline, *src, *sink;
  GstMessage *msg;
  GSocket *socket;
  GstBus *bus;
  GstPad *pad;
  GError *err = NULL;
  gint ret = 0;

  if (opt_fd < 0 && g_getenv ("FDPASS_FD") != NULL)
    opt_fd = atoi (g_getenv ("FDPASS_FD"));
  if (opt_fd < 0) {
    g_printerr (PROGRAM_NAME ": --consumer needs --fd N or FDPASS_FD=N\n");
    return 2;
  }

  socket = g_socket_new_from_fd (opt_fd, &err);
  if (socket == NULL) {
    g_printerr (PROGRAM_NAME ": fd %d is not a usable socket: %s\n", opt_fd,
        err->message);
    g_clear_error (&err);
    return 1;
  }

  /* send-messages: fddepay's releases go back through the socket */
  pipeline = gst_parse_launch ("socketsrc name=src send-messages=true ! "
      "fddepay ! fakesink name=sink sync=false", &err);
  if (pipeline == NULL || err != NULL) {
    g_printerr (PROGRAM_NAME ": could not create the consumer pipeline: %s\n",
        err ? err->message : "unknown error");
    g_clear_error (&err);
    gst_clear_object (&pipeline);
    g_object_unref (socket);
    return 1;
  }

  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "socket", socket, NULL);
  /* each read of a seqpacket socket returns one whole packet, and socketsrc
   * silently cuts those larger than its blocksize (4096 bytes by default):
   * make room for the largest message */
  if (g_socket_get_socket_type (socket) == G_SOCKET_TYPE_SEQPACKET)
    g_object_set (src, "blocksize",
        GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD, NULL);
  gst_object_unref (src);
  g_object_unref (socket);

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, consumer_probe, &consumer, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);

  if (gst_element_set_state (pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    g_printerr (PROGRAM_NAME ": could not start the consumer pipeline\n");

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    print_bus_error (msg);
    ret = 1;
  }
  gst_message_unref (msg);
  gst_object_unref (bus);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  if (consumer.failed)
    ret = 1;

  printf ("received %u frames\n", consumer.n_frames);
  fflush (stdout);

  return ret;
}

/* --- producer ------------------------------------------------------------ */

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *pay;
  GstElement *sink;
  GSocket *socket;
  GSubprocess *child;

  gboolean pipeline_failed;
  gboolean drained;
  gboolean child_exited;

  /* buffer messages written completely, counted by the sink thread */
  gint n_delivered;
} Producer;

/* multisocketsink let go of our socket: after we removed it, or because
 * the consumer went away. Closing it lets the consumer see the end of the
 * stream even if it ignores the EOS message. Called from the sink thread, or
 * from ours when we remove the client or stop the pipeline. */
static void
on_client_socket_removed (GstElement * sink, GSocket * socket,
    gpointer user_data)
{
  if (!g_socket_is_closed (socket))
    g_socket_close (socket, NULL);
}

/* In the main thread, once the EOS message was written completely. */
static gboolean
remove_client (gpointer user_data)
{
  Producer *producer = user_data;

  producer->drained = TRUE;
  g_signal_emit_by_name (producer->sink, "remove", producer->socket);

  return G_SOURCE_REMOVE;
}

/* With send-dispatched=true, multisocketsink pushes a custom upstream event
 * for each buffer it has written to a client completely. Each buffer of
 * fdpay is one message, so the event of the EOS message says that the
 * consumer has everything. The EOS event on the bus comes earlier: when
 * the sink has queued the last buffer, not when it has written it. */
static GstPadProbeReturn
on_sink_upstream_event (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  Producer *producer = user_data;
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
      if (header.type == GST_FDPASS_MESSAGE_BUFFER)
        g_atomic_int_inc (&producer->n_delivered);
      else if (header.type == GST_FDPASS_MESSAGE_EOS)
        g_main_context_invoke (NULL, remove_client, producer);
    }
    gst_buffer_unmap (buf, &map);
  }
  gst_clear_buffer (&buf);

  /* only for us, upstream has no use for it */
  return GST_PAD_PROBE_DROP;
}

static void
on_child_exited (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Producer *producer = user_data;
  GError *err = NULL;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), res, &err)) {
    g_printerr (PROGRAM_NAME ": waiting for the consumer failed: %s\n",
        err->message);
    g_clear_error (&err);
  }

  producer->child_exited = TRUE;
  g_main_loop_quit (producer->loop);
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Producer *producer = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      /* multisocketsink may still be writing; on_sink_upstream_event()
       * removes our client when it is done */
      GST_INFO ("the pipeline reached the end of the stream");
      break;
    case GST_MESSAGE_ERROR:
      print_bus_error (msg);
      producer->pipeline_failed = TRUE;
      /* the consumer sees the end of the stream and exits */
      g_signal_emit_by_name (producer->sink, "remove", producer->socket);
      if (!g_socket_is_closed (producer->socket))
        g_socket_close (producer->socket, NULL);
      break;
    default:
      break;
  }

  return G_SOURCE_CONTINUE;
}

static gchar *
get_own_path (const gchar * argv0)
{
  gchar *path = g_file_read_link ("/proc/self/exe", NULL);

  if (path == NULL && argv0 != NULL) {
    if (strchr (argv0, '/'))
      path = g_strdup (argv0);
    else
      path = g_find_program_in_path (argv0);
  }

  return path;
}

static GSubprocess *
spawn_consumer (const gchar * argv0, gint child_fd)
{
  GSubprocessLauncher *launcher;
  GSubprocess *child;
  GPtrArray *args;
  GError *err = NULL;
  gchar **cmd = NULL;

  args = g_ptr_array_new_with_free_func (g_free);
  if (opt_consumer_cmd != NULL) {
    guint i;

    if (!g_shell_parse_argv (opt_consumer_cmd, NULL, &cmd, &err)) {
      g_printerr (PROGRAM_NAME ": cannot parse --consumer-cmd: %s\n",
          err->message);
      g_clear_error (&err);
      g_ptr_array_unref (args);
      close (child_fd);
      return NULL;
    }
    for (i = 0; cmd[i] != NULL; i++)
      g_ptr_array_add (args, g_strdup (cmd[i]));
    g_strfreev (cmd);
  } else {
    gchar *self_path = get_own_path (argv0);

    if (self_path == NULL) {
      g_printerr (PROGRAM_NAME ": cannot find my own executable\n");
      g_ptr_array_unref (args);
      close (child_fd);
      return NULL;
    }
    g_ptr_array_add (args, self_path);
    g_ptr_array_add (args, g_strdup ("--consumer"));
    g_ptr_array_add (args, g_strdup ("--fd"));
    g_ptr_array_add (args, g_strdup_printf ("%d", CONSUMER_FD));
    if (opt_show_inode)
      g_ptr_array_add (args, g_strdup ("--show-inode"));
  }
  g_ptr_array_add (args, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "FDPASS_FD",
      G_STRINGIFY (CONSUMER_FD), TRUE);
  /* the child gets its end as fd 3 (without FD_CLOEXEC); the launcher owns
   * and closes our copy */
  g_subprocess_launcher_take_fd (launcher, child_fd, CONSUMER_FD);

  child = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) args->pdata, &err);
  if (child == NULL) {
    g_printerr (PROGRAM_NAME ": cannot start the consumer %s: %s\n",
        (const gchar *) args->pdata[0], err->message);
    g_clear_error (&err);
  }

  g_object_unref (launcher);
  g_ptr_array_unref (args);

  return child;
}

static gchar *
build_producer_description (void)
{
  if (opt_pipeline != NULL)
    return g_strdup_printf ("%s ! fdpay name=pay ! "
        "multisocketsink name=sink send-messages=true sync=false",
        opt_pipeline);

  return g_strdup_printf ("videotestsrc num-buffers=%d pattern=%s ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=30/1 ! "
      "fdpay name=pay ! multisocketsink name=sink send-messages=true "
      "sync=false", opt_num_buffers, opt_pattern ? opt_pattern : "smpte", opt_width,
      opt_height);
}

static void
print_producer_summary (Producer * producer)
{
  GstStructure *stats = NULL;
  guint64 buffers = 0, copies = 0, zero_copy = 0, bytes = 0;

  g_object_get (producer->pay, "stats", &stats, NULL);
  if (stats) {
    gst_structure_get_uint64 (stats, "buffers", &buffers);
    gst_structure_get_uint64 (stats, "bytes", &bytes);
    gst_structure_get_uint64 (stats, "copies", &copies);
    gst_structure_get_uint64 (stats, "zero-copy-buffers", &zero_copy);
    gst_structure_free (stats);
  }

  g_printerr (PROGRAM_NAME ": sent %" G_GUINT64_FORMAT " frames (%"
      G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT " copied into a memfd, %"
      G_GUINT64_FORMAT " zero-copy), %d delivered over a %s socketpair\n",
      buffers, bytes, copies, zero_copy,
      g_atomic_int_get (&producer->n_delivered),
      opt_seqpacket ? "SOCK_SEQPACKET" : "SOCK_STREAM");
}

static gint
run_producer (const gchar * argv0)
{
  Producer producer = { NULL, };
  GError *err = NULL;
  gchar *desc;
  GstBus *bus;
  GstPad *pad;
  gint sv[2];
  gint status, ret;

  if (socketpair (AF_UNIX, (opt_seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) |
          SOCK_CLOEXEC, 0, sv) < 0) {
    g_printerr (PROGRAM_NAME ": socketpair() failed: %s\n", g_strerror (errno));
    return 1;
  }

  desc = build_producer_description ();
  producer.pipeline = gst_parse_launch (desc, &err);
  if (producer.pipeline == NULL || err != NULL) {
    g_printerr (PROGRAM_NAME ": could not create the pipeline \"%s\": %s\n",
        desc, err ? err->message : "unknown error");
    g_clear_error (&err);
    g_free (desc);
    gst_clear_object (&producer.pipeline);
    close (sv[0]);
    close (sv[1]);
    return 1;
  }
  g_free (desc);

  producer.pay = gst_bin_get_by_name (GST_BIN (producer.pipeline), "pay");
  producer.sink = gst_bin_get_by_name (GST_BIN (producer.pipeline), "sink");

  producer.socket = g_socket_new_from_fd (sv[0], &err);
  if (producer.socket == NULL) {
    g_printerr (PROGRAM_NAME ": g_socket_new_from_fd() failed: %s\n",
        err->message);
    g_clear_error (&err);
    close (sv[0]);
    close (sv[1]);
    ret = 1;
    goto done;
  }

  producer.child = spawn_consumer (argv0, sv[1]);
  if (producer.child == NULL) {
    ret = 1;
    goto done;
  }

  producer.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (producer.pipeline);
  gst_bus_add_watch (bus, on_bus_message, &producer);
  gst_object_unref (bus);

  g_signal_connect (producer.sink, "client-socket-removed",
      G_CALLBACK (on_client_socket_removed), NULL);
  g_object_set (producer.sink, "send-dispatched", TRUE, NULL);
  pad = gst_element_get_static_pad (producer.sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      on_sink_upstream_event, &producer, NULL);
  gst_object_unref (pad);

  /* multisocketsink only takes clients from READY on */
  gst_element_set_state (producer.pipeline, GST_STATE_READY);
  g_signal_emit_by_name (producer.sink, "add", producer.socket);

  g_subprocess_wait_async (producer.child, NULL, on_child_exited, &producer);

  if (gst_element_set_state (producer.pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* the error message on the bus stops the consumer */
    g_printerr (PROGRAM_NAME ": could not start the pipeline\n");
  }

  /* runs until the consumer exits: after the EOS message, on an error
   * (our socket is closed then) or when it failed */
  g_main_loop_run (producer.loop);

  gst_element_set_state (producer.pipeline, GST_STATE_NULL);
  bus = gst_element_get_bus (producer.pipeline);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);

  if (!producer.drained && !producer.pipeline_failed)
    g_printerr (PROGRAM_NAME ": the consumer exited before it got the whole "
        "stream\n");

  print_producer_summary (&producer);

  if (g_subprocess_get_if_exited (producer.child)) {
    status = g_subprocess_get_exit_status (producer.child);
    if (status != 0)
      g_printerr (PROGRAM_NAME ": the consumer exited with status %d\n",
          status);
  } else {
    gint sig = g_subprocess_get_term_sig (producer.child);

    g_printerr (PROGRAM_NAME ": the consumer was killed by signal %d (%s)\n",
        sig, g_strsignal (sig));
    status = 128 + sig;
  }

  ret = producer.pipeline_failed && status == 0 ? 1 : status;

done:
  if (producer.pipeline)
    gst_element_set_state (producer.pipeline, GST_STATE_NULL);
  g_clear_object (&producer.child);
  if (producer.socket && !g_socket_is_closed (producer.socket))
    g_socket_close (producer.socket, NULL);
  g_clear_object (&producer.socket);
  gst_clear_object (&producer.pay);
  gst_clear_object (&producer.sink);
  gst_clear_object (&producer.pipeline);
  g_clear_pointer (&producer.loop, g_main_loop_unref);

  return ret;
}

int
main (int argc, char *argv[])
{
  GOptionContext *ctx;
  GError *err = NULL;
  gint ret;

  ctx = g_option_context_new ("- send video frames to another process "
      "without copying them");
  g_option_context_set_summary (ctx,
      "By default this is the producer: it creates a Unix socketpair, starts "
      "a consumer\nprocess with the other end as fd 3, and sends it frames "
      "with\n\n"
      "  videotestsrc ! video/x-raw,format=I420,... ! fdpay ! "
      "multisocketsink\n\n"
      "The consumer (this program with --consumer --fd 3, unless "
      "--consumer-cmd is\ngiven) runs socketsrc ! fddepay ! fakesink and "
      "prints to stdout, for each frame:\n\n"
      "  frame <index> pts=<ns|none> size=<bytes> crc32=<8 hex digits>\n\n"
      "then \"received <n> frames\". The producer prints a summary to stderr "
      "and exits\nwith the status of the consumer.");
  g_option_context_set_description (ctx,
      "Examples:\n"
      "  " PROGRAM_NAME " --num-buffers 100 --seqpacket\n"
      "  " PROGRAM_NAME " --consumer-cmd \"/usr/bin/python3 "
      FDPASS_PYTHON_CONSUMER "\"\n"
      "  " PROGRAM_NAME " --pipeline \"videotestsrc num-buffers=10 ! "
      "video/x-raw,width=320,height=240\"\n\n"
      "The fdpay and fddepay elements must be in the plugin path, e.g.\n"
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

  if (argc > 1) {
    g_printerr (PROGRAM_NAME ": unexpected argument '%s'\n", argv[1]);
    return 2;
  }
  if (!opt_consumer && MIN (opt_num_buffers, MIN (opt_width, opt_height)) < 1) {
    g_printerr (PROGRAM_NAME ": --num-buffers, --width and --height must be "
        "positive\n");
    return 2;
  }

  crc32_init ();

  if (opt_consumer)
    ret = run_consumer ();
  else
    ret = run_producer (argv[0]);

  g_free (opt_consumer_cmd);
  g_free (opt_pattern);
  g_free (opt_pipeline);
  gst_deinit ();

  return ret;
}
