/* GStreamer fd passing plugin
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

/* The user's pipeline, fdpay ! multisocketsink → socketsrc ! fddepay,
 * recycles frames when both ends have send-messages=true: fddepay's
 * releases go back through the socket, and fdpay reuses a frame only once
 * every client that may map it released it. Receivers hold frames in a
 * ring and check, when they let go of each, that it still has the bytes it
 * arrived with: a frame written again while held fails the test, and the
 * moving ball makes every frame different. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "../fdpass-check.h"

#define WIDTH 320
#define HEIGHT 240
#define CAPS "video/x-raw, format=NV12, width=320, height=240, framerate=30/1"

typedef struct
{
  GstBuffer *buf;
  guint32 crc;
} Held;

typedef struct
{
  GstElement *pipeline;
  GMutex lock;
  GQueue held;                  /* of Held, oldest first */
  guint hold;
  /* microseconds each frame takes */
  gulong slow;
  GArray *crcs;                 /* at arrival, in order */
  guint n_rewritten;
} Receiver;

static void
held_check (Receiver * r, Held * h)
{
  if (fdpass_check_crc32_buffer (h->buf) != h->crc)
    r->n_rewritten++;
  gst_buffer_unref (h->buf);
  g_free (h);
}

static GstFlowReturn
new_sample (GstAppSink * appsink, gpointer user_data)
{
  Receiver *r = user_data;
  GstSample *sample = gst_app_sink_pull_sample (appsink);
  Held *h = g_new0 (Held, 1);

  h->buf = gst_buffer_ref (gst_sample_get_buffer (sample));
  h->crc = fdpass_check_crc32_buffer (h->buf);
  gst_sample_unref (sample);

  if (r->slow)
    g_usleep (r->slow);

  g_mutex_lock (&r->lock);
  g_array_append_val (r->crcs, h->crc);
  g_queue_push_tail (&r->held, h);
  while (r->held.length > r->hold)
    held_check (r, g_queue_pop_head (&r->held));
  g_mutex_unlock (&r->lock);

  return GST_FLOW_OK;
}

/* socketsrc ! fddepay ! appsink, holding the last @hold frames */
static void
receiver_init (Receiver * r, GSocket * socket, gboolean send_messages,
    guint hold)
{
  GstAppSinkCallbacks callbacks = { NULL, NULL, new_sample };
  GstElement *src, *sink;

  memset (r, 0, sizeof (*r));
  g_mutex_init (&r->lock);
  g_queue_init (&r->held);
  r->hold = hold;
  r->crcs = g_array_new (FALSE, FALSE, sizeof (guint32));

  r->pipeline = gst_parse_launch ("socketsrc name=src ! fddepay ! "
      "appsink name=out sync=false", NULL);
  fail_unless (r->pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (r->pipeline), "src");
  g_object_set (src, "socket", socket, "send-messages", send_messages, NULL);
  gst_object_unref (src);
  sink = gst_bin_get_by_name (GST_BIN (r->pipeline), "out");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, r, NULL);
  gst_object_unref (sink);
  fail_unless (gst_element_set_state (r->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
}

/* Lets go of every frame still held, checking it, and stops. */
static void
receiver_finish (Receiver * r)
{
  gst_element_set_state (r->pipeline, GST_STATE_NULL);
  g_mutex_lock (&r->lock);
  while (!g_queue_is_empty (&r->held))
    held_check (r, g_queue_pop_head (&r->held));
  g_mutex_unlock (&r->lock);
  gst_object_unref (r->pipeline);
}

static void
receiver_clear (Receiver * r)
{
  g_array_unref (r->crcs);
  g_mutex_clear (&r->lock);
}

static guint
receiver_n_frames (Receiver * r)
{
  guint n;

  g_mutex_lock (&r->lock);
  n = r->crcs->len;
  g_mutex_unlock (&r->lock);

  return n;
}

static void
receiver_wait_frames (Receiver * r, guint n)
{
  gint64 end = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  while (receiver_n_frames (r) < n && g_get_monotonic_time () < end)
    g_usleep (2000);
  fail_unless (receiver_n_frames (r) >= n, "%u of %u frames",
      receiver_n_frames (r), n);
}

/* the CRCs of @n frames of the source, made in this process */
static GArray *
reference_crcs (guint n)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball "
      "! " CAPS " ! appsink name=out sync=false", n);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  GArray *crcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  GstSample *sample;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    guint32 crc = fdpass_check_crc32_buffer (gst_sample_get_buffer (sample));

    g_array_append_val (crcs, crc);
    gst_sample_unref (sample);
  }
  fail_unless_equals_int (crcs->len, n);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);

  return crcs;
}

