/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * unixsocket.c: fdpay ! unixsocketsink in the test process, consumers
 * (unixsocketsrc ! fddepay) in child processes
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

/* The producer pipeline runs in the test process. Consumers are this very
 * program, started again with FDPASS_TEST_CONSUMER set to the socket path.
 * A consumer runs unixsocketsrc ! fddepay ! fakesink and writes to its
 * fd 3, one line each:
 *
 *   connected
 *   frame <pts> <crc32> <st_ino>
 *   eos <buffers> <unsealed-copies> <mappings-created> <reconnects>
 *   error <message>
 *
 * "connected" comes each time unixsocketsrc connected (it then announces
 * the new connection downstream, before it reads anything).
 *
 * The producer records, for every frame, the CRC of its bytes (on fdpay's
 * sink pad) and the inode of the memfd the message names (on fdpay's source
 * pad), so that every frame a consumer saw can be checked against what was
 * sent. Nothing here asserts on wall-clock durations: times are only
 * generous waits. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/check/gstcheck.h>
#include <gst/allocators/allocators.h>
#include <gst/net/net.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>
#include <gio/gunixfdmessage.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../fdpass-check.h"

#define CONSUMER_ENV "FDPASS_TEST_CONSUMER"
#define CONSUMER_SLEEP_ENV "FDPASS_TEST_CONSUMER_SLEEP_MS"
#define CONSUMER_RECONNECT_ENV "FDPASS_TEST_CONSUMER_RECONNECT"
#define CONSUMER_CONVERT_ENV "FDPASS_TEST_CONSUMER_CONVERT"
#define CONSUMER_QUEUE_ENV "FDPASS_TEST_CONSUMER_QUEUE"

/* what the consumer runs after fddepay */
typedef enum
{
  CONSUMER_FAKESINK,            /* fakesink, in the source's thread */
  CONSUMER_CONVERT,             /* videoconvert ! fakesink */
  CONSUMER_QUEUE,               /* queue ! fakesink: frames are freed in
                                 * another thread than the source's */
} ConsumerKind;
#define CONSUMER_RESULT_FD 3

/* generous: a shared machine may be slow, but never this slow */
#define WAIT_SECONDS 60

#define MAX_PENDING 8
/* what the producer may have in flight: the frames the stopped client
 * holds, those on their way to the others, and the pool's slack */
#define MEMFD_BOUND (MAX_PENDING * 2 + 8)

#define LIVE_CAPS "video/x-raw,format=I420,width=320,height=240"

static GstElement *
find_element (GstElement * bin, const gchar * factory_name)
{
  GstIterator *it;
  GValue v = G_VALUE_INIT;
  GstElement *element = NULL;

  it = gst_bin_iterate_all_by_element_factory_name (GST_BIN (bin),
      factory_name);
  if (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    element = g_value_dup_object (&v);
    g_value_unset (&v);
  }
  gst_iterator_free (it);

  return element;
}

/* the consumer */

typedef struct
{
  guint sleep_ms;
} ConsumerState;

/* the name of the event unixsocketsrc sends downstream once connected */
#define RELEASE_CHANNEL_EVENT "fdpass-release-channel"

static void
consumer_write (const gchar * line)
{
  if (!fdpass_check_write_all (CONSUMER_RESULT_FD, line))
    _exit (5);
}

static GstPadProbeReturn
consumer_probe (GstPad * pad, GstPadProbeInfo * info, ConsumerState * state)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMemory *mem = NULL;
  guint64 ino = 0;
  struct stat st;
  gchar *line;

  if (gst_buffer_n_memory (buf) > 0)
    mem = gst_buffer_peek_memory (buf, 0);
  if (mem && gst_is_fd_memory (mem) &&
      fstat (gst_fd_memory_get_fd (mem), &st) == 0)
    ino = st.st_ino;

  line = g_strdup_printf ("frame %" G_GUINT64_FORMAT " %08x %"
      G_GUINT64_FORMAT "\n", (guint64) GST_BUFFER_PTS (buf),
      fdpass_check_crc32_buffer (buf), ino);
  consumer_write (line);
  g_free (line);

  /* a slow consumer holds each frame that long before it is released */
  if (state->sleep_ms > 0)
    g_usleep (state->sleep_ms * G_TIME_SPAN_MILLISECOND);

  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
consumer_event_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY &&
      gst_event_has_name (event, RELEASE_CHANNEL_EVENT))
    consumer_write ("connected\n");

  return GST_PAD_PROBE_OK;
}

static guint64
stats_uint64 (GstElement * element, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 val = 0;

  g_object_get (element, "stats", &s, NULL);
  if (s) {
    gst_structure_get_uint64 (s, field, &val);
    gst_structure_free (s);
  }

  return val;
}

static gint
consumer_main (void)
{
  ConsumerState state = { 0, };
  const gchar *path = g_getenv (CONSUMER_ENV);
  GstElement *pipeline, *src, *depay;
  GstBus *bus;
  GstMessage *msg;
  GstPad *pad;
  GError *err = NULL;
  gchar *desc, *line;
  gint ret;

  gst_init (NULL, NULL);

  if (g_getenv (CONSUMER_SLEEP_ENV))
    state.sleep_ms = atoi (g_getenv (CONSUMER_SLEEP_ENV));

  if (g_getenv (CONSUMER_CONVERT_ENV)) {
    /* exactly what a user would type */
    desc = g_strdup_printf ("unixsocketsrc path=%s ! fddepay ! videoconvert "
        "! fakesink", path);
  } else {
    desc = g_strdup_printf ("unixsocketsrc path=%s reconnect=%s ! fddepay ! "
        "%s fakesink sync=false enable-last-sample=false", path,
        g_getenv (CONSUMER_RECONNECT_ENV) ? "true" : "false",
        g_getenv (CONSUMER_QUEUE_ENV) ? "queue max-size-buffers=1 !" : "");
  }
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (pipeline == NULL) {
    g_printerr ("consumer: %s\n", err ? err->message : "no pipeline");
    return 3;
  }
  g_clear_error (&err);

  src = find_element (pipeline, "unixsocketsrc");
  depay = find_element (pipeline, "fddepay");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      (GstPadProbeCallback) consumer_event_probe, NULL, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (depay, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) consumer_probe, &state, NULL);
  gst_object_unref (pad);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 2 * WAIT_SECONDS * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL) {
    consumer_write ("error timeout\n");
    ret = 2;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    line = g_strdup_printf ("error %s: %s\n", GST_MESSAGE_SRC_NAME (msg),
        err->message);
    consumer_write (line);
    g_free (line);
    g_clear_error (&err);
    ret = 1;
  } else {
    ret = 0;
  }
  gst_clear_message (&msg);
  gst_object_unref (bus);

  gst_element_set_state (pipeline, GST_STATE_NULL);

  if (ret == 0) {
    line = g_strdup_printf ("eos %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
        " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
        stats_uint64 (depay, "buffers"), stats_uint64 (depay,
            "unsealed-copies"), stats_uint64 (depay, "mappings-created"),
        stats_uint64 (src, "reconnects"));
    consumer_write (line);
    g_free (line);
  }

  gst_object_unref (src);
  gst_object_unref (depay);
  gst_object_unref (pipeline);

  return ret;
}

/* the producer */

typedef struct
{
  GstClockTime pts;
  guint32 crc;
  guint64 ino;
  guint index;
} Frame;

typedef struct
{
  GMutex lock;
  GCond cond;

  GstElement *pipeline;
  GstElement *pay;
  GstElement *sink;

  /* what went into fdpay, in order */
  GPtrArray *order;             /* Frame */
  GHashTable *frames;           /* pts -> Frame */
  guint n_duplicate_pts;
  guint n_message_errors;

  /* from the sink's signals */
  guint n_added;
  GArray *removed_ids;          /* guint, not counting "stopped" */
  GPtrArray *removed_reasons;   /* gchar * */
} Producer;

static GstPadProbeReturn
pay_sink_probe (GstPad * pad, GstPadProbeInfo * info, Producer * p)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  Frame *f = g_new0 (Frame, 1);

  f->pts = GST_BUFFER_PTS (buf);
  f->crc = fdpass_check_crc32_buffer (buf);

  g_mutex_lock (&p->lock);
  f->index = p->order->len;
  g_ptr_array_add (p->order, f);
  if (g_hash_table_contains (p->frames, &f->pts))
    p->n_duplicate_pts++;
  else
    g_hash_table_insert (p->frames, &f->pts, f);
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);

  return GST_PAD_PROBE_OK;
}

