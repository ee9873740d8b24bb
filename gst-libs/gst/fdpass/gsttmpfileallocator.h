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

#ifndef __GST_TMP_FILE_ALLOCATOR_H__
#define __GST_TMP_FILE_ALLOCATOR_H__

#include <gst/gst.h>
#include <gst/allocators/allocators.h>
#include <gst/fdpass/fdpass-prelude.h>

G_BEGIN_DECLS

/**
 * GST_ALLOCATOR_TMP_FILE:
 *
 * The name under which the `fdpass` plugin registers a #GstTmpFileAllocator
 * with gst_allocator_register() when it is loaded, for
 * gst_allocator_find().
 *
 * Since: 0.1
 */
#define GST_ALLOCATOR_TMP_FILE "fdpass-tmpfile"

/**
 * GstTmpFileMethod:
 * @GST_TMP_FILE_METHOD_AUTO: try memfd, then an unlinked O_TMPFILE file,
 *     then mkstemp() followed by unlink()
 * @GST_TMP_FILE_METHOD_MEMFD: memfd_create() only
 * @GST_TMP_FILE_METHOD_TMPFILE: open() with O_TMPFILE in the temporary
 *     directory only
 * @GST_TMP_FILE_METHOD_MKSTEMP: mkstemp() followed by unlink() in the
 *     temporary directory only
 *
 * How a #GstTmpFileAllocator creates the file behind each memory.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_TMP_FILE_METHOD_AUTO = 0,
  GST_TMP_FILE_METHOD_MEMFD,
  GST_TMP_FILE_METHOD_TMPFILE,
  GST_TMP_FILE_METHOD_MKSTEMP,
} GstTmpFileMethod;

GST_FDPASS_API
GType gst_tmp_file_method_get_type (void);
#define GST_TYPE_TMP_FILE_METHOD (gst_tmp_file_method_get_type ())

#define GST_TYPE_TMP_FILE_ALLOCATOR (gst_tmp_file_allocator_get_type ())

GST_FDPASS_API
G_DECLARE_FINAL_TYPE (GstTmpFileAllocator, gst_tmp_file_allocator,
    GST, TMP_FILE_ALLOCATOR, GstFdAllocator)

GST_FDPASS_API
GstAllocator *   gst_tmp_file_allocator_new (void);

GST_FDPASS_API
GstAllocator *   gst_tmp_file_allocator_new_full (GstTmpFileMethod method,
                                                  const gchar * directory);

GST_FDPASS_API
gboolean         gst_is_tmp_file_memory (GstMemory * mem);

GST_FDPASS_API
void             gst_fdpass_memory_mark_exported (GstMemory * mem);

GST_FDPASS_API
gboolean         gst_fdpass_memory_is_exported (GstMemory * mem);

G_END_DECLS

#endif /* __GST_TMP_FILE_ALLOCATOR_H__ */