static void
check_frames (Receiver * r, GArray * ref, guint first)
{
  guint i;

  fail_unless (first + r->crcs->len <= ref->len);
  for (i = 0; i < r->crcs->len; i++) {
    guint32 got = g_array_index (r->crcs, guint32, i);
    guint32 want = g_array_index (ref, guint32, first + i);

    fail_unless (got == want, "frame %u: CRC %08x, the source's is %08x",
        first + i, got, want);
  }
}

static void
make_socketpair (GSocket ** sender, GSocket ** receiver)
{
  gint fds[2];

  fail_unless (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  *sender = g_socket_new_from_fd (fds[0], NULL);
  *receiver = g_socket_new_from_fd (fds[1], NULL);
  fail_unless (*sender != NULL && *receiver != NULL);
}

typedef struct
{
  GstElement *pipeline;
  GstElement *pay;
  GstElement *sink;
} Sender;

/* videotestsrc ! fdpay ! multisocketsink in READY, clients to add.
 * @live paces the source, so that a test can act between frames. */
static void
sender_init (Sender * s, guint n_frames, gboolean live)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball "
      "is-live=%d ! " CAPS " ! fdpay name=pay ! multisocketsink name=sink "
      "send-messages=true sync=false", n_frames, live);

  s->pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (s->pipeline != NULL);
  s->pay = gst_bin_get_by_name (GST_BIN (s->pipeline), "pay");
  s->sink = gst_bin_get_by_name (GST_BIN (s->pipeline), "sink");
  fail_unless (gst_element_set_state (s->pipeline, GST_STATE_READY) ==
      GST_STATE_CHANGE_SUCCESS);
}

static guint64
pay_stat (Sender * s, const gchar * field)
{
  GstStructure *stats;
  guint64 value = 0;

  g_object_get (s->pay, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, field, &value));
  gst_structure_free (stats);

  return value;
}

/* Runs to EOS; returns the warnings posted on the way, joined */
static gchar *
sender_run (Sender * s)
{
  GstBus *bus = gst_element_get_bus (s->pipeline);
  GString *warnings = g_string_new (NULL);
  GstMessage *msg;

  fail_unless (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while ((msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    GError *err = NULL;

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &err, NULL);
      fail ("error: %s", err->message);
    }
    gst_message_parse_warning (msg, &err, NULL);
    g_string_append_printf (warnings, "%s\n", err->message);
    g_clear_error (&err);
    gst_message_unref (msg);
  }
  fail_unless (msg != NULL, "no EOS");
  gst_object_unref (bus);

  return g_string_free (warnings, FALSE);
}

static void
sender_clear (Sender * s)
{
  gst_element_set_state (s->pipeline, GST_STATE_NULL);
  gst_object_unref (s->pay);
  gst_object_unref (s->sink);
  gst_object_unref (s->pipeline);
}

/* a few memfds went round for @n frames: the pool, the frames held and
 * in flight (a loaded machine makes a few more when more of them come
 * back at once than the pool keeps); without releases, @n */
static void
check_recycled (Sender * s, guint n)
{
  guint64 created = pay_stat (s, "memfds-created");
  guint64 reused = pay_stat (s, "memfds-reused");

  GST_INFO ("memfds created %" G_GUINT64_FORMAT ", reused %"
      G_GUINT64_FORMAT, created, reused);
  fail_unless (created <= n / 4, "%" G_GUINT64_FORMAT " memfds for %u "
      "frames", created, n);
  fail_unless (reused >= n - n / 4, "%" G_GUINT64_FORMAT " of %u frames "
      "in a recycled memfd", reused, n);
}

/* the source's CRCs, @n_pairs socketpairs (the sender's end of pair i in
 * ends[2 * i], the receiver's in ends[2 * i + 1]) and a sender in READY */
typedef struct
{
  GArray *ref;
  GSocket *ends[4];
  guint n_pairs;
  Sender s;
  gchar *warnings;
} Fixture;