/* records the memfd each buffer message names */
static GstPadProbeReturn
pay_src_probe (GstPad * pad, GstPadProbeInfo * info, Producer * p)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstFdPassBufferInfo binfo;
  GstFdPassHeader header;
  GstMapInfo map;
  Frame *f;
  gboolean ok;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  ok = gst_fdpass_header_parse (map.data, map.size, &header, NULL);
  if (ok && header.type != GST_FDPASS_MESSAGE_BUFFER) {
    gst_buffer_unmap (buf, &map);
    return GST_PAD_PROBE_OK;
  }
  ok = ok && map.size == GST_FDPASS_HEADER_SIZE + header.payload_size;
  ok = ok && gst_fdpass_buffer_parse (&header,
      map.data + GST_FDPASS_HEADER_SIZE, header.payload_size, &binfo, NULL);
  gst_buffer_unmap (buf, &map);

  g_mutex_lock (&p->lock);
  f = ok ? g_hash_table_lookup (p->frames, &binfo.pts) : NULL;
  if (f && binfo.n_fds >= 1)
    f->ino = binfo.fds[0].ino;
  else
    p->n_message_errors++;
  g_mutex_unlock (&p->lock);

  return GST_PAD_PROBE_OK;
}

static void
client_added (GstElement * sink, guint id, Producer * p)
{
  g_mutex_lock (&p->lock);
  p->n_added++;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static void
client_removed (GstElement * sink, guint id, const gchar * reason, Producer * p)
{
  g_mutex_lock (&p->lock);
  if (g_strcmp0 (reason, "stopped") != 0) {
    g_array_append_val (p->removed_ids, id);
    g_ptr_array_add (p->removed_reasons, g_strdup (reason));
  }
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static Producer *
producer_new (const gchar * desc)
{
  Producer *p = g_new0 (Producer, 1);
  GError *err = NULL;
  GstPad *pad;

  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->order = g_ptr_array_new_with_free_func (g_free);
  p->frames = g_hash_table_new (g_int64_hash, g_int64_equal);
  p->removed_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  p->removed_reasons = g_ptr_array_new_with_free_func (g_free);

  p->pipeline = gst_parse_launch (desc, &err);
  fail_unless (p->pipeline != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "");
  fdpass_check_track_pipeline (p->pipeline);

  p->pay = find_element (p->pipeline, "fdpay");
  p->sink = find_element (p->pipeline, "unixsocketsink");
  fail_unless (p->pay != NULL && p->sink != NULL);

  pad = gst_element_get_static_pad (p->pay, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) pay_sink_probe, p, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (p->pay, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) pay_src_probe, p, NULL);
  gst_object_unref (pad);

  g_signal_connect (p->sink, "client-added", G_CALLBACK (client_added), p);
  g_signal_connect (p->sink, "client-removed", G_CALLBACK (client_removed), p);

  return p;
}

static void
producer_play (Producer * p)
{
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

static void
producer_assert_no_error (Producer * p)
{
  gchar *err = fdpass_check_pop_bus_error (p->pipeline);

  fail_if (err != NULL, "%s", err);
}

/* Takes the producer to NULL: the sink closes every connection. */
static void
producer_stop (Producer * p)
{
  producer_assert_no_error (p);
  fail_unless_equals_int (gst_element_set_state (p->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
}

/* Ends the producer's stream and stops it: its consumers get the EOS
 * message, which a sender that just goes away never sends. */
static void
producer_end (Producer * p)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg;

  gst_element_send_event (p->pipeline, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (bus, WAIT_SECONDS * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the producer did not end its stream");
  gst_message_unref (msg);
  gst_object_unref (bus);
  producer_stop (p);
}

static void
producer_free (Producer * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  fdpass_check_untrack_pipeline (p->pipeline);
  gst_object_unref (p->pay);
  gst_object_unref (p->sink);
  gst_object_unref (p->pipeline);
  g_hash_table_unref (p->frames);
  g_ptr_array_unref (p->order);
  g_array_unref (p->removed_ids);
  g_ptr_array_unref (p->removed_reasons);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
}

static guint
producer_n_frames (Producer * p)
{
  guint n;

  g_mutex_lock (&p->lock);
  n = p->order->len;
  g_mutex_unlock (&p->lock);

  return n;
}

/* Waits until @n frames went into fdpay. */
static void
producer_wait_frames (Producer * p, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  g_mutex_lock (&p->lock);
  while (p->order->len < n) {
    if (!g_cond_wait_until (&p->cond, &p->lock, end))
      break;
  }
  fail_unless (p->order->len >= n, "the producer is stuck at %u frames, "
      "waiting for %u", p->order->len, n);
  g_mutex_unlock (&p->lock);
}

static void
producer_wait_removed (Producer * p, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  g_mutex_lock (&p->lock);
  while (p->removed_ids->len < n) {
    if (!g_cond_wait_until (&p->cond, &p->lock, end))
      break;
  }
  fail_unless (p->removed_ids->len >= n, "%u clients removed, waiting for "
      "%u", p->removed_ids->len, n);
  g_mutex_unlock (&p->lock);
}

static Frame *
producer_lookup (Producer * p, GstClockTime pts)
{
  Frame *f;

  g_mutex_lock (&p->lock);
  f = g_hash_table_lookup (p->frames, &pts);
  g_mutex_unlock (&p->lock);

  return f;
}

static guint64
pay_stat (Producer * p, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 val = 0;

  g_object_get (p->pay, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &val),
      "no %s in %" GST_PTR_FORMAT, field, s);
  gst_structure_free (s);

  return val;
}

/* what the sink reports about one client */
typedef struct
{
  guint64 id;
  guint64 pending;
  guint64 sent;
  guint64 released;
  guint64 dropped;
  guint64 bytes;
} ClientStats;

static guint64
structure_get_number (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);

  fail_unless (v != NULL, "no %s in %" GST_PTR_FORMAT, field, s);
  switch (G_VALUE_TYPE (v)) {
    case G_TYPE_UINT:
      return g_value_get_uint (v);
    case G_TYPE_INT:
      return MAX (g_value_get_int (v), 0);
    case G_TYPE_UINT64:
      return g_value_get_uint64 (v);
    case G_TYPE_INT64:
      return MAX (g_value_get_int64 (v), 0);
    default:
      fail ("%s is a %s", field, G_VALUE_TYPE_NAME (v));
  }

  return 0;
}

/* The clients the sink has right now. */
static GArray *
sink_get_clients (Producer * p)
{
  GArray *clients = g_array_new (FALSE, TRUE, sizeof (ClientStats));
  GstStructure *s = NULL;
  const GValue *array;
  guint i, n;

  g_object_get (p->sink, "stats", &s, NULL);
  fail_unless (s != NULL);
  array = gst_structure_get_value (s, "clients");
  fail_unless (array != NULL && GST_VALUE_HOLDS_ARRAY (array),
      "no clients array in %" GST_PTR_FORMAT, s);

  n = gst_value_array_get_size (array);
  for (i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value (array, i);
    const GstStructure *cs;
    ClientStats c;

    fail_unless (GST_VALUE_HOLDS_STRUCTURE (v));
    cs = gst_value_get_structure (v);
    c.id = structure_get_number (cs, "id");
    c.pending = structure_get_number (cs, "pending");
    c.sent = structure_get_number (cs, "sent");
    c.released = structure_get_number (cs, "released");
    c.dropped = structure_get_number (cs, "dropped");
    c.bytes = structure_get_number (cs, "bytes");
    g_array_append_val (clients, c);
  }
  gst_structure_free (s);

  return clients;
}

static ClientStats *
find_client (GArray * clients, guint64 id)
{
  guint i;

  for (i = 0; i < clients->len; i++) {
    if (g_array_index (clients, ClientStats, i).id == id)
      return &g_array_index (clients, ClientStats, i);
  }

  return NULL;
}

/* Waits until the sink has @n clients and returns them. */
static GArray *
sink_wait_clients (Producer * p, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;
  GArray *clients;

  for (;;) {
    clients = sink_get_clients (p);
    if (clients->len == n)
      return clients;
    fail_unless (g_get_monotonic_time () < end, "the sink has %u clients, "
        "waiting for %u", clients->len, n);
    g_array_unref (clients);
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  }
}

/* the consumer processes, seen from the producer */

typedef struct
{
  GPid pid;
  gint result_fd;
  gboolean reaped;
  gint status;
} Consumer;

typedef struct
{
  GArray *frames;               /* Frame, only pts, crc and ino set */
  gboolean ended;
  gchar *error;
  guint64 buffers;
  guint64 unsealed_copies;
  guint64 mappings_created;
  guint64 reconnects;
  guint connections;
} Received;

static void
consumer_child_setup (gpointer user_data)
{
  /* never outlives a test that failed half-way */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
consumer_start (Consumer * c, const gchar * path, guint sleep_ms,
    gboolean reconnect, ConsumerKind kind)
{
  gint source_fds[1], target_fds[1] = { CONSUMER_RESULT_FD };
  gchar *argv[2] = { NULL, NULL };
  GError *err = NULL;
  gchar **envp;

  memset (c, 0, sizeof (Consumer));
  c->result_fd = memfd_create ("fdpass-test-results", MFD_CLOEXEC);
  fail_unless (c->result_fd >= 0);
  source_fds[0] = c->result_fd;

  argv[0] = g_file_read_link ("/proc/self/exe", &err);
  fail_unless (argv[0] != NULL, "%s", err ? err->message : "");

  envp = g_get_environ ();
  envp = g_environ_setenv (envp, CONSUMER_ENV, path, TRUE);
  envp = g_environ_unsetenv (envp, CONSUMER_SLEEP_ENV);
  envp = g_environ_unsetenv (envp, CONSUMER_RECONNECT_ENV);
  envp = g_environ_unsetenv (envp, CONSUMER_CONVERT_ENV);
  envp = g_environ_unsetenv (envp, CONSUMER_QUEUE_ENV);
  if (sleep_ms > 0) {
    gchar *val = g_strdup_printf ("%u", sleep_ms);

    envp = g_environ_setenv (envp, CONSUMER_SLEEP_ENV, val, TRUE);
    g_free (val);
  }
  if (reconnect)
    envp = g_environ_setenv (envp, CONSUMER_RECONNECT_ENV, "1", TRUE);
  if (kind == CONSUMER_CONVERT)
    envp = g_environ_setenv (envp, CONSUMER_CONVERT_ENV, "1", TRUE);
  else if (kind == CONSUMER_QUEUE)
    envp = g_environ_setenv (envp, CONSUMER_QUEUE_ENV, "1", TRUE);

  fail_unless (g_spawn_async_with_pipes_and_fds (NULL,
          (const gchar * const *) argv, (const gchar * const *) envp,
          G_SPAWN_DO_NOT_REAP_CHILD, consumer_child_setup, NULL, -1, -1, -1,
          source_fds, target_fds, 1, &c->pid, NULL, NULL, NULL, &err),
      "could not start a consumer: %s", err ? err->message : "");

  g_strfreev (envp);
  g_free (argv[0]);
}

static gchar *
consumer_read (Consumer * c)
{
  GString *s = g_string_new (NULL);
  gchar chunk[4096];
  off_t pos = 0;
  gssize n;

  while ((n = pread (c->result_fd, chunk, sizeof (chunk), pos)) > 0) {
    g_string_append_len (s, chunk, n);
    pos += n;
  }

  return g_string_free (s, FALSE);
}

static guint
consumer_n_frames (Consumer * c)
{
  gchar *results = consumer_read (c);
  const gchar *p = results;
  guint n = 0;

  while (p && *p) {
    if (g_str_has_prefix (p, "frame "))
      n++;
    p = strchr (p, '\n');
    if (p)
      p++;
  }
  g_free (results);

  return n;
}

/* Has the consumer's unixsocketsrc connected? */
static gboolean
consumer_connected (Consumer * c)
{
  gchar *results = consumer_read (c);
  gboolean ret = g_str_has_prefix (results, "connected\n") ||
      strstr (results, "\nconnected\n") != NULL;

  g_free (results);
  return ret;
}

static gboolean
consumer_poll_exit (Consumer * c)
{
  pid_t ret;

  if (c->reaped)
    return TRUE;

  ret = waitpid (c->pid, &c->status, WNOHANG);
  fail_unless (ret == 0 || ret == c->pid, "waitpid: %s", g_strerror (errno));
  if (ret == c->pid) {
    c->reaped = TRUE;
    g_spawn_close_pid (c->pid);
  }

  return c->reaped;
}

/* Waits until the consumer wrote @n frames; it must not exit before. */
static guint
consumer_wait_frames (Consumer * c, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;
  guint got;

  while ((got = consumer_n_frames (c)) < n) {
    if (consumer_poll_exit (c)) {
      gchar *results = consumer_read (c);

      gsize len = strlen (results);

      /* the end says why */
      fail ("the consumer exited (status 0x%x) after %u frames: %s",
          c->status, consumer_n_frames (c), len > 300 ? results + len - 300 :
          results);
      g_free (results);
    }
    fail_unless (g_get_monotonic_time () < end, "the consumer is stuck at "
        "%u frames, waiting for %u", got, n);
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  }

  return got;
}

/* Returns the wait status of the consumer. */
static gint
consumer_wait_exit (Consumer * c)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  while (!consumer_poll_exit (c)) {
    if (g_get_monotonic_time () > end) {
      kill (c->pid, SIGKILL);
      fail ("the consumer did not finish");
    }
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  }

  return c->status;
}

/* Waits until the consumer's source connected; it must not exit before. */
static void
consumer_wait_connected (Consumer * c)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  while (!consumer_connected (c)) {
    fail_if (consumer_poll_exit (c), "the consumer exited (status 0x%x) "
        "before it connected", c->status);
    fail_unless (g_get_monotonic_time () < end, "the consumer did not "
        "connect");
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  }
}

/* Waits for a consumer that ended its stream cleanly. */
static void
consumer_wait_eos (Consumer * c)
{
  gint status = consumer_wait_exit (c);
  gchar *results;

  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return;

  results = consumer_read (c);
  fail ("the consumer failed, wait status 0x%x, last output: %s", status,
      strlen (results) > 300 ? results + strlen (results) - 300 : results);
  g_free (results);
}

/* Waits for a consumer whose sender went away without ending the
 * stream, which unixsocketsrc reports as an error. */
static void
consumer_wait_vanished (Consumer * c)
{
  gint status = consumer_wait_exit (c);
  gchar *results = consumer_read (c);

  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 1 &&
      strstr (results, "without ending the stream") != NULL,
      "the consumer did not report the vanished sender, wait status 0x%x, "
      "last output: %s", status, strlen (results) > 300 ?
      results + strlen (results) - 300 : results);
  g_free (results);
}

static void
consumer_clear (Consumer * c)
{
  if (!c->reaped && c->pid > 0) {
    kill (c->pid, SIGKILL);
    waitpid (c->pid, &c->status, 0);
    g_spawn_close_pid (c->pid);
    c->reaped = TRUE;
  }
  if (c->result_fd >= 0)
    close (c->result_fd);
  c->result_fd = -1;
}

static void
received_clear (Received * r)
{
  g_array_unref (r->frames);
  g_free (r->error);
}

/* Parses what the consumer wrote. A consumer that was killed may have left
 * a line unfinished: it is ignored. */
static void
consumer_parse (Consumer * c, Received * r)
{
  gchar *results = consumer_read (c);
  gchar **lines = g_strsplit (results, "\n", -1);
  guint i, n_lines = g_strv_length (lines);

  memset (r, 0, sizeof (Received));
  r->frames = g_array_new (FALSE, TRUE, sizeof (Frame));

  /* the last piece follows the last newline: empty, or unfinished */
  for (i = 0; i + 1 < n_lines; i++) {
    const gchar *line = lines[i];
    gchar **f = g_strsplit (line, " ", -1);

    if (g_str_has_prefix (line, "frame ")) {
      Frame frame = { 0, };

      fail_unless_equals_int (g_strv_length (f), 4);
      frame.pts = g_ascii_strtoull (f[1], NULL, 10);
      frame.crc = g_ascii_strtoull (f[2], NULL, 16);
      frame.ino = g_ascii_strtoull (f[3], NULL, 10);
      fail_if (r->ended, "frame after the end: %s", line);
      g_array_append_val (r->frames, frame);
    } else if (g_str_has_prefix (line, "eos ")) {
      fail_unless_equals_int (g_strv_length (f), 5);
      r->ended = TRUE;
      r->buffers = g_ascii_strtoull (f[1], NULL, 10);
      r->unsealed_copies = g_ascii_strtoull (f[2], NULL, 10);
      r->mappings_created = g_ascii_strtoull (f[3], NULL, 10);
      r->reconnects = g_ascii_strtoull (f[4], NULL, 10);
    } else if (g_str_equal (line, "connected")) {
      r->connections++;
    } else if (g_str_has_prefix (line, "error ")) {
      r->error = g_strdup (line);
    } else {
      fail ("unexpected line from a consumer: %s", line);
    }
    g_strfreev (f);
  }

  g_strfreev (lines);
  g_free (results);
}

/* checks */

/* The frame the producer sent that @r is, if it sent it. */
static Frame *
producer_match (Producer * p, const Frame * r)
{
  Frame *s = producer_lookup (p, r->pts);

  if (s && s->crc == r->crc && s->ino == r->ino)
    return s;

  return NULL;
}

/* Every frame the consumer saw is one the producer sent, with the same
 * bytes, read from the same memfd. */
static void
check_received (Producer * p, Received * r, const gchar * who)
{
  guint i;

  g_mutex_lock (&p->lock);
  fail_unless_equals_int (p->n_message_errors, 0);
  fail_unless_equals_int (p->n_duplicate_pts, 0);
  g_mutex_unlock (&p->lock);

  for (i = 0; i < r->frames->len; i++) {
    Frame *f = &g_array_index (r->frames, Frame, i);
    Frame *s = producer_lookup (p, f->pts);

    fail_unless (s != NULL, "%s: frame %u, pts %" GST_TIME_FORMAT
        " was never sent", who, i, GST_TIME_ARGS (f->pts));
    fail_unless (f->crc == s->crc, "%s: frame %u (pts %" GST_TIME_FORMAT
        "): crc %08x, sent %08x", who, i, GST_TIME_ARGS (f->pts), f->crc,
        s->crc);
    fail_unless (f->ino != 0, "%s: frame %u is not fd memory", who, i);
    fail_unless (f->ino == s->ino, "%s: frame %u read from inode %"
        G_GUINT64_FORMAT ", sent in %" G_GUINT64_FORMAT, who, i, f->ino,
        s->ino);
  }
}

/* Returns how many frames the producer sent between the first and the last
 * one the consumer saw that the consumer did not see. */
static guint
count_gaps (Producer * p, Received * r, const gchar * who)
{
  guint i, gaps = 0;

  for (i = 1; i < r->frames->len; i++) {
    Frame *prev = producer_lookup (p, g_array_index (r->frames, Frame,
            i - 1).pts);
    Frame *cur = producer_lookup (p, g_array_index (r->frames, Frame,
            i).pts);

    fail_unless (prev && cur);
    fail_unless (cur->index > prev->index, "%s: frame %u (sent as %u) after "
        "%u", who, i, cur->index, prev->index);
    gaps += cur->index - prev->index - 1;
  }

  return gaps;
}

static guint
frame_index (Producer * p, Received * r, guint i)
{
  Frame *f = producer_lookup (p, g_array_index (r->frames, Frame, i).pts);

  fail_unless (f != NULL);
  return f->index;
}

/* Waits until the number of non-memfd fds is @n (threads of the sink may
 * close a socket a moment later) and returns it. */
static guint
wait_other_fds (guint n)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  guint other, memfd;

  for (;;) {
    fdpass_check_count_fds (&other, &memfd);
    if (other == n || g_get_monotonic_time () > end)
      return other;
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  }
}

