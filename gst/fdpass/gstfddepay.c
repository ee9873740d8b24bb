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

/**
 * SECTION:element-fddepay
 * @title: fddepay
 * @see_also: fdpay, socketsrc, multisocketsink
 *
 * fddepay turns the messages made by #fdpay back into buffers. The memory
 * of each output buffer is the file descriptor that came with the message,
 * mapped read-only: the receiving process reads the very pages the sender
 * wrote, nothing is copied.
 *
 * fddepay does its own framing, so it works behind any source that delivers
 * the message bytes with their SCM_RIGHTS ancillary data in a
 * #GstNetControlMessageMeta, such as #socketsrc on a Unix stream or
 * seqpacket socket, without any caps set on it. Reads may split or merge
 * messages and a file descriptor may arrive more than once (#multisocketsink
 * sends it again when it retries a partial write): each message names the
 * identity (device and inode) of every file descriptor it needs, fddepay
 * takes exactly those and closes duplicates and strays. It takes the
 * descriptors out of the control message only when the buffer carrying it
 * and the message are its alone (behind a source); otherwise it works on
 * duplicates, and a sink that gets the same message (`fdpay ! tee`) still
 * sends them.
 *
 * The sender is not trusted. Before anything is mapped or read:
 *
 * - the memories of a buffer may not hold more than
 *   #GstFdDepay:max-buffer-size bytes, nor reach further into any file; by
 *   default that limit follows from the caps (a few raw video frames), so
 *   that a sender cannot make this process allocate gigabytes with a
 *   sparse file;
 * - each file descriptor is checked with fstat(): it must be a regular file
 *   (such as a memfd) at least as large as the memories the message places
 *   in it, and one the message calls a DMA buffer must be on the dma-buf
 *   file system. Anything else (a pipe, a truncated file, a memfd passed
 *   off as a DMA buffer) is an error, never a SIGBUS;
 * - files that are not memfds sealed against shrinking could be truncated
 *   by the sender while they are mapped; their contents are read instead of
 *   mapped, unless #GstFdDepay:allow-unsealed is set.
 *
 * The memories of one file may come in any order and overlap: each is cut
 * from one mapping (or copy) of the file, after checking that it lies
 * within it.
 *
 * Caps come as a string from the sender and are parsed only when their
 * values are of basic types (numbers, fractions, booleans, strings, bit
 * masks and flag sets) and fixed; raw video caps must also describe valid
 * video (#GstVideoInfo). Anything else is an error.
 *
 * Buffers keep the sender's timestamps and get the sender's segment: a
 * sender speaking protocol 1.2 (#fdpay) sends the segment of its input,
 * so the stream time of every buffer is the sender's, and so is its running
 * time, up to a constant: the running time of the first frame of each
 * connection is moved to the current running time, so a receiver that
 * joins a stream the sender has been running for an hour plays at once
 * (#GstFdDepay:sender-running-time keeps the sender's running time as it
 * is). Changes of the sender's segment (a seek, a new period) follow,
 * keeping the distance in running time between frames. From an older
 * sender, the segment starts at the first frame of each connection, at
 * the current running time, and maps timestamps to the stream time the
 * sender put on each frame. With a source that timestamps what it receives
 * (`unixsocketsrc do-timestamp=true`), frames take their arrival time
 * instead, in a segment of their own.
 *
 * On a SOCK_SEQPACKET socket every message is one packet and a read shorter
 * than the packet loses the rest of it: give #socketsrc a `blocksize` of at
 * least 65552 bytes (the largest message) there. Buffer messages are about
 * 200 bytes, but caps messages can be larger than the default 4096.
 *
 * Behind #unixsocketsrc, fddepay also reports back: when the sender's
 * HELLO announced release messages, the memory of each output buffer
 * carries a token, and when the last buffer using that memory is freed the
 * source sends the sender a RELEASE message with the buffer's id. fddepay
 * also keeps up to 32 files a sender asks it to keep, so that later
 * messages can name them without passing their descriptor again, until the
 * sender forgets them; naming a file it does not keep is an error. A new
 * connection of the source starts a new byte stream here, and closes the
 * files kept for the previous one.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc ! fdpay ! fddepay ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstfddepay.h"
#include "gstfdpasselements.h"
#include "gstfdpassrelease.h"
#include "gstfddepayinline.h"
#include "gstfdpassquery.h"

#include <gst/fdpass/fdpass.h>
#include <gst/allocators/allocators.h>
#include <gst/base/gstadapter.h>
#include <gst/net/net.h>
#include <gst/video/video.h>
#include <gio/gunixfdmessage.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142
#endif

GST_DEBUG_CATEGORY_STATIC (gst_fd_depay_debug);
#define GST_CAT_DEFAULT gst_fd_depay_debug

/* file descriptors received but not yet claimed by a message; a sender that
 * floods us with more loses the oldest ones */
#define MAX_PENDING_FDS (4 * GST_FDPASS_MAX_FDS)

/* buffer flags that describe the data and may cross a process boundary */
#define FORWARDED_BUFFER_FLAGS (GST_BUFFER_FLAG_LIVE | \
    GST_BUFFER_FLAG_DECODE_ONLY | GST_BUFFER_FLAG_DISCONT | \
    GST_BUFFER_FLAG_RESYNC | GST_BUFFER_FLAG_CORRUPTED | \
    GST_BUFFER_FLAG_MARKER | GST_BUFFER_FLAG_HEADER | GST_BUFFER_FLAG_GAP | \
    GST_BUFFER_FLAG_DROPPABLE | GST_BUFFER_FLAG_DELTA_UNIT | \
    GST_BUFFER_FLAG_NON_DROPPABLE)

struct _GstFdDepay
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GstAllocator *fd_allocator;
  GstAllocator *dmabuf_allocator;

  /* streaming thread only */
  GstAdapter *adapter;
  GArray *pending_fds;
  GstCaps *caps;
  /* during a chain call: the input message, when it holds the sender's
   * frame (in the same process) */
  GstBuffer *holder;
  /* the largest buffer the caps describe, see caps_get_max_buffer_size() */
  guint64 caps_max_size;
  gboolean need_segment;
  gboolean eos;
  gboolean got_hello;
  /* sender's stream time minus its pts, for the current segment */
  gint64 stream_offset;
  gboolean stream_offset_valid;
  /* the segment the sender sent (protocol 1.2), and how much our running
   * time is ahead of the sender's on this connection */
  GstSegment sender_segment;
  gboolean have_sender_segment;
  guint16 sender_minor;
  gint64 running_time_shift;
  gboolean running_time_shift_valid;
  /* release channel of the current connection, from the source upstream,
   * and the features the sender announced on it */
  GstFdPassReleaseChannel *release_channel;
  /* we made it: releases go upstream in GstNetworkMessage events */
  gboolean release_channel_is_ours;
  guint32 sender_features;
  /* mappings of the memfds of a recycling sender, most recently used
   * first: a memfd that comes again is not mapped again. The files the
   * sender asked us to keep (FILES feature) are here too, until it forgets
   * them. */
  GQueue mappings;
  guint n_kept;
  /* frames that come inline (protocol 1.3): the buffer message whose data
   * is still to come, and where that data goes */
  GstFdDepayInline *inline_frames;
  gboolean inline_pending;
  GstFdPassBufferInfo inline_info;
  guint64 inline_size;
  GstClockTime inline_arrival;

  /* protected by the object lock */
  gboolean allow_unsealed;
  guint64 max_buffer_size;
  gboolean sender_running_time;
  guint64 n_unsealed_copies;
  guint64 n_buffers;
  guint64 n_bytes;
  guint64 n_dropped_fds;
  guint64 n_mappings_created;
  guint64 n_mappings_reused;
  guint64 n_kept_refs;
};

/* at most this many files of one sender stay mapped for reuse: a recycling
 * sender goes round a small set (its pool, or frames pending release) */
#define MAX_CACHED_MAPPINGS 32
/* how many files we offer to keep for a sender, on top of those */
#define MAX_KEPT_FILES 32

typedef struct
{
  guint64 dev;
  guint64 ino;
  /* size of the file when it came */
  guint64 size;
  gboolean sealed;
  /* the sender asked us to keep it, and names it without its fd until it
   * forgets it */
  gboolean kept;
  /* a mapping of the whole file; NULL for an unsealed kept file, which is
   * read from @fd */
  GstMemory *mem;
  gint fd;
} GstFdDepayMapping;

enum
{
  PROP_0,
  PROP_ALLOW_UNSEALED,
  PROP_MAX_BUFFER_SIZE,
  PROP_SENDER_RUNNING_TIME,
  PROP_STATS,
};

#define DEFAULT_ALLOW_UNSEALED FALSE
#define DEFAULT_SENDER_RUNNING_TIME FALSE
#define DEFAULT_MAX_BUFFER_SIZE 0

/* The largest buffer a sender may make us map or read, for raw video that
 * GstVideoInfo understands: a multiple of the size of a tightly packed
 * frame, because decoders align strides (to 64 or 256 bytes) and heights
 * (to 16 or 64 rows), and allocators add a prefix or padding. Small frames
 * grow most: 64x48 I420 with a 256 byte stride and 64 rows is 5.3 times
 * its packed size, hence the floor, which is twice a 1080p RGBA frame.
 * Large frames grow far less: 1080p NV12 padded to 2048x1088 is 1.07
 * times. */
#define VIDEO_MAX_SIZE_FACTOR 4
#define VIDEO_MIN_MAX_SIZE (16 * 1024 * 1024)
/* for any other caps, when max-buffer-size is 0 */
#define FALLBACK_MAX_BUFFER_SIZE (256 * 1024 * 1024)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-fdpass"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

