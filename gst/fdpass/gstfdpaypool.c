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

/*
 * The video buffer pool fdpay proposes upstream. It is a plain
 * GstVideoBufferPool (whose memory comes from a GstTmpFileAllocator), with
 * one difference: a buffer whose memory was exported to a process that may
 * map it at any time (gst_fdpass_memory_mark_exported()) is never handed
 * out again. Such buffers are dropped when they come back and the pool
 * allocates fresh ones.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpaypool.h"

#include <gst/fdpass/fdpass.h>

GST_DEBUG_CATEGORY_STATIC (gst_fd_pay_pool_debug);
#define GST_CAT_DEFAULT gst_fd_pay_pool_debug

struct _GstFdPayPool
{
  GstVideoBufferPool parent;
};

#define gst_fd_pay_pool_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstFdPayPool, gst_fd_pay_pool,
    GST_TYPE_VIDEO_BUFFER_POOL,
    GST_DEBUG_CATEGORY_INIT (gst_fd_pay_pool_debug, "fdpaypool", 0,
        "fdpay buffer pool"));

static G_DEFINE_QUARK (fdpass-pool-owned, owned);

gboolean
gst_fd_pay_pool_owns (GstMemory * mem)
{
  return gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (mem),
      owned_quark ()) != NULL;
}

static GstFlowReturn
gst_fd_pay_pool_alloc_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  GstFlowReturn ret;
  guint i;

  ret = GST_BUFFER_POOL_CLASS (parent_class)->alloc_buffer (pool, buffer,
      params);
  if (ret != GST_FLOW_OK)
    return ret;

  /* the memory of our buffers is never reused once sent, whichever buffer
   * it was sent in */
  for (i = 0; i < gst_buffer_n_memory (*buffer); i++)
    gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (gst_buffer_peek_memory
            (*buffer, i)), owned_quark (), GINT_TO_POINTER (TRUE), NULL);

  return GST_FLOW_OK;
}

static void
gst_fd_pay_pool_release_buffer (GstBufferPool * pool, GstBuffer * buffer)
{
  guint i, n = gst_buffer_n_memory (buffer);

  for (i = 0; i < n; i++) {
    if (gst_fdpass_memory_is_exported (gst_buffer_peek_memory (buffer, i))) {
      GST_LOG_OBJECT (pool, "buffer %p was sent, not reusing it", buffer);
      /* makes the default implementation free the buffer */
      GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);
      break;
    }
  }

  GST_BUFFER_POOL_CLASS (parent_class)->release_buffer (pool, buffer);
}

static void
gst_fd_pay_pool_class_init (GstFdPayPoolClass * klass)
{
  GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS (klass);

  pool_class->alloc_buffer = gst_fd_pay_pool_alloc_buffer;
  pool_class->release_buffer = gst_fd_pay_pool_release_buffer;
}

static void
gst_fd_pay_pool_init (GstFdPayPool * self)
{
}

GstBufferPool *
gst_fd_pay_pool_new (void)
{
  GstBufferPool *pool = g_object_new (GST_TYPE_FD_PAY_POOL, NULL);

  gst_object_ref_sink (pool);
  return pool;
}
