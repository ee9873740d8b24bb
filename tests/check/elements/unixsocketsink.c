/* GStreamer fd passing plugin
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * unixsocketsink.c: fdpay ! unixsocketsink against hand-written clients
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
#include <gst/app/gstappsrc.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>

#include "../fdpass-check.h"

/* generous upper bound for waiting, never a measure of speed */
#define WAIT_MS 30000

#define FRAME_SIZE 4096
#define TEST_CAPS "video/x-raw, format=(string)GRAY8, width=(int)64, " \
    "height=(int)64, framerate=(fraction)30/1"

#define WAIT_FOR(cond) G_STMT_START {                                   \
  gint64 _end = g_get_monotonic_time () + WAIT_MS * 1000;               \
  while (!(cond)) {                                                     \
    fail_if (g_get_monotonic_time () > _end, "timed out waiting for "   \
        #cond);                                                         \
    g_usleep (1000);                                                    \
  }                                                                     \
} G_STMT_END

/* fixture: appsrc ! fdpay ! unixsocketsink */

typedef struct
{
  gchar *dir;
  gchar *path;
  GstElement *pipeline;
  GstElement *src;
  GstElement *sink;
  guint frame;

  GMutex lock;
  GPtrArray *removed;           /* reasons, in order */
  GArray *removed_ids;          /* guint, in order */
  GArray *added_ids;            /* guint, in order */
  guint n_added;
} Fixture;

static void
on_client_added (GstElement * sink, guint id, Fixture * f)
{
  g_mutex_lock (&f->lock);
  f->n_added++;
  g_array_append_val (f->added_ids, id);
  g_mutex_unlock (&f->lock);
}

static void
on_client_removed (GstElement * sink, guint id, const gchar * reason,
    Fixture * f)
{
  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->removed, g_strdup (reason));
  g_array_append_val (f->removed_ids, id);
  g_mutex_unlock (&f->lock);
}

static guint
fixture_n_added (Fixture * f)
{
  guint n;

  g_mutex_lock (&f->lock);
  n = f->n_added;
  g_mutex_unlock (&f->lock);

  return n;
}

static guint
fixture_added_id (Fixture * f, guint idx)
{
  guint id;

  g_mutex_lock (&f->lock);
  fail_unless (idx < f->added_ids->len);
  id = g_array_index (f->added_ids, guint, idx);
  g_mutex_unlock (&f->lock);

  return id;
}

static guint
fixture_n_removed (Fixture * f)
{
  guint n;

  g_mutex_lock (&f->lock);
  n = f->removed->len;
  g_mutex_unlock (&f->lock);

  return n;
}

static gboolean
fixture_removed_with (Fixture * f, const gchar * reason)
{
  gboolean ret = FALSE;
  guint i;

  g_mutex_lock (&f->lock);
  for (i = 0; i < f->removed->len; i++)
    ret |= g_str_equal (g_ptr_array_index (f->removed, i), reason);
  g_mutex_unlock (&f->lock);

  return ret;
}

static Fixture *
fixture_new (const gchar * sink_props)
{
  Fixture *f = g_new0 (Fixture, 1);
  gchar *desc;

  f->dir = g_dir_make_tmp ("unixsocketsink-XXXXXX", NULL);
  fail_unless (f->dir != NULL);
  f->path = g_build_filename (f->dir, "s.sock", NULL);
  g_mutex_init (&f->lock);
  f->removed = g_ptr_array_new_with_free_func (g_free);
  f->removed_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  f->added_ids = g_array_new (FALSE, FALSE, sizeof (guint));

  desc = g_strdup_printf ("appsrc name=src format=time caps=\"" TEST_CAPS
      "\" ! fdpay ! unixsocketsink name=sink sync=false %s",
      sink_props ? sink_props : "");
  f->pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (f->pipeline != NULL);
  f->src = gst_bin_get_by_name (GST_BIN (f->pipeline), "src");
  f->sink = gst_bin_get_by_name (GST_BIN (f->pipeline), "sink");

  /* a path of the fixture unless the properties chose one */
  if (sink_props == NULL || (!strstr (sink_props, "path=") &&
          !strstr (sink_props, "fd=")))
    g_object_set (f->sink, "path", f->path, NULL);

  g_signal_connect (f->sink, "client-added", G_CALLBACK (on_client_added), f);
  g_signal_connect (f->sink, "client-removed",
      G_CALLBACK (on_client_removed), f);

  return f;
}

static void
fixture_play (Fixture * f)
{
  fail_if (gst_element_set_state (f->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

static void
fixture_push (Fixture * f)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, FRAME_SIZE, NULL);

  gst_buffer_memset (buf, 0, f->frame & 0xff, FRAME_SIZE);
  GST_BUFFER_PTS (buf) = f->frame * GST_SECOND / 30;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  f->frame++;
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (f->src), buf),
      GST_FLOW_OK);
}

static void
fixture_free (Fixture * f)
{
  fail_unless_equals_int (gst_element_set_state (f->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (f->src);
  gst_object_unref (f->sink);
  gst_object_unref (f->pipeline);
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_ptr_array_unref (f->removed);
  g_array_unref (f->removed_ids);
  g_array_unref (f->added_ids);
  g_mutex_clear (&f->lock);
  g_free (f);
}

/* stats */

static guint64
stat_u64 (GstElement * sink, const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;
  guint u;

  g_object_get (sink, "stats", &s, NULL);
  if (!gst_structure_get_uint64 (s, field, &v) &&
      gst_structure_get_uint (s, field, &u))
    v = u;
  gst_structure_free (s);

  return v;
}

/* a field of the @idx-th client, or -1 when there is no such client */
static gint64
client_stat (GstElement * sink, guint idx, const gchar * field)
{
  const GValue *clients, *v;
  const GstStructure *c;
  GstStructure *s;
  gint64 ret = -1;
  guint64 u64;
  guint u;
  gboolean b;

  g_object_get (sink, "stats", &s, NULL);
  clients = gst_structure_get_value (s, "clients");
  if (idx < gst_value_array_get_size (clients)) {
    v = gst_value_array_get_value (clients, idx);
    c = gst_value_get_structure (v);
    if (gst_structure_get_uint64 (c, field, &u64))
      ret = u64;
    else if (gst_structure_get_uint (c, field, &u))
      ret = u;
    else if (gst_structure_get_boolean (c, field, &b))
      ret = b;
  }
  gst_structure_free (s);

  return ret;
}

/* clients */

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

static gint
client_connect (const gchar * path)
{
  struct sockaddr_un addr;
  socklen_t len;
  gint fd;

  make_address (path, &addr, &len);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  fail_unless (fd >= 0);
  fail_unless (connect (fd, (struct sockaddr *) &addr, len) == 0,
      "connect: %s", g_strerror (errno));

  return fd;
}

static void
client_send (gint fd, GstBuffer * msg)
{
  GstMapInfo map;

  gst_buffer_map (msg, &map, GST_MAP_READ);
  fail_unless_equals_int (send (fd, map.data, map.size, MSG_NOSIGNAL),
      map.size);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
}

static void
client_send_hello (gint fd)
{
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR, GST_FDPASS_FEATURE_RELEASE
  };

  client_send (fd, gst_fdpass_message_new_hello (&hello));
}

static void
client_send_release (gint fd, guint64 id)
{
  client_send (fd, gst_fdpass_message_new_release (&id, 1));
}

typedef struct
{
  GstFdPassHeader header;
  guint8 data[GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD];
  gsize size;
  gint fds[GST_FDPASS_MAX_FDS];
  guint n_fds;
} Message;

static void
message_close_fds (Message * m)
{
  guint i;

  for (i = 0; i < m->n_fds; i++)
    close (m->fds[i]);
  m->n_fds = 0;
}

/* Receives one message; FALSE on end of file. */
static gboolean
client_recv (gint fd, Message * m)
{
  union
  {
    struct cmsghdr hdr;
    gchar buf[CMSG_SPACE (GST_FDPASS_MAX_FDS * sizeof (gint))];
  }
  control;
  struct pollfd pfd = { fd, POLLIN, 0 };
  struct cmsghdr *cmsg;
  struct msghdr msg;
  struct iovec iov;
  gssize n;

  fail_unless (poll (&pfd, 1, WAIT_MS) == 1, "nothing to read");

  iov.iov_base = m->data;
  iov.iov_len = sizeof (m->data);
  memset (&msg, 0, sizeof (msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = &control;
  msg.msg_controllen = sizeof (control);
  n = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC);
  fail_unless (n >= 0, "recvmsg: %s", g_strerror (errno));
  if (n == 0)
    return FALSE;
  fail_if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC));

  m->size = n;
  m->n_fds = 0;
  for (cmsg = CMSG_FIRSTHDR (&msg); cmsg; cmsg = CMSG_NXTHDR (&msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      guint k = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint);

      memcpy (m->fds + m->n_fds, CMSG_DATA (cmsg), k * sizeof (gint));
      m->n_fds += k;
    }
  }

  fail_unless (gst_fdpass_header_parse (m->data, n, &m->header, NULL));
  fail_unless_equals_int (n, GST_FDPASS_HEADER_SIZE + m->header.payload_size);
  fail_unless_equals_int (m->n_fds, m->header.n_fds);

  return TRUE;
}

