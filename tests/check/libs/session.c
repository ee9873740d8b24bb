/* GStreamer fd passing library
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * session.c: unit tests for GstFdPassSession and GstFdPassFrame, without
 * sockets
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
#include <gst/net/net.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gunixfdmessage.h>

#include <string.h>
#include <unistd.h>

#include "../fdpass-check.h"

#define FRAME_SIZE 4096

/* what fdpay makes when the sink answers its release query: one memfd
 * memory, its descriptor in the control message, the frame as the
 * message's parent buffer, and the payloader's own @id */
typedef struct
{
  GstAllocator *allocator;
  GstBuffer *frame;             /* the producer's buffer */
  GstBuffer *message;
  GstFdPassFrame *fdframe;
  guint64 dev, ino;
} TestFrame;

static void
test_frame_init (TestFrame * t, GstAllocator * allocator, guint64 id)
{
  GstFdPassBufferInfo info;
  GstMemory *mem;
  GUnixFDList *list;
  GSocketControlMessage *cmsg;
  GError *err = NULL;
  gint fd;

  memset (t, 0, sizeof (*t));
  mem = gst_allocator_alloc (allocator, FRAME_SIZE, NULL);
  fail_unless (mem != NULL);
  fd = gst_fd_memory_get_fd (mem);
  t->frame = gst_buffer_new ();
  gst_buffer_append_memory (t->frame, mem);

  memset (&info, 0, sizeof (info));
  info.id = id;
  info.pts = id * GST_SECOND;
  info.dts = info.duration = GST_CLOCK_TIME_NONE;
  info.offset = info.offset_end = GST_BUFFER_OFFSET_NONE;
  info.n_fds = 1;
  fail_unless (gst_fdpass_fd_info_from_fd (fd, GST_FDPASS_FD_KIND_FILE,
          &info.fds[0]));
  t->dev = info.fds[0].dev;
  t->ino = info.fds[0].ino;
  info.n_memories = 1;
  info.memories[0].size = FRAME_SIZE;

  t->message = gst_fdpass_message_new_buffer (&info);
  list = g_unix_fd_list_new ();
  fail_unless (g_unix_fd_list_append (list, fd, NULL) >= 0);
  cmsg = g_unix_fd_message_new_with_fd_list (list);
  gst_buffer_add_net_control_message_meta (t->message, cmsg);
  g_object_unref (cmsg);
  g_object_unref (list);
  gst_buffer_add_parent_buffer_meta (t->message, t->frame);

  t->fdframe = gst_fdpass_frame_new (t->message, &err);
  fail_unless (t->fdframe != NULL, "%s", err ? err->message : "");
}

static void
test_frame_clear (TestFrame * t)
{
  gst_fdpass_frame_unref (t->fdframe);
  gst_buffer_unref (t->message);
  gst_buffer_unref (t->frame);
}

static gboolean
frame_exported (TestFrame * t)
{
  return gst_fdpass_memory_is_exported (gst_buffer_peek_memory (t->frame, 0));
}

/* One output of @s, copied: returns the message type, and the buffer info
 * for buffer messages. @n_fds gets the descriptors attached. */
static guint
take_output (GstFdPassSession * s, GstFdPassBufferInfo * info,
    guint * n_fds, gint * fd0)
{
  GstFdPassSessionOutput out;
  GstFdPassHeader header;
  guint type;

  fail_unless (gst_fdpass_session_get_output (s, &out));
  fail_unless (gst_fdpass_header_parse (out.data, out.size, &header, NULL));
  fail_unless_equals_int (out.size, GST_FDPASS_HEADER_SIZE +
      header.payload_size);
  fail_unless_equals_int (header.n_fds, out.n_fds);
  type = header.type;
  if (type == GST_FDPASS_MESSAGE_BUFFER && info)
    fail_unless (gst_fdpass_buffer_parse (&header,
            out.data + GST_FDPASS_HEADER_SIZE, header.payload_size, info,
            NULL));
  if (n_fds)
    *n_fds = out.n_fds;
  if (fd0)
    *fd0 = out.n_fds > 0 ? out.fds[0] : -1;
  gst_fdpass_session_output_done (s, out.size);

  return type;
}

