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

/* Counts the open file descriptors of the demo, for --report-fds: the
 * tests check that a run (with analysis processes that crash and are
 * restarted) leaves none open. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fds.h"

#include <gio/gio.h>

/* The number of open file descriptors of this process, or -1 */
gint
fds_count (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  gint n = 0;

  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);

  /* the directory's own fd */
  return n - 1;
}

/* The open fd count once GLib's helper threads have closed what they were
 * closing (the pipe of a child that just exited, say): the same count twice
 * in a row, 20 ms apart. */
gint
fds_count_settled (void)
{
  gint prev = fds_count (), n = prev, i;

  for (i = 0; i < 50; i++) {
    g_usleep (20 * 1000);
    n = fds_count ();
    if (n == prev)
      break;
    prev = n;
  }

  return n;
}

/* For --report-fds: GLib creates some file descriptors once per process,
 * on first use, and keeps them: the worker thread's context, the child
 * watcher, the task pool, the proxy resolver (and the settings it reads).
 * Create them before counting, so that the count at the end shows what
 * the run itself left open. */
void
fds_warm_up (void)
{
  GProxyResolver *resolver = g_proxy_resolver_get_default ();
  gchar **proxies;
  GSubprocess *proc;
  gchar *out = NULL;

  proxies = g_proxy_resolver_lookup (resolver, "http://127.0.0.1/", NULL, NULL);
  g_strfreev (proxies);

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL, "true", NULL);
  if (proc) {
    g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, NULL);
    g_free (out);
    g_object_unref (proc);
  }
}