/* appsrc's segment, as fdpay sent it: it comes with the first frame */
static void
check_segment_message (Message * m)
{
  GstSegment segment;

  fail_unless_equals_int (m->header.type, GST_FDPASS_MESSAGE_SEGMENT);
  fail_unless (gst_fdpass_segment_parse (m->data + GST_FDPASS_HEADER_SIZE,
          m->header.payload_size, &segment, NULL));
  fail_unless_equals_int (segment.format, GST_FORMAT_TIME);
  fail_unless_equals_uint64 (segment.start, 0);
  fail_unless_equals_uint64 (segment.base, 0);
}

/* Receives the next message, after the segment message if that comes
 * first. */
static gboolean
client_recv_after_segment (gint fd, Message * m)
{
  if (!client_recv (fd, m))
    return FALSE;
  if (m->header.type != GST_FDPASS_MESSAGE_SEGMENT)
    return TRUE;
  check_segment_message (m);
  return client_recv (fd, m);
}

static void
client_expect_type (gint fd, guint type)
{
  Message *m = g_new (Message, 1);

  fail_unless (client_recv (fd, m));
  fail_unless_equals_int (m->header.type, type);
  if (type == GST_FDPASS_MESSAGE_HELLO) {
    GstFdPassHello hello;

    fail_unless (gst_fdpass_hello_parse (m->data + GST_FDPASS_HEADER_SIZE,
            m->header.payload_size, &hello, NULL));
    fail_unless (hello.features & GST_FDPASS_FEATURE_RELEASE);
  } else if (type == GST_FDPASS_MESSAGE_SEGMENT) {
    check_segment_message (m);
  } else if (type == GST_FDPASS_MESSAGE_CAPS) {
    GstCaps *caps, *expected = gst_caps_from_string (TEST_CAPS);

    caps = gst_fdpass_caps_parse (m->data + GST_FDPASS_HEADER_SIZE,
        m->header.payload_size, NULL);
    fail_unless (caps != NULL);
    fail_unless (gst_caps_is_equal (caps, expected));
    gst_caps_unref (caps);
    gst_caps_unref (expected);
  }
  message_close_fds (m);
  g_free (m);
}

static void
client_expect_headers (gint fd)
{
  client_expect_type (fd, GST_FDPASS_MESSAGE_HELLO);
  client_expect_type (fd, GST_FDPASS_MESSAGE_CAPS);
}

/* Checks that memory @mem of file @file_fd is a frame of bytes @value. */
static void
check_frame_data (gint file_fd, const GstFdPassMemInfo * mem, guint8 value)
{
  struct stat st;
  guint8 *data;
  gsize i;

  fail_unless_equals_int (mem->size, FRAME_SIZE);
  fail_unless (fstat (file_fd, &st) == 0);
  fail_unless (S_ISREG (st.st_mode));
  fail_unless (st.st_size >= mem->offset + mem->size);

  data = mmap (NULL, mem->offset + mem->size, PROT_READ, MAP_SHARED,
      file_fd, 0);
  fail_unless (data != MAP_FAILED);
  for (i = 0; i < FRAME_SIZE; i++) {
    if (data[mem->offset + i] != value)
      fail ("byte %" G_GSIZE_FORMAT " is %u, not %u", i,
          data[mem->offset + i], value);
  }
  munmap (data, mem->offset + mem->size);
}

/* Receives a frame, checks its bytes are all @value and returns its id. */
static guint64
client_expect_frame (gint fd, guint8 value)
{
  Message *m = g_new (Message, 1);
  GstFdPassBufferInfo *info = g_new0 (GstFdPassBufferInfo, 1);
  guint64 id;

  fail_unless (client_recv_after_segment (fd, m));
  fail_unless_equals_int (m->header.type, GST_FDPASS_MESSAGE_BUFFER);
  fail_unless (gst_fdpass_buffer_parse (&m->header,
          m->data + GST_FDPASS_HEADER_SIZE, m->header.payload_size, info,
          NULL));
  fail_unless_equals_int (info->n_memories, 1);
  check_frame_data (m->fds[info->memories[0].fd_index], &info->memories[0],
      value);

  id = info->id;
  message_close_fds (m);
  g_free (info);
  g_free (m);

  return id;
}

/* A client that connected once the sink listens and said that it
 * releases frames: the sink's @idx-th client. */
static gint
fixture_connect_releasing (Fixture * f, guint idx)
{
  gint fd;

  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  fd = client_connect (f->path);
  client_send_hello (fd);
  WAIT_FOR (client_stat (f->sink, idx, "releases") == 1);

  return fd;
}

/* tests */

/* The yields of appsrc's streaming thread ("src:src"), where the sink
 * renders. This definition comes before libc's for GLib's
 * g_thread_yield(). */
static gint n_src_yields;

/* *INDENT-OFF* */
__attribute__ ((visibility ("default")))
int sched_yield (void);
/* *INDENT-ON* */

int
sched_yield (void)
{
  gchar name[16] = "";

  pthread_getname_np (pthread_self (), name, sizeof (name));
  if (g_str_has_prefix (name, "src:"))
    g_atomic_int_inc (&n_src_yields);

  return syscall (SYS_sched_yield);
}

/* Five frames, each written by the streaming thread to a client that
 * waits for it (the I/O thread writes the headers and the first one):
 * the yields that came with them. */
static gint
count_yields (gboolean live, const gchar * sink_props)
{
  Fixture *f = fixture_new (sink_props);
  gint fd, i;

  g_object_set (f->src, "is-live", live, NULL);
  fixture_play (f);
  fd = fixture_connect_releasing (f, 0);

  g_atomic_int_set (&n_src_yields, 0);
  fixture_push (f);
  client_expect_headers (fd);
  client_send_release (fd, client_expect_frame (fd, 0));
  for (i = 1; i < 5; i++) {
    WAIT_FOR (client_stat (f->sink, 0, "pending") == 0);
    fixture_push (f);
    client_send_release (fd, client_expect_frame (fd, i));
  }
  WAIT_FOR (client_stat (f->sink, 0, "pending") == 0);

  close (fd);
  fixture_free (f);

  return g_atomic_int_get (&n_src_yields);
}

/* With a live source, the streaming thread gives the CPU to the receiver
 * it woke after each frame it wrote; never when told not to, never on a
 * stream that is not live. */
GST_START_TEST (test_yield_after_send)
{
  gboolean yield;
  GstElement *sink = gst_element_factory_make ("unixsocketsink", NULL);

  g_object_get (sink, "yield-after-send", &yield, NULL);
  fail_unless (yield);
  gst_object_unref (sink);

  fail_unless (count_yields (TRUE, NULL) >= 4);
  fail_unless_equals_int (count_yields (TRUE, "yield-after-send=false"), 0);
  fail_unless_equals_int (count_yields (FALSE, NULL), 0);
}

GST_END_TEST;

GST_START_TEST (test_one_client)
{
  Fixture *f = fixture_new (NULL);
  guint64 ids[3];
  gint fd, i;

  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));

  fd = fixture_connect_releasing (f, 0);

  for (i = 0; i < 3; i++)
    fixture_push (f);

  client_expect_headers (fd);
  for (i = 0; i < 3; i++)
    ids[i] = client_expect_frame (fd, i);
  fail_unless (ids[0] < ids[1] && ids[1] < ids[2]);

  WAIT_FOR (client_stat (f->sink, 0, "sent") == 3);
  fail_unless_equals_int (client_stat (f->sink, 0, "pending"), 3);
  for (i = 0; i < 3; i++)
    client_send_release (fd, ids[i]);
  WAIT_FOR (client_stat (f->sink, 0, "pending") == 0);
  fail_unless_equals_int (stat_u64 (f->sink, "released"), 3);

  /* the EOS message reaches the client */
  gst_app_src_end_of_stream (GST_APP_SRC (f->src));
  client_expect_type (fd, GST_FDPASS_MESSAGE_EOS);

  close (fd);
  WAIT_FOR (fixture_removed_with (f, "closed"));
  fail_unless_equals_int (fixture_n_added (f), 1);
  fixture_free (f);
}

GST_END_TEST;

/* A client that keeps files (FILES feature): the sink passes the fd of
 * each memfd once, names it afterwards, and forgets the least recently used
 * file when the client keeps as many as it offered. */
typedef struct
{
  guint64 dev;
  guint64 ino;
  gint fd;
} KeptFile;

