/* GStreamer fd passing example: stream analysis, GstVideoFrame glue
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

#ifndef __FDPASS_ANALYSIS_GST_H__
#define __FDPASS_ANALYSIS_GST_H__

#include <gst/video/video.h>
#include <string.h>
#include "fdpass-analysis.h"

G_BEGIN_DECLS

/* Describes a mapped GstVideoFrame to the detectors: plane pointers and
 * strides only, the pixels stay where they are. Returns FALSE for formats
 * the detectors do not read. */
static inline gboolean
fdpass_analysis_frame_from_video_frame (FdpassAnalysisFrame * frame,
    const GstVideoFrame * vframe)
{
  guint i, n_planes = GST_VIDEO_FRAME_N_PLANES (vframe);

  memset (frame, 0, sizeof (*frame));
  switch (GST_VIDEO_FRAME_FORMAT (vframe)) {
    case GST_VIDEO_FORMAT_I420:
      frame->format = FDPASS_ANALYSIS_FORMAT_I420;
      break;
    case GST_VIDEO_FORMAT_YV12:
      frame->format = FDPASS_ANALYSIS_FORMAT_YV12;
      break;
    case GST_VIDEO_FORMAT_NV12:
      frame->format = FDPASS_ANALYSIS_FORMAT_NV12;
      break;
    case GST_VIDEO_FORMAT_NV21:
      frame->format = FDPASS_ANALYSIS_FORMAT_NV21;
      break;
    default:
      return FALSE;
  }

  frame->width = GST_VIDEO_FRAME_WIDTH (vframe);
  frame->height = GST_VIDEO_FRAME_HEIGHT (vframe);
  for (i = 0; i < n_planes && i < 3; i++) {
    frame->planes[i] = GST_VIDEO_FRAME_PLANE_DATA (vframe, i);
    frame->strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (vframe, i);
  }

  switch (vframe->info.colorimetry.matrix) {
    case GST_VIDEO_COLOR_MATRIX_BT709:
      frame->matrix = FDPASS_ANALYSIS_MATRIX_BT709;
      break;
    case GST_VIDEO_COLOR_MATRIX_BT2020:
      frame->matrix = FDPASS_ANALYSIS_MATRIX_BT2020;
      break;
    default:
      frame->matrix = FDPASS_ANALYSIS_MATRIX_BT601;
      break;
  }
  frame->full_range =
      vframe->info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;

  return fdpass_analysis_frame_is_valid (frame);
}

G_END_DECLS

#endif /* __FDPASS_ANALYSIS_GST_H__ */
