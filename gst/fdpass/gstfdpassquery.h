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

#ifndef __GST_FDPASS_QUERY_H__
#define __GST_FDPASS_QUERY_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * The release query: fdpay asks downstream whether the sink tells it when
 * every receiver is done with a frame.
 *
 * A sink that answers it (unixsocketsink) keeps each message buffer alive
 * until all clients it was sent to released that buffer id or went away.
 * fdpay then attaches the frame to its message (a GstParentBufferMeta), so
 * the frame's memory goes back to its pool and is written again only when
 * nobody maps it any more. Without an answer (multisocketsink), fdpay never
 * lets sent memory be reused. "max-pending" says how many frames a
 * receiver may hold at most: fdpay's pool keeps that many and a few more,
 * so that the frames going round are the same from the start.
 */
#define GST_FDPASS_RELEASE_QUERY_NAME "fdpass-release"

static inline GstQuery *
gst_fdpass_release_query_new (void)
{
  return gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_new (GST_FDPASS_RELEASE_QUERY_NAME,
          "supported", G_TYPE_BOOLEAN, FALSE,
          "max-pending", G_TYPE_UINT, 0, NULL));
}

static inline gboolean
gst_fdpass_query_is_release (GstQuery * query)
{
  const GstStructure *s;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CUSTOM)
    return FALSE;

  s = gst_query_get_structure (query);
  return s != NULL && gst_structure_has_name (s, GST_FDPASS_RELEASE_QUERY_NAME);
}

static inline void
gst_fdpass_release_query_set_supported (GstQuery * query, gboolean supported)
{
  GstStructure *s = gst_query_writable_structure (query);

  gst_structure_set (s, "supported", G_TYPE_BOOLEAN, supported, NULL);
}

static inline void
gst_fdpass_release_query_set_max_pending (GstQuery * query, guint max_pending)
{
  GstStructure *s = gst_query_writable_structure (query);

  gst_structure_set (s, "max-pending", G_TYPE_UINT, max_pending, NULL);
}

static inline guint
gst_fdpass_release_query_get_max_pending (GstQuery * query)
{
  const GstStructure *s = gst_query_get_structure (query);
  guint max_pending = 0;

  gst_structure_get_uint (s, "max-pending", &max_pending);
  return max_pending;
}

static inline gboolean
gst_fdpass_release_query_get_supported (GstQuery * query)
{
  const GstStructure *s = gst_query_get_structure (query);
  gboolean supported = FALSE;

  return gst_structure_get_boolean (s, "supported", &supported) && supported;
}

/*
 * The receiver query: a source that talks to the sender (unixsocketsrc)
 * asks downstream what the element behind it honours, to announce only
 * that in its HELLO:
 *
 * - "releases": the element marks the memory of every buffer it outputs,
 *   so that the source can tell the sender when the last buffer using a
 *   frame is freed (the RELEASE feature). Behind anything else (a filesink,
 *   say) nobody would ever release a frame, and the sender must treat this
 *   receiver as one that does not release.
 * - "max-files": how many files the element keeps for the sender (the
 *   FILES feature), so that a recycled memfd is passed only once per
 *   connection; 0 when it keeps none.
 *
 * fddepay answers it. Unanswered, the source announces neither feature.
 */
#define GST_FDPASS_RECEIVER_QUERY_NAME "fdpass-receiver"

static inline GstQuery *
gst_fdpass_receiver_query_new (void)
{
  return gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_new (GST_FDPASS_RECEIVER_QUERY_NAME,
          "releases", G_TYPE_BOOLEAN, FALSE,
          "max-files", G_TYPE_UINT, 0, NULL));
}

static inline gboolean
gst_fdpass_query_is_receiver (GstQuery * query)
{
  const GstStructure *s;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CUSTOM)
    return FALSE;

  s = gst_query_get_structure (query);
  return s != NULL && gst_structure_has_name (s,
      GST_FDPASS_RECEIVER_QUERY_NAME);
}

static inline void
gst_fdpass_receiver_query_set (GstQuery * query, gboolean releases,
    guint max_files)
{
  GstStructure *s = gst_query_writable_structure (query);

  gst_structure_set (s, "releases", G_TYPE_BOOLEAN, releases,
      "max-files", G_TYPE_UINT, max_files, NULL);
}

static inline void
gst_fdpass_receiver_query_parse (GstQuery * query, gboolean * releases,
    guint * max_files)
{
  const GstStructure *s = gst_query_get_structure (query);

  *releases = FALSE;
  *max_files = 0;
  gst_structure_get_boolean (s, "releases", releases);
  gst_structure_get_uint (s, "max-files", max_files);
}

G_END_DECLS

#endif /* __GST_FDPASS_QUERY_H__ */
