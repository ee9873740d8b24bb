/* GStreamer fd passing plugin: properties of a bin proxied to its children
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

#ifndef __GST_FDPASS_PROXY_H__
#define __GST_FDPASS_PROXY_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* A property of a bin that is the property @name of its child number
 * @child, with the same name, type, range, default and blurb. */
typedef struct
{
  const gchar *name;
  guint child;
} FdPassProxyProperty;

G_GNUC_INTERNAL
void fdpass_proxy_install_properties (GObjectClass * klass,
                                      const FdPassProxyProperty * props,
                                      guint n_props,
                                      const GType * child_types);

G_GNUC_INTERNAL
gboolean fdpass_proxy_set_property (GstElement ** children,
                                    const FdPassProxyProperty * props,
                                    guint n_props, guint prop_id,
                                    const GValue * value);

G_GNUC_INTERNAL
gboolean fdpass_proxy_get_property (GstElement ** children,
                                    const FdPassProxyProperty * props,
                                    guint n_props, guint prop_id,
                                    GValue * value);

G_END_DECLS

#endif /* __GST_FDPASS_PROXY_H__ */