static void
receive_hello (GstFdPassSession * s, guint32 features, guint max_files)
{
  GstFdPassHello hello = { 1, 1, features, max_files };
  GstBuffer *msg = gst_fdpass_message_new_hello (&hello);
  GstMapInfo map;

  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  fail_unless (gst_fdpass_session_receive (s, map.data, map.size, NULL));
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
}

static void
receive_release (GstFdPassSession * s, guint64 id)
{
  GstBuffer *msg = gst_fdpass_message_new_release (&id, 1);
  GstMapInfo map;

  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  fail_unless (gst_fdpass_session_receive (s, map.data, map.size, NULL));
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
}

static void
weak_notify_flag (gpointer data, GstMiniObject * obj)
{
  *(gboolean *) data = TRUE;
}

GST_START_TEST (test_frame_new)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassBufferInfo info;
  GstBuffer *msg;
  GError *err = NULL;
  TestFrame t;

  test_frame_init (&t, allocator, 7);
  fail_unless_equals_uint64 (gst_fdpass_frame_get_size (t.fdframe),
      FRAME_SIZE);
  fail_unless_equals_uint64 (gst_fdpass_frame_get_info (t.fdframe)->id, 7);

  /* a buffer message without its descriptor is not a frame */
  memcpy (&info, gst_fdpass_frame_get_info (t.fdframe), sizeof (info));
  msg = gst_fdpass_message_new_buffer (&info);
  fail_unless (gst_fdpass_frame_new (msg, &err) == NULL);
  fail_unless (g_error_matches (err, GST_FDPASS_ERROR, GST_FDPASS_ERROR_FD));
  g_clear_error (&err);
  gst_buffer_unref (msg);

  /* nor one that flags its files as kept: a payloader never does */
  info.fds[0].flags = GST_FDPASS_FD_FLAG_KEPT;
  msg = gst_fdpass_message_new_buffer (&info);
  fail_unless (gst_fdpass_frame_new (msg, &err) == NULL);
  g_clear_error (&err);
  gst_buffer_unref (msg);

  /* nor another message */
  msg = gst_fdpass_message_new_eos ();
  fail_unless (gst_fdpass_frame_new (msg, &err) == NULL);
  g_clear_error (&err);
  gst_buffer_unref (msg);

  /* exporting marks the memory behind the message */
  fail_if (frame_exported (&t));
  gst_fdpass_frame_mark_exported (t.fdframe);
  fail_unless (frame_exported (&t));

  test_frame_clear (&t);
  gst_object_unref (allocator);
}

GST_END_TEST;

#define LATER_EXTENSION_SIZE 2000

/* A buffer message with an extension block of a later version, larger than
 * any message this library writes: the frame is made, and a session sends
 * it without the block, as the library encodes what it knows of it. */
