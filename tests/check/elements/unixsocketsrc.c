/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * unixsocketsrc.c: unixsocketsrc ! fddepay against a hand-written sender
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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/check/gstcheck.h>
#include <gst/fdpass/fdpass.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../fdpass-check.h"

/* generous upper bounds for waiting, never a measure of speed */
#ifndef WAIT_MS
#define WAIT_MS 30000
#endif
#define WAIT_TIMEOUT (30 * GST_SECOND)

#define FRAME_SIZE 4096
#define TEST_CAPS "video/x-raw, format=(string)GRAY8, width=(int)64, " \
    "height=(int)64, framerate=(fraction)30/1"

/* the sender side: a listening socket in a temporary directory */

typedef struct
{
  gchar *dir;
  gchar *path;
  gint fd;
} Listener;

static void
make_address (const gchar * path, struct sockaddr_un *addr, socklen_t * len)
{
  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;
  if (path[0] == '@') {
    memcpy (addr->sun_path + 1, path + 1, strlen (path + 1));
    *len = offsetof (struct sockaddr_un, sun_path) + strlen (path);
  } else {
    fail_unless (strlen (path) < sizeof (addr->sun_path));
    strcpy (addr->sun_path, path);
    *len = sizeof (*addr);
  }
}

static void
listener_init (Listener * l)
{
  l->dir = g_dir_make_tmp ("unixsocketsrc-XXXXXX", NULL);
  fail_unless (l->dir != NULL);
  l->path = g_build_filename (l->dir, "sock", NULL);
  l->fd = -1;
}

/* a socket bound to the path, that does not listen yet */
static void
listener_bind (Listener * l, gint type)
{
  struct sockaddr_un addr;
  socklen_t len;

  l->fd = socket (AF_UNIX, type | SOCK_CLOEXEC, 0);
  fail_unless (l->fd >= 0);
  make_address (l->path, &addr, &len);
  fail_unless_equals_int (bind (l->fd, (struct sockaddr *) &addr, len), 0);
}

static void
listener_listen (Listener * l, gint type)
{
  listener_bind (l, type);
  fail_unless_equals_int (listen (l->fd, 4), 0);
}

static void
listener_clear (Listener * l)
{
  if (l->fd >= 0)
    close (l->fd);
  if (l->path[0] != '@')
    unlink (l->path);
  g_rmdir (l->dir);
  g_free (l->path);
  g_free (l->dir);
}

static gint
listener_accept (Listener * l)
{
  struct pollfd pfd = { l->fd, POLLIN, 0 };
  gint fd;

  fail_unless_equals_int (poll (&pfd, 1, WAIT_MS), 1);
  fd = accept4 (l->fd, NULL, NULL, SOCK_CLOEXEC);
  fail_unless (fd >= 0);
  return fd;
}

static void
send_message (gint sock, GstBuffer * message, const gint * fds, guint n_fds)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (message, &map, GST_MAP_READ));
  fail_unless_equals_int ((gint) fdpass_check_sendmsg (sock, map.data,
          map.size, fds, n_fds), (gint) map.size);
  gst_buffer_unmap (message, &map);
  gst_buffer_unref (message);
}

static void
send_hello (gint sock)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, GST_FDPASS_FEATURE_RELEASE
  };

  send_message (sock, gst_fdpass_message_new_hello (&hello), NULL, 0);
}

static void
send_caps (gint sock)
{
  GstCaps *caps = gst_caps_from_string (TEST_CAPS);

  send_message (sock, gst_fdpass_message_new_caps (caps), NULL, 0);
  gst_caps_unref (caps);
}

static void
send_eos (gint sock)
{
  send_message (sock, gst_fdpass_message_new_eos (), NULL, 0);
}

/* a sealed memfd of FRAME_SIZE bytes, every byte @fill */
static gint
make_frame (guint8 fill)
{
  guint8 data[FRAME_SIZE];
  gint fd;

  fd = memfd_create ("unixsocketsrc-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  fail_unless (fd >= 0);
  memset (data, fill, sizeof (data));
  fail_unless_equals_int ((gint) write (fd, data, sizeof (data)), FRAME_SIZE);
  fail_unless_equals_int (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK |
          F_SEAL_GROW), 0);
  return fd;
}

/* the message of frame @id: all of file @fd, in @n_memories memories (the
 * more memories, the larger the message) */
static void
frame_info_init (GstFdPassBufferInfo * info, guint64 id, gint fd,
    guint n_memories)
{
  guint i;

  memset (info, 0, sizeof (*info));
  info->id = id;
  info->pts = id * GST_MSECOND;
  info->dts = GST_CLOCK_TIME_NONE;
  info->duration = GST_CLOCK_TIME_NONE;
  info->offset = GST_BUFFER_OFFSET_NONE;
  info->offset_end = GST_BUFFER_OFFSET_NONE;
  info->n_fds = 1;
  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &info->fds[0]));
  info->n_memories = n_memories;
  for (i = 0; i < n_memories; i++) {
    info->memories[i].fd_index = 0;
    info->memories[i].offset = i * (FRAME_SIZE / n_memories);
    info->memories[i].size = i + 1 < n_memories ? FRAME_SIZE / n_memories :
        FRAME_SIZE - i * (FRAME_SIZE / n_memories);
  }
}

/* a new file with frame @id, in @n_memories memories */
static void
send_frame_split (gint sock, guint64 id, guint n_memories)
{
  GstFdPassBufferInfo info;
  gint fd = make_frame ((guint8) id);

  frame_info_init (&info, id, fd, n_memories);
  send_message (sock, gst_fdpass_message_new_buffer (&info), &fd, 1);
  close (fd);
}

static void
send_frame (gint sock, guint64 id)
{
  send_frame_split (sock, id, 1);
}

static gboolean
read_exact (gint sock, guint8 * data, gsize size)
{
  gsize done = 0;

  while (done < size) {
    struct pollfd pfd = { sock, POLLIN, 0 };
    gssize n;

    fail_unless_equals_int (poll (&pfd, 1, WAIT_MS), 1);
    n = recv (sock, data + done, size - done, 0);
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

/* Receives one message the source sent back. Returns FALSE on end of
 * file. */
static gboolean
recv_message (gint sock, gboolean seqpacket, GstFdPassHeader * header,
    guint8 ** payload)
{
  guint8 *data = g_malloc (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD);

  if (seqpacket) {
    struct pollfd pfd = { sock, POLLIN, 0 };
    gssize n;

    fail_unless_equals_int (poll (&pfd, 1, WAIT_MS), 1);
    n = recv (sock, data, GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD, 0);
    if (n <= 0) {
      g_free (data);
      return FALSE;
    }
    fail_unless (n >= GST_FDPASS_HEADER_SIZE);
    fail_unless (gst_fdpass_header_parse (data, n, header, NULL));
    fail_unless_equals_int (n, GST_FDPASS_HEADER_SIZE + header->payload_size);
  } else {
    if (!read_exact (sock, data, GST_FDPASS_HEADER_SIZE)) {
      g_free (data);
      return FALSE;
    }
    fail_unless (gst_fdpass_header_parse (data, GST_FDPASS_HEADER_SIZE,
            header, NULL));
    fail_unless (read_exact (sock, data + GST_FDPASS_HEADER_SIZE,
            header->payload_size));
  }

  *payload = g_memdup2 (data + GST_FDPASS_HEADER_SIZE,
      header->payload_size + 1);
  g_free (data);
  return TRUE;
}

static void
expect_hello (gint sock, gboolean seqpacket)
{
  GstFdPassHeader header;
  GstFdPassHello hello;
  guint8 *payload;

  fail_unless (recv_message (sock, seqpacket, &header, &payload));
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_HELLO);
  fail_unless (gst_fdpass_hello_parse (payload, header.payload_size, &hello,
          NULL));
  fail_unless_equals_int (hello.version_major, GST_FDPASS_VERSION_MAJOR);
  fail_unless (hello.features & GST_FDPASS_FEATURE_RELEASE);
  g_free (payload);
}

/* What a sender does first: reads the source's hello, and sends its own
 * and the caps. */
static void
greet (gint sock, gboolean seqpacket)
{
  expect_hello (sock, seqpacket);
  send_hello (sock);
  send_caps (sock);
}

/* Appends released ids to @ids until it holds @want of them. */
static void
collect_releases (gint sock, gboolean seqpacket, GArray * ids, guint want)
{
  while (ids->len < want) {
    GstFdPassHeader header;
    guint8 *payload;
    guint64 *got;
    guint n;

    fail_unless (recv_message (sock, seqpacket, &header, &payload));
    fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_RELEASE);
    fail_unless (gst_fdpass_release_parse (payload, header.payload_size,
            &got, &n, NULL));
    g_array_append_vals (ids, got, n);
    g_free (got);
    g_free (payload);
  }
}

