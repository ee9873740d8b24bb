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
 * Buffers for the frames that arrive inline (protocol 1.3, fdpay
 * payload=inline, over TCP or SRT): their bytes follow the buffer message
 * in the stream, and fddepay copies them into memfd-backed memory, so that
 * what it outputs is the same kind of memory whether the frames came as
 * file descriptors or inline. A local unixsocketsink or fdpay after it
 * shares them again without a copy.
 *
 * The memory comes from the pool downstream proposes when it is one of
 * memfds (fdpay's: then fdpay sends our buffers as they are), or from a
 * video buffer pool of our own on a GstTmpFileAllocator. A frame whose size
 * or layout is not the pool's gets memory of its own from the allocator.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfddepayinline.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (gst_fd_depay_inline_debug);
#define GST_CAT_DEFAULT gst_fd_depay_inline_debug

/* buffers our own pool keeps: a frame being read, one downstream holds and
 * one on its way */
#define OWN_POOL_MIN_BUFFERS 3

struct _GstFdDepayInline
{
  GstElement *element;
  GstPad *srcpad;
  GstAllocator *allocator;

  /* the media caps, and the pool for them once looked for */
  GstCaps *caps;
  gboolean pool_decided;
  GstBufferPool *pool;
  GstVideoInfo pool_info;
  gsize pool_size;
};

GstFdDepayInline *
gst_fd_depay_inline_new (GstElement * element, GstPad * srcpad)
{
  static gsize debug_done = 0;
  GstFdDepayInline *in = g_new0 (GstFdDepayInline, 1);

  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (gst_fd_depay_inline_debug, "fddepayinline", 0,
        "fddepay's frames that arrive inline");
    g_once_init_leave (&debug_done, 1);
  }

  in->element = element;
  in->srcpad = srcpad;
  in->allocator = gst_tmp_file_allocator_new ();

  return in;
}

static void
gst_fd_depay_inline_clear_pool (GstFdDepayInline * in)
{
  if (in->pool) {
    gst_buffer_pool_set_active (in->pool, FALSE);
    gst_clear_object (&in->pool);
  }
  in->pool_decided = FALSE;
}

void
gst_fd_depay_inline_free (GstFdDepayInline * in)
{
  gst_fd_depay_inline_clear_pool (in);
  gst_clear_caps (&in->caps);
  gst_object_unref (in->allocator);
  g_free (in);
}

/* New media caps: the pool is decided again before the next frame. */
void
gst_fd_depay_inline_set_caps (GstFdDepayInline * in, GstCaps * caps)
{
  if (in->caps && caps && gst_caps_is_equal (in->caps, caps))
    return;

  gst_fd_depay_inline_clear_pool (in);
  gst_caps_replace (&in->caps, caps);
}

static gboolean
pool_is_ours (GstBufferPool * pool)
{
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstAllocator *allocator = NULL;
  gboolean ours;

  gst_buffer_pool_config_get_allocator (config, &allocator, NULL);
  ours = allocator && GST_IS_TMP_FILE_ALLOCATOR (allocator);
  gst_structure_free (config);

  return ours;
}

/* Takes the pool downstream proposes if its memory is memfds, or makes one
 * of our own, for raw video. Other media get memory of their own. */
