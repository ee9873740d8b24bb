/* GStreamer fd passing example: HLS demo, variants
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

/* What the demo reads of the first playlist itself: the variants of a
 * master playlist (#EXT-X-STREAM-INF), and the --variant option that
 * picks one of them: its position in the playlist, its resolution or its
 * bandwidth. hlsdemux and hlsdemux2 choose a variant by bandwidth only, so
 * a variant is pinned by telling the demuxer a connection speed of
 * exactly its bandwidth (variants_pin_demux). Or the segments of a media
 * playlist, with their media sequence and program date-time, to say where
 * a live stream was joined. */

#ifndef __HLS_DEMO_VARIANTS_H__
#define __HLS_DEMO_VARIANTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  /* BANDWIDTH, in bits/s */
  guint bandwidth;
  /* RESOLUTION, or 0x0 when the playlist does not say */
  gint width;
  gint height;
  gchar *uri;
} Variant;

/* a segment of a media playlist */
typedef struct
{
  /* absolute */
  gchar *uri;
  gint64 media_sequence;
  /* from #EXT-X-PROGRAM-DATE-TIME, or NULL */
  GDateTime *program_date_time;
  /* #EXTINF, and the sum of those before it in the playlist: the time the
   * demuxers count from the playlist's first segment, in seconds */
  gdouble duration;
  gdouble start;
} Segment;

/* what a media playlist says of the stream */
typedef struct
{
  /* no #EXT-X-ENDLIST (yet) */
  gboolean live;
  gint64 media_sequence;
  /* Segment */
  GPtrArray *segments;
} MediaPlaylist;

GPtrArray *     variants_parse        (const gchar * playlist);

MediaPlaylist * media_playlist_parse  (const gchar * playlist,
                                       const gchar * uri);

const Segment * media_playlist_find   (MediaPlaylist * playlist,
                                       const gchar * uri);

const Segment * media_playlist_find_at (MediaPlaylist * playlist,
                                       gdouble time);

void            media_playlist_free   (MediaPlaylist * playlist);

gint            variants_find         (GPtrArray * variants,
                                       const gchar * spec, GError ** error);

gint            variants_find_by_size (GPtrArray * variants, gint width,
                                       gint height);

gboolean        variants_pin_demux    (GstElement * demux,
                                       const Variant * variant);

gchar *         variant_describe      (const Variant * variant);

G_END_DECLS

#endif /* __HLS_DEMO_VARIANTS_H__ */
