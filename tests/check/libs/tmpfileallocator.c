/* GStreamer fd passing library
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * tmpfileallocator.c: unit tests for GstTmpFileAllocator
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

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <gst/check/gstcheck.h>
#include <gst/allocators/allocators.h>
#include <gst/video/video.h>
#include <gst/fdpass/fdpass.h>

#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../fdpass-check.h"

/* helpers */

static gchar *
fd_link_target (gint fd)
{
  gchar *proc = g_strdup_printf ("/proc/self/fd/%d", fd);
  gchar *target = g_file_read_link (proc, NULL);

  fail_unless (target != NULL, "cannot read %s", proc);
  g_free (proc);

  return target;
}

static gboolean
dir_is_empty (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  gboolean empty;

  fail_unless (dir != NULL, "cannot open %s", path);
  empty = g_dir_read_name (dir) == NULL;
  g_dir_close (dir);

  return empty;
}

static gchar *
make_tmp_dir (const gchar * parent)
{
  gchar *tmpl = g_build_filename (parent, "fdpass-alloc-test-XXXXXX", NULL);

  if (g_mkdtemp (tmpl) == NULL) {
    g_free (tmpl);
    return NULL;
  }

  return tmpl;
}

/* whether files in @dir get their blocks reserved by posix_fallocate() */
static gboolean
dir_supports_fallocate (const gchar * dir)
{
  gchar *path = g_build_filename (dir, "probe-XXXXXX", NULL);
  gboolean ret;
  gint fd;

  fd = g_mkstemp (path);
  fail_unless (fd >= 0);
  g_unlink (path);
  g_free (path);

  ret = fallocate (fd, 0, 0, 65536) == 0;
  close (fd);

  return ret;
}

/* bytes of the file behind @mem, read through the fd and not the mapping */
static void
read_file_bytes (GstMemory * mem, goffset offset, guint8 * dest, gsize len)
{
  gint fd = gst_fd_memory_get_fd (mem);
  gsize done = 0;

  while (done < len) {
    gssize r = pread (fd, dest + done, len - done, offset + done);

    fail_unless (r > 0, "pread failed: %s", g_strerror (errno));
    done += r;
  }
}

/* writes a pattern through a mapping and checks it through the mapping and
 * through the file descriptor */
static void
check_data_round_trip (GstMemory * mem, guint seed)
{
  GstMapInfo map;
  guint8 *readback;
  gsize offset, i;

  gst_memory_get_sizes (mem, &offset, NULL);

  fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
  fail_unless (map.data != NULL);
  for (i = 0; i < map.size; i++)
    map.data[i] = (i * 7 + seed) & 0xff;
  gst_memory_unmap (mem, &map);

  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  for (i = 0; i < map.size; i++) {
    if (map.data[i] != ((i * 7 + seed) & 0xff))
      fail ("byte %" G_GSIZE_FORMAT " is 0x%02x", i, map.data[i]);
  }
  gst_memory_unmap (mem, &map);

  readback = g_malloc (map.size);
  read_file_bytes (mem, offset, readback, map.size);
  for (i = 0; i < map.size; i++) {
    if (readback[i] != ((i * 7 + seed) & 0xff))
      fail ("byte %" G_GSIZE_FORMAT " of the file is 0x%02x", i, readback[i]);
  }
  g_free (readback);
}

/* Checks that nobody can write the file behind @fd any more, through @fd
 * or through a new file description of it (what a receiver could open from
 * /proc/self/fd), while it can still be mapped for reading. */
