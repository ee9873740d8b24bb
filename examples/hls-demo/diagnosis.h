/* GStreamer fd passing example: HLS demo, download errors
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

/* Says what failed when the stream cannot be read: which playlist or
 * segment URL, and why (an HTTP status, a connection refused, closed in
 * the middle, timed out), in one line. hlsdemux keeps the errors of its
 * own souphttpsrc to itself and ends with a bare "Internal data stream
 * error", or with a clean EOS after a segment failed, so the pipeline
 * feeds every bus message here and asks at the end. */

#ifndef __HLS_DEMO_DIAGNOSIS_H__
#define __HLS_DEMO_DIAGNOSIS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _Diagnosis Diagnosis;

Diagnosis * diagnosis_new             (const gchar * uri, guint http_timeout);

void        diagnosis_observe         (Diagnosis * diagnosis,
                                       GstMessage * message);

gchar *     diagnosis_explain_error   (Diagnosis * diagnosis,
                                       GstMessage * error, guint64 frames);

gchar *     diagnosis_explain_eos     (Diagnosis * diagnosis);

gboolean    diagnosis_check_reachable (const gchar * uri, GError ** error);

void        diagnosis_free            (Diagnosis * diagnosis);

G_END_DECLS

#endif /* __HLS_DEMO_DIAGNOSIS_H__ */