GST_START_TEST (test_frame_later_extension)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  const GstFdPassBufferInfo *info;
  GstFdPassSessionOutput out;
  GstFdPassFrame *frame;
  GstBuffer *known, *longer;
  GstMapInfo map;
  GError *err = NULL;
  guint8 *data;
  gsize size;
  TestFrame t;

  test_frame_init (&t, allocator, 5);
  info = gst_fdpass_frame_get_info (t.fdframe);
  known = gst_fdpass_message_new_buffer (info);
  size = gst_buffer_get_size (known);

  /* the same message, the block appended (type 999, reserved, size) */
  data = g_malloc0 (size + 8 + LATER_EXTENSION_SIZE);
  gst_buffer_extract (known, 0, data, size);
  GST_WRITE_UINT16_LE (data + size, 999);
  GST_WRITE_UINT32_LE (data + size + 4, LATER_EXTENSION_SIZE);
  GST_WRITE_UINT32_LE (data + 12, size + 8 + LATER_EXTENSION_SIZE -
      GST_FDPASS_HEADER_SIZE);
  longer = gst_buffer_new_wrapped (data, size + 8 + LATER_EXTENSION_SIZE);
  gst_buffer_copy_into (longer, t.message, GST_BUFFER_COPY_META, 0, -1);
  fail_unless (gst_buffer_get_size (longer) >
      GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE);

  frame = gst_fdpass_frame_new (longer, &err);
  fail_unless (frame != NULL, "%s", err ? err->message : "");
  fail_unless_equals_uint64 (gst_fdpass_frame_get_info (frame)->id, 5);

  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, frame);
  fail_unless (gst_fdpass_session_get_output (s, &out));
  fail_unless_equals_int (out.size, size);
  fail_unless_equals_int (out.n_fds, 1);
  fail_unless (gst_buffer_map (known, &map, GST_MAP_READ));
  /* the bytes of the known message but for the session's id */
  fail_unless (memcmp (out.data, map.data, GST_FDPASS_HEADER_SIZE) == 0);
  fail_unless (memcmp (out.data + GST_FDPASS_HEADER_SIZE + 8,
          map.data + GST_FDPASS_HEADER_SIZE + 8,
          size - GST_FDPASS_HEADER_SIZE - 8) == 0);
  gst_buffer_unmap (known, &map);
  gst_fdpass_session_output_done (s, out.size);

  gst_fdpass_session_unref (s);
  gst_fdpass_frame_unref (frame);
  gst_buffer_unref (longer);
  gst_buffer_unref (known);
  test_frame_clear (&t);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* Two payloaders both count from 1: each connection has its own ids, and
 * a release names exactly the frame it was given. */
GST_START_TEST (test_ids_per_connection)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  GstFdPassBufferInfo info;
  gboolean freed_a = FALSE, freed_b = FALSE;
  TestFrame a, b;
  guint64 dev = 0, ino = 0;
  guint n_fds;
  gint fd;

  test_frame_init (&a, allocator, 1);
  test_frame_init (&b, allocator, 1);
  gst_mini_object_weak_ref (GST_MINI_OBJECT_CAST (a.fdframe),
      weak_notify_flag, &freed_a);
  gst_mini_object_weak_ref (GST_MINI_OBJECT_CAST (b.fdframe),
      weak_notify_flag, &freed_b);

  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, a.fdframe);
  gst_fdpass_session_queue_frame (s, b.fdframe);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 2);

  fail_unless_equals_int (take_output (s, &info, &n_fds, &fd),
      GST_FDPASS_MESSAGE_BUFFER);
  fail_unless_equals_uint64 (info.id, 1);
  fail_unless_equals_uint64 (info.fds[0].ino, a.ino);
  fail_unless_equals_int (n_fds, 1);
  fail_unless (fdpass_check_stat_fd (fd, &dev, &ino));
  fail_unless_equals_uint64 (ino, a.ino);
  fail_unless_equals_int (take_output (s, &info, NULL, NULL),
      GST_FDPASS_MESSAGE_BUFFER);
  fail_unless_equals_uint64 (info.id, 2);
  fail_unless_equals_uint64 (info.fds[0].ino, b.ino);
  fail_if (gst_fdpass_session_get_output (s, (GstFdPassSessionOutput *)
          & info));
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 2);

  test_frame_clear (&a);
  test_frame_clear (&b);
  fail_if (freed_a || freed_b);

  /* releasing id 2 frees b, and only b */
  receive_release (s, 2);
  fail_unless (freed_b);
  fail_if (freed_a);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 1);
  /* an id it never got changes nothing */
  receive_release (s, 3);
  fail_if (freed_a);
  receive_release (s, 1);
  fail_unless (freed_a);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 0);

  gst_fdpass_session_unref (s);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* A receiver that sent no hello, or one without RELEASE, gets frames for
 * good: they are exported before their first byte is written. */