static gint
compare_ids (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

static void
assert_ids (GArray * ids, const guint64 * expected, guint n)
{
  guint i;

  g_array_sort (ids, compare_ids);
  fail_unless_equals_int (ids->len, n);
  for (i = 0; i < n; i++)
    fail_unless_equals_uint64 (g_array_index (ids, guint64, i), expected[i]);
}

/* the receiving pipeline */

/* appsink keeps a reference to the last buffer it handed out, so frames
 * are collected from fakesink's handoff signal instead */
static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  g_async_queue_push (user_data, gst_buffer_ref (buf));
}

static GstElement *
make_pipeline (const gchar * src_props, GstElement ** appsink)
{
  gchar *desc;
  GstElement *pipeline;
  GError *err = NULL;
  GAsyncQueue *queue;

  desc = g_strdup_printf ("unixsocketsrc name=src %s ! fddepay name=depay ! "
      "fakesink name=sink sync=false enable-last-sample=false "
      "signal-handoffs=true", src_props);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  g_free (desc);
  *appsink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  queue = g_async_queue_new_full ((GDestroyNotify) gst_buffer_unref);
  g_object_set_data_full (G_OBJECT (*appsink), "frames", queue,
      (GDestroyNotify) g_async_queue_unref);
  g_signal_connect (*appsink, "handoff", G_CALLBACK (on_handoff), queue);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  return pipeline;
}

/* A receiving pipeline, playing, on one end of a new socket pair of
 * @type (the source owns that end, sv[1]); the test's end is sv[0] */
static GstElement *
make_pipeline_on_pair (gint type, gint sv[2], GstElement ** appsink)
{
  GstElement *pipeline;
  gchar *props;

  fail_unless_equals_int (socketpair (AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
  props = g_strdup_printf ("fd=%d", sv[1]);
  pipeline = make_pipeline (props, appsink);
  g_free (props);

  return pipeline;
}

/* Listens on a new socket for a pipeline that receives from it, whose
 * unixsocketsrc has the path of the socket and @props, and returns the
 * pipeline, playing */
static GstElement *
listen_for_pipeline (Listener * l, const gchar * props, GstElement ** appsink)
{
  GstElement *pipeline;
  gchar *desc;

  listener_init (l);
  listener_listen (l, SOCK_SEQPACKET);
  desc = g_strdup_printf ("path=%s %s", l->path, props);
  pipeline = make_pipeline (desc, appsink);
  g_free (desc);

  return pipeline;
}

/* Accepts the source's connection and starts the stream: the hellos, then
 * the caps. Returns the sender's side of the connection. */
static gint
accept_and_start (Listener * l)
{
  gint conn = listener_accept (l);

  greet (conn, TRUE);

  return conn;
}

static GstBuffer *
pull_frame (GstElement * appsink, guint64 id)
{
  GAsyncQueue *queue = g_object_get_data (G_OBJECT (appsink), "frames");
  GstBuffer *buf;
  GstMapInfo map;
  gsize i;

  buf = g_async_queue_timeout_pop (queue, (guint64) WAIT_MS * 1000);
  fail_unless (buf != NULL, "no frame %" G_GUINT64_FORMAT, id);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), id * GST_MSECOND);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_int (map.size, FRAME_SIZE);
  for (i = 0; i < map.size; i++)
    fail_unless_equals_int (map.data[i], (guint8) id);
  gst_buffer_unmap (buf, &map);

  return buf;
}

static GstMessage *
wait_bus (GstElement * pipeline, GstMessageType type)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  fail_unless (msg != NULL, "no EOS or error");
  if (GST_MESSAGE_TYPE (msg) != type && GST_MESSAGE_TYPE (msg) ==
      GST_MESSAGE_ERROR) {
    GError *err;

    gst_message_parse_error (msg, &err, NULL);
    fail ("unexpected error: %s", err->message);
  }
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), type);
  return msg;
}

/* Pops the next message of @type, failing on an error of another type. */
static GstMessage *
pop_message (GstElement * pipeline, GstMessageType type)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT,
      type | GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  fail_unless (msg != NULL, "no %s message", gst_message_type_get_name (type));
  if (GST_MESSAGE_TYPE (msg) != type) {
    GError *err;

    gst_message_parse_error (msg, &err, NULL);
    fail ("unexpected error: %s", err->message);
  }
  return msg;
}

/* Checks that @msg (an error or a warning) says the sender went away
 * without ending the stream; returns its debug string. */
static gchar *
check_vanished_message (GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, &debug);
  else
    gst_message_parse_warning (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ), "%s", err->message);
  fail_unless (strstr (err->message, "closed the connection without ending "
          "the stream") != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);

  return debug;
}

static guint64
get_stat (GstElement * pipeline, const gchar * field)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstStructure *stats;
  guint64 value = 0;

  g_object_get (src, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, field, &value));
  gst_structure_free (stats);
  gst_object_unref (src);
  return value;
}

/* Drops the last reference to @pipeline, in state NULL, and waits until
 * it is gone: the bin's own thread, which takes it from PAUSED to PLAYING
 * once it prerolled, may still hold it a moment after a short stream
 * ended, with its bus and the bus's file descriptors. */
static void
free_pipeline (GstElement * pipeline)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  GWeakRef ref;

  g_weak_ref_init (&ref, pipeline);
  gst_object_unref (pipeline);
  while ((pipeline = g_weak_ref_get (&ref))) {
    gst_object_unref (pipeline);
    GST_INFO ("waiting for the pipeline to be freed");
    fail_unless (g_get_monotonic_time () < end, "the pipeline is not freed");
    g_usleep (1000);
  }
  g_weak_ref_clear (&ref);
}

static void
stop_pipeline (GstElement * pipeline, GstElement * appsink)
{
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (appsink);
  free_pipeline (pipeline);
}

/* The sender ends the stream with its EOS message: the pipeline ends it
 * too, and stops. */
static void
end_stream (gint sock, GstElement * pipeline, GstElement * appsink)
{
  GstMessage *msg;

  send_eos (sock);
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  stop_pipeline (pipeline, appsink);
}