/* Tells the release channel of a connection that a buffer is no longer
 * used. One token is shared by the parent memories of a buffer message and
 * releases the buffer id when the last of them is freed. */
typedef struct
{
  gint refcount;
  guint64 id;
  GstFdPassReleaseChannel *channel;
} GstFdDepayReleaseToken;

static GQuark release_token_quark;

static void
release_token_unref (gpointer data)
{
  GstFdDepayReleaseToken *token = data;

  if (!g_atomic_int_dec_and_test (&token->refcount))
    return;

  GST_LOG ("releasing buffer %" G_GUINT64_FORMAT, token->id);
  gst_fdpass_release_channel_release (token->channel, token->id);
  g_object_unref (token->channel);
  g_free (token);
}

/* Pushes @msg upstream in the event that socketsrc (send-messages=true)
 * writes to its socket, and multisocketsink (send-messages=true) hands to
 * fdpay on the other side. Returns whether a source took it. */
static gboolean
gst_fd_depay_send_upstream (GstPad * sinkpad, GstBuffer * msg)
{
  GstEvent *event;

  event = gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new ("GstNetworkMessage", "buffer", GST_TYPE_BUFFER, msg,
          NULL));
  gst_buffer_unref (msg);

  return gst_pad_push_event (sinkpad, event);
}

static void
network_release (GstFdPassReleaseChannel * channel, guint64 id,
    gpointer user_data)
{
  GstPad *sinkpad = user_data;

  if (!gst_fd_depay_send_upstream (sinkpad,
          gst_fdpass_message_new_release (&id, 1)))
    GST_DEBUG_OBJECT (sinkpad, "could not send the release of buffer %"
        G_GUINT64_FORMAT " upstream", id);
}

#define gst_fd_depay_parent_class parent_class
G_DEFINE_TYPE (GstFdDepay, gst_fd_depay, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fddepay, "fddepay", GST_RANK_NONE,
    GST_TYPE_FD_DEPAY, fdpass_element_init (plugin));

static void
gst_fd_depay_close_pending_fds (GstFdDepay * self)
{
  guint i, n = self->pending_fds->len;

  for (i = 0; i < n; i++)
    close (g_array_index (self->pending_fds, gint, i));
  g_array_set_size (self->pending_fds, 0);

  if (n > 0) {
    GST_DEBUG_OBJECT (self, "closed %u unclaimed file descriptors", n);
    GST_OBJECT_LOCK (self);
    self->n_dropped_fds += n;
    GST_OBJECT_UNLOCK (self);
  }
}

static void
gst_fd_depay_mapping_free (GstFdDepayMapping * mapping)
{
  if (mapping->mem)
    gst_memory_unref (mapping->mem);
  if (mapping->fd >= 0)
    close (mapping->fd);
  g_free (mapping);
}

static void
gst_fd_depay_remove_mapping (GstFdDepay * self, GList * l)
{
  GstFdDepayMapping *mapping = l->data;

  if (mapping->kept)
    self->n_kept--;
  g_queue_delete_link (&self->mappings, l);
  gst_fd_depay_mapping_free (mapping);
}

/* @kept_too: also the files the sender asked us to keep, which it will not
 * name any more */
static void
gst_fd_depay_clear_mappings (GstFdDepay * self, gboolean kept_too)
{
  GList *l = self->mappings.head;

  if (self->mappings.length > 0)
    GST_DEBUG_OBJECT (self, "dropping cached mappings%s",
        kept_too ? " and kept files" : "");
  while (l) {
    GList *next = l->next;

    if (kept_too || !((GstFdDepayMapping *) l->data)->kept)
      gst_fd_depay_remove_mapping (self, l);
    l = next;
  }
}

/* The link of the cached file (@dev, @ino), or %NULL. */
static GList *
gst_fd_depay_find_mapping (GstFdDepay * self, guint64 dev, guint64 ino)
{
  GList *l;

  for (l = self->mappings.head; l; l = l->next) {
    GstFdDepayMapping *mapping = l->data;

    if (mapping->dev == dev && mapping->ino == ino)
      return l;
  }

  return NULL;
}

/* The file the sender asked us to keep, or %NULL. */
static GstFdDepayMapping *
gst_fd_depay_find_kept (GstFdDepay * self, guint64 dev, guint64 ino)
{
  GList *l = gst_fd_depay_find_mapping (self, dev, ino);

  if (l == NULL || !((GstFdDepayMapping *) l->data)->kept)
    return NULL;
  return l->data;
}

/* A cached mapping of the file (@dev, @ino), covering at least @needed
 * bytes, or NULL. */
static GstMemory *
gst_fd_depay_lookup_mapping (GstFdDepay * self, guint64 dev, guint64 ino,
    guint64 needed)
{
  GList *l = gst_fd_depay_find_mapping (self, dev, ino);
  GstFdDepayMapping *mapping;

  if (l == NULL)
    return NULL;

  mapping = l->data;
  if (mapping->mem == NULL || mapping->mem->maxsize < needed)
    return NULL;
  /* most recently used first */
  g_queue_unlink (&self->mappings, l);
  g_queue_push_head_link (&self->mappings, l);
  return gst_memory_ref (mapping->mem);
}

/* Whether we keep a mapping of the file @st describes. Such a file was
 * sealed against shrinking when we mapped it, and seals cannot be removed:
 * it need not be checked again. The mapping keeps the file, so its inode
 * number cannot have been reused for another one. */
static gboolean
gst_fd_depay_has_mapping (GstFdDepay * self, const struct stat *st)
{
  GList *l = gst_fd_depay_find_mapping (self, st->st_dev, st->st_ino);

  return l != NULL && ((GstFdDepayMapping *) l->data)->mem != NULL;
}

/* Caches the file @st describes: its mapping @mem, or, without one, @fd
 * (ours from now on). */
static void
gst_fd_depay_add_mapping (GstFdDepay * self, const struct stat *st,
    gboolean sealed, GstMemory * mem, gint fd, gboolean kept)
{
  GstFdDepayMapping *mapping = g_new0 (GstFdDepayMapping, 1);
  GList *l;

  mapping->dev = st->st_dev;
  mapping->ino = st->st_ino;
  mapping->size = st->st_size;
  mapping->sealed = sealed;
  mapping->kept = kept;
  mapping->mem = mem ? gst_memory_ref (mem) : NULL;
  mapping->fd = fd;
  g_queue_push_head (&self->mappings, mapping);
  if (kept)
    self->n_kept++;

  /* the least recently used of the files we need not keep go first */
  l = self->mappings.tail;
  while (l && self->mappings.length - self->n_kept > MAX_CACHED_MAPPINGS) {
    GList *prev = l->prev;

    if (!((GstFdDepayMapping *) l->data)->kept)
      gst_fd_depay_remove_mapping (self, l);
    l = prev;
  }
}

/* The sender asked us to keep the file we have a mapping of. */
static void
gst_fd_depay_keep_mapping (GstFdDepay * self, guint64 dev, guint64 ino)
{
  GList *l = gst_fd_depay_find_mapping (self, dev, ino);

  if (l && !((GstFdDepayMapping *) l->data)->kept) {
    ((GstFdDepayMapping *) l->data)->kept = TRUE;
    self->n_kept++;
  }
}

static void
gst_fd_depay_forget (GstFdDepay * self, const GstFdPassFdInfo * files,
    guint n_files)
{
  guint i;

  for (i = 0; i < n_files; i++) {
    GList *l = gst_fd_depay_find_mapping (self, files[i].dev, files[i].ino);

    if (l == NULL || !((GstFdDepayMapping *) l->data)->kept) {
      GST_DEBUG_OBJECT (self, "sender forgot a file we do not keep (dev %"
          G_GUINT64_FORMAT ", inode %" G_GUINT64_FORMAT ")", files[i].dev,
          files[i].ino);
      continue;
    }
    /* buffers still using its mapping keep it until they are freed */
    gst_fd_depay_remove_mapping (self, l);
  }
}

/* a new sender (another connection, or one speaking an older version)
 * has not sent its segment yet */
static void
gst_fd_depay_forget_sender_segment (GstFdDepay * self)
{
  self->have_sender_segment = FALSE;
  self->sender_minor = 0;
  gst_segment_init (&self->sender_segment, GST_FORMAT_TIME);
}

static void
gst_fd_depay_drop_release_channel (GstFdDepay * self)
{
  /* nobody reads what a channel of ours would send any more */
  if (self->release_channel && self->release_channel_is_ours)
    gst_fdpass_release_channel_close (self->release_channel);
  g_clear_object (&self->release_channel);
  self->release_channel_is_ours = FALSE;
}

/* A sender that reads releases, behind a source that is not ours
 * (socketsrc): answer its hello upstream. When the source writes it back
 * (socketsrc send-messages=true, fdpay ! multisocketsink send-messages=true
 * on the other side), we release every buffer the same way. */
static void
gst_fd_depay_answer_hello (GstFdDepay * self)
{
  GstFdPassHello hello = {
    GST_FDPASS_VERSION_MAJOR, GST_FDPASS_VERSION_MINOR,
    GST_FDPASS_FEATURE_RELEASE, 0
  };

  if (!gst_fd_depay_send_upstream (self->sinkpad,
          gst_fdpass_message_new_hello (&hello))) {
    GST_DEBUG_OBJECT (self, "upstream does not write back to the sender "
        "(socketsrc needs send-messages=true): it cannot reuse its frames");
    return;
  }

  if (self->release_channel == NULL) {
    GST_DEBUG_OBJECT (self, "releasing buffers through upstream events");
    self->release_channel = gst_fdpass_release_channel_new ();
    gst_fdpass_release_channel_set_func (self->release_channel,
        network_release, gst_object_ref (self->sinkpad),
        (GDestroyNotify) gst_object_unref);
    self->release_channel_is_ours = TRUE;
  }
}

