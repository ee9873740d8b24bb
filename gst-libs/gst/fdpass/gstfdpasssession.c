/* GStreamer fd passing library
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

/**
 * SECTION:gstfdpasssession
 * @title: GstFdPassSession
 * @short_description: The state of one connection of an fdpass sender,
 *     without the socket
 * @see_also: #GstFdPassFrame, gst_fdpass_memory_mark_exported()
 *
 * A #GstFdPassSession is what a sender knows about one receiver: the
 * messages queued for it, the frames it holds, the buffer ids of this
 * connection, the features it announced, the files it keeps. It decides
 * the bytes and file descriptors to write next and learns from the bytes
 * the receiver writes back, but never touches a socket: the owner reads
 * and writes (unixsocketsink does, from its I/O thread) and decides
 * policy (how many frames a receiver may hold, when to give up on it).
 * A session is not thread-safe; its owner serializes the calls.
 *
 * Frames are #GstFdPassFrame objects, made once from the message fdpay
 * produced and shared by every session the frame is queued for. The
 * session decides whether the memory of a frame may ever be written
 * again, in one place: memory goes back to the sender for reuse only when
 * every receiver that got the frame released it. A frame given to a
 * receiver that does not send releases (it sent no hello, a hello without
 * the RELEASE feature, or not yet), or that was still held by a receiver
 * when its session was closed, is marked exported
 * (gst_fdpass_frame_mark_exported()): its memory is never reused, and the
 * receiver can map it for as long as it likes.
 *
 * Each connection has its own buffer ids, counting up from 1: the ids in
 * the messages the sender's payloader made are replaced, so that two
 * payloaders feeding one sink (or a restarted one) never make ids collide.
 *
 * Since: 0.2
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpasssession.h"
#include "gstfdpassprotocol-private.h"
#include "gsttmpfileallocator.h"

#include <gst/base/gstqueuearray.h>
#include <gst/net/gstnetcontrolmessagemeta.h>
#include <gio/gunixfdmessage.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_fdpass_session_debug);
#define GST_CAT_DEFAULT gst_fdpass_session_debug

static void
ensure_debug_category (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_fdpass_session_debug, "fdpasssession", 0,
        "fd passing sender sessions");
    g_once_init_leave (&done, 1);
  }
}

/* GstFdPassFrame */

/**
 * GstFdPassFrame:
 *
 * One buffer message of fdpay, parsed once, with the descriptors that came
 * with it, as a sender queues it for its sessions. Immutable but for the
 * exported mark; the frame holds the message and so the memory of the
 * frame (fdpay ties it to the message when the sink answers its release
 * query).
 *
 * Since: 0.2
 */
struct _GstFdPassFrame
{
  GstMiniObject mini_object;

  GstBuffer *message;
  GUnixFDList *fd_list;
  GstFdPassBufferInfo info;
  guint64 seqnum;
  guint64 size;
  gint exported;
  /* the message encoded again from @info, which each session copies and
   * gives its id and the flags of the files its receiver keeps */
  gsize wire_size;
  guint8 wire[];
};

GST_DEFINE_MINI_OBJECT_TYPE (GstFdPassFrame, gst_fdpass_frame);

static void
gst_fdpass_frame_free (GstFdPassFrame * frame)
{
  gst_buffer_unref (frame->message);
  g_clear_object (&frame->fd_list);
  g_free (frame);
}

/* the memory a frame pins in the sender: its files, or where a file's size
 * is unknown (DMA buffers), as much of it as the memories reach */
static guint64
frame_size (const GstFdPassBufferInfo * info)
{
  guint64 ends[GST_FDPASS_MAX_FDS] = { 0, };
  guint64 size = 0;
  guint i;

  for (i = 0; i < info->n_memories; i++) {
    const GstFdPassMemInfo *m = &info->memories[i];

    ends[m->fd_index] = MAX (ends[m->fd_index], m->offset + m->size);
  }
  for (i = 0; i < info->n_fds; i++)
    size += MAX (info->fds[i].size, ends[i]);

  return size;
}

/**
 * gst_fdpass_frame_new:
 * @message: a buffer message as fdpay makes it: every descriptor of its fd
 *     table attached in a #GstNetControlMessageMeta holding a
 *     #GUnixFDMessage, no entry flagged kept
 * @error: return location for a #GError
 *
 * Parses a buffer message once, for every session it is queued for, and
 * checks that it carries the descriptors its fd table announces.
 *
 * Returns: (transfer full) (nullable): a new frame holding a ref to
 *     @message, or %NULL when @message is not such a message
 *
 * Since: 0.2
 */