static void
check_no_new_writer (gint fd, gsize maxsize)
{
  gchar *proc = g_strdup_printf ("/proc/self/fd/%d", fd);
  guint8 byte = 0;
  gpointer data;
  gint rw;

  data = mmap (NULL, maxsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  fail_unless (data == MAP_FAILED, "the memfd can be mapped writable");
  fail_unless_equals_int (errno, EPERM);
  fail_unless (pread (fd, &byte, 1, 0) == 1);
  errno = 0;
  fail_unless (pwrite (fd, &byte, 1, 0) < 0, "the memfd can be written");
  fail_unless_equals_int (errno, EPERM);

  rw = open (proc, O_RDWR | O_CLOEXEC);
  if (rw >= 0) {
    data = mmap (NULL, maxsize, PROT_WRITE, MAP_SHARED, rw, 0);
    fail_unless (data == MAP_FAILED, "a new O_RDWR description of the "
        "memfd can be mapped writable");
    errno = 0;
    fail_unless (pwrite (rw, &byte, 1, 0) < 0, "a new O_RDWR description "
        "of the memfd can be written");
    fail_unless_equals_int (errno, EPERM);
    close (rw);
  }

  /* reading stays possible, and private copies of pages are private */
  data = mmap (NULL, maxsize, PROT_READ, MAP_SHARED, fd, 0);
  fail_unless (data != MAP_FAILED);
  munmap (data, maxsize);
  data = mmap (NULL, maxsize, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  fail_unless (data != MAP_FAILED);
  munmap (data, maxsize);

  g_free (proc);
}

/* tests */

GST_START_TEST (test_default_is_sealed_memfd)
{
  const gint wanted_seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL |
      F_SEAL_FUTURE_WRITE;
  const gsize size = 100000;
  GstAllocator *alloc;
  GstMemory *mem;
  GstMapInfo map;
  struct stat st;
  gsize offset, maxsize;
  gchar *target;
  gint fd, seals, flags;
  guint8 byte = 0x5a;
  guint8 *shared;

  alloc = gst_tmp_file_allocator_new ();
  fail_unless (GST_IS_TMP_FILE_ALLOCATOR (alloc));
  fail_unless (GST_IS_FD_ALLOCATOR (alloc));
  fail_unless_equals_string (alloc->mem_type, GST_ALLOCATOR_TMP_FILE);

  mem = gst_allocator_alloc (alloc, size, NULL);
  fail_unless (mem != NULL);
  fail_unless (mem->allocator == alloc);
  fail_unless (gst_is_fd_memory (mem));
  fail_unless (gst_is_tmp_file_memory (mem));
  fail_unless_equals_uint64 (gst_memory_get_sizes (mem, &offset, &maxsize),
      size);
  fail_unless (maxsize >= offset + size);

  fd = gst_fd_memory_get_fd (mem);
  fail_unless (fd >= 0);

  target = fd_link_target (fd);
  fail_unless (g_str_has_prefix (target, "/memfd:"), "fd is %s", target);
  g_free (target);

  flags = fcntl (fd, F_GETFD);
  fail_unless (flags >= 0);
  fail_unless (flags & FD_CLOEXEC);

  seals = fcntl (fd, F_GET_SEALS);
  fail_unless (seals >= 0, "F_GET_SEALS: %s", g_strerror (errno));
  fail_unless_equals_int (seals & wanted_seals, wanted_seals);

  fail_unless (fstat (fd, &st) == 0);
  fail_unless (S_ISREG (st.st_mode));
  fail_unless_equals_uint64 (st.st_size, maxsize);

  /* nobody can shrink or grow the file behind a mapping */
  errno = 0;
  fail_unless (ftruncate (fd, 0) < 0);
  fail_unless_equals_int (errno, EPERM);
  errno = 0;
  fail_unless (ftruncate (fd, maxsize - 1) < 0);
  fail_unless_equals_int (errno, EPERM);
  errno = 0;
  fail_unless (ftruncate (fd, maxsize + 4096) < 0);
  fail_unless_equals_int (errno, EPERM);
  /* writing past the end would grow it */
  errno = 0;
  fail_unless (pwrite (fd, &byte, 1, maxsize) < 0);
  fail_unless_equals_int (errno, EPERM);
  /* and the seals themselves are sealed */
  errno = 0;
  fail_unless (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE) < 0);
  fail_unless_equals_int (errno, EPERM);

  fail_unless (fstat (fd, &st) == 0);
  fail_unless_equals_uint64 (st.st_size, maxsize);

  /* nobody writes the file but through the memory */
  check_no_new_writer (fd, maxsize);

  check_data_round_trip (mem, 3);

  /* the mapping is shared with the file: what the memory writes later
   * shows in a mapping made from the fd (a receiver's) */
  shared = mmap (NULL, maxsize, PROT_READ, MAP_SHARED, fd, 0);
  fail_unless (shared != MAP_FAILED);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
  map.data[10] = 0x5a;
  gst_memory_unmap (mem, &map);
  fail_unless_equals_int (shared[offset + 10], 0x5a);
  munmap (shared, maxsize);

  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_small_sizes)
{
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  gsize sizes[] = { 1, 2, 4095, 4096, 4097 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    GstMemory *mem = gst_allocator_alloc (alloc, sizes[i], NULL);
    struct stat st;
    gsize maxsize;

    fail_unless (mem != NULL);
    fail_unless_equals_uint64 (gst_memory_get_sizes (mem, NULL, &maxsize),
        sizes[i]);
    fail_unless (fstat (gst_fd_memory_get_fd (mem), &st) == 0);
    fail_unless_equals_uint64 (st.st_size, maxsize);
    check_data_round_trip (mem, i);
    gst_memory_unref (mem);
  }

  gst_object_unref (alloc);
}

GST_END_TEST;

static void
check_method_in (GstTmpFileMethod method, const gchar * parent)
{
  const gsize size = 1024 * 1024 + 123;
  GstTmpFileMethod got_method;
  GstAllocator *alloc;
  GstMemory *mem, *mem2;
  gchar *dir, *got_dir, *target;
  struct stat st, st2;
  gsize maxsize;
  gint fd, flags;

  dir = make_tmp_dir (parent);
  if (dir == NULL) {
    GST_INFO ("cannot create a directory in %s, skipping", parent);
    return;
  }
  GST_INFO ("method %d in %s", method, dir);

  alloc = gst_tmp_file_allocator_new_full (method, dir);
  fail_unless (alloc != NULL);
  g_object_get (alloc, "method", &got_method, "directory", &got_dir, NULL);
  fail_unless_equals_int (got_method, method);
  fail_unless_equals_string (got_dir, dir);
  g_free (got_dir);

  mem = gst_allocator_alloc (alloc, size, NULL);
  fail_unless (mem != NULL, "method %d failed in %s", method, dir);
  fail_unless (gst_is_fd_memory (mem));
  fail_unless (gst_is_tmp_file_memory (mem));
  gst_memory_get_sizes (mem, NULL, &maxsize);

  fd = gst_fd_memory_get_fd (mem);
  fail_unless (fd >= 0);

  fail_unless (fstat (fd, &st) == 0);
  fail_unless (S_ISREG (st.st_mode));
  /* unlinked: nobody else can open it by name */
  fail_unless_equals_int (st.st_nlink, 0);
  fail_unless (dir_is_empty (dir));
  fail_unless_equals_uint64 (st.st_size, maxsize);

  target = fd_link_target (fd);
  if (method == GST_TMP_FILE_METHOD_MEMFD)
    fail_unless (g_str_has_prefix (target, "/memfd:"), "fd is %s", target);
  else
    fail_if (g_str_has_prefix (target, "/memfd:"), "fd is %s", target);
  g_free (target);

  flags = fcntl (fd, F_GETFD);
  fail_unless (flags >= 0);
  fail_unless (flags & FD_CLOEXEC);

  /* the blocks are reserved up front, so a full disk fails the allocation
   * and not the first write */
  if (method == GST_TMP_FILE_METHOD_MEMFD || dir_supports_fallocate (dir))
    fail_unless ((guint64) st.st_blocks * 512 >= maxsize,
        "%" G_GUINT64_FORMAT " blocks for %" G_GSIZE_FORMAT " bytes",
        (guint64) st.st_blocks, maxsize);

  check_data_round_trip (mem, method);

  /* every memory has its own file */
  mem2 = gst_allocator_alloc (alloc, 4096, NULL);
  fail_unless (mem2 != NULL);
  fail_unless (fstat (gst_fd_memory_get_fd (mem2), &st2) == 0);
  fail_unless (st.st_ino != st2.st_ino || st.st_dev != st2.st_dev);
  fail_unless (dir_is_empty (dir));

  gst_memory_unref (mem2);
  gst_memory_unref (mem);
  gst_object_unref (alloc);

  fail_unless (dir_is_empty (dir));
  fail_unless (g_rmdir (dir) == 0);
  g_free (dir);
}

static void
check_method (GstTmpFileMethod method)
{
  check_method_in (method, g_get_tmp_dir ());
  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
    check_method_in (method, "/dev/shm");
}

GST_START_TEST (test_method_tmpfile)
{
  check_method (GST_TMP_FILE_METHOD_TMPFILE);
}

GST_END_TEST;

GST_START_TEST (test_method_mkstemp)
{
  check_method (GST_TMP_FILE_METHOD_MKSTEMP);
}

GST_END_TEST;

GST_START_TEST (test_method_memfd)
{
  check_method (GST_TMP_FILE_METHOD_MEMFD);
}

GST_END_TEST;

static void
check_params (GstAllocator * alloc, gsize size, gsize align, gsize prefix,
    gsize padding)
{
  GstAllocationParams params;
  GstMemory *mem;
  GstMapInfo map;
  gsize offset, maxsize, i;
  guint8 *bytes;

  gst_allocation_params_init (&params);
  params.align = align;
  params.prefix = prefix;
  params.padding = padding;
  params.flags = GST_MEMORY_FLAG_ZERO_PREFIXED | GST_MEMORY_FLAG_ZERO_PADDED;

  mem = gst_allocator_alloc (alloc, size, &params);
  fail_unless (mem != NULL);
  fail_unless_equals_uint64 (gst_memory_get_sizes (mem, &offset, &maxsize),
      size);
  fail_unless (offset >= prefix, "offset %" G_GSIZE_FORMAT ", prefix %"
      G_GSIZE_FORMAT, offset, prefix);
  fail_unless (maxsize >= prefix + size + padding);
  fail_unless (maxsize >= offset + size + padding);
  /* the ZERO_PREFIXED and ZERO_PADDED flags are checked in
   * test_zero_flags_kept */

  fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
  fail_unless_equals_uint64 (map.size, size);
  fail_unless (((guintptr) map.data & align) == 0,
      "%p is not aligned to %" G_GSIZE_FORMAT, map.data, align + 1);
  memset (map.data, 0xff, map.size);
  gst_memory_unmap (mem, &map);

  /* prefix and padding read as zeroes, the data was written */
  bytes = g_malloc (maxsize);
  read_file_bytes (mem, 0, bytes, maxsize);
  for (i = 0; i < maxsize; i++) {
    guint8 expected = (i >= offset && i < offset + size) ? 0xff : 0x00;

    if (bytes[i] != expected)
      fail ("byte %" G_GSIZE_FORMAT " is 0x%02x, expected 0x%02x (offset %"
          G_GSIZE_FORMAT ", size %" G_GSIZE_FORMAT ")", i, bytes[i],
          expected, offset, size);
  }
  g_free (bytes);

  /* the prefix can be used */
  gst_memory_resize (mem, -(gssize) prefix, size + prefix);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, size + prefix);
  for (i = 0; i < prefix; i++)
    fail_unless_equals_int (map.data[i], 0);
  if (size > 0)
    fail_unless_equals_int (map.data[prefix], 0xff);
  gst_memory_unmap (mem, &map);

  gst_memory_unref (mem);
}

