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

#include "gstfdpasssocket.h"

#include <stddef.h>
#include <string.h>

/* Fills @addr with the Unix socket address @path names: a filesystem path,
 * or with a leading '@' a name in the abstract namespace. Returns FALSE
 * when the name is too long. */
gboolean
gst_fdpass_socket_address (const gchar * path, struct sockaddr_un *addr,
    socklen_t * len)
{
  gsize n;

  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;

  if (path[0] == '@') {
    /* abstract namespace: a NUL, then the name, not NUL terminated */
    n = strlen (path + 1);
    if (n + 1 > sizeof (addr->sun_path))
      return FALSE;
    memcpy (addr->sun_path + 1, path + 1, n);
    *len = offsetof (struct sockaddr_un, sun_path) + 1 + n;
  } else {
    n = strlen (path);
    if (n + 1 > sizeof (addr->sun_path))
      return FALSE;
    memcpy (addr->sun_path, path, n);
    *len = offsetof (struct sockaddr_un, sun_path) + n + 1;
  }

  return TRUE;
}
