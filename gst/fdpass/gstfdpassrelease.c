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

/* GstFdPassReleaseChannel carries the ids of released buffers from whatever
 * thread frees the last memory of a received frame to the element that owns
 * the connection the frame came from. Releasing only appends to a locked
 * array and signals an eventfd; the owner polls that fd next to its socket,
 * takes the ids and writes the release messages itself. Once the connection
 * is gone the owner closes the channel and later releases are dropped. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gstfdpassrelease.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

struct _GstFdPassReleaseChannel
{
  GObject parent;

  GMutex lock;
  GArray *ids;
  gboolean closed;
  gint event_fd;
  /* the event fd was written and not yet read */
  gboolean signalled;
  /* the owner may be waiting for the event fd: between _take() and
   * _woke() */
  gboolean waiting;
  /* or the owner sends each release itself, from the releasing thread */
  GstFdPassReleaseFunc func;
  gpointer func_data;
  GDestroyNotify func_notify;
};

G_DEFINE_TYPE (GstFdPassReleaseChannel, gst_fdpass_release_channel,
    G_TYPE_OBJECT);

static void
gst_fdpass_release_channel_finalize (GObject * object)
{
  GstFdPassReleaseChannel *self = GST_FDPASS_RELEASE_CHANNEL (object);

  if (self->func_notify)
    self->func_notify (self->func_data);
  if (self->event_fd >= 0)
    close (self->event_fd);
  g_array_unref (self->ids);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_fdpass_release_channel_parent_class)->finalize (object);
}

static void
gst_fdpass_release_channel_class_init (GstFdPassReleaseChannelClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_fdpass_release_channel_finalize;
}

static void
gst_fdpass_release_channel_init (GstFdPassReleaseChannel * self)
{
  g_mutex_init (&self->lock);
  self->ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->event_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->event_fd < 0)
    g_critical ("could not create an eventfd: %s", g_strerror (errno));
}

/**
 * gst_fdpass_release_channel_new:
 *
 * Returns: (transfer full): a new, open channel
 */
GstFdPassReleaseChannel *
gst_fdpass_release_channel_new (void)
{
  return g_object_new (GST_TYPE_FDPASS_RELEASE_CHANNEL, NULL);
}

/**
 * gst_fdpass_release_channel_get_fd:
 *
 * Returns: a file descriptor that polls readable while released ids are
 *     waiting to be taken; it stays owned by @channel
 */
gint
gst_fdpass_release_channel_get_fd (GstFdPassReleaseChannel * channel)
{
  g_return_val_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel), -1);

  return channel->event_fd;
}

/**
 * gst_fdpass_release_channel_release:
 * @id: the id of a buffer the receiver is done with
 *
 * Queues @id for the owner of @channel. May be called from any thread. Does
 * nothing once the channel is closed.
 */
void
gst_fdpass_release_channel_release (GstFdPassReleaseChannel * channel,
    guint64 id)
{
  g_return_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel));

  g_mutex_lock (&channel->lock);
  if (!channel->closed && channel->func) {
    GstFdPassReleaseFunc func = channel->func;
    gpointer data = channel->func_data;

    /* set once before any release, and kept until finalize */
    g_mutex_unlock (&channel->lock);
    func (channel, id, data);
    return;
  }
  if (!channel->closed) {
    g_array_append_val (channel->ids, id);
    /* the owner takes all pending ids at once: one wakeup is enough, and
     * none while it is busy, since it takes them before it waits again */
    if (channel->waiting && !channel->signalled && channel->event_fd >= 0) {
      guint64 one = 1;

      if (write (channel->event_fd, &one, sizeof (one)) < 0 && errno != EAGAIN)
        g_warning ("could not signal the release channel: %s",
            g_strerror (errno));
      channel->signalled = TRUE;
    }
  }
  g_mutex_unlock (&channel->lock);
}

/**
 * gst_fdpass_release_channel_set_func:
 * @func: called with each released id, from the thread that released it
 * @notify: frees @user_data once the channel is finalized
 *
 * For an owner that sends each release as it comes (fddepay behind
 * socketsrc, which writes what fddepay pushes upstream) rather than
 * polling the event fd. Set before any buffer is marked for release.
 */
void
gst_fdpass_release_channel_set_func (GstFdPassReleaseChannel * channel,
    GstFdPassReleaseFunc func, gpointer user_data, GDestroyNotify notify)
{
  g_return_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel));
  g_return_if_fail (channel->func == NULL);

  g_mutex_lock (&channel->lock);
  channel->func = func;
  channel->func_data = user_data;
  channel->func_notify = notify;
  g_mutex_unlock (&channel->lock);
}