static void
fixture_init (Fixture * f, guint n_frames, guint n_pairs, gboolean live)
{
  guint i;

  memset (f, 0, sizeof (*f));
  f->ref = reference_crcs (n_frames);
  f->n_pairs = n_pairs;
  for (i = 0; i < n_pairs; i++)
    make_socketpair (&f->ends[2 * i], &f->ends[2 * i + 1]);
  sender_init (&f->s, n_frames, live);
}

/* adds every sender end to the sink and runs the sender to EOS */
static void
fixture_run (Fixture * f)
{
  guint i;

  for (i = 0; i < f->n_pairs; i++)
    g_signal_emit_by_name (f->s.sink, "add", f->ends[2 * i]);
  f->warnings = sender_run (&f->s);
}

static void
fixture_clear (Fixture * f)
{
  guint i;

  sender_clear (&f->s);
  for (i = 0; i < 2 * f->n_pairs; i++)
    g_object_unref (f->ends[i]);
  g_array_unref (f->ref);
  g_free (f->warnings);
}

/* lets go of every frame @r holds: none may have been written meanwhile,
 * and every frame it got must be the source's */
static void
receiver_check (Receiver * r, Fixture * f)
{
  receiver_finish (r);
  fail_unless_equals_int (r->n_rewritten, 0);
  check_frames (r, f->ref, 0);
  receiver_clear (r);
}