GstFdPassFrame *
gst_fdpass_frame_new (GstBuffer * message, GError ** error)
{
  static guint64 last_seqnum = 0;
  G_LOCK_DEFINE_STATIC (seqnum);
  GstNetControlMessageMeta *meta;
  GstFdPassFrame *frame;
  GstFdPassHeader header;
  GUnixFDList *list = NULL;
  GstMapInfo map;
  gsize room;
  gboolean ok;
  guint i;

  g_return_val_if_fail (GST_IS_BUFFER (message), NULL);

  ensure_debug_category ();

  if (!gst_buffer_map (message, &map, GST_MAP_READ)) {
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID,
        "Cannot read the message");
    return NULL;
  }

  /* not zeroed: the parser clears the info, the rest is set below. The
   * message encoded again is no larger than the one parsed, which holds
   * every part of it (and maybe extensions of later versions, dropped),
   * nor than the largest the library writes. */
  room = MIN (map.size, GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE);
  frame = g_malloc (sizeof (GstFdPassFrame) + room);
  ok = gst_fdpass_header_parse (map.data, map.size, &header, error) &&
      gst_fdpass_buffer_parse (&header, map.data + GST_FDPASS_HEADER_SIZE,
      map.size - GST_FDPASS_HEADER_SIZE, &frame->info, error);
  if (ok)
    frame->wire_size = gst_fdpass_buffer_info_write (&frame->info,
        frame->wire, room);
  gst_buffer_unmap (message, &map);
  if (!ok)
    goto failed;
  g_assert (frame->wire_size > 0);

  for (i = 0; i < frame->info.n_fds; i++) {
    if (frame->info.fds[i].flags != GST_FDPASS_FD_FLAG_NONE) {
      g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_INVALID,
          "Fd %u of the message is flagged 0x%x, a payloader flags none", i,
          frame->info.fds[i].flags);
      goto failed;
    }
  }

  meta = gst_buffer_get_net_control_message_meta (message);
  if (meta && G_IS_UNIX_FD_MESSAGE (meta->message))
    list = g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (meta->message));
  if ((list ? g_unix_fd_list_get_length (list) : 0) != (gint)
      frame->info.n_fds) {
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_FD,
        "The message describes %u file descriptors but carries %d",
        frame->info.n_fds, list ? g_unix_fd_list_get_length (list) : 0);
    goto failed;
  }

  gst_mini_object_init (GST_MINI_OBJECT_CAST (frame), 0,
      GST_TYPE_FDPASS_FRAME, NULL, NULL,
      (GstMiniObjectFreeFunction) gst_fdpass_frame_free);
  frame->message = gst_buffer_ref (message);
  frame->fd_list = list ? g_object_ref (list) : NULL;
  frame->size = frame_size (&frame->info);
  frame->exported = 0;
  G_LOCK (seqnum);
  frame->seqnum = ++last_seqnum;
  G_UNLOCK (seqnum);

  return frame;

failed:
  g_free (frame);
  return NULL;
}

/**
 * gst_fdpass_frame_ref:
 * @frame: a #GstFdPassFrame
 *
 * Adds a reference to @frame.
 *
 * Returns: (transfer full): @frame
 *
 * Since: 0.2
 */
GstFdPassFrame *
gst_fdpass_frame_ref (GstFdPassFrame * frame)
{
  return (GstFdPassFrame *) gst_mini_object_ref (GST_MINI_OBJECT_CAST (frame));
}

/**
 * gst_fdpass_frame_unref:
 * @frame: a #GstFdPassFrame
 *
 * Drops a reference to @frame; the last one drops the message and with it
 * the sender's buffer.
 *
 * Since: 0.2
 */
void
gst_fdpass_frame_unref (GstFdPassFrame * frame)
{
  gst_mini_object_unref (GST_MINI_OBJECT_CAST (frame));
}

/**
 * gst_fdpass_frame_get_size:
 * @frame: a #GstFdPassFrame
 *
 * Gives the memory a receiver holding @frame keeps from reuse, for limits
 * on what receivers may hold.
 *
 * Returns: how many bytes of memory the frame holds in the sender: the
 *     size of its files
 *
 * Since: 0.2
 */
guint64
gst_fdpass_frame_get_size (GstFdPassFrame * frame)
{
  g_return_val_if_fail (frame != NULL, 0);

  return frame->size;
}

/**
 * gst_fdpass_frame_get_seqnum:
 * @frame: a #GstFdPassFrame
 *
 * Gives the order in which frames were made, to find the oldest frame a
 * receiver holds (gst_fdpass_session_get_oldest_seqnum()).
 *
 * Returns: a number that grows with every frame made in this process, so
 *     that the oldest of several frames has the smallest
 *
 * Since: 0.2
 */
guint64
gst_fdpass_frame_get_seqnum (GstFdPassFrame * frame)
{
  g_return_val_if_fail (frame != NULL, 0);

  return frame->seqnum;
}

/**
 * gst_fdpass_frame_get_info:
 * @frame: a #GstFdPassFrame
 *
 * Gives the parsed buffer message of @frame. Sessions send it with ids of
 * their own, not the id in it.
 *
 * Returns: (transfer none): what the message says about the buffer, with
 *     the payloader's id
 *
 * Since: 0.2
 */
const GstFdPassBufferInfo *
gst_fdpass_frame_get_info (GstFdPassFrame * frame)
{
  g_return_val_if_fail (frame != NULL, NULL);

  return &frame->info;
}

