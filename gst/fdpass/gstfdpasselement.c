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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpasselements.h"

#include <gst/allocators/allocators.h>
#include <gst/net/net.h>
#include <gst/video/video.h>

void
fdpass_element_init (GstPlugin * plugin)
{
  static gsize res = FALSE;

  if (g_once_init_enter (&res)) {
    /* make sure the meta APIs we rely on are registered before any pad
     * sees a buffer */
    gst_net_control_message_meta_api_get_type ();
    gst_video_meta_api_get_type ();
    g_once_init_leave (&res, TRUE);
  }
}

/* Whether two buffers hold the same bytes: header messages (hello, caps,
 * segment) are sent again only when they changed. */
gboolean
fdpass_buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo map;
  gboolean ret;

  if (a == b)
    return TRUE;
  if (gst_buffer_get_size (a) != gst_buffer_get_size (b))
    return FALSE;
  if (!gst_buffer_map (a, &map, GST_MAP_READ))
    return FALSE;
  ret = gst_buffer_memcmp (b, 0, map.data, map.size) == 0;
  gst_buffer_unmap (a, &map);

  return ret;
}
