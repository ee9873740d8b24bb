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

/* Not installed: what the protocol code shares with the rest of the
 * library only. */

#ifndef __GST_FDPASS_PROTOCOL_PRIVATE_H__
#define __GST_FDPASS_PROTOCOL_PRIVATE_H__

#include <glib.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gboolean gst_fdpass_release_check (const guint8 * payload, gsize size,
                                   guint * n_ids, GError ** error);

G_GNUC_INTERNAL
guint64  gst_fdpass_release_get_id (const guint8 * payload, guint i);

G_GNUC_INTERNAL
void     gst_fdpass_buffer_message_patch (guint8 * message, guint64 id,
                                          const guint32 * flags, guint n_fds,
                                          guint n_attached);

G_END_DECLS

#endif /* __GST_FDPASS_PROTOCOL_PRIVATE_H__ */
