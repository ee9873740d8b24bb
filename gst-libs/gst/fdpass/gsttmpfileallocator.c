/* GStreamer fd passing library
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
 * SECTION:gsttmpfileallocator
 * @title: GstTmpFileAllocator
 * @short_description: Memory backed by anonymous files that can be passed
 *     to other processes
 * @see_also: #GstFdAllocator, #GstFdMemory
 *
 * A #GstTmpFileAllocator hands out #GstFdMemory whose file descriptor refers
 * to an anonymous file: a memfd where the kernel has memfd_create(), else an
 * unlinked file in `$XDG_RUNTIME_DIR` or `/dev/shm`. Such a file descriptor
 * can be sent to another process over a Unix socket, which can then map the
 * very same pages.
 *
 * The whole size of each file is reserved when the memory is allocated, so
 * that a full file system fails the allocation instead of raising SIGBUS on
 * the first write. memfds are then sealed against shrinking and growing
 * (and against further seals), so that a process that maps them can never
 * be hit by SIGBUS because somebody truncated the file behind its back.
 *
 * memfds are also sealed with F_SEAL_FUTURE_WRITE (Linux 5.1 and later):
 * each memory is mapped for reading and writing once, when it is allocated,
 * and keeps that mapping for its whole life (and through the cache of
 * #GstTmpFileAllocator:max-cached). This process writes through that
 * mapping as usual, but nobody can map the file writable or write() it
 * any more, not even a receiver that opens `/proc/self/fd/N` again for
 * writing: a receiver cannot change the frames other receivers see. On
 * older kernels the memfds are only sealed against shrinking and growing.
 * Unlinked temporary files cannot be sealed; a process that receives one
 * of their file descriptors and may open files of this user can write them.
 *
 * Since: 0.1
 */

/**
 * GstTmpFileAllocator:
 *
 * An allocator of #GstFdMemory in anonymous files. The structure is
 * opaque; make one with gst_tmp_file_allocator_new() or
 * gst_tmp_file_allocator_new_full(), or find the one the `fdpass` plugin
 * registers with gst_allocator_find() and %GST_ALLOCATOR_TMP_FILE.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "gsttmpfileallocator.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifdef HAVE_FILE_SEALS
/* Linux 5.1; older headers lack it, older kernels refuse it with EINVAL */
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#endif

GST_DEBUG_CATEGORY_STATIC (gst_tmp_file_allocator_debug);
#define GST_CAT_DEFAULT gst_tmp_file_allocator_debug

struct _GstTmpFileAllocator
{
  GstFdAllocator parent;

  GstTmpFileMethod method;
  gchar *directory;

  /* set once a method failed for good, so that AUTO does not retry it for
   * every buffer (protected by the object lock) */
  gboolean memfd_unavailable;
  gboolean tmpfile_unavailable;
  gboolean future_write_unavailable;

  /* freed memories kept for reuse, with their files and mappings (protected
   * by the object lock) */
  GQueue cache;
  guint max_cached;
  guint64 files_created;
  guint64 files_reused;
  guint64 files_freed;
  /* files of memories not freed yet, cached ones included */
  guint64 files_alive;
};

enum
{
  PROP_0,
  PROP_METHOD,
  PROP_DIRECTORY,
  PROP_MAX_CACHED,
  PROP_FILES_CREATED,
  PROP_FILES_REUSED,
  PROP_FILES_ALIVE,
  PROP_FILES_FREED,
};

#define DEFAULT_MAX_CACHED 0

#define DEFAULT_METHOD GST_TMP_FILE_METHOD_AUTO

#define gst_tmp_file_allocator_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstTmpFileAllocator, gst_tmp_file_allocator,
    GST_TYPE_FD_ALLOCATOR,
    GST_DEBUG_CATEGORY_INIT (gst_tmp_file_allocator_debug, "fdpasstmpfile", 0,
        "fd passing temporary file allocator"));

