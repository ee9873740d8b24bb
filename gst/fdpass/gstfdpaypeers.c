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

/*
 * GstFdPayPeers: the receivers behind a sink that does not keep track of
 * them (multisocketsink), and which frames each of them may still map.
 *
 * unixsocketsink tracks its receivers itself (a GstFdPassSession each) and
 * holds every message until they all released it. multisocketsink writes
 * the same message to each client and drops it; with send-messages=true it
 * turns what a client writes back into an upstream event, which fdpay
 * hands to this. No socket here: a peer is whatever pointer identifies a
 * client (its GSocket), and fdpay tells when one comes and goes.
 *
 * The rules are those of the sessions (see docs/security.md):
 *
 * - a frame goes back to fdpay's pool only once the sink let go of its
 *   message (no client can get it any more) and every peer that may have
 *   got it released its id;
 * - the frame is exported, never written again, when a peer that may get
 *   it has not announced RELEASE in a HELLO (yet), joined while the sink
 *   could still write it, wrote something that is not a message, or went
 *   away before releasing it;
 * - clients the sink had before fdpay watched it are unknown, and while any
 *   of them is there every frame is exported;
 * - at most max_pending frames wait for a receiver's release (those all
 *   receivers released wait for the sink only): older ones are exported,
 *   so that a receiver that stopped releasing costs nothing but copies.
 *
 * Every function may be called from any thread: frames are sent from the
 * streaming thread, peers come and go from the application's and the
 * sink's threads, releases arrive from the sink's thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpaypeers.h"

#include <gst/fdpass/fdpass.h>

GST_DEBUG_CATEGORY_STATIC (gst_fd_pay_peers_debug);
#define GST_CAT_DEFAULT gst_fd_pay_peers_debug

typedef struct
{
  gpointer key;
  /* its last HELLO announced RELEASE */
  gboolean releases;
  /* it wrote something that is not a message: not listened to any more */
  gboolean broken;
  /* the start of a message split across reads */
  GByteArray *input;
} Peer;

typedef struct
{
  /* a reference: the message may outlive fdpay */
  GstFdPayPeers *peers;
  guint64 id;
  /* the frame while it waits, NULL once recycled or exported */
  GstBuffer *frame;
  /* the peers that may have got it and did not release it */
  GPtrArray *holders;
  /* the sink may still write the message to a client */
  gboolean message_alive;
  /* in peers->records while the frame waits */
  GList *link;
} Record;

struct _GstFdPayPeers
{
  gint refcount;

  GMutex lock;
  /* signalled when a frame stops waiting */
  GCond cond;
  gboolean flushing;
  GHashTable *peers;            /* key -> Peer */
  GQueue records;               /* of Record, waiting, oldest first */
  guint max_pending;
  guint n_unknown;
  gboolean closed;
};

/* what to do once the lock is released: frames to let go of (back to the
 * pool, or freed when exported), records to free */
typedef struct
{
  GPtrArray *frames;
  GPtrArray *records;
} Done;

#define DONE_INIT { NULL, NULL }

static void
peer_free (Peer * peer)
{
  g_byte_array_unref (peer->input);
  g_free (peer);
}

static void
record_free (Record * record)
{
  g_ptr_array_unref (record->holders);
  gst_fd_pay_peers_unref (record->peers);
  g_free (record);
}

static void
done_flush (Done * done)
{
  guint i;

  if (done->frames) {
    for (i = 0; i < done->frames->len; i++)
      gst_buffer_unref (g_ptr_array_index (done->frames, i));
    g_ptr_array_unref (done->frames);
  }
  if (done->records) {
    for (i = 0; i < done->records->len; i++)
      record_free (g_ptr_array_index (done->records, i));
    g_ptr_array_unref (done->records);
  }
}

static void
mark_exported (GstBuffer * frame)
{
  guint i, n = gst_buffer_n_memory (frame);

  for (i = 0; i < n; i++)
    gst_fdpass_memory_mark_exported (gst_buffer_peek_memory (frame, i));
}

/* The frame of @record stops waiting: back to the pool, or exported. With
 * the lock. */
static void
record_finish (GstFdPayPeers * peers, Record * record, gboolean export,
    Done * done)
{
  GST_LOG ("frame %" G_GUINT64_FORMAT " %s", record->id,
      export ? "exported" : "released by every receiver");

  if (export)
    mark_exported (record->frame);

  g_queue_delete_link (&peers->records, record->link);
  record->link = NULL;
  g_cond_broadcast (&peers->cond);
  g_ptr_array_set_size (record->holders, 0);

  if (done->frames == NULL)
    done->frames = g_ptr_array_new ();
  g_ptr_array_add (done->frames, g_steal_pointer (&record->frame));

  /* nobody else refers to it any more */
  if (!record->message_alive) {
    if (done->records == NULL)
      done->records = g_ptr_array_new ();
    g_ptr_array_add (done->records, record);
  }
}