static void
gst_fd_depay_reset (GstFdDepay * self, gboolean full)
{
  self->inline_pending = FALSE;
  gst_adapter_clear (self->adapter);
  gst_fd_depay_close_pending_fds (self);
  self->need_segment = TRUE;
  self->running_time_shift_valid = FALSE;
  self->eos = FALSE;

  if (full) {
    gst_fd_depay_forget_sender_segment (self);
    gst_clear_caps (&self->caps);
    gst_fd_depay_inline_set_caps (self->inline_frames, NULL);
    self->caps_max_size = FALLBACK_MAX_BUFFER_SIZE;
    self->got_hello = FALSE;
    gst_fd_depay_drop_release_channel (self);
    self->sender_features = 0;
    gst_fd_depay_clear_mappings (self, TRUE);
  }
}

/* Whether nobody but @buf can see the fds of @msg, so that taking them out
 * of it changes nothing for anybody else. */
static gboolean
fd_message_is_ours (GstBuffer * buf, GUnixFDMessage * msg)
{
  GUnixFDList *list = g_unix_fd_message_get_fd_list (msg);

  return GST_MINI_OBJECT_REFCOUNT_VALUE (buf) == 1 &&
      g_atomic_int_get ((gint *) & G_OBJECT (msg)->ref_count) == 1 &&
      g_atomic_int_get ((gint *) & G_OBJECT (list)->ref_count) == 1;
}

/* Takes a descriptor of every fd attached to @buf. Behind a source
 * (socketsrc, unixsocketsrc) the buffer and its control messages are ours
 * alone and the fds are taken out of them. Otherwise they are duplicated:
 * the messages may be on their way elsewhere too (fdpay ! tee, with a sink
 * on another branch; fdpay attaches one message to every frame of a
 * memfd), and emptying them would send those frames without their fds. */
static void
gst_fd_depay_collect_fds (GstFdDepay * self, GstBuffer * buf)
{
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_NET_CONTROL_MESSAGE_META_API_TYPE))) {
    GSocketControlMessage *cmsg = ((GstNetControlMessageMeta *) meta)->message;
    GUnixFDMessage *msg;
    GUnixFDList *list;
    gint *fds, n = 0, i;

    if (!G_IS_UNIX_FD_MESSAGE (cmsg))
      continue;
    msg = G_UNIX_FD_MESSAGE (cmsg);

    if (fd_message_is_ours (buf, msg)) {
      fds = g_unix_fd_message_steal_fds (msg, &n);
      for (i = 0; i < n; i++)
        g_array_append_val (self->pending_fds, fds[i]);
      g_free (fds);
      continue;
    }

    list = g_unix_fd_message_get_fd_list (msg);
    n = g_unix_fd_list_get_length (list);
    for (i = 0; i < n; i++) {
      GError *err = NULL;
      gint fd = g_unix_fd_list_get (list, i, &err);

      if (fd < 0) {
        /* the message that needs it will say it is missing */
        GST_WARNING_OBJECT (self, "cannot duplicate a received fd: %s",
            err->message);
        g_clear_error (&err);
        continue;
      }
      g_array_append_val (self->pending_fds, fd);
    }
  }

  while (self->pending_fds->len > MAX_PENDING_FDS) {
    GST_WARNING_OBJECT (self, "too many unclaimed file descriptors, closing "
        "fd %d", g_array_index (self->pending_fds, gint, 0));
    close (g_array_index (self->pending_fds, gint, 0));
    g_array_remove_index (self->pending_fds, 0);
    GST_OBJECT_LOCK (self);
    self->n_dropped_fds++;
    GST_OBJECT_UNLOCK (self);
  }
}

/* Finds the fd the message means by @fdinfo among the pending ones, in the
 * order they arrived. fds in front of it are duplicates or strays and are
 * closed. Returns -1 when none matches; then all pending fds are closed. */
static gint
gst_fd_depay_claim_fd (GstFdDepay * self, const GstFdPassFdInfo * fdinfo,
    struct stat *st)
{
  while (self->pending_fds->len > 0) {
    gint fd = g_array_index (self->pending_fds, gint, 0);

    g_array_remove_index (self->pending_fds, 0);

    if (fstat (fd, st) == 0 && (guint64) st->st_dev == fdinfo->dev &&
        (guint64) st->st_ino == fdinfo->ino)
      return fd;

    GST_DEBUG_OBJECT (self, "closing fd %d, not the one the message needs",
        fd);
    close (fd);
    GST_OBJECT_LOCK (self);
    self->n_dropped_fds++;
    GST_OBJECT_UNLOCK (self);
  }

  return -1;
}

/* Whether @fd is a memfd sealed against shrinking: only then can nobody
 * truncate it while we map it. */
static gboolean
file_is_sealed (gint fd)
{
#ifdef F_GET_SEALS
  gint seals = fcntl (fd, F_GET_SEALS);

  return seals >= 0 && (seals & F_SEAL_SHRINK) != 0;
#else
  return FALSE;
#endif
}

static GstMemory *
read_unsealed_file (gint fd, gsize size, GError ** error)
{
  GstMemory *mem = gst_allocator_alloc (NULL, size, NULL);
  GstMapInfo map;
  gsize done = 0;

  if (!gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    gst_memory_unref (mem);
    g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_FD,
        "cannot map %" G_GSIZE_FORMAT " bytes", size);
    return NULL;
  }

  while (done < size) {
    gssize ret = pread (fd, map.data + done, size - done, done);

    if (ret < 0 && errno == EINTR)
      continue;
    if (ret <= 0) {
      g_set_error (error, GST_FDPASS_ERROR, GST_FDPASS_ERROR_FD,
          "read %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes: %s", done,
          size, ret < 0 ? g_strerror (errno) : "the file shrank");
      gst_memory_unmap (mem, &map);
      gst_memory_unref (mem);
      return NULL;
    }
    done += ret;
  }

  gst_memory_unmap (mem, &map);
  return mem;
}

static void
close_fds (gint * fds, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    if (fds[i] >= 0)
      close (fds[i]);
  }
}

/* Whether every plane @vmeta describes lies within @size bytes, so that
 * whoever maps the frame stays within the mapping. */
static gboolean
video_meta_fits (const GstVideoMeta * vmeta, gsize size)
{
  const GstVideoFormatInfo *finfo = gst_video_format_get_info (vmeta->format);
  guint i;

  if (finfo == NULL || GST_VIDEO_FORMAT_INFO_IS_TILED (finfo) ||
      vmeta->n_planes != GST_VIDEO_FORMAT_INFO_N_PLANES (finfo))
    return FALSE;

  for (i = 0; i < vmeta->n_planes; i++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    guint64 rows, row_bytes;

    gst_video_format_info_component (finfo, i, comp);
    rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], vmeta->height);
    row_bytes = (guint64) GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0],
        vmeta->width) * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]);

    if (vmeta->stride[i] <= 0 || (guint64) vmeta->stride[i] < row_bytes)
      return FALSE;
    if (vmeta->offset[i] > size ||
        rows * vmeta->stride[i] > size - vmeta->offset[i])
      return FALSE;
  }

  return TRUE;
}

/* Whether @fd is a dma-buf. A file labelled DMABUF skips the checks of
 * regular files (type, seals), so the label alone must not be believed: a
 * memfd labelled so could be truncated under our mapping. */
static gboolean
fd_is_dmabuf (gint fd)
{
  struct statfs sfs;

  return fstatfs (fd, &sfs) == 0 && sfs.f_type == DMA_BUF_MAGIC;
}

/* Computes in @needed how far into each file the memories of @info reach,
 * and checks that neither that nor the sum of their sizes is more than
 * @max_size, before anything is allocated or mapped for them. The sizes
 * come from the sender: a sparse file of 1 GiB costs it nothing, reading
 * it costs us 1 GiB. */
static gboolean
gst_fd_depay_check_sizes (GstFdDepay * self, const GstFdPassBufferInfo * info,
    guint64 max_size, guint64 * needed)
{
  guint64 total = 0;
  guint i;

  for (i = 0; i < info->n_fds; i++)
    needed[i] = 0;

  for (i = 0; i < info->n_memories; i++) {
    const GstFdPassMemInfo *mem = &info->memories[i];
    guint64 end;

    if (!g_uint64_checked_add (&end, mem->offset, mem->size) ||
        !g_uint64_checked_add (&total, total, mem->size)) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender described a buffer larger than any file can hold."),
          ("buffer %" G_GUINT64_FORMAT ": the sizes of its memories add up "
              "to more than 2^64 bytes (overflow at memory %u)", info->id,
              i));
      return FALSE;
    }
    needed[mem->fd_index] = MAX (needed[mem->fd_index], end);
  }

  if (total > max_size) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The sender described a buffer larger than this receiver accepts."),
        ("buffer %" G_GUINT64_FORMAT ": its %u memories hold %"
            G_GUINT64_FORMAT " bytes, the limit is %" G_GUINT64_FORMAT
            " bytes; set max-buffer-size to accept more", info->id,
            info->n_memories, total, max_size));
    return FALSE;
  }

  for (i = 0; i < info->n_fds; i++) {
    if (needed[i] > max_size) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender described a buffer larger than this receiver "
              "accepts."), ("buffer %" G_GUINT64_FORMAT ": its memories "
              "reach byte %" G_GUINT64_FORMAT " of fd %u, the limit is %"
              G_GUINT64_FORMAT " bytes; set max-buffer-size to accept more",
              info->id, needed[i], i, max_size));
      return FALSE;
    }
  }

  return TRUE;
}

