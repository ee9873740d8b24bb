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

#ifndef __GST_FDPASS_ELEMENTS_H__
#define __GST_FDPASS_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL void fdpass_element_init (GstPlugin * plugin);

G_GNUC_INTERNAL gboolean fdpass_buffers_equal (GstBuffer * a, GstBuffer * b);

GST_ELEMENT_REGISTER_DECLARE (fdpay);
GST_ELEMENT_REGISTER_DECLARE (fddepay);
GST_ELEMENT_REGISTER_DECLARE (unixsocketsrc);
GST_ELEMENT_REGISTER_DECLARE (unixsocketsink);
GST_ELEMENT_REGISTER_DECLARE (fdpasssink);
GST_ELEMENT_REGISTER_DECLARE (fdpasssrc);

G_END_DECLS

#endif /* __GST_FDPASS_ELEMENTS_H__ */
