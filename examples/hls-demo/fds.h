/* GStreamer fd passing example: HLS demo, fd counts
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

/* Counting the open file descriptors of the demo, for --report-fds. */

#ifndef __HLS_DEMO_FDS_H__
#define __HLS_DEMO_FDS_H__

#include <glib.h>

G_BEGIN_DECLS

gint  fds_count         (void);

gint  fds_count_settled (void);

void  fds_warm_up       (void);

G_END_DECLS

#endif /* __HLS_DEMO_FDS_H__ */
