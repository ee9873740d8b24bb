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

#ifndef __GST_UNIX_SOCKET_SINK_H__
#define __GST_UNIX_SOCKET_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstUnixSocketSinkSlowClientPolicy:
 * @GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DROP: do not send new frames to the
 *     client until it releases some
 * @GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DISCONNECT: disconnect the client
 * @GST_UNIX_SOCKET_SINK_SLOW_CLIENT_BLOCK: wait until the client releases a
 *     frame, stalling the whole pipeline
 *
 * What to do with a client that already has #GstUnixSocketSink:max-pending
 * frames when a new one arrives.
 */
typedef enum
{
  GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DROP,
  GST_UNIX_SOCKET_SINK_SLOW_CLIENT_DISCONNECT,
  GST_UNIX_SOCKET_SINK_SLOW_CLIENT_BLOCK,
} GstUnixSocketSinkSlowClientPolicy;

#define GST_TYPE_UNIX_SOCKET_SINK_SLOW_CLIENT_POLICY \
    (gst_unix_socket_sink_slow_client_policy_get_type ())
G_GNUC_INTERNAL
GType gst_unix_socket_sink_slow_client_policy_get_type (void);

#define GST_TYPE_UNIX_SOCKET_SINK (gst_unix_socket_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstUnixSocketSink, gst_unix_socket_sink, GST,
    UNIX_SOCKET_SINK, GstBaseSink)

G_END_DECLS

#endif /* __GST_UNIX_SOCKET_SINK_H__ */
