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

/**
 * plugin-fdpass:
 *
 * Elements that move buffers between processes without copying them: the
 * memory lives in memfds (or temporary files, or DMA buffers) and only their
 * file descriptors and a small header cross a Unix socket.
 *
 * Loading the plugin also registers a #GstTmpFileAllocator under
 * %GST_ALLOCATOR_TMP_FILE. docs/elements.md is the reference of the
 * elements, generated from this plugin.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpasselements.h"

#include <gst/fdpass/fdpass.h>

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (fdpay, plugin);
  ret |= GST_ELEMENT_REGISTER (fddepay, plugin);
  ret |= GST_ELEMENT_REGISTER (unixsocketsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (unixsocketsink, plugin);
  ret |= GST_ELEMENT_REGISTER (fdpasssink, plugin);
  ret |= GST_ELEMENT_REGISTER (fdpasssrc, plugin);

  /* applications find the allocator by its name, as they find
   * GStreamer's own (gst_allocator_find()) */
  gst_allocator_register (GST_ALLOCATOR_TMP_FILE,
      gst_tmp_file_allocator_new ());

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    fdpass,
    "Zero-copy buffer passing between processes over Unix sockets",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