typedef struct
{
  GArray *kept;                 /* of KeptFile */
  guint max_files;
  guint n_forgotten;
  guint n_named;
  guint n_passed;
} Keeper;

static gint
keeper_find (Keeper * k, guint64 dev, guint64 ino)
{
  guint i;

  for (i = 0; i < k->kept->len; i++) {
    KeptFile *f = &g_array_index (k->kept, KeptFile, i);

    if (f->dev == dev && f->ino == ino)
      return i;
  }
  return -1;
}

/* Receives the next frame as a receiver keeping files would, checks its
 * bytes are all @value and returns its id. */
static guint64
keeper_expect_frame (Keeper * k, gint fd, guint8 value)
{
  Message *m = g_new (Message, 1);
  GstFdPassBufferInfo *info = g_new0 (GstFdPassBufferInfo, 1);
  GstFdPassFdInfo *file;
  guint64 id;
  gint file_fd, idx;

  for (;;) {
    GstFdPassFdInfo *files;
    guint n, j;

    fail_unless (client_recv_after_segment (fd, m));
    if (m->header.type != GST_FDPASS_MESSAGE_FORGET)
      break;
    fail_unless (gst_fdpass_forget_parse (m->data + GST_FDPASS_HEADER_SIZE,
            m->header.payload_size, &files, &n, NULL));
    for (j = 0; j < n; j++) {
      idx = keeper_find (k, files[j].dev, files[j].ino);
      fail_unless (idx >= 0, "the sink forgot a file we do not keep");
      close (g_array_index (k->kept, KeptFile, idx).fd);
      g_array_remove_index (k->kept, idx);
      k->n_forgotten++;
    }
    g_free (files);
  }

  fail_unless_equals_int (m->header.type, GST_FDPASS_MESSAGE_BUFFER);
  fail_unless (gst_fdpass_buffer_parse (&m->header,
          m->data + GST_FDPASS_HEADER_SIZE, m->header.payload_size, info,
          NULL));
  fail_unless_equals_int (info->n_fds, 1);
  file = &info->fds[0];
  idx = keeper_find (k, file->dev, file->ino);
  if (file->flags & GST_FDPASS_FD_FLAG_KEPT) {
    fail_unless (idx >= 0, "the sink named a file we do not keep");
    fail_unless_equals_int (m->n_fds, 0);
    file_fd = g_array_index (k->kept, KeptFile, idx).fd;
    k->n_named++;
  } else {
    fail_unless_equals_int (m->n_fds, 1);
    file_fd = m->fds[0];
    k->n_passed++;
    if (file->flags & GST_FDPASS_FD_FLAG_KEEP) {
      KeptFile f = { file->dev, file->ino, m->fds[0] };

      fail_unless (idx < 0, "asked to keep a file we keep already");
      g_array_append_val (k->kept, f);
      fail_unless (k->kept->len <= k->max_files, "asked to keep %u files",
          k->kept->len);
      m->n_fds = 0;
    }
  }

  fail_unless_equals_int (info->n_memories, 1);
  check_frame_data (file_fd, &info->memories[0], value);

  id = info->id;
  message_close_fds (m);
  g_free (info);
  g_free (m);
  return id;
}

GST_START_TEST (test_kept_files)
{
  Fixture *f = fixture_new ("max-pending=8");
  GstFdPassHello hello = { GST_FDPASS_VERSION_MAJOR,
    GST_FDPASS_VERSION_MINOR,
    GST_FDPASS_FEATURE_RELEASE | GST_FDPASS_FEATURE_FILES, 2
  };
  Keeper k = { g_array_new (FALSE, FALSE, sizeof (KeptFile)), 2, 0, 0, 0 };
  guint64 held[4];
  guint i, n_frames = 0;
  gint fd;

  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  fd = client_connect (f->path);
  client_send (fd, gst_fdpass_message_new_hello (&hello));
  WAIT_FOR (client_stat (f->sink, 0, "releases") == 1);

  /* frames released at once: their memfd comes back, and is named */
  for (i = 0; i < 10; i++, n_frames++) {
    fixture_push (f);
    if (i == 0)
      client_expect_headers (fd);
    client_send_release (fd, keeper_expect_frame (&k, fd, n_frames));
    WAIT_FOR (client_stat (f->sink, 0, "pending") == 0);
  }
  fail_unless (k.n_named >= 8, "only %u of 10 frames named a kept file",
      k.n_named);
  fail_unless_equals_int (k.n_named + k.n_passed, 10);
  fail_unless_equals_int (stat_u64 (f->sink, "kept-file-references"),
      k.n_named);
  fail_unless_equals_int (stat_u64 (f->sink, "fds"), k.n_passed);

  /* four frames held at a time need four memfds, of which we keep two:
   * the sink forgets the oldest before it asks us to keep another */
  for (i = 0; i < 20; i++, n_frames++) {
    fixture_push (f);
    held[i % 4] = keeper_expect_frame (&k, fd, n_frames);
    if (i >= 3)
      client_send_release (fd, held[(i + 1) % 4]);
  }
  fail_unless (k.n_forgotten > 0);
  fail_unless (k.kept->len <= 2);
  WAIT_FOR (client_stat (f->sink, 0, "sent") == n_frames);
  fail_unless_equals_int (client_stat (f->sink, 0, "kept-files"), k.kept->len);
  fail_unless_equals_int (stat_u64 (f->sink, "fds"), k.n_passed);

  close (fd);
  WAIT_FOR (fixture_removed_with (f, "closed"));
  for (i = 0; i < k.kept->len; i++)
    close (g_array_index (k.kept, KeptFile, i).fd);
  g_array_unref (k.kept);
  fixture_free (f);
}

GST_END_TEST;

/* EOS waits until the clients got what is queued for them, so that a
 * pipeline that shuts down at EOS does not cut the end of the stream */
typedef struct
{
  gint fd;
  guint n_frames;
  gboolean got_eos;
} Reader;

static gpointer
read_all (gpointer data)
{
  Reader *r = data;
  guint i;

  /* a receiver that is a little late */
  g_usleep (300 * 1000);
  client_expect_headers (r->fd);
  for (i = 0; i < r->n_frames; i++)
    client_expect_frame (r->fd, i);
  client_expect_type (r->fd, GST_FDPASS_MESSAGE_EOS);
  r->got_eos = TRUE;

  return NULL;
}

GST_START_TEST (test_eos_drains_clients)
{
  Fixture *f = fixture_new ("max-pending=400");
  Reader r = { -1, 300, FALSE };
  gint rcvbuf = 1;
  GThread *thread;
  GstMessage *msg;
  GstBus *bus;
  guint i;

  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  r.fd = client_connect (f->path);
  /* the smallest receive buffer: most messages stay queued in the sink */
  fail_unless (setsockopt (r.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
          sizeof (rcvbuf)) == 0);
  WAIT_FOR (fixture_n_added (f) == 1);

  for (i = 0; i < r.n_frames; i++)
    fixture_push (f);
  gst_app_src_end_of_stream (GST_APP_SRC (f->src));
  thread = g_thread_new ("reader", read_all, &r);

  /* as gst-launch does: shut down as soon as EOS is posted */
  bus = gst_element_get_bus (f->pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (f->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);

  g_thread_join (thread);
  fail_unless (r.got_eos);
  close (r.fd);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_two_clients)
{
  Fixture *f = fixture_new (NULL);
  gint a, b, i;

  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  a = client_connect (f->path);
  b = client_connect (f->path);
  client_send_hello (a);
  client_send_hello (b);
  WAIT_FOR (client_stat (f->sink, 0, "releases") == 1 &&
      client_stat (f->sink, 1, "releases") == 1);

  client_expect_headers (a);
  client_expect_headers (b);
  for (i = 0; i < 20; i++) {
    fixture_push (f);
    client_send_release (a, client_expect_frame (a, i));
    client_send_release (b, client_expect_frame (b, i));
  }
  WAIT_FOR (stat_u64 (f->sink, "released") == 40);
  fail_unless_equals_int (stat_u64 (f->sink, "sent"), 40);
  fail_unless_equals_int (stat_u64 (f->sink, "dropped"), 0);

  close (a);
  close (b);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_join_midstream)
{
  Fixture *f = fixture_new ("max-pending=100");
  gint a, b, i;

  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  a = client_connect (f->path);
  client_expect_headers (a);
  for (i = 0; i < 5; i++) {
    fixture_push (f);
    client_expect_frame (a, i);
  }

  b = client_connect (f->path);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 2);
  /* hello, caps and the current segment first, then only the frames from
   * now on */
  client_expect_headers (b);
  client_expect_type (b, GST_FDPASS_MESSAGE_SEGMENT);
  for (i = 5; i < 8; i++) {
    fixture_push (f);
    client_expect_frame (a, i);
    client_expect_frame (b, i);
  }

  close (a);
  close (b);
  fixture_free (f);
}

GST_END_TEST;

