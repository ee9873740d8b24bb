/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * twoprocess.c: fdpay ! multisocketsink in the test process and
 * socketsrc ! fddepay in a child process
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

/* The child is this very program, started again with FDPASS_TEST_CHILD set
 * in its environment. It gets its end of the socketpair as fd 3 and writes
 * what it received to fd 4, one line each:
 *
 *   caps <caps>
 *   frame <index> <pts> <crc32> <size> <is-fd> <read-only> <st_dev> <st_ino>
 *   end <buffers> <dropped-fds>
 *
 * and exits with 0 once fddepay delivered the end of the stream. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/allocators/allocators.h>
#include <gst/net/net.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>
#include <gio/gunixfdmessage.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../fdpass-check.h"

#define CHILD_ENV "FDPASS_TEST_CHILD"
#define CHILD_DIE_AFTER_ENV "FDPASS_TEST_CHILD_DIE_AFTER"
#define CHILD_SOCKET_FD 3
#define CHILD_RESULT_FD 4

#define WAIT_TIMEOUT_SECONDS 60

/* the child */

typedef struct
{
  guint n_frames;
  gint die_after;
  gboolean caps_written;
} ChildState;

static void
child_write (const gchar * line)
{
  if (!fdpass_check_write_all (CHILD_RESULT_FD, line))
    _exit (5);
}

static GstFlowReturn
child_new_sample (GstAppSink * appsink, gpointer user_data)
{
  ChildState *state = user_data;
  GstSample *sample;
  GstBuffer *buf;
  GstMemory *mem;
  guint64 dev = 0, ino = 0;
  gboolean is_fd;
  gchar *line;

  sample = gst_app_sink_pull_sample (appsink);
  if (sample == NULL)
    return GST_FLOW_FLUSHING;

  if (!state->caps_written) {
    gchar *caps = gst_caps_to_string (gst_sample_get_caps (sample));

    line = g_strdup_printf ("caps %s\n", caps);
    child_write (line);
    g_free (line);
    g_free (caps);
    state->caps_written = TRUE;
  }

  buf = gst_sample_get_buffer (sample);
  mem = gst_buffer_peek_memory (buf, 0);
  is_fd = gst_is_fd_memory (mem);
  if (is_fd)
    fdpass_check_stat_fd (gst_fd_memory_get_fd (mem), &dev, &ino);

  line = g_strdup_printf ("frame %u %" G_GUINT64_FORMAT " %08x %"
      G_GSIZE_FORMAT " %d %d %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
      state->n_frames, (guint64) GST_BUFFER_PTS (buf), fdpass_check_crc32_buffer (buf),
      gst_buffer_get_size (buf), is_fd, GST_MEMORY_IS_READONLY (mem) ? 1 : 0,
      dev, ino);
  child_write (line);
  g_free (line);
  gst_sample_unref (sample);

  state->n_frames++;
  if (state->die_after > 0 && state->n_frames == state->die_after)
    raise (SIGKILL);

  return GST_FLOW_OK;
}

static gint
child_main (void)
{
  GstAppSinkCallbacks callbacks = { NULL, };
  ChildState state = { 0, };
  GstElement *pipeline, *src, *depay, *sink;
  GstStructure *stats = NULL;
  guint64 n_buffers = 0, n_dropped = 0;
  GSocket *socket;
  GstBus *bus;
  GstMessage *msg;
  gchar *line;
  gint ret;

  gst_init (NULL, NULL);

  if (g_getenv (CHILD_DIE_AFTER_ENV))
    state.die_after = atoi (g_getenv (CHILD_DIE_AFTER_ENV));

  socket = g_socket_new_from_fd (CHILD_SOCKET_FD, NULL);
  pipeline = gst_parse_launch ("socketsrc name=src ! fddepay name=depay ! "
      "appsink name=sink sync=false", NULL);
  if (socket == NULL || pipeline == NULL)
    return 3;

  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  depay = gst_bin_get_by_name (GST_BIN (pipeline), "depay");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "socket", socket, NULL);
  callbacks.new_sample = child_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, &state, NULL);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT_SECONDS * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL) {
    ret = 2;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("child: error from %s: %s\n", GST_MESSAGE_SRC_NAME (msg),
        err->message);
    g_clear_error (&err);
    ret = 1;
  } else {
    ret = 0;
  }
  gst_clear_message (&msg);
  gst_object_unref (bus);

  gst_element_set_state (pipeline, GST_STATE_NULL);

  g_object_get (depay, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "buffers", &n_buffers);
  gst_structure_get_uint64 (stats, "dropped-fds", &n_dropped);
  gst_structure_free (stats);
  line = g_strdup_printf ("end %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
      "\n", n_buffers, n_dropped);
  child_write (line);
  g_free (line);

  gst_object_unref (src);
  gst_object_unref (depay);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_object_unref (socket);

  return ret;
}