/* frames arrive and exactly the freed ones are released */
GST_START_TEST (test_frames_and_releases)
{
  static const guint64 freed_first[] = { 2, 4, 6 };
  static const guint64 freed_last[] = { 1, 3, 5 };
  guint n_open = fdpass_check_count_open_fds ();
  GstBuffer *samples[6];
  GstElement *pipeline, *appsink;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstMessage *msg;
  Listener l;
  gint conn;
  guint i;

  pipeline = listen_for_pipeline (&l, "", &appsink);
  conn = accept_and_start (&l);
  for (i = 0; i < 6; i++)
    send_frame (conn, i + 1);

  for (i = 0; i < 6; i++)
    samples[i] = pull_frame (appsink, i + 1);

  /* free every other frame here, in the test thread; the source's own
   * thread writes the releases */
  for (i = 1; i < 6; i += 2)
    gst_buffer_unref (samples[i]);
  collect_releases (conn, TRUE, ids, 3);
  assert_ids (ids, freed_first, 3);

  g_array_set_size (ids, 0);
  for (i = 0; i < 6; i += 2)
    gst_buffer_unref (samples[i]);
  collect_releases (conn, TRUE, ids, 3);
  assert_ids (ids, freed_last, 3);

  send_eos (conn);
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_stat (pipeline, "releases-sent"), 6);
  fail_unless_equals_uint64 (get_stat (pipeline, "fds"), 6);
  stop_pipeline (pipeline, appsink);

  close (conn);
  listener_clear (&l);
  g_array_unref (ids);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* the source prepares the buffer of the next message at the size of the
 * last one: larger and smaller messages than that arrive whole, with
 * nothing after them */
GST_START_TEST (test_buffer_messages_change_size)
{
  static const guint n_memories[] = { 1, 4, 4, 1, 16, 2, 2 };
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  Listener l;
  gint conn;
  guint i;

  pipeline = listen_for_pipeline (&l, "", &appsink);
  conn = accept_and_start (&l);
  for (i = 0; i < G_N_ELEMENTS (n_memories); i++) {
    send_frame_split (conn, i + 1, n_memories[i]);
    gst_buffer_unref (pull_frame (appsink, i + 1));
  }

  end_stream (conn, pipeline, appsink);
  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

static void
send_frame_in (gint sock, gint fd, guint64 id)
{
  GstFdPassBufferInfo info;
  guint8 data[FRAME_SIZE];

  /* the frame's contents, written into the recycled file */
  memset (data, (guint8) id, sizeof (data));
  fail_unless_equals_int ((gint) pwrite (fd, data, sizeof (data), 0),
      FRAME_SIZE);

  frame_info_init (&info, id, fd, 1);
  send_message (sock, gst_fdpass_message_new_buffer (&info), &fd, 1);
}

static guint64
get_depay_stat (GstElement * pipeline, const gchar * field)
{
  GstElement *depay = gst_bin_get_by_name (GST_BIN (pipeline), "depay");
  GstStructure *stats;
  guint64 value = 0;

  fail_unless (depay != NULL);
  g_object_get (depay, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, field, &value));
  gst_structure_free (stats);
  gst_object_unref (depay);
  return value;
}

/* a sender that recycles two memfds: fddepay maps each once and sees the
 * new contents every time */
GST_START_TEST (test_recycled_memfds_mapped_once)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  Listener l;
  gint conn, files[2];
  guint64 id;

  files[0] = make_frame (0);
  files[1] = make_frame (0);
  pipeline = listen_for_pipeline (&l, "", &appsink);
  conn = accept_and_start (&l);
  for (id = 1; id <= 10; id++) {
    GstBuffer *frame;

    /* written again only once the receiver released it */
    send_frame_in (conn, files[id % 2], id);
    frame = pull_frame (appsink, id);
    gst_buffer_unref (frame);
    g_array_set_size (ids, 0);
    collect_releases (conn, TRUE, ids, 1);
    assert_ids (ids, &id, 1);
  }
  fail_unless_equals_uint64 (get_depay_stat (pipeline, "mappings-created"), 2);
  fail_unless_equals_uint64 (get_depay_stat (pipeline, "mappings-reused"), 8);

  end_stream (conn, pipeline, appsink);

  close (conn);
  close (files[0]);
  close (files[1]);
  listener_clear (&l);
  g_array_unref (ids);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* do-timestamp: the frames take their arrival time instead of the
 * sender's timestamps */
GST_START_TEST (test_do_timestamp)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GAsyncQueue *queue;
  GstClockTime last = 0;
  Listener l;
  gint conn, file;
  guint64 id;

  file = make_frame (0);
  pipeline = listen_for_pipeline (&l, "is-live=true do-timestamp=true",
      &appsink);
  queue = g_object_get_data (G_OBJECT (appsink), "frames");
  conn = accept_and_start (&l);
  for (id = 1; id <= 3; id++) {
    GstBuffer *frame;

    /* the sender says one hour and more */
    send_frame_in (conn, file, id * 3600 * 1000);
    frame = g_async_queue_timeout_pop (queue, (guint64) WAIT_MS * 1000);
    fail_unless (frame != NULL);
    fail_unless (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_PTS (frame)));
    /* arrival times of a pipeline that has run for less than that */
    fail_unless (GST_BUFFER_PTS (frame) < 3600 * GST_SECOND);
    fail_unless (GST_BUFFER_PTS (frame) >= last);
    last = GST_BUFFER_PTS (frame);
    gst_buffer_unref (frame);
  }

  end_stream (conn, pipeline, appsink);

  close (conn);
  close (file);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a connected socket given with fd=, stream and seqpacket */
static void
run_socketpair (gint type)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  static const guint64 expected[] = { 10, 11, 12 };
  gboolean seqpacket = (type == SOCK_SEQPACKET);
  gint sv[2];
  guint64 id;

  pipeline = make_pipeline_on_pair (type, sv, &appsink);

  greet (sv[0], seqpacket);
  for (id = 10; id < 13; id++)
    send_frame (sv[0], id);
  for (id = 10; id < 13; id++)
    gst_buffer_unref (pull_frame (appsink, id));
  collect_releases (sv[0], seqpacket, ids, 3);
  assert_ids (ids, expected, 3);

  end_stream (sv[0], pipeline, appsink);

  /* the element owned sv[1] and closed it */
  close (sv[0]);
  g_array_unref (ids);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_START_TEST (test_fd_seqpacket)
{
  run_socketpair (SOCK_SEQPACKET);
}

GST_END_TEST;

GST_START_TEST (test_fd_stream)
{
  run_socketpair (SOCK_STREAM);
}

GST_END_TEST;

/* the source starts before anybody listens and keeps trying */
GST_START_TEST (test_retry)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  Listener l;
  gchar *props;
  gint conn;

  listener_init (&l);
  props = g_strdup_printf ("path=%s retry=-1 retry-interval=10000000", l.path);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  /* let it fail a few times */
  g_usleep (100 * 1000);
  listener_listen (&l, SOCK_SEQPACKET);

  conn = accept_and_start (&l);
  send_frame (conn, 1);
  gst_buffer_unref (pull_frame (appsink, 1));
  end_stream (conn, pipeline, appsink);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* A sender that has bound its SOCK_SEQPACKET socket and does not listen
 * yet (unixsocketsink sets the file's mode in between): the source tries
 * again, it does not fail. */
GST_START_TEST (test_retry_bound_not_listening)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GstMessage *msg;
  GstBus *bus;
  Listener l;
  gchar *props;
  gint conn, i;

  listener_init (&l);
  listener_bind (&l, SOCK_SEQPACKET);
  props = g_strdup_printf ("socket-path=%s retry-interval=1000000", l.path);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  bus = gst_element_get_bus (pipeline);
  for (i = 0; i < WAIT_MS && get_stat (pipeline, "connect-failures") < 5; i++) {
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_if (msg != NULL, "the source gave up");
    g_usleep (1000);
  }
  fail_unless (get_stat (pipeline, "connect-failures") >= 5);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_if (msg != NULL, "the source gave up");
  gst_object_unref (bus);

  fail_unless_equals_int (listen (l.fd, 4), 0);
  conn = accept_and_start (&l);
  send_frame (conn, 1);
  gst_buffer_unref (pull_frame (appsink, 1));
  end_stream (conn, pipeline, appsink);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* with a bounded retry count the source gives up with an error a person
 * can act on */
GST_START_TEST (test_retry_gives_up)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GstMessage *msg;
  GError *err = NULL;
  Listener l;
  gchar *props;

  listener_init (&l);
  props = g_strdup_printf ("path=%s retry=2 retry-interval=1000000", l.path);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  msg = wait_bus (pipeline, GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ));
  fail_unless (strstr (err->message, "Could not connect to") != NULL);
  fail_unless (strstr (err->message, l.path) != NULL);
  fail_unless (strstr (err->message, g_strerror (ENOENT)) != NULL);
  g_clear_error (&err);
  gst_message_unref (msg);
  stop_pipeline (pipeline, appsink);

  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* the sender goes away and comes back: frames of the second connection
 * arrive and only its own ids are released on it */