/* Counts fds once the count has stopped moving: three equal readings in a
 * row, 20 ms apart (a thread of GLib or GStreamer may still be closing a
 * descriptor of its own, e.g. when a task ends). */
static void
count_settled_fds (guint * other, guint * memfd)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  guint same = 0, last_other = G_MAXUINT, last_memfd = G_MAXUINT;

  for (;;) {
    fdpass_check_count_fds (other, memfd);
    if (*other == last_other && *memfd == last_memfd)
      same++;
    else
      same = 1;
    if (same == 3 || g_get_monotonic_time () > end)
      return;
    last_other = *other;
    last_memfd = *memfd;
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  }
}

static guint64
rss_bytes (void)
{
  gchar *contents = NULL;
  guint64 resident = 0;
  gchar **f;

  fail_unless (g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL));
  f = g_strsplit (contents, " ", -1);
  fail_unless (g_strv_length (f) >= 2);
  resident = g_ascii_strtoull (f[1], NULL, 10) * sysconf (_SC_PAGESIZE);
  g_strfreev (f);
  g_free (contents);

  return resident;
}

/* One directory for the sockets of all tests, made and removed by main (),
 * so that nothing is left behind when a test fails half-way. */
static gchar *socket_dir;

typedef struct
{
  gchar *path;
} TestDir;