GType
gst_tmp_file_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_TMP_FILE_METHOD_AUTO,
        "memfd, else an O_TMPFILE file, else mkstemp() and unlink()", "auto"},
    {GST_TMP_FILE_METHOD_MEMFD, "memfd_create() only", "memfd"},
    {GST_TMP_FILE_METHOD_TMPFILE,
        "Unlinked O_TMPFILE file in the directory only", "tmpfile"},
    {GST_TMP_FILE_METHOD_MKSTEMP,
        "mkstemp() followed by unlink() in the directory only", "mkstemp"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType tmp = g_enum_register_static ("GstTmpFileMethod", values);
    g_once_init_leave (&type, tmp);
  }

  return type;
}

static const gchar *
default_directory (void)
{
  const gchar *dir = g_getenv ("XDG_RUNTIME_DIR");

  if (dir && *dir && g_file_test (dir, G_FILE_TEST_IS_DIR))
    return dir;

  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
    return "/dev/shm";

  return g_get_tmp_dir ();
}

static gint
create_memfd (GstTmpFileAllocator * self)
{
#ifdef HAVE_MEMFD_CREATE
  gint fd = memfd_create ("gst-fdpass", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (fd < 0)
    GST_DEBUG_OBJECT (self, "memfd_create() failed: %s", g_strerror (errno));
  return fd;
#else
  errno = ENOSYS;
  return -1;
#endif
}

static gint
create_o_tmpfile (GstTmpFileAllocator * self, const gchar * dir)
{
#ifdef HAVE_O_TMPFILE
  gint fd = open (dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);

  if (fd < 0)
    GST_DEBUG_OBJECT (self, "O_TMPFILE in %s failed: %s", dir,
        g_strerror (errno));
  return fd;
#else
  errno = ENOSYS;
  return -1;
#endif
}

static gint
create_mkstemp (GstTmpFileAllocator * self, const gchar * dir)
{
  gchar *path = g_build_filename (dir, "gst-fdpass-XXXXXX", NULL);
  gint fd;

#ifdef HAVE_MKOSTEMP
  fd = mkostemp (path, O_CLOEXEC);
#else
  fd = mkstemp (path);
  if (fd >= 0)
    fcntl (fd, F_SETFD, FD_CLOEXEC);
#endif

  if (fd < 0) {
    GST_DEBUG_OBJECT (self, "mkstemp() in %s failed: %s", dir,
        g_strerror (errno));
  } else if (unlink (path) < 0) {
    GST_WARNING_OBJECT (self, "could not unlink %s: %s", path,
        g_strerror (errno));
    close (fd);
    fd = -1;
  }

  g_free (path);
  return fd;
}

static gint
create_file (GstTmpFileAllocator * self, gboolean * is_memfd)
{
  GstTmpFileMethod method;
  const gchar *dir;
  gboolean try_memfd, try_tmpfile;
  gint fd = -1;

  GST_OBJECT_LOCK (self);
  method = self->method;
  try_memfd = !self->memfd_unavailable;
  try_tmpfile = !self->tmpfile_unavailable;
  GST_OBJECT_UNLOCK (self);

  dir = self->directory ? self->directory : default_directory ();
  *is_memfd = FALSE;

  switch (method) {
    case GST_TMP_FILE_METHOD_MEMFD:
      fd = create_memfd (self);
      *is_memfd = fd >= 0;
      return fd;
    case GST_TMP_FILE_METHOD_TMPFILE:
      return create_o_tmpfile (self, dir);
    case GST_TMP_FILE_METHOD_MKSTEMP:
      return create_mkstemp (self, dir);
    case GST_TMP_FILE_METHOD_AUTO:
    default:
      break;
  }

  if (try_memfd) {
    fd = create_memfd (self);
    if (fd >= 0) {
      *is_memfd = TRUE;
      return fd;
    }
    if (errno == ENOSYS || errno == EINVAL) {
      GST_INFO_OBJECT (self, "memfd is not available, using files in %s",
          dir);
      GST_OBJECT_LOCK (self);
      self->memfd_unavailable = TRUE;
      GST_OBJECT_UNLOCK (self);
    }
  }

  if (try_tmpfile) {
    fd = create_o_tmpfile (self, dir);
    if (fd >= 0)
      return fd;
    if (errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP
        || errno == EISDIR) {
      GST_OBJECT_LOCK (self);
      self->tmpfile_unavailable = TRUE;
      GST_OBJECT_UNLOCK (self);
    }
  }

  return create_mkstemp (self, dir);
}

/* Reserve the whole file so that a full tmpfs fails here and not with
 * SIGBUS when the memory is first written. */
static gboolean
reserve_space (gint fd, gsize size)
{
  gint ret;

#ifdef HAVE_POSIX_FALLOCATE
  do {
    ret = posix_fallocate (fd, 0, size);
  } while (ret == EINTR);

  if (ret == 0)
    return TRUE;
  if (ret != EOPNOTSUPP && ret != ENOSYS && ret != EINVAL) {
    errno = ret;
    return FALSE;
  }
#endif

  /* fallocate is not supported: at least give the file its size */
  do {
    ret = ftruncate (fd, size);
  } while (ret < 0 && errno == EINTR);

  return ret == 0;
}

/* made before any thread can race for it (G_DEFINE_QUARK makes it on
 * first use, without a lock) */
static GQuark
exported_quark (void)
{
  static gsize quark = 0;

  if (g_once_init_enter (&quark)) {
    GQuark q = g_quark_from_static_string ("fdpass-exported");

    g_once_init_leave (&quark, q);
  }

  return (GQuark) quark;
}

/* the memory whose file @mem lives in: shares have their parent's */
static GstMemory *
root_memory (GstMemory * mem)
{
  while (mem->parent)
    mem = mem->parent;

  return mem;
}

/**
 * gst_fdpass_memory_mark_exported:
 * @mem: a #GstMemory
 *
 * Marks the file behind @mem as given to a process that may map it for as
 * long as it likes, because it does not tell when it is done with it (or
 * can no longer tell: it disconnected while holding it). From then on
 * nobody may write the memory again: a #GstTmpFileAllocator closes its file
 * when the memory is freed instead of handing it out again, and fdpay's
 * buffer pool frees a buffer holding it instead of reusing it.
 *
 * The mark is on the memory that owns the file, so marking a sub-memory
 * made by gst_memory_share() marks its parent. It cannot be undone.
 *
 * Since: 0.2
 */
void
gst_fdpass_memory_mark_exported (GstMemory * mem)
{
  g_return_if_fail (mem != NULL);

  gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (root_memory (mem)),
      exported_quark (), GINT_TO_POINTER (TRUE), NULL);
}

