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

#ifndef __GST_FD_PAY_PEERS_H__
#define __GST_FD_PAY_PEERS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _GstFdPayPeers GstFdPayPeers;

G_GNUC_INTERNAL
GstFdPayPeers * gst_fd_pay_peers_new     (guint max_pending,
                                          guint n_unknown);

G_GNUC_INTERNAL
GstFdPayPeers * gst_fd_pay_peers_ref     (GstFdPayPeers * peers);

G_GNUC_INTERNAL
void            gst_fd_pay_peers_unref   (GstFdPayPeers * peers);

G_GNUC_INTERNAL
void            gst_fd_pay_peers_add     (GstFdPayPeers * peers,
                                          gpointer peer);

G_GNUC_INTERNAL
void            gst_fd_pay_peers_remove  (GstFdPayPeers * peers,
                                          gpointer peer);

G_GNUC_INTERNAL
gboolean        gst_fd_pay_peers_receive (GstFdPayPeers * peers,
                                          gpointer peer,
                                          const guint8 * data,
                                          gsize size,
                                          GError ** error);

G_GNUC_INTERNAL
void            gst_fd_pay_peers_sent    (GstFdPayPeers * peers,
                                          guint64 id,
                                          GstBuffer * frame,
                                          GstBuffer * message);

G_GNUC_INTERNAL
void            gst_fd_pay_peers_close   (GstFdPayPeers * peers);

G_GNUC_INTERNAL
gboolean        gst_fd_pay_peers_wait    (GstFdPayPeers * peers,
                                          gint64 end_time);

G_GNUC_INTERNAL
void            gst_fd_pay_peers_set_flushing (GstFdPayPeers * peers,
                                               gboolean flushing);

G_END_DECLS

#endif /* __GST_FD_PAY_PEERS_H__ */