static void
test_dir_init (TestDir * d)
{
  fail_unless (socket_dir != NULL);
  /* each test runs in a process of its own */
  d->path = g_strdup_printf ("%s/%d.sock", socket_dir, (gint) getpid ());
}

static void
test_dir_clear (TestDir * d)
{
  g_unlink (d->path);
  g_free (d->path);
}

/* 1. The consumer sees the bytes the producer wrote, in the very memfds,
 * with the exact launch lines of the documentation, 4K frames. */
GST_START_TEST (test_checksums_4k)
{
  const guint8 check[] = "123456789";
  TestDir d;
  Producer *p;
  Consumer c;
  Received r;
  GArray *clients;
  GstBus *bus;
  GstMessage *msg;
  gchar *desc;
  guint i;

  /* the CRC itself, against the standard check value */
  fail_unless_equals_int (fdpass_check_crc32 (check, 9), 0xcbf43926);

  test_dir_init (&d);

  /* the consumer waits for the producer */
  consumer_start (&c, d.path, 0, FALSE, CONSUMER_CONVERT);

  /* the consumer converts each 4K frame, and under a sanitizer it can
   * fall max-pending frames behind: the sender waits for it instead of
   * dropping frames for it */
  desc = g_strdup_printf ("videotestsrc num-buffers=20 ! "
      "video/x-raw,width=3840,height=2160 ! fdpay ! "
      "unixsocketsink socket-path=%s slow-client-policy=block", d.path);
  p = producer_new (desc);
  g_free (desc);
  /* the sink listens from PAUSED on: let the consumer in before the first
   * frame, so that it gets all of them */
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  clients = sink_wait_clients (p, 1);
  g_array_unref (clients);
  producer_play (p);

  consumer_wait_eos (&c);

  bus = gst_element_get_bus (p->pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_SECONDS * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);

  fail_unless_equals_uint64 (pay_stat (p, "buffers"), 20);
  fail_unless_equals_uint64 (pay_stat (p, "copies"), 0);

  consumer_parse (&c, &r);
  fail_unless (r.ended);
  fail_unless_equals_int (r.frames->len, 20);
  fail_unless_equals_uint64 (r.buffers, 20);
  fail_unless_equals_uint64 (r.unsealed_copies, 0);
  check_received (p, &r, "consumer");
  for (i = 0; i < r.frames->len; i++)
    fail_unless_equals_int (frame_index (p, &r, i), i);
  GST_INFO ("4K: 20 frames, %" G_GUINT64_FORMAT " memfds created",
      pay_stat (p, "memfds-created"));

  producer_stop (p);
  producer_free (p);
  received_clear (&r);
  consumer_clear (&c);
  test_dir_clear (&d);
}

GST_END_TEST;

#define LIVE_PRODUCER "videotestsrc is-live=true pattern=ball ! " \
    LIVE_CAPS ",framerate=30/1 ! fdpay name=pay ! " \
    "unixsocketsink name=sink path=%s max-pending=%u slow-client-policy=%s"