/* the parent */

typedef struct
{
  GstClockTime pts;
  guint32 crc;
  gsize size;
  guint64 dev;
  guint64 ino;
  gboolean readonly;
  gboolean is_fd;
} Frame;

typedef struct
{
  GMutex lock;
  GCond cond;

  GArray *sent;                 /* Frame */
  guint n_messages;
  guint n_message_errors;
  GstCaps *sent_caps;
  guint n_removed;

  /* what the child wrote */
  GArray *received;             /* Frame */
  GstCaps *received_caps;
  gboolean child_ended;
  guint64 child_buffers;
  guint64 child_dropped_fds;
} Transfer;

static void
transfer_init (Transfer * t)
{
  memset (t, 0, sizeof (Transfer));
  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->sent = g_array_new (FALSE, TRUE, sizeof (Frame));
  t->received = g_array_new (FALSE, TRUE, sizeof (Frame));
}

static void
transfer_clear (Transfer * t)
{
  g_array_unref (t->sent);
  g_array_unref (t->received);
  gst_clear_caps (&t->sent_caps);
  gst_clear_caps (&t->received_caps);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
}

static GstPadProbeReturn
pay_sink_probe (GstPad * pad, GstPadProbeInfo * info, Transfer * t)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  Frame f = { 0, };

  f.pts = GST_BUFFER_PTS (buf);
  f.crc = fdpass_check_crc32_buffer (buf);
  f.size = gst_buffer_get_size (buf);

  g_mutex_lock (&t->lock);
  if (t->sent_caps == NULL)
    t->sent_caps = gst_pad_get_current_caps (pad);
  g_array_append_val (t->sent, f);
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);

  return GST_PAD_PROBE_OK;
}

/* records the file each buffer message passes, from the fd attached to it */
static GstPadProbeReturn
pay_src_probe (GstPad * pad, GstPadProbeInfo * info, Transfer * t)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstFdPassBufferInfo binfo;
  guint64 dev = 0, ino = 0;
  gboolean ok;
  gint ret;

  ret = fdpass_check_parse_frame_message (buf, &binfo, &dev, &ino);
  if (ret < 0)
    return GST_PAD_PROBE_OK;
  ok = ret > 0;

  g_mutex_lock (&t->lock);
  if (ok && t->n_messages < t->sent->len) {
    Frame *f = &g_array_index (t->sent, Frame, t->n_messages);

    if (f->pts != binfo.pts)
      t->n_message_errors++;
    f->dev = dev;
    f->ino = ino;
  } else {
    t->n_message_errors++;
  }
  t->n_messages++;
  g_mutex_unlock (&t->lock);

  return GST_PAD_PROBE_OK;
}

static void
client_socket_removed (GstElement * sink, GSocket * socket, Transfer * t)
{
  g_mutex_lock (&t->lock);
  t->n_removed++;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
}

static GstElement *
make_sender (const gchar * desc, Transfer * t)
{
  GstElement *pipeline, *pay, *sink;
  GError *err = NULL;
  GstPad *pad;

  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL && err == NULL, "%s", err ? err->message : "");

  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  pad = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) pay_sink_probe, t, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (pay, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) pay_src_probe, t, NULL);
  gst_object_unref (pad);
  gst_object_unref (pay);

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "client-socket-removed",
      G_CALLBACK (client_socket_removed), t);
  gst_object_unref (sink);

  return pipeline;
}

