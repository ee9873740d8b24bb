/* Small helpers shared by the gst-fdpass tests. */

#ifndef __FDPASS_CHECK_H__
#define __FDPASS_CHECK_H__

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/net/net.h>
#include <gst/fdpass/fdpass.h>
#include <gio/gunixfdmessage.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>

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

/* Number of file descriptors open in this process right now that are not
 * memfds: a producer's pool may keep memfds for reuse, anything else must
 * come back to what it was. */
static inline guint
fdpass_check_count_open_fds_but_memfds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *de;
  guint n = 0;

  g_assert (dir != NULL);
  while ((de = readdir (dir)) != NULL) {
    gchar *path, *target;

    if (de->d_name[0] == '.')
      continue;
    path = g_strconcat ("/proc/self/fd/", de->d_name, NULL);
    target = g_file_read_link (path, NULL);
    if (target == NULL || !g_str_has_prefix (target, "/memfd:"))
      n++;
    g_free (path);
    g_free (target);
  }
  closedir (dir);

  return n - 1;
}

/* Counts the file descriptors open in this process right now: memfds in
 * @n_memfd, the others (the directory being read among them) in @n_other.
 * Descriptors that other threads close while counting are skipped. */
static inline void
fdpass_check_count_fds (guint * n_other, guint * n_memfd)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *name;

  *n_other = *n_memfd = 0;
  g_assert (dir != NULL);
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (path, NULL);

    if (target && g_str_has_prefix (target, "/memfd:"))
      (*n_memfd)++;
    else if (target)
      (*n_other)++;
    g_free (target);
    g_free (path);
  }
  g_dir_close (dir);
}

/* One blocking sendmsg() of @size bytes with @n_fds descriptors (up to
 * 64, more than any element accepts) attached as one SCM_RIGHTS message:
 * what a peer, honest or not, can send. The descriptors stay the caller's;
 * a peer that went away is -1 with EPIPE, never a SIGPIPE. Returns what
 * sendmsg() returns. */