GST_START_TEST (test_non_releasing_receiver_exports)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (32);
  GstFdPassSessionOutput out;
  GstFdPassBufferInfo info;
  GstStructure *stats;
  guint64 exported = 0;
  TestFrame a, b;

  test_frame_init (&a, allocator, 1);
  test_frame_init (&b, allocator, 2);

  /* no hello yet */
  gst_fdpass_session_queue_frame (s, a.fdframe);
  fail_if (frame_exported (&a));
  fail_unless (gst_fdpass_session_get_output (s, &out));
  fail_unless (frame_exported (&a));
  /* the decision holds even when nothing could be written yet */
  gst_fdpass_session_output_done (s, 0);
  fail_unless_equals_int (take_output (s, &info, NULL, NULL),
      GST_FDPASS_MESSAGE_BUFFER);
  /* no kept files for a receiver that never offered to keep them */
  fail_unless_equals_int (info.fds[0].flags, 0);
  fail_unless_equals_int (gst_fdpass_session_get_in_flight (s), 1);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 1);
  gst_fdpass_session_peer_caught_up (s);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 0);

  /* a hello without RELEASE */
  receive_hello (s, GST_FDPASS_FEATURE_NONE, 0);
  gst_fdpass_session_queue_frame (s, b.fdframe);
  fail_unless_equals_int (take_output (s, NULL, NULL, NULL),
      GST_FDPASS_MESSAGE_BUFFER);
  fail_unless (frame_exported (&b));
  fail_unless_equals_int (gst_fdpass_session_get_in_flight (s), 1);

  stats = gst_fdpass_session_get_stats (s);
  fail_unless (gst_structure_get_uint64 (stats, "exported", &exported));
  fail_unless_equals_uint64 (exported, 2);
  gst_structure_free (stats);

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  test_frame_clear (&b);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* Frames a releasing receiver got are its own once the session closes
 * without their release; frames never written are not. */
GST_START_TEST (test_close_exports_unreleased)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  TestFrame a, b, c;

  test_frame_init (&a, allocator, 1);
  test_frame_init (&b, allocator, 2);
  test_frame_init (&c, allocator, 3);

  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, a.fdframe);
  gst_fdpass_session_queue_frame (s, b.fdframe);
  gst_fdpass_session_queue_frame (s, c.fdframe);
  take_output (s, NULL, NULL, NULL);
  take_output (s, NULL, NULL, NULL);
  receive_release (s, 2);
  fail_if (frame_exported (&a) || frame_exported (&b) || frame_exported (&c));

  gst_fdpass_session_close (s);
  fail_unless (frame_exported (&a));
  fail_if (frame_exported (&b));
  fail_if (frame_exported (&c));
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 0);
  /* closed: nothing more goes in or out */
  gst_fdpass_session_queue_frame (s, c.fdframe);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 0);

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  test_frame_clear (&b);
  test_frame_clear (&c);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* A partial write on a stream socket: the descriptors went with the first
 * byte, so the frame is the receiver's if the connection ends there. */
GST_START_TEST (test_partial_write)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  GstFdPassSessionOutput out;
  gsize total;
  TestFrame a;

  test_frame_init (&a, allocator, 1);
  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, a.fdframe);

  fail_unless (gst_fdpass_session_get_output (s, &out));
  total = out.size;
  fail_unless_equals_int (out.n_fds, 1);
  gst_fdpass_session_output_done (s, 10);
  fail_unless (gst_fdpass_session_get_output (s, &out));
  fail_unless_equals_int (out.size, total - 10);
  fail_unless_equals_int (out.n_fds, 0);
  fail_if (frame_exported (&a));

  gst_fdpass_session_close (s);
  fail_unless (frame_exported (&a));

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* A receiver that announced releases and then says it no longer sends
 * them keeps what it has for good. */
