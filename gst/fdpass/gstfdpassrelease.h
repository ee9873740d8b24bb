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

#ifndef __GST_FDPASS_RELEASE_H__
#define __GST_FDPASS_RELEASE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GST_FDPASS_RELEASE_CHANNEL_EVENT_NAME:
 *
 * Name of the structure of the custom sticky downstream event a socket
 * source sends before the data of each new connection. Its "channel" field
 * holds the #GstFdPassReleaseChannel of that connection.
 */
#define GST_FDPASS_RELEASE_CHANNEL_EVENT_NAME "fdpass-release-channel"

#define GST_TYPE_FDPASS_RELEASE_CHANNEL (gst_fdpass_release_channel_get_type ())
G_GNUC_INTERNAL
G_DECLARE_FINAL_TYPE (GstFdPassReleaseChannel, gst_fdpass_release_channel,
    GST, FDPASS_RELEASE_CHANNEL, GObject)

G_GNUC_INTERNAL
GstFdPassReleaseChannel * gst_fdpass_release_channel_new (void);

typedef void (*GstFdPassReleaseFunc) (GstFdPassReleaseChannel * channel,
                                      guint64 id,
                                      gpointer user_data);

G_GNUC_INTERNAL
void     gst_fdpass_release_channel_set_func (GstFdPassReleaseChannel * channel,
                                              GstFdPassReleaseFunc func,
                                              gpointer user_data,
                                              GDestroyNotify notify);

G_GNUC_INTERNAL
gint     gst_fdpass_release_channel_get_fd  (GstFdPassReleaseChannel * channel);

G_GNUC_INTERNAL
void     gst_fdpass_release_channel_release (GstFdPassReleaseChannel * channel,
                                             guint64 id);

G_GNUC_INTERNAL
void     gst_fdpass_release_channel_woke    (GstFdPassReleaseChannel * channel);

G_GNUC_INTERNAL
guint    gst_fdpass_release_channel_take    (GstFdPassReleaseChannel * channel,
                                             guint64 * ids,
                                             guint max_ids);

G_GNUC_INTERNAL
void     gst_fdpass_release_channel_close   (GstFdPassReleaseChannel * channel);

G_GNUC_INTERNAL
gboolean gst_fdpass_release_channel_is_closed (GstFdPassReleaseChannel * channel);

G_GNUC_INTERNAL
GstEvent * gst_fdpass_release_channel_event_new   (GstFdPassReleaseChannel * channel);

G_GNUC_INTERNAL
gboolean   gst_fdpass_release_channel_event_parse (GstEvent * event,
                                                   GstFdPassReleaseChannel ** channel);

G_END_DECLS

#endif /* __GST_FDPASS_RELEASE_H__ */
