/* Small helpers shared by the gst-fdpass tests. */

#ifndef __FDPASS_CHECK_H__
#define __FDPASS_CHECK_H__

#include <glib.h>
#include <gst/gst.h>
#include <dirent.h>
#include <string.h>

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

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()), eight bytes per step
 * so that checking 4K frames stays cheap. */
static guint32 fdpass_check_crc_tables[8][256];

static inline gpointer
fdpass_check_crc_tables_init (gpointer data)
{
  guint32 i, j, c;

  for (i = 0; i < 256; i++) {
    c = i;
    for (j = 0; j < 8; j++)
      c = (c & 1) ? (0xedb88320 ^ (c >> 1)) : (c >> 1);
    fdpass_check_crc_tables[0][i] = c;
  }
  for (i = 0; i < 256; i++) {
    for (j = 1; j < 8; j++) {
      c = fdpass_check_crc_tables[j - 1][i];
      fdpass_check_crc_tables[j][i] =
          (c >> 8) ^ fdpass_check_crc_tables[0][c & 0xff];
    }
  }

  return NULL;
}

static inline guint32
fdpass_check_crc32 (const guint8 * p, gsize len)
{
  static GOnce once = G_ONCE_INIT;
  guint32 (*t)[256] = fdpass_check_crc_tables;
  guint32 crc = 0xffffffff;

  g_once (&once, fdpass_check_crc_tables_init, NULL);

  while (len >= 8) {
    guint32 lo, hi;

    memcpy (&lo, p, 4);
    memcpy (&hi, p + 4, 4);
    lo = GUINT32_FROM_LE (lo) ^ crc;
    hi = GUINT32_FROM_LE (hi);
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
        t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
        t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len > 0) {
    crc = t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
    p++;
    len--;
  }

  return crc ^ 0xffffffff;
}

/* CRC-32 of the bytes of a buffer, 0 when it cannot be mapped */
static inline guint32
fdpass_check_crc32_buffer (GstBuffer * buf)
{
  GstMapInfo map;
  guint32 crc;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return 0;
  crc = fdpass_check_crc32 (map.data, map.size);
  gst_buffer_unmap (buf, &map);

  return crc;
}

#endif /* __FDPASS_CHECK_H__ */