/**
 * gst_fdpass_memory_is_exported:
 * @mem: a #GstMemory
 *
 * Checks the mark of gst_fdpass_memory_mark_exported().
 *
 * Returns: %TRUE when the file of @mem was marked with
 *     gst_fdpass_memory_mark_exported(), and may never be written again
 *
 * Since: 0.2
 */
gboolean
gst_fdpass_memory_is_exported (GstMemory * mem)
{
  g_return_val_if_fail (mem != NULL, FALSE);

  return gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (root_memory (mem)),
      exported_quark ()) != NULL;
}

/* Called when the last ref of one of our memories goes: keeps it for reuse
 * while the cache has room and no other process may still map it. Returns
 * FALSE when the memory was kept. */
static gboolean
gst_tmp_file_memory_dispose (GstMiniObject * obj)
{
  GstMemory *mem = GST_MEMORY_CAST (obj);
  GstTmpFileAllocator *self = GST_TMP_FILE_ALLOCATOR (mem->allocator);
  gboolean keep;

  if (gst_fdpass_memory_is_exported (mem)) {
    GST_LOG_OBJECT (self, "memory %p (fd %d) was exported, closing it", mem,
        gst_fd_memory_get_fd (mem));
    return TRUE;
  }

  GST_OBJECT_LOCK (self);
  keep = self->cache.length < self->max_cached;
  if (keep) {
    /* resurrect it: the cache owns it now */
    gst_memory_ref (mem);
    g_queue_push_tail (&self->cache, mem);
  }
  GST_OBJECT_UNLOCK (self);

  if (keep)
    GST_LOG_OBJECT (self, "keeping memory %p (fd %d) for reuse", mem,
        gst_fd_memory_get_fd (mem));

  return !keep;
}

