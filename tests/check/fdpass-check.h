/* Small helpers shared by the gst-fdpass tests. */

#ifndef __FDPASS_CHECK_H__
#define __FDPASS_CHECK_H__

#include <glib.h>
#include <dirent.h>

/* Number of file descriptors open in this process right now. */
static inline guint
fdpass_check_count_open_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *de;
  guint n = 0;

  g_assert (dir != NULL);
  while ((de = readdir (dir)) != NULL) {
    if (de->d_name[0] != '.')
      n++;
  }
  closedir (dir);

  /* the directory stream itself was open while counting */
  return n - 1;
}

#endif /* __FDPASS_CHECK_H__ */