/* 2. Two consumers, one of them stopped for a while. */
static void
check_stopped_consumer (gboolean disconnect)
{
  TestDir d;
  Producer *p;
  Consumer fast, slow;
  Received rf, rs;
  GArray *clients;
  ClientStats *cs;
  guint64 id_fast, id_slow, created, max_created = 0;
  guint64 max_slow_pending = 0, max_fast_pending = 0, slow_dropped = 0;
  guint64 fast_dropped = 0, dropped_after_resume = 0, dropped_at_end = 0;
  guint64 rss_before, rss_max = 0;
  guint n, stop_index, cont_index, gaps, n_samples = 0;
  gint64 end, min_end;
  gchar *desc;

  test_dir_init (&d);
  desc = g_strdup_printf (LIVE_PRODUCER, d.path, MAX_PENDING,
      disconnect ? "disconnect" : "drop");
  p = producer_new (desc);
  g_free (desc);
  producer_play (p);

  consumer_start (&fast, d.path, 0, FALSE, CONSUMER_FAKESINK);
  consumer_wait_frames (&fast, 10);
  clients = sink_wait_clients (p, 1);
  id_fast = g_array_index (clients, ClientStats, 0).id;
  g_array_unref (clients);

  /* slower, but it keeps up with 30 frames per second */
  consumer_start (&slow, d.path, 10, FALSE, CONSUMER_FAKESINK);
  consumer_wait_frames (&slow, 10);
  clients = sink_wait_clients (p, 2);
  id_slow = g_array_index (clients, ClientStats, 0).id == id_fast ?
      g_array_index (clients, ClientStats, 1).id :
      g_array_index (clients, ClientStats, 0).id;
  fail_unless (id_slow != id_fast);
  g_array_unref (clients);

  rss_before = rss_bytes ();

  fail_unless_equals_int (kill (slow.pid, SIGSTOP), 0);
  stop_index = producer_n_frames (p);

  /* for at least 1.5 s and 3 * max-pending frames, or until the sink
   * disconnected the stopped client */
  min_end = g_get_monotonic_time () + 1500 * G_TIME_SPAN_MILLISECOND;
  end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;
  for (;;) {
    gboolean removed;

    clients = sink_get_clients (p);
    if ((cs = find_client (clients, id_slow))) {
      max_slow_pending = MAX (max_slow_pending, cs->pending);
      slow_dropped = cs->dropped;
    }
    if ((cs = find_client (clients, id_fast))) {
      max_fast_pending = MAX (max_fast_pending, cs->pending);
      fast_dropped = cs->dropped;
    }
    fail_unless (find_client (clients, id_fast) != NULL);
    g_array_unref (clients);
    created = pay_stat (p, "memfds-created");
    max_created = MAX (max_created, created);
    rss_max = MAX (rss_max, rss_bytes ());
    n_samples++;

    g_mutex_lock (&p->lock);
    removed = p->removed_ids->len > 0;
    g_mutex_unlock (&p->lock);

    if (g_get_monotonic_time () > min_end &&
        producer_n_frames (p) > stop_index + 3 * MAX_PENDING &&
        (removed || !disconnect))
      break;
    fail_unless (g_get_monotonic_time () < end, "the stopped client was not "
        "disconnected");
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  }

  GST_INFO ("%s: %u samples, max pending %" G_GUINT64_FORMAT " (stopped) %"
      G_GUINT64_FORMAT " (fast), memfds-created max %" G_GUINT64_FORMAT
      ", stopped client dropped %" G_GUINT64_FORMAT ", rss +%" G_GINT64_FORMAT
      " kB", disconnect ? "disconnect" : "drop", n_samples, max_slow_pending,
      max_fast_pending, max_created, slow_dropped,
      ((gint64) rss_max - (gint64) rss_before) / 1024);

  /* bounded by max-pending, whatever the stopped client does */
  fail_unless (max_slow_pending <= MAX_PENDING, "the stopped client has %"
      G_GUINT64_FORMAT " frames pending", max_slow_pending);
  fail_unless (max_fast_pending <= MAX_PENDING);
  fail_unless (max_created <= MEMFD_BOUND, "%" G_GUINT64_FORMAT
      " memfds created", max_created);
  fail_unless (rss_max < rss_before + 64 * 1024 * 1024);
  /* the fast one loses nothing */
  fail_unless_equals_uint64 (fast_dropped, 0);

  if (disconnect) {
    g_mutex_lock (&p->lock);
    fail_unless_equals_int (p->removed_ids->len, 1);
    fail_unless_equals_int (g_array_index (p->removed_ids, guint, 0), id_slow);
    fail_unless_equals_string (g_ptr_array_index (p->removed_reasons, 0),
        "slow");
    g_mutex_unlock (&p->lock);
    clients = sink_get_clients (p);
    fail_unless_equals_int (clients->len, 1);
    g_array_unref (clients);
    /* the fast one goes on */
    n = consumer_n_frames (&fast);
    consumer_wait_frames (&fast, n + 15);
  } else {
    /* the stopped client did hit the limit, and frames were dropped */
    fail_unless (max_slow_pending > 0);
    fail_unless (slow_dropped > 0);
  }

  fail_unless_equals_int (kill (slow.pid, SIGCONT), 0);
  cont_index = producer_n_frames (p);

  if (disconnect) {
    /* it reads what was sent before, then the end of the connection,
     * without an EOS message */
    consumer_wait_vanished (&slow);
  } else {
    /* it resumes: the frames it held, then new ones */
    n = consumer_n_frames (&slow);
    consumer_wait_frames (&slow, n + MAX_PENDING + 20);
    clients = sink_get_clients (p);
    cs = find_client (clients, id_slow);
    fail_unless (cs != NULL);
    dropped_after_resume = cs->dropped;
    g_array_unref (clients);
    n = consumer_n_frames (&slow);
    consumer_wait_frames (&slow, n + 5);
  }

  clients = sink_get_clients (p);
  if ((cs = find_client (clients, id_slow)))
    dropped_at_end = cs->dropped;
  cs = find_client (clients, id_fast);
  fail_unless (cs != NULL);
  fail_unless_equals_uint64 (cs->dropped, 0);
  g_array_unref (clients);

  producer_end (p);
  consumer_wait_eos (&fast);
  if (!disconnect)
    consumer_wait_eos (&slow);

  consumer_parse (&fast, &rf);
  consumer_parse (&slow, &rs);
  fail_unless (rf.ended && (rs.ended || disconnect));
  check_received (p, &rf, "fast consumer");
  /* the sink disconnected the slow client, but the client is alive and
   * still reads the messages queued in its socket: the frames it was sent
   * must not be reused before it closes its end, or it would map memfds
   * that hold newer frames (a CRC mismatch after SIGCONT) */
  check_received (p, &rs, "slow consumer");

  /* the fast consumer saw every frame from before the stop to after the
   * end of it */
  fail_unless_equals_int (count_gaps (p, &rf, "fast consumer"), 0);
  fail_unless (frame_index (p, &rf, 0) < stop_index);
  fail_unless (frame_index (p, &rf, rf.frames->len - 1) >= cont_index);

  gaps = count_gaps (p, &rs, "slow consumer");
  GST_INFO ("fast consumer: %u frames; slow consumer: %u frames, %u missing, "
      "dropped %" G_GUINT64_FORMAT " .. %" G_GUINT64_FORMAT, rf.frames->len,
      rs.frames->len, gaps, dropped_after_resume, dropped_at_end);
  if (!disconnect) {
    /* it got frames again after the stop; what it missed in between is
     * what the sink counted as dropped */
    fail_unless (frame_index (p, &rs, rs.frames->len - 1) > cont_index);
    fail_unless (gaps > 0);
    fail_unless (gaps >= dropped_after_resume, "%u frames missing, %"
        G_GUINT64_FORMAT " dropped", gaps, dropped_after_resume);
    fail_unless (gaps <= dropped_at_end, "%u frames missing, %"
        G_GUINT64_FORMAT " dropped", gaps, dropped_at_end);
  } else {
    /* whatever it got before the disconnection has no holes either: the
     * sink sends a client everything or disconnects it */
    fail_unless_equals_int (gaps, 0);
  }

  producer_free (p);
  received_clear (&rf);
  received_clear (&rs);
  consumer_clear (&fast);
  consumer_clear (&slow);
  test_dir_clear (&d);
}

GST_START_TEST (test_stopped_consumer_drop)
{
  check_stopped_consumer (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_stopped_consumer_disconnect)
{
  check_stopped_consumer (TRUE);
}

GST_END_TEST;

/* 3. A consumer killed mid-stream, with frames pending. */
GST_START_TEST (test_consumer_killed)
{
  TestDir d;
  Producer *p;
  Consumer fast, victim;
  Received rf, rv;
  GArray *clients;
  ClientStats *cs;
  GstState state;
  guint64 id_fast, id_victim, created, buffers, pending = 0;
  guint other_before, other_after, memfd_before, memfd_after, n;
  gint64 end;
  gint status;
  gchar *desc;

  test_dir_init (&d);
  desc = g_strdup_printf (LIVE_PRODUCER, d.path, MAX_PENDING, "drop");
  p = producer_new (desc);
  g_free (desc);
  producer_play (p);

  consumer_start (&fast, d.path, 0, FALSE, CONSUMER_FAKESINK);
  consumer_wait_frames (&fast, 10);
  clients = sink_wait_clients (p, 1);
  id_fast = g_array_index (clients, ClientStats, 0).id;
  g_array_unref (clients);

  fdpass_check_count_fds (&other_before, &memfd_before);

  consumer_start (&victim, d.path, 0, FALSE, CONSUMER_FAKESINK);
  consumer_wait_frames (&victim, 10);
  clients = sink_wait_clients (p, 2);
  id_victim = g_array_index (clients, ClientStats, 0).id == id_fast ?
      g_array_index (clients, ClientStats, 1).id :
      g_array_index (clients, ClientStats, 0).id;
  g_array_unref (clients);

  /* let it hold frames when it dies */
  fail_unless_equals_int (kill (victim.pid, SIGSTOP), 0);
  end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;
  while (pending < MAX_PENDING / 2) {
    fail_unless (g_get_monotonic_time () < end);
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
    clients = sink_get_clients (p);
    cs = find_client (clients, id_victim);
    fail_unless (cs != NULL);
    pending = cs->pending;
    g_array_unref (clients);
  }
  fail_unless_equals_int (kill (victim.pid, SIGKILL), 0);
  status = consumer_wait_exit (&victim);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  producer_wait_removed (p, 1);
  g_mutex_lock (&p->lock);
  fail_unless_equals_int (g_array_index (p->removed_ids, guint, 0), id_victim);
  g_mutex_unlock (&p->lock);
  clients = sink_get_clients (p);
  fail_unless_equals_int (clients->len, 1);
  fail_unless (find_client (clients, id_fast) != NULL);
  g_array_unref (clients);

  /* the producer keeps streaming ... */
  buffers = pay_stat (p, "buffers");
  /* fdpay counts a buffer once it is done with it: when the next one
   * comes in */
  producer_wait_frames (p, producer_n_frames (p) + 31);
  fail_unless (pay_stat (p, "buffers") >= buffers + 30);
  /* ... and the frames the dead client held are free again: no new memfd
   * from now on */
  created = pay_stat (p, "memfds-created");
  producer_wait_frames (p, producer_n_frames (p) + 60);
  fail_unless_equals_uint64 (pay_stat (p, "memfds-created"), created);
  fail_unless (created <= MEMFD_BOUND);

  producer_assert_no_error (p);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, &state, NULL,
          0), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);

  /* the connection is closed; the memfds open are those of the frames in
   * the pool and in flight */
  other_after = wait_other_fds (other_before);
  fdpass_check_count_fds (&other_after, &memfd_after);
  GST_INFO ("fds before %u + %u memfds, after %u + %u memfds, %"
      G_GUINT64_FORMAT " memfds created, %" G_GUINT64_FORMAT " pending at "
      "the kill", other_before, memfd_before, other_after, memfd_after,
      created, pending);
  fail_unless_equals_int (other_after, other_before);
  fail_unless (memfd_after <= created + MAX_PENDING, "%u memfds open, %"
      G_GUINT64_FORMAT " created", memfd_after, created);

  n = consumer_n_frames (&fast);
  consumer_wait_frames (&fast, n + 10);
  producer_end (p);
  consumer_wait_eos (&fast);

  consumer_parse (&fast, &rf);
  consumer_parse (&victim, &rv);
  fail_unless (rf.ended);
  fail_if (rv.ended);
  check_received (p, &rf, "fast consumer");
  check_received (p, &rv, "killed consumer");
  fail_unless_equals_int (count_gaps (p, &rf, "fast consumer"), 0);

  producer_free (p);
  received_clear (&rf);
  received_clear (&rv);
  consumer_clear (&fast);
  consumer_clear (&victim);
  test_dir_clear (&d);
}