/* counts the frame messages alive downstream of fdpay, and those freed in
 * another thread than the streaming thread that brought them */
static gint n_alive;
static gint n_freed_elsewhere;

static void
message_freed (gpointer streaming_thread, GstMiniObject * obj)
{
  if (g_thread_self () != streaming_thread)
    g_atomic_int_inc (&n_freed_elsewhere);
  g_atomic_int_add (&n_alive, -1);
}

static GstPadProbeReturn
track_messages (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 data[GST_FDPASS_HEADER_SIZE];
  GstFdPassHeader header;

  gst_buffer_extract (buf, 0, data, sizeof (data));
  if (gst_fdpass_header_parse (data, sizeof (data), &header, NULL) &&
      header.type == GST_FDPASS_MESSAGE_BUFFER) {
    g_atomic_int_inc (&n_alive);
    gst_mini_object_weak_ref (GST_MINI_OBJECT (buf), message_freed,
        g_thread_self ());
  }

  return GST_PAD_PROBE_OK;
}

static void
track_sink_messages (Fixture * f)
{
  GstPad *pad = gst_element_get_static_pad (f->sink, "sink");

  n_alive = n_freed_elsewhere = 0;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, track_messages, NULL,
      NULL);
  gst_object_unref (pad);
}

GST_START_TEST (test_release_by_all)
{
  Fixture *f = fixture_new (NULL);
  guint64 ids[4];
  gint a, b, i;

  track_sink_messages (f);
  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  a = client_connect (f->path);
  b = client_connect (f->path);
  client_send_hello (a);
  client_send_hello (b);
  WAIT_FOR (client_stat (f->sink, 0, "releases") == 1 &&
      client_stat (f->sink, 1, "releases") == 1);

  client_expect_headers (a);
  client_expect_headers (b);
  for (i = 0; i < 4; i++)
    fixture_push (f);
  for (i = 0; i < 4; i++) {
    ids[i] = client_expect_frame (a, i);
    fail_unless_equals_int (client_expect_frame (b, i), ids[i]);
  }
  WAIT_FOR (stat_u64 (f->sink, "sent") == 8);
  fail_unless_equals_int (g_atomic_int_get (&n_alive), 4);

  /* one client is done: the other one still holds every frame */
  for (i = 0; i < 4; i++)
    client_send_release (a, ids[i]);
  WAIT_FOR (stat_u64 (f->sink, "released") == 4);
  fail_unless_equals_int (g_atomic_int_get (&n_alive), 4);

  /* now the frames both released go */
  client_send_release (b, ids[0]);
  client_send_release (b, ids[1]);
  WAIT_FOR (stat_u64 (f->sink, "released") == 6);
  fail_unless_equals_int (g_atomic_int_get (&n_alive), 2);

  /* releasing twice or an unknown id changes nothing */
  client_send_release (b, ids[0]);
  client_send_release (b, 12345);
  client_send_release (a, ids[3]);

  /* a client that goes away abruptly releases everything */
  close (b);
  WAIT_FOR (g_atomic_int_get (&n_alive) == 0);
  WAIT_FOR (fixture_removed_with (f, "closed"));
  fail_unless_equals_int (stat_u64 (f->sink, "released"), 6);

  close (a);
  fixture_free (f);
}

GST_END_TEST;

/* A client that closes its socket with frames it never read closed the
 * connection all the same: the kernel then reports ECONNRESET, not end
 * of file, to the sink. Its frames go back. */
GST_START_TEST (test_close_with_unread_frames)
{
  Fixture *f = fixture_new (NULL);
  gint a, i;

  track_sink_messages (f);
  fixture_play (f);
  a = fixture_connect_releasing (f, 0);

  for (i = 0; i < 3; i++)
    fixture_push (f);
  WAIT_FOR (stat_u64 (f->sink, "sent") == 3);
  fail_unless_equals_int (g_atomic_int_get (&n_alive), 3);

  close (a);
  WAIT_FOR (fixture_removed_with (f, "closed") ||
      fixture_removed_with (f, "error"));
  fail_unless (fixture_removed_with (f, "closed"), "a client that closed "
      "with unread frames was not removed as closed");
  WAIT_FOR (g_atomic_int_get (&n_alive) == 0);

  fixture_free (f);
}

GST_END_TEST;

/* Releases that nobody needs at once are read all the same: here, two
 * frames go out and come back, no frame follows and nobody asks for the
 * stats, so only the I/O thread can read them (see client_update_events()
 * in the sink), and the frames must go. */
GST_START_TEST (test_release_read_when_idle)
{
  /* no client timeout, whose check would read them too, in 10 s */
  Fixture *f = fixture_new ("timeout=0");
  guint64 ids[2];
  gint a, i;

  track_sink_messages (f);
  fixture_play (f);
  a = fixture_connect_releasing (f, 0);

  client_expect_headers (a);
  for (i = 0; i < 2; i++) {
    fixture_push (f);
    ids[i] = client_expect_frame (a, i);
  }
  fail_unless_equals_int (g_atomic_int_get (&n_alive), 2);
  client_send_release (a, ids[0]);
  client_send_release (a, ids[1]);
  WAIT_FOR (g_atomic_int_get (&n_alive) == 0);
  fail_unless_equals_int (stat_u64 (f->sink, "released"), 2);
  fail_unless_equals_int (stat_u64 (f->sink, "held-frames"), 0);

  close (a);
  fixture_free (f);
}

GST_END_TEST;

/* Plays a fixture with @props and a client, whose socket is put in
 * @client, that releases each of @n frames as soon as it has it, a frame
 * every @interval_ms, until all of them are gone. */
static Fixture *
fixture_stream_released (const gchar * props, gint n, guint interval_ms,
    gint * client)
{
  Fixture *f = fixture_new (props);
  gint a, i;

  track_sink_messages (f);
  fixture_play (f);
  a = fixture_connect_releasing (f, 0);

  client_expect_headers (a);
  for (i = 0; i < n; i++) {
    fixture_push (f);
    client_send_release (a, client_expect_frame (a, i));
    g_usleep (interval_ms * 1000);
  }
  WAIT_FOR (g_atomic_int_get (&n_alive) == 0);
  fail_unless_equals_int (stat_u64 (f->sink, "released"), n);
  *client = a;

  return f;
}

/* While frames go out, the streaming thread reads the releases, so that
 * each frame is freed in the thread that made it: here a frame goes out
 * every 50 ms and comes back at once, and the I/O thread, which looks at
 * the clients every 100 ms, must leave its releases alone. The last few,
 * after which no frame follows, are the I/O thread's. */
GST_START_TEST (test_release_read_by_streaming_thread)
{
  gint a;
  Fixture *f = fixture_stream_released ("timeout=0", 16, 50, &a);

  /* the streaming thread reads them in batches of 4: 3 are left at the
   * end, and a few more where a frame came late for the machine's load */
  GST_INFO ("%d frames freed outside of the streaming thread",
      g_atomic_int_get (&n_freed_elsewhere));
  fail_unless (g_atomic_int_get (&n_freed_elsewhere) < 8,
      "%d of 16 frames were freed outside of the streaming thread",
      g_atomic_int_get (&n_freed_elsewhere));

  close (a);
  fixture_free (f);
}

GST_END_TEST;

/* A client whose releases nobody read, since frames flow and it never
 * holds enough of them for the streaming thread to look, is not taken for
 * one that released nothing: the I/O thread reads them before it gives up
 * on it. Here a frame goes out every 40 ms, the timeout is 100 ms. */
