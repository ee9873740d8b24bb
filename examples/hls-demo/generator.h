/* GStreamer fd passing example: HLS demo, stream generator
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

/* Makes the known stream of the demo when it is given no URL: a VOD HLS
 * playlist and its MPEG-TS segments (H.264, 1 s each) in a directory,
 * encoded with GStreamer from videotestsrc: black, SMPTE bars, a moving
 * ball, black again, GENERATOR_STRETCH_SECONDS each. */

#ifndef __HLS_DEMO_GENERATOR_H__
#define __HLS_DEMO_GENERATOR_H__

#include <glib.h>

G_BEGIN_DECLS

#define GENERATOR_WIDTH 640
#define GENERATOR_HEIGHT 360
#define GENERATOR_FPS 25
#define GENERATOR_STRETCH_SECONDS 4
#define GENERATOR_N_STRETCHES 4

gboolean  generator_make_stream   (const gchar * dir, GError ** error);

void      generator_remove_stream (const gchar * dir);

G_END_DECLS

#endif /* __HLS_DEMO_GENERATOR_H__ */