static void
gst_fd_depay_inline_decide_pool (GstFdDepayInline * in)
{
  GstBufferPool *pool = NULL;
  GstStructure *config;
  GstQuery *query;
  guint pool_size = 0;

  in->pool_decided = TRUE;
  if (in->caps == NULL || !gst_video_info_from_caps (&in->pool_info, in->caps))
    return;

  query = gst_query_new_allocation (in->caps, TRUE);
  if (gst_pad_peer_query (in->srcpad, query) &&
      gst_query_get_n_allocation_pools (query) > 0) {
    gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
    if (pool && !pool_is_ours (pool)) {
      GST_DEBUG_OBJECT (in->element, "downstream pool %" GST_PTR_FORMAT
          " is not of memfds", pool);
      gst_clear_object (&pool);
    }
  }
  gst_query_unref (query);

  if (pool) {
    GST_DEBUG_OBJECT (in->element, "inline frames go into downstream's pool %"
        GST_PTR_FORMAT, pool);
  } else {
    GstAllocationParams params;

    pool = gst_video_buffer_pool_new ();
    config = gst_buffer_pool_get_config (pool);
    gst_allocation_params_init (&params);
    gst_buffer_pool_config_set_params (config, in->caps, in->pool_info.size,
        OWN_POOL_MIN_BUFFERS, 0);
    gst_buffer_pool_config_set_allocator (config, in->allocator, &params);
    if (!gst_buffer_pool_set_config (pool, config)) {
      GST_WARNING_OBJECT (in->element, "could not configure a buffer pool");
      gst_object_unref (pool);
      return;
    }
    GST_DEBUG_OBJECT (in->element, "inline frames go into a pool of memfds");
  }

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_params (config, NULL, &pool_size, NULL, NULL);
  gst_structure_free (config);
  in->pool_size = pool_size;

  if (!gst_buffer_pool_set_active (pool, TRUE)) {
    GST_WARNING_OBJECT (in->element, "could not activate the buffer pool");
    gst_object_unref (pool);
    return;
  }
  in->pool = pool;
}

/* Whether the video meta a pool put on its buffer says what the sender's
 * does (fdpay's pool has one, of the default layout of the caps). */
static gboolean
video_meta_matches (const GstVideoMeta * vmeta,
    const GstFdPassBufferInfo * info)
{
  const GstFdPassVideoInfo *v = &info->video;
  guint i;

  if (!info->has_video_meta || vmeta->format != (GstVideoFormat) v->format ||
      vmeta->width != v->width || vmeta->height != v->height ||
      vmeta->n_planes != v->n_planes)
    return FALSE;

  for (i = 0; i < vmeta->n_planes; i++) {
    if (vmeta->offset[i] != v->offset[i] || vmeta->stride[i] != v->stride[i])
      return FALSE;
  }

  return TRUE;
}

/**
 * gst_fd_depay_inline_take:
 * @adapter: the stream
 * @offset: where the data starts in @adapter
 * @info: the buffer message
 * @size: the data size: the end of the last memory of @info
 *
 * Copies the data of an inline frame into memfd-backed memory, with the
 * sender's video meta if it has one: a pool buffer whose own video meta
 * says otherwise is not used.
 *
 * Returns: (transfer full) (nullable): the buffer, or %NULL when no memory
 *     could be had or the video meta is invalid
 */
GstBuffer *
gst_fd_depay_inline_take (GstFdDepayInline * in, GstAdapter * adapter,
    gsize offset, const GstFdPassBufferInfo * info, gsize size)
{
  GstBuffer *buf = NULL;
  GstVideoMeta *vmeta = NULL;
  GstMapInfo map;

  if (!in->pool_decided)
    gst_fd_depay_inline_decide_pool (in);

  if (in->pool && size == in->pool_size &&
      gst_buffer_pool_acquire_buffer (in->pool, &buf, NULL) == GST_FLOW_OK) {
    vmeta = gst_buffer_get_video_meta (buf);
    if (vmeta && !video_meta_matches (vmeta, info)) {
      GST_LOG_OBJECT (in->element, "the pool's layout is not the sender's");
      gst_clear_buffer (&buf);
      vmeta = NULL;
    }
  }

  if (buf == NULL) {
    buf = gst_buffer_new_allocate (in->allocator, size, NULL);
    if (buf == NULL)
      return NULL;
  }

  if (info->has_video_meta && vmeta == NULL &&
      gst_fdpass_buffer_info_add_video_meta (info, buf) == NULL) {
    gst_buffer_unref (buf);
    return NULL;
  }

  if (size > 0) {
    if (!gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
      gst_buffer_unref (buf);
      return NULL;
    }
    gst_adapter_copy (adapter, map.data, offset, size);
    gst_buffer_unmap (buf, &map);
  }

  return buf;
}