/* @size bytes at @offset of @parent, which we never resize, so that every
 * memory of a buffer is cut from the same whole. gst_memory_share() does
 * not check that they lie within it; outside they would read past the
 * mapping, or past the bytes read from an unsealed file. */
static GstMemory *
share_memory (GstMemory * parent, guint64 offset, guint64 size)
{
  guint64 end;

  if (parent->offset != 0 || !g_uint64_checked_add (&end, offset, size) ||
      end > parent->size)
    return NULL;

  return gst_memory_share (parent, offset, size);
}

/* The most bytes one buffer may have: max-buffer-size, or what the caps
 * need */
static guint64
gst_fd_depay_get_max_size (GstFdDepay * self)
{
  guint64 max_size;

  GST_OBJECT_LOCK (self);
  max_size = self->max_buffer_size ? self->max_buffer_size :
      self->caps_max_size;
  GST_OBJECT_UNLOCK (self);

  return max_size;
}

/* Gives @buf the timestamps, offsets and flags of @info, and its video
 * meta (added when @add_video_meta), which must fit in the buffer. Returns
 * @buf, or NULL (and @buf is unreffed) when it does not. */
static GstBuffer *
gst_fd_depay_finish_buffer (GstFdDepay * self, GstBuffer * buf,
    const GstFdPassBufferInfo * info, gboolean add_video_meta)
{
  GST_BUFFER_PTS (buf) = info->pts;
  GST_BUFFER_DTS (buf) = info->dts;
  GST_BUFFER_DURATION (buf) = info->duration;
  GST_BUFFER_OFFSET (buf) = info->offset;
  GST_BUFFER_OFFSET_END (buf) = info->offset_end;
  GST_BUFFER_FLAGS (buf) = info->flags & FORWARDED_BUFFER_FLAGS;

  if (info->has_video_meta) {
    GstVideoMeta *vmeta = add_video_meta ?
        gst_fdpass_buffer_info_add_video_meta (info, buf) :
        gst_buffer_get_video_meta (buf);
    gsize size = gst_buffer_get_size (buf);

    if (vmeta == NULL || !video_meta_fits (vmeta, size)) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender described a video frame larger than its memory."),
          ("buffer %" G_GUINT64_FORMAT ": video meta does not fit in %"
              G_GSIZE_FORMAT " bytes", info->id, size));
      gst_buffer_unref (buf);
      return NULL;
    }
  }

  return buf;
}

/* Turns a parsed buffer message and its fds into a buffer. On error, every
 * fd is closed and a GST_ELEMENT_ERROR posted. */
static GstBuffer *
gst_fd_depay_make_buffer (GstFdDepay * self, const GstFdPassBufferInfo * info)
{
  gint fds[GST_FDPASS_MAX_FDS];
  guint64 needed[GST_FDPASS_MAX_FDS];
  GstMemory *parents[GST_FDPASS_MAX_FDS] = { NULL, };
  gboolean sealed[GST_FDPASS_MAX_FDS] = { FALSE, };
  struct stat stats[GST_FDPASS_MAX_FDS];
  guint64 sizes[GST_FDPASS_MAX_FDS] = { 0, };
  /* the files the sender named without their fd */
  GstFdDepayMapping *kept[GST_FDPASS_MAX_FDS] = { NULL, };
  gboolean allow_unsealed, recycling;
  guint64 max_size;
  GstFdDepayReleaseToken *token = NULL;
  GstBuffer *buf;
  guint i, n_new_kept = 0;

  GST_OBJECT_LOCK (self);
  allow_unsealed = self->allow_unsealed;
  GST_OBJECT_UNLOCK (self);
  max_size = gst_fd_depay_get_max_size (self);

  for (i = 0; i < info->n_fds; i++)
    fds[i] = -1;

  /* a sender that reads releases reuses its memfds: keep their mappings */
  recycling = self->release_channel &&
      (self->sender_features & GST_FDPASS_FEATURE_RELEASE);

  /* the fds stay pending, closed when the chain function resets */
  if (!gst_fd_depay_check_sizes (self, info, max_size, needed))
    return NULL;

  /* claim and check every fd before anything is mapped */
  for (i = 0; i < info->n_fds; i++) {
    const GstFdPassFdInfo *fdinfo = &info->fds[i];
    struct stat *st = &stats[i];
    guint64 size;

    if (fdinfo->flags && !(self->sender_features & GST_FDPASS_FEATURE_FILES)) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender asked this receiver to keep files without announcing "
              "that feature."), ("buffer %" G_GUINT64_FORMAT ": fd %u has "
              "flags 0x%x", info->id, i, fdinfo->flags));
      goto error;
    }

    if (fdinfo->flags & GST_FDPASS_FD_FLAG_KEPT) {
      kept[i] = gst_fd_depay_find_kept (self, fdinfo->dev, fdinfo->ino);
      if (kept[i] == NULL) {
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("The sender named a file it never asked this receiver to "
                "keep."), ("buffer %" G_GUINT64_FORMAT ": fd %u (dev %"
                G_GUINT64_FORMAT ", inode %" G_GUINT64_FORMAT ") is not "
                "kept", info->id, i, fdinfo->dev, fdinfo->ino));
        goto error;
      }
      memset (st, 0, sizeof (*st));
      st->st_dev = kept[i]->dev;
      st->st_ino = kept[i]->ino;
      st->st_size = kept[i]->size;
      /* an unsealed file may have shrunk since */
      if (!kept[i]->sealed && fstat (kept[i]->mem ?
              gst_fd_memory_get_fd (kept[i]->mem) : kept[i]->fd, st) < 0)
        st->st_size = 0;
      sealed[i] = kept[i]->sealed;
      size = st->st_size;
      GST_OBJECT_LOCK (self);
      self->n_kept_refs++;
      GST_OBJECT_UNLOCK (self);
      goto check_size;
    }

    if ((fdinfo->flags & GST_FDPASS_FD_FLAG_KEEP) &&
        gst_fd_depay_find_kept (self, fdinfo->dev, fdinfo->ino) == NULL &&
        self->n_kept + ++n_new_kept > MAX_KEPT_FILES) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender asked this receiver to keep more files than it "
              "offered."), ("buffer %" G_GUINT64_FORMAT ": already keeping "
              "%u files, the limit is %u", info->id, self->n_kept,
              MAX_KEPT_FILES));
      goto error;
    }

    fds[i] = gst_fd_depay_claim_fd (self, fdinfo, st);
    if (fds[i] < 0) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender did not pass the file descriptor of a frame."),
          ("buffer %" G_GUINT64_FORMAT ": no received fd matches fd %u "
              "(dev %" G_GUINT64_FORMAT ", inode %" G_GUINT64_FORMAT ")",
              info->id, i, fdinfo->dev, fdinfo->ino));
      goto error;
    }

    if (fdinfo->kind == GST_FDPASS_FD_KIND_DMABUF) {
      off_t end;

      if (!fd_is_dmabuf (fds[i])) {
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("The sender passed a file descriptor as a DMA buffer that is "
                "not one."), ("buffer %" G_GUINT64_FORMAT ": fd %u is of "
                "kind DMABUF, but not on the dma-buf file system (file mode "
                "0%o)", info->id, i, (guint) (st->st_mode & S_IFMT)));
        goto error;
      }

      end = lseek (fds[i], 0, SEEK_END);
      if (end < 0) {
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("A received DMA buffer cannot be used."),
            ("buffer %" G_GUINT64_FORMAT ": lseek on fd %u failed: %s",
                info->id, i, g_strerror (errno)));
        goto error;
      }
      size = end;
    } else {
      if (!S_ISREG (st->st_mode)) {
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("The sender passed a file descriptor that is not a memfd or "
                "regular file."),
            ("buffer %" G_GUINT64_FORMAT ": fd %u has file mode 0%o",
                info->id, i, (guint) (st->st_mode & S_IFMT)));
        goto error;
      }
      size = st->st_size;
      sealed[i] = ((recycling || fdinfo->flags) &&
          gst_fd_depay_has_mapping (self, st)) || file_is_sealed (fds[i]);
    }

  check_size:
    if (size < needed[i]) {
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender passed a file that is smaller than the frame it "
              "should hold."),
          ("buffer %" G_GUINT64_FORMAT ": fd %u is %" G_GUINT64_FORMAT
              " bytes, the message needs %" G_GUINT64_FORMAT, info->id, i,
              size, needed[i]));
      goto error;
    }
    sizes[i] = size;
  }

  /* when the sender reads releases, tell it once every memory of this
   * message is freed, by whoever frees it last */
  if (recycling) {
    /* every field is set here: g_new0() is calloc(), which glibc (2.36)
     * serves from its arena rather than its per-thread cache */
    token = g_new (GstFdDepayReleaseToken, 1);
    token->refcount = 1;
    token->id = info->id;
    token->channel = g_object_ref (self->release_channel);
  }

  buf = gst_buffer_new ();

  for (i = 0; i < info->n_memories; i++) {
    const GstFdPassMemInfo *meminfo = &info->memories[i];
    guint idx = meminfo->fd_index;
    guint32 fd_flags = info->fds[idx].flags;
    gboolean keep = (fd_flags & GST_FDPASS_FD_FLAG_KEEP) != 0;
    gboolean keep_mapped = FALSE;
    GstMemory *mem;
    gint kept_fd;

    /* a kept file we do not map, because it could shrink: its fd, to
     * read it again */
    kept_fd = kept[idx] && kept[idx]->mem == NULL ? kept[idx]->fd : -1;

    /* files we keep, and the sealed files of a recycling sender, stay
     * mapped */
    if (parents[idx] == NULL && kept_fd < 0 && (recycling || keep ||
            kept[idx]) && (sealed[idx] || ((keep || kept[idx]) &&
                allow_unsealed))) {
      parents[idx] = gst_fd_depay_lookup_mapping (self, stats[idx].st_dev,
          stats[idx].st_ino, needed[idx]);
      if (parents[idx]) {
        /* the same file as before: our fd of it will do */
        if (fds[idx] >= 0)
          close (fds[idx]);
        fds[idx] = -1;
        if (keep)
          gst_fd_depay_keep_mapping (self, stats[idx].st_dev,
              stats[idx].st_ino);

        GST_OBJECT_LOCK (self);
        self->n_mappings_reused++;
        GST_OBJECT_UNLOCK (self);
      } else if (kept[idx]) {
        /* the mapping we keep no longer covers the file: it grew (an
         * unsealed file, allow-unsealed) */
        gst_buffer_unref (buf);
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("The sender grew a file it asked this receiver to keep."),
            ("buffer %" G_GUINT64_FORMAT ": fd %u needs %" G_GUINT64_FORMAT
                " bytes, %" G_GUINT64_FORMAT " are mapped", info->id, idx,
                needed[idx], kept[idx]->mem->size));
        goto error;
      } else if (sizes[idx] > max_size) {
        /* mapping all of it would map more than we accept */
        if (keep) {
          gst_buffer_unref (buf);
          GST_ELEMENT_ERROR (self, STREAM, DECODE,
              ("The sender asked this receiver to keep a file larger than "
                  "it accepts."), ("buffer %" G_GUINT64_FORMAT ": fd %u is %"
                  G_GUINT64_FORMAT " bytes, the limit is %" G_GUINT64_FORMAT
                  " bytes; set max-buffer-size to accept more", info->id,
                  idx, sizes[idx], max_size));
          goto error;
        }
      } else {
        keep_mapped = TRUE;
      }
    }

    if (parents[idx] == NULL) {
      /* one mapping per file, covering all its memories */
      if (info->fds[idx].kind == GST_FDPASS_FD_KIND_DMABUF) {
        parents[idx] = gst_dmabuf_allocator_alloc (self->dmabuf_allocator,
            fds[idx], needed[idx]);
      } else if (kept_fd >= 0 || (!sealed[idx] && !allow_unsealed)) {
        GError *err = NULL;

        /* the sender could shrink this file under our mapping: read it
         * instead, a short read is an error and not a SIGBUS */
        parents[idx] = read_unsealed_file (kept_fd >= 0 ? kept_fd : fds[idx],
            needed[idx], &err);
        if (keep && parents[idx] && !gst_fd_depay_find_kept (self,
                stats[idx].st_dev, stats[idx].st_ino))
          gst_fd_depay_add_mapping (self, &stats[idx], FALSE, NULL, fds[idx],
              TRUE);
        else if (fds[idx] >= 0)
          close (fds[idx]);
        fds[idx] = -1;
        if (parents[idx] == NULL) {
          gst_buffer_unref (buf);
          GST_ELEMENT_ERROR (self, STREAM, DECODE,
              ("Could not read a frame from a file the sender passed."),
              ("buffer %" G_GUINT64_FORMAT ", fd %u: %s", info->id, idx,
                  err->message));
          g_clear_error (&err);
          goto error;
        }
        GST_OBJECT_LOCK (self);
        self->n_unsealed_copies++;
        GST_OBJECT_UNLOCK (self);
        GST_LOG_OBJECT (self, "copied unsealed file of buffer %"
            G_GUINT64_FORMAT, info->id);
      } else {
        /* a recycled file is mapped whole, once, and stays mapped */
        parents[idx] = gst_fd_allocator_alloc (self->fd_allocator, fds[idx],
            keep_mapped ? sizes[idx] : needed[idx],
            keep_mapped ? GST_FD_MEMORY_FLAG_KEEP_MAPPED :
            GST_FD_MEMORY_FLAG_NONE);
        GST_OBJECT_LOCK (self);
        self->n_mappings_created++;
        GST_OBJECT_UNLOCK (self);
      }
      /* the memory owns the fd now */
      fds[idx] = -1;
      if (parents[idx] == NULL) {
        gst_buffer_unref (buf);
        GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
            ("could not wrap fd %u of buffer %" G_GUINT64_FORMAT, idx,
                info->id));
        goto error;
      }
      GST_MINI_OBJECT_FLAG_SET (parents[idx], GST_MEMORY_FLAG_READONLY);
      if (keep_mapped)
        gst_fd_depay_add_mapping (self, &stats[idx], sealed[idx],
            parents[idx], -1, keep);
    }

    /* memories may come in any order and overlap: each is cut from its
     * parent as it is */
    mem = share_memory (parents[idx], meminfo->offset, meminfo->size);
    if (mem == NULL) {
      gst_buffer_unref (buf);
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The sender described memory outside of the file that holds "
              "it."), ("buffer %" G_GUINT64_FORMAT ": memory %u (offset %"
              G_GUINT64_FORMAT ", size %" G_GUINT64_FORMAT ") is not within "
              "the %" G_GSIZE_FORMAT " bytes of fd %u", info->id, i,
              meminfo->offset, meminfo->size, parents[idx]->size, idx));
      goto error;
    }
    if (token) {
      g_atomic_int_inc (&token->refcount);
      gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (mem),
          release_token_quark, token, release_token_unref);
    }
    gst_buffer_append_memory (buf, mem);
  }

  /* drop the creation reference; without any memory this releases now */
  if (token)
    release_token_unref (token);

  for (i = 0; i < info->n_fds; i++) {
    if (parents[i])
      gst_memory_unref (parents[i]);
  }
  /* fds without any memory are of no use */
  close_fds (fds, info->n_fds);

  return gst_fd_depay_finish_buffer (self, buf, info, TRUE);