/* How many waiting frames a receiver still holds: those all receivers
 * released wait only for the sink to drop their message (multisocketsink
 * drops the messages it wrote when the next one comes). With the lock. */
static guint
n_unreleased (GstFdPayPeers * peers)
{
  GList *l;
  guint n = 0;

  for (l = peers->records.head; l; l = l->next) {
    Record *record = l->data;

    if (record->holders->len > 0)
      n++;
  }

  return n;
}

/* The oldest waiting frame a receiver still holds. With the lock. */
static Record *
oldest_unreleased (GstFdPayPeers * peers)
{
  GList *l;

  for (l = peers->records.head; l; l = l->next) {
    Record *record = l->data;

    if (record->holders->len > 0)
      return record;
  }

  return NULL;
}

/* Exports every waiting frame that @peer holds, or all of them when @peer
 * is NULL. With the lock. */
static void
export_held (GstFdPayPeers * peers, Peer * peer, Done * done)
{
  GList *l = peers->records.head;

  while (l) {
    Record *record = l->data;

    l = l->next;
    if (peer == NULL || g_ptr_array_find (record->holders, peer, NULL))
      record_finish (peers, record, TRUE, done);
  }
}

/**
 * gst_fd_pay_peers_new:
 * @max_pending: how many frames may wait for releases at most
 * @n_unknown: how many clients the sink has already, which were never
 *     added
 *
 * Returns: (transfer full): a new #GstFdPayPeers without peers
 */
GstFdPayPeers *
gst_fd_pay_peers_new (guint max_pending, guint n_unknown)
{
  GstFdPayPeers *peers = g_new0 (GstFdPayPeers, 1);

  static gsize debug_done = 0;

  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (gst_fd_pay_peers_debug, "fdpaypeers", 0,
        "fdpay's receivers behind a multisocketsink");
    g_once_init_leave (&debug_done, 1);
  }

  peers->refcount = 1;
  g_mutex_init (&peers->lock);
  g_cond_init (&peers->cond);
  peers->peers = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) peer_free);
  g_queue_init (&peers->records);
  peers->max_pending = MAX (max_pending, 1);
  peers->n_unknown = n_unknown;

  return peers;
}

GstFdPayPeers *
gst_fd_pay_peers_ref (GstFdPayPeers * peers)
{
  g_atomic_int_inc (&peers->refcount);

  return peers;
}

void
gst_fd_pay_peers_unref (GstFdPayPeers * peers)
{
  if (!g_atomic_int_dec_and_test (&peers->refcount))
    return;

  /* records hold a reference: none is left */
  g_assert (g_queue_is_empty (&peers->records));
  g_hash_table_unref (peers->peers);
  g_cond_clear (&peers->cond);
  g_mutex_clear (&peers->lock);
  g_free (peers);
}

/**
 * gst_fd_pay_peers_add:
 * @peer: a client about to be added to the sink
 *
 * A new client, which announced nothing yet. Frames whose message the sink
 * may still write to it are exported.
 */
void
gst_fd_pay_peers_add (GstFdPayPeers * peers, gpointer peer)
{
  Done done = DONE_INIT;
  GList *l;

  g_mutex_lock (&peers->lock);
  if (peers->closed || g_hash_table_contains (peers->peers, peer))
    goto out;

  GST_DEBUG ("new receiver %p", peer);
  {
    Peer *p = g_new0 (Peer, 1);

    p->key = peer;
    p->input = g_byte_array_new ();
    g_hash_table_insert (peers->peers, peer, p);
  }

  l = peers->records.head;
  while (l) {
    Record *record = l->data;

    l = l->next;
    if (record->message_alive)
      record_finish (peers, record, TRUE, &done);
  }

out:
  g_mutex_unlock (&peers->lock);
  done_flush (&done);
}

/**
 * gst_fd_pay_peers_remove:
 * @peer: a client the sink removed
 *
 * The client is gone, but the process behind it may still map what it got:
 * the frames it did not release are exported. A client that was never
 * added may have got any frame that still waits: all of them are exported.
 */