GST_START_TEST (test_timeout_reads_releases)
{
  gint a;
  Fixture *f = fixture_stream_released ("timeout=100000000", 12, 40, &a);

  fail_unless_equals_int (fixture_n_removed (f), 0);
  fail_unless_equals_int (stat_u64 (f->sink, "n-clients"), 1);

  close (a);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_policy_drop)
{
  Fixture *f = fixture_new ("max-pending=3");
  gint stuck, good, i;

  track_sink_messages (f);
  fixture_play (f);
  stuck = fixture_connect_releasing (f, 0);
  good = fixture_connect_releasing (f, 1);

  client_expect_headers (good);
  for (i = 0; i < 10; i++) {
    fixture_push (f);
    client_send_release (good, client_expect_frame (good, i));
    WAIT_FOR (client_stat (f->sink, 1, "released") == i + 1);
  }

  /* the stuck client got 3 frames and holds them, the rest was dropped */
  fail_unless_equals_int (client_stat (f->sink, 0, "pending"), 3);
  fail_unless_equals_int (client_stat (f->sink, 0, "sent"), 3);
  fail_unless_equals_int (client_stat (f->sink, 0, "dropped"), 7);
  fail_unless_equals_int (client_stat (f->sink, 1, "dropped"), 0);
  /* the streaming thread may still hold the last message for a moment */
  WAIT_FOR (g_atomic_int_get (&n_alive) == 3);
  fail_unless_equals_int (stat_u64 (f->sink, "n-clients"), 2);

  close (stuck);
  close (good);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_policy_disconnect)
{
  Fixture *f = fixture_new ("max-pending=2 slow-client-policy=disconnect");
  gint stuck, good, i;

  track_sink_messages (f);
  fixture_play (f);
  stuck = fixture_connect_releasing (f, 0);
  good = client_connect (f->path);
  client_expect_headers (good);

  for (i = 0; i < 4; i++) {
    fixture_push (f);
    client_expect_frame (good, i);
  }
  WAIT_FOR (fixture_removed_with (f, "slow"));
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);
  /* the disconnected client may still read and map what is in its
   * socket: the two frames it held are its own now and the sink keeps
   * none of them, nor any frame of the client that does not release */
  WAIT_FOR (g_atomic_int_get (&n_alive) == 0);
  fail_unless_equals_int (client_stat (f->sink, 0, "pending"), 0);
  fail_unless_equals_int (client_stat (f->sink, 0, "sent"), 4);
  fail_unless_equals_int (client_stat (f->sink, 0, "exported"), 4);

  client_expect_headers (stuck);
  client_expect_frame (stuck, 0);
  client_expect_frame (stuck, 1);
  {
    Message *m = g_new (Message, 1);

    fail_if (client_recv (stuck, m));
    g_free (m);
  }
  close (stuck);

  close (good);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_policy_block)
{
  Fixture *f = fixture_new ("max-pending=2 slow-client-policy=block");
  guint64 id;
  gint a, b, i;

  fixture_play (f);
  a = fixture_connect_releasing (f, 0);

  for (i = 0; i < 5; i++)
    fixture_push (f);
  client_expect_headers (a);
  id = client_expect_frame (a, 0);
  client_expect_frame (a, 1);
  WAIT_FOR (stat_u64 (f->sink, "frames") == 2);
  /* nothing moves while the client holds two frames */
  g_usleep (50 * 1000);
  fail_unless_equals_int (stat_u64 (f->sink, "frames"), 2);

  /* a release lets one more frame through */
  client_send_release (a, id);
  WAIT_FOR (stat_u64 (f->sink, "frames") == 3);
  client_expect_frame (a, 2);

  /* the client leaving unblocks the rest */
  close (a);
  WAIT_FOR (stat_u64 (f->sink, "frames") == 5);

  /* blocked again, then stopped */
  b = fixture_connect_releasing (f, 0);
  for (i = 0; i < 4; i++)
    fixture_push (f);
  WAIT_FOR (stat_u64 (f->sink, "frames") == 7);
  fixture_free (f);
  close (b);
}

GST_END_TEST;

/* counts the frame messages that reached the sink's pad */
static GstPadProbeReturn
count_frame_messages (GstPad * pad, GstPadProbeInfo * info, gint * n)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 data[GST_FDPASS_HEADER_SIZE];
  GstFdPassHeader header;
  gsize size;

  size = gst_buffer_extract (buf, 0, data, sizeof (data));
  if (gst_fdpass_header_parse (data, size, &header, NULL) &&
      header.type == GST_FDPASS_MESSAGE_BUFFER)
    g_atomic_int_inc (n);

  return GST_PAD_PROBE_OK;
}

static void
fixture_count_frames (Fixture * f, gint * n)
{
  GstPad *pad = gst_element_get_static_pad (f->sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) count_frame_messages, n, NULL);
  gst_object_unref (pad);
}

GST_START_TEST (test_block_flush)
{
  Fixture *f = fixture_new ("max-pending=1 slow-client-policy=block");
  gint n_frames = 0;
  GstPad *pad;
  gint a, i;

  /* the probe runs with the stream lock of the sink pad held */
  fixture_count_frames (f, &n_frames);

  fixture_play (f);
  a = fixture_connect_releasing (f, 0);

  for (i = 0; i < 3; i++)
    fixture_push (f);
  WAIT_FOR (stat_u64 (f->sink, "frames") == 1);
  /* the second frame is in the sink, which waits for the client: the
   * flush cannot come before it, or the frame would come after the flush,
   * without a segment */
  WAIT_FOR (g_atomic_int_get (&n_frames) == 2);

  /* a flush gets render() out of its wait: flush-stop takes the stream
   * lock, which a blocked render() would hold forever */
  pad = gst_element_get_static_pad (f->sink, "sink");
  fail_unless (gst_pad_send_event (pad, gst_event_new_flush_start ()));
  fail_unless (gst_pad_send_event (pad, gst_event_new_flush_stop (TRUE)));
  gst_object_unref (pad);

  close (a);
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_timeout)
{
  Fixture *f = fixture_new ("timeout=100000000");
  gint silent, good;

  fixture_play (f);
  silent = fixture_connect_releasing (f, 0);
  good = fixture_connect_releasing (f, 1);
  client_expect_headers (good);

  fixture_push (f);
  client_send_release (good, client_expect_frame (good, 0));

  WAIT_FOR (fixture_removed_with (f, "timeout"));
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);
  fail_unless_equals_int (client_stat (f->sink, 0, "pending"), 0);

  close (silent);
  close (good);
  fixture_free (f);
}

GST_END_TEST;

static gint
bind_socket (const gchar * path, gboolean do_listen)
{
  struct sockaddr_un addr;
  socklen_t len;
  gint fd;

  make_address (path, &addr, &len);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  fail_unless (fd >= 0);
  fail_unless (bind (fd, (struct sockaddr *) &addr, len) == 0);
  if (do_listen)
    fail_unless (listen (fd, 4) == 0);

  return fd;
}

GST_START_TEST (test_stale_socket)
{
  Fixture *f = fixture_new (NULL);
  gint fd;

  /* a socket file whose process is gone */
  close (bind_socket (f->path, FALSE));
  fail_unless (g_file_test (f->path, G_FILE_TEST_EXISTS));

  fixture_play (f);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 0);
  fd = client_connect (f->path);
  client_expect_type (fd, GST_FDPASS_MESSAGE_HELLO);
  close (fd);

  /* and removed on stop */
  gst_element_set_state (f->pipeline, GST_STATE_NULL);
  fail_if (g_file_test (f->path, G_FILE_TEST_EXISTS));
  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_live_socket_error)
{
  Fixture *f = fixture_new (NULL);
  GstBus *bus = gst_element_get_bus (f->pipeline);
  GstMessage *msg;
  GError *err = NULL;
  gint fd;

  fd = bind_socket (f->path, TRUE);
  fail_unless_equals_int (gst_element_set_state (f->pipeline,
          GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_poll (bus, GST_MESSAGE_ERROR, 0);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "Another process") != NULL, "%s",
      err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (bus);

  /* the other process's socket is left alone */
  fail_unless (g_file_test (f->path, G_FILE_TEST_EXISTS));
  fixture_free (f);
  close (fd);
}

GST_END_TEST;

GST_START_TEST (test_abstract)
{
  gchar *name = g_strdup_printf ("@gst-fdpass-sink-test-%d", (gint) getpid ());
  gchar *props = g_strdup_printf ("path=%s", name);
  Fixture *f = fixture_new (props);
  gint fd, fd2;

  fixture_play (f);
  /* connect as soon as it listens */
  for (;;) {
    struct sockaddr_un addr;
    socklen_t len;

    make_address (name, &addr, &len);
    fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (connect (fd, (struct sockaddr *) &addr, len) == 0)
      break;
    close (fd);
    g_usleep (1000);
  }
  /* connected is not accepted yet */
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);
  fixture_push (f);
  client_expect_headers (fd);
  client_expect_frame (fd, 0);

  /* the name is taken */
  fd2 = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  {
    struct sockaddr_un addr;
    socklen_t len;

    make_address (name, &addr, &len);
    fail_unless (bind (fd2, (struct sockaddr *) &addr, len) < 0);
  }
  close (fd2);

  close (fd);
  fixture_free (f);
  g_free (props);
  g_free (name);
}

GST_END_TEST;