error:
  for (i = 0; i < info->n_fds; i++) {
    if (parents[i])
      gst_memory_unref (parents[i]);
  }
  close_fds (fds, info->n_fds);
  /* we will not use this buffer: the sender may have it back */
  if (token)
    release_token_unref (token);
  return NULL;
}

static gboolean
gst_fd_depay_ensure_stream_start (GstFdDepay * self)
{
  GstEvent *event;
  gchar *stream_id;

  event = gst_pad_get_sticky_event (self->srcpad, GST_EVENT_STREAM_START, 0);
  if (event) {
    gst_event_unref (event);
    return TRUE;
  }

  stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self),
      NULL);
  event = gst_event_new_stream_start (stream_id);
  g_free (stream_id);

  return gst_pad_push_event (self->srcpad, event);
}

/* Whether @mode is a multiview-mode GstVideoInfo knows: it g_warning()s on
 * any other. */
static gboolean
multiview_mode_is_known (const gchar * mode)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_VIDEO_MULTIVIEW_MODE);
  gboolean known = FALSE;
  guint i;

  for (i = 0; i < klass->n_values && !known; i++)
    known = g_strcmp0 (mode,
        gst_video_multiview_mode_to_caps_string (klass->values[i].value)) == 0;
  g_type_class_unref (klass);

  return known;
}

/* The largest buffer of @caps a sender may make us map or read, when
 * max-buffer-size is 0. Fails for raw video that GstVideoInfo cannot make
 * sense of, which downstream elements could not either. */
static gboolean
caps_get_max_buffer_size (GstCaps * caps, guint64 * max_size)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *mode;
  GstVideoInfo vinfo;

  *max_size = FALLBACK_MAX_BUFFER_SIZE;

  if (!gst_structure_has_name (s, "video/x-raw"))
    return TRUE;
  /* DMA buffers of GStreamer 1.24 and later: their layout is in the
   * drm-format field, which GstVideoInfo of 1.22 does not read */
  if (g_strcmp0 (gst_structure_get_string (s, "format"), "DMA_DRM") == 0)
    return TRUE;

  mode = gst_structure_get_string (s, "multiview-mode");
  if (mode && !multiview_mode_is_known (mode))
    return FALSE;

  if (!gst_video_info_from_caps (&vinfo, caps))
    return FALSE;
  /* GstVideoInfo of 1.22 takes these as they come (a negative width gives
   * a size near 2^64); video elements divide by them and loop over them */
  if (GST_VIDEO_INFO_WIDTH (&vinfo) <= 0 ||
      GST_VIDEO_INFO_HEIGHT (&vinfo) <= 0 ||
      GST_VIDEO_INFO_SIZE (&vinfo) == 0 ||
      GST_VIDEO_INFO_SIZE (&vinfo) > G_MAXUINT64 / VIDEO_MAX_SIZE_FACTOR ||
      GST_VIDEO_INFO_FPS_N (&vinfo) < 0 || GST_VIDEO_INFO_PAR_N (&vinfo) <= 0
      || GST_VIDEO_INFO_VIEWS (&vinfo) <= 0)
    return FALSE;

  *max_size = MAX ((guint64) GST_VIDEO_INFO_SIZE (&vinfo) *
      VIDEO_MAX_SIZE_FACTOR, VIDEO_MIN_MAX_SIZE);
  return TRUE;
}