GST_START_TEST (test_allocation_params)
{
  gsize aligns[] = { 0, 1, 7, 63, 127, 4095 };
  gsize prefixes[] = { 0, 1, 100, 5000 };
  gsize paddings[] = { 0, 33, 4096 };
  gsize sizes[] = { 1, 1000, 70000 };
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  guint a, p, d, s;

  for (a = 0; a < G_N_ELEMENTS (aligns); a++)
    for (p = 0; p < G_N_ELEMENTS (prefixes); p++)
      for (d = 0; d < G_N_ELEMENTS (paddings); d++)
        for (s = 0; s < G_N_ELEMENTS (sizes); s++)
          check_params (alloc, sizes[s], aligns[a], prefixes[p], paddings[d]);

  gst_object_unref (alloc);
}

GST_END_TEST;

/* gst_memory_resize() clears ZERO_PREFIXED and ZERO_PADDED whenever the
 * offset or the end moves, so the allocator must set them after resizing:
 * they must survive a prefix, alignment or padding. */
GST_START_TEST (test_zero_flags_kept)
{
  gsize prefixes[] = { 0, 100, 0, 100 };
  gsize paddings[] = { 0, 0, 33, 33 };
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (prefixes); i++) {
    GstAllocationParams params;
    GstMemory *mem;

    gst_allocation_params_init (&params);
    params.prefix = prefixes[i];
    params.padding = paddings[i];
    params.flags = GST_MEMORY_FLAG_ZERO_PREFIXED | GST_MEMORY_FLAG_ZERO_PADDED;
    mem = gst_allocator_alloc (alloc, 1000, &params);
    fail_unless (mem != NULL);
    fail_unless (GST_MEMORY_IS_ZERO_PREFIXED (mem), "prefix %" G_GSIZE_FORMAT
        ", padding %" G_GSIZE_FORMAT, prefixes[i], paddings[i]);
    fail_unless (GST_MEMORY_IS_ZERO_PADDED (mem), "prefix %" G_GSIZE_FORMAT
        ", padding %" G_GSIZE_FORMAT, prefixes[i], paddings[i]);
    gst_memory_unref (mem);
  }

  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_alignment_larger_than_page)
{
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  gsize page = sysconf (_SC_PAGESIZE);
  GstAllocationParams params;
  GstMemory *mem;
  GstMapInfo map;

  /* more than mmap() can give: the data is still page aligned */
  gst_allocation_params_init (&params);
  params.align = 4 * page - 1;
  params.prefix = 10;
  mem = gst_allocator_alloc (alloc, 1000, &params);
  fail_unless (mem != NULL);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  fail_unless (((guintptr) map.data & (page - 1)) == 0);
  gst_memory_unmap (mem, &map);
  fail_unless (mem->offset >= 10);
  gst_memory_unref (mem);

  gst_object_unref (alloc);
}