GST_START_TEST (test_reconnect)
{
  static const guint64 expected[] = { 101, 102, 103 };
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstBuffer *samples[6];
  GstFdPassHeader header;
  GstMessage *msg;
  guint8 *payload;
  Listener l;
  gchar *props;
  gint conn;
  guint i;

  listener_init (&l);
  listener_listen (&l, SOCK_SEQPACKET);
  props =
      g_strdup_printf ("path=%s reconnect=true retry-interval=10000000",
      l.path);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  conn = accept_and_start (&l);
  for (i = 0; i < 3; i++)
    send_frame (conn, i + 1);
  for (i = 0; i < 3; i++)
    samples[i] = pull_frame (appsink, i + 1);
  /* the sender goes away without an EOS message: a warning */
  close (conn);
  g_free (check_vanished_message (pop_message (pipeline, GST_MESSAGE_WARNING)));

  conn = accept_and_start (&l);
  for (i = 0; i < 3; i++)
    send_frame (conn, 101 + i);
  for (i = 0; i < 3; i++)
    samples[3 + i] = pull_frame (appsink, 101 + i);

  for (i = 0; i < 6; i++)
    gst_buffer_unref (samples[i]);
  collect_releases (conn, TRUE, ids, 3);
  assert_ids (ids, expected, 3);

  send_eos (conn);
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_stat (pipeline, "reconnects"), 1);
  stop_pipeline (pipeline, appsink);

  /* nothing else came on the second connection */
  while (recv_message (conn, TRUE, &header, &payload)) {
    fail_unless (header.type != GST_FDPASS_MESSAGE_RELEASE,
        "unexpected release after the end of the stream");
    g_free (payload);
  }

  close (conn);
  listener_clear (&l);
  g_array_unref (ids);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* the sender ends the connection without an EOS message (it crashed):
 * without reconnect, that is an error */
GST_START_TEST (test_peer_closes_without_eos)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GstMessage *msg;
  Listener l;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  gchar *debug;
  gint conn;

  pipeline = listen_for_pipeline (&l, "", &appsink);
  conn = accept_and_start (&l);
  send_frame (conn, 1);
  send_frame (conn, 2);
  gst_buffer_unref (pull_frame (appsink, 1));
  gst_buffer_unref (pull_frame (appsink, 2));
  /* nothing left unread, so that the close is orderly and not a reset */
  collect_releases (conn, TRUE, ids, 2);
  close (conn);

  msg = wait_bus (pipeline, GST_MESSAGE_ERROR);
  debug = check_vanished_message (msg);
  fail_unless (strstr (debug, l.path) != NULL, "%s", debug);
  fail_unless (strstr (debug, "end of file") != NULL, "%s", debug);
  g_free (debug);
  stop_pipeline (pipeline, appsink);

  g_array_unref (ids);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* more descriptors in one message than the source makes room for */
GST_START_TEST (test_ctrunc)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR, 0, 0 };
  GstMessage *msg;
  GError *err = NULL;
  gint fds[GST_FDPASS_MAX_FDS + 4];
  Listener l;
  gint conn;
  guint i;

  pipeline = listen_for_pipeline (&l, "", &appsink);
  conn = accept_and_start (&l);
  for (i = 0; i < G_N_ELEMENTS (fds); i++)
    fds[i] = make_frame (0);
  send_message (conn, gst_fdpass_message_new_hello (&hello), fds,
      G_N_ELEMENTS (fds));
  for (i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);

  msg = wait_bus (pipeline, GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ));
  fail_unless (strstr (err->message, "more file descriptors") != NULL);
  g_clear_error (&err);
  gst_message_unref (msg);
  stop_pipeline (pipeline, appsink);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a packet larger than any message is an error, and the descriptor that
 * came with it is closed */
GST_START_TEST (test_oversized_packet)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GstMessage *msg;
  GError *err = NULL;
  GstBuffer *big;
  Listener l;
  gint conn, fd;

  pipeline = listen_for_pipeline (&l, "", &appsink);
  conn = accept_and_start (&l);
  big = gst_buffer_new_allocate (NULL,
      GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD + 1, NULL);
  gst_buffer_memset (big, 0, 0, gst_buffer_get_size (big));
  fd = make_frame (0);
  send_message (conn, big, &fd, 1);
  close (fd);

  msg = wait_bus (pipeline, GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECODE));
  fail_unless (strstr (err->message, "larger than the fdpass protocol") !=
      NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  stop_pipeline (pipeline, appsink);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* 200 frames over 20 connections leak nothing */
GST_START_TEST (test_fd_leak_reconnects)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstMessage *msg;
  Listener l;
  gchar *props;
  gint conn = -1;
  guint c, i;

  listener_init (&l);
  listener_listen (&l, SOCK_SEQPACKET);
  props =
      g_strdup_printf ("path=%s reconnect=true retry-interval=5000000", l.path);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  for (c = 0; c < 20; c++) {
    guint64 expected[10];

    if (conn >= 0)
      close (conn);
    conn = listener_accept (&l);
    greet (conn, TRUE);
    for (i = 0; i < 10; i++) {
      expected[i] = c * 100 + i;
      send_frame (conn, expected[i]);
    }
    for (i = 0; i < 10; i++)
      gst_buffer_unref (pull_frame (appsink, expected[i]));
    g_array_set_size (ids, 0);
    collect_releases (conn, TRUE, ids, 10);
    assert_ids (ids, expected, 10);
  }
  send_eos (conn);
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_stat (pipeline, "reconnects"), 19);
  fail_unless_equals_uint64 (get_stat (pipeline, "releases-sent"), 200);
  stop_pipeline (pipeline, appsink);

  close (conn);
  listener_clear (&l);
  g_array_unref (ids);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* what gst-launch-1.0 would build, against a stream listener in the
 * abstract namespace */
GST_START_TEST (test_launch_line)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline;
  GstMessage *msg;
  GstBus *bus;
  GError *err = NULL;
  Listener l;
  gchar *desc;
  gint conn;
  guint64 id;

  listener_init (&l);
  g_free (l.path);
  l.path = g_strdup_printf ("@gst-fdpass-test-%d", (gint) getpid ());
  listener_listen (&l, SOCK_STREAM);

  desc = g_strdup_printf ("unixsocketsrc path=%s ! fddepay ! fakesink", l.path);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  g_free (desc);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  conn = listener_accept (&l);
  /* the listener is a stream socket, so the source fell back to one */
  greet (conn, FALSE);
  for (id = 1; id <= 5; id++)
    send_frame (conn, id);
  send_eos (conn);

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  free_pipeline (pipeline);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* Runs `unixsocketsrc ! @downstream` against a listener and returns the
 * HELLO the source sent. */
static void
hello_with_downstream (const gchar * downstream, GstFdPassHello * hello)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstFdPassHeader header;
  GstElement *pipeline;
  GError *err = NULL;
  guint8 *payload;
  Listener l;
  gchar *desc;
  gint conn;

  listener_init (&l);
  listener_listen (&l, SOCK_SEQPACKET);
  desc = g_strdup_printf ("unixsocketsrc path=%s ! %s", l.path, downstream);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL && err == NULL, "%s", err ? err->message : "");
  g_free (desc);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  conn = listener_accept (&l);
  fail_unless (recv_message (conn, TRUE, &header, &payload));
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_HELLO);
  fail_unless (gst_fdpass_hello_parse (payload, header.payload_size, hello,
          NULL));
  g_free (payload);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  free_pipeline (pipeline);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