/**
 * gst_fdpass_frame_mark_exported:
 * @frame: a #GstFdPassFrame
 *
 * A receiver may map the memory of @frame for as long as it likes: marks
 * every memory the message holds (the buffers of its #GstParentBufferMeta)
 * with gst_fdpass_memory_mark_exported(), so that it is never written
 * again. Memory of a message without such a meta is not reused anyway
 * (fdpay marks it itself when no sink answers its release query).
 *
 * Since: 0.2
 */
void
gst_fdpass_frame_mark_exported (GstFdPassFrame * frame)
{
  gpointer state = NULL;
  GstMeta *meta;

  g_return_if_fail (frame != NULL);

  if (!g_atomic_int_compare_and_exchange (&frame->exported, FALSE, TRUE))
    return;

  GST_LOG ("frame %" G_GUINT64_FORMAT " (id %" G_GUINT64_FORMAT ") exported",
      frame->seqnum, frame->info.id);
  while ((meta = gst_buffer_iterate_meta_filtered (frame->message, &state,
              GST_PARENT_BUFFER_META_API_TYPE))) {
    GstBuffer *parent = ((GstParentBufferMeta *) meta)->buffer;
    guint i, n = gst_buffer_n_memory (parent);

    for (i = 0; i < n; i++)
      gst_fdpass_memory_mark_exported (gst_buffer_peek_memory (parent, i));
  }
}

/* GstFdPassSession */

/* a FORGET message for up to GST_FDPASS_MAX_FDS files, then the buffer
 * message */
#define FORGET_MAX_SIZE (GST_FDPASS_HEADER_SIZE + 8 + GST_FDPASS_MAX_FDS * 16)
#define WIRE_SIZE (FORGET_MAX_SIZE + GST_FDPASS_MAX_BUFFER_MESSAGE_SIZE)

typedef struct
{
  /* a frame, or another message when NULL */
  GstFdPassFrame *frame;
  GstBuffer *message;
} QueueItem;

typedef struct
{
  guint64 id;
  GstFdPassFrame *frame;
} Unreleased;

typedef struct
{
  guint64 dev;
  guint64 ino;
} KeptFile;

/**
 * GstFdPassSession:
 *
 * The state of one receiver of a sender. See the section description.
 *
 * Since: 0.2
 */
struct _GstFdPassSession
{
  GstMiniObject mini_object;

  /* the most files we ask the receiver to keep, whatever it offers */
  guint max_kept_files;

  /* of QueueItem, the head is being written; items are stored in the
   * array itself, so that queueing a frame allocates nothing */
  GstQueueArray *queue;
  guint n_queued_frames;

  /* the head of the queue, once its bytes are decided: one or two packets
   * (a FORGET message goes in a packet of its own) */
  gboolean prepared;
  GstMapInfo head_map;
  gboolean head_mapped;
  guint8 *wire;
  const guint8 *packet_data[2];
  gsize packet_size[2];
  guint n_packets;
  guint packet;
  gsize offset;
  /* the buffer packet's descriptors, and the fd table entries they are */
  gint fds[GST_FDPASS_MAX_FDS];
  guint n_fds;
  guint n_kept_refs;
  guint64 head_id;
  gboolean head_started;
  gboolean head_exported;

  guint64 next_id;
  GArray *unreleased;           /* of Unreleased, oldest first */
  guint n_in_flight;

  GByteArray *input;
  gboolean got_hello;
  gboolean releases;
  guint max_files;
  GArray *kept;                 /* of KeptFile, least recently used first */

  gint64 last_progress;
  gboolean closed;

  guint64 n_sent;
  guint64 n_released;
  guint64 n_exported;
  guint64 n_bytes;
  guint64 n_fds_passed;
  guint64 n_kept_refs_total;
};

GST_DEFINE_MINI_OBJECT_TYPE (GstFdPassSession, gst_fdpass_session);

static void
queue_item_clear (QueueItem * item)
{
  if (item->frame)
    gst_fdpass_frame_unref (item->frame);
  if (item->message)
    gst_buffer_unref (item->message);
}

/* drops every queued item */
static void
session_clear_queue (GstFdPassSession * session)
{
  QueueItem *item;

  while ((item = gst_queue_array_pop_head_struct (session->queue)))
    queue_item_clear (item);
  session->n_queued_frames = 0;
}

/* forgets the decided bytes of the head */
static void
session_unprepare (GstFdPassSession * session)
{
  QueueItem *head = gst_queue_array_peek_head_struct (session->queue);

  if (session->head_mapped) {
    gst_buffer_unmap (head->message, &session->head_map);
    session->head_mapped = FALSE;
  }
  session->prepared = FALSE;
  session->n_packets = 0;
  session->packet = 0;
  session->offset = 0;
  session->n_fds = 0;
  session->n_kept_refs = 0;
  session->head_started = FALSE;
  session->head_exported = FALSE;
}

static void
session_pop_head (GstFdPassSession * session)
{
  QueueItem *head;

  session_unprepare (session);
  /* valid until the next push */
  head = gst_queue_array_pop_head_struct (session->queue);
  if (head->frame)
    session->n_queued_frames--;
  queue_item_clear (head);
}

/* a frame the receiver got (or may have got) and will not release: its
 * memory must never be written again */