/* A cached memory with a file of @maxsize bytes, or NULL */
static GstMemory *
gst_tmp_file_allocator_take_cached (GstTmpFileAllocator * self,
    gsize maxsize)
{
  GstMemory *mem = NULL;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = self->cache.head; l; l = l->next) {
    GstMemory *m = l->data;

    if (m->maxsize == maxsize) {
      g_queue_delete_link (&self->cache, l);
      self->files_reused++;
      mem = m;
      break;
    }
  }
  GST_OBJECT_UNLOCK (self);

  return mem;
}

/* Drops cached memories until at most @keep are left */
static void
gst_tmp_file_allocator_trim_cache (GstTmpFileAllocator * self, guint keep)
{
  GList *drop = NULL;

  GST_OBJECT_LOCK (self);
  while (self->cache.length > keep)
    drop = g_list_prepend (drop, g_queue_pop_head (&self->cache));
  GST_OBJECT_UNLOCK (self);

  /* their dispose sees a full cache and lets them go */
  g_list_free_full (drop, (GDestroyNotify) gst_memory_unref);
}

/* Maps the fresh memfd memory @mem for reading and writing, for good
 * (GstFdMemory keeps the mapping of a KEEP_MAPPED memory until it is freed,
 * and hands it out again to every later map, which asks for a subset of
 * it), then seals the file against any other write: new writable shared
 * mappings and write() fail from then on, while this mapping stays
 * writable. The first map must be the writable one: once the seal is set,
 * GstFdMemory could not mprotect() a read-only mapping for writing. Frees
 * @mem and returns FALSE when it cannot be mapped or sealed. */
static gboolean
gst_tmp_file_allocator_seal_writes (GstTmpFileAllocator * self, GstMemory * mem)
{
  gint fd = gst_fd_memory_get_fd (mem);
  GstMapInfo map;

  /* an empty file cannot be mapped, nor written without growing it */
  if (mem->maxsize > 0) {
    if (!gst_memory_map (mem, &map, GST_MAP_READWRITE)) {
      GST_ERROR_OBJECT (self, "could not map memfd %d for writing", fd);
      goto failed;
    }
    gst_memory_unmap (mem, &map);
  }
#ifdef HAVE_FILE_SEALS
  {
    gboolean try_future_write;

    GST_OBJECT_LOCK (self);
    try_future_write = !self->future_write_unavailable;
    GST_OBJECT_UNLOCK (self);

    if (try_future_write) {
      if (fcntl (fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) == 0)
        return TRUE;

      if (errno != EINVAL) {
        GST_ERROR_OBJECT (self, "could not seal memfd %d against writes: %s",
            fd, g_strerror (errno));
        goto failed;
      }

      GST_INFO_OBJECT (self, "the kernel does not know F_SEAL_FUTURE_WRITE "
          "(Linux 5.1): receivers may open our memfds for writing");
      GST_OBJECT_LOCK (self);
      self->future_write_unavailable = TRUE;
      GST_OBJECT_UNLOCK (self);
    }

    if (fcntl (fd, F_ADD_SEALS, F_SEAL_SEAL) < 0) {
      GST_ERROR_OBJECT (self, "could not seal memfd %d: %s", fd,
          g_strerror (errno));
      goto failed;
    }
  }
#endif

  return TRUE;

failed:
  gst_memory_unref (mem);
  return FALSE;
}