/* Starts this program as the child, with @sock_fd as its fd 3 and
 * @result_fd as its fd 4. */
static GPid
spawn_child (gint sock_fd, gint result_fd, gint die_after)
{
  gint source_fds[2] = { sock_fd, result_fd };
  gint target_fds[2] = { CHILD_SOCKET_FD, CHILD_RESULT_FD };
  GError *err = NULL;
  gchar *argv[2] = { NULL, NULL };
  gchar **envp;
  GPid pid = 0;

  argv[0] = g_file_read_link ("/proc/self/exe", &err);
  fail_unless (argv[0] != NULL, "%s", err ? err->message : "");

  envp = g_get_environ ();
  envp = g_environ_setenv (envp, CHILD_ENV, "1", TRUE);
  if (die_after > 0) {
    gchar *val = g_strdup_printf ("%d", die_after);

    envp = g_environ_setenv (envp, CHILD_DIE_AFTER_ENV, val, TRUE);
    g_free (val);
  } else {
    envp = g_environ_unsetenv (envp, CHILD_DIE_AFTER_ENV);
  }

  fail_unless (g_spawn_async_with_pipes_and_fds (NULL,
          (const gchar * const *) argv, (const gchar * const *) envp,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, -1, -1, -1, source_fds,
          target_fds, G_N_ELEMENTS (source_fds), &pid, NULL, NULL, NULL,
          &err), "could not start the child: %s", err ? err->message : "");

  g_strfreev (envp);
  g_free (argv[0]);

  return pid;
}

/* Returns the wait status of the child. */
static gint
wait_child (GPid pid)
{
  gint64 end = g_get_monotonic_time () +
      WAIT_TIMEOUT_SECONDS * G_TIME_SPAN_SECOND;
  gint status = 0;
  pid_t ret;

  while ((ret = waitpid (pid, &status, WNOHANG)) == 0) {
    if (g_get_monotonic_time () > end) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      fail ("the child did not finish");
    }
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  }
  fail_unless_equals_int (ret, pid);

  return status;
}

static gchar *
read_results (gint fd)
{
  GString *s = g_string_new (NULL);
  gchar chunk[4096];
  off_t pos = 0;
  gssize n;

  while ((n = pread (fd, chunk, sizeof (chunk), pos)) > 0) {
    g_string_append_len (s, chunk, n);
    pos += n;
  }

  return g_string_free (s, FALSE);
}

static guint
count_frame_lines (gint fd)
{
  gchar *results = read_results (fd);
  gchar *p = results;
  guint n = 0;

  while ((p = strstr (p, "frame ")) != NULL) {
    n++;
    p++;
  }
  g_free (results);

  return n;
}

/* Parses what the child wrote into @t. */
static void
parse_results (Transfer * t, gint fd)
{
  gchar *results = read_results (fd);
  gchar **lines = g_strsplit (results, "\n", -1);
  guint i;

  for (i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    const gchar *line = lines[i];

    if (g_str_has_prefix (line, "caps ")) {
      fail_unless (t->received_caps == NULL);
      t->received_caps = gst_caps_from_string (line + strlen ("caps "));
      fail_unless (t->received_caps != NULL, "bad caps line: %s", line);
    } else if (g_str_has_prefix (line, "frame ")) {
      gchar **f = g_strsplit (line, " ", -1);
      Frame frame = { 0, };

      fail_unless_equals_int (g_strv_length (f), 9);
      fail_unless_equals_int (g_ascii_strtoull (f[1], NULL, 10),
          t->received->len);
      frame.pts = g_ascii_strtoull (f[2], NULL, 10);
      frame.crc = g_ascii_strtoull (f[3], NULL, 16);
      frame.size = g_ascii_strtoull (f[4], NULL, 10);
      frame.is_fd = g_ascii_strtoull (f[5], NULL, 10);
      frame.readonly = g_ascii_strtoull (f[6], NULL, 10);
      frame.dev = g_ascii_strtoull (f[7], NULL, 10);
      frame.ino = g_ascii_strtoull (f[8], NULL, 10);
      g_array_append_val (t->received, frame);
      g_strfreev (f);
    } else if (g_str_has_prefix (line, "end ")) {
      gchar **f = g_strsplit (line, " ", -1);

      fail_unless_equals_int (g_strv_length (f), 3);
      t->child_ended = TRUE;
      t->child_buffers = g_ascii_strtoull (f[1], NULL, 10);
      t->child_dropped_fds = g_ascii_strtoull (f[2], NULL, 10);
      g_strfreev (f);
    } else {
      fail ("unexpected line from the child: %s", line);
    }
  }

  g_strfreev (lines);
  g_free (results);
}