GST_END_TEST;

/* 4. The consumer starts first and stays while the producer restarts. */
GST_START_TEST (test_consumer_first_and_producer_restart)
{
  TestDir d;
  Producer *p1, *p2;
  Consumer c;
  Received r;
  GstBus *bus;
  GstMessage *msg;
  guint i, n, n_run1 = 0, n_run2 = 0;
  gchar *desc;

  test_dir_init (&d);
  desc = g_strdup_printf (LIVE_PRODUCER, d.path, MAX_PENDING, "drop");

  consumer_start (&c, d.path, 0, TRUE, CONSUMER_FAKESINK);
  /* nobody listens yet: it keeps trying */
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  fail_if (consumer_poll_exit (&c), "the consumer gave up, status 0x%x",
      c.status);
  fail_unless_equals_int (consumer_n_frames (&c), 0);

  p1 = producer_new (desc);
  producer_play (p1);
  n = consumer_wait_frames (&c, 10);

  /* the sink removes its socket when it stops */
  producer_stop (p1);
  fail_if (g_file_test (d.path, G_FILE_TEST_EXISTS));
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  fail_if (consumer_poll_exit (&c), "the consumer ended with its producer, "
      "status 0x%x", c.status);

  p2 = producer_new (desc);
  producer_play (p2);
  consumer_wait_frames (&c, consumer_n_frames (&c) + 20);

  /* an EOS goes through to the consumer, which then ends */
  gst_element_send_event (p2->pipeline, gst_event_new_eos ());
  consumer_wait_eos (&c);
  bus = gst_element_get_bus (p2->pipeline);
  msg = gst_bus_timed_pop_filtered (bus, WAIT_SECONDS * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  producer_stop (p2);

  consumer_parse (&c, &r);
  fail_unless (r.ended);
  fail_unless (r.reconnects >= 1);
  /* every frame is one of the first run, then one of the second */
  for (i = 0; i < r.frames->len; i++) {
    Frame *f = &g_array_index (r.frames, Frame, i);

    if (n_run2 == 0 && producer_match (p1, f)) {
      n_run1++;
    } else {
      fail_unless (producer_match (p2, f) != NULL, "frame %u (pts %"
          GST_TIME_FORMAT ", crc %08x, inode %" G_GUINT64_FORMAT ") is from "
          "neither run", i, GST_TIME_ARGS (f->pts), f->crc, f->ino);
      n_run2++;
    }
  }
  GST_INFO ("%u frames of the first run, %u of the second, %"
      G_GUINT64_FORMAT " reconnects", n_run1, n_run2, r.reconnects);
  fail_unless (n_run1 >= n);
  fail_unless (n_run2 >= 20);

  producer_free (p1);
  producer_free (p2);
  g_free (desc);
  received_clear (&r);
  consumer_clear (&c);
  test_dir_clear (&d);
}

GST_END_TEST;

/* 4b. Consumers waiting before the producer starts get every frame. */

static guint64
sink_stat (Producer * p, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 val = 0;

  g_object_get (p->sink, "stats", &s, NULL);
  fail_unless (s != NULL);
  val = structure_get_number (s, field);
  gst_structure_free (s);

  return val;
}

static void
producer_wait_eos (Producer * p)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg;

  msg = gst_bus_timed_pop_filtered (bus, WAIT_SECONDS * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
}

/* Every frame the producer made has its own bytes, so that a frame seen
 * by a consumer names exactly one of them. */
static void
check_distinct_frames (Producer * p, guint n)
{
  guint i, j;

  g_mutex_lock (&p->lock);
  fail_unless_equals_int (p->order->len, n);
  for (i = 0; i < n; i++) {
    Frame *a = g_ptr_array_index (p->order, i);

    for (j = i + 1; j < n; j++) {
      Frame *b = g_ptr_array_index (p->order, j);

      fail_if (a->crc == b->crc, "frames %u and %u are the same", i, j);
    }
  }
  g_mutex_unlock (&p->lock);
}

/* Each consumer got the @n frames, in order, from frame 0 on. */
static void
check_every_frame (Producer * p, Consumer * c, guint n, const gchar * who)
{
  Received r;
  guint i;

  consumer_parse (c, &r);
  fail_unless (r.ended, "%s did not end its stream", who);
  fail_unless_equals_int (r.connections, 1);
  fail_unless (r.frames->len == n, "%s got %u of %u frames", who,
      r.frames->len, n);
  check_received (p, &r, who);
  for (i = 0; i < n; i++)
    fail_unless_equals_int (frame_index (p, &r, i), i);
  fail_unless_equals_uint64 (g_array_index (r.frames, Frame, 0).pts, 0);
  received_clear (&r);
}

/* max-pending covers all the frames: a consumer the machine starves for a
 * while is not dropped frames, which is not what these tests are about */
#define WAITING_PRODUCER "videotestsrc num-buffers=%u pattern=snow ! " \
    LIVE_CAPS ",framerate=30/1 ! fdpay name=pay ! " \
    "unixsocketsink name=sink path=%s max-pending=64"

/* The first consumer starts before the producer exists and retries. With
 * @n_consumers > 1, the sink's I/O thread is held once it accepted the
 * first, and the others connect while the producer is in PAUSED: they
 * wait in the listen backlog when the first frame is rendered. */
static void
check_waiting_consumers (guint n_consumers, guint n_frames)
{
  Consumer c[3];
  FdPassCheckGate g;
  TestDir d;
  Producer *p;
  gchar *desc, *who;
  guint i;

  fail_unless (n_consumers <= G_N_ELEMENTS (c));
  fdpass_check_gate_init (&g);
  test_dir_init (&d);

  consumer_start (&c[0], d.path, 0, FALSE, CONSUMER_FAKESINK);
  desc = g_strdup_printf (WAITING_PRODUCER, n_frames, d.path);
  p = producer_new (desc);
  g_free (desc);
  if (n_consumers > 1)
    g_signal_connect (p->sink, "client-added",
        G_CALLBACK (fdpass_check_gate_client_added), &g);

  /* the sink listens from PAUSED on */
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  consumer_wait_connected (&c[0]);
  if (n_consumers > 1) {
    fail_unless (fdpass_check_gate_wait_entered (&g,
            WAIT_SECONDS * G_TIME_SPAN_SECOND), "no client was accepted");
    for (i = 1; i < n_consumers; i++)
      consumer_start (&c[i], d.path, 0, FALSE, CONSUMER_FAKESINK);
    for (i = 1; i < n_consumers; i++)
      consumer_wait_connected (&c[i]);
  }

  producer_play (p);
  /* nobody is accepted by the I/O thread meanwhile */
  for (i = 0; i < n_consumers; i++)
    consumer_wait_frames (&c[i], 1);
  fdpass_check_gate_open (&g);

  for (i = 0; i < n_consumers; i++)
    consumer_wait_eos (&c[i]);
  producer_wait_eos (p);
  check_distinct_frames (p, n_frames);

  for (i = 0; i < n_consumers; i++) {
    who = g_strdup_printf ("consumer %u", i);
    check_every_frame (p, &c[i], n_frames, who);
    g_free (who);
  }
  fail_unless_equals_uint64 (sink_stat (p, "frames"), n_frames);
  fail_unless_equals_uint64 (sink_stat (p, "sent"), n_consumers * n_frames);
  fail_unless_equals_uint64 (sink_stat (p, "dropped"), 0);
  fail_unless_equals_uint64 (sink_stat (p, "clients-added"), n_consumers);

  producer_stop (p);
  producer_free (p);
  for (i = 0; i < n_consumers; i++)
    consumer_clear (&c[i]);
  test_dir_clear (&d);
  fdpass_check_gate_clear (&g);
}

GST_START_TEST (test_waiting_consumers_every_frame)
{
  check_waiting_consumers (3, 30);
}

GST_END_TEST;

GST_START_TEST (test_waiting_consumer_every_frame)
{
  check_waiting_consumers (1, 5);
}

GST_END_TEST;

/* With wait-for-connection, the producer holds its first frame until a
 * consumer comes, which then gets everything from frame 0 on. */
GST_START_TEST (test_wait_for_connection)
{
  TestDir d;
  Producer *p;
  Consumer c;
  GstState state;
  gchar *desc;

  test_dir_init (&d);
  desc = g_strdup_printf (WAITING_PRODUCER " wait-for-connection=true", 10,
      d.path);
  p = producer_new (desc);
  g_free (desc);
  producer_play (p);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, &state, NULL,
          WAIT_SECONDS * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);
  producer_wait_frames (p, 1);
  /* nobody for a while: the first frame waits */
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  fail_unless_equals_uint64 (sink_stat (p, "frames"), 0);

  consumer_start (&c, d.path, 0, FALSE, CONSUMER_FAKESINK);
  consumer_wait_eos (&c);
  producer_wait_eos (p);
  check_distinct_frames (p, 10);
  check_every_frame (p, &c, 10, "consumer");
  fail_unless_equals_uint64 (sink_stat (p, "dropped"), 0);

  producer_stop (p);
  producer_free (p);
  consumer_clear (&c);
  test_dir_clear (&d);
}