GST_END_TEST;

/* (prefix + align) must not wrap around: a huge prefix fails the
 * allocation instead of giving an offset smaller than the prefix. */
GST_START_TEST (test_huge_prefix_fails)
{
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstAllocationParams params;
  GstMemory *mem;
  guint n_fds = fdpass_check_count_open_fds ();

  gst_allocation_params_init (&params);
  params.align = 127;
  params.prefix = G_MAXSIZE - 10;
  mem = gst_allocator_alloc (alloc, 1000, &params);
  if (mem != NULL) {
    GST_ERROR ("got offset %" G_GSIZE_FORMAT " for prefix %" G_GSIZE_FORMAT,
        mem->offset, params.prefix);
    gst_memory_unref (mem);
  }
  fail_unless (mem == NULL);

  gst_allocation_params_init (&params);
  params.padding = G_MAXSIZE - 10;
  mem = gst_allocator_alloc (alloc, 1000, &params);
  fail_unless (mem == NULL);

  fail_unless_equals_int (fdpass_check_count_open_fds (), n_fds);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_missing_directory_fails)
{
  GstTmpFileMethod methods[] = {
    GST_TMP_FILE_METHOD_TMPFILE, GST_TMP_FILE_METHOD_MKSTEMP
  };
  gchar *dir, *missing;
  guint n_fds, i;

  dir = make_tmp_dir (g_get_tmp_dir ());
  fail_unless (dir != NULL);
  missing = g_build_filename (dir, "does-not-exist", NULL);

  n_fds = fdpass_check_count_open_fds ();

  for (i = 0; i < G_N_ELEMENTS (methods); i++) {
    GstAllocator *alloc = gst_tmp_file_allocator_new_full (methods[i],
        missing);

    fail_unless (gst_allocator_alloc (alloc, 4096, NULL) == NULL);
    fail_unless (gst_allocator_alloc (alloc, 1, NULL) == NULL);
    fail_unless_equals_int (fdpass_check_count_open_fds (), n_fds);
    gst_object_unref (alloc);
  }

  fail_if (g_file_test (missing, G_FILE_TEST_EXISTS));
  fail_unless (dir_is_empty (dir));
  fail_unless (g_rmdir (dir) == 0);
  g_free (missing);
  g_free (dir);
}