void
gst_fd_pay_peers_remove (GstFdPayPeers * peers, gpointer peer)
{
  Done done = DONE_INIT;
  Peer *p;

  g_mutex_lock (&peers->lock);
  p = g_hash_table_lookup (peers->peers, peer);
  if (p) {
    GST_DEBUG ("receiver %p went away", peer);
    export_held (peers, p, &done);
    g_hash_table_remove (peers->peers, peer);
  } else {
    GST_DEBUG ("a receiver we did not know went away");
    if (peers->n_unknown > 0)
      peers->n_unknown--;
    export_held (peers, NULL, &done);
  }
  g_mutex_unlock (&peers->lock);
  done_flush (&done);
}

static void
peer_release (GstFdPayPeers * peers, Peer * peer, guint64 id, Done * done)
{
  GList *l;

  for (l = peers->records.tail; l; l = l->prev) {
    Record *record = l->data;

    if (record->id != id)
      continue;

    if (g_ptr_array_remove_fast (record->holders, peer) &&
        record->holders->len == 0) {
      if (!record->message_alive)
        record_finish (peers, record, FALSE, done);
      else
        g_cond_broadcast (&peers->cond);
    }
    return;
  }

  GST_LOG ("receiver %p released %" G_GUINT64_FORMAT ", which is not "
      "waiting", peer->key, id);
}

/* With the lock. FALSE when the input is not a message. */
static gboolean
peer_parse (GstFdPayPeers * peers, Peer * peer, Done * done, GError ** error)
{
  GByteArray *input = peer->input;
  gsize pos = 0;
  gboolean ok = TRUE;

  while (ok && input->len - pos >= GST_FDPASS_HEADER_SIZE) {
    const guint8 *payload = input->data + pos + GST_FDPASS_HEADER_SIZE;
    GstFdPassHeader header;

    if (!gst_fdpass_header_parse (input->data + pos, GST_FDPASS_HEADER_SIZE,
            &header, error)) {
      ok = FALSE;
      break;
    }
    if (input->len - pos < GST_FDPASS_HEADER_SIZE + header.payload_size)
      break;

    switch (header.type) {
      case GST_FDPASS_MESSAGE_HELLO:{
        GstFdPassHello hello;
        gboolean releases;

        ok = gst_fdpass_hello_parse (payload, header.payload_size, &hello,
            error);
        if (!ok)
          break;
        releases = (hello.features & GST_FDPASS_FEATURE_RELEASE) != 0;
        GST_DEBUG ("receiver %p speaks %u.%u, %s", peer->key,
            hello.version_major, hello.version_minor,
            releases ? "releases" : "does not release");
        /* it changed its mind: what it holds is its own */
        if (peer->releases && !releases)
          export_held (peers, peer, done);
        peer->releases = releases;
        break;
      }
      case GST_FDPASS_MESSAGE_RELEASE:{
        guint64 *ids;
        guint i, n_ids;

        ok = gst_fdpass_release_parse (payload, header.payload_size, &ids,
            &n_ids, error);
        if (!ok)
          break;
        for (i = 0; i < n_ids; i++)
          peer_release (peers, peer, ids[i], done);
        g_free (ids);
        break;
      }
      default:
        GST_LOG ("receiver %p: skipping message of type %u", peer->key,
            header.type);
        break;
    }
    pos += GST_FDPASS_HEADER_SIZE + header.payload_size;
  }

  g_byte_array_remove_range (input, 0, pos);

  return ok;
}

/**
 * gst_fd_pay_peers_receive:
 * @peer: the client that wrote @data
 * @data: (array length=size): bytes it wrote, in order
 *
 * Handles the HELLO and RELEASE messages of a client. What clients that
 * were never added write is ignored.
 *
 * Returns: %FALSE when @peer wrote something that is not a message; it is
 *     not listened to any more, and every frame it holds is exported
 */
gboolean
gst_fd_pay_peers_receive (GstFdPayPeers * peers, gpointer peer,
    const guint8 * data, gsize size, GError ** error)
{
  Done done = DONE_INIT;
  gboolean ok = TRUE;
  Peer *p;

  g_mutex_lock (&peers->lock);
  p = g_hash_table_lookup (peers->peers, peer);
  if (p == NULL || p->broken)
    goto out;

  g_byte_array_append (p->input, data, size);
  ok = peer_parse (peers, p, &done, error);
  if (!ok) {
    p->broken = TRUE;
    p->releases = FALSE;
    g_byte_array_set_size (p->input, 0);
    export_held (peers, p, &done);
  }

out:
  g_mutex_unlock (&peers->lock);
  done_flush (&done);

  return ok;
}