static GstFlowReturn
gst_fd_depay_handle_caps (GstFdDepay * self, const guint8 * payload,
    gsize size)
{
  GError *err = NULL;
  guint64 max_size;
  GstCaps *caps;

  caps = gst_fdpass_caps_parse (payload, size, &err);
  if (caps == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The sender sent invalid caps."), ("%s", err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }

  if (self->caps && gst_caps_is_equal (caps, self->caps)) {
    gst_caps_unref (caps);
    return GST_FLOW_OK;
  }

  if (!caps_get_max_buffer_size (caps, &max_size)) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The sender sent raw video caps that describe no valid video."),
        ("%" GST_PTR_FORMAT, caps));
    gst_caps_unref (caps);
    return GST_FLOW_ERROR;
  }

  GST_DEBUG_OBJECT (self, "new caps %" GST_PTR_FORMAT ", buffers of up to %"
      G_GUINT64_FORMAT " bytes", caps, max_size);
  gst_caps_replace (&self->caps, caps);
  self->caps_max_size = max_size;
  gst_fd_depay_inline_set_caps (self->inline_frames, caps);

  gst_fd_depay_ensure_stream_start (self);
  if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (caps))) {
    gst_caps_unref (caps);
    if (GST_PAD_IS_FLUSHING (self->srcpad))
      return GST_FLOW_FLUSHING;
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("downstream did not accept the caps of the stream"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  gst_caps_unref (caps);

  return GST_FLOW_OK;
}

/* The sender's stream time minus its pts, when the message has both. Both
 * come from the sender: values beyond G_MAXINT64, which no clock reaches,
 * count as none, so that the difference always fits. */
static gboolean
stream_offset_of (const GstFdPassBufferInfo * info, gint64 * offset)
{
  if (!info->has_stream_time || !GST_CLOCK_TIME_IS_VALID (info->pts) ||
      info->stream_time > G_MAXINT64 || info->pts > G_MAXINT64)
    return FALSE;

  *offset = (gint64) info->stream_time - (gint64) info->pts;
  return TRUE;
}

/* Whether two stream offsets differ by more than a millisecond, without
 * overflowing for offsets far apart. */
static gboolean
offsets_differ (gint64 a, gint64 b)
{
  guint64 diff = a > b ? (guint64) a - (guint64) b : (guint64) b - (guint64) a;

  return diff > GST_MSECOND;
}

/* our running time now, 0 before we run */
static GstClockTime
gst_fd_depay_get_running_time (GstFdDepay * self)
{
  GstClockTime running_time = 0;
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));

  if (clock) {
    GstClockTime now = gst_clock_get_time (clock);
    GstClockTime base_time = gst_element_get_base_time (GST_ELEMENT (self));

    if (now > base_time)
      running_time = now - base_time;
    gst_object_unref (clock);
  }

  return running_time;
}

/* Without the sender's segment (an older sender, or arrival timestamps):
 * the segment starts at the first frame we get (of each connection) and
 * puts it at our current running time, so a receiver that joins a running
 * stream plays at once instead of waiting for the time the sender has been
 * running, while buffers keep the sender's timestamps and stream time. */
static void
gst_fd_depay_push_segment (GstFdDepay * self, const GstFdPassBufferInfo * info)
{
  GstClockTime start = info->pts, time, base;
  GstSegment segment;

  if (GST_CLOCK_TIME_IS_VALID (info->dts) &&
      (!GST_CLOCK_TIME_IS_VALID (start) || info->dts < start))
    start = info->dts;
  if (!GST_CLOCK_TIME_IS_VALID (start))
    start = 0;

  /* the sender's position in its stream (from the start of a file or a
   * playlist), whatever offset its timestamps have */
  time = start;
  self->stream_offset_valid = stream_offset_of (info, &self->stream_offset);
  if (self->stream_offset_valid) {
    if (self->stream_offset >= 0 &&
        start <= G_MAXUINT64 - 1 - (guint64) self->stream_offset)
      time = start + self->stream_offset;
    else if (self->stream_offset < 0 &&
        start >= (guint64) 0 - (guint64) self->stream_offset)
      time = start - ((guint64) 0 - (guint64) self->stream_offset);
  }

  base = gst_fd_depay_get_running_time (self);

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = start;
  segment.time = time;
  segment.position = start;
  segment.base = base;

  GST_DEBUG_OBJECT (self, "segment from %" GST_TIME_FORMAT " at running time %"
      GST_TIME_FORMAT, GST_TIME_ARGS (start), GST_TIME_ARGS (base));
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
}

/* The sender's segment, for the buffers that follow (protocol 1.2). */
static GstFlowReturn
gst_fd_depay_handle_segment (GstFdDepay * self, const guint8 * payload,
    gsize size)
{
  GstSegment segment;
  GError *err = NULL;

  /* a type a sender of an older version does not know: not a segment */
  if (!self->got_hello || self->sender_minor < 2) {
    GST_DEBUG_OBJECT (self, "skipping a segment message from a sender that "
        "speaks version 1.%u", self->sender_minor);
    return GST_FLOW_OK;
  }

  if (!gst_fdpass_segment_parse (payload, size, &segment, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The sender sent an invalid segment message."), ("%s",
            err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }

  if (self->have_sender_segment &&
      gst_segment_is_equal (&segment, &self->sender_segment))
    return GST_FLOW_OK;

  GST_DEBUG_OBJECT (self, "sender segment %" GST_SEGMENT_FORMAT, &segment);
  self->sender_segment = segment;
  self->have_sender_segment = TRUE;
  self->need_segment = TRUE;

  return GST_FLOW_OK;
}

/* The sender's segment, with the running time moved by a constant for the
 * whole connection: the first frame comes at our current running time
 * (unless the sender's running time is wanted as it is). */
static void
gst_fd_depay_push_sender_segment (GstFdDepay * self,
    const GstFdPassBufferInfo * info)
{
  GstSegment segment = self->sender_segment;
  gboolean keep_sender_time;

  GST_OBJECT_LOCK (self);
  keep_sender_time = self->sender_running_time;
  GST_OBJECT_UNLOCK (self);

  if (keep_sender_time) {
    self->running_time_shift = 0;
    self->running_time_shift_valid = TRUE;
  } else if (!self->running_time_shift_valid) {
    GstClockTime ts = info->pts;
    guint64 sender_rt = 0;

    if (GST_CLOCK_TIME_IS_VALID (info->dts) &&
        (!GST_CLOCK_TIME_IS_VALID (ts) || info->dts < ts))
      ts = info->dts;
    /* a frame outside the segment (or without a time) counts as its start */
    if (!GST_CLOCK_TIME_IS_VALID (ts) ||
        gst_segment_to_running_time_full (&segment, GST_FORMAT_TIME, ts,
            &sender_rt) != 1 || sender_rt > G_MAXINT64)
      sender_rt = segment.base;

    /* both at most G_MAXINT64: the difference fits */
    self->running_time_shift =
        (gint64) gst_fd_depay_get_running_time (self) - (gint64) sender_rt;
    self->running_time_shift_valid = TRUE;
    GST_DEBUG_OBJECT (self, "our running time is the sender's %+"
        G_GINT64_FORMAT " ns", self->running_time_shift);
  }

  if (!gst_segment_offset_running_time (&segment, GST_FORMAT_TIME,
          self->running_time_shift)) {
    /* only when the frames are before the sender's segment anyway */
    GST_WARNING_OBJECT (self, "cannot move the running time of %"
        GST_SEGMENT_FORMAT " by %" G_GINT64_FORMAT " ns", &segment,
        self->running_time_shift);
    segment = self->sender_segment;
  }

  GST_DEBUG_OBJECT (self, "segment %" GST_SEGMENT_FORMAT, &segment);
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
}

static GstFlowReturn gst_fd_depay_push_frame (GstFdDepay * self,
    GstFdPassBufferInfo * info, GstClockTime arrival, gboolean inline_data);

/* The data of the inline frame of self->inline_info, all of it in the
 * adapter: into memfd-backed memory. */
static GstBuffer *
gst_fd_depay_take_inline (GstFdDepay * self, const GstFdPassBufferInfo * info)
{
  GstBuffer *buf;

  buf = gst_fd_depay_inline_take (self->inline_frames, self->adapter, 0,
      info, self->inline_size);
  gst_adapter_flush (self->adapter, self->inline_size);
  if (buf == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("Could not store a frame that came inline."),
        ("buffer %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " bytes, "
            "invalid video meta or no memory", info->id, self->inline_size));
    return NULL;
  }

  /* the video meta is on it already */
  return gst_fd_depay_finish_buffer (self, buf, info, FALSE);
}

/* An inline buffer message: its data follows. Checks its size before we
 * wait for it. */
static GstFlowReturn
gst_fd_depay_expect_inline (GstFdDepay * self, const GstFdPassBufferInfo * info,
    GstClockTime arrival)
{
  /* the parser checked that the memories follow each other */
  guint64 size = info->n_memories == 0 ? 0 :
      info->memories[info->n_memories - 1].offset +
      info->memories[info->n_memories - 1].size;
  guint64 max_size = gst_fd_depay_get_max_size (self);

  if (size > max_size) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The sender sent a buffer larger than allowed."),
        ("buffer %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " bytes inline, "
            "the limit is %" G_GUINT64_FORMAT " (max-buffer-size, or what the "
            "caps need)", info->id, size, max_size));
    return GST_FLOW_ERROR;
  }

  self->inline_info = *info;
  self->inline_size = size;
  self->inline_arrival = arrival;
  self->inline_pending = TRUE;

  return GST_FLOW_OK;
}