/* the HELLO announces only what the element downstream honours: behind
 * fddepay, releases and kept files; behind anything else, neither, so
 * that the sender neither waits for releases nor recycles memfds */
GST_START_TEST (test_hello_announces_downstream)
{
  GstFdPassHello hello;

  hello_with_downstream ("fddepay ! fakesink", &hello);
  fail_unless_equals_int (hello.version_major, GST_FDPASS_VERSION_MAJOR);
  fail_unless_equals_int (hello.features, GST_FDPASS_FEATURE_RELEASE |
      GST_FDPASS_FEATURE_FILES);
  fail_unless (hello.max_files > 0);

  hello_with_downstream ("filesink location=/dev/null", &hello);
  fail_unless_equals_int (hello.version_major, GST_FDPASS_VERSION_MAJOR);
  fail_unless_equals_int (hello.features, GST_FDPASS_FEATURE_NONE);
  fail_unless_equals_int (hello.max_files, 0);

  hello_with_downstream ("appsink", &hello);
  fail_unless_equals_int (hello.features, GST_FDPASS_FEATURE_NONE);
  fail_unless_equals_int (hello.max_files, 0);
}

GST_END_TEST;

/* the HELLO the source sends, whatever it announces */
static void
read_hello (gint sock, gboolean seqpacket)
{
  GstFdPassHeader header;
  guint8 *payload;

  fail_unless (recv_message (sock, seqpacket, &header, &payload));
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_HELLO);
  g_free (payload);
}

/* socket-path is the property, path an alias of it */
GST_START_TEST (test_socket_path_alias)
{
  GstElement *src = gst_element_factory_make ("unixsocketsrc", NULL);
  GParamSpec *pspec;
  gchar *value;

  fail_unless (src != NULL);
  g_object_set (src, "socket-path", "/run/a.sock", NULL);
  g_object_get (src, "path", &value, NULL);
  fail_unless_equals_string (value, "/run/a.sock");
  g_free (value);

  g_object_set (src, "path", "/run/b.sock", NULL);
  g_object_get (src, "socket-path", &value, NULL);
  fail_unless_equals_string (value, "/run/b.sock");
  g_free (value);

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (src), "path");
  fail_unless (strstr (g_param_spec_get_blurb (pspec), "Alias of "
          "socket-path") != NULL);

  gst_object_unref (src);
}

GST_END_TEST;

/* socket-type=abstract: socket-path is a name in the abstract namespace */
GST_START_TEST (test_socket_type_abstract)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  Listener l;
  gchar *name, *props;
  gint conn;

  listener_init (&l);
  name = g_strdup_printf ("gst-fdpass-abstract-%d", (gint) getpid ());
  g_free (l.path);
  l.path = g_strconcat ("@", name, NULL);
  listener_listen (&l, SOCK_SEQPACKET);

  props = g_strdup_printf ("socket-path=%s socket-type=abstract", name);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  conn = accept_and_start (&l);
  send_frame (conn, 1);
  gst_buffer_unref (pull_frame (appsink, 1));
  end_stream (conn, pipeline, appsink);

  close (conn);
  listener_clear (&l);
  g_free (name);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* a socket type other than path and abstract fails the start */
GST_START_TEST (test_socket_type_unsupported)
{
  GstElement *pipeline;
  GstMessage *msg;
  GError *err = NULL;
  GstBus *bus;

  pipeline = gst_parse_launch ("unixsocketsrc socket-path=/nonexistent "
      "socket-type=anonymous ! fakesink", NULL);
  fail_unless (pipeline != NULL);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_TIMEOUT, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s", err->message);
  fail_unless (strstr (err->message, "\"anonymous\"") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_object_unref (bus);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  free_pipeline (pipeline);
}

GST_END_TEST;

/* retry-interval is a time in nanoseconds, like every GStreamer time */
GST_START_TEST (test_retry_interval_nanoseconds)
{
  GstElement *src = gst_element_factory_make ("unixsocketsrc", NULL);
  GParamSpecUInt64 *pspec;
  guint64 value;

  pspec = (GParamSpecUInt64 *)
      g_object_class_find_property (G_OBJECT_GET_CLASS (src), "retry-interval");
  fail_unless (pspec != NULL);
  fail_unless (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT64);
  fail_unless_equals_uint64 (pspec->default_value, 100 * GST_MSECOND);
  fail_unless_equals_uint64 (pspec->minimum, GST_MSECOND);

  g_object_get (src, "retry-interval", &value, NULL);
  fail_unless_equals_uint64 (value, 100 * GST_MSECOND);
  gst_util_set_object_arg (G_OBJECT (src), "retry-interval", "250000000");
  g_object_get (src, "retry-interval", &value, NULL);
  fail_unless_equals_uint64 (value, 250 * GST_MSECOND);

  gst_object_unref (src);
}

GST_END_TEST;

/* A source waiting for its sender connects as soon as the socket appears,
 * not at its next attempt (an hour away here): the way unixsocketsink
 * makes its socket, listening under another name and then linked into
 * place. */
GST_START_TEST (test_connects_when_socket_appears)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  struct sockaddr_un addr;
  socklen_t len;
  Listener l;
  gchar *props, *tmp;
  gint conn, i;

  listener_init (&l);
  props = g_strdup_printf ("socket-path=%s retry-interval=%" G_GUINT64_FORMAT,
      l.path, (guint64) 3600 * GST_SECOND);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  for (i = 0; i < WAIT_MS && get_stat (pipeline, "connect-failures") < 1; i++)
    g_usleep (1000);
  fail_unless_equals_int (get_stat (pipeline, "connect-failures"), 1);

  /* another file of the directory does not count as the socket */
  tmp = g_build_filename (l.dir, "listening", NULL);
  l.fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  fail_unless (l.fd >= 0);
  make_address (tmp, &addr, &len);
  fail_unless_equals_int (bind (l.fd, (struct sockaddr *) &addr, len), 0);
  fail_unless_equals_int (listen (l.fd, 4), 0);
  fail_unless_equals_int (link (tmp, l.path), 0);
  fail_unless_equals_int (unlink (tmp), 0);
  g_free (tmp);

  conn = accept_and_start (&l);
  send_frame (conn, 1);
  gst_buffer_unref (pull_frame (appsink, 1));
  fail_unless_equals_int (get_stat (pipeline, "connect-failures"), 1);

  end_stream (conn, pipeline, appsink);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* While nobody listens, a warning names the path and the reason at the
 * first failed attempt, and not at every one; once connected, an info
 * message says so. */
GST_START_TEST (test_retry_warnings)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GstMessage *msg;
  GstBus *bus;
  Listener l;
  gchar *props;
  gint conn, n_warnings = 0, n_infos = 0, i;

  listener_init (&l);
  props = g_strdup_printf ("socket-path=%s retry-interval=10000000", l.path);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  /* many failed attempts, 10 ms apart */
  for (i = 0; i < WAIT_MS / 10 && get_stat (pipeline, "connect-failures") <
      20; i++)
    g_usleep (10 * 1000);
  fail_unless (get_stat (pipeline, "connect-failures") >= 20);

  listener_listen (&l, SOCK_SEQPACKET);
  conn = accept_and_start (&l);
  send_frame (conn, 1);
  gst_buffer_unref (pull_frame (appsink, 1));

  /* everything posted so far: the warnings, then the info */
  bus = gst_element_get_bus (pipeline);
  while ((msg = gst_bus_pop (bus))) {
    GError *err = NULL;

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (msg, &err, NULL);
      fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
              GST_RESOURCE_ERROR_OPEN_READ), "%s", err->message);
      fail_unless (strstr (err->message, l.path) != NULL, "%s", err->message);
      fail_unless (strstr (err->message, g_strerror (ENOENT)) != NULL, "%s",
          err->message);
      fail_unless_equals_int (n_infos, 0);
      n_warnings++;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_INFO) {
      gst_message_parse_info (msg, &err, NULL);
      fail_unless (strstr (err->message, "Connected to") != NULL, "%s",
          err->message);
      fail_unless (strstr (err->message, l.path) != NULL, "%s", err->message);
      n_infos++;
    } else {
      fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    }
    g_clear_error (&err);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  GST_INFO ("%d warnings for %" G_GUINT64_FORMAT " failed attempts",
      n_warnings, get_stat (pipeline, "connect-failures"));
  fail_unless (n_warnings >= 1);
  fail_unless (n_warnings <= 2, "%d warnings", n_warnings);
  fail_unless_equals_int (n_infos, 1);

  end_stream (conn, pipeline, appsink);

  close (conn);
  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