GST_END_TEST;

/* Needs root: mounts a 64 KiB tmpfs in a private mount namespace (which
 * disappears with the process even if the test fails) and checks that an
 * allocation that does not fit fails instead of handing out memory that
 * raises SIGBUS when written. */
GST_START_TEST (test_full_file_system_fails)
{
  GstTmpFileMethod methods[] = {
    GST_TMP_FILE_METHOD_TMPFILE, GST_TMP_FILE_METHOD_MKSTEMP
  };
  gchar *dir;
  guint n_fds, i;

  if (geteuid () != 0) {
    GST_INFO ("not root, skipping");
    return;
  }

  dir = make_tmp_dir (g_get_tmp_dir ());
  fail_unless (dir != NULL);

  if (unshare (CLONE_NEWNS) < 0 ||
      mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount ("none", dir, "tmpfs", 0, "size=64k,mode=0700") < 0) {
    GST_INFO ("cannot mount a tmpfs (%s), skipping", g_strerror (errno));
    g_rmdir (dir);
    g_free (dir);
    return;
  }

  n_fds = fdpass_check_count_open_fds ();

  for (i = 0; i < G_N_ELEMENTS (methods); i++) {
    GstAllocator *alloc = gst_tmp_file_allocator_new_full (methods[i], dir);
    GstMemory *mem;
    GstMapInfo map;

    /* what fits can be written completely */
    mem = gst_allocator_alloc (alloc, 16 * 1024, NULL);
    fail_unless (mem != NULL);
    fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
    memset (map.data, 0xaa, map.size);
    gst_memory_unmap (mem, &map);

    /* what does not fit fails */
    fail_unless (gst_allocator_alloc (alloc, 1024 * 1024, NULL) == NULL);
    fail_unless (gst_allocator_alloc (alloc, 60 * 1024, NULL) == NULL);
    fail_unless (dir_is_empty (dir));

    gst_memory_unref (mem);

    /* and once freed, the space is available again */
    mem = gst_allocator_alloc (alloc, 48 * 1024, NULL);
    fail_unless (mem != NULL);
    fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
    memset (map.data, 0x55, map.size);
    gst_memory_unmap (mem, &map);
    gst_memory_unref (mem);

    gst_object_unref (alloc);
    fail_unless_equals_int (fdpass_check_count_open_fds (), n_fds);
  }

  fail_unless (dir_is_empty (dir));
  fail_unless (umount (dir) == 0);
  fail_unless (g_rmdir (dir) == 0);
  g_free (dir);
}

GST_END_TEST;

static guint8
pattern_byte (guint plane, guint row, guint x)
{
  return (plane * 71 + row * 7 + x * 13 + 1) & 0xff;
}