GST_START_TEST (test_hello_drops_release)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  TestFrame a;

  test_frame_init (&a, allocator, 1);
  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, a.fdframe);
  take_output (s, NULL, NULL, NULL);
  fail_if (frame_exported (&a));

  receive_hello (s, GST_FDPASS_FEATURE_NONE, 0);
  fail_unless (frame_exported (&a));
  fail_unless_equals_int (gst_fdpass_session_get_in_flight (s), 1);

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* The bytes of a frame were decided for a receiver that releases, which
 * withdraws RELEASE before they are written: the frame is its own. */
GST_START_TEST (test_release_withdrawn_before_write)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  GstFdPassSessionOutput out;
  GstStructure *stats;
  guint64 sent = 0, exported = 0;
  TestFrame a;

  test_frame_init (&a, allocator, 1);
  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, a.fdframe);
  fail_unless (gst_fdpass_session_get_output (s, &out));
  gst_fdpass_session_output_done (s, 0);
  fail_if (frame_exported (&a));

  receive_hello (s, GST_FDPASS_FEATURE_NONE, 0);
  fail_unless (gst_fdpass_session_get_output (s, &out));
  gst_fdpass_session_output_done (s, out.size);
  fail_unless (frame_exported (&a));
  fail_unless_equals_int (gst_fdpass_session_get_in_flight (s), 1);

  stats = gst_fdpass_session_get_stats (s);
  fail_unless (gst_structure_get_uint64 (stats, "sent", &sent));
  fail_unless (gst_structure_get_uint64 (stats, "exported", &exported));
  fail_unless_equals_uint64 (sent, 1);
  fail_unless_equals_uint64 (exported, 1);
  gst_structure_free (stats);

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* Kept files: the first use of a file passes it flagged KEEP, later ones
 * name it KEPT without a descriptor, and the receiver is told to forget
 * the least recently used file, in a packet of its own, before it would
 * keep more than it offered. */
GST_START_TEST (test_kept_files)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (64);
  GstFdPassSessionOutput out;
  GstFdPassBufferInfo info;
  GstFdPassHeader header;
  GstFdPassFdInfo *files;
  GstStructure *stats;
  guint64 refs = 0;
  guint n_fds, n_files, kept = 0;
  TestFrame a, b, c;

  test_frame_init (&a, allocator, 1);
  test_frame_init (&b, allocator, 2);
  test_frame_init (&c, allocator, 3);

  receive_hello (s, GST_FDPASS_FEATURE_RELEASE | GST_FDPASS_FEATURE_FILES, 2);

  gst_fdpass_session_queue_frame (s, a.fdframe);
  take_output (s, &info, &n_fds, NULL);
  fail_unless_equals_int (info.fds[0].flags, GST_FDPASS_FD_FLAG_KEEP);
  fail_unless_equals_int (n_fds, 1);

  gst_fdpass_session_queue_frame (s, a.fdframe);
  take_output (s, &info, &n_fds, NULL);
  fail_unless_equals_int (info.fds[0].flags, GST_FDPASS_FD_FLAG_KEPT);
  fail_unless_equals_int (n_fds, 0);

  gst_fdpass_session_queue_frame (s, b.fdframe);
  take_output (s, &info, &n_fds, NULL);
  fail_unless_equals_int (info.fds[0].flags, GST_FDPASS_FD_FLAG_KEEP);

  /* a was used before b: it is the one to forget */
  gst_fdpass_session_queue_frame (s, c.fdframe);
  fail_unless (gst_fdpass_session_get_output (s, &out));
  fail_unless (gst_fdpass_header_parse (out.data, out.size, &header, NULL));
  fail_unless_equals_int (header.type, GST_FDPASS_MESSAGE_FORGET);
  fail_unless_equals_int (out.size, GST_FDPASS_HEADER_SIZE +
      header.payload_size);
  fail_unless_equals_int (out.n_fds, 0);
  fail_unless (gst_fdpass_forget_parse (out.data + GST_FDPASS_HEADER_SIZE,
          header.payload_size, &files, &n_files, NULL));
  fail_unless_equals_int (n_files, 1);
  fail_unless_equals_uint64 (files[0].ino, a.ino);
  g_free (files);
  gst_fdpass_session_output_done (s, out.size);
  take_output (s, &info, &n_fds, NULL);
  fail_unless_equals_uint64 (info.fds[0].ino, c.ino);
  fail_unless_equals_int (info.fds[0].flags, GST_FDPASS_FD_FLAG_KEEP);
  fail_unless_equals_int (n_fds, 1);

  stats = gst_fdpass_session_get_stats (s);
  fail_unless (gst_structure_get_uint (stats, "kept-files", &kept));
  fail_unless (gst_structure_get_uint64 (stats, "kept-file-references", &refs));
  fail_unless_equals_int (kept, 2);
  fail_unless_equals_uint64 (refs, 1);
  gst_structure_free (stats);

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  test_frame_clear (&b);
  test_frame_clear (&c);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* Messages other than frames go as they are, in queue order; the
 * receiver's messages may arrive split anywhere, and garbage is an
 * error. */