GST_START_TEST (test_fd_connected)
{
  Fixture *f;
  gchar *props;
  gint sv[2];

  fail_unless (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  props = g_strdup_printf ("fd=%d", sv[0]);
  f = fixture_new (props);
  g_free (props);

  fixture_play (f);
  fixture_push (f);
  fixture_push (f);
  client_expect_headers (sv[1]);
  client_expect_frame (sv[1], 0);
  client_expect_frame (sv[1], 1);
  fail_unless_equals_int (fixture_n_added (f), 1);

  fixture_free (f);
  /* the sink owned and closed its end */
  {
    Message *m = g_new (Message, 1);

    fail_if (client_recv (sv[1], m));
    g_free (m);
  }
  close (sv[1]);
}

GST_END_TEST;

GST_START_TEST (test_fd_listening)
{
  gchar *dir = g_dir_make_tmp ("unixsocketsink-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "l.sock", NULL);
  Fixture *f;
  gchar *props;
  gint lfd, fd;

  lfd = bind_socket (path, TRUE);
  props = g_strdup_printf ("fd=%d", lfd);
  f = fixture_new (props);
  g_free (props);

  fixture_play (f);
  fd = client_connect (path);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);
  fixture_push (f);
  client_expect_headers (fd);
  client_expect_frame (fd, 0);

  close (fd);
  fixture_free (f);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_max_clients)
{
  Fixture *f = fixture_new ("max-clients=1");
  Message *m = g_new (Message, 1);
  gint a, b;

  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  a = client_connect (f->path);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);

  /* the second one is accepted and closed at once */
  b = client_connect (f->path);
  fail_if (client_recv (b, m));
  close (b);
  fail_unless_equals_int (stat_u64 (f->sink, "n-clients"), 1);

  /* there is room again once the first one left */
  close (a);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 0);
  b = client_connect (f->path);
  client_expect_type (b, GST_FDPASS_MESSAGE_HELLO);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);

  close (b);
  g_free (m);
  fixture_free (f);
}

GST_END_TEST;


/* socket-path is the upstream name, path the old one: one value */
GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("unixsocketsink", NULL);
  GParamSpec *pspec;
  GUnixSocketAddressType type;
  gboolean wait;
  gchar *v;

  fail_unless (sink != NULL);
  g_object_set (sink, "socket-path", "/tmp/a.sock", NULL);
  g_object_get (sink, "path", &v, NULL);
  fail_unless_equals_string (v, "/tmp/a.sock");
  g_free (v);
  g_object_set (sink, "path", "@b", NULL);
  g_object_get (sink, "socket-path", &v, NULL);
  fail_unless_equals_string (v, "@b");
  g_free (v);

  g_object_get (sink, "socket-type", &type, "wait-for-connection", &wait, NULL);
  fail_unless_equals_int (type, G_UNIX_SOCKET_ADDRESS_PATH);
  fail_unless (!wait);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
      "socket-type");
  fail_unless (G_PARAM_SPEC_VALUE_TYPE (pspec) ==
      G_TYPE_UNIX_SOCKET_ADDRESS_TYPE);

  /* times are nanoseconds */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "timeout");
  fail_unless (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT64);

  gst_object_unref (sink);
}

GST_END_TEST;

/* Connects to the abstract @name (with its '@') as soon as it is served. */
static gint
client_connect_when_served (const gchar * name)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
  struct sockaddr_un addr;
  socklen_t len;
  gint fd;

  make_address (name, &addr, &len);
  for (;;) {
    fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    fail_unless (fd >= 0);
    if (connect (fd, (struct sockaddr *) &addr, len) == 0)
      return fd;
    close (fd);
    fail_if (g_get_monotonic_time () > end, "nobody serves %s", name);
    g_usleep (1000);
  }
}

/* socket-type=abstract takes the name as it is, without '@' */
GST_START_TEST (test_socket_type_abstract)
{
  gchar *name = g_strdup_printf ("gst-fdpass-sink-type-%d", (gint) getpid ());
  gchar *at_name = g_strconcat ("@", name, NULL);
  gchar *props = g_strdup_printf ("socket-type=abstract socket-path=%s",
      name);
  Fixture *f = fixture_new (props);
  gint fd;

  fixture_play (f);
  fd = client_connect_when_served (at_name);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);
  fixture_push (f);
  client_expect_headers (fd);
  client_expect_frame (fd, 0);
  /* no file anywhere */
  fail_if (g_file_test (name, G_FILE_TEST_EXISTS));
  fail_if (g_file_test (f->path, G_FILE_TEST_EXISTS));

  close (fd);
  fixture_free (f);
  g_free (props);
  g_free (at_name);
  g_free (name);
}

GST_END_TEST;