static void
check_video_buffer (GstBuffer * buf, const GstVideoInfo * info,
    gint width, gint height)
{
  GstVideoFrame frame;
  GstVideoMeta *vmeta;
  GstMemory *mem;
  GstMapInfo map;
  gsize size, plane_rows[2], row_bytes[2];
  guint p, row, x;

  fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
  mem = gst_buffer_peek_memory (buf, 0);
  fail_unless (gst_is_tmp_file_memory (mem));
  fail_unless (gst_is_fd_memory (mem));
  size = gst_buffer_get_size (buf);

  vmeta = gst_buffer_get_video_meta (buf);
  fail_unless (vmeta != NULL);
  fail_unless_equals_int (vmeta->format, GST_VIDEO_FORMAT_NV12);
  fail_unless_equals_int (vmeta->width, width);
  fail_unless_equals_int (vmeta->height, height);
  fail_unless_equals_int (vmeta->n_planes, 2);

  /* NV12: a full size luma plane and a half height plane of UV pairs */
  plane_rows[0] = height;
  plane_rows[1] = (height + 1) / 2;
  row_bytes[0] = width;
  row_bytes[1] = GST_ROUND_UP_2 (width);

  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  for (p = 0; p < 2; p++) {
    fail_unless (vmeta->stride[p] > 0);
    fail_unless ((vmeta->stride[p] & 63) == 0, "stride %d", vmeta->stride[p]);
    fail_unless ((gsize) vmeta->stride[p] >= row_bytes[p] + 32);
    fail_unless (vmeta->offset[p] + vmeta->stride[p] * plane_rows[p] <= size,
        "plane %u (offset %" G_GSIZE_FORMAT ", stride %d) does not fit in %"
        G_GSIZE_FORMAT " bytes", p, vmeta->offset[p], vmeta->stride[p], size);
    fail_unless (((guintptr) (map.data + vmeta->offset[p]) & 63) == 0);
  }
  /* the planes do not overlap */
  fail_unless (vmeta->offset[0] + vmeta->stride[0] * plane_rows[0] <=
      vmeta->offset[1]);
  gst_memory_unmap (mem, &map);

  /* write through a frame mapping, which follows the meta */
  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  for (p = 0; p < 2; p++) {
    fail_unless_equals_int (GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p),
        vmeta->stride[p]);
    fail_unless_equals_uint64 (GST_VIDEO_FRAME_PLANE_OFFSET (&frame, p),
        vmeta->offset[p]);
    for (row = 0; row < plane_rows[p]; row++) {
      guint8 *line = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, p) +
          row * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);

      for (x = 0; x < row_bytes[p]; x++)
        line[x] = pattern_byte (p, row, x);
    }
  }
  gst_video_frame_unmap (&frame);

  /* and read back through the plain memory, using the meta */
  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  for (p = 0; p < 2; p++) {
    for (row = 0; row < plane_rows[p]; row++) {
      const guint8 *line = map.data + vmeta->offset[p] + row * vmeta->stride[p];

      for (x = 0; x < row_bytes[p]; x++) {
        if (line[x] != pattern_byte (p, row, x))
          fail ("plane %u row %u byte %u: 0x%02x", p, row, x, line[x]);
      }
    }
  }
  gst_memory_unmap (mem, &map);
}

static void
check_video_pool (gint width, gint height)
{
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstBufferPool *pool = gst_video_buffer_pool_new ();
  GstAllocationParams params;
  GstVideoAlignment align;
  GstStructure *config;
  GstBuffer *bufs[3];
  GstVideoInfo info;
  GstCaps *caps;
  guint i;

  GST_INFO ("NV12 %dx%d", width, height);

  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "NV12",
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  fail_unless (gst_video_info_from_caps (&info, caps));

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, info.size, 2, 0);
  gst_allocation_params_init (&params);
  gst_buffer_pool_config_set_allocator (config, alloc, &params);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
  gst_video_alignment_reset (&align);
  align.padding_right = 32;
  align.padding_bottom = 32;
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    align.stride_align[i] = 63;
  gst_buffer_pool_config_set_video_alignment (config, &align);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  for (i = 0; i < G_N_ELEMENTS (bufs); i++) {
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &bufs[i],
            NULL), GST_FLOW_OK);
    check_video_buffer (bufs[i], &info, width, height);
  }
  /* distinct buffers live in distinct files */
  fail_if (gst_fd_memory_get_fd (gst_buffer_peek_memory (bufs[0], 0)) ==
      gst_fd_memory_get_fd (gst_buffer_peek_memory (bufs[1], 0)));

  for (i = 0; i < G_N_ELEMENTS (bufs); i++)
    gst_buffer_unref (bufs[i]);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
  gst_caps_unref (caps);
}

GST_START_TEST (test_video_buffer_pool)
{
  check_video_pool (1920, 1080);
  check_video_pool (322, 242);
  check_video_pool (321, 241);
}

GST_END_TEST;