static void
gst_tmp_file_allocator_free (GstAllocator * allocator, GstMemory * mem)
{
  GstTmpFileAllocator *self = GST_TMP_FILE_ALLOCATOR (allocator);

  /* shares made by gst_memory_share() have no file of their own */
  if (mem->parent == NULL) {
    GST_OBJECT_LOCK (self);
    self->files_alive--;
    self->files_freed++;
    GST_OBJECT_UNLOCK (self);
  }

  GST_ALLOCATOR_CLASS (parent_class)->free (allocator, mem);
}

static GstMemory *
gst_tmp_file_allocator_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  GstTmpFileAllocator *self = GST_TMP_FILE_ALLOCATOR (allocator);
  GstMemory *mem;
  gsize align, offset, maxsize;
  gboolean is_memfd;
  gint fd;

  /* mmap() returns page aligned addresses, so aligning the offset inside
   * the file aligns the data */
  align = params->align | gst_memory_alignment;
  if (align >= (gsize) sysconf (_SC_PAGESIZE)) {
    GST_WARNING_OBJECT (self, "alignment of %" G_GSIZE_FORMAT " bytes is "
        "larger than a page, the data will only be page aligned", align + 1);
    align = sysconf (_SC_PAGESIZE) - 1;
  }
  if (!g_size_checked_add (&offset, params->prefix, align) ||
      !g_size_checked_add (&maxsize, offset & ~align, size) ||
      !g_size_checked_add (&maxsize, maxsize, params->padding) ||
      maxsize > G_MAXSSIZE) {
    GST_ERROR_OBJECT (self, "allocation of %" G_GSIZE_FORMAT " bytes is too "
        "large", size);
    return NULL;
  }
  offset &= ~align;

  mem = gst_tmp_file_allocator_take_cached (self, maxsize);
  if (mem) {
    /* as new, except that the contents are the previous ones */
    GST_MINI_OBJECT_FLAGS (mem) &= GST_MINI_OBJECT_FLAG_LOCKABLE;
    mem->offset = offset;
    mem->size = size;
    GST_LOG_OBJECT (self, "reusing memory %p (fd %d) of %" G_GSIZE_FORMAT
        " bytes", mem, gst_fd_memory_get_fd (mem), maxsize);
    return mem;
  }

  fd = create_file (self, &is_memfd);
  if (fd < 0) {
    GST_ERROR_OBJECT (self, "could not create a temporary file: %s",
        g_strerror (errno));
    return NULL;
  }

  if (maxsize > 0 && !reserve_space (fd, maxsize)) {
    GST_ERROR_OBJECT (self, "could not reserve %" G_GSIZE_FORMAT " bytes: %s",
        maxsize, g_strerror (errno));
    close (fd);
    return NULL;
  }

#ifdef HAVE_FILE_SEALS
  if (is_memfd && fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
    GST_ERROR_OBJECT (self, "could not seal memfd: %s", g_strerror (errno));
    close (fd);
    return NULL;
  }
#endif

  mem = gst_fd_allocator_alloc (allocator, fd, maxsize,
      GST_FD_MEMORY_FLAG_KEEP_MAPPED);
  if (mem == NULL) {
    close (fd);
    return NULL;
  }

  GST_OBJECT_LOCK (self);
  self->files_created++;
  self->files_alive++;
  GST_OBJECT_UNLOCK (self);

  /* frees the memory, and closes its file, on failure */
  if (is_memfd && !gst_tmp_file_allocator_seal_writes (self, mem))
    return NULL;

  gst_memory_resize (mem, offset, size);
  GST_MINI_OBJECT_CAST (mem)->dispose = gst_tmp_file_memory_dispose;
  /* a fresh file reads as zeroes; set after the resize, which clears both
   * flags when it moves the start or the end */
  GST_MINI_OBJECT_FLAG_SET (mem,
      GST_MEMORY_FLAG_ZERO_PREFIXED | GST_MEMORY_FLAG_ZERO_PADDED);

  GST_LOG_OBJECT (self, "allocated %" G_GSIZE_FORMAT " bytes (maxsize %"
      G_GSIZE_FORMAT ", offset %" G_GSIZE_FORMAT ") in %s fd %d", size,
      maxsize, offset, is_memfd ? "memfd" : "file", fd);

  return mem;
}