static GstFlowReturn
gst_fd_depay_handle_buffer (GstFdDepay * self, const GstFdPassHeader * header,
    const guint8 * payload, gsize size, GstClockTime arrival)
{
  GstFdPassBufferInfo info;
  GError *err = NULL;

  if (!gst_fdpass_buffer_parse (header, payload, size, &info, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The sender sent an invalid buffer message."), ("%s", err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }

  if (self->caps == NULL) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received buffer %" G_GUINT64_FORMAT " before any caps", info.id));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  if (header->flags & GST_FDPASS_HEADER_FLAG_INLINE)
    return gst_fd_depay_expect_inline (self, &info, arrival);

  return gst_fd_depay_push_frame (self, &info, arrival, FALSE);
}

/* Makes the buffer of the frame @info describes, from its fds or from the
 * inline data in the adapter, and pushes it. */
static GstFlowReturn
gst_fd_depay_push_frame (GstFdDepay * self, GstFdPassBufferInfo * info,
    GstClockTime arrival, gboolean inline_data)
{
  GstBuffer *buf;
  gsize bytes;
  gboolean retimed, use_sender_segment;

  /* a source that timestamps what it receives (do-timestamp) gives the
   * arrival time, which then replaces the sender's timestamps. fdpay in the
   * same process puts the sender's own timestamp on its messages: that one
   * changes nothing. */
  retimed = GST_CLOCK_TIME_IS_VALID (arrival) && arrival != info->pts;
  use_sender_segment = self->have_sender_segment && !retimed;

  /* the sender's stream time moved against its timestamps (a new segment
   * upstream of a sender that does not send it): a new segment here too */
  if (!use_sender_segment && !self->need_segment &&
      self->stream_offset_valid) {
    gint64 offset;

    if (stream_offset_of (info, &offset) &&
        offsets_differ (offset, self->stream_offset)) {
      GST_DEBUG_OBJECT (self, "stream time moved against the timestamps, "
          "from pts + %" G_GINT64_FORMAT " ns to pts + %" G_GINT64_FORMAT
          " ns", self->stream_offset, offset);
      self->need_segment = TRUE;
    }
  }

  if (retimed) {
    info->pts = arrival;
    info->dts = GST_CLOCK_TIME_NONE;
  }

  if (inline_data) {
    buf = gst_fd_depay_take_inline (self, info);
  } else {
    buf = gst_fd_depay_make_buffer (self, info);
    if (buf && self->holder)
      gst_buffer_add_parent_buffer_meta (buf, self->holder);
  }
  if (buf == NULL)
    return GST_FLOW_ERROR;

  if (self->need_segment) {
    if (use_sender_segment)
      gst_fd_depay_push_sender_segment (self, info);
    else
      gst_fd_depay_push_segment (self, info);
    self->need_segment = FALSE;
  }

  bytes = gst_buffer_get_size (buf);
  GST_LOG_OBJECT (self, "buffer %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT
      " bytes in %u memories, pts %" GST_TIME_FORMAT, info->id, bytes,
      info->n_memories, GST_TIME_ARGS (info->pts));

  GST_OBJECT_LOCK (self);
  self->n_buffers++;
  self->n_bytes += bytes;
  GST_OBJECT_UNLOCK (self);

  return gst_pad_push (self->srcpad, buf);
}

static GstFlowReturn
gst_fd_depay_handle_message (GstFdDepay * self, const GstFdPassHeader * header,
    const guint8 * payload, gsize size, GstClockTime arrival)
{
  GError *err = NULL;

  switch (header->type) {
    case GST_FDPASS_MESSAGE_HELLO:{
      GstFdPassHello hello;

      if (!gst_fdpass_hello_parse (payload, size, &hello, &err)) {
        GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
            ("The sender speaks an incompatible version of the fdpass "
                "protocol."), ("%s", err->message));
        g_clear_error (&err);
        return GST_FLOW_ERROR;
      }
      GST_DEBUG_OBJECT (self, "sender speaks version %u.%u, features 0x%x",
          hello.version_major, hello.version_minor, hello.features);
      self->got_hello = TRUE;
      self->sender_minor = hello.version_minor;
      if (hello.version_minor < 2 && self->have_sender_segment) {
        /* another sender, that will not send its segment */
        self->have_sender_segment = FALSE;
        self->need_segment = TRUE;
      }
      if (!(hello.features & GST_FDPASS_FEATURE_RELEASE) ||
          !(hello.features & GST_FDPASS_FEATURE_FILES))
        gst_fd_depay_clear_mappings (self,
            !(hello.features & GST_FDPASS_FEATURE_FILES));
      self->sender_features = hello.features;
      if ((hello.features & GST_FDPASS_FEATURE_RELEASE) &&
          (self->release_channel == NULL || self->release_channel_is_ours))
        gst_fd_depay_answer_hello (self);
      return GST_FLOW_OK;
    }
    case GST_FDPASS_MESSAGE_FORGET:{
      GstFdPassFdInfo *files;
      guint n_files;

      if (!gst_fdpass_forget_parse (payload, size, &files, &n_files, &err)) {
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("The sender sent an invalid forget message."), ("%s",
                err->message));
        g_clear_error (&err);
        return GST_FLOW_ERROR;
      }
      GST_LOG_OBJECT (self, "sender forgets %u files", n_files);
      gst_fd_depay_forget (self, files, n_files);
      g_free (files);
      return GST_FLOW_OK;
    }
    case GST_FDPASS_MESSAGE_SEGMENT:
      return gst_fd_depay_handle_segment (self, payload, size);
    case GST_FDPASS_MESSAGE_CAPS:
      return gst_fd_depay_handle_caps (self, payload, size);
    case GST_FDPASS_MESSAGE_BUFFER:
      return gst_fd_depay_handle_buffer (self, header, payload, size,
          arrival);
    case GST_FDPASS_MESSAGE_EOS:
      GST_DEBUG_OBJECT (self, "sender ended the stream");
      gst_fd_depay_close_pending_fds (self);
      self->eos = TRUE;
      gst_pad_push_event (self->srcpad, gst_event_new_eos ());
      return GST_FLOW_EOS;
    default:
      GST_DEBUG_OBJECT (self, "skipping message of unknown type %u, %"
          G_GSIZE_FORMAT " bytes", header->type, size);
      return GST_FLOW_OK;
  }
}

/* @buf when it holds one whole message and nothing else, which is how
 * unixsocketsrc and socketsrc read a SOCK_SEQPACKET socket: handled
 * without the adapter. Returns FALSE, having done nothing, for anything
 * else (errors included, which the adapter's path reports). */
static gboolean
gst_fd_depay_handle_single (GstFdDepay * self, GstBuffer * buf,
    GstFlowReturn * ret)
{
  GstFdPassHeader header;
  GstMapInfo map;
  gboolean single;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return FALSE;

  single = map.size >= GST_FDPASS_HEADER_SIZE &&
      gst_fdpass_header_parse (map.data, GST_FDPASS_HEADER_SIZE, &header,
      NULL) && map.size - GST_FDPASS_HEADER_SIZE == header.payload_size;
  if (single)
    *ret = gst_fd_depay_handle_message (self, &header,
        map.data + GST_FDPASS_HEADER_SIZE, header.payload_size,
        GST_BUFFER_PTS (buf));

  gst_buffer_unmap (buf, &map);
  return single;
}

static GstFlowReturn
gst_fd_depay_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstFdDepay *self = GST_FD_DEPAY (parent);
  GstFlowReturn ret = GST_FLOW_OK;

  gst_fd_depay_collect_fds (self, buf);

  if (self->eos) {
    GST_DEBUG_OBJECT (self, "dropping data after the end of the stream");
    gst_fd_depay_close_pending_fds (self);
    gst_buffer_unref (buf);
    return GST_FLOW_EOS;
  }

  /* an fdpay in this process (fdpay ! tee ! ..., next to a sink that
   * recycles) ties the frame to its message: our buffers hold the message
   * too, or the frame's memory would be written again while we use it */
  if (gst_buffer_get_parent_buffer_meta (buf))
    self->holder = gst_buffer_ref (buf);

  if (!self->inline_pending && gst_adapter_available (self->adapter) == 0 &&
      gst_fd_depay_handle_single (self, buf, &ret)) {
    /* the data of an inline frame comes next, in the adapter */
    gst_buffer_unref (buf);
  } else {
    gst_adapter_push (self->adapter, buf);
  }

  while (ret == GST_FLOW_OK) {
    GstFdPassHeader header;
    GError *err = NULL;
    gsize avail = gst_adapter_available (self->adapter);
    gsize total;
    GstClockTime arrival;
    const guint8 *data;

    /* the data of an inline frame, right after its message */
    if (self->inline_pending) {
      if (avail < self->inline_size)
        break;
      self->inline_pending = FALSE;
      ret = gst_fd_depay_push_frame (self, &self->inline_info,
          self->inline_arrival, TRUE);
      continue;
    }

    if (avail < GST_FDPASS_HEADER_SIZE)
      break;

    data = gst_adapter_map (self->adapter, GST_FDPASS_HEADER_SIZE);
    if (!gst_fdpass_header_parse (data, GST_FDPASS_HEADER_SIZE, &header,
            &err)) {
      gst_adapter_unmap (self->adapter);
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          ("The received data is not an fdpass stream."), ("%s",
              err->message));
      g_clear_error (&err);
      gst_fd_depay_reset (self, FALSE);
      return GST_FLOW_ERROR;
    }
    gst_adapter_unmap (self->adapter);

    total = GST_FDPASS_HEADER_SIZE + header.payload_size;
    if (avail < total)
      break;

    /* the timestamp upstream put on the bytes where the message starts */
    arrival = gst_adapter_prev_pts (self->adapter, NULL);
    data = gst_adapter_map (self->adapter, total);
    ret = gst_fd_depay_handle_message (self, &header,
        data + GST_FDPASS_HEADER_SIZE, header.payload_size, arrival);
    gst_adapter_unmap (self->adapter);
    gst_adapter_flush (self->adapter, total);
  }

  gst_clear_buffer (&self->holder);

  if (ret == GST_FLOW_ERROR || ret == GST_FLOW_NOT_NEGOTIATED)
    gst_fd_depay_reset (self, FALSE);

  return ret;
}