static void
check_no_fd_leak (GstAllocator * alloc, guint n)
{
  guint before, i;

  before = fdpass_check_count_open_fds ();
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_allocator_alloc (alloc, 4096 + i, NULL);
    GstMapInfo map;

    fail_unless (mem != NULL);
    fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
    map.data[0] = i;
    gst_memory_unmap (mem, &map);
    gst_memory_unref (mem);
  }
  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_START_TEST (test_no_fd_leak)
{
  GstAllocator *alloc;
  guint before;
  gchar *dir;

  before = fdpass_check_count_open_fds ();

  alloc = gst_tmp_file_allocator_new ();
  check_no_fd_leak (alloc, 500);
  gst_object_unref (alloc);

  dir = make_tmp_dir (g_get_tmp_dir ());
  fail_unless (dir != NULL);
  alloc = gst_tmp_file_allocator_new_full (GST_TMP_FILE_METHOD_TMPFILE, dir);
  check_no_fd_leak (alloc, 100);
  gst_object_unref (alloc);
  alloc = gst_tmp_file_allocator_new_full (GST_TMP_FILE_METHOD_MKSTEMP, dir);
  check_no_fd_leak (alloc, 100);
  gst_object_unref (alloc);
  fail_unless (dir_is_empty (dir));
  fail_unless (g_rmdir (dir) == 0);
  g_free (dir);

  fail_unless_equals_int (fdpass_check_count_open_fds (), before);
}

GST_END_TEST;

static guint64
get_u64 (GstAllocator * alloc, const gchar * name)
{
  guint64 v = 0;

  g_object_get (alloc, name, &v, NULL);
  return v;
}

static ino_t
mem_ino (GstMemory * mem)
{
  struct stat st;

  fail_unless (fstat (gst_fd_memory_get_fd (mem), &st) == 0);
  return st.st_ino;
}

/* max-cached keeps freed memories, their files and mappings, for the next
 * allocation of the same size */
GST_START_TEST (test_cache_reuses_files)
{
  guint fds_before = fdpass_check_count_open_fds ();
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstMemory *m1, *m2, *m3;
  GstMapInfo map;
  ino_t ino1;

  g_object_set (alloc, "max-cached", 2, NULL);

  m1 = gst_allocator_alloc (alloc, 1000, NULL);
  ino1 = mem_ino (m1);
  fail_unless (gst_memory_map (m1, &map, GST_MAP_WRITE));
  memset (map.data, 0xab, map.size);
  gst_memory_unmap (m1, &map);
  gst_memory_unref (m1);
  /* kept: its fd is still open */
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + 1);

  m2 = gst_allocator_alloc (alloc, 1000, NULL);
  fail_unless_equals_uint64 (mem_ino (m2), ino1);
  fail_unless_equals_int (m2->size, 1000);
  /* not a fresh file any more */
  fail_if (GST_MEMORY_IS_ZERO_PREFIXED (m2));
  fail_if (GST_MEMORY_IS_ZERO_PADDED (m2));
  fail_unless (gst_memory_is_writable (m2));
  fail_unless (gst_memory_map (m2, &map, GST_MAP_READ));
  fail_unless_equals_int (map.data[999], 0xab);
  gst_memory_unmap (m2, &map);
  /* and can still be written, through the mapping it kept */
  check_data_round_trip (m2, 9);

  /* another size: another file */
  m3 = gst_allocator_alloc (alloc, 5000, NULL);
  fail_if (mem_ino (m3) == ino1);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-created"), 2);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-reused"), 1);

  gst_memory_unref (m2);
  gst_memory_unref (m3);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + 2);

  /* emptying the cache closes the files */
  g_object_set (alloc, "max-cached", 0, NULL);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_cache_is_bounded)
{
  guint fds_before = fdpass_check_count_open_fds ();
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstMemory *mems[5];
  guint i;

  g_object_set (alloc, "max-cached", 2, NULL);
  for (i = 0; i < 5; i++)
    mems[i] = gst_allocator_alloc (alloc, 4096, NULL);
  for (i = 0; i < 5; i++)
    gst_memory_unref (mems[i]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + 2);

  /* shared sub-memories are not ours to keep */
  mems[0] = gst_allocator_alloc (alloc, 4096, NULL);
  mems[1] = gst_memory_share (mems[0], 0, 100);
  gst_memory_unref (mems[0]);
  gst_memory_unref (mems[1]);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + 2);

  g_object_set (alloc, "max-cached", 0, NULL);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* The first map of a memory may be a read map (a consumer that only
 * looks): the memory must still be writable afterwards, although the
 * sealed file cannot get a new writable mapping. */