static inline gssize
fdpass_check_sendmsg (gint fd, const guint8 * data, gsize size,
    const gint * fds, guint n_fds)
{
  union
  {
    struct cmsghdr hdr;
    gchar buf[CMSG_SPACE (64 * sizeof (gint))];
  }
  control;
  struct msghdr msg;
  struct iovec iov;
  gssize ret;

  g_assert (n_fds <= 64);
  iov.iov_base = (gpointer) data;
  iov.iov_len = size;
  memset (&msg, 0, sizeof (msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (n_fds > 0) {
    struct cmsghdr *cmsg;

    memset (&control, 0, sizeof (control));
    msg.msg_control = &control;
    msg.msg_controllen = CMSG_SPACE (n_fds * sizeof (gint));
    cmsg = CMSG_FIRSTHDR (&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN (n_fds * sizeof (gint));
    memcpy (CMSG_DATA (cmsg), fds, n_fds * sizeof (gint));
  }

  do {
    ret = sendmsg (fd, &msg, MSG_NOSIGNAL);
  } while (ret < 0 && errno == EINTR);

  return ret;
}

/* Removes the directory @path and the files in it (the tests' sockets),
 * then frees @path and sets it to NULL. */
static inline void
fdpass_check_remove_dir (gchar ** path)
{
  GDir *dir = g_dir_open (*path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    gchar *file = g_build_filename (*path, name, NULL);

    g_unlink (file);
    g_free (file);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (*path);
  g_clear_pointer (path, g_free);
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

/* The identity of the file behind @fd. */
/* Whether every element of the NULL-terminated list is installed (the
 * codecs some pipeline tests need come from optional packages). */
static inline gboolean
fdpass_check_have_elements (const gchar * first, ...)
{
  const gchar *name = first;
  gboolean ret = TRUE;
  va_list args;

  va_start (args, first);
  while (name != NULL) {
    GstElementFactory *factory = gst_element_factory_find (name);

    if (factory == NULL) {
      GST_WARNING ("%s is missing", name);
      ret = FALSE;
    } else {
      gst_object_unref (factory);
    }
    name = va_arg (args, const gchar *);
  }
  va_end (args);

  return ret;
}

static inline gboolean
fdpass_check_stat_fd (gint fd, guint64 * dev, guint64 * ino)
{
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return FALSE;

  *dev = st.st_dev;
  *ino = st.st_ino;
  return TRUE;
}

/* Writes all of @line to @fd. */
static inline gboolean
fdpass_check_write_all (gint fd, const gchar * line)
{
  gsize len = strlen (line);

  while (len > 0) {
    gssize ret = write (fd, line, len);

    if (ret < 0 && errno == EINTR)
      continue;
    if (ret <= 0)
      return FALSE;
    line += ret;
    len -= ret;
  }

  return TRUE;
}

/* Parses a message buffer fdpay pushed. Returns -1 when it is a valid
 * message of another type than BUFFER, 1 for a BUFFER message whose one
 * attached fd is the file its fd table names (@info, @dev and @ino filled),
 * and 0 for anything else. */
static inline gint
fdpass_check_parse_frame_message (GstBuffer * buf, GstFdPassBufferInfo * info,
    guint64 * dev, guint64 * ino)
{
  GstNetControlMessageMeta *meta;
  GstFdPassHeader header;
  GstMapInfo map;
  const gint *fds = NULL;
  gint n_fds = 0;
  gboolean ok;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return 0;
  ok = gst_fdpass_header_parse (map.data, map.size, &header, NULL);
  if (ok && header.type != GST_FDPASS_MESSAGE_BUFFER) {
    gst_buffer_unmap (buf, &map);
    return -1;
  }
  ok = ok && map.size == GST_FDPASS_HEADER_SIZE + header.payload_size;
  ok = ok && gst_fdpass_buffer_parse (&header,
      map.data + GST_FDPASS_HEADER_SIZE, header.payload_size, info, NULL);
  gst_buffer_unmap (buf, &map);

  meta = gst_buffer_get_net_control_message_meta (buf);
  if (ok && meta && G_IS_UNIX_FD_MESSAGE (meta->message)) {
    GUnixFDList *list =
        g_unix_fd_message_get_fd_list (G_UNIX_FD_MESSAGE (meta->message));

    fds = g_unix_fd_list_peek_fds (list, &n_fds);
  }
  ok = ok && n_fds == 1 && info->n_fds == 1;
  ok = ok && fdpass_check_stat_fd (fds[0], dev, ino);
  ok = ok && info->fds[0].dev == *dev && info->fds[0].ino == *ino;

  return ok ? 1 : 0;
}

/* The first error message on the bus of @pipeline, described in a newly
 * allocated string, or NULL when there is none. */
static inline gchar *
fdpass_check_pop_bus_error (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gchar *ret = NULL;

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    ret = g_strdup_printf ("error from %s: %s (%s)",
        GST_MESSAGE_SRC_NAME (msg), err->message, GST_STR_NULL (dbg));
    g_error_free (err);
    g_free (dbg);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);

  return ret;
}

/* Whether @fd is a memfd. */
static inline gboolean
fdpass_check_fd_is_memfd (gint fd)
{
  gchar *path = g_strdup_printf ("/proc/self/fd/%d", fd);
  gchar *target = g_file_read_link (path, NULL);
  gboolean ret = target != NULL && g_str_has_prefix (target, "/memfd:");

  g_free (path);
  g_free (target);
  return ret;
}

/* What a receiver holding @fd can do to the file behind it that it should
 * not: NULL when it can only read it. A memfd is also opened again through
 * /proc, for writing, as a hostile receiver would. */
static inline const gchar *
fdpass_check_receiver_write_problem (gint fd)
{
  const gchar *problem = NULL;
  gchar proc[32];
  struct stat st;
  gpointer data;
  guint8 byte;
  gint flags, rw;

  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || (flags & O_ACCMODE) != O_RDONLY)
    return "the fd is not read-only";
  if (fstat (fd, &st) < 0 || st.st_size == 0)
    return "the file is empty";

  data = mmap (NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data != MAP_FAILED) {
    munmap (data, st.st_size);
    return "the fd can be mapped writable";
  }
  /* writes back the byte that is there: a failing check changes nothing */
  if (pread (fd, &byte, 1, 0) != 1)
    return "the fd cannot be read";
  if (pwrite (fd, &byte, 1, 0) >= 0)
    return "the fd can be written";

  if (!fdpass_check_fd_is_memfd (fd))
    return NULL;

  g_snprintf (proc, sizeof (proc), "/proc/self/fd/%d", fd);
  rw = open (proc, O_RDWR | O_CLOEXEC);
  if (rw < 0)
    return NULL;
  data = mmap (NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
  if (data != MAP_FAILED) {
    munmap (data, st.st_size);
    problem = "the memfd opened again O_RDWR can be mapped writable";
  } else if (pwrite (rw, &byte, 1, 0) >= 0) {
    problem = "the memfd opened again O_RDWR can be written";
  }
  close (rw);

  return problem;
}

/* Holds a thread until the test opens the gate: the I/O thread of a
 * unixsocketsink in its client-added handler, so that more clients wait in
 * the listen backlog meanwhile (connect fdpass_check_gate_client_added to
 * the signal), or a streaming thread at a buffer (add
 * fdpass_check_gate_probe as a buffer probe). */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean entered;
  gboolean open;
} FdPassCheckGate;

static inline void
fdpass_check_gate_init (FdPassCheckGate * g)
{
  memset (g, 0, sizeof (*g));
  g_mutex_init (&g->lock);
  g_cond_init (&g->cond);
}

static inline void
fdpass_check_gate_clear (FdPassCheckGate * g)
{
  g_mutex_clear (&g->lock);
  g_cond_clear (&g->cond);
}

/* The thread that calls this waits at the gate until it is open. */
static inline void
fdpass_check_gate_enter (FdPassCheckGate * g)
{
  g_mutex_lock (&g->lock);
  g->entered = TRUE;
  g_cond_broadcast (&g->cond);
  while (!g->open)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
}

static inline void
fdpass_check_gate_client_added (GstElement * sink, guint id,
    FdPassCheckGate * g)
{
  fdpass_check_gate_enter (g);
}

static inline GstPadProbeReturn
fdpass_check_gate_probe (GstPad * pad, GstPadProbeInfo * info,
    FdPassCheckGate * g)
{
  fdpass_check_gate_enter (g);

  return GST_PAD_PROBE_OK;
}

/* Whether the handler was entered within @timeout (microseconds). */
static inline gboolean
fdpass_check_gate_wait_entered (FdPassCheckGate * g, gint64 timeout)
{
  gint64 end = g_get_monotonic_time () + timeout;
  gboolean entered;

  g_mutex_lock (&g->lock);
  while (!g->entered && g_cond_wait_until (&g->cond, &g->lock, end));
  entered = g->entered;
  g_mutex_unlock (&g->lock);

  return entered;
}

static inline void
fdpass_check_gate_open (FdPassCheckGate * g)
{
  g_mutex_lock (&g->lock);
  g->open = TRUE;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
}

/* Pipelines a failing test may leave playing. Without fork (CK_FORK=no,
 * as under the sanitizers), the GST_END_TEST of the next test would wait
 * for their streaming threads for ever, and the failure would never be
 * reported. Track a pipeline from its creation until the test stops it;
 * fdpass_check_stop_pipelines(), a checked teardown, stops the rest. */
static inline GList **
fdpass_check_pipelines (void)
{
  static GList *pipelines = NULL;

  return &pipelines;
}

static inline void
fdpass_check_track_pipeline (GstElement * pipeline)
{
  GList **l = fdpass_check_pipelines ();

  *l = g_list_prepend (*l, gst_object_ref (pipeline));
}

static inline void
fdpass_check_untrack_pipeline (GstElement * pipeline)
{
  GList **l = fdpass_check_pipelines ();
  GList *link = g_list_find (*l, pipeline);

  if (link) {
    *l = g_list_delete_link (*l, link);
    gst_object_unref (pipeline);
  }
}

static inline void
fdpass_check_stop_pipelines (void)
{
  GList **l = fdpass_check_pipelines ();

  while (*l) {
    GstElement *pipeline = (*l)->data;

    GST_WARNING ("stopping %" GST_PTR_FORMAT ", left playing by a test",
        pipeline);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    *l = g_list_delete_link (*l, *l);
    gst_object_unref (pipeline);
  }
}

#endif /* __FDPASS_CHECK_H__ */