/**
 * gst_fdpass_release_channel_woke:
 *
 * The owner stopped waiting for the fd. It calls
 * gst_fdpass_release_channel_take() again before it waits next, so until
 * then releases need not write to the fd: the common case of a sink that
 * frees each buffer in the source's own streaming thread costs no
 * syscall.
 */
void
gst_fdpass_release_channel_woke (GstFdPassReleaseChannel * channel)
{
  g_return_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel));

  g_mutex_lock (&channel->lock);
  channel->waiting = FALSE;
  g_mutex_unlock (&channel->lock);
}

/**
 * gst_fdpass_release_channel_take:
 * @ids: (out caller-allocates) (array length=max_ids): where to put the
 *     queued ids, oldest first
 * @max_ids: room at @ids
 *
 * Takes up to @max_ids of the queued ids and acknowledges the wakeup. The
 * owner calls this right before it waits for the fd, until it returns
 * fewer than @max_ids, and gst_fdpass_release_channel_woke() once it
 * stopped waiting.
 *
 * Returns: the number of ids taken
 */
guint
gst_fdpass_release_channel_take (GstFdPassReleaseChannel * channel,
    guint64 * ids, guint max_ids)
{
  guint64 value;
  guint n;

  g_return_val_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel), 0);
  g_return_val_if_fail (ids != NULL && max_ids > 0, 0);

  g_mutex_lock (&channel->lock);
  if (channel->signalled) {
    while (read (channel->event_fd, &value, sizeof (value)) < 0 &&
        errno == EINTR);
    channel->signalled = FALSE;
  }
  channel->waiting = TRUE;
  n = MIN (channel->ids->len, max_ids);
  if (n > 0) {
    memcpy (ids, channel->ids->data, n * sizeof (guint64));
    g_array_remove_range (channel->ids, 0, n);
  }
  g_mutex_unlock (&channel->lock);

  return n;
}

/**
 * gst_fdpass_release_channel_close:
 *
 * Marks the connection of @channel as gone: queued ids are dropped and
 * later releases are ignored.
 */
void
gst_fdpass_release_channel_close (GstFdPassReleaseChannel * channel)
{
  g_return_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel));

  g_mutex_lock (&channel->lock);
  channel->closed = TRUE;
  g_array_set_size (channel->ids, 0);
  g_mutex_unlock (&channel->lock);
}

gboolean
gst_fdpass_release_channel_is_closed (GstFdPassReleaseChannel * channel)
{
  gboolean closed;

  g_return_val_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel), TRUE);

  g_mutex_lock (&channel->lock);
  closed = channel->closed;
  g_mutex_unlock (&channel->lock);

  return closed;
}

/**
 * gst_fdpass_release_channel_event_new:
 *
 * Returns: (transfer full): a custom sticky downstream event announcing
 *     @channel as the release channel of the data that follows
 */
GstEvent *
gst_fdpass_release_channel_event_new (GstFdPassReleaseChannel * channel)
{
  g_return_val_if_fail (GST_IS_FDPASS_RELEASE_CHANNEL (channel), NULL);

  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
      gst_structure_new (GST_FDPASS_RELEASE_CHANNEL_EVENT_NAME,
          "channel", G_TYPE_OBJECT, channel, NULL));
}

/**
 * gst_fdpass_release_channel_event_parse:
 * @channel: (out) (transfer full) (optional): the channel
 *
 * Returns: %TRUE when @event is a release channel event
 */
gboolean
gst_fdpass_release_channel_event_parse (GstEvent * event,
    GstFdPassReleaseChannel ** channel)
{
  const GstStructure *s;
  const GValue *value;
  GObject *obj;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
    return FALSE;

  s = gst_event_get_structure (event);
  if (s == NULL || !gst_structure_has_name (s,
          GST_FDPASS_RELEASE_CHANNEL_EVENT_NAME))
    return FALSE;

  value = gst_structure_get_value (s, "channel");
  if (value == NULL || !G_VALUE_HOLDS_OBJECT (value))
    return FALSE;

  obj = g_value_get_object (value);
  if (!GST_IS_FDPASS_RELEASE_CHANNEL (obj))
    return FALSE;

  if (channel)
    *channel = g_object_ref (GST_FDPASS_RELEASE_CHANNEL (obj));

  return TRUE;
}