#define N_FULL_RELEASES 200

/* Releases go out at once while the socket takes them; once it is full
 * they wait, in order, and a message the socket took in part is finished
 * before the next one: the sender gets every release exactly once. */
GST_START_TEST (test_releases_when_socket_full)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstMessage *msg;
  gint sv[2], sndbuf = 1;
  gchar *props;
  guint i;

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
          0, sv), 0);
  /* the smallest buffer the kernel allows: a few releases fill it */
  fail_unless_equals_int (setsockopt (sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
          sizeof (sndbuf)), 0);
  props = g_strdup_printf ("fd=%d", sv[1]);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);

  greet (sv[0], FALSE);
  for (i = 0; i < N_FULL_RELEASES; i++) {
    send_frame (sv[0], i + 1);
    /* freed one by one, each its own release message */
    gst_buffer_unref (pull_frame (appsink, i + 1));
  }

  collect_releases (sv[0], FALSE, ids, N_FULL_RELEASES);
  fail_unless_equals_int (ids->len, N_FULL_RELEASES);
  for (i = 0; i < N_FULL_RELEASES; i++)
    fail_unless_equals_uint64 (g_array_index (ids, guint64, i), i + 1);

  send_eos (sv[0]);
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_stat (pipeline, "releases-sent"),
      N_FULL_RELEASES);
  stop_pipeline (pipeline, appsink);

  close (sv[0]);
  g_array_unref (ids);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

#define N_HELD_FRAMES 150

/* More frames freed at once than one release message of the source holds
 * (64 ids): every one of them is released, in as many messages as it
 * takes, before the source reads on. */
GST_START_TEST (test_many_releases_at_once)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstBuffer *held[N_HELD_FRAMES];
  GstElement *pipeline, *appsink, *src;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  FdPassCheckGate gate;
  GstMessage *msg;
  GstPad *pad;
  gulong probe;
  gint sv[2];
  guint i;

  pipeline = make_pipeline_on_pair (SOCK_SEQPACKET, sv, &appsink);
  greet (sv[0], TRUE);
  for (i = 0; i < N_HELD_FRAMES; i++) {
    send_frame (sv[0], i + 1);
    held[i] = pull_frame (appsink, i + 1);
  }

  /* the streaming thread stops at the next frame while every held one is
   * freed: nothing takes their releases until the gate opens */
  fdpass_check_gate_init (&gate);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  pad = gst_element_get_static_pad (src, "src");
  probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) fdpass_check_gate_probe, &gate, NULL);
  send_frame (sv[0], N_HELD_FRAMES + 1);
  fail_unless (fdpass_check_gate_wait_entered (&gate,
          WAIT_MS * G_TIME_SPAN_MILLISECOND), "the source pushed nothing");
  for (i = 0; i < N_HELD_FRAMES; i++)
    gst_buffer_unref (held[i]);
  fdpass_check_gate_open (&gate);

  collect_releases (sv[0], TRUE, ids, N_HELD_FRAMES);
  fail_unless_equals_int (ids->len, N_HELD_FRAMES);
  for (i = 0; i < N_HELD_FRAMES; i++)
    fail_unless_equals_uint64 (g_array_index (ids, guint64, i), i + 1);

  gst_buffer_unref (pull_frame (appsink, N_HELD_FRAMES + 1));
  collect_releases (sv[0], TRUE, ids, N_HELD_FRAMES + 1);
  fail_unless_equals_uint64 (g_array_index (ids, guint64, N_HELD_FRAMES),
      N_HELD_FRAMES + 1);

  send_eos (sv[0]);
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_stat (pipeline, "releases-sent"),
      N_HELD_FRAMES + 1);

  gst_pad_remove_probe (pad, probe);
  gst_object_unref (pad);
  gst_object_unref (src);
  stop_pipeline (pipeline, appsink);
  fdpass_check_gate_clear (&gate);
  close (sv[0]);
  g_array_unref (ids);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* A sender that closes without reading what we sent: the connection is
 * reset, and without an EOS message that is an error too. */
GST_START_TEST (test_peer_reset_without_eos)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  struct pollfd pfd;
  gchar *debug;
  gint sv[2];

  pipeline = make_pipeline_on_pair (SOCK_STREAM, sv, &appsink);

  /* the source's HELLO is there, and stays unread */
  pfd.fd = sv[0];
  pfd.events = POLLIN;
  pfd.revents = 0;
  fail_unless_equals_int (poll (&pfd, 1, WAIT_MS), 1);
  send_hello (sv[0]);
  send_caps (sv[0]);
  send_frame (sv[0], 1);
  gst_buffer_unref (pull_frame (appsink, 1));
  close (sv[0]);

  debug = check_vanished_message (wait_bus (pipeline, GST_MESSAGE_ERROR));
  fail_unless (strstr (debug, g_strerror (ECONNRESET)) != NULL, "%s", debug);
  g_free (debug);
  stop_pipeline (pipeline, appsink);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* The sender ends its stream and closes its end while what the source sent
 * it (its hello, releases) is unread there. The kernel then reports
 * ECONNRESET to the next read, before the messages still queued: the
 * source reads them, frames and EOS message, and ends the stream without
 * an error. */
GST_START_TEST (test_eos_message_then_reset)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink, *src;
  GstMessage *msg;
  FdPassCheckGate gate;
  GstPad *pad;
  gulong probe;
  gint sv[2];

  pipeline = make_pipeline_on_pair (SOCK_SEQPACKET, sv, &appsink);

  /* the streaming thread stops at the first buffer it pushes and reads
   * nothing more until the gate opens */
  fdpass_check_gate_init (&gate);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  pad = gst_element_get_static_pad (src, "src");
  probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) fdpass_check_gate_probe, &gate, NULL);

  send_hello (sv[0]);
  send_caps (sv[0]);
  send_frame (sv[0], 1);
  fail_unless (fdpass_check_gate_wait_entered (&gate,
          WAIT_MS * G_TIME_SPAN_MILLISECOND), "the source pushed nothing");

  /* the source's hello is unread on our side: closing resets the
   * connection, with frame 2 and the EOS message still on their way */
  send_frame (sv[0], 2);
  send_eos (sv[0]);
  close (sv[0]);
  fdpass_check_gate_open (&gate);

  gst_buffer_unref (pull_frame (appsink, 1));
  gst_buffer_unref (pull_frame (appsink, 2));
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_stat (pipeline, "fds"), 2);

  gst_pad_remove_probe (pad, probe);
  gst_object_unref (pad);
  gst_object_unref (src);
  stop_pipeline (pipeline, appsink);
  fdpass_check_gate_clear (&gate);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* Behind an element that does not stop at the EOS message, the source
 * reads the sender's EOS message and then the end of the connection: the
 * end of the stream, even with reconnect. */