GST_START_TEST (test_recycles_with_send_messages)
{
  const guint n = 120;
  Receiver r;
  Fixture f;

  fixture_init (&f, n, 1, FALSE);
  /* a receiver that falls behind (a loaded machine) makes the sender wait
   * rather than give frames up */
  g_object_set (f.s.pay, "wait-for-release", (guint64) 10 * GST_SECOND, NULL);
  receiver_init (&r, f.ends[1], TRUE, 3);
  fixture_run (&f);
  fail_unless_equals_string (f.warnings, "");
  receiver_wait_frames (&r, n);

  check_recycled (&f.s, n);
  fail_unless_equals_uint64 (pay_stat (&f.s, "copies"), 0);

  receiver_check (&r, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* Without send-messages on the receiving side nothing comes back: every
 * frame gets a new memfd, as before. */
GST_START_TEST (test_no_recycling_without_send_messages)
{
  const guint n = 40;
  Receiver r;
  Fixture f;

  fixture_init (&f, n, 1, FALSE);
  receiver_init (&r, f.ends[1], FALSE, 3);
  fixture_run (&f);
  receiver_wait_frames (&r, n);

  fail_unless_equals_uint64 (pay_stat (&f.s, "memfds-reused"), 0);
  fail_unless_equals_uint64 (pay_stat (&f.s, "memfds-created"), n);

  receiver_check (&r, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* A client that never writes back holds every frame it got: while it is
 * there, no frame is reused, although the other client releases them. */
GST_START_TEST (test_silent_client_holds_everything)
{
  const guint n = 60;
  Receiver talker, silent;
  Fixture f;

  fixture_init (&f, n, 2, FALSE);
  receiver_init (&talker, f.ends[1], TRUE, 2);
  /* holds all of them, to the end */
  receiver_init (&silent, f.ends[3], FALSE, G_MAXUINT);
  fixture_run (&f);
  receiver_wait_frames (&talker, n);
  receiver_wait_frames (&silent, n);

  fail_unless_equals_uint64 (pay_stat (&f.s, "memfds-reused"), 0);
  fail_unless_equals_uint64 (pay_stat (&f.s, "memfds-created"), n);

  receiver_check (&talker, &f);
  receiver_check (&silent, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* A hostile client, by hand on a raw socket: it reads (and closes) what it
 * gets, and writes what the test gives it. */
typedef struct
{
  gint fd;
  GThread *thread;
  gint stop;
  /* written once, first */
  GBytes *first;
  /* written after every read */
  GBytes *each;
  guint n_messages;
} Raw;

static gpointer
raw_thread (gpointer data)
{
  Raw *raw = data;

  if (raw->first)
    fail_unless (write (raw->fd, g_bytes_get_data (raw->first, NULL),
            g_bytes_get_size (raw->first)) ==
        (gssize) g_bytes_get_size (raw->first));

  while (!g_atomic_int_get (&raw->stop)) {
    struct pollfd pfd = { raw->fd, POLLIN, 0 };
    union
    {
      struct cmsghdr hdr;
      gchar buf[CMSG_SPACE (sizeof (gint) * 16)];
    }
    control;
    guint8 data[4096];
    struct iovec iov = { data, sizeof (data) };
    struct msghdr msg = { 0, };
    struct cmsghdr *cmsg;
    gssize n;

    if (poll (&pfd, 1, 10) <= 0)
      continue;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof (control.buf);
    n = recvmsg (raw->fd, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0)
      break;
    for (cmsg = CMSG_FIRSTHDR (&msg); cmsg; cmsg = CMSG_NXTHDR (&msg, cmsg)) {
      if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
        gint *fds = (gint *) CMSG_DATA (cmsg);
        guint i, n_fds = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint);

        for (i = 0; i < n_fds; i++)
          close (fds[i]);
      }
    }
    raw->n_messages++;
    if (raw->each && write (raw->fd, g_bytes_get_data (raw->each, NULL),
            g_bytes_get_size (raw->each)) < 0 && errno != EAGAIN)
      break;
  }

  return NULL;
}

static void
raw_start (Raw * raw, GSocket * socket, GBytes * first, GBytes * each)
{
  memset (raw, 0, sizeof (*raw));
  raw->fd = g_socket_get_fd (socket);
  raw->first = first;
  raw->each = each;
  raw->thread = g_thread_new ("raw-client", raw_thread, raw);
}

static void
raw_stop (Raw * raw)
{
  g_atomic_int_set (&raw->stop, 1);
  g_thread_join (raw->thread);
  g_clear_pointer (&raw->first, g_bytes_unref);
  g_clear_pointer (&raw->each, g_bytes_unref);
}

static GBytes *
message_bytes (GstBuffer * msg)
{
  GstMapInfo map;
  GBytes *bytes;

  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);

  return bytes;
}

/* A client that announces RELEASE and then releases every id there could
 * be, those it got, those it did not and those to come, after every read:
 * the frames the honest client holds must not be reused for all that. */
GST_START_TEST (test_hostile_releases_free_nothing_held)
{
  const guint n = 60;
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, GST_FDPASS_FEATURE_RELEASE, 0
  };
  guint64 ids[2 * 60];
  Receiver honest;
  Fixture f;
  Raw raw;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ids); i++)
    ids[i] = i;

  fixture_init (&f, n, 2, TRUE);
  /* holds everything until the end */
  receiver_init (&honest, f.ends[1], TRUE, G_MAXUINT);
  /* after every read, once the frames flow: what a client writes while
   * the sender is not playing yet is lost */
  raw_start (&raw, f.ends[3], NULL,
      message_bytes (gst_buffer_append (gst_fdpass_message_new_hello (&hello),
              gst_fdpass_message_new_release (ids, G_N_ELEMENTS (ids)))));
  fixture_run (&f);
  fail_unless_equals_string (f.warnings, "");
  receiver_wait_frames (&honest, n);
  raw_stop (&raw);
  fail_unless (raw.n_messages > 0);

  receiver_check (&honest, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* A client that writes bytes that are no fdpass message: a warning names
 * the problem, the frames still go to everyone, none is reused while that
 * client is there. */
GST_START_TEST (test_garbage_from_client)
{
  const guint n = 40;
  static const gchar garbage[] = "GET / HTTP/1.0\r\n\r\n";
  Receiver honest;
  Fixture f;
  Raw raw;

  fixture_init (&f, n, 2, TRUE);
  receiver_init (&honest, f.ends[1], TRUE, 2);
  raw_start (&raw, f.ends[3], NULL, g_bytes_new_static (garbage,
          sizeof (garbage) - 1));
  fixture_run (&f);
  fail_unless (strstr (f.warnings, "not an fdpass message") != NULL, "%s",
      f.warnings);
  receiver_wait_frames (&honest, n);
  raw_stop (&raw);

  fail_unless_equals_uint64 (pay_stat (&f.s, "memfds-reused"), 0);

  receiver_check (&honest, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* A client removed while it holds frames may map them for as long as it
 * likes: they are never reused, while the frames of the client that stays
 * go round again. */
GST_START_TEST (test_removed_client_keeps_its_frames)
{
  const guint n = 90;
  Receiver stays, leaves;
  Fixture f;
  guint64 reused;
  guint i;

  fixture_init (&f, n, 2, TRUE);
  receiver_init (&stays, f.ends[1], TRUE, 2);
  receiver_init (&leaves, f.ends[3], TRUE, G_MAXUINT);
  for (i = 0; i < f.n_pairs; i++)
    g_signal_emit_by_name (f.s.sink, "add", f.ends[2 * i]);
  fail_unless (gst_element_set_state (f.s.pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  receiver_wait_frames (&leaves, 20);
  g_signal_emit_by_name (f.s.sink, "remove", f.ends[2]);
  f.warnings = sender_run (&f.s);
  receiver_wait_frames (&stays, n);

  /* without the client that held everything, frames went round */
  reused = pay_stat (&f.s, "memfds-reused");
  GST_INFO ("%" G_GUINT64_FORMAT " memfds reused, %" G_GUINT64_FORMAT
      " created", reused, pay_stat (&f.s, "memfds-created"));
  fail_unless (reused >= n / 2);
  fail_unless (receiver_n_frames (&leaves) >= 20);

  receiver_check (&stays, &f);
  receiver_check (&leaves, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* A receiver slower than the sender: multisocketsink queues what the
 * receiver has not read yet, and with wait-for-release fdpay waits for
 * releases instead of giving up reusing frames. */
GST_START_TEST (test_wait_for_release)
{
  const guint n = 100;
  Receiver r;
  Fixture f;

  fixture_init (&f, n, 1, FALSE);
  g_object_set (f.s.pay, "wait-for-release", (guint64) GST_SECOND, NULL);
  receiver_init (&r, f.ends[1], TRUE, 2);
  r.slow = 2000;
  fixture_run (&f);
  receiver_wait_frames (&r, n);

  check_recycled (&f.s, n);

  receiver_check (&r, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* Without it, the frames beyond the eight that wait are given up: new
 * memfds, but never a frame written while the receiver holds it. */
GST_START_TEST (test_no_wait_for_release)
{
  const guint n = 100;
  Receiver r;
  Fixture f;

  fixture_init (&f, n, 1, FALSE);
  receiver_init (&r, f.ends[1], TRUE, 2);
  r.slow = 2000;
  fixture_run (&f);
  receiver_wait_frames (&r, n);

  GST_INFO ("memfds created %" G_GUINT64_FORMAT ", reused %"
      G_GUINT64_FORMAT, pay_stat (&f.s, "memfds-created"),
      pay_stat (&f.s, "memfds-reused"));
  fail_unless (pay_stat (&f.s, "memfds-created") > n / 4);

  receiver_check (&r, &f);
  fixture_clear (&f);
}

GST_END_TEST;

/* A receiver that announced releases and holds everything: fdpay waits for
 * it (for an hour here), and stopping the sender ends the wait. */
GST_START_TEST (test_wait_ends_on_stop)
{
  const guint n = 100;
  Receiver r;
  Fixture f;

  fixture_init (&f, n, 1, FALSE);
  g_object_set (f.s.pay, "wait-for-release", (guint64) 3600 * GST_SECOND, NULL);
  receiver_init (&r, f.ends[1], TRUE, G_MAXUINT);
  g_signal_emit_by_name (f.s.sink, "add", f.ends[0]);
  fail_unless (gst_element_set_state (f.s.pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  receiver_wait_frames (&r, 8);
  /* the sender waits with the ninth frame, or one or two more */
  fail_unless (pay_stat (&f.s, "buffers") <= 12);

  fail_unless_equals_int (gst_element_set_state (f.s.pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  fail_unless (pay_stat (&f.s, "buffers") < n);

  receiver_check (&r, &f);
  fixture_clear (&f);
}

GST_END_TEST;

static Suite *
multisocket_suite (void)
{
  Suite *s = suite_create ("multisocket");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_recycles_with_send_messages);
  tcase_add_test (tc, test_no_recycling_without_send_messages);
  tcase_add_test (tc, test_silent_client_holds_everything);
  tcase_add_test (tc, test_hostile_releases_free_nothing_held);
  tcase_add_test (tc, test_garbage_from_client);
  tcase_add_test (tc, test_removed_client_keeps_its_frames);
  tcase_add_test (tc, test_wait_for_release);
  tcase_add_test (tc, test_no_wait_for_release);
  tcase_add_test (tc, test_wait_ends_on_stop);

  return s;
}

GST_CHECK_MAIN (multisocket);