GST_START_TEST (test_sealed_memory_writable)
{
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstMemory *mem, *copy, *sub;
  GstMapInfo map;
  gsize maxsize;
  gint seals;

  mem = gst_allocator_alloc (alloc, 10000, NULL);
  fail_unless (mem != NULL);
  gst_memory_get_sizes (mem, NULL, &maxsize);

  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  fail_unless_equals_int (map.data[0], 0);
  gst_memory_unmap (mem, &map);
  check_data_round_trip (mem, 1);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_READWRITE));
  map.data[5] = 0x77;
  gst_memory_unmap (mem, &map);
  check_no_new_writer (gst_fd_memory_get_fd (mem), maxsize);

  /* a share reads through its parent's mapping */
  sub = gst_memory_share (mem, 5, 100);
  fail_unless (gst_memory_map (sub, &map, GST_MAP_READ));
  fail_unless_equals_int (map.data[0], 0x77);
  gst_memory_unmap (sub, &map);
  gst_memory_unref (sub);

  /* a copy (what a decoder makes of a reference frame) lands in another
   * sealed memfd of ours, with the same bytes, and can be written */
  copy = gst_memory_copy (mem, 0, -1);
  fail_unless (copy != NULL);
  fail_unless (gst_is_tmp_file_memory (copy));
  fail_unless (mem_ino (copy) != mem_ino (mem));
  seals = fcntl (gst_fd_memory_get_fd (copy), F_GET_SEALS);
  fail_unless (seals >= 0 && (seals & F_SEAL_FUTURE_WRITE) != 0,
      "seals 0x%x", seals);
  fail_unless (gst_memory_map (copy, &map, GST_MAP_READ));
  fail_unless_equals_int (map.data[5], 0x77);
  gst_memory_unmap (copy, &map);
  check_data_round_trip (copy, 2);

  gst_memory_unref (copy);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* After a burst, the cache keeps max-cached files and closes the rest. */
GST_START_TEST (test_cache_after_burst)
{
  const guint n = 40, max_cached = 4;
  guint fds_before = fdpass_check_count_open_fds ();
  GstAllocator *alloc = gst_tmp_file_allocator_new ();
  GstMemory *mems[40];
  guint i;

  g_object_set (alloc, "max-cached", max_cached, NULL);
  for (i = 0; i < n; i++) {
    mems[i] = gst_allocator_alloc (alloc, 4096, NULL);
    fail_unless (mems[i] != NULL);
  }
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before + n);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-alive"), n);

  for (i = 0; i < n; i++)
    gst_memory_unref (mems[i]);
  fail_unless_equals_int (fdpass_check_count_open_fds (),
      fds_before + max_cached);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-alive"), max_cached);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-freed"), n - max_cached);

  /* the next burst reuses what was kept and creates the rest */
  for (i = 0; i < n; i++) {
    mems[i] = gst_allocator_alloc (alloc, 4096, NULL);
    fail_unless (mems[i] != NULL);
    check_data_round_trip (mems[i], i);
  }
  fail_unless_equals_uint64 (get_u64 (alloc, "files-reused"), max_cached);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-created"),
      2 * n - max_cached);

  for (i = 0; i < n; i++)
    gst_memory_unref (mems[i]);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-alive"), max_cached);

  g_object_set (alloc, "max-cached", 0, NULL);
  fail_unless_equals_uint64 (get_u64 (alloc, "files-alive"), 0);
  /* every file created is closed, once */
  fail_unless_equals_uint64 (get_u64 (alloc, "files-freed"),
      2 * n - max_cached);
  fail_unless_equals_int (fdpass_check_count_open_fds (), fds_before);
  gst_object_unref (alloc);
}

GST_END_TEST;

static Suite *
tmpfileallocator_suite (void)
{
  Suite *s = suite_create ("tmpfileallocator");
  TCase *tc_chain = tcase_create ("general");

  suite_add_tcase (s, tc_chain);
  tcase_add_test (tc_chain, test_default_is_sealed_memfd);
  tcase_add_test (tc_chain, test_cache_reuses_files);
  tcase_add_test (tc_chain, test_cache_is_bounded);
  tcase_add_test (tc_chain, test_cache_after_burst);
  tcase_add_test (tc_chain, test_sealed_memory_writable);
  tcase_add_test (tc_chain, test_small_sizes);
  tcase_add_test (tc_chain, test_method_tmpfile);
  tcase_add_test (tc_chain, test_method_mkstemp);
  tcase_add_test (tc_chain, test_method_memfd);
  tcase_add_test (tc_chain, test_allocation_params);
  tcase_add_test (tc_chain, test_zero_flags_kept);
  tcase_add_test (tc_chain, test_alignment_larger_than_page);
  tcase_add_test (tc_chain, test_huge_prefix_fails);
  tcase_add_test (tc_chain, test_missing_directory_fails);
  tcase_add_test (tc_chain, test_full_file_system_fails);
  tcase_add_test (tc_chain, test_video_buffer_pool);
  tcase_add_test (tc_chain, test_no_fd_leak);

  return s;
}

GST_CHECK_MAIN (tmpfileallocator);