GST_START_TEST (test_eos_message_with_reconnect)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline;
  GstMessage *msg;
  GError *err = NULL;
  Listener l;
  gchar *desc;
  gint conn;

  listener_init (&l);
  listener_listen (&l, SOCK_SEQPACKET);
  desc = g_strdup_printf ("unixsocketsrc name=src socket-path=%s "
      "reconnect=true retry-interval=5000000 ! fakesink sync=false", l.path);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  g_free (desc);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  conn = listener_accept (&l);
  read_hello (conn, TRUE);
  send_hello (conn);
  send_caps (conn);
  send_eos (conn);
  close (conn);

  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_stat (pipeline, "reconnects"), 0);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  free_pipeline (pipeline);

  listener_clear (&l);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* caps */

#define TEST_CAPS_2 "video/x-raw, format=(string)GRAY8, width=(int)128, " \
    "height=(int)32, framerate=(fraction)30/1"

/* What went through a pad: the caps events, how many bytes of buffers had
 * gone through before each, and the bytes in all. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *caps;
  GArray *offsets;
  gsize bytes;
} Recorder;

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, Recorder * r)
{
  g_mutex_lock (&r->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    r->bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    g_ptr_array_add (r->caps, gst_caps_ref (caps));
    g_array_append_val (r->offsets, r->bytes);
  }
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);

  return GST_PAD_PROBE_OK;
}

static void
recorder_init (Recorder * r, GstElement * pipeline, const gchar * element,
    const gchar * pad_name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->caps = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_caps_unref);
  r->offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  r->bytes = 0;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, (GstPadProbeCallback) record_probe,
      r, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

/* The media-caps of the @i-th caps event, which must have them. */
static const gchar *
recorder_media_caps (Recorder * r, guint i)
{
  GstStructure *s;

  fail_unless (i < r->caps->len);
  s = gst_caps_get_structure (g_ptr_array_index (r->caps, i), 0);
  fail_unless (gst_structure_has_name (s, "application/x-fdpass"));
  fail_unless (gst_structure_has_field_typed (s, "media-caps", G_TYPE_STRING));
  return gst_structure_get_string (s, "media-caps");
}

static void
recorder_clear (Recorder * r)
{
  g_ptr_array_unref (r->caps);
  g_array_unref (r->offsets);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
}

/* the string a sender sends for @str */
static gchar *
sender_caps_string (const gchar * str)
{
  GstCaps *caps = gst_caps_from_string (str);
  gchar *ret = gst_caps_to_string (caps);

  gst_caps_unref (caps);
  return ret;
}

static void
send_caps_string (gint sock, const gchar * str)
{
  GstCaps *caps = gst_caps_from_string (str);

  send_message (sock, gst_fdpass_message_new_caps (caps), NULL, 0);
  gst_caps_unref (caps);
}

/* The caps of the source carry the sender's caps as media-caps, from the
 * first caps event on, follow when the sender changes them, and answer
 * caps queries; fddepay behind works as before. */
GST_START_TEST (test_caps_carry_media_caps)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *caps1 = sender_caps_string (TEST_CAPS);
  gchar *caps2 = sender_caps_string (TEST_CAPS_2);
  GstElement *pipeline, *appsink, *src, *depay;
  GstCaps *caps, *expected;
  GstMessage *msg;
  GstPad *pad;
  Recorder r;
  Listener l;
  gchar *props;
  gint conn;

  listener_init (&l);
  listener_listen (&l, SOCK_SEQPACKET);
  props = g_strdup_printf ("socket-path=%s", l.path);
  pipeline = make_pipeline (props, &appsink);
  g_free (props);
  recorder_init (&r, pipeline, "depay", "sink");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  depay = gst_bin_get_by_name (GST_BIN (pipeline), "depay");
  pad = gst_element_get_static_pad (src, "src");

  /* before the sender's caps: any fdpass stream */
  caps = gst_pad_query_caps (pad, NULL);
  expected = gst_caps_from_string ("application/x-fdpass");
  fail_unless (gst_caps_is_equal (caps, expected), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (expected);
  gst_caps_unref (caps);

  conn = listener_accept (&l);
  expect_hello (conn, TRUE);
  send_hello (conn);
  send_caps_string (conn, TEST_CAPS);
  send_frame (conn, 1);
  gst_buffer_unref (pull_frame (appsink, 1));

  fail_unless_equals_int (r.caps->len, 1);
  fail_unless_equals_string (recorder_media_caps (&r, 0), caps1);
  /* before any data */
  fail_unless_equals_uint64 (g_array_index (r.offsets, gsize, 0), 0);
  caps = gst_pad_query_caps (pad, NULL);
  fail_unless (gst_caps_is_equal (caps, g_ptr_array_index (r.caps, 0)),
      "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);

  /* the sender changes its caps */
  send_caps_string (conn, TEST_CAPS_2);
  send_frame (conn, 2);
  gst_buffer_unref (pull_frame (appsink, 2));
  fail_unless_equals_int (r.caps->len, 2);
  fail_unless_equals_string (recorder_media_caps (&r, 1), caps2);
  caps = gst_pad_get_current_caps (pad);
  fail_unless (gst_caps_is_equal (caps, g_ptr_array_index (r.caps, 1)));
  gst_caps_unref (caps);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (depay, "src");
  caps = gst_pad_get_current_caps (pad);
  expected = gst_caps_from_string (TEST_CAPS_2);
  fail_unless (gst_caps_is_equal (caps, expected), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (expected);
  gst_caps_unref (caps);

  /* the same caps again change nothing */
  send_caps_string (conn, TEST_CAPS_2);
  send_frame (conn, 3);
  gst_buffer_unref (pull_frame (appsink, 3));
  fail_unless_equals_int (r.caps->len, 2);

  send_eos (conn);
  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (pad);
  gst_object_unref (depay);
  gst_object_unref (src);
  stop_pipeline (pipeline, appsink);
  recorder_clear (&r);

  close (conn);
  listener_clear (&l);
  g_free (caps1);
  g_free (caps2);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* appends the bytes of @message (consumed) to @bytes */
static void
append_message (GByteArray * bytes, GstBuffer * message)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (message, &map, GST_MAP_READ));
  g_byte_array_append (bytes, map.data, map.size);
  gst_buffer_unmap (message, &map);
  gst_buffer_unref (message);
}

static void
append_caps (GByteArray * bytes, const gchar * str)
{
  GstCaps *caps = gst_caps_from_string (str);

  append_message (bytes, gst_fdpass_message_new_caps (caps));
  gst_caps_unref (caps);
}

/* a buffer message naming no file: the source does not look inside */
static void
append_buffer (GByteArray * bytes, guint64 id)
{
  GstFdPassBufferInfo info;

  memset (&info, 0, sizeof (info));
  info.id = id;
  info.pts = id * GST_MSECOND;
  info.dts = info.duration = GST_CLOCK_TIME_NONE;
  info.offset = info.offset_end = GST_BUFFER_OFFSET_NONE;
  append_message (bytes, gst_fdpass_message_new_buffer (&info));
}

/* a message of a type no version knows, with @size payload bytes */
static void
append_unknown (GByteArray * bytes, guint32 size)
{
  guint8 header[GST_FDPASS_HEADER_SIZE];
  guint8 *payload = g_malloc0 (size);

  GST_WRITE_UINT32_LE (header, GST_FDPASS_MAGIC);
  GST_WRITE_UINT16_LE (header + 4, 0x7ff0);
  GST_WRITE_UINT16_LE (header + 6, 0);
  GST_WRITE_UINT32_LE (header + 8, 0);
  GST_WRITE_UINT32_LE (header + 12, size);
  g_byte_array_append (bytes, header, sizeof (header));
  g_byte_array_append (bytes, payload, size);
  g_free (payload);
}


/* `unixsocketsrc fd=N ! fakesink` gets @bytes in one write on a stream
 * socket, then the connection closes; @bytes end with an EOS message. */
static void
run_bytes (GByteArray * bytes, Recorder * r)
{
  GstElement *pipeline;
  GstMessage *msg;
  gchar *desc;
  gint sv[2];

  fail_unless_equals_int (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
          0, sv), 0);
  desc = g_strdup_printf ("unixsocketsrc name=src fd=%d ! fakesink name=sink "
      "sync=false", sv[1]);
  pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  recorder_init (r, pipeline, "sink", "sink");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  read_hello (sv[0], FALSE);
  fail_unless_equals_int ((gint) fdpass_check_sendmsg (sv[0], bytes->data,
          bytes->len, NULL, 0), (gint) bytes->len);
  close (sv[0]);

  msg = wait_bus (pipeline, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (r->bytes, bytes->len);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  free_pipeline (pipeline);
}

/* A caps change takes effect right after the CAPS message, wherever reads
 * split the bytes. */
GST_START_TEST (test_caps_follow_the_bytes)
{
  guint n_open = fdpass_check_count_open_fds ();
  gchar *caps1 = sender_caps_string (TEST_CAPS);
  gchar *caps2 = sender_caps_string (TEST_CAPS_2);
  GByteArray *bytes = g_byte_array_new ();
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, 0
  };
  gsize caps2_end;
  Recorder r;

  append_message (bytes, gst_fdpass_message_new_hello (&hello));
  append_caps (bytes, TEST_CAPS);
  append_buffer (bytes, 1);
  append_caps (bytes, TEST_CAPS_2);
  caps2_end = bytes->len;
  append_buffer (bytes, 2);
  append_message (bytes, gst_fdpass_message_new_eos ());

  run_bytes (bytes, &r);
  fail_unless_equals_int (r.caps->len, 2);
  fail_unless_equals_string (recorder_media_caps (&r, 0), caps1);
  fail_unless_equals_uint64 (g_array_index (r.offsets, gsize, 0), 0);
  fail_unless_equals_string (recorder_media_caps (&r, 1), caps2);
  fail_unless_equals_uint64 (g_array_index (r.offsets, gsize, 1), caps2_end);
  recorder_clear (&r);

  g_byte_array_unref (bytes);
  g_free (caps1);
  g_free (caps2);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* Runs @bytes behind a HELLO, which send no usable caps, and checks that
 * everything came through with plain application/x-fdpass caps. */
static void
check_no_media_caps (GByteArray * bytes)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, 0
  };
  GByteArray *all = g_byte_array_new ();
  GstStructure *s;
  Recorder r;

  append_message (all, gst_fdpass_message_new_hello (&hello));
  g_byte_array_append (all, bytes->data, bytes->len);
  g_byte_array_unref (bytes);

  run_bytes (all, &r);
  fail_unless_equals_int (r.caps->len, 1);
  fail_unless_equals_uint64 (g_array_index (r.offsets, gsize, 0), 0);
  s = gst_caps_get_structure (g_ptr_array_index (r.caps, 0), 0);
  fail_unless (gst_structure_has_name (s, "application/x-fdpass"));
  fail_unless_equals_int (gst_structure_n_fields (s), 0);
  recorder_clear (&r);
  g_byte_array_unref (all);
}

