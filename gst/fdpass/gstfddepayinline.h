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

#ifndef __GST_FD_DEPAY_INLINE_H__
#define __GST_FD_DEPAY_INLINE_H__

#include <gst/gst.h>
#include <gst/base/gstadapter.h>
#include <gst/fdpass/fdpass.h>

G_BEGIN_DECLS

typedef struct _GstFdDepayInline GstFdDepayInline;

G_GNUC_INTERNAL
GstFdDepayInline * gst_fd_depay_inline_new        (GstElement * element,
                                                   GstPad * srcpad);

G_GNUC_INTERNAL
void               gst_fd_depay_inline_free       (GstFdDepayInline * in);

G_GNUC_INTERNAL
void               gst_fd_depay_inline_set_caps   (GstFdDepayInline * in,
                                                   GstCaps * caps);

G_GNUC_INTERNAL
GstBuffer *        gst_fd_depay_inline_take       (GstFdDepayInline * in,
                                                   GstAdapter * adapter,
                                                   gsize offset,
                                                   const GstFdPassBufferInfo * info,
                                                   gsize size);

G_END_DECLS

#endif /* __GST_FD_DEPAY_INLINE_H__ */
