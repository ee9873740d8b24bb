/* GStreamer fd passing example: HLS demo, frame flow
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

/* The frame flow of the demo, one GStreamer pipeline:
 *
 *   <uri src> ! typefind ! hlsdemux ! decodebin ! concat ! videoconvert !
 *       video/x-raw,format={I420,NV12} ! fdpay ! multisocketsink
 *
 * (hlsdemux2 in place of hlsdemux when asked for; one decodebin per
 * variant hlsdemux switches to, all into concat)
 *
 * The analysis process is the sink's only client (pipeline_add_client).
 * The pipeline counts frames, keeps at most PIPELINE_CREDIT_FRAMES in
 * flight to the client, and reports what happens through
 * PipelineCallbacks, always in the thread of the default main context.
 * When the stream cannot be read, the error callback gets one line saying
 * which URL failed and why (diagnosis.c). */

#ifndef __HLS_DEMO_PIPELINE_H__
#define __HLS_DEMO_PIPELINE_H__

#include <gst/gst.h>
#include <gio/gio.h>

#include "variants.h"

G_BEGIN_DECLS

/* frames in flight to the analysis process before the sender waits */
#define PIPELINE_CREDIT_FRAMES 8

typedef struct _Pipeline Pipeline;

typedef struct
{
  /* the demuxer: "hlsdemux" (NULL) or "hlsdemux2" */
  const gchar *demux;
  /* the variant to play, as --variant gives it (variants_find()), or NULL
   * to follow the demuxer's switches */
  const gchar *variant;
  /* send frames at the pace of their timestamps */
  gboolean realtime;
  /* HTTP requests time out after this many seconds (0: souphttpsrc's
   * default) */
  guint http_timeout;
  /* when the first playlist is a master playlist: the first media
   * playlist the demuxer read (from the relay), to tell where a live
   * stream was joined; or NULL */
  MediaPlaylist * (*get_media_playlist) (gpointer data);
  gpointer media_playlist_data;
} PipelineOptions;

/* the variant the frames come from */
typedef struct
{
  /* in the master playlist, from 0; -1 when unknown or without a master
   * playlist */
  gint index;
  /* its BANDWIDTH (0 when unknown) and the size of its frames */
  guint bandwidth;
  gint width;
  gint height;
  /* from when on, in seconds from the first frame */
  gdouble at;
} PipelineVariant;

typedef struct
{
  /* the stream reached its end */
  void (*eos) (gpointer user_data);
  /* the stream cannot be played, or stopped before its end: @message
   * says why, in one line */
  void (*error) (const gchar * message, gpointer user_data);
  /* the sink wrote the EOS message to the client completely */
  void (*eos_delivered) (gpointer user_data);
  /* the sink let go of @socket (removed, or dropped by the sink) */
  void (*client_removed) (GSocket * socket, gpointer user_data);
  /* the first playlist was read: the variants (Variant) of a master
   * playlist, or none, and the one --variant pinned, or -1 */
  void (*variants) (GPtrArray * variants, gint pinned, gpointer user_data);
  /* the frames come from @variant from now on */
  void (*variant) (const PipelineVariant * variant, gpointer user_data);
  /* the first playlist is the media playlist @playlist; called again
   * with @segment, the first segment fetched (where a live stream is
   * joined), once known (hlsdemux: the first segment it fetches;
   * hlsdemux2: the segment of the first frame) */
  void (*playlist) (const MediaPlaylist * playlist, const Segment * segment,
      gpointer user_data);
} PipelineCallbacks;

typedef struct
{
  /* frames decoded, and sent completely to a client */
  guint64 frames;
  guint64 delivered;
  /* stream time of the last decoded frame from that of the first one, or
   * GST_CLOCK_TIME_NONE */
  GstClockTime position;
  /* fdpay's: frames copied into a memfd (not written by the decoder into
   * fdpay's pool), memfds created, and frames sent in a memfd that went
   * round already (the analysis process released it) */
  guint64 copies;
  guint64 memfds_created;
  guint64 memfds_reused;
} PipelineStats;

Pipeline *  pipeline_new               (const gchar * uri,
                                        const PipelineOptions * options,
                                        const PipelineCallbacks * callbacks,
                                        gpointer user_data, GError ** error);

gboolean    pipeline_set_state         (Pipeline * pipeline, GstState state);

void        pipeline_add_client        (Pipeline * pipeline, GSocket * socket);

void        pipeline_remove_client     (Pipeline * pipeline, GSocket * socket);

void        pipeline_deactivate_client (Pipeline * pipeline);

void        pipeline_get_credit        (Pipeline * pipeline, guint64 * sent,
                                        guint64 * done);

void        pipeline_get_stats         (Pipeline * pipeline,
                                        PipelineStats * stats);

gdouble     pipeline_get_stream_time   (Pipeline * pipeline);
gdouble     pipeline_get_origin        (Pipeline * pipeline);

void        pipeline_set_flushing      (Pipeline * pipeline);

gchar *     pipeline_explain_stop      (Pipeline * pipeline);

void        pipeline_shutdown          (Pipeline * pipeline);

void        pipeline_free              (Pipeline * pipeline);

G_END_DECLS

#endif /* __HLS_DEMO_PIPELINE_H__ */