static gboolean
gst_fd_depay_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstFdDepay *self = GST_FD_DEPAY (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
      /* upstream carries bytes; our caps and segment come from the
       * messages */
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      gst_fd_depay_reset (self, FALSE);
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:{
      GstFdPassReleaseChannel *channel;

      if (!gst_fdpass_release_channel_event_parse (event, &channel))
        break;

      /* a new connection upstream: a new byte stream starts */
      if (channel != self->release_channel) {
        GST_DEBUG_OBJECT (self, "new connection upstream");
        gst_adapter_clear (self->adapter);
        gst_fd_depay_close_pending_fds (self);
        self->eos = FALSE;
        self->got_hello = FALSE;
        self->sender_features = 0;
        gst_fd_depay_forget_sender_segment (self);
        self->need_segment = TRUE;
        self->running_time_shift_valid = FALSE;
        gst_fd_depay_clear_mappings (self, TRUE);
        gst_fd_depay_drop_release_channel (self);
        self->release_channel = g_steal_pointer (&channel);
      }
      g_clear_object (&channel);
      /* meant for us only */
      gst_event_unref (event);
      return TRUE;
    }
    case GST_EVENT_EOS:
      if (gst_adapter_available (self->adapter) > 0 || self->inline_pending) {
        GST_ELEMENT_WARNING (self, STREAM, DECODE,
            ("The stream ended in the middle of a message."),
            ("dropping %" G_GSIZE_FORMAT " bytes; on a SOCK_SEQPACKET socket "
                "the source must read at least %u bytes at a time (socketsrc "
                "blocksize)", gst_adapter_available (self->adapter),
                GST_FDPASS_HEADER_SIZE + GST_FDPASS_MAX_PAYLOAD));
      }
      gst_adapter_clear (self->adapter);
      gst_fd_depay_close_pending_fds (self);
      if (self->eos) {
        /* already sent when the EOS message arrived */
        gst_event_unref (event);
        return TRUE;
      }
      break;
    default:
      break;
  }

  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_fd_depay_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (gst_fdpass_query_is_receiver (query)) {
    /* we mark every buffer for release and keep files for the sender */
    gst_fdpass_receiver_query_set (query, TRUE, MAX_KEPT_FILES);
    return TRUE;
  }

  return gst_pad_query_default (pad, parent, query);
}

static GstStateChangeReturn
gst_fd_depay_change_state (GstElement * element, GstStateChange transition)
{
  GstFdDepay *self = GST_FD_DEPAY (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_fd_depay_reset (self, TRUE);
      break;
    default:
      break;
  }

  return ret;
}

static void
gst_fd_depay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstFdDepay *self = GST_FD_DEPAY (object);

  switch (prop_id) {
    case PROP_ALLOW_UNSEALED:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->allow_unsealed);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_BUFFER_SIZE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->max_buffer_size);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SENDER_RUNNING_TIME:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->sender_running_time);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      GST_OBJECT_LOCK (self);
      g_value_take_boxed (value,
          gst_structure_new ("application/x-fddepay-stats",
              "buffers", G_TYPE_UINT64, self->n_buffers,
              "bytes", G_TYPE_UINT64, self->n_bytes,
              "dropped-fds", G_TYPE_UINT64, self->n_dropped_fds,
              "unsealed-copies", G_TYPE_UINT64, self->n_unsealed_copies,
              "mappings-created", G_TYPE_UINT64, self->n_mappings_created,
              "mappings-reused", G_TYPE_UINT64, self->n_mappings_reused,
              "kept-file-references", G_TYPE_UINT64, self->n_kept_refs,
              NULL));
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_fd_depay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstFdDepay *self = GST_FD_DEPAY (object);

  switch (prop_id) {
    case PROP_ALLOW_UNSEALED:
      GST_OBJECT_LOCK (self);
      self->allow_unsealed = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_BUFFER_SIZE:
      GST_OBJECT_LOCK (self);
      self->max_buffer_size = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SENDER_RUNNING_TIME:
      GST_OBJECT_LOCK (self);
      self->sender_running_time = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_fd_depay_finalize (GObject * object)
{
  GstFdDepay *self = GST_FD_DEPAY (object);

  gst_fd_depay_reset (self, TRUE);
  gst_fd_depay_inline_free (self->inline_frames);
  g_array_unref (self->pending_fds);
  g_object_unref (self->adapter);
  gst_object_unref (self->fd_allocator);
  gst_object_unref (self->dmabuf_allocator);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_fd_depay_class_init (GstFdDepayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_fd_depay_set_property;
  gobject_class->get_property = gst_fd_depay_get_property;
  gobject_class->finalize = gst_fd_depay_finalize;

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_fd_depay_change_state);

  /**
   * GstFdDepay:allow-unsealed:
   *
   * Only a memfd sealed against shrinking (what #GstTmpFileAllocator
   * makes) is safe to map: the sender of any other file could truncate it
   * while it is mapped, which kills this process with SIGBUS. By default
   * the contents of such files are read into memory instead (one copy,
   * counted as `unsealed-copies` in #GstFdDepay:stats); set this to map
   * them anyway when the sender is trusted.
   */
  g_object_class_install_property (gobject_class, PROP_ALLOW_UNSEALED,
      g_param_spec_boolean ("allow-unsealed", "Allow unsealed files",
          "Map files that are not memfds sealed against shrinking instead of "
          "copying them; a sender that truncates such a file then crashes "
          "this process with SIGBUS", DEFAULT_ALLOW_UNSEALED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstFdDepay:max-buffer-size:
   *
   * The largest buffer, in bytes, accepted from the sender: neither the
   * sum of the sizes of its memories nor how far they reach into any file
   * may be larger. Anything larger is an error before a byte of it is
   * mapped or read (the read copy of an unsealed file is real memory, and
   * a sparse file of any size costs the sender nothing).
   *
   * 0, the default, derives the limit from the caps: for raw video that
   * #GstVideoInfo understands, 4 times the size of a tightly packed frame,
   * at least 16 MiB, which leaves room for the strides and rows decoders
   * pad; for anything else, 256 MiB. Any other value replaces that limit.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_BUFFER_SIZE,
      g_param_spec_uint64 ("max-buffer-size", "Maximum buffer size",
          "Largest buffer accepted from the sender, in bytes, counting the "
          "memories and how far they reach into each file; 0 derives it "
          "from the caps (raw video: 4 frames, at least 16 MiB; other "
          "caps: 256 MiB)", 0, G_MAXUINT64, DEFAULT_MAX_BUFFER_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstFdDepay:sender-running-time:
   *
   * With a sender that sends its segment (protocol 1.2, #fdpay), buffers
   * get the sender's segment. By default its running time is moved so that
   * the first frame of each connection comes at the current running time
   * (a receiver that joins late plays at once, with the sender's distances
   * between frames). Set this to keep the sender's running time as it is:
   * for a receiver that shares the sender's clock and base time, or that
   * records the sender's running time. The stream time is the sender's
   * either way. Takes effect at the next connection or flush.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SENDER_RUNNING_TIME,
      g_param_spec_boolean ("sender-running-time", "Sender running time",
          "Give buffers the sender's running time as it is, instead of "
          "moving the first frame of each connection to the current running "
          "time (needs a sender that sends its segment)",
          DEFAULT_SENDER_RUNNING_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstFdDepay:stats:
   *
   * Counters since the element was created: `buffers` pushed, their
   * `bytes`, `dropped-fds`, received file descriptors that no message
   * claimed (duplicates from partial writes, strays) and that were closed,
   * `unsealed-copies`, files of a buffer read into memory because they
   * could not be mapped safely (not sealed against shrinking), and
   * `mappings-created` / `mappings-reused`: files mapped for a buffer, and
   * files served by a mapping kept from an earlier buffer (the memfds of a
   * sender that recycles them, because it reads releases, and the files it
   * asked us to keep stay mapped, so a file that comes again is not mapped
   * again). `kept-file-references` counts the files a sender named
   * without passing their descriptor again, because it had asked us to
   * keep them (behind unixsocketsrc). DMA buffers count in `buffers` and
   * `bytes` only.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since the element was created: buffers and bytes "
          "pushed, dropped-fds (received file descriptors that no message "
          "claimed, closed), unsealed-copies (files read into memory instead "
          "of mapped, not being sealed), mappings-created (files mapped), "
          "mappings-reused (files served by a mapping kept from an earlier "
          "buffer), kept-file-references (files a sender named without "
          "passing their descriptor again)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  gst_element_class_set_static_metadata (element_class,
      "File descriptor depayloader", "Codec/Depayloader/Network",
      "Turns fdpay messages and their file descriptors back into buffers "
      "that map the sender's memory", "gst-fdpass contributors");

  GST_DEBUG_CATEGORY_INIT (gst_fd_depay_debug, "fddepay", 0,
      "fd passing depayloader");

  release_token_quark =
      g_quark_from_static_string ("GstFdDepayReleaseToken");
}

static void
gst_fd_depay_init (GstFdDepay * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_fd_depay_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_fd_depay_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_fd_depay_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->adapter = gst_adapter_new ();
  self->pending_fds = g_array_new (FALSE, FALSE, sizeof (gint));
  g_queue_init (&self->mappings);
  self->fd_allocator = gst_fd_allocator_new ();
  self->dmabuf_allocator = gst_dmabuf_allocator_new ();
  self->need_segment = TRUE;
  self->allow_unsealed = DEFAULT_ALLOW_UNSEALED;
  self->sender_running_time = DEFAULT_SENDER_RUNNING_TIME;
  gst_segment_init (&self->sender_segment, GST_FORMAT_TIME);
  self->max_buffer_size = DEFAULT_MAX_BUFFER_SIZE;
  self->caps_max_size = FALLBACK_MAX_BUFFER_SIZE;
  self->inline_frames = gst_fd_depay_inline_new (GST_ELEMENT (self),
      self->srcpad);
}