GST_END_TEST;

/* A producer waiting for its first consumer stops at once. */
GST_START_TEST (test_wait_for_connection_stop)
{
  TestDir d;
  Producer *p;
  GstState state;
  gchar *desc;

  test_dir_init (&d);
  desc = g_strdup_printf (WAITING_PRODUCER " wait-for-connection=true", 10,
      d.path);
  p = producer_new (desc);
  g_free (desc);
  producer_play (p);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, &state, NULL,
          WAIT_SECONDS * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  producer_wait_frames (p, 1);

  producer_stop (p);
  fail_unless_equals_uint64 (sink_stat (p, "frames"), 0);
  fail_if (g_file_test (d.path, G_FILE_TEST_EXISTS));

  producer_free (p);
  test_dir_clear (&d);
}

GST_END_TEST;

/* 5. Clients coming and going. */

static guint8 *raw_scratch;

static void
raw_send (gint sock, GstBuffer * msg)
{
  GstMapInfo map;
  gssize ret;

  gst_buffer_map (msg, &map, GST_MAP_READ);
  ret = send (sock, map.data, map.size, MSG_NOSIGNAL);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
  /* the sink may have closed its end already; that is fine */
  fail_unless (ret >= 0 || errno == EPIPE || errno == ECONNRESET,
      "send: %s", g_strerror (errno));
}

/* Connects, reads HELLO, CAPS and one frame and goes away. Every other
 * client announces releases, every fourth releases its frame. */
static void
raw_client_cycle (const gchar * path, guint cycle)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, GST_FDPASS_FEATURE_RELEASE
  };
  struct sockaddr_un addr;
  guint n_messages = 0;
  gboolean got_frame = FALSE;
  gint sock;

  sock = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  fail_unless (sock >= 0);
  memset (&addr, 0, sizeof (addr));
  addr.sun_family = AF_UNIX;
  g_strlcpy (addr.sun_path, path, sizeof (addr.sun_path));
  fail_unless_equals_int (connect (sock, (struct sockaddr *) &addr,
          sizeof (addr)), 0);

  if (cycle % 2 == 0)
    raw_send (sock, gst_fdpass_message_new_hello (&hello));

  while (!got_frame) {
    union
    {
      struct cmsghdr hdr;
      gchar buf[CMSG_SPACE (GST_FDPASS_MAX_FDS * sizeof (gint))];
    }
    control;
    struct pollfd pfd = { sock, POLLIN, 0 };
    GstFdPassHeader header;
    struct cmsghdr *cmsg;
    struct msghdr msg;
    struct iovec iov;
    gssize n;

    fail_unless (poll (&pfd, 1, WAIT_SECONDS * 1000) == 1, "cycle %u: "
        "nothing from the sink", cycle);

    iov.iov_base = raw_scratch;
    iov.iov_len = GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD;
    memset (&msg, 0, sizeof (msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof (control.buf);
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
    fail_unless (n > 0, "cycle %u: recvmsg returned %" G_GSSIZE_FORMAT ": %s",
        cycle, n, n < 0 ? g_strerror (errno) : "closed");

    /* the frame's fds: this process is the producer too, close them */
    for (cmsg = CMSG_FIRSTHDR (&msg); cmsg; cmsg = CMSG_NXTHDR (&msg, cmsg)) {
      guint i, count;

      if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
        continue;
      count = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint);
      for (i = 0; i < count; i++) {
        gint fd;

        memcpy (&fd, CMSG_DATA (cmsg) + i * sizeof (gint), sizeof (gint));
        close (fd);
      }
    }

    fail_unless (gst_fdpass_header_parse (raw_scratch, n, &header, NULL));
    if (n_messages == 0)
      fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_HELLO);
    if (n_messages == 1)
      fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_CAPS);
    n_messages++;

    if (header.type == GST_FDPASS_MESSAGE_BUFFER) {
      GstFdPassBufferInfo info;

      fail_unless (n_messages > 2);
      fail_unless (gst_fdpass_buffer_parse (&header,
              raw_scratch + GST_FDPASS_HEADER_SIZE, header.payload_size, &info,
              NULL));
      if (cycle % 4 == 0)
        raw_send (sock, gst_fdpass_message_new_release (&info.id, 1));
      got_frame = TRUE;
    }
  }

  close (sock);
}

static void
count_handoff (GstElement * fakesink, GstBuffer * buf, GstPad * pad, gint * n)
{
  g_atomic_int_inc (n);
}

/* A whole unixsocketsrc pipeline in this process connects, gets two frames
 * and stops. */
static void
pipeline_client_cycle (const gchar * path)
{
  GstElement *pipeline, *fakesink;
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;
  gint n_handoffs = 0;
  gchar *desc;

  desc = g_strdup_printf ("unixsocketsrc path=%s ! fddepay ! fakesink "
      "name=fakesink sync=false enable-last-sample=false "
      "signal-handoffs=true", path);
  pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  fdpass_check_track_pipeline (pipeline);
  fakesink = gst_bin_get_by_name (GST_BIN (pipeline), "fakesink");
  g_signal_connect (fakesink, "handoff", G_CALLBACK (count_handoff),
      &n_handoffs);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  while (g_atomic_int_get (&n_handoffs) < 2) {
    fail_unless (g_get_monotonic_time () < end);
    g_usleep (G_TIME_SPAN_MILLISECOND);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fdpass_check_untrack_pipeline (pipeline);
  gst_object_unref (fakesink);
  gst_object_unref (pipeline);
}

static void
client_cycle (const gchar * path, guint cycle)
{
  if (cycle % 50 == 25)
    pipeline_client_cycle (path);
  else
    raw_client_cycle (path, cycle);
}

static void
wait_no_clients (Producer * p)
{
  GArray *clients = sink_wait_clients (p, 0);

  g_array_unref (clients);
}

#define N_CYCLES 1000
#define N_WARMUP_CYCLES 50

GST_START_TEST (test_connect_disconnect_cycles)
{
  TestDir d;
  Producer *p;
  guint64 created_before, created_after, rss_before, rss_after;
  guint other_before, memfd_before, other_after, memfd_after, i;
  gchar *desc;

  raw_scratch = g_malloc (GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD);

  test_dir_init (&d);
  desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,format=I420,width=64,height=48,framerate=500/1 ! "
      "fdpay name=pay ! unixsocketsink name=sink path=%s max-pending=%u",
      d.path, MAX_PENDING);
  p = producer_new (desc);
  g_free (desc);
  producer_play (p);

  for (i = 0; i < N_WARMUP_CYCLES; i++)
    client_cycle (d.path, i);
  wait_no_clients (p);
  count_settled_fds (&other_before, &memfd_before);
  created_before = pay_stat (p, "memfds-created");
  rss_before = rss_bytes ();

  for (; i < N_CYCLES; i++)
    client_cycle (d.path, i);
  wait_no_clients (p);

  other_after = wait_other_fds (other_before);
  fdpass_check_count_fds (&other_after, &memfd_after);
  created_after = pay_stat (p, "memfds-created");
  rss_after = rss_bytes ();
  GST_INFO ("after %u cycles: fds %u -> %u, memfds open %u -> %u, created %"
      G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT ", rss %" G_GUINT64_FORMAT
      " -> %" G_GUINT64_FORMAT " kB", N_CYCLES, other_before, other_after,
      memfd_before, memfd_after, created_before, created_after,
      rss_before / 1024, rss_after / 1024);

  /* the frames a client held when it left are its own: the producer made
   * new memfds for them (created_after grows), but keeps none of them
   * open */
  fail_unless_equals_int (other_after, other_before);
  fail_unless (created_after >= created_before);
  fail_unless (memfd_after <= memfd_before + MAX_PENDING);
  fail_unless (rss_after < rss_before + 32 * 1024 * 1024);
  producer_assert_no_error (p);

  producer_stop (p);
  producer_free (p);
  test_dir_clear (&d);
  g_clear_pointer (&raw_scratch, g_free);
}