GST_START_TEST (test_messages_and_input)
{
  GstFdPassHello hello = { 1, 1, GST_FDPASS_FEATURE_RELEASE, 0 };
  GstFdPassSession *s = gst_fdpass_session_new (0);
  GstBuffer *msg = gst_fdpass_message_new_hello (&hello);
  GstBuffer *eos = gst_fdpass_message_new_eos ();
  GError *err = NULL;
  GstMapInfo map;
  guint n_fds = 99;
  gsize i;

  gst_fdpass_session_queue_message (s, msg);
  gst_fdpass_session_queue_message (s, eos);
  fail_unless_equals_int (gst_fdpass_session_get_queued (s), 2);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 0);
  fail_unless_equals_int (take_output (s, NULL, &n_fds, NULL),
      GST_FDPASS_MESSAGE_HELLO);
  fail_unless_equals_int (n_fds, 0);
  fail_unless_equals_int (take_output (s, NULL, NULL, NULL),
      GST_FDPASS_MESSAGE_EOS);
  fail_unless_equals_int (gst_fdpass_session_get_queued (s), 0);

  /* a hello one byte at a time */
  fail_if (gst_fdpass_session_releases (s));
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  for (i = 0; i < map.size; i++)
    fail_unless (gst_fdpass_session_receive (s, map.data + i, 1, NULL));
  gst_buffer_unmap (msg, &map);
  fail_unless (gst_fdpass_session_releases (s));

  fail_if (gst_fdpass_session_receive (s, (const guint8 *)
          "not an fdpass message", 21, &err));
  fail_unless (err != NULL);
  g_clear_error (&err);

  gst_buffer_unref (msg);
  gst_buffer_unref (eos);
  gst_fdpass_session_unref (s);
}

GST_END_TEST;

GST_START_TEST (test_oldest_seqnum)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  guint64 seqnum = 0;
  TestFrame a, b;

  test_frame_init (&a, allocator, 1);
  test_frame_init (&b, allocator, 2);
  fail_unless (gst_fdpass_frame_get_seqnum (a.fdframe) <
      gst_fdpass_frame_get_seqnum (b.fdframe));

  fail_if (gst_fdpass_session_get_oldest_seqnum (s, &seqnum));
  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, a.fdframe);
  gst_fdpass_session_queue_frame (s, b.fdframe);
  take_output (s, NULL, NULL, NULL);
  fail_unless (gst_fdpass_session_get_oldest_seqnum (s, &seqnum));
  fail_unless_equals_uint64 (seqnum, gst_fdpass_frame_get_seqnum (a.fdframe));
  receive_release (s, 1);
  fail_unless (gst_fdpass_session_get_oldest_seqnum (s, &seqnum));
  fail_unless_equals_uint64 (seqnum, gst_fdpass_frame_get_seqnum (b.fdframe));

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  test_frame_clear (&b);
  gst_object_unref (allocator);
}

GST_END_TEST;