static void
message_gone (gpointer data, GstMiniObject * token)
{
  Record *record = data;
  GstFdPayPeers *peers = record->peers;
  Done done = DONE_INIT;
  gboolean free_record;

  g_mutex_lock (&peers->lock);
  /* while the message is alive record_finish() leaves the record to us */
  if (record->frame && record->holders->len == 0)
    record_finish (peers, record, FALSE, &done);
  record->message_alive = FALSE;
  free_record = record->frame == NULL;
  g_mutex_unlock (&peers->lock);

  done_flush (&done);
  if (free_record)
    record_free (record);
}

/**
 * gst_fd_pay_peers_sent:
 * @id: the buffer id of @message
 * @frame: the buffer whose memory @message passes
 * @message: the message, not pushed yet
 *
 * Decides the fate of @frame: it waits for the releases of every client
 * (and for the sink to drop @message), or it is exported right away.
 */
void
gst_fd_pay_peers_sent (GstFdPayPeers * peers, guint64 id, GstBuffer * frame,
    GstBuffer * message)
{
  Done done = DONE_INIT;
  GHashTableIter iter;
  gpointer value;
  Record *record;
  GstBuffer *token;
  gboolean wait = TRUE;

  g_mutex_lock (&peers->lock);
  if (peers->closed || peers->n_unknown > 0)
    wait = FALSE;
  g_hash_table_iter_init (&iter, peers->peers);
  while (wait && g_hash_table_iter_next (&iter, NULL, &value)) {
    Peer *p = value;

    if (!p->releases || p->broken)
      wait = FALSE;
  }

  if (!wait) {
    GST_LOG ("frame %" G_GUINT64_FORMAT " exported: a receiver does not "
        "release", id);
    mark_exported (frame);
    g_mutex_unlock (&peers->lock);
    return;
  }

  record = g_new0 (Record, 1);
  record->peers = gst_fd_pay_peers_ref (peers);
  record->id = id;
  record->frame = gst_buffer_ref (frame);
  record->holders = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, peers->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (record->holders, value);
  record->message_alive = TRUE;
  g_queue_push_tail (&peers->records, record);
  record->link = peers->records.tail;

  while (n_unreleased (peers) > peers->max_pending) {
    GST_DEBUG ("%u frames wait for releases, exporting the oldest",
        peers->max_pending + 1);
    record_finish (peers, oldest_unreleased (peers), TRUE, &done);
  }
  g_mutex_unlock (&peers->lock);

  /* the token lives as long as the message and any copy of it */
  token = gst_buffer_new ();
  gst_mini_object_weak_ref (GST_MINI_OBJECT_CAST (token), message_gone, record);
  gst_buffer_add_parent_buffer_meta (message, token);
  gst_buffer_unref (token);

  done_flush (&done);
}

/**
 * gst_fd_pay_peers_close:
 *
 * fdpay stops watching the sink: every waiting frame is exported, every
 * later one too.
 */
void
gst_fd_pay_peers_close (GstFdPayPeers * peers)
{
  Done done = DONE_INIT;

  g_mutex_lock (&peers->lock);
  peers->closed = TRUE;
  g_cond_broadcast (&peers->cond);
  export_held (peers, NULL, &done);
  g_hash_table_remove_all (peers->peers);
  g_mutex_unlock (&peers->lock);
  done_flush (&done);
}

/**
 * gst_fd_pay_peers_wait:
 * @end_time: until when to wait at most, in g_get_monotonic_time()
 *
 * Waits until fewer than max_pending frames wait for releases, so that
 * the next one does not push the oldest out (export it), or until
 * @end_time or gst_fd_pay_peers_set_flushing().
 *
 * Returns: %TRUE when there is room
 */
gboolean
gst_fd_pay_peers_wait (GstFdPayPeers * peers, gint64 end_time)
{
  gboolean room;

  g_mutex_lock (&peers->lock);
  while (!peers->flushing && !peers->closed &&
      n_unreleased (peers) >= peers->max_pending &&
      g_cond_wait_until (&peers->cond, &peers->lock, end_time));
  room = n_unreleased (peers) < peers->max_pending;
  g_mutex_unlock (&peers->lock);

  return room;
}

void
gst_fd_pay_peers_set_flushing (GstFdPayPeers * peers, gboolean flushing)
{
  g_mutex_lock (&peers->lock);
  peers->flushing = flushing;
  g_cond_broadcast (&peers->cond);
  g_mutex_unlock (&peers->lock);
}