GST_END_TEST;

/* 6. With one consumer releasing promptly, the producer needs no new memfd
 * once warmed up.
 *
 * The source is not live and the sink blocks with max-pending=1: upstream
 * makes frame n+1 while the consumer has frame n and then waits for its
 * release, so at most two frames are in flight whatever the scheduler does
 * and both exist after a few frames. That makes "not a single new memfd"
 * an exact check. With a live source and the drop policy, a consumer that
 * is late once needs a frame more, once. */
static void
check_steady_state (const gchar * upstream, gboolean copied,
    ConsumerKind consumer)
{
  TestDir d;
  Producer *p;
  Consumer c;
  Received r;
  GArray *clients;
  guint64 created_before, created_after, reused_before, reused_after;
  guint64 copies, zero_copy;
  guint n;
  gchar *desc;

  test_dir_init (&d);
  consumer_start (&c, d.path, 0, FALSE, consumer);

  desc = g_strdup_printf ("%s ! fdpay name=pay ! unixsocketsink name=sink "
      "path=%s max-pending=1 slow-client-policy=block", upstream, d.path);
  p = producer_new (desc);
  g_free (desc);
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  clients = sink_wait_clients (p, 1);
  g_array_unref (clients);
  producer_play (p);

  consumer_wait_frames (&c, 30);
  created_before = pay_stat (p, "memfds-created");
  reused_before = pay_stat (p, "memfds-reused");
  n = producer_n_frames (p);
  producer_wait_frames (p, n + 200);
  created_after = pay_stat (p, "memfds-created");
  reused_after = pay_stat (p, "memfds-reused");
  copies = pay_stat (p, "copies");
  zero_copy = pay_stat (p, "zero-copy-buffers");

  producer_end (p);
  consumer_wait_eos (&c);
  consumer_parse (&c, &r);
  check_received (p, &r, "consumer");
  /* the block policy loses nothing, from the very first frame */
  fail_unless_equals_int (count_gaps (p, &r, "consumer"), 0);
  fail_unless_equals_int (frame_index (p, &r, 0), 0);
  fail_unless (r.frames->len >= 200);

  GST_INFO ("%s: memfds-created %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
      ", reused %" G_GUINT64_FORMAT ", copies %" G_GUINT64_FORMAT
      ", zero-copy %" G_GUINT64_FORMAT "; consumer mapped %" G_GUINT64_FORMAT
      " files for %u frames", upstream, created_before, created_after,
      pay_stat (p, "memfds-reused"), copies, zero_copy, r.mappings_created,
      r.frames->len);

  fail_unless_equals_uint64 (created_after, created_before);
  /* no new memfd: every frame of these 200 went out in a recycled one
   * (the last one counted may still be in fdpay) */
  fail_unless (reused_after - reused_before >= 199, "%" G_GUINT64_FORMAT
      " reuses for 200 frames", reused_after - reused_before);
  if (copied) {
    fail_unless (copies > 0);
  } else {
    fail_unless_equals_uint64 (copies, 0);
    fail_unless (zero_copy > 0);
  }
  /* the consumer maps each file once and reuses the mapping */
  fail_unless_equals_uint64 (r.unsealed_copies, 0);
  fail_unless (r.mappings_created <= created_after, "%" G_GUINT64_FORMAT
      " files mapped, %" G_GUINT64_FORMAT " created", r.mappings_created,
      created_after);

  producer_free (p);
  received_clear (&r);
  consumer_clear (&c);
  test_dir_clear (&d);
}

#define STEADY_SOURCE "videotestsrc pattern=ball ! " LIVE_CAPS \
    ",framerate=60/1"

/* videotestsrc draws into the pool fdpay proposes */
GST_START_TEST (test_steady_state_pool)
{
  check_steady_state (STEADY_SOURCE, FALSE, CONSUMER_FAKESINK);
}

GST_END_TEST;

/* The consumer frees each frame in a queue's thread, not in the thread of
 * unixsocketsrc, which may be waiting for the next message: the release
 * must wake it. With max-pending=1 and the block policy a release that is
 * not sent stalls the stream (the producer waits for it). */
GST_START_TEST (test_steady_state_queue)
{
  check_steady_state (STEADY_SOURCE, FALSE, CONSUMER_QUEUE);
}

GST_END_TEST;

/* memory that is not fd-backed is copied into memfds of fdpay's own */
GST_START_TEST (test_steady_state_copy)
{
  check_steady_state ("videotestsrc pattern=ball ! "
      "video/x-raw,format=YUY2,width=320,height=240,framerate=60/1 ! "
      "videoconvert ! " LIVE_CAPS " ! identity drop-allocation=true", TRUE,
      CONSUMER_FAKESINK);
}

GST_END_TEST;

/* a decoder writes into the pool fdpay proposes */
GST_START_TEST (test_steady_state_decoder)
{
  if (!fdpass_check_have_elements ("x264enc", "h264parse", "avdec_h264",
          NULL)) {
    GST_WARNING ("skipping, x264enc, h264parse or avdec_h264 missing");
    return;
  }

  check_steady_state (STEADY_SOURCE " ! x264enc tune=zerolatency "
      "speed-preset=ultrafast ! h264parse ! avdec_h264", FALSE,
      CONSUMER_FAKESINK);
}

GST_END_TEST;

static Suite *
unixsocket_suite (void)
{
  Suite *s = suite_create ("unixsocket");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_checked_fixture (tc_chain, NULL, fdpass_check_stop_pipelines);
  tcase_add_test (tc_chain, test_checksums_4k);
  tcase_add_test (tc_chain, test_stopped_consumer_drop);
  tcase_add_test (tc_chain, test_stopped_consumer_disconnect);
  tcase_add_test (tc_chain, test_consumer_killed);
  tcase_add_test (tc_chain, test_consumer_first_and_producer_restart);
  tcase_add_test (tc_chain, test_waiting_consumers_every_frame);
  tcase_add_test (tc_chain, test_waiting_consumer_every_frame);
  tcase_add_test (tc_chain, test_wait_for_connection);
  tcase_add_test (tc_chain, test_wait_for_connection_stop);
  tcase_add_test (tc_chain, test_connect_disconnect_cycles);
  tcase_add_test (tc_chain, test_steady_state_pool);
  tcase_add_test (tc_chain, test_steady_state_queue);
  tcase_add_test (tc_chain, test_steady_state_copy);
  tcase_add_test (tc_chain, test_steady_state_decoder);

  return s;
}

/* Like GST_CHECK_MAIN, but the same program is also the consumer. */
int
main (int argc, char **argv)
{
  Suite *s;
  gint ret;

  if (g_getenv (CONSUMER_ENV) != NULL)
    return consumer_main ();

  gst_check_init (&argc, &argv);
  s = unixsocket_suite ();

  socket_dir = g_dir_make_tmp ("fdpass-unixsocket-XXXXXX", NULL);
  g_assert (socket_dir != NULL);
  ret = gst_check_run_suite (s, "unixsocket", __FILE__);
  fdpass_check_remove_dir (&socket_dir);

  return ret;
}