static void
session_export (GstFdPassSession * session, GstFdPassFrame * frame)
{
  gst_fdpass_frame_mark_exported (frame);
  session->n_exported++;
}

/* the receiver may never release what it holds: it is its own now */
static void
session_export_unreleased (GstFdPassSession * session)
{
  guint i;

  for (i = 0; i < session->unreleased->len; i++) {
    Unreleased *u = &g_array_index (session->unreleased, Unreleased, i);

    session_export (session, u->frame);
    gst_fdpass_frame_unref (u->frame);
  }
  session->n_in_flight += session->unreleased->len;
  g_array_set_size (session->unreleased, 0);
}

static void
gst_fdpass_session_free (GstFdPassSession * session)
{
  gst_fdpass_session_close (session);
  gst_queue_array_free (session->queue);
  g_array_unref (session->unreleased);
  g_array_unref (session->kept);
  g_byte_array_unref (session->input);
  g_free (session->wire);
  g_free (session);
}

/**
 * gst_fdpass_session_new:
 * @max_kept_files: the most files to ask the receiver to keep (the FILES
 *     feature of protocol 1.1), whatever it offers; 0 to never ask
 *
 * Creates the state of a new connection, with nothing queued. The owner
 * queues the hello, caps and segment messages first.
 *
 * Returns: (transfer full): a session for a new connection
 *
 * Since: 0.2
 */
GstFdPassSession *
gst_fdpass_session_new (guint max_kept_files)
{
  GstFdPassSession *session = g_new0 (GstFdPassSession, 1);

  ensure_debug_category ();

  gst_mini_object_init (GST_MINI_OBJECT_CAST (session), 0,
      GST_TYPE_FDPASS_SESSION, NULL, NULL,
      (GstMiniObjectFreeFunction) gst_fdpass_session_free);

  session->max_kept_files = max_kept_files;
  session->queue = gst_queue_array_new_for_struct (sizeof (QueueItem), 8);
  session->wire = g_malloc (WIRE_SIZE);
  session->unreleased = g_array_new (FALSE, FALSE, sizeof (Unreleased));
  session->kept = g_array_new (FALSE, FALSE, sizeof (KeptFile));
  session->input = g_byte_array_new ();
  session->last_progress = g_get_monotonic_time ();

  return session;
}

/**
 * gst_fdpass_session_ref:
 * @session: a #GstFdPassSession
 *
 * Adds a reference to @session.
 *
 * Returns: (transfer full): @session
 *
 * Since: 0.2
 */
GstFdPassSession *
gst_fdpass_session_ref (GstFdPassSession * session)
{
  return (GstFdPassSession *)
      gst_mini_object_ref (GST_MINI_OBJECT_CAST (session));
}

/**
 * gst_fdpass_session_unref:
 * @session: a #GstFdPassSession
 *
 * Drops a reference; the last one closes the session if it was not closed
 * (see gst_fdpass_session_close()).
 *
 * Since: 0.2
 */
void
gst_fdpass_session_unref (GstFdPassSession * session)
{
  gst_mini_object_unref (GST_MINI_OBJECT_CAST (session));
}

/**
 * gst_fdpass_session_queue_message:
 * @session: a #GstFdPassSession
 * @message: a message other than a buffer message (hello, caps, EOS), sent
 *     as it is, without descriptors
 *
 * Queues @message for the receiver, after what is queued already; the
 * session takes a reference. Nothing is queued once the session is closed.
 *
 * Since: 0.2
 */
void
gst_fdpass_session_queue_message (GstFdPassSession * session,
    GstBuffer * message)
{
  QueueItem item;

  g_return_if_fail (session != NULL);
  g_return_if_fail (GST_IS_BUFFER (message));

  if (session->closed)
    return;

  item.frame = NULL;
  item.message = gst_buffer_ref (message);
  gst_queue_array_push_tail_struct (session->queue, &item);
}

/**
 * gst_fdpass_session_queue_frame:
 * @session: a #GstFdPassSession
 * @frame: a #GstFdPassFrame
 *
 * Queues @frame for the receiver; the session holds it until the receiver
 * released it, or until the session is closed.
 *
 * Since: 0.2
 */
void
gst_fdpass_session_queue_frame (GstFdPassSession * session,
    GstFdPassFrame * frame)
{
  QueueItem item;

  g_return_if_fail (session != NULL);
  g_return_if_fail (frame != NULL);

  if (session->closed)
    return;

  if (gst_fdpass_session_get_pending (session) == 0)
    session->last_progress = g_get_monotonic_time ();

  item.frame = gst_fdpass_frame_ref (frame);
  item.message = NULL;
  gst_queue_array_push_tail_struct (session->queue, &item);
  session->n_queued_frames++;
}

static gint
session_find_kept (GstFdPassSession * session, guint64 dev, guint64 ino)
{
  guint i;

  for (i = 0; i < session->kept->len; i++) {
    KeptFile *k = &g_array_index (session->kept, KeptFile, i);

    if (k->dev == dev && k->ino == ino)
      return i;
  }

  return -1;
}