/* The first @n frames the child saw are the first @n frames the parent
 * sent, read from the very memfds the parent passed. */
static void
check_frames (Transfer * t, guint n)
{
  guint i;

  fail_unless_equals_int (t->n_message_errors, 0);
  fail_unless (t->sent->len >= n);
  fail_unless (t->received->len >= n);

  for (i = 0; i < n; i++) {
    Frame *s = &g_array_index (t->sent, Frame, i);
    Frame *r = &g_array_index (t->received, Frame, i);

    fail_unless (GST_CLOCK_TIME_IS_VALID (s->pts));
    fail_unless_equals_uint64 (r->pts, s->pts);
    fail_unless_equals_uint64 (r->size, s->size);
    fail_unless (r->crc == s->crc, "frame %u: crc %08x, sent %08x", i,
        r->crc, s->crc);
    fail_unless (r->is_fd, "frame %u is not fd memory in the child", i);
    fail_unless (r->readonly, "frame %u is writable in the child", i);
    fail_unless (s->ino != 0);
    fail_unless_equals_uint64 (r->dev, s->dev);
    fail_unless_equals_uint64 (r->ino, s->ino);
    if (i > 0) {
      fail_unless (s->ino != g_array_index (t->sent, Frame, i - 1).ino);
      fail_unless (s->pts > g_array_index (t->sent, Frame, i - 1).pts);
    }
  }
}

static void
assert_no_error (GstElement * pipeline)
{
  gchar *err = fdpass_check_pop_bus_error (pipeline);

  fail_if (err != NULL, "%s", err);
}

static guint64
get_stat (GstElement * pipeline, const gchar * name, const gchar * field)
{
  GstElement *element = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstStructure *s = NULL;
  guint64 val = G_MAXUINT64;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &val));
  gst_structure_free (s);
  gst_object_unref (element);

  return val;
}

typedef struct
{
  GstElement *pipeline;
  GSocket *socket;
  gint result_fd;
  GPid pid;
} Session;

/* Starts the child on one end of a new socketpair and the sender pipeline
 * @desc on the other. */