/* A sender that sends no caps, or none that can be read, still gets its
 * data through: the caps are application/x-fdpass without media-caps. */
GST_START_TEST (test_no_caps_from_sender)
{
  guint n_open = fdpass_check_count_open_fds ();
  GByteArray *bytes;
  guint i;

  /* a frame before any caps */
  bytes = g_byte_array_new ();
  append_buffer (bytes, 1);
  append_message (bytes, gst_fdpass_message_new_eos ());
  check_no_media_caps (bytes);

  /* the end of the stream before any caps */
  bytes = g_byte_array_new ();
  append_message (bytes, gst_fdpass_message_new_eos ());
  check_no_media_caps (bytes);

  /* caps that are not caps, then a frame */
  bytes = g_byte_array_new ();
  append_unknown (bytes, 0);
  bytes->data[4] = GST_FDPASS_MESSAGE_CAPS;
  bytes->data[5] = 0;
  GST_WRITE_UINT32_LE (bytes->data + 12, 9);
  g_byte_array_append (bytes, (const guint8 *) "no caps!", 9);
  append_buffer (bytes, 1);
  append_message (bytes, gst_fdpass_message_new_eos ());
  check_no_media_caps (bytes);

  /* more than the source holds back for the caps */
  bytes = g_byte_array_new ();
  for (i = 0; i < 5; i++)
    append_unknown (bytes, GST_FDPASS_MAX_PAYLOAD);
  append_message (bytes, gst_fdpass_message_new_eos ());
  check_no_media_caps (bytes);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

/* bytes that are not fdpass messages are an error, and the descriptor
 * that came with them is closed */
GST_START_TEST (test_not_fdpass_stream)
{
  guint n_open = fdpass_check_count_open_fds ();
  GstElement *pipeline, *appsink;
  guint8 junk[64];
  GstMessage *msg;
  GError *err = NULL;
  gint sv[2], fd;

  pipeline = make_pipeline_on_pair (SOCK_STREAM, sv, &appsink);

  read_hello (sv[0], FALSE);
  memset (junk, 'x', sizeof (junk));
  fd = make_frame (0);
  fail_unless_equals_int ((gint) fdpass_check_sendmsg (sv[0], junk,
          sizeof (junk), &fd, 1), (gint) sizeof (junk));
  close (fd);

  msg = wait_bus (pipeline, GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECODE), "%s", err->message);
  fail_unless (strstr (err->message, "not an fdpass stream") != NULL, "%s",
      err->message);
  fail_unless_equals_string (GST_MESSAGE_SRC_NAME (msg), "src");
  g_clear_error (&err);
  gst_message_unref (msg);
  stop_pipeline (pipeline, appsink);

  close (sv[0]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), n_open);
}

GST_END_TEST;

static Suite *
unixsocketsrc_suite (void)
{
  Suite *s = suite_create ("unixsocketsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_frames_and_releases);
  tcase_add_test (tc, test_buffer_messages_change_size);
  tcase_add_test (tc, test_recycled_memfds_mapped_once);
  tcase_add_test (tc, test_do_timestamp);
  tcase_add_test (tc, test_fd_seqpacket);
  tcase_add_test (tc, test_fd_stream);
  tcase_add_test (tc, test_retry);
  tcase_add_test (tc, test_retry_gives_up);
  tcase_add_test (tc, test_retry_bound_not_listening);
  tcase_add_test (tc, test_reconnect);
  tcase_add_test (tc, test_peer_closes_without_eos);
  tcase_add_test (tc, test_ctrunc);
  tcase_add_test (tc, test_oversized_packet);
  tcase_add_test (tc, test_fd_leak_reconnects);
  tcase_add_test (tc, test_launch_line);
  tcase_add_test (tc, test_hello_announces_downstream);
  tcase_add_test (tc, test_socket_path_alias);
  tcase_add_test (tc, test_socket_type_abstract);
  tcase_add_test (tc, test_socket_type_unsupported);
  tcase_add_test (tc, test_retry_interval_nanoseconds);
  tcase_add_test (tc, test_retry_warnings);
  tcase_add_test (tc, test_connects_when_socket_appears);
  tcase_add_test (tc, test_peer_reset_without_eos);
  tcase_add_test (tc, test_releases_when_socket_full);
  tcase_add_test (tc, test_many_releases_at_once);
  tcase_add_test (tc, test_eos_message_with_reconnect);
  tcase_add_test (tc, test_eos_message_then_reset);
  tcase_add_test (tc, test_caps_carry_media_caps);
  tcase_add_test (tc, test_caps_follow_the_bytes);
  tcase_add_test (tc, test_no_caps_from_sender);
  tcase_add_test (tc, test_not_fdpass_stream);

  return s;
}

GST_CHECK_MAIN (unixsocketsrc);