/* Decides which files of @info the receiver keeps already (flagged KEPT,
 * no descriptor), which it is asked to keep (KEEP) and which go as before,
 * updating the list of kept files, least recently used first. Fills
 * @forget with the files the receiver must forget first. The decision is
 * final: the receiver learns it with the bytes written next. */
static guint
session_decide_kept_files (GstFdPassSession * session,
    const GstFdPassBufferInfo * info, guint32 * flags, GstFdPassFdInfo * forget)
{
  guint i, n_forget = 0, n_kept = 0, n_new = 0;

  /* the files this message needs that the receiver keeps become the most
   * recently used, so they are not the ones to forget */
  for (i = 0; i < info->n_fds; i++) {
    const GstFdPassFdInfo *fd = &info->fds[i];
    gint k;

    if (fd->kind != GST_FDPASS_FD_KIND_FILE)
      continue;
    k = session_find_kept (session, fd->dev, fd->ino);
    if (k >= 0) {
      KeptFile kf = g_array_index (session->kept, KeptFile, k);

      g_array_remove_index (session->kept, k);
      g_array_append_val (session->kept, kf);
      flags[i] = GST_FDPASS_FD_FLAG_KEPT;
      n_kept++;
    } else {
      n_new++;
    }
  }

  /* a message needing more files than the receiver keeps passes the new
   * ones as before, without asking to keep them */
  if (n_kept + n_new > session->max_files)
    return 0;

  for (i = 0; i < info->n_fds; i++) {
    const GstFdPassFdInfo *fd = &info->fds[i];
    KeptFile kf;

    if (fd->kind != GST_FDPASS_FD_KIND_FILE ||
        flags[i] == GST_FDPASS_FD_FLAG_KEPT)
      continue;

    if (session->kept->len >= session->max_files) {
      KeptFile *old = &g_array_index (session->kept, KeptFile, 0);

      memset (&forget[n_forget], 0, sizeof (forget[n_forget]));
      forget[n_forget].dev = old->dev;
      forget[n_forget].ino = old->ino;
      n_forget++;
      g_array_remove_index (session->kept, 0);
    }
    kf.dev = fd->dev;
    kf.ino = fd->ino;
    g_array_append_val (session->kept, kf);
    flags[i] = GST_FDPASS_FD_FLAG_KEEP;
  }

  return n_forget;
}

/* Decides the bytes and descriptors of the frame at the head. Returns FALSE
 * when the frame cannot be sent (its message lost its descriptors). */
static gboolean
session_prepare_frame (GstFdPassSession * session, GstFdPassFrame * frame)
{
  const GstFdPassBufferInfo *info = &frame->info;
  GstFdPassFdInfo forget[GST_FDPASS_MAX_FDS];
  /* as in the frame's message (none, it checked) until decided here */
  guint32 flags[GST_FDPASS_MAX_FDS] = { 0, };
  const gint *fds;
  guint8 *message;
  gsize forget_size = 0;
  guint i, n_forget = 0;
  gint n = 0;

  /* whoever holds the control message could have taken its descriptors */
  fds = frame->fd_list ? g_unix_fd_list_peek_fds (frame->fd_list, &n) : NULL;
  if (n != (gint) info->n_fds) {
    GST_WARNING ("frame %" G_GUINT64_FORMAT " lost its file descriptors (%d "
        "of %u left), not sending it", frame->seqnum, n, info->n_fds);
    return FALSE;
  }

  if (!session->releases) {
    /* it will never tell us when it is done: the frame is its own */
    session_export (session, frame);
    session->head_exported = TRUE;
  } else if (session->max_files > 0) {
    n_forget = session_decide_kept_files (session, info, flags, forget);
  }

  session->head_id = ++session->next_id;

  session->n_packets = 0;
  if (n_forget > 0) {
    GstBuffer *msg = gst_fdpass_message_new_forget (forget, n_forget);

    forget_size = gst_buffer_extract (msg, 0, session->wire, FORGET_MAX_SIZE);
    gst_buffer_unref (msg);
    session->packet_data[0] = session->wire;
    session->packet_size[0] = forget_size;
    session->n_packets = 1;
    GST_LOG ("session %p: forgetting %u files", session, n_forget);
  }

  /* the frame's message with our id and flags: the same bytes as
   * encoding it again, without reading all of the frame's info */
  session->n_fds = 0;
  session->n_kept_refs = 0;
  for (i = 0; i < info->n_fds; i++) {
    if (flags[i] == GST_FDPASS_FD_FLAG_KEPT)
      session->n_kept_refs++;
    else
      session->fds[session->n_fds++] = fds[i];
  }

  message = session->wire + forget_size;
  g_assert (frame->wire_size <= WIRE_SIZE - forget_size);
  memcpy (message, frame->wire, frame->wire_size);
  gst_fdpass_buffer_message_patch (message, session->head_id, flags,
      info->n_fds, session->n_fds);
  session->packet_data[session->n_packets] = message;
  session->packet_size[session->n_packets] = frame->wire_size;
  session->n_packets++;

  return TRUE;
}

/* Decides the bytes of the head of the queue. Returns FALSE when the queue
 * is empty. */
