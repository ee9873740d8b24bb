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

#ifndef __GST_FDPASS_SESSION_H__
#define __GST_FDPASS_SESSION_H__

#include <gst/gst.h>
#include <gst/fdpass/fdpass-prelude.h>
#include <gst/fdpass/gstfdpassprotocol.h>

G_BEGIN_DECLS

/* GstFdPassFrame */

typedef struct _GstFdPassFrame GstFdPassFrame;

GST_FDPASS_API
GType            gst_fdpass_frame_get_type (void);
#define GST_TYPE_FDPASS_FRAME (gst_fdpass_frame_get_type ())

GST_FDPASS_API
GstFdPassFrame * gst_fdpass_frame_new (GstBuffer * message,
                                       GError ** error);

GST_FDPASS_API
GstFdPassFrame * gst_fdpass_frame_ref (GstFdPassFrame * frame);

GST_FDPASS_API
void             gst_fdpass_frame_unref (GstFdPassFrame * frame);

GST_FDPASS_API
guint64          gst_fdpass_frame_get_size (GstFdPassFrame * frame);

GST_FDPASS_API
guint64          gst_fdpass_frame_get_seqnum (GstFdPassFrame * frame);

GST_FDPASS_API
const GstFdPassBufferInfo * gst_fdpass_frame_get_info (GstFdPassFrame * frame);

GST_FDPASS_API
void             gst_fdpass_frame_mark_exported (GstFdPassFrame * frame);

/* GstFdPassSession */

typedef struct _GstFdPassSession GstFdPassSession;

/**
 * GstFdPassSessionOutput:
 * @data: (array length=size): the bytes to write next
 * @size: how many
 * @fds: (array length=n_fds): descriptors to pass with the first of these
 *     bytes, as SCM_RIGHTS ancillary data; they stay owned by the session
 * @n_fds: how many
 *
 * What a session has to write next: the rest of one packet (one message,
 * or what is left of it after a partial write on a stream socket).
 *
 * Since: 0.2
 */
typedef struct {
  const guint8 *data;
  gsize size;
  const gint *fds;
  guint n_fds;
} GstFdPassSessionOutput;

GST_FDPASS_API
GType              gst_fdpass_session_get_type (void);
#define GST_TYPE_FDPASS_SESSION (gst_fdpass_session_get_type ())

GST_FDPASS_API
GstFdPassSession * gst_fdpass_session_new (guint max_kept_files);

GST_FDPASS_API
GstFdPassSession * gst_fdpass_session_ref (GstFdPassSession * session);

GST_FDPASS_API
void               gst_fdpass_session_unref (GstFdPassSession * session);

GST_FDPASS_API
void               gst_fdpass_session_queue_message (GstFdPassSession * session,
                                                     GstBuffer * message);

GST_FDPASS_API
void               gst_fdpass_session_queue_frame (GstFdPassSession * session,
                                                   GstFdPassFrame * frame);

GST_FDPASS_API
gboolean           gst_fdpass_session_get_output (GstFdPassSession * session,
                                                  GstFdPassSessionOutput * output);

GST_FDPASS_API
void               gst_fdpass_session_output_done (GstFdPassSession * session,
                                                   gsize written);

GST_FDPASS_API
gboolean           gst_fdpass_session_receive (GstFdPassSession * session,
                                               const guint8 * data,
                                               gsize size,
                                               GError ** error);

GST_FDPASS_API
void               gst_fdpass_session_peer_caught_up (GstFdPassSession * session);

GST_FDPASS_API
void               gst_fdpass_session_close (GstFdPassSession * session);

GST_FDPASS_API
gboolean           gst_fdpass_session_releases (GstFdPassSession * session);

GST_FDPASS_API
guint              gst_fdpass_session_get_pending (GstFdPassSession * session);

GST_FDPASS_API
guint              gst_fdpass_session_get_in_flight (GstFdPassSession * session);

GST_FDPASS_API
guint              gst_fdpass_session_get_queued (GstFdPassSession * session);

GST_FDPASS_API
gboolean           gst_fdpass_session_get_oldest_seqnum (GstFdPassSession * session,
                                                         guint64 * seqnum);

GST_FDPASS_API
gint64             gst_fdpass_session_get_last_progress (GstFdPassSession * session);

GST_FDPASS_API
GstStructure *     gst_fdpass_session_get_stats (GstFdPassSession * session);

G_END_DECLS

#endif /* __GST_FDPASS_SESSION_H__ */
