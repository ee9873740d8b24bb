/* GStreamer fd passing example: HLS demo, relay of live playlists
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

/* The playlists of a live stream, relayed on 127.0.0.1 so that the
 * demuxer plays the segments that come with #EXT-X-ENDLIST (see relay.c
 * for why). Segments never go through the relay. */

#ifndef __HLS_DEMO_RELAY_H__
#define __HLS_DEMO_RELAY_H__

#include <gst/gst.h>

#include "variants.h"

G_BEGIN_DECLS

typedef struct _Relay Relay;

gboolean      relay_stream_is_live (const gchar * uri, guint timeout);

Relay *       relay_new            (const gchar * uri, guint timeout,
                                    GError ** error);

const gchar * relay_get_uri        (Relay * relay);

gchar *       relay_translate      (Relay * relay, const gchar * text);

MediaPlaylist * relay_get_media_playlist (gpointer relay);

void          relay_free           (Relay * relay);

G_END_DECLS

#endif /* __HLS_DEMO_RELAY_H__ */