static gboolean
session_prepare (GstFdPassSession * session)
{
  QueueItem *head;

  while ((head = gst_queue_array_peek_head_struct (session->queue))) {
    if (head->frame == NULL) {
      if (!gst_buffer_map (head->message, &session->head_map, GST_MAP_READ)) {
        GST_WARNING ("cannot map message %" GST_PTR_FORMAT, head->message);
        session_pop_head (session);
        continue;
      }
      session->head_mapped = TRUE;
      session->packet_data[0] = session->head_map.data;
      session->packet_size[0] = session->head_map.size;
      session->n_packets = 1;
      session->n_fds = 0;
    } else if (!session_prepare_frame (session, head->frame)) {
      session_pop_head (session);
      continue;
    }
    session->prepared = TRUE;
    session->packet = 0;
    session->offset = 0;
    return TRUE;
  }

  return FALSE;
}

/**
 * gst_fdpass_session_get_output:
 * @session: a #GstFdPassSession
 * @output: (out caller-allocates): what to write next
 *
 * Tells what to write next: the rest of one packet, to be written with one
 * sendmsg(), the descriptors attached to its first byte. Once the head of
 * the queue was asked for, its bytes are decided: the caller must write
 * exactly those, and tell gst_fdpass_session_output_done() how many went
 * out.
 *
 * Returns: %FALSE when nothing is queued
 *
 * Since: 0.2
 */
gboolean
gst_fdpass_session_get_output (GstFdPassSession * session,
    GstFdPassSessionOutput * output)
{
  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (output != NULL, FALSE);

  if (session->closed || (!session->prepared && !session_prepare (session)))
    return FALSE;

  output->data = session->packet_data[session->packet] + session->offset;
  output->size = session->packet_size[session->packet] - session->offset;
  /* the descriptors go with the first byte of the buffer message, the last
   * packet */
  if (session->offset == 0 && session->packet == session->n_packets - 1) {
    output->fds = session->fds;
    output->n_fds = session->n_fds;
  } else {
    output->fds = NULL;
    output->n_fds = 0;
  }

  return TRUE;
}

/* the frame at the head went out whole */
static void
session_frame_sent (GstFdPassSession * session, GstFdPassFrame * frame)
{
  GST_LOG ("session %p: frame %" G_GUINT64_FORMAT " sent as id %"
      G_GUINT64_FORMAT, session, frame->seqnum, session->head_id);
  session->n_sent++;
  if (session->releases) {
    Unreleased u;

    if (session->unreleased->len == 0 && session->n_in_flight == 0)
      session->last_progress = g_get_monotonic_time ();
    u.id = session->head_id;
    u.frame = gst_fdpass_frame_ref (frame);
    g_array_append_val (session->unreleased, u);
  } else {
    /* exported when its bytes were decided, unless the receiver withdrew
     * RELEASE since: the frame is its own either way */
    if (!session->head_exported)
      session_export (session, frame);
    session->n_in_flight++;
  }
}

/**
 * gst_fdpass_session_output_done:
 * @session: a #GstFdPassSession
 * @written: how many bytes of the last output were written, with its
 *     descriptors when it had any; 0 when nothing could be written
 *
 * Tells the session how much of what gst_fdpass_session_get_output() gave
 * was written. Once all of a frame's message is written, the receiver has
 * the frame: until it releases it, or for good when it does not release.
 *
 * Since: 0.2
 */
void
gst_fdpass_session_output_done (GstFdPassSession * session, gsize written)
{
  QueueItem *head;

  g_return_if_fail (session != NULL);
  g_return_if_fail (session->prepared || written == 0);

  if (written == 0)
    return;

  g_return_if_fail (written <= session->packet_size[session->packet] -
      session->offset);

  head = gst_queue_array_peek_head_struct (session->queue);
  session->n_bytes += written;
  if (session->offset == 0 && session->packet == session->n_packets - 1 &&
      head->frame) {
    /* the receiver may have the descriptors from now on */
    session->head_started = TRUE;
    session->n_fds_passed += session->n_fds;
    session->n_kept_refs_total += session->n_kept_refs;
  }

  session->offset += written;
  if (session->offset < session->packet_size[session->packet])
    return;

  session->offset = 0;
  if (++session->packet < session->n_packets)
    return;

  if (head->frame)
    session_frame_sent (session, head->frame);
  session_pop_head (session);
}

static gboolean
session_release_one (GstFdPassSession * session, guint64 id)
{
  guint i;

  for (i = 0; i < session->unreleased->len; i++) {
    Unreleased *u = &g_array_index (session->unreleased, Unreleased, i);

    if (u->id == id) {
      gst_fdpass_frame_unref (u->frame);
      g_array_remove_index (session->unreleased, i);
      return TRUE;
    }
  }

  return FALSE;
}

/* @payload: a release message of @n_ids ids that passed
 * gst_fdpass_release_check() */
static void
session_handle_release (GstFdPassSession * session, const guint8 * payload,
    guint n_ids)
{
  guint i, n = 0;

  for (i = 0; i < n_ids; i++) {
    guint64 id = gst_fdpass_release_get_id (payload, i);

    if (session_release_one (session, id))
      n++;
    else
      GST_LOG ("session %p: release of unknown id %" G_GUINT64_FORMAT,
          session, id);
  }

  GST_LOG ("session %p: %u of %u ids released, %u frames unreleased",
      session, n, n_ids, session->unreleased->len);
  if (n > 0) {
    session->n_released += n;
    session->last_progress = g_get_monotonic_time ();
  }
}

