/* GStreamer fd passing example: HLS demo, JSON helpers
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

/* The little JSON the demo needs, with GLib only: writing a string, and
 * reading top-level values out of the flat one-line objects that the
 * analysis process prints (its state lines and its end line). Not a
 * general parser: enough for lines we know the shape of. */

#ifndef __HLS_DEMO_JSON_H__
#define __HLS_DEMO_JSON_H__

#include <glib.h>

G_BEGIN_DECLS

void      json_append_string (GString * s, const gchar * str);

void      json_append_double (GString * s, gdouble value);

gchar *   json_get_raw       (const gchar * line, const gchar * key);

gchar *   json_get_string    (const gchar * line, const gchar * key);

gboolean  json_get_double    (const gchar * line, const gchar * key,
                              gdouble * value);

G_END_DECLS

#endif /* __HLS_DEMO_JSON_H__ */