static void
gst_tmp_file_allocator_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstTmpFileAllocator *self = GST_TMP_FILE_ALLOCATOR (object);

  switch (prop_id) {
    case PROP_METHOD:
      self->method = g_value_get_enum (value);
      break;
    case PROP_DIRECTORY:
      g_free (self->directory);
      self->directory = g_value_dup_string (value);
      break;
    case PROP_MAX_CACHED:
      GST_OBJECT_LOCK (self);
      self->max_cached = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      gst_tmp_file_allocator_trim_cache (self, self->max_cached);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_tmp_file_allocator_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstTmpFileAllocator *self = GST_TMP_FILE_ALLOCATOR (object);

  switch (prop_id) {
    case PROP_METHOD:
      g_value_set_enum (value, self->method);
      break;
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_MAX_CACHED:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_cached);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FILES_CREATED:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->files_created);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FILES_REUSED:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->files_reused);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FILES_ALIVE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->files_alive);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FILES_FREED:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->files_freed);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_tmp_file_allocator_finalize (GObject * object)
{
  GstTmpFileAllocator *self = GST_TMP_FILE_ALLOCATOR (object);

  g_free (self->directory);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_tmp_file_allocator_class_init (GstTmpFileAllocatorClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstAllocatorClass *allocator_class = GST_ALLOCATOR_CLASS (klass);

  gobject_class->set_property = gst_tmp_file_allocator_set_property;
  gobject_class->get_property = gst_tmp_file_allocator_get_property;
  gobject_class->finalize = gst_tmp_file_allocator_finalize;

  allocator_class->alloc = gst_tmp_file_allocator_alloc;
  allocator_class->free = gst_tmp_file_allocator_free;

  /**
   * GstTmpFileAllocator:method:
   *
   * How the file behind each memory is created.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_METHOD,
      g_param_spec_enum ("method", "Method",
          "How the anonymous file behind each memory is created",
          GST_TYPE_TMP_FILE_METHOD, DEFAULT_METHOD,
          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstTmpFileAllocator:directory:
   *
   * Where unlinked temporary files are created when memfd is not used.
   * %NULL means `$XDG_RUNTIME_DIR`, else `/dev/shm`, else the temporary
   * directory.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DIRECTORY,
      g_param_spec_string ("directory", "Directory",
          "Directory for unlinked temporary files when memfd is not used "
          "(NULL: $XDG_RUNTIME_DIR, else /dev/shm)", NULL,
          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstTmpFileAllocator:max-cached:
   *
   * How many freed memories (with their files and mappings) are kept to be
   * handed out again by later allocations of the same size, so that a
   * steady stream of frames needs no new file and no new mapping.
   *
   * Only enable this where nobody outside the process can still map a
   * freed memory (the receivers released it), and set it back to 0 when
   * done: cached memories keep the allocator alive.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_CACHED,
      g_param_spec_uint ("max-cached", "Maximum cached",
          "Number of freed memories kept for reuse by allocations of the same "
          "size (0: files are closed when their memory is freed)", 0,
          G_MAXUINT, DEFAULT_MAX_CACHED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstTmpFileAllocator:files-created:
   *
   * How many files (memfds or temporary files) this allocator created so
   * far. Allocations served from the cache of #GstTmpFileAllocator:max-cached
   * create none.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FILES_CREATED,
      g_param_spec_uint64 ("files-created", "Files created",
          "Number of files (memfds or temporary files) created so far", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstTmpFileAllocator:files-reused:
   *
   * How many allocations were served by a freed memory of the cache of
   * #GstTmpFileAllocator:max-cached, with its file and mapping.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FILES_REUSED,
      g_param_spec_uint64 ("files-reused", "Files reused",
          "Number of allocations served from the cache of freed memories", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstTmpFileAllocator:files-alive:
   *
   * How many files this allocator holds open right now: one for each of
   * its memories that is not freed yet, cached ones included (not counting
   * file descriptors that other code duplicated).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_FILES_ALIVE,
      g_param_spec_uint64 ("files-alive", "Files alive",
          "Number of files (memfds or temporary files) of memories not freed "
          "yet, including the cached ones", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstTmpFileAllocator:files-freed:
   *
   * How many files this allocator closed because their memory was freed
   * (and not kept in the cache of #GstTmpFileAllocator:max-cached).
   * #GstTmpFileAllocator:files-created minus this is
   * #GstTmpFileAllocator:files-alive.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_FILES_FREED,
      g_param_spec_uint64 ("files-freed", "Files freed",
          "Number of files (memfds or temporary files) closed because their "
          "memory was freed", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_tmp_file_allocator_init (GstTmpFileAllocator * self)
{
  GstAllocator *allocator = GST_ALLOCATOR (self);

  allocator->mem_type = GST_ALLOCATOR_TMP_FILE;
  self->method = DEFAULT_METHOD;
  self->max_cached = DEFAULT_MAX_CACHED;
  g_queue_init (&self->cache);

  /* GstFdAllocator cannot allocate by itself and flags itself as custom,
   * which makes gst_memory_copy() put copies in system memory. We can
   * allocate: copies of our memory (such as the one a decoder makes of a
   * frame that it still uses as a reference) then land in a memfd too. */
  GST_OBJECT_FLAG_UNSET (self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

/**
 * gst_tmp_file_allocator_new:
 *
 * Creates an allocator whose memory lives in memfds, or in unlinked
 * temporary files where memfd is not available.
 *
 * Returns: (transfer full): a new #GstTmpFileAllocator
 *
 * Since: 0.1
 */
GstAllocator *
gst_tmp_file_allocator_new (void)
{
  return gst_tmp_file_allocator_new_full (GST_TMP_FILE_METHOD_AUTO, NULL);
}

/**
 * gst_tmp_file_allocator_new_full:
 * @method: how files are created
 * @directory: (nullable): where temporary files are created, or %NULL for
 *     the default
 *
 * Creates an allocator that makes its files with @method only, and puts
 * the temporary files of the methods that need a directory in @directory
 * (see #GstTmpFileAllocator:directory).
 *
 * Returns: (transfer full): a new #GstTmpFileAllocator
 *
 * Since: 0.1
 */
GstAllocator *
gst_tmp_file_allocator_new_full (GstTmpFileMethod method,
    const gchar * directory)
{
  GstAllocator *alloc;

  alloc = g_object_new (GST_TYPE_TMP_FILE_ALLOCATOR, "method", method,
      "directory", directory, NULL);
  gst_object_ref_sink (alloc);

  return alloc;
}

/**
 * gst_is_tmp_file_memory:
 * @mem: a #GstMemory
 *
 * Checks whether @mem lives in a file of a #GstTmpFileAllocator, and so
 * can be passed to another process as it is.
 *
 * Returns: %TRUE when @mem was allocated by a #GstTmpFileAllocator
 *
 * Since: 0.1
 */
gboolean
gst_is_tmp_file_memory (GstMemory * mem)
{
  g_return_val_if_fail (mem != NULL, FALSE);

  return mem->allocator != NULL &&
      GST_IS_TMP_FILE_ALLOCATOR (mem->allocator);
}