static void
session_start (Session * session, Transfer * t, const gchar * desc,
    gint type, gint die_after)
{
  GstElement *sink;
  GError *err = NULL;
  gint sv[2];

  fail_unless_equals_int (socketpair (AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
  session->result_fd = memfd_create ("fdpass-test-results", MFD_CLOEXEC);
  fail_unless (session->result_fd >= 0);

  session->pid = spawn_child (sv[1], session->result_fd, die_after);
  /* the child has its copy; the parent must not keep the other end open */
  close (sv[1]);

  session->socket = g_socket_new_from_fd (sv[0], &err);
  fail_unless (session->socket != NULL, "%s", err ? err->message : "");

  session->pipeline = make_sender (desc, t);
  fail_unless (gst_element_set_state (session->pipeline, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  /* multisocketsink renders nothing before PLAYING: the child sees every
   * frame */
  sink = gst_bin_get_by_name (GST_BIN (session->pipeline), "sink");
  g_signal_emit_by_name (sink, "add", session->socket);
  gst_object_unref (sink);
  fail_unless (gst_element_set_state (session->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
}

static void
session_stop (Session * session)
{
  fail_unless_equals_int (gst_element_set_state (session->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (session->pipeline);
  /* multisocketsink does not close the sockets it is given */
  g_socket_close (session->socket, NULL);
  g_object_unref (session->socket);
  close (session->result_fd);
}

/* Runs @desc to its end with the child receiving, then checks that both
 * saw the same @n_frames frames. Returns fdpay's counts of copied and
 * zero-copy buffers. */
static void
check_two_process (const gchar * desc, gint type, guint n_frames,
    Transfer * t, guint64 * copies, guint64 * zero_copy)
{
  Session session;
  GstBus *bus;
  GstMessage *msg;
  gint status;

  session_start (&session, t, desc, type, 0);

  status = wait_child (session.pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "child failed, wait status 0x%x", status);

  /* the child saw the end of the stream, so the parent reached it too */
  bus = gst_element_get_bus (session.pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT_SECONDS * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);

  *copies = get_stat (session.pipeline, "pay", "copies");
  *zero_copy = get_stat (session.pipeline, "pay", "zero-copy-buffers");
  fail_unless_equals_uint64 (get_stat (session.pipeline, "pay", "buffers"),
      n_frames);

  parse_results (t, session.result_fd);
  session_stop (&session);

  fail_unless (t->child_ended);
  fail_unless_equals_int (t->sent->len, n_frames);
  fail_unless_equals_int (t->n_messages, n_frames);
  fail_unless_equals_int (t->received->len, n_frames);
  fail_unless_equals_uint64 (t->child_buffers, n_frames);
  fail_unless_equals_uint64 (t->child_dropped_fds, 0);
  check_frames (t, n_frames);

  fail_unless (t->sent_caps != NULL);
  fail_unless (t->received_caps != NULL);
  fail_unless (gst_caps_is_equal (t->sent_caps, t->received_caps),
      "sent %" GST_PTR_FORMAT ", received %" GST_PTR_FORMAT, t->sent_caps,
      t->received_caps);
}

#define RAW_SENDER "videotestsrc pattern=ball num-buffers=60 ! " \
    "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
    "fdpay name=pay ! multisocketsink name=sink sync=false"

static void
check_raw (gint type)
{
  Transfer t;
  guint fds_before;
  guint64 copies, zero_copy;

  fds_before = fdpass_check_count_open_fds ();

  transfer_init (&t);
  check_two_process (RAW_SENDER, type, 60, &t, &copies, &zero_copy);
  transfer_clear (&t);

  /* videotestsrc draws into the memfds of the pool fdpay proposes */
  fail_unless_equals_uint64 (zero_copy, 60);
  fail_unless_equals_uint64 (copies, 0);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_START_TEST (test_stream)
{
  check_raw (SOCK_STREAM);
}

GST_END_TEST;

GST_START_TEST (test_seqpacket)
{
  check_raw (SOCK_SEQPACKET);
}

GST_END_TEST;

/* A decoder writes its frames into the memfds of the pool fdpay proposes:
 * fdpay copies nothing on the way to the other process. (GstVideoDecoder
 * itself copies the frames avdec still references, into fdpay's allocator:
 * see pipelines/decoder.) */
GST_START_TEST (test_decoder_zero_copy)
{
  Transfer t;
  guint fds_before;
  guint64 copies, zero_copy;

  if (!fdpass_check_have_elements ("x264enc", "h264parse", "avdec_h264",
          NULL)) {
    GST_WARNING ("skipping, x264enc, h264parse or avdec_h264 missing");
    return;
  }

  fds_before = fdpass_check_count_open_fds ();

  transfer_init (&t);
  check_two_process ("videotestsrc pattern=ball num-buffers=30 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast tune=zerolatency ! h264parse ! "
      "decodebin ! fdpay name=pay ! multisocketsink name=sink sync=false",
      SOCK_STREAM, 30, &t, &copies, &zero_copy);
  transfer_clear (&t);

  fail_unless_equals_uint64 (zero_copy, 30);
  fail_unless_equals_uint64 (copies, 0);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_END_TEST;

#define LIVE_SENDER "videotestsrc is-live=true pattern=ball ! " \
    "video/x-raw,format=I420,width=160,height=120,framerate=60/1 ! " \
    "fdpay name=pay ! multisocketsink name=sink sync=false"

/* The child goes away in the middle of the stream, killed by the parent or
 * by itself. multisocketsink drops the client and goes on. */
static void
check_child_dies (gboolean parent_kills)
{
  Transfer t;
  Session session;
  GstElement *sink;
  GstState state;
  guint fds_before, n_sent, n_received, i;
  gint status, n_handles = -1;
  gint64 end;

  fds_before = fdpass_check_count_open_fds ();

  transfer_init (&t);
  session_start (&session, &t, LIVE_SENDER, SOCK_STREAM, parent_kills ? 0 : 10);

  if (parent_kills) {
    end = g_get_monotonic_time () + WAIT_TIMEOUT_SECONDS * G_TIME_SPAN_SECOND;
    while (count_frame_lines (session.result_fd) < 5) {
      fail_unless (g_get_monotonic_time () < end, "the child received nothing");
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
    fail_unless_equals_int (kill (session.pid, SIGKILL), 0);
  }

  status = wait_child (session.pid);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
      "wait status 0x%x", status);

  /* multisocketsink notices and removes the client ... */
  end = g_get_monotonic_time () + WAIT_TIMEOUT_SECONDS * G_TIME_SPAN_SECOND;
  g_mutex_lock (&t.lock);
  while (t.n_removed == 0) {
    if (!g_cond_wait_until (&t.cond, &t.lock, end))
      break;
  }
  fail_unless_equals_int (t.n_removed, 1);

  /* ... and the pipeline goes on */
  n_sent = t.sent->len;
  while (t.sent->len < n_sent + 10) {
    if (!g_cond_wait_until (&t.cond, &t.lock, end))
      break;
  }
  fail_unless (t.sent->len >= n_sent + 10, "the pipeline stopped at %u "
      "frames", t.sent->len);
  g_mutex_unlock (&t.lock);

  assert_no_error (session.pipeline);
  fail_unless_equals_int (gst_element_get_state (session.pipeline, &state,
          NULL, 0), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);
  sink = gst_bin_get_by_name (GST_BIN (session.pipeline), "sink");
  g_object_get (sink, "num-handles", &n_handles, NULL);
  fail_unless_equals_int (n_handles, 0);
  gst_object_unref (sink);

  fail_unless_equals_uint64 (get_stat (session.pipeline, "pay", "copies"), 0);

  /* what the child got before it died was right */
  parse_results (&t, session.result_fd);
  session_stop (&session);

  n_received = t.received->len;
  fail_unless (!t.child_ended);
  fail_unless (n_received >= (parent_kills ? 5 : 10));
  if (!parent_kills)
    fail_unless_equals_int (n_received, 10);
  for (i = 0; i < n_received; i++)
    fail_unless (g_array_index (t.received, Frame, i).is_fd);
  check_frames (&t, n_received);
  transfer_clear (&t);

  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
}

GST_START_TEST (test_child_killed)
{
  check_child_dies (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_child_crashes)
{
  check_child_dies (FALSE);
}

GST_END_TEST;

static Suite *
twoprocess_suite (void)
{
  Suite *s = suite_create ("twoprocess");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_test (tc_chain, test_stream);
  tcase_add_test (tc_chain, test_seqpacket);
  tcase_add_test (tc_chain, test_decoder_zero_copy);
  tcase_add_test (tc_chain, test_child_killed);
  tcase_add_test (tc_chain, test_child_crashes);

  return s;
}

/* Like GST_CHECK_MAIN, but the same program is also the child. */
int
main (int argc, char **argv)
{
  Suite *s;

  if (g_getenv (CHILD_ENV) != NULL)
    return child_main ();

  gst_check_init (&argc, &argv);
  s = twoprocess_suite ();

  return gst_check_run_suite (s, "twoprocess", __FILE__);
}