static void
session_handle_hello (GstFdPassSession * session, const GstFdPassHello * hello)
{
  gboolean releases = (hello->features & GST_FDPASS_FEATURE_RELEASE) != 0;

  GST_DEBUG ("session %p: receiver speaks %u.%u, features 0x%x, keeps %u "
      "files", session, hello->version_major, hello->version_minor,
      hello->features, hello->max_files);

  /* what the receiver keeps depends on what we asked it to keep since its
   * first hello, which later ones do not change */
  if (!session->got_hello && (hello->features & GST_FDPASS_FEATURE_FILES))
    session->max_files = MIN (hello->max_files, session->max_kept_files);
  session->got_hello = TRUE;

  if (session->releases && !releases) {
    /* it changed its mind: what it holds is its own */
    session_export_unreleased (session);
  }
  session->releases = releases;
}

/**
 * gst_fdpass_session_receive:
 * @session: a #GstFdPassSession
 * @data: (array length=size): bytes the receiver wrote, in order
 * @size: how many
 * @error: return location for a #GError
 *
 * Handles the messages the receiver sent: its hello (the features it
 * announces) and releases. Messages may be split across calls.
 *
 * Returns: %FALSE when the receiver sent something that is not a valid
 *     message; the session should be closed then
 *
 * Since: 0.2
 */
gboolean
gst_fdpass_session_receive (GstFdPassSession * session, const guint8 * data,
    gsize size, GError ** error)
{
  gsize pos = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  g_byte_array_append (session->input, data, size);

  while (ok && session->input->len - pos >= GST_FDPASS_HEADER_SIZE) {
    const guint8 *msg = session->input->data + pos;
    const guint8 *payload = msg + GST_FDPASS_HEADER_SIZE;
    GstFdPassHeader header;

    if (!gst_fdpass_header_parse (msg, GST_FDPASS_HEADER_SIZE, &header, error)) {
      ok = FALSE;
      break;
    }
    if (session->input->len - pos < GST_FDPASS_HEADER_SIZE +
        header.payload_size)
      break;

    switch (header.type) {
      case GST_FDPASS_MESSAGE_HELLO:{
        GstFdPassHello hello;

        ok = gst_fdpass_hello_parse (payload, header.payload_size, &hello,
            error);
        if (ok)
          session_handle_hello (session, &hello);
        break;
      }
      case GST_FDPASS_MESSAGE_RELEASE:{
        guint n_ids;

        /* one comes for every frame: its ids are read in place */
        ok = gst_fdpass_release_check (payload, header.payload_size, &n_ids,
            error);
        if (ok)
          session_handle_release (session, payload, n_ids);
        break;
      }
      default:
        GST_LOG ("session %p: skipping message of type %u", session,
            header.type);
        break;
    }
    pos += GST_FDPASS_HEADER_SIZE + header.payload_size;
  }

  g_byte_array_remove_range (session->input, 0, pos);

  return ok;
}

/**
 * gst_fdpass_session_peer_caught_up:
 * @session: a #GstFdPassSession
 *
 * The receiver read everything written to it so far (its socket's output
 * queue is empty): the frames in flight to a receiver that does not
 * release are in its hands now, and no longer count as pending here.
 *
 * Since: 0.2
 */
void
gst_fdpass_session_peer_caught_up (GstFdPassSession * session)
{
  g_return_if_fail (session != NULL);

  if (session->n_in_flight > 0) {
    session->n_in_flight = 0;
    session->last_progress = g_get_monotonic_time ();
  }
}

/**
 * gst_fdpass_session_close:
 * @session: a #GstFdPassSession
 *
 * The connection is over, or the owner gives up on it. Whatever the
 * receiver may still map (frames it did not release, and the frame that
 * was being written) is marked exported, everything else queued is
 * dropped, and nothing is queued any more.
 *
 * Since: 0.2
 */
void
gst_fdpass_session_close (GstFdPassSession * session)
{
  QueueItem *head;

  g_return_if_fail (session != NULL);

  if (session->closed)
    return;
  session->closed = TRUE;

  head = gst_queue_array_peek_head_struct (session->queue);
  if (head && head->frame && session->head_started && !session->head_exported)
    session_export (session, head->frame);
  if (session->prepared)
    session_unprepare (session);
  session_clear_queue (session);

  session_export_unreleased (session);
  session->n_in_flight = 0;
  g_array_set_size (session->kept, 0);
}

/**
 * gst_fdpass_session_releases:
 * @session: a #GstFdPassSession
 *
 * Tells whether the receiver's hello had %GST_FDPASS_FEATURE_RELEASE.
 * Until its hello came, a receiver does not release.
 *
 * Returns: whether the receiver announced that it sends releases
 *
 * Since: 0.2
 */