static void
check_socket_type_refused (const gchar * type)
{
  gchar *props = g_strdup_printf ("socket-type=%s", type);
  Fixture *f = fixture_new (props);
  GstBus *bus = gst_element_get_bus (f->pipeline);
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (gst_element_set_state (f->pipeline,
          GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_poll (bus, GST_MESSAGE_ERROR, 0);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s", err->message);
  fail_unless (strstr (err->message, "socket-type") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, type) != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_if (g_file_test (f->path, G_FILE_TEST_EXISTS));

  fixture_free (f);
  g_free (props);
}

GST_START_TEST (test_socket_type_refused)
{
  check_socket_type_refused ("anonymous");
  check_socket_type_refused ("abstract-padded");
}

GST_END_TEST;

/* Clients waiting in the backlog of a listening socket before the sink
 * starts get the very first frame. */
GST_START_TEST (test_backlog_before_start)
{
  gchar *dir = g_dir_make_tmp ("unixsocketsink-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "l.sock", NULL);
  Fixture *f;
  gchar *props;
  gint lfd, a, b;

  lfd = bind_socket (path, TRUE);
  a = client_connect (path);
  b = client_connect (path);
  client_send_hello (a);
  client_send_hello (b);
  props = g_strdup_printf ("fd=%d", lfd);
  f = fixture_new (props);
  g_free (props);

  fixture_play (f);
  fixture_push (f);
  fixture_push (f);
  client_expect_headers (a);
  client_expect_headers (b);
  client_expect_frame (a, 0);
  client_expect_frame (b, 0);
  client_expect_frame (a, 1);
  client_expect_frame (b, 1);
  WAIT_FOR (fixture_n_added (f) == 2);
  fail_unless_equals_int (stat_u64 (f->sink, "dropped"), 0);
  fail_unless_equals_int (stat_u64 (f->sink, "sent"), 4);

  close (a);
  close (b);
  fixture_free (f);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* A client that connected before a frame is rendered gets it, even when
 * the I/O thread did not get round to accepting it: render() accepts it
 * first. */
GST_START_TEST (test_accept_before_render)
{
  Fixture *f = fixture_new (NULL);
  FdPassCheckGate g;
  gulong handler;
  gint a, b;

  fdpass_check_gate_init (&g);
  handler = g_signal_connect (f->sink, "client-added",
      G_CALLBACK (fdpass_check_gate_client_added), &g);
  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));

  /* the I/O thread accepts a and then waits in our handler */
  a = client_connect (f->path);
  fail_unless (fdpass_check_gate_wait_entered (&g, WAIT_MS * 1000),
      "timed out waiting for the client-added handler");
  /* so b waits in the backlog */
  b = client_connect (f->path);
  client_send_hello (b);

  fixture_push (f);
  client_expect_headers (b);
  client_expect_frame (b, 0);
  client_expect_headers (a);
  client_expect_frame (a, 0);
  fail_unless_equals_int (stat_u64 (f->sink, "n-clients"), 2);
  fail_unless_equals_int (stat_u64 (f->sink, "dropped"), 0);

  /* and b is announced once the I/O thread runs again */
  fdpass_check_gate_open (&g);
  WAIT_FOR (fixture_n_added (f) == 2);
  fail_unless (fixture_added_id (f, 0) != fixture_added_id (f, 1));

  g_signal_handler_disconnect (f->sink, handler);
  close (a);
  close (b);
  fixture_free (f);
  fdpass_check_gate_clear (&g);
}

GST_END_TEST;

/* Once frames flow to a client, render() leaves new clients to the I/O
 * thread rather than call accept() for every frame: one still waiting in
 * the backlog gets no frame, and once accepted, its headers and the next
 * frame. */
GST_START_TEST (test_accept_midstream)
{
  Fixture *f = fixture_new (NULL);
  FdPassCheckGate g;
  struct pollfd pfd;
  gulong handler;
  gint a, b, c;

  fdpass_check_gate_init (&g);
  fixture_play (f);
  a = fixture_connect_releasing (f, 0);
  fixture_push (f);
  client_expect_headers (a);
  client_expect_frame (a, 0);

  /* the I/O thread accepts c and then waits in our handler */
  handler = g_signal_connect (f->sink, "client-added",
      G_CALLBACK (fdpass_check_gate_client_added), &g);
  c = client_connect (f->path);
  fail_unless (fdpass_check_gate_wait_entered (&g, WAIT_MS * 1000),
      "timed out waiting for the client-added handler");
  /* so b waits in the backlog, and frame 1 goes to a alone */
  b = client_connect (f->path);
  fixture_push (f);
  client_expect_frame (a, 1);
  pfd.fd = b;
  pfd.events = POLLIN;
  pfd.revents = 0;
  fail_unless_equals_int (poll (&pfd, 1, 100), 0);

  fdpass_check_gate_open (&g);
  WAIT_FOR (fixture_n_added (f) == 3);
  fixture_push (f);
  client_expect_headers (b);
  client_expect_frame (b, 2);
  client_expect_frame (a, 2);
  fail_unless_equals_int (stat_u64 (f->sink, "dropped"), 0);

  g_signal_handler_disconnect (f->sink, handler);
  close (a);
  close (b);
  close (c);
  fixture_free (f);
  fdpass_check_gate_clear (&g);
}

GST_END_TEST;

/* wait-for-connection holds the first frame until a client connects: it
 * gets frame 0 and nothing is dropped */
GST_START_TEST (test_wait_for_connection)
{
  Fixture *f = fixture_new ("wait-for-connection=true");
  gint n_frames = 0;
  GstState state;
  gint fd, i;

  fixture_count_frames (f, &n_frames);
  fixture_play (f);
  for (i = 0; i < 3; i++)
    fixture_push (f);
  fail_unless_equals_int (gst_element_get_state (f->pipeline, &state, NULL,
          WAIT_MS * GST_MSECOND), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  /* frame 0 is in the sink */
  WAIT_FOR (g_atomic_int_get (&n_frames) == 1);
  /* nobody to send it to: frame 0 is held, nothing counted */
  g_usleep (100 * 1000);
  fail_unless_equals_int (stat_u64 (f->sink, "frames"), 0);

  /* a pause while waiting, and back */
  fail_if (gst_element_set_state (f->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (f->pipeline, &state, NULL,
          WAIT_MS * GST_MSECOND), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PAUSED);
  fixture_play (f);

  fd = client_connect (f->path);
  client_send_hello (fd);
  client_expect_headers (fd);
  for (i = 0; i < 3; i++)
    client_expect_frame (fd, i);
  fail_unless_equals_int (stat_u64 (f->sink, "frames"), 3);
  fail_unless_equals_int (stat_u64 (f->sink, "dropped"), 0);

  close (fd);
  fixture_free (f);
}

GST_END_TEST;

/* Stopping the pipeline while render() waits for a client, from PLAYING or
 * PAUSED, and flushing it, get it out. */
GST_START_TEST (test_wait_for_connection_stop)
{
  Fixture *f = fixture_new ("wait-for-connection=true");
  gint n_frames = 0;
  GstPad *pad;
  GstState state;

  fixture_count_frames (f, &n_frames);
  fixture_play (f);
  fixture_push (f);
  fixture_push (f);
  fail_unless_equals_int (gst_element_get_state (f->pipeline, &state, NULL,
          WAIT_MS * GST_MSECOND), GST_STATE_CHANGE_SUCCESS);
  /* frame 0 is in the sink, which waits: the flush comes after it */
  WAIT_FOR (g_atomic_int_get (&n_frames) == 1);

  pad = gst_element_get_static_pad (f->sink, "sink");
  fail_unless (gst_pad_send_event (pad, gst_event_new_flush_start ()));
  fail_unless (gst_pad_send_event (pad, gst_event_new_flush_stop (TRUE)));
  gst_object_unref (pad);
  fail_unless_equals_int (stat_u64 (f->sink, "frames"), 0);

  /* the fixture goes to NULL */
  fixture_free (f);

  f = fixture_new ("wait-for-connection=true");
  n_frames = 0;
  fixture_count_frames (f, &n_frames);
  fixture_play (f);
  fixture_push (f);
  fail_unless_equals_int (gst_element_get_state (f->pipeline, &state, NULL,
          WAIT_MS * GST_MSECOND), GST_STATE_CHANGE_SUCCESS);
  WAIT_FOR (g_atomic_int_get (&n_frames) == 1);
  fail_unless_equals_int (gst_element_set_state (f->pipeline,
          GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (stat_u64 (f->sink, "frames"), 0);
  fixture_free (f);
}

GST_END_TEST;

static GstStructure *
sink_get_client_stats (GstElement * sink, guint id)
{
  GstStructure *s = NULL;

  g_signal_emit_by_name (sink, "get-stats", id, &s);
  return s;
}

static void
check_client_stats (GstElement * sink, guint id, guint64 sent)
{
  GstStructure *s = sink_get_client_stats (sink, id);
  guint got_id = 0;
  gint pid = 0, uid = -1;
  guint64 v = 0;

  fail_unless (s != NULL);
  fail_unless (gst_structure_has_name (s, "client"));
  fail_unless (gst_structure_get_uint (s, "id", &got_id));
  fail_unless_equals_int (got_id, id);
  fail_unless (gst_structure_get_int (s, "pid", &pid));
  fail_unless_equals_int (pid, getpid ());
  fail_unless (gst_structure_get_int (s, "uid", &uid));
  fail_unless_equals_int (uid, getuid ());
  fail_unless (gst_structure_get_uint64 (s, "sent", &v));
  fail_unless_equals_uint64 (v, sent);
  fail_unless (gst_structure_get_uint64 (s, "dropped", &v));
  fail_unless_equals_uint64 (v, 0);
  fail_unless (gst_structure_has_field (s, "pending"));
  fail_unless (gst_structure_has_field (s, "released"));
  fail_unless (gst_structure_has_field (s, "exported"));
  gst_structure_free (s);
}

/* get-stats tells about one client, remove disconnects it */
GST_START_TEST (test_remove_and_get_stats)
{
  Fixture *f = fixture_new (NULL);
  Message *m = g_new (Message, 1);
  guint id_a, id_b;
  gint a, b;

  fixture_play (f);
  WAIT_FOR (g_file_test (f->path, G_FILE_TEST_EXISTS));
  a = client_connect (f->path);
  client_send_hello (a);
  WAIT_FOR (fixture_n_added (f) == 1);
  b = client_connect (f->path);
  client_send_hello (b);
  WAIT_FOR (fixture_n_added (f) == 2);
  id_a = fixture_added_id (f, 0);
  id_b = fixture_added_id (f, 1);

  fixture_push (f);
  client_expect_headers (a);
  client_expect_headers (b);
  client_expect_frame (a, 0);
  client_send_release (b, client_expect_frame (b, 0));
  check_client_stats (f->sink, id_a, 1);
  check_client_stats (f->sink, id_b, 1);
  fail_unless (sink_get_client_stats (f->sink, id_b + 100) == NULL);

  /* a still holds frame 0; it reads the end of the stream */
  g_signal_emit_by_name (f->sink, "remove", id_a);
  fail_if (client_recv (a, m));
  WAIT_FOR (fixture_n_removed (f) == 1);
  fail_unless (fixture_removed_with (f, "removed"));
  g_mutex_lock (&f->lock);
  fail_unless_equals_int (g_array_index (f->removed_ids, guint, 0), id_a);
  g_mutex_unlock (&f->lock);
  fail_unless (sink_get_client_stats (f->sink, id_a) == NULL);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);

  /* b goes on */
  fixture_push (f);
  client_send_release (b, client_expect_frame (b, 1));
  check_client_stats (f->sink, id_b, 2);

  /* unknown ids, and a again, change nothing */
  g_signal_emit_by_name (f->sink, "remove", id_b + 100);
  g_signal_emit_by_name (f->sink, "remove", id_a);
  fixture_push (f);
  client_expect_frame (b, 2);
  fail_unless_equals_int (fixture_n_removed (f), 1);
  fail_unless_equals_int (stat_u64 (f->sink, "n-clients"), 1);
  check_client_stats (f->sink, id_b, 3);

  close (a);
  close (b);
  g_free (m);
  fixture_free (f);
}

GST_END_TEST;

/* reads and releases every frame until the EOS message */
static gpointer
releasing_client (gpointer data)
{
  gint fd = GPOINTER_TO_INT (data);
  Message *m = g_new (Message, 1);
  guint n = 0;

  while (client_recv (fd, m)) {
    if (m->header.type == GST_FDPASS_MESSAGE_BUFFER) {
      client_send_release (fd, GST_READ_UINT64_LE (m->data +
              GST_FDPASS_HEADER_SIZE));
      n++;
    }
    message_close_fds (m);
    if (m->header.type == GST_FDPASS_MESSAGE_EOS)
      break;
  }
  g_free (m);

  return GUINT_TO_POINTER (n);
}

/* hostile clients: everything a client writes is input from another
 * process, and each way it can be wrong gets the client disconnected (or
 * ignored) without costing the sink or the other clients anything */

static void
client_send_raw (gint fd, const guint8 * data, gsize size,
    const gint * fds, guint n_fds)
{
  fail_unless_equals_int ((gint) fdpass_check_sendmsg (fd, data, size, fds,
          n_fds), (gint) size);
}

/* Sends @msg (taken) with @n_fds descriptors of /dev/null attached; our
 * copies are closed, so the sink holds the only ones. */
static void
client_send_with_fds (gint fd, GstBuffer * msg, guint n_fds)
{
  gint fds[GST_FDPASS_MAX_FDS];
  GstMapInfo map;
  guint i;

  for (i = 0; i < n_fds; i++) {
    fds[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    fail_unless (fds[i] >= 0);
  }
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  client_send_raw (fd, map.data, map.size, fds, n_fds);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
  for (i = 0; i < n_fds; i++)
    close (fds[i]);
}

/* A client that keeps going gets frame @value. */
static void
good_client_gets_frame (Fixture * f, gint good, guint8 value)
{
  fixture_push (f);
  client_send_release (good, client_expect_frame (good, value));
}

/* The first client writes @bytes and must be removed for @reason, while
 * the second one keeps getting frames; the sink keeps no descriptor. */
static void
check_hostile_client (const guint8 * bytes, gsize size, guint n_fds,
    const gchar * reason)
{
  Fixture *f = fixture_new (NULL);
  guint fds_before;
  gint bad, good;

  fixture_play (f);
  good = fixture_connect_releasing (f, 0);
  client_expect_headers (good);
  good_client_gets_frame (f, good, 0);

  fds_before = fdpass_check_count_open_fds_but_memfds ();
  bad = client_connect (f->path);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 2);
  if (n_fds > 0) {
    GstBuffer *msg = gst_buffer_new_memdup (bytes, size);

    client_send_with_fds (bad, msg, n_fds);
  } else {
    client_send_raw (bad, bytes, size, NULL, 0);
  }

  if (reason) {
    WAIT_FOR (fixture_removed_with (f, reason));
    WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);
  } else {
    /* ignored: the client stays and gets frames */
    client_expect_headers (bad);
    fixture_push (f);
    client_expect_frame (bad, 1);
    client_send_release (good, client_expect_frame (good, 1));
    fail_unless_equals_int (stat_u64 (f->sink, "n-clients"), 2);
  }
  good_client_gets_frame (f, good, reason ? 1 : 2);

  close (bad);
  WAIT_FOR (stat_u64 (f->sink, "n-clients") == 1);
  /* every descriptor the hostile client sent was closed */
  WAIT_FOR (fdpass_check_count_open_fds_but_memfds () == fds_before);

  close (good);
  fixture_free (f);
}

GST_START_TEST (test_hostile_client_garbage)
{
  static const guint8 garbage[] = "GET / HTTP/1.1\r\n\r\n";

  check_hostile_client (garbage, sizeof (garbage), 0, "malformed message");
}

GST_END_TEST;

/* A valid hello, but with descriptors: they are closed, the hello
 * counts. */
GST_START_TEST (test_hostile_client_sends_fds)
{
  GstFdPassHello hello = { 1, 1, GST_FDPASS_FEATURE_RELEASE, 0 };
  GstBuffer *msg = gst_fdpass_message_new_hello (&hello);
  GstMapInfo map;

  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  check_hostile_client (map.data, map.size, 3, NULL);
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
}

GST_END_TEST;

/* A packet larger than any message: the rest of it is lost, so is the
 * client. */
GST_START_TEST (test_hostile_client_oversized_packet)
{
  gsize size = GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD + 100;
  guint8 *big = g_malloc0 (size);
  GstFdPassHello hello = { 1, 1, 0, 0 };
  GstBuffer *msg = gst_fdpass_message_new_hello (&hello);

  /* a valid start, so that only the size is wrong */
  gst_buffer_extract (msg, 0, big, gst_buffer_get_size (msg));
  gst_buffer_unref (msg);
  check_hostile_client (big, size, 0, "malformed message");
  g_free (big);
}

GST_END_TEST;

/* A release message announcing more ids than the protocol allows. */
GST_START_TEST (test_hostile_client_release_count)
{
  guint8 msg[GST_FDPASS_HEADER_SIZE + 16];

  memset (msg, 0, sizeof (msg));
  GST_WRITE_UINT32_LE (msg, GST_FDPASS_MAGIC);
  GST_WRITE_UINT16_LE (msg + 4, GST_FDPASS_MESSAGE_RELEASE);
  GST_WRITE_UINT32_LE (msg + 12, 16);
  /* 5000 ids, in 8 bytes */
  GST_WRITE_UINT32_LE (msg + GST_FDPASS_HEADER_SIZE, 5000);
  check_hostile_client (msg, sizeof (msg), 0, "malformed message");
}

GST_END_TEST;

/* A message of a type the sink does not know is skipped, by its size. */
GST_START_TEST (test_hostile_client_unknown_type)
{
  guint8 msg[GST_FDPASS_HEADER_SIZE + 100];

  memset (msg, 0x55, sizeof (msg));
  GST_WRITE_UINT32_LE (msg, GST_FDPASS_MAGIC);
  GST_WRITE_UINT16_LE (msg + 4, 99);
  GST_WRITE_UINT16_LE (msg + 6, 0);
  GST_WRITE_UINT32_LE (msg + 8, 0);
  GST_WRITE_UINT32_LE (msg + 12, 100);
  check_hostile_client (msg, sizeof (msg), 0, NULL);
}

GST_END_TEST;

/* A client that announces a 64 KiB message, sends part of it and goes
 * away. */
GST_START_TEST (test_hostile_client_truncated)
{
  guint8 msg[GST_FDPASS_HEADER_SIZE + 10];

  memset (msg, 0, sizeof (msg));
  GST_WRITE_UINT32_LE (msg, GST_FDPASS_MAGIC);
  GST_WRITE_UINT16_LE (msg + 4, GST_FDPASS_MESSAGE_RELEASE);
  GST_WRITE_UINT32_LE (msg + 12, GST_FDPASS_MAX_PAYLOAD);
  /* stays until it closes: a message may come in pieces */
  check_hostile_client (msg, sizeof (msg), 0, NULL);
}

GST_END_TEST;

static void
run_leak_pipeline (guint n_frames, guint n_cycles)
{
  Fixture *f = fixture_new ("max-pending=400");
  GThread *thread;
  guint i, received;
  gint fd;

  fixture_play (f);
  fd = fixture_connect_releasing (f, 0);
  thread = g_thread_new ("client", releasing_client, GINT_TO_POINTER (fd));

  for (i = 0; i < n_frames; i++)
    fixture_push (f);
  gst_app_src_end_of_stream (GST_APP_SRC (f->src));
  received = GPOINTER_TO_UINT (g_thread_join (thread));
  fail_unless (received > 0);
  fail_unless_equals_int (received + stat_u64 (f->sink, "dropped"), n_frames);
  close (fd);

  for (i = 0; i < n_cycles; i++) {
    fd = client_connect (f->path);
    if (i % 2)
      client_expect_type (fd, GST_FDPASS_MESSAGE_HELLO);
    close (fd);
  }
  WAIT_FOR (stat_u64 (f->sink, "clients-removed") == n_cycles + 1);

  fixture_free (f);
}

GST_START_TEST (test_fd_leak)
{
  guint before;

  /* once to set up whatever GLib and GStreamer keep open for good */
  run_leak_pipeline (10, 2);

  before = fdpass_check_count_open_fds ();
  run_leak_pipeline (1000, 100);
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

static Suite *
unixsocketsink_suite (void)
{
  Suite *s = suite_create ("unixsocketsink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_one_client);
  tcase_add_test (tc, test_kept_files);
  tcase_add_test (tc, test_eos_drains_clients);
  tcase_add_test (tc, test_two_clients);
  tcase_add_test (tc, test_join_midstream);
  tcase_add_test (tc, test_release_by_all);
  tcase_add_test (tc, test_close_with_unread_frames);
  tcase_add_test (tc, test_release_read_when_idle);
  tcase_add_test (tc, test_policy_drop);
  tcase_add_test (tc, test_policy_disconnect);
  tcase_add_test (tc, test_policy_block);
  tcase_add_test (tc, test_block_flush);
  tcase_add_test (tc, test_timeout);
  tcase_add_test (tc, test_timeout_reads_releases);
  tcase_add_test (tc, test_release_read_by_streaming_thread);
  tcase_add_test (tc, test_stale_socket);
  tcase_add_test (tc, test_live_socket_error);
  tcase_add_test (tc, test_abstract);
  tcase_add_test (tc, test_fd_connected);
  tcase_add_test (tc, test_fd_listening);
  tcase_add_test (tc, test_max_clients);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_socket_type_abstract);
  tcase_add_test (tc, test_socket_type_refused);
  tcase_add_test (tc, test_backlog_before_start);
  tcase_add_test (tc, test_accept_before_render);
  tcase_add_test (tc, test_accept_midstream);
  tcase_add_test (tc, test_wait_for_connection);
  tcase_add_test (tc, test_wait_for_connection_stop);
  tcase_add_test (tc, test_remove_and_get_stats);
  tcase_add_test (tc, test_hostile_client_garbage);
  tcase_add_test (tc, test_hostile_client_sends_fds);
  tcase_add_test (tc, test_hostile_client_oversized_packet);
  tcase_add_test (tc, test_hostile_client_release_count);
  tcase_add_test (tc, test_hostile_client_unknown_type);
  tcase_add_test (tc, test_hostile_client_truncated);
  tcase_add_test (tc, test_fd_leak);
  tcase_add_test (tc, test_yield_after_send);

  return s;
}

GST_CHECK_MAIN (unixsocketsink);