/* A session reads the ids of a release in place: every id of a message
 * counts, and a release message that claims more ids than it carries, or
 * more than the protocol allows, is an error that releases nothing. */
GST_START_TEST (test_release_in_place)
{
  GstAllocator *allocator = gst_tmp_file_allocator_new ();
  GstFdPassSession *s = gst_fdpass_session_new (0);
  guint64 ids[2] = { 2, 1 };
  guint8 bad[GST_FDPASS_HEADER_SIZE + 8 + 8];
  GError *err = NULL;
  GstMapInfo map;
  GstBuffer *msg;
  TestFrame a, b, c;

  test_frame_init (&a, allocator, 1);
  test_frame_init (&b, allocator, 2);
  test_frame_init (&c, allocator, 3);
  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  gst_fdpass_session_queue_frame (s, a.fdframe);
  gst_fdpass_session_queue_frame (s, b.fdframe);
  gst_fdpass_session_queue_frame (s, c.fdframe);
  take_output (s, NULL, NULL, NULL);
  take_output (s, NULL, NULL, NULL);
  take_output (s, NULL, NULL, NULL);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 3);

  /* one message, two ids, in any order */
  msg = gst_fdpass_message_new_release (ids, 2);
  fail_unless (gst_buffer_map (msg, &map, GST_MAP_READ));
  fail_unless (gst_fdpass_session_receive (s, map.data, map.size, NULL));
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 1);

  /* the same message claiming a third id it does not carry */
  fail_unless_equals_int (map.size, sizeof (bad) + 8);
  memcpy (bad, map.data, sizeof (bad));
  gst_buffer_unmap (msg, &map);
  gst_buffer_unref (msg);
  GST_WRITE_UINT32_LE (bad + 12, 8 + 8);
  GST_WRITE_UINT32_LE (bad + GST_FDPASS_HEADER_SIZE, 3);
  GST_WRITE_UINT64_LE (bad + GST_FDPASS_HEADER_SIZE + 8, 3);
  fail_if (gst_fdpass_session_receive (s, bad, sizeof (bad), &err));
  fail_unless (g_error_matches (err, GST_FDPASS_ERROR,
          GST_FDPASS_ERROR_INVALID));
  g_clear_error (&err);
  fail_unless_equals_int (gst_fdpass_session_get_pending (s), 1);
  gst_fdpass_session_unref (s);

  /* more ids than a release message may hold, on a new session */
  s = gst_fdpass_session_new (0);
  receive_hello (s, GST_FDPASS_FEATURE_RELEASE, 0);
  GST_WRITE_UINT32_LE (bad + GST_FDPASS_HEADER_SIZE,
      GST_FDPASS_MAX_RELEASE_IDS + 1);
  fail_if (gst_fdpass_session_receive (s, bad, sizeof (bad), &err));
  fail_unless (g_error_matches (err, GST_FDPASS_ERROR,
          GST_FDPASS_ERROR_TOO_LARGE));
  g_clear_error (&err);

  gst_fdpass_session_unref (s);
  test_frame_clear (&a);
  test_frame_clear (&b);
  test_frame_clear (&c);
  gst_object_unref (allocator);
}

GST_END_TEST;

static Suite *
session_suite (void)
{
  Suite *s = suite_create ("session");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_frame_new);
  tcase_add_test (tc, test_frame_later_extension);
  tcase_add_test (tc, test_ids_per_connection);
  tcase_add_test (tc, test_non_releasing_receiver_exports);
  tcase_add_test (tc, test_close_exports_unreleased);
  tcase_add_test (tc, test_partial_write);
  tcase_add_test (tc, test_hello_drops_release);
  tcase_add_test (tc, test_release_withdrawn_before_write);
  tcase_add_test (tc, test_kept_files);
  tcase_add_test (tc, test_messages_and_input);
  tcase_add_test (tc, test_oldest_seqnum);
  tcase_add_test (tc, test_release_in_place);

  return s;
}

GST_CHECK_MAIN (session);