gboolean
gst_fdpass_session_releases (GstFdPassSession * session)
{
  g_return_val_if_fail (session != NULL, FALSE);

  return session->releases;
}

/**
 * gst_fdpass_session_get_pending:
 * @session: a #GstFdPassSession
 *
 * Counts the frames whose memory the receiver keeps from reuse, for the
 * owner's limit on what one receiver may hold.
 *
 * Returns: the frames the receiver holds: queued for it, sent and not
 *     released, or in flight to a receiver that does not release
 *
 * Since: 0.2
 */
guint
gst_fdpass_session_get_pending (GstFdPassSession * session)
{
  g_return_val_if_fail (session != NULL, 0);

  return session->n_queued_frames + session->unreleased->len +
      session->n_in_flight;
}

/**
 * gst_fdpass_session_get_in_flight:
 * @session: a #GstFdPassSession
 *
 * Counts the frames written to a receiver that does not release that it
 * may not have read yet.
 *
 * Returns: frames given to a receiver that does not release, which it may
 *     not have read yet (see gst_fdpass_session_peer_caught_up())
 *
 * Since: 0.2
 */
guint
gst_fdpass_session_get_in_flight (GstFdPassSession * session)
{
  g_return_val_if_fail (session != NULL, 0);

  return session->n_in_flight;
}

/**
 * gst_fdpass_session_get_queued:
 * @session: a #GstFdPassSession
 *
 * Counts what is waiting to be written, the message being written
 * included.
 *
 * Returns: the messages queued, frames or not
 *
 * Since: 0.2
 */
guint
gst_fdpass_session_get_queued (GstFdPassSession * session)
{
  g_return_val_if_fail (session != NULL, 0);

  return gst_queue_array_get_length (session->queue);
}

/**
 * gst_fdpass_session_get_oldest_seqnum:
 * @session: a #GstFdPassSession
 * @seqnum: (out): the seqnum of the oldest frame the session holds
 *
 * Finds the oldest frame the session holds (see
 * gst_fdpass_frame_get_seqnum()), so that the owner can tell which
 * receiver holds up the reuse of memory the longest.
 *
 * Returns: %FALSE when the session holds no frame in the sender's memory
 *
 * Since: 0.2
 */
gboolean
gst_fdpass_session_get_oldest_seqnum (GstFdPassSession * session,
    guint64 * seqnum)
{
  gboolean found = FALSE;
  guint i, n;

  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (seqnum != NULL, FALSE);

  if (session->unreleased->len > 0) {
    *seqnum = g_array_index (session->unreleased, Unreleased, 0).frame->seqnum;
    found = TRUE;
  }
  n = gst_queue_array_get_length (session->queue);
  for (i = 0; i < n; i++) {
    QueueItem *item = gst_queue_array_peek_nth_struct (session->queue, i);

    if (item->frame && (!found || item->frame->seqnum < *seqnum)) {
      *seqnum = item->frame->seqnum;
      found = TRUE;
    }
  }

  return found;
}

/**
 * gst_fdpass_session_get_last_progress:
 * @session: a #GstFdPassSession
 *
 * Tells since when a receiver that holds frames has made no progress, for
 * the owner's timeout on receivers that stopped reading or releasing.
 *
 * Returns: the monotonic time (g_get_monotonic_time()) of the last release,
 *     of the last time the receiver caught up, or of when it got its first
 *     pending frame
 *
 * Since: 0.2
 */
gint64
gst_fdpass_session_get_last_progress (GstFdPassSession * session)
{
  g_return_val_if_fail (session != NULL, 0);

  return session->last_progress;
}

/**
 * gst_fdpass_session_get_stats:
 * @session: a #GstFdPassSession
 *
 * Takes a snapshot of the counters of @session, for the statistics of its
 * owner.
 *
 * Returns: (transfer full): a structure named "session": `releases`
 *     (whether the receiver sends releases), `pending`, `queued`,
 *     `in-flight` (see the getters), frames `sent`, `released` and
 *     `exported` (given to the receiver for good), `bytes` written, `fds`
 *     passed, `kept-files` the receiver keeps now and
 *     `kept-file-references` (files named without passing their
 *     descriptor again)
 *
 * Since: 0.2
 */
GstStructure *
gst_fdpass_session_get_stats (GstFdPassSession * session)
{
  g_return_val_if_fail (session != NULL, NULL);

  return gst_structure_new ("session",
      "releases", G_TYPE_BOOLEAN, session->releases,
      "pending", G_TYPE_UINT, gst_fdpass_session_get_pending (session),
      "queued", G_TYPE_UINT, gst_queue_array_get_length (session->queue),
      "in-flight", G_TYPE_UINT, session->n_in_flight,
      "sent", G_TYPE_UINT64, session->n_sent,
      "released", G_TYPE_UINT64, session->n_released,
      "exported", G_TYPE_UINT64, session->n_exported,
      "bytes", G_TYPE_UINT64, session->n_bytes,
      "fds", G_TYPE_UINT64, session->n_fds_passed,
      "kept-files", G_TYPE_UINT, session->kept->len,
      "kept-file-references", G_TYPE_UINT64, session->n_kept_refs_total, NULL);
}
