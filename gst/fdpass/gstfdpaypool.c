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
 * two differences:
 *
 * - a buffer whose memory was exported to a process that may map it at any
 *   time (gst_fdpass_memory_mark_exported()) is never handed out again.
 *   Such buffers are dropped when they come back and the pool allocates
 *   fresh ones.
 *
 * - it keeps at most MAX (min-buffers, FD_PAY_POOL_MAX_FREE) free buffers
 *   (8), and frees any other buffer that comes back. A GstBufferPool never
 *   shrinks by itself: after a burst (receivers that held hundreds of
 *   frames for a while), it would keep all of them, with a memfd each,
 *   for as long as it lives.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfdpaypool.h"

#include <gst/fdpass/fdpass.h>

GST_DEBUG_CATEGORY_STATIC (gst_fd_pay_pool_debug);
#define GST_CAT_DEFAULT gst_fd_pay_pool_debug

/* Free buffers kept beyond min-buffers. A buffer only waits in the pool
 * between its release and the next acquire, while the frames a decoder
 * references or the receivers hold are out of the pool, so what the pool
 * must absorb is how many frames come back at once. unixsocketsink lets a
 * receiver hold up to max-pending frames (8 by default) before it drops
 * frames for it: keeping that many means a receiver that falls behind and
 * catches up, or leaves, costs no new memfds the next time. More than that
 * only comes back after bursts of many receivers, which are freed. */
#define FD_PAY_POOL_MAX_FREE 8

struct _GstFdPayPool
{
  GstVideoBufferPool parent;

  /* free buffers to keep, from the configuration */
  guint max_free;
  /* buffers alive, and acquired ones not released yet (atomic) */
  gint n_allocated;
  gint n_outstanding;
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

static gboolean
gst_fd_pay_pool_set_config (GstBufferPool * pool, GstStructure * config)
{
  GstFdPayPool *self = GST_FD_PAY_POOL (pool);
  guint min_buffers = 0;

  if (!gst_buffer_pool_config_get_params (config, NULL, NULL, &min_buffers,
          NULL))
    return FALSE;

  /* set_config() is refused while buffers are out, nothing reads this */
  self->max_free = MAX (min_buffers, FD_PAY_POOL_MAX_FREE);

  return GST_BUFFER_POOL_CLASS (parent_class)->set_config (pool, config);
}

static GstFlowReturn
gst_fd_pay_pool_alloc_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  GstFdPayPool *self = GST_FD_PAY_POOL (pool);
  GstFlowReturn ret;
  guint i;

  ret = GST_BUFFER_POOL_CLASS (parent_class)->alloc_buffer (pool, buffer,
      params);
  if (ret != GST_FLOW_OK)
    return ret;

  g_atomic_int_inc (&self->n_allocated);

  /* the memory of our buffers is never reused once sent, whichever buffer
   * it was sent in */
  for (i = 0; i < gst_buffer_n_memory (*buffer); i++)
    gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (gst_buffer_peek_memory
            (*buffer, i)), owned_quark (), GINT_TO_POINTER (TRUE), NULL);

  return GST_FLOW_OK;
}

static void
gst_fd_pay_pool_free_buffer (GstBufferPool * pool, GstBuffer * buffer)
{
  GstFdPayPool *self = GST_FD_PAY_POOL (pool);

  g_atomic_int_add (&self->n_allocated, -1);

  GST_BUFFER_POOL_CLASS (parent_class)->free_buffer (pool, buffer);
}

static GstFlowReturn
gst_fd_pay_pool_acquire_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  GstFdPayPool *self = GST_FD_PAY_POOL (pool);
  GstFlowReturn ret;

  ret = GST_BUFFER_POOL_CLASS (parent_class)->acquire_buffer (pool, buffer,
      params);
  if (ret == GST_FLOW_OK)
    g_atomic_int_inc (&self->n_outstanding);

  return ret;
}

/* Called by gst_buffer_pool_release_buffer() for each buffer that
 * gst_buffer_pool_acquire_buffer() handed out, and only for those:
 * release_buffer() also gets the buffers that start() allocates. */
static void
gst_fd_pay_pool_reset_buffer (GstBufferPool * pool, GstBuffer * buffer)
{
  GstFdPayPool *self = GST_FD_PAY_POOL (pool);

  g_atomic_int_add (&self->n_outstanding, -1);

  GST_BUFFER_POOL_CLASS (parent_class)->reset_buffer (pool, buffer);
}

static gboolean
gst_fd_pay_pool_buffer_is_exported (GstBuffer * buffer)
{
  guint i, n = gst_buffer_n_memory (buffer);

  for (i = 0; i < n; i++) {
    if (gst_fdpass_memory_is_exported (gst_buffer_peek_memory (buffer, i)))
      return TRUE;
  }

  return FALSE;
}

static void
gst_fd_pay_pool_release_buffer (GstBufferPool * pool, GstBuffer * buffer)
{
  GstFdPayPool *self = GST_FD_PAY_POOL (pool);
  gint n_free;

  /* the free buffers, this one included (approximately, while other
   * threads acquire or release buffers) */
  n_free = g_atomic_int_get (&self->n_allocated) -
      g_atomic_int_get (&self->n_outstanding);

  if (gst_fd_pay_pool_buffer_is_exported (buffer)) {
    GST_LOG_OBJECT (pool, "buffer %p was sent, not reusing it", buffer);
    /* makes the default implementation free the buffer */
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);
  } else if (n_free > (gint) self->max_free) {
    GST_LOG_OBJECT (pool, "%d free buffers, freeing buffer %p", n_free, buffer);
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);
  }

  GST_BUFFER_POOL_CLASS (parent_class)->release_buffer (pool, buffer);
}

static void
gst_fd_pay_pool_class_init (GstFdPayPoolClass * klass)
{
  GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS (klass);

  pool_class->set_config = gst_fd_pay_pool_set_config;
  pool_class->alloc_buffer = gst_fd_pay_pool_alloc_buffer;
  pool_class->free_buffer = gst_fd_pay_pool_free_buffer;
  pool_class->acquire_buffer = gst_fd_pay_pool_acquire_buffer;
  pool_class->reset_buffer = gst_fd_pay_pool_reset_buffer;
  pool_class->release_buffer = gst_fd_pay_pool_release_buffer;
}

static void
gst_fd_pay_pool_init (GstFdPayPool * self)
{
  self->max_free = FD_PAY_POOL_MAX_FREE;
}

GstBufferPool *
gst_fd_pay_pool_new (void)
{
  GstBufferPool *pool = g_object_new (GST_TYPE_FD_PAY_POOL, NULL);

  gst_object_ref_sink (pool);
  return pool;
}
